"""The one bounded reader of release Parquet (``parquetio.iter_batches``, ``group_rows``) and the
counts verify and the summary share (``format/counts.py``).

Expected rows come from pyarrow's own whole-file reads, expected counts from plain Python over
the rows; neither goes through the code under test."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from unittest.mock import patch

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.format import parquetio
from archive.format.counts import UNKNOWN_COLUMNS, unknown_counts, value_counts
from archive.format.parquetio import batch_rows, group_rows, iter_batches

MIB = 1024 * 1024


def wide_file(tmp_path: Path, rows: int = 1500, width: int = 10_000) -> Path:
    """``rows`` rows of an id and a ``width``-character text (not a dictionary column), written
    as a release shard is, in one row group."""
    rng = random.Random(rows)
    texts = [rng.randbytes(width // 2).hex() for _ in range(rows)]
    table = pa.table({"record_id": [f"{i:032x}" for i in range(rows)], "body": texts})
    path = tmp_path / "wide.parquet"
    parquetio.write_parquet(table, path)
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    return path


def test_a_batch_holds_about_4_mib_of_the_columns_read(tmp_path):
    path = wide_file(tmp_path)
    batches = list(iter_batches(path))
    assert pa.Table.from_batches(batches).equals(pq.read_table(path))
    assert len(batches) >= 3  # 15 MB of text: never one row group's worth at once
    for batch in batches:
        assert batch.nbytes <= 4.2 * MIB
    assert all(b.nbytes >= 3.5 * MIB for b in batches[:-1])
    # The ids alone are narrow: the whole file is one batch.
    ids = list(iter_batches(path, ["record_id"]))
    assert [b.num_rows for b in ids] == [1500]
    assert ids[0].schema.names == ["record_id"]


def test_the_row_count_is_sized_from_the_selected_leaves_of_a_nested_column(tmp_path):
    small = [{"name": f"n{i}", "blob": "x" * 5_000} for i in range(400)]
    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"s": small}), path, use_dictionary=False)
    metadata = pq.ParquetFile(path).metadata
    assert batch_rows(metadata, ["s.name"]) == 65_536  # a few bytes a row: the cap
    whole = batch_rows(metadata, ["s"])
    assert whole == batch_rows(metadata) < 1_000  # the blob counts
    assert 4 * MIB // 5_100 <= whole <= 4 * MIB // 5_000
    names = pa.Table.from_batches(list(iter_batches(path, ["s.name"])))
    assert names.column("s").to_pylist() == [{"name": f"n{i}"} for i in range(400)]


def test_an_open_file_and_row_groups_are_read_as_the_path_is(tmp_path):
    table = pa.table({"n": list(range(50_000)), "t": [f"row {i}" for i in range(50_000)]})
    path = tmp_path / "groups.parquet"
    pq.write_table(table, path, row_group_size=20_000)
    parquet = pq.ParquetFile(path)
    assert parquet.num_row_groups == 3
    read = pa.Table.from_batches(list(iter_batches(parquet, ["n"], row_groups=[2, 0])))
    expected = pa.concat_tables([parquet.read_row_group(g, columns=["n"]) for g in (2, 0)])
    assert read.equals(expected)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 30), min_size=1, max_size=4),
    budget=st.integers(1, 400),
    data=st.data(),
)
def test_batches_of_any_size_give_every_row_once_in_order(tmp_path_factory, sizes, budget, data):
    path = tmp_path_factory.mktemp("any") / "f.parquet"
    rows = [{"n": i, "t": "w" * (i % 7)} for i in range(sum(sizes))]
    with pq.ParquetWriter(path, pa.schema([("n", pa.int64()), ("t", pa.string())])) as writer:
        at = 0
        for size in sizes:
            writer.write_table(pa.Table.from_pylist(rows[at : at + size], writer.schema))
            at += size
    parquet = pq.ParquetFile(path)
    groups = data.draw(st.none() | st.lists(st.sampled_from(range(parquet.num_row_groups))))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquetio, "BATCH_BYTES", budget)
        read = [row for b in iter_batches(path, row_groups=groups) for row in b.to_pylist()]
    expected = (
        pq.read_table(path)
        if groups is None
        else pa.concat_tables([parquet.read_row_group(g) for g in groups])
        if groups
        else pq.read_table(path).slice(0, 0)
    )
    assert read == expected.to_pylist()


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_group_rows_are_the_row_groups_rows_taken(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("take") / "f.parquet"
    table = pa.table({"n": list(range(3_000)), "t": [f"text {i} " * (i % 9) for i in range(3_000)]})
    pq.write_table(table, path, row_group_size=1_000)
    parquet = pq.ParquetFile(path)
    group = data.draw(st.integers(0, 2))
    offsets = data.draw(st.lists(st.integers(0, 999), min_size=1, max_size=50))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquetio, "BATCH_BYTES", data.draw(st.integers(1, 20_000)))
        taken = group_rows(parquet, group, offsets)
    assert taken.to_pylist() == parquet.read_row_group(group).take(offsets).to_pylist()


@pytest.mark.parametrize("offsets", [[3, 1_000, -1], [-2, 5], [999, 1_500]])
def test_an_offset_outside_the_row_group_is_refused_as_arrow_refuses_it(tmp_path, offsets):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"n": list(range(3_000))}), path, row_group_size=1_000)
    parquet = pq.ParquetFile(path)
    with pytest.raises(IndexError) as arrow:
        parquet.read_row_group(1).take(offsets)
    with pytest.raises(IndexError) as ours:
        group_rows(parquet, 1, offsets)
    assert str(ours.value) == str(arrow.value)


# --- counts ------------------------------------------------------------------------------------


ROW = st.fixed_dictionaries(
    {
        "outlet": st.none() | st.sampled_from(["Harbour Post", "Fen Gazette"]),
        "published_at": st.none() | st.just(1_700_000_000_000_000),
        "title": st.none() | st.text(max_size=5),
        "authors": st.none() | st.lists(st.sampled_from(["A. Reed", "B. Moss"]), max_size=2),
        "language": st.none() | st.sampled_from(["en", "fr", "de"]),
    }
)
SCHEMA = pa.schema(
    [
        ("outlet", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("title", pa.string()),
        ("authors", pa.list_(pa.string())),
        ("language", pa.string()),
    ]
)


@given(st.lists(ROW, max_size=40))
def test_unknown_counts_are_the_nulls_and_the_empty_author_lists(rows):
    batch = pa.RecordBatch.from_pylist(rows, SCHEMA)
    expected = {
        name: sum(
            1 for r in rows if (r[column] == [] if column == "authors" else r[column] is None)
        )
        for name, column in UNKNOWN_COLUMNS.items()
    }
    assert unknown_counts(batch) == expected
    assert unknown_counts(pa.Table.from_batches([batch, batch])) == {
        k: 2 * v for k, v in expected.items()
    }


@given(st.lists(st.none() | st.sampled_from(["en", "fr", "de"]), max_size=40))
def test_value_counts_count_every_value_but_null(values):
    counted = value_counts(pa.array(values, pa.string()))
    assert counted == dict(Counter(v for v in values if v is not None))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.text(max_size=3), st.integers(0, 9)), max_size=90), max_size=6),
    st.integers(1, 60),
    st.sampled_from([1, 20, 1 << 16]),
)
def test_merged_rows_are_every_row_in_order_whatever_is_held(
    tmp_path_factory, files, per_batch, held
):
    """Files each sorted, written in batches of ``per_batch`` rows, merged holding ``held`` rows
    as Python values over all of them (at least 16 a file)."""
    folder = tmp_path_factory.mktemp("merge")
    paths = []
    for n, unsorted in enumerate(files):
        kept = sorted(unsorted)
        table = pa.table({"key": [r[0] for r in kept], "n": [r[1] for r in kept]},
                         schema=pa.schema([("key", pa.string()), ("n", pa.int64())]))  # fmt: skip
        paths.append(folder / f"{n}.arrow")
        parquetio.write_ipc(table, paths[-1], per_batch)
    with patch.object(parquetio, "_MERGE_HELD_ROWS", held):
        merged = list(parquetio.merged_rows(paths, ["key", "n"]))
    assert merged == sorted(row for kept in files for row in kept)
