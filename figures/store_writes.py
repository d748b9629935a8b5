"""The store's writes: articles in (one transaction per file, extraction before it opens), bulk
loading of `extract --out` output, mention groups, and merges of claimant entities.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update

from figures.documents import DocumentError, RowProblems, SkippedFile
from figures.model import Claim, Document
from figures.records import claim_values, document_record
from figures.store_core import (
    READ_ONLY_MESSAGE,
    ReadOnlyError,
    StoreCore,
    _chunks,
    _entity_merges,
    _IN_CHUNK,
    failure_message,
)
from figures.store_schema import apply_groups, claims, documents, entity_merges, mention_clusters, regroup_all

log = logging.getLogger(__name__)

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


def claim_key(claim: Claim | Mapping[str, Any]) -> str:
    """Stable identity of a claim inside its document: the number's span and the metric."""
    get = claim.get if isinstance(claim, Mapping) else lambda name: getattr(claim, name)
    return f"{int(get('start'))}:{int(get('end'))}:{get('metric')}"


def without_nul(document: Document) -> Document:
    """The document without NUL characters (PostgreSQL refuses them in text): stripped from every
    text field, so one bad cell does not fail its file."""
    fields = {name: getattr(document, name) for name in ("id", "text", "title", "url", "outlet", "source")}
    if not any(isinstance(value, str) and "\x00" in value for value in fields.values()):
        return document
    return replace(document, **{name: value.replace("\x00", "") for name, value in fields.items()
                                if isinstance(value, str)})


def _document_row(document: Document, content_hash: str, version: str | None, now: dt.datetime) -> dict[str, Any]:
    """A documents-table row: the document's record (figures.records) keyed by ``doc_key``."""
    record = document_record(document, content_hash)
    return {"doc_key": record.pop("id"), **record, "extractor_version": version, "ingested_at": now}


class StoreWrites(StoreCore):
    """Writing articles and claims: ingestion (files, uploads, documents), bulk loading of batch
    output, mention groups, and entity merges."""

    # ------------------------------------------------------------ entity merges

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
            **_document_row(document, content_hash, version, dt.datetime.now(dt.UTC).replace(tzinfo=None)),
        ).returning(documents.c.id)
        return conn.execute(statement).scalar_one_or_none()

    @staticmethod
    def _claim_rows(document_id: int, doc_key: str, found: Iterable[Claim | Mapping[str, Any]],
                    version: str | None) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for claim in found:
            values = claim_values(claim)
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
        conn.execute(self._insert_or_ignore(documents, ["content_hash"]),
                     [_document_row(d, h, version, now) for h, d in hashes.items()])
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
