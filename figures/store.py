"""The claims store: documents, their claims, people's corrections, and mentions, on SQLAlchemy 2.

SQLite file by default (WAL, busy timeout), PostgreSQL when FIGURES_DATABASE_URL or
the caller names one. Writers are serialised (SQLite ``BEGIN IMMEDIATE``, a
PostgreSQL advisory lock) so concurrent ingests neither fail nor duplicate; readers
never wait. Extraction runs before the write transaction opens.

Claims rows hold the *effective* values (the extractor's, with corrections applied),
so every read and every SQL filter sees corrected values; the extractor's own values
are kept in ``original`` once a correction changes a row, and every correction stays
in ``corrections``, keyed by document and claim key so re-extraction re-attaches it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import groupby
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json
from sqlalchemy import (
    Connection,
    Engine,
    Float,
    Integer,
    String,
    Text,
    and_,
    cast,
    create_engine,
    delete,
    event,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from figures.documents import DocumentError, RowProblems, SkippedFile
from figures.entities import resolve as resolve_entity
from figures.model import DATE_BASES, METRICS, PERIODS, QUALIFIERS, Claim, Document
from figures.store_schema import (
    SCHEMA_VERSION,
    apply_groups,
    claims,
    corrections,
    current_version,
    documents,
    entity_merges,
    mention_clusters,
    merge_map,
    regroup_all,
    store_meta,
    upgrade,
)

log = logging.getLogger(__name__)

DEFAULT_DB_PATH = Path(__file__).resolve().parents[1] / "data" / "figures.db"
CORRECTION_KINDS = ("edit", "reject", "confirm", "restore", "unconfirm")
EDITABLE_FIELDS = (
    "value", "low", "high", "qualifier", "metric", "item", "subject",
    "claimant", "side", "date", "date_basis", "period", "location", "claimant_entity", "conditional",
)
CLAIM_FIELDS = (
    "value", "low", "high", "qualifier", "metric", "item", "subject", "claimant", "side",
    "date", "date_basis", "period", "location", "quote", "stated", "start", "end", "claimant_entity", "conditional",
)
FACET_COLUMNS = ("metric", "subject", "claimant", "side", "outlet", "qualifier", "item", "location", "claimant_entity")
# The text columns of Store.light_claims_frame (categoricals; outlet comes from the documents).
LIGHT_TEXT_COLUMNS = ("qualifier", "metric", "item", "subject", "claimant", "side", "period", "claimant_entity",
                      "location")
_WRITE_LOCK_KEY = 7_245_001  # PostgreSQL advisory lock id for figures writers
_IN_CHUNK = 500
_IDS_CHUNK = 20_000  # ids per query in Store.claims_by_ids
_JSON_CHUNK = 50_000  # ids per part in Store._packed_columns (parts parse side by side; SQLite caps a text at 1 GB)

Extractor = Callable[[Document], list[Claim]]


READ_ONLY_MESSAGE = "the store is read-only: nothing can be added or changed here"


class ReadOnlyError(RuntimeError):
    """A write asked of a store opened read-only."""


def resolve_database_url(explicit: str | None = None) -> str:
    """explicit > FIGURES_DATABASE_URL > the SQLite file data/figures.db; plain paths mean SQLite files."""
    url = (explicit or os.environ.get("FIGURES_DATABASE_URL") or "").strip()
    if not url:
        return f"sqlite:///{DEFAULT_DB_PATH}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


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


@dataclass
class FileReport:
    """What one file (or one batch of documents) did to the store."""

    source: str
    documents: int = 0
    duplicates: int = 0
    claims: int = 0
    error: str | None = None
    doc_ids: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the file was left out on purpose (a README, a FIFO, ...)
    notes: list[str] = field(default_factory=list)  # rows left out, documents that failed extraction

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ReextractReport:
    documents: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    corrections_kept: int = 0  # corrections moved to a claim whose key changed (a shifted span, a new metric)
    unattached: list[str] = field(default_factory=list)  # one line per correction left without a claim (kept)
    errors: list[str] = field(default_factory=list)


def claim_key(claim: Claim | Mapping[str, Any]) -> str:
    """Stable identity of a claim inside its document: the number's span and the metric."""
    get = claim.get if isinstance(claim, Mapping) else lambda name: getattr(claim, name)
    return f"{int(get('start'))}:{int(get('end'))}:{get('metric')}"


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _claim_values(claim: Claim | Mapping[str, Any]) -> dict[str, Any]:
    source = claim if isinstance(claim, Mapping) else claim.__dict__
    values = {name: source.get(name) for name in CLAIM_FIELDS}
    values["stated"] = values["stated"] or ""
    values["date"] = _as_date(values["date"])
    for name in ("value", "low", "high"):
        values[name] = None if _missing(values[name]) else float(values[name])
    for name in ("item", "claimant", "period", "location", "claimant_entity"):
        if _missing(values[name]):
            values[name] = None
    if values["claimant_entity"] is None and values["claimant"] is not None:
        values["claimant_entity"] = resolve_entity(values["claimant"], values["side"] or "unknown")[0]
    values["conditional"] = bool(values["conditional"]) if not _missing(values["conditional"]) else False
    values["start"], values["end"] = int(values["start"]), int(values["end"])
    return values


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def _as_date(value: Any) -> dt.date | None:
    if _missing(value) or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _coerce_field(name: str, value: Any) -> Any:
    """A user's edit as the column's type, checked against the spec's enums."""
    if name in ("value", "low", "high"):
        if _missing(value) or value == "":
            if name == "value":
                raise ValueError("value cannot be empty")
            return None
        return float(value)
    if name == "date":
        return _as_date(value)
    if name == "conditional":
        return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "y")
    allowed = {
        "metric": (*METRICS, "other"), "qualifier": QUALIFIERS, "date_basis": DATE_BASES, "period": PERIODS,
    }.get(name)
    text = None if _missing(value) else str(value).strip()
    if allowed is not None and text not in allowed and not (name == "period" and not text):
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    if not text:
        if name in ("subject", "side", "metric", "qualifier", "date_basis"):
            raise ValueError(f"{name} cannot be empty")
        return None
    return text


class EditConflict(RuntimeError):
    """An edit made on values that someone else has changed since: nothing was stored."""

    def __init__(self, claim_id: int, fields: Sequence[str]):
        self.claim_id, self.fields = claim_id, list(fields)
        super().__init__(f"claim {claim_id} was changed by someone else since you opened it "
                         f"({', '.join(self.fields)}); nothing was saved")


def _loose(name: str, value: Any) -> Any:
    """A value a person saw, typed like the column (an empty figure stays empty, not an error)."""
    if name in ("value", "low", "high"):
        return None if _missing(value) or value == "" else float(value)
    if name == "date":
        return _as_date(value)
    return None if _missing(value) or str(value).strip() == "" else str(value).strip()


def _same(stored: Any, value: Any) -> bool:
    """Whether a stored column value and an edit's value are the same (None and '' alike,
    12 and 12.0 alike, a date and its ISO text alike)."""
    def normal(v: Any) -> Any:
        if _missing(v) or v == "":
            return None
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        return str(_json_value(v))

    return normal(stored) == normal(value)


def _from_json(name: str, raw: str | None) -> Any:
    value = json.loads(raw) if raw is not None else None
    return _as_date(value) if name == "date" else value


def _display(raw: Any) -> str | None:
    """A stored JSON value as text for the audit view (one type per column, so Arrow can show it)."""
    if not isinstance(raw, str):
        return None
    value = json.loads(raw)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _apply_corrections(base: dict[str, Any], rows: Iterable[Any]) -> dict[str, Any]:
    """Effective values and flags: the extractor's values with each correction applied in order."""
    values = dict(base)
    flags = {"confirmed": False, "rejected": False, "corrected": False}
    edited: set[str] = set()
    for row in rows:
        if row.kind == "edit" and row.field in EDITABLE_FIELDS:
            values[row.field] = _from_json(row.field, row.new_value)
            flags["corrected"] = True
            edited.add(row.field)
        elif row.kind == "reject":
            flags["rejected"] = True
        elif row.kind == "restore":
            flags["rejected"] = False
        elif row.kind in ("confirm", "unconfirm"):
            flags["confirmed"] = row.kind == "confirm"
    if edited & {"claimant", "side"} and "claimant_entity" not in edited:
        values["claimant_entity"] = resolve_entity(values.get("claimant"), values.get("side") or "unknown")[0]
    return {**values, **flags}


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


def _entity_merges(conn: Connection) -> dict[str, str]:
    """Entity -> the entity curators merged it into, from the entity_merges table."""
    statement = select(entity_merges.c.source, entity_merges.c.target).order_by(entity_merges.c.id)
    return merge_map([(source, target) for source, target in conn.execute(statement)])


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Store:
    """The claims database. Safe to share across threads; one per process is enough."""

    def __init__(
        self,
        url: str | None = None,
        *,
        extractor: Extractor | None = None,
        extractor_version: str | None = None,
        read_only: bool = False,
    ):
        """Open the store, creating or upgrading its tables, unless `read_only`: then nothing is
        ever written (no file created, no schema, every write refused) and `ready` says whether
        there are tables to read."""
        self.url = resolve_database_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.read_only = read_only
        self._extractor = extractor
        self._extractor_version = extractor_version
        self.engine = self._make_engine()
        self.ready = self._schema_current()
        if not self.ready and not read_only:
            with self._write() as conn:
                upgrade(conn)
            self.ready = True

    def is_ready(self) -> bool:
        """Whether there are tables to read; a read-only store looks again while there are none
        (a writer may have created them since)."""
        if not self.ready:
            self.ready = self._schema_current()
        return self.ready

    def _schema_current(self) -> bool:
        if self.read_only and self.is_sqlite and not self._sqlite_file_exists():
            return False
        with self.engine.connect() as conn:
            return current_version(conn) == SCHEMA_VERSION

    def _sqlite_path(self) -> str:
        return self.url.split("///", 1)[-1] if "///" in self.url else ""

    def _sqlite_file_exists(self) -> bool:
        database = self._sqlite_path()
        return database == ":memory:" or (bool(database) and Path(database).is_file())

    # ------------------------------------------------------------ plumbing

    def _make_engine(self) -> Engine:
        if not self.is_sqlite:
            # read-only: PostgreSQL itself refuses any write in these sessions
            options = {"options": "-c default_transaction_read_only=on"} if self.read_only else {}
            return create_engine(self.url, pool_pre_ping=True, connect_args=options)
        database = self._sqlite_path()
        if self.read_only and database and database != ":memory:":
            # SQLite's read-only mode: never creates the file, refuses every write
            engine = create_engine(f"sqlite:///file:{Path(database).resolve()}?mode=ro&uri=true",
                                   connect_args={"timeout": 60})
        else:
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, connect_args={"timeout": 60})
        read_only = self.read_only

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control from the sqlite3 module so writers can BEGIN IMMEDIATE.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 60000")
            if not read_only:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("figures_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction; writers queue here instead of failing on each other."""
        if self.read_only:
            raise ReadOnlyError(READ_ONLY_MESSAGE)
        with self.engine.connect() as conn:
            conn.execution_options(figures_write=True)
            with conn.begin():
                if not self.is_sqlite:
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK_KEY})")
                yield conn

    @staticmethod
    def _bump(conn: Connection) -> None:
        conn.execute(update(store_meta).where(store_meta.c.id == 1).values(revision=store_meta.c.revision + 1))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def extractor_version(self) -> str:
        if self._extractor_version is None:
            from figures.extract import EXTRACTOR_VERSION

            self._extractor_version = EXTRACTOR_VERSION
        return self._extractor_version

    def _extract(self, document: Document) -> list[Claim]:
        """The extractor's claims with the curators' entity merges applied."""
        if self._extractor is None:
            from figures.extract import extract_claims

            self._extractor = extract_claims
        found = self._extractor(document)
        merges = self.entity_merge_map()
        if merges:
            found = [replace(c, claimant_entity=merges.get(c.claimant_entity, c.claimant_entity)) for c in found]
        return found

    # ------------------------------------------------------------ entity merges

    def entity_merge_map(self) -> dict[str, str]:
        """Entity -> the entity curators merged it into (store_schema.merge_map)."""
        with self.engine.connect() as conn:
            return _entity_merges(conn)

    def merge_entities(self, source: str, target: str, user: str = "anonymous") -> int:
        """Merge the claimant entity `source` into `target` (a rename when no claim has `target`
        yet): recorded with who and when, applied to the stored claims now and to every later
        extraction into this store (reextract included). Returns the claims changed."""
        source, target = (source or "").strip(), (target or "").strip()
        if not source or not target:
            raise ValueError("name the entity to merge and the entity to merge it into")
        if source == target:
            return 0
        user = (user or "anonymous").strip()[:200] or "anonymous"
        with self._write() as conn:
            conn.execute(insert(entity_merges).values(
                source=source, target=target, user_name=user,
                created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
            changed = conn.execute(update(claims).where(claims.c.claimant_entity == source)
                                   .values(claimant_entity=target)).rowcount
            regroup_all(conn)
            self._bump(conn)
        return max(changed or 0, 0)

    def entity_merges_frame(self) -> pd.DataFrame:
        """Every merge of claimant entities, oldest first: source, target, user, created_at."""
        m = entity_merges.c
        statement = select(m.source, m.target, m.user_name.label("user"), m.created_at).order_by(m.id)
        with self.engine.connect() as conn:
            result = conn.execute(statement)
            return pd.DataFrame(result.all(), columns=list(result.keys()))

    def _insert_or_ignore(self, table: Any, conflict: list[str]) -> Any:
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        return dialect_insert(table).on_conflict_do_nothing(index_elements=conflict)

    # ------------------------------------------------------------ ingestion

    def ingest_documents(self, documents_: Iterable[Document], source: str = "") -> FileReport:
        """Store documents (skipping ones already stored) and their claims, all in one transaction."""
        docs = [without_nul(document) for document in documents_]
        report = FileReport(source=source or next((d.source for d in docs if d.source), "") or "")
        if self.read_only:
            report.error = READ_ONLY_MESSAGE
            return report
        try:
            unique: dict[str, Document] = {}
            for document in docs:
                unique.setdefault(document.content_hash, document)
            report.duplicates = len(docs) - len(unique)
            known = self._known_hashes(list(unique))
            report.duplicates += len(known)
            fresh = [(h, d) for h, d in unique.items() if h not in known]
            version = self.extractor_version if fresh else None
            extracted = [(h, d, self._extract_or_fail(d)) for h, d in fresh]
            with self._write() as conn:
                self._bump(conn)
                keys: set[tuple] = set()
                for content_hash, document, found in extracted:
                    document_id = self._insert_document(conn, document, content_hash, version)
                    if document_id is None:
                        report.duplicates += 1
                        continue
                    rows = self._claim_rows(document_id, document.id, found, version)
                    if rows:
                        conn.execute(insert(claims), rows)
                    keys.update((r["metric"], r["subject"], r["claimant_entity"], r["value"]) for r in rows)
                    report.documents += 1
                    report.claims += len(rows)
                    report.doc_ids.append(document.id)
                self._regroup(conn, keys)
        except DocumentError as exc:
            return FileReport(source=report.source, error=exc.problem)
        except ReadOnlyError as exc:
            return FileReport(source=report.source, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - the detail (SQL, article text) goes to the log only
            log.exception("ingesting %s failed", report.source)
            return FileReport(source=report.source, error=failure_message(exc))
        return report

    def _extract_or_fail(self, document: Document) -> list[Claim]:
        """The document's claims; an extractor failure (RecursionError, MemoryError included)
        becomes its file's error, naming the document."""
        try:
            return self._extract(document)
        except Exception as exc:  # noqa: BLE001
            log.warning("extracting %s failed", document.id, exc_info=True)
            raise DocumentError(document.source or document.id, f"extraction failed on {document.id} "
                                f"({type(exc).__name__}: {str(exc)[:200]})") from exc

    def ingest_paths(self, paths: Sequence[str | Path], **limits: Any) -> list[FileReport]:
        """Ingest files, folders and archives; one transaction and one report per file (or archive member)."""
        from figures.ingest import iter_documents

        reports = []
        for source, items in groupby(iter_documents(paths, **limits), key=lambda item: item.source):
            batch = list(items)
            skipped = [item for item in batch if isinstance(item, SkippedFile)]
            notes = [item.problem for item in batch if isinstance(item, RowProblems)]
            errors = [item for item in batch if isinstance(item, DocumentError) and item not in skipped
                      and not isinstance(item, RowProblems)]
            if skipped:
                reports.append(FileReport(source=str(source), skipped=skipped[0].problem))
            elif errors:
                reports.append(FileReport(source=str(source), error="; ".join(e.problem for e in errors)))
            else:
                report = self.ingest_documents([item for item in batch if isinstance(item, Document)],
                                               source=str(source))
                report.notes[:0] = notes
                reports.append(report)
        return reports

    def ingest_upload(self, name: str, data: bytes, **limits: Any) -> FileReport:
        """Ingest an uploaded file's bytes (any supported type, zip included) as one transaction."""
        from figures.ingest import documents_from_bytes

        notes: list[str] = []
        try:
            docs = documents_from_bytes(name, data, notes=notes, **limits)
        except DocumentError as exc:
            return FileReport(source=name, error=exc.problem, notes=notes)
        for document in docs:
            document.source = document.source or name
        report = self.ingest_documents(docs, source=name)
        report.notes[:0] = notes
        return report

    def _known_hashes(self, hashes: list[str]) -> set[str]:
        found: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(hashes):
                found.update(conn.execute(select(documents.c.content_hash).where(documents.c.content_hash.in_(chunk)))
                             .scalars())
        return found

    def _insert_document(self, conn: Connection, document: Document, content_hash: str, version: str | None
                         ) -> int | None:
        statement = self._insert_or_ignore(documents, ["content_hash"]).values(
            doc_key=document.id,
            content_hash=content_hash,
            title=document.title,
            url=document.url,
            outlet=document.outlet,
            published=document.published,
            source=document.source,
            text=document.text,
            meta=json.dumps(document.meta, default=str) if document.meta else None,
            extractor_version=version,
            ingested_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ).returning(documents.c.id)
        return conn.execute(statement).scalar_one_or_none()

    @staticmethod
    def _claim_rows(document_id: int, doc_key: str, found: Iterable[Claim | Mapping[str, Any]],
                    version: str | None) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for claim in found:
            values = _claim_values(claim)
            values["metric"] = values["metric"] or "other"
            key = claim_key(values)
            rows.setdefault(key, {
                **values, "document_id": document_id, "claim_key": key, "doc": doc_key,
                "extractor_version": version, "original": None,
                "confirmed": False, "rejected": False, "corrected": False,
            })
        return list(rows.values())

    # ------------------------------------------------------------ mention groups

    def _regroup(self, conn: Connection, keys: Iterable[tuple]) -> None:
        """Recompute the mention groups of claims sharing the (metric, subject, claimant_entity) of
        these (metric, subject, claimant_entity, value) keys (values group within 0.5%)."""
        c = claims.c
        changes = []
        for metric, subject, entity in {key[:3] for key in keys}:
            rows = conn.execute(
                select(c.id, c.value, c.date, c.mention_group).where(
                    c.metric == metric,
                    c.subject == subject,
                    c.claimant_entity.is_(None) if entity is None else c.claimant_entity == entity,
                )
            ).all()
            existing = {row.id: row.mention_group for row in rows}
            for cluster in mention_clusters([(row.id, row.value, row.date) for row in rows]):
                group = min(cluster)
                changes.extend({"b_id": i, "b_group": group} for i in cluster if existing[i] != group)
        apply_groups(conn, changes)

    def regroup_mentions(self) -> int:
        """Recompute every mention group; returns how many claims changed group."""
        with self._write() as conn:
            self._bump(conn)
            return regroup_all(conn)

    # ------------------------------------------------------------ bulk loading

    def bulk_load_claims(
        self,
        claims_: Iterable[Claim | Mapping[str, Any]] | pd.DataFrame,
        documents_: Iterable[Document] = (),
        *,
        extractor_version: str | None = None,
        batch_size: int = 10_000,
    ) -> int:
        """Load many claims fast (batched inserts, one transaction); returns claims inserted.

        Each claim's ``doc`` names its document by ``Document.id``: documents passed in
        are stored first (deduplicated by content); a claim whose document is not
        stored gets a placeholder document (no text) so claims-only exports load too.
        Claims already stored (same document and claim key) are skipped.
        """
        if isinstance(claims_, pd.DataFrame):
            columns = list(claims_.columns)
            claims_ = (dict(zip(columns, row)) for row in claims_.itertuples(index=False, name=None))
        version = extractor_version or self._extractor_version or "bulk"
        count = select(func.count()).select_from(claims)
        with self._write() as conn:
            self._bump(conn)
            before = conn.execute(count).scalar_one()
            doc_ids: dict[str, int] = {}
            pending: list[Document] = []
            for document in documents_:
                pending.append(document)
                if len(pending) >= _IN_CHUNK:
                    doc_ids.update(self._load_documents(conn, pending, version))
                    pending = []
            doc_ids.update(self._load_documents(conn, pending, version))
            batch: list[Claim | Mapping[str, Any]] = []
            for claim in claims_:
                batch.append(claim)
                if len(batch) >= batch_size:
                    self._load_batch(conn, batch, doc_ids, version)
                    batch = []
            if batch:
                self._load_batch(conn, batch, doc_ids, version)
            for source, target in _entity_merges(conn).items():
                conn.execute(update(claims).where(claims.c.claimant_entity == source).values(claimant_entity=target))
            regroup_all(conn)
            return int(conn.execute(count).scalar_one() - before)

    def _load_documents(self, conn: Connection, batch: list[Document], version: str) -> dict[str, int]:
        """Insert documents not stored yet (one statement); returns doc key -> stored id for all of them."""
        if not batch:
            return {}
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        hashes = {document.content_hash: document for document in map(without_nul, batch)}
        conn.execute(self._insert_or_ignore(documents, ["content_hash"]), [
            {"doc_key": d.id, "content_hash": h, "title": d.title, "url": d.url, "outlet": d.outlet,
             "published": d.published, "source": d.source, "text": d.text,
             "meta": json.dumps(d.meta, default=str) if d.meta else None, "extractor_version": version,
             "ingested_at": now}
            for h, d in hashes.items()
        ])
        stored = conn.execute(select(documents.c.content_hash, documents.c.id)
                              .where(documents.c.content_hash.in_(list(hashes))))
        return {hashes[content_hash].id: document_id for content_hash, document_id in stored}

    def _load_batch(self, conn: Connection, batch: list[Any], doc_ids: dict[str, int], version: str) -> None:
        def doc_of(claim: Any) -> str:
            return str(claim["doc"] if isinstance(claim, Mapping) else claim.doc)

        missing = sorted({doc_of(claim) for claim in batch} - doc_ids.keys())
        for chunk in _chunks(missing):
            for key, document_id in conn.execute(
                select(documents.c.doc_key, func.max(documents.c.id))
                .where(documents.c.doc_key.in_(chunk))
                .group_by(documents.c.doc_key)
            ):
                doc_ids[key] = document_id
        for key in missing:
            if key not in doc_ids:
                placeholder = Document(id=key, text="", meta={"placeholder": True})
                content_hash = hashlib.sha256(f"claims-only:{key}".encode()).hexdigest()
                document_id = self._insert_document(conn, placeholder, content_hash, version)
                if document_id is None:
                    document_id = conn.execute(
                        select(documents.c.id).where(documents.c.content_hash == content_hash)
                    ).scalar_one()
                doc_ids[key] = document_id
        rows: list[dict[str, Any]] = []
        for doc_key, group in groupby(batch, key=doc_of):
            rows.extend(self._claim_rows(doc_ids[doc_key], doc_key, group, version))
        if rows:
            conn.execute(self._insert_or_ignore(claims, ["document_id", "claim_key"]), rows)

    # ------------------------------------------------------------ reading

    def _claims_select(self, filters: ClaimFilter | None, include_rejected: bool, order: bool = True) -> Any:
        c, d = claims.c, documents.c
        # Dates come back as text and are parsed once per column by pandas, not once per row.
        columns = [
            c.id.label("claim_id"), c.doc.label("doc_id"), c.mention_group,
            *(type_coerce(c.date, String).label("date") if name == "date" else c[name] for name in CLAIM_FIELDS),
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

    def quote_texts(self) -> tuple[np.ndarray, pa.Array]:
        """Ids and quotes of the claims not rejected, id order, for a search in memory
        (views.QuoteIndex); read like the light frame, without a Python object per quote."""
        c = claims.c
        found = self._packed_columns({"id": (c.id, pa.int64()), "quote": (c.quote, pa.large_string())},
                                     c.rejected.is_(False))
        return found["id"].to_numpy(), found["quote"]

    def _packed_columns(self, columns: Mapping[str, tuple[Any, pa.DataType]], condition: Any) -> dict[str, pa.Array]:
        """Columns (name: (claims column, Arrow type)) of the claims meeting ``condition``, row by
        row aligned, without a Python object per value.

        The database packs each column into one JSON array per part of the id range
        (json_group_array, json_agg on PostgreSQL), so a part is a single row and the query runs
        without the GIL; two connections read the parts side by side, and Arrow parses the JSON
        in C++. Figures come with 15 significant digits (SQLite's JSON), plenty for charts and
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

        with ThreadPoolExecutor(max_workers=2) as pool:
            lines = list(pool.map(part, edges[:-1], edges[1:]))
        table = pa_json.read_json(
            io.BytesIO(b"\n".join(lines)),
            read_options=pa_json.ReadOptions(block_size=max(len(line) for line in lines) + 1),
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
        return {**row, "date": _as_date(row["date"]), "published": _as_date(row["published"])}

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

    # ------------------------------------------------------------ corrections

    def add_correction(self, claim_id: int, kind: str, field: str | None = None, value: Any = None,
                       user: str = "anonymous") -> bool:
        """Record an edit, rejection, restore or confirmation, and apply it to the claim's row.

        Returns whether a correction was stored: an edit that gives a field the value it
        already holds stores nothing (see :meth:`edit_claim`)."""
        if kind not in CORRECTION_KINDS:
            raise ValueError(f"kind must be one of {', '.join(CORRECTION_KINDS)}, not {kind!r}")
        if kind == "edit":
            if field not in EDITABLE_FIELDS:
                raise ValueError(f"field must be one of {', '.join(EDITABLE_FIELDS)}, not {field!r}")
            return bool(self.edit_claim(claim_id, {field: value}, user=user))
        return bool(self.add_corrections([claim_id], kind, user=user))

    def add_corrections(self, claim_ids: Iterable[int], kind: str, user: str = "anonymous") -> int:
        """Reject, confirm, restore or unconfirm several claims in one transaction: all of them
        or, when one is unknown (KeyError), none. Returns how many corrections were stored."""
        if kind not in CORRECTION_KINDS or kind == "edit":
            raise ValueError(f"kind must be one of {', '.join(k for k in CORRECTION_KINDS if k != 'edit')}, "
                             f"not {kind!r}")
        wanted = list(dict.fromkeys(int(i) for i in claim_ids))
        with self._write() as conn:
            for claim_id in wanted:
                row = self._claim_row(conn, claim_id)
                self._record(conn, row, kind, None, None, user)
                self._settle(conn, row)
        return len(wanted)

    def edit_claim(self, claim_id: int, changes: Mapping[str, Any], user: str = "anonymous",
                   expected: Mapping[str, Any] | None = None) -> list[str]:
        """Edit several fields of one claim in one transaction; returns the fields changed.

        Only fields whose new value differs from the stored one get a correction. With
        ``expected`` (field -> the value the person saw), the edit is refused with
        :class:`EditConflict`, nothing stored, when any of those fields holds another value
        now: someone else changed the claim in the meantime. Raises ValueError (nothing
        stored) for an invalid field or value, KeyError for an unknown claim."""
        for name in changes:
            if name not in EDITABLE_FIELDS:
                raise ValueError(f"field must be one of {', '.join(EDITABLE_FIELDS)}, not {name!r}")
        wanted = {name: _coerce_field(name, value) for name, value in changes.items()}
        with self._write() as conn:
            row = self._claim_row(conn, claim_id)
            stale = [name for name, seen in (expected or {}).items()
                     if name in EDITABLE_FIELDS and not _same(getattr(row, name), _loose(name, seen))]
            if stale:
                raise EditConflict(claim_id, stale)
            changed = [name for name, value in wanted.items() if not _same(getattr(row, name), value)]
            for name in changed:
                self._record(conn, row, "edit", name, wanted[name], user)
            if changed:
                self._settle(conn, row)
        return changed

    @staticmethod
    def _claim_row(conn: Connection, claim_id: int) -> Any:
        row = conn.execute(select(claims).where(claims.c.id == claim_id)).first()
        if row is None:
            raise KeyError(f"no claim with id {claim_id}")
        return row

    @staticmethod
    def _record(conn: Connection, row: Any, kind: str, field: str | None, value: Any, user: str) -> None:
        """Insert one correction row for claim ``row`` (not applied yet: see :meth:`_settle`)."""
        user = (user or "anonymous").strip()[:200] or "anonymous"
        old = _json_value(getattr(row, field)) if field else None
        conn.execute(insert(corrections).values(
            document_id=row.document_id, claim_key=row.claim_key, claim_id=row.id, kind=kind, field=field,
            old_value=json.dumps(old) if field else None,
            new_value=json.dumps(_json_value(value)) if field else None,
            user_name=user, created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ))

    def _settle(self, conn: Connection, row: Any) -> None:
        """Apply the claim's corrections to its row, regroup its mentions, bump the revision."""
        base = json.loads(row.original) if row.original else {name: getattr(row, name) for name in CLAIM_FIELDS}
        new = self._reapply(conn, row.id, row.document_id, row.claim_key, _claim_values(base))
        self._regroup(conn, {(row.metric, row.subject, row.claimant_entity, row.value),
                             (new["metric"], new["subject"], new["claimant_entity"], new["value"])})
        self._bump(conn)

    def original_values(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The extractor's values of these claims (their ``original``; the row itself when no
        correction ever changed it), by claim id, dates as ISO text."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        found: dict[int, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(wanted):
                for row in conn.execute(select(claims).where(claims.c.id.in_(list(chunk)))):
                    base = json.loads(row.original) if row.original else \
                        {name: _json_value(getattr(row, name)) for name in CLAIM_FIELDS}
                    found[row.id] = base
        return found

    @staticmethod
    def _reapply(conn: Connection, row_id: int, document_id: int, key: str, base: dict[str, Any]
                 ) -> dict[str, Any]:
        """Set a claim row to `base` (the extractor's values) with its corrections applied."""
        history = conn.execute(
            select(corrections.c.kind, corrections.c.field, corrections.c.new_value)
            .where(corrections.c.document_id == document_id, corrections.c.claim_key == key)
            .order_by(corrections.c.id)
        ).all()
        effective = _apply_corrections(base, history)
        merges = _entity_merges(conn)
        effective["claimant_entity"] = merges.get(effective.get("claimant_entity"), effective.get("claimant_entity"))
        original = json.dumps({k: _json_value(v) for k, v in base.items()}) if history else None
        conn.execute(update(claims).where(claims.c.id == row_id).values(**effective, original=original))
        return effective

    def corrections_frame(self) -> pd.DataFrame:
        """Every correction, oldest first, with the claim it applies to now; values as text."""
        k = corrections.c
        current = (
            select(claims.c.id)
            .where(claims.c.document_id == k.document_id, claims.c.claim_key == k.claim_key)
            .scalar_subquery()
        )
        statement = select(
            func.coalesce(current, k.claim_id).label("claim_id"), k.kind, k.field, k.old_value, k.new_value,
            k.user_name.label("user"), k.created_at, documents.c.doc_key.label("doc_id"), k.claim_key,
        ).select_from(corrections.join(documents, documents.c.id == k.document_id)).order_by(k.id)
        with self.engine.connect() as conn:
            result = conn.execute(statement)
            frame = pd.DataFrame(result.all(), columns=list(result.keys()))
        for name in ("old_value", "new_value"):
            frame[name] = pd.Series([_display(v) for v in frame[name]], dtype=object)
        frame["created_at"] = pd.to_datetime(frame["created_at"])
        return frame

    # ------------------------------------------------------------ re-extraction

    def reextract(self, only_outdated: bool = False) -> ReextractReport:
        """Run the current extractor over stored documents, keeping every correction.

        A new claim replaces the stored one with the same key (span and metric), or
        failing that the only stored one on the same span, so ids and corrections stay;
        claims the extractor no longer finds are removed, their corrections kept.
        """
        report = ReextractReport()
        version = self.extractor_version
        condition = documents.c.text != ""
        if only_outdated:
            condition = and_(condition, or_(documents.c.extractor_version.is_(None),
                                            documents.c.extractor_version != version))
        with self.engine.connect() as conn:
            ids = list(conn.execute(select(documents.c.id).where(condition).order_by(documents.c.id)).scalars())
        for document_id in ids:
            try:
                self._reextract_one(document_id, version, report)
            except Exception as exc:  # noqa: BLE001 - one document's failure is reported, the run goes on
                log.exception("re-extracting document %s failed", document_id)
                report.errors.append(f"document {document_id}: {failure_message(exc)}")
        return report

    @staticmethod
    def _adopt_orphans(conn: Connection, document_id: int, key: str, new_rows: Mapping[str, Any]) -> int:
        """Move corrections left by a claim no longer found (an earlier run removed it) to the new
        claim `key`: the orphans on the same span, else those of the same metric on an overlapping
        span, when exactly one claim's worth of corrections qualifies."""
        orphans = {k for k in conn.execute(select(corrections.c.claim_key).distinct().where(
            corrections.c.document_id == document_id)).scalars() if k not in new_rows}
        start, end, metric = _key_parts(key)
        same_span = {k for k in orphans if _key_parts(k)[:2] == (start, end)}
        overlapping = {k for k in orphans if _key_parts(k)[2] == metric
                       and _overlap((start, end), _key_parts(k)[:2])}
        chosen = same_span if len(same_span) == 1 else overlapping
        if len(chosen) != 1:
            return 0
        moved = conn.execute(update(corrections).where(
            corrections.c.document_id == document_id, corrections.c.claim_key == chosen.pop()
        ).values(claim_key=key))
        return max(moved.rowcount or 0, 0)

    @staticmethod
    def _unattached(conn: Connection, document_id: int, doc_key: str, keys: Iterable[str]) -> list[str]:
        """One line per correction of the document whose claim key matches no claim now."""
        rows = conn.execute(select(corrections).where(
            corrections.c.document_id == document_id, corrections.c.claim_key.not_in(list(keys)))
            .order_by(corrections.c.id)).all()
        return [f"{doc_key}: {row.kind}{' of ' + row.field if row.field else ''} by {row.user_name} "
                f"on {row.created_at:%Y-%m-%d} (claim {row.claim_key}) could not be re-attached; kept"
                for row in rows]

    def _reextract_one(self, document_id: int, version: str, report: ReextractReport) -> None:
        with self.engine.connect() as conn:
            row = conn.execute(select(documents).where(documents.c.id == document_id)).first()
        if row is None:
            return
        document = Document(
            id=row.doc_key, text=row.text, title=row.title, url=row.url, outlet=row.outlet,
            published=row.published, source=row.source, meta=json.loads(row.meta) if row.meta else {},
        )
        new_rows = {r["claim_key"]: r for r in self._claim_rows(document_id, row.doc_key, self._extract(document),
                                                                  version)}
        with self._write() as conn:
            old_rows = {r.claim_key: r for r in conn.execute(select(claims).where(claims.c.document_id == document_id))}
            keys = {(r.metric, r.subject, r.claimant_entity, r.value) for r in old_rows.values()}
            matched: dict[str, Any] = {key: old_rows[key] for key in new_rows if key in old_rows}
            spare = {k: r for k, r in old_rows.items() if k not in matched}
            for key in new_rows:
                if key in matched:
                    continue
                successor = _predecessor(new_rows[key], spare)
                if successor is not None:
                    old = spare.pop(successor)
                    matched[key] = old
                    moved = conn.execute(update(corrections).where(
                        corrections.c.document_id == document_id, corrections.c.claim_key == old.claim_key
                    ).values(claim_key=key))
                    report.corrections_kept += max(moved.rowcount or 0, 0)
            for key, new in new_rows.items():
                if key in matched:
                    old = matched[key]
                    conn.execute(update(claims).where(claims.c.id == old.id).values(
                        claim_key=key, doc=new["doc"], extractor_version=version))
                    base = {name: new[name] for name in CLAIM_FIELDS}
                    effective = self._reapply(conn, old.id, document_id, key, base)
                    keys.add((effective["metric"], effective["subject"], effective["claimant_entity"], effective["value"]))
                    report.updated += 1
                else:
                    report.corrections_kept += self._adopt_orphans(conn, document_id, key, new_rows)
                    inserted = conn.execute(insert(claims).values(**new).returning(claims.c.id)).scalar_one()
                    effective = self._reapply(conn, inserted, document_id, key, {n: new[n] for n in CLAIM_FIELDS})
                    keys.add((effective["metric"], effective["subject"], effective["claimant_entity"], effective["value"]))
                    report.added += 1
            if spare:
                conn.execute(delete(claims).where(claims.c.id.in_([r.id for r in spare.values()])))
                report.removed += len(spare)
            conn.execute(update(documents).where(documents.c.id == document_id).values(extractor_version=version))
            self._regroup(conn, keys)
            self._bump(conn)
            report.unattached.extend(self._unattached(conn, document_id, row.doc_key, new_rows))
        report.documents += 1


def _key_parts(key: str) -> tuple[int, int, str]:
    start, end, metric = key.split(":", 2)
    return int(start), int(end), metric


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _extracted_values(row: Any) -> Mapping[str, Any]:
    """A stored claim's values as the extractor gave them (before people's corrections)."""
    return json.loads(row.original) if row.original else row._mapping


def _same_figure(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """The same figure found again by a newer extractor: same metric and value, and the spans
    overlap or one quote holds the other (a rule change may move a span or re-cut a quote)."""
    if old["metric"] != new["metric"] or old["value"] != new["value"]:
        return False
    old_quote, new_quote = old.get("quote") or "", new.get("quote") or ""
    return (_overlap((int(old["start"]), int(old["end"])), (int(new["start"]), int(new["end"])))
            or bool(old_quote and new_quote and (old_quote in new_quote or new_quote in old_quote)))


def _predecessor(new: Mapping[str, Any], spare: Mapping[str, Any]) -> str | None:
    """The key of the stored claim (not matched yet) that a re-extracted claim replaces: the same
    figure (_same_figure), the nearest if several; else the only one on exactly the same span."""
    same = [key for key, row in spare.items() if _same_figure(_extracted_values(row), new)]
    if same:
        return min(same, key=lambda key: abs(int(spare[key].start) - int(new["start"])))
    on_span = [key for key, row in spare.items() if (row.start, row.end) == (new["start"], new["end"])]
    return on_span[0] if len(on_span) == 1 else None


def format_file_report(report: FileReport) -> str:
    """One line per file for the command line (control characters in names escaped, so a file
    name cannot fake a line), then one indented line per note."""
    from figures.documents import printable

    source = printable(report.source)
    if report.skipped:
        line = f"{source}: skipped: {report.skipped}"
    elif report.error:
        line = f"{source}: FAILED: {printable(report.error)}"
    else:
        line = (f"{source}: {report.documents} new documents, {report.duplicates} already stored, "
                f"{report.claims} claims")
    return "\n".join([line, *(f"  {printable(note)}" for note in report.notes)])


def failure_message(exc: BaseException) -> str:
    """What a person sees when a write fails: the kind of failure, never the SQL statement or the
    article text the database error carries (those go to the server log)."""
    if isinstance(exc, ReadOnlyError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        return f"the database refused the write ({type(exc).__name__}); the details are in the server log"
    return f"it failed ({type(exc).__name__}); the details are in the server log"


def without_nul(document: Document) -> Document:
    """The document without NUL characters (PostgreSQL refuses them in text): stripped from every
    text field, so one bad cell does not fail its file."""
    fields = {name: getattr(document, name) for name in ("id", "text", "title", "url", "outlet", "source")}
    if not any(isinstance(value, str) and "\x00" in value for value in fields.values()):
        return document
    return replace(document, **{name: value.replace("\x00", "") for name, value in fields.items()
                                if isinstance(value, str)})
