"""Cue words, qualifiers, claimants, sides and places: loaded once from figures/data/*.csv.

Adding a claimant or a cue word is a one-line data change; no code is touched.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of figures/data/NAME as dicts; lines starting with # are comments."""
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)]


def trie_body(phrases: list[str], any_space: bool = True) -> str:
    """Phrases as one trie-shaped regex: it fails early at each position, so it runs many
    times faster than a flat alternation. A space in a phrase matches any whitespace, or with
    `any_space=False` one space. Phrases are words joined by single spaces, as the tables
    hold them (with `any_space`, a leading or doubled space would let one whitespace run
    end a shorter phrase where a longer one also matches)."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = True

    def build(node: dict) -> str:
        optional = "" in node
        branches = [(r"\s+" if char == " " and any_space else re.escape(char)) + build(child)
                    for char, child in sorted(node.items()) if char != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if optional else body

    return build(trie)


def _word_start_trie(words: list[str]) -> str:
    """r"\b" + trie_body(words), with the word boundary checked by a lookbehind after the first
    character: every branch then starts with a literal character, which lets the regex engine
    of a case-sensitive pattern skip quickly to the places where a phrase can start. That pays
    only when those characters are rare (capitals): with common ones it runs slower."""
    rests: dict[str, list[str]] = {}
    for word in words:
        rests.setdefault(word[0], []).append(word[1:])
    branches = [rf"{re.escape(char)}(?<=\b{re.escape(char)}){trie_body(tails)}" for char, tails in sorted(rests.items())]
    return "(?:" + "|".join(branches) + ")"


def phrase_pattern(phrases: list[str], flags: int = re.IGNORECASE, rare_starts: bool = False) -> re.Pattern[str]:
    """One regex matching any phrase as whole words; spaces match any whitespace. `rare_starts`:
    the phrases start with characters rare in text, for a case-sensitive pattern (_word_start_trie)."""
    normalised = {" ".join(p.split()) for p in phrases if p.strip()}
    if flags & re.IGNORECASE:
        normalised = {p.lower() for p in normalised}
    words = sorted(p for p in normalised if p[0].isalnum() and p[-1].isalnum())
    others = sorted((p for p in normalised if p not in words), key=len, reverse=True)
    parts = []
    if words:
        parts.append((_word_start_trie(words) if rare_starts else r"\b" + trie_body(words)) + r"\b")
    parts.extend(r"\s+".join(re.escape(w) for w in p.split()) for p in others)
    return re.compile("|".join(parts), flags)


@dataclass(frozen=True)
class Cue:
    phrase: str
    metric: str
    item: str | None
    role: str  # "verb" (killed, captured), "noun" (deaths, casualties), "item" (tanks)


@dataclass(frozen=True)
class ClaimantEntry:
    pattern: str  # regex, matched case-insensitively as whole words
    canonical: str
    side: str
    kind: str  # "person", "org", "media", "generic"


@lru_cache(maxsize=None)
def qualifiers() -> dict[str, list[tuple[str, str]]]:
    """{'before': [(phrase, qualifier), ...], 'after': [...]}, longest phrases first."""
    table: dict[str, list[tuple[str, str]]] = {"before": [], "after": []}
    for row in read_table("qualifiers.csv"):
        table[row["position"]].append((row["phrase"].lower(), row["qualifier"]))
    for rows in table.values():
        rows.sort(key=lambda pair: len(pair[0]), reverse=True)
    return table


@lru_cache(maxsize=None)
def vague_quantities() -> dict[str, float]:
    return {row["phrase"].lower(): float(row["value"]) for row in read_table("vague.csv")}


@lru_cache(maxsize=None)
def cues() -> list[Cue]:
    return [
        Cue(row["phrase"].lower(), row["metric"], row["item"] or None, row["role"])
        for row in read_table("cues.csv")
    ]


@lru_cache(maxsize=None)
def cue_index() -> dict[str, Cue]:
    return {cue.phrase: cue for cue in cues()}


@lru_cache(maxsize=None)
def cue_pattern() -> re.Pattern[str]:
    return phrase_pattern([cue.phrase for cue in cues()])


@lru_cache(maxsize=None)
def subjects() -> list[tuple[str, str, str]]:
    """(noun, subject, nationality_mode) rows; mode 'military' means the subject
    takes the nationality of an adjective in front ('Russian soldiers')."""
    return [(row["noun"].lower(), row["subject"], row["mode"]) for row in read_table("subjects.csv")]


@lru_cache(maxsize=None)
def subject_index() -> dict[str, tuple[str, str]]:
    return {noun: (subject, mode) for noun, subject, mode in subjects()}


@lru_cache(maxsize=None)
def subject_pattern() -> re.Pattern[str]:
    return phrase_pattern([noun for noun, _, _ in subjects()])


@lru_cache(maxsize=None)
def nationalities() -> dict[str, str]:
    """Adjective or country word -> country ('Russian' -> 'Russia')."""
    return {row["word"].lower(): row["country"] for row in read_table("nationalities.csv")}


@lru_cache(maxsize=None)
def _demonym_rows() -> dict[str, dict[str, str]]:
    """Country -> its row of demonyms.csv: how subjects and entities name a side where the
    nationality table's adjective would not do."""
    return {row["country"]: row for row in read_table("demonyms.csv")}


@lru_cache(maxsize=None)
def _table_demonyms() -> dict[str, str]:
    """Country -> its first adjective in the nationality table ('Poland' -> 'Polish')."""
    found: dict[str, str] = {}
    for word, country in nationalities().items():
        if country not in found and word.isalpha() and len(word) > 3 and word != country.lower():
            found[country] = word.capitalize()
    return found


def demonym(country: str) -> str:
    """The adjective for a country or side ('Russia' -> 'Russian', 'United States' -> 'US')."""
    row = _demonym_rows().get(country)
    return (row["adjective"] if row else "") or _table_demonyms().get(country, country)


def demonym_people(country: str) -> str:
    """The people of a country, as a subject ('Ukraine' -> 'Ukrainians'); else 'people'."""
    row = _demonym_rows().get(country)
    return (row["people"] if row else "") or "people"


def demonym_militants(country: str | None) -> str:
    """The armed fighters of a side, as a subject ('Hamas' -> 'Hamas fighters'); else 'militants'."""
    row = _demonym_rows().get(country) if country else None
    return (row["militants"] if row else "") or "militants"


@lru_cache(maxsize=None)
def word_classes(table: str) -> dict[str, frozenset[str]]:
    """Word -> its classes in a table of columns word,classes (count_words.csv, speaker_words.csv)."""
    return {row["word"].lower(): frozenset(row["classes"].split()) for row in read_table(table)}


def _words_of_class(table: str, allowed: frozenset[str], word_class: str) -> frozenset[str]:
    if word_class not in allowed:
        raise ValueError(f"no class {word_class!r} in {table}")
    return frozenset(word for word, classes in word_classes(table).items() if word_class in classes)


def count_words(word_class: str) -> frozenset[str]:
    """The words of one class of count_words.csv: modifier, function, document."""
    return _words_of_class("count_words.csv", COUNT_WORD_CLASSES, word_class)


COUNT_WORD_CLASSES = frozenset(("modifier", "function", "document"))


@lru_cache(maxsize=None)
def claimants() -> list[ClaimantEntry]:
    return [
        ClaimantEntry(row["pattern"], row["canonical"], row["side"], row["kind"])
        for row in read_table("claimants.csv")
    ]


@lru_cache(maxsize=None)
def places() -> dict[str, str]:
    """Place name -> country it belongs to (for locations and for sides of local officials)."""
    return {row["place"]: row["country"] for row in read_table("places.csv")}


@lru_cache(maxsize=None)
def theatres() -> dict[str, dict[str, str]]:
    """'country' and 'side' -> name -> theatre (theatres.csv): the war a claim belongs to."""
    out: dict[str, dict[str, str]] = {"country": {}, "side": {}}
    for row in read_table("theatres.csv"):
        out[row["kind"]][row["name"]] = row["theatre"]
    return out


def is_country(name: str) -> bool:
    """Whether a place name (as in the places table) is a country ('Canada'), not a town or region."""
    return places().get(name) == name


# a locative preposition and what may come between it and a place name ('in the eastern ')
_LOCATIVE = (r"\b(?i:in|of|near|at|across|around|outside|from|for|over)\s+(?:the\s+)?"
             r"(?:(?:(?:north|south|east|west|central)(?:ern)?|(?:north|south)-?(?:east|west)(?:ern)?)\s+)?")


@lru_cache(maxsize=None)
def located_place_pattern() -> re.Pattern[str]:
    """A place named after a locative preposition ('in Gaza', 'near Kharkiv', 'in eastern
    Ukraine'): where things happen."""
    names = "|".join(re.escape(p) for p in sorted(places(), key=len, reverse=True))
    return re.compile(rf"{_LOCATIVE}({names})\b")


@lru_cache(maxsize=None)
def locative_before() -> re.Pattern[str]:
    """A locative preposition ending a text (search it with endpos = where a place name
    starts): finding the place names first and looking back is faster than
    located_place_pattern over a whole sentence."""
    return re.compile(_LOCATIVE + "$")


@lru_cache(maxsize=None)
def _reporting_rows() -> tuple[dict[str, str], ...]:
    return tuple(read_table("reporting_verbs.csv"))


@lru_cache(maxsize=None)
def reporting_verbs() -> list[str]:
    """The reporting verbs (rows of reporting_verbs.csv that are verbs, not only hints)."""
    return [row["verb"].lower() for row in _reporting_rows() if row["use"] != "hint"]


def _verbs_with(column: str) -> frozenset[str]:
    return frozenset(row["verb"].lower() for row in _reporting_rows() if row["use"] != "hint" and row[column] == "yes")


@lru_cache(maxsize=None)
def end_only_verbs() -> frozenset[str]:
    """Verbs that report speech only at the end of a clause ('..., the soldier continues.')."""
    return frozenset(row["verb"].lower() for row in _reporting_rows() if row["use"] == "end")


@lru_cache(maxsize=None)
def trailing_verbs() -> frozenset[str]:
    """Verbs the claimant may follow ('..., said the minister')."""
    return _verbs_with("trailing")


@lru_cache(maxsize=None)
def subject_participles() -> frozenset[str]:
    """Participles whose speaker is the sentence's subject ('Ukraine rejected it, saying ...')."""
    return _verbs_with("subject_participle")


@lru_cache(maxsize=None)
def plain_say_verbs() -> frozenset[str]:
    """Verbs that report even before 'killed' or 'dead' ('which witnesses said killed 12')."""
    return _verbs_with("plain_say")


@lru_cache(maxsize=None)
def naming_hints() -> tuple[str, ...]:
    """Texts that mark a sentence worth reading for the claimants it names (a substring test)."""
    return tuple(row["hint"] for row in _reporting_rows() if row["hint"])


SPEAKER_WORD_CLASSES = frozenset((
    "person_role", "org_word", "independent", "media", "not_media", "local_office", "place_office", "plural",
    "office", "bare_source", "vague_modifier", "scholar", "generic_org", "title", "name_particle", "time_word",
))


def speaker_words(word_class: str) -> frozenset[str]:
    """The words of one class of speaker_words.csv ('person_role', 'plural', ...)."""
    return _words_of_class("speaker_words.csv", SPEAKER_WORD_CLASSES, word_class)


@lru_cache(maxsize=None)
def item_verbs() -> dict[str, str]:
    """Verb phrase -> effect on an item count: loss, shot_down, strike, aid."""
    return {row["phrase"].lower(): row["effect"] for row in read_table("item_verbs.csv")}


@lru_cache(maxsize=None)
def item_verb_pattern() -> re.Pattern[str]:
    return phrase_pattern(list(item_verbs()))


@lru_cache(maxsize=None)
def np_words() -> dict[str, str]:
    """Lower-case words allowed in a claimant phrase -> 'head', 'mod' or 'glue'."""
    table: dict[str, str] = {}
    for row in read_table("np_words.csv"):
        word = row["word"].lower()
        if table.get(word) != "head":
            table[word] = row["role"]
    return table


@lru_cache(maxsize=None)
def place_pattern() -> re.Pattern[str]:
    return phrase_pattern(list(places()), flags=0, rare_starts=True)


def literal_trie(phrases: list[str]) -> str:
    """The body of a regex for lower-cased text matching any phrase (trie_body of the
    lower-cased phrases, a space matching one space)."""
    return trie_body([phrase.lower() for phrase in phrases], any_space=False)


def word_scan_pattern(words: list[str]) -> str:
    """A regex for lower-cased text finding any of `words` as a whole word. It consumes the
    character before the word (not a letter or digit) instead of looking behind for it: a
    pattern that starts with a character class lets the regex engine skip quickly over
    letters, about 1.4 times faster over a whole document. A match's start is thus one
    before the word's."""
    return "[^a-z0-9]" + literal_trie(words) + "(?![a-z])"


@lru_cache(maxsize=None)
def claim_gate_words() -> tuple[str, ...]:
    """Lower-case words without which a sentence holds no claim: cue words and military nouns."""
    words = [cue.phrase for cue in cues()]
    words += [noun for noun, subject, mode in subjects() if mode == "military" or "military" in subject]
    return tuple(words)


@lru_cache(maxsize=None)
def claim_gate_pattern() -> re.Pattern[str]:
    """The claim gate words (claim_gate_words) as one regex for lower-cased text (word_scan_pattern)."""
    return re.compile(word_scan_pattern(list(claim_gate_words())))


def lower_same_length(text: str) -> str:
    """text.lower() with the same offsets, so that a case-sensitive regex on it finds what a
    case-insensitive one finds in the text, about twice as fast: the rare characters that
    lower-case to two ('İ') are replaced by the first of the two."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    for char in {c for c in set(text) if len(c.lower()) != 1}:
        text = text.replace(char, char.lower()[0])
    return text.lower()


@lru_cache(maxsize=None)
def cached_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """re.compile with a cheap cache lookup: the re module's own cache costs microseconds a call,
    which adds up in the extractor's per-number loops."""
    return re.compile(pattern, flags)


def re_match(pattern: str, string: str, flags: int = 0) -> re.Match[str] | None:
    return cached_regex(pattern, flags).match(string)


def re_search(pattern: str, string: str, flags: int = 0) -> re.Match[str] | None:
    return cached_regex(pattern, flags).search(string)


def re_fullmatch(pattern: str, string: str, flags: int = 0) -> re.Match[str] | None:
    return cached_regex(pattern, flags).fullmatch(string)


def re_sub(pattern: str, repl, string: str, flags: int = 0) -> str:  # noqa: ANN001
    return cached_regex(pattern, flags).sub(repl, string)


def re_split(pattern: str, string: str, flags: int = 0) -> list[str]:
    return cached_regex(pattern, flags).split(string)


def re_findall(pattern: str, string: str, flags: int = 0) -> list:
    return cached_regex(pattern, flags).findall(string)
