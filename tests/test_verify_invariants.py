"""verify checks every invariant a release states, with every hash redone consistently by the
tamperer: record ids are the hashes of their capture keys (E025), text is the body its spans
mark in capture_text (E026), and every count of the manifest is a count over the rows and the
quarantine (E014). What only a signature can expose (a record deleted with the counts
adjusted) is shown to pass unsigned and fail signed."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CREATED

from archive import PackSettings, check_release, pack
from archive.format.manifest import canonical_line, file_sha256, write_manifest
from archive.format.parquetio import write_parquet
from archive.format.signing import write_keypair
from archive.verification.api import sign

SETTINGS = PackSettings("invariant", "1.0.0", CREATED, shards=1)
SHARD = "data/records-00000-of-00001.parquet"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "captures"
    root.mkdir()
    for index in range(6):
        (root / f"story-{index}.txt").write_text(
            f"Harbour notice number {index}\n\nBy Tamsin Orrell\n\nThe fictional Lowmere harbour "
            f"board approved berth {index} for the winter by {index + 4} votes.\n\n"
            f"Dredging of channel {index} begins in March, the board said.\n",
            encoding="utf-8",
        )
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_bytes(b" \n")
    return pack([root], tmp_path_factory.mktemp("dist"), SETTINGS).path


@pytest.fixture
def release(pristine, tmp_path) -> Path:
    copy = tmp_path / pristine.name
    shutil.copytree(pristine, copy)
    return copy


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def revouch(release: Path, edit=None) -> None:
    """Redo every file entry (size, hash, rows) and the manifest's digests after a tamper, as
    a careful forger would; ``edit`` changes the manifest first."""
    manifest = json.loads((release / "manifest.json").read_bytes())
    if edit is not None:
        edit(manifest)
    for entry in manifest["files"]:
        entry["sha256"], entry["bytes"] = file_sha256(release / entry["path"])
        if entry["path"] == SHARD:
            entry["rows"] = pq.read_metadata(release / SHARD).num_rows
    write_manifest(release, manifest)


def rewrite_rows(release: Path, change, edit=None) -> list[dict]:
    """Rewrite the shard's rows through ``change`` (a function of the list of rows)."""
    table = pq.read_table(release / SHARD)
    rows = change(table.to_pylist())
    write_parquet(pa.Table.from_pylist(rows, schema=table.schema), release / SHARD)
    revouch(release, edit)
    return rows


def found(release: Path, **options) -> list[tuple[str, str]]:
    return sorted({(p.code, p.message) for p in check_release(release, **options).problems})


def test_the_pristine_release_holds_every_invariant(release):
    report = check_release(release)
    assert report.ok, report.problems
    for name in (
        "record ids are the hashes of their capture keys",
        "text is the body its spans mark",
        "quarantine reasons counted",
    ):
        assert name in report.checks


def test_two_records_texts_and_hashes_swapped(release):
    def swap(rows):
        for field in ("text", "text_sha256"):
            rows[0][field], rows[1][field] = rows[1][field], rows[0][field]
        return rows

    rows = rewrite_rows(release, swap)
    ids = [rows[0]["record_id"], rows[1]["record_id"]]
    assert found(release) == [
        ("E026", f"record {rid}: text is not the body its spans mark in capture_text")
        for rid in sorted(ids)
    ]


def test_a_body_replaced_by_forged_text_and_its_hash(release):
    forged = "The harbour board was dissolved and its funds vanished."

    def forge(rows):
        rows[2]["text"], rows[2]["text_sha256"] = forged, sha256(forged)
        return rows

    rows = rewrite_rows(release, forge)
    assert [code for code, _ in found(release)] == ["E026"]
    assert rows[2]["record_id"] in found(release)[0][1]


def test_whole_rows_swapped_with_their_ids_kept(release):
    def swap(rows):
        first, second = dict(rows[0]), dict(rows[3])
        rows[0] = second | {"record_id": first["record_id"]}
        rows[3] = first | {"record_id": second["record_id"]}
        return rows

    rows = rewrite_rows(release, swap)
    assert found(release) == sorted(
        ("E025", f"record {rows[i]['record_id']}: record_id is not the hash of its capture key")
        for i in (0, 3)
    )


def test_a_source_path_changed(release):
    def move(rows):
        rows[4]["capture"] = rows[4]["capture"] | {"source_path": "captures/elsewhere.txt"}
        return rows

    rows = rewrite_rows(release, move)
    assert found(release) == [
        ("E025", f"record {rows[4]['record_id']}: record_id is not the hash of its capture key")
    ]


def test_a_quarantine_reason_changed_while_the_manifest_counts_the_old_one(release):
    path = release / "quarantine.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(e["reason"] for e in entries) == ["empty", "empty"]
    entries[0]["reason"] = "binary"
    path.write_bytes(b"".join(canonical_line(e) for e in entries))
    revouch(release)
    assert found(release) == [
        ("E014", "quarantine_reasons.binary differs from quarantine.jsonl"),
        ("E014", "quarantine_reasons.empty differs from quarantine.jsonl"),
    ]


@pytest.mark.parametrize("key", ["languages", "furniture_chars"])
def test_coverage_counts_are_counts_over_the_rows(release, key):
    manifest = json.loads((release / "manifest.json").read_bytes())
    stated = manifest["coverage"][key]
    name = sorted(stated)[0] if stated else "furniture-nav"  # a count the rows do not have
    revouch(release, lambda m: m["coverage"][key].update({name: stated.get(name, 0) + 1}))
    assert found(release) == [("E014", f"coverage.{key}.{name} differs from the records")]


def test_a_record_deleted_with_the_counts_adjusted_needs_a_signature(release, tmp_path):
    """Unsigned, a release is only consistent with itself: a deletion with every count and
    hash redone cannot be told from a release packed without that capture."""
    private, public = write_keypair(tmp_path / "release.key")
    sign(release, private, created=CREATED)
    signed = release / "manifest.json.sig.json"
    signature = signed.read_bytes()
    signed.unlink()

    dropped = pq.read_table(release / SHARD).slice(0, 1).to_pylist()[0]

    def drop(rows):
        return rows[1:]

    def recount(manifest):
        counts = manifest["counts"]
        for key in ("records", "inputs"):
            counts[key] -= 1
        for key, field in (("outlet", "outlet"), ("date", "published_at"), ("title", "title")):
            counts[f"unknown_{key}"] -= dropped[field] is None
        counts["unknown_language"] -= dropped["language"] is None
        counts["unknown_authors"] -= not dropped["authors"]
        counts["duplicates"] -= dropped["duplicate_of"] is not None
        if dropped["language"]:
            manifest["coverage"]["languages"][dropped["language"]] -= 1
        for span in dropped["spans"] or []:
            if span["kind"].startswith("furniture-"):
                manifest["coverage"]["furniture_chars"][span["kind"]] -= span["end"] - span["start"]

    rewrite_rows(release, drop, recount)
    assert check_release(release).ok  # the limit of an unsigned release, stated in the README
    signed.write_bytes(signature)
    assert "E022" in {code for code, _ in found(release, key=public)}
