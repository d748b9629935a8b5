"""Claimant entities: one name for every way the text names a claimant (claims-spec.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from figures.entities import entity_rows, resolve, rewrites, valid_sides
from figures.extract import extract_claims
from figures.lexicon import read_table
from figures.model import Document
from figures.store import Store
from tests.conftest import fake_extract


def _doc(text: str, title: str = "Dispatch") -> Document:
    return Document(id="d.txt", text=text, title=title, published=dt.date(2023, 11, 10))


def _entities(text: str, title: str = "Dispatch") -> list[tuple[str | None, str]]:
    return [(c.claimant_entity, c.side) for c in extract_claims(_doc(text, title)) if c.metric == "deaths"]


def test_every_entity_row_compiles_and_names_a_valid_side() -> None:
    rows = read_table("entities.csv")
    assert rows and len(entity_rows()) == len(rows)
    for row in rows:
        re.compile(row["pattern"])
        if row.get("context"):
            re.compile(row["context"])
        assert row["side"] in valid_sides(), row
        assert row["entity"].strip() == row["entity"] and row["entity"]
        assert (row.get("scope") or "document") in ("document", "sentence"), row
    for row in read_table("entity_rewrites.csv"):
        re.compile(row["pattern"])
    assert len(rewrites()) == len(read_table("entity_rewrites.csv"))
    for row in read_table("entity_words.csv"):
        assert row["role"] in ("beside", "national"), row


GAZA_NAMES = [
    "Gaza's health ministry", "Gaza’s health ministry", "GAZA'S HEALTH MINISTRY", "the health ministry in Gaza",
    "the Ministry of Health in Gaza", "Gaza’s Ministry of Health", "the Gaza health ministry",
    "the Hamas-run health ministry", "Gaza's Health Ministry",
]


@pytest.mark.parametrize("name", GAZA_NAMES)
def test_the_gaza_health_ministry_is_one_entity_with_one_side(name: str) -> None:
    for side in ("Hamas", "Palestine", "unknown"):
        assert resolve(name, side) == ("Gaza health ministry", "Hamas")


def test_enclave_and_bare_ministry_need_gaza_in_the_article() -> None:
    gaza = "Strikes hit the Gaza Strip again. The enclave's health ministry said 40 people were killed."
    assert _entities(gaza) == [("Gaza health ministry", "Hamas")]
    elsewhere = "Floods hit the coast. The enclave's health ministry said 40 people were killed."
    assert _entities(elsewhere)[0][0] != "Gaza health ministry"
    named = ("Gaza's health ministry put the toll at 9,000 on Monday. "
             "The health ministry later said 9,200 people had been killed in the strip.")
    assert {entity for entity, _ in _entities(named)} == {"Gaza health ministry"}


def test_in_extraction_every_phrasing_gives_one_entity() -> None:
    sentences = [
        "At least 1,100 people have been killed, Gaza's health ministry said.",
        "At least 1,200 people have been killed, the health ministry in Gaza said.",
        "At least 1,300 people have been killed, according to the Ministry of Health in Gaza.",
        "The Hamas-run health ministry said 1,400 people had been killed in Gaza.",
        "The Palestinian health ministry said 1,500 people had been killed in Gaza.",
    ]
    found = {pair for sentence in sentences for pair in _entities(sentence, "Gaza dispatch")}
    assert found == {("Gaza health ministry", "Hamas")}


def test_the_west_bank_ministry_is_not_gazas() -> None:
    sentence = ("The Palestinian health ministry, which sits in the West Bank city of Ramallah, said 12 people "
                "were killed in Gaza.")
    assert _entities(sentence) != [("Gaza health ministry", "Hamas")]


@pytest.mark.parametrize("name", ["President Volodymyr Zelenskyy", "Zelenskiy", "Volodymyr Zelensky",
                                  "the Ukrainian president", "Ukraine's president", "Ukrainian President Volodymyr "
                                  "Zelensky", "ZELENSKY"])
def test_zelensky_by_every_name(name: str) -> None:
    assert resolve(name, "Ukraine")[0] == "Volodymyr Zelensky"


def test_someone_named_with_a_known_name_is_not_them() -> None:
    assert resolve("an adviser to Volodymyr Zelensky", "Ukraine")[0] != "Volodymyr Zelensky"
    assert resolve("Zelensky's office", "Ukraine")[0] != "Volodymyr Zelensky"
    assert resolve("Pentagon officials", "United States")[0] == "Pentagon"


def test_a_countrys_officials_are_the_country() -> None:
    for name, side in (("Ukrainian officials", "Ukraine"), ("officials", "Ukraine"), ("Ukraine", "Ukraine"),
                       ("the Ukrainian authorities", "Ukraine"), ("Ukraine officials", "Ukraine")):
        assert resolve(name, side) == ("Ukraine", "Ukraine"), name
    assert resolve("officials", "media")[0] == "Officials"


def test_a_bare_body_takes_its_country_and_word_order_does_not_matter() -> None:
    for name in ("Russia's defence ministry", "the Russian Ministry of Defence", "Russian defence ministry",
                 "the defence ministry", "the Russian MoD"):
        assert resolve(name, "Russia")[0] == "Russian defence ministry", name
    assert resolve("Kharkiv's regional military administration", "Ukraine")[0] == resolve(
        "the regional military administration in Kharkiv", "Ukraine")[0] == "Kharkiv regional military administration"


def test_unknown_claimants_get_a_normal_form_of_their_own_text() -> None:
    forms = {resolve(name, "unknown")[0] for name in
             ("the Coastal Rescue League", "Coastal Rescue League", "“Coastal Rescue League”", "the Coastal Rescue League,")}
    assert forms == {"Coastal Rescue League"}
    assert resolve("the city's authorities", "Ukraine")[0] == resolve("the city’s Authorities", "Ukraine")[0]
    assert resolve(None, "media") == (None, "media")
    assert resolve("  ", "media") == (None, "media")


def test_media_outlets_by_their_short_names() -> None:
    assert resolve("AP", "media") == resolve("The Associated Press", "media") == ("Associated Press", "media")


def test_store_keeps_and_reextract_fills_entities(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    text = "At least 30 people were killed, the health ministry in Gaza said on Monday."
    with Store(url, extractor=fake_extract, extractor_version="old") as store:
        store.ingest_documents([Document(id="g.txt", text=text, title="Gaza", published=dt.date(2023, 11, 6))])
        assert store.claims_frame().claimant_entity.isna().all()  # the fake extractor names no claimant
    with Store(url) as store:
        report = store.reextract()
        assert not report.errors
        frame = store.claims_frame()
        assert list(frame.claimant_entity) == ["Gaza health ministry"]
        assert list(frame.side) == ["Hamas"]
        assert store.facet_values("claimant_entity") == ["Gaza health ministry"]
        claim_id = int(frame.claim_id.iloc[0])
        store.add_correction(claim_id, "edit", "claimant", "Ukrainian officials", user="ed")
        store.add_correction(claim_id, "edit", "side", "Ukraine", user="ed")
        assert store.get_claim(claim_id)["claimant_entity"] == "Ukraine"


def test_curators_merge_and_rename_entities_and_reextract_keeps_it(tmp_path) -> None:
    from figures import store_schema

    assert store_schema.merge_map([("a", "b"), ("b", "c")]) == {"a": "c", "b": "c"}
    assert store_schema.merge_map([("a", "b"), ("b", "a")]) == {"b": "a"}
    url = f"sqlite:///{tmp_path / 'm.db'}"
    texts = {"k.txt": "At least 12 people were killed, the Kharkiv regional administration said.",
             "o.txt": "At least 14 people were killed, Oleh Synehubov said."}
    with Store(url) as store:
        store.ingest_documents([Document(id=name, text=text, title="Kharkiv", published=dt.date(2022, 5, 2))
                                for name, text in texts.items()])
        entities = set(store.claims_frame().claimant_entity)
        assert entities == {"Kharkiv regional administration", "Oleh Synehubov"}
        assert store.merge_entities("Kharkiv regional administration", "Oleh Synehubov", user="cur") == 1
        assert set(store.claims_frame().claimant_entity) == {"Oleh Synehubov"}
        assert store.merge_entities("Oleh Synehubov", "Kharkiv governor", user="cur") == 2  # a rename
        log = store.entity_merges_frame()
        assert list(log.source) == ["Kharkiv regional administration", "Oleh Synehubov"]
        assert set(log.user) == {"cur"}
        store.reextract()
        assert set(store.claims_frame().claimant_entity) == {"Kharkiv governor"}
        # the merge is data the next extraction uses
        store.ingest_documents([Document(id="n.txt", text="Oleh Synehubov said 3 people were killed.",
                                         title="Later", published=dt.date(2022, 5, 9))])
        assert set(store.claims_frame().claimant_entity) == {"Kharkiv governor"}
        claim_id = int(store.claims_frame().claim_id.iloc[0])
        store.add_correction(claim_id, "edit", "value", 13, user="ed")
        assert store.get_claim(claim_id)["claimant_entity"] == "Kharkiv governor"
        with pytest.raises(ValueError):
            store.merge_entities("", "x")


def test_mention_groups_key_on_the_entity(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    texts = {"a.txt": "At least 9,000 people have been killed, Gaza's health ministry said.",
             "b.txt": "At least 9,000 people have been killed, according to the Ministry of Health in Gaza.",
             "c.txt": "At least 9,000 people have been killed, Israeli officials said."}
    with Store(url) as store:
        store.ingest_documents([Document(id=name, text=text, title="Toll", published=dt.date(2023, 11, 6))
                                for name, text in texts.items()])
        frame = store.claims_frame().set_index("doc_id")
        assert frame.loc["a.txt", "claimant"] != frame.loc["b.txt", "claimant"]
        assert frame.loc["a.txt", "mention_group"] == frame.loc["b.txt", "mention_group"]
        assert frame.loc["c.txt", "mention_group"] != frame.loc["a.txt", "mention_group"]


def test_mentions_link_within_half_a_percent_and_a_few_days(tmp_path) -> None:
    from figures.store_schema import mention_clusters

    day = dt.date(2023, 11, 6)
    rows = [(1, 10000.0, day), (2, 10040.0, day + dt.timedelta(days=2)), (3, 10200.0, day),
            (4, 10000.0, day + dt.timedelta(days=9)), (5, 10000.0, None)]
    assert sorted(sorted(c) for c in mention_clusters(rows)) == [[1, 2], [3], [4], [5]]
    url = f"sqlite:///{tmp_path / 'l.db'}"
    texts = [("a.txt", "At least 10,000 people have been killed, Gaza's health ministry said.", day),
             ("b.txt", "About 10,022 people have been killed, the health ministry in Gaza said.", day + dt.timedelta(days=3)),
             ("c.txt", "At least 10,000 people have now been killed, Gaza's health ministry said.", day + dt.timedelta(days=8))]
    for bulk in (False, True):
        with Store(f"{url}{int(bulk)}") as store:
            documents = [Document(id=name, text=text, title="Toll", published=when) for name, text, when in texts]
            if bulk:
                store.bulk_load_claims([c for d in documents for c in extract_claims(d)], documents)
            else:
                store.ingest_documents(documents)
            frame = store.claims_frame().set_index("doc_id")
            assert frame.loc["a.txt", "mention_group"] == frame.loc["b.txt", "mention_group"]
            assert frame.loc["c.txt", "mention_group"] != frame.loc["a.txt", "mention_group"]
