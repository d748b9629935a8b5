"""Conditional figures (claims-spec.md, "Conditional figures"): a figure that is not a statement
of what happened. Hypothetical ('could kill 5,000', '5,000 could die'), conditional ('if 10,000
troops are sent'), a plan or target ('aims to recruit 300,000') or a historical analogy outside the
story ('the famine of 1932-33 killed millions').

The rules read the figure's clause only: the few words before the figure back to a clause break,
and the first words after it. The cue words are data (figures/data/conditional.csv).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from figures.lexicon import literal_trie, lower_same_length, read_table
from figures.model import Claim

_BEFORE_WORDS = 6  # a modal or plan this many words before the figure at most
_AFTER_WORDS = 3  # a modal this many words after the figure at most ('5,000 people could die')
_HISTORY_YEARS = 20  # a year this long before publication is outside the story
_HISTORY_REACH = 150  # characters before the figure where a past event or year is looked for
_PUNCTUATION_BREAK = re.compile(r"[,;:()\[\]—–]|\s-\s|[.!?]\s")
_YEAR = re.compile(r"(?<![\d,.])(1[5-9]\d\d|20\d\d)(?!\d|[,.]\d|s\b)")  # not a decade ('the 1990s')
_SINCE = re.compile(r"\b(?:since|after|before)\s+(?:the\s+)?(?:\w+\s+)?$")
# what comes before a year named as such ('in 1932', 'the famine of 1932', 'from 1932 to 1933'), so
# that a count of 1,605 written '1605 tanks' is no year
_YEAR_LEAD = re.compile(r"(?:\b(?:in|of|from|to|during|between|until|by|and|since|after|before|early|late|mid)\s+|[-–])$")
# a year that may be 20 years before a publication before 2040: the cheap test before the rules
# (led by a character class, so the regex engine skips quickly to the digits 1 and 2)
_OLD_YEAR = re.compile(r"[12](?<![\d,.][12])(?:(?<=1)[5-9]\d\d|(?<=2)0[01]\d)(?!\d|[,.]\d|s\b)")
_NOT_WORD = re.compile(r"[^a-z'-]+")
_WORD_START = re.compile(r"(?<!\S)\S")
_DEFINITE = re.compile(r"\b(?:the|those|these|its|their|his|her)\s+$")


@lru_cache(maxsize=None)
def cue_table() -> dict[str, tuple[str, ...]]:
    """kind -> phrases of figures/data/conditional.csv (lower-case)."""
    table: dict[str, list[str]] = {}
    for row in read_table("conditional.csv"):
        table.setdefault(row["kind"], []).append(row["phrase"].lower())
    return {kind: tuple(phrases) for kind, phrases in table.items()}


def _words_regex(kind: str) -> re.Pattern[str]:
    return _cue_regex(cue_table().get(kind, ()))


@lru_cache(maxsize=None)
def _cue_regex(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Any of the phrases as whole words in lower-cased text (one that starts with an apostrophe,
    as "'ll", right after a word)."""
    words = [phrase for phrase in phrases if phrase[:1].isalnum()]
    clitics = [phrase for phrase in phrases if not phrase[:1].isalnum()]
    parts = [r"(?<![\w'])(?:" + literal_trie(words) + r")(?![\w'])"] if words else []
    if clitics:
        parts.append(r"(?<=\w)(?:" + literal_trie(clitics) + r")(?![\w])")
    return re.compile("|".join(parts) or r"(?!)")


@lru_cache(maxsize=None)
def _after_cue(kind: str) -> re.Pattern[str]:
    """Words right after a cue that undo it ('could not', 'may have been', 'if confirmed')."""
    return re.compile(r"\s*(?:" + literal_trie(list(cue_table().get(kind, ()))) + r")(?![\w])")


def _clause_start(lowered: str, start: int) -> int:
    """Where the figure's clause starts: after the last clause break (punctuation or a break word)
    before it, and at most _BEFORE_WORDS words before it."""
    low = max(0, start - 120)
    breaks = [m.end() for m in _PUNCTUATION_BREAK.finditer(lowered, low, start)]
    breaks += [m.end() for m in _words_regex("break").finditer(lowered, low, start)]
    begin = max(breaks, default=low)
    words = list(_WORD_START.finditer(lowered, begin, start))
    return words[-_BEFORE_WORDS].start() if len(words) > _BEFORE_WORDS else begin


def _clause_end(lowered: str, end: int) -> int:
    """Where the first _AFTER_WORDS words after the figure end, or an earlier clause break."""
    cut = _PUNCTUATION_BREAK.search(lowered, end, end + 80)
    limit = cut.start() if cut else min(len(lowered), end + 80)
    words = list(_WORD_START.finditer(lowered, end, limit))
    return words[_AFTER_WORDS + 1].start() if len(words) > _AFTER_WORDS + 1 else limit


def _has_cue(sentence: str, lowered: str, span: tuple[int, int], kinds: tuple[str, ...], undo: str) -> bool:
    """Whether a cue of these kinds occurs in sentence[span] written in lower case (so 'May' the month
    is no modal; a cue may open the sentence) and is not undone by the words after it ('could not')."""
    for kind in kinds:
        for found in _words_regex(kind).finditer(lowered, *span):
            if found.start() and not sentence[found.start()].islower() and sentence[found.start()].isalpha():
                continue
            if _after_cue(undo).match(lowered, found.end()) is None:
                return True
    return False


def _historical(lowered: str, span: tuple[int, int], figure: tuple[int, int], published: dt.date | None) -> bool:
    """A named past event, or a year long before publication (not after 'since'), in the figure's
    clause (the figure's own digits aside)."""
    if _words_regex("history").search(lowered, *span):
        return True
    latest = (published.year if published else 2010) - _HISTORY_YEARS
    for year in _YEAR.finditer(lowered, *span):
        if figure[0] <= year.start() < figure[1]:
            continue
        if (int(year.group(1)) <= latest and _YEAR_LEAD.search(lowered, span[0], year.start())
                and not _SINCE.search(lowered, span[0], year.start())):
            return True
    return False


@lru_cache(maxsize=1024)
def _lowered_if_cued(sentence: str) -> str | None:
    """The sentence lower-cased (lower_same_length) when it holds a cue word or a year at all, else
    None: most sentences hold neither, and one search settles them (cached: the claims of one
    sentence all ask)."""
    lowered = lower_same_length(sentence)
    cued = not _cue_words().isdisjoint(_NOT_WORD.split(lowered)) or "'ll" in lowered
    return lowered if cued or _OLD_YEAR.search(lowered) else None


@lru_cache(maxsize=None)
def _cue_words() -> frozenset[str]:
    """The longest word of every cue phrase ('expected' of 'is expected to'): a sentence without
    any holds no cue."""
    table = cue_table()
    return frozenset(max(phrase.split(), key=len) for kind in ("modal", "plan", "if", "history")
                     for phrase in table.get(kind, ()))


@lru_cache(maxsize=None)
def _any_cue() -> re.Pattern[str]:
    table = cue_table()
    return _cue_regex(tuple(phrase for kind in ("modal", "plan", "if", "history") for phrase in table.get(kind, ())))


def is_conditional(sentence: str, start: int, end: int, published: dt.date | None = None) -> bool:
    """Whether the figure at sentence[start:end] is hypothetical, conditional, a plan or target, or a
    historical analogy."""
    lowered = _lowered_if_cued(sentence)
    if lowered is None:
        return False
    low, high = max(0, start - _HISTORY_REACH), min(len(lowered), end + 80)
    if _any_cue().search(lowered, low, high) is None and _OLD_YEAR.search(lowered, low, high) is None:
        return False  # no cue near the figure: most figures of a sentence with a cue elsewhere
    before = (_clause_start(lowered, start), start)
    after = (end, _clause_end(lowered, end))
    definite = _DEFINITE.search(lowered, 0, start) is not None  # 'the 130 hostages': a group that exists
    if not definite and (_has_cue(sentence, lowered, before, ("modal", "plan"), "not_after")
                         or _has_cue(sentence, lowered, before, ("if",), "not_after_if")):
        return True
    if _has_cue(sentence, lowered, after, ("modal",), "not_after"):
        return True
    # an analogy is often named in an apposition before the figure's own clause ('the Holodomor,
    # a famine of 1932-33 that killed millions'): the sentence back to _HISTORY_REACH characters
    wide = (max(0, start - _HISTORY_REACH), _clause_end(lowered, end))
    return _historical(lowered, wide, (start, end), published)


def mark_conditional(claims: list[Claim], text: str, published: dt.date | None) -> list[Claim]:
    """Set `conditional` on the claims of one document, in place; returns them. `text` is the
    document's full text (each claim's quote is the sentence around its offsets)."""
    for claim in claims:
        if _lowered_if_cued(claim.quote) is None:
            continue
        sentence_start = text.rfind(claim.quote, max(0, claim.end - len(claim.quote)), claim.start + len(claim.quote))
        if sentence_start < 0:
            continue
        local_end = claim.end - sentence_start
        stated_start = local_end - len(claim.stated) if claim.stated else claim.start - sentence_start
        claim.conditional = is_conditional(claim.quote, max(0, stated_start), local_end, published)
    return claims
