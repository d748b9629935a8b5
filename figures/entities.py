"""Claimant entities (claims-spec.md, "Claimant entities"): who a claimant is, one name for
every way the text names them.

`claimant` stays as the text names it; `claimant_entity` is found in this order:

1. the entity key: the claimant lower-cased, apostrophes straightened, a leading article
   dropped, the rewrites of figures/data/entity_rewrites.csv applied ('Ministry of Health' ->
   'health ministry'), a place after 'in'/'of' put in front ('health ministry in Gaza' -> 'gaza
   health ministry') and a possessive dropped ('Gaza's' -> 'gaza', a country's becomes its
   adjective: 'Russia's' -> 'russian'); a claimant named by common words only takes the
   adjective of the claim's side ('the defence ministry', side Russia -> 'russian defence
   ministry'; 'local authorities', side Ukraine -> 'ukrainian local authorities');
2. the first row of figures/data/entities.csv whose pattern matches the whole key, with or
   without that adjective (and whose
   context occurs in the document): its entity and its side;
3. a country's officials, authorities or government ('Ukrainian officials', 'officials' with
   side Ukraine): the country;
4. the canonical name claimants.csv gives a person or organisation with a side, when the
   claimant names them and no one else ('Pentagon officials' is the Pentagon, 'an adviser to
   Zelensky' is not Zelensky);
5. otherwise the key itself, cased: common words lower-case, names as written.

The entity table's side is the side of every claim of the entity (one side everywhere).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from figures.attribution import gazetteer_entry, gazetteer_rest
from figures.lexicon import (
    claimants,
    demonym,
    is_country,
    nationalities,
    np_words,
    places,
    read_table,
)
from figures.model import Claim

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"', "«": '"', "»": '"'})
_EDGES = " \t\r\n\"'()[]{},.;:!?-–—*"
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_WORD = re.compile(r"[\w'.-]+")
_PLACE_AFTER = re.compile(r"^(?P<head>[a-z][a-z' -]*?) (?:in|of|for) (?:the )?(?P<place>[\w' .-]+)$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"^(?P<owner>[\w .-]+?)'s? (?P<rest>\S.*)$", re.IGNORECASE)
# sides that are no country: a claimant of common words never takes them as an adjective
_NOT_COUNTRIES = frozenset(("media", "independent", "unknown", "United Nations", "NATO", "European Union"))


@dataclass(frozen=True)
class EntityRow:
    entity: str
    side: str
    pattern: re.Pattern[str]
    context: re.Pattern[str] | None
    scope: str  # where the context must occur: 'document' or 'sentence' (the claim's quote)


@lru_cache(maxsize=None)
def entity_rows() -> tuple[EntityRow, ...]:
    """The rows of figures/data/entities.csv, in order (the first that matches wins)."""
    return tuple(
        EntityRow(row["entity"], row["side"], re.compile(row["pattern"], re.IGNORECASE),
                  re.compile(row["context"], re.DOTALL) if row.get("context") else None,
                  row.get("scope") or "document")
        for row in read_table("entities.csv")
    )


@lru_cache(maxsize=None)
def rewrites() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(row["pattern"], re.IGNORECASE), row["replacement"])
                 for row in read_table("entity_rewrites.csv"))


@lru_cache(maxsize=None)
def entity_words(role: str) -> frozenset[str]:
    """Words of figures/data/entity_words.csv with a role: beside, national."""
    return frozenset(row["word"].lower() for row in read_table("entity_words.csv") if row["role"] == role)


@lru_cache(maxsize=None)
def valid_sides() -> frozenset[str]:
    """Every side the project knows: the claimant table's, the countries of the nationality and
    places tables, and the spec's independent, media and unknown."""
    sides = {entry.side for entry in claimants()} | set(nationalities().values()) | set(places().values())
    return frozenset(sides - {""}) | {"independent", "media", "unknown"}


@lru_cache(maxsize=None)
def _lower_places() -> dict[str, str]:
    return {place.lower(): place for place in places()}


def _country_of_word(word: str) -> str | None:
    """The country a word names as a country or its adjective ('ukraine', 'ukrainian')."""
    word = word.lower()
    place = _lower_places().get(word)
    if place is not None and is_country(place):
        return place
    country = nationalities().get(word)
    return country or None


def _plain(claimant: str) -> str:
    """The claimant with apostrophes and quotes straightened, edges and a leading article trimmed."""
    text = unicodedata.normalize("NFKC", claimant).translate(_APOSTROPHES)
    text = " ".join(text.split()).strip(_EDGES)
    return _ARTICLE.sub("", text).strip(_EDGES)


def _place_first(text: str) -> str:
    """'health ministry in Gaza' -> 'Gaza health ministry'; 'military of Ukraine' -> 'Ukrainian military'."""
    found = _PLACE_AFTER.match(text)
    if found is None:
        return text
    place = _lower_places().get(found.group("place").lower())
    if place is None:
        return text
    owner = demonym(place) if is_country(place) else place
    return f"{owner} {found.group('head')}"


def _without_possessive(text: str) -> str:
    """'Gaza's health ministry' -> 'Gaza health ministry'; 'Russia's defence ministry' -> 'Russian
    defence ministry'; a name's possessive stays ('Zelensky's office')."""
    found = _POSSESSIVE.match(text)
    if found is None:
        return text
    owner = found.group("owner")
    place = _lower_places().get(owner.lower())
    if place is not None and is_country(place):
        return f"{demonym(place)} {found.group('rest')}"
    if place is not None or owner.lower() in np_words() or owner.islower() or owner.lower() in ("enclave", "strip"):
        return f"{owner} {found.group('rest')}"
    return text


@lru_cache(maxsize=65536)
def entity_text(claimant: str) -> str:
    """The claimant's words in entity form, case kept (see the module's step 1)."""
    text = _plain(claimant)
    for pattern, replacement in rewrites():
        text = pattern.sub(replacement, text)
    text = " ".join(text.split()).strip(_EDGES)
    return _without_possessive(_place_first(text))


def _cased(text: str) -> str:
    """Common words lower-case (the claimant-phrase words of np_words.csv, not nationalities),
    names and acronyms as written, the first letter upper-case."""
    words = []
    for word in text.split(" "):
        lower = word.lower()
        common = lower in np_words() and lower not in nationalities()
        words.append(lower if common or word.islower() else word)
    cased = " ".join(words)
    return cased[:1].upper() + cased[1:]


def _with_side(text: str, side: str) -> str:
    """A claimant named only by common words (a body or an office of no named country or place)
    takes the adjective of its side's country: 'defence ministry', side Russia -> 'Russian defence
    ministry'; 'local authorities', side Ukraine -> 'Ukrainian local authorities'."""
    if side in _NOT_COUNTRIES or side not in valid_sides():
        return text
    words = text.lower().split()
    if not words or not all(word in np_words() and word not in nationalities() for word in words):
        return text
    return f"{demonym(side)} {text}"


def _national(key: str, side: str) -> str | None:
    """The country a country's officials or government speak for ('ukrainian officials', 'ukraine',
    'officials' with side Ukraine); None when the key names anything else."""
    words = key.split()
    country = _country_of_word(words[0]) if words else None
    rest = words[1:] if country else words
    if country is None:
        country = side if side not in _NOT_COUNTRIES and side in valid_sides() else None
        if not rest:
            return None
    if country is None or (side not in (country, "unknown") and side in valid_sides() - _NOT_COUNTRIES):
        return None
    return country if all(word in entity_words("national") for word in rest) else None


def _gazetteer_name(claimant: str, side: str) -> str | None:
    """The canonical name claims.csv gives the person or organisation the claimant names, when it
    names no one else (every other word may stand beside a name) and the sides agree."""
    entry = gazetteer_entry(claimant)
    if entry is None or not entry.canonical or not entry.side or entry.kind not in ("person", "org"):
        return None
    if side not in (entry.side, "unknown"):
        return None
    rest = gazetteer_rest(_plain(claimant).translate(_APOSTROPHES))
    if re.search(r"\s's\b", rest):
        return None  # 'Zelensky's office'
    for word in _WORD.findall(rest):
        lower = word.lower().strip(".'")
        if not lower or lower in entity_words("beside"):
            continue
        if nationalities().get(lower) == entry.side:
            continue
        if word[:1].isupper() and lower not in np_words():
            continue  # a first name or another part of the name
        return None
    return entry.canonical


Context = Callable[[re.Pattern[str]], bool]


def resolve(claimant: str | None, side: str, in_document: Context = lambda pattern: False, sentence: str = ""
            ) -> tuple[str | None, str]:
    """(claimant_entity, side) of a claimant as the text names it, with the side attribution
    gave it; `in_document(pattern)` tells whether an entity row's context occurs in the document,
    `sentence` is the claim's quote (for rows whose context is the sentence)."""
    if claimant is None or not claimant.strip():
        return None, side
    rows, fallback = _lookup(claimant, side)
    for row in rows:
        if row.context is None or (row.context.search(sentence.lower()) is not None if row.scope == "sentence"
                                   else in_document(row.context)):
            return row.entity, row.side
    return fallback


@lru_cache(maxsize=65536)
def _lookup(claimant: str, side: str) -> tuple[tuple[EntityRow, ...], tuple[str | None, str]]:
    """The entity rows matching a claimant's key (their contexts still to check), and the
    (entity, side) to give it when none applies (steps 3 to 5); cached, as claimants recur."""
    text = entity_text(claimant)
    if not text:
        return (), (None, side)
    key = _with_side(text, side).lower()
    rows = tuple(dict.fromkeys(_rows_matching(text.lower()) + _rows_matching(key)))
    country = _national(key, side)
    if country is not None:
        return rows, (country, side if side != "unknown" else country)
    name = _gazetteer_name(claimant, side)
    return rows, (name if name is not None else _cased(_with_side(text, side)), side)


@lru_cache(maxsize=65536)
def _rows_matching(key: str) -> tuple[EntityRow, ...]:
    return tuple(row for row in entity_rows() if row.pattern.fullmatch(key))


def document_context(text: str) -> Context:
    """in_document for one document: whether a pattern occurs in its lower-cased text (each
    pattern searched once)."""
    lowered: list[str] = []
    seen: dict[re.Pattern[str], bool] = {}

    def in_document(pattern: re.Pattern[str]) -> bool:
        if pattern not in seen:
            if not lowered:
                lowered.append(text.lower())
            seen[pattern] = pattern.search(lowered[0]) is not None
        return seen[pattern]

    return in_document


def assign_entities(claims: list[Claim], text: str) -> list[Claim]:
    """Set claimant_entity on the claims of one document (and the entity's side where the entity
    table gives one), in place; returns them. `text` is the document's full text."""
    if not claims:
        return claims
    in_document = document_context(text)
    for claim in claims:
        claim.claimant_entity, claim.side = resolve(claim.claimant, claim.side, in_document, claim.quote)
    return claims

