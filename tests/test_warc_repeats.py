"""A WARC file giving one WARC-Record-ID more than once: the first in the file becomes the record,
each repeat a quarantine entry (``repeated-id``), in a fresh pack, a re-pack and a split pack
alike; the release verifies. Expected values are read from the file with warcio, not the pack."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import CREATED
from warcdata import LIGHTHOUSE, Spec, render_html, warc_bytes
from warcio.archiveiterator import ArchiveIterator

from archive import PackSettings, check_release, pack
from archive.cli import main

TEXT = (("Content-Type", "text/plain; charset=utf-8"),)
URL = "https://www.harbourlight-gazette.org/coast/"


def response(slug: str, body: str) -> Spec:
    return Spec("payload", "response", URL + slug, headers=TEXT, payload=body.encode())


FIRST = response("tide-gauge", "The tide gauge at Pier Four was repaired on Tuesday.\n" * 3)
OTHER = response("ferry", "The evening ferry to Gull Island returns next week.\n" * 3)
FIRST_HTML = Spec(
    "payload",
    "response",
    URL + "s0",
    headers=(("Content-Type", "text/html; charset=utf-8"),),
    payload=render_html(LIGHTHOUSE),
)
CHANGED = response("tide-gauge", "The tide gauge at Pier Four failed again on Friday.\n" * 3)


@pytest.fixture
def crawl(tmp_path) -> Path:
    """``crawl/twice.warc.gz``: records 0 and 1, then record 0's id twice more (once with another
    payload, once the same bytes); ``crawl/once.warc.gz``: a plain file beside it."""
    root = tmp_path / "crawl"
    root.mkdir()
    first, other = warc_bytes([FIRST, OTHER], gz=True)
    changed = warc_bytes([CHANGED], gz=True)[0]  # numbered 0 as well: the same WARC-Record-ID
    (root / "twice.warc.gz").write_bytes(first + other + changed + first)
    (root / "once.warc.gz").write_bytes(warc_bytes([OTHER], gz=True, first_id=7)[0])
    return root


def responses(path: Path) -> list[dict]:
    """Each response of ``path``, read with warcio: id, offset, payload SHA-256 and size."""
    found = []
    with open(path, "rb") as handle:
        reader = ArchiveIterator(handle)
        for rec in reader:
            if rec.rec_type != "response":
                continue
            payload = rec.content_stream().read()
            found.append(
                {
                    "id": rec.rec_headers.get_header("WARC-Record-ID"),
                    "offset": reader.get_record_offset(),
                    "sha256": hashlib.sha256(payload).hexdigest(),
                    "bytes": len(payload),
                }
            )
    return found


def packed(crawl: Path, out: Path, version: str, *more: str) -> Path:
    args = ["pack", str(crawl), "--out", str(out), "--name", "c", "--version", version, "-q"]
    result = CliRunner().invoke(main, [*args, *more])
    assert result.exit_code == 0, result.output
    return out / f"c-{version}"


def file_hashes(release: Path) -> dict[str, str]:
    files = [*sorted((release / "data").iterdir()), release / "quarantine.jsonl"]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_the_first_record_of_an_id_is_kept_and_each_repeat_quarantined(crawl, tmp_path):
    release = packed(crawl, tmp_path / "dist", "1.0.0")
    assert check_release(release).problems == []
    read = responses(crawl / "twice.warc.gz")
    assert [r["id"] for r in read] == [read[0]["id"], read[1]["id"], read[0]["id"], read[0]["id"]]
    table = pq.read_table(release / "data").to_pylist()
    rows = {(r["capture"]["source_path"], r["capture"]["warc_offset"]): r for r in table}
    kept = rows[("crawl/twice.warc.gz", read[0]["offset"])]
    assert kept["raw_sha256"] == read[0]["sha256"]
    key = f"archive-record-v1\ncrawl/twice.warc.gz#{read[0]['id']}"  # the README's record id
    assert kept["record_id"] == hashlib.sha256(key.encode()).hexdigest()[:32]
    assert len(table) == 3 and len({r["record_id"] for r in table}) == 3
    lines = [json.loads(line) for line in (release / "quarantine.jsonl").read_text().splitlines()]
    assert [(q["reason"], q["offset"], q["sha256"], q["bytes"]) for q in lines] == [
        ("repeated-id", r["offset"], r["sha256"], r["bytes"]) for r in read[2:]
    ]
    assert all(q["source_path"] == "crawl/twice.warc.gz" for q in lines)
    again = f"gives the WARC-Record-ID of the one at offset {read[0]['offset']} again"
    assert again in lines[0]["message"]
    counts = json.loads((release / "manifest.json").read_text())["counts"]
    assert (counts["inputs"], counts["records"], counts["quarantined"]) == (5, 3, 2)


def test_a_repack_and_a_split_pack_keep_the_same_record(crawl, tmp_path):
    fresh = file_hashes(packed(crawl, tmp_path / "fresh", "1.1.0"))
    packed(crawl, tmp_path / "dist", "1.0.0")
    repacked = packed(crawl, tmp_path / "dist", "1.1.0")  # the latest earlier one is its parent
    manifest = json.loads((repacked / "manifest.json").read_text())
    assert manifest["parent"] is not None and manifest["counts"]["reused"] == 3
    assert check_release(repacked).problems == []
    assert file_hashes(repacked) == fresh
    settings = PackSettings("c", "1.1.0", CREATED, relations=False)
    whole = file_hashes(pack([crawl], tmp_path / "whole", settings).path)
    split = replace(settings, unit_bytes=1, jobs=2)  # every record start a split point
    assert file_hashes(pack([crawl], tmp_path / "split", split).path) == whole


def test_a_parent_without_the_file_gives_a_version_that_adds_its_records_once(crawl, tmp_path):
    (crawl / "twice.warc.gz").rename(tmp_path / "twice.warc.gz")
    packed(crawl, tmp_path / "dist", "1.0.0")
    (tmp_path / "twice.warc.gz").rename(crawl / "twice.warc.gz")
    release = packed(crawl, tmp_path / "dist", "1.1.0")
    assert check_release(release).problems == []
    changes = json.loads((release / "CHANGES.json").read_text())
    assert changes["counts"]["added"] == 2 and len(set(changes["added"])) == 2


def test_a_crawler_giving_every_record_one_id_gives_one_record(tmp_path):
    """More copies than a batch of rows holds (1,000), and than two: one record, the rest
    quarantined, each naming the first's offset."""
    root = tmp_path / "crawl"
    root.mkdir()
    copies = [response(f"n{n}", f"Harbour notice {n}.\n") for n in range(2100)]
    (root / "one-id.warc.gz").write_bytes(b"".join(warc_bytes([c], gz=True)[0] for c in copies))
    release = packed(root, tmp_path / "dist", "1.0.0", "--no-relations")
    assert check_release(release).problems == []
    read = responses(root / "one-id.warc.gz")
    assert len({r["id"] for r in read}) == 1
    (row,) = pq.read_table(release / "data").to_pylist()
    assert (row["capture"]["warc_offset"], row["raw_sha256"]) == (0, read[0]["sha256"])
    lines = (release / "quarantine.jsonl").read_text().splitlines()
    assert [json.loads(line)["offset"] for line in lines] == [r["offset"] for r in read[1:]]
    assert all("of the one at offset 0 again" in line for line in lines)


NAV = "Home, News, Coast, Business, Weather and Letters for the whole valley"
LEARNING = PackSettings(
    "r",
    "1.0.0",
    CREATED,
    domain_outlets=(("harbourlight-gazette.org", "Harbourlight Gazette"),),
    relations=False,
)


def story(n: int, nav: bool = True, width: int = 0) -> Spec:
    """A text response of the same outlet; its navigation line, given by enough of them, is
    learned as furniture."""
    body = f"Headline number {n} on the harbour\n\n" + (f"{NAV}\n\n" if nav else "")
    body += f"Story number {n} about the pier and the tide gauge was told on the quay.\n\n"
    body += f"The council met on day {n} to discuss the harbour wall.\n"
    return response(f"s{n}", body.ljust(width, "Z"))


def learned_rows(release: Path) -> int:
    rows = pq.read_table(release / "data", columns=["spans"]).to_pylist()
    return sum(any(s["kind"] == "furniture-learned" for s in r["spans"]) for r in rows)


def data_bytes(release: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((release / "data").iterdir())]


def test_a_repeat_teaches_no_furniture_in_a_fresh_pack_or_a_repack(tmp_path):
    """The first record of an id is HTML (it has no furniture contribution), a later one of the
    same id a tenth story: the repeat teaches nothing (a tenth story of another id would), so
    the records are those of the file without it, fresh or re-packed (with the parent pack's
    cache, or without)."""
    root = tmp_path / "crawl"
    root.mkdir()
    html = warc_bytes([FIRST_HTML], gz=True)[0]
    others = b"".join(warc_bytes([story(n)], gz=True, first_id=n)[0] for n in range(1, 10))
    repeat = warc_bytes([story(0)], gz=True)[0]  # numbered 0: the HTML record's id
    crawl = root / "a.warc.gz"
    crawl.write_bytes(html + others + warc_bytes([story(10)], gz=True, first_id=10)[0])
    assert learned_rows(pack([root], tmp_path / "ten", LEARNING).path) == 10
    crawl.write_bytes(html + others)  # nine stories: too few to learn from
    without = pack([root], tmp_path / "without", LEARNING).path
    assert learned_rows(without) == 0
    crawl.write_bytes(html + others + repeat)
    fresh = pack([root], tmp_path / "fresh", replace(LEARNING, version="1.1.0")).path
    assert data_bytes(fresh) == data_bytes(without)
    for cached in (True, False):
        out = tmp_path / f"dist-{cached}"
        crawl.write_bytes(html + others)
        pack([root], out, LEARNING)
        if not cached:
            shutil.rmtree(out / ".archive-cache")
        crawl.write_bytes(html + others + repeat)
        repacked = pack([root], out, replace(LEARNING, version="1.1.0")).path
        assert data_bytes(repacked) == data_bytes(fresh), cached
        assert (repacked / "quarantine.jsonl").read_bytes() == (
            fresh / "quarantine.jsonl"
        ).read_bytes()
        assert check_release(repacked).problems == []


def test_a_new_record_before_a_reused_one_of_its_id_is_the_record(tmp_path):
    """A changed file puts a new record of an id before the parent's record of that id, which
    keeps its bytes and offset (and so is reused): the new one, first in the file, is the
    record, learned furniture applied to it, and the reused one gives way, as in a fresh pack."""
    root = tmp_path / "crawl"
    root.mkdir()
    width = 260
    kept = warc_bytes([story(0, nav=False)], gz=False)[0]  # id 0, reused
    before_v1 = warc_bytes([story(600, nav=False, width=width)], gz=False, first_id=50)[0]
    before_v2 = warc_bytes([story(500, width=width)], gz=False)[0]  # id 0 again, same length
    assert len(before_v1) == len(before_v2)
    others = b"".join(warc_bytes([story(n)], gz=False, first_id=n)[0] for n in range(1, 10))
    crawl = root / "a.warc"
    crawl.write_bytes(before_v2 + kept + others)
    fresh = pack([root], tmp_path / "fresh", replace(LEARNING, version="1.1.0")).path
    assert learned_rows(fresh) == 10  # the new record of id 0 holds the navigation line
    for cached in (True, False):
        out = tmp_path / f"dist-{cached}"
        crawl.write_bytes(before_v1 + kept + others)
        pack([root], out, LEARNING)
        if not cached:
            shutil.rmtree(out / ".archive-cache")
        crawl.write_bytes(before_v2 + kept + others)
        repacked = pack([root], out, replace(LEARNING, version="1.1.0"))
        assert data_bytes(repacked.path) == data_bytes(fresh), cached
        assert repacked.manifest["counts"]["reused"] == 9  # id 0's parent row gave way
        assert check_release(repacked.path).problems == []


@pytest.mark.parametrize("learning", [True, False])
def test_a_shard_whose_only_reused_row_gives_way(tmp_path, learning):
    """The reused row, read apart from the gathered ones (furniture not learned, or learned
    with the parent pack's cache), is the shard's only one, and gives way."""
    root = tmp_path / "crawl"
    root.mkdir()
    settings = replace(LEARNING, learn_furniture=learning)
    kept = warc_bytes([story(0, nav=False)], gz=False)[0]
    before_v1 = warc_bytes([story(600, nav=False, width=260)], gz=False, first_id=50)[0]
    before_v2 = warc_bytes([story(500, width=260)], gz=False)[0]
    crawl = root / "a.warc"
    crawl.write_bytes(before_v1 + kept)
    pack([root], tmp_path / "dist", settings)
    crawl.write_bytes(before_v2 + kept)
    repacked = pack([root], tmp_path / "dist", replace(settings, version="1.1.0"))
    fresh = pack([root], tmp_path / "fresh", replace(settings, version="1.1.0"))
    assert data_bytes(repacked.path) == data_bytes(fresh.path)
    assert repacked.manifest["counts"]["reused"] == 0
    assert check_release(repacked.path).problems == []


def test_a_file_named_as_a_warc_records_capture_key_gives_way_to_the_record(crawl, tmp_path):
    """``crawl/twice.warc.gz#<id>``, a page saved beside the crawl, has the capture key of that
    WARC record: the record stays, the page is quarantined saying why."""
    read = responses(crawl / "twice.warc.gz")
    page = "<!doctype html><html><body><p>A note left beside the crawl.</p></body></html>"
    (crawl / f"twice.warc.gz#{read[1]['id']}").write_text(page)  # HTML by its first bytes
    release = packed(crawl, tmp_path / "dist", "1.0.0", "--no-relations")
    assert check_release(release).problems == []
    lines = [json.loads(line) for line in (release / "quarantine.jsonl").read_text().splitlines()]
    (entry,) = [q for q in lines if q["offset"] is None]
    assert entry["source_path"] == f"crawl/twice.warc.gz#{read[1]['id']}"
    assert entry["reason"] == "repeated-id"
    assert entry["message"].startswith(
        f"its capture key is that of the WARC record at offset {read[1]['offset']} of another"
    )


def _bare_response(record_id: str | None, n: int) -> bytes:
    """A plain WARC response written by hand, with ``record_id`` or no WARC-Record-ID."""
    body = f"Story {n} about the pier and the harbour wall, told on the quay.\n".encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
    http += b"Content-Length: %d\r\n\r\n" % len(body) + body
    head = "WARC/1.1\r\nWARC-Type: response\r\n"
    head += f"WARC-Record-ID: {record_id}\r\n" if record_id is not None else ""
    head += f"WARC-Target-URI: {URL}s{n}\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
    head += f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n"
    return head.encode() + b"\r\n" + http + b"\r\n\r\n"


def test_a_record_without_an_id_keyed_as_another_records_id_gives_way(tmp_path):
    """A record with no WARC-Record-ID is keyed by its offset (``#@<offset>``); the record before
    it here gives exactly that as its id, so the second gives way, and is told why."""
    root = tmp_path / "crawl"
    root.mkdir()
    length = 1000
    for _ in range(4):  # the id's digits count in the length: settle on a fixed point
        length = len(_bare_response(f"@{length}", 1))
    first = _bare_response(f"@{length}", 1)
    assert len(first) == length
    (root / "x.warc").write_bytes(first + _bare_response(None, 2))
    release = packed(root, tmp_path / "dist", "1.0.0", "--no-relations")
    assert check_release(release).problems == []
    (entry,) = [
        json.loads(line) for line in (release / "quarantine.jsonl").read_text().splitlines()
    ]
    assert (entry["reason"], entry["offset"]) == ("repeated-id", length)
    assert entry["message"].startswith(
        f"the record at offset {length} has no WARC-Record-ID, and its capture key is that of the "
        "record at offset 0"
    )
