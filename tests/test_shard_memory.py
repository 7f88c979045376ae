"""Issue 17: the shard stages hold a slice of a shard, not the shard, and give the same bytes.

A shard of web pages is several times its compressed input; gather, finalize and write read
its work files mapped, a slice at a time, and shed what they read (``mapped_ipc``); a release
file is written a row group at a time; gather takes a column at a time and hands the furniture
learner bounded slices of text. None of it may change a byte of the release.
"""

from __future__ import annotations

import collections
import errno
import functools
import hashlib
import mmap
import random
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
import warcdata
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.cli import main
from archive.format import parquetio
from archive.format.parquetio import (
    WRITER_OPTIONS,
    mapped_ipc,
    read_ipc,
    row_group_rows,
    rows_at,
    rows_in_runs,
    rows_kept,
    write_parquet,
)
from archive.release import stages

MIB = 1 << 20
INTS = pa.list_(pa.int64())


def _rss_file_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssFile:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no RssFile in /proc/self/status")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_shed_drops_the_pages_read_of_a_mapped_work_file(tmp_path):
    path = tmp_path / "work.arrow"
    rows = [f"{n:08d}" + "w" * (64 * 1024) for n in range(512)]  # 32 MiB of text
    table = pa.table({"text": rows})
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    del table, rows
    mapped, shed = mapped_ipc(path)
    before = _rss_file_mib()
    assert pc.sum(pc.utf8_length(mapped["text"])).as_py() == 512 * (8 + 64 * 1024)  # reads it
    assert _rss_file_mib() - before > 24
    shed()
    assert _rss_file_mib() - before < 8
    # What was shed is read again when used.
    assert mapped.equals(read_ipc(path))


def test_a_work_file_that_cannot_be_mapped_for_want_of_files_is_read_as_before(
    tmp_path, monkeypatch
):
    path = tmp_path / "work.arrow"
    table = pa.table({"text": ["quay", None, "ferry"]})
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)

    tried = []

    class NoFilesLeft(mmap.mmap):
        def __new__(cls, *args, **kwargs):
            tried.append(1)
            raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(parquetio.mmap, "mmap", NoFilesLeft)
    read, shed = mapped_ipc(path)
    shed()
    assert tried == [1] and read.equals(table)


def _chunked(values: pa.Array, every: int) -> pa.ChunkedArray:
    return pa.chunked_array([values.slice(at, every) for at in range(0, len(values), every)])


def test_a_release_file_written_a_row_group_at_a_time_is_the_whole_table_written_at_once(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(parquetio, "ROW_GROUP_BYTES", MIB)  # row groups of a few hundred rows
    rng = random.Random(17)
    n = 2500
    words = ["harbour", "ferry", "quay", "é", "council"]
    texts = pa.array(
        [" ".join(rng.choices(words, k=rng.randint(0, 1000))) if rng.random() > 0.1 else None
         for _ in range(n)]
    )  # fmt: skip
    outlets = pa.array([rng.choice(["Quillwire", "Ledger", None]) for _ in range(n)])
    flags = pa.array([rng.sample(["a", "b", "c"], rng.randint(0, 2)) for _ in range(n)])
    # As write_shard hands it over: batches of a work file, and columns rebuilt whole.
    table = pa.table(
        {"text": _chunked(texts, 700), "outlet": _chunked(outlets, 700), "flags": flags}
    )
    assert 1 < row_group_rows(table) < n  # more than one row group, cut across the batches
    options = dict(WRITER_OPTIONS, use_dictionary=["outlet"])
    expected = tmp_path / "expected.parquet"
    with pq.ParquetWriter(str(expected), table.schema, **options) as writer:
        writer.write_table(table, row_group_size=row_group_rows(table))
    written = tmp_path / "written.parquet"
    groups = []
    write_parquet(table, written, lambda: groups.append(1))
    assert written.read_bytes() == expected.read_bytes()
    assert len(groups) == pq.ParquetFile(written).num_row_groups > 1


def _release_digests(release: Path) -> dict[str, str]:
    return {
        path.relative_to(release).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(release.rglob("*"))
        if path.is_file()
    }


def _pack_warcs(warcs: Path, out: Path) -> dict[str, str]:
    result = CliRunner().invoke(
        main,
        ["pack", str(warcs), "--out", str(out), "--name", "warcset", "--version", "1.0.0",
         "--created", "2026-01-01T00:00:00Z", "--shards", "2", "--jobs", "1", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return _release_digests(Path(result.stdout.strip()))


def test_gather_in_the_smallest_slices_gives_the_same_release(tmp_path, monkeypatch):
    warcs = tmp_path / "warcs"
    warcs.mkdir()
    specs = warcdata.fixture_specs()
    warcdata.write_warc(warcs / "a.warc.gz", specs, gz=True)
    warcdata.write_warc(warcs / "b.warc", specs[:4], gz=False)
    expected = _pack_warcs(warcs, tmp_path / "whole")
    shed = []
    mapped = stages.mapped_ipc

    def counted(path):
        table, drop = mapped(path)
        return table, lambda: shed.append(drop())

    # One row of text at a time to the furniture learner; every read of a fragment shed.
    monkeypatch.setattr(stages, "_SLICE_TEXT", 1)
    monkeypatch.setattr(stages, "mapped_ipc", counted)
    assert _pack_warcs(warcs, tmp_path / "sliced") == expected
    assert shed  # the shard stages read their work files through the shedding path


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, table.schema) as writer:
        for batch in table.to_batches():
            writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def _fragments(rng: random.Random, most: int = 9) -> pa.Table:
    """A shard's rows as a table of up to ``most`` fragments of random rows (a chunk each)."""
    span = pa.struct([("start", pa.int64()), ("kind", pa.string())])
    schema = pa.schema(
        [("record_id", pa.string()), ("text", pa.string()),
         ("at", pa.timestamp("us", "UTC")), ("spans", pa.list_(span))]
    )  # fmt: skip

    def fragment(n: int) -> pa.Table:
        return pa.table(
            {
                "record_id": [f"{rng.getrandbits(64):016x}" for _ in range(n)],
                "text": [rng.choice([None, "", "a" * rng.randint(1, 300)]) for _ in range(n)],
                "at": pa.array([rng.choice([None, 10**15]) for _ in range(n)],
                               pa.timestamp("us", "UTC")),
                "spans": pa.array([[{"start": k, "kind": rng.choice(["body", None])}
                                    for k in range(rng.randint(0, 3))] or None
                                   for _ in range(n)], pa.list_(span)),
            },
            schema=schema,
        )  # fmt: skip

    return pa.concat_tables([fragment(rng.randint(0, 40)) for _ in range(rng.randint(1, most))])


# none of the columns joined, the smallest ones, all of them; all but the columns over a bound
@pytest.mark.parametrize("joined_bytes", [0, 2_000, 1 << 40, "column"])
@pytest.mark.parametrize("seed", range(5))
def test_rows_taken_from_joined_columns_are_the_rows_taken_whole(seed, joined_bytes, monkeypatch):
    table = _fragments(random.Random(seed), most=60)
    sizes = stages.column_sizes(table)
    column_bound = sorted(sizes)[-2] if joined_bytes == "column" else 1 << 40
    joined_bytes = 1 << 40 if joined_bytes == "column" else joined_bytes
    monkeypatch.setattr(stages, "_JOINED_BYTES", joined_bytes)
    monkeypatch.setattr(stages, "_JOINED_COLUMN_BYTES", column_bound)
    joined = stages._joined_columns(table, sizes)
    assert sum(sizes[c] for c in joined) <= joined_bytes
    assert all(sizes[c] <= column_bound for c in joined)
    if joined_bytes > 1e6:
        assert len(joined) == sum(size <= column_bound for size in sizes)
    order = pc.sort_indices(table["record_id"]).to_numpy()
    for start in range(0, len(order), 25):
        indices = order[start : start + 25]
        taken = stages._rows_by_column(table, indices, lambda: None, sizes, joined)
        expected = rows_at(table, indices)
        assert taken.equals(expected)
        assert _ipc_bytes(taken) == _ipc_bytes(expected)


# every column built in place / taken twice / the smaller half taken twice, the rest in place
@pytest.mark.parametrize("twice", [0, 1 << 40, None])
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weigh", [False, True])  # the light columns shed after each fragment
def test_rows_taken_a_column_at_a_time_are_the_rows_taken_whole(seed, twice, weigh, monkeypatch):
    table = _fragments(random.Random(seed))
    order = pc.sort_indices(table["record_id"]).to_numpy()
    sizes = stages.column_sizes(table)
    if twice is None:  # a slice's share of the two smaller columns, not of the two larger
        twice = sorted(sizes)[1] * 25 / max(1, len(order))
    monkeypatch.setattr(stages, "_TAKEN_TWICE", twice)
    if weigh:
        monkeypatch.setattr(stages, "_SHED_BYTES", 1)
    fragment_starts = np.cumsum([0] + [len(b) for b in table.to_batches()])
    expected_sheds = 0
    for start in range(0, len(order), 25):
        indices = order[start : start + 25]
        share = len(indices) / len(order)
        heavy = sum(size * share > twice for size in sizes)
        taken_from = len(set(np.searchsorted(fragment_starts, indices, "right").tolist()))
        light_sheds = 1 + taken_from if weigh else 1
        expected_sheds += heavy + (light_sheds if heavy < table.num_columns else 0)
    shed = []
    for start in range(0, len(order), 25):
        indices = order[start : start + 25]
        taken = stages._rows_by_column(table, indices, lambda: shed.append(1))
        expected = rows_at(table, indices)
        assert taken.equals(expected)
        assert _ipc_bytes(taken) == _ipc_bytes(expected)
    # once a slice for its light columns (and after each fragment, weighed so), and once for
    # each heavy one
    assert len(shed) == expected_sheds
    assert len(shed) >= -(-len(order) // 25)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 40)), max_size=12),
    st.integers(0, 2**32),
)
def test_rows_taken_in_runs_are_the_rows_taken_one_by_one(chunks, runs, seed):
    """Runs of consecutive rows (as a merge of sorted tables gives), sliced across chunks of
    strings, nulls and lists, and copied once: the rows a take gives, in one chunk."""
    rng = random.Random(seed)
    parts = []
    for size in chunks:
        texts = [rng.choice([None, "", "ab", "é" * rng.randint(1, 9)]) for _ in range(size)]
        lists = [rng.choice([None, [], [rng.randint(0, 9)] * rng.randint(1, 4)]) for _ in texts]
        parts.append(pa.table({"text": pa.array(texts, pa.string()), "n": pa.array(lists, INTS)}))
    table = pa.concat_tables(parts)
    if not table.num_rows:
        assert rows_in_runs(table, np.array([], np.int64)).num_rows == 0
        return
    indices = np.array(
        [
            i
            for start, size in runs
            for i in range(
                start % table.num_rows, min(start % table.num_rows + size, table.num_rows)
            )
        ],
        np.int64,
    )
    taken = rows_in_runs(table, indices)
    expected = table.take(pa.array(indices, pa.int64())).combine_chunks()
    assert taken.equals(expected) and taken["text"].num_chunks <= 1
    with pytest.raises(IndexError):
        rows_in_runs(table, np.append(indices, table.num_rows))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=300), st.integers(1, 8), st.integers(1, 4))
def test_rows_kept_are_the_rows_a_filter_keeps(flags, stretch, chunks):
    """Kept rows in runs (``stretch`` repeats each mark, as a re-pack keeps all but a few
    rows) come as slices, scattered ones filtered: the same rows either way, of a batch and of
    a table in ``chunks`` chunks."""
    mask = [flag for flag in flags for _ in range(stretch)]
    batch = pa.record_batch(
        {"record_id": [f"{n:032x}" for n in range(len(mask))], "n": list(range(len(mask)))}
    )
    kept = pa.array(mask, pa.bool_())
    parts = rows_kept(batch, kept)
    assert pa.Table.from_batches(parts, batch.schema).equals(
        pa.Table.from_batches([batch.filter(kept)])
    )
    if all(mask) and len(mask) >= 16:
        assert _held_bytes(parts) == _held_bytes([batch])  # nothing copied
    assert _held_bytes(parts) <= 2 * _held_bytes([batch.filter(kept)]) + 256
    assert len(parts) <= 64  # the merge that follows slows with many chunks
    cut = len(mask) // chunks
    table = pa.concat_tables(
        [pa.Table.from_batches([batch.slice(k * cut, cut)]) for k in range(chunks - 1)]
        + [pa.Table.from_batches([batch.slice((chunks - 1) * cut)])]
    )
    whole = pa.concat_tables(rows_kept(table, pa.chunked_array([kept])))
    assert whole.equals(table.filter(kept))


def _held_bytes(parts: list[pa.RecordBatch]) -> int:
    """The bytes of the distinct buffers ``parts`` keep alive: a slice holds its whole batch."""
    held = {
        (buffer.address, buffer.size)
        for part in parts
        for column in part.columns
        for buffer in column.buffers()
        if buffer is not None
    }
    return sum(size for _, size in held)


def test_many_runs_of_kept_rows_are_copied_out_not_sliced():
    """100 runs of 20 kept rows, one row dropped between each (outlets whose learned
    furniture changed, scattered through a shard): one filtered part, not 100 slices."""
    batch = pa.record_batch({"record_id": [f"{n:032x}" for n in range(2100)]})
    kept = pa.array([n % 21 != 20 for n in range(2100)])
    parts = rows_kept(batch, kept)
    assert len(parts) == 1 and parts[0].num_rows == 2000
    assert parts[0].equals(batch.filter(kept))


def test_a_few_kept_rows_do_not_hold_their_whole_batch():
    """One run of 20 rows kept of 2,000 (a withdrawal, a re-pack that changed most rows): the
    rows are copied out, not sliced, so the batch they came from can go."""
    batch = pa.record_batch({"record_id": [f"{n:032x}" for n in range(2000)]})
    kept = pa.array([1000 <= n < 1020 for n in range(2000)], pa.bool_())
    parts = rows_kept(batch, kept)
    assert pa.Table.from_batches(parts).equals(pa.Table.from_batches([batch.filter(kept)]))
    assert _held_bytes(parts) < _held_bytes([batch]) // 10


def test_a_null_in_the_mask_keeps_nothing_as_in_a_filter():
    batch = pa.record_batch({"n": list(range(40))})
    kept = pa.array([None if n == 20 else True for n in range(40)], pa.bool_())
    parts = rows_kept(batch, kept)
    assert pa.Table.from_batches(parts).equals(pa.Table.from_batches([batch.filter(kept)]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=40), st.integers(1, 60))
def test_bounded_slices_are_consecutive_full_and_within_the_limit(sizes, limit):
    from archive.format.parquetio import bounded_slices

    slices = list(bounded_slices(np.array(sizes, np.int64), limit))
    assert [a for a, _ in slices] == [0, *(b for _, b in slices)][: len(slices)]
    assert (slices[-1][1] if slices else 0) == len(sizes)
    for a, b in slices:
        assert b - a == 1 or sum(sizes[a:b]) <= limit
        assert b == len(sizes) or sum(sizes[a : b + 1]) > limit  # the next row would not fit


def _pack_examples(out: Path, shards: int = 2, version: str = "1.0.0") -> dict[str, str]:
    examples = Path(__file__).resolve().parents[1] / "examples"
    result = CliRunner().invoke(
        main,
        ["pack", str(examples / "captures"), "--capture-log", str(examples / "captures.jsonl"),
         "--out", str(out), "--name", "example", "--version", version,
         "--created", "2026-01-01T00:00:00Z", "--shards", str(shards), "--jobs", "1", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return _release_digests(Path(result.stdout.strip()))


@pytest.mark.parametrize(("group", "shards"), [(1, 2), (8, 2), (2, 3)])
def test_a_shard_of_many_fragments_is_gathered_from_one_copy_with_the_same_release(
    tmp_path, monkeypatch, group, shards
):
    """Many fragments are copied into one file a shard first, by tasks that each take a group
    of shards and open each fragment once for the group (a flush's file holds a batch for
    every shard: opened once a shard, the reads grew with the square of the corpus)."""
    expected = _pack_examples(tmp_path / "few", shards)
    coalesced = []
    original = stages._coalesced

    def counted(paths, shards, outs):
        coalesced.append((len(paths), tuple(shards)))
        return original(paths, shards, outs)

    opened = collections.Counter()
    read_each = stages.rows_filed_under_each

    def opening(path, shards, schema):
        opened[path.name, path.parent.name] += 1
        return read_each(path, shards, schema)

    # A fragment every two captures, more than one fragment is too many, one row a batch.
    monkeypatch.setattr(stages, "_ShardBuffers", functools.partial(stages._ShardBuffers, limit=2))
    monkeypatch.setattr(stages, "_MAPPED_AT_ONCE", 1)
    monkeypatch.setattr(stages, "_COALESCED_BYTES", 1)
    monkeypatch.setattr(stages, "GATHER_GROUP", group)
    monkeypatch.setattr(stages, "_coalesced", counted)
    monkeypatch.setattr(stages, "rows_filed_under_each", opening)
    assert _pack_examples(tmp_path / "many", shards) == expected
    groups = stages.gather_groups(shards, 2)
    assert groups == {1: [(0,), (1,)], 8: [(0, 1)], 2: [(0, 1), (2,)]}[group]
    assert sorted(taken for _, taken in coalesced) == groups
    assert min(n for n, _ in coalesced) >= 3  # several fragments each
    fragments = [n for (name, folder), n in opened.items() if folder == "frag"]
    assert len(fragments) >= 3 and set(fragments) == {len(groups)}
    assert not list((tmp_path / "many").rglob("coalesced/*.arrow"))


def test_a_groups_copies_share_the_bytes_one_copy_held(tmp_path, monkeypatch):
    """A gathering group copies its shards' rows in one pass: each shard's rows are written
    once it holds its share of ``_COALESCED_BYTES``, not the whole (eight shards held 64 MiB
    at once, and the pack's worker 256 MiB at 1,000,000 captures)."""
    from archive.format.schema import RECORD_ARROW_SCHEMA

    rows = 10  # a piece: ten rows of each of two shards in each fragment
    table = pa.Table.from_arrays(
        [pa.nulls(2 * rows, f.type) for f in RECORD_ARROW_SCHEMA], schema=RECORD_ARROW_SCHEMA
    )
    piece = table.slice(0, rows).combine_chunks().nbytes
    paths = []
    for n in range(6):
        paths.append(tmp_path / f"{n:05d}.arrow")
        parquetio.write_ipc_by_shard(table, [0] * rows + [1] * rows, paths[-1])
    monkeypatch.setattr(stages, "_COALESCED_BYTES", 4 * piece)
    outs = [tmp_path / "0.arrow", tmp_path / "1.arrow"]
    stages._coalesced(paths, (0, 1), outs)
    for out in outs:
        with pa.memory_map(str(out)) as source:
            reader = ipc.open_file(source)
            sizes = [reader.get_batch(k).num_rows for k in range(reader.num_record_batches)]
        assert sizes == [2 * rows] * 3  # two pieces a batch: half of the four the group holds


def test_gathering_groups_cover_every_shard_once_in_order():
    assert stages.gather_groups(0, 10_000) == []
    assert stages.gather_groups(3, stages._MAPPED_AT_ONCE) == [(0,), (1,), (2,)]
    grouped = stages.gather_groups(19, stages._MAPPED_AT_ONCE + 1)
    assert grouped == [tuple(range(0, 8)), tuple(range(8, 16)), (16, 17, 18)]
    # never fewer groups than workers: eight shards on four workers, on twenty
    assert stages.gather_groups(8, 10_000, 4) == [(0, 1), (2, 3), (4, 5), (6, 7)]
    assert stages.gather_groups(8, 10_000, 20) == [(n,) for n in range(8)]


def test_a_flush_file_gives_the_rows_of_each_shard_asked_that_it_holds(tmp_path):
    table = pa.table({"n": list(range(6))})
    path = tmp_path / "flush.arrow"
    parquetio.write_ipc_by_shard(table, [1, 1, 4, 7, 7, 7], path)
    found = parquetio.rows_filed_under_each(path, (7, 2, 1), table.schema)
    assert list(found) == [7, 1]  # in the order asked; shard 2 has no batch
    assert found[7]["n"].to_pylist() == [3, 4, 5] and found[1]["n"].to_pylist() == [0, 1]
    assert parquetio.rows_filed_under_each(path, (3,), table.schema).get(3) is None


def test_a_flush_files_rows_take_the_schema_asked_for_and_no_other(tmp_path):
    """The rows come back with the schema asked for, its field metadata and its own metadata,
    not the shard list the file carries; a file of another schema is refused, not relabelled."""
    schema = pa.schema(
        [pa.field("n", pa.int64(), metadata={b"unit": b"count"})], metadata={b"of": b"test"}
    )
    path = tmp_path / "flush.arrow"
    parquetio.write_ipc_by_shard(pa.table({"n": [0, 1, 2]}, schema=schema), [0, 0, 5], path)
    found = parquetio.rows_filed_under_each(path, (5,), schema)[5]
    assert found.schema.equals(schema, check_metadata=True) and found["n"].to_pylist() == [2]
    for other in (
        pa.schema([pa.field("n", pa.int64())]),  # no field metadata
        pa.schema([pa.field("n", pa.int64(), False, metadata={b"unit": b"count"})]),  # not null
    ):
        with pytest.raises(ValueError, match="another schema"):
            parquetio.rows_filed_under_each(path, (5,), other)


def test_a_repacks_reuse_lists_are_read_by_the_gathering_alone(tmp_path, monkeypatch):
    """A re-pack's units file the ids of the rows they reuse, a batch per shard; the gathering
    reads them (once a group: here a shard) and leaves each shard's kept ids for its
    finalizing, which read every unit's list again, once a shard."""
    _pack_examples(tmp_path, shards=3)
    opened = collections.Counter()
    read_each = stages.rows_filed_under_each

    def opening(path, shards, schema):
        if path.parent.name == "reuse":
            opened[path.name] += 1
        return read_each(path, shards, schema)

    monkeypatch.setattr(stages, "rows_filed_under_each", opening)
    _pack_examples(tmp_path, shards=3, version="1.0.1")
    assert opened and set(opened.values()) == {3}
