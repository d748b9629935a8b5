"""Claim dates: find date phrases near a statement and resolve them against the
publication date (claims-spec.md, "Dates").

Common phrases (weekdays, yesterday, last night, "1 March", "Sept. 24, 2023",
ISO and YYYYMMDD) are resolved directly; the rarer kinds go to dateparser with
`languages`, `RELATIVE_BASE` and `PREFER_DATES_FROM='past'`, cached: a count of days
back ("two days ago", "3 days ago", "the day before yesterday") and numeric dates
with a four-digit year ("24/02/2022", "24.02.2022", "2022/02/24"). A phrase that
names no single day ("a week ago", "two months ago", "a few days ago", "more than
three days ago") resolves to (None, 'unknown'), like "last week" next to a
reporting verb. A phrase without a year and without a publication date resolves
to nothing: never today's date, never a guessed year (nor a guessed day/month order).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections import Counter
from functools import lru_cache
from typing import Any

from figures.lexicon import lower_same_length, re_search, re_sub, trie_body

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The one place month names are written: the other modules build their month words and
# patterns from these.
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december")
# each month's name and its short forms ('sept' besides 'sep') -> its number
MONTHS = {**{name: number for number, name in enumerate(MONTH_NAMES, start=1)},
          **{name[:3]: number for number, name in enumerate(MONTH_NAMES, start=1)}, "sept": 9}
# the short forms alone ('jan', 'sept'; not 'may'): abbreviations a full stop may follow
MONTH_ABBREVIATIONS = frozenset(word for word in MONTHS if word not in MONTH_NAMES)
MONTH_PATTERN = "(?:" + trie_body(sorted(MONTHS)) + ")"  # any month word, for lower-cased text
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
# A count of time units back: a day when the unit is days and the count is exact; anything
# else (weeks, months, "a few", "more than", "about") names no single day.
_AGO = (r"(?P<agoq>(?:more\s+than|less\s+than|fewer\s+than|at\s+least|over|under|almost|nearly|about|around|"
        r"roughly|some|approximately|just\s+over|just\s+under)\s+)?"
        r"(?P<agon>an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,3}|"
        r"a\s+few|a\s+couple\s+of|a\s+couple|few|several|some|many|two\s+or\s+three|\d{1,2}\s+or\s+\d{1,2})?\s*"
        r"(?P<agou>hours?|days?|weeks?|fortnights?|months?|years?)\s+ago")
# Numeric dates need a four-digit year, so that times ("10.30"), scores ("3-1") and
# decimals never read as dates; the same separator twice.
_NUMERIC = (r"(?<![\w.,/-])(?:(?P<na>\d{1,2})(?P<ns>[./-])(?P<nb>\d{1,2})(?P=ns)(?P<ny>(?:19|20)\d\d)"
            r"|(?P<ry>(?:19|20)\d\d)(?P<rs>[./])(?P<rm>\d{1,2})(?P=rs)(?P<rd>\d{1,2}))(?!\w|[.,/-]\d)")

DATE_PHRASE = re.compile(
    rf"\b(?P<dm>(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{MONTH_PATTERN})\.?(?:,?\s+(?P<y1>(?:19|20)\d\d))?)\b"
    rf"|\b(?P<md>(?P<m2>{MONTH_PATTERN})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?P<y2>(?:19|20)\d\d))?)"
    rf"|\b(?P<iso>(?P<y3>(?:19|20)\d\d)-(?P<m3>\d\d)-(?P<d3>\d\d))\b"
    rf"|\b(?P<rel>yesterday|today|tonight|this\s+morning|this\s+afternoon|this\s+evening|last\s+night|overnight|"
    rf"the\s+day\s+before|(?:late\s+|early\s+|on\s+)?(?:last\s+)?{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?)\b",
    re.IGNORECASE,
)
# The rarer kinds, for dateparser: a regex of their own, run only when a cheap test finds
# their mark ('ago', 'before yesterday', a year next to a separator): every alternative added
# to DATE_PHRASE would slow every search with it (about 1.5x each, measured).
RARE_DATE_PHRASE = re.compile(
    rf"(?P<num>{_NUMERIC})|\b(?P<ago>{_AGO}|(?:the\s+)?day\s+before\s+yesterday)\b"
    rf"|\b(?P<glued>{MONTH_PATTERN}\.\d{{1,2}}(?:,?\s+(?:19|20)\d\d)?)(?![\d.])",
    re.IGNORECASE,
)


# How many phrases took the dateparser path since the last reset_dateparser_counts(), by kind
# ('numeric', 'days ago') and outcome ('resolved', 'no day'): `extract --date-stats` and the
# bench print them.
_DATEPARSER_COUNTS: Counter[str] = Counter()


def dateparser_counts() -> dict[str, int]:
    """Phrases sent down the dateparser path since the last reset, by kind and outcome, with the
    number of distinct dateparser calls (the rest were answered by the cache)."""
    info = parse_phrase.cache_info()
    return {**dict(sorted(_DATEPARSER_COUNTS.items())), "dateparser calls (cache misses)": info.misses}


def reset_dateparser_counts() -> None:
    _DATEPARSER_COUNTS.clear()
    parse_phrase.cache_clear()


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
    """(date, basis) for a DATE_PHRASE or RARE_DATE_PHRASE match: basis 'stated' or 'relative',
    (None, 'unknown') when it gives no day."""
    if match.re is _LOWER_RARE_DATE_PHRASE or match.re is RARE_DATE_PHRASE:
        kind = "numeric" if match.group("num") else "glued" if match.group("glued") else "ago"
        found = (_numeric_date(match, published) if kind == "numeric" else _glued_date(match, published)
                 if kind == "glued" else _days_ago(match, published))
        _DATEPARSER_COUNTS[f"{kind}: {'resolved' if found[0] else 'no day'}"] += 1
        return found
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


def _numeric_date(match: re.Match[str], published: dt.date | None) -> tuple[dt.date | None, str]:
    """'24/02/2022', '24.02.2022', '2022/02/24' through dateparser, in a day/month order decided
    here: the only valid reading; of two, day-first with dots (the European and Russian/Ukrainian
    style), else with '/' or '-' the only one not after publication (+2 days, as for '1 March');
    two plausible readings give no date rather than a guess."""
    phrase = match.group("num")
    if match.group("ry"):
        order = "YMD"
    else:
        first, second, year = int(match.group("na")), int(match.group("nb")), int(match.group("ny"))
        readings = {order: date for order, date in (("DMY", _safe_date(year, second, first)),
                                                    ("MDY", _safe_date(year, first, second))) if date}
        if len(set(readings.values())) > 1:
            if match.group("ns") == ".":
                del readings["MDY"]
            elif published is not None:
                latest = published + dt.timedelta(days=2)
                readings = {order: date for order, date in readings.items() if date <= latest}
        if len(set(readings.values())) != 1:
            return None, "unknown"
        order = next(iter(readings))
    date = parse_phrase(phrase, published, order)
    return (date, "stated") if date else (None, "unknown")


def _days_ago(match: re.Match[str], published: dt.date | None) -> tuple[dt.date | None, str]:
    """'two days ago', '3 days ago', 'the day before yesterday' through dateparser, against the
    publication date; a phrase that names no single day ('a week ago', 'a few days ago', 'more
    than three days ago') or no publication date gives (None, 'unknown')."""
    if published is None:
        return None, "unknown"
    phrase = re_sub(r"\s+", " ", match.group("ago"))
    if match.group("agou") is not None:  # 'N units ago', not 'the day before yesterday'
        count = match.group("agon")
        exact = count in _COUNTS or (count is not None and count.isdigit())
        if match.group("agoq") or not exact or not match.group("agou").startswith(("day", "hour")):
            return None, "unknown"
    else:
        phrase = "the day before yesterday"
    date = parse_phrase(phrase, published)
    if date is None or date > published:
        return None, "unknown"
    return date, "relative"


def _glued_date(match: re.Match[str], published: dt.date | None) -> tuple[dt.date | None, str]:
    """'Sept.24', 'Jul.2, 2022' (no space after the month's period) through dateparser; without a year,
    not after publication (+2 days), as for '1 March'."""
    date = parse_phrase(match.group("glued"), published)
    if date is None or (published is not None and date > published + dt.timedelta(days=2)):
        return None, "unknown"
    return date, "stated"


@lru_cache(maxsize=4096)
def parse_phrase(phrase: str, published: dt.date | None, date_order: str | None = None) -> dt.date | None:
    """dateparser on one short phrase, for what the fast path does not know; cached.
    `date_order` ('DMY', 'MDY', 'YMD') for numeric dates, whose order the caller decides."""
    import dateparser

    settings = {"PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month"]}
    if date_order is not None:
        settings["DATE_ORDER"] = date_order
    if published is not None:
        settings["RELATIVE_BASE"] = dt.datetime.combine(published, dt.time(12))
    elif not re_search(r"(?:19|20)\d\d", phrase):
        return None
    parsed = dateparser.parse(phrase, languages=["en"], settings=settings)
    return parsed.date() if parsed else None


# Every DATE_PHRASE or RARE_DATE_PHRASE match holds a digit or one of these words: a cheap
# test before the regexes.
_DATE_WORDS = frozenset(("yesterday", "today", "tonight", "morning", "afternoon", "evening", "night", "overnight",
                         "day", "ago") + WEEKDAYS)
_DIGIT = re.compile(r"\d")
_NOT_LETTERS = re.compile(r"[^a-z]+")
# Every numeric date holds a four-digit year next to a separator and a digit; decimals do not.
# ... and every glued month and day ('sept.24') a letter, a period and a digit.
_NUMERIC_MARK = re.compile(r"\d[./-](?:19|20)\d\d|(?:19|20)\d\d[./]\d|[a-z]\.\d")


# DATE_PHRASE for lower-cased text (lower_same_length): a case-insensitive regex runs about
# twice as slow
_LOWER_DATE_PHRASE = re.compile(DATE_PHRASE.pattern)
_LOWER_RARE_DATE_PHRASE = re.compile(RARE_DATE_PHRASE.pattern)


def find_date_phrases(text: str) -> list[re.Match[str]]:
    """Date phrases in a short text, in order: '1 March', 'Sept. 24, 2023', '2022-03-01', 'on Sunday',
    'yesterday', 'two days ago', '24.02.2022'. The matches are on the lower-cased text, at the same
    offsets; where two overlap the one that starts first (else the longer) is kept."""
    lowered = lower_same_length(text)
    digit = _DIGIT.search(text)
    if not digit and _DATE_WORDS.isdisjoint(_NOT_LETTERS.split(lowered)):
        return []
    found = list(_LOWER_DATE_PHRASE.finditer(lowered))
    if _has_rare_mark(lowered):
        rare = list(_LOWER_RARE_DATE_PHRASE.finditer(lowered))
        if rare:
            found = _without_overlaps(found + rare)
    return found


def _has_rare_mark(lowered: str) -> bool:
    """Whether a lower-cased text may hold a RARE_DATE_PHRASE: 'ago', 'before yesterday' or a
    four-digit year next to a separator."""
    return "ago" in lowered or "before yesterday" in lowered or _NUMERIC_MARK.search(lowered) is not None


def first_date_phrase(lowered: str, last_start: int) -> re.Match[str] | None:
    """The first of find_date_phrases() in a lower-cased text (lower_same_length), when it starts
    at or before `last_start`: trying those few places costs less than searching the whole text."""
    common = None
    for start in range(last_start + 1):
        common = _LOWER_DATE_PHRASE.match(lowered, start)
        if common:
            break
    if _has_rare_mark(lowered):
        for start in range(last_start + 1 if common is None else common.start() + 1):
            rare = _LOWER_RARE_DATE_PHRASE.match(lowered, start)
            if rare:
                # find_date_phrases keeps the one that starts first, else the longer
                if common is None or rare.start() < common.start() or rare.end() > common.end():
                    return rare
                break
    return common


def _without_overlaps(matches: list[re.Match[str]]) -> list[re.Match[str]]:
    kept: list[re.Match[str]] = []
    for match in sorted(matches, key=lambda m: (m.start(), -m.end())):
        if not kept or match.start() >= kept[-1].end():
            kept.append(match)
    return kept


# ---------------------------------------------------------------- publication dates
# The date a document was published, from the forms headers and exports use. Claim dates
# (above) resolve phrases against it.

UNKNOWN_VALUES = frozenset(("", "unknown", "none", "null", "n/a", "-"))  # header values that give nothing
_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?\s*$")
_FULL_MONTHS = "|".join(MONTH_NAMES)
LONG_DATE = re.compile(rf"^\s*({_FULL_MONTHS})\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.I)  # 'March 1, 2022'
_DAY_MONTH = re.compile(rf"^\s*(\d{{1,2}})\s+({_FULL_MONTHS})\s+(\d{{4}})\b", re.I)  # '1 March 2022'


def parse_date_value(value: str | None) -> dt.date | None:
    """An ISO date, ISO timestamp or YYYYMMDD string as a date; None when it is none of these."""
    if not value or value.strip().lower() in UNKNOWN_VALUES:
        return None
    for pattern in (_ISO_DATE, _COMPACT_DATE):
        match = pattern.match(value)
        if match:
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def parse_any_date(value: Any) -> dt.date | None:
    """A publication date from the forms exports use: ISO, YYYYMMDD, 'March 1, 2022', RFC 2822, d/m/Y."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    parsed = parse_date_value(text)
    if parsed:
        return parsed
    for pattern, order in ((LONG_DATE, "mdy"), (_DAY_MONTH, "dmy")):
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, match.groups()))
            try:
                return dt.date(int(parts["y"]), MONTHS[parts["m"][:3].lower()], int(parts["d"]))
            except ValueError:
                return None
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in ("%Y/%m/%d", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S%z"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
