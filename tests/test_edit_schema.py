"""One edit schema (figures.edit_schema) for the store and the dashboard's edit form."""

from __future__ import annotations

import datetime as dt

import pytest

from figures import views
from figures.edit_schema import CHOICES, EDITABLE_FIELDS, FORM_FIELDS, parse_edit
from figures.model import DATE_BASES, Document
from figures.store import Store
from tests.conftest import fake_extract


def test_the_form_shows_editable_fields_only() -> None:
    assert set(FORM_FIELDS) <= set(EDITABLE_FIELDS) and views.EDITABLE_FIELDS == FORM_FIELDS


@pytest.mark.parametrize(("name", "typed", "text"), [
    ("value", 5840.0, " 5,840 "), ("low", None, ""), ("high", 12.5, "12.5"), ("date", dt.date(2022, 3, 1), "2022-03-01"),
    ("date", None, "  "), ("qualifier", "at_least", "at_least"), ("date_basis", "stated", " stated"),
    ("period", None, ""), ("claimant", None, "   "), ("location", "Kharkiv", " Kharkiv "), ("conditional", True, "yes"),
])
def test_text_from_the_form_reads_as_the_typed_value(name: str, typed, text: str) -> None:
    assert parse_edit(name, text) == typed
    assert parse_edit(name, typed) == typed


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("value", "many", "value must be a number"), ("value", "", "value cannot be empty"),
    ("date", "1 March", "date must be YYYY-MM-DD"), ("qualifier", "lots", "qualifier must be one of"),
    ("date_basis", "guessed", "date_basis must be one of"), ("date_basis", "", "date_basis cannot be empty"),
    ("metric", "vibes", "metric must be one of"), ("subject", " ", "subject cannot be empty"),
    ("quote", "x", "quote cannot be edited"),
])
def test_invalid_edits_are_refused_with_a_readable_message(name: str, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_edit(name, raw)


def test_every_date_basis_of_the_spec_is_a_choice() -> None:
    assert CHOICES["date_basis"] == DATE_BASES
    assert [parse_edit("date_basis", basis) for basis in DATE_BASES] == list(DATE_BASES)


def test_the_store_reads_an_edit_as_the_form_does(tmp_path) -> None:
    document = Document(id="e1", text="Officials said 12 soldiers were killed.", published=dt.date(2022, 3, 1))
    with Store(f"sqlite:///{tmp_path / 'e.db'}", extractor=fake_extract, extractor_version="t") as store:
        store.ingest_documents([document])
        claim_id = int(store.claims_frame().claim_id.iloc[0])
        assert store.edit_claim(claim_id, {"value": "1,200", "date": "2022-02-27", "date_basis": "stated"}) == \
            ["value", "date", "date_basis"]
        claim = store.get_claim(claim_id)
        assert (claim["value"], claim["date"], claim["date_basis"]) == (1200.0, dt.date(2022, 2, 27), "stated")
        with pytest.raises(ValueError, match="date_basis must be one of"):
            store.edit_claim(claim_id, {"date_basis": "guessed"})
        assert store.get_claim(claim_id)["date_basis"] == "stated"
