"""The pack's array fold of furniture contributions learns what ``FurnitureCounter`` learns."""

from __future__ import annotations

from unittest.mock import patch

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.extract import FurnitureCounter, learned
from archive.extract.learned import learned_of_contributions
from archive.release.stages import CONTRIBUTION_SCHEMA

# Few buckets, documents and keys, so that keys recur, are shared and fill the bottom-k sets;
# keys across the whole 64-bit range and near its top, so that the threshold halves.
_KEYS = st.one_of(st.integers(0, 5), st.integers(2**64 - 40, 2**64 - 1), st.integers(0, 2**64 - 1))
_CONTRIBUTION = st.tuples(
    st.sampled_from(["", "Tarn Gazette", "Harbour Courier"]),
    st.integers(0, 500),
    st.lists(_KEYS, max_size=8, unique=True).map(sorted),
)


def table(rows: list[tuple[str, int, list[int]]]) -> pa.Table:
    columns = {
        "record_id": [f"{n:032x}" for n in range(len(rows))],
        "bucket": [r[0] for r in rows],
        "doc": [r[1] for r in rows],
        "keys": [r[2] for r in rows],
    }
    return pa.table(columns, schema=CONTRIBUTION_SCHEMA)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_CONTRIBUTION, max_size=200),
    st.integers(1, 30),
    st.integers(2, 32),
    st.integers(1, 4),
    st.sampled_from([3, 40, learned._FOLD_ROWS]),
)
def test_the_fold_learns_what_the_counter_learns(rows, capacity, min_docs, parts, fold_rows):
    """Whether the pairs are folded in at once or a few at a time (``fold_rows``)."""
    counter = FurnitureCounter(capacity=capacity)
    for bucket, doc, keys in rows:
        counter.add_contribution(bucket, doc, tuple(keys))
    expected = counter.learned(min_docs=min_docs)
    tables = [table(rows[k::parts]) for k in range(parts)]
    with patch.object(learned, "_FOLD_ROWS", fold_rows):
        found = learned_of_contributions(tables, capacity=capacity, min_docs=min_docs)
    assert found == expected


@pytest.mark.parametrize("fold_rows", [3, learned._FOLD_ROWS])
@pytest.mark.parametrize("parts", [1, 4])
def test_a_key_of_one_outlet_in_enough_stories_is_learned_and_a_shared_one_is_not(parts, fold_rows):
    """In one table or four, folded at once or a few pairs at a time."""
    rows = [("Tarn Gazette", doc, [7, 9]) for doc in range(12)]
    rows += [("Tarn Gazette", 100, [9]), ("Harbour Courier", 101, [9])]  # 9 is shared
    rows += [("Tarn Gazette", 5, [7])]  # a re-capture of story 5: counted once
    rows += [("Harbour Courier", doc, [3]) for doc in range(200, 240)]  # 32 are remembered
    tables = [table(rows[k::parts]) for k in range(parts)]
    with patch.object(learned, "_FOLD_ROWS", fold_rows):
        found = learned_of_contributions(tables, min_docs=10)
    assert found.entries == (("Harbour Courier", 3, 32), ("Tarn Gazette", 7, 12))
