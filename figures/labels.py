"""Human labels for stored codes (figures/data/labels.csv): what tables, tooltips and
legends show for `at_least`, `month`, `published` ... The stored data and the exports
keep the codes; only what a person reads is relabelled."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from figures.lexicon import read_table

FIELDS = ("qualifier", "period", "date_basis", "side", "metric")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {name: {} for name in FIELDS}
    for row in read_table("labels.csv"):
        out[row["field"]][row["code"]] = row["label"]
    return out


def labels_of(field: str) -> Mapping[str, str]:
    """Code -> label for one field (empty for a field without labels)."""
    return _table().get(field, {})


def label(field: str, code: Any) -> str:
    """The label of one code: '' for a missing one, the code itself when it has no label."""
    if code is None or code != code or code == "":  # None, NaN, empty
        return ""
    text = str(code)
    return labels_of(field).get(text, text)


def label_list(field: str, codes: Iterable[Any]) -> list[str]:
    """:func:`label` over many codes, each distinct code looked up once."""
    seen: dict[Any, str] = {}
    out = []
    for code in codes:
        key = code if isinstance(code, str) or code is None else str(code)
        if key not in seen:
            seen[key] = label(field, code)
        out.append(seen[key])
    return out
