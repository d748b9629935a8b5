"""The store's corrections: edits checked against the edit schema (figures.edit_schema), flags,
the audit history, and re-extraction that re-attaches corrections to the claims found again.

Claims rows hold the *effective* values; the extractor's own values are kept in ``original``
once a correction changes a row, and every correction stays in ``corrections``, keyed by
document and claim key.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from figures.edit_schema import EDITABLE_FIELDS, parse_edit
from figures.entities import resolve as resolve_entity
from figures.records import STORED_CLAIM_FIELDS, as_date, claim_values, document_from_record, json_value, missing
from figures.store_core import _chunks, _entity_merges, failure_message
from figures.store_schema import claims, corrections, documents
from figures.store_writes import StoreWrites

log = logging.getLogger(__name__)

CORRECTION_KINDS = ("edit", "reject", "confirm", "restore", "unconfirm")


@dataclass
class ReextractReport:
    documents: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    corrections_kept: int = 0  # corrections moved to a claim whose key changed (a shifted span, a new metric)
    unattached: list[str] = field(default_factory=list)  # one line per correction left without a claim (kept)
    errors: list[str] = field(default_factory=list)


class EditConflict(RuntimeError):
    """An edit made on values that someone else has changed since: nothing was stored."""

    def __init__(self, claim_id: int, fields: Sequence[str]):
        self.claim_id, self.fields = claim_id, list(fields)
        super().__init__(f"claim {claim_id} was changed by someone else since you opened it "
                         f"({', '.join(self.fields)}); nothing was saved")


def _loose(name: str, value: Any) -> Any:
    """A value a person saw, typed like the column (an empty figure stays empty, not an error)."""
    if name in ("value", "low", "high"):
        return None if missing(value) or value == "" else float(value)
    if name == "date":
        return as_date(value)
    return None if missing(value) or str(value).strip() == "" else str(value).strip()


def _same(stored: Any, value: Any) -> bool:
    """Whether a stored column value and an edit's value are the same (None and '' alike,
    12 and 12.0 alike, a date and its ISO text alike)."""
    def normal(v: Any) -> Any:
        if missing(v) or v == "":
            return None
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        return str(json_value(v))

    return normal(stored) == normal(value)


def _from_json(name: str, raw: str | None) -> Any:
    value = json.loads(raw) if raw is not None else None
    return as_date(value) if name == "date" else value


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


class StoreCorrections(StoreWrites):
    """People's corrections (edits, rejections, confirmations, with who and when) applied to the
    claims rows, their history, and re-extraction that keeps every one of them."""

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
        wanted = {name: parse_edit(name, value) for name, value in changes.items()}
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
        old = json_value(getattr(row, field)) if field else None
        conn.execute(insert(corrections).values(
            document_id=row.document_id, claim_key=row.claim_key, claim_id=row.id, kind=kind, field=field,
            old_value=json.dumps(old) if field else None,
            new_value=json.dumps(json_value(value)) if field else None,
            user_name=user, created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ))

    def _settle(self, conn: Connection, row: Any) -> None:
        """Apply the claim's corrections to its row, regroup its mentions, bump the revision."""
        base = json.loads(row.original) if row.original else {name: getattr(row, name) for name in STORED_CLAIM_FIELDS}
        new = self._reapply(conn, row.id, row.document_id, row.claim_key, claim_values(base))
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
                        {name: json_value(getattr(row, name)) for name in STORED_CLAIM_FIELDS}
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
        original = json.dumps({k: json_value(v) for k, v in base.items()}) if history else None
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
        document = document_from_record({**row._mapping, "id": row.doc_key})
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
                    base = {name: new[name] for name in STORED_CLAIM_FIELDS}
                    effective = self._reapply(conn, old.id, document_id, key, base)
                    keys.add((effective["metric"], effective["subject"], effective["claimant_entity"], effective["value"]))
                    report.updated += 1
                else:
                    report.corrections_kept += self._adopt_orphans(conn, document_id, key, new_rows)
                    inserted = conn.execute(insert(claims).values(**new).returning(claims.c.id)).scalar_one()
                    effective = self._reapply(conn, inserted, document_id, key, {n: new[n] for n in STORED_CLAIM_FIELDS})
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
