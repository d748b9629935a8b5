"""View logic of the dashboard, free of Streamlit. app.py only draws widgets and calls
these functions, so tests reach every rule here without a browser. The parts live in:

* figures/settings.py: settings, editors' login and its throttle, data-version refresh;
* figures/filters.py: filters, their URL form, facet counts, search in quotes;
* figures/viewmodel.py: the prepared frame, series, spread, tables, CSV downloads;
* figures/curation.py: curation messages, undo, finding a claim, safe writes;
* figures/intake.py: uploads, pasted articles, the demo.

This module names them all for app.py and holds the edit form's functions (built on
figures.edit_schema's parse_edit) and the two display helpers md_escape and plain.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

import pandas as pd

from figures.charts import UNATTRIBUTED
from figures.edit_schema import FORM_FIELDS, parse_edit
from figures.curation import (UNDO_KIND, clean_user, curation_message, find_claim, id_list, safely,  # noqa: F401
                              undo_label)
from figures.filters import (DATA_FIELDS, FACETS, QUERY_KEYS, QuoteIndex, ViewFilters, apply_filters,  # noqa: F401
                             clean_choices, facet_counts, facet_label, filter_mask, filter_summary,
                             filters_from_query, filters_to_query)
from figures.intake import (DEMO_DIR, IntakeResult, demo_paths, ensure_demo, ingest_paste,  # noqa: F401
                            ingest_upload, ingest_uploads, pasted_document)
from figures.settings import (DEFAULT_MAX_UPLOAD_INFLATED_MB, LoginThrottle, Refresher, Settings,  # noqa: F401
                              newest_token, password_ok, refresh_seconds, resolve_settings, try_login)
from figures.viewmodel import (CURATE_COLUMNS, DETAIL_COLUMNS, FRAME_COLUMNS, MENTION_COLUMNS,  # noqa: F401
                               NUMERIC_FIELDS, SPREAD_DAYS, TABLE_COLUMNS, TABLE_LIMIT, UNKNOWN_PLACE,
                               chart_rows, chart_series, claim_details, claim_mentions, claim_status,
                               competing_figures, csv_bytes, date_span, default_view, download_caption,
                               export_frame, filtered_claims, filtered_csv, fold_mentions, latest_totals,
                               load_frame, newest_rows, place_column, prepare_frame, rows_of_series,
                               series_counts, shown_dates, shown_text, spread_text, spread_within,
                               table_view, view_model, whole_numbers, with_arrow_tables, with_details)

EDITABLE_FIELDS = FORM_FIELDS  # the fields the edit form shows (figures.edit_schema holds the edit schema)


# ---------------------------------------------------------------- curation


def current_value(row: Mapping[str, Any], field_name: str) -> str:
    value = row.get(field_name)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if field_name == "claimant" and value == UNATTRIBUTED:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def claim_revision(row: Mapping[str, Any]) -> str:
    """A short digest of a claim's editable values and status: the edit form is keyed on the
    claim id and this, so a form never shows another claim's (or an older) values."""
    shown = [current_value(row, name) for name in EDITABLE_FIELDS]
    shown += [str(bool(row.get(flag))) for flag in ("confirmed", "rejected")]
    return hashlib.sha1("\x1f".join(shown).encode("utf-8")).hexdigest()[:12]


def edit_changes(row: Mapping[str, Any], edits: Mapping[str, str]) -> dict[str, tuple[str, Any]]:
    """The fields a person changed in the edit form: field -> (value shown, typed new value).

    A field counts as changed only when its text differs from what the form showed for
    this claim. Raises ValueError (naming the field) when a changed value is invalid."""
    changes: dict[str, tuple[str, Any]] = {}
    for name, raw in edits.items():
        shown = current_value(row, name)
        if (raw or "").strip() != shown:
            changes[name] = (shown, parse_edit(name, raw))
    return changes


def change_table(changes: Mapping[str, tuple[str, Any]]) -> pd.DataFrame:
    """What a save will change, one row per field: the value now and the new one, as text."""
    return pd.DataFrame([{"field": name, "now": shown, "new": "" if new is None else current_value({name: new}, name)}
                         for name, (shown, new) in changes.items()], columns=["field", "now", "new"])


def save_changes(store: Any, claim_id: Any, changes: Mapping[str, tuple[str, Any]], user: str) -> list[str]:
    """Store the changed fields of one claim in one transaction; returns the fields stored.

    Refused, nothing stored (store.EditConflict), when someone changed one of these fields
    after the form showed it."""
    if not changes:
        return []
    return store.edit_claim(claim_id, {name: new for name, (_, new) in changes.items()}, user=user or "anonymous",
                            expected={name: shown for name, (shown, _) in changes.items()})


def apply_edits(store: Any, claim_id: Any, row: Mapping[str, Any], edits: Mapping[str, str],
                user: str) -> list[str]:
    """Store an 'edit' correction for each field changed from the values shown; returns the
    changed field names. Raises ValueError (nothing stored) when any edited value is invalid."""
    return save_changes(store, claim_id, edit_changes(row, edits), user)


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:&=")


def md_escape(text: Any) -> str:
    """Text made inert for Streamlit markdown (labels, alerts, subheaders): every
    markdown and HTML-ish character is backslash-escaped, so '[x](http://…)',
    '![img](…)' and '<b>' show as typed."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))


def plain(value: Any) -> str:
    """A cell as display text: '' for None/NaN."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)
