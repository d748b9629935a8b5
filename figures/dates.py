"""Claim dates: find date phrases near a statement and resolve them against the
publication date (claims-spec.md, "Dates").

Common phrases (weekdays, yesterday, last night, "1 March", "Sept. 24, 2023",
ISO and YYYYMMDD) are resolved directly; anything else goes to dateparser with
`languages`, `RELATIVE_BASE` and `PREFER_DATES_FROM='past'`, cached. A phrase
without a year and without a publication date resolves to nothing: never
today's date, never a guessed year.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from figures.lexicon import lower_same_length, re_search, re_sub

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"

DATE_PHRASE = re.compile(
    rf"\b(?P<dm>(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH})\.?(?:,?\s+(?P<y1>(?:19|20)\d\d))?)\b"
    rf"|\b(?P<md>(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?P<y2>(?:19|20)\d\d))?)"
    rf"|\b(?P<iso>(?P<y3>(?:19|20)\d\d)-(?P<m3>\d\d)-(?P<d3>\d\d))\b"
    rf"|\b(?P<rel>yesterday|today|tonight|this\s+morning|this\s+afternoon|this\s+evening|last\s+night|overnight|"
    rf"the\s+day\s+before|(?:late\s+|early\s+|on\s+)?(?:last\s+)?{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?)\b",
    re.IGNORECASE,
)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_day(month_word: str, day: int, year: int | None, published: dt.date | None) -> dt.date | None:
    month = MONTHS.get(month_word.lower().rstrip("."))
    if month is None:
        return None
    if year is not None:
        return _safe_date(year, month, day)
    if published is None:
        return None
    candidate = _safe_date(published.year, month, day)
    if candidate and candidate > published + dt.timedelta(days=2):
        candidate = _safe_date(published.year - 1, month, day)
    return candidate


def weekday_date(weekday: str, published: dt.date, updated_later: bool = False) -> dt.date:
    """The most recent such weekday on or before publication; the day after it
    when the article was plainly updated ('Thursday morning' in a Wednesday article)."""
    target = WEEKDAYS.index(weekday.lower())
    if updated_later and (published.weekday() + 1) % 7 == target:
        return published + dt.timedelta(days=1)
    return published - dt.timedelta(days=(published.weekday() - target) % 7)


def resolve(match: re.Match[str], published: dt.date | None) -> tuple[dt.date | None, str]:
    """(date, basis) for a DATE_PHRASE match: basis 'stated' or 'relative'."""
    if match.group("dm"):
        year = int(match.group("y1")) if match.group("y1") else None
        return _month_day(match.group("m1"), int(match.group("d1")), year, published), "stated"
    if match.group("md"):
        year = int(match.group("y2")) if match.group("y2") else None
        return _month_day(match.group("m2"), int(match.group("d2")), year, published), "stated"
    if match.group("iso"):
        return _safe_date(int(match.group("y3")), int(match.group("m3")), int(match.group("d3"))), "stated"
    phrase = re_sub(r"\s+", " ", match.group("rel").lower())
    if published is None:
        return None, "unknown"
    if phrase in ("yesterday", "last night", "overnight", "the day before"):
        return published - dt.timedelta(days=1), "relative"
    if phrase in ("today", "tonight", "this morning", "this afternoon", "this evening"):
        return published, "relative"
    words = phrase.split()
    weekday = next((w for w in words if w in WEEKDAYS), None)
    if weekday is None:
        return None, "unknown"
    updated = words[-1] in ("morning", "afternoon", "evening", "night")
    if "last" in words and published.weekday() == WEEKDAYS.index(weekday):
        return published - dt.timedelta(days=7), "relative"
    return weekday_date(weekday, published, updated_later=updated), "relative"


@lru_cache(maxsize=4096)
def parse_phrase(phrase: str, published: dt.date | None) -> dt.date | None:
    """dateparser on one short phrase, for what the fast path does not know; cached."""
    import dateparser

    settings = {"PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month"]}
    if published is not None:
        settings["RELATIVE_BASE"] = dt.datetime.combine(published, dt.time(12))
    elif not re_search(r"(?:19|20)\d\d", phrase):
        return None
    parsed = dateparser.parse(phrase, languages=["en"], settings=settings)
    return parsed.date() if parsed else None


# Every DATE_PHRASE match holds a digit or one of these words: a cheap test before the regex.
_DATE_WORDS = frozenset(("yesterday", "today", "tonight", "morning", "afternoon", "evening", "night", "overnight",
                         "day") + WEEKDAYS)
_DIGIT = re.compile(r"\d")
_NOT_LETTERS = re.compile(r"[^a-z]+")


# DATE_PHRASE for lower-cased text (lower_same_length): a case-insensitive regex runs about
# twice as slow
_LOWER_DATE_PHRASE = re.compile(DATE_PHRASE.pattern)


def find_date_phrases(text: str) -> list[re.Match[str]]:
    """Date phrases in a short text: '1 March', 'Sept. 24, 2023', '2022-03-01', 'on Sunday', 'yesterday'.
    The matches are on the lower-cased text, at the same offsets."""
    lowered = lower_same_length(text)
    if not _DIGIT.search(text) and _DATE_WORDS.isdisjoint(_NOT_LETTERS.split(lowered)):
        return []
    return list(_LOWER_DATE_PHRASE.finditer(lowered))
