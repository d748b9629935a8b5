"""The store's reads: claims with corrections applied, filtered in SQL, and the light columns the
dashboard keeps in memory (read packed, without a Python object per value).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json
from sqlalchemy import Float, Integer, String, Text, and_, cast, false, func, literal_column, select, type_coerce

from figures.records import STORED_CLAIM_FIELDS, as_date
from figures.store_core import StoreCore, _chunks
from figures.store_schema import claims, documents, store_meta

FACET_COLUMNS = ("metric", "subject", "claimant", "side", "outlet", "qualifier", "item", "location", "claimant_entity")

# The text columns of Store.light_claims_frame (categoricals; outlet comes from the documents).
LIGHT_TEXT_COLUMNS = ("qualifier", "metric", "item", "subject", "claimant", "side", "period", "claimant_entity",
                      "location")

_IDS_CHUNK = 20_000  # ids per query in Store.claims_by_ids

_JSON_CHUNK = 50_000  # ids per part in Store._packed_columns (parts parse side by side; SQLite caps a text at 1 GB)


@dataclass
class ClaimFilter:
    """What the dashboard filters on; None (or an empty list) means no filter."""

    metrics: list[str] | None = None
    subjects: list[str] | None = None
    claimants: list[str] | None = None
    sides: list[str] | None = None
    entities: list[str] | None = None  # claimant_entity values
    outlets: list[str] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str | None = None


def _categorical(values: pa.Array) -> pd.Categorical:
    """Text values (nulls for missing) as a categorical, dictionary-encoded by Arrow."""
    encoded = values.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy()
    return pd.Categorical.from_codes(codes, pd.Index(encoded.dictionary.to_pylist()))


def _datetimes(values: pa.Array) -> np.ndarray:
    """ISO dates (nulls for missing) as datetime64: each distinct date is parsed once, which
    is what makes a million of them cheap (they span a few thousand days)."""
    encoded = values.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy()
    parsed = pd.to_datetime(pd.Series(encoded.dictionary.to_pylist(), dtype=object), errors="coerce")
    known = np.r_[parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns")]
    return known[codes]  # code -1 (missing) takes the NaT at the end


def _id_in(column: Any, ids: Sequence[int]) -> Any:
    """``column IN (1, 2, ...)`` with the ids written into the SQL (each passed through int(),
    so nothing but digits gets there): thousands of bound parameters cost SQLAlchemy more to
    render than the database takes to run the query."""
    if not ids:
        return false()
    return column.op("IN")(literal_column("(" + ",".join(str(int(i)) for i in ids) + ")"))


class StoreReads(StoreCore):
    """What the dashboard, the exports and the CLI read: claims (corrections applied) filtered in
    SQL, the light frame, searches, facets, counts and the state token."""

    def _claims_select(self, filters: ClaimFilter | None, include_rejected: bool, order: bool = True) -> Any:
        c, d = claims.c, documents.c
        # Dates come back as text and are parsed once per column by pandas, not once per row.
        columns = [
            c.id.label("claim_id"), c.doc.label("doc_id"), c.mention_group,
            *(type_coerce(c.date, String).label("date") if name == "date" else c[name] for name in STORED_CLAIM_FIELDS),
            d.title, d.outlet, d.url, type_coerce(d.published, String).label("published"),
            c.confirmed, c.rejected, c.corrected, c.extractor_version,
        ]
        statement = select(*columns).select_from(claims.join(documents, c.document_id == d.id))
        conditions = []
        if not include_rejected:
            conditions.append(c.rejected.is_(False))
        if filters is not None:
            for values, column in (
                (filters.metrics, c.metric), (filters.subjects, c.subject), (filters.claimants, c.claimant),
                (filters.sides, c.side), (filters.outlets, d.outlet), (filters.entities, c.claimant_entity),
            ):
                if values:
                    conditions.append(column.in_(list(values)))
            if filters.date_from is not None:
                conditions.append(c.date >= filters.date_from)
            if filters.date_to is not None:
                conditions.append(c.date <= filters.date_to)
            if filters.text and filters.text.strip():
                conditions.append(c.quote.icontains(filters.text.strip(), autoescape=True))
        if conditions:
            statement = statement.where(and_(*conditions))
        return statement.order_by(c.date, c.id) if order else statement

    def claims_frame(self, filters: ClaimFilter | None = None, include_rejected: bool = False,
                     limit: int | None = None) -> pd.DataFrame:
        """One row per claim, corrections applied, filtered in SQL."""
        statement = self._claims_select(filters, include_rejected)
        if limit is not None:
            statement = statement.limit(limit)
        return self._typed_claims(self._frame_from_cursor(statement))

    def claims_by_ids(self, ids: Iterable[int], include_rejected: bool = False,
                      columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The claims with these ids (the columns of :meth:`claims_frame`, or ``claim_id`` and
        the named ones), in the order given; ids not stored, or rejected unless asked for, are
        left out. Read in chunks of ids, so any number works."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        statement = self._claims_select(None, include_rejected, order=False)
        if columns is not None:
            keep = ["claim_id", *(name for name in columns if name != "claim_id")]
            by_name = {column.name: column for column in statement.selected_columns}
            statement = statement.with_only_columns(*(by_name[name] for name in keep))
        chunks = list(_chunks(wanted, _IDS_CHUNK)) or [[]]
        frame = pd.concat([self._frame_from_cursor(statement.where(_id_in(claims.c.id, chunk))) for chunk in chunks],
                          ignore_index=True)
        frame = self._typed_claims(frame)
        position = pd.Series(range(len(wanted)), index=wanted, dtype="int64")
        order = position.reindex(frame["claim_id"].to_numpy()).to_numpy().argsort(kind="stable")
        return frame.iloc[order].reset_index(drop=True)

    @staticmethod
    def _typed_claims(frame: pd.DataFrame) -> pd.DataFrame:
        """Column types of claims_frame for whichever of its columns the frame holds."""
        types = {"confirmed": bool, "rejected": bool, "corrected": bool, "conditional": bool, "value": "float64", "low": "float64",
                 "high": "float64", "claim_id": "int64", "start": "int64", "end": "int64", "mention_group": "Int64"}
        for name in ("date", "published"):
            if name in frame:
                frame[name] = pd.to_datetime(frame[name])
        for name, kind in types.items():
            if name in frame:
                frame[name] = frame[name].astype(kind)
        return frame

    def light_claims_frame(self) -> pd.DataFrame:
        """Every claim not rejected (corrections applied) with only the small columns a dashboard
        filters, counts and charts on: ``claim_id``, ``document_id``, ``value``, ``low``,
        ``high``, ``date`` (datetime), ``conditional`` (bool), ``mention_group``, the text columns of LIGHT_TEXT_COLUMNS and ``outlet`` as
        categoricals; no quote, title, url or status flags (fetch those for the rows shown with
        :meth:`claims_by_ids`). In no particular order.

        Why not claims_frame: at 100,000 claims most of its time goes to the quotes, titles and
        urls, the documents join and a Python object per cell; this reads the columns packed
        (:meth:`_packed_columns`), about 3 s for a million claims instead of 25.
        """
        c = claims.c
        values = self._packed_columns({
            "claim_id": (c.id, pa.int64()),
            "document_id": (c.document_id, pa.int64()),
            **{name: (c[name], pa.float64()) for name in ("value", "low", "high")},
            "date": (c.date, pa.string()),
            **{name: (c[name], pa.string()) for name in LIGHT_TEXT_COLUMNS},
            "conditional": (c.conditional, pa.int64()),
            "mention_group": (c.mention_group, pa.int64()),
        }, c.rejected.is_(False))
        frame = pd.DataFrame({
            **{name: values[name].to_numpy() for name in ("claim_id", "document_id")},
            **{name: values[name].to_numpy(zero_copy_only=False) for name in ("value", "low", "high")},
            "date": _datetimes(values["date"]),
            **{name: _categorical(values[name]) for name in LIGHT_TEXT_COLUMNS},
            "conditional": values["conditional"].to_numpy(zero_copy_only=False).astype(bool),
            "mention_group": values["mention_group"].fill_null(values["claim_id"]).to_numpy(),
        })
        _, doc_rows = self._rows_from_cursor(select(documents.c.id, documents.c.outlet))
        doc_ids = pd.Index([row[0] for row in doc_rows], dtype=np.int64)
        outlets = _categorical(pa.array([row[1] for row in doc_rows], type=pa.string()))
        where = doc_ids.get_indexer(frame["document_id"])
        codes = np.r_[outlets.codes, -1][where]  # a claim without a stored document (-1): no outlet
        frame["outlet"] = pd.Categorical.from_codes(codes, outlets.categories)
        return frame

    def claim_ids_matching(self, text: str) -> np.ndarray:
        """Ids of the claims not rejected whose quote contains ``text``, ignoring case (as
        ``ClaimFilter.text``), searched in SQL. SQLite folds the case of ASCII letters only (in
        LIKE and lower()), so there a search with other letters compares upper-cased text in
        Python instead."""
        needle = (text or "").strip()
        c = claims.c
        if not needle:
            return np.array([], dtype=np.int64)
        if not self.is_sqlite or needle.isascii():
            # SQLite's LIKE ignores the case of ASCII letters by itself; lower() would only cost.
            match = (c.quote.contains if self.is_sqlite else c.quote.icontains)(needle, autoescape=True)
            found = self._packed_columns({"id": (c.id, pa.int64())}, and_(c.rejected.is_(False), match))
            return found["id"].to_numpy()
        upper = needle.upper()
        _, rows = self._rows_from_cursor(select(c.id, c.quote).where(c.rejected.is_(False)))
        return np.array([i for i, quote in rows if quote and upper in quote.upper()], dtype=np.int64)

    def quote_texts(self, readers: int = 2) -> tuple[np.ndarray, pa.Array]:
        """Ids and quotes of the claims not rejected, id order, for a search in memory
        (views.QuoteIndex); read like the light frame, without a Python object per quote.
        ``readers=1`` reads and parses on one core, leaving the others to the page."""
        c = claims.c
        found = self._packed_columns({"id": (c.id, pa.int64()), "quote": (c.quote, pa.large_string())},
                                     c.rejected.is_(False), readers=readers)
        return found["id"].to_numpy(), found["quote"]

    def _packed_columns(self, columns: Mapping[str, tuple[Any, pa.DataType]], condition: Any,
                        readers: int = 2) -> dict[str, pa.Array]:
        """Columns (name: (claims column, Arrow type)) of the claims meeting ``condition``, row by
        row aligned, without a Python object per value.

        The database packs each column into one JSON array per part of the id range
        (json_group_array, json_agg on PostgreSQL), so a part is a single row and the query runs
        without the GIL; two connections read the parts side by side, and Arrow parses the JSON
        in C++ (``readers`` connections and parser threads). Figures come with 15 significant digits (SQLite's JSON), plenty for charts and
        tables; exports read exact values. A write landing between two parts changes the state
        token, so readers that key on it load again.
        """
        c = claims.c
        kinds = {"int64": Integer, "double": Float}
        pack = func.json_group_array if self.is_sqlite else func.json_agg
        packed = [cast(pack(cast(column, kinds.get(str(kind), String))), Text) for column, kind in columns.values()]
        _, bounds = self._rows_from_cursor(select(func.min(c.id), func.max(c.id)))
        low, high = (int(bounds[0][0] or 0), int(bounds[0][1] or 0))
        parts = -(-(high - low + 1) // _JSON_CHUNK)
        edges = [int(e) for e in np.linspace(low, high + 1, parts + 1)]

        def part(start: int, stop: int) -> bytes:
            _, rows = self._rows_from_cursor(
                select(*packed).where(condition, c.id >= start, c.id < stop))
            arrays = ",".join(f'"{name}":{text or "[]"}' for name, text in zip(columns, rows[0]))
            return ("{" + arrays + "}").encode()

        with ThreadPoolExecutor(max_workers=readers) as pool:
            lines = list(pool.map(part, edges[:-1], edges[1:]))
        table = pa_json.read_json(
            io.BytesIO(b"\n".join(lines)),
            read_options=pa_json.ReadOptions(block_size=max(len(line) for line in lines) + 1, use_threads=readers > 1),
            parse_options=pa_json.ParseOptions(explicit_schema=pa.schema(
                [(name, pa.list_(kind)) for name, (_, kind) in columns.items()])),
        )
        return {name: pa.concat_arrays([chunk.flatten() for chunk in table.column(name).chunks])
                for name in columns}

    def _frame_from_cursor(self, statement: Any) -> pd.DataFrame:
        """Run a select on the DB-API cursor and build the frame from plain tuples: without a
        SQLAlchemy row object per claim, 100,000 claims load in about half the time."""
        columns, rows = self._rows_from_cursor(statement)
        return pd.DataFrame.from_records(rows, columns=columns)

    def _rows_from_cursor(self, statement: Any) -> tuple[list[str], list[tuple]]:
        """Column names and plain tuples of a select, read on the DB-API cursor."""
        compiled = statement.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
        params: Any = compiled.params  # a property that rebuilds the dict: read it once
        if compiled.positional:
            params = tuple(params[name] for name in compiled.positiontup)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(str(compiled), params)
            columns = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
            cursor.close()
            raw.commit()
        finally:
            raw.close()
        return columns, rows

    def get_claim(self, claim_id: int) -> dict[str, Any] | None:
        """One claim as a dict (corrections applied), or None."""
        statement = self._claims_select(None, True).where(claims.c.id == claim_id)
        with self.engine.connect() as conn:
            row = conn.execute(statement).mappings().first()
        if row is None:
            return None
        return {**row, "date": as_date(row["date"]), "published": as_date(row["published"])}

    def facet_values(self, column: str) -> list[str]:
        """Distinct values of a filterable column among claims not rejected, sorted."""
        if column not in FACET_COLUMNS:
            raise ValueError(f"no facet {column!r}; choose from {', '.join(FACET_COLUMNS)}")
        target = documents.c.outlet if column == "outlet" else claims.c[column]
        statement = (
            select(target).distinct()
            .select_from(claims.join(documents, claims.c.document_id == documents.c.id))
            .where(claims.c.rejected.is_(False), target.is_not(None))
            if column == "outlet"
            else select(target).distinct().where(claims.c.rejected.is_(False), target.is_not(None))
        )
        with self.engine.connect() as conn:
            return sorted(str(value) for value in conn.execute(statement).scalars())

    def count_documents(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(documents)).scalar_one())

    def count_claims(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(claims)).scalar_one())

    def state_token(self) -> str:
        """Changes with every write to documents, claims or corrections: a cache key for readers."""
        with self.engine.connect() as conn:
            revision = conn.execute(select(store_meta.c.revision).where(store_meta.c.id == 1)).scalar_one()
        return f"{hashlib.sha1(self.url.encode()).hexdigest()[:8]}:{revision}"
