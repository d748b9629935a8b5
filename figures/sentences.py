"""Sentences with their offsets: where a document's paragraphs split into sentences.

A full stop after an abbreviation (abbreviations.csv, the month abbreviations of dates.py)
or a single letter ends no sentence; a heading glued to the next sentence by scraping
('...deadIsrael said') is split off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from figures.dates import MONTH_ABBREVIATIONS
from figures.lexicon import re_fullmatch, read_table

# words a full stop may end inside a sentence ('Gen.', 'Sept.'): abbreviations.csv and the months
_ABBREVIATIONS = frozenset(row["word"] for row in read_table("abbreviations.csv")) | MONTH_ABBREVIATIONS
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



# how far back from a full stop the word before it is looked for: longer than any abbreviation,
# short enough that a long sentence is not re-split word by word
_ABBREVIATION_REACH = 40
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
            window_start = max(start, match.start() - _ABBREVIATION_REACH)
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
