"""A re-pack takes the confirmation of each candidate pair its parent confirmed from the parent's
pack cache (:mod:`archive.release.confirmation_cache`), states again what depends on this pack
(record ids, direction, families), and writes the release a fresh pack writes, byte for byte,
whatever the cache holds: current, missing, or corrupt."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CREATED
from hypothesis import given, settings
from hypothesis import strategies as st
from relations.corpus import generate  # tests/ is on sys.path

from archive import PackSettings, pack
from archive.format.parquetio import read_ipc, write_ipc
from archive.relations import RelationSettings
from archive.relations.align import SentencePair
from archive.relations.find import Confirmed, Statements
from archive.relations.text import Sentence
from archive.release import confirmation_cache, relation_stages
from archive.release.cache import keep_cache
from archive.release.confirmation_cache import (
    CONFIRMED_SCHEMA,
    Outcome,
    cached_outcomes,
    keep_confirmations,
    outcome_of,
    outcome_table,
    parent_confirmations,
)
from archive.release.workdir import CacheDir, WorkDir

RELATIONS = Path("relations") / "relations.parquet"
BASE = PackSettings("planted", "1.0.0", CREATED, shards=3)
NEXT = replace(BASE, version="1.1.0")
CORRECTION = "\n\nCorrection: an earlier version of this story misspelled a name."


def _write(root: Path, records: dict[str, dict]) -> Path:
    """Captures ``{record_id: {"text", "published_at", "retrieved_at"}}`` and their capture
    log (the dates direct copies); return the log."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    log = root / "captures.jsonl"
    with open(log, "w", encoding="utf-8") as handle:
        for rid, record in records.items():
            (root / f"{rid}.txt").write_text(record["text"] + "\n", encoding="utf-8")
            entry = {"path": f"{rid}.txt"}
            for key in ("published_at", "retrieved_at"):
                if record[key] is not None:
                    entry[key] = record[key].isoformat()
            handle.write(json.dumps(entry) + "\n")
    return log


def _files(release: Path) -> dict[str, str]:
    """The name of each record's capture file (as :func:`_write` names them), by record id."""
    table = pq.read_table(release / "data", columns=["record_id", "capture"])
    paths = [c["source_path"] for c in table["capture"].to_pylist()]
    return {rid: Path(p).stem for rid, p in zip(table["record_id"].to_pylist(), paths, strict=True)}


def _relations(release: Path, names: dict[str, str] | None = None) -> list[dict]:
    """The release's relations, their record ids as capture file names when ``names``."""
    rows = pq.read_table(release / RELATIONS).to_pylist()
    for row in rows if names else ():
        row["source_id"], row["target_id"] = names[row["source_id"]], names[row["target_id"]]
    return rows


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    """A first version of a planted corpus (copies, quotations, rewrites, with dates), packed
    with its cache, and the second version's inputs: a copy's body changed, a quoting body
    changed, the date of a dated copy's source moved before its original (its pair is the
    parent's, its direction not), one record removed and one added."""
    base = tmp_path_factory.mktemp("parent")
    corpus = generate(60, seed=11, syndicated=0.15, spun=0.05, exact=0.05).records
    records = {
        r.record_id: {
            "text": r.text,
            "published_at": r.published_at,
            "retrieved_at": r.retrieved_at,
        }
        for r in corpus
    }
    log = _write(base / "one" / "captures", records)  # one root name: the same record ids
    first = pack([log.parent], base / "out", BASE, capture_log=log).path
    names = _files(first)
    found = _relations(first, names)
    dated = [
        r
        for r in found
        if r["kind"] == "near-duplicate" and '"direction_basis":"published_at"' in r["evidence"]
    ]
    moved, original = dated[0]["source_id"], dated[0]["target_id"]
    pair = {moved, original}
    near = [r for r in found if r["kind"] == "near-duplicate" and not pair & _ids(r)]
    quoting = [r for r in found if r["kind"] == "shares-quotation" and not pair & _ids(r)]
    later = {rid: dict(record) for rid, record in records.items()}
    # the copy, published after its original: now a month before it
    later[moved]["published_at"] = records[original]["published_at"] - timedelta(days=30)
    changed = {near[0]["target_id"], quoting[-1]["source_id"]}
    for rid in changed:
        later[rid]["text"] += CORRECTION
    untouched = sorted(set(records) - changed - pair)
    del later[untouched[5]]
    later["zz-added"] = {
        "text": "A new story about the harbour in Varnholt, told in plain words.",
        "published_at": None,
        "retrieved_at": None,
    }
    log = _write(base / "two" / "captures", later)
    return first, log.parent, log, next(rid for rid, name in names.items() if name == moved)


def _ids(relation: dict) -> set[str]:
    return {relation["source_id"], relation["target_id"]}


class _Counted:
    """What the confirming batches asked the cache for, what it gave, and how many pairs they
    aligned: ``asked`` and ``served`` as ``(u_sha256, v_sha256, bits)``."""

    def __init__(self, monkeypatch) -> None:
        self.asked: set[tuple] = set()
        self.served: set[tuple] = set()
        self.confirmed = 0
        real_cached, real_confirm = relation_stages.cached_outcomes, relation_stages.confirm_pair

        def cached(files, u_hashes, v_hashes, bits):
            got = real_cached(files, u_hashes, v_hashes, bits)
            keys = list(zip(u_hashes.to_pylist(), v_hashes.to_pylist(), bits.tolist(), strict=True))
            self.asked.update(keys)
            self.served.update(keys[k] for k in got)
            return got

        def confirm(*args, **kwargs):
            self.confirmed += 1
            return real_confirm(*args, **kwargs)

        monkeypatch.setattr(relation_stages, "cached_outcomes", cached)
        monkeypatch.setattr(relation_stages, "confirm_pair", confirm)


def _repack(
    parent: Path, captures: Path, log: Path, out: Path, monkeypatch, settings=NEXT
) -> tuple[Path, _Counted]:
    """Re-pack ``captures`` from (a copy of) ``parent`` and its cache in ``out``."""
    copy = out / parent.name
    shutil.copytree(parent, copy)
    if CacheDir.beside(parent).folder.is_dir():
        shutil.copytree(CacheDir.beside(parent).folder, CacheDir.beside(copy).folder)
    with monkeypatch.context() as patched:
        counted = _Counted(patched)
        release = pack([captures], out, settings, capture_log=log, parent=copy).path
    return release, counted


@pytest.fixture(scope="module")
def first_pairs(parent, tmp_path_factory):
    """The pairs the first version's pack confirmed, as ``(u_sha256, v_sha256, bits)``, seen
    as its batches asked for them (it had no cache to take them from)."""
    first, *_ = parent
    captures = first.parent.parent / "one" / "captures"
    with pytest.MonkeyPatch.context() as patched:
        counted = _Counted(patched)
        out = tmp_path_factory.mktemp("again")
        pack([captures], out, BASE, capture_log=captures / "captures.jsonl")
    assert not counted.served and counted.confirmed == len(counted.asked)
    return counted.asked


@pytest.fixture(scope="module")
def fresh(parent, tmp_path_factory):
    """The second version packed with no parent: what every re-pack must state."""
    _, captures, log, _ = parent
    with pytest.MonkeyPatch.context() as patched:
        counted = _Counted(patched)
        release = pack([captures], tmp_path_factory.mktemp("fresh"), NEXT, capture_log=log).path
    return release, counted


def _same_release_as_fresh(again: Path, fresh: Path) -> None:
    assert (again / RELATIONS).read_bytes() == (fresh / RELATIONS).read_bytes()
    for shard in sorted((fresh / "data").glob("*.parquet")):
        assert (again / "data" / shard.name).read_bytes() == shard.read_bytes()
    manifest = [json.loads((r / "manifest.json").read_bytes()) for r in (again, fresh)]
    assert manifest[0]["relations"] == manifest[1]["relations"]  # counts and skip counts


def test_a_re_pack_confirms_only_new_pairs_and_states_what_a_fresh_pack_states(
    parent, first_pairs, fresh, tmp_path, monkeypatch
):
    first, captures, log, moved = parent
    assert parent_confirmations(first, RelationSettings()) is not None
    again, counted = _repack(first, captures, log, tmp_path, monkeypatch)
    _same_release_as_fresh(again, fresh[0])
    assert counted.asked == fresh[1].asked  # the same candidates
    assert counted.served == counted.asked & first_pairs  # every pair the parent confirmed
    assert counted.confirmed == len(counted.asked - first_pairs) > 0  # and no other
    assert len(counted.served) > 0.8 * len(counted.asked)
    stats = json.loads((again / "manifest.json").read_bytes())["relations"]["stats"]
    assert stats["skipped-related:shares-quotation"] > 0  # counted for cached pairs too
    kinds = {r["kind"] for r in _relations(again)}
    assert kinds == {"near-duplicate", "paraphrase-of", "shares-quotation", "exact-duplicate"}
    # the moved copy's pair was served, and its direction follows the new dates
    before = [r for r in _relations(first) if moved in (r["source_id"], r["target_id"])]
    after = [r for r in _relations(again) if moved in (r["source_id"], r["target_id"])]
    flipped = [
        (b, a)
        for b in before
        for a in after
        if b["kind"] == a["kind"] == "near-duplicate"
        and (b["source_id"], b["target_id"]) == (a["target_id"], a["source_id"])
    ]
    assert flipped and all(a["directed"] for _, a in flipped)
    # and its own cache serves the next version: nothing is confirmed again
    later = replace(BASE, version="1.2.0")
    _, counted = _repack(again, captures, log, tmp_path / "next", monkeypatch, later)
    assert counted.confirmed == 0 and counted.served == counted.asked


def _part(cache: CacheDir) -> Path:
    return sorted(cache.confirmations().glob("*.arrow"))[0]


def _vouch(cache: CacheDir, path: Path) -> None:
    meta = json.loads(cache.confirmations_meta().read_bytes())
    for entry in meta["parts"]:
        if entry[0] == path.name:
            entry[1:3] = [path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()]
    cache.confirmations_meta().write_text(json.dumps(meta))


def _break_digest(cache: CacheDir) -> None:
    path = _part(cache)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _garbage_with_its_digest(cache: CacheDir) -> None:
    _part(cache).write_bytes(b"not an arrow file")
    _vouch(cache, _part(cache))


def _other_schema_with_its_digest(cache: CacheDir) -> None:
    write_ipc(pa.table({"key": pa.array([1], pa.uint64())}), _part(cache))
    _vouch(cache, _part(cache))


def _other_settings(cache: CacheDir) -> None:
    meta = json.loads(cache.confirmations_meta().read_bytes())
    meta["key"]["settings"]["min_quote_words"] += 1
    cache.confirmations_meta().write_text(json.dumps(meta))


def _other_code(cache: CacheDir) -> None:
    meta = json.loads(cache.confirmations_meta().read_bytes())
    meta["key"]["code"] = "0" * 64
    cache.confirmations_meta().write_text(json.dumps(meta))


def _no_meta(cache: CacheDir) -> None:
    cache.confirmations_meta().unlink()


def _meta_not_an_object(cache: CacheDir) -> None:
    cache.confirmations_meta().write_text("[]")


def _no_parts(cache: CacheDir) -> None:
    meta = json.loads(cache.confirmations_meta().read_bytes())
    meta["parts"] = [["../signatures.json", 1, "0" * 64]]
    cache.confirmations_meta().write_text(json.dumps(meta))


def _no_cache(cache: CacheDir) -> None:
    shutil.rmtree(cache.folder)


def _spoiled_repack(parent, tmp_path, monkeypatch, spoil):
    """The next version packed from a copy of ``parent`` whose cache ``spoil`` changed."""
    first, captures, log, _ = parent
    spoiled = tmp_path / "spoiled" / first.name
    shutil.copytree(first, spoiled)
    shutil.copytree(CacheDir.beside(first).folder, CacheDir.beside(spoiled).folder)
    spoil(CacheDir.beside(spoiled))
    return _repack(spoiled, captures, log, tmp_path / "out", monkeypatch)


@pytest.mark.parametrize(
    "spoil",
    [
        _break_digest,
        _garbage_with_its_digest,
        _other_schema_with_its_digest,
        _other_settings,
        _other_code,
        _no_meta,
        _meta_not_an_object,
        _no_parts,
        _no_cache,
    ],  # fmt: skip
)
def test_a_missing_or_corrupt_cache_confirms_every_pair_and_states_the_same(
    parent, fresh, tmp_path, monkeypatch, spoil
):
    again, counted = _spoiled_repack(parent, tmp_path, monkeypatch, spoil)
    _same_release_as_fresh(again, fresh[0])
    assert not counted.served and counted.confirmed == fresh[1].confirmed


def _rewritten(cache: CacheDir, change) -> None:
    """The part's rows as ``change(rows)`` makes them (a list of dicts), vouched for."""
    path = _part(cache)
    rows = read_ipc(path).to_pylist()
    change(rows)
    write_ipc(pa.Table.from_pylist(rows, CONFIRMED_SCHEMA), path)
    _vouch(cache, path)


def _every(of: str, **values):
    """A change of every row of kind ``of``: some pair the next version asks for is among them."""

    def change(rows: list[dict]) -> None:
        for row in rows:
            if row["kind"] == of:
                row.update(values)

    return change


def _unknown_kind(cache: CacheDir) -> None:
    _rewritten(cache, _every("near-duplicate", kind="cousin-of"))


def _quotation_of_no_quotations(cache: CacheDir) -> None:
    _rewritten(cache, _every("shares-quotation", evidence="{}"))


def _evidence_not_json(cache: CacheDir) -> None:
    _rewritten(cache, _every("near-duplicate", evidence="{oops"))


def _paraphrase_without_pairs(cache: CacheDir) -> None:
    _rewritten(cache, _every("paraphrase-of", sentence_pairs=None))


def _related_without_score(cache: CacheDir) -> None:
    _rewritten(cache, _every("shares-quotation", score=None))


def _sentence_pairs_of_another_shape(cache: CacheDir) -> None:
    _rewritten(cache, _every("paraphrase-of", sentence_pairs="[[1, 2]]"))


def _unsorted(cache: CacheDir) -> None:
    _rewritten(cache, lambda rows: rows.reverse())


def _of_other_hashes(cache: CacheDir) -> None:
    """Every row keeps its key but names other bodies: found by key, never taken."""

    def change(rows):
        for row in rows:
            row["u_sha256"] = hashlib.sha256(row["u_sha256"].encode()).hexdigest()

    _rewritten(cache, change)


@pytest.mark.parametrize(
    "spoil",
    [
        _unknown_kind,
        _quotation_of_no_quotations,
        _evidence_not_json,
        _paraphrase_without_pairs,
        _related_without_score,
        _sentence_pairs_of_another_shape,
        _unsorted,
        _of_other_hashes,
    ],  # fmt: skip
)
def test_a_spoiled_but_vouched_cache_states_what_a_fresh_pack_states(
    parent, first_pairs, fresh, tmp_path, monkeypatch, spoil
):
    again, counted = _spoiled_repack(parent, tmp_path, monkeypatch, spoil)
    _same_release_as_fresh(again, fresh[0])
    # more than the new pairs: what was spoiled (and its batch) is confirmed again
    assert counted.confirmed > len(counted.asked - first_pairs)


# Outcomes round trip: what a row holds is what confirming gave.

_words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
_sentences = st.builds(Sentence, *(st.integers(0, 10**6) for _ in range(4)))
_sentence_pairs = st.builds(
    SentencePair,
    _sentences,
    _sentences,
    st.integers(0, 500),
    st.lists(st.tuples(_words, _words), max_size=4).map(tuple),
    st.integers(0, 500),
)
_spans = st.lists(st.integers(0, 10**6), min_size=2, max_size=2)
_passages = st.lists(
    st.fixed_dictionaries({"source": _spans, "target": _spans, "words": st.integers(8, 900)}),
    min_size=1,
    max_size=4,
)
_coverage = st.floats(0, 1, allow_nan=False)
_near = st.builds(
    lambda p, a, b, score: Confirmed(
        3,
        9,
        "near-duplicate",
        score,
        {"passages": p, "source_coverage": a, "target_coverage": b},
    ),
    _passages,
    _coverage,
    _coverage,
    _coverage,
)
_paraphrase = st.builds(
    lambda pairs, rate, score: Confirmed(
        3, 9, "paraphrase-of", score, {"substitution_rate": rate}, tuple(pairs)
    ),
    st.lists(_sentence_pairs, min_size=1, max_size=5),
    _coverage,
    _coverage,
)
_quotation = st.builds(
    lambda quotes, score: Confirmed(3, 9, "shares-quotation", score, {"quotations": quotes}),
    st.lists(
        st.fixed_dictionaries(
            {"quotation": _words, "source": _spans, "target": _spans, "words": st.integers(8, 90)}
        ),
        min_size=1,
        max_size=3,
    ),
    _coverage,
)
_dates = st.one_of(st.none(), st.datetimes(timezones=st.just(CREATED.tzinfo)))


@settings(max_examples=80, deadline=None)
@given(st.one_of(_near, _paraphrase, _quotation), _dates, _dates, st.booleans())
def test_an_outcome_read_back_states_the_relation_confirming_states(found, first, second, swap):
    """Kept and read back (as a cache row is, JSON and all), an outcome states the relation,
    direction included, that the confirmed pair itself states, for whatever ids and dates the
    two bodies have in this pack."""
    rows = outcome_table(
        pa.array(["a" * 64]), pa.array(["b" * 64]), np.array([7], np.uint8), [outcome_of(found)]
    )
    (kept,) = confirmation_cache._sound(rows)
    ids = {3: "rec-b", 9: "rec-a"} if swap else {3: "rec-a", 9: "rec-b"}
    dates = {3: (first, None), 9: (second, None)}
    state = Statements(RelationSettings(), ids.__getitem__, dates.__getitem__, lambda w: len(w))
    if found.kind == "shares-quotation":
        again = state.quotation(3, 9, kept.score, kept.evidence)
    else:
        again = state.relation(kept.confirmed(3, 9))
        assert kept.confirmed(3, 9) == found
    assert again == state.relation(found)


# The kept parts: found by binary search, across parts, among keys that tie.


def _hash(n: int) -> str:
    """Hashes whose first 64 bits tie in threes: their pairs' keys tie, their rows must not."""
    return f"{n % 3:016x}" + f"{n:048x}"


_pairs = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.sampled_from([1, 2, 4, 7])))


@settings(max_examples=40, deadline=None)
@given(_pairs, _pairs, st.integers(1, 9), st.integers(1, 4))
def test_kept_outcomes_are_found_for_the_pairs_they_hold_and_no_other(
    held, asked, part_rows, batches
):
    held = list(dict.fromkeys(held))  # a pack confirms a pair once
    outcomes = {
        pair: Outcome("shares-quotation", k / 100, '{"quotations":[' + str(k) + "]}")
        if k % 2
        else Outcome(None)
        for k, pair in enumerate(held)
    }
    with pytest.MonkeyPatch.context() as patched, tempfile.TemporaryDirectory() as name:
        root = Path(name)
        patched.setattr(confirmation_cache, "PART_ROWS", part_rows)
        workdir = WorkDir.local(root, "planted-1.0.0")
        for b in range(batches):
            mine = held[b::batches]
            path = workdir.tasks.relation_confirmed(b)
            path.parent.mkdir(parents=True, exist_ok=True)
            columns = [pa.array([_hash(p[i]) for p in mine], pa.string()) for i in (0, 1)]
            bits = np.array([p[2] for p in mine], np.uint8)
            write_ipc(outcome_table(*columns, bits, [outcomes[p] for p in mine]), path)
        keep_confirmations(workdir, RelationSettings())
        release = root / "planted-1.0.0"
        keep_cache(workdir.cache(), release)
        files = parent_confirmations(release, RelationSettings())
        assert files is not None and len(files) == max(1, -(-len(held) // part_rows))
        u = pa.array([_hash(p[0]) for p in asked], pa.string())
        v = pa.array([_hash(p[1]) for p in asked], pa.string())
        got = cached_outcomes(files, u, v, np.array([p[2] for p in asked], np.uint8))
    assert got == {k: outcomes[p] for k, p in enumerate(asked) if p in outcomes}


def test_a_lookup_lets_go_of_each_part_once_it_is_searched():
    """Each part's pages are let go as soon as the part is searched (the disk reads ahead of
    what a binary search touches), not only once every part is: a batch holds one part's."""
    pairs = [(n, n + 40, 1) for n in range(30)]
    u = pa.array([_hash(a) for a, _, _ in pairs], pa.string())
    v = pa.array([_hash(b) for _, b, _ in pairs], pa.string())
    bits = np.ones(len(pairs), np.uint8)
    table = outcome_table(u, v, bits, [Outcome(None)] * len(pairs))
    owner = confirmation_cache.part_of(table["key"].to_numpy(), 3)
    parts = [table.filter(pa.array(owner == p)).sort_by("key").combine_chunks() for p in range(3)]
    assert all(p.num_rows for p in parts)
    calls: list[int] = []
    sheds = [lambda p=p: calls.append(p) for p in range(3)]
    held = confirmation_cache.CachedConfirmations(parts, sheds)
    assert held.outcomes(u, v, bits) == dict.fromkeys(range(len(pairs)), Outcome(None))
    assert calls == [0, 1, 2, 0, 1, 2]  # each part after its search, then all at the end
