"""One-off repair aids: edits an operator should review.

Until the edit form was keyed on the claim (issue 16), picking claim A and then claim B
left A's values in the form, and saving B stored every field where those values differed
from B's: B received A's metric, side, date or location although the person changed only
its value. Such a save shows as edits whose fields now differ from what the extractor
found (the claim's ``original`` values) without the person having meant it.

:func:`review_edits` lists, per save (one person, one claim, corrections a few seconds
apart), every edited field whose value now differs from the claim's original value, with
the claim this person saved just before when that claim holds the same value in that
field (the mark of a value carried over from it). Nothing is changed: the operator reviews
the list and corrects or restores claims in the dashboard.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from figures.views import current_value

COLUMNS = ["save", "claim_id", "user", "saved_at", "field", "original", "now", "fields_in_save", "carried_from"]


def _text(name: str, value: Any) -> str:
    return current_value({name: value}, name)


def edit_saves(log: pd.DataFrame, window: float = 5.0) -> pd.DataFrame:
    """The edit corrections of a corrections log (Store.corrections_frame) numbered by save:
    a save is one person's edits of one claim, each within ``window`` seconds of the last."""
    edits = log[log["kind"] == "edit"].sort_values(["user", "claim_id", "created_at"], kind="stable").copy()
    if edits.empty:
        return edits.assign(save=pd.Series(dtype="int64"))
    gap = edits["created_at"].diff().dt.total_seconds()
    same = (edits["user"] == edits["user"].shift()) & (edits["claim_id"] == edits["claim_id"].shift())
    edits["save"] = (~same | (gap > window)).cumsum()
    return edits.sort_values(["created_at", "save"], kind="stable")


def review_edits(store: Any, window: float = 5.0) -> pd.DataFrame:
    """Edited fields whose value now differs from the claim's original one, one row each (COLUMNS)."""
    saves = edit_saves(store.corrections_frame(), window)
    if saves.empty:
        return pd.DataFrame(columns=COLUMNS)
    ids = [int(i) for i in saves["claim_id"].dropna().unique()]
    originals = store.original_values(ids)
    current = store.claims_by_ids(ids, include_rejected=True).set_index("claim_id")
    previous: dict[str, int] = {}  # the claim each person saved last
    rows = []
    for save, group in saves.groupby("save", sort=False):
        claim_id, user = int(group["claim_id"].iloc[0]), str(group["user"].iloc[0])
        fields = list(dict.fromkeys(group["field"]))
        before = previous.get(user)
        previous[user] = claim_id
        if claim_id not in current.index:
            continue
        for name in fields:
            now = _text(name, current.at[claim_id, name])
            original = _text(name, originals.get(claim_id, {}).get(name))
            if now == original:
                continue
            carried = before is not None and before != claim_id and before in current.index and \
                _text(name, current.at[before, name]) == now
            rows.append({"save": int(save), "claim_id": claim_id, "user": user,
                         "saved_at": group["created_at"].iloc[0], "field": name, "original": original, "now": now,
                         "fields_in_save": ", ".join(fields), "carried_from": before if carried else None})
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["save"] = pd.factorize(out["save"])[0] + 1
    return out
