"""Near-duplicate families from an edge list read a chunk at a time.

What :class:`~archive.relations.find.Families` gives (the smallest record id of each connected
set of near-duplicates), without holding the edges: a pack's driver streams them from disk.

1. :func:`smallest_linked`: for bodies numbered ``0..n-1``, the smallest body each is linked
   to, by a union-find over one integer array (4 bytes a body), joined a block of edges at a
   time: every root hooked under the smallest root it shares an edge with, then every body
   pointed at its root, until the block's edges join nothing more.
2. :class:`FamilyNames`: the record ids of the bodies in a family (read from the edges again),
   sorted, and for each the index of its family's smallest one; looked up a chunk of record ids
   at a time. Record ids are ASCII (hex digits), held as fixed-width bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

Edges = tuple[np.ndarray, np.ndarray]
BLOCK_EDGES = 1 << 20  # edges joined at once (8 MiB)


def smallest_linked(chunks: Iterable[Edges], block: int = BLOCK_EDGES) -> np.ndarray:
    """``label[x]``: the smallest body that edges link ``x`` to (``x`` when none), for every
    body up to the largest one in an edge. Each chunk is two arrays of body numbers
    (``u[k]`` and ``v[k]`` are linked); numbers are below 2**31. Chunks are joined in blocks
    of at least ``block`` edges, or a quarter as many as there are bodies so far: a join
    passes over every body, and so each edge pays for a few passes at most."""
    parent = np.empty(0, np.int32)
    held: list[Edges] = []
    count = 0
    for u, v in chunks:
        held.append((np.asarray(u, np.int32), np.asarray(v, np.int32)))
        count += len(u)
        if count >= max(block, len(parent) // 4):
            parent = _joined(parent, held)
            held, count = [], 0
    return _joined(parent, held)


def _joined(parent: np.ndarray, held: list[Edges]) -> np.ndarray:
    u = np.concatenate([u for u, _ in held] or [np.empty(0, np.int32)])
    v = np.concatenate([v for _, v in held] or [np.empty(0, np.int32)])
    if not len(u):
        return parent
    top = int(max(u.max(), v.max())) + 1
    if top > len(parent):
        parent = np.concatenate((parent, np.arange(len(parent), top, dtype=np.int32)))
    _join(parent, u, v)
    return parent


def _join(parent: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
    """Join the sets of ``u[k]`` and ``v[k]`` in ``parent``, which points every body at its
    root (the smallest of its set), before and after."""
    while True:
        a, b = parent[u], parent[v]
        apart = a != b
        if not apart.any():
            return
        # a root only ever moves under a smaller one, so the root stays the smallest
        np.minimum.at(parent, np.maximum(a, b)[apart], np.minimum(a, b)[apart])
        _flatten(parent)


def _flatten(parent: np.ndarray) -> None:
    while True:
        up = parent[parent]
        if np.array_equal(up, parent):
            return
        parent[:] = up


@dataclass(frozen=True)
class FamilyNames:
    """The family of each record id: ``ids`` (sorted) are the record ids of the bodies in a
    family of two or more, ``names[k]`` the index in ``ids`` of the smallest id of ``ids[k]``'s
    family."""

    ids: np.ndarray
    names: np.ndarray

    @classmethod
    def of(cls, label: np.ndarray, chunks: Iterable[tuple[Edges, Edges]]) -> FamilyNames:
        """The families of ``label`` (:func:`smallest_linked`), with the record ids each chunk
        of edges gives its bodies: ``((u, v), (u_ids, v_ids))``."""
        numbers = np.flatnonzero(label != np.arange(len(label), dtype=label.dtype))
        numbers = np.union1d(numbers, label[numbers])  # with the roots
        ids = np.zeros(len(numbers), dtype="S1")
        for (u, v), (u_ids, v_ids) in chunks:
            at = np.searchsorted(numbers, np.concatenate((u, v)))
            given = np.array(list(u_ids) + list(v_ids), dtype="S")
            if given.dtype.itemsize > ids.dtype.itemsize:
                ids = ids.astype(given.dtype)
            ids[at] = given
        order = np.argsort(ids, kind="stable")
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        # the least rank in each family, by its root's place among ``numbers``
        family = np.searchsorted(numbers, label[numbers])
        least = np.full(len(numbers), len(numbers), np.int64)
        np.minimum.at(least, family, rank)  # the place of each family's smallest id
        return cls(ids[order], least[family][order])

    def name(self, record_ids: list[str]) -> list[str]:
        """The family of each of ``record_ids``: its smallest record id (itself when it has
        none)."""
        if not len(self.ids) or not record_ids:
            return list(record_ids)
        asked = np.array(record_ids, dtype="S")
        at = np.minimum(np.searchsorted(self.ids, asked), len(self.ids) - 1)
        found = self.ids[at] == asked
        names = self.ids[self.names[at]]
        return [
            n.decode("ascii") if hit else rid
            for rid, n, hit in zip(record_ids, names.tolist(), found.tolist(), strict=True)
        ]
