"""A big WARC file read as spans, one task each: the records are those of one reading of the file,
whatever the split points, and the release is the same bytes whatever the split and the jobs."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import CREATED
from hypothesis import given, settings
from hypothesis import strategies as st
from warcdata import Spec, fixture_specs, warc_bytes, write_warc

from archive import PackSettings, pack
from archive.capture.warc import (
    WarcDamage,
    WarcPayload,
    WarcSpan,
    WarcSpanEnd,
    iter_warc,
    spans_kept,
    spans_of,
    split_points,
)
from archive.release.plan import walk_plan

SPECS = fixture_specs()


def read_in_spans(path: Path, every: int) -> list:
    """Every span read on its own, then the spans that count joined, as the pack does."""
    spans = spans_of(split_points(path, every))
    read = {span.start: list(iter_warc(path, span=span)) for span in spans}
    assert all(isinstance(items[-1], WarcSpanEnd) for items in read.values())
    kept = spans_kept({start: items[-1].stop for start, items in read.items()})
    return [item for span in spans if span.start in kept for item in read[span.start][:-1]]


def members(records: list[bytes], *, stored: frozenset[int] = frozenset()) -> bytes:
    """Plain WARC records as one gzip member each; those in ``stored`` not compressed (level
    0), so gzip bytes in their payload stand in the file as they are."""
    return b"".join(
        gzip.compress(r, compresslevel=0 if n in stored else 6, mtime=0)
        for n, r in enumerate(records)
    )


def nested_specs(inner: bytes) -> list[Spec]:
    """The fixture records with, fourth, a response whose payload is a whole WARC file (a crawl
    of an archive's downloads): its records' starts are found by their bytes too."""
    crawl = Spec(
        "non-html",
        "response",
        "https://www.harbourlight-gazette.org/downloads/crawl.warc.gz",
        headers=(("Content-Type", "application/warc"),),
        payload=inner,
    )
    return [*SPECS[:3], crawl, *SPECS[3:]]


@pytest.fixture(scope="module")
def crawls(tmp_path_factory) -> dict[str, Path]:
    """WARC files of every shape a split must survive, by name."""
    root = tmp_path_factory.mktemp("split")
    made: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        made[name] = root / name
        made[name].write_bytes(data)

    plain = warc_bytes(SPECS, gz=False)
    put("members.warc.gz", b"".join(warc_bytes(SPECS, gz=True)))
    put("plain.warc", b"".join(plain))
    put("one-stream.warc.gz", gzip.compress(b"".join(plain), mtime=0))
    put("one-member.warc.gz", gzip.compress(plain[2], mtime=0))
    # two records a member from the fourth on (some writers put a request and its response in one)
    pairs = [a + b for a, b in zip(plain[3::2], plain[4::2], strict=True)]
    put("paired.warc.gz", members([*plain[:3], *pairs]))
    put("truncated.warc.gz", made["members.warc.gz"].read_bytes()[:-60])
    put("truncated.warc", b"".join(plain)[:-60])
    inner_gz = b"".join(warc_bytes(SPECS, gz=True, first_id=100))
    put("nested.warc.gz", members(warc_bytes(nested_specs(inner_gz), gz=False), stored={3}))
    inner = b"".join(warc_bytes(SPECS, gz=False, first_id=100))
    put("nested.warc", b"".join(warc_bytes(nested_specs(inner), gz=False)))
    return made


@pytest.mark.parametrize(
    "name",
    [
        "members.warc.gz",
        "plain.warc",
        "paired.warc.gz",
        "truncated.warc.gz",
        "truncated.warc",
        "nested.warc.gz",
        "nested.warc",
    ],
)
@pytest.mark.parametrize("every", [1, 300, 2000, 7000])
def test_spans_read_what_one_reading_of_the_file_reads(crawls, name, every):
    path = crawls[name]
    whole = list(iter_warc(path))
    assert split_points(path, every)  # the file is cut, at least once
    assert read_in_spans(path, every) == whole


def test_a_split_point_is_where_a_record_begins_never_inside_one(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    offsets = write_warc(path, SPECS, gz=True)
    for every in (1, 100, 1000, 3000):  # most multiples of these fall inside a record
        points = split_points(path, every)
        assert points and set(points) <= set(offsets[1:])
        assert all(b - a >= every for a, b in pairwise((0, *points)))
    assert split_points(path, 1) == tuple(offsets[1:])


def test_a_record_straddling_the_split_is_read_whole_by_the_span_it_begins_in(tmp_path):
    path = tmp_path / "crawl.warc"
    offsets = write_warc(path, SPECS, gz=False)
    middle = (offsets[2] + offsets[3]) // 2  # inside the first page's response
    point = split_points(path, middle)[0]
    assert point == offsets[3]
    first, second = spans_of((point,))
    head = list(iter_warc(path, span=first))
    assert [i.offset for i in head[:-1]] == offsets[:3]
    assert isinstance(head[2], WarcPayload) and head[2].payload == SPECS[2].payload
    assert head[-1] == WarcSpanEnd(path.name, 0, point)
    tail = list(iter_warc(path, span=second))
    assert [i.offset for i in tail[:-1]] == offsets[3:]
    assert tail[-1] == WarcSpanEnd(path.name, point, None)


@pytest.mark.parametrize("name", ["one-stream.warc.gz", "one-member.warc.gz"])
def test_a_file_that_is_one_gzip_member_is_not_split(crawls, name):
    assert split_points(crawls[name], 1) == ()


def test_lz4_and_arc_files_are_not_split(tmp_path):
    for name in ("crawl.warc.lz4", "crawl.arc", "crawl.arc.gz"):
        path = tmp_path / name
        path.write_bytes(b"".join(warc_bytes(SPECS, gz=False)))
        assert split_points(path, 1) == ()


def test_a_split_point_inside_a_stored_warc_is_read_over_and_its_span_dropped(crawls):
    path = crawls["nested.warc.gz"]
    whole = list(iter_warc(path))
    starts = {i.offset for i in whole}
    points = split_points(path, 1)
    inside = [p for p in points if p not in starts]
    assert inside  # members of the stored WARC, found by their bytes
    spans = spans_of(points)
    ends = {s.start: list(iter_warc(path, span=s))[-1].stop for s in spans}
    nested = next(s for s in spans if s.stops and s.stops[0] in inside)
    assert ends[nested.start] not in inside  # it read over them to the next record's start
    assert spans_kept(ends) == frozenset({0, *starts} & {0, *points})


def test_spans_kept_follows_where_each_span_stopped():
    assert spans_kept({0: 10, 10: 20, 20: None}) == {0, 10, 20}
    assert spans_kept({0: 20, 10: 20, 20: None}) == {0, 20}  # 10 was inside a record
    assert spans_kept({0: None, 10: 20, 20: None}) == {0}
    assert spans_kept({}) == frozenset()


@settings(max_examples=60)
@given(
    cut=st.integers(min_value=1, max_value=9_999),
    hole=st.integers(min_value=0, max_value=400),
    every=st.integers(min_value=1, max_value=12_000),
    gz=st.booleans(),
)
def test_no_cut_hole_or_split_changes_what_is_read(tmp_path_factory, cut, hole, every, gz):
    root = tmp_path_factory.getbasetemp()
    data = b"".join(warc_bytes(SPECS, gz=gz))
    at = cut * len(data) // 10_000
    path = root / ("property-split.warc.gz" if gz else "property-split.warc")
    path.write_bytes(data[:at] + data[at + hole :])
    assert read_in_spans(path, every) == list(iter_warc(path))


def test_damage_before_a_split_point_resumes_no_later_than_it(crawls, tmp_path):
    data = crawls["members.warc.gz"].read_bytes()
    offsets = [i.offset for i in iter_warc(crawls["members.warc.gz"])]
    path = tmp_path / "holed.warc.gz"
    path.write_bytes(data[: offsets[4] + 30] + data[offsets[4] + 90 :])  # a hole in member 4
    whole = list(iter_warc(path))
    damage = [i for i in whole if isinstance(i, WarcDamage)]
    assert len(damage) == 1
    assert read_in_spans(path, 1) == whole
    span = WarcSpan(0, split_points(path, 1))
    assert list(iter_warc(path, span=span))[-1].stop == offsets[1]


# --- the release --------------------------------------------------------------------------------

PACK = PackSettings(
    "split",
    "1.0.0",
    CREATED,
    domain_outlets=(("harbourlight-gazette.org", "Harbourlight Gazette"),),
    relations=False,
)


def release_hashes(release: Path) -> dict[str, str]:
    return {
        str(p.relative_to(release)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(release.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sources(crawls, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sources") / "crawls"
    root.mkdir()
    for name in ("members.warc.gz", "plain.warc", "truncated.warc", "one-stream.warc.gz"):
        (root / name).write_bytes(crawls[name].read_bytes())
    (root / "nested.warc.gz").write_bytes(crawls["nested.warc.gz"].read_bytes())
    return root


def test_the_release_is_the_same_bytes_whatever_the_split_and_the_jobs(sources, tmp_path):
    tiny = replace(PACK, unit_bytes=1)  # every record start a split point
    plan = walk_plan([sources], tmp_path / "plan", tiny, lambda *a: None)
    assert plan.unit_count > 3 * len(list(sources.iterdir()))
    assert sum(u.bytes for u in plan.units()) == sum(p.stat().st_size for p in sources.iterdir())
    whole = pack([sources], tmp_path / "whole", PACK)
    hashes = release_hashes(whole.path)
    counts = whole.manifest["counts"]
    assert counts["records"] > 10 and counts["quarantined"] >= 1
    for name, run in (
        ("two", replace(PACK, jobs=2)),
        ("tiny", tiny),
        ("tiny-two", replace(tiny, jobs=2)),
        ("some", replace(PACK, unit_bytes=4000, jobs=2)),
    ):
        assert release_hashes(pack([sources], tmp_path / name, run).path) == hashes, name


def _plain_record(n: int, body: bytes) -> bytes:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body
    head = (
        f"WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Record-ID: <urn:uuid:0000000{n}-0000-0000-0000-000000000000>\r\n"
        f"WARC-Target-URI: http://example.com/{n}\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n"
    )
    return head.encode() + block + b"\r\n\r\n"


@pytest.mark.parametrize("shift", [0, 100])
def test_a_warc_line_inside_a_line_is_no_split_point_wherever_the_scan_blocks_fall(tmp_path, shift):
    """``xWARC/1.0`` in a payload starts no line; the scan must not take it for a record's
    start when it lies where one scan block's kept tail begins (64 bytes before its end)."""
    from archive.capture.warc import _SCAN_BLOCK

    every = 1000
    first = _plain_record(1, b"a" * (_SCAN_BLOCK + 2000))
    inside = every + _SCAN_BLOCK - 64 - shift  # where the second scan block starts
    at = first.index(b"a" * 8)
    assert at < inside - 1
    first = first[: inside - 1] + b"xWARC/1.0\r\n" + first[inside + 10 :]
    path = tmp_path / "crawl.warc"
    path.write_bytes(first + _plain_record(2, b"second"))
    assert split_points(path, every) == (len(first),)
