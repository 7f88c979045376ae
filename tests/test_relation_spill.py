"""The driver of a pack's relations holds chunks, not the corpus: near-duplicate families
joined from edges streamed a chunk at a time name every record as the union-find over all the
edges at once does, and a pack filing its pairs, relations and flags a few at a time writes
the same release."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.relations.families import FamilyNames, smallest_linked
from archive.relations.find import Families

_EDGES = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40)).filter(lambda e: e[0] != e[1]),
    max_size=80,
)


def _components(nodes: int, edges: list[tuple[int, int]]) -> list[int]:
    """The smallest node of each node's connected set, by a search from every node."""
    links: dict[int, set[int]] = {n: set() for n in range(nodes)}
    for u, v in edges:
        links[u].add(v)
        links[v].add(u)
    smallest = list(range(nodes))
    for start in range(nodes):
        seen, todo = {start}, [start]
        while todo:
            for other in links[todo.pop()] - seen:
                seen.add(other)
                todo.append(other)
        smallest[start] = min(seen)
    return smallest


def _chunked(edges: list[tuple[int, int]], size: int):
    for at in range(0, len(edges), size):
        part = np.array(edges[at : at + size], dtype=np.int64).reshape(-1, 2)
        yield part[:, 0], part[:, 1]


@given(_EDGES, st.integers(1, 9), st.integers(1, 30))
def test_smallest_linked_is_the_least_node_of_each_connected_set(edges, size, block):
    label = smallest_linked(_chunked(edges, size), block)
    nodes = max((max(e) for e in edges), default=-1) + 1
    assert label.tolist() == _components(nodes, edges)


@given(_EDGES, st.integers(1, 9), st.booleans(), st.randoms(use_true_random=False))
def test_family_names_from_chunks_are_the_union_finds(edges, size, ordered, rng):
    """Whatever the chunks, and whether or not body numbers follow record id order (in a
    pack they do), every record's family is the smallest record id linked to it."""
    ids = sorted(hashlib.sha256(str(n).encode()).hexdigest()[:32] for n in range(41))
    if not ordered:
        rng.shuffle(ids)
    label = smallest_linked(_chunked(edges, size), size)
    chunks = [
        ((u, v), ([ids[n] for n in u.tolist()], [ids[n] for n in v.tolist()]))
        for u, v in _chunked(edges, size)
    ]
    names = FamilyNames.of(label, chunks)
    families = Families((ids[u], ids[v]) for u, v in edges)
    assert names.name(ids) == [families.first(rid) for rid in ids]
    assert names.name([]) == []


def test_family_names_pinned():
    """Bodies 0-1-2 (a chain) and 3-4 are families, 5 alone; ids give the other order."""
    ids = ["e", "d", "c", "b", "a", "f"]
    edges = [(1, 2), (0, 1), (3, 4)]
    label = smallest_linked(_chunked(edges, 1), 1)
    assert label.tolist() == [0, 0, 0, 3, 3]
    chunks = [((u, v), ([ids[n] for n in u], [ids[n] for n in v])) for u, v in _chunked(edges, 2)]
    names = FamilyNames.of(label, chunks)
    assert names.name(ids + ["zz"]) == ["c", "c", "c", "a", "a", "f", "zz"]


def test_a_pack_filing_a_few_pairs_at_a_time_writes_the_same_release(tmp_path):
    """Pairs filed two at a time, relations and flags spilled in runs of three: the relations
    file and every shard (their ``spun-suspected`` flags) are byte for byte the default's."""
    from conftest import CREATED
    from relations.corpus import generate  # tests/ is on sys.path

    from archive import PackSettings, pack
    from archive.release import relation_stages as relation_tasks

    root = tmp_path / "captures"
    root.mkdir()
    for record in generate(150, seed=11, syndicated=0.3, spun=0.08, exact=0.04).records:
        (root / f"{record.record_id}.txt").write_text(record.text + "\n", encoding="utf-8")
    settings = PackSettings("planted", "1.0.0", CREATED, shards=3)
    whole = pack([root], tmp_path / "whole", settings).path
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (("_PAIR_ROWS", 2), ("_RUN_ROWS", 3), ("_FAN_IN", 4)):
            patch.setattr(relation_tasks, name, value)
        spilled = pack([root], tmp_path / "spilled", settings).path
    files = sorted(p.relative_to(whole) for p in (whole / "data").rglob("*.parquet"))
    files.append(Path("relations") / "relations.parquet")
    for path in files:
        assert (spilled / path).read_bytes() == (whole / path).read_bytes(), path
    relations = pq.read_table(whole / "relations" / "relations.parquet").to_pylist()
    groups = {r["group_id"] for r in relations if r["kind"] == "near-duplicate"}
    members = [r for r in relations if r["kind"] == "near-duplicate"]
    assert len(members) > len(groups) > 1  # families of three or more
    flagged = pq.read_table(whole / "data", columns=["flags"])["flags"].to_pylist()
    assert any("spun-suspected" in flags for flags in flagged)
