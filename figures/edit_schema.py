"""The edit schema: which claim fields a person may correct, and how an edit is read.

One schema for the store (Store.edit_claim, add_correction) and the dashboard's edit form
(views.edit_changes), so a value the form accepts is one the store stores, and the other way round.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from figures.model import DATE_BASES, METRICS, PERIODS, QUALIFIERS
from figures.records import as_date, missing

# Every field a correction may change.
EDITABLE_FIELDS = (
    "value", "low", "high", "qualifier", "metric", "item", "subject",
    "claimant", "side", "date", "date_basis", "period", "location", "claimant_entity", "conditional",
)
# The fields the dashboard's edit form shows, in its order (the entity is merged, not typed; the
# date basis and the conditional flag are not offered there).
FORM_FIELDS = (
    "value", "low", "high", "qualifier", "metric", "item", "subject", "claimant", "side",
    "date", "period", "location",
)
NUMBER_FIELDS = ("value", "low", "high")
CHOICES = {"metric": (*METRICS, "other"), "qualifier": QUALIFIERS, "date_basis": DATE_BASES, "period": PERIODS}
REQUIRED = ("value", "subject", "side", "metric", "qualifier", "date_basis")
_YES = ("1", "true", "yes", "y")


def parse_edit(name: str, value: Any) -> Any:
    """An edit typed like its column, from text as a person typed it (``"5,840"``, ``" 2022-03-01"``,
    ``""``) or from a typed value (12.0, a date, True): a float, a date, a bool, text or None.
    Raises ValueError with a readable message for a field that cannot be edited or a value the
    spec does not allow."""
    if name not in EDITABLE_FIELDS:
        raise ValueError(f"{name} cannot be edited")
    given = None if missing(value) else value.strip() if isinstance(value, str) else value
    if given == "":
        given = None
    if name in NUMBER_FIELDS:
        return _number(name, given)
    if name == "date":
        return _date(given)
    if name == "conditional":
        return given if isinstance(given, bool) else str(given).lower() in _YES
    text = "" if given is None else str(given)
    allowed = CHOICES.get(name)
    if allowed is not None and text and text not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    if not text and name in REQUIRED:
        raise ValueError(f"{name} cannot be empty")
    return text or None


def _number(name: str, given: Any) -> float | None:
    if given is None:
        if name in REQUIRED:
            raise ValueError(f"{name} cannot be empty")
        return None
    try:
        return float(given.replace(",", "").replace("_", "") if isinstance(given, str) else given)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {given!r}") from None


def _date(given: Any) -> dt.date | None:
    if not isinstance(given, str):
        return as_date(given)
    try:
        return dt.datetime.fromisoformat(given).date()
    except ValueError:
        raise ValueError(f"date must be YYYY-MM-DD, not {given!r}") from None
