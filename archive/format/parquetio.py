"""Parquet and Arrow IPC files, written with pinned options so the bytes are reproducible.

Release shards follow a portability profile: plain types only (UTF-8 strings, int64, bool, UTC
microsecond timestamps, lists and structs of those), zstd, statistics and the page index written,
row groups of at most ``ROW_GROUP_BYTES`` of text (and ``ROW_GROUP_ROWS`` rows). The same rows and
the same pyarrow version give the same bytes.
"""

from __future__ import annotations

import errno
import heapq
import mmap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from archive.capture.storage import RemotePath
from archive.runtime.process import allow_open_files

ROW_GROUP_ROWS = 20_000
# What reading a damaged or hostile Parquet file can raise: Arrow's errors, I/O errors, and
# ValueError (a footer's column name that is not UTF-8 fails in pyarrow's decoding).
PARQUET_ERRORS = (OSError, ValueError, pa.ArrowException)
ROW_GROUP_BYTES = 32 * 1024 * 1024
_DICTIONARY_COLUMNS = [
    "raw_encoding",
    "raw_encoding_method",
    "media_type",
    "outlet",
    "published_precision",
    "language",
    "rights_holder",
    "redistribution",
    "extractor",
]

WRITER_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": _DICTIONARY_COLUMNS,
    "write_statistics": True,
    "write_page_index": True,
    "data_page_size": 1024 * 1024,
    "data_page_version": "1.0",
    "version": "2.6",
    "store_schema": True,
}


def row_group_rows(table: pa.Table) -> int:
    """Rows per row group: bounded by ``ROW_GROUP_ROWS`` and by ``ROW_GROUP_BYTES`` of data."""
    if table.num_rows == 0:
        return ROW_GROUP_ROWS
    per_row = max(1, table.nbytes // table.num_rows)
    return max(1, min(ROW_GROUP_ROWS, ROW_GROUP_BYTES // per_row))


def _sink(path: Path | RemotePath) -> pa.NativeFile:
    """A file to write, buffered: Arrow's writers hand it each buffer, and each buffer's
    padding, in a call of its own (unbuffered, a pack of 10,000 captures made 34,399 ``write``
    calls, and a 1% re-pack of 100,000 captures 171,831)."""
    if isinstance(path, RemotePath):
        return path.open_output()
    return pa.BufferedOutputStream(pa.OSFile(str(path), "wb"), _SINK_BUFFER)


_SINK_BUFFER = 1 << 20


def _source(path: Path | RemotePath) -> pa.NativeFile:
    return path.open_input() if isinstance(path, RemotePath) else pa.OSFile(str(path), "rb")


def _mapped(path: Path | RemotePath) -> pa.NativeFile:
    """A local file mapped (what is not read is not loaded), a remote one opened for ranged
    reads."""
    return path.open_input() if isinstance(path, RemotePath) else pa.memory_map(str(path))


def parquet_file(path: Path | RemotePath) -> pq.ParquetFile:
    return pq.ParquetFile(_source(path) if isinstance(path, RemotePath) else path)


def write_parquet(
    table: pa.Table, path: Path | RemotePath, written: Callable[[], None] | None = None
) -> None:
    """Write ``table`` (already in its final schema and order) as one release Parquet file,
    calling ``written()`` after each row group (:func:`mapped_ipc`'s ``shed``). A row group is
    handed to the writer alone: the same bytes as the whole table at once (each column's chunks
    are cut at the same rows), and what the writer reads of a mapped table can be shed as it
    goes."""
    options = dict(WRITER_OPTIONS)
    options["use_dictionary"] = [c for c in _DICTIONARY_COLUMNS if c in table.schema.names]
    rows = row_group_rows(table)
    with _sink(path) as sink, pq.ParquetWriter(sink, table.schema, **options) as writer:
        for start in range(0, max(table.num_rows, 1), rows):
            writer.write_table(table.slice(start, rows), row_group_size=rows)
            if written is not None:
                written()


def write_parquet_batches(tables, schema: pa.Schema, path: Path | RemotePath) -> None:
    """Write a stream of tables (in their final order) as one Parquet file, a row group per
    table at most, so the whole file is never held at once."""
    options = dict(WRITER_OPTIONS)
    options["use_dictionary"] = [c for c in _DICTIONARY_COLUMNS if c in schema.names]
    with _sink(path) as sink, pq.ParquetWriter(sink, schema, **options) as writer:
        for table in tables:
            writer.write_table(table, row_group_size=max(1, min(ROW_GROUP_ROWS, table.num_rows)))


def write_ipc(table: pa.Table, path: Path | RemotePath, batch_rows: int | None = None) -> None:
    """A work file between tasks (uncompressed Arrow IPC: fast, memory-mappable), in batches
    of at most ``batch_rows`` when given (what a merge reads of it at once)."""
    with _sink(path) as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=batch_rows)


def write_ipc_batches(batches, schema: pa.Schema, path: Path | RemotePath) -> None:
    """A work file written batch by batch, so the whole table is never held at once."""
    with ipc_writer(path, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)


@contextmanager
def ipc_writer(path: Path | RemotePath, schema: pa.Schema) -> Iterator[ipc.RecordBatchFileWriter]:
    """A work file its caller writes batch by batch (beside another, say)."""
    with _sink(path) as sink, ipc.new_file(sink, schema) as writer:
        yield writer


def iter_ipc_batches(path: Path | RemotePath, *, mapped: bool = False) -> Iterator[pa.RecordBatch]:
    """A work file's batches one at a time. Read, they are freed as they go (mapped pages would
    stay counted against the process); ``mapped`` (ranged reads of a remote file), what is not
    read of a batch is not loaded."""
    with (_mapped if mapped else _source)(path) as source:
        reader = ipc.open_file(source)
        for index in range(reader.num_record_batches):
            yield reader.get_batch(index)


def ipc_rows(
    path: Path | RemotePath, batches: np.ndarray, offsets: np.ndarray, columns: list[str]
) -> pa.Table:
    """The rows of a work file at ``(batches[i], offsets[i])`` (a batch of the file, a row
    within it), in that order, with ``columns`` only. Only the batches that hold them are
    read, and of those only the columns' buffers: pages of a mapped local file, byte ranges
    of a remote one (or, when more than one batch and a quarter of its batches or more are
    wanted, the whole remote file in one request)."""
    batches = np.asarray(batches, dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    return _ipc_rows(path, columns, lambda _: (batches, offsets))


# A work file's schema metadata: how many rows each of its batches holds (the last may hold
# fewer), for ``ipc_rows_at`` to find a row by its position alone.
BATCH_ROWS_KEY = b"archive.batch_rows"


def ipc_rows_at(path: Path | RemotePath, positions: np.ndarray, columns: list[str]) -> pa.Table:
    """``ipc_rows`` by row position, in a file whose batches hold the number of rows its
    schema metadata states (``BATCH_ROWS_KEY``)."""

    def where(schema: pa.Schema) -> tuple[np.ndarray, np.ndarray]:
        rows = int((schema.metadata or {})[BATCH_ROWS_KEY])
        at = np.asarray(positions, dtype=np.int64)
        return at // rows, at % rows

    return _ipc_rows(path, columns, where)


def _ipc_rows(path: Path | RemotePath, columns: list[str], where: Callable) -> pa.Table:
    """``ipc_rows`` with ``where(schema)`` giving the batches and offsets of the rows."""
    with _mapped(path) as source:
        reader = ipc.open_file(source)
        batches, offsets = where(reader.schema)
        names = reader.schema.names
        kept = [k for k, name in enumerate(names) if name in columns]  # in the file's order
        schema = pa.schema([reader.schema.field(k) for k in kept])
        wanted = np.unique(batches)
        if isinstance(path, RemotePath):  # only the columns' byte ranges are fetched
            options = ipc.IpcReadOptions(included_fields=kept)
            reader = ipc.open_file(source, options=options)
            if len(wanted) > 1 and 4 * len(wanted) >= reader.num_record_batches:
                # Most batches wanted: one request for the whole file beats one for each.
                source.seek(0)
                reader = ipc.open_file(source.read_buffer(), options=options)
        # a mapped batch's other columns cost no reading: their pages are never touched
        order = np.argsort(batches, kind="stable")  # each batch's rows, in the order asked
        ends = np.searchsorted(batches[order], wanted, "right").tolist()
        taken, positions, start = [], [], 0
        for batch, end in zip(wanted.tolist(), ends, strict=True):
            mine = order[start:end]
            part = reader.get_batch(batch).select(schema.names)
            taken.append(part.take(pa.array(offsets[mine], pa.int64())))
            positions.append(mine)
            start = end
        if not taken:
            return schema.empty_table()
        table = pa.Table.from_batches(taken, schema)
    return _reordered(table, positions)


def _reordered(table: pa.Table, positions: list[np.ndarray]) -> pa.Table:
    """``table``, made of parts taken in file order, back in the order asked for:
    ``positions[k]`` says where part ``k``'s rows stand in it. The parts are copies of the
    rows wanted alone, so one take across them copies no more than they hold; rows asked for
    in file order (a shard's bodies by number, as the relation stages ask) are not taken
    again."""
    placed = np.concatenate(positions)
    if (placed[1:] > placed[:-1]).all():
        return table
    order = np.empty(table.num_rows, dtype=np.int64)
    order[placed] = np.arange(table.num_rows)
    return table.take(pa.array(order, pa.int64()))


def ipc_range(path: Path | RemotePath, start: int, stop: int, batch_rows: int) -> pa.Table:
    """Rows ``start`` to ``stop`` of a work file written in batches of ``batch_rows`` (the last
    may be shorter), reading only the batches that hold them."""
    with _mapped(path) as source:
        reader = ipc.open_file(source)
        parts = []
        for index in range(start // batch_rows, -(-stop // batch_rows)):
            batch = reader.get_batch(index)
            if batch.num_rows != batch_rows and index != reader.num_record_batches - 1:
                raise ValueError(
                    f"{path}: batch {index} holds {batch.num_rows} rows, not {batch_rows}"
                )
            at = index * batch_rows
            parts.append(batch.slice(max(start - at, 0), stop - max(start, at)))
        return pa.Table.from_batches(parts, reader.schema)


# Rows a merge holds as Python values, over all the files it merges: one per shard, and a
# shard's batch of 1,024 index rows made 786,432 Python values at 192 shards (1,000,000
# captures), about 75 MiB of the pack driver's.
_MERGE_HELD_ROWS = 1 << 16


def merged_rows(
    paths: list[Path | RemotePath], columns: list[str], key: Callable | None = None
) -> Iterator[tuple]:
    """The rows (tuples of ``columns``) of work files each sorted by those columns (or by
    ``key`` of a row, ties then in file order), merged into one order; one batch of each file
    is held at a time, as Python values a slice at a time (``_MERGE_HELD_ROWS`` over all the
    files), and each file is open while the merge runs (the open-file limit is raised for them
    when it must be)."""
    step = max(16, _MERGE_HELD_ROWS // max(1, len(paths)))

    def rows(path: Path) -> Iterator[tuple]:
        for batch in iter_ipc_batches(path):
            for start in range(0, batch.num_rows, step):
                piece = batch.slice(start, step)
                yield from zip(*(piece[name].to_pylist() for name in columns), strict=True)

    allow_open_files(len(paths) + 64)
    return heapq.merge(*(rows(path) for path in paths), key=key)


def rows_at(
    table: pa.Table, indices: np.ndarray, taken_apart: Callable[[], None] | None = None
) -> pa.Table:
    """``table.take(indices)``, taken chunk by chunk: a take across the chunks of a table
    (fragments read side by side) would first copy each whole column into one.
    ``taken_apart()`` is called once each chunk's rows are copied, before they are put in order
    (:func:`mapped_ipc`'s ``shed``: what was read of a mapped file need not stay resident)."""
    indices = np.asarray(indices, dtype=np.int64)
    if len(indices) and (indices.min() < 0 or indices.max() >= table.num_rows):
        raise IndexError(f"row index out of range for a table of {table.num_rows} rows")
    batches = table.to_batches()
    if not len(indices) or not batches:
        return table.schema.empty_table()
    starts = np.cumsum([0] + [b.num_rows for b in batches])
    owner = np.searchsorted(starts, indices, "right") - 1
    grouped = np.argsort(owner, kind="stable")  # positions, chunk by chunk
    cuts = np.searchsorted(owner[grouped], np.unique(owner), "right")
    parts = []
    for mine in np.split(grouped, cuts[:-1]):
        k = int(owner[mine[0]])
        parts.append(
            pa.Table.from_batches(
                [batches[k].take(pa.array(indices[mine] - starts[k]))], table.schema
            )
        )
    taken = pa.concat_tables(parts)
    if taken_apart is not None:
        taken_apart()
    return taken.take(pa.array(np.argsort(grouped, kind="stable")))


def rows_in_runs(table: pa.Table, indices: np.ndarray) -> pa.Table:
    """``table.take(indices)`` in one chunk, for ``indices`` that run mostly in consecutive
    rows (a merge of sorted tables): each run is a slice, and the slices are copied once,
    together, where a take across the chunks copies each column whole first, and
    :func:`rows_at` copies the rows twice. Short runs are left to :func:`rows_at`."""
    indices = np.asarray(indices, dtype=np.int64)
    if not len(indices):
        return table.schema.empty_table()
    if indices.min() < 0 or indices.max() >= table.num_rows:
        raise IndexError(f"row index out of range for a table of {table.num_rows} rows")
    starts, sizes = _runs(indices)
    if (len(starts) - 1) * _RUN_ROWS > len(indices):
        return rows_at(table, indices)
    pieces = [table.slice(start, size) for start, size in zip(starts, sizes, strict=True)]
    return pa.concat_tables(pieces).combine_chunks()


def _runs(indices: np.ndarray) -> tuple[list[int], list[int]]:
    """(first index, length) of each run of consecutive values in ``indices``."""
    if not len(indices):
        return [], []
    breaks = np.flatnonzero(np.diff(indices) != 1) + 1
    firsts = np.concatenate(([0], breaks))
    sizes = np.diff(np.append(firsts, len(indices)))
    return indices[firsts].tolist(), sizes.tolist()


_RUN_ROWS = 16  # the shortest mean run that slicing copies faster than taking
# Past this many slices the merge that follows (a take or a slice per chunk, each window of
# rows) costs more than the copy a filter makes: 156 slices of a 3,000-row shard took its
# merge from 42 to 59 ms, where a re-pack's parent batch of 2,000 rows has some 20.
_MOST_SLICES = 64


def rows_kept(rows: pa.Table | pa.RecordBatch, kept) -> list:
    """The parts of ``rows`` (a table or a batch) that the boolean mask ``kept`` marks, in
    order: slices of ``rows`` (no copy) when most rows are kept, in runs of some length, as a
    re-pack keeps all but the few changed rows of a shard; one copy by a filter when they are
    scattered or few (or none is kept: the schema, no rows), as a slice holds all of ``rows``
    in memory, a few kept rows would hold a whole batch read for them. A null keeps nothing,
    as in a filter."""
    if hasattr(kept, "to_numpy"):
        kept = pc.fill_null(kept, False).to_numpy(zero_copy_only=False)
    mask = np.asarray(kept, dtype=bool)
    at = np.flatnonzero(mask)
    starts, sizes = _runs(at)
    if (
        not starts
        or len(starts) * _RUN_ROWS > len(at)
        or 2 * len(at) < len(mask)
        or len(starts) > _MOST_SLICES
    ):
        return [rows.filter(pa.array(mask, pa.bool_()))]
    return [rows.slice(start, size) for start, size in zip(starts, sizes, strict=True)]


# The schema metadata key of a work file filed by shard: the shard of each of its batches, in
# order, as little-endian int32s.
_SHARDS_KEY = b"archive.shards"


def write_ipc_by_shard(table: pa.Table, shards: list[int], path: Path | RemotePath) -> None:
    """``table`` (its rows in shard order; ``shards`` the shard of each row) as one work file
    with a batch per shard: one file per flush of an extraction task, not one per shard (a
    pack of 1,000,000 captures filed some 400,000 files, one of 10,000,000 would have run out
    of inodes). ``rows_filed_under_each`` reads shards' batches back."""
    shards_np = np.asarray(shards, np.int64)
    cuts = np.flatnonzero(np.diff(shards_np)) + 1
    starts = np.concatenate(([0], cuts)).astype(np.int64)
    stops = np.concatenate((cuts, [len(shards_np)])).astype(np.int64)
    present = shards_np[starts].astype("<i4").tobytes() if len(shards_np) else b""
    schema = table.schema.with_metadata({**(table.schema.metadata or {}), _SHARDS_KEY: present})
    with _sink(path) as sink, ipc.new_file(sink, schema) as writer:
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            writer.write_table(table.slice(start, stop - start).combine_chunks())


def rows_filed_under_each(
    path: Path | RemotePath, shards: Sequence[int], schema: pa.Schema
) -> dict[int, pa.Table]:
    """The rows ``write_ipc_by_shard`` filed in ``path`` under each of ``shards`` that it holds
    rows of, as tables of ``schema`` (without the file's metadata), its footer read once: a task
    gathering several shards opens each flush's file once, not once a shard. The file is read
    by ranges, its footer and the shards' batches, into memory, and closed: a mapping would
    bring about half a MiB of every flush's file into the reading process (the kernel maps
    pages around each one touched), and hold a file open. A batch keeps its columns and takes
    ``schema``'s metadata: made again from its columns, a batch of the record schema cost as
    much as reading it (1,000,000 captures' gathering reads some 350,000)."""
    with path.open_input() if isinstance(path, RemotePath) else pa.OSFile(str(path)) as source:
        reader = ipc.open_file(source)
        if not reader.schema.remove_metadata().equals(schema.remove_metadata(), True):
            raise ValueError(f"{path}: a work file of another schema than the one asked for")
        present = np.frombuffer(reader.schema.metadata[_SHARDS_KEY], "<i4")
        found = {}
        for shard in shards:
            at = int(np.searchsorted(present, shard))
            if at < len(present) and present[at] == shard:
                batch = reader.get_batch(at).replace_schema_metadata(schema.metadata)
                found[shard] = pa.Table.from_batches([batch])
        return found


def read_ipc(path: Path | RemotePath) -> pa.Table:
    """A work file, mapped when local; a remote one is read whole, in one request."""
    if isinstance(path, RemotePath):
        with path.open_input() as source:
            return ipc.open_file(source.read_buffer()).read_all()
    with pa.memory_map(str(path), "r") as source:
        return ipc.open_file(source).read_all()


def mapped_ipc(path: Path | RemotePath) -> tuple[pa.Table, Callable[[], None]]:
    """A work file as ``read_ipc`` reads it, and ``shed()``, which drops from this process the
    pages of a local file read so far (they are read again, from the page cache, when next
    used). A mapped file's pages stay counted against the process until it is unmapped: a task
    that reads a shard a slice at a time sheds after each, and holds a slice, not the shard."""
    if isinstance(path, RemotePath) or not hasattr(mmap.mmap, "madvise"):
        return read_ipc(path), _nothing
    try:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        if exc.errno not in (errno.EMFILE, errno.ENFILE):
            raise
        return read_ipc(path), _nothing  # a mapping holds a file open: when none is left
    table = ipc.open_file(pa.BufferReader(pa.py_buffer(mapped))).read_all()
    return table, lambda: mapped.madvise(mmap.MADV_DONTNEED)


def _nothing() -> None:
    pass


# Decoded bytes of a batch that a reader holds at once: the Arrow batch and the Python values
# made of it stay a few MiB, whatever size the row groups were written at.
BATCH_BYTES = 4 * 1024 * 1024
_MAX_BATCH_ROWS = 65_536


def iter_batches(
    source: Path | RemotePath | pq.ParquetFile,
    columns: list[str] | None = None,
    row_groups: list[int] | None = None,
    batch_bytes: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """A Parquet file's rows (of ``row_groups`` only, when given) in batches of about
    ``batch_bytes`` (default ``BATCH_BYTES``) of ``columns``, read page by page,
    single-threaded (we run one per core). ``source`` is a path or a file already open."""
    parquet = source if isinstance(source, pq.ParquetFile) else parquet_file(source)
    yield from parquet.iter_batches(
        batch_size=batch_rows(parquet.metadata, columns, batch_bytes),
        row_groups=row_groups,
        columns=columns,
        use_threads=False,
    )


def batch_rows(
    metadata: pq.FileMetaData, columns: list[str] | None = None, batch_bytes: int | None = None
) -> int:
    """Rows per batch: about ``batch_bytes`` (default ``BATCH_BYTES``) of the widest rows of
    any row group, their width the footer's uncompressed size of ``columns`` (all when None; a
    name also covers the fields nested in it), at most ``_MAX_BATCH_ROWS``."""
    chosen = [
        i
        for i in range(metadata.num_columns)
        if columns is not None and _selected(metadata.schema.column(i).path, columns)
    ]
    widest = 1.0
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        if columns is None:  # the sum over all columns, stated once per row group
            size = group.total_byte_size
        else:
            size = sum(group.column(i).total_uncompressed_size for i in chosen)
        widest = max(widest, size / max(1, group.num_rows))
    return max(1, min(_MAX_BATCH_ROWS, int((batch_bytes or BATCH_BYTES) // widest)))


def _selected(path: str, columns: list[str]) -> bool:
    return any(path == name or path.startswith(name + ".") for name in columns)


def group_rows(
    source: Path | RemotePath | pq.ParquetFile, group: int, offsets: list[int]
) -> pa.Table:
    """The rows at ``offsets`` of row group ``group`` (``IndexError`` for one outside it), in
    that order; read in bounded batches, of which only the wanted rows are kept."""
    parquet = source if isinstance(source, pq.ParquetFile) else parquet_file(source)
    wanted = np.asarray(offsets, dtype=np.int64)
    taken, positions, start = [], [], 0
    for batch in iter_batches(parquet, row_groups=[group]):
        mine = np.flatnonzero((wanted >= start) & (wanted < start + batch.num_rows))
        taken.append(batch.take(pa.array(wanted[mine] - start)))
        positions.append(mine)
        start += batch.num_rows
    outside = wanted[(wanted < 0) | (wanted >= start)]
    if len(outside):
        raise IndexError(f"Index {outside[0]} out of bounds")  # as Arrow's take says it
    table = pa.Table.from_batches(taken, parquet.schema_arrow)
    return _reordered(table, positions) if len(wanted) else table


def iter_row_groups(path: Path, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """A Parquet file a row group at a time, each whole (up to ``ROW_GROUP_BYTES``): only for
    rewriting the file with the same row groups; any other reader takes ``iter_batches``."""
    parquet = pq.ParquetFile(path)
    for index in range(parquet.num_row_groups):
        yield parquet.read_row_group(index, columns=columns, use_threads=False)


def string_offsets(values: pa.Array) -> np.ndarray:
    """The value offsets of a string array over its own slice (``len(values) + 1`` of them,
    into its data buffer), read in place."""
    width = 8 if pa.types.is_large_string(values.type) else 4
    dtype = np.int64 if width == 8 else np.int32
    return np.frombuffer(values.buffers()[1], dtype, len(values) + 1, width * values.offset)


def string_data(values: pa.Array) -> np.ndarray:
    """The whole data buffer of a string array as bytes, read in place (empty when it has
    none: every value empty or null); ``string_offsets`` index it."""
    data = values.buffers()[2]
    return np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)


def bounded_slices(sizes: np.ndarray, limit: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive slices of ``sizes`` (bytes a row) summing to at most
    ``limit``, or one row when a row alone is over it.

    >>> list(bounded_slices(np.array([3, 3, 9, 1]), 6))
    [(0, 2), (2, 3), (3, 4)]
    """
    ends = np.cumsum(sizes, dtype=np.int64)
    start = 0
    while start < len(sizes):
        done = int(ends[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, done + limit, "right")))
        yield start, stop
        start = stop
