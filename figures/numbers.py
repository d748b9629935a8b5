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
from string import ascii_letters, ascii_lowercase

from text_to_num import text2num

from figures.dates import MONTH_PATTERN, MONTHS
from figures.lexicon import literal_trie, lower_same_length, qualifiers, read_table, trie_body, vague_quantities
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
    """The digit part of number_regex() alone, for a text without number words."""
    return re.compile(_DIGITS)


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


def _last_word(text: str) -> str:
    """The run of lower-case ASCII letters that ends `text`, trailing whitespace left aside."""
    core = text.rstrip()
    return core[len(core.rstrip(ascii_lowercase)) :]


@lru_cache(maxsize=None)
def _reversed_qualifiers() -> tuple[re.Pattern[str], dict[str, str], frozenset[str]]:
    """Qualifier phrases reversed, as one trie regex: matching the reversed text just before a
    number finds the longest phrase ending there in one step. With the phrases' last words
    (_last_word), which tell cheaply that no phrase can end there."""
    table = {phrase[::-1]: qualifier for phrase, qualifier in qualifiers()["before"]}
    last_words = frozenset(_last_word(phrase) for phrase, _ in qualifiers()["before"])
    return re.compile(r"\s+(" + trie_body(sorted(table)) + r")(?![a-z0-9])"), table, last_words


def _qualifier_before(lowered: str, start: int) -> tuple[str, int] | None:
    """The qualifier phrase that ends (before whitespace) where a number starts, and where the
    phrase begins; `lowered` is the text lower-cased (lower_same_length)."""
    window = lowered[max(0, start - 40) : start]
    if not window[-1:].isspace():
        return None
    pattern, table, last_words = _reversed_qualifiers()
    if _last_word(window) not in last_words:
        return None
    match = pattern.match(window[::-1])
    if not match:
        return None
    # a space of a phrase matches any whitespace ('more\nthan')
    return table[re_sub(r"\s+", " ", match.group(1))], start - match.end()


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


def _qualifier_after(lowered: str, end: int) -> str | None:
    """The qualifier phrase right after a number ('or more'); `lowered` as in _qualifier_before."""
    pattern, names = _after_qualifiers()
    match = pattern.match(lowered, end, end + 12)
    return names[match.lastindex - 1] if match else None


_BETWEEN = re.compile(r"\b(?:between|from)\s+$")  # for lower-cased text (lower_same_length)


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


# rather than \d+: a pattern that starts with a character class (not a repeat) lets the regex
# engine skip quickly to it, about twice as fast over a sentence
_DIGIT_RUN = re.compile(r"\d\d*")


def _number_matches(lowered: str, number_words: bool) -> Iterator[re.Match[str]]:
    """What number_regex().finditer(lowered) finds (its digit part alone for a text without
    number words), tried only where a run of digits or a starting word (a whole run of
    letters) begins, the only places a number can start: the full regex is slow to try at
    every position of a long sentence. `lowered` is a text lower-cased (lower_same_length)."""
    begins = [match.start() for match in _DIGIT_RUN.finditer(lowered)]
    if number_words:
        pattern = number_regex()
        # a match of the starter regex on " " + lowered starts at its word's offset in lowered
        words = [match.start() for match in _starter_regex().finditer(" " + lowered)]
        begins = sorted(begins + words) if begins else words
    else:
        pattern = _digits_regex()
    end = 0
    for begin in begins:
        if begin < end:
            continue
        match = pattern.match(lowered, begin)
        if match:
            yield match
            end = match.end()


_RawMention = tuple[int, int, float, str, bool]  # start, end, value, kind, has_scale


def _raw_mentions(text: str, lowered: str, number_words: bool | None) -> list[_RawMention]:
    """(start, end, value, kind, has_scale) for every number-like span."""
    found = []
    if number_words is None:
        number_words = has_number_words(text)
    for match in _number_matches(lowered, number_words):
        number, fraction, scale = match.group("num", "frac", "scale")
        start, end = match.span()
        if number:
            found.append((start, end, parse_digits(number, fraction, scale), "digits", bool(scale)))
        elif words := match.group("words"):
            value = parse_words(words)
            if value is not None:
                found.append((start, end, value, "words", False))
        else:
            phrase = re_sub(r"\s+", " ", match.group("vague"))
            found.append((start, end, vague_quantities()[phrase], "vague", False))
    return found


def _range(text: str, lowered: str, first: _RawMention, second: _RawMention) -> NumberMention | None:
    """The range two numbers in a row make ('5-10', 'between 5 and 10', '300 or 400'), or None."""
    start, end, low, kind, scaled = first
    next_start, next_end, high, next_kind, next_scaled = second
    if next_kind == "vague" or next_start - end > 6:
        return None
    glue = text[end:next_start]
    between = _BETWEEN.search(lowered[max(0, start - 12) : start])
    # ('300 or 400 a day': two estimates of one count, of one kind, the smaller first)
    if not (re_fullmatch(r"\s*[-–—‑]\s*|-to-|\s+to\s+", glue)
            or (between and re_fullmatch(r"\s+(?:and|to)\s+", glue, re.IGNORECASE))
            or (kind == next_kind and re_fullmatch(r"\s+or\s+", glue))):
        return None
    if next_scaled and not scaled and low * 1000 <= high:
        low *= high / _unscaled(text[next_start:next_end], high)
    if low < high:
        qualifier_start = start - len(between.group(0)) if between else None
        return NumberMention(start, next_end, (low + high) / 2, low, high, "range", qualifier_start, kind)
    return None


def find_numbers(text: str, number_words: bool | None = None, lowered: str | None = None
                 ) -> list[NumberMention]:
    """Every number mention in `text`, ranges merged, qualifiers attached. `number_words` is
    has_number_words(text) when the caller knows it already (a document-wide scan); `lowered`
    is lower_same_length(text), when the caller has it."""
    if lowered is None:
        lowered = lower_same_length(text)
    raw = _raw_mentions(text, lowered, number_words)
    mentions: list[NumberMention] = []
    index = 0
    while index < len(raw):
        start, end, value, kind, _ = raw[index]
        if index + 1 < len(raw) and kind != "vague":
            number_range = _range(text, lowered, raw[index], raw[index + 1])
            if number_range:
                mentions.append(number_range)
                index += 2
                continue
        mention = NumberMention(start, end, value, kind=kind)
        if kind == "vague":
            mention.qualifier, mention.low = "vague", value
            before = _qualifier_before(lowered, start)
            if before and before[0] == "at_least":
                mention.qualifier_start = before[1]
        else:
            before = _qualifier_before(lowered, start)
            after = _qualifier_after(lowered, end)
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


# what may come between a number and a unit word of each kind (number_units.csv)
_UNIT_LEADS = {"measure": r"[\s-]?", "duration": r"[\s-]", "money": r"\s?", "count of non-people": r"\s"}


def _unit_rules() -> list[tuple[str, str, list[str]]]:
    """(kind, lead, word patterns) of number_units.csv, kinds and words in table order."""
    words: dict[str, list[str]] = {}
    for row in read_table("number_units.csv"):
        words.setdefault(row["kind"], []).append(row["pattern"])
    return [(kind, _UNIT_LEADS[kind], patterns) for kind, patterns in words.items()]


# what follows a number that is not a count, for lower-cased text (lower_same_length)
_AFTER_EXCLUDE = [
    (r"\s?(?:%|per\s?cent|percent|percentage)", "percentage"),
    (r"(?:st|nd|rd|th)\b", "ordinal"),
    (r"[\s-]?(?:years?|yrs?)[\s-]+old\b|-year-old", "age"),
    (r"\s?(?:am|pm|a\.m\.|p\.m\.|gmt|bst|cet|utc|hrs|h\b)\b|:\d\d", "time"),
    *((lead + "(?:" + "|".join(words) + r")\b", kind) for kind, lead, words in _unit_rules()),
    (rf"\s{MONTH_PATTERN}\b\.?(?!\w)", "date"),
    (r"-(?!strong|plus|odd|to-)[a-z]", "compound"),
    (r"\s?/\s?\d", "fraction"),
]


def _first_rule_regex(rules: list[tuple[str, str]]) -> tuple[re.Pattern[str], list[str]]:
    """Rules as one regex, each in a group of its own (their patterns have no groups): a match's
    group number (lastindex) names the first rule that matches, one call instead of one per rule."""
    return re.compile("|".join(f"({pattern})" for pattern, _ in rules)), [reason for _, reason in rules]


# after a number in digits, and after one in words: '5th' is an ordinal, 'five th' is not
_AFTER_DIGITS = _first_rule_regex(_AFTER_EXCLUDE)
_AFTER_WORDS = _first_rule_regex([rule for rule in _AFTER_EXCLUDE if rule[1] != "ordinal"])
_NUMBER_LABELS = read_table("number_labels.csv")


def _labels(kind: str) -> list[str]:
    """The phrases of one kind of number_labels.csv, lower-cased."""
    return sorted(row["phrase"].lower() for row in _NUMBER_LABELS if row["kind"] == kind)


def _label_words(kind: str) -> list[str]:
    """The phrases of one kind that are single plain words (what _before_may_exclude looks for)."""
    return [word for word in _labels(kind) if word.isalpha()]


_MONTH_WORDS = list(MONTHS)
_BEFORE_EXCLUDE = [
    (re.compile(r"[$£€¥₴]\s?$|\b(?:" + trie_body(_labels("money")) + r")\s?$", re.I), "money"),
    (re.compile(rf"\b{MONTH_PATTERN}\.?\s$", re.I), "date"),
    # a trie of the label words: a flat alternation of fifty words is slow to try at each position
    (re.compile(r"\b(?:" + trie_body(_labels("label"))
                + r"|\+)\s?$", re.I), "label"),
    (re.compile(r"[A-Za-z]-\s?$"), "model name"),
    (re.compile(r"\b(?:" + trie_body(_labels("age")) + r")\s$", re.I), "age"),
    (re.compile(r"[+#]\s?$"), "label"),
    (re.compile(r"\d[:.]$"), "time"),
]
# What the rules above can end with (before at most one space): one of these words or symbols.
_BEFORE_END_WORDS = frozenset(_label_words("label") + _label_words("money") + _label_words("age") + _MONTH_WORDS)
_BEFORE_END_SYMBOLS = frozenset("$£€¥₴+#-:.")


def _before_may_exclude(before: str) -> bool:
    """Cheap test on the last word before a number: can any rule of _BEFORE_EXCLUDE match?
    Trying those regexes at every position of the window costs far more."""
    core = before[:-1] if before[-1:].isspace() else before
    if not core:
        return False
    if core[-1] in _BEFORE_END_SYMBOLS:
        return True
    return core[len(core.rstrip(ascii_letters)) :].lower() in _BEFORE_END_WORDS


# a capitalised word (and 'of') right before a capitalised number word, inside a sentence
_NAME_BEFORE = re.compile(r"(?:\bthe\s+[A-Z][\w’'-]*|[a-z,]\s+[A-Z][\w’'-]*\s+of(?:\s+the)?)\s+$")


def _clock_time(span: str, before: str, after: str) -> bool:
    """'12 Jul 2022 18.05', '09.30 BST': a time of day written with a dot, as live blogs stamp
    their entries, after a date or before a time zone."""
    return bool(re_fullmatch(r"(?:[01]?\d|2[0-3])\.[0-5]\d", span)) and bool(
        re_search(r"\b(?:19|20)\d\d\s+$", before)
        or re_match(r"\s*(?:bst|gmt|cet|cest|eet|eest|edt|est|utc|am|pm|a\.m\.|p\.m\.|local\s+time)\b", after, re.I))


_AGE = re.compile(r"[A-Z][\w'’.-]+,\s$")  # a name and a comma before an age: 'Smith, 45, said'


def exclusion(text: str, mention: NumberMention, lowered: str | None = None) -> str | None:
    """Why this mention is not a figure claim, or None when it may be one. `lowered` is
    lower_same_length(text), when the caller has it."""
    if mention.kind == "vague":
        return None
    if lowered is None:
        lowered = lower_same_length(text)
    pattern, reasons = _AFTER_DIGITS if mention.kind == "digits" else _AFTER_WORDS
    match = pattern.match(lowered, mention.end, mention.end + 40)
    if match:
        return reasons[match.lastindex - 1]
    after = text[mention.end : mention.end + 40]
    before = text[max(0, mention.start - 30) : mention.start]
    if _before_may_exclude(before):
        for pattern, reason in _BEFORE_EXCLUDE:
            if pattern.search(before):
                return reason
    span = text[mention.start : mention.end]
    if (
        mention.kind == "digits"
        and mention.qualifier != "range"
        and len(span) == 4
        and re_fullmatch(r"1[89]\d\d|20\d\d", span)
        and not re_match(r"\s+(?:people|civilians|soldiers|troops|refugees|children|deaths|casualties)\b", after)
    ):
        return "year"
    if mention.qualifier == "range" and re_fullmatch(r"(?:1[89]|20)\d\d\s*[-–—]\s*(?:1[89]|20)?\d\d", span):
        return "year range"
    if mention.qualifier == "range" and re_search(r"\b(?:aged|ages|age)\s+(?:between\s+|from\s+)?$",
                                                   text[max(0, mention.stated_start - 30) : mention.stated_start]):
        return "age"  # 'aged between 18 and 60'

    if "." in span and _clock_time(span, before, after):
        return "time"
    # _AGE ends with a comma and a space ($ allows a newline after them): the cheap test first
    if "," in before[-3:] and _AGE.search(before) and re_match(r"\s?(?:,|\)|;|\.(?:\s|$)|$|\s(?:who|said|told|from|and|was|is|has)\b)", after):
        return "age"
    if "(" in before[-2:] and re_match(r"\s*\((?:\d{1,3})\)", after) is None and re_search(r"\(\s?$", before) and re_match(r"\s?\)", after) and mention.value < 120:
        if re_search(r"[A-Z][a-z]+\s\($", before):
            return "age"
    if mention.kind == "words" and span[:1].isupper() and _NAME_BEFORE.search(before):
        return "name"  # 'the Group of Seven', 'the Big Three'
    if mention.kind == "words" and span.lower() == "one":
        if re_match(r"\s+(?:of|another|family|day|side|way|thing|time|point|hand|year|month|week|another|last|more time|or two)\b", after, re.I):
            return "not a count"
        if re_search(r"\b(?:no|any|every|some|each|the)\s$", before, re.I):
            return "not a count"
    return None
