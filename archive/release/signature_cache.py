"""What signing found of each distinct body, kept in the pack cache for the next version's pack.

Signing a body (its LSH bands, anchors and quotation keys, its distinct folded words, its
quotation view: :func:`~archive.relations.find.chunk_keys`) depends on its text, the relation
settings and the code alone, so a re-pack takes the signing of each body its parent signed from
the parent's cache, looked up by the body's ``text_sha256``, and tokenizes only the others.
The cache is ``signatures/`` in ``.archive-cache/<release>`` (see
:class:`~archive.release.workdir.CacheDir`): one file per shard in :data:`SIGNED_SCHEMA`, and
``signatures.json``, which names what the rows are a function of (:func:`signing_key`) and each
file's size and SHA-256. It is not part of the release: a cache missing, of other settings or
code, or not matching its digests is not used, and the pack signs every body, as without one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from contextlib import suppress
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archive.format.manifest import canonical_json, file_sha256
from archive.format.parquetio import mapped_ipc, read_ipc, rows_at, write_ipc
from archive.relations import RelationSettings
from archive.relations.find import ChunkKeys
from archive.release.workdir import CacheDir, WorkDir

SIGNED_SCHEMA = pa.schema(
    [
        ("text_sha256", pa.string()),
        ("bands", pa.list_(pa.uint32())),
        ("anchors", pa.list_(pa.uint32())),
        ("quotes", pa.list_(pa.uint32())),
        ("words", pa.list_(pa.uint64())),
        ("quote_words", pa.list_(pa.string())),
        ("quote_starts", pa.list_(pa.int64())),
        ("quote_ends", pa.list_(pa.int64())),
        ("quote_index", pa.list_(pa.int32())),
        ("quote_grams", pa.list_(pa.uint64())),
    ]
)
INDEX_SCHEMA = pa.schema([("prefix", pa.uint64()), ("row", pa.uint32())])


def signed_rows(hashes: pa.Array, keys: ChunkKeys) -> pa.Table:
    """The bodies ``hashes`` signed as ``keys``, one row each (:data:`SIGNED_SCHEMA`)."""
    columns = [hashes]
    for name in ("bands", "anchors", "quotes"):
        values, counts = keys.keys[name]
        columns.append(_lists(counts, pa.array(values, pa.uint32())))
    columns.append(_lists(keys.word_counts, pa.array(keys.words, pa.uint64())))
    bounds = pa.array(keys.quote_bounds.astype(np.int32))
    views = (
        (keys.quote_words, pa.string()),
        (keys.quote_starts, pa.int64()),
        (keys.quote_ends, pa.int64()),
        (keys.quote_index, pa.int32()),
        (keys.quote_grams, pa.uint64()),
    )
    for values, value_type in views:
        columns.append(pa.ListArray.from_arrays(bounds, pa.array(values, value_type)))
    return pa.table(columns, schema=SIGNED_SCHEMA)


def _lists(counts: np.ndarray, values: pa.Array) -> pa.Array:
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values)


class CachedSignatures:
    """A parent's signed bodies, mapped (only the rows looked at are read), by ``text_sha256``.

    Each signature file has an index beside it (:data:`INDEX_SCHEMA`): the first 64 bits of
    each row's hash, sorted, and the row. A shard's hashes are found by binary search in each
    index, and only the candidate rows' hashes are read to confirm them: what a shard costs
    grows with the shard, and the parent's size only as a logarithm per file."""

    def __init__(
        self,
        tables: list[pa.Table],
        indexes: list[pa.Table] | None = None,
        sheds: list[Callable[[], None]] = (),
    ) -> None:
        self._tables = tables
        self._table = pa.concat_tables(tables) if tables else SIGNED_SCHEMA.empty_table()
        self._indexes = indexes if indexes is not None else [index_of(t) for t in tables]
        self._sheds = list(sheds)
        self._bases = np.cumsum([0] + [t.num_rows for t in tables])
        self.broken = False

    def positions(self, hashes: pa.Array) -> np.ndarray:
        """Where each of ``hashes`` (a shard's, each once) may be among the cached rows, -1
        where it is not: the row whose hash begins as it does (:func:`with_cached` confirms
        it when it takes the row; where several do, their hashes are compared here). Only the
        pages of the indexes the searches reach are read, and they are let go after. Raises
        ValueError when the hashes or an index are not what they should be."""
        try:
            return self._positions(hashes)
        finally:
            for shed in self._sheds:
                shed()

    def _positions(self, hashes: pa.Array) -> np.ndarray:
        out = np.full(len(hashes), -1, dtype=np.int64)
        prefixes = hash_prefixes(hashes)
        if prefixes is None:
            raise ValueError("a hash is not 64 lowercase hexadecimal digits")
        if not len(hashes):
            return out
        order = np.argsort(prefixes, kind="stable")  # sorted keys: each search starts near the last
        wanted = prefixes[order]
        asked, found = [], []  # each candidate: the body, and the cached row (of all files)
        for k, index in enumerate(self._indexes):
            if not index.num_rows:  # a shard of no relatable body: a file of no batch
                continue
            keys = index["prefix"].chunk(0).to_numpy()
            lo = np.searchsorted(keys, wanted, "left")
            hit = np.flatnonzero(keys[np.minimum(lo, len(keys) - 1)] == wanted)
            if not len(hit):
                continue
            counts = np.zeros(len(wanted), dtype=np.int64)  # the second search, for hits only
            counts[hit] = np.searchsorted(keys, wanted[hit], "right") - lo[hit]
            rows = index["row"].chunk(0).to_numpy()[np.repeat(lo, counts) + ranks(counts)]
            if rows.max() >= self._tables[k].num_rows:
                raise ValueError("a cached index names a row its file does not have")
            asked.append(np.repeat(order, counts))
            found.append(self._bases[k] + rows.astype(np.int64))
        if not asked:
            return out
        asked, found = np.concatenate(asked), np.concatenate(found)
        tied = np.bincount(asked, minlength=len(hashes))[asked] > 1
        if tied.any():  # hashes that begin alike (rare): keep the rows that are theirs
            held = rows_at(self._table.select(["text_sha256"]), found[tied])["text_sha256"]
            same = pc.equal(held, hashes.take(pa.array(asked[tied])))
            keep = ~tied
            keep[np.flatnonzero(tied)] = pc.fill_null(same, False).to_numpy(zero_copy_only=False)
            asked, found = asked[keep], found[keep]
        bodies, first = np.unique(asked, return_index=True)  # a hash held twice: its first row
        out[bodies] = found[first]
        return out

    def rows(self, positions: np.ndarray) -> pa.Table:
        """The cached rows at ``positions``; ValueError (and the cache is broken for what is
        left of the pack) when one is not a signing: a null, or quotation views of unequal
        lengths."""
        taken = rows_at(self._table, positions)
        if not sound_rows(taken):
            self.broken = True
            raise ValueError("a cached signature row is malformed")
        return taken


def ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c - 1 for each c of ``counts``, one after the other."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


_HEX = np.full(256, 255, dtype=np.uint8)
_HEX[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_HEX[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_PREFIX_DIGITS = 16


def hash_prefixes(hashes: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """The first 64 bits of each of ``hashes`` (64 lowercase hex digits each) as integers,
    in the order of the hex digits; None when one is null or not such a hash."""
    if isinstance(hashes, pa.ChunkedArray):
        parts = [hash_prefixes(chunk) for chunk in hashes.chunks]
        if any(p is None for p in parts):
            return None
        return np.concatenate(parts) if parts else np.empty(0, np.uint64)
    if hashes.type != pa.string() or hashes.null_count:
        return None
    n = len(hashes)
    if not n:
        return np.empty(0, np.uint64)
    offsets = np.frombuffer(hashes.buffers()[1], np.int32)[hashes.offset : hashes.offset + n + 1]
    if np.any(np.diff(offsets) != 64):
        return None
    data = np.frombuffer(hashes.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    digits = _HEX[data.reshape(n, 64)]
    if np.any(digits == 255):
        return None
    shifts = np.arange(4 * (_PREFIX_DIGITS - 1), -1, -4, dtype=np.uint64)
    return (digits[:, :_PREFIX_DIGITS].astype(np.uint64) << shifts).sum(axis=1, dtype=np.uint64)


def index_of(table: pa.Table) -> pa.Table:
    """The index of a signature file's rows (:data:`INDEX_SCHEMA`): their hashes' first 64
    bits, sorted, and each row's position. Reads the hash column alone: memory of one shard.
    ValueError when a hash is not one."""
    prefixes = hash_prefixes(table["text_sha256"])
    if prefixes is None or table.num_rows >= 1 << 32:
        raise ValueError("a signature file holds a row that is no text hash")
    order = np.argsort(prefixes, kind="stable")
    return pa.table([prefixes[order], order.astype(np.uint32)], schema=INDEX_SCHEMA)


def sound_rows(table: pa.Table) -> bool:
    """Whether signed rows are whole: no null anywhere, and each row's quotation views of one
    length (what a fresh signing gives; anything else is a spoiled cache)."""
    for column in table.columns:
        for chunk in column.chunks:
            if chunk.null_count:
                return False
            if pa.types.is_list(chunk.type) and chunk.flatten().null_count:
                return False
    lengths = [pc.list_value_length(table[name]) for name in _QUOTE_VIEWS]
    return all(pc.all(pc.equal(lengths[0], other)).as_py() is not False for other in lengths[1:])


_QUOTE_VIEWS = ("quote_words", "quote_starts", "quote_ends", "quote_index", "quote_grams")


def index_path(path: Path) -> Path:
    """Where the index of signature file ``path`` is kept."""
    return path.with_name(path.stem + ".index" + path.suffix)


def open_cached(files: tuple[Path, ...] | None) -> CachedSignatures | None:
    """The cached signatures in ``files`` and their indexes (mapped), or None when there are
    none or they cannot be read as such: then every body is signed."""
    if not files:
        return None
    try:
        tables = [read_ipc(path) for path in files]
        indexes, sheds = zip(*(mapped_ipc(index_path(path)) for path in files), strict=True)
        if any(t.schema != SIGNED_SCHEMA for t in tables):
            return None
        for table, index in zip(tables, indexes, strict=True):
            if index.schema != INDEX_SCHEMA or index.num_rows != table.num_rows:
                return None
        indexes = [i.combine_chunks() if i["prefix"].num_chunks != 1 else i for i in indexes]
        return CachedSignatures(tables, indexes, sheds)
    except (OSError, ValueError, pa.ArrowException):
        return None


def cached_positions(hashes: pa.Array, cached: CachedSignatures | None) -> np.ndarray:
    """Where each of ``hashes`` is in ``cached``, -1 where it is not (everywhere when there
    is no cache, or it fails to be read here)."""
    if cached is not None:
        with suppress(OSError, ValueError, pa.ArrowException):
            return cached.positions(hashes)
    return np.full(len(hashes), -1, dtype=np.int64)


def with_cached(
    at: np.ndarray,
    cached: CachedSignatures | None,
    sign: Callable[[np.ndarray], pa.Table],
    hashes: pa.Array,
) -> pa.Table:
    """The signed rows of some bodies, in order: those at cached rows ``at`` (-1: not cached)
    taken from ``cached`` when their hash is the body's (of ``hashes``), the
    others from ``sign(positions)`` (the rows of those positions of ``at``, in order). A cache
    that fails to be read here, or holds a row that is no signing, is as no cache."""
    hit = np.flatnonzero(at >= 0)
    if cached is None or cached.broken or not len(hit):
        return sign(np.arange(len(at)))
    try:
        taken = cached.rows(at[hit]).select(SIGNED_SCHEMA.names)
    except (OSError, ValueError, IndexError, pa.ArrowException):
        return sign(np.arange(len(at)))
    same = pc.equal(taken["text_sha256"], hashes.take(pa.array(hit)))
    same = pc.fill_null(same, False).to_numpy(zero_copy_only=False)
    if not same.all():  # a row whose hash only begins as the body's does
        at = at.copy()
        at[hit[~same]] = -1
        hit, taken = hit[same], taken.filter(pa.array(same))
    if len(hit) == len(at):
        return taken
    missing = np.flatnonzero(at < 0)
    parts = pa.concat_tables([taken, sign(missing)])
    order = np.empty(len(at), dtype=np.int64)
    order[np.concatenate((hit, missing))] = np.arange(len(at))
    return parts.take(pa.array(order))


def signing_key(settings: RelationSettings) -> dict:
    """What signing a body is a function of, beside its text: the relation settings, the code
    of this package (:func:`package_digest`), and the Python, numpy and pyarrow that run it
    (bodies are tokenized by Arrow's regular expressions)."""
    return {
        "settings": json.loads(settings.params_json()),
        "code": code_digest(),
        "python": sys.version,
        "numpy": np.__version__,
        "pyarrow": pa.__version__,
    }


def package_digest(root: Path) -> str:
    """The SHA-256 of every module under ``root``, each with its path below it. Wider than the
    modules signing runs, so any change to the package starts a new cache; it costs one read of
    the sources, where following signing's imports cost an AST walk and an import search of
    each module in every pack."""
    code = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        code.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return code.hexdigest()


@cache
def code_digest() -> str:
    """:func:`package_digest` of this package: the code the pack caches are a function of."""
    return package_digest(Path(__file__).resolve().parent.parent)


def parent_signatures(release: Path, settings: RelationSettings) -> tuple[Path, ...] | None:
    """The signature files kept beside the parent ``release``, when they are there, were made
    with ``settings`` and this code, and they and their indexes match the digests written with
    them."""
    cache = CacheDir.beside(release)
    try:
        meta = json.loads(cache.signatures_meta().read_bytes())
        if not isinstance(meta, dict) or meta.get("key") != signing_key(settings):
            return None
        files = []
        for name, size, digest, index_size, index_digest in meta["files"]:
            path = cache.signatures() / name
            if path.name != name or not vouched(path, size, digest):
                return None
            if not vouched(index_path(path), index_size, index_digest):
                return None
            files.append(path)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return tuple(files)


def vouched(path: Path, size: int, digest: str) -> bool:
    """Whether the cache file ``path`` has the ``size`` and SHA-256 ``digest`` its meta
    lists (the size first: it costs no read)."""
    return path.stat().st_size == size and file_sha256(path) == (digest, size)


def keep_signatures(workdir: WorkDir, shards: int, settings: RelationSettings) -> None:
    """Move the shards' signed bodies into the cache this pack builds, each with its index
    (built from its hashes alone: one shard's memory at a time), with their key and digests.
    An optimisation: what cannot be kept is dropped, never a failure."""
    cache = workdir.cache()
    parts = [workdir.tasks.relation_signed(shard) for shard in range(shards)]
    if workdir.is_remote or not all(isinstance(p, Path) and p.is_file() for p in parts):
        return
    try:
        cache.signatures().mkdir(parents=True, exist_ok=True)
        files = []
        for part in parts:
            kept = cache.signatures() / part.name
            os.replace(part, kept)
            index = index_path(kept)
            write_ipc(index_of(read_ipc(kept)), index)
            files.append([kept.name, *_size_and_digest(kept), *_size_and_digest(index)])
        meta = {"key": signing_key(settings), "files": files}
        cache.signatures_meta().write_bytes(canonical_json(meta))
    except (OSError, ValueError, pa.ArrowException):
        with suppress(OSError):
            cache.signatures_meta().unlink(missing_ok=True)


def _size_and_digest(path: Path) -> list:
    digest, size = file_sha256(path)
    return [size, digest]
