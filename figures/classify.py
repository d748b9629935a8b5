"""What a number counts: its metric, item and subject (a Counted), from the cue words around it.

In parts: the item a number counts ('40 Russian tanks') with the effect of the verbs around it
(item_verbs.csv: lost, shot down, struck, given as aid) and the item's owner (a nationality
near it); else the nearest cue word before or after the number (cues.csv), weighed by distance
and by clause boundaries in between; else a military noun right after it ('300 soldiers').
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from figures.lexicon import (
    Cue,
    count_words,
    cue_index,
    cue_pattern,
    demonym,
    demonym_militants,
    demonym_people,
    item_verb_pattern,
    item_verbs,
    lower_same_length,
    nationalities,
    subject_index,
    subject_pattern,
    trie_body,
)
from figures.lexicon import re_fullmatch, re_match, re_search
from figures.numbers import NumberMention

# (right before the number: 'Three of them were killed and seven...' does not include the seven)
_INCLUDING = re.compile(r"\b(?:including|among\s+them|of\s+whom|of\s+them)\b[\s,:]*(?:[\w’'-]+\s+)?$", re.I)
_TOTAL = re.compile(r"\b(?:total|tally|toll|number|figure)\b(?:\s+\w+){0,3}\s+(?:to|of|at|was|is|stands\s+at|reached|rose\s+to|now)\s*$", re.I)
_MILITARY_FALLBACK_WINDOW = 40  # a military noun this close after a number counts troops without a cue
# Character windows around a number (lower-cased sentence text):
_SUBJECT_REACH = 80  # three words and a subject noun after it ('5,840 wounded Russian soldiers')
_NATIONALITY_BEFORE = 40  # a nationality before it names the side of a military noun ('Russian losses of 300 troops')
_TOTAL_REACH = 60  # 'the death toll rose to': a toll, total or loss word close before it
_ITEM_VERB_BEFORE, _ITEM_VERB_AFTER = 80, 100  # the clause whose verbs say what befell an item (lost, shot down)
_CUE_AFTER, _CUE_BEFORE = 120, 90  # where the nearest cue word is looked for: later words name counts more often
_CUE_MAX_DISTANCE = 160  # a cue (with penalties) further than this counts another figure
_RELATIVE_CLAUSE_PENALTY = 100  # a cue after 'who' or 'which' belongs to the clause, weighs as if further off


@dataclass(slots=True)
class Counted:
    """What a number counts: a metric (deaths, equipment ...), the item for equipment and
    strikes ('tank'), and whose people or forces ('Russian military', 'civilians')."""

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
                best = (match.start() + _RELATIVE_CLAUSE_PENALTY, match.group(0))
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
_DOCUMENTS = "(?:" + trie_body(sorted(count_words("document"))) + ")"
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
            country = _country_word(modifiers) or _country_word(sentence[max(0, mention.start - _NATIONALITY_BEFORE) : mention.start])
            if subject == "militants":
                return demonym_militants(country), match.end()
            return (f"{demonym(country)} military" if country else "military"), match.end()
        if subject == "people":
            country = _country_word(modifiers)
            if country:
                return demonym_people(country), match.end()
        return subject, match.end()
    return "people", -1


_ADJECTIVES = count_words("modifier")  # may stand between a number and its noun


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


_FUNCTION_WORDS = count_words("function")  # after a number, leave it counting what the sentence counts


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
             previous_reading: Counted | None, lowered: str | None = None) -> Counted | None:
    """What a number counts: metric, item and subject, from the cue words around it.
    `lowered` is the sentence lower-cased (lower_same_length), when the caller has it."""
    if lowered is None:
        lowered = lower_same_length(sentence)
    after = sentence[mention.end : next_start]
    before = sentence[previous_end : mention.stated_start]
    lower_after = lowered[mention.end : next_start]
    lower_before = lowered[previous_end : mention.stated_start]
    # 'the toll was put at five but ...': a number a toll or total is put at counts that toll
    if not _counts_something(after) and not _TOTAL.search(before[-_TOTAL_REACH:]):
        if previous_reading and _elides_its_noun(before, after):
            return previous_reading
        return None
    subject, noun_end = _subject(sentence, mention, sentence[mention.end : mention.end + _SUBJECT_REACH],
                                 lowered[mention.end : mention.end + _SUBJECT_REACH])
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
        back_item = [m for m in _lower_cue_pattern().finditer(lower_before[-_TOTAL_REACH:])
                     if (c := cue_index().get(m.group(0))) and c.role == "item"]
        if back_item and re_search(r"\b(?:loss|losses|lost|destroyed)\b", lower_before[-_TOTAL_REACH:]):
            item_cue = cue_index()[back_item[-1].group(0)]
    if item_cue is not None:
        # 'brought down two of four missiles': the missiles fired, after 'of', share the verb of the part
        partitive = item_cue.metric == "strikes" and re_fullmatch(r"\s+of\s+", before)
        clause_start = mention.start - _ITEM_VERB_BEFORE if partitive else max(previous_end, mention.start - _ITEM_VERB_BEFORE)
        clause = lowered[max(0, clause_start) : min(len(sentence), mention.end + _ITEM_VERB_AFTER)]
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
            return Counted("other", item_cue.item, item_subject)
        if item_cue.metric == "strikes":
            if effects and any(e in ("strike", "shot_down", "loss") for e in effects):
                return Counted("strikes", item_cue.item, item_subject)
            return Counted("other", item_cue.item, item_subject)
        if any(e in ("loss", "shot_down") for e in effects):
            return Counted("equipment", item_cue.item, item_subject)
        return Counted("other", item_cue.item, item_subject)

    if previous_reading and (_INCLUDING.search(before) or _TOTAL.search(before)):
        return Counted(previous_reading.metric, previous_reading.item, subject if noun_end >= 0 else previous_reading.subject)

    forward = _nearest_cue(lower_after[:_CUE_AFTER], forward=True)
    backward = _nearest_cue(lower_before[-_CUE_BEFORE:], forward=False)
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
        if cue is not None and cue.role != "item" and distance < _CUE_MAX_DISTANCE:
            metric = cue.metric
            if metric == "detained" and "military" in subject:
                metric = "prisoners"
            return Counted(metric, None, subject)
    if "military" in subject and noun_end >= 0 and noun_end < _MILITARY_FALLBACK_WINDOW:
        if re_search(r"\b(?:prison|detention|detainment|captivity)\b", sentence, re.I):
            return Counted("prisoners", None, subject)
        return Counted("troops", None, subject)
    return None
