"""The claims store: documents, their claims, people's corrections, and mentions, on SQLAlchemy 2.

SQLite file by default (WAL, busy timeout), PostgreSQL when FIGURES_DATABASE_URL or
the caller names one. Writers are serialised (SQLite ``BEGIN IMMEDIATE``, a
PostgreSQL advisory lock) so concurrent ingests neither fail nor duplicate; readers
never wait. Extraction runs before the write transaction opens.

Claims rows hold the *effective* values (the extractor's, with corrections applied),
so every read and every SQL filter sees corrected values; the extractor's own values
are kept in ``original`` once a correction changes a row, and every correction stays
in ``corrections``, keyed by document and claim key so re-extraction re-attaches it.

Store is assembled from its parts, one module each:

- figures.store_core: URL, engine, write transactions, read-only mode, the extractor hook;
- figures.store_schema: tables, schema upgrades, mention grouping;
- figures.store_writes: ingestion, bulk loading, mention groups, entity merges;
- figures.store_reads: what the dashboard and the exports read;
- figures.store_corrections: edits, flags, their history, re-extraction keeping them;
- figures.edit_schema: which fields an edit may change and how its value is read.

Import from here: ``from figures.store import Store, ClaimFilter, ...``.
"""

from __future__ import annotations

from figures.edit_schema import EDITABLE_FIELDS
from figures.records import STORED_CLAIM_FIELDS as CLAIM_FIELDS
from figures.store_core import DEFAULT_DB_PATH, READ_ONLY_MESSAGE, ReadOnlyError, failure_message, resolve_database_url
from figures.store_corrections import CORRECTION_KINDS, EditConflict, ReextractReport, StoreCorrections
from figures.store_reads import FACET_COLUMNS, LIGHT_TEXT_COLUMNS, ClaimFilter, StoreReads
from figures.store_writes import FileReport, claim_key, without_nul

__all__ = [
    "CLAIM_FIELDS", "CORRECTION_KINDS", "DEFAULT_DB_PATH", "EDITABLE_FIELDS", "FACET_COLUMNS", "LIGHT_TEXT_COLUMNS",
    "READ_ONLY_MESSAGE", "ClaimFilter", "EditConflict", "FileReport", "ReadOnlyError", "ReextractReport", "Store",
    "claim_key", "failure_message", "resolve_database_url", "without_nul",
]


class Store(StoreCorrections, StoreReads):
    """The claims database. Safe to share across threads; one per process is enough."""
