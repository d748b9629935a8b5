"""compare-facts: extracted series against a table of published figures.

The corpus in tests/fixtures/facts_corpus restates real figures (OHCHR civilian tolls and
Ukraine's General Staff totals of Aug-Oct 2022) in our own words; FACTS below are the
matching rows of ../shared/facts/ukraine_war_figures.csv, copied by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from figures import compare
from figures.cli import main

CORPUS = Path(__file__).parent / "fixtures" / "facts_corpus"
HEADER = "date,claimant,side,metric,subject,item,value,low,high,qualifier,period,location,source_url,source_note"
OHCHR = "OHCHR,United Nations"
STAFF = "General Staff of the Armed Forces of Ukraine,Ukraine"
FACTS = f"""{HEADER}
2022-03-04,{OHCHR},deaths,civilians,,331,,,exact,,Ukraine,,before the corpus
2022-08-02,{OHCHR},deaths,civilians,,5327,,,exact,,Ukraine,,
2022-08-29,{OHCHR},deaths,civilians,,5663,,,exact,,Ukraine,,
2022-09-12,{OHCHR},deaths,civilians,,5827,,,exact,,Ukraine,,
2022-10-03,{OHCHR},deaths,civilians,,6114,,,exact,,Ukraine,,
2022-10-03,{OHCHR},deaths,civilians,,299,,,exact,month,Ukraine,,
2022-08-02,{OHCHR},injuries,civilians,,7257,,,exact,,Ukraine,,
2022-08-29,{OHCHR},injuries,civilians,,8055,,,exact,,Ukraine,,
2022-08-01,{STAFF},deaths,Russian military,,41030,,,approx,,Ukraine,,
2022-08-15,{STAFF},deaths,Russian military,,43750,,,approx,,Ukraine,,
2022-09-01,{STAFF},deaths,Russian military,,48350,,,approx,,Ukraine,,
2022-08-01,{STAFF},equipment,Russian military,tanks,1768,,,exact,,Ukraine,,
2022-09-01,{STAFF},equipment,Russian military,tanks,1997,,,exact,,Ukraine,,
"""

# series label: (reference days, covered, share within 10%, share within 0.5%)
EXPECTED = {
    "OHCHR · deaths · civilians · running total": (4, 3, 1.0, 2 / 3),  # 12 Sep: nearest claim 4 days off
    "OHCHR · deaths · civilians · month": (1, 1, 1.0, 1.0),
    "OHCHR · injuries · civilians · running total": (2, 2, 1.0, 1.0),
    f"{STAFF.split(',')[0]} · deaths · Russian military · running total": (3, 3, 2 / 3, 2 / 3),
    f"{STAFF.split(',')[0]} · equipment · Russian military · tanks · running total": (2, 1, 1.0, 1.0),
    "all series": (12, 10, 0.9, 0.8),
}


@pytest.fixture
def facts_csv(tmp_path: Path) -> Path:
    path = tmp_path / "facts.csv"
    path.write_text(FACTS, encoding="utf-8")
    return path


def _summary(rows: list[dict]) -> dict[str, tuple]:
    return {row["series"]: (row["reference_days"], row["covered"], row["agree_10pct"], row["agree_0_5pct"])
            for row in rows}


def _assert_expected(summary: dict[str, tuple]) -> None:
    assert summary.keys() == EXPECTED.keys()
    for label, (days, covered, agree, strict) in EXPECTED.items():
        got = summary[label]
        assert got[:2] == (days, covered), label
        assert got[2] == pytest.approx(agree) and got[3] == pytest.approx(strict), label


def test_the_written_corpus_against_its_facts(facts_csv: Path):
    claims, errors = compare.extract_corpus([CORPUS])
    assert errors == []
    result = compare.compare(compare.read_facts(facts_csv), compare.normalise_claims(claims))
    _assert_expected(_summary(compare.summary_rows(result)))
    assert result.span == (dt.date(2022, 7, 30), dt.date(2022, 10, 6))
    (wrong,) = result.disagreements()
    assert (wrong.date, wrong.fact_value, wrong.claim_value, wrong.doc) == (
        dt.date(2022, 9, 1), 48350, 41030, "07_general_staff_september.txt")
    table = compare.format_table(result)
    assert "1 disagreements" in table and "fact 48,350, claim 41,030" in table


def test_cli_json_from_the_corpus(facts_csv: Path, capsys):
    assert main(["compare-facts", str(facts_csv), "--corpus", str(CORPUS), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    _assert_expected(_summary(report["series"]))
    assert report["window_days"] == 2 and len(report["points"]) == 12


def test_cli_reads_extract_output_files_folders_and_the_store_alike(facts_csv: Path, tmp_path: Path, capsys):
    written = []
    for fmt in ("jsonl", "csv"):
        written.append(tmp_path / f"claims.{fmt}")
        assert main(["extract", str(CORPUS), "--format", fmt]) == 0
        written[-1].write_text(capsys.readouterr().out, encoding="utf-8")
    out = tmp_path / "run"
    assert main(["extract", str(CORPUS), "--out", str(out), "--workers", "1", "--partition-size", "3"]) == 0
    db = f"sqlite:///{tmp_path / 'figures.db'}"
    assert main(["ingest", str(CORPUS), "--db", db]) == 0
    capsys.readouterr()
    for source in ([str(written[0])], [str(written[1])], [str(out)], ["--db", db]):
        assert main(["compare-facts", str(facts_csv), *source, "--csv"]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))
        statuses = pd.Series([r["status"] for r in rows]).value_counts().to_dict()
        assert statuses == {"agrees": 8, "no claim": 2, "within 10%": 1, "disagrees": 1}, source
        (wrong,) = [r for r in rows if r["status"] == "disagrees"]
        assert wrong["doc"].startswith("07_general_staff_september.txt"), source


def test_cli_span_and_window_options(facts_csv: Path, capsys):
    args = ["compare-facts", str(facts_csv), "--corpus", str(CORPUS), "--json"]
    assert main([*args, "--since", "2022-03-01", "--window", "4"]) == 0
    report = json.loads(capsys.readouterr().out)
    total = _summary(report["series"])["all series"]
    assert total[:2] == (13, 11)  # 4 March joins (uncovered); 12 Sep now reaches the claim of 16 Sep


def test_cli_needs_some_claims_and_a_readable_facts_table(facts_csv: Path, tmp_path: Path, capsys):
    assert main(["compare-facts", str(facts_csv)]) == 2
    assert "--db" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert main(["compare-facts", str(empty), "--corpus", str(CORPUS)]) == 1
    assert "empty.csv: empty facts table" in capsys.readouterr().err
    assert main(["compare-facts", str(facts_csv), str(empty)]) == 0
    assert capsys.readouterr().out.strip() == "no dated claims to compare"


# --- pairing rules -------------------------------------------------------------------------------

def _facts(*rows: tuple) -> pd.DataFrame:
    columns = ["date", "claimant", "side", "metric", "subject", "item", "value", "period"]
    return compare.normalise_facts(pd.DataFrame([dict(zip(columns, r)) for r in rows], columns=columns).astype(str))


def _claims(*rows: dict) -> pd.DataFrame:
    base = {"doc": "d", "quote": "q", "metric": "deaths", "subject": "civilians", "item": None,
            "claimant": "UN monitors", "side": "United Nations", "period": None, "qualifier": "exact"}
    return compare.normalise_claims(pd.DataFrame([{**base, **r} for r in rows]))


def _run(facts: pd.DataFrame, claims: pd.DataFrame, **options) -> list[compare.Point]:
    return compare.compare(facts, claims, compare.Options(**options)).points


FACT = ("2022-05-10", "OHCHR", "United Nations", "deaths", "civilians", "", "1000", "")


@pytest.mark.parametrize(("fact_period", "claim_period", "paired"), [
    ("", None, True), ("", "day", False), ("", "month", False), ("day", None, False),
    ("month", "month", True), ("day", "month", False),
])
def test_period_kinds_are_never_mixed(fact_period, claim_period, paired):
    facts = _facts(FACT[:7] + (fact_period,))
    (point,) = _run(facts, _claims({"date": "2022-05-10", "value": 1000, "period": claim_period}),
                    since=dt.date(2022, 1, 1), until=dt.date(2022, 12, 31))
    assert point.paired is paired


@pytest.mark.parametrize(("claim_day", "window", "paired"), [
    ("2022-05-12", 2, True), ("2022-05-08", 2, True), ("2022-05-13", 2, False), ("2022-05-07", 2, False),
    ("2022-05-13", 3, True), ("2022-05-10", 0, True), ("2022-05-11", 0, False),
])
def test_window_edges(claim_day, window, paired):
    (point,) = _run(_facts(FACT), _claims({"date": claim_day, "value": 1000}), window_days=window,
                    since=dt.date(2022, 5, 1), until=dt.date(2022, 5, 31))
    assert point.paired is paired


@pytest.mark.parametrize(("value", "within_10", "within_half"), [
    (1000, True, True), (1005, True, True), (995, True, True), (1006, True, False),
    (1100, True, False), (900, True, False), (1101, False, False), (899, False, False),
])
def test_value_tolerance(value, within_10, within_half):
    (point,) = _run(_facts(FACT), _claims({"date": "2022-05-10", "value": value}))
    assert point.agrees(0.10) is within_10 and point.agrees(0.005) is within_half


def test_default_span_is_the_claims_dates_widened_by_the_window():
    facts = _facts(FACT, ("2022-05-13",) + FACT[1:], ("2022-05-14",) + FACT[1:])
    points = _run(facts, _claims({"date": "2022-05-11", "value": 1000}))
    assert [p.date for p in points] == [dt.date(2022, 5, 10), dt.date(2022, 5, 13)]


def test_claimant_match_is_loose_but_required():
    series = compare.Series("UK Ministry of Defence", "United Kingdom", "deaths", "Russian military", None, None)
    assert compare.claimant_tier(series, "Britain's defence ministry", "United Kingdom") == 0
    assert compare.claimant_tier(series, "the Ministry", "unknown") == 0
    assert compare.claimant_tier(series, "Ben Wallace", "United Kingdom") == 1
    assert compare.claimant_tier(series, "the Kremlin", "Russia") is None
    assert compare.claimant_tier(series, None, "media") is None
    assert compare.claimant_tier(series, "Wallace", "unknown", entity="UK Ministry of Defence") == 0


def test_a_named_claimant_beats_a_nearer_claim_of_the_same_side():
    claims = _claims({"date": "2022-05-10", "value": 1000, "claimant": "Kyiv officials", "side": "United Nations"},
                     {"date": "2022-05-11", "value": 700, "claimant": "OHCHR", "side": "United Nations"})
    (point,) = _run(_facts(FACT), claims)
    assert point.claim_value == 700 and not point.agrees(0.10)


def test_other_sides_items_subjects_vague_and_conditional_claims_are_not_paired():
    facts = _facts(("2022-05-10", "Oryx", "independent", "equipment", "Russian military", "tanks", "500", ""))
    claims = _claims(
        {"date": "2022-05-10", "value": 500, "metric": "equipment", "item": "aircraft", "subject": "Russian military",
         "claimant": "Oryx", "side": "independent"},
        {"date": "2022-05-10", "value": 500, "metric": "equipment", "item": "tanks", "subject": "Ukrainian military",
         "claimant": "Oryx", "side": "independent"},
        {"date": "2022-05-10", "value": 500, "metric": "equipment", "item": "tanks", "subject": "Russian military",
         "claimant": "Russia's defence ministry", "side": "Russia"},
        {"date": "2022-05-10", "value": 500, "metric": "equipment", "item": "tanks", "subject": "Russian military",
         "claimant": "Oryx", "side": "independent", "qualifier": "vague"},
    )
    (point,) = _run(facts, claims)
    assert not point.paired
    conditional = _claims({"date": "2022-05-10", "value": 1000}).assign(conditional=True)
    (point,) = _run(_facts(FACT), compare.normalise_claims(conditional), since=dt.date(2022, 5, 1),
                    until=dt.date(2022, 5, 31))
    assert not point.paired


def test_csv_cells_that_would_run_as_formulas_are_neutralised():
    claims = _claims({"date": "2022-05-10", "value": 1000, "quote": "=HYPERLINK(\"x\")"})
    result = compare.compare(_facts(FACT), claims)
    rows = list(csv.DictReader(io.StringIO(compare.csv_bytes(result).decode("utf-8-sig"))))
    assert rows[0]["quote"].startswith("'=") and rows[0]["status"] == "agrees"
