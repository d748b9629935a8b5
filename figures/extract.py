"""Document -> [Claim]: find the figures, then ask the parts what each one counts,
who claims it and when.

Sentences without a digit or a number word are skipped before any regex work
(the cheap gate that keeps extraction fast).
"""

from __future__ import annotations

import ast
import bisect
import datetime as dt
import hashlib
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick

from figures.dates import find_date_phrases
from figures.conditional import mark_conditional
from figures.entities import assign_entities
from figures.dates import resolve as resolve_date
from figures.attribution import DocumentContext, Frame, Speaker, find_frames, quote_spans
from figures.lexicon import (
    claim_gate_pattern,
    claim_gate_words,
    Cue,
    cue_index,
    cue_pattern,
    demonym,
    is_country,
    item_verb_pattern,
    item_verbs,
    locative_before,
    lower_same_length,
    nationalities,
    place_pattern,
    subject_index,
    subject_pattern,
    trie_body,
)
from figures.model import Claim, Document
from figures.numbers import NumberMention, digit_number_word_regex, exclusion, find_numbers, gate_words, has_number_words
from figures.lexicon import re_fullmatch, re_match, re_search

RULES_VERSION = "1.0.0"  # the claims format; the rules themselves are versioned by content below


def _figures_imports(path: Path) -> set[str]:
    """The figures modules a module imports at its top level (not inside functions)."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("figures."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "figures":
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("figures."))
    return names


def extractor_version(package: Path = Path(__file__).resolve().parent) -> str:
    """RULES_VERSION plus a hash of the extractor's code (this module and the figures modules it
    imports, transitively) and of every data table: a change to any rule, cue word or claimant
    gives a new version, so stale claims and finished batch partitions are recognised as such."""
    modules, pending = set(), ["extract"]
    while pending:
        name = pending.pop()
        path = package / f"{name}.py"
        if name in modules or not path.is_file():
            continue
        modules.add(name)
        pending.extend(_figures_imports(path))
    files = [package / f"{name}.py" for name in modules]
    files += [path for path in (package / "data").rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{RULES_VERSION}+{digest.hexdigest()[:12]}"


EXTRACTOR_VERSION = extractor_version()

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "gen", "lt", "col", "sgt", "capt", "gov", "sen", "rep", "prof", "u.s",
    "u.n", "u.k", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no",
    "vs", "etc", "i.e", "e.g", "maj", "adm", "cpl", "pvt", "jr", "sr", "approx", "est", "fig", "inc", "ltd",
    "co", "corp", "mt", "ft", "a.m", "p.m",
}
# The end of a sentence: a run of [.!?…] with closing quotes or brackets, before a space and a
# capital or digit or right before a capitalised word; or line breaks. Led by one character
# class (the lookbehinds pick the branch), so the regex engine skips quickly between candidates.
_SENTENCE_END = (r"[.!?…\n](?:(?<=[.!?…])[.!?…]*[\"”’')\]]*(?:\s+(?=[\"“‘'(\[]?[A-Z0-9])|(?=[A-Z][a-z]))"
                 r"|(?<=\n)\n*)")
# ... or a heading glued to the next sentence by scraping ('...deadIsrael said'): the match is
# the capital that opens the sentence
_BOUNDARY = re.compile(_SENTENCE_END + r"|[A-Z](?<=[a-z][A-Z])(?=[a-z]{2,}\s)")
# _BOUNDARY without the glued-heading branch, for a text with no lower-case letter right before a
# capital: trying that branch at every capital makes the search three times slower
_SENTENCE_END_ONLY = re.compile(_SENTENCE_END)
# ASCII lower-case letters to 'a', capitals to 'A', any other byte to a space
_LETTER_CASES = bytes(97 if 97 <= b <= 122 else 65 if 65 <= b <= 90 else 32 for b in range(256))


def _boundaries(text: str) -> Iterator[re.Match[str]]:
    """_BOUNDARY.finditer(text), with the cheaper regex where the text has no 'aB'."""
    if b"aA" in text.encode("ascii", "replace").translate(_LETTER_CASES):
        return _BOUNDARY.finditer(text)
    return _SENTENCE_END_ONLY.finditer(text)


_PERIOD = [
    (re.compile(r"\b(?:in\s+the\s+(?:past|last)\s+(?:24\s+hours|day)|a\s+day\b|per\s+day|each\s+day|every\s+day|"
                r"daily|overnight|since\s+midnight|since\s+last\s+night|in\s+(?:a\s+single|one)\s+day|"
                r"over\s+the\s+past\s+day|in\s+24\s+hours|on\s+a\s+single\s+day)\b"), "day"),
    (re.compile(r"\b(?:in\s+the\s+(?:past|last)\s+week|a\s+week\b|per\s+week|each\s+week|every\s+week|weekly)\b"), "week"),
    (re.compile(r"\b(?:in\s+the\s+(?:past|last)\s+month|over\s+the\s+(?:past|last)\s+month|a\s+month\b|per\s+month|"
                r"each\s+month|every\s+month|monthly|(?:in|during)\s+(?:the\s+month\s+of\s+)?(?:january|february|march|april|"
                r"may|june|july|august|september|october|november|december)(?:\s+alone)?(?!\s+\d))\b"), "month"),
]  # for lower-cased text (lower_same_length), whole words ('in mayhem' is no month); case-insensitive
# regexes run about twice as slow
_LIST_GLUE = re.compile(r"^[\s,]*(?:[\w’'-]+[,–—]?\s+[–—]?\s*){0,3}?(?:including|of\s+whom|among\s+them)?[\s,]*(?:and\s+)?$", re.I)
# (right before the number: 'Three of them were killed and seven...' does not include the seven)
_INCLUDING = re.compile(r"\b(?:including|among\s+them|of\s+whom|of\s+them)\b[\s,:]*(?:[\w’'-]+\s+)?$", re.I)
_TOTAL = re.compile(r"\b(?:total|tally|toll|number|figure)\b(?:\s+\w+){0,3}\s+(?:to|of|at|was|is|stands\s+at|reached|rose\s+to|now)\s*$", re.I)
_MILITARY_FALLBACK_WINDOW = 40
_CAPITALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(slots=True)
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int


def split_sentences(text: str, offset: int = 0, paragraph: int = 0) -> list[Sentence]:
    """Sentences with their offsets (plus `offset`); paragraph breaks always end a sentence.
    Also splits where scraping glued a heading to the next sentence ('...deadIsrael said')."""
    sentences: list[Sentence] = []
    start = 0
    for match in _boundaries(text):
        found = match.group(0)
        if found[0] in _CAPITALS:
            # a glued heading: cut before the capital, after at least three lower-case letters
            cut = resume = match.start()
            head = text[max(0, cut - 4) : cut]
            if not (len(head) >= 3 and head.isalpha() and head.islower()):
                continue
            _add_sentence(sentences, text, start, cut, offset, paragraph)
            start = resume
            continue
        cut, resume = match.start() + len(found.rstrip()), match.end()
        if not found[-1].isspace():
            # '...dead.Israel said': a sentence end touching a capitalised word
            head = text[max(0, match.start() - 3) : match.start()]
            if not (len(head) >= 3 and head.isalpha() and head.islower()):
                continue
        if found[0] == ".":
            window_start = max(start, match.start() - 40)
            before = text[window_start : match.start()].rsplit(None, 1)
            if window_start > start and len(before) < 2:
                before = text[start : match.start()].rsplit(None, 1)
            last = before[-1].lower().rstrip(".") if before else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()) or (
                    "." in last and re_fullmatch(r"(?:[a-z]\.)+[a-z]", last)):
                continue
        _add_sentence(sentences, text, start, cut, offset, paragraph)
        if "\n" in found:
            paragraph += 1
        start = resume
    _add_sentence(sentences, text, start, len(text), offset, paragraph)
    return sentences


def _add_sentence(sentences: list[Sentence], text: str, start: int, end: int, offset: int, paragraph: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        begin = offset + start + len(piece) - len(piece.lstrip())
        sentences.append(Sentence(begin, begin + len(stripped), stripped, paragraph))


@dataclass(slots=True)
class Reading:
    metric: str
    item: str | None
    subject: str


@lru_cache(maxsize=None)
def _lower_cue_pattern() -> re.Pattern[str]:
    """cue_pattern() for lower-cased text (lower_same_length): a case-insensitive regex runs
    about twice as slow."""
    return re.compile(cue_pattern().pattern)


@lru_cache(maxsize=None)
def _lower_item_verb_pattern() -> re.Pattern[str]:
    """item_verb_pattern() for lower-cased text (lower_same_length)."""
    return re.compile(item_verb_pattern().pattern)


def _cue_of(phrase: str) -> Cue | None:
    """The cue a matched phrase stands for, whatever whitespace the text has inside it."""
    return cue_index().get(" ".join(phrase.split()))


def _nearest_cue(window: str, forward: bool) -> tuple[int, str] | None:
    """(distance, phrase) of the cue nearest to the number in a window of lower-cased text."""
    if forward:
        best = None
        for match in _lower_cue_pattern().finditer(window):
            if _publishes(window, match):
                continue
            lead = window[: match.start()]
            relative = ("wh" in lead or "that" in lead) and re_search(r"\b(?:who|which|that)\s+(?:\w+\s+){0,2}$", lead)
            if relative and best is None:
                best = (match.start() + 100, match.group(0))
                continue
            return match.start(), match.group(0)
        return best
    # backwards, the last cue that counts something itself: an item in between ('the death toll
    # from the strikes rose to 300') names no count of its own here (items right before or
    # after a number were read already)
    last = None
    for match in _lower_cue_pattern().finditer(window):
        cue = _cue_of(match.group(0))
        if (cue is None or cue.role != "item") and not _publishes(window, match):
            last = match
    return (len(window) - last.end(), last.group(0)) if last else None


# what is released or freed besides people: documents ('a report released Friday', 'released a list')
_DOCUMENTS = r"(?:report|reports|statement|figures|data|list|video|footage|images|photos|document|documents|study|survey|findings|update|details|names|transcript|recording)"
_DOCUMENT_BEFORE = re.compile(rf"\b{_DOCUMENTS}\s+(?:\w+\s+)?$")
_DOCUMENT_AFTER = re.compile(rf"\s+(?:a|an|the|its|their|new)\s+(?:\w+\s+)?{_DOCUMENTS}\b")


def _publishes(window: str, match: re.Match[str]) -> bool:
    """'released' said of a document, not of prisoners."""
    if match.group(0) != "released":
        return False
    return bool(_DOCUMENT_BEFORE.search(window, max(0, match.start() - 30), match.start())
                or _DOCUMENT_AFTER.match(window, match.end()))


@lru_cache(maxsize=None)
def _subject_after_regex() -> re.Pattern[str]:
    """A subject noun within three words after a number ('5,840 Russian soldiers'), for
    lower-cased text."""
    return re.compile(r"[\s“”\"'‘’(]*(?:more\s+|other\s+|further\s+|additional\s+|of\s+)?((?:[\w’'-]+\s+){0,3}?)("
                      + subject_pattern().pattern + ")")


@lru_cache(maxsize=None)
def _item_after_regex() -> re.Pattern[str]:
    """A cue within three words after a number ('40 Russian tanks'), for lower-cased text."""
    return re.compile(r"[\s“”\"'‘’(]*(?:[\w’'-]+\s+){0,3}?(" + cue_pattern().pattern + ")")


def _subject(sentence: str, mention: NumberMention, after_window: str, lower_window: str) -> tuple[str, int]:
    """(subject, offset of its noun after the number or -1); `lower_window` is `after_window`
    lower-cased (lower_same_length)."""
    match = _subject_after_regex().match(lower_window)
    # the words in front of the noun as written: capitals mark names
    modifiers = after_window[match.start(1) : match.end(1)] if match else ""
    if match and not all(_adjective_like(w) for w in modifiers.split()):
        match = None
    if match:
        noun = match.group(2)
        subject, mode = subject_index().get(noun, ("people", "plain"))
        if mode == "military":
            country = _country_word(modifiers) or _country_word(sentence[max(0, mention.start - 40) : mention.start])
            if subject == "militants":
                return ("Hamas fighters" if country == "Hamas" else "militants"), match.end()
            return (f"{demonym(country)} military" if country else "military"), match.end()
        if subject in ("people", "civilians"):
            country = _country_word(modifiers)
            if country and subject == "people":
                return _demonym_plural(country), match.end()
        return subject, match.end()
    return "people", -1


_ADJECTIVES = {"more", "other", "further", "additional", "high-ranking", "senior", "young", "armed", "foreign",
               "local", "elite", "regular", "innocent", "unarmed", "ordinary", "fellow", "enemy", "active", "new",
               "wounded", "injured", "dead", "deputy", "military", "civilian", "older", "elderly", "trapped",
               "displaced", "missing", "mobilised", "mobilized", "ethnic", "the", "of", "whom", "them"}


def _adjective_like(word: str) -> bool:
    lowered = word.lower().strip("“”\"'‘’(),")
    return (lowered in _ADJECTIVES or word[:1].isupper() or lowered in nationalities()
            or any(part in nationalities() for part in lowered.split("-")) or lowered.endswith("-year-old"))


@lru_cache(maxsize=None)
def _nationality_regex() -> re.Pattern[str]:
    """Nationality words and word parts, to jump straight to the words worth checking."""
    words = sorted(w for w in nationalities() if re.fullmatch(r"[\w’'-]+", w))
    return re.compile(r"(?<![\w’'])(?:" + trie_body(words) + r")(?![\w’'])")


_WORD_CHARS = re.compile(r"[\w’'-]*")


def _country_word(text: str) -> str | None:
    """The country of the last nationality word in a text ('Russian-backed' -> Russia)."""
    lowered = text.lower()
    candidates = list(_nationality_regex().finditer(lowered))
    for match in reversed(candidates):
        begin = match.start()
        while begin > 0 and _WORD_CHARS.fullmatch(lowered[begin - 1]):
            begin -= 1
        word = lowered[begin : _WORD_CHARS.match(lowered, match.end()).end()]
        for part in (word, *word.split("-")):
            country = nationalities().get(part)
            if country:
                return country
    return None


_PLURALS = {"Israel": "Israelis", "Palestine": "Palestinians", "Ukraine": "Ukrainians", "Russia": "Russians"}


def _demonym_plural(country: str) -> str:
    return _PLURALS.get(country, "people")


_FUNCTION_WORDS = frozenset(
    "were was have had are is has been be in at from on since this last a an the and or more others of who to as "
    "including across during over with by after before while when per each every so far alone total reported "
    "individual confirmed verified registered recorded estimated documented known people its their his her "
    "our new further additional other dead killed".split()
)


@lru_cache(maxsize=None)
def _countable_words() -> frozenset[str]:
    words = set(_FUNCTION_WORDS) | set(_ADJECTIVES) | set(nationalities())
    words |= {noun.split()[0] for noun in subject_index()}
    words |= {cue.split()[0] for cue in cue_index()}
    return frozenset(words)


def _counts_something(after: str) -> bool:
    """A number right before an unknown noun ('five train stations') counts no people or weapons."""
    match = re_match(r"[\s“”\"'‘’(]*([A-Za-z][\w’'-]*)", after)
    if not match or after[: match.start(1)].strip(" “”\"'‘’"):
        return True
    word = match.group(1)
    if word[0].isupper() or "-" in word:
        return True
    return word.lower() in _countable_words()


_REMAINING = re.compile(r"\b(?:remaining|other)\s+$", re.I)
_AND_BEFORE = re.compile(r"^\W*(?:\w+\W+){0,12}?(?:and|while)\s+$", re.I)
_FIRST_WORD = re.compile(r"\s+([a-z]+)\b")
_SCALE_WORDS = frozenset(("dozen", "dozens", "hundred", "hundreds", "thousand", "thousands", "million", "of"))


def _elides_its_noun(before: str, after: str) -> bool:
    """'two of four missiles, with the remaining two hitting the port', 'four missiles hit the
    school and five hit the hospital': a number whose noun is the previous number's, left out."""
    if _REMAINING.search(before):
        return True
    verb = _FIRST_WORD.match(after)
    if verb is None or verb.group(1) in _SCALE_WORDS or not _AND_BEFORE.match(before):
        return False
    # the same verb followed the previous number's noun
    return re_search(rf"\b{verb.group(1)}\b", before[:40]) is not None


def _one_is_count(before: str, after: str) -> bool:
    """'one' counts only right next to a cue ('killed one', 'one person died'), never 'one soldier said'."""
    tail = before[-14:]
    close_before = list(cue_pattern().finditer(tail))
    if close_before and not tail[close_before[-1].end() :].strip():
        return True
    close_after = cue_pattern().search(after[:30])
    return bool(close_after and not re_search(r"[,;:\"“”‘’'–—-]", after[: close_after.start()]))


def classify(sentence: str, mention: NumberMention, previous_end: int, next_start: int,
             previous_reading: Reading | None, lowered: str | None = None) -> Reading | None:
    """What a number counts: metric, item and subject, from the cue words around it.
    `lowered` is the sentence lower-cased (lower_same_length), when the caller has it."""
    if lowered is None:
        lowered = lower_same_length(sentence)
    after = sentence[mention.end : next_start]
    before = sentence[previous_end : mention.stated_start]
    lower_after = lowered[mention.end : next_start]
    lower_before = lowered[previous_end : mention.stated_start]
    # 'the toll was put at five but ...': a number a toll or total is put at counts that toll
    if not _counts_something(after) and not _TOTAL.search(before[-60:]):
        if previous_reading and _elides_its_noun(before, after):
            return previous_reading
        return None
    subject, noun_end = _subject(sentence, mention, sentence[mention.end : mention.end + 80],
                                 lowered[mention.end : mention.end + 80])
    if mention.kind == "vague" and noun_end < 0 and not re_match(r"\s+more\b", after):
        first_cue = cue_pattern().search(after[:20])
        if first_cue is None:
            return None
    if mention.kind == "words" and mention.value == 1 and not _one_is_count(before, after):
        return None

    item_match = _item_after_regex().match(lower_after)
    item_cue = None
    if item_match:
        cue = _cue_of(item_match.group(1))
        if cue and cue.role == "item":
            item_cue = cue
    if item_cue is None and noun_end < 0:
        back_item = [m for m in _lower_cue_pattern().finditer(lower_before[-60:])
                     if (c := cue_index().get(m.group(0))) and c.role == "item"]
        if back_item and re_search(r"\b(?:loss|losses|lost|destroyed)\b", lower_before[-60:]):
            item_cue = cue_index()[back_item[-1].group(0)]
    if item_cue is not None:
        # 'brought down two of four missiles': the missiles fired, after 'of', share the verb of the part
        partitive = item_cue.metric == "strikes" and re_fullmatch(r"\s+of\s+", before)
        clause_start = mention.start - 80 if partitive else max(previous_end, mention.start - 80)
        clause = lowered[max(0, clause_start) : min(len(sentence), mention.end + 100)]
        effects = []
        for verb in _lower_item_verb_pattern().finditer(clause):
            phrase = verb.group(0)
            effect = item_verbs().get(phrase) or item_verbs().get(" ".join(phrase.split()))
            if effect:
                effects.append(effect)
        owner = (_country_word(sentence[mention.end : mention.end + item_match.end()]) if item_match else None) or \
            _country_word(sentence[max(previous_end, mention.start - 30) : mention.end + 40])
        item_subject = f"{demonym(owner)} military" if owner else "military"
        if "aid" in effects and not {"loss", "strike", "shot_down"} & set(effects):
            return Reading("other", item_cue.item, item_subject)
        if item_cue.metric == "strikes":
            if effects and any(e in ("strike", "shot_down", "loss") for e in effects):
                return Reading("strikes", item_cue.item, item_subject)
            return Reading("other", item_cue.item, item_subject)
        if any(e in ("loss", "shot_down") for e in effects):
            return Reading("equipment", item_cue.item, item_subject)
        return Reading("other", item_cue.item, item_subject)

    if previous_reading and (_INCLUDING.search(before) or _TOTAL.search(before)):
        return Reading(previous_reading.metric, previous_reading.item, subject if noun_end >= 0 else previous_reading.subject)

    forward = _nearest_cue(lower_after[:120], forward=True)
    backward = _nearest_cue(lower_before[-90:], forward=False)
    candidates = []
    if forward:
        distance, phrase = forward
        crossing = re_search(r"\s(?:and|or|but|while)\s|[;:]|,\s", after[:distance])
        candidates.append((distance + (60 if crossing else 0), phrase))
    if backward:
        distance, phrase = backward
        # 'killed and seven others were injured': a clause boundary between the cue and the
        # number weighs as it does after the number
        crossing = distance and re_search(r"\s(?:and|while|but)\s|[;:]|,\s", before[len(before) - distance :])
        candidates.append((distance + (65 if crossing else 5), phrase))
    if candidates:
        distance, phrase = min(candidates)
        cue = _cue_of(phrase)
        if cue is not None and cue.role != "item" and distance < 160:
            metric = cue.metric
            if metric == "detained" and "military" in subject:
                metric = "prisoners"
            return Reading(metric, None, subject)
    if "military" in subject and noun_end >= 0 and noun_end < _MILITARY_FALLBACK_WINDOW:
        if re_search(r"\b(?:prison|detention|detainment|captivity)\b", sentence, re.I):
            return Reading("prisoners", None, subject)
        return Reading("troops", None, subject)
    return None


# Every _PERIOD phrase holds one of these words: a set lookup rules most clauses out cheaply.
_PERIOD_WORDS = frozenset(
    "hours day daily overnight midnight night week weekly month monthly january february march april may june "
    "july august september october november december".split()
)
_LOWER_WORDS = re.compile(r"[^a-z]+")


def _period(clause: str) -> str | None:
    """'day', 'week' or 'month' when the figure counts one period ('in the past 24 hours')."""
    lowered = lower_same_length(clause)
    if _PERIOD_WORDS.isdisjoint(_LOWER_WORDS.split(lowered)):
        return None
    for pattern, period in _PERIOD:
        if pattern.search(lowered):
            return period
    return None


@lru_cache(maxsize=256)
def _place_mentions(sentence: str) -> tuple[tuple[tuple[int, int, str], ...], tuple[tuple[int, int, str], ...]]:
    """(places named after in/near/at..., all places) in a sentence, each (start, end, name);
    cached, as the claims of one sentence all ask."""
    plain = tuple((m.start(), m.end(), m.group(0)) for m in place_pattern().finditer(sentence))
    if not plain:
        return (), ()
    before = locative_before()
    located = tuple(m for m in plain if before.search(sentence, max(0, m[0] - 40), m[0]))
    return located, plain


def _location(sentence: str, start: int, end: int, claimant_spans: list[tuple[int, int]]) -> str | None:
    """The place a figure (at sentence[start:end]) is about: one named after in/near/at... near
    the figure, else anywhere in the sentence (a town or region before a country), else a town
    or region named near the figure. A country is a place only after a
    preposition, and not when it names an actor there: inside a claimant phrase ('Ukraine's
    general staff said'), possessive ('since Russia's invasion') or in a compound
    ('Russia-backed'); a town stays a place anywhere ('Gaza officials', 'Mariupol's steelworks')."""
    located, plain = _place_mentions(sentence)
    if not plain:
        return None
    low, high = max(0, start - 60), end + 100

    def acts(begin: int, finish: int) -> bool:
        after = sentence[finish : finish + 2]
        if after[:1] == "-" or after in ("'s", "’s") or sentence[begin - 1 : begin] == "-":
            return True
        return any(a <= begin < b for a, b in claimant_spans)

    searches = ((located, True, False), (located, True, True), (located, False, False), (located, False, True),
                (plain, True, False))
    for mentions, near, country in searches:
        for begin, finish, name in mentions:
            if near and not (low <= begin and finish <= high):
                continue
            if is_country(name) == country and not (country and acts(begin, finish)):
                return name
    return None


def _choose_frame(frames: list[Frame], position: int, in_quote: tuple[int, int] | None) -> Frame | None:
    """The frame that governs a number at `position` in its sentence."""
    usable = [f for f in frames if not (in_quote and in_quote[0] <= f.verb_start < in_quote[1])] or frames
    before = [f for f in usable if (f.end if f.according else f.verb_end) <= position and (f.according or not f.trailing)]
    after = [f for f in usable if f.verb_start >= position]
    if before:
        return before[-1]
    if after:
        return after[0]
    return None


_DIGIT = re.compile(r"\d")


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line that is not empty."""
    spans = []
    position = 0
    for line in text.split("\n"):
        if line:
            spans.append((position, position + len(line)))
        position += len(line) + 1
    return spans

_WINDOW = 6  # sentences looked back for the antecedent of "he", "the ministry", ...


def _any_between(positions: list[int], start: int, end: int) -> bool:
    """Whether a sorted list of positions holds one in [start, end)."""
    index = bisect.bisect_left(positions, start)
    return index < len(positions) and positions[index] < end


def _has_number(text: str, start: int, end: int) -> bool:
    """Cheap gate on text[start:end]: a digit, or a number word (a set lookup on its words)."""
    if _DIGIT.search(text, start, end):
        return True
    return has_number_words(lower_same_length(text[start:end]), lowered=True)


# The characters that are not ASCII but lower-case to an ASCII letter ('İ' -> 'i̇', Kelvin sign
# -> 'k'): a document holding one is scanned as lower-cased text, not with '?' for them
_ASCII_LOWERING = ("\u0130", "\u212a")
_ASCII_ALNUM = frozenset(string.ascii_lowercase + string.digits)
_ASCII_LOWER = frozenset(string.ascii_lowercase)


@lru_cache(maxsize=None)
def _word_automaton() -> ahocorasick.Automaton:
    """Claim gate words and number gate words in one Aho-Corasick automaton, each with
    (length, is a number word): one pass over a document finds both, at every offset, about
    twice as fast as a regex trie. The two sets share no word."""
    numbers = gate_words()
    automaton = ahocorasick.Automaton()
    for word in sorted(set(claim_gate_words()) | numbers):
        automaton.add_word(word, (len(word), word in numbers))
    automaton.make_automaton()
    return automaton


def scan_words(lower: str) -> tuple[list[int], list[int]]:
    """(offsets of claim gate words, offsets of number gate words) in a lower-cased text, each a
    whole word as word_scan_pattern() defines it: after a character that is not an ASCII letter
    or digit, before one that is not an ASCII letter. Sorted."""
    cues: list[int] = []
    words: list[int] = []
    padded = " " + lower + " "
    for end, (length, is_number) in _word_automaton().iter(padded):
        start = end - length + 1
        if padded[start - 1] in _ASCII_ALNUM or padded[end + 1] in _ASCII_LOWER:
            continue
        (words if is_number else cues).append(start - 1)
    # matches come in the order they end: a phrase ends after the words inside it
    cues.sort()
    words.sort()
    return cues, words


class _Run:
    """One document's extraction. Paragraphs and sentences are split, and reporting
    frames found, only where a figure is (or where a back-reference needs them)."""

    def __init__(self, document: Document):
        self.document = document
        self.text = document.full_text
        self.paragraphs = _paragraph_spans(self.text)
        self.context = DocumentContext(document.published, lookback=self.look_back, text=self.text)
        self._sentences: dict[int, list[Sentence]] = {}
        self._frames: dict[tuple[int, int], list[Frame]] = {}
        self._quotes: dict[int, list[tuple[int, int]]] = {}

    def sentences(self, paragraph: int) -> list[Sentence]:
        if paragraph not in self._sentences:
            start, end = self.paragraphs[paragraph]
            self._sentences[paragraph] = split_sentences(self.text[start:end], start, paragraph)
        return self._sentences[paragraph]

    def quotes(self, paragraph: int) -> list[tuple[int, int]]:
        if paragraph not in self._quotes:
            start, end = self.paragraphs[paragraph]
            self._quotes[paragraph] = [(a + start, b + start) for a, b in quote_spans(self.text[start:end])]
        return self._quotes[paragraph]

    def frames(self, paragraph: int, index: int, depth: int = 0) -> list[Frame]:
        key = (paragraph, index)
        if key not in self._frames:
            sentence = self.sentences(paragraph)[index]
            frames = find_frames(sentence.text, self.document.published) if _may_name(sentence.text) or depth == 0 else []
            self._frames[key] = frames
            for frame in frames:
                frame.speaker = self.context.speaker_for(frame.phrase, sentence.text, sentence.start, depth)
        return self._frames[key]

    def look_back(self, position: int, depth: int) -> None:
        """Find the claimants named in the few sentences before `position` (for back-references)."""
        if depth > 0:
            return
        seen = 0
        # bisect to the paragraph and sentence before `position`: walking down from the end made
        # every back-reference cost the length of the text after it
        last_paragraph = bisect.bisect_left(self.paragraphs, position, key=lambda span: span[0]) - 1
        for paragraph in range(last_paragraph, -1, -1):
            sentences = self.sentences(paragraph)
            for index in range(bisect.bisect_left(sentences, position, key=lambda s: s.start) - 1, -1, -1):
                self.frames(paragraph, index, depth + 1)
                seen += 1
                if seen >= _WINDOW:
                    return

    def neighbour(self, paragraph: int, index: int, step: int) -> tuple[int, int] | None:
        index += step
        while 0 <= paragraph < len(self.paragraphs):
            count = len(self.sentences(paragraph))
            if 0 <= index < count:
                return paragraph, index
            paragraph += step
            if not 0 <= paragraph < len(self.paragraphs):
                return None
            index = 0 if step > 0 else len(self.sentences(paragraph)) - 1
        return None

    def run(self) -> list[Claim]:
        claims: list[Claim] = []
        text = self.text
        # the lower-cased text; other characters than ASCII become '?' (as long as that finds
        # the same words): the scan runs faster on a string of one-byte characters
        simple = True
        if text.isascii():
            lower = text.lower()
        elif not any(char in text for char in _ASCII_LOWERING):
            lower = text.encode("ascii", "replace").lower().decode("ascii")
        else:
            lower = text.lower()
            # find_numbers lower-cases a sentence itself: what the scan below tells about its
            # number words holds for it only where lower-casing keeps every offset ('İ' does not)
            simple = len(lower) == len(text)
            if not simple:
                lower = lower_same_length(text)
        # cue words and number words found in one pass over the document; a paragraph or
        # sentence is read only when a cue word starts inside it and it holds a number
        cues, words = scan_words(lower)
        if not cues:
            return claims
        spaced = ""  # " " + lower, made when first needed
        for paragraph, (start, end) in enumerate(self.paragraphs):
            # a paragraph without a digit has a number word only where the scan found one
            if not _any_between(cues, start, end) or not (
                    _DIGIT.search(text, start, end) or _any_between(words, start, end)):
                continue
            for index, sentence in enumerate(self.sentences(paragraph)):
                first, last = sentence.start, sentence.end
                has_cue = _any_between(cues, first, last)
                if not has_cue and text[last : last + 1].isalpha():
                    # a heading glued to the next sentence ('...deadIsrael'): the cue ends the sentence.
                    # The gate regex consumes the character before a word: put one before the text
                    spaced = spaced or " " + lower
                    has_cue = claim_gate_pattern().search(spaced, first, last + 1) is not None
                if not has_cue:
                    continue
                digit = _DIGIT.search(text, first, last) is not None
                if lower[first - 1 : first] in _ASCII_ALNUM or lower[last : last + 1] in _ASCII_ALNUM:
                    # glued to a neighbour: a word at its edge is a word of the sentence alone
                    if not _has_number(text, first, last):
                        continue
                    has_words = None
                else:
                    scanned = _any_between(words, first, last)
                    if not (digit or scanned):
                        continue
                    has_words = (scanned or (digit and digit_number_word_regex().search(lower, first, last) is not None)
                                 ) if simple else None
                claims.extend(self._sentence_claims(paragraph, index, sentence, has_words))
        return claims

    def _sentence_claims(self, paragraph: int, index: int, sentence: Sentence, has_words: bool | None
                         ) -> list[Claim]:
        """The claims of one sentence; `has_words` tells find_numbers whether it holds number words."""
        lowered = lower_same_length(sentence.text)
        mentions = [m for m in find_numbers(sentence.text, has_words, lowered)
                    if exclusion(sentence.text, m, lowered) is None]
        found: list[Claim] = []
        previous_reading: Reading | None = None
        for position, mention in enumerate(mentions):
            previous_end = mentions[position - 1].end if position else 0
            next_start = len(sentence.text)
            for later in mentions[position + 1 :]:
                glue = sentence.text[mention.end : later.stated_start]
                if _LIST_GLUE.match(glue) and len(glue) < 40:
                    continue
                next_start = later.stated_start
                break
            reading = classify(sentence.text, mention, previous_end, next_start, previous_reading, lowered)
            if reading is None:
                continue
            previous_reading = reading
            found.append(self._claim(paragraph, index, sentence, mention, reading, lowered))
        return found

    def _claim(self, paragraph: int, index: int, sentence: Sentence, mention: NumberMention,
               reading: Reading, lowered: str) -> Claim:
        """The claim of one figure; `lowered` is the sentence lower-cased (lower_same_length)."""
        document = self.document
        frames = self.frames(paragraph, index)
        absolute = sentence.start + mention.start
        in_quote = next(((a, b) for a, b in self.quotes(paragraph) if a <= absolute < b), None)
        local_quote = (in_quote[0] - sentence.start, in_quote[1] - sentence.start) if in_quote else None
        frame = _choose_frame(frames, mention.start, local_quote)
        speaker: Speaker | None = frame.speaker if frame else None
        if frame and speaker and (speaker.name and speaker.name.lower() in _PRONOUN_NAMES
                                  or frame.phrase.lower() in _PRONOUN_NAMES):
            # 'X said ..., after it said ...': the pronoun is the sentence's own speaker
            earlier = [f for f in frames if f is not frame and f.speaker and f.speaker.name and
                       f.speaker.name.lower() not in _PRONOUN_NAMES and f.phrase.lower() not in _PRONOUN_NAMES]
            if earlier:
                speaker = earlier[0].speaker
        frame_date = frame.date if frame else None
        if speaker is None and in_quote:
            speaker, frame_date = self._quote_speaker(in_quote, paragraph, index)
        if speaker is None and not frames and _CONTINUES.match(lowered):
            speaker, frame_date = self._previous_speaker(paragraph, index, frame_date)
        if speaker is None:
            speaker = Speaker.media()
        claim_date, basis = _claim_date(sentence.text, frame_date, document.published, lowered)
        clause = sentence.text[max(0, mention.start - 80) : mention.end + 80]
        return Claim(
            doc=document.id,
            quote=sentence.text,
            start=absolute,
            end=sentence.start + mention.end,
            value=mention.value,
            low=mention.low,
            high=mention.high,
            qualifier=mention.qualifier,
            metric=reading.metric,
            item=reading.item,
            subject=reading.subject,
            claimant=speaker.name,
            side=speaker.side,
            date=claim_date,
            date_basis=basis,
            period=_period(clause),
            location=_location(sentence.text, mention.start, mention.end, [(f.start, f.end) for f in frames]),
            stated=sentence.text[mention.stated_start : mention.end],
        )

    def _quote_speaker(self, span: tuple[int, int], paragraph: int, index: int
                       ) -> tuple[Speaker | None, tuple[dt.date | None, str] | None]:
        """The speaker of a quotation: a frame right after it, or the last one in the sentence before."""
        key: tuple[int, int] | None = (paragraph, index)
        for _ in range(3):
            if key is None:
                break
            candidate = self.sentences(key[0])[key[1]]
            if candidate.start > span[1] + 5:
                break
            for frame in self.frames(*key):
                absolute = candidate.start + frame.verb_start
                if span[1] - 2 <= absolute <= span[1] + 80 and frame.speaker:
                    return frame.speaker, frame.date
            key = self.neighbour(key[0], key[1], 1)
        key = self.neighbour(paragraph, index, -1)
        for step in range(2):
            if key is None:
                break
            if step and key[0] != paragraph:
                break
            frames = self.frames(*key)
            if frames and frames[-1].speaker:
                return frames[-1].speaker, frames[-1].date
            key = self.neighbour(key[0], key[1], -1)
        return None, None


    def _previous_speaker(self, paragraph: int, index: int, frame_date: tuple[dt.date | None, str] | None
                          ) -> tuple[Speaker | None, tuple[dt.date | None, str] | None]:
        """The last speaker of the sentence before ('Moscow said the strike killed 53. Another 73
        were injured.'): a figure that adds to the one before it comes from the same source."""
        key = self.neighbour(paragraph, index, -1)
        frames = self.frames(*key) if key else []
        if frames and frames[-1].speaker:
            return frames[-1].speaker, frames[-1].date
        return None, frame_date


# a sentence that adds to the figure before it ('Another 73 were injured.'), for lower-cased text
_CONTINUES = re.compile(r"[“\"‘']?(?:another|a\s+further|further|an\s+additional)\s+(?:\d|[a-z]+\s)")
_PRONOUN_NAMES = ("he", "she", "it", "they", "we", "i")
_AS_OF_WORDS = frozenset(("as", "by", "up", "through"))  # a word every 'as of' phrase holds


@lru_cache(maxsize=256)
def _as_of_end(lowered: str) -> int | None:
    """Where an 'as of', 'by', 'up to'... phrase ends in a lower-cased sentence; cached, as the
    claims of one sentence all ask."""
    if _AS_OF_WORDS.isdisjoint(_LOWER_WORDS.split(lowered)):
        return None
    as_of = re_search(r"\b(?:as\s+of|as\s+at|by|up\s+to|through)\s+", lowered)
    return as_of.end() if as_of else None


# A relative date opening a sentence ('On Sunday, officials said...', 'Early on Monday,', 'In a
# statement on Friday,'), for lower-cased text
_LEADING_DATE = re.compile(
    r"\s*(?:in\s+an?\s+(?:statement|post|update|briefing|interview|report|video)\s+)?(?:(?:early|late)\s+)?"
    r"(?:on\s+)?(?:yesterday|last\s+night|(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(?:the\s+)?day\s+before\s+yesterday|(?:an?|one|two|three|four|five|six|seven|\d{1,2})\s+days?\s+ago)\b"
)


def _claim_date(sentence: str, frame_date: tuple[dt.date | None, str] | None,
                published: dt.date | None, lowered: str | None = None) -> tuple[dt.date | None, str]:
    """The day a figure was stated: 'as of DATE', the statement's own date, a leading
    'On Sunday', else the publication date; unknown without one. `lowered` is the sentence
    lower-cased (lower_same_length), when the caller has it."""
    if lowered is None:
        lowered = lower_same_length(sentence)
    as_of = _as_of_end(lowered)
    if as_of is not None:
        for found in find_date_phrases(sentence[as_of : as_of + 25]):
            if found.start() == 0:
                resolved = resolve_date(found, published)
                if resolved[0]:
                    return resolved
    if frame_date is not None and (frame_date[0] is not None or frame_date[1] == "unknown"):
        return frame_date
    leading = _LEADING_DATE.match(lowered)
    if leading and published:
        found = find_date_phrases(sentence[: leading.end()])
        if found:
            return resolve_date(found[0], published)
    if published:
        return published, "published"
    return None, "unknown"


# 'ccording': sentences open with 'According to'
_NAMING_HINTS = ("said", "says", "told", "ccording", "reported", "conceded", "admitted", "acknowledged", "quoted", "claimed", "added", "announced", "confirmed",
                 "estimated", "wrote", "stated", "spoke", "speaking")


def _may_name(text: str) -> bool:
    """Sentences without figures still introduce claimants for later back-references."""
    for hint in _NAMING_HINTS:  # a plain loop: any() over a generator costs more per call
        if hint in text:
            return True
    return False


def extract_claims(document: Document) -> list[Claim]:
    """Every figure claim in a document (offsets into `document.full_text`)."""
    run = _Run(document)
    return mark_conditional(assign_entities(run.run(), run.text), run.text, document.published)

