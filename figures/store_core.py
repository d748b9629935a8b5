"""The store's core: the database URL, the engine (SQLite with WAL and a busy timeout, or
PostgreSQL), one write transaction at a time, read-only mode, and the extractor hook.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, select, update
from sqlalchemy.exc import SQLAlchemyError

from figures.model import Claim, Document
from figures.store_schema import SCHEMA_VERSION, current_version, entity_merges, merge_map, store_meta, upgrade

DEFAULT_DB_PATH = Path(__file__).resolve().parents[1] / "data" / "figures.db"

_WRITE_LOCK_KEY = 7_245_001  # PostgreSQL advisory lock id for figures writers
_IN_CHUNK = 500  # ids or keys per IN (...) query
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


def failure_message(exc: BaseException) -> str:
    """What a person sees when a write fails: the kind of failure, never the SQL statement or the
    article text the database error carries (those go to the server log)."""
    if isinstance(exc, ReadOnlyError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        return f"the database refused the write ({type(exc).__name__}); the details are in the server log"
    return f"it failed ({type(exc).__name__}); the details are in the server log"


def _entity_merges(conn: Connection) -> dict[str, str]:
    """Entity -> the entity curators merged it into, from the entity_merges table."""
    statement = select(entity_merges.c.source, entity_merges.c.target).order_by(entity_merges.c.id)
    return merge_map([(source, target) for source, target in conn.execute(statement)])


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StoreCore:
    """Connections and transactions: the database URL, the engine, the write lock, read-only
    mode, the schema check and the extractor hook. The other parts of Store build on this."""

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
                _switch_to_wal(cursor)
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

    def __enter__(self) -> Self:
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

    def entity_merge_map(self) -> dict[str, str]:
        """Entity -> the entity curators merged it into (store_schema.merge_map)."""
        with self.engine.connect() as conn:
            return _entity_merges(conn)

    def _insert_or_ignore(self, table: Any, conflict: list[str]) -> Any:
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        return dialect_insert(table).on_conflict_do_nothing(index_elements=conflict)


WAL_SWITCH_SECONDS = 60.0  # as long as the busy timeout: how long a new connection waits for the switch


def _switch_to_wal(cursor: Any, seconds: float = WAL_SWITCH_SECONDS) -> None:
    """Put a SQLite file in WAL mode, retrying while another connection holds it. The switch
    needs the file to itself, and SQLite answers "database is locked" at once rather than
    wait in its busy handler when waiting could deadlock (two processes opening a new store
    together, one creating the schema): retried with a growing pause until ``seconds``."""
    deadline = time.monotonic() + seconds
    pause = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            locked = "locked" in str(error) or "busy" in str(error)
            if not locked or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
