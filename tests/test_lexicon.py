"""Every table in figures/data: its columns, the values its enum columns may take, regexes that
compile, no duplicate keys. A bad row fails here, with the table, line and problem named."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from figures.lexicon import (
    COUNT_WORD_CLASSES,
    DATA_DIR,
    SPEAKER_WORD_CLASSES,
    nationalities,
    places,
    read_table,
)
from figures.model import DATE_BASES, METRICS, PERIODS, QUALIFIERS

Row = dict[str, str]
# sides that are no country: blocs, the press, researchers, unknown
_NON_COUNTRY_SIDES = {"media", "independent", "unknown", "United Nations", "NATO", "European Union"}


def _sides() -> set[str]:
    return set(nationalities().values()) | set(places().values()) | _NON_COUNTRY_SIDES


def _label_codes() -> dict[str, set[str]]:
    """The codes a label may name, per field (labels.csv): the spec's enums and the sides."""
    return {"qualifier": set(QUALIFIERS), "period": set(PERIODS), "date_basis": set(DATE_BASES),
            "metric": {*METRICS, "other"}, "side": _sides()}


def _one_of(*values: str) -> Callable[[str], bool]:
    allowed = set(values)
    return lambda value: value in allowed


def _classes(allowed: frozenset[str]) -> Callable[[str], bool]:
    return lambda value: bool(value.split()) and set(value.split()) <= allowed


def _positive_number(value: str) -> bool:
    try:
        return float(value) > 0
    except ValueError:
        return False


def _nonempty(value: str) -> bool:
    return bool(value)


_YES = _one_of("", "yes")


@dataclass
class Schema:
    columns: tuple[str, ...]
    key: tuple[str, ...]  # no two rows share these columns (case-insensitive)
    checks: dict[str, Callable[[str], bool]] = field(default_factory=dict)  # column -> valid value?
    regexes: dict[str, int] = field(default_factory=dict)  # column -> flags it is compiled with
    row_check: Callable[[Row], bool] | None = None  # a rule across the columns of a row


SCHEMAS: dict[str, Schema] = {
    "abbreviations.csv": Schema(("word",), ("word",), {"word": lambda w: w == w.lower() and bool(w)}),
    "claimants.csv": Schema(
        ("pattern", "canonical", "side", "kind"), ("pattern",),
        {"side": lambda s: s == "" or s in _sides(), "kind": _one_of("person", "org", "media", "generic")},
        {"pattern": re.IGNORECASE},
    ),
    "conditional.csv": Schema(
        ("phrase", "kind"), ("phrase",),
        {"kind": _one_of("modal", "plan", "if", "history", "break", "not_after", "not_after_if")},
    ),
    "count_words.csv": Schema(("word", "classes"), ("word",), {"classes": _classes(COUNT_WORD_CLASSES)}),
    "cues.csv": Schema(
        ("phrase", "metric", "item", "role"), ("phrase",),
        {"metric": _one_of(*METRICS), "role": _one_of("verb", "noun", "item")},
        row_check=lambda row: (row["role"] == "item") == bool(row["item"]),  # an item cue names its item
    ),
    "demonyms.csv": Schema(
        ("country", "adjective", "people", "militants"), ("country",), {"country": lambda c: c in _sides()},
        row_check=lambda row: any(row[c] for c in ("adjective", "people", "militants")),
    ),
    "entities.csv": Schema(
        ("entity", "side", "pattern", "context", "scope"), ("entity", "pattern", "context"),
        {"entity": _nonempty, "side": lambda s: s in _sides(), "scope": _one_of("", "sentence")},
        {"pattern": 0, "context": re.DOTALL},
    ),
    "entity_rewrites.csv": Schema(("pattern", "replacement"), ("pattern",), {}, {"pattern": re.IGNORECASE}),
    "entity_words.csv": Schema(("word", "role"), ("word", "role"), {"role": _one_of("beside", "national")}),
    "item_verbs.csv": Schema(("phrase", "effect"), ("phrase",), {"effect": _one_of("loss", "shot_down", "strike", "aid")}),
    "nationalities.csv": Schema(("word", "country"), ("word",), {"country": lambda c: c == "" or c in _sides()}),
    "np_words.csv": Schema(("word", "role"), ("word", "role"), {"role": _one_of("head", "mod", "glue", "place")}),
    "number_labels.csv": Schema(("phrase", "kind"), ("phrase",), {"kind": _one_of("label", "money", "age")}),
    "outlets.csv": Schema(("token", "outlet"), ("token",), {"outlet": _nonempty}),
    "places.csv": Schema(("place", "country"), ("place",), {"country": _nonempty}),
    "qualifiers.csv": Schema(
        ("phrase", "qualifier", "position"), ("phrase", "position"),
        {"qualifier": _one_of(*QUALIFIERS), "position": _one_of("before", "after")},
    ),
    "reporting_verbs.csv": Schema(
        ("verb", "use", "trailing", "subject_participle", "plain_say", "hint"), ("verb",),
        {"use": _one_of("", "end", "hint"), "trailing": _YES, "subject_participle": _YES, "plain_say": _YES,
         "verb": lambda v: v[:1].isalpha() and v[-1:].isalnum()},
        row_check=lambda row: row["use"] != "hint" or bool(row["hint"]),  # a hint row gives a hint
    ),
    "labels.csv": Schema(("field", "code", "label"), ("field", "code"), {"label": _nonempty},
                         row_check=lambda row: row["code"] in _label_codes().get(row["field"], ())),
    "number_units.csv": Schema(("kind", "pattern"), ("kind", "pattern"),
                               {"kind": _one_of("measure", "duration", "money", "count of non-people")},
                               regexes={"pattern": 0}),
    "side_colours.csv": Schema(("side", "colour"), ("side",), {"side": lambda s: s in _sides(),
                               "colour": lambda c: re.fullmatch(r"#[0-9a-f]{6}", c) is not None}),
    "speaker_words.csv": Schema(("word", "classes"), ("word",), {"classes": _classes(SPEAKER_WORD_CLASSES)}),
    "subjects.csv": Schema(("noun", "subject", "mode"), ("noun",), {"subject": _nonempty, "mode": _one_of("plain", "military")}),
    "theatres.csv": Schema(("kind", "name", "theatre"), ("kind", "name"), {"kind": _one_of("country", "side"), "theatre": _nonempty}),
    "vague.csv": Schema(("phrase", "value"), ("phrase",), {"value": _positive_number}),
}


def problems(name: str, columns: list[str], rows: list[Row]) -> list[str]:
    """What is wrong with a table's rows (empty when nothing is)."""
    schema = SCHEMAS[name]
    if tuple(columns) != schema.columns:
        return [f"{name}: columns {columns}, expected {list(schema.columns)}"]
    found: list[str] = []
    seen: dict[tuple[str, ...], int] = {}
    for number, row in enumerate(rows, start=1):
        where = f"{name} row {number} {row}"
        if None in row or any(value is None for value in row.values()):
            found.append(f"{where}: wrong number of cells")
            continue
        key = tuple(row[c].lower() for c in schema.key)
        if key in seen:
            found.append(f"{where}: duplicate key {key} (row {seen[key]})")
        seen.setdefault(key, number)
        for column, valid in schema.checks.items():
            if not valid(row[column]):
                found.append(f"{where}: bad {column} {row[column]!r}")
        for column, flags in schema.regexes.items():
            try:
                re.compile(row[column], flags)
            except re.error as error:
                found.append(f"{where}: {column} does not compile ({error})")
        if schema.row_check and not schema.row_check(row):
            found.append(f"{where}: columns disagree")
    return found


def _header(name: str) -> list[str]:
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        first = next(line for line in handle if line.strip() and not line.lstrip().startswith("#"))
    return first.strip().split(",")


def test_every_table_has_a_schema() -> None:
    tables = {path.name for path in DATA_DIR.iterdir() if path.suffix == ".csv"}
    assert tables == set(SCHEMAS)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_table_is_valid(name: str) -> None:
    rows = read_table(name)
    assert rows, f"{name} has no rows"
    assert problems(name, _header(name), rows) == []


# ---------------------------------------------------------------- the checks catch bad rows

def _good(name: str) -> list[Row]:
    return [dict(row) for row in read_table(name)]


def test_a_bad_enum_value_is_caught() -> None:
    rows = _good("cues.csv") + [{"phrase": "perished", "metric": "death", "item": "", "role": "verb"}]
    assert any("bad metric 'death'" in p for p in problems("cues.csv", _header("cues.csv"), rows))


def test_a_duplicate_key_is_caught_case_insensitively() -> None:
    rows = _good("places.csv") + [{"place": "KHARKIV", "country": "Ukraine"}]
    assert any("duplicate key ('kharkiv',)" in p for p in problems("places.csv", _header("places.csv"), rows))


def test_a_regex_that_does_not_compile_is_caught() -> None:
    rows = _good("claimants.csv") + [{"pattern": "ministry of (defence", "canonical": "", "side": "", "kind": "org"}]
    assert any("pattern does not compile" in p for p in problems("claimants.csv", _header("claimants.csv"), rows))


def test_wrong_columns_are_caught() -> None:
    assert problems("vague.csv", ["phrase", "amount"], _good("vague.csv"))


def test_an_unknown_class_and_a_row_rule_are_caught() -> None:
    speaker = _good("speaker_words.csv") + [{"word": "envoys", "classes": "plural person_rol"}]
    assert any("bad classes" in p for p in problems("speaker_words.csv", _header("speaker_words.csv"), speaker))
    verbs = _good("reporting_verbs.csv") + [
        {"verb": "as per", "use": "hint", "trailing": "", "subject_participle": "", "plain_say": "", "hint": ""}]
    assert any("columns disagree" in p for p in problems("reporting_verbs.csv", _header("reporting_verbs.csv"), verbs))


def test_an_unknown_side_is_caught() -> None:
    rows = _good("claimants.csv") + [{"pattern": "atlantis council", "canonical": "", "side": "Atlantis", "kind": "org"}]
    assert any("bad side 'Atlantis'" in p for p in problems("claimants.csv", _header("claimants.csv"), rows))
