"""Curation of claims from the dashboard: who curates, reject/confirm/restore/unconfirm
messages and their undo, finding a claim by id, and running a write safely. The edit
form's schema (parse_edit and what uses it) stays in views.py."""

from __future__ import annotations

import logging
from typing import Any, Sequence

log = logging.getLogger(__name__)

def safely(action: Any, failed: str) -> str | None:
    """Run a write the page asked for; None when it landed, else ``failed`` and a short reason
    for the page (the detail, with any SQL, goes to the server log)."""
    from figures.store import EditConflict, failure_message

    try:
        action()
    except (ValueError, EditConflict) as exc:
        return f"{failed}: {exc}"
    except Exception as exc:  # noqa: BLE001 -- whatever the database said, the person learns it did not land
        log.exception("%s", failed)
        return f"{failed}: {failure_message(exc)}."
    return None


def clean_user(name: str | None) -> str:
    name = " ".join((name or "").split())[:80]
    return name or "anonymous"


UNDO_KIND = {"reject": "restore", "confirm": "unconfirm"}
_PAST = {"reject": "rejected", "confirm": "confirmed", "restore": "restored", "unconfirm": "unconfirmed"}


def id_list(ids: Sequence[int], most: int = 12) -> str:
    """'ids 3, 5, 8' (the first ``most``, then how many more)."""
    shown = ", ".join(str(i) for i in ids[:most])
    more = f" and {len(ids) - most:,} more" if len(ids) > most else ""
    return f"id{'s' if len(ids) > 1 else ''} {shown}{more}"


def _claims_named(ids: Sequence[int]) -> str:
    return f"Claim {ids[0]}" if len(ids) == 1 else f"{len(ids):,} claims ({id_list(ids)})"


def curation_message(kind: str, ids: Sequence[int], user: str, undo: bool = False, failed: bool = False) -> str:
    """The one message a reject/confirm/restore/unconfirm of these claims leaves on the page."""
    what, past = _claims_named(ids), _PAST[kind]
    if failed:
        return f"{what} {'was' if len(ids) == 1 else 'were'} NOT {past}"
    gone = "; it no longer appears" if len(ids) == 1 else "; they no longer appear"
    tail = f"{gone} in charts, tables or exports." if kind == "reject" else "."
    return f"{'Undone: ' if undo else ''}{what} {past} by {user}{tail}"


def undo_label(kind: str, ids: Sequence[int]) -> str:
    """The undo button's text for the last action."""
    return f"Undo: {_claims_named(ids).lower()} {_PAST[kind]} (marks {'it' if len(ids) == 1 else 'them'} " \
           f"{_PAST[UNDO_KIND[kind]]})"


def find_claim(store: Any, raw_id: str, include_rejected: bool = False) -> tuple[Any, dict | None]:
    """The claim with this id (not rejected, unless asked for), as (id, row dict with
    corrections applied), or (raw text, None) when there is none."""
    raw = (raw_id or "").strip()
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= 2**63:
        return raw, None
    row = store.get_claim(int(raw))
    if row is None or (row.get("rejected") and not include_rejected):
        return raw, None
    return row["claim_id"], dict(row)
