"""Claim dates from the phrases the fast path leaves to dateparser (claims-spec.md, "Dates"):
counts of days back and numeric dates, on sentences written for these tests."""

import datetime as dt

import pytest

from figures import dates
from figures.extract import extract_claims
from figures.model import Document

PUBLISHED = dt.date(2023, 3, 15)  # a Wednesday


def claim_of(sentence: str, published: dt.date | None = PUBLISHED):
    found = [c for c in extract_claims(Document(id="t.txt", text=sentence, published=published)) if c.value == 12]
    assert len(found) == 1, [(c.stated, c.metric) for c in found]
    return found[0]


def resolved(text: str, published: dt.date | None = PUBLISHED):
    found = dates.find_date_phrases(text)
    assert len(found) == 1, [m.group(0) for m in found]
    return dates.resolve(found[0], published)


@pytest.mark.parametrize(
    "sentence, expected, basis",
    [
        ("Police said two days ago that 12 people were killed.", dt.date(2023, 3, 13), "relative"),
        ("Police said 3 days ago that 12 people were killed.", dt.date(2023, 3, 12), "relative"),
        ("Police said a day ago that 12 people were killed.", dt.date(2023, 3, 14), "relative"),
        ("Police said the day before yesterday that 12 people were killed.", dt.date(2023, 3, 13), "relative"),
        ("Police said on 24/02/2023 that 12 people were killed.", dt.date(2023, 2, 24), "stated"),
        ("Police said on 24.02.2023 that 12 people were killed.", dt.date(2023, 2, 24), "stated"),
        ("Police said on 2023/02/24 that 12 people were killed.", dt.date(2023, 2, 24), "stated"),
        ("As of 10.03.2023, police had counted 12 people killed.", dt.date(2023, 3, 10), "stated"),
        # a date of the event, not of the statement, leaves the claim date alone
        ("Police said 12 people were killed in a strike two days ago.", PUBLISHED, "published"),
        ("Police said 12 people were killed in a strike on 01.03.2023.", PUBLISHED, "published"),
        # a count of days back opening the sentence dates the statement, as 'On Sunday,' does
        ("Two days ago, police said 12 people were killed.", dt.date(2023, 3, 13), "relative"),
        ("The day before yesterday, police said 12 people were killed.", dt.date(2023, 3, 13), "relative"),
    ],
)
def test_dateparser_phrases_date_the_statement(sentence, expected, basis):
    claim = claim_of(sentence)
    assert (claim.date, claim.date_basis) == (expected, basis)


@pytest.mark.parametrize(
    "sentence",
    [
        "Police said a week ago that 12 people were killed.",
        "Police said two weeks ago that 12 people were killed.",
        "Police said a few days ago that 12 people were killed.",
        "Police said more than three days ago that 12 people were killed.",
        "Police said last week that 12 people were killed.",  # the same rule, from attribution
    ],
)
def test_phrases_naming_no_single_day_give_an_unknown_date(sentence):
    claim = claim_of(sentence)
    assert (claim.date, claim.date_basis) == (None, "unknown")


def test_without_publication_date_relative_phrases_are_unknown():
    claim = claim_of("Police said two days ago that 12 people were killed.", published=None)
    assert (claim.date, claim.date_basis) == (None, "unknown")
    stated = claim_of("Police said on 24.02.2023 that 12 people were killed.", published=None)
    assert (stated.date, stated.date_basis) == (dt.date(2023, 2, 24), "stated")
    assert resolved("the day before yesterday", None) == (None, "unknown")


def test_day_and_month_order_is_never_guessed():
    assert resolved("on 24/02/2023") == (dt.date(2023, 2, 24), "stated")  # only one valid reading
    assert resolved("on 02/24/2023") == (dt.date(2023, 2, 24), "stated")
    assert resolved("on 05.03.2023") == (dt.date(2023, 3, 5), "stated")  # dots: day first
    # 5 March or 3 May: only 5 March is not after publication
    assert resolved("on 05/03/2023") == (dt.date(2023, 3, 5), "stated")
    assert resolved("on 03/05/2023") == (dt.date(2023, 3, 5), "stated")
    # 4 February or 2 April... both before publication: no date rather than a guess
    assert resolved("on 04/02/2023", dt.date(2023, 6, 1)) == (None, "unknown")
    assert resolved("on 04/02/2023", None) == (None, "unknown")
    assert resolved("on 31/31/2023") == (None, "unknown")


@pytest.mark.parametrize(
    "text",
    ["at 10.30 local time", "the match ended 3-1", "a 2.5% rise", "version 1.2.3", "between 10-12 March",
     "10.30.2023x", "1.05.2023.7", "a share price of 45-1.44", "in 2023", "days later"],
)
def test_times_scores_and_decimals_are_not_dates(text):
    rare = dates.RARE_DATE_PHRASE.pattern
    assert [m.group(0) for m in dates.find_date_phrases(text) if m.re.pattern == rare] == []


def test_a_time_next_to_the_verb_leaves_the_publication_date():
    claim = claim_of("Police said at 10.30 that 12 people were killed.")
    assert (claim.date, claim.date_basis) == (PUBLISHED, "published")


def test_repeated_phrases_resolve_against_their_own_publication_date():
    """dateparser's answers are cached: a phrase seen before, in words or digits, still
    resolves against the publication date of the article it is in."""
    for published, expected in ((dt.date(2021, 7, 9), dt.date(2021, 7, 5)), (dt.date(2021, 8, 2), dt.date(2021, 7, 29)),
                                (dt.date(2021, 7, 9), dt.date(2021, 7, 5))):
        assert resolved("said four days ago", published) == (expected, "relative")
        assert resolved("said 4 days ago", published) == (expected, "relative")
    assert resolved("on 24.02.2021", dt.date(2021, 7, 9)) == (dt.date(2021, 2, 24), "stated")
    assert resolved("on 24.02.2021", None) == (dt.date(2021, 2, 24), "stated")  # the year is in the phrase
    assert resolved("said four days ago", None) == (None, "unknown")


def test_the_cheap_gates_let_every_new_kind_through():
    for text in ("two days ago", "A week ago", "Days ago", "the day before yesterday", "Day before yesterday",
                 "24.02.2023", "2023/02/24", "24-02-2023"):
        assert [m.group(0) for m in dates.find_date_phrases(text)] == [text.lower()]
    assert dates.find_date_phrases("Police counted the dead.") == []


def test_overlapping_phrases_keep_the_longest_from_the_left():
    found = dates.find_date_phrases("He said the day before yesterday, on Monday, that two days ago 12 died.")
    assert [m.group(0) for m in found] == ["the day before yesterday", "on monday", "two days ago"]


def test_dateparser_is_imported_only_when_a_phrase_needs_it():
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys, datetime as dt\n"
        "from figures.extract import extract_claims\n"
        "from figures.model import Document\n"
        "def run(text):\n"
        "    extract_claims(Document(id='t.txt', text=text, published=dt.date(2023, 3, 15)))\n"
        "    return 'dateparser' in sys.modules\n"
        "print(run('Police said on Monday that 12 people were killed.'),"
        " run('Police said two days ago that 12 people were killed.'))\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, env={"PYTHONPATH": str(root)},
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


@pytest.mark.parametrize(
    "sentence, expected, basis",
    [
        ("Police said on Mar.13 that 12 people were killed.", dt.date(2023, 3, 13), "stated"),
        ("Police said in a Feb.28 statement that 12 people were killed.", dt.date(2023, 2, 28), "stated"),
        ("Police said on Sept.30, 2022 that 12 people were killed.", dt.date(2022, 9, 30), "stated"),
        ("Police said five hours ago that 12 people were killed.", PUBLISHED, "relative"),
        ("Police said 30 hours ago that 12 people were killed.", dt.date(2023, 3, 14), "relative"),
    ],
)
def test_glued_months_and_hours_ago_go_to_dateparser(sentence, expected, basis):
    claim = claim_of(sentence)
    assert (claim.date, claim.date_basis) == (expected, basis)


def test_a_glued_month_without_year_is_the_last_one_before_publication():
    claim = claim_of("Police said on Nov.20 that 12 people were killed.")  # published in March 2023
    assert (claim.date, claim.date_basis) == (dt.date(2022, 11, 20), "stated")


def test_the_dateparser_path_is_counted():
    dates.reset_dateparser_counts()
    claim_of("Police said two days ago that 12 people were killed.")
    claim_of("Police said a week ago that 12 people were killed.")
    claim_of("Police said on Mar.13 that 12 people were killed.")
    claim_of("Police said on Monday that 12 people were killed.")  # the fast path: not counted
    counts = dates.dateparser_counts()
    assert counts["ago: resolved"] == 1 and counts["ago: no day"] == 1 and counts["glued: resolved"] == 1
    assert counts["dateparser calls (cache misses)"] == 2
    dates.reset_dateparser_counts()
    assert dates.dateparser_counts() == {"dateparser calls (cache misses)": 0}
