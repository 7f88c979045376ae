"""verify checks every invariant a release states, with every hash redone consistently by the
tamperer: record ids are the hashes of their capture keys (E025), text is the body its spans
mark in capture_text (E026), and every count of the manifest is a count over the rows and the
quarantine (E014). What only a signature can expose (a record deleted with the counts
adjusted) is shown to pass unsigned and fail signed."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, date, datetime
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


# --- what the record schema states but a column type cannot hold ---------------------------


def listed(release: Path, relative: str) -> None:
    """Add ``relative`` (a file of the release) to the manifest's files, as a forger would."""

    def add(manifest):
        data = (release / relative).read_bytes()
        entry = {"path": relative, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        manifest["files"].append(entry | {"sha512": hashlib.sha512(data).hexdigest()})
        manifest["files"].sort(key=lambda e: e["path"])

    revouch(release, add)


def test_a_parquet_file_beside_the_shards_is_e036(release):
    """Readers load data/ whole: a listed file there that is no shard would be read as records."""
    shutil.copy(release / SHARD, release / "data" / "zz-extra.parquet")
    listed(release, "data/zz-extra.parquet")
    assert (
        pq.read_table(release / "data").num_rows == 2 * pq.read_metadata(release / SHARD).num_rows
    )
    assert found(release) == [("E036", "under data/, but not a record shard")]


def test_a_shard_named_for_another_count_is_e036(release):
    renamed = "data/records-00001-of-00002.parquet"
    (release / SHARD).rename(release / renamed)

    def rename(manifest):
        for entry in manifest["files"]:
            if entry["path"] == SHARD:
                entry["path"] = renamed

    revouch(release, rename)
    assert found(release) == [
        ("E036", "record shards are named of [2], but settings.shards is 1"),
        ("E036", "record shards of 2: 1 index(es) not listed (from [0]), 0 beyond the count, "
         "0 listed twice"),
    ]  # fmt: skip


@pytest.mark.parametrize("count", [100_000, 10**11])
def test_shard_names_past_five_digits_pass_and_any_count_is_reported_in_bounds(release, count):
    """pack names shard 0 of 100,000 records-00000-of-100000.parquet; a forged count of a
    hundred billion shards is one bounded line, not a list of every missing index."""
    from archive.release.plan import shard_name
    from archive.verification.audit import Audit, Plan
    from archive.verification.report import Report
    from archive.verification.structure import check_shard_names

    names = [f"data/{shard_name(i, count)}" for i in (0, 1, 1)]
    manifest = {"files": [{"path": n} for n in names], "settings": {"shards": count}}
    audit = Audit(release, Plan("structure", True, None, 0, 1, None, "local", None, None, False,
                                False), Report(str(release)))  # fmt: skip
    audit.manifest = manifest
    check_shard_names(audit)
    assert [str(p) for p in audit.report.problems] == [
        f"E036 manifest.json: record shards of {count}: {count - 2} index(es) not listed "
        "(from [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 0 beyond the count, 1 listed twice"
    ]


@pytest.mark.parametrize("field", ["authors", "categories", "flags", "provenance", "spans"])
def test_a_null_list_is_e011(release, field):
    """Flattening a list column drops its nulls: the list's own values are checked too."""
    table = pq.read_table(release / SHARD)
    rows = table.to_pylist()
    rows[1][field] = None
    loose = pa.schema([f.with_nullable(True) for f in table.schema], metadata=table.schema.metadata)
    write_parquet(pa.Table.from_pylist(rows, schema=loose), release / SHARD)
    revouch(release)
    assert f'/{field}: 1 value(s) break {{"type": "array"}}' in {m for _, m in found(release)}


def test_withheld_text_is_found_in_the_rows_whatever_the_footer_says(release, monkeypatch):
    """A forger writes the footer's statistics too: the rows, not a null count, decide."""
    from archive.verification import rows as row_checks

    monkeypatch.setattr(row_checks, "withheld_problems", lambda *args, **kwargs: [])

    def withhold(rows):
        rows[2]["text"] = rows[2]["capture_text"] = None
        return rows

    rows = rewrite_rows(release, withhold)
    message = f"record {rows[2]['record_id']}: text withheld, but it may be redistributed in full"
    assert found(release) == [("E023", message)]


def test_text_shipped_for_a_metadata_only_record_is_e023(release):
    def narrow(rows):
        rows[3]["redistribution"] = "metadata-only"
        return rows

    rows = rewrite_rows(release, narrow)
    message = (
        f"record {rows[3]['record_id']}: text present, but its redistribution class is "
        "metadata-only"
    )
    assert found(release) == [("E023", message)]


def test_text_kept_with_its_capture_withheld_is_e023(release):
    def split(rows):
        rows[0]["capture_text"] = None
        return rows

    rows = rewrite_rows(release, split)
    message = f"record {rows[0]['record_id']}: text and capture_text are not withheld together"
    assert found(release) == [("E023", message)]


def test_a_text_row_labelled_as_an_html_pages_keeps_its_body_check(release):
    """The HTML extractor's rows are not re-extracted: a text row that claims it would escape
    the check of its body, but a page's rows are text/html."""
    forged = "The harbour board was dissolved and its funds vanished."

    def relabel(rows):
        rows[1]["extractor"] = "archive-html/17 forged"
        rows[1]["text"], rows[1]["text_sha256"] = forged, sha256(forged)
        return rows

    rows = rewrite_rows(release, relabel)
    assert [code for code, _ in found(release)] == ["E026"]
    assert rows[1]["record_id"] in found(release)[0][1]


def test_a_quarantine_file_deleted_with_its_entry_is_e014(release):
    (release / "quarantine.jsonl").unlink()

    def unlist(manifest):
        manifest["files"] = [e for e in manifest["files"] if e["path"] != "quarantine.jsonl"]

    revouch(release, unlist)
    assert found(release) == [
        ("E014", "counts.quarantined differs from quarantine.jsonl"),
        ("E014", "inputs is not records + quarantined + withdrawn inputs"),
        ("E014", "quarantine_reasons.empty differs from quarantine.jsonl"),
    ]


def test_a_schema_copy_edited_under_its_published_id_is_e016(release):
    path = release / "schemas" / "record.schema.json"
    schema = json.loads(path.read_bytes())
    schema["properties"]["redistribution"]["enum"].append("public-domain")
    path.write_bytes(json.dumps(schema, indent=2).encode())

    def rehash(manifest):
        manifest["schemas"]["record"]["sha256"] = file_sha256(path)[0]

    revouch(release, rehash)
    assert found(release) == [
        ("E016", f"differs from the record schema published as {schema['$id']}")
    ]


def dated(rows, day: str, precision: str | None = "minute"):
    """Row 0 published at 22:30 UTC on 3 March 2021, stated at +02:00 (so on the 4th)."""
    rows[0]["published_at"] = datetime(2021, 3, 3, 22, 30, tzinfo=UTC)
    rows[0]["published_utc_offset"] = 120
    rows[0]["published_precision"] = precision
    rows[0]["published_date"] = date.fromisoformat(day)
    return rows


def one_date_more(manifest):
    manifest["counts"]["unknown_date"] -= 1


def test_a_date_stated_as_its_publisher_did_verifies(release):
    rewrite_rows(release, lambda rows: dated(rows, "2021-03-04"), one_date_more)
    assert found(release) == []


@pytest.mark.parametrize(
    ("day", "precision"), [("2021-03-03", "minute"), ("2021-03-04", None), ("2021-03-05", "day")]
)
def test_a_published_date_unlike_published_at_is_e011(release, day, precision):
    rows = rewrite_rows(release, lambda rows: dated(rows, day, precision), one_date_more)
    assert found(release) == [
        (
            "E011",
            f"record {rows[0]['record_id']}: published_date, published_precision or an offset "
            "disagrees with published_at (or modified_utc_offset with modified_at)",
        )
    ]


def test_a_precision_without_a_date_is_e011(release):
    def loose(rows):
        rows[5]["published_precision"] = "minute"
        return rows

    rows = rewrite_rows(release, loose)
    assert [(code, rows[5]["record_id"] in message) for code, message in found(release)] == [
        ("E011", True)
    ]


@pytest.mark.parametrize("where", ["span beyond", "provenance reversed", "provenance half"])
def test_an_offset_outside_the_capture_is_e011(release, where):
    def shift(rows):
        row = rows[0]
        if where == "span beyond":
            row["spans"][-1]["end"] = len(row["capture_text"]) + 1
        else:
            entry = row["provenance"][0]
            if where == "provenance reversed":
                entry["start"], entry["end"] = 5, 4
            else:
                entry["start"], entry["end"] = 5, None
        return rows

    rows = rewrite_rows(release, shift)
    problems = found(release)
    assert ("E011", f"record {rows[0]['record_id']}: a span or provenance offset lies outside "
            "capture_text, or ends before it starts") in problems  # fmt: skip


def test_flags_out_of_order_or_twice_are_e011(release):
    def shuffle(rows):
        rows[1]["flags"] = sorted(rows[1]["flags"] or ["outlet-unknown"], reverse=True) * 2
        return rows

    rows = rewrite_rows(release, shuffle)
    assert ("E011", f"record {rows[1]['record_id']}: flags are not sorted, each once") in found(
        release
    )


@pytest.mark.parametrize("how", ["twice", "unsorted"])
def test_a_file_listed_twice_or_out_of_order_is_e004(release, how):
    def relist(manifest):
        files = manifest["files"]
        manifest["files"] = files + files[:1] if how == "twice" else files[::-1]

    manifest = json.loads((release / "manifest.json").read_bytes())
    relist(manifest)
    write_manifest(release, manifest)
    assert ("E004", "files: not each listed once, sorted by path") in found(release)


def test_an_empty_folder_in_a_release_is_e008(release):
    (release / "data" / "later").mkdir()
    assert found(release) == [("E008", "an empty folder: a release holds none")]


@pytest.mark.parametrize("chained", [False, True])
def test_a_duplicate_of_a_duplicate_is_e017(release, chained):
    """duplicate_of names the first record with the text: C marked as a copy of B, itself a
    copy of A, names no first record."""
    same = ("capture_text", "capture_text_sha256", "text", "text_sha256", "spans", "provenance")

    def copy_first(rows):
        a, b, c = rows[0], rows[1], rows[2]
        for row in (b, c):
            row.update({key: a[key] for key in same})
        b["duplicate_of"] = a["record_id"]
        c["duplicate_of"] = (b if chained else a)["record_id"]
        return rows

    rows = rewrite_rows(release, copy_first, lambda m: m["counts"].update(duplicates=2))
    message = (
        f"record {rows[2]['record_id']}: duplicate_of {rows[1]['record_id']} is a duplicate "
        "itself, not the first"
    )
    assert (("E017", message) in found(release)) is chained
    assert [code for code, _ in found(release) if code == "E017"] == (["E017"] if chained else [])


def test_a_shard_name_of_thousands_of_digits_is_e036_not_a_crash(release):
    """Python refuses to read an integer of more than 4,300 digits: such a name is no shard's."""
    forged = f"data/records-{'0' * 5000}-of-00001.parquet"  # listed only: no file system
    manifest = json.loads((release / "manifest.json").read_bytes())
    manifest["files"].append({"path": forged, "bytes": 1, "sha256": "0" * 64, "sha512": "0" * 128})
    write_manifest(release, manifest)
    assert ("E036", "under data/, but not a record shard") in found(release)
