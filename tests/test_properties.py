"""Properties checked on generated inputs (Hypothesis): the cheap pre-checks agree with the
regexes they stand in front of, the trie regexes match what a plain alternation matches,
every extracted claim points into its own text, the URL filter state survives a round trip,
and chart thinning always keeps each claimant's latest figure.

Texts are drawn from tokens that matter to each check (cue words, number words, qualifier
and label words, digits, punctuation, non-ASCII letters) rather than from random
characters, which would almost never hit a word the checks are about. The sentences are
written for these tests."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlencode

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from figures import charts, dates, lexicon, numbers, views
from figures.extract import extract_claims
from figures.model import Document

FAST = settings(max_examples=150, deadline=None)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that test offsets and word edges: non-ASCII letters (one lower-cases to two
# characters), narrow and no-break spaces, curly quotes, dashes.
ODD = ["İ", "é", "ß", "Київ", "\u00a0", "\u202f", "“", "”", "’", "–", "\t", "\n", "\n\n", ",", ".", "(", ")", "-", "/"]


def texts(*vocabularies: list[str], max_tokens: int = 12) -> st.SearchStrategy[str]:
    """Texts made of tokens from the vocabularies (most of them), digits and odd characters,
    glued by nothing, a space or other separators."""
    words = st.sampled_from(sorted({w for vocabulary in vocabularies for w in vocabulary}))
    token = st.one_of(words, words, words, st.sampled_from(ODD), st.integers(0, 3000).map(str),
                      st.text(alphabet="abcz0 ", max_size=3))
    glue = st.sampled_from(["", " ", " ", " ", "  ", "\n", ", ", ". "])
    return st.lists(st.tuples(token, glue), max_size=max_tokens).map(lambda pairs: "".join(t + g for t, g in pairs))


def endings(prefix: str, vocabulary: list[str], spaces: list[str]) -> list[str]:
    """The prefix followed by every word of the vocabulary, then by each of `spaces`: the end of a
    text is where the end-of-text checks look, so every word is tried there, after each drawn prefix."""
    return [prefix + word + space for word in sorted(set(vocabulary)) for space in spaces]


NUMBER_WORDS = sorted(numbers.gate_words()) + ["a", "an", "half", "and", "of", "dozen", "tens", "scores"]
QUALIFIER_WORDS = [phrase for phrase, _ in lexicon.qualifiers()["before"] + lexicon.qualifiers()["after"]]
DATE_WORDS = (list(dates.WEEKDAYS) + list(dates.MONTHS) + [
    "yesterday", "today", "tonight", "overnight", "ago", "day", "days", "week", "weeks", "before", "the", "on", "said",
    "last", "night", "morning", "as of", "a", "two", "three", "few", "more than", "2023", "24", "1", "Sept.", "Feb.",
    "two days ago", "3 days ago", "a day ago", "a week ago", "the day before yesterday", "Day before yesterday",
    "a few days ago", "more than three days ago", "24.02.2023", "2023/02/24", "02-24-2023", "24/02/2023",
    "10.30", "3-1", "1.2.3", "2023-03-01", "20230301", "1 March", "March 1", "Sept. 24, 2023"])
CUE_WORDS = sorted(set(lexicon.claim_gate_words()))


# ---------------------------------------------------------------- pre-checks agree with their regexes


BEFORE_WORDS = (numbers._labels("label") + numbers._labels("money") + numbers._labels("age") + numbers._MONTH_WORDS
                + ["$", "£", "€", "¥", "₴", "us$", "rs.", "no.", "the year", "+", "#", "Mr", "F", "A", "Aged", "MARCH."])


@settings(max_examples=40, deadline=None)
@given(texts(BEFORE_WORDS, ["said", "the"], max_tokens=5))
def test_before_number_precheck_never_rules_out_an_exclusion(prefix):
    from figures.numbers import _BEFORE_EXCLUDE, _before_may_exclude

    for before in endings(prefix, BEFORE_WORDS, ["", " ", "\n", "  "]):
        if any(pattern.search(before) for pattern, _ in _BEFORE_EXCLUDE):
            assert _before_may_exclude(before), before


@FAST
@given(texts(NUMBER_WORDS, QUALIFIER_WORDS, ["people", "million", "bn", "k", "m", "thousand", "1,200", "5 000",
                                             "3.5", "twenty-one", "between", "from", "to"]),
       st.booleans())
def test_number_gates_find_what_the_number_regex_finds(text, pass_the_gate):
    """find_numbers tries the number regex only where digits or a starting word begin, and its
    words branch only when has_number_words says so: the matches are those of the plain regex."""
    from figures.numbers import _number_matches

    lowered = lexicon.lower_same_length(text)
    plain = [(m.start(), m.end()) for m in numbers.number_regex().finditer(lowered)]
    has_words = numbers.has_number_words(text)
    if any(m.group("words") or m.group("vague") for m in numbers.number_regex().finditer(lowered)):
        assert has_words, text
    gate = has_words if pass_the_gate else has_words or None
    assert [(m.start(), m.end()) for m in _number_matches(lowered, bool(gate))] == plain


@FAST
@given(texts(NUMBER_WORDS, QUALIFIER_WORDS, ["between", "from", "to", "and", "-", "–", "million", "bn", "1,200", "5 000",
                                             "3.5", "people", "killed"]))
def test_number_mentions_lie_in_their_text_and_their_bounds_hold_their_value(text):
    for mention in numbers.find_numbers(text):
        assert 0 <= mention.stated_start <= mention.start < mention.end <= len(text), (text, mention)
        assert text[mention.start : mention.end].strip() == text[mention.start : mention.end], (text, mention)
        assert mention.value >= 0 and (mention.low is None or mention.low <= mention.value), (text, mention)
        assert mention.high is None or mention.value <= mention.high, (text, mention)


@settings(max_examples=40, deadline=None)
@given(texts(QUALIFIER_WORDS, ["than", "to", "as", "many", "the", "estimated", "nearly 5", "more\nthan"], max_tokens=5))
def test_qualifier_precheck_agrees_with_the_reversed_trie(prefix):
    from figures.numbers import _qualifier_before, _reversed_qualifiers

    pattern, table, _ = _reversed_qualifiers()
    for before in endings(prefix, QUALIFIER_WORDS + ["more\nthan", "x"], [" ", "\n", "  ", ""]):
        lowered = lexicon.lower_same_length(before) + "12"
        start = len(lowered) - 2
        window = lowered[max(0, start - 40) : start]
        match = pattern.match(window[::-1]) if window[-1:].isspace() else None
        expected = (table[re.sub(r"\s+", " ", match.group(1))], start - match.end()) if match else None
        assert _qualifier_before(lowered, start) == expected, before


@FAST
@given(texts(DATE_WORDS, max_tokens=10))
def test_date_phrase_gates_find_what_the_regexes_find(text):
    lowered = lexicon.lower_same_length(text)
    plain = dates._without_overlaps(list(dates.DATE_PHRASE.finditer(lowered))
                                    + list(dates.RARE_DATE_PHRASE.finditer(lowered)))
    assert [m.span() for m in dates.find_date_phrases(text)] == [m.span() for m in plain]


@FAST
@given(texts(DATE_WORDS, max_tokens=10), st.integers(0, 60))
def test_first_date_phrase_is_the_first_of_all_date_phrases(text, last_start):
    lowered = lexicon.lower_same_length(text)
    found = dates.find_date_phrases(lowered)
    first = found[0] if found and found[0].start() <= last_start else None
    got = dates.first_date_phrase(lowered, last_start)
    assert (got.span() if got else None) == (first.span() if first else None)


@FAST
@given(texts(["in", "the", "past", "last", "24", "hours", "a", "day", "per", "each", "every", "daily", "overnight",
              "since", "midnight", "night", "single", "one", "over", "week", "weekly", "month", "monthly", "during",
              "of", "alone", "may", "march", "june", "december", "killed"]))
def test_period_word_precheck_agrees_with_the_period_regexes(clause):
    from figures.extract import _PERIOD, _period

    lowered = lexicon.lower_same_length(clause)
    expected = next((period for pattern, period in _PERIOD if pattern.search(lowered)), None)
    assert _period(clause) == expected


def test_period_phrases_are_whole_words():
    """Found by the property above: 'in mayhem' read as 'in May' once another period word was in the clause."""
    from figures.extract import _period

    assert _period("12 were killed in mayhem that lasted a night") is None
    assert _period("12 were killed in May alone, a night of shelling") == "month"
    assert _period("40 die every daybreak, a week of it") == "week"


@FAST
@given(texts(CUE_WORDS, NUMBER_WORDS, ["soldiers", "tank", "killedx", "xkilled", "5one", "one5"]))
def test_one_word_scan_finds_the_claim_gate_words_and_the_number_words(text):
    """scan_words (an Aho-Corasick pass) finds the claim gate words where claim_gate_pattern
    does, and number words wherever has_number_words sees one (with the digit-glued case)."""
    from figures.extract import scan_words

    lower = lexicon.lower_same_length(text)
    cues, words = scan_words(lower)
    spaced = " " + lower
    gate = lexicon.claim_gate_pattern()
    assert {m.start() for m in gate.finditer(spaced)} <= set(cues)
    assert all(gate.match(spaced, offset) for offset in cues)
    has_words = bool(words) or numbers.digit_number_word_regex().search(lower) is not None
    assert has_words == numbers.has_number_words(lower, lowered=True), text


def test_claim_gate_words_and_number_words_share_no_word():
    """scan_words keeps one entry per word: a word in both sets would be lost from one."""
    assert set(lexicon.claim_gate_words()).isdisjoint(numbers.gate_words())


@FAST
@given(texts(NUMBER_WORDS, CUE_WORDS, ["people", "1,200", "million"]))
def test_number_precheck_passes_every_text_with_a_number(text):
    from figures.extract import _has_number

    if numbers.find_numbers(text):
        assert _has_number(text, 0, len(text)), text


TAIL_WORDS = ["has", "have", "had", "been", "able to", "had been able to", "on monday", "on sunday", "in a statement",
              "in an interview", "at the time", "this week", "last night", "5 march", "in 2022", "officially",
              "reportedly", "today", "yesterday", "to", "was", "later", "early", "in a", "in", "an", "a", "the",
              "ministry", "said", "al-assad", "u.s.", "friday,", "12"]


@settings(max_examples=40, deadline=None)
@given(texts(TAIL_WORDS, max_tokens=5))
def test_tail_precheck_never_rules_out_a_tail(prefix):
    from figures.attribution import _TAIL_WORDS, _may_end_in_tail

    for phrase in endings(prefix, TAIL_WORDS, ["", " ", ", ", "\n"]):
        lowered = lexicon.lower_same_length(phrase)
        if _TAIL_WORDS.search(lowered):
            assert _may_end_in_tail(lowered), phrase


# ---------------------------------------------------------------- trie regexes


def alternation(phrases: list[str], any_space: bool) -> str:
    """The plain regex a trie stands for: every phrase, longest first."""
    space = r"\s+" if any_space else " "
    return "|".join(space.join(re.escape(part) for part in phrase.split(" "))
                    for phrase in sorted(set(phrases), key=len, reverse=True))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab. '-", min_size=1, max_size=6).map(lambda p: " ".join(p.split())).filter(bool),
                min_size=1, max_size=8),
       st.text(alphabet="ab. '-\t\n", max_size=14), st.booleans())
def test_trie_body_matches_what_a_plain_alternation_matches(phrases, text, any_space):
    trie = re.compile(f"(?:{lexicon.trie_body(phrases, any_space)})")
    plain = re.compile(f"(?:{alternation(phrases, any_space)})")
    assert bool(trie.fullmatch(text)) == bool(plain.fullmatch(text))
    found, expected = trie.search(text), plain.search(text)
    assert (found.span() if found else None) == (expected.span() if expected else None)


# ---------------------------------------------------------------- extracted claims point into their text

CLAIMANTS = ["Ukraine's General Staff", "Russia's defence ministry", "Pentagon officials", "the UN refugee agency",
             "regional governor Oleh Synehubov", "local officials", "he", "they", "the ministry", "Zelensky"]
QUALIFIERS = ["", "at least ", "about ", "up to ", "more than ", "nearly ", "some ", "an estimated ", "fewer than ",
              "as many as "]
OUTCOMES = ["people were killed", "soldiers were wounded", "civilians died", "tanks were destroyed",
            "refugees crossed into Poland", "prisoners were released", "drones were shot down", "troops were mobilised",
            "children are missing", "people had been evacuated", "casualties", "killed and {m} injured"]
TAILS = ["", " on Monday", " yesterday", " in Kharkiv", " on 24.02.2023", " two days ago", " in the past 24 hours",
         " every day", " since the invasion began", " near Bakhmut, İzmir-born reporters said", " last night",
         " on Thursday morning", " on 1 March", " on Dec. 31", " as of April 11", " on 2 January", " on Feb. 29",
         " the day before yesterday", " on 02/24/2023", " on 31/12/2022", " this week", " on Sunday, 3 March"]


def figure(n: int, style: int) -> str:
    return [str(n), f"{n:,}", f"{n:,}".replace(",", "\u202f"), f"{n % 50 + 1}.5 million", "twenty-one",
            "dozens of", "hundreds of", f"between {n} and {n * 2 + 1}", f"{n}-{n + 7}", f"{n:,} to {n * 3:,}",
            "a dozen", "two thousand"][style]


@st.composite
def sentences(draw) -> str:
    n = draw(st.integers(1, 250_000))
    outcome = draw(st.sampled_from(OUTCOMES)).replace("{m}", str(draw(st.integers(1, 999))))
    body = f"{draw(st.sampled_from(QUALIFIERS))}{figure(n, draw(st.integers(0, 11)))} {outcome}"
    claimant, tail = draw(st.sampled_from(CLAIMANTS)), draw(st.sampled_from(TAILS))
    shape = draw(st.integers(0, 3))
    if shape == 0:
        return f"{claimant.capitalize()} said{tail} that {body}."
    if shape == 1:
        return f"{body.capitalize()}{tail}, according to {claimant}."
    if shape == 2:
        return f"“{body.capitalize()},” {claimant} said{tail}."
    return f"{body.capitalize()}{tail}."


@st.composite
def documents(draw) -> Document:
    noise = st.sampled_from(["The talks resumed at 10.30am on Friday.", "The minister, 54, spoke in 2022.",
                             "Prices rose by 12% in İstanbul.", "A convoy stretched for 3km.", "Read more:",
                             "Він сказав, що 5 людей загинули.", "F-16 jets flew over."])
    parts = draw(st.lists(st.one_of(sentences(), noise, st.text(max_size=12)), min_size=1, max_size=7))
    glue = draw(st.lists(st.sampled_from([" ", "\n", "\n\n", "  ", "\t"]), min_size=len(parts), max_size=len(parts)))
    text = "".join(part + sep for part, sep in zip(parts, glue))
    title = draw(st.one_of(st.none(), sentences()))
    published = draw(st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))))
    return Document(id="generated.txt", text=text, title=title, published=published)


@SLOW
@given(documents())
def test_every_claim_quotes_its_text_and_its_bounds_hold_its_value(document):
    text = document.full_text
    for claim in extract_claims(document):
        assert claim.quote and claim.quote in text, claim
        starts = [m.start() for m in re.finditer(re.escape(claim.quote), text)]
        assert any(q <= claim.start < claim.end <= q + len(claim.quote) for q in starts), claim
        number = text[claim.start : claim.end]
        assert number.strip() == number and claim.stated.endswith(number) and claim.stated in claim.quote, claim
        if claim.low is not None:
            assert claim.low <= claim.value, claim
        if claim.high is not None:
            assert claim.value <= claim.high, claim
        if claim.low is not None and claim.high is not None:
            assert claim.low <= claim.high, claim


@SLOW
@given(documents())
def test_claim_dates_follow_their_basis_and_never_guess_a_year(document):
    """claims-spec.md, Dates: a relative date is on or before the day after publication, a
    published date is the publication date, and without a publication date and without a
    year in the text the date is unknown."""
    year_in_text = re.search(r"(?:19|20)\d\d", document.full_text) is not None
    for claim in extract_claims(document):
        assert (claim.date is None) == (claim.date_basis == "unknown"), claim
        if claim.date_basis == "published":
            assert claim.date == document.published, claim
        if claim.date_basis == "relative":
            assert document.published and claim.date <= document.published + dt.timedelta(days=1), claim
        if document.published is None and not year_in_text:
            assert claim.date is None, claim


# ---------------------------------------------------------------- the URL filter state

facet = st.lists(st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s), max_size=4, unique=True)
day = st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)))


@st.composite
def filter_states(draw) -> views.ViewFilters:
    return views.ViewFilters(
        metrics=tuple(draw(facet)), subjects=tuple(draw(facet)), claimants=tuple(draw(facet)),
        sides=tuple(draw(facet)), outlets=tuple(draw(facet)), series=tuple(draw(facet)),
        date_from=draw(day), date_to=draw(day), text=draw(st.text(max_size=300)),
        colour_by=draw(st.sampled_from(["claimant", "side"])), log_scale=draw(st.booleans()))


def through_a_link(query: dict) -> dict[str, list[str]]:
    """URL parameters as a browser sends them back: encoded into a link, then parsed."""
    return parse_qs(urlencode(query, doseq=True))


@FAST
@given(filter_states())
def test_filter_state_round_trips_through_a_link(filters):
    back = views.filters_from_query(through_a_link(views.filters_to_query(filters)))
    assert back == views.ViewFilters(**{**filters.__dict__, "text": filters.text.strip()})
    assert back.data_key() == filters.data_key()


@FAST
@given(st.dictionaries(st.sampled_from(sorted(views.QUERY_KEYS.values()) + ["other"]),
                       st.lists(st.text(max_size=12), max_size=3), max_size=8))
def test_any_link_settles_after_one_rewrite(params):
    """The app rewrites the URL from the filters it read (sync_url): whatever a link holds,
    the rewritten link reads back to the same filters, so it is not rewritten again."""
    first = views.filters_to_query(views.filters_from_query(params))
    second = views.filters_to_query(views.filters_from_query(through_a_link(first)))
    assert second == first


# ---------------------------------------------------------------- chart thinning


@st.composite
def claim_frames(draw) -> pd.DataFrame:
    """Claims of a few groups over a span of days, weeks or years (a narrow span and few groups
    make the thinning keep days; a wide one makes it widen the buckets)."""
    def pool(values: list) -> st.SearchStrategy[st.SearchStrategy]:
        """A few of the values (often one), to draw a column's values from."""
        return st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True).map(st.sampled_from)

    span = draw(st.sampled_from([3, 60, 400, 1800]))
    first = dt.date(2020, 1, 1) + dt.timedelta(days=draw(st.integers(0, 365)))
    dates = st.integers(0, span).map(lambda d: first + dt.timedelta(days=d))
    rows = st.fixed_dictionaries({
        "claimant": draw(pool(["A", "B", "C", None, ""])),
        "side": draw(pool(["Ukraine", "Russia", None])),
        "metric": draw(pool(["deaths", "injuries"])),
        "subject": draw(pool(["civilians", "Russian military"])),
        "period": draw(pool([None, "day"])),
        "date": st.one_of(dates, dates, dates, st.none()),
        "value": st.one_of(st.integers(0, 50).map(float), st.integers(0, 50).map(float), st.none()),
    })
    size = draw(st.integers(1, 120))  # drawn first: Hypothesis' own list sizes stay small
    frame = pd.DataFrame(draw(st.lists(rows, min_size=size, max_size=size)))
    frame["claim_id"] = np.arange(1, len(frame) + 1)
    frame["item"] = None
    return frame


def drawable_rows(frame: pd.DataFrame, colour: str, by_side: bool = False) -> list[tuple[tuple, pd.Timestamp, float]]:
    """(group, date, value) of every row a chart can draw, by plain Python: the group is the
    series, the claimant (a line joins one claimant's figures, also when coloured by side),
    the side when colouring by side or ``by_side``, and the period; missing and empty text alike."""
    def text(value: object) -> str | None:
        return value if isinstance(value, str) and value else None

    return [((row.metric, row.subject, text(row.claimant), text(row.side) if colour == "side" or by_side else None,
              text(row.period)), pd.Timestamp(row.date), row.value)
            for row in frame.itertuples()
            if not (row.date is None or pd.isna(row.date) or row.value is None or pd.isna(row.value))]


def latest_per_group(frame: pd.DataFrame, colour: str) -> dict[tuple, tuple]:
    """(date, value) of each group's latest claim (ties: the highest figure)."""
    best: dict[tuple, tuple] = {}
    for key, date, value in drawable_rows(frame, colour):
        best[key] = max(best.get(key, (date, value)), (date, value))
    return best


@SLOW
@given(claim_frames(), st.integers(1, 60), st.sampled_from(["claimant", "side"]), st.booleans())
def test_thinning_keeps_each_claimants_latest_point(frame, max_points, colour, prepared):
    source = views.prepare_frame(frame) if prepared else frame
    n_claims = charts.select_points(source, colour, max_points)
    kept = frame.loc[n_claims.index]
    expected = latest_per_group(frame, colour)
    assert latest_per_group(kept, colour) == expected
    drawable = frame["date"].notna() & frame["value"].notna()
    assert int(n_claims.sum()) == int(drawable.sum())
    assert (n_claims >= 1).all() and n_claims.index.is_unique
    # Groups at least as fine as the chart's (the side stands in for the place it implies):
    # when their yearly buckets and latest points fit, the chart's fit too.
    finest = drawable_rows(frame, colour, by_side=True)
    years = {(key, date.year) for key, date, _ in finest}
    if len(years) + len({key for key, _, _ in finest}) <= max_points:  # the limit can be met: it is
        assert len(n_claims) <= max_points
