"""The store's tables and their versioned upgrade path.

``schema_version`` holds one row with the version of the tables. Opening a store
runs the missing migrations in order inside one transaction, so an upgrade
either completes or leaves the old tables and their data as they were. Each
migration is a function from version N to N+1; a store newer than this code is
refused rather than touched.

Version history:
  1. documents, claims, corrections.
  2. claims.mention_group (links mentions of one claim across documents),
     store_meta.revision (cache key for readers), indexes on the filter columns.
  3. claims.claimant_entity (who the claimant is, claims-spec.md "Claimant entities"; filled
     from each stored claimant and side, `reextract` refines it with the document's context)
     and claims.conditional (hypothetical, target or analogy figures; false until re-extracted);
     entity_merges (curators' merges and renames of claimant entities, never deleted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    false,
    inspect,
    select,
    update,
)

SCHEMA_VERSION = 3


class SchemaError(RuntimeError):
    """The database holds a schema this code cannot use."""


def _base_tables(metadata: MetaData) -> tuple[Table, Table, Table, Table]:
    """Version 1 of the tables; later versions add to these."""
    version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
    documents = Table(
        "documents",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("doc_key", String, nullable=False, index=True),
        Column("content_hash", String(64), nullable=False, unique=True),
        Column("title", Text),
        Column("url", Text),
        Column("outlet", String, index=True),
        Column("published", Date),
        Column("source", Text),
        Column("text", Text, nullable=False),
        Column("meta", Text),
        Column("extractor_version", String),
        Column("ingested_at", DateTime, nullable=False),
    )
    claims = Table(
        "claims",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        Column("claim_key", String, nullable=False),
        Column("doc", String, nullable=False),
        Column("quote", Text, nullable=False),
        Column("start", Integer, nullable=False),
        Column("end", Integer, nullable=False),
        Column("value", Float, nullable=False),
        Column("low", Float),
        Column("high", Float),
        Column("qualifier", String, nullable=False),
        Column("metric", String, nullable=False),
        Column("item", String),
        Column("subject", String, nullable=False),
        Column("claimant", String),
        Column("side", String, nullable=False),
        Column("date", Date),
        Column("date_basis", String, nullable=False),
        Column("period", String),
        Column("location", String),
        Column("stated", Text, nullable=False, default=""),
        Column("extractor_version", String),
        # The extractor's own values (JSON), kept once a correction changes the row.
        Column("original", Text),
        Column("confirmed", Boolean, nullable=False, default=False),
        Column("rejected", Boolean, nullable=False, default=False),
        Column("corrected", Boolean, nullable=False, default=False),
        UniqueConstraint("document_id", "claim_key", name="uq_claims_document_key"),
        Index("ix_claims_document", "document_id"),
    )
    corrections = Table(
        "corrections",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        # Keyed by document and claim key, not by claim row, so re-extraction cannot orphan them.
        Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        Column("claim_key", String, nullable=False),
        Column("claim_id", Integer),
        Column("kind", String(16), nullable=False),
        Column("field", String),
        Column("old_value", Text),
        Column("new_value", Text),
        Column("user_name", String, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Index("ix_corrections_claim", "document_id", "claim_key"),
    )
    return version, documents, claims, corrections


def _v2_indexes(claims: Table) -> list[Index]:
    return [
        Index("ix_claims_mention_group", claims.c.mention_group),
        Index("ix_claims_metric_date", claims.c.metric, claims.c.date),
        Index("ix_claims_subject", claims.c.subject),
        Index("ix_claims_claimant", claims.c.claimant),
        Index("ix_claims_side", claims.c.side),
        Index("ix_claims_date", claims.c.date),
        Index("ix_claims_group_key", claims.c.metric, claims.c.subject, claims.c.value),
    ]


def v1_metadata() -> MetaData:
    """The tables as version 1 created them (for the upgrade tests)."""
    metadata = MetaData()
    _base_tables(metadata)
    return metadata


metadata = MetaData()
schema_version, documents, claims, corrections = _base_tables(metadata)
claims.append_column(Column("mention_group", Integer))
claims.append_column(Column("claimant_entity", String))
claims.append_column(Column("conditional", Boolean, nullable=False, default=False, server_default=false()))
store_meta = Table(
    "store_meta",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", Integer, nullable=False),
)
V2_INDEXES = _v2_indexes(claims)
V3_INDEXES = [Index("ix_claims_claimant_entity", claims.c.claimant_entity)]
# A curator's merge of one claimant entity into another (a rename is a merge into a new name):
# applied to the stored claims when made, and to every later extraction into the store.
entity_merges = Table(
    "entity_merges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("target", String, nullable=False),
    Column("user_name", String, nullable=False),
    Column("created_at", DateTime, nullable=False),
)


def merge_map(rows: list[tuple[str, str]]) -> dict[str, str]:
    """Entity -> the entity it is merged into now, from merges (source, target) in the order
    made: chains resolve (a -> b, b -> c gives a -> c) and a later merge undoes an earlier one
    (a -> b, then b -> a leaves a, and maps b to a)."""
    mapping: dict[str, str] = {}
    for source, target in rows:
        if source == target:
            continue
        mapping.pop(target, None)
        for name, into in list(mapping.items()):
            if into == source:
                mapping[name] = target
        mapping[source] = target
    return {name: into for name, into in mapping.items() if name != into}


# ---------------------------------------------------------------- mention groups

MENTION_DAYS = 3  # mentions of one claim: dates chaining within this many days
MENTION_VALUE = 0.005  # ... and values chaining within 0.5% (claims-spec.md: the evaluation's tolerance)


def _value_clusters(rows: list[tuple[int, float, dt.date | None]]) -> Iterator[list[tuple[int, float, dt.date | None]]]:
    """Rows in value order, cut where a value is more than MENTION_VALUE above the one before."""
    cluster: list[tuple[int, float, dt.date | None]] = []
    for row in sorted(rows, key=lambda row: (row[1], row[0])):
        if cluster and row[1] > cluster[-1][1] * (1 + MENTION_VALUE):
            yield cluster
            cluster = []
        cluster.append(row)
    if cluster:
        yield cluster


def mention_clusters(rows: list[tuple[int, float, dt.date | None]]) -> Iterator[list[int]]:
    """Split claims (id, value, date) of one (metric, subject, claimant_entity) into mentions of one
    claim: values chaining within MENTION_VALUE, and among those dates chaining within MENTION_DAYS.

    Claims without a date form their own group per value cluster.
    """
    for values in _value_clusters(rows):
        dated = sorted((row for row in values if row[2] is not None), key=lambda row: (row[2], row[0]))
        undated = [row[0] for row in values if row[2] is None]
        cluster: list[int] = []
        previous: dt.date | None = None
        for claim_id, _, day in dated:
            if cluster and previous is not None and (day - previous).days > MENTION_DAYS:
                yield cluster
                cluster = []
            cluster.append(claim_id)
            previous = day
        if cluster:
            yield cluster
        if undated:
            yield undated


def regroup_all(conn: Connection) -> int:
    """Recompute every claim's mention group in one SQL statement; returns rows changed.

    Same rule as :func:`mention_clusters`: within one (metric, subject, claimant_entity), claims
    in value order form value clusters while each value is at most MENTION_VALUE above the one
    before; within a value cluster, claims ordered by date form a group while consecutive dates
    are at most MENTION_DAYS apart; undated claims form one group; the group id is the smallest
    claim id.
    """
    day = "julianday(date)" if conn.dialect.name == "sqlite" else "(date - DATE '2000-01-01')"
    base = "metric, subject, claimant_entity"
    key = f"{base}, vcluster, (date IS NULL)"
    statement = f"""
        WITH valued AS (
            SELECT id, metric, subject, claimant_entity, value, date,
                   LAG(value) OVER (PARTITION BY {base} ORDER BY value, id) AS previous_value
            FROM claims
        ), vclustered AS (
            SELECT id, metric, subject, claimant_entity, date, COALESCE({day}, 0) AS day,
                   SUM(CASE WHEN previous_value IS NULL OR value > previous_value * {1 + MENTION_VALUE}
                            THEN 1 ELSE 0 END)
                       OVER (PARTITION BY {base} ORDER BY value, id ROWS UNBOUNDED PRECEDING) AS vcluster
            FROM valued
        ), ordered AS (
            SELECT id, metric, subject, claimant_entity, vcluster, date, day,
                   LAG(day) OVER (PARTITION BY {key} ORDER BY date, id) AS previous
            FROM vclustered
        ), clustered AS (
            SELECT id, metric, subject, claimant_entity, vcluster, date,
                   SUM(CASE WHEN previous IS NULL OR day - previous > {MENTION_DAYS} THEN 1 ELSE 0 END)
                       OVER (PARTITION BY {key} ORDER BY date, id ROWS UNBOUNDED PRECEDING) AS cluster
            FROM ordered
        ), grouped AS (
            SELECT id, MIN(id) OVER (PARTITION BY {key}, cluster) AS mention
            FROM clustered
        )
        UPDATE claims SET mention_group = grouped.mention
        FROM grouped
        WHERE claims.id = grouped.id
          AND (claims.mention_group IS NULL OR claims.mention_group <> grouped.mention)
    """
    return max(conn.exec_driver_sql(statement).rowcount or 0, 0)


def apply_groups(conn: Connection, changes: list[dict[str, int]]) -> None:
    """Write mention groups given as ``{"b_id": claim id, "b_group": group}`` rows."""
    if changes:
        conn.execute(
            update(claims).where(claims.c.id == bindparam("b_id")).values(mention_group=bindparam("b_group")),
            changes,
        )


# ---------------------------------------------------------------- migrations


def _migrate_1_to_2(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE claims ADD COLUMN mention_group INTEGER")
    for index in V2_INDEXES:
        index.create(conn)
    store_meta.create(conn)
    conn.execute(store_meta.insert().values(id=1, revision=1))
    # the groups are computed by the 2 -> 3 step, which adds the entity they key on


def fill_entities(conn: Connection) -> int:
    """Set claimant_entity from each distinct (claimant, side) of the stored claims; returns rows changed."""
    from figures.entities import resolve

    pairs = conn.execute(select(claims.c.claimant, claims.c.side).distinct().where(claims.c.claimant.is_not(None)))
    changed = 0
    for claimant, side in pairs.all():
        entity = resolve(claimant, side)[0]
        result = conn.execute(update(claims).where(claims.c.claimant == claimant, claims.c.side == side)
                              .values(claimant_entity=entity))
        changed += max(result.rowcount or 0, 0)
    return changed


def _migrate_2_to_3(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE claims ADD COLUMN claimant_entity VARCHAR")
    conn.exec_driver_sql("ALTER TABLE claims ADD COLUMN conditional BOOLEAN NOT NULL DEFAULT FALSE")
    for index in V3_INDEXES:
        index.create(conn)
    entity_merges.create(conn)
    fill_entities(conn)
    regroup_all(conn)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migrate_1_to_2, 2: _migrate_2_to_3}


def current_version(conn: Connection) -> int | None:
    """The stored schema version; None for an empty database."""
    if not inspect(conn).has_table("schema_version"):
        return None
    version = conn.execute(select(schema_version.c.version)).scalar()
    return int(version) if version is not None else None


def upgrade(conn: Connection) -> int:
    """Create or upgrade the tables to SCHEMA_VERSION inside the caller's transaction; returns the old version."""
    version = current_version(conn)
    if version is None:
        if inspect(conn).has_table("documents"):
            raise SchemaError("the database has figures tables but no schema_version row; refusing to guess")
        metadata.create_all(conn)
        for index in (*V2_INDEXES, *V3_INDEXES):
            index.create(conn, checkfirst=True)
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
        conn.execute(store_meta.insert().values(id=1, revision=1))
        return 0
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the database is at schema version {version}, newer than this code ({SCHEMA_VERSION}); upgrade figures"
        )
    old = version
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](conn)
        version += 1
        conn.execute(update(schema_version).values(version=version))
    return old
