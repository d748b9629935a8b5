"""Number parsing, qualifiers, ranges and exclusions, on sentences written for these tests."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from figures.numbers import exclusion, find_numbers


def only(text: str):
    mentions = [m for m in find_numbers(text) if exclusion(text, m) is None]
    assert len(mentions) == 1, [(text[m.start:m.end], exclusion(text, m)) for m in find_numbers(text)]
    return mentions[0]


def test_digits_with_separators_and_scale_words():
    assert only("officials counted 5,840 bodies").value == 5840
    assert only("about 300 000 reservists").value == 300000
    assert only("some 1.2 million people").value == 1_200_000
    assert only("roughly 1.2m people").value == 1_200_000
    assert only("11,100 soldiers").value == 11100
    assert only("3.5bn shells").value == 3.5e9


def test_number_words():
    assert only("four people died").value == 4
    assert only("twenty-one soldiers were captured").value == 21
    assert only("two thousand refugees").value == 2000
    assert only("one hundred and fifty civilians").value == 150
    assert only("a dozen tanks").value == 12
    assert only("half a million refugees").value == 500_000


def test_vague_quantities():
    for phrase, value in [("dozens of", 24), ("hundreds of", 200), ("thousands of", 2000),
                          ("tens of thousands of", 20000), ("hundreds of thousands of", 200000)]:
        mention = only(f"{phrase} civilians fled")
        assert (mention.value, mention.qualifier, mention.low) == (value, "vague", value)


def test_qualifiers_set_bounds():
    cases = {
        "at least 7,000 killed": ("at_least", 7000, None),
        "more than 2,000 died": ("at_least", 2000, None),
        "over 1 million refugees": ("at_least", 1_000_000, None),
        "in excess of 400 wounded": ("at_least", 400, None),
        "up to 300 troops": ("at_most", None, 300),
        "fewer than 50 people": ("at_most", None, 50),
        "as many as 500 dead": ("at_most", None, 500),
        "about 9,000 soldiers": ("approx", None, None),
        "nearly 1,800 wounded": ("approx", None, None),
        "an estimated 40 tanks": ("approx", None, None),
        "5,000-plus troops": ("at_least", 5000, None),
        "200 or more prisoners": ("at_least", 200, None),
        "exactly 12 generals": ("exact", None, None),
    }
    for text, (qualifier, low, high) in cases.items():
        mention = only(text)
        assert (mention.qualifier, mention.low, mention.high) == (qualifier, low, high), text


def test_ranges():
    for text in ["between 15,000 to 21,000 casualties", "between 15,000 and 21,000 casualties",
                 "15,000-21,000 casualties", "from 15,000 to 21,000 casualties", "15,000 – 21,000 casualties"]:
        mention = only(text)
        assert (mention.low, mention.high, mention.qualifier, mention.value) == (15000, 21000, "range", 18000), text
    mention = only("between 2 and 3 million refugees")
    assert (mention.low, mention.high) == (2_000_000, 3_000_000)


def test_stated_text_keeps_the_qualifier():
    text = "Officials said at least 7,000 were killed."
    mention = only(text)
    assert text[mention.stated_start : mention.end] == "at least 7,000"


def test_exclusions():
    cases = {
        "Olena Marchuk, 34, said": "age",
        "a 19-year-old conscript": "age",
        "the war entered its seventh day after three days of talks": "duration",
        "sirens sounded at 2am": "time",
        "at 10:30 on Monday": "time",
        "in 2022 the army": "year",
        "a $ 40 billion package": "money",
        "USD 40 million in aid": "money",
        "they paid 40 hryvnias": "money",
        "prices rose 12% this week": "percentage",
        "on 24 February the tanks": "date",
        "since March 3 the city": "date",
        "a convoy 40km long": "measure",
        "F-16 jets": "model name",
        "the video was viewed 6,000 times": "count of non-people",
        "one of the soldiers wept": "not a count",
    }
    for text, reason in cases.items():
        reasons = {exclusion(text, m) for m in find_numbers(text)}
        assert None not in reasons, (text, reasons)
        assert reason in reasons, (text, reasons)


def test_a_currency_sign_glued_to_the_digits_is_no_number():
    for text in ("a $40 billion package", "a US$40m deal", "it costs €5 a day", "£12 a month"):
        assert find_numbers(text) == [], text


@given(st.integers(min_value=0, max_value=10**12))
def test_any_integer_with_separators_parses_back(number):
    for written in (f"{number:,}", f"{number:,}".replace(",", "\u202f")):
        mentions = find_numbers(f"officials counted {written} casualties")
        assert [m.value for m in mentions] == [number]


@given(st.integers(min_value=1, max_value=999), st.sampled_from([("thousand", 10**3), ("million", 10**6), ("billion", 10**9)]))
def test_scale_words_parse_back(count, scale):
    word, factor = scale
    mentions = find_numbers(f"a total of {count} {word} shells")
    assert [m.value for m in mentions] == [count * factor]


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=1, max_value=9))
def test_decimal_millions_parse_back(whole, tenth):
    mentions = find_numbers(f"{whole}.{tenth} million refugees")
    assert len(mentions) == 1
    assert abs(mentions[0].value - (whole + tenth / 10) * 1e6) < 1e-3


@pytest.mark.parametrize("sentence, reason", [
    ("Envoys of the Group of Seven met in Rome as the death toll rose.", "name"),
    ("Ministers of the Big Four said casualties were mounting.", "name"),
    ("A summit of the Gang of Four discussed the wounded.", "name"),
    ("Recruits aged between 18 and 60 were mobilised.", "age"),
    ("Men aged 18 to 60 were called up.", "age"),
])
def test_number_words_in_names_and_age_ranges_are_no_figures(sentence, reason):
    mentions = find_numbers(sentence)
    assert mentions and all(exclusion(sentence, m) == reason for m in mentions)


@pytest.mark.parametrize("text, low, high", [
    ("wounded at 300 or 400 a day", 300, 400),
    ("two or three soldiers", 2, 3),
    ("six or seven people", 6, 7),
])
def test_two_estimates_joined_by_or_make_a_range(text, low, high):
    [mention] = find_numbers(text)
    assert (mention.qualifier, mention.low, mention.high) == ("range", low, high)


def test_or_joins_no_range_when_the_second_number_is_smaller_or_of_another_kind():
    assert all(m.qualifier != "range" for m in find_numbers("400 or 300 people, 2 or three people"))
