"""figures.records: Claim/Document <-> rows, the Arrow schemas, and the CSV rule every writer shares."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from figures.model import Claim, Document
from figures.records import (
    CLAIM_COLUMNS,
    CLAIM_SCHEMA,
    DOCUMENT_SCHEMA,
    STORED_CLAIM_FIELDS,
    claim_record,
    claim_values,
    document_from_record,
    document_record,
    encode_records,
    json_line,
    neutralise,
    read_claims_parquet,
    read_documents_parquet,
    record_writer,
)

HOSTILE = ("=SUM(A1:A9)", "+1 call me", "-x", "@cmd", "\tpadded", "\rreturn", "\uff1dfull-width")


def _claim(**changes) -> Claim:
    values = dict(doc="d1", quote="Officials said 40 soldiers died.", start=15, end=17, value=40.0,
                  metric="deaths", subject="soldiers", claimant="Officials", side="media",
                  date=dt.date(2022, 5, 2), date_basis="published", stated="40")
    return Claim(**{**values, **changes})


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_claim_columns_are_the_claim_fields_and_the_store_holds_all_but_doc() -> None:
    assert CLAIM_SCHEMA.names == CLAIM_COLUMNS == list(Claim.__dataclass_fields__)
    assert sorted(STORED_CLAIM_FIELDS) == sorted(set(CLAIM_COLUMNS) - {"doc"})


def test_a_json_line_is_the_claims_dict() -> None:
    claim = _claim(claimant="Міноборони", low=30.0, high=50.0, qualifier="range", conditional=True)
    line = json_line(claim_record(claim))
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == claim.to_dict()
    assert list(json.loads(line)) == CLAIM_COLUMNS
    assert "Міноборони" in line  # UTF-8 as is, not \u escapes


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_streamed_and_whole_file_writers_agree(fmt: str) -> None:
    records = [claim_record(_claim(start=i, end=i + 2, claimant=name)) for i, name in enumerate(HOSTILE)]
    out = io.StringIO(newline="")
    record_writer(out, fmt, CLAIM_COLUMNS).writerows(records)
    assert out.getvalue().encode("utf-8") == encode_records(records, CLAIM_SCHEMA, fmt)


def test_every_csv_cell_that_would_run_is_neutralised_and_numbers_stay() -> None:
    records = [claim_record(_claim(claimant=name, location=name, value=-3.0)) for name in HOSTILE]
    rows = _csv_rows(encode_records(records, CLAIM_SCHEMA, "csv"))
    assert [row["claimant"] for row in rows] == ["'" + name for name in HOSTILE]
    assert all(row["location"].startswith("'") for row in rows)
    assert {row["value"] for row in rows} == {"-3.0"} and {row["date"] for row in rows} == {"2022-05-02"}
    assert neutralise("-12") == "-12" and neutralise("-1.5e3") == "-1.5e3" and neutralise(-4) == -4
    assert neutralise("Kyiv") == "Kyiv" and neutralise(None) is None


def test_csv_rows_end_in_crlf_with_a_header_even_when_empty() -> None:
    empty = encode_records([], CLAIM_SCHEMA, "csv").decode("utf-8")
    assert empty == ",".join(CLAIM_COLUMNS) + "\r\n"
    one = encode_records([claim_record(_claim())], CLAIM_SCHEMA, "csv").decode("utf-8")
    assert one.count("\r\n") == 2 and "\n" not in one.replace("\r\n", "")


def test_documents_round_trip_through_parquet(tmp_path) -> None:
    documents = [Document(id="a#1", text="Body one.", title="=HYPERLINK()", url="http://x.example/1",
                          outlet="Wire", published=dt.date(2023, 10, 9), source="a.csv", meta={"row": 1}),
                 Document(id="b", text="Body two.")]
    path = tmp_path / "documents.parquet"
    path.write_bytes(encode_records([document_record(d) for d in documents], DOCUMENT_SCHEMA, "parquet"))
    assert read_documents_parquet(path) == documents
    record = document_record(documents[0])
    assert record["content_hash"] == documents[0].content_hash and json.loads(record["meta"]) == {"row": 1}
    assert document_from_record(record) == documents[0]
    assert document_record(documents[1], content_hash="given")["content_hash"] == "given"


def test_claims_parquet_of_an_older_run_reads_with_the_missing_columns_as_nulls(tmp_path) -> None:
    older = [name for name in CLAIM_COLUMNS if name not in ("claimant_entity", "conditional")]
    record = claim_record(_claim())
    table = pa.Table.from_pylist([{name: record[name] for name in older}],
                                 schema=pa.schema([CLAIM_SCHEMA.field(name) for name in older]))
    pq.write_table(table, tmp_path / "old.parquet")
    [row] = read_claims_parquet(tmp_path / "old.parquet")
    assert list(row) == CLAIM_COLUMNS
    assert row["claimant_entity"] is None and row["conditional"] is None
    assert {name: row[name] for name in older} == {name: record[name] for name in older}


def test_claim_values_types_a_frame_row_as_the_store_holds_it() -> None:
    row = {**claim_record(_claim()), "low": math.nan, "date": "2022-05-02T00:00:00", "item": math.nan,
           "stated": None, "start": 15.0, "conditional": None, "claimant_entity": None}
    values = claim_values(row)
    assert list(values) == list(STORED_CLAIM_FIELDS)
    assert values["low"] is None and values["item"] is None and values["stated"] == ""
    assert values["date"] == dt.date(2022, 5, 2) and values["start"] == 15 and isinstance(values["start"], int)
    assert values["conditional"] is False and values["value"] == 40.0
    assert values["claimant_entity"]  # resolved from the claimant, as the extractor would name it
    assert claim_values(_claim()) == claim_values(claim_record(_claim()))
