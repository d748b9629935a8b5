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
from functools import lru_cache
from pathlib import Path

import ahocorasick

from figures.dates import MONTH_NAMES, find_date_phrases
from figures.conditional import mark_conditional
from figures.entities import assign_entities
from figures.dates import resolve as resolve_date
from figures.attribution import DocumentContext, Frame, Speaker, find_frames, quote_spans
from figures.classify import Counted, classify
from figures.lexicon import (
    claim_gate_pattern,
    claim_gate_words,
    is_country,
    locative_before,
    lower_same_length,
    naming_hints,
    place_pattern,
)
from figures.model import Claim, Document
from figures.numbers import NumberMention, digit_number_word_regex, exclusion, find_numbers, gate_words, has_number_words
from figures.lexicon import re_search
from figures.sentences import Sentence, split_sentences

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

# Character windows (in a sentence) around a figure:
_LIST_GLUE_REACH = 40  # 'seven, including three children, and': a list's glue between two numbers is short
_PERIOD_REACH = 80  # 'in the past 24 hours' qualifies a figure within a clause of it
_PLACE_BEFORE, _PLACE_AFTER = 60, 100  # a place this near the figure is where it happened, before any other
_LOCATIVE_REACH = 40  # 'in the eastern ' and the like, before a place name
_AFTER_QUOTE_REACH = 80  # a reporting verb this soon after a quotation names its speaker ('..." the governor said')
_AS_OF_REACH = 25  # the date phrase right after 'as of' ('as of 24 February 2023')
_MONTH_NAMES = "|".join(MONTH_NAMES)
_PERIOD = [
    (re.compile(r"\b(?:in\s+the\s+(?:past|last)\s+(?:24\s+hours|day)|a\s+day\b|per\s+day|each\s+day|every\s+day|"
                r"daily|overnight|since\s+midnight|since\s+last\s+night|in\s+(?:a\s+single|one)\s+day|"
                r"over\s+the\s+past\s+day|in\s+24\s+hours|on\s+a\s+single\s+day)\b"), "day"),
    (re.compile(r"\b(?:in\s+the\s+(?:past|last)\s+week|a\s+week\b|per\s+week|each\s+week|every\s+week|weekly)\b"), "week"),
    (re.compile(r"\b(?:in\s+the\s+(?:past|last)\s+month|over\s+the\s+(?:past|last)\s+month|a\s+month\b|per\s+month|"
                r"each\s+month|every\s+month|monthly|(?:in|during)\s+(?:the\s+month\s+of\s+)?(?:"
                + _MONTH_NAMES + r")(?:\s+alone)?(?!\s+\d))\b"), "month"),
]  # for lower-cased text (lower_same_length), whole words ('in mayhem' is no month); case-insensitive
# regexes run about twice as slow
_LIST_GLUE = re.compile(r"^[\s,]*(?:[\w’'-]+[,–—]?\s+[–—]?\s*){0,3}?(?:including|of\s+whom|among\s+them)?[\s,]*(?:and\s+)?$", re.I)


# Every _PERIOD phrase holds one of these words: a set lookup rules most clauses out cheaply.
_PERIOD_WORDS = frozenset(
    "hours day daily overnight midnight night week weekly month monthly".split()) | frozenset(MONTH_NAMES)
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
    located = tuple(m for m in plain if before.search(sentence, max(0, m[0] - _LOCATIVE_REACH), m[0]))
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
    low, high = max(0, start - _PLACE_BEFORE), end + _PLACE_AFTER

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


class _LazyDocument:
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
        same_offsets = True
        if text.isascii():
            lower = text.lower()
        elif not any(char in text for char in _ASCII_LOWERING):
            lower = text.encode("ascii", "replace").lower().decode("ascii")
        else:
            lower = text.lower()
            # find_numbers lower-cases a sentence itself: what the scan below tells about its
            # number words holds for it only where lower-casing keeps every offset ('İ' does not)
            same_offsets = len(lower) == len(text)
            if not same_offsets:
                lower = lower_same_length(text)
        # cue words and number words found in one pass over the document; a paragraph or
        # sentence is read only when a cue word starts inside it and it holds a number
        cues, words = scan_words(lower)
        if not cues:
            return claims
        lower_after_space = ""  # " " + lower, made when first needed
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
                    lower_after_space = lower_after_space or " " + lower
                    has_cue = claim_gate_pattern().search(lower_after_space, first, last + 1) is not None
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
                                 ) if same_offsets else None
                claims.extend(self._sentence_claims(paragraph, index, sentence, has_words))
        return claims

    def _sentence_claims(self, paragraph: int, index: int, sentence: Sentence, has_words: bool | None
                         ) -> list[Claim]:
        """The claims of one sentence; `has_words` tells find_numbers whether it holds number words."""
        lowered = lower_same_length(sentence.text)
        mentions = [m for m in find_numbers(sentence.text, has_words, lowered)
                    if exclusion(sentence.text, m, lowered) is None]
        found: list[Claim] = []
        previous_reading: Counted | None = None
        for position, mention in enumerate(mentions):
            previous_end = mentions[position - 1].end if position else 0
            next_start = len(sentence.text)
            for later in mentions[position + 1 :]:
                glue = sentence.text[mention.end : later.stated_start]
                if _LIST_GLUE.match(glue) and len(glue) < _LIST_GLUE_REACH:
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
               reading: Counted, lowered: str) -> Claim:
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
        clause = sentence.text[max(0, mention.start - _PERIOD_REACH) : mention.end + _PERIOD_REACH]
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
                if span[1] - 2 <= absolute <= span[1] + _AFTER_QUOTE_REACH and frame.speaker:
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
        for found in find_date_phrases(sentence[as_of : as_of + _AS_OF_REACH]):
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




# what marks a sentence worth reading for the claimants it names (reporting_verbs.csv, hint)
_NAMING_HINTS = naming_hints()


def _may_name(text: str) -> bool:
    """Sentences without figures still introduce claimants for later back-references."""
    for hint in _NAMING_HINTS:  # a plain loop: any() over a generator costs more per call
        if hint in text:
            return True
    return False


def extract_claims(document: Document) -> list[Claim]:
    """Every figure claim in a document (offsets into `document.full_text`)."""
    lazy = _LazyDocument(document)
    return mark_conditional(assign_entities(lazy.run(), lazy.text), lazy.text, document.published)

