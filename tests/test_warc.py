"""iter_warc on WARC files written at test time: every record kind, digests, charsets, damage."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator
from hypothesis import example, given
from hypothesis import strategies as st
from warcdata import (
    FROMAGERIE,
    LIGHTHOUSE,
    RIVERTOWN,
    Spec,
    fixture_specs,
    garbled_copy,
    hole_copy,
    record_id,
    render_html,
    sha1_digest,
    truncated_copy,
    write_warc,
)

from archive.capture.warc import WarcDamage, WarcPayload, WarcSkipped, iter_warc

SPECS = fixture_specs()
BAD_DIGEST = len(SPECS) - 1  # the last fixture record carries a wrong payload digest


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, tuple[Path, list[int]]]:
    root = tmp_path_factory.mktemp("warc")
    made = {}
    for name, gz in (("crawl.warc.gz", True), ("crawl.warc", False)):
        path = root / name
        made[name] = (path, write_warc(path, SPECS, gz=gz))
    return made


def kind(item) -> str:
    return "payload" if isinstance(item, WarcPayload) else getattr(item, "kind", "damage")


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_every_record_is_reported_with_its_kind_and_offset(files, name):
    path, offsets = files[name]
    items = list(iter_warc(path))
    assert [kind(i) for i in items] == [s.kind for s in SPECS]
    assert [i.offset for i in items] == offsets
    assert all(i.filename == name for i in items)


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_a_response_carries_its_capture_fields(files, name):
    path, offsets = files[name]
    first = next(i for i in iter_warc(path) if isinstance(i, WarcPayload))
    assert first.payload == render_html(LIGHTHOUSE)
    assert first.target_uri == LIGHTHOUSE.url
    assert first.warc_date == datetime(2024, 3, 7, 10, 0, tzinfo=UTC)
    assert first.warc_record_id == record_id(2)
    assert first.offset == offsets[2]
    assert (first.http_status, first.content_type, first.charset) == (200, "text/html", "utf-8")
    assert first.ip_address == "192.0.2.10"
    assert first.payload_digest == sha1_digest(first.payload)
    assert (first.digest_ok, first.digest_kind) == (True, "payload")


def test_the_offset_opens_the_same_record(files):
    path, _ = files["crawl.warc.gz"]
    with open(path, "rb") as stream:
        for item in iter_warc(path):
            stream.seek(item.offset)
            record = next(iter(ArchiveIterator(stream)))
            assert record.headers.get("WARC-Record-ID") == item.warc_record_id


def test_a_wrong_payload_digest_is_reported_not_hidden(files):
    path, _ = files["crawl.warc.gz"]
    items = list(iter_warc(path))
    bad = items[BAD_DIGEST]
    assert isinstance(bad, WarcPayload) and bad.digest_ok is False
    assert [i.digest_ok for i in items if isinstance(i, WarcPayload)].count(False) == 1
    unchecked = list(iter_warc(path, check_digests=False))[BAD_DIGEST]
    assert unchecked.digest_ok is None and unchecked.payload == bad.payload


def test_revisit_points_to_its_original(files):
    path, _ = files["crawl.warc"]
    revisit = next(i for i in iter_warc(path) if kind(i) == "revisit")
    assert revisit.refers_to_record_id == record_id(2)
    assert revisit.refers_to_target == LIGHTHOUSE.url
    assert revisit.refers_to_date == "2024-03-07T10:00:00Z"


def test_redirects_errors_and_non_html_say_why(files):
    path, _ = files["crawl.warc"]
    skipped = {i.kind: i for i in iter_warc(path) if isinstance(i, WarcSkipped)}
    assert skipped["redirect"].detail == f"301 -> {LIGHTHOUSE.url}"
    assert skipped["error-status"].detail == "404"
    assert skipped["non-html"].detail == "image/png"
    assert skipped["request"].target_uri == LIGHTHOUSE.url


def test_charset_comes_from_the_http_header_only(files):
    path, _ = files["crawl.warc"]
    by_uri = {i.target_uri: i for i in iter_warc(path) if isinstance(i, WarcPayload)}
    assert by_uri[RIVERTOWN.url].charset == "windows-1251"
    assert by_uri[RIVERTOWN.url].payload.decode("cp1251").count("Верхнеозёрск") >= 2
    assert by_uri[FROMAGERIE.url].charset is None  # declared only in the page's meta tag


def test_content_and_transfer_encodings_are_undone_after_the_digest_check(tmp_path):
    page = render_html(LIGHTHOUSE)
    packed = gzip.compress(page, mtime=0)
    chunked = (
        b"".join(
            b"%x\r\n%s\r\n" % (len(packed[i : i + 500]), packed[i : i + 500])
            for i in range(0, len(packed), 500)
        )
        + b"0\r\n\r\n"
    )
    spec = Spec(
        "payload",
        "response",
        LIGHTHOUSE.url,
        headers=(
            ("Content-Type", "text/html"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
        ),
        payload=chunked,
    )
    path = tmp_path / "encoded.warc"
    write_warc(path, [spec], gz=False)
    (item,) = iter_warc(path)
    assert item.payload == page
    assert item.digest_ok is True


def test_truncated_gzip_keeps_everything_before_and_quarantines_the_cut_record(files, tmp_path):
    path, offsets = files["crawl.warc.gz"]
    cut = tmp_path / "cut.warc.gz"
    truncated_copy(path, cut, (offsets[5] + offsets[6]) // 2)
    items = list(iter_warc(cut))
    assert [kind(i) for i in items[:5]] == [s.kind for s in SPECS[:5]]
    assert items[5] == WarcDamage(
        "cut.warc.gz", offsets[5], "truncated gzip member: the file ends inside it"
    )
    assert len(items) == 6


def test_truncated_plain_warc_quarantines_the_cut_record(files, tmp_path):
    path, offsets = files["crawl.warc"]
    cut = tmp_path / "cut.warc"
    truncated_copy(path, cut, offsets[6] - 100)
    items = list(iter_warc(cut))
    assert [kind(i) for i in items] == [s.kind for s in SPECS[:5]] + ["damage"]
    assert items[-1].offset == offsets[5]


def test_a_hole_in_a_gzip_member_yields_records_before_and_after(files, tmp_path):
    path, offsets = files["crawl.warc.gz"]
    holed = tmp_path / "hole.warc.gz"
    hole_copy(path, holed, (offsets[4] + offsets[5]) // 2, offsets[5])
    items = list(iter_warc(holed))
    damage = [i for i in items if isinstance(i, WarcDamage)]
    assert len(damage) == 1 and damage[0].offset == offsets[4]
    assert damage[0].resumed_at == (offsets[4] + offsets[5]) // 2
    ids = [i.warc_record_id for i in items if not isinstance(i, WarcDamage)]
    assert ids == [record_id(n) for n in range(len(SPECS)) if n != 4]


def test_a_garbled_record_header_yields_records_before_and_after(files, tmp_path):
    path, offsets = files["crawl.warc"]
    garbled = tmp_path / "garbled.warc"
    garbled_copy(path, garbled, offsets[4])
    items = list(iter_warc(garbled))
    damage = [i for i in items if isinstance(i, WarcDamage)]
    assert [(d.offset, d.resumed_at) for d in damage] == [(offsets[4], offsets[5])]
    assert "Invalid WARC header" in damage[0].message
    ids = [i.warc_record_id for i in items if not isinstance(i, WarcDamage)]
    assert ids == [record_id(n) for n in range(len(SPECS)) if n != 4]


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_junk_before_the_first_record_is_damage_then_reading_goes_on(files, tmp_path, name):
    path, offsets = files[name]
    junk = b"not a warc at all\r\n" * 3
    damaged = tmp_path / name
    damaged.write_bytes(junk + path.read_bytes())
    items = list(iter_warc(damaged))
    assert isinstance(items[0], WarcDamage) and items[0].offset == 0
    assert items[0].resumed_at == len(junk)
    assert [i.offset - len(junk) for i in items[1:]] == offsets


@given(cut=st.integers(min_value=1, max_value=10_000))
def test_no_cut_ever_yields_a_partial_payload_or_raises(tmp_path_factory, cut):
    root = tmp_path_factory.getbasetemp()
    source = root / "property-source.warc.gz"
    if not source.exists():
        write_warc(source, SPECS, gz=True)
    data = source.read_bytes()
    target = root / "property-cut.warc.gz"
    target.write_bytes(data[: cut * len(data) // 10_000])
    items = list(iter_warc(target))
    payloads = [i for i in items if isinstance(i, WarcPayload)]
    expected = {spec.uri: spec.payload for spec in SPECS if spec.kind == "payload"}
    for item in payloads:  # what is yielded is whole: the bytes written, never a prefix
        assert item.payload == expected[item.target_uri]
    assert sum(isinstance(i, WarcDamage) for i in items) <= 1


def test_arc_files_are_read_through_warcio(tmp_path):
    page = render_html(LIGHTHOUSE)
    http = (
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Length: %d\r\n\r\n" % len(page)
    ) + page
    head = b"1 0 Fictional Crawls\nURL IP-address Archive-date Content-type Archive-length\n"
    filedesc = b"filedesc://fiction.arc 0.0.0.0 20240307100000 text/plain %d\n" % len(head)
    line = b"%s 192.0.2.10 20240307100000 text/html %d\n" % (LIGHTHOUSE.url.encode(), len(http))
    arc = io.BytesIO()
    arc.write(filedesc + head + b"\n")
    offset = arc.tell()
    arc.write(line + http + b"\n")
    path = tmp_path / "fiction.arc"
    path.write_bytes(arc.getvalue())
    items = list(iter_warc(path))
    assert kind(items[0]) == "warcinfo"
    payload = items[1]
    assert isinstance(payload, WarcPayload) and payload.payload == page
    assert (payload.offset, payload.target_uri) == (offset, LIGHTHOUSE.url)
    assert payload.http_status == 200
    assert payload.warc_date == datetime(2024, 3, 7, 10, 0, tzinfo=UTC)
    assert payload.digest_ok is None  # ARC records carry no digest


@given(
    start=st.integers(min_value=0, max_value=9_999),
    width=st.integers(min_value=1, max_value=3_000),
)
@example(start=7613, width=771)  # the hole ends inside WARC-Payload-Digest
def test_no_hole_in_a_plain_warc_yields_a_partial_payload_or_raises(tmp_path_factory, start, width):
    root = tmp_path_factory.getbasetemp()
    source = root / "property-source.warc"
    if not source.exists():
        write_warc(source, SPECS, gz=False)
    data = source.read_bytes()
    at = start * len(data) // 10_000
    target = root / "property-hole.warc"
    target.write_bytes(data[:at] + data[at + width :])
    written = {spec.payload for spec in SPECS}
    # A hole in a header may lose a field; bytes that are not a written payload are never
    # passed off as one: their digest fails, or (a hole through the digest line itself leaves
    # nothing to check) the record is flagged as not the length it declares.
    for item in iter_warc(target):
        if isinstance(item, WarcPayload) and item.payload not in written:
            assert item.digest_ok is not True
            assert item.digest_ok is False or "warc-content-length-mismatch" in item.flags


def test_an_empty_warc_file_is_quarantined_not_lost(runner, tmp_path):
    """An empty .warc or .warc.gz gives the reader nothing to yield (no record, skip or damage):
    the pack counted it nowhere, neither as an input nor in the quarantine."""
    import hashlib
    import json

    from archive.cli import main

    source = tmp_path / "crawl"
    source.mkdir()
    (source / "a.warc").write_bytes(b"")
    (source / "b.warc.gz").write_bytes(b"")
    (source / "note.txt").write_text("The ferry to Skelby runs twice a day from May.\n")
    out = tmp_path / "dist"
    command = ["pack", str(source), "--out", str(out), "--name", "w", "--version", "1.0.0"]
    result = runner.invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "3 inputs: 1 records (0 reused), 2 quarantined" in result.stderr
    release = out / "w-1.0.0"
    lines = (release / "quarantine.jsonl").read_text().splitlines()
    entries = {e["source_path"]: e for e in map(json.loads, lines)}
    empty = hashlib.sha256(b"").hexdigest()
    for name in ("crawl/a.warc", "crawl/b.warc.gz"):
        assert (entries[name]["reason"], entries[name]["bytes"]) == ("empty", 0)
        assert (entries[name]["sha256"], entries[name]["message"]) == (empty, "the file is empty")
    assert runner.invoke(main, ["verify", str(release)]).exit_code == 0
