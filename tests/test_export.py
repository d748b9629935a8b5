"""Safe export (CSV for spreadsheets, JSONL, Parquet) and the store's command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from figures.cli import main
from figures.export import EXPORT_COLUMNS, export_claims, neutralise, safe_csv_bytes
from figures.store import Store
from tests.conftest import fake_extract, make_article


def _read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "quote": ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "＝full", "-5"],
        "value": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "date": pd.to_datetime(["2022-03-01"] * 8 + [None]),
        "claim_id": range(1, 10),
        "extra": ["a"] * 9,
        "metric": ["deaths"] * 9,
    })


def test_csv_neutralises_formulas_and_keeps_numbers() -> None:
    rows = _read_csv(safe_csv_bytes(_frame()))
    assert [r["quote"] for r in rows] == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "plain",
                                          "'＝full", "-5"]
    assert rows[0]["value"] == "-5"  # a negative number is still a number, a whole one without ".0"
    assert rows[0]["date"] == "2022-03-01" and rows[-1]["date"] == ""
    assert list(rows[0]) == ["claim_id", "date", "metric", "value", "quote", "extra"]


def test_csv_writes_whole_figures_as_integers_and_keeps_fractions() -> None:
    frame = pd.DataFrame({"value": [5710.0, 2.5, 1e15], "low": [None, 2.0, None], "claim_id": [1, 2, 3]})
    rows = _read_csv(safe_csv_bytes(frame))
    assert [r["value"] for r in rows] == ["5710", "2.5", "1000000000000000"]
    assert [r["low"] for r in rows] == ["", "2", ""]


def test_neutralise_leaves_other_values_alone() -> None:
    assert neutralise(-3.5) == -3.5 and neutralise(None) is None and neutralise("Kyiv") == "Kyiv"
    assert neutralise("-12") == "-12" and neutralise("-1e5") == "-1e5"
    assert neutralise("-12 soldiers") == "'-12 soldiers"


def test_jsonl_and_parquet_round_trip() -> None:
    frame = _frame()
    lines = export_claims(frame, "jsonl").decode().splitlines()
    first = json.loads(lines[0])
    assert list(first)[:4] == ["claim_id", "date", "metric", "value"]
    assert first["date"] == "2022-03-01" and first["quote"] == "=1+1" and first["value"] == -5.0
    assert json.loads(lines[-1])["date"] is None
    back = pd.read_parquet(io.BytesIO(export_claims(frame, "parquet")))
    assert list(back.columns) == ["claim_id", "date", "metric", "value", "quote", "extra"]
    assert back.value.tolist() == frame.value.tolist()
    with pytest.raises(ValueError, match="format"):
        export_claims(frame, "xlsx")


def test_hyperlink_cell_from_csv_comes_out_neutralised(tmp_path: Path) -> None:
    source = tmp_path / "hostile.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "text", "outlet", "date"])
        writer.writerow(['=HYPERLINK("http://x","y")', "Officials said 12 soldiers were killed.", "@evil", "2022-03-01"])
    with Store(f"sqlite:///{tmp_path / 'x.db'}", extractor=fake_extract, extractor_version="t") as store:
        [report] = store.ingest_paths([source])
        assert report.ok and report.claims == 1
        frame = store.claims_frame()
        assert frame.title.iloc[0] == '=HYPERLINK("http://x","y")'  # stored as written
        rows = _read_csv(export_claims(frame, "csv"))
    assert rows[0]["title"] == '\'=HYPERLINK("http://x","y")'
    assert rows[0]["outlet"] == "'@evil"
    assert rows[0]["value"] == "12" and rows[0]["date"] == "2022-03-01"
    assert [name for name in rows[0] if name in EXPORT_COLUMNS] == [c for c in EXPORT_COLUMNS if c in rows[0]]


def test_cli_ingest_export_reextract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    folder = tmp_path / "in"
    folder.mkdir()
    for number in range(3):
        (folder / f"{number}.txt").write_text(make_article(number, dt.date(2022, 3, 1 + 7 * number)))
    (folder / "broken.csv").write_text("id,score\n1,2\n")

    assert main(["ingest", str(folder), "--db", url]) == 0
    out, err = capsys.readouterr()
    assert "FAILED" in err and "no text column" in err
    assert "4 files, 3 new documents" in out

    assert main(["ingest", str(folder / "broken.csv"), "--db", url]) == 1
    capsys.readouterr()

    target = tmp_path / "claims.csv"
    assert main(["export", "--db", url, "--out", str(target), "--since", "2022-03-05"]) == 0
    rows = _read_csv(target.read_bytes())
    assert rows and all(row["date"] >= "2022-03-05" for row in rows)
    assert list(rows[0])[:3] == ["claim_id", "date", "metric"]

    assert main(["export", "--db", url, "--format", "jsonl", "--metric", "deaths"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(json.loads(line)["metric"] == "deaths" for line in lines)

    assert main(["reextract", "--db", url]) == 0
    assert "3 documents re-extracted" in capsys.readouterr().out
