"""The cheap tests that guard the extraction rules give the answers of the rules they guard.

Each shortcut on the plain-text hot path (issue 17) is checked against the plain form it
replaces, written out here independently: a prefilter that says "cannot match" must never be
wrong, and a fast path must return what the slow path returns.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.extract import captions, dates, furniture, header, outlets, spans
from archive.extract.dates import DateFound
from archive.extract.lines import Line, split_lines
from archive.text.decode import NotText, decode_bytes
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


@pytest.mark.parametrize(
    "line",
    [
        "Boats wait before dawn on Friday. Kaja Lunde / Meridian Press",
        "Residents wade through the square in 2019, when the barrier failed. Photo: Tom Reed",
        "The old pier at low tide. Photograph: Ines Qadri/Vell Coast Agency",
    ],
)
def test_caption_credit_after_a_stop_is_still_found(line):
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


def _fixture_texts() -> list[str]:
    """The test and example captures and 300 fictional ones."""
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("fiction", root / "benchmarks" / "fiction.py")
    fiction = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fiction", fiction)  # its dataclasses look their module up
    spec.loader.exec_module(fiction)
    with tempfile.TemporaryDirectory() as tmp:
        fiction.generate_text_corpus(Path(tmp), 300, seed=7)
        paths = [*root.glob("tests/**/*.txt"), *root.glob("examples/**/*.txt")]
        paths += sorted(p for p in Path(tmp).rglob("*.txt"))
        texts = []
        for path in paths:
            try:
                texts.append(decode_bytes(path.read_bytes()).text)
            except NotText:
                continue  # the fixtures that test refusals
    return texts


_TEXTS = _fixture_texts()
_LINES = sorted({ln.text for text in _TEXTS for ln in split_lines(text)})
_NOT_AUTHORS = ((), ("Tarn Gazette", "Meridian Press"))
_HEADER_TOKENS = (
    "By", "by", "BY", "von ", "Par ", "di ", "Ada", "Quill", "de", "van", "St.", "Harbour",
    "Press", "and", ",", "|", " ", "  ", ".", "Published", "3", "2021", "March", "yesterday",
    "Monday", "ago", "ictured", "Pictured:", "(", ")", "/", "Photo", "Images", "”", "?", "©",
)  # fmt: skip
_HEADER_LINES = st.lists(st.sampled_from(_HEADER_TOKENS), min_size=1, max_size=12).map("".join)


def test_the_fixture_lines_are_many_and_varied():
    assert len(_LINES) > 5000
    assert any(captions.caption_rule(t) for t in _LINES)
    assert any(header.byline(t) for t in _LINES)
    assert any(header.bare_byline(t) for t in _LINES)


def _words_reference(low: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z©]+", low))


@given(_TEXT | _HEADER_LINES)
@settings(max_examples=400)
def test_line_words_are_the_regex_words(line):
    low = line.lower()
    assert furniture.line_words(low) == _words_reference(low)


def test_line_words_of_every_fixture_line_are_the_regex_words():
    for line in _LINES:
        assert furniture.line_words(line.lower()) == _words_reference(line.lower()), line


def _skips_caption(line: str) -> bool:
    """The test ``spans._single_line_rules`` makes before it asks ``caption_rule``."""
    return (
        line[-1] in captions.STORY_ENDS
        and "ictured" not in line
        and not line.endswith(captions.CAPTION_STOPS)
    )


@given(_TEXT.filter(bool) | _HEADER_LINES)
@settings(max_examples=400)
def test_a_line_the_caption_shortcut_skips_is_no_caption(line):
    if _skips_caption(line):
        assert captions.caption_rule(line) is None


def test_every_fixture_caption_passes_the_caption_shortcut():
    matched = [line for line in _LINES if captions.caption_rule(line)]
    assert matched
    assert not [line for line in matched if _skips_caption(line)]


def test_single_line_rules_class_each_fixture_line_as_the_unguarded_rules():
    for text in _TEXTS:
        lines = split_lines(text)
        anchored = furniture.anchored_lines(text, [ln.start for ln in lines])
        lay = spans.Layout([None] * len(lines), [None] * len(lines))
        spans._single_line_rules(lines, lay, anchored)
        for i, ln in enumerate(lines):
            checked = len(ln.text) <= furniture.SHORT_LINE or i in anchored
            found = spans._line_class.__wrapped__(ln.text, checked)
            if found is not None:
                assert (lay.kinds[i], lay.rules[i]) == found, ln.text
            else:  # or classed by its neighbours, after the single-line rules
                assert lay.rules[i] in (None, "share:bar-item", "caption:repeated"), ln.text


def _check_header_readers(line: str) -> None:
    for names in _NOT_AUTHORS:
        assert spans._byline(line, names) == header.byline(line, names), line
        assert spans._bare_byline(line, names) == header.bare_byline(line, names), line


@given(_TEXT.filter(bool) | _HEADER_LINES)
@settings(max_examples=400)
def test_the_guarded_header_readers_read_as_the_plain_ones(line):
    _check_header_readers(line)


def test_the_guarded_header_readers_read_every_fixture_line_as_the_plain_ones():
    for line in _LINES:
        _check_header_readers(line)


def _digitless_reading(line: str) -> tuple[tuple, tuple]:
    relative = dates.relative_only(line)
    return (), (relative,) if relative else ()


@given(_TEXT | _HEADER_LINES | _DATE_LINES)
@settings(max_examples=400)
def test_a_line_without_a_digit_is_at_most_a_relative_dateline(line):
    if not re.search(r"\d", line):
        assert dates.dateline(line) == _digitless_reading(line)


def test_no_fixture_line_without_a_digit_is_a_dated_dateline():
    for line in _LINES:
        if not re.search(r"\d", line):
            assert dates.dateline(line) == _digitless_reading(line), line


def test_a_long_story_shaped_caption_is_still_classed():
    pictured = "Pictured: the harbour master and the ferry crew on the quay at Tarn Island today."
    credited = (
        "The ferry crew wait on the quay at Tarn Island as the storm passes (Ada Quill/Tarn Photo)."
    )
    text = f"Harbour ferry returns\n\n{pictured}\n{credited}\n\nThe ferry resumed service."
    lines = split_lines(text)
    assert min(len(pictured), len(credited)) > furniture.SHORT_LINE
    lay = spans.Layout([None] * len(lines), [None] * len(lines))
    spans._single_line_rules(lines, lay, set())
    assert lay.rules[1:3] == ["caption:pictured", "caption:credit-slash"]
