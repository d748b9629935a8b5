"""Numbers in news text: digits, scale words, number words, vague quantities,
ranges and the qualifiers around them ("at least", "about", "between ... and ...").

`find_numbers(text)` returns every number mention with its value and bounds;
`exclusion(text, mention)` says why a mention is not a count of anything
(a year, a date, an age, a time, money, a percentage, a distance, a model name...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Iterator
from functools import lru_cache

from text_to_num import text2num

from figures.lexicon import literal_trie, lower_same_length, qualifiers, trie_body, vague_quantities
from figures.lexicon import re_fullmatch, re_match, re_search, re_split, re_sub

SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}

UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"
).split()
WORD_SCALES = ("hundred", "thousand", "million", "billion")
NUMBER_WORDS = frozenset(UNITS) | frozenset(WORD_SCALES) | {"dozen"}

_DIGITS = (
    r"(?<![\w.,/£$€#])"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:[\u00a0\u202f\u2009 ]\d{3})+(?![\d,])|\d+)"
    r"(?P<frac>\.\d+)?(?!\.\d)"
    r"(?P<scale>\s?(?:million|billion|thousand)\b|(?:m|mn|mln|bn|k)\b)?"
)
_WORD = trie_body(sorted(UNITS + list(WORD_SCALES)))
_WORDS = (
    rf"(?P<words>(?:\b(?:an?|half\s+an?)\s+(?:dozen|hundred|thousand|million)\b"
    rf"|\b(?:{_WORD})\b(?:(?:[\s-]+|\s+and\s+)\b(?:{_WORD})\b)*)(?:\s+(?:million|billion)\b)?)"
)


@lru_cache(maxsize=None)
def _vague_pattern() -> str:
    return r"(?P<vague>\b" + trie_body(sorted(vague_quantities())) + r"\b)"


@lru_cache(maxsize=None)
def number_regex() -> re.Pattern[str]:
    """Digits, number words and vague quantities, for lower-cased text (lower_same_length)."""
    return re.compile(f"{_DIGITS}|{_WORDS}|{_vague_pattern()}")


@lru_cache(maxsize=None)
def _digits_regex() -> re.Pattern[str]:
    """The digit part alone, led by a lookahead so the regex engine skips quickly to digits."""
    return re.compile(r"(?=\d)" + _DIGITS)


@lru_cache(maxsize=None)
def gate_words() -> frozenset[str]:
    """Lower-case words without which (and without a digit) a text holds no number."""
    # a vague phrase can only occur where its longest word does ('a handful of' -> 'handful')
    vague_words = {max(re_split(r"[^a-z]+", phrase), key=len) for phrase in vague_quantities()}
    return NUMBER_WORDS | vague_words


_TOKENS = re.compile(r"[^a-z]+")


def has_number_words(text: str, lowered: bool = False) -> bool:
    """Whether a text holds a number word or a vague quantity ('twelve', 'dozens')."""
    return not gate_words().isdisjoint(_TOKENS.split(text if lowered else text.lower()))


@lru_cache(maxsize=None)
def digit_number_word_regex() -> re.Pattern[str]:
    """A gate word right after a digit ('5one'), for lower-cased text: the one place a gate word
    is a word of its own (has_number_words) that a scan for words after a character other than
    a letter or a digit misses. Led by the digit, so the regex engine skips quickly to digits."""
    return re.compile(r"[0-9](?:" + literal_trie(sorted(gate_words())) + r")(?![a-z])")


@dataclass(slots=True)
class NumberMention:
    start: int  # offsets of the number itself (for a range: first number to last)
    end: int
    value: float
    low: float | None = None
    high: float | None = None
    qualifier: str = "exact"
    qualifier_start: int | None = None  # where a qualifier phrase in front begins
    kind: str = "digits"  # digits, words, vague

    @property
    def stated_start(self) -> int:
        return self.start if self.qualifier_start is None else self.qualifier_start


def parse_digits(number: str, fraction: str | None = None, scale: str | None = None) -> float:
    """'5,840' -> 5840; '300 000' -> 300000; ('1', '.2', 'million') -> 1200000."""
    cleaned = number if number.isdigit() else re_sub(r"[,\s\u00a0\u202f\u2009]", "", number)
    value = float(cleaned + (fraction or ""))
    if scale:
        value *= SCALES[scale.strip().lower()]
    return value


@lru_cache(maxsize=4096)
def parse_words(words: str) -> float | None:
    """'twenty-one' -> 21; 'two thousand' -> 2000; 'a dozen' -> 12; 'half a million' -> 500000."""
    text = re_sub(r"\s+", " ", words.lower().strip())
    half = text.startswith("half ")
    if half:
        text = text[5:]
    if text.split()[0] in WORD_SCALES:
        return None  # a lone "million" is not a number; "a million" is
    text = re_sub(r"^an? ", "one ", text)
    if text.endswith("dozen"):
        head = text[: -len("dozen")].strip()
        base = parse_words(head) if head else 1.0
        return None if base is None else base * 12
    try:
        value = float(text2num(text.replace(" and ", " "), "en"))
    except ValueError:
        tokens = re_split(r"[\s-]+", text)
        if len(tokens) > 1:
            try:
                value = float(text2num(" ".join(tokens), "en"))
            except ValueError:
                return None
        else:
            return None
    return value / 2 if half else value


@lru_cache(maxsize=None)
def _reversed_qualifiers() -> tuple[re.Pattern[str], dict[str, str]]:
    """Qualifier phrases reversed, as one trie regex: matching the reversed text just before a
    number finds the longest phrase ending there in one step."""
    table = {phrase[::-1]: qualifier for phrase, qualifier in qualifiers()["before"]}
    return re.compile(r"\s+(" + trie_body(sorted(table)) + r")(?![a-z0-9])"), table


def _qualifier_before(text: str, start: int) -> tuple[str, int] | None:
    pattern, table = _reversed_qualifiers()
    window = text[max(0, start - 40) : start].lower()[::-1]
    match = pattern.match(window)
    if not match:
        return None
    return table[match.group(1)], start - match.end()


@lru_cache(maxsize=None)
def _after_qualifiers() -> tuple[re.Pattern[str], list[str]]:
    """Qualifier phrases that follow a number ('or more', '+'), longest first, as one regex
    whose group number names the qualifier."""
    branches, names = [], []
    for phrase, qualifier in qualifiers()["after"]:
        if phrase[0].isalnum():
            branches.append(rf"(\s+{re.escape(phrase)}\b)")
        else:
            branches.append(rf"({re.escape(phrase)}(?!\d))")
        names.append(qualifier)
    return re.compile("|".join(branches)), names


def _qualifier_after(text: str, end: int) -> str | None:
    pattern, names = _after_qualifiers()
    match = pattern.match(text[end : end + 12].lower())
    return names[match.lastindex - 1] if match else None


_BETWEEN = re.compile(r"\b(?:between|from)\s+$", re.IGNORECASE)


@lru_cache(maxsize=None)
def _starting_words() -> frozenset[str]:
    """Words a number in words or a vague quantity can begin with ('a dozen', 'tens of thousands')."""
    firsts = {re_split(r"[^a-z]+", phrase)[0] for phrase in vague_quantities()}
    return NUMBER_WORDS | firsts | {"a", "an", "half"}


@lru_cache(maxsize=None)
def _starter_regex() -> re.Pattern[str]:
    """A starting word as a whole run of letters, for a lower-cased text with one character put
    in front: led by a character class, so the regex engine skips quickly over letters."""
    return re.compile(r"[^a-z](?:" + literal_trie(sorted(_starting_words())) + r")(?![a-z])")


_DIGIT_RUN = re.compile(r"\d+")


def _number_matches(text: str) -> Iterator[re.Match[str]]:
    """What number_regex().finditer(lowered text) finds, tried only where a run of digits or a
    starting word (a whole run of letters) begins: the full regex is slow to try at every
    position of a long sentence."""
    pattern = number_regex()
    lowered = lower_same_length(text)
    # a match of the starter regex on " " + lowered starts at its word's offset in lowered
    begins = [match.start() for match in _starter_regex().finditer(" " + lowered)]
    digits = [match.start() for match in _DIGIT_RUN.finditer(lowered)]
    if digits:
        begins = sorted(begins + digits)
    end = 0
    for begin in begins:
        if begin < end:
            continue
        match = pattern.match(lowered, begin)
        if match:
            yield match
            end = match.end()


def _raw_mentions(text: str, number_words: bool | None) -> list[tuple[int, int, float, str, bool]]:
    """(start, end, value, kind, has_scale) for every number-like span."""
    found = []
    if number_words is None:
        number_words = has_number_words(text)
    matches = _number_matches(text) if number_words else _digits_regex().finditer(lower_same_length(text))
    for match in matches:
        if match.group("num"):
            value = parse_digits(match.group("num"), match.group("frac"), match.group("scale"))
            found.append((match.start(), match.end(), value, "digits", bool(match.group("scale"))))
        elif match.group("words"):
            value = parse_words(match.group("words"))
            if value is not None:
                found.append((match.start(), match.end(), value, "words", False))
        else:
            phrase = re_sub(r"\s+", " ", match.group("vague").lower())
            found.append((match.start(), match.end(), vague_quantities()[phrase], "vague", False))
    return found


def find_numbers(text: str, number_words: bool | None = None) -> list[NumberMention]:
    """Every number mention in `text`, ranges merged, qualifiers attached. `number_words` is
    has_number_words(text) when the caller knows it already (a document-wide scan)."""
    raw = _raw_mentions(text, number_words)
    mentions: list[NumberMention] = []
    index = 0
    while index < len(raw):
        start, end, value, kind, scaled = raw[index]
        if index + 1 < len(raw) and kind != "vague":
            next_start, next_end, next_value, next_kind, next_scaled = raw[index + 1]
            glue = text[end:next_start]
            between = _BETWEEN.search(text[max(0, start - 12) : start])
            is_dash = re_fullmatch(r"\s*[-–—‑]\s*|-to-|\s+to\s+", glue) is not None
            is_and = re_fullmatch(r"\s+(?:and|to)\s+", glue, re.IGNORECASE) is not None
            if next_kind != "vague" and len(glue) <= 6 and (is_dash or (between and is_and)):
                low, high = value, next_value
                if next_scaled and not scaled and low * 1000 <= high:
                    low *= high / _unscaled(text[next_start:next_end], next_value)
                if low < high:
                    qualifier_start = start - len(between.group(0)) if between else None
                    mentions.append(
                        NumberMention(
                            start, next_end, (low + high) / 2, low, high, "range",
                            qualifier_start=qualifier_start, kind=kind,
                        )
                    )
                    index += 2
                    continue
        mention = NumberMention(start, end, value, kind=kind)
        if kind == "vague":
            mention.qualifier, mention.low = "vague", value
            before = _qualifier_before(text, start)
            if before and before[0] == "at_least":
                mention.qualifier_start = before[1]
        else:
            before = _qualifier_before(text, start)
            after = _qualifier_after(text, end)
            qualifier = before[0] if before else after
            if qualifier:
                mention.qualifier = qualifier
                mention.qualifier_start = before[1] if before else None
                if qualifier == "at_least":
                    mention.low = value
                elif qualifier == "at_most":
                    mention.high = value
        mentions.append(mention)
        index += 1
    return mentions


def _unscaled(span: str, value: float) -> float:
    match = re_match(r"[\d,.\s]+", span)
    if not match:
        return value
    try:
        return float(re_sub(r"[,\s]", "", match.group(0)))
    except ValueError:
        return value


MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_AFTER_EXCLUDE = [
    (re.compile(r"\s?(?:%|per\s?cent|percent|percentage)", re.I), "percentage"),
    (re.compile(r"(?:st|nd|rd|th)\b", re.I), "ordinal"),
    (re.compile(r"[\s-]?(?:years?|yrs?)[\s-]+old\b|-year-old", re.I), "age"),
    (re.compile(r"\s?(?:am|pm|a\.m\.|p\.m\.|gmt|bst|cet|utc|hrs|h\b)\b|:\d\d", re.I), "time"),
    (re.compile(r"[\s-]?(?:km|kilomet\w*|miles?|metres?|meters?|ft|feet|foot|inch\w*|mm|cm|kg|kilo\w*|"
                r"tonnes?|tons?|sq|square|hectares?|acres?|mph|kph|degrees?|°|litres?|liters?|gallons?|"
                r"barrels?|calibre|caliber|megawatts?|mw|kw|gw)\b", re.I), "measure"),
    (re.compile(r"[\s-](?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|nights?|"
                r"mornings?|evenings?|rounds? of talks)\b", re.I), "duration"),
    (re.compile(r"\s?(?:dollars|euros?|pounds|sterling|roubles|rubles|hryvnias?|shekels|usd|eur|gbp|uah|"
                r"rupees|yuan)\b", re.I), "money"),
    (re.compile(r"\s(?:times|views|followers|likes|shares|retweets|pages|words|votes|points)\b", re.I), "count of non-people"),
    (re.compile(rf"\s{MONTHS}\b\.?(?!\w)", re.I), "date"),
    (re.compile(r"-(?!strong|plus|odd|to-)[a-z]", re.I), "compound"),
    (re.compile(r"\s?/\s?\d"), "fraction"),
]
_LABEL_WORDS = (
    "no number nr article resolution page route highway flight room vol chapter section paragraph covid level "
    "category phase grade block unit apartment apt street model version platform gate terminal brigade battalion "
    "regiment division squad verse day week year season episode part stage round class group code"
).split()
_MONEY_WORDS = ["usd", "eur", "gbp", "uah", "rs"]
_AGE_WORDS = ["aged", "age", "ages"]
_MONTH_WORDS = ("jan january feb february mar march apr april may jun june jul july aug august sep sept september "
                "oct october nov november dec december").split()
_BEFORE_EXCLUDE = [
    (re.compile(r"[$£€¥₴]\s?$|\b(?:us\$|usd|eur|gbp|uah|rs\.?)\s?$", re.I), "money"),
    (re.compile(rf"\b{MONTHS}\.?\s$", re.I), "date"),
    # a trie of the label words: a flat alternation of fifty words is slow to try at each position
    (re.compile(r"\b(?:" + trie_body(sorted(_LABEL_WORDS + ["no.", "nr.", "vol.", "apt.", "the year"]))
                + r"|\+)\s?$", re.I), "label"),
    (re.compile(r"[A-Za-z]-\s?$"), "model name"),
    (re.compile(r"\b(?:aged|age|ages)\s$", re.I), "age"),
    (re.compile(r"[+#]\s?$"), "label"),
    (re.compile(r"\d[:.]$"), "time"),
]
# What the rules above can end with (before at most one space): one of these words or symbols.
_BEFORE_END_WORDS = frozenset(_LABEL_WORDS + _MONEY_WORDS + _AGE_WORDS + _MONTH_WORDS)
_BEFORE_END_SYMBOLS = frozenset("$£€¥₴+#-:.")
_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _before_may_exclude(before: str) -> bool:
    """Cheap test on the last word before a number: can any rule of _BEFORE_EXCLUDE match?
    Trying those regexes at every position of the window costs far more."""
    core = before[:-1] if before[-1:].isspace() else before
    if not core:
        return False
    if core[-1] in _BEFORE_END_SYMBOLS:
        return True
    return core[len(core.rstrip(_ASCII_LETTERS)) :].lower() in _BEFORE_END_WORDS


_AGE = re.compile(r"[A-Z][\w'’.-]+,\s$")


def _any_of(rules: list[tuple[re.Pattern[str], str]]) -> re.Pattern[str]:
    """All the rules' patterns as one regex: one call tells whether any rule can apply."""
    return re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in rules), re.IGNORECASE)


_ANY_AFTER = _any_of(_AFTER_EXCLUDE)


def exclusion(text: str, mention: NumberMention) -> str | None:
    """Why this mention is not a figure claim, or None when it may be one."""
    if mention.kind == "vague":
        return None
    after = text[mention.end : mention.end + 40]
    before = text[max(0, mention.start - 30) : mention.start]
    if _ANY_AFTER.match(after):
        for pattern, reason in _AFTER_EXCLUDE:
            if pattern.match(after):
                if reason == "ordinal" and mention.kind != "digits":
                    continue
                return reason
    if _before_may_exclude(before):
        for pattern, reason in _BEFORE_EXCLUDE:
            if pattern.search(before):
                return reason
    span = text[mention.start : mention.end]
    if (
        mention.kind == "digits"
        and mention.qualifier != "range"
        and re_fullmatch(r"1[89]\d\d|20\d\d", span)
        and not re_match(r"\s+(?:people|civilians|soldiers|troops|refugees|children|deaths|casualties)\b", after)
    ):
        return "year"
    if mention.qualifier == "range" and re_fullmatch(r"(?:1[89]|20)\d\d\s*[-–—]\s*(?:1[89]|20)?\d\d", span):
        return "year range"
    if _AGE.search(before) and re_match(r"\s?(?:,|\)|;|\.(?:\s|$)|$|\s(?:who|said|told|from|and|was|is|has)\b)", after):
        return "age"
    if "(" in before[-2:] and re_match(r"\s*\((?:\d{1,3})\)", after) is None and re_search(r"\(\s?$", before) and re_match(r"\s?\)", after) and mention.value < 120:
        if re_search(r"[A-Z][a-z]+\s\($", before):
            return "age"
    if mention.kind == "words" and span.lower() == "one":
        if re_match(r"\s+(?:of|another|family|day|side|way|thing|time|point|hand|year|month|week|another|last|more time|or two)\b", after, re.I):
            return "not a count"
        if re_search(r"\b(?:no|any|every|some|each|the)\s$", before, re.I):
            return "not a count"
    return None
