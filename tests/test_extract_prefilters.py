"""The cheap tests that guard the extraction rules give the answers of the rules they guard.

Each shortcut on the plain-text hot path (issue 17) is checked against the plain form it
replaces, written out here independently: a prefilter that says "cannot match" must never be
wrong, and a fast path must return what the slow path returns.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.extract import captions, dates, outlets
from archive.extract.dates import DateFound
from archive.extract.lines import Line, split_lines
from archive.text.normalize import _folded, body_text

# every character str.isspace accepts, and a few that look like spaces but are not
_SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) + "\u200b\u2060\ufeff"
_TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(_SPACES), max_size=60)

_DATE_TOKENS = (
    *dates._MONTH_NAMES,
    *(f"{y}" for y in (1899, 1900, 1999, 2000, 2021, 2099, 2100)),
    *"0123456789",
    "mon", "monday", "tue", "wed", "thursday", "sat", "sun",
    "st", "nd", "th", "of", "de", "t", "z", "am", "pm", "gmt", "utc",
    " ", "  ", "\t", "\xa0", "-", "/", ".", ",", ":", "_", "é", "x", "published",
)  # fmt: skip
_NOISE = st.lists(st.sampled_from(_DATE_TOKENS), max_size=4).map("".join)
_SEP = st.sampled_from([" ", ", ", ".", "-", "/", "", "  ", "\t", "x"])
_DAYS = st.sampled_from(["3", "03", "3rd", "31", "41", "12", "13"])
_MONTHS = st.sampled_from([*dates._MONTH_NAMES, "marc", "mayo1", "03", "13"])
_YEARS = st.sampled_from(["2021", "1999", "1899", "20211", "21"])
_WEEKDAY = st.sampled_from(["", "", "monday ", "wed, ", "sun. ", "fri"])


def _date_shape(pre, weekday, a, sep, b, sep2, c, post):
    return f"{pre}{weekday}{a}{sep}{b}{sep if sep2 is None else sep2}{c}{post}"


def _shapes(first, second, third):
    return st.builds(
        _date_shape, _NOISE, _WEEKDAY, first, _SEP, second, st.none() | _SEP, third, _NOISE
    )


# dates in each form's order (day month year, month day year, year month day, numeric) and
# near misses: wrong fields, one separator or two, noise around
_DATE_SHAPES = st.one_of(
    _shapes(_DAYS, _MONTHS, _YEARS),
    _shapes(_MONTHS, _DAYS, _YEARS),
    _shapes(_YEARS, _MONTHS, _DAYS),
    _shapes(_DAYS, _DAYS, _YEARS),
)
_DATE_LINES = _DATE_SHAPES | st.lists(st.sampled_from(_DATE_TOKENS), max_size=14).map("".join)
# short lines of a few letters, stops and every kind of space: what the folding shortcut tests
_SPACED = st.text(alphabet="ab.\u00e9 \t\n\xa0\u3000\x1c\u200b", max_size=20) | st.text(
    alphabet="ab. ", max_size=12
)


def _folded_reference(paragraph: str) -> str:
    return " ".join(paragraph.split())


def _body_reference(paragraphs: list[str]) -> str:
    kept = (
        " ".join(unicodedata.normalize("NFC", p.replace("\xad", "")).split()) for p in paragraphs
    )
    return "\n\n".join(p for p in kept if p)


def _split_reference(text: str) -> tuple[tuple[int, int, str, int, int, int], ...]:
    out = []
    offset = block = 0
    blank = False
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            block += bool(blank and out)
            blank = False
            indent = len(raw) - len(raw.lstrip())
            start = offset + indent
            out.append((start, start + len(stripped), stripped, block, len(out), indent))
        else:
            blank = True
        offset += len(raw) + 1
    return tuple(out)


@given(_TEXT | _SPACED)
@settings(max_examples=400)
def test_folding_shortcut_folds_as_split_and_join(paragraph):
    assert _folded(paragraph) == _folded_reference(paragraph)


def test_folding_shortcut_keeps_a_clean_line_and_folds_the_rest():
    assert _folded("The ferry resumed.") == "The ferry resumed."
    assert _folded("The  ferry\u2003resumed.\u3000") == "The ferry resumed."
    assert _folded("The ferry\nresumed.") == "The ferry resumed."
    assert _folded("\x1cThe ferry") == "The ferry"  # a control that str.isspace counts


@given(
    st.lists(_TEXT | st.sampled_from(["Kiess\xadling", "Cafe\u0301", "a\xad\u0301"]), max_size=5)
)
def test_body_text_matches_the_plain_definition(paragraphs):
    assert body_text(paragraphs) == _body_reference(paragraphs)


@given(st.lists(_TEXT | st.sampled_from(["", "  ", "\t", "x"]), max_size=8).map("\n".join))
def test_split_lines_matches_the_plain_definition(text):
    lines = split_lines(text)
    assert tuple(tuple(ln) for ln in lines) == _split_reference(text)
    assert all(type(ln) is Line and text[ln.start : ln.end] == ln.text for ln in lines)


@given(_DATE_LINES | _TEXT)
@settings(max_examples=500)
def test_a_date_form_said_impossible_does_not_match(line):
    low = line.lower()
    if len(low) != len(line):
        return  # matched in place, without the shortcut
    named = not dates._MONTH_NAMES.keys().isdisjoint(dates._WORDS.findall(low))
    for rule, pattern in dates._DATE_FORMS:
        if dates._YEARISH.search(line) is None or not dates._may_hold(rule, low, named):
            assert pattern.search(low) is None, (rule, line)


def test_the_date_shortcuts_still_read_each_form():
    assert dates.dateline("Published 3 March 2021 09:15 GMT")[0][0].rule == "date:dmy"
    assert dates.dateline("March 3, 2021")[0][0].rule == "date:mdy"
    assert dates.dateline("2021-03-03")[0][0].rule == "date:iso"
    assert dates.dateline("15/03/2021")[0][0].rule == "date:numeric"
    assert dates.dateline("3 killed in harbour fire") == ((), ())
    for month in dates._MONTH_NAMES:  # each name the month-word shortcut must let through
        assert dates.dateline(f"3 {month.title()} 2021")[0], month
        assert dates.dateline(f"{month}. 3, 2021")[0], month


_CAPTION_TOKENS = ("Ada", "Quill", "Harbour", "Press", "/", ".", "!", "?", " ", "\t", "ab", "”")


@given(st.lists(st.sampled_from(_CAPTION_TOKENS), max_size=12).map("".join) | _TEXT)
@settings(max_examples=400)
def test_a_credit_after_a_stop_needs_a_stop_then_a_space(line):
    if captions._STOP_THEN_SPACE.search(line) is None:
        assert captions._AFTER_STOP.search(line) is None


def test_caption_credit_after_a_stop_is_still_found():
    line = "Boats wait before dawn on Friday. Kaja Lunde / Meridian Press"
    assert captions.caption_rule(line) == "caption:credit-after-stop"


@given(
    st.lists(
        st.sampled_from(["Support", "The Harbour Courier", "Copyright 2024", "©", "keeps", "open"])
        | _TEXT,
        max_size=6,
    ).map(" ".join)
)
def test_cached_self_references_are_the_uncached_ones(line):
    first = outlets.self_references(line)
    assert first == outlets._self_references(line)
    first.append(("Intruder", "rule", 0, 0))  # the caller's list is its own
    assert outlets.self_references(line) == outlets._self_references(line)


@given(st.integers(-50, 50), st.integers(0, 40), st.integers(0, 40))
def test_a_shifted_date_is_the_replaced_one(offset, start, length):
    found = DateFound(
        datetime(2021, 3, 3, tzinfo=UTC), "day", "published", start, start + length,
        "date:dmy", ("date-time-without-zone",), 60,
    )  # fmt: skip
    shifted = replace(found, start=found.start + offset, end=found.end + offset)
    assert found.shifted(offset) == shifted
