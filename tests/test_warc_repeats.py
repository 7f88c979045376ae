"""A WARC file giving one WARC-Record-ID more than once: the first in the file becomes the record,
each repeat a quarantine entry (``repeated-id``), in a fresh pack, a re-pack and a split pack
alike; the release verifies. Expected values are read from the file with warcio, not the pack."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import CREATED
from warcdata import Spec, warc_bytes
from warcio.archiveiterator import ArchiveIterator

from archive import PackSettings, check_release, pack
from archive.cli import main
from archive.release.stages import CONTRIBUTION_SCHEMA, _first_contributions

TEXT = (("Content-Type", "text/plain; charset=utf-8"),)
URL = "https://www.harbourlight-gazette.org/coast/"


def response(slug: str, body: str) -> Spec:
    return Spec("payload", "response", URL + slug, headers=TEXT, payload=body.encode())


FIRST = response("tide-gauge", "The tide gauge at Pier Four was repaired on Tuesday.\n" * 3)
OTHER = response("ferry", "The evening ferry to Gull Island returns next week.\n" * 3)
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


def test_a_repeated_ids_furniture_contribution_is_counted_once():
    """The first contribution of an id is kept (the units' parts come in file order), and none of
    an id the parent's reused row contributes for."""

    def part(*rows: tuple[str, int]) -> pa.Table:
        columns = {"record_id": [r for r, _ in rows], "bucket": ["o"] * len(rows)}
        columns |= {"doc": [n for _, n in rows], "keys": [[n] for _, n in rows]}
        return pa.table(columns, schema=CONTRIBUTION_SCHEMA)

    parts = [part(("b", 1), ("a", 2)), part(("a", 3), ("c", 4))]
    found = _first_contributions(parts, [])
    assert found["record_id"].to_pylist() == ["a", "b", "c"]
    assert found["doc"].to_pylist() == [2, 1, 4]
    reuse = [pa.table({"record_id": ["c"]})]
    assert _first_contributions(parts, reuse)["record_id"].to_pylist() == ["a", "b"]
