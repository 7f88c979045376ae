"""A re-pack takes the signing of unchanged bodies from its parent's pack cache
(:mod:`archive.release.signature_cache`) and states the relations a fresh pack states, byte
for byte, whatever the cache holds: current, missing, or corrupt."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import replace
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
from archive.format.parquetio import write_ipc
from archive.relations import RelationSettings
from archive.release import relation_stages
from archive.release.signature_cache import (
    INDEX_SCHEMA,
    SIGNED_SCHEMA,
    CachedSignatures,
    cached_positions,
    hash_prefixes,
    index_of,
    index_path,
    package_digest,
    parent_signatures,
    with_cached,
)
from archive.release.workdir import CacheDir

RELATIONS = Path("relations") / "relations.parquet"
BASE = PackSettings("planted", "1.0.0", CREATED, shards=3)
NEXT = replace(BASE, version="1.1.0")


def _write(root: Path, texts: dict[str, str]) -> None:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for rid, text in texts.items():
        (root / f"{rid}.txt").write_text(text + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    """A first version of a planted corpus (copies, quotations, rewrites), packed with its
    cache, and the second version's inputs: one body changed, one added, one removed."""
    base = tmp_path_factory.mktemp("parent")
    records = generate(60, seed=11, syndicated=0.15, spun=0.05, exact=0.05).records
    texts = {r.record_id: r.text for r in records}
    _write(base / "v1", texts)
    first = pack([base / "v1"], base / "out", BASE).path
    later = dict(texts)
    ids = sorted(texts)
    later[ids[3]] += "\n\nCorrection: an earlier version of this story misspelled a name."
    del later[ids[5]]
    later["zz-added"] = "A new story about the harbour in Varnholt, told in plain words."
    _write(base / "v2", later)
    return first, base / "v2"


def _relatable_hashes(release: Path) -> set[str]:
    table = pq.read_table(release / "data", columns=["text", "text_sha256"])
    rows = zip(table["text"].to_pylist(), table["text_sha256"].to_pylist(), strict=True)
    return {h for t, h in rows if t}


def _repack(
    parent: Path, captures: Path, out: Path, monkeypatch, settings: PackSettings = NEXT
) -> tuple[Path, int]:
    """Re-pack ``captures`` from (a copy of) ``parent`` and its cache in ``out``; return the
    release and how many bodies it tokenized."""
    copy = out / parent.name
    shutil.copytree(parent, copy)
    if CacheDir.beside(parent).folder.is_dir():
        shutil.copytree(CacheDir.beside(parent).folder, CacheDir.beside(copy).folder)
    signed = []
    real = relation_stages.chunk_keys

    def counted(texts, *args):
        signed.extend(texts)
        return real(texts, *args)

    monkeypatch.setattr(relation_stages, "chunk_keys", counted)
    release = pack([captures], out, settings, parent=copy).path
    monkeypatch.setattr(relation_stages, "chunk_keys", real)
    return release, len(signed)


@pytest.fixture(scope="module")
def fresh(parent, tmp_path_factory):
    """The second version packed with no parent: what every re-pack must equal."""
    return pack([parent[1]], tmp_path_factory.mktemp("fresh"), NEXT, parent=None).path


def test_a_re_pack_signs_only_new_bodies_and_states_what_a_fresh_pack_states(
    parent, fresh, tmp_path, monkeypatch
):
    first, captures = parent
    assert parent_signatures(first, RelationSettings()) is not None
    again, signed = _repack(first, captures, tmp_path, monkeypatch)
    assert (again / RELATIONS).read_bytes() == (fresh / RELATIONS).read_bytes()
    for shard in sorted((fresh / "data").glob("*.parquet")):
        assert (again / "data" / shard.name).read_bytes() == shard.read_bytes()
    new_bodies = _relatable_hashes(again) - _relatable_hashes(first)
    assert len(new_bodies) == 2  # the changed body and the added one
    assert signed == len(new_bodies)
    kinds = set(pq.read_table(fresh / RELATIONS)["kind"].to_pylist())
    assert {"near-duplicate", "exact-duplicate"} <= kinds
    # and its own cache serves the next version: no body is tokenized again
    later = replace(BASE, version="1.2.0")
    _, signed = _repack(again, captures, tmp_path / "next", monkeypatch, later)
    assert signed == 0


def _word_hash(word: str) -> int:
    folded = word.lower().replace("’", "'")
    return int.from_bytes(hashlib.blake2b(folded.encode(), digest_size=8).digest(), "little")


def _bodies_word_hashes(release: Path) -> dict[str, tuple[int, ...]]:
    """Each relatable body's folded-word hashes by its text hash, found here with Python's
    regular expressions (the pack splits words with Arrow's)."""
    table = pq.read_table(release / "data", columns=["text", "text_sha256"])
    words = re.compile(r"\w+(?:['’]\w+)*")
    rows = zip(table["text"].to_pylist(), table["text_sha256"].to_pylist(), strict=True)
    return {h: tuple(_word_hash(w) for w in words.findall(t)) for t, h in rows if t}


def _spied_word_hashes(monkeypatch) -> list[tuple[dict, dict]]:
    """What each confirmed batch found of its copy candidates' bodies: their word hashes and
    the tokens of those it had to tokenize for them, each by the body's text hash."""
    seen = []
    real = relation_stages._word_hashes_of

    def spied(ctx, bodies, held, *rest):
        hashes, tokens = real(ctx, bodies, held, *rest)
        numbers, rows = held
        sha = dict(zip(numbers.tolist(), rows["text_sha256"].to_pylist(), strict=True))
        seen.append(
            (
                {sha[k]: tuple(v.tolist()) for k, v in hashes.items()},
                {sha[k]: v for k, v in tokens.items()},
            )
        )
        return hashes, tokens

    monkeypatch.setattr(relation_stages, "_word_hashes_of", spied)
    return seen


def _each_body_its_own(seen: list[tuple[dict, dict]], expected: dict) -> bool:
    return all(expected[sha] == words for hashes, _ in seen for sha, words in hashes.items())


def test_copy_candidates_are_screened_on_the_word_hashes_signing_kept(
    parent, fresh, tmp_path, monkeypatch
):
    """A fresh pack tokenizes no body to screen its copy candidates; a re-pack tokenizes the
    bodies whose signing it took from the cache (which keeps no word hashes), and both screen
    each body on the hashes its own words give."""
    first, captures = parent
    expected = _bodies_word_hashes(fresh)
    seen = _spied_word_hashes(monkeypatch)
    again = pack([captures], tmp_path / "fresh", NEXT, parent=None).path
    assert (again / RELATIONS).read_bytes() == (fresh / RELATIONS).read_bytes()
    assert seen and all(hashes for hashes, _ in seen)
    assert not any(tokens for _, tokens in seen)
    assert _each_body_its_own(seen, expected)
    seen.clear()
    again, _ = _repack(first, captures, tmp_path / "re", monkeypatch)
    assert (again / RELATIONS).read_bytes() == (fresh / RELATIONS).read_bytes()
    # partners of the changed bodies, signed in the parent's pack
    assert any(tokens for _, tokens in seen)
    assert all(set(tokens) <= set(hashes) for hashes, tokens in seen)
    assert _each_body_its_own(seen, expected)
    # with no confirmation cache every candidate is screened; every other body is signed
    # again, beside bodies taken from the cache in the same chunk: each keeps its own words,
    # and only bodies taken from the cache are tokenized
    seen.clear()
    bare = tmp_path / "bare" / first.name
    shutil.copytree(first, bare)
    shutil.copytree(CacheDir.beside(first).folder, CacheDir.beside(bare).folder)
    CacheDir.beside(bare).confirmations_meta().unlink()
    real = relation_stages.cached_positions

    def every_other(hashes, cached):
        found = real(hashes, cached).copy()
        found[::2] = -1
        return found

    monkeypatch.setattr(relation_stages, "cached_positions", every_other)
    again, _ = _repack(bare, captures, tmp_path / "unconfirmed", monkeypatch)
    assert (again / RELATIONS).read_bytes() == (fresh / RELATIONS).read_bytes()
    assert _each_body_its_own(seen, expected)
    screened = {sha for hashes, _ in seen for sha in hashes}
    tokenized = {sha for _, tokens in seen for sha in tokens}
    assert tokenized and tokenized < screened & _relatable_hashes(first)


def _break_digest(cache: CacheDir) -> None:
    path = sorted(cache.signatures().glob("*.arrow"))[0]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _garbage_with_its_digest(cache: CacheDir) -> None:
    """A file that is no Arrow file, with a meta that vouches for it."""
    path = sorted(cache.signatures().glob("*.arrow"))[0]
    path.write_bytes(b"not an arrow file")
    _vouch(cache, path)


def _other_schema_with_its_digest(cache: CacheDir) -> None:
    path = sorted(cache.signatures().glob("*.arrow"))[0]
    write_ipc(pa.table({"text_sha256": ["0" * 64]}), path)
    _vouch(cache, path)


def _vouch(cache: CacheDir, path: Path) -> None:
    meta = json.loads(cache.signatures_meta().read_bytes())
    for entry in meta["files"]:
        if entry[0] == path.name:
            entry[1:3] = [path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()]
    cache.signatures_meta().write_text(json.dumps(meta))


def _other_settings(cache: CacheDir) -> None:
    meta = json.loads(cache.signatures_meta().read_bytes())
    meta["key"]["settings"]["num_perm"] += 1
    cache.signatures_meta().write_text(json.dumps(meta))


def _no_meta(cache: CacheDir) -> None:
    cache.signatures_meta().unlink()


def _no_cache(cache: CacheDir) -> None:
    shutil.rmtree(cache.folder)


def _spoiled_repack(parent, tmp_path, monkeypatch, spoil):
    """The next version packed from a copy of ``parent`` whose cache ``spoil`` changed."""
    first, captures = parent
    spoiled = tmp_path / "spoiled" / first.name
    shutil.copytree(first, spoiled)
    shutil.copytree(CacheDir.beside(first).folder, CacheDir.beside(spoiled).folder)
    spoil(CacheDir.beside(spoiled))
    return _repack(spoiled, captures, tmp_path / "out", monkeypatch)


@pytest.mark.parametrize(
    "spoil",
    [
        _break_digest,
        _garbage_with_its_digest,
        _other_schema_with_its_digest,
        _other_settings,
        _no_meta,
        _no_cache,
    ],  # fmt: skip
)
def test_a_missing_or_corrupt_cache_signs_every_body_and_states_the_same(
    parent, fresh, tmp_path, monkeypatch, spoil
):
    again, signed = _spoiled_repack(parent, tmp_path, monkeypatch, spoil)
    assert (again / RELATIONS).read_bytes() == (fresh / RELATIONS).read_bytes()
    assert signed == len(_relatable_hashes(fresh))


def _rows(hashes: list[str]) -> pa.Table:
    """Signed rows whose every column is a function of the hash alone."""
    numbers = [int(h, 16) % (1 << 31) for h in hashes]
    columns = {"text_sha256": pa.array(hashes, pa.string())}
    for field in list(SIGNED_SCHEMA)[1:]:
        item = field.type.value_type
        values = [
            [str(n)] * (n % 3) if pa.types.is_string(item) else [n] * (n % 3) for n in numbers
        ]
        columns[field.name] = pa.array(values, field.type)
    return pa.table(columns, schema=SIGNED_SCHEMA)


@settings(max_examples=60, deadline=None)
@given(  # a shard's bodies are distinct: equal ones are signed once, by their representative
    st.lists(st.integers(0, 40), max_size=30, unique=True),
    st.lists(st.integers(0, 40), max_size=30, unique=True),
)
def test_with_cached_gives_the_rows_signing_every_body_gives(bodies, cached):
    hashes = pa.array([f"{b:064x}" for b in bodies], pa.string())
    store = _rows([f"{c:064x}" for c in cached])
    asked: list[int] = []

    def sign(positions: np.ndarray) -> pa.Table:
        asked.extend(positions.tolist())
        return _rows([hashes[int(p)].as_py() for p in positions])

    held = CachedSignatures([store])
    got = with_cached(cached_positions(hashes, held), held, sign, hashes)
    assert got.equals(_rows([f"{b:064x}" for b in bodies]))
    assert sorted(asked) == [k for k, b in enumerate(bodies) if b not in set(cached)]


def _null_row_with_its_digest(cache: CacheDir) -> None:
    """A signature file whose rows keep their hashes (so they are found) but one has a null
    where a signing has a value, and a meta that vouches for it."""
    path = sorted(cache.signatures().glob("signed-*[0-9].arrow"))[0]
    table = pa.ipc.open_file(pa.py_buffer(path.read_bytes())).read_all()
    bands = table["bands"].to_pylist()
    bands[0] = None
    table = table.set_column(1, "bands", pa.array(bands, SIGNED_SCHEMA.field("bands").type))
    write_ipc(table, path)
    _vouch(cache, path)


def _unequal_quote_views_with_its_digest(cache: CacheDir) -> None:
    path = sorted(cache.signatures().glob("signed-*[0-9].arrow"))[0]
    table = pa.ipc.open_file(pa.py_buffer(path.read_bytes())).read_all()
    ends = [v + [7] for v in table["quote_ends"].to_pylist()]
    at = SIGNED_SCHEMA.get_field_index("quote_ends")
    table = table.set_column(at, "quote_ends", pa.array(ends, pa.list_(pa.int64())))
    write_ipc(table, path)
    _vouch(cache, path)


def _meta_not_an_object(cache: CacheDir) -> None:
    cache.signatures_meta().write_text("[]")


def _meta_null(cache: CacheDir) -> None:
    cache.signatures_meta().write_text("null")


def _meta_number(cache: CacheDir) -> None:
    cache.signatures_meta().write_text("3")


@pytest.mark.parametrize(
    "spoil",
    [
        _null_row_with_its_digest,
        _unequal_quote_views_with_its_digest,
        _meta_not_an_object,
        _meta_null,
        _meta_number,
    ],  # fmt: skip
)
def test_a_spoiled_but_vouched_cache_states_what_a_fresh_pack_states(
    parent, fresh, tmp_path, monkeypatch, spoil
):
    again, signed = _spoiled_repack(parent, tmp_path, monkeypatch, spoil)
    assert signed > 2  # more than the new bodies: what was spoiled is signed again
    assert (again / RELATIONS).read_bytes() == (fresh / RELATIONS).read_bytes()
    for shard in sorted((fresh / "data").glob("*.parquet")):
        assert (again / "data" / shard.name).read_bytes() == shard.read_bytes()


def _meta(cache: CacheDir) -> dict:
    return json.loads(cache.signatures_meta().read_bytes())


def test_a_cache_of_many_other_bodies_serves_the_few_it_holds(parent, fresh, tmp_path, monkeypatch):
    """The parent's cache also holds thousands of bodies the child has not (an added file of
    rows, indexed and vouched for): the re-pack finds its own among them, signs only its new
    bodies, and states what a fresh pack states."""
    first, captures = parent
    grown = tmp_path / "grown" / first.name
    shutil.copytree(first, grown)
    cache = CacheDir.beside(grown)
    shutil.copytree(CacheDir.beside(first).folder, cache.folder)
    others = [hashlib.sha256(f"other {n}".encode()).hexdigest() for n in range(5000)]
    extra = cache.signatures() / "signed-99999.arrow"
    write_ipc(_rows(others), extra, 700)
    write_ipc(index_of(_rows(others)), index_path(extra))
    meta = _meta(cache)
    meta["files"].append([extra.name, *_size_digest(extra), *_size_digest(index_path(extra))])
    cache.signatures_meta().write_text(json.dumps(meta))
    assert parent_signatures(grown, RelationSettings()) is not None
    again, signed = _repack(grown, captures, tmp_path / "out", monkeypatch)
    assert (again / RELATIONS).read_bytes() == (fresh / RELATIONS).read_bytes()
    assert signed == len(_relatable_hashes(again) - _relatable_hashes(first)) == 2


def _size_digest(path: Path) -> list:
    return [path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()]


def test_hash_prefixes_are_the_first_sixteen_hex_digits():
    hashes = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(50)]
    got = hash_prefixes(pa.array(hashes).slice(3))
    assert got.tolist() == [int(h[:16], 16) for h in hashes[3:]]
    assert hash_prefixes(pa.array(["A" * 64])) is None  # upper case is not how hashes are kept
    assert hash_prefixes(pa.array(["0" * 63])) is None
    assert hash_prefixes(pa.array(["0" * 64, None])) is None


@settings(max_examples=60, deadline=None)
@given(  # hashes that share their first 64 bits: the index holds ties, each checked in full
    st.lists(st.integers(0, 40), max_size=30, unique=True),
    st.lists(st.integers(0, 40), max_size=30, unique=True),
    st.integers(1, 7),
)
def test_positions_are_found_among_ties_of_prefix_across_files(bodies, cached, files):
    def hashed(n: int) -> str:
        return f"{n % 3:016x}" + f"{n:048x}"

    hashes = pa.array([hashed(b) for b in bodies], pa.string())
    parts = [cached[k::files] for k in range(files)]
    tables = [_rows([hashed(c) for c in part]) for part in parts]
    # and a shard with no relatable body, whose files hold no batch at all
    empty = (pa.Table.from_batches([], s) for s in (SIGNED_SCHEMA, INDEX_SCHEMA))
    held = CachedSignatures([*tables, next(empty)], [*map(index_of, tables), next(empty)])
    asked: list[int] = []

    def sign(positions: np.ndarray) -> pa.Table:
        asked.extend(positions.tolist())
        return _rows([hashes[int(p)].as_py() for p in positions])

    got = with_cached(cached_positions(hashes, held), held, sign, hashes)
    assert got.equals(_rows([hashed(b) for b in bodies]))
    assert sorted(asked) == [k for k, b in enumerate(bodies) if b not in set(cached)]


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory) -> Path:
    import archive

    root = tmp_path_factory.mktemp("package") / "archive"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(Path(archive.__file__).parent, root, ignore=skip)
    return root


def test_the_signing_key_changes_with_any_module_of_the_package(package_copy):
    """A change to any module, a new module or a moved one starts a new cache; files other
    than modules (bytecode, assets) do not."""
    before = package_digest(package_copy)
    assert package_digest(package_copy) == before
    (package_copy / "__pycache__").mkdir(exist_ok=True)
    (package_copy / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"stale")
    (package_copy / "notes.txt").write_text("not code")
    assert package_digest(package_copy) == before
    for name in sorted(p.relative_to(package_copy) for p in package_copy.rglob("*.py"))[::7]:
        module = package_copy / name
        source = module.read_bytes()
        module.write_bytes(source + b"\n")
        assert package_digest(package_copy) != before, name
        module.write_bytes(source)
    assert package_digest(package_copy) == before
    find = package_copy / "relations" / "find.py"
    find.rename(package_copy / "relations" / "found.py")
    assert package_digest(package_copy) != before
    find.with_name("found.py").rename(find)
    (package_copy / "relations" / "extra.py").write_text("")
    assert package_digest(package_copy) != before
