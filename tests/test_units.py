"""The units a walk is cut into: the last few are cut smaller (``tapered``), so that workers run
out of work nearly together, and no file is lost, repeated or moved out of walk order (a WARC
file's spans may go ahead of files walked before them: the order of units changes no output)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from archive.release.plan import Unit, tapered

MAX = 40


def units_of_sizes(sizes: list[int]) -> list[Unit]:
    """Units of ``sizes`` files (0: a WARC span unit, never cut), numbered files in order."""
    units, at = [], 0
    for index, size in enumerate(sizes):
        if size == 0:
            units.append(Unit(index, (f"big-{index}.warc",), span="a span"))
        else:
            units.append(Unit(index, tuple(f"f{n}" for n in range(at, at + size))))
            at += size
    return units


@given(st.lists(st.integers(0, MAX), max_size=30))
def test_every_file_is_in_one_unit_in_walk_order(sizes):
    units = units_of_sizes(sizes)
    cut = list(tapered(iter(units), MAX))
    files = [f for u in cut if not u.span for f in u.files]
    assert files == [f for u in units if not u.span for f in u.files]
    assert [u.files for u in cut if u.span] == [u.files for u in units if u.span]
    assert all(u.files and len(u.files) <= MAX for u in cut)


def test_the_last_units_are_small_beside_what_is_left():
    cut = [len(u.files) for u in tapered(iter(units_of_sizes([MAX] * 10)), MAX)]
    assert cut[:7] == [MAX] * 7  # full while four units' worth or more is left
    left = sum(cut)
    for size in cut:
        assert size <= max(MAX // 8, left // 4) or size == MAX and left >= 4 * MAX
        left -= size
    assert max(cut[-6:]) <= MAX // 4


def test_a_small_walk_is_one_unit():
    assert [len(u.files) for u in tapered(iter(units_of_sizes([3])), MAX)] == [3]


def test_spans_are_not_held_back():
    """A walk of big WARC files is all spans: each goes out as soon as it is walked."""
    read = []

    def walk():
        for unit in units_of_sizes([1] + [0] * 1000):
            read.append(unit)
            yield unit

    first_span = next(u for u in tapered(walk(), MAX) if u.span)
    assert first_span.index == 1 and len(read) == 2
