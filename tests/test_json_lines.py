"""``boundedjson.json_lines``: the one reader of JSON Lines that verify and validate share."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from archive.format.boundedjson import json_lines

_SCALARS = st.none() | st.booleans() | st.integers() | st.text()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.lists(_VALUES, max_size=20), st.booleans())
def test_every_json_value_comes_back_on_its_line(values, ascii_only):
    text = "".join(json.dumps(v, ensure_ascii=ascii_only) + "\n" for v in values)
    read = list(json_lines(io.BytesIO(text.encode())))
    assert read == [(i, v, "") for i, v in enumerate(values, start=1)]


_LINES = st.binary(max_size=40) | _VALUES.map(lambda v: json.dumps(v, ensure_ascii=False).encode())


@given(st.lists(_LINES.map(lambda b: b.replace(b"\n", b"")), max_size=20))
def test_any_bytes_give_one_answer_a_line_and_no_error(lines):
    data = b"".join(line + b"\n" for line in lines)
    read = list(json_lines(io.BytesIO(data), limit=16))
    assert [number for number, _, _ in read] == list(range(1, len(lines) + 1))
    for (_, value, why), line in zip(read, lines, strict=True):
        if len(line) + 1 > 16:
            assert why == "longer than 16 bytes, the most read of a line"
        elif not line.strip():
            assert why.startswith("not JSON")  # JSON Lines has no blank lines
        else:
            try:  # what the json module makes of the line, and whether it is text
                expected = json.loads(line.decode("utf-8"))
                json.dumps(expected, ensure_ascii=False).encode("utf-8")
            except ValueError:  # not UTF-8, not JSON, or a lone surrogate
                assert why and value is None
            else:  # compared as JSON: NaN is not equal to itself
                assert (json.dumps(value), why) == (json.dumps(expected), "")


def test_a_long_line_is_read_past_and_the_next_ones_are_read():
    data = b'{"a": 1}\n' + b"[" + b"1," * 100 + b"1]\n" + b'{"b": 2}' + b"\n\xff\n" + b"[]"
    assert list(json_lines(io.BytesIO(data), limit=50)) == [
        (1, {"a": 1}, ""),
        (2, None, "longer than 50 bytes, the most read of a line"),
        (3, {"b": 2}, ""),
        (
            4,
            None,
            "not UTF-8 ('utf-8' codec can't decode byte 0xff in position 0: invalid start byte)",
        ),
        (5, [], ""),  # the last line needs no newline
    ]


def test_the_bound_counts_the_newline_and_the_last_line_needs_none():
    line = b'"' + b"x" * 13 + b'"'  # 15 bytes
    assert [why for _, _, why in json_lines(io.BytesIO(line + b"\n"), limit=16)] == [""]
    assert [why for _, _, why in json_lines(io.BytesIO(line + b"\n"), limit=15)] == [
        "longer than 15 bytes, the most read of a line"
    ]
    assert [why for _, _, why in json_lines(io.BytesIO(line), limit=15)] == [""]
    assert [why for _, _, why in json_lines(io.BytesIO(line + b" "), limit=15)] == [
        "longer than 15 bytes, the most read of a line"
    ]


def test_blank_lines_are_not_json_unless_skipped():
    data = b'{"a": 1}\r\n\n  \r\n[2]'
    assert list(json_lines(io.BytesIO(data), skip_blank=True)) == [(1, {"a": 1}, ""), (4, [2], "")]
    blank = "not JSON (Expecting value: line 1 column 1 (char 0))"  # the line's own position
    assert list(json_lines(io.BytesIO(data))) == [
        (1, {"a": 1}, ""),
        (2, None, blank),
        (3, None, "not JSON (Expecting value: line 1 column 3 (char 2))"),
        (4, [2], ""),
    ]
