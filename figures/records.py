"""Claims and documents as records: the one place a Claim or a Document becomes a row (a dict,
an Arrow table, a CSV or JSON line) and a row becomes one again.

Every CSV the project writes goes through :func:`neutralise`: a text cell a spreadsheet would
read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return, or their
full-width forms) gets a leading ``'``; a plain number such as ``-12`` stays as it is. CSV
rows end in CRLF and dates are ISO text; JSON lines are UTF-8 with ISO dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from figures.model import Claim, Document

# The columns of a claims file (extract's CSV and JSONL, batch partitions): the Claim's fields, in order.
CLAIM_COLUMNS: list[str] = list(Claim.__dataclass_fields__)
# The claim values a stored claim row holds (every Claim field but ``doc``), in the store's column order.
STORED_CLAIM_FIELDS = (
    "value", "low", "high", "qualifier", "metric", "item", "subject", "claimant", "side",
    "date", "date_basis", "period", "location", "quote", "stated", "start", "end", "claimant_entity", "conditional",
)
CLAIM_SCHEMA = pa.schema([
    ("doc", pa.string()), ("quote", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
    ("value", pa.float64()), ("low", pa.float64()), ("high", pa.float64()), ("qualifier", pa.string()),
    ("metric", pa.string()), ("item", pa.string()), ("subject", pa.string()), ("claimant", pa.string()),
    ("side", pa.string()), ("date", pa.date32()), ("date_basis", pa.string()), ("period", pa.string()),
    ("location", pa.string()), ("stated", pa.string()), ("claimant_entity", pa.string()), ("conditional", pa.bool_()),
])
DOCUMENT_SCHEMA = pa.schema([
    ("id", pa.string()), ("title", pa.string()), ("url", pa.string()), ("outlet", pa.string()),
    ("published", pa.date32()), ("source", pa.string()), ("content_hash", pa.string()), ("text", pa.string()),
    ("meta", pa.string()),
])
RECORD_FORMATS = ("parquet", "jsonl", "csv")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# ---------------------------------------------------------------- values


def missing(value: Any) -> bool:
    """None, NaN or NaT: a value a row does not hold."""
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def as_date(value: Any) -> dt.date | None:
    """A date from a date, datetime, Timestamp or ISO text (its first ten characters); None when missing."""
    if missing(value) or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def json_value(value: Any) -> Any:
    """A value as JSON holds it: dates and datetimes as ISO text, the rest unchanged."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- claims and documents


def claim_record(claim: Claim) -> dict[str, Any]:
    """A claim as a file record: CLAIM_COLUMNS in order, the date as a date."""
    return {name: getattr(claim, name) for name in CLAIM_COLUMNS}


def claim_values(claim: Claim | Mapping[str, Any]) -> dict[str, Any]:
    """The STORED_CLAIM_FIELDS of a claim (a Claim, or a record read from a file or a frame), typed
    as the store holds them: figures as floats, a date, empty text as None, ``stated`` as text,
    ``conditional`` as a bool, and the claimant's entity resolved when the record has none."""
    from figures.entities import resolve as resolve_entity

    source = claim if isinstance(claim, Mapping) else claim.__dict__
    values = {name: source.get(name) for name in STORED_CLAIM_FIELDS}
    values["stated"] = values["stated"] or ""
    values["date"] = as_date(values["date"])
    for name in ("value", "low", "high"):
        values[name] = None if missing(values[name]) else float(values[name])
    for name in ("item", "claimant", "period", "location", "claimant_entity"):
        if missing(values[name]):
            values[name] = None
    if values["claimant_entity"] is None and values["claimant"] is not None:
        values["claimant_entity"] = resolve_entity(values["claimant"], values["side"] or "unknown")[0]
    values["conditional"] = bool(values["conditional"]) if not missing(values["conditional"]) else False
    values["start"], values["end"] = int(values["start"]), int(values["end"])
    return values


def document_record(document: Document, content_hash: str | None = None) -> dict[str, Any]:
    """A document as a file record (DOCUMENT_SCHEMA's columns); ``meta`` as JSON text. Pass the
    content hash when it is known already (hashing reads the whole text)."""
    return {"id": document.id, "title": document.title, "url": document.url, "outlet": document.outlet,
            "published": document.published, "source": document.source,
            "content_hash": content_hash or document.content_hash, "text": document.text,
            "meta": json.dumps(document.meta, default=str) if document.meta else None}


def document_from_record(record: Mapping[str, Any]) -> Document:
    """The Document of a record written by :func:`document_record` (or a stored documents row
    with its ``doc_key`` as ``id``)."""
    return Document(id=record["id"], text=record["text"] or "", title=record["title"], url=record["url"],
                    outlet=record["outlet"], published=record["published"], source=record["source"],
                    meta=json.loads(record["meta"]) if record["meta"] else {})


# ---------------------------------------------------------------- safe CSV and JSON lines


def neutralise(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made inert with a leading quote."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One record for a CSV cell by cell: dates in ISO form, formulas neutralised, numbers kept."""
    return {key: neutralise(json_value(value)) for key, value in row.items()}


class SafeCsvWriter:
    """Rows streamed as CSV with the export's rules (formulas neutralised, ISO dates, CRLF), for
    writers that cannot hold a frame: ``extract --format csv`` and the CSV files of ``extract --out``."""

    def __init__(self, out: IO[str], fields: Sequence[str], header: bool = True):
        self._writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\r\n")
        if header:
            self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


class JsonLinesWriter:
    """Rows streamed as JSON lines (UTF-8 as is, ISO dates)."""

    def __init__(self, out: IO[str]):
        self._out = out

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._out.write(json_line(row))

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def json_line(record: Mapping[str, Any]) -> str:
    """One record as a JSON line."""
    return json.dumps({key: json_value(value) for key, value in record.items()}, ensure_ascii=False) + "\n"


def record_writer(out: IO[str], fmt: str, fields: Sequence[str]) -> SafeCsvWriter | JsonLinesWriter:
    """A streaming writer of records: ``csv`` (with its header) or ``jsonl``."""
    if fmt == "csv":
        return SafeCsvWriter(out, fields)
    if fmt == "jsonl":
        return JsonLinesWriter(out)
    raise ValueError(f"a stream holds csv or jsonl, not {fmt!r}")


def encode_records(records: list[dict[str, Any]], schema: pa.Schema, fmt: str) -> bytes:
    """Records as a whole file in `fmt` (one of RECORD_FORMATS); an empty list still gives a typed
    Parquet file (or a CSV header)."""
    if fmt == "parquet":
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(records, schema=schema), buffer, compression="zstd")
        return buffer.getvalue()
    text = io.StringIO(newline="")
    record_writer(text, fmt, schema.names).writerows(records)
    return text.getvalue().encode("utf-8")


# ---------------------------------------------------------------- Parquet files


def read_documents_parquet(path: str | Path) -> list[Document]:
    """The documents of a Parquet file written with DOCUMENT_SCHEMA."""
    return [document_from_record(row) for row in pq.read_table(path, schema=DOCUMENT_SCHEMA).to_pylist()]


def read_claims_parquet(path: str | Path) -> list[dict[str, Any]]:
    """The claim records of a Parquet file; columns an older run did not write come as nulls
    (the store fills them)."""
    table = pq.read_table(path)
    for spec in (f for f in CLAIM_SCHEMA if f.name not in table.column_names):
        table = table.append_column(spec, pa.nulls(len(table), spec.type))
    return table.select(CLAIM_SCHEMA.names).cast(CLAIM_SCHEMA).to_pylist()
