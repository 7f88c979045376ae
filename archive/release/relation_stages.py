"""The relations stage of a pack, as tasks an executor spreads over its workers.

It runs the functions of :mod:`archive.relations` (what :func:`~archive.relations.find_relations`
runs in one process) over the finalized shards, so it gives the same relations:

1. ``index_shard`` (task): the shard's relatable records (text kept and not withheld), by body
   hash, with their dates.
2. ``body_families`` (driver, streaming merge): records with equal bodies; the smallest record
   id represents the body, the others become exact duplicates.
3. ``sign_shard`` (task): the keys of the shard's distinct bodies (LSH bands, anchors,
   quotation n-grams) as entries sorted by key, their quotation views and word hashes, in
   record id order, and how many bodies hold each word; tokenized and keyed a chunk of bodies
   at a time (:func:`~archive.relations.find.chunk_keys`, the keys ``body_keys`` gives each).
4. ``pair_part`` (task): for one kind of key and one range of keys, the pairs of bodies that
   share keys there and how many, as a sorted run. Bodies are numbered in record id order
   across shards, and the ranges come from the shard count, so nothing depends on workers.
5. ``candidate_batches`` (driver, streaming merge): the runs merged into candidate pairs, a
   batch at a time, never all at once.
6. ``confirm_batch`` (task): alignment of a batch of candidate pairs (its copy candidates
   screened on their bodies' word hashes, the bodies of those that pass and of rewrite
   candidates tokenized, its rewrite candidates' sentence pairs worth aligning and its
   quotation candidates' shared runs found, for the whole batch at once); a pair the parent's
   pack confirmed is taken from its cache (:mod:`archive.release.confirmation_cache`), and
   only its record ids stated again.
7. ``write_relations`` (driver): the confirmed pairs stated (direction) a chunk at a time as
   they come, near-duplicates filed until their families are joined from their edges read
   back (:mod:`archive.relations.families`), the table in ``(source_id, target_id, kind)``
   order through sorted runs on disk, and the flags.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from functools import partial
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archive.capture.storage import RemotePath
from archive.format.parquetio import (
    BATCH_ROWS_KEY,
    bounded_slices,
    ipc_range,
    ipc_rows,
    ipc_rows_at,
    ipc_writer,
    iter_ipc_batches,
    mapped_ipc,
    merged_rows,
    read_ipc,
    rows_at,
    write_ipc,
    write_ipc_batches,
    write_parquet_batches,
)
from archive.format.schema import RECORD_ARROW_SCHEMA
from archive.relations import (
    RELATIONS_ARROW_SCHEMA,
    Relation,
    RelationSettings,
    align,
    flags_for,
    relation_rows,
    withheld_relation,
)
from archive.relations.candidates import pairs_of_entries
from archive.relations.families import FamilyNames, smallest_linked
from archive.relations.find import (
    ANCHORED,
    CANDIDATE_KINDS,
    KEY_NAMES,
    LSH,
    QUOTED,
    Confirmed,
    Statements,
    chunk_keys,
    confirm_pair,
    key_limits,
    keyed_entries,
    pairs_of,
    quotation_skipped,
)
from archive.relations.store import Lru
from archive.relations.text import Vocabulary, word_hash
from archive.release.confirmation_cache import (
    QUOTATION,
    cached_outcomes,
    keep_batch,
    outcome_of,
)
from archive.release.plan import shard_of
from archive.release.signature_cache import (
    SIGNED_SCHEMA,
    cached_positions,
    open_cached,
    signed_rows,
    with_cached,
)
from archive.release.stages import MERGE_BATCH_ROWS, PackContext
from archive.release.workdir import TaskDir
from archive.runtime.process import allow_open_files, release_memory

_TIMESTAMP = RECORD_ARROW_SCHEMA.field("published_at").type
INDEX_SCHEMA = pa.schema(
    [
        ("text_sha256", pa.string()),
        ("record_id", pa.string()),
        ("published_at", _TIMESTAMP),
        ("retrieved_at", _TIMESTAMP),
    ]
)
_DATES_SCHEMA = pa.schema(list(INDEX_SCHEMA)[1:])
_EXACT_SCHEMA = pa.schema([("record_id", pa.string()), ("rep", pa.string())])
_SIGNATURE_SCHEMA = pa.schema(
    [
        *_DATES_SCHEMA,
        ("final_batch", pa.int32()),  # where the body's text is in the shard's final work file
        ("final_offset", pa.int32()),
        ("quote_words", pa.list_(pa.string())),
        ("quote_starts", pa.list_(pa.int64())),
        ("quote_ends", pa.list_(pa.int64())),
        ("quote_index", pa.list_(pa.int32())),
        ("quote_grams", pa.list_(pa.uint64())),
        ("text_sha256", pa.string()),  # what the pack cache knows the body by
    ]
)
# Beside the signatures, in batches of the same rows (a bucket's reader fetches a whole file
# when a confirming batch wants most of its batches): the stable hash of each folded word of
# a body, in order (:attr:`~archive.relations.align.Doc.hashes`); null for a body whose
# signing was taken from the pack cache, which does not keep them.
_WORDS_SCHEMA = pa.schema([("word_hashes", pa.list_(pa.uint64()))])
_QUOTE_FIELDS = ("words", "starts", "ends", "index", "grams")
_HELD_COLUMNS = ["text_sha256", *_DATES_SCHEMA.names, "final_batch", "final_offset"]
_VIEW_COLUMNS = [f"quote_{name}" for name in _QUOTE_FIELDS]
_DF_SCHEMA = pa.schema([("word", pa.uint64()), ("bodies", pa.int64())])
_EDGES_SCHEMA = pa.schema(
    [("u", pa.int32()), ("v", pa.int32()), ("u_id", pa.string()), ("v_id", pa.string())]
)
_FLAGS_SCHEMA = pa.schema([("record_id", pa.string()), ("flag", pa.string())])
_SIGN_CHUNK = 1000  # bodies held as Python objects at once
# Bytes of text whose signing (quotation views and word hashes: about 1.9 bytes a byte of
# fictional text) a batch of a shard's signature and word hash files holds, on average over
# the shard's bodies. Confirming reads a few rows of every shard's files for each batch of
# pairs, and each batch of a file it reads costs a read of its layout and a take: a shard of
# the default size in one batch, not six, takes half the time to read (1,000,000 fictional
# captures). The signing task holds one batch of both files until it writes them.
_SIGNED_TEXT_BYTES = 24 << 20
_TOKENIZE_BYTES = 4 << 20  # of text tokenized and keyed at once (its arrays take a few times it)
BATCH_PAIRS = 8192
ENTRY_BATCH = 1 << 16  # rows of each batch of key entries (a pairing task reads its slices)
RUN_BATCH = 2048  # rows of each batch of a pairing run: the driver holds one of every run
PAIRING_SHARDS = 8  # shards' worth of keys one pairing task holds
KEY_KINDS = {name: kind for name, (_, kind) in zip(KEY_NAMES, CANDIDATE_KINDS, strict=True)}
_RUN_ROWS = 10_000  # relations sorted in memory at once (the driver holds as many)
_MERGE_ROWS = 64  # of each run held while merging
_PAIR_ROWS = 8192  # confirmed pairs the driver holds before it states them
_FAN_IN = 128  # runs merged at once
_TABLE_ROWS = 10_000


def index_shard(shard: int, ctx: PackContext) -> int:
    """Task 1: file the shard's relatable records by ``(text_sha256, record_id)``; return their
    count. A record whose redistribution class withholds its text stays out of relations (their
    evidence quotes the bodies); a dehydrated tier does not: its relations are the full tier's,
    their evidence's words withheld as it is written (:func:`write_relations`)."""
    path = ctx.work.relation_index(shard)
    path.parent.mkdir(exist_ok=True)
    table = read_ipc(ctx.work.final(shard))
    # The rows ``withheld(table, "full")`` leaves a text, of the four columns the index needs:
    # filtering every column would copy every kept record whole.
    held = pc.not_equal(table["redistribution"], "metadata-only")
    if pc.all(held).as_py() is not False:  # as ``withheld``: then no row is withheld
        held = pc.fill_null(held, True)
    keep = pc.fill_null(pc.and_(pc.greater(pc.binary_length(table["text"]), 0), held), False)
    table = table.select(["text_sha256", "record_id", "published_at", "capture"]).filter(keep)
    index = pa.table(
        [
            table["text_sha256"],
            table["record_id"],
            table["published_at"],
            pc.struct_field(table["capture"], "retrieved_at"),
        ],
        schema=INDEX_SCHEMA,
    ).sort_by([("text_sha256", "ascending"), ("record_id", "ascending")])
    write_ipc(index, path, MERGE_BATCH_ROWS)
    return index.num_rows


def body_families(ctx: PackContext) -> None:
    """Driver, step 2: merge the shards' indexes (streaming) into groups of equal bodies. The
    first record id of a group represents the body and gets the group's earliest dates
    (filed under its shard); the others are filed as members, not signed again, and as exact
    duplicates of it."""
    reps: dict[int, list[tuple]] = {}
    members: dict[int, list[str]] = {}
    exact: list[tuple[str, str]] = []

    def close(group: list[tuple]) -> None:
        if len(group) < 2:
            return
        rep = group[0][1]
        dates = [min((g[k] for g in group if g[k] is not None), default=None) for k in (2, 3)]
        reps.setdefault(shard_of(rep, ctx.shards), []).append((rep, *dates))
        for _, rid, _, _ in group[1:]:
            members.setdefault(shard_of(rid, ctx.shards), []).append(rid)
            exact.append((rid, rep))

    group: list[tuple] = []
    indexes = [ctx.work.relation_index(shard) for shard in range(ctx.shards)]
    for row in merged_rows(indexes, INDEX_SCHEMA.names):
        if group and row[0] != group[0][0]:
            close(group)
            group = []
        group.append(row)
    close(group)
    for shard, rows in reps.items():
        write_ipc(
            pa.table([list(c) for c in zip(*rows, strict=True)], schema=_DATES_SCHEMA),
            ctx.work.relation_reps(shard),
        )
    for shard, rids in members.items():
        write_ipc(pa.table({"record_id": rids}), ctx.work.relation_members(shard))
    columns = [list(c) for c in zip(*exact, strict=True)] or [[], []]
    write_ipc(pa.table(columns, schema=_EXACT_SCHEMA), ctx.work.relation_exact())


def sign_shard(
    shard: int,
    ctx: PackContext,
    settings: RelationSettings,
    parts: int,
    cached: tuple[Path, ...] | None = None,
) -> Signed:
    """Task 3: the quotation views of the shard's distinct bodies, in record id order, their
    keys of each kind as entries ``key << 32 | body`` sorted by key (body numbered within the
    shard) with where each of ``parts`` key ranges starts, and how many bodies hold each
    folded word. A body signed in the parent's pack (``cached``: its signature files, see
    :mod:`archive.release.signature_cache`) is taken from there, not tokenized again; what
    each body was signed as is filed for this pack's cache (a local pack only)."""
    index = read_ipc(ctx.work.relation_index(shard)).select(INDEX_SCHEMA.names)
    members = ctx.work.relation_members(shard)
    if members.exists():
        index = index.filter(
            pc.invert(pc.is_in(index["record_id"], value_set=read_ipc(members)["record_id"]))
        )
    index = index.sort_by("record_id")
    hashes = index["text_sha256"].combine_chunks()
    index = _with_earliest_dates(index.select(_DATES_SCHEMA.names), ctx.work.relation_reps(shard))
    index = index.combine_chunks()
    final, shed = mapped_ipc(ctx.work.final(shard))
    final = final.select(["record_id", "text"])
    rows = pc.cast(pc.index_in(index["record_id"], value_set=final["record_id"]), pa.int64())
    rows = rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows
    # The table's chunks are the file's batches: where each row is, for reading it alone.
    starts = np.cumsum([0] + [len(c) for c in final["record_id"].chunks])
    in_batch = np.searchsorted(starts, rows.to_numpy(), "right") - 1
    in_batch_at = (rows.to_numpy() - starts[in_batch]).astype(np.int32)
    vocab = Vocabulary()
    words: list[np.ndarray] = []
    entries: dict[str, list[np.ndarray]] = {name: [] for name in KEY_NAMES}
    parent = open_cached(cached)
    found = cached_positions(hashes, parent)
    keep = _signed_writer(ctx.work.relation_signed(shard))

    signatures: list[pa.RecordBatch] = []
    word_hashes: list[pa.RecordBatch] = []
    batch_rows = _signed_batch_rows(final["text"], rows)
    metadata = {BATCH_ROWS_KEY: str(batch_rows)}

    def flush() -> None:
        if signatures:
            signatures_file.write_batch(_one_batch(signatures, _SIGNATURE_SCHEMA))
            words_file.write_batch(_one_batch(word_hashes, _WORDS_SCHEMA))
            signatures.clear()
            word_hashes.clear()

    try:
        with (
            ipc_writer(
                ctx.work.relation_signatures(shard), _SIGNATURE_SCHEMA.with_metadata(metadata)
            ) as signatures_file,
            ipc_writer(
                ctx.work.relation_word_hashes(shard), _WORDS_SCHEMA.with_metadata(metadata)
            ) as words_file,
        ):
            for at in range(0, index.num_rows, _SIGN_CHUNK):
                if at % batch_rows == 0:
                    flush()
                part = rows[at : at + _SIGN_CHUNK].to_numpy()
                mine = hashes.slice(at, len(part))
                fresh: list[tuple[np.ndarray, pa.Array]] = []
                sign = partial(_signed_bodies, final, shed, part, mine, vocab, settings, fresh)
                chunk = with_cached(found[at : at + len(part)], parent, sign, mine)
                chunk = chunk.combine_chunks()
                if keep is not None:
                    keep.write_table(chunk)
                for name in KEY_NAMES:
                    keys = chunk[name].chunk(0)
                    counts = keys.value_lengths().to_numpy().astype(np.int64)
                    entries[name].append(keyed_entries(keys.flatten().to_numpy(), counts, at))
                words.append(chunk["words"].chunk(0).flatten().to_numpy())
                signatures.append(
                    pa.RecordBatch.from_arrays(
                        [
                            *(c.combine_chunks() for c in index.slice(at, len(part)).columns),
                            pa.array(in_batch[at : at + len(part)].astype(np.int32)),
                            pa.array(in_batch_at[at : at + len(part)]),
                            *(chunk[f"quote_{name}"].chunk(0) for name in _QUOTE_FIELDS),
                            mine,
                        ],
                        schema=_SIGNATURE_SCHEMA,
                    )
                )
                fresh_hashes = _word_hashes(len(part), fresh)
                word_hashes.append(pa.RecordBatch.from_arrays([fresh_hashes], schema=_WORDS_SCHEMA))
            flush()
    finally:
        if keep is not None:
            keep.close()
    held, bodies = np.unique(
        np.concatenate(words) if words else np.empty(0, np.uint64), return_counts=True
    )
    write_ipc(
        pa.table([held, bodies.astype(np.int64)], schema=_DF_SCHEMA),
        ctx.work.relation_frequencies(shard),
    )
    bounds = _key_bounds(parts)
    ranges = {}
    for name in KEY_NAMES:
        found = np.concatenate(entries.pop(name) or [np.empty(0, np.uint64)])
        found.sort()
        ranges[name] = tuple(np.searchsorted(found >> np.uint64(32), bounds).tolist())
        write_ipc(pa.table({"entry": found}), ctx.work.relation_entries(name, shard), ENTRY_BATCH)
    release_memory()
    return Signed(shard, index.num_rows, ranges)


def _signed_bodies(
    final: pa.Table,
    shed: Callable[[], None],
    rows: np.ndarray,
    hashes: pa.Array,
    vocab: Vocabulary,
    settings: RelationSettings,
    fresh: list[tuple[np.ndarray, pa.Array]],
    wanted: np.ndarray,
) -> pa.Table:
    """The bodies ``wanted`` (positions in ``rows``, their rows of ``final``, and in
    ``hashes``, their text hashes) signed, one row each
    (:data:`~archive.release.signature_cache.SIGNED_SCHEMA`), tokenized a slice at a time;
    ``wanted`` and their word hashes are added to ``fresh``."""
    texts = rows_at(final, rows[wanted], shed)["text"]
    hashes = hashes.take(pa.array(wanted))
    tables, words = [], []
    for first, some in _text_slices(texts):
        batch = vocab.batch(some)
        keys = chunk_keys(some.to_pylist(), batch, vocab, settings)
        tables.append(signed_rows(hashes.slice(first, len(some)), keys))
        offsets = pa.array(batch.bounds.astype(np.int32))
        words.append(pa.ListArray.from_arrays(offsets, pa.array(vocab.hash[batch.tokens.fold])))
    fresh.append((wanted, pa.concat_arrays(words)))
    return pa.concat_tables(tables)


def _word_hashes(rows: int, fresh: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """The word hashes of a chunk's ``rows`` bodies: those ``fresh`` gives (positions and
    their lists), null for the others (taken from the pack cache, which does not keep them)."""
    if len(fresh) == 1 and np.array_equal(fresh[0][0], np.arange(rows)):
        return fresh[0][1]
    at = np.full(rows, sum(len(wanted) for wanted, _ in fresh), dtype=np.int64)
    first = 0
    for wanted, _ in fresh:
        at[wanted] = np.arange(first, first + len(wanted))
        first += len(wanted)
    field = _WORDS_SCHEMA.field("word_hashes")
    lists = [some for _, some in fresh] + [pa.nulls(1, field.type)]
    return pa.concat_arrays(lists).take(pa.array(at))


def _signed_batch_rows(texts: pa.ChunkedArray, rows: pa.Array) -> int:
    """Bodies in each batch of a shard's signature and word hash files (the last may hold
    fewer): whole chunks of ``_SIGN_CHUNK``, as many as ``_SIGNED_TEXT_BYTES`` of the text of
    its bodies (``rows`` of ``texts``) hold on average, at least one."""
    if not len(rows):
        return _SIGN_CHUNK
    held = pc.sum(pc.binary_length(texts).take(rows)).as_py() or 0
    chunks = _SIGNED_TEXT_BYTES * len(rows) // max(1, held * _SIGN_CHUNK)
    return max(1, chunks) * _SIGN_CHUNK


def _one_batch(batches: list[pa.RecordBatch], schema: pa.Schema) -> pa.RecordBatch:
    """``batches`` (at least one) as one batch, a column at a time."""
    columns = [pa.concat_arrays([batch.column(i) for batch in batches]) for i in range(len(schema))]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _signed_writer(path: Path | RemotePath) -> pa.ipc.RecordBatchFileWriter | None:
    """A writer of the shard's signed bodies for the pack cache; none for a remote pack,
    whose cache is not kept."""
    if isinstance(path, RemotePath):
        return None
    try:
        return pa.ipc.new_file(str(path), SIGNED_SCHEMA)
    except OSError:  # the cache is an optimisation, never a failure
        return None


def _with_earliest_dates(index: pa.Table, reps_path: Path | RemotePath) -> pa.Table:
    """``index`` (sorted by record id) with each representative's dates replaced by the
    earliest of its group."""
    if not reps_path.exists():
        return index
    reps = read_ipc(reps_path)
    at = pc.index_in(index["record_id"], value_set=reps["record_id"])
    has = pc.is_valid(at)
    columns = [index["record_id"]]
    for name in ("published_at", "retrieved_at"):
        columns.append(pc.if_else(has, pc.take(reps[name], pc.fill_null(at, 0)), index[name]))
    return pa.table(columns, schema=_DATES_SCHEMA)


def _text_slices(texts: pa.Array | pa.ChunkedArray) -> Iterator[tuple[int, pa.Array]]:
    """``texts`` in consecutive slices of at most ``_TOKENIZE_BYTES`` (or one text), each
    with where it starts: what tokenizing a slice at once holds grows with its text."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if not len(texts):
        yield 0, texts  # one slice, empty: a shard without bodies still signs as one
        return
    sizes = pc.binary_length(texts).to_numpy(zero_copy_only=False).astype(np.int64)
    for first, last in bounded_slices(sizes, _TOKENIZE_BYTES):
        yield first, texts.slice(first, last - first)


@dataclass(frozen=True)
class Signed:
    """What signing a shard gives the driver: how many bodies, and for each kind of key where
    each key range starts and ends among the shard's sorted entries."""

    shard: int
    bodies: int
    ranges: dict[str, tuple[int, ...]]


def pairing_parts(shards: int) -> int:
    """How many key ranges the pairing is split into: one per ``PAIRING_SHARDS`` shards, so
    from the input's size, never from the workers."""
    return max(1, -(-shards // PAIRING_SHARDS))


def _key_bounds(parts: int) -> np.ndarray:
    return np.array([(p << 32) // parts for p in range(parts + 1)], dtype=np.uint64)


@dataclass(frozen=True)
class PairingPart:
    """One kind of key in one key range: the rows ``ranges[k]`` of shard ``k``'s entries."""

    name: str
    part: int
    ranges: tuple[tuple[int, int], ...]


def pairing_parts_of(signed: list[Signed], parts: int) -> Iterator[PairingPart]:
    for name in KEY_NAMES:
        for part in range(parts):
            yield PairingPart(
                name, part, tuple((s.ranges[name][part], s.ranges[name][part + 1]) for s in signed)
            )


def pair_part(
    part: PairingPart, ctx: PackContext, bodies: list[int], settings: RelationSettings
) -> tuple[str, int]:
    """Task 4: the pairs of bodies sharing keys of one kind in one key range, with how many
    of those keys each shares, sorted, as a run for the driver's merge; return the kind of
    key and how many keys were skipped as too common. A key is in one range only, so the
    ranges' counts add up to the counts over all keys. Bodies are numbered in record id
    order across shards (``bodies``: how many each shard signed), so no number depends on a
    worker."""
    if sum(bodies) >= 1 << 31:  # pair codes are signed 64-bit while they are counted
        raise ValueError(f"{sum(bodies)} distinct bodies: relations can pair at most 2**31")
    first = np.concatenate(([0], np.cumsum(bodies))).astype(np.uint64)
    held = [np.empty(0, np.uint64)]
    for shard, (lo, hi) in enumerate(part.ranges):
        if hi > lo:
            path = ctx.work.relation_entries(part.name, shard)
            found = ipc_range(path, lo, hi, ENTRY_BATCH)["entry"].to_numpy().copy()
            found += first[shard]  # the body, in the low half, numbered across shards
            held.append(found)
    combined = np.concatenate(held)
    del held
    found = pairs_of_entries(combined, key_limits(settings)[part.name][1])
    del combined
    codes = (found.left.astype(np.uint64) << np.uint64(32)) | found.right.astype(np.uint64)
    write_ipc(
        pa.table({"code": codes, "shared": found.shared.astype(np.int64)}),
        ctx.work.relation_run(part.name, part.part),
        RUN_BATCH,
    )
    release_memory()
    return part.name, found.skipped_keys


def candidate_batches(
    ctx: PackContext,
    parts: int,
    settings: RelationSettings,
    stats: Counter,
    size: int | None = None,
) -> Iterator[PairBatch]:
    """Driver, step 5: the runs of every kind and range merged in pair order, a slice at a
    time; a pair is a candidate of a kind when it shares enough keys of it over all ranges.
    Yields the pairs :func:`~archive.relations.find.candidates` finds, in its order, ``size``
    at a time, holding a batch of each run, never every pair."""
    size = size or BATCH_PAIRS
    limits = key_limits(settings)
    least = [limits[name][0] for name in KEY_NAMES]
    runs = [
        _PairRun(ctx.work.relation_run(name, part), kind)
        for kind, name in enumerate(KEY_NAMES)
        for part in range(parts)
    ]
    for _, kind in CANDIDATE_KINDS:
        stats[f"candidates:{kind}"] += 0
    allow_open_files(len(runs) + 64)
    codes = np.empty(0, np.uint64)
    bits = np.empty(0, np.uint8)
    index = 0
    for more_codes, more_bits in _merged_pairs(runs, least, stats):
        codes, bits = np.concatenate((codes, more_codes)), np.concatenate((bits, more_bits))
        cut = len(codes) - len(codes) % size
        for at in range(0, cut, size):
            yield PairBatch(index, codes[at : at + size], bits[at : at + size])
            index += 1
        codes, bits = codes[cut:], bits[cut:]
    if len(codes):
        yield PairBatch(index, codes, bits)


def _merged_pairs(
    runs: list[_PairRun], least: list[int], stats: Counter
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    live = [run for run in runs if run.fill()]
    while live:
        # Every run holds, or has given, all its pairs up to the least of their last ones.
        through = min(run.last for run in live)
        taken = [run.take_through(through) for run in live]
        codes = np.concatenate([c for c, _, _ in taken])
        shared = np.concatenate([n for _, n, _ in taken])
        kinds = np.concatenate([np.full(len(c), k, dtype=np.int8) for c, _, k in taken])
        distinct, at = np.unique(codes, return_inverse=True)
        bits = np.zeros(len(distinct), dtype=np.uint8)
        for kind, ((bit, name), minimum) in enumerate(zip(CANDIDATE_KINDS, least, strict=True)):
            mine = kinds == kind
            total = np.bincount(at[mine], weights=shared[mine], minlength=len(distinct))
            enough = (total > 0) & (total >= minimum)
            stats[f"candidates:{name}"] += int(np.count_nonzero(enough))
            bits[enough] |= np.uint8(bit)
        kept = bits != 0
        yield distinct[kept], bits[kept]
        live = [run for run in live if run.fill()]


class _PairRun:
    """A pairing run read a batch at a time."""

    def __init__(self, path, kind: int) -> None:
        self.kind = kind
        self._batches = iter_ipc_batches(path)
        self._codes = np.empty(0, np.uint64)
        self._shared = np.empty(0, np.int64)

    def fill(self) -> bool:
        """Whether pairs are left; reads the next batch when none is held."""
        while not len(self._codes):
            batch = next(self._batches, None)
            if batch is None:
                return False
            self._codes = batch["code"].to_numpy()
            self._shared = batch["shared"].to_numpy()
        return True

    @property
    def last(self) -> int:
        return self._codes[-1]

    def take_through(self, code) -> tuple[np.ndarray, np.ndarray, int]:
        cut = int(np.searchsorted(self._codes, code, "right"))
        taken = (self._codes[:cut], self._shared[:cut], self.kind)
        self._codes, self._shared = self._codes[cut:], self._shared[cut:]
        return taken


@dataclass(frozen=True)
class PairBatch:
    """Candidate pair codes (see :class:`~archive.relations.find.Candidates`) to confirm: the
    ``index``-th batch."""

    index: int
    codes: np.ndarray
    bits: np.ndarray


@dataclass
class BatchOutcome:
    """What a batch leaves to the driver: its near-duplicates and paraphrases (stated once
    families and word counts are known) with the record id and dates of each body they
    name, its counts, and the run file of the shared quotations it stated itself."""

    confirmed: list[Confirmed]
    bodies: dict[int, tuple]
    stats: Counter = field(default_factory=Counter)
    run: Path | RemotePath | None = None


def confirm_batch(
    batch: PairBatch,
    ctx: PackContext,
    bodies: list[int],
    settings: RelationSettings,
    cached: tuple[Path, ...] | None = None,
) -> BatchOutcome:
    """Task 6: confirm a batch of candidate pairs. Bodies are read once per batch: the word
    hashes of those a near-duplicate check screens, the texts of those it or a paraphrase
    check aligns, only the quotation views of those that a quotation check compares. A pair
    confirmed in the parent's pack (``cached``: its outcome files, see
    :mod:`archive.release.confirmation_cache`) is taken from there, not aligned again; what
    each pair was confirmed as is filed for this pack's cache."""
    outcome = _confirmed_batch(batch, ctx, bodies, settings, cached)
    release_memory()
    return outcome


def _confirmed_batch(
    batch: PairBatch,
    ctx: PackContext,
    bodies: list[int],
    settings: RelationSettings,
    cached: tuple[Path, ...] | None = None,
) -> BatchOutcome:
    left = (batch.codes >> np.uint64(32)).astype(np.int64)
    right = (batch.codes & np.uint64(0xFFFFFFFF)).astype(np.int64)
    numbers = np.union1d(left, right)
    held = _body_rows(ctx, bodies, numbers, _HELD_COLUMNS)
    reps = dict(zip(numbers.tolist(), held["record_id"].to_pylist(), strict=True))
    sha256s = held["text_sha256"].combine_chunks()
    u_hashes = sha256s.take(pa.array(np.searchsorted(numbers, left)))
    v_hashes = sha256s.take(pa.array(np.searchsorted(numbers, right)))
    known = cached_outcomes(cached, u_hashes, v_hashes, batch.bits)
    todo = np.ones(len(left), dtype=bool)
    todo[list(known)] = False
    full = todo & ((batch.bits & (LSH | ANCHORED)) != 0)
    quoted = todo & ((batch.bits & QUOTED) != 0)
    view_numbers = np.union1d(left[quoted], right[quoted])
    views = dict(_views(view_numbers, _body_rows(ctx, bodies, view_numbers, _VIEW_COLUMNS)))
    # which copy candidates could share enough passages to be aligned at all, from the word
    # hashes signing kept: only the bodies of those, and of rewrite candidates, are tokenized
    vocab = Vocabulary()
    hashes, tokens = _word_hashes_of(ctx, bodies, (numbers, held), full, left, right, vocab)
    may = align.may_share_passages(hashes, left[full], right[full], settings)
    copies = set(batch.codes[full][may].tolist())
    del hashes
    rewrites = todo & ((batch.bits & ANCHORED) != 0)
    aligned = np.union1d(
        np.union1d(left[full][may], right[full][may]), np.union1d(left[rewrites], right[rewrites])
    )
    aligned = aligned[~np.isin(aligned, np.fromiter(tokens, np.int64, len(tokens)))]
    tokens.update(_tokens_of(ctx, bodies, (numbers, held), aligned, vocab))
    docs = Lru(lambda i: align.Doc(None, vocab.arrays(*tokens[i]), vocab))
    outcome = BatchOutcome([], {})
    # the shared quotation runs of the quotation candidates, found together a part at a time
    # (in the order the pairs are confirmed), each part held until the pairs pass it
    parts = align.iter_quote_runs_of_pairs(views, left[quoted], right[quoted], settings)
    quoted_codes = iter(batch.codes[quoted].tolist())
    quote_runs: dict[int, list] = {}

    def runs_of(u: int, v: int) -> list:
        code = u << 32 | v
        while code not in quote_runs:
            part = next(parts)
            quote_runs.clear()
            quote_runs.update(zip(islice(quoted_codes, len(part)), part, strict=True))
        return quote_runs[code]

    def may_copy(u: int, v: int) -> bool:
        return u << 32 | v in copies

    # the sentence pairs worth aligning of the rewrite candidates that are no copy, found
    # together (a copy is confirmed first; the few the checks reject go one at a time)
    paraphrases = rewrites.copy()
    paraphrases[np.flatnonzero(full)[may]] = False
    candidates = dict(
        zip(
            batch.codes[paraphrases].tolist(),
            align.rewrite_candidates(
                tokens.__getitem__, vocab, left[paraphrases], right[paraphrases], settings
            ),
            strict=True,
        )
    )

    def rewrites_of(u: int, v: int) -> list | None:
        return candidates.get(u << 32 | v)

    # Shared quotations need nothing from other batches: stated here, sorted, filed.
    state = Statements(settings, reps.__getitem__, None, None)
    quoting: list[Relation] = []
    kept = []
    pairs = zip(pairs_of(batch.codes), batch.bits.tolist(), strict=True)
    for k, ((u, v), bits) in enumerate(pairs):
        was = known.get(k)
        if was is None:
            found = confirm_pair(
                u,
                v,
                bits,
                docs,
                views.__getitem__,
                settings,
                outcome.stats,
                runs_of,
                may_copy,
                rewrites_of,
            )
            was = outcome_of(found)
        else:  # what confirming it again would give and count
            found = was.confirmed(u, v) if was.kind not in (None, QUOTATION) else None
            if quotation_skipped(was.kind, bits):
                outcome.stats["skipped-related:shares-quotation"] += 1
        kept.append(was)
        if was.kind == QUOTATION:
            quoting.append(state.quotation(u, v, was.score, was.evidence))
        elif found is not None:
            outcome.confirmed.append(found)
    if quoting:
        outcome.run = ctx.work.relation_batch_run(batch.index)
        write_run(quoting, outcome.run)
    outcome.bodies = _dates(numbers, held, {i for c in outcome.confirmed for i in (c.u, c.v)})
    keep_batch(ctx.work.relation_confirmed(batch.index), u_hashes, v_hashes, batch.bits, kept)
    return outcome


def _dates(numbers: np.ndarray, held: pa.Table, wanted: set[int]) -> dict[int, tuple]:
    """The record id and dates of the bodies ``wanted`` among ``numbers`` (their rows
    ``held``): those of the confirmed pairs the driver states."""
    if not wanted:
        return {}
    ordered = sorted(wanted)
    rows = held.take(pa.array(np.searchsorted(numbers, ordered)))
    columns = [rows[name].to_pylist() for name in _DATES_SCHEMA.names]
    return dict(zip(ordered, zip(*columns, strict=True), strict=True))


def _body_rows(
    ctx: PackContext,
    bodies: list[int],
    numbers: np.ndarray,
    columns: list[str],
    words: bool = False,
) -> pa.Table:
    """The ``columns`` of the bodies ``numbers`` (ascending) in their shards' signature files
    (``words``: their word hash files), in that order, reading each file once and only the
    columns and rows that hold them (mapped locally, by byte range in a bucket)."""
    path_of, schema = (
        (ctx.work.relation_word_hashes, _WORDS_SCHEMA)
        if words
        else (ctx.work.relation_signatures, _SIGNATURE_SCHEMA)
    )
    first = np.concatenate(([0], np.cumsum(bodies)))
    shards = np.searchsorted(first, numbers, "right") - 1
    tables = []
    for shard in np.unique(shards).tolist():
        at = numbers[shards == shard] - first[shard]
        tables.append(ipc_rows_at(path_of(shard), at, columns))
    if not tables:
        return schema.empty_table().select(columns)
    return pa.concat_tables(tables)


def _word_hashes_of(
    ctx: PackContext,
    bodies: list[int],
    held: tuple[np.ndarray, pa.Table],
    full: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    vocab: Vocabulary,
) -> tuple[dict[int, np.ndarray], dict[int, tuple[np.ndarray, np.ndarray]]]:
    """The word hashes of the bodies of the pairs ``full`` (a mask of ``left``/``right``),
    as signing kept them, and the token ids in ``vocab`` of the bodies it did not (taken
    from the pack cache): those are tokenized, and their hashes found from their tokens."""
    numbers = np.union1d(left[full], right[full])
    kept = _body_rows(ctx, bodies, numbers, ["word_hashes"], words=True)
    kept = kept["word_hashes"].combine_chunks()
    valid = kept.is_valid().to_numpy(zero_copy_only=False)
    values = kept.flatten().to_numpy()  # of the valid rows only
    ends = np.cumsum(kept.value_lengths().fill_null(0).to_numpy())
    starts = np.concatenate(([0], ends[:-1]))
    hashes = {
        number: values[start:end]
        for number, start, end in zip(
            numbers[valid].tolist(), starts[valid].tolist(), ends[valid].tolist(), strict=True
        )
    }
    tokens = _tokens_of(ctx, bodies, held, numbers[~valid], vocab)
    hashes.update((i, vocab.hash[vocab.raw_fold[raw]]) for i, (raw, _) in tokens.items())
    return hashes, tokens


def _tokens_of(
    ctx: PackContext,
    bodies: list[int],
    held: tuple[np.ndarray, pa.Table],
    text_numbers: np.ndarray,
    vocab: Vocabulary,
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The word and separator ids in ``vocab`` of the texts of the bodies numbered
    (tokenized a shard's worth at a time, never held as Python strings). ``held``: the
    batch's bodies and their rows of :data:`_HELD_COLUMNS` (where each text is in its shard's
    final work file)."""
    first = np.concatenate(([0], np.cumsum(bodies)))
    tokens: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    numbers, rows = held
    at = np.searchsorted(numbers, text_numbers)
    final_batch = rows["final_batch"].to_numpy()[at]
    final_offset = rows["final_offset"].to_numpy()[at]
    shards = np.searchsorted(first, text_numbers, "right") - 1
    for shard in np.unique(shards).tolist():
        wanted = shards == shard
        final = ipc_rows(ctx.work.final(shard), final_batch[wanted], final_offset[wanted], ["text"])
        mine = text_numbers[wanted].tolist()
        for start, some in _text_slices(final["text"]):
            tokens.update(zip(mine[start : start + len(some)], vocab.id_lists(some), strict=True))
    return tokens


def _views(numbers: np.ndarray, signed: pa.Table) -> Iterator[tuple[int, align.QuoteView]]:
    lists = [signed[f"quote_{name}"].combine_chunks() for name in _QUOTE_FIELDS]
    ends = np.cumsum(lists[0].value_lengths().to_numpy()).tolist()
    words = lists[0].flatten().to_pylist()
    arrays = [column.flatten().to_numpy() for column in lists[1:]]
    start = 0
    for number, end in zip(numbers.tolist(), ends, strict=True):
        yield number, align.QuoteView(words[start:end], *(a[start:end] for a in arrays))
        start = end


def write_run(relations: list[Relation], path: Path | RemotePath) -> None:
    """A sorted run of relations, in small batches so merging reads a little of each."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = relation_rows(sorted(relations, key=Relation.sort_key))
    write_ipc_batches(table.to_batches(max_chunksize=_MERGE_ROWS), table.schema, path)


def write_relations(
    ctx: PackContext,
    path: Path | RemotePath,
    outcomes: Iterable[BatchOutcome],
    settings: RelationSettings,
    stats: Counter,
) -> Counter:
    """Driver, step 7: state the confirmed pairs and the exact duplicates, write them to
    ``path`` sorted (in a dehydrated tier with their evidence's words withheld), and the flags
    they raise; return the count of each kind (``stats`` gains the batches' counts).

    What it holds is bounded by chunk sizes, not by the corpus: the confirmed pairs are stated
    as they come, ``_PAIR_ROWS`` at a time (with the word counts of that chunk's words); the
    near-duplicates, which wait for their families, are filed with their edges; the families
    are joined from the edges read back (:mod:`archive.relations.families`: 4 bytes a body,
    and a record id for each body in a family), then the near-duplicates read back and named."""
    runs = _SortedRuns(ctx.work)
    chunks = _stated_pairs(ctx, outcomes, runs, settings, stats)
    names = _family_names(ctx.work, chunks)
    for chunk in range(chunks):
        for relation in _named_near_duplicates(ctx.work.relation_pairs(chunk), names):
            runs.add(relation)
        ctx.work.relation_pairs(chunk).unlink()
    state = Statements(settings, None, None, None)
    for batch in iter_ipc_batches(ctx.work.relation_exact()):
        rids, reps = batch["record_id"].to_pylist(), batch["rep"].to_pylist()
        for rid, rep, group in zip(rids, reps, names.name(reps), strict=True):
            runs.add(state.exact(rid, rep, group))
    kinds: Counter = Counter()
    flags = _FlagRuns(ctx.work)
    dehydrated = ctx.settings.tier == "metadata-only"

    def tables() -> Iterator[pa.Table]:
        for chunk in runs.merged(_TABLE_ROWS):
            kinds.update(r.kind for r in chunk)
            flags.add(flags_for(chunk))
            yield relation_rows(map(withheld_relation, chunk) if dehydrated else chunk)

    write_parquet_batches(tables(), RELATIONS_ARROW_SCHEMA, path)
    write_relation_flags(ctx, flags.merged())
    return kinds


def _stated_pairs(
    ctx: PackContext,
    outcomes: Iterable[BatchOutcome],
    runs: _SortedRuns,
    settings: RelationSettings,
    stats: Counter,
) -> int:
    """State the batches' confirmed pairs as they come, ``_PAIR_ROWS`` at a time; adopt the
    batches' runs; return how many chunks were stated (see :func:`_state_chunk`)."""
    held: list[Confirmed] = []
    bodies: dict[int, tuple] = {}
    chunks = 0
    for outcome in outcomes:
        stats.update(outcome.stats)
        if outcome.run is not None:
            runs.adopt(outcome.run)
        held += outcome.confirmed
        bodies.update(outcome.bodies)
        if len(held) >= _PAIR_ROWS:
            _state_chunk(ctx, chunks, held, bodies, runs, settings)
            chunks, held, bodies = chunks + 1, [], {}
    if held:
        _state_chunk(ctx, chunks, held, bodies, runs, settings)
        chunks += 1
    return chunks


def _state_chunk(
    ctx: PackContext,
    chunk: int,
    held: list[Confirmed],
    bodies: dict[int, tuple],
    runs: _SortedRuns,
    settings: RelationSettings,
) -> None:
    """State a chunk of confirmed pairs: paraphrases go to ``runs``; near-duplicates, stated
    but for their family, are filed with their edges (body numbers and record ids). Their
    bodies' dates came with them, and the word counts are looked up for the chunk's words."""
    words = _document_frequencies(ctx, {w for c in held for p in c.swaps for w in p})
    state = Statements(settings, lambda i: bodies[i][0], lambda i: bodies[i][1:], words.__getitem__)
    near: list[Relation] = []
    for found in held:
        if found.kind == "near-duplicate":
            near.append(state.relation(found))
        else:
            runs.add(state.relation(found))
    path = ctx.work.relation_pairs(chunk)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_ipc(relation_rows(near), path, _MERGE_ROWS)
    edges = [(f.u, f.v, bodies[f.u][0], bodies[f.v][0]) for f in held if f.kind == "near-duplicate"]
    columns = [list(c) for c in zip(*edges, strict=True)] or [[], [], [], []]
    write_ipc(pa.table(columns, schema=_EDGES_SCHEMA), ctx.work.relation_edges(chunk))


def _family_names(work: TaskDir, chunks: int) -> FamilyNames:
    """The near-duplicate families of the stated pairs' bodies, from their edges (read twice:
    to join the bodies, then for the record ids of those in a family)."""

    def edges() -> Iterator[pa.RecordBatch]:
        for chunk in range(chunks):
            yield from iter_ipc_batches(work.relation_edges(chunk))

    label = smallest_linked((b["u"].to_numpy(), b["v"].to_numpy()) for b in edges())
    names = FamilyNames.of(
        label,
        (
            ((b["u"].to_numpy(), b["v"].to_numpy()), (b["u_id"].to_pylist(), b["v_id"].to_pylist()))
            for b in edges()
        ),
    )
    for chunk in range(chunks):
        work.relation_edges(chunk).unlink()
    return names


def _named_near_duplicates(path: Path | RemotePath, names: FamilyNames) -> Iterator[Relation]:
    """The filed near-duplicates, each with its family (its two records share it)."""
    for batch in iter_ipc_batches(path):
        groups = names.name(batch["source_id"].to_pylist())
        columns = [
            groups if f.name == "group_id" else batch.column(f.name).to_pylist()
            for f in fields(Relation)
        ]
        yield from map(Relation, *columns)


def _document_frequencies(ctx: PackContext, words: set[str]) -> dict[str, int]:
    """How many signed bodies hold each of ``words`` (folded), summed over the shards' counts
    without loading them whole."""
    if not words:
        return {}
    ordered = sorted(words)
    hashes = np.array([word_hash(w) for w in ordered], dtype=np.uint64)
    totals = np.zeros(len(hashes), dtype=np.int64)
    for shard in range(ctx.shards):
        path = ctx.work.relation_frequencies(shard)
        if not path.exists():
            continue
        table = read_ipc(path)
        held = table["word"].to_numpy()
        at = np.minimum(np.searchsorted(held, hashes), max(0, len(held) - 1))
        found = (held[at] == hashes) if len(held) else np.zeros(len(hashes), dtype=bool)
        totals[found] += table["bodies"].to_numpy()[at[found]]
    return dict(zip(ordered, totals.tolist(), strict=True))


class _SortedRuns:
    """Relations in ``(source_id, target_id, kind)`` order, whatever the order they come in:
    sorted runs on disk (the batches' own, and ``_RUN_ROWS`` at a time of those added here),
    merged as they are read back."""

    def __init__(self, work: TaskDir) -> None:
        self.work = work
        self._held: list[Relation] = []
        self._runs: list[Path | RemotePath] = []

    def adopt(self, run: Path | RemotePath) -> None:
        self._runs.append(run)

    def add(self, relation: Relation) -> None:
        self._held.append(relation)
        if len(self._held) >= _RUN_ROWS:
            self._spill()

    def _spill(self) -> None:
        path = self.work.relation_spill(len(self._runs))
        write_run(self._held, path)
        self._runs.append(path)
        self._held = []

    def merged(self, size: int) -> Iterator[list[Relation]]:
        """The relations in order, ``size`` at a time (at least one chunk, maybe empty)."""
        if self._held:
            self._spill()
        self._collapse()
        yielded = False
        for chunk in _merged_runs(self._runs, size):
            yielded = True
            yield chunk
        if not yielded:
            yield []

    def _collapse(self) -> None:
        """Merge runs ``_FAN_IN`` at a time until no more than that are left: a merge holds
        one open file and one batch per run."""
        level = 0
        while len(self._runs) > _FAN_IN:
            merged = []
            for at in range(0, len(self._runs), _FAN_IN):
                group = self._runs[at : at + _FAN_IN]
                path = self.work.relation_merge(level, at // _FAN_IN)
                batches = (
                    batch
                    for chunk in _merged_runs(group, _MERGE_ROWS)
                    for batch in relation_rows(chunk).to_batches()
                )
                write_ipc_batches(batches, RELATIONS_ARROW_SCHEMA, path)
                for run in group:
                    run.unlink()
                merged.append(path)
            self._runs = merged
            level += 1


def _merged_runs(runs: list[Path | RemotePath], size: int) -> Iterator[list[Relation]]:
    merged = heapq.merge(*(_relations_in(path) for path in runs), key=Relation.sort_key)
    yield from iter(lambda: list(islice(merged, size)), [])


def _relations_in(path: Path | RemotePath) -> Iterator[Relation]:
    names = [f.name for f in fields(Relation)]
    for batch in iter_ipc_batches(path):
        columns = [batch.column(name).to_pylist() for name in names]
        yield from map(Relation, *columns)


class _FlagRuns:
    """The flags relations raise, ``(record_id, flag)`` as they come: sorted runs on disk,
    ``_RUN_ROWS`` at a time, merged without repeats as they are read back."""

    def __init__(self, work: TaskDir) -> None:
        self.work = work
        self._held: set[tuple[str, str]] = set()
        self._runs: list[Path | RemotePath] = []

    def add(self, flags: dict[str, tuple[str, ...]]) -> None:
        self._held.update((rid, name) for rid, names in flags.items() for name in names)
        if len(self._held) >= _RUN_ROWS:
            self._spill()

    def _spill(self) -> None:
        path = self.work.relation_flag_run(len(self._runs))
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = [list(c) for c in zip(*sorted(self._held), strict=True)] or [[], []]
        write_ipc(pa.table(columns, schema=_FLAGS_SCHEMA), path, _MERGE_ROWS)
        self._runs.append(path)
        self._held = set()

    def merged(self) -> Iterator[tuple[str, str]]:
        """Every ``(record_id, flag)`` once, in order."""
        if self._held:
            self._spill()
        last = None
        for row in merged_rows(self._runs, _FLAGS_SCHEMA.names):
            if row != last:
                yield row
            last = row
        for run in self._runs:
            run.unlink()


def write_relation_flags(ctx: PackContext, flags: Iterable[tuple[str, str]]) -> None:
    """File the flags relation finding raised (``spun-suspected``), ``(record_id, flag)`` in
    order, under each record's shard: a shard's at a time (a shard is a range of ids)."""
    held: list[tuple[str, str]] = []
    written: set[int] = set()
    for row in flags:
        shard = shard_of(row[0], ctx.shards)
        if held and shard != shard_of(held[0][0], ctx.shards):
            _write_flags(ctx, held, written)
            held = []
        held.append(row)
    if held:
        _write_flags(ctx, held, written)


def _write_flags(ctx: PackContext, rows: list[tuple[str, str]], written: set[int]) -> None:
    shard = shard_of(rows[0][0], ctx.shards)
    if shard in written:
        raise ValueError(f"flags of shard {shard} came out of record id order")
    written.add(shard)
    path = ctx.work.flags(shard)
    path.parent.mkdir(exist_ok=True)
    rids, names = zip(*rows, strict=True)
    write_ipc(pa.table({"record_id": list(rids), "flag": list(names)}), path)
