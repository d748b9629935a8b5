"""Attribution rules that hold across news writing: each class of construction is tested on
several sentences written for these tests, in different phrasings."""

import datetime as dt

import pytest

from figures.extract import extract_claims
from figures.model import Document


def claims_of(body: str, published: dt.date | None = dt.date(2023, 3, 15), title: str | None = None):
    return extract_claims(Document(id="t.txt", text=body, title=title, published=published))


def one(body: str, **kwargs):
    found = claims_of(body, **kwargs)
    assert len(found) == 1, [(c.stated, c.metric, c.claimant) for c in found]
    return found[0]


@pytest.mark.parametrize("sentence, claimant, side", [
    ("Olena Marchenko, the governor of the Poltava region, reported that four people had been killed.",
     "Olena Marchenko", "Ukraine"),
    ("Taras Bondar, a Ukrainian MP with a small liberal party, said rockets injured six civilians.",
     "Taras Bondar", "Ukraine"),
    ("Russia's defence ministry, in a statement on Telegram, said 30 Ukrainian soldiers were killed.",
     "Russia's defence ministry", "Russia"),
    ("The Instagram post, shared more than 4,000 times, claims that 15 pilots were killed.",
     "Instagram post", "unknown"),
    ("Ivan Sokolov, speaking to state television, said 20 soldiers had been captured.", "Ivan Sokolov", "unknown"),
])
def test_a_speaker_described_between_commas_is_the_claimant(sentence, claimant, side):
    claim = one(sentence)
    assert (claim.claimant, claim.side) == (claimant, side)


@pytest.mark.parametrize("sentence", [
    "Yesterday, shelling killed two people in the village, said the regional governor.",
    "On Friday, the strike, which hit a market, killed 11 people.",
])
def test_a_time_word_before_a_comma_is_no_claimant(sentence):
    claim = one(sentence)
    assert claim.claimant not in ("Yesterday", "On Friday", "Friday")


@pytest.mark.parametrize("phrase", [
    "The governor of the Odesa region", "The mayor of the town", "Officials in the enclave",
    "The head of the regional council",
])
def test_an_office_with_a_place_complement_is_a_claimant_phrase(phrase):
    claim = one(f"{phrase} said 14 people were killed in the shelling.")
    assert claim.claimant is not None and claim.claimant.lower() in phrase.lower()


@pytest.mark.parametrize("body, side", [
    ("Russian missiles hit Kharkiv overnight.\nShelling killed five people on Tuesday, the regional governor said.",
     "Ukraine"),
    ("Drones struck Belgorod on Monday.\nThe city's mayor said 12 people were wounded.", "Russia"),
    ("Fighting continued near Kherson. The head of the military administration said eight people died.", "Ukraine"),
    ("Air strikes hit Khan Younis again.\nLocal authorities said 40 people had been killed.", "Palestine"),
    ("Rockets fell on Sderot.\nPolice said three people were injured.", "Israel"),
])
def test_an_unnamed_local_office_speaks_for_the_country_the_story_is_in(body, side):
    assert one(body).side == side


def test_an_unnamed_local_office_without_any_place_stays_unknown():
    assert one("Shelling killed five people on Tuesday, the regional governor said.").side == "unknown"


def test_a_named_body_keeps_its_own_side_whatever_place_came_before():
    body = "Rockets hit Gaza City again.\nThe ZAKA rescue service said 20 bodies were recovered in Israel."
    assert one(body).side != "Palestine"


@pytest.mark.parametrize("sentence, side", [
    ("According to the Thai authorities, 39 Thai workers were killed in the attack.", "Thailand"),
    ("Nepal's embassy said 10 Nepali students were killed.", "Nepal"),
])
def test_nationalities_beyond_the_two_wars_give_sides(sentence, side):
    assert one(sentence).side == side


@pytest.mark.parametrize("title, qualifier, value", [
    ("Death toll tops 5,000 as rescuers search the rubble", "at_least", 5000),
    ("Gaza death toll surpasses 10,000, health ministry says", "at_least", 10000),
    ("Number of people killed in the quake exceeds 2,300", "at_least", 2300),
    ("Death toll nears 24,000 in the enclave", "approx", 24000),
    ("Toll from the strikes crosses 300", "at_least", 300),
])
def test_headline_verbs_of_thresholds_are_qualifiers(title, qualifier, value):
    claim = one("", title=title)
    assert (claim.qualifier, claim.value) == (qualifier, value)


@pytest.mark.parametrize("sentence, claimant", [
    ("Additionally, the agency said nearly six million people had fled the country.", "agency"),
    ("On Sunday Kovalenko said four people were wounded in the town.", "Kovalenko"),
    ("Wednesday, the ministry said 40 people were killed.", "ministry"),
    ("Furthermore, the charity said 300 children were evacuated from the city.", "charity"),
])
def test_time_and_linking_words_are_no_part_of_a_claimant(sentence, claimant):
    assert one(sentence).claimant == claimant


def test_a_verb_and_its_object_make_no_claimant_phrase():
    claim = one("The secretary-general issued a statement Sunday saying 30 people were rescued.")
    assert claim.claimant is None or "statement" not in claim.claimant


@pytest.mark.parametrize("body, figures", [
    ("12 Jul 2022 18.05 Three people were killed in the strike, the regional governor said.", ["Three"]),
    ("3 Aug 2022 09.41 At least 12 people were wounded in the shelling, officials said.", ["At least 12"]),
    ("Officials said at 14.20 BST that nine people had died.", ["nine"]),
])
def test_live_blog_time_stamps_are_no_figures(body, figures):
    assert [c.stated for c in claims_of(body)] == figures


@pytest.mark.parametrize("sentence, claimant, side", [
    ("Two aid workers died in the east, CNN reported on Friday, citing a U.S. State Department spokesperson.",
     "U.S. State Department spokesperson", "United States"),
    ("Sixteen ships were damaged in the port, the Kyiv Independent reports, citing Ukraine's navy.",
     "Ukraine's navy", "Ukraine"),
    ("Citing Israeli officials, the newspaper said 20 people were killed.", "Israeli officials", "Israel"),
    ("Citing Russian officials, the broadcaster said 14 people were wounded.", "Russian officials", "Russia"),
])
def test_an_outlet_citing_a_source_passes_the_claim_on(sentence, claimant, side):
    claim = one(sentence)
    assert (claim.claimant, claim.side) == (claimant, side)


def test_a_speaker_citing_a_source_keeps_the_claim():
    claim = one("Ten people died in the blast, Zelensky said, citing intelligence reports.")
    assert claim.claimant == "Zelensky"


@pytest.mark.parametrize("sentence, claimant", [
    ("According to figures released by the Ukrainian health ministry, 300 children have been killed.",
     "Ukrainian health ministry"),
    ("At least 40 soldiers died, according to data compiled by the BBC Russian service.", "BBC Russian service"),
    ("According to a report by Human Rights Watch, 12 civilians were executed.", "Human Rights Watch"),
    ("Some 5,000 people fled, according to the latest estimates from the UN refugee agency.", "UN refugee agency"),
])
def test_a_source_document_gives_the_claim_to_its_author(sentence, claimant):
    assert one(sentence).claimant == claimant


@pytest.mark.parametrize("sentence, claimant", [
    ("The army had 125,000 troops, according to the International Institute for Strategic Studies.",
     "International Institute for Strategic Studies"),
    ("Some 600 displaced people share one shelter, according to the UN Office for the Coordination of "
     "Humanitarian Affairs.",
     "UN Office for the Coordination of Humanitarian Affairs"),
    ("According to U.S. officials, 20 soldiers were killed.", "U.S. officials"),
])
def test_the_words_of_an_organisation_name_are_not_a_persons_name(sentence, claimant):
    assert one(sentence).claimant == claimant


def test_a_chain_of_descriptions_leaves_the_speaker_named_first():
    claim = one("Mark Olsen, an expert on the militia with the Hudson Group, a think tank in Washington, DC, said it had "
                "3,000 fighters.")
    assert claim.claimant == "Mark Olsen" and claim.side != "United States"


@pytest.mark.parametrize("sentence", [
    "He laid the blame for the war, in which 9,000 people have been killed, at the feet of the United States.",
    "Envoys of Canada and the United States, which lost 12 soldiers in the raid, met in Rome.",
])
def test_a_verb_inside_a_name_is_no_verb(sentence):
    assert one(sentence).claimant is None


@pytest.mark.parametrize("body, claimant", [
    ("According to the UN, roads were damaged. The international agency estimates that about 100 trucks of aid "
     "were destroyed.", "UN"),
    ("Amnesty International said prisons were full. The organisation said 40 detainees had died in custody.",
     "Amnesty International"),
    ("The Red Cross said on Monday that access was blocked. The charity said 12 of its staff had been killed.",
     "Red Cross"),
])
def test_the_agency_or_organisation_is_the_last_organisation_that_spoke(body, claimant):
    assert one(body).claimant == claimant


@pytest.mark.parametrize("sentence, claimant", [
    ("The prosecutor's office said 287 children had died, after it said it had learned of 24 more deaths.",
     "prosecutor's office"),
    ("The army said 40 soldiers were wounded, and it added that 12 more had died.", "army"),
])
def test_a_pronoun_after_a_named_speaker_in_the_sentence_is_that_speaker(sentence, claimant):
    assert {c.claimant for c in claims_of(sentence)} == {claimant}


@pytest.mark.parametrize("sentence, side", [
    ("Turkey's defence ministry said eight missiles were intercepted.", "Turkey"),
    ("In the north, 20 rockets hit the village, Ukraine's northern military command said.", "Ukraine"),
    ("Israel's southern command said 30 rockets were intercepted.", "Israel"),
])
def test_compass_words_and_country_possessives_keep_the_side(sentence, side):
    assert one(sentence).side == side


@pytest.mark.parametrize("sentence, claimant", [
    ("A Twitter user claimed that 40,000 Russian soldiers had been killed in a single week.", "Twitter user"),
    ("Social media users have claimed 50 generals were killed.", "Social media users"),
    ("A Facebook page alleged that 12 tanks were destroyed.", "Facebook page"),
    ("An Instagram user wrote that 80 people were killed in the blast.", "Instagram user"),
    ("A viral video claims 300 soldiers died in the strike.", "viral video"),
    ("The caption of the clip reads: \"200 Ukrainian troops surrendered today\".", "caption of the clip"),
])
def test_fact_checked_posts_and_users_are_claimants_of_unknown_side(sentence, claimant):
    claim = one(sentence)
    assert (claim.claimant, claim.side) == (claimant, "unknown")


def test_a_fact_checker_citing_an_official_source_keeps_that_sources_side():
    claim = one("According to the Ukrainian military, 30 Russian generals have been killed since the invasion.")
    assert claim.side == "Ukraine"


@pytest.mark.parametrize("sentence, claimant", [
    ("The deaths of 12 civilians were confirmed by the regional governor of Kharkiv.", "regional governor of Kharkiv"),
    ("Four soldiers killed in the raid were identified by the Israeli army on Monday.", "Israeli army"),
    ("Nine people were killed, it was reported by state media.", "state media"),
])
def test_the_agent_of_a_passive_reporting_verb_is_the_claimant(sentence, claimant):
    assert one(sentence).claimant == claimant


def test_a_passive_agent_is_remembered_for_a_later_pronoun():
    body = ("The attack was reported by Mikhail Petrov, the head of the local administration. "
            "He said five people were injured.")
    assert one(body).claimant == "Mikhail Petrov"


@pytest.mark.parametrize("sentence, claimant", [
    ("Speaking to the BBC, Reznikov said up to 100 soldiers were killed a day.", "Reznikov"),
    ("Writing on Telegram, the governor said nine people were wounded.", "governor"),
    ("Talking to reporters, Kuleba said 40 civilians had died.", "Kuleba"),
])
def test_a_leading_participle_phrase_is_no_part_of_the_claimant(sentence, claimant):
    assert one(sentence).claimant == claimant


@pytest.mark.parametrize("sentence, claimant, side", [
    ("Ukraine has rejected Russian claims about the target, saying the attack killed 23 people.", "Ukraine", "Ukraine"),
    ("The Israeli military struck the camp on Tuesday, saying it killed 12 militants.", "Israeli military", "Israel"),
    ("Kovalenko repeated the claim on Sunday, adding that eight soldiers had been taken prisoner.", "Kovalenko",
     "unknown"),
])
def test_a_participle_after_a_comma_reports_for_the_sentence_subject(sentence, claimant, side):
    claim = one(sentence)
    assert (claim.claimant, claim.side) == (claimant, side)


def test_a_participle_after_a_named_speaker_keeps_that_speaker():
    claim = one("The mayor, Ivan Petrenko, had earlier said the convoy was late, adding that 200 civilians were killed.")
    assert claim.claimant == "Ivan Petrenko"


@pytest.mark.parametrize("sentence", [
    "Kyiv rejected Russian claims that 300 soldiers were killed.",
    "Officials dismissed Ukrainian reports that 40 tanks were destroyed.",
])
def test_a_reporting_word_after_a_nationality_adjective_is_a_noun(sentence):
    assert one(sentence).side != "Russia" or "Russian" not in (one(sentence).claimant or "")


@pytest.mark.parametrize("sentence", [
    "RT reported that 16 people were injured.",
    "Sixteen people were injured, Sputnik said.",
    "According to Forbes, 300 soldiers were killed.",
])
def test_more_outlets_are_media(sentence):
    assert one(sentence).side == "media"


@pytest.mark.parametrize("sentence, claimant, side", [
    ("Two aid workers died in the east, CNN reported, citing emergency services.", "CNN", "media"),
])
def test_an_outlet_citing_a_source_of_unknown_side_keeps_the_claim(sentence, claimant, side):
    claim = one(sentence)
    assert (claim.claimant, claim.side) == (claimant, side)


@pytest.mark.parametrize("sentence", [
    "Zelenskiy conceded that up to 100 soldiers were killed each day.",
    "The general stressed that 40 tanks had been destroyed.",
])
def test_more_reporting_verbs(sentence):
    assert one(sentence).claimant is not None


@pytest.mark.parametrize("body, claimant", [
    ("Moscow claims a strike killed 53 prisoners last week. Another 73 were injured.", "Moscow"),
    ("The agency said 81 people had been killed since midnight. A further 60 were believed to be dead.", "agency"),
    ("Kyiv said 14 soldiers were captured on Monday. An additional 9 were reported missing.", "Kyiv"),
])
def test_a_figure_that_adds_to_the_one_before_has_the_same_source(body, claimant):
    assert {c.claimant for c in claims_of(body)} == {claimant}


def test_a_figure_that_adds_to_an_unattributed_one_stays_unattributed():
    assert {c.claimant for c in claims_of("Shelling killed 12 people. Another 20 were wounded.")} == {None}


@pytest.mark.parametrize("body, claimant", [
    ("The losses were conceded by Zelenskiy in an interview. \"We are losing 100 soldiers a day,\" he said.",
     "Zelenskiy"),
    ("The deaths were acknowledged by Kovalenko in a statement. He said 12 people had been killed.", "Kovalenko"),
])
def test_a_passive_agent_named_in_a_sentence_without_figures_is_remembered(body, claimant):
    assert one(body).claimant == claimant


@pytest.mark.parametrize("sentence", [
    "Seven people have been killed in a fire at the plant, according to reports.",
    "Officials traded blame over the blast, which reports said killed as many as 500 people.",
    "Unconfirmed reports said 30 soldiers had been captured.",
])
def test_unnamed_reports_are_a_claimant_of_side_media(sentence):
    claim = one(sentence)
    assert claim.claimant.lower().endswith("reports") and claim.side == "media"


@pytest.mark.parametrize("title, claimant", [
    ("Seven die in fire at defence institute – reports", "reports"),
    ("Rocket strike kills 12 in Kharkiv - officials", "officials"),
    ("Twelve killed in strike on market — Zelensky", "Zelensky"),
    ("Dozens killed in air strike on refugee camp: medical official", "medical official"),
])
def test_a_source_after_a_dash_ends_a_headline(title, claimant):
    assert one("", title=title).claimant == claimant


def test_a_headline_topic_before_a_colon_is_no_source():
    assert one("", title="Ukraine war: 40 soldiers killed in strike on base").claimant is None


@pytest.mark.parametrize("sentence", [
    "Three soldiers were killed - a grim toll.",
    "According to the latest figures, 40 people died.",
    "A new analysis found that 40 people died.",
])
def test_a_source_naming_nobody_leaves_the_outlets_voice(sentence):
    assert one(sentence).claimant is None


@pytest.mark.parametrize("sentence, claimant", [
    ("RIA quoted a railway spokesperson, Ivan Petrov, as saying that 12 workers had been injured.", "Ivan Petrov"),
    ("The agency quoted the governor as saying 30 people were wounded.", "governor"),
    ("\"We confirm seven deaths,\" Tass cited the source as saying.", "source"),
])
def test_the_one_quoted_as_saying_is_the_claimant(sentence, claimant):
    assert one(sentence).claimant == claimant


@pytest.mark.parametrize("sentence, claimants", [
    ("Officials first counted three dead but Interfax said the toll had risen to nine.", {"Officials", "Interfax"}),
    ("Russia claimed 40 soldiers were killed but Ukraine said 12 were captured.", {"Russia", "Ukraine"}),
])
def test_but_ends_a_claimant_phrase(sentence, claimants):
    assert {c.claimant for c in claims_of(sentence)} == claimants


@pytest.mark.parametrize("sentence, metric", [
    ("The governor said Russia is keeping 170 people captive in the region.", "prisoners"),
    ("The governor said two guards were killed at the depot.", "deaths"),
])
def test_more_cues_and_subjects(sentence, metric):
    assert one(sentence).metric == metric


@pytest.mark.parametrize("body, side", [
    ("The interview was given by Vadym Kovalenko, Ukraine's deputy head of military intelligence. "
     "Kovalenko said 87 soldiers were killed.", "Ukraine"),
    ("Several leaders, notably South Africa's president, Cyril Ramaphosa, spoke. Ramaphosa said 40 people died.",
     "South Africa"),
    ("The strike was reported by Mikhail Orlov, the head of the Russian-installed administration. "
     "Orlov said five people were injured.", "Russia"),
])
def test_a_person_keeps_the_side_of_their_introduction(body, side):
    assert one(body).side == side


@pytest.mark.parametrize("sentence", [
    "Mark Olsen, an expert on Hezbollah with a think tank, said the group had 3,000 fighters.",
    "A military analyst at a Kyiv university said 20,000 Russian soldiers had been killed.",
])
def test_experts_and_analysts_are_independent_whatever_they_study(sentence):
    assert one(sentence).side == "independent"


@pytest.mark.parametrize("sentence, claimant, side", [
    ("A police station was hit, wounding 20 officers, according to special forces colonel Ivan Petrenko.",
     "Ivan Petrenko", "unknown"),
    ("Five soldiers were returned, according to the Ukrainian defence ministry's intelligence directorate.",
     "Ukrainian defence ministry's intelligence directorate", "Ukraine"),
    ("The UN high commissioner for refugees reports that more than 3.7 million people have fled.",
     "UN high commissioner for refugees", "United Nations"),
    ("\"Three of them were killed,\" al-Kahlout said.", "al-Kahlout", "unknown"),
    ("Several have been arrested, according to community members.", "community members", "unknown"),
])
def test_ranks_units_members_particle_names_and_known_bodies_make_claimant_phrases(sentence, claimant, side):
    claim = one(sentence)
    assert (claim.claimant, claim.side) == (claimant, side)


@pytest.mark.parametrize("body, claimant, side", [
    ("The panic followed calls for calm from the governor, Anton Petrov, on Saturday. He said two vessels were sunk.",
     "Anton Petrov", "unknown"),
    ("Pakistan's caretaker Interior Minister Sarfraz Khan, the top official on the matter, visited the border. "
     "Last week, he told parliament more than 300,000 Afghans had left the country.", "Sarfraz Khan", "Pakistan"),
])
def test_he_refers_to_a_person_named_just_before_outside_any_frame(body, claimant, side):
    claim = one(body)
    assert (claim.claimant, claim.side) == (claimant, side)


def test_he_with_nobody_named_before_stays_unresolved():
    assert one("He said 40 soldiers were wounded.").side == "unknown"


def test_a_country_that_acts_is_not_where_a_local_office_serves():
    body = "Missiles fired by Russia hit the port overnight.\nThe regional governor said 12 people were killed."
    assert one(body).side == "unknown"


@pytest.mark.parametrize("sentence, claimant", [
    ("Western intelligence agencies believe about 20,000 Russian soldiers have been killed.",
     "Western intelligence agencies"),
    ("Pentagon officials now reckon that at least 7,000 Russian troops have died.", "Pentagon officials"),
    ("The regional governor reckons 40 civilians were killed in the shelling.", "regional governor"),
    ("Ukrainian officials believe that more than 300 people died when the dam burst.", "Ukrainian officials"),
])
def test_believe_and_reckon_report_a_figure(sentence, claimant):
    assert one(sentence).claimant == claimant


@pytest.mark.parametrize("sentence", [
    "The militia is believed to hold tens of thousands of rockets.",
    "The group, which is reckoned to field 5,000 fighters, denied the report.",
])
def test_a_passive_belief_names_no_claimant(sentence):
    assert one(sentence).claimant is None


@pytest.mark.parametrize("sentence, claimant", [
    ("Rights groups say at least 45 protesters have been killed since September.", "Rights groups"),
    ("Humanitarian groups said 300 people died in the floods.", "Humanitarian groups"),
    ("According to aid groups, 1,200 families have fled the town.", "aid groups"),
])
def test_groups_can_head_a_claimant_phrase(sentence, claimant):
    assert one(sentence).claimant == claimant

