"""HTML pages and WARC files packed next to text captures, in one release."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CREATED
from warcdata import (
    LIGHTHOUSE,
    ORCHARD,
    fixture_specs,
    gzip_bytes,
    render_html,
    render_text,
    truncated_copy,
    write_warc,
)

from archive import PackSettings, pack, verify

SETTINGS = PackSettings(
    "web",
    "1.0.0",
    CREATED,
    domain_outlets=(("harbourlight-gazette.org", "Harbourlight Gazette"),),
)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("web") / "captures"
    (root / "pages").mkdir(parents=True)
    (root / "crawls").mkdir()
    (root / "text").mkdir()
    (root / "pages" / "lighthouse.html").write_bytes(render_html(LIGHTHOUSE))
    (root / "pages" / "orchard.html.gz").write_bytes(gzip_bytes(render_html(ORCHARD)))
    (root / "text" / "lighthouse.txt").write_text(render_text(LIGHTHOUSE), encoding="utf-8")
    write_warc(root / "crawls" / "crawl.warc.gz", fixture_specs(), gz=True)
    offsets = write_warc(root / "crawls" / "plain.warc", fixture_specs(), gz=False)
    truncated_copy(root / "crawls" / "plain.warc", root / "crawls" / "cut.warc", offsets[5] + 40)
    return pack([root], tmp_path_factory.mktemp("dist"), SETTINGS).path


def records(release: Path) -> list[dict]:
    return pq.read_table(release / "data").to_pylist()


def quarantine(release: Path) -> list[dict]:
    text = (release / "quarantine.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_release_verifies_and_accounts_for_every_capture(release):
    report = verify(release)
    manifest = json.loads((release / "manifest.json").read_bytes())
    counts = manifest["counts"]
    assert (
        counts["inputs"]
        == counts["records"] + counts["quarantined"]
        == report.records + len(quarantine(release))
    )
    skipped = manifest["warc_records_skipped"]
    # two whole WARCs plus the part of the cut one before its damage
    assert skipped["request"] == 3 and skipped["warcinfo"] == 3 and skipped["metadata"] == 3
    assert skipped["revisit"] == 2 and skipped["redirect"] == 2 and skipped["error-status"] == 2


def test_warc_captures_carry_their_headers(release):
    rows = [r for r in records(release) if r["capture"]["warc_filename"] == "crawl.warc.gz"]
    assert len(rows) == 6
    first = min(rows, key=lambda r: r["capture"]["warc_offset"])
    capture = first["capture"]
    assert capture["url"] == LIGHTHOUSE.url
    assert capture["warc_record_id"].startswith("<urn:uuid:")
    assert capture["http_status"] == 200 and capture["ip_address"] == "192.0.2.10"
    assert capture["retrieved_at"].isoformat() == "2024-03-07T10:00:00+00:00"
    assert capture["payload_digest"].startswith("sha1:")
    assert capture["content_type"] == "text/html; charset=utf-8"
    assert first["outlet"] == "Harbourlight Gazette"
    assert {p["method"] for p in first["provenance"] if p["field"] == "outlet"} == {"url-domain"}
    mismatched = [r for r in rows if "payload-digest-mismatch" in r["flags"]]
    assert len(mismatched) == 1 and mismatched[0]["capture"]["url"].endswith("?page=2")


def test_charsets_are_honoured_and_recorded(release):
    rows = {
        r["capture"]["url"]: r
        for r in records(release)
        if r["capture"]["warc_filename"] == "crawl.warc.gz"
    }
    cyrillic = next(
        r for u, r in rows.items() if "windows-1251" in (r["capture"]["content_type"] or "")
    )
    assert cyrillic["raw_encoding"] == "cp1251" and cyrillic["raw_encoding_method"] == "http-header"


def test_same_article_as_html_warc_and_text_links_as_duplicates(release):
    rows = records(release)
    lighthouse = [
        r
        for r in rows
        if r["capture"]["url"] == LIGHTHOUSE.url
        or r["capture"]["source_path"].endswith(("lighthouse.html", "lighthouse.txt"))
    ]
    html_file = next(r for r in lighthouse if r["capture"]["source_path"].endswith(".html"))
    text_file = next(r for r in lighthouse if r["capture"]["source_path"].endswith(".txt"))
    warc_copies = [
        r for r in lighthouse if r["capture"]["warc_filename"] and r["media_type"] == "text/html"
    ]
    assert len(warc_copies) == 3  # crawl.warc.gz, plain.warc and cut.warc before its damage
    group = sorted([html_file, text_file, *warc_copies], key=lambda r: r["record_id"])
    assert len({r["text_sha256"] for r in group}) == 1
    assert all(r["duplicate_of"] == group[0]["record_id"] for r in group[1:])


def test_damage_is_quarantined_with_its_offset(release):
    damaged = [q for q in quarantine(release) if q["reason"] == "damaged"]
    assert len(damaged) == 1
    assert damaged[0]["source_path"] == "captures/crawls/cut.warc"
    assert damaged[0]["offset"] is not None


def test_gzip_html_file_is_read(release):
    rows = [r for r in records(release) if r["capture"]["source_path"].endswith("orchard.html.gz")]
    assert len(rows) == 1 and rows[0]["media_type"] == "text/html" and rows[0]["title"]


@pytest.mark.parametrize("unit_bytes", [16 * 1024 * 1024, 4096])  # whole, and cut into spans
def test_a_log_line_naming_a_warc_file_gives_its_records_its_rights_and_nothing_else(
    tmp_path, unit_bytes
):
    """A line marking a WARC file metadata-only once left its records published in full: the
    line was counted as matched, and nothing of it reached them."""
    root = tmp_path / "captures"
    root.mkdir()
    for name in ("kept.warc.gz", "open.warc", "typo.warc"):
        write_warc(root / name, fixture_specs(), gz=name.endswith(".gz"))
    lines = [
        {
            "path": "kept.warc.gz",
            "redistribution": "metadata-only",
            "rights_holder": "Tarrow Crawl Trust",
            # a page's own: each record keeps its WARC headers', never the line's
            "url": "https://elsewhere.example/",
            "retrieved_at": "2020-01-01T00:00:00Z",
            "published_at": "2019-12-31",
            "outlet": "Not This Outlet",
        },
        {"path": "open.warc", "url": "https://elsewhere.example/open"},  # states no rights
        {"path": "typo.warc", "redistribution": "metadata-only", "published_at": "2024-02-30"},
    ]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    settings = PackSettings(
        "web", "1.0.0", CREATED, domain_outlets=SETTINGS.domain_outlets, unit_bytes=unit_bytes
    )
    result = pack([root], tmp_path / "dist", settings, capture_log=log)
    rows = records(result.path)
    kept, opened = (
        sorted(
            (r for r in rows if r["capture"]["source_path"] == f"captures/{name}"),
            key=lambda r: r["capture"]["warc_record_id"],
        )
        for name in ("kept.warc.gz", "open.warc")
    )
    assert len(kept) == len(opened) == 6  # the fixture's payloads (two are text and a digest)
    for row, twin in zip(kept, opened, strict=True):
        assert (row["redistribution"], row["rights_holder"]) == (
            "metadata-only",
            "Tarrow Crawl Trust",
        )
        assert row["text"] is None and row["capture_text"] is None  # withheld, as the line says
        rights = {p["field"]: p for p in row["provenance"] if p["field"] in RIGHTS}
        assert {p["method"] for p in rights.values()} == {"capture-log"}
        assert {p["evidence"] for p in rights.values()} == {"log.jsonl line 1"}
        for field in ("url", "retrieved_at", "warc_record_id"):
            assert row["capture"][field] == twin["capture"][field]
        for field in ("published_at", "outlet", "raw_encoding_method", "title"):
            assert row[field] == twin[field]
        assert (twin["redistribution"], twin["rights_holder"]) == ("full", None)
        assert twin["text"] is not None
    held = [json.loads(line) for line in (result.path / "quarantine.jsonl").open("rb")]
    refused = [q for q in held if q["reason"] == "capture-log"]
    assert [q["source_path"] for q in refused] == ["captures/typo.warc"]  # once, not per span
    assert not any(r["capture"]["source_path"] == "captures/typo.warc" for r in rows)
    assert verify(result.path).problems == []


RIGHTS = ("redistribution", "rights_holder")


def test_a_changed_rights_line_for_a_warc_file_derives_its_records_again(tmp_path):
    """A record inside a WARC file is reused from the parent only while its rights are the
    same: the line naming the file enters its derivation."""
    root = tmp_path / "captures"
    root.mkdir()
    write_warc(root / "crawl.warc", fixture_specs(), gz=False)
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"path": "crawl.warc", "redistribution": "metadata-only"}) + "\n")
    first = pack([root], tmp_path / "dist", SETTINGS, capture_log=log)
    assert {r["text"] for r in records(first.path)} == {None}
    log.write_text(json.dumps({"path": "crawl.warc", "redistribution": "full"}) + "\n")
    again = PackSettings("web", "1.1.0", CREATED, domain_outlets=SETTINGS.domain_outlets)
    second = pack([root], tmp_path / "dist", again, capture_log=log, parent=first.path)
    rows = records(second.path)
    assert all(r["text"] is not None and r["redistribution"] == "full" for r in rows)
    assert verify(second.path).problems == []


def test_an_input_named_in_both_forms_of_its_path_is_quarantined(tmp_path):
    """Two usable lines naming one input (``crawl.warc`` and ``b/crawl.warc``) are as a path
    given twice: which holds is not known. The shorter form once won without a word, and the
    other line's metadata-only was lost, the texts published."""
    roots = [tmp_path / "a", tmp_path / "b"]
    for root in roots:
        root.mkdir()
        write_warc(root / "crawl.warc", fixture_specs(), gz=False)
        (root / "story.txt").write_text(render_text(LIGHTHOUSE), encoding="utf-8")
    lines = [
        {"path": "crawl.warc", "rights_holder": "Open Crawl Co"},
        {"path": "b/crawl.warc", "redistribution": "metadata-only"},
        {"path": "story.txt", "url": LIGHTHOUSE.url},
        {"path": "b/story.txt", "redistribution": "metadata-only"},
    ]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = pack(roots, tmp_path / "dist", SETTINGS, capture_log=log)
    held = [json.loads(line) for line in (result.path / "quarantine.jsonl").open("rb")]
    assert [(q["source_path"], q["reason"]) for q in held] == [
        ("b/crawl.warc", "capture-log"),
        ("b/story.txt", "capture-log"),
    ]
    assert (
        "its lines 1 and 2 in log.jsonl both name it (crawl.warc and b/crawl.warc)"
        in (held[0]["message"])
    )
    rows = records(result.path)
    assert {r["capture"]["source_path"] for r in rows} == {"a/crawl.warc", "a/story.txt"}
    assert {r["rights_holder"] for r in rows if r["capture"]["source_path"] == "a/crawl.warc"} == {
        "Open Crawl Co"
    }
    counts = result.manifest["counts"]
    assert (counts["inputs"], counts["records"], counts["quarantined"]) == (9, 7, 2)
    assert verify(result.path).problems == []
