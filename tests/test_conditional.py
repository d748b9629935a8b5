"""Conditional figures (claims-spec.md): hypothetical, conditional, planned or historical figures
are marked, facts are not; on sentences written for these tests."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from figures.conditional import cue_table, is_conditional
from figures.extract import extract_claims
from figures.lexicon import read_table
from figures.model import Document

PUBLISHED = dt.date(2023, 11, 20)


def flags(sentence: str, published: dt.date | None = PUBLISHED) -> dict[str, bool]:
    claims = extract_claims(Document(id="c.txt", text=sentence, published=published))
    return {claim.stated: claim.conditional for claim in claims}


def figure(sentence: str, number: str, published: dt.date | None = PUBLISHED) -> bool:
    start = sentence.index(number)
    return is_conditional(sentence, start, start + len(number), published)


@pytest.mark.parametrize("sentence, number", [
    # modal verbs, before or after the figure
    ("Doctors warned that the outbreak could kill 3,000 people in the camps.", "3,000"),
    ("Aid groups said 3,000 people could die of hunger by spring.", "3,000"),
    ("Residents may have to evacuate 40,000 homes if the dam fails.", "40,000"),
    ("Officials said a further 150 hostages would be freed under the deal.", "150"),
    ("The ministry said 2,000 more troops might be sent to the border.", "2,000"),
    ("Up to 500,000 people are expected to flee the region this winter.", "500,000"),
    # if-clauses
    ("If the truce collapses, 10,000 families will lose their shelter.", "10,000"),
    ("Planners said that if 20,000 soldiers were sent, the line would hold.", "20,000"),
    # plans and targets
    ("The army aims to recruit 300,000 new soldiers next year.", "300,000"),
    ("Moscow plans to mobilise another 150,000 reservists.", "150,000"),
    ("The government set a target of 50,000 evacuated by Friday.", "50,000"),
    # historical analogies outside the story
    ("He compared the siege to the famine of 1932, which killed millions of Ukrainians.", "millions"),
    ("Like the Holodomor, which killed millions, the blockade targets civilians, she said.", "millions"),
    ("Between 1941 and 1944 the siege killed 800,000 residents of the city.", "800,000"),
])
def test_hypothetical_planned_and_historical_figures_are_conditional(sentence: str, number: str) -> None:
    assert figure(sentence, number)


@pytest.mark.parametrize("sentence, number", [
    ("At least 40 people were killed in the strike, officials said.", "40"),
    ("Police could not confirm that 12 people had died.", "12"),
    ("As many as 300 soldiers may have been killed in the assault.", "300"),
    ("Officials could confirm 25 deaths by the evening.", "25"),
    ("It was the deadliest day since 1973, with 1,400 people killed.", "1,400"),
    ("The group will kill one of the 130 hostages it holds, it warned.", "130"),
    ("Russia could face new sanctions after it killed 12 civilians in the strike.", "12"),
    ("Rescuers said on 9 May that 60 people had died.", "60"),
    ("The army said it had lost 1605 tanks and 405 aircraft.", "405"),
    ("The war of 2008 displaced many, but this year 26,000 have fled, the agency said.", "26,000"),
])
def test_statements_of_what_happened_are_not_conditional(sentence: str, number: str) -> None:
    assert not figure(sentence, number)


def test_the_flag_reaches_the_claims_and_the_rest_of_the_claim_is_kept() -> None:
    found = flags("Officials said 40 people were killed on Monday and warned that disease could kill 2,000 more.")
    assert found == {"40": False, "2,000": True}
    claims = extract_claims(Document(id="c.txt", text="The army plans to mobilise 300,000 reservists.",
                                     published=PUBLISHED))
    assert [(c.metric, c.value, c.conditional) for c in claims] == [("mobilised", 300000.0, True)]


def test_a_year_counts_as_history_against_the_publication_date() -> None:
    sentence = "The floods of 2010 killed 1,800 people in the province."
    assert figure(sentence, "1,800", dt.date(2031, 1, 1))
    assert not figure(sentence, "1,800", dt.date(2011, 1, 1))


def test_the_cue_table_is_well_formed() -> None:
    kinds = {"modal", "plan", "if", "history", "not_after", "not_after_if", "break"}
    rows = read_table("conditional.csv")
    assert rows and {row["kind"] for row in rows} == kinds
    for row in rows:
        assert row["phrase"] == row["phrase"].strip().lower() and row["phrase"], row
        re.compile(re.escape(row["phrase"]))
    assert set(cue_table()) == kinds
