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
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archive.format.manifest import canonical_json
from archive.format.parquetio import read_ipc, rows_at
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
_BLOCK = 1 << 20


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
    """A parent's signed bodies, mapped (only the rows taken are read), by ``text_sha256``."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def positions(self, hashes: pa.Array) -> np.ndarray:
        """Where each of ``hashes`` (a shard's, each once) is among the cached rows; -1 where
        it is not. The cached hashes are probed into a set of ``hashes``: one pass over them
        per shard, never a set of every cached body."""
        out = np.full(len(hashes), -1, dtype=np.int64)
        if not len(hashes):
            return out
        found = pc.index_in(self._table["text_sha256"], value_set=hashes)
        found = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        rows = np.flatnonzero(found >= 0)
        out[found[rows]] = rows
        return out

    def rows(self, positions: np.ndarray) -> pa.Table:
        return rows_at(self._table, positions)


def open_cached(files: tuple[Path, ...] | None) -> CachedSignatures | None:
    """The cached signatures in ``files`` (mapped), or None when there are none or they cannot
    be read as signatures: then every body is signed."""
    if not files:
        return None
    try:
        tables = [read_ipc(path) for path in files]
        if any(t.schema != SIGNED_SCHEMA for t in tables):
            return None
        return CachedSignatures(pa.concat_tables(tables))
    except (OSError, pa.ArrowException):
        return None


def cached_positions(hashes: pa.Array, cached: CachedSignatures | None) -> np.ndarray:
    """Where each of ``hashes`` is in ``cached``, -1 where it is not (everywhere when there
    is no cache, or it fails to be read here)."""
    if cached is not None:
        with suppress(OSError, pa.ArrowException):
            return cached.positions(hashes)
    return np.full(len(hashes), -1, dtype=np.int64)


def with_cached(
    at: np.ndarray, cached: CachedSignatures | None, sign: Callable[[np.ndarray], pa.Table]
) -> pa.Table:
    """The signed rows of some bodies, in order: those at cached rows ``at`` (-1: not cached)
    taken from ``cached``, the others from ``sign(positions)`` (the rows of those positions of
    ``at``, in order). A cache that fails to be read here is as no cache."""
    hit = np.flatnonzero(at >= 0)
    if cached is None or not len(hit):
        return sign(np.arange(len(at)))
    try:
        taken = cached.rows(at[hit]).select(SIGNED_SCHEMA.names)
    except (OSError, pa.ArrowException):
        return sign(np.arange(len(at)))
    if len(hit) == len(at):
        return taken
    missing = np.flatnonzero(at < 0)
    parts = pa.concat_tables([taken, sign(missing)])
    order = np.empty(len(at), dtype=np.int64)
    order[np.concatenate((hit, missing))] = np.arange(len(at))
    return parts.take(pa.array(order))


def signing_key(settings: RelationSettings) -> dict:
    """What signing a body is a function of, beside its text: the relation settings, the code
    of the relations package and of this module, and the Python, numpy and pyarrow that run it
    (bodies are tokenized by Arrow's regular expressions)."""
    from archive import relations

    code = hashlib.sha256()
    folder = Path(relations.__file__).parent
    for path in [*sorted(folder.glob("*.py")), Path(__file__)]:
        code.update(path.name.encode() + b"\0" + path.read_bytes())
    return {
        "settings": json.loads(settings.params_json()),
        "code": code.hexdigest(),
        "python": sys.version,
        "numpy": np.__version__,
        "pyarrow": pa.__version__,
    }


def parent_signatures(release: Path, settings: RelationSettings) -> tuple[Path, ...] | None:
    """The signature files kept beside the parent ``release``, when they are there, were made
    with ``settings`` and this code, and match the digests written with them."""
    cache = CacheDir.beside(release)
    try:
        meta = json.loads(cache.signatures_meta().read_bytes())
        if meta.get("key") != signing_key(settings):
            return None
        files = []
        for name, size, digest in meta["files"]:
            path = cache.signatures() / name
            if path.name != name or path.stat().st_size != size or _sha256(path) != digest:
                return None
            files.append(path)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return tuple(files)


def keep_signatures(workdir: WorkDir, shards: int, settings: RelationSettings) -> None:
    """Move the shards' signed bodies into the cache this pack builds, with their key and
    digests. An optimisation: what cannot be kept is dropped, never a failure."""
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
            files.append([kept.name, kept.stat().st_size, _sha256(kept)])
        meta = {"key": signing_key(settings), "files": files}
        cache.signatures_meta().write_bytes(canonical_json(meta))
    except OSError:
        with suppress(OSError):
            cache.signatures_meta().unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
