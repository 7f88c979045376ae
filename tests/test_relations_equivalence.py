"""The numpy passes of the relations stages against the per-text code they replace."""

import re

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.relations.text import (
    Vocabulary,
    _ascii_word,
    _quoted_spans,
    quoted_ranges,
)

# Quotation marks of every kind, either side of words, apostrophes inside them, paragraph
# breaks (also at a text's edge, next to another text's), other scripts.
_PIECES = st.sampled_from(
    [*"ab9_é \n.,'’\"“”«»‘„", "\n\n", " “", "” ", "'s", "𝟘", "\u2028", "\t", ' "', '" ']
)
_TEXTS = st.lists(st.lists(_PIECES, max_size=60).map("".join), max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_quoted_spans_are_the_quoted_ranges_of_each_text(texts):
    lengths = np.array([len(text) for text in texts], dtype=np.int64)
    points = np.frombuffer("".join(texts).encode("utf-32-le"), np.uint32)
    owner, index, spans = _quoted_spans(points, np.concatenate(([0], np.cumsum(lengths))))
    got: list[list[tuple[int, int]]] = [[] for _ in texts]
    for text, at, (start, end) in zip(owner.tolist(), index.tolist(), spans.tolist(), strict=True):
        assert at == len(got[text])
        got[text].append((start, end))
    assert got == [quoted_ranges(text) for text in texts]


def test_ascii_word_bytes_are_the_table_of_python_word_characters():
    every = np.arange(256, dtype=np.uint8)
    table = [c < 0x80 and re.match(r"\w", chr(c)) is not None for c in range(256)]
    assert np.array_equal(_ascii_word(every), np.array(table))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_id_lists_are_the_ids_of_the_views(texts):
    one, other = Vocabulary(), Vocabulary()
    views = one.views(pa.array(texts, pa.string()))
    lists = other.id_lists(pa.array(texts, pa.string()))
    assert len(views) == len(lists)
    for view, (raw, sep) in zip(views, lists, strict=True):
        assert view.raw.dtype == raw.dtype and np.array_equal(view.raw, raw)
        assert view.sep.dtype == sep.dtype and np.array_equal(view.sep, sep)
    assert (one._raw, one._seps, one.words) == (other._raw, other._seps, other.words)
