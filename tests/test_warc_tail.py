"""A big WARC file's spans narrow towards its end, so the workers run out of spans together:
the last spans are small, the ones before them whole, and what the spans read is still one
reading of the file."""

from __future__ import annotations

from dataclasses import replace
from itertools import accumulate, pairwise
from pathlib import Path

import pytest
from conftest import CREATED
from hypothesis import given, settings
from hypothesis import strategies as st
from warcdata import fixture_specs, warc_bytes

from archive import PackSettings
from archive.capture.warc import WarcSpanEnd, iter_warc, spans_kept, spans_of, split_points
from archive.release.plan import walk_plan

SPECS = fixture_specs()
COPIES = 40  # the fixture records this many times over: a file of many records


def many_records(gz: bool) -> list[bytes]:
    return [
        record
        for copy in range(COPIES)
        for record in warc_bytes(SPECS, gz=gz, first_id=copy * len(SPECS))
    ]


@pytest.fixture(scope="module", params=[True, False], ids=["gz", "plain"])
def crawl(request, tmp_path_factory) -> tuple[Path, list[int]]:
    """A file of many records, and where each record begins (from the bytes written)."""
    records = many_records(request.param)
    path = tmp_path_factory.mktemp("tail") / ("crawl.warc.gz" if request.param else "crawl.warc")
    path.write_bytes(b"".join(records))
    return path, [0, *accumulate(len(r) for r in records)][:-1]


def widths(path: Path, points: tuple[int, ...]) -> list[int]:
    ends = (0, *points, path.stat().st_size)
    return [b - a for a, b in pairwise(ends)]


def test_spans_are_whole_until_the_end_then_narrow(crawl):
    path, offsets = crawl
    size = path.stat().st_size
    largest = max(b - a for a, b in pairwise([*offsets, size]))
    every = size // 12
    assert every > 8 * largest  # a point lands within one record of where it is sought
    points = split_points(path, every, tail=True)
    assert set(points) <= set(offsets[1:])  # every point is where a record begins
    spans = widths(path, points)
    # whole spans while four or more are left; then none wider than a quarter of what is left
    # (plus the record a point waits for), nor, but the last, narrower than an eighth
    for start, width in zip((0, *points), spans, strict=True):
        left = size - start
        if left >= 4 * every:
            assert every <= width < every + largest
        else:
            assert width < max(left / 4, every / 8) + largest
    assert all(width >= every // 8 for width in spans[:-1])
    assert spans[-1] <= every // 8 + largest
    assert len(spans) > 12 and all(width < every // 2 for width in spans[-4:])


def test_without_tail_the_points_are_every_bytes_apart(crawl):
    path, _ = crawl
    every = path.stat().st_size // 12
    spans = widths(path, split_points(path, every))
    assert all(width >= every for width in spans[:-1])
    assert len(spans) <= 12


def read_in_spans(path: Path, points: tuple[int, ...]) -> list:
    """Every span read on its own, then the spans that count joined, as the pack does."""
    spans = spans_of(points)
    read = {span.start: list(iter_warc(path, span=span)) for span in spans}
    assert all(isinstance(items[-1], WarcSpanEnd) for items in read.values())
    kept = spans_kept({start: items[-1].stop for start, items in read.items()})
    return [item for span in spans if span.start in kept for item in read[span.start][:-1]]


@settings(max_examples=12, deadline=None)
@given(every=st.integers(min_value=3_000, max_value=200_000), cut=st.integers(0, 400))
def test_narrowed_spans_read_what_one_reading_of_the_file_reads(crawl, every, cut):
    path, _ = crawl
    if cut:  # and a file that ends inside a record
        cut_path = path.with_name(f"cut-{path.name}")
        cut_path.write_bytes(path.read_bytes()[:-cut])
        path = cut_path
    assert read_in_spans(path, split_points(path, every, tail=True)) == list(iter_warc(path))


def test_the_plan_cuts_a_big_warc_file_into_narrowing_spans(crawl, tmp_path):
    path, _ = crawl
    size = path.stat().st_size
    source = tmp_path / "crawls"
    source.mkdir()
    (source / path.name).write_bytes(path.read_bytes())
    settings = replace(PackSettings("tail", "1.0.0", CREATED), unit_bytes=size // 12)
    plan = walk_plan([source], tmp_path / "plan", settings, lambda *a: None)
    units = list(plan.units())
    assert sum(u.bytes for u in units) == size
    assert plan.unit_count == len(units) > 12
    assert units[-1].bytes <= units[0].bytes // 4
