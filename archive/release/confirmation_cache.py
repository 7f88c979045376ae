"""What confirming each candidate pair found, kept in the pack cache for the next version's pack.

Confirming a candidate pair (:func:`~archive.relations.find.confirm_pair`) depends on the two
bodies' texts, the kinds of candidate it is (its bits), the relation settings and the code
alone: never on record ids, dates, or the other pairs of its batch. So a re-pack takes the
outcome of each pair its parent confirmed, related or not, from the parent's cache, looked up by
``(text_sha256 of u, text_sha256 of v, bits)`` (``u`` the body whose representative record id
sorts first), and aligns only the others. What depends on this pack is stated again from the
outcome: the record ids, the direction and its basis (by the bodies' dates or their words'
frequencies), the families (:class:`~archive.relations.find.Statements`). The counts the
manifest reports are the same: a cached pair counts what confirming it counts.

The cache is ``confirmations/`` in ``.archive-cache/<release>``: the outcomes in parts by key
range, each part one batch sorted by key (:data:`CONFIRMED_SCHEMA`; the key mixes the two hashes'
first 64 bits and the bits, :func:`pair_keys`), and ``confirmations.json``, which names what the
outcomes are a function of (:func:`confirming_key`) and each part's size and SHA-256. A batch
finds its pairs by binary search in the keys of their parts, mapped (only the pages the searches
reach are read), and compares the candidate rows' hashes and bits in full. It is not part of
the release: a cache missing, of other settings or code, not matching its digests, or holding a
row that is no outcome is not used, and the pairs are confirmed again, as without one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archive.capture.storage import RemotePath
from archive.format.manifest import canonical_json as meta_json
from archive.format.manifest import file_sha256
from archive.format.parquetio import iter_ipc_batches, mapped_ipc, read_ipc, rows_at, write_ipc
from archive.relations import RelationSettings
from archive.relations.align import SentencePair
from archive.relations.find import Confirmed
from archive.relations.model import canonical_json
from archive.relations.text import Sentence
from archive.release.signature_cache import hash_prefixes, ranks, signing_key, vouched
from archive.release.workdir import CacheDir, WorkDir
from archive.runtime.process import allow_open_files

CONFIRMED_SCHEMA = pa.schema(
    [
        ("key", pa.uint64()),
        ("u_sha256", pa.string()),
        ("v_sha256", pa.string()),
        ("bits", pa.uint8()),
        ("kind", pa.string()),  # null: the pair is not related
        ("score", pa.float64()),
        ("evidence", pa.string()),  # canonical JSON, as the relation states it before direction
        ("sentence_pairs", pa.string()),  # JSON, a paraphrase's only
    ]
)
PART_ROWS = 1 << 16  # outcomes a part holds, about: the driver sorts a part at a time
QUOTATION = "shares-quotation"
_LATER = ("near-duplicate", "paraphrase-of")  # stated by the driver, with direction and family
_QUOTATION_EVIDENCE = '{"quotations":['
_MIX_V = np.uint64(0x9E3779B97F4A7C15)
_MIX_BITS = np.uint64(0xBF58476D1CE4E5B9)


@dataclass(frozen=True)
class Outcome:
    """What confirming one candidate pair found, apart from which bodies it joins: the kind
    (None: not related), score, evidence (canonical JSON) and a paraphrase's aligned sentence
    pairs (JSON), as a cache row holds them."""

    kind: str | None
    score: float | None = None
    evidence: str | None = None
    sentence_pairs: str | None = None

    def confirmed(self, u: int, v: int) -> Confirmed:
        """The outcome (a near-duplicate or paraphrase) as the pair of bodies ``u``, ``v``."""
        return Confirmed(
            u, v, self.kind, self.score, json.loads(self.evidence), _pairs(self.sentence_pairs)
        )


NOT_RELATED = Outcome(None)


def outcome_of(found: Confirmed | None) -> Outcome:
    """The outcome a confirmed pair (None: not related) is kept as."""
    if found is None:
        return NOT_RELATED
    pairs = _pairs_json(found.sentence_pairs) if found.kind == "paraphrase-of" else None
    return Outcome(found.kind, found.score, canonical_json(found.evidence), pairs)


def _pairs_json(pairs: Sequence[SentencePair]) -> str:
    rows = [
        [
            [p.a.first, p.a.last, p.a.start, p.a.end],
            [p.b.first, p.b.last, p.b.start, p.b.end],
            p.same,
            [list(swap) for swap in p.swaps],
            p.other,
        ]
        for p in pairs
    ]
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


def _pairs(text: str | None) -> tuple[SentencePair, ...]:
    if text is None:
        return ()
    return tuple(
        SentencePair(Sentence(*a), Sentence(*b), same, tuple((x, y) for x, y in swaps), other)
        for a, b, same, swaps, other in json.loads(text)
    )


def pair_keys(u_hashes: pa.Array, v_hashes: pa.Array, bits: np.ndarray) -> np.ndarray:
    """The key of each pair ``(u_hashes[k], v_hashes[k], bits[k])``: a 64-bit mix of the two
    hashes' first 64 bits and the bits, ordered (``(v, u)`` is another pair). ValueError when a
    hash is not one."""
    u, v = hash_prefixes(u_hashes), hash_prefixes(v_hashes)
    if u is None or v is None:
        raise ValueError("a hash is not 64 lowercase hexadecimal digits")
    return u ^ (v * _MIX_V) ^ (np.asarray(bits).astype(np.uint64) * _MIX_BITS)


def part_of(keys: np.ndarray, parts: int) -> np.ndarray:
    """The part of ``parts`` each key is kept in: ranges of keys, so each part's keys, sorted,
    follow the last part's."""
    return (((keys >> np.uint64(32)) * np.uint64(parts)) >> np.uint64(32)).astype(np.int64)


def outcome_table(
    u_hashes: pa.Array, v_hashes: pa.Array, bits: np.ndarray, outcomes: list[Outcome]
) -> pa.Table:
    """Cache rows (:data:`CONFIRMED_SCHEMA`) of a batch's pairs and their outcomes."""
    return pa.table(
        [
            pair_keys(u_hashes, v_hashes, bits),
            u_hashes,
            v_hashes,
            pa.array(bits, pa.uint8()),
            [o.kind for o in outcomes],
            pa.array([o.score for o in outcomes], pa.float64()),
            [o.evidence for o in outcomes],
            [o.sentence_pairs for o in outcomes],
        ],
        schema=CONFIRMED_SCHEMA,
    )


def keep_batch(
    path: Path | RemotePath,
    u_hashes: pa.Array,
    v_hashes: pa.Array,
    bits: np.ndarray,
    outcomes: list[Outcome],
) -> None:
    """File a batch's outcomes for this pack's cache; none for a remote pack, whose cache is
    not kept. An optimisation: what cannot be filed is dropped, never a failure."""
    if isinstance(path, RemotePath):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ipc(outcome_table(u_hashes, v_hashes, bits, outcomes), path)
    except (OSError, ValueError, pa.ArrowException):
        with suppress(OSError):
            path.unlink(missing_ok=True)


class CachedConfirmations:
    """A parent's outcomes, mapped, in parts by key range (each part one batch sorted by key):
    a pair is looked for in its part alone, by binary search, and only the rows whose key is
    the pair's are read, then compared in full. ``sheds``: each part's ``shed`` (see
    :func:`~archive.format.parquetio.mapped_ipc`), called once the part is searched, so what
    the disk reads ahead of the pages searched stays resident for one part at a time."""

    def __init__(self, parts: list[pa.Table], sheds: Sequence[Callable[[], None]] = ()) -> None:
        self._parts = parts
        self._sheds = list(sheds)

    def outcomes(self, u_hashes: pa.Array, v_hashes: pa.Array, bits: np.ndarray) -> dict:
        """The cached outcome of each pair ``k`` held, by ``k``. Raises ValueError (or an
        Arrow error) when a hash, a part or a row found is not what it should be. The pages
        read are let go after each part (and all of them at the end)."""
        try:
            return self._outcomes(u_hashes, v_hashes, np.asarray(bits))
        finally:
            for shed in self._sheds:
                shed()

    def _outcomes(self, u_hashes: pa.Array, v_hashes: pa.Array, bits: np.ndarray) -> dict:
        keys = pair_keys(u_hashes, v_hashes, bits)
        found: dict[int, Outcome] = {}
        owner = part_of(keys, len(self._parts))
        for part in np.unique(owner).tolist():
            asked = np.flatnonzero(owner == part)
            try:
                rows = self._rows(self._parts[part], keys[asked])
            finally:
                if self._sheds:
                    self._sheds[part]()
            at, rows = asked[rows[0]], rows[1]
            same = pc.and_(
                pc.and_(
                    pc.equal(rows["u_sha256"], u_hashes.take(pa.array(at))),
                    pc.equal(rows["v_sha256"], v_hashes.take(pa.array(at))),
                ),
                pc.equal(rows["bits"], pa.array(bits[at].astype(np.uint8))),
            )
            same = pc.fill_null(same, False).to_numpy(zero_copy_only=False)
            for k, outcome in zip(at[same].tolist(), _sound(rows.filter(same)), strict=True):
                found.setdefault(k, outcome)
        return found

    @staticmethod
    def _rows(table: pa.Table, keys: np.ndarray) -> tuple[np.ndarray, pa.Table]:
        """The rows of a part whose key is one of ``keys`` (copied out of the mapping), and
        for each, which of ``keys`` it is."""
        if not table.num_rows:
            return np.empty(0, np.int64), table
        held = _keys(table)
        lo = np.searchsorted(held, keys, "left")
        counts = np.searchsorted(held, keys, "right") - lo
        rows = np.repeat(lo, counts) + ranks(counts)
        return np.repeat(np.arange(len(keys)), counts), rows_at(table, rows)


def _keys(table: pa.Table) -> np.ndarray:
    column = table["key"]
    if column.num_chunks == 1:  # as kept: the mapped keys themselves, read where searched
        return column.chunk(0).to_numpy()
    return column.to_numpy()


def _sound(rows: pa.Table) -> list[Outcome]:
    """The rows as outcomes; ValueError (or TypeError) when one is no outcome confirming gives:
    an unknown kind, a related pair without its score or evidence, evidence or sentence pairs
    that do not read back."""
    out = []
    columns = [rows[name].to_pylist() for name in ("kind", "score", "evidence", "sentence_pairs")]
    for kind, score, evidence, pairs in zip(*columns, strict=True):
        if kind is None:
            out.append(NOT_RELATED)
            continue
        outcome = Outcome(kind, score, evidence, pairs)
        if score is None or evidence is None:
            raise ValueError("a cached outcome has no score or evidence")
        if kind == QUOTATION:
            if not evidence.startswith(_QUOTATION_EVIDENCE) or pairs is not None:
                raise ValueError("a cached shared quotation has no quotations")
        elif kind in _LATER:
            if (kind == "paraphrase-of") != (pairs is not None):
                raise ValueError("a cached outcome's sentence pairs are not its kind's")
            if not isinstance(outcome.confirmed(0, 1).evidence, dict):
                raise ValueError("a cached outcome's evidence is no object")
        else:
            raise ValueError(f"a cached outcome is of no kind: {kind!r}")
        out.append(outcome)
    return out


def open_confirmations(files: tuple[Path, ...] | None) -> CachedConfirmations | None:
    """The cached outcomes in ``files`` (mapped), or None when there are none or they cannot be
    read as such: then every pair is confirmed."""
    if not files:
        return None
    try:
        tables, sheds = zip(*(mapped_ipc(path) for path in files), strict=True)
        if any(t.schema != CONFIRMED_SCHEMA for t in tables):
            return None
        return CachedConfirmations(list(tables), sheds)
    except (OSError, ValueError, pa.ArrowException):
        return None


def cached_outcomes(
    files: tuple[Path, ...] | None, u_hashes: pa.Array, v_hashes: pa.Array, bits: np.ndarray
) -> dict:
    """The outcome of each pair ``k`` (of ``u_hashes[k]``, ``v_hashes[k]``, ``bits[k]``) that the
    cache ``files`` holds, by ``k``; none when there is no cache, or it fails to be read or
    holds a row that is no outcome here (then the whole batch is confirmed again)."""
    cached = open_confirmations(files)
    if cached is not None:
        with suppress(OSError, ValueError, TypeError, KeyError, IndexError, pa.ArrowException):
            return cached.outcomes(u_hashes, v_hashes, bits)
    return {}


def confirming_key(settings: RelationSettings) -> dict:
    """What confirming a pair is a function of, beside its bodies' texts and bits: what
    signing is (:func:`~archive.release.signature_cache.signing_key`: the relation settings,
    this package's code, and the Python (difflib aligns sentences), numpy and pyarrow)."""
    return signing_key(settings)


def parent_confirmations(release: Path, settings: RelationSettings) -> tuple[Path, ...] | None:
    """The parts of outcomes kept beside the parent ``release``, in key order, when they are
    there, were found with ``settings`` and this code, and match the digests written with them."""
    cache = CacheDir.beside(release)
    try:
        meta = json.loads(cache.confirmations_meta().read_bytes())
        if not isinstance(meta, dict) or meta.get("key") != confirming_key(settings):
            return None
        files = []
        for name, size, digest in meta["parts"]:
            path = cache.confirmations() / name
            if path.name != name or not vouched(path, size, digest):
                return None
            files.append(path)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return tuple(files) or None


def keep_confirmations(workdir: WorkDir, settings: RelationSettings) -> None:
    """Gather the batches' outcomes into the cache this pack builds: spread over parts by key
    range (``PART_ROWS`` outcomes a part, about), each part then sorted by key, one part at a
    time, with their key and digests. An optimisation: what cannot be kept is dropped, never a
    failure."""
    batches = workdir.tasks.relation_confirmed_files()
    if workdir.is_remote or not batches or not all(isinstance(p, Path) for p in batches):
        return
    cache = workdir.cache()
    try:
        total = sum(read_ipc(path).num_rows for path in batches)
        folder = cache.confirmations()
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / f"part-{p:05d}.arrow" for p in range(max(1, -(-total // PART_ROWS)))]
        _spread(batches, paths)
        parts = []
        for path in paths:
            table = read_ipc(path)
            order = np.argsort(table["key"].to_numpy(), kind="stable")
            sorted_part = table.take(pa.array(order)).combine_chunks()
            del table
            interim = path.with_name(path.name + ".sorting")
            write_ipc(sorted_part, interim)
            os.replace(interim, path)
            digest, size = file_sha256(path)
            parts.append([path.name, size, digest])
        meta = {"key": confirming_key(settings), "parts": parts}
        cache.confirmations_meta().write_bytes(meta_json(meta))
    except (OSError, ValueError, pa.ArrowException):
        with suppress(OSError):
            cache.confirmations_meta().unlink(missing_ok=True)


def _spread(batches: list[Path], paths: list[Path]) -> None:
    """Each batch's rows appended to the part of their key, a batch at a time."""
    allow_open_files(len(paths) + 64)
    writers = []
    try:
        for path in paths:
            writers.append(pa.ipc.new_file(str(path), CONFIRMED_SCHEMA))
        for batch_file in batches:
            for batch in iter_ipc_batches(batch_file):
                owner = part_of(batch["key"].to_numpy(), len(paths))
                order = np.argsort(owner, kind="stable")
                parts, starts = np.unique(owner[order], return_index=True)
                for part, rows in zip(parts.tolist(), np.split(order, starts[1:]), strict=True):
                    writers[part].write_batch(batch.take(pa.array(rows)))
    finally:
        for writer in writers:
            writer.close()
