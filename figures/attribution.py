"""Who states a figure, and for whom they speak.

A *frame* is a reporting construction in a sentence: "X said ...", "..., X said",
"according to X", "said X". Each figure takes the frame that governs it (the
nearest one before it, else a trailing one). Back-references ("he", "the
ministry", "the governor") resolve to the last matching named claimant in the
document; a figure in a quotation belongs to the quotation's speaker. Sides come
from the gazetteer in figures/data/claimants.csv, nationality words, and the
country of places named with local officials.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from figures import dates
from figures.lexicon import (
    ClaimantEntry,
    claimants,
    end_only_verbs,
    is_country,
    locative_before,
    located_place_pattern,
    lower_same_length,
    nationalities,
    np_words,
    place_pattern,
    places,
    plain_say_verbs,
    reporting_verbs,
    speaker_words,
    subject_participles,
    trailing_verbs,
    trie_body,
)
from figures.lexicon import re_findall, re_fullmatch, re_match, re_search, re_split, re_sub

PRONOUNS = {"he": "person", "she": "person", "they": "plural", "it": "org", "we": "plural", "i": "person"}
PERSON_ROLES = speaker_words("person_role")
ORG_WORDS = speaker_words("org_word")
INDEPENDENT_HEADS = speaker_words("independent")
MEDIA_HEADS = speaker_words("media")
LOCAL_OFFICIAL_HEADS = speaker_words("local_office")
PLURAL_HEADS = speaker_words("plural")
_NOT_MEDIA = speaker_words("not_media")
_OFFICES = speaker_words("office")
_LEAD_WORDS = re.compile(
    r"^(?:and|but|while|whereas|with|where|as|so|then|also|meanwhile|however|yet|though|although|because|"
    r"since|after|before|when|if|now|later|earlier|separately|in addition|moreover|instead|even|"
    r"in a statement|in his|in her|in its|in their|additionally|furthermore|overnight|today|yesterday|"
    r"(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b[\s,]*",
)  # for lower-cased text (lower_same_length)
_TAIL_WORDS = re.compile(
    r"[\s,]*\b(?:has|have|had|also|later|previously|earlier|separately|reportedly|initially|then|again|"
    r"would|will|could|may|might|did|does|do|is|are|was|were|now|already|first|further|recently|"
    r"repeatedly|publicly|officially|on\s+\w+day|(?:mon|tues|wednes|thurs|fri|satur|sun)day|late|early|today|"
    r"yesterday|last\s+night|"
    r"in\s+a\s+statement|in\s+an?\s+\w+|at\s+the\s+time|this\s+week|\d{1,2}\s+\w+|"
    r"in\s+(?:19|20)\d\d|(?:have|has|had)?\s*been\s+able\s+to|able\s+to|been|to)\s*$",
)  # for lower-cased text (lower_same_length): a case-insensitive regex runs about twice as slow
# The last word of every _TAIL_WORDS phrase with a fixed last word (keep the two in step); the
# others end in a word ending in 'day', a year, or any word after 'a', 'an' or a day number.
_TAIL_LAST_WORDS = frozenset(
    "has have had also later previously earlier separately reportedly initially then again would will could "
    "may might did does do is are was were now already first further recently repeatedly publicly officially "
    "late early today yesterday night statement time week been to".split()
)
_DIGIT = re.compile(r"\d")
_RELATIVE_PRONOUN = re.compile(r"(?:which|who|whose|whom)\b")  # for lower-cased text
_NUMBER_WORD = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozens|hundreds|thousands)\b")  # lower-cased


@dataclass
class Speaker:
    name: str | None  # the claimant as the text names them; None for the outlet's own voice
    side: str
    kind: str = "org"  # person, org, plural, media
    roles: frozenset[str] = frozenset()

    @classmethod
    def media(cls) -> "Speaker":
        return cls(None, "media", "media")


@dataclass(slots=True)
class Frame:
    start: int  # offsets within the sentence: the whole construction
    end: int
    verb_start: int
    verb_end: int
    phrase: str  # the claimant phrase as written
    trailing: bool  # the claimant phrase comes after the verb ("said X") or the frame is "according to X"
    according: bool = False  # "according to X": governs the whole sentence around it
    date: tuple[dt.date | None, str] | None = None
    speaker: Speaker | None = None


@lru_cache(maxsize=None)
def _verb_regex() -> re.Pattern[str]:
    """A reporting verb (group 1) after a non-word character, for lower-cased text
    (lower_same_length) with a space put in front. Every verb starts with a letter, so this finds
    what a word boundary would; a pattern that starts with a character class lets the regex
    engine skip quickly over the letters of other words, about 1.2 times faster."""
    verbs = sorted({" ".join(verb.split()) for verb in reporting_verbs()})
    if not all(verb[0].isalpha() and verb[-1].isalnum() for verb in verbs):
        raise ValueError("a reporting verb must start with a letter and end with a letter or digit")
    return re.compile(r"\W(" + trie_body(verbs) + r")\b")


_ACCORDING = re.compile(r"\baccording\s+to\s+")  # for lower-cased text
_NAME_PARTICLES = speaker_words("name_particle")


@lru_cache(maxsize=65536)
def _words(phrase: str) -> list[str]:
    return re_findall(r"[\w’'&.-]+", phrase)


@lru_cache(maxsize=65536)
def _base(word: str) -> str:
    return re_sub(r"(?:['’]s|['’])$", "", word).lower().strip(".")


_DETERMINERS = {"the", "a", "an", "his", "her", "its", "their", "our", "this", "one"}
_NOT_ADJECTIVES = {
    "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "said", "says", "who", "which",
    "that", "not", "no", "also", "would", "will", "can", "could", "did", "does", "do", "after", "before",
    "when", "while", "where", "as", "if", "than", "then", "there", "here", "into", "onto", "with", "by",
}
_VAGUE_MODIFIERS = speaker_words("vague_modifier")
_BARE_SOURCES = speaker_words("bare_source")


def _capitalised(word: str) -> bool:
    """A capitalised word, or a name after a particle ('al-Kahlout', 'el-Sisi')."""
    if word[:1].isupper():
        return True
    particle, hyphen, rest = word.partition("-")
    return bool(hyphen) and particle.lower() in _NAME_PARTICLES and rest[:1].isupper()


@lru_cache(maxsize=65536)
def is_noun_phrase(phrase: str) -> bool:
    """Could this be a claimant phrase? Capitalised words, known heads and modifiers, and
    after a determiner up to two other adjectives ('the demoralised soldier')."""
    words = _words(phrase)
    if not words or len(words) > 12:
        return False
    table = np_words()
    first = _base(words[0])
    if table.get(first) == "glue" and first not in _DETERMINERS:
        return False
    unknown = 0
    if _DIGIT.search(phrase):
        return False
    named = _known_name_words(phrase)
    for position, word in enumerate(words):
        if word[0].isupper() or "-" in word and _capitalised(word) or word in named:
            continue
        base = _base(word)
        if base in table or base in PRONOUNS:
            continue
        parts = [p for p in re_split(r"-", base) if p]
        if parts and all(p in table or p in nationalities() for p in parts):
            continue
        # an adjective after a determiner, not a verb before its object ('issued a statement')
        if (first in _DETERMINERS and 0 < position < len(words) - 1 and base not in _NOT_ADJECTIVES
                and unknown < 2 and _base(words[position + 1]) not in _DETERMINERS):
            unknown += 1
            continue
        return False
    last = words[-1]
    if not (_capitalised(last) or _base(last) in PRONOUNS or table.get(_base(last)) == "head"
            or table.get(_base(last)) == "place" and _head_with_complement(words) or _ends_in_a_known_name(phrase)):
        return False
    return not _only_bare_sources(words)


def _known_name_words(phrase: str) -> frozenset[str]:
    """The words of a gazetteer row that ends the phrase ('high commissioner for refugees')."""
    if not _ends_in_a_known_name(phrase):
        return frozenset()
    found = _gazetteer_match(phrase)
    return frozenset(_words(phrase[found[1] : found[2]]))


def _ends_in_a_known_name(phrase: str) -> bool:
    """'the UN high commissioner for refugees': a gazetteer row ends the phrase."""
    found = _gazetteer_match(phrase)
    return found is not None and not phrase[found[2] :].strip(" .’'s")


_COMPLEMENT_GLUE = frozenset(("of", "in", "for"))


def _head_with_complement(words: list[str]) -> bool:
    """'the governor of the Odesa region', 'officials in the enclave': a head word followed by
    'of', 'in' or 'for', so that a place noun at the end names where the head serves."""
    table = np_words()
    bases = [_base(w) for w in words]
    return any(table.get(base) == "head" and bases[i + 1] in _COMPLEMENT_GLUE for i, base in enumerate(bases[:-1]))


def _only_bare_sources(words: list[str]) -> bool:
    """'the latest figures', 'a statement': a source that names nobody (the claim is the
    outlet's). Not 'reports': unnamed news reports are a claimant of their own, side media."""
    table = np_words()
    content = [w for w in words if _base(w) not in _DETERMINERS and table.get(_base(w)) != "glue"
               and _base(w) not in _VAGUE_MODIFIERS]
    return (bool(content) and all(_base(w) in _BARE_SOURCES for w in content)
            and _base(content[-1]) not in MEDIA_HEADS)


def longest_noun_phrase(segment: str) -> str | None:
    """The longest tail of a clause that is a claimant phrase ('comes after UK intelligence' -> 'UK intelligence')."""
    words = segment.split()
    for begin in range(len(words)):
        candidate = " ".join(words[begin:])
        if is_noun_phrase(candidate):
            return candidate
    return None


def _word_end(token: str) -> str:
    """The run of word characters (regex \\w) that ends a token (a text without whitespace)."""
    if token.isalnum():
        return token
    begin = len(token)
    while begin and (token[begin - 1].isalnum() or token[begin - 1] == "_"):
        begin -= 1
    return token[begin:]


def _may_end_in_tail(lowered: str) -> bool:
    """Cheap test: can _TAIL_WORDS match at the end of a lower-cased text? Every one of its
    phrases ends in a word, so the text's last word must be a possible last word of one."""
    tokens = lowered.rsplit(None, 2)
    if not tokens:
        return False
    last = _word_end(tokens[-1])
    if not last:
        return False
    if last in _TAIL_LAST_WORDS or last.endswith("day") or last[-1].isdigit():
        return True
    if last != tokens[-1] or len(tokens) < 2:
        return False  # no space right before the last word, or no word before it
    previous = _word_end(tokens[-2])
    return previous in ("a", "an") or previous[-1:].isdigit()


_TAIL_REACH = 60  # tail words are short: the last 60 characters of a phrase hold any run of them


def _strip_tail(phrase: str, lowered: str) -> tuple[str, str]:
    """Split trailing auxiliaries, adverbs and date words off a phrase: (core, removed).
    `lowered` is the phrase lower-cased (lower_same_length)."""
    removed = ""
    while True:
        if not _may_end_in_tail(lowered):
            return phrase, removed
        # the tail words are short: searching the end of a long phrase finds the same match
        # without trying the pattern at every position of the phrase
        match = _TAIL_WORDS.search(lowered, max(0, len(lowered) - _TAIL_REACH))
        if not match or match.start() == 0 and not phrase[: match.start()].strip():
            if match and match.start() == 0:
                return "", phrase + removed
            return phrase, removed
        removed = phrase[match.start() :] + removed
        phrase = phrase[: match.start()]
        lowered = lowered[: match.start()]


def _without_lead_words(text: str, lowered: str) -> tuple[str, str]:
    """A text and its lower-cased form (lower_same_length) without a leading conjunction or
    adverb ('and', 'however,', 'in a statement')."""
    match = _LEAD_WORDS.match(lowered)
    if match is None:
        return text, lowered
    return text[match.end() :], lowered[match.end() :]


# For lower-cased text (lower_same_length): short parentheses, and dates in a claimant phrase
# ('Kyiv's mayor (pictured) March 3')
_ASIDES = (re.compile(r"\s*\([^()]{1,25}\)"), re.compile(rf"\b{dates.MONTH_PATTERN}\.?\s+(?:\d{{1,2}}|(?:19|20)\d\d)\b\s*"))


# an acronym in brackets ending a claimant phrase ('the UN agency for Palestinian refugees (UNRWA)')
_ACRONYM_AT_END = re.compile(r"\(([A-Z][A-Za-z]*[A-Z])\)$")


def _without_asides(phrase: str, lowered: str) -> tuple[str, str]:
    """A phrase and its lower-cased form (lower_same_length) without short parentheses and dates."""
    if "(" not in phrase and not _DIGIT.search(phrase):  # every date in a phrase has a digit
        return phrase, lowered
    for pattern in _ASIDES:
        kept, last = [], 0
        for match in pattern.finditer(lowered):
            kept.append((last, match.start()))
            last = match.end()
        if kept:
            kept.append((last, len(phrase)))
            phrase = "".join(phrase[start:end] for start, end in kept)
            lowered = "".join(lowered[start:end] for start, end in kept)
    return phrase, lowered


# how far before a reporting verb its claimant phrase may start: a name with a description
# between commas ('Maria Kovalenko, a regional MP with the opposition, said'), not the clause before
_CLAIMANT_REACH = 160


def _subject_before(sentence: str, lowered: str, verb_start: int) -> tuple[str, int] | None:
    """The claimant phrase right before a verb, with appositions ("X, the governor, said").
    `lowered` is the sentence lower-cased (lower_same_length)."""
    window_start = max(0, verb_start - _CLAIMANT_REACH)
    core, _ = _strip_tail(sentence[window_start:verb_start], lowered[window_start:verb_start])
    # 'X, who visited Kyiv, said': a comma closes the relative clause before the verb
    comma_before_verb = core.rstrip().endswith(",")
    core = core.rstrip(" ,")
    acronym = _ACRONYM_AT_END.search(core)
    core, core_lower = _without_asides(core, lowered[window_start : window_start + len(core)])
    # 'that' as a word, its boundary checked after the 't' so that every branch starts with a
    # literal and the regex engine skips quickly between candidates
    # (not the comma inside a number: '6,000')
    segments = re_split(r"(,(?!\d{3})|;|:|“|”|\"|\(|\)|—|–| - |t(?<=\bt)hat\b|b(?<=\bb)ut\b)", core)
    parts: list[str] = []
    position = len(core)
    claimant_start = position  # where the first accepted part starts
    index = len(segments) - 1
    while index >= 0:
        segment = segments[index]
        position -= len(segment)
        if segment in (",", "(", ")"):
            index -= 1
            continue
        if segment in _BOUNDARY_SEGMENTS:
            break
        # lower-casing keeps whitespace, so both strip the same characters
        stripped, stripped_lower = _without_lead_words(
            segment.strip(), core_lower[position : position + len(segment)].strip()
        )
        if not stripped.strip():
            break
        if stripped_lower.startswith(_LEADING_PARTICIPLES):
            # 'Citing officials, the newspaper said': the cited source is a frame of its own;
            # 'Speaking to the BBC, Reznikov said': whom the speaker spoke to
            break
        relative = _RELATIVE_PRONOUN.match(stripped_lower)
        if relative:
            inner = _relative_clause_subject(stripped, stripped_lower, relative.end())
            if parts or comma_before_verb or inner is None:
                index -= 1  # 'X, who ..., said': the claimant is before the clause
                continue
            if _only_bare_sources(_words(inner[0])):
                return None  # 'the blast, which reports said killed...': nobody named, not the blast
            # 'the blast, which witnesses said killed...': the clause's own subject, without its antecedent
            stripped, stripped_lower = inner
        stripped_core, _ = _strip_tail(stripped, stripped_lower)
        if not is_noun_phrase(stripped_core):
            # the description may be followed by more ('X, an expert with the Y, a think tank in Z, said')
            opening = (_apposition_opening(segments, index, window_start > 0)
                       if (parts or comma_before_verb) and _apposition_like(stripped) else None)
            if opening is not None:
                # 'X, a regional MP with the opposition, said': the speaker is X, described
                name = segments[opening].strip()
                name = _without_lead_words(name, lower_same_length(name))[0].strip()
                # a description names the speaker's office; 'speaking to state television' does not,
                # nor a chain of descriptions, whose later ones describe the earlier
                parts = [name] if _participle(stripped_core) or parts else [name, stripped_core.strip()]
                claimant_start = position - sum(len(s) for s in segments[opening:index]) + \
                    len(segments[opening].rstrip()) - len(name)
            elif not parts and not _DIGIT.search(stripped_core) and not _NUMBER_WORD.search(
                    stripped_lower, 0, len(stripped_core)):
                tail = longest_noun_phrase(stripped_core)
                if tail:
                    parts.insert(0, tail)
                    claimant_start = position + max(0, segment.rfind(tail))
            break
        parts.insert(0, stripped_core.strip())
        claimant_start = position
        if stripped != segment.strip() or len(parts) >= 3:
            break
        index -= 1
        if index >= 0 and segments[index] != ",":
            break
    if not parts:
        # a description the noun-phrase rules do not take, named by its acronym
        return (acronym.group(1), window_start + acronym.start(1)) if acronym else None
    if len(parts) == 1 and len(_words(parts[0])) == 1 and not _known_single(parts[0]):
        return None
    return ", ".join(parts), window_start + max(0, claimant_start)


_LEADING_PARTICIPLES = ("citing ", "speaking ", "writing ", "talking ", "addressing ", "responding ")
_BOUNDARY_SEGMENTS = frozenset((";", ":", "“", "”", '"', "—", "–", " - ", "that", "but"))


def _apposition_opening(segments: list[str], index: int, cut: bool) -> int | None:
    """'Maria Kovalenko, a regional MP with the opposition, said': the index of the segment
    that names the speaker, when the segment at `index` is the only thing between it and the
    verb, it opens the clause and is a claimant phrase. `cut`: the text before the first
    segment was cut off (the first segment may be a fragment)."""
    opening = index - 2
    if opening < 0 or segments[index - 1] != ",":
        return None
    if opening == 0 and cut or opening > 0 and segments[opening - 1] not in _BOUNDARY_SEGMENTS:
        return None
    name = segments[opening].strip()
    name, name_lower = _without_lead_words(name, lower_same_length(name))
    core = _strip_tail(name, name_lower)[0].strip()
    if core != name.strip() or not is_noun_phrase(core) or _only_time_words(core):
        return None
    return opening


def _apposition_like(segment: str) -> bool:
    """Could a segment between commas describe the speaker before it? It opens with a
    determiner, a word of claimant phrases, a nationality, a possessive or a participle
    ('a regional MP', 'Ukraine's deputy minister', 'viewed 6,000 times')."""
    words = _words(segment)
    if not words or len(words) > 14:
        return False
    first = words[0]
    base = _base(first)
    return (base in _DETERMINERS or base in np_words() or base in nationalities() or first.endswith(("'s", "’s"))
            or _participle(segment))


def _participle(segment: str) -> bool:
    """'viewed 6,000 times', 'speaking on television': a segment that opens with a participle."""
    words = _words(segment)
    return bool(words) and words[0].islower() and (words[0].endswith("ed") or words[0] == "speaking")


_TIME_WORDS = speaker_words("time_word")


def _only_time_words(phrase: str) -> bool:
    """'Wednesday', 'Sunday morning', 'Additionally': words that name a time or link sentences, never a speaker."""
    words = [_base(w) for w in _words(phrase)]
    return bool(words) and all(w in _TIME_WORDS or w in _DETERMINERS for w in words)


def _relative_clause_subject(segment: str, lowered: str, pronoun_end: int) -> tuple[str, str] | None:
    """The subject inside a relative clause that holds the reporting verb ('which witnesses',
    'who police', 'which reports'): the words after the pronoun, when they are a noun phrase or
    an unnamed source; not after 'whose', whose noun belongs to the antecedent."""
    if lowered.startswith("whose"):
        return None
    rest = segment[pronoun_end:]
    offset = len(rest) - len(rest.lstrip())
    rest = rest.strip()
    if not rest:
        return None
    rest_lower = lowered[pronoun_end + offset : pronoun_end + offset + len(rest)]
    core = _strip_tail(rest, rest_lower)[0].strip()
    return (rest, rest_lower) if core and (is_noun_phrase(core) or _only_bare_sources(_words(core))) else None


def _known_single(word: str) -> bool:
    """A lone capitalised word is a claimant only when it is a known name, not a place or a common word."""
    base = _base(word)
    if base in PRONOUNS or np_words().get(base) == "head":
        return True
    if gazetteer_entry(word) is not None:
        return True
    if base in nationalities():
        return True
    if word in places():
        return is_country(word)  # a country speaks ('Canada said'), a town does not
    return _capitalised(word) and base not in np_words() and not re_fullmatch(r"[A-Z][a-z]+ing|[A-Z][a-z]+s", word)


def _phrase_after(text: str) -> str | None:
    """The claimant phrase that follows 'according to' or 'said', up to the clause end."""
    # not at the dots of 'U.S. officials' (the text is one sentence: a dot inside it abbreviates)
    match = re_match(r"((?:[^,.;:!?“”\"()]|\.(?=\s*\w))+)", text)
    if not match:
        return None
    phrase = re_split(r"\s+(?:that|who|which|in\s+an?|on\s+\w+day|late|early|as|after|before|when|on)\b", match.group(1))[0]
    phrase = phrase.strip()
    phrase, _ = _without_lead_words(phrase, lower_same_length(phrase))
    phrase = re_sub(r"\s+(?:news\s+agency|newspaper)$", lambda m: m.group(0), phrase)
    source = _SOURCE_OF.match(phrase)
    if source and is_noun_phrase(phrase[source.end() :]):
        return phrase[source.end() :]  # 'figures released by the ministry': the ministry
    return phrase if phrase and is_noun_phrase(phrase) else None


# a source that names nobody, and who made it ('data compiled by', 'figures from', 'a report by')
_SOURCE_OF = re.compile(
    r"(?i:(?:(?:the|a|an|new|latest|official|daily|preliminary|its|their)\s+){0,3}"
    r"(?:figures|data|estimates?|statistics|numbers|tally|count|information|report|analysis|assessment|update)\s+"
    r"(?:(?:compiled|released|published|collected|provided|gathered|issued|verified|shared)\s+)?(?:by|from)\s+)"
)


# For lower-cased text (lower_same_length): what may come between a verb and the date of the
# statement ('said late on Sunday'), and vaguer times that leave the statement undated.
_DATE_LEAD = re.compile(r"[\s,]*(?:on\s+|late\s+on\s+|early\s+on\s+|late\s+|early\s+|in\s+an?\s+|at\s+)?")
_VAGUE_TIME = re.compile(
    rf"[\s,]*(?:in|during)\s+(?:early\s+|late\s+|mid-)?{dates.MONTH_PATTERN}\b(?:\s+(?:19|20)\d\d)?|[\s,]*at\s+the\s+time\b|"
    r"[\s,]*in\s+(?:19|20)\d\d\b|[\s,]*(?:last|earlier\s+this|this)\s+(?:week|month|year)\b"
)
_NEAR_VERB = 45  # characters after the verb that may hold the statement's date


def _frame_date(sentence: str, lowered: str, frame: Frame, published: dt.date | None
                ) -> tuple[dt.date | None, str] | None:
    """A date phrase attached to the statement: right after the verb or inside the claimant phrase.
    `lowered` is the sentence lower-cased (lower_same_length)."""
    near = lowered[frame.verb_end : frame.verb_end + _NEAR_VERB]
    found = dates.first_date_phrase(near, _DATE_LEAD.match(near).end() + 1)
    if found:
        return dates.resolve(found, published)
    if _VAGUE_TIME.match(near):
        return None, "unknown"
    for found in dates.find_date_phrases(sentence[max(0, frame.start - 5) : frame.verb_start]):
        return dates.resolve(found, published)
    return None


_END_OF_CLAUSE = re.compile(r"\s*(?:[.,:;!?”\"’]|$)")
# a verb used as an adjective or auxiliary ('reported killed', 'said to have'), for lower-cased text
_NOT_REPORTING = re.compile(r"\s+(?:killed|dead|wounded|injured|missing|captured|to\s+(?:have|be)\b)")
# 'say' has no such adjective use: 'which witnesses said killed 12' reports
_SAY_NOT_REPORTING = re.compile(r"\s+to\s+(?:have|be)\b")


def find_frames(sentence: str, published: dt.date | None) -> list[Frame]:
    """Every reporting construction in one sentence, in order."""
    frames: list[Frame] = []
    lowered = lower_same_length(sentence)
    according = _ACCORDING.finditer(lowered) if "according" in lowered else ()
    for match in according:
        phrase = _phrase_after(sentence[match.end() :])
        if phrase:
            end = match.end() + len(phrase)
            frames.append(Frame(match.start(), end, match.start(), match.end(), phrase, True, according=True))
    spaced = " " + lowered
    verb_matches = list(_verb_regex().finditer(spaced))
    for position, match in enumerate(verb_matches):
        verb = match.group(1)
        verb_start, verb_end = match.start(1) - 1, match.end(1) - 1
        following = verb_matches[position + 1] if position + 1 < len(verb_matches) else None
        if following is not None and following.start() == match.end() and spaced[match.end()] == " ":
            continue  # a noun before the verb ('which reports said'): one word, one space, then the verb
        if verb in end_only_verbs() and not _END_OF_CLAUSE.match(sentence, verb_end):
            continue
        if verb_start and sentence[verb_start].isupper():
            continue  # a word of a name ('the United States', 'Consumer Reports'), not a verb
        if verb == "put" and _PASSIVE_BEFORE.search(lowered, max(0, verb_start - 30), verb_start) \
                and not lowered.startswith(" by ", verb_end):
            continue  # 'the toll was put at five': nobody put it
        if _adjective_before(lowered, verb_start):
            continue  # a noun after an adjective ('rejected Russian claims', 'Ukrainian reports')
        if (_SAY_NOT_REPORTING if verb in plain_say_verbs() else _NOT_REPORTING).match(lowered, verb_end):
            continue
        if lowered.startswith(" by ", verb_end) and _PASSIVE_BEFORE.search(lowered, max(0, verb_start - 12), verb_start):
            # 'the deaths were confirmed by the regional governor': the agent states it
            phrase = _phrase_after(sentence[verb_end + 4 :])
            if phrase:
                frames.append(Frame(verb_start, verb_end + 4 + len(phrase), verb_start, verb_end, phrase, True,
                                    according=True))
                continue
        subject = _subject_before(sentence, lowered, verb_start)
        if subject:
            phrase, start = subject
            frames.append(Frame(start, verb_end, verb_start, verb_end, phrase, False))
            continue
        if (verb in subject_participles() and lowered[:verb_start].rstrip().endswith(",")
                and not any(f.verb_end <= verb_start for f in frames)):
            # 'Ukraine rejected the claims, saying the strike killed 23': the sentence's subject says it
            opening = _sentence_subject(sentence, lowered)
            if opening:
                frames.append(Frame(opening[1], verb_end, verb_start, verb_end, opening[0], False))
                continue
        if verb in trailing_verbs():
            after = sentence[verb_end:]
            phrase = _phrase_after(after.lstrip())
            tail = after[len(after) - len(after.lstrip()) + len(phrase or "") :]
            if phrase and re_match(r"\s*(?:[,.;:!?]|$|\s+(?:on|in|at|late|early|during)\b)", tail):
                if _base(phrase.split()[0]) not in PRONOUNS or re_search(r"[,.]\s*$", sentence[:verb_start]):
                    end = verb_end + len(after) - len(after.lstrip()) + len(phrase)
                    frames.append(Frame(verb_start, end, verb_start, verb_end, phrase, True))
    if "–" in sentence or "—" in sentence or " - " in sentence or ":" in sentence:
        _add_dash_source(sentence, frames)
    if "citing" in lowered:
        _add_cited_sources(sentence, lowered, frames)
    if " as saying" in lowered or " as telling" in lowered:
        _quoted_speakers(sentence, lowered, frames)
    for frame in frames:
        frame.date = _frame_date(sentence, lowered, frame, published)
    if len(frames) > 1:
        frames.sort(key=lambda f: f.verb_start)
    return frames


def _sentence_subject(sentence: str, lowered: str) -> tuple[str, int] | None:
    """(phrase, start) of the noun phrase that opens a sentence, up to its first comma, when it
    is a claimant phrase: the longest run of its first words that is one ('Ukraine has
    rejected...' -> 'Ukraine')."""
    clause = sentence.split(",", 1)[0]
    text, clause_lower = _without_lead_words(clause, lowered[: len(clause)])
    start = len(clause) - len(text)
    words = text.split()[:8]
    for count in range(len(words), 0, -1):
        candidate = " ".join(words[:count])
        if is_noun_phrase(candidate) and (count > 1 or _known_single(candidate)) and not _only_time_words(candidate):
            return candidate, start
    return None


def _adjective_before(lowered: str, verb_start: int) -> bool:
    """Is the word right before a verb a nationality adjective ('russian', 'ukrainian'), not a
    country's name, so that the verb is a noun ('Russian claims')?"""
    words = lowered[max(0, verb_start - 30) : verb_start].rsplit(None, 2)
    if len(words) < 2 or not lowered[verb_start - 1 : verb_start].isspace():
        return False  # (a sentence may open with a misspelt country: 'Israeli says')
    word = words[-1:]
    return word[0] in nationalities() and word[0].endswith(_ADJECTIVE_ENDINGS) and word[0] not in _place_words()


_ADJECTIVE_ENDINGS = ("an", "ish", "ese", "i", "ic")


@lru_cache(maxsize=None)
def _place_words() -> frozenset[str]:
    return frozenset(place.lower() for place in places())


_PASSIVE_BEFORE = re.compile(r"\b(?:was|were|is|are|been|being|be)\s+(?:\w+ly\s+)?$")  # for lower-cased text
_QUOTED_AS = re.compile(r"\b(?:cited|quoted)\s+(.{1,80}?)\s+as\s+(?:saying|telling)\b")  # for lower-cased text


def _quoted_speakers(sentence: str, lowered: str, frames: list[Frame]) -> None:
    """'Tass cited the source as saying', 'RIA quoted a spokesperson, Ivan Petrov, as saying':
    the one quoted speaks, not the outlet quoting them."""
    for match in _QUOTED_AS.finditer(lowered):
        phrase = sentence[match.start(1) : match.end(1)]
        if not (is_noun_phrase(phrase) or is_noun_phrase(phrase.split(",")[0]) or _only_bare_sources(_words(phrase))):
            continue  # ('the source' is someone here: the outlet names whom it quotes, if not by name)
        frames[:] = [f for f in frames if not match.start() <= f.verb_start < match.end()]
        frames.append(Frame(match.start(), match.end(), match.start(), match.end(), phrase, False))


# a headline's source after a dash at its end ('Seven die in fire – reports', '... - officials')
_DASH_SOURCE = re.compile(r"(?:\s[–—-]|:)\s*([A-Za-z][\w’' .-]{0,40}[\w’'])\s*$")


def _add_dash_source(sentence: str, frames: list[Frame]) -> None:
    """'Seven die in fire at defence institute – reports': a claimant phrase after a dash at the
    end of a sentence (headline style) governs it, when no other frame does."""
    match = _DASH_SOURCE.search(sentence)
    if match is None or frames:
        return
    phrase = match.group(1)
    if sentence[match.start()] == ":" and np_words().get(_base(_words(phrase)[-1])) != "head":
        return  # 'Dozens killed in strike: medical official', not 'Ukraine war: Zelensky'
    if is_noun_phrase(phrase) and (len(_words(phrase)) > 1 or _known_single(phrase)):
        frames.append(Frame(match.start(), match.end(1), match.start(1), match.end(1), phrase, True))


_CITING = re.compile(r"\bciting\s+")  # for lower-cased text
_CITING_REACH = 60  # characters between an outlet's verb and 'citing' ('CNN reported on Saturday, citing')


def _add_cited_sources(sentence: str, lowered: str, frames: list[Frame]) -> None:
    """'..., CNN reported, citing a State Department spokesperson': an outlet citing a source
    passes the claim on to that source, as 'according to' does; a 'citing' with no frame
    before it governs the sentence."""
    for match in _CITING.finditer(lowered):
        phrase = _phrase_after(sentence[match.end() :])
        if not phrase or _only_bare_sources(_words(phrase)):
            continue
        phrase_end = match.end() + len(phrase)
        reporting = [f for f in frames if f.verb_end <= match.start() < f.verb_end + _CITING_REACH
                     or phrase_end <= f.start < phrase_end + 4]  # 'Citing officials, the outlet said
        if reporting:
            if side_of(reporting[-1].phrase)[0] == "media" and side_of(phrase, sentence)[0] != "unknown":
                reporting[-1].phrase = phrase  # (a source of unknown side tells a reader less than the outlet)
            continue
        frames.append(Frame(match.start(), match.end() + len(phrase), match.start(), match.end(), phrase, True,
                            according=True))


# sides a nationality in the phrase does not override ('Mediazona, an independent Russian outlet')
_SIDES_ABOVE_COUNTRIES = ("United Nations", "NATO", "European Union", "independent", "media")


def side_of(phrase: str, context: str = "") -> tuple[str, str | None, str | None]:
    """(side, canonical name, kind) of a claimant phrase. `context` (the sentence) is
    used for the country of local officials ('the governor of the Donetsk region')."""
    lowered = phrase.lower()
    if _SCHOLARS.intersection(_base(w) for w in _words(phrase)):
        return "independent", None, None  # 'an expert on Hezbollah' does not speak for it
    entry = gazetteer_entry(phrase)
    if entry is not None:
        country = _nationality(lowered)
        outside = _nationality(gazetteer_rest(phrase).lower())
        if entry.kind == "org" and outside and entry.side not in _SIDES_ABOVE_COUNTRIES:
            country = outside
            return country, entry.canonical or None, entry.kind  # "the Russian General Staff"
        if entry.side:
            return entry.side, entry.canonical or None, entry.kind
        return country or "unknown", entry.canonical or None, entry.kind
    country = _nationality(lowered) or _country_named(phrase)
    if country:
        return country, None, None
    words = {_base(w) for w in _words(phrase)}
    if words & MEDIA_HEADS and not words & _NOT_MEDIA:
        return "media", None, "media"
    if words & INDEPENDENT_HEADS:
        return "independent", None, None
    if words & LOCAL_OFFICIAL_HEADS:
        country = place_country(phrase) or place_country(context)
        if country:
            return country, None, None
    return "unknown", None, None


@lru_cache(maxsize=None)
def _gazetteer_regex() -> re.Pattern[str]:
    """All gazetteer rows (figures/data/claimants.csv) as one regex, matched case-insensitively
    as whole words: at each place in a phrase where a word starts, a lookahead captures the first
    row that matches there, in group 'rowN' for row N. One search instead of one per row,
    which tried every row at every place: about 1.7 times faster."""
    rows = "|".join(rf"(?P<row{row}>(?:{entry.pattern})(?![\w]))" for row, entry in enumerate(claimants()))
    return re.compile(rf"(?<!\w)(?={rows})", re.IGNORECASE)


@lru_cache(maxsize=None)
def _gazetteer_row_regex(row: int) -> re.Pattern[str]:
    """One gazetteer row as a regex of its own, for finding its mentions in a document."""
    return re.compile(rf"(?<!\w)(?:{claimants()[row].pattern})(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=None)
def _canonical_words(row: int) -> frozenset[str]:
    return frozenset(_base(word) for word in _words(claimants()[row].canonical))


def _gazetteer_row(match: re.Match[str]) -> int:
    """The gazetteer row a match of _gazetteer_regex() found."""
    return int(match.lastgroup.removeprefix("row"))


@lru_cache(maxsize=65536)
def _gazetteer_match(phrase: str) -> tuple[int, int, int] | None:
    """(row, start, end): the first gazetteer row that occurs in the phrase, and its first match
    there (cached: phrases recur). A named row in the name of an apposition beats a
    description ('Mediazona, an independent outlet' is Mediazona, not any outlet)."""
    first = None
    named = None
    entries = claimants()
    head_end = phrase.find(",")  # the name of an apposition ('Mediazona, an independent outlet')
    for match in _gazetteer_regex().finditer(phrase):
        row = _gazetteer_row(match)
        span = match.span(match.lastgroup)
        if first is None or row < first[0]:
            first = (row, *span)
        if entries[row].canonical and span[1] <= head_end and (named is None or row < named[0]):
            named = (row, *span)
    if named is not None and first is not None and not entries[first[0]].canonical:
        return named
    return first


def _gazetteer_side(phrase: str) -> str:
    """The side the gazetteer gives a phrase ('' when none: no row, or a row without a side)."""
    entry = gazetteer_entry(phrase)
    return entry.side if entry else ""


def gazetteer_entry(phrase: str) -> ClaimantEntry | None:
    """The first gazetteer row whose pattern occurs in the phrase."""
    found = _gazetteer_match(phrase)
    return None if found is None else claimants()[found[0]]


def gazetteer_rest(phrase: str) -> str:
    """The phrase without the words the gazetteer matched ('the Russian General Staff' -> 'the Russian')."""
    found = _gazetteer_match(phrase)
    if found is None:
        return phrase
    _, start, end = found
    return phrase[:start] + " " + phrase[end:]


@lru_cache(maxsize=65536)
def _nationality(lowered: str) -> str | None:
    for word in re_findall(r"[\w’'.-]+", lowered):
        for part in (word, *word.split("-")):
            country = nationalities().get(part)
            if country:
                return country
    return None


def _country_named(phrase: str) -> str | None:
    """A country the phrase names as such ('Canada', 'the government of Poland'), from the places table."""
    for found in place_pattern().finditer(phrase):
        if is_country(found.group(0)):
            return found.group(0)
    return None


def place_country(text: str) -> str | None:
    """Country of the place where things happen in a text ('in Gaza'), else of any place named."""
    located = located_place_pattern().search(text)
    if located:
        return places()[located.group(1)]
    found = list(place_pattern().finditer(text))
    return places()[found[-1].group(0)] if found else None


def _is_surname(word: str) -> bool:
    """A capitalised word that is no common word of claimant phrases, place or nationality."""
    base = _base(word)
    return (word[:1].isupper() and word[1:2].islower() and base not in np_words() and base not in PRONOUNS
            and word not in places() and base not in nationalities())


def person_name(phrase: str) -> str | None:
    """The proper name of a person in a phrase like 'the regional governor, Pavlo Kyrylenko'."""
    for part in re_split(r",\s*", phrase):
        runs: list[list[str]] = [[]]
        words = _words(part)
        for position, word in enumerate(words):
            base = _base(word)
            is_name = (word[0].isupper() or base in _NAME_PARTICLES or base.startswith("al-")) and base not in ORG_WORDS
            if is_name and base not in nationalities() and base not in _DETERMINERS and base not in _TITLES:
                if not runs[-1] and _inside_a_name(words, position):
                    runs[-1].append("")  # a run that cannot be a person's name
                runs[-1].append(word)
            elif runs[-1]:
                runs.append([])
        for run in runs:
            if len(run) >= 2 and run[0] and _capitalised(run[-1]):
                return " ".join(run)
    return None


# How many claimants named before a position a back-reference looks through (newest first):
# keeps attribution linear in the length of a paragraph (news articles name a few dozen).
MAX_EARLIER_SPEAKERS = 200


_TITLES = speaker_words("title")
_NAME_GLUE = frozenset(("of", "for", "the", "and", "on"))


def _inside_a_name(words: list[str], position: int) -> bool:
    """Does the word at `position` continue an organisation's name ('Institute for Strategic
    Studies', 'Office for the Coordination of Humanitarian Affairs')? It follows glue words after
    a capitalised word that is no title of a person ('Governor of Donetsk Pavlo Kyrylenko')."""
    before = position - 1
    while before >= 0 and words[before].lower() in _NAME_GLUE:
        before -= 1
    if before == position - 1 or before < 0:
        return False
    word = words[before]
    return word[:1].isupper() and _base(word) not in PERSON_ROLES


# offices that serve a place: unnamed, they speak for the country of the place the story is in
PLACE_OFFICES = speaker_words("place_office")


def _unnamed_local_office(phrase: str) -> bool:
    """'the regional governor', "the city's mayor", 'local authorities': an office of a place,
    named by no proper name or gazetteer row (those carry their own side)."""
    words = _words(phrase)
    if not words or gazetteer_entry(phrase) is not None:
        return False
    if any(_capitalised(w) for w in words[1:]) or _capitalised(words[0]) and _base(words[0]) not in np_words():
        return False
    return bool({_base(w) for w in words} & PLACE_OFFICES)


_GENERIC_ORGS = speaker_words("generic_org")
# a description right after or before a person's name, between commas
_DESCRIPTION_AFTER = re.compile(r",\s*([^,.;:“”\"()\n]{3,90})")
_TITLE_BEFORE = re.compile(r"((?:[A-Za-z][\w’'-]*\s+){1,5})$")
_DESCRIPTION_BEFORE = re.compile(r"([^,.;:“”\"()\n]{3,80}),\s*(?:[A-Z][\w’'-]*\s+)?$")
_SCHOLARS = speaker_words("scholar")
_PRONOUN_REACH = 300  # characters looked back for a person named outside a frame, for 'he' or 'she'
_FULL_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b")
_PLACE_WINDOW = 1500  # characters looked back for the place a local official serves


@dataclass
class DocumentContext:
    """Named claimants seen so far in one document, for back-references."""

    published: dt.date | None
    lookback: Callable[[int, int], None] | None = None  # fills in claimants named before a position
    text: str = ""  # the document, for organisations named without making a claim
    named: list[tuple[int, Speaker]] = field(default_factory=list)  # (position, speaker), in text order
    # gazetteer row -> its mentions in the text: starts, ends, and the country named by the
    # latest mention up to each one that names one (None before the first)
    _mentions: dict[int, tuple[list[int], list[int], list[str | None]]] = field(default_factory=dict)

    def _row_mentions(self, row: int) -> tuple[list[int], list[int], list[str | None]]:
        """One scan of the document per gazetteer row; each later question is a bisect, not a
        scan of the text before a position (which made long paragraphs cost quadratic time)."""
        if row not in self._mentions:
            starts, ends, countries = [], [], []
            country = None
            for match in _gazetteer_row_regex(row).finditer(self.text):
                country = _nationality(self.text[max(0, match.start() - 25) : match.end()].lower()) or country
                starts.append(match.start())
                ends.append(match.end())
                countries.append(country)
            self._mentions[row] = (starts, ends, countries)
        return self._mentions[row]

    def _last_mention(self, row: int, position: int) -> int | None:
        """Index of the row's last mention that ends by `position`."""
        count = bisect.bisect_right(self._row_mentions(row)[1], position)
        return count - 1 if count else None

    def speaker_for(self, phrase: str, sentence: str, position: int = 0, depth: int = 0) -> Speaker:
        words = [_base(w) for w in _words(phrase)]
        if not words:
            return Speaker.media()
        back_reference = len(words) == 1 and words[0] in PRONOUNS or (
            words[0] == "the" and len(words) <= 4 and _nationality(phrase.lower()) is None and (
                all(not w[:1].isupper() for w in _words(phrase)[1:])
                # 'The Health Ministry': capitals on common role words make no name
                or all(np_words().get(w) in ("head", "mod", "glue") for w in words[1:]) and not _gazetteer_side(phrase)
            )
        )
        single_name = (len(words) <= 2 and _words(phrase)[-1][:1].isupper() and gazetteer_entry(phrase) is None
                       and _nationality(phrase.lower()) is None)
        if (back_reference or single_name) and self.lookback:
            self.lookback(position, depth)
        before = bisect.bisect_left(self.named, position, key=lambda pair: pair[0])
        earlier = [speaker for _, speaker in self.named[max(0, before - MAX_EARLIER_SPEAKERS) : before]]
        if len(words) == 1 and words[0] in PRONOUNS:
            kind = PRONOUNS[words[0]]
            return (self._sentence_subject(sentence, phrase, kind, earlier) or self._lookup(earlier, kind, None)
                    or (self._person_named_before(position) if kind == "person" else None)
                    or Speaker(phrase, "unknown", kind))
        speaker = None
        if back_reference:
            found = self._lookup(earlier, None, frozenset(words[1:]))
            if found:
                return found
            if words[-1] in _GENERIC_ORGS:
                # 'the agency', 'the organisation': the last organisation that spoke
                found = self._lookup([s for s in earlier if s.kind == "org" and s.side != "unknown"], "org", None)
                if found:
                    return found
            side = self._side_of_mention(frozenset(words[1:]), position) or self._country_of_mention(phrase, position)
            if side:
                speaker = replace(self._remember(phrase, sentence, earlier), side=side)
        speaker = speaker or self._remember(phrase, sentence, earlier)
        if speaker.side == "unknown" and speaker.kind == "person" and speaker.name:
            # 'Skibitsky said': the side his introduction gave ('Vadym Skibitsky, Ukraine's deputy ...')
            side = self._side_of_introduction(speaker.name, position + len(sentence))
            if side:
                speaker = replace(speaker, side=side)
        if speaker.side == "unknown" and _unnamed_local_office(phrase):
            # 'the regional governor said', no place in the sentence: the place the story is in
            country = self._country_before(position)
            if country:
                speaker = replace(speaker, side=country)
        bisect.insort(self.named, (position, speaker), key=lambda pair: pair[0])
        return speaker

    def _sentence_subject(self, sentence: str, pronoun: str, kind: str, earlier: list[Speaker]) -> Speaker | None:
        """The organisation or country a sentence opens with, for 'it' or 'they' later in it:
        'Russia blamed Ukraine for an attack in which it said three people died'."""
        if kind not in ("org", "plural"):
            return None
        opening = _LEAD_WORDS.sub("", lower_same_length(sentence[:80]))
        offset = min(80, len(sentence)) - len(opening)
        first = _words(sentence[offset : offset + 40])[:1]
        named_country = (nationalities().get(_base(first[0])) or "").lower() == _base(first[0]) if first else False
        if first and _capitalised(first[0]) and (named_country or is_country(first[0])):
            phrase = first[0]  # a country by its name
        else:
            # a gazetteer row right at the start, or after 'the'
            start = offset + 4 if opening.startswith("the ") else offset
            match = _gazetteer_regex().match(sentence, start)
            if match is None or claimants()[_gazetteer_row(match)].kind != "org":
                return None
            phrase = sentence[offset : match.end(match.lastgroup)]
        if pronoun in phrase.split():
            return None
        return self._remember(phrase, sentence, earlier)

    def _person_named_before(self, position: int) -> Speaker | None:
        """'He said ...' after a sentence that names a person without quoting them ('calls for
        calm from the governor, Anton Petrov, on Saturday. He said...'): the last full name in
        the sentences just before, with the side of its introduction."""
        window = self.text[max(0, position - _PRONOUN_REACH) : position]
        names = []
        for run in _FULL_NAME.finditer(window):
            words = run.group(0).split()
            while words and not _is_surname(words[0]):
                words.pop(0)  # a title or place before the name ('Interior Minister Sarfraz Bugti')
            if len(words) >= 2 and all(_is_surname(w) for w in words):
                names.append(" ".join(words))
        if not names:
            return None
        name = names[-1]
        side = self._side_of_introduction(name, position) or "unknown"
        return Speaker(name, side, "person", frozenset(_base(w) for w in name.split()))

    def _side_of_introduction(self, name: str, end: int) -> str | None:
        """The side of the description beside the first mention of a person's surname before
        `end`: 'NAME, Ukraine's deputy head of ...,' or "South Africa's president, NAME"."""
        surname = name.split()[-1]
        if len(surname) < 3:
            return None
        first = self.text.find(surname, 0, end)
        if first < 0:
            return None
        name_end = first + len(surname)
        after = _DESCRIPTION_AFTER.match(self.text, name_end)
        before = _DESCRIPTION_BEFORE.search(self.text, max(0, first - 80), max(0, first - len(name) + len(surname)))
        title = _TITLE_BEFORE.search(self.text, max(0, first - 60), max(0, first - len(name) + len(surname)))
        descriptions = [after.group(1) if after and _apposition_like(after.group(1)) and not _participle(after.group(1))
                        else None,
                        longest_noun_phrase(before.group(1)) if before else None,
                        # 'South African President Cyril Ramaphosa': a title right before the name
                        title.group(1) if title and _base(title.group(1).split()[-1]) in PERSON_ROLES else None]
        for description in descriptions:
            if description:
                side = side_of(description)[0]
                if side != "unknown":
                    return side
        return None

    def _country_before(self, position: int) -> str | None:
        """The country of the last place named in the few paragraphs before `position` (or in
        the title and lead, at the start of a document): where local officials serve."""
        window = self.text[max(0, position - _PLACE_WINDOW) : position]
        town = country = None
        for found in place_pattern().finditer(window):
            if not is_country(found.group(0)):
                town = found.group(0)
            elif locative_before().search(window, max(0, found.start() - 40), found.start()):
                country = found.group(0)  # 'in Ukraine', not 'Russia shelled...': an actor serves nowhere
        return places()[town] if town else places().get(country) if country else None

    def _country_of_mention(self, phrase: str, position: int) -> str | None:
        """For a gazetteer body without a side of its own ('the Defence Ministry'): the country
        of its last mention before `position` that names one ('Russia's defence ministry')."""
        found = _gazetteer_match(phrase)
        if found is None or claimants()[found[0]].side:
            return None
        last = self._last_mention(found[0], position)
        return None if last is None else self._row_mentions(found[0])[2][last]

    def _side_of_mention(self, role: frozenset[str], position: int) -> str | None:
        """The side of the last organisation in the gazetteer named before `position` (the title
        included, whether or not it made a claim there) whose canonical name holds the role words:
        'the Health Ministry' after 'Gaza Health Ministry' in the title."""
        last, side = -1, None
        for row, entry in enumerate(claimants()):
            if entry.kind != "org" or not entry.side or not role <= _canonical_words(row):
                continue
            index = self._last_mention(row, position)
            if index is not None and self._row_mentions(row)[0][index] > last:
                last, side = self._row_mentions(row)[0][index], entry.side
        return side

    @staticmethod
    def _lookup(speakers: list[Speaker], kind: str | None, role: frozenset[str] | None) -> Speaker | None:
        for speaker in reversed(speakers):
            if kind == "person" and speaker.kind == "person":
                return speaker
            if kind == "org" and speaker.kind in ("org", "media"):
                return speaker
            if kind == "plural" and speaker.kind in ("plural", "org"):
                return speaker
            if role and role <= speaker.roles:
                return speaker
        return None

    @staticmethod
    def _remember(phrase: str, sentence: str, earlier: list[Speaker]) -> Speaker:
        words_in = _words(phrase)
        if len(words_in) <= 2 and words_in[-1][:1].isupper():
            surname = _base(words_in[-1])
            for speaker in reversed(earlier):
                if speaker.kind == "person" and speaker.name and surname in _base(speaker.name.split()[-1]).split("-"):
                    return speaker
        side, canonical, kind = side_of(phrase, sentence)
        name = person_name(phrase)
        words = {_base(w) for w in _words(phrase)}
        if name is None and kind == "person" and canonical:
            single = [w for w in _words(phrase) if w[0].isupper() and _base(w) not in ORG_WORDS]
            name = " ".join(single[-2:]) if single else canonical
        if name is None and kind is None and side == "unknown" and len(words_in) == 1 and _is_surname(words_in[0]):
            name = words_in[0]  # 'Kahlout said': a lone unknown name is a person's ('he' may refer to it)
        if name:
            speaker_kind = "person"
            display = name
        else:
            speaker_kind = "plural" if words & PLURAL_HEADS else ("media" if side == "media" else "org")
            if kind == "person":
                speaker_kind = "person"
            elif words & PERSON_ROLES and not words & PLURAL_HEADS and not words & _OFFICES:
                speaker_kind = "person"
            display = re_sub(r"^(?:the|a|an)\s+", "", phrase.split(",")[0].strip(), flags=re.IGNORECASE)
            if len(phrase.split(",")) > 1:
                display = max((p.strip() for p in phrase.split(",")), key=lambda p: sum(c.isupper() for c in p))
                display = re_sub(r"^(?:the|a|an)\s+", "", display, flags=re.IGNORECASE)
        return Speaker(display, side, speaker_kind, frozenset(words))


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Spans of quotations (“...”, "...", ‘...’ as quotes, not apostrophes) in a text."""
    spans: list[tuple[int, int]] = []
    if "“" in text or '"' in text:
        spans.extend(match.span() for match in _DOUBLE_QUOTES.finditer(text))
    if "‘" in text or "'" in text:
        spans.extend(match.span() for match in _SINGLE_QUOTES.finditer(text))
    return sorted(spans)


_DOUBLE_QUOTES = re.compile(r"“[^”]{3,}?(?:”|$)|\"[^\"\n]{3,}?(?:\"|$)", re.MULTILINE)
# An opening single quote after a space, a line start, '(' or ':'; the lookbehind comes after
# the quote character so the regex engine can skip ahead to quote characters.
_SINGLE_QUOTES = re.compile(r"[‘'](?<![^\s(:][‘'])(?=\w)[^‘’\n]{3,}?[’'](?=[\s,.;:!?)]|$)", re.MULTILINE)
