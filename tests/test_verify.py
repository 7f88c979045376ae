"""verify must catch every change to a release: bytes, files, manifest, and rewritten rows."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CREATED, raw_strings, vouch_for

from archive import (
    PackSettings,
    VerificationError,
    check_release,
    is_valid,
    validate,
    verify,
)
from archive.cli import main
from archive.format.manifest import canonical_json, file_sha256, write_manifest
from archive.format.parquetio import write_parquet
from archive.verification import shards

SETTINGS = PackSettings("tamper", "1.0.0", CREATED, extract="none", shards=2)


CAPTURES = {
    f"story-{i:02d}.txt": f"Council minutes, item {i}\n\nThe Wrenfield council approved "
    f"motion {i} by {i + 3} votes to {i % 4}.\n"
    for i in range(12)
}
CAPTURES["story-05-again.txt"] = CAPTURES["story-05.txt"]
CAPTURES["empty.txt"] = b""


@pytest.fixture(scope="module")
def pristine(packed_captures) -> Path:
    return packed_captures("captures", CAPTURES, SETTINGS)


@pytest.fixture(scope="module")
def dehydrated(packed_captures) -> Path:
    """The same captures packed in the metadata-only tier."""
    return packed_captures("captures", CAPTURES, replace(SETTINGS, tier="metadata-only"))


@pytest.fixture
def release(pristine, tmp_path) -> Path:
    copy = tmp_path / pristine.name
    shutil.copytree(pristine, copy)
    return copy


def codes(release: Path) -> set[str]:
    return {p.code for p in check_release(release).problems}


def test_pristine_release_verifies(release):
    report = verify(release)
    listed = json.loads((release / "manifest.json").read_bytes())["files"]
    assert report.ok and report.records == 13 and report.files == len(listed)
    assert "text and capture_text hashes" in report.checks


@pytest.mark.parametrize(
    "relative",
    [
        "manifest.json",
        "manifest.json.sha256",
        "quarantine.jsonl",
        "data/records-00000-of-00002.parquet",
        "data/records-00001-of-00002.parquet",
        "schemas/record.schema.json",
    ],
)
@pytest.mark.parametrize("where", [0.0, 0.5, 0.999])
def test_a_flipped_byte_anywhere_fails(release, relative, where):
    path = release / relative
    data = bytearray(path.read_bytes())
    position = min(len(data) - 1, int(len(data) * where))
    data[position] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(VerificationError) as caught:
        verify(release)
    assert caught.value.problems


def test_edited_manifest_is_detected(release):
    manifest = json.loads((release / "manifest.json").read_bytes())
    manifest["counts"]["records"] += 1
    (release / "manifest.json").write_bytes(canonical_json(manifest))
    assert "E003" in codes(release)


def test_missing_and_extra_files(release):
    (release / "schemas" / "quarantine.schema.json").unlink()
    (release / "data" / "stowaway.txt").write_text("not ours", encoding="utf-8")
    problems = check_release(release).problems
    assert {(p.code, p.path) for p in problems} >= {
        ("E005", "schemas/quarantine.schema.json"),
        ("E008", "data/stowaway.txt"),
    }


def test_rewritten_text_with_updated_hashes_is_caught_by_row_hashes(release):
    shard = release / "data" / "records-00000-of-00002.parquet"
    table = pq.read_table(shard)
    texts = table["text"].to_pylist()
    texts[0] = texts[0].replace("approved", "rejected")
    table = table.set_column(
        table.schema.get_field_index("text"),
        table.schema.field("text"),
        pa.array(texts, pa.string()),
    )
    write_parquet(table, shard)
    vouch_for(release, "data/records-00000-of-00002.parquet")
    problems = check_release(release).problems
    assert [p.code for p in problems] == ["E012"]
    assert table["record_id"][0].as_py() in problems[0].message


def test_duplicated_ids_and_wrong_counts(release):
    shard = release / "data" / "records-00001-of-00002.parquet"
    table = pq.read_table(shard)
    write_parquet(pa.concat_tables([table, table.slice(0, 1)]), shard)
    vouch_for(release, "data/records-00001-of-00002.parquet")
    found = codes(release)
    assert {"E013", "E014"} <= found


def test_manifest_digest_file_must_exist(release):
    (release / "manifest.json.sha256").unlink()
    assert "E002" in codes(release)


def test_digest_file_matches_sha256sum_format(release):
    digest = hashlib.sha256((release / "manifest.json").read_bytes()).hexdigest()
    assert (release / "manifest.json.sha256").read_text() == f"{digest}  manifest.json\n"


def test_validate_accepts_real_output_and_rejects_broken_records(release, tmp_path):
    shard = release / "data" / "records-00000-of-00002.parquet"
    assert validate(release).ok and validate(shard).ok and validate(release / "manifest.json").ok
    assert validate(release / "quarantine.jsonl").ok
    rows = pq.read_table(shard).to_pylist()
    from archive.format.schema import json_value

    good = tmp_path / "records.jsonl"
    good.write_text("".join(json.dumps(json_value(r)) + "\n" for r in rows), encoding="utf-8")
    assert validate(good).ok
    broken = [
        dict(json_value(rows[0]), text_sha256="nothex"),
        dict(json_value(rows[0]), surprise=1),
    ]
    bad = tmp_path / "broken.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in broken), encoding="utf-8")
    report = validate(bad)
    assert [p.path for p in report.problems] == ["broken.jsonl:1", "broken.jsonl:2"]
    assert "text_sha256" in report.problems[0].message


def test_validate_parquet_reports_broken_values_by_column(release, tmp_path):
    table = pq.read_table(release / "data" / "records-00000-of-00002.parquet")
    index = table.schema.get_field_index("media_type")
    table = table.set_column(
        index, table.schema.field(index), pa.array(["image/png"] * table.num_rows)
    )
    path = tmp_path / "bad.parquet"
    write_parquet(table, path)
    report = validate(path)
    assert [p.code for p in report.problems] == ["E011"]
    assert "/media_type" in report.problems[0].message


def test_duplicate_links_must_point_at_an_earlier_equal_record(release):
    def rewrite(change):
        for shard in sorted((release / "data").glob("records-*.parquet")):
            table = pq.read_table(shard)
            column = table.schema.get_field_index("duplicate_of")
            values = change(table["duplicate_of"].to_pylist(), table["record_id"].to_pylist())
            table = table.set_column(
                column, table.schema.field(column), pa.array(values, pa.string())
            )
            write_parquet(table, shard)
        manifest = json.loads((release / "manifest.json").read_bytes())
        for entry in manifest["files"]:
            if entry["path"].startswith("data/records-"):
                entry["sha256"], entry["bytes"] = file_sha256(release / entry["path"])
                entry["sha512"] = hashlib.sha512((release / entry["path"]).read_bytes()).hexdigest()
        write_manifest(release, manifest)

    assert verify(release).ok and "duplicate_of links" in verify(release).checks
    rewrite(lambda dups, ids: ["f" * 32 if d else None for d in dups])
    problems = check_release(release).problems
    assert {p.code for p in problems} == {"E017"}
    assert "not earlier" in problems[0].message or "not in the release" in problems[0].message


def test_duplicate_links_are_found_alike_whatever_the_jobs(release):
    """The originals of duplicates are read shard by shard in threads when ``jobs`` > 1: the
    links found, and their problems in their order, are those of one thread, and those a plain
    reading of the rows gives."""
    shards = sorted((release / "data").glob("records-*.parquet"))
    tables = {f"data/{shard.name}": pq.read_table(shard) for shard in shards}
    rows = [row for table in tables.values() for row in table.to_pylist()]
    ids = sorted(row["record_id"] for row in rows)
    hashes = {row["record_id"]: row["text_sha256"] for row in rows}
    # Each record points at the one three places before it in id order (an earlier record,
    # mostly of another text), the first three at a later one, and one at no record at all.
    pointed = {rid: ids[(i - 3) % len(ids)] for i, rid in enumerate(ids)}
    pointed[ids[5]] = "0" * 32
    edited = {}
    for relative, table in tables.items():
        column = table.schema.get_field_index("duplicate_of")
        values = pa.array([pointed[rid] for rid in table["record_id"].to_pylist()], pa.string())
        edited[relative] = table.set_column(column, table.schema.field(column), values)
    rewrite_shards(release, edited)
    expected = set()
    for rid, original in pointed.items():
        if original >= rid:
            expected.add(f"record {rid}: duplicate_of {original} is not earlier")
        elif original in pointed:  # every record is marked: no original is the first
            expected.add(
                f"record {rid}: duplicate_of {original} is a duplicate itself, not the first"
            )
        if original not in hashes:
            expected.add(f"record {rid}: duplicate_of {original} is not in the release")
        elif hashes[original] != hashes[rid]:
            expected.add(f"record {rid}: text differs from {original}")
    reports = [check_release(release, jobs=jobs).problems for jobs in (1, 2, 3)]
    found = [[(p.code, p.path, p.message) for p in r if p.code == "E017"] for r in reports]
    assert found[0] == found[1] == found[2]
    assert {message for _, _, message in found[0]} == expected
    assert any("not earlier" in m for m in expected) and any("differs" in m for m in expected)


# Every count a manifest states; a count added to the manifest must join this list.
COUNTS = (
    "inputs",
    "records",
    "quarantined",
    "withdrawn",
    "withdrawn_inputs",
    "reused",
    "duplicates",
    "unknown_outlet",
    "unknown_date",
    "unknown_title",
    "unknown_authors",
    "unknown_language",
)


def test_the_release_states_exactly_the_counts_tested(pristine):
    stated = json.loads((pristine / "manifest.json").read_bytes())["counts"]
    assert sorted(stated) == sorted(COUNTS)


def rewritten(release: Path, edit) -> Path:
    """``release`` with its manifest edited by ``edit`` and every digest redone to match: the
    manifest's digest file and every file derived from the manifest (BagIt manifests...)."""
    manifest = json.loads((release / "manifest.json").read_bytes())
    edit(manifest)
    write_manifest(release, manifest)
    assert check_release(release, level="structure").ok  # the digests agree with the edit
    return release


@pytest.mark.parametrize("key", COUNTS)
def test_every_count_edited_with_its_digests_redone_fails(pristine, tmp_path, key):
    stated = json.loads((pristine / "manifest.json").read_bytes())["counts"][key]
    for change in (+1, -1) if stated else (+1,):
        copy = tmp_path / f"{key}{change:+d}" / pristine.name
        shutil.copytree(pristine, copy)
        value = stated + change
        rewritten(copy, lambda manifest, value=value: manifest["counts"].update({key: value}))
        problems = check_release(copy, level="rows").problems
        assert problems, f"counts.{key} {change:+d} passed verification"
        assert {(p.code, p.path) for p in problems} == {("E014", "manifest.json")}


@pytest.mark.parametrize("relative", ["data/records-00001-of-00002.parquet", "quarantine.jsonl"])
def test_every_file_row_count_is_checked(release, relative):
    def edit(manifest):
        for entry in manifest["files"]:
            if entry["path"] == relative:
                entry["rows"] += 1

    rewritten(release, edit)
    problems = check_release(release, level="sizes").problems
    assert [(p.code, p.path) for p in problems] == [("E014", relative)]


def test_reused_records_need_a_parent(release):
    rewritten(release, lambda manifest: manifest["counts"].update(reused=13))
    assert [p.message for p in check_release(release).problems] == [
        "counts.reused is not 0, but the release has no parent"
    ]


def rewrite_shards(release: Path, tables: dict[str, pa.Table]) -> None:
    """Write ``tables`` over their shards, and a manifest that vouches for the new bytes."""
    for relative, table in tables.items():
        write_parquet(table, release / relative)
    manifest = json.loads((release / "manifest.json").read_bytes())
    for entry in manifest["files"]:
        if entry["path"] in tables:
            entry["sha256"], entry["bytes"] = file_sha256(release / entry["path"])
            entry["rows"] = tables[entry["path"]].num_rows
    write_manifest(release, manifest)


@pytest.mark.parametrize("batch_bytes", [1, shards.ROW_BATCH_BYTES])
def test_ids_out_of_order_are_e013(release, monkeypatch, batch_bytes):
    # 1 byte: a row per batch, so every comparison is across batches.
    monkeypatch.setattr(shards, "ROW_BATCH_BYTES", batch_bytes)
    relative = "data/records-00001-of-00002.parquet"
    table = pq.read_table(release / relative)
    swapped = list(range(table.num_rows))
    swapped[2], swapped[5] = swapped[5], swapped[2]
    rewrite_shards(release, {relative: table.take(swapped)})
    problems = check_release(release).problems
    # 0 1 5 3 4 2 6 ...: 3 follows 5 and 2 follows 4, two ids not greater than the one before
    assert [(p.code, p.path, p.message) for p in problems] == [
        ("E013", relative, "2 record id(s) repeated or out of order")
    ]


def test_an_id_in_the_wrong_shard_is_e013(release):
    first, second = "data/records-00000-of-00002.parquet", "data/records-00001-of-00002.parquet"
    low, high = pq.read_table(release / first), pq.read_table(release / second)
    # The last id of shard 0 is below every id of shard 1: shard 1 stays sorted with it first.
    moved = low.slice(low.num_rows - 1)
    tables = {first: low.slice(0, low.num_rows - 1), second: pa.concat_tables([moved, high])}
    rewrite_shards(release, tables)
    report = check_release(release)
    assert [(p.code, p.path, p.message) for p in report.problems] == [
        ("E013", second, "1 record id(s) outside this shard's id range")
    ]
    assert report.records == 13


def test_is_valid_is_the_verdict_of_verify_with_the_same_options(release):
    assert is_valid(release) is True
    shard = release / "data" / "records-00000-of-00002.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 3] ^= 0x01  # a data page: the footer still reads, the size is the same
    shard.write_bytes(bytes(data))
    assert is_valid(release, level="sizes") is True
    assert is_valid(release, level="hashes") is False
    assert is_valid(release) is False
    with pytest.raises(VerificationError):
        verify(release, level="hashes")


def test_a_manifest_that_is_json_null_breaks_the_schema(release):
    (release / "manifest.json").write_bytes(b"null")
    digest = hashlib.sha256(b"null").hexdigest()
    (release / "manifest.json.sha256").write_text(f"{digest}  manifest.json\n", encoding="ascii")
    report = check_release(release)
    assert [p.code for p in report.problems] == ["E004"]
    assert report.checks == ["manifest digest", "manifest schema"]


def test_one_check_value_is_all_it_takes_to_add_a_check(release):
    from archive.verification import CHECKS
    from archive.verification.audit import Audit, Plan
    from archive.verification.registry import Check, run_checks
    from archive.verification.report import Report

    seen = []

    def shard_tasks(audit):
        return [("hash", relative) for relative in sorted(audit.footers)]

    def run(audit):
        seen.append(sorted(task[1] for task in audit.results if task[0] == "hash"))
        audit.report.add("E014", "manifest.json", "an added check ran")

    extra = Check("an added check", "hashes", ("E014",), run, tasks=shard_tasks)

    def report_at(level: str, sample: int | None = None, hashes: bool = True) -> Report:
        report = Report(str(release), level=level)
        plan = Plan(level, hashes, sample, 0, 1, None)
        run_checks(Audit(release.resolve(), plan, report), (*CHECKS, extra))
        return report

    ran = report_at("rows")
    assert ran.checks[-1] == "an added check" and [p.message for p in ran.problems] == [
        "an added check ran"
    ]
    # Its tasks joined the one pool, where the file SHA-256 check hashes every listed file.
    listed = json.loads((release / "manifest.json").read_bytes())["files"]
    assert seen == [sorted(entry["path"] for entry in listed)]
    report_at("rows", hashes=False)  # no file SHA-256: only the added check's tasks ran
    assert seen[-1] == [
        "data/records-00000-of-00002.parquet",
        "data/records-00001-of-00002.parquet",
    ]
    assert report_at("sizes").skipped["an added check"] == "not run at level sizes"
    assert report_at("rows", sample=3).checks[-1] == "an added check"  # sampling: unaffected


RELATIONS = "relations/relations.parquet"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_relation_count_unlike_the_manifest_is_e014(release, jobs):
    manifest = json.loads((release / "manifest.json").read_bytes())
    assert manifest["relations"]["path"] == RELATIONS
    rows = pq.ParquetFile(release / RELATIONS).metadata.num_rows
    counts = manifest["relations"]["counts"]
    kind = next(iter(counts))
    counts[kind] += 2
    write_manifest(release, manifest)
    problems = check_release(release, jobs=jobs).problems
    assert [str(p) for p in problems] == [
        f"E014 {RELATIONS}: relation count differs from the manifest "
        f"(expected {rows + 2}, found {rows})",
        f"E014 manifest.json: relations.counts.{kind} differs from the table "
        f"(expected {counts[kind]}, found {counts[kind] - 2})",
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_relations_recounted_by_kind_with_the_total_kept_is_e014(release, jobs):
    """Moving relations from one kind to another keeps the total: only the count of each kind
    shows it."""
    manifest = json.loads((release / "manifest.json").read_bytes())
    counts = manifest["relations"]["counts"]
    assert len(counts) >= 1
    kind = next(iter(counts))
    counts[kind] -= 1
    counts["near-duplicate" if kind != "near-duplicate" else "exact-duplicate"] = 1 + counts.get(
        "near-duplicate" if kind != "near-duplicate" else "exact-duplicate", 0
    )
    write_manifest(release, manifest)
    problems = [str(p) for p in check_release(release, jobs=jobs).problems]
    assert len(problems) == 2 and all(
        "E014 manifest.json: relations.counts." in p for p in problems
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_relations_table_that_breaks_off_is_e009_and_its_count_unchecked(release, jobs):
    path = release / RELATIONS
    path.write_bytes(path.read_bytes()[:-9])  # the footer's length and magic, cut short
    problems = check_release(release, jobs=jobs).problems
    mine = [(p.code, p.message.split(" (")[0]) for p in problems if p.path == RELATIONS]
    assert ("E009", "cannot be read as Parquet") in mine
    assert all(code in ("E006", "E007", "E009") for code, _ in mine)


def _relisted_relations(release: Path, table: pa.Table | None = None) -> None:
    """``table`` written as the release's relations table (None: the file as it is now), its
    hash and size in the manifest."""
    if table is not None:
        pq.write_table(table, release / RELATIONS)
    vouch_for(release, RELATIONS)


@pytest.mark.parametrize("jobs", [1, 2])
def test_relation_columns_of_other_types_are_e024(release, jobs):
    table = pq.read_table(release / RELATIONS)
    rows = table.num_rows
    for name, values in (
        ("params", pa.array(range(rows), pa.int64())),
        ("directed", pa.array(["yes"] * rows, pa.string())),
        ("score", pa.array(["high"] * rows, pa.string())),
    ):
        table = table.set_column(table.schema.get_field_index(name), name, values)
    _relisted_relations(release, table)
    # nor is its count compared: only the footer, unchecked, would give one
    manifest = json.loads((release / "manifest.json").read_bytes())
    counts = manifest["relations"]["counts"]
    counts[next(iter(counts))] += 2
    write_manifest(release, manifest)
    problems = check_release(release, jobs=jobs).problems
    assert [str(p) for p in problems] == [
        f"E024 {RELATIONS}: column score has type string, expected double",
        f"E024 {RELATIONS}: column directed has type string, expected bool",
        f"E024 {RELATIONS}: column params has type int64, expected string",
    ]


def test_a_renamed_relation_column_is_e024_not_a_crash(release, runner):
    table = pq.read_table(release / RELATIONS)
    names = ["proof" if name == "evidence" else name for name in table.column_names]
    _relisted_relations(release, table.rename_columns(names))
    result = runner.invoke(main, ["verify", str(release), "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert f"E024 {RELATIONS}: columns [" in result.output and "'proof'" in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_null_in_a_relation_column_that_may_hold_none_is_e024(release, jobs):
    table = pq.read_table(release / RELATIONS)
    params = table["params"].to_pylist()
    params[-1] = None
    at = table.schema.get_field_index("params")
    table = table.set_column(at, pa.field("params", pa.string()), pa.array(params, pa.string()))
    _relisted_relations(release, table)
    problems = check_release(release, jobs=jobs).problems
    assert [str(p) for p in problems] == [
        f'E024 {RELATIONS}: /params: 1 value(s) break {{"type": "string"}}'
    ]


@pytest.mark.parametrize(
    ("tier", "column"),
    [("full", "params"), ("full", "directed"), ("full", "group_id"), ("dry", "evidence")],
)
def test_an_unreadable_page_in_any_relation_column_is_e009(
    release, dehydrated, tmp_path, tier, column
):
    """Every column is decoded, those whose values no rule checks too (and evidence where a
    dehydrated release has nothing to search it for): a table that other commands cannot read
    does not verify."""
    if tier == "dry":
        release = Path(shutil.copytree(dehydrated, tmp_path / "dry" / dehydrated.name))
    path = release / RELATIONS
    _relisted_relations(release, pq.read_table(path))  # one row group
    metadata = pq.ParquetFile(path).metadata
    chunk = metadata.row_group(0).column(metadata.schema.names.index(column))
    start = min(o for o in (chunk.dictionary_page_offset, chunk.data_page_offset) if o is not None)
    data = bytearray(path.read_bytes())
    data[start : start + 6] = b"\xff" * 6  # the page header no longer parses
    path.write_bytes(bytes(data))
    _relisted_relations(release)
    mine = [p for p in check_release(release).problems if p.path == RELATIONS]
    assert [p.code for p in mine] == ["E009"]
    assert mine[0].message.startswith("cannot be read as Parquet")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_relation_string_that_is_not_utf8_is_e009(release, jobs):
    """pandas, polars and archive's own readers all refuse such a table: verify must too."""
    _relisted_relations(release, _not_utf8(pq.read_table(release / RELATIONS), "params"))
    problems = check_release(release, jobs=jobs).problems
    assert [(p.code, p.path) for p in problems] == [("E009", RELATIONS)]
    assert "UTF8" in problems[0].message or "UTF-8" in problems[0].message


def _not_utf8(table: pa.Table, column: str) -> pa.Table:
    """``table`` with the last value of the string ``column`` ending in a byte that is not UTF-8
    (Arrow checks nothing when an array is made from its buffers)."""
    values = [value.encode() for value in table[column].to_pylist()]
    values[-1] = values[-1][:-1] + b"\xff"
    bad = raw_strings(values)
    at = table.schema.get_field_index(column)
    return table.set_column(at, table.schema.field(column), bad)


@pytest.mark.parametrize(
    "command",
    [
        ["relations", "{release}", "--summary"],
        ["relations", "{release}", "--list"],
        ["inspect", "{release}"],
        ["inspect", "{release}", "{record}", "--relations"],
        ["export", "{release}", "--sqlite", "{tmp}/db.sqlite"],
        ["report", "{release}", "--out", "{tmp}/report", "--level", "structure"],
    ],
)
def test_readers_of_a_relation_string_that_is_not_utf8_say_so_in_one_line(
    release, runner, tmp_path, command
):
    table = pq.read_table(release / RELATIONS)
    _relisted_relations(release, _not_utf8(table, "kind"))
    record = table["source_id"][0].as_py()
    args = [a.format(release=release, record=record, tmp=tmp_path) for a in command]
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"archive: error: {release / RELATIONS}: "), line  # the file, named
    assert "relations table unreadable (" in line and "Invalid UTF8" in line, line
    assert line.endswith("; run archive verify")


def test_a_quarantine_entry_that_is_not_utf8_is_e015(release):
    """JSON text is UTF-8: an entry with other bytes is reported, not read with them replaced."""
    path = release / "quarantine.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    at = lines[0].index(b'"source_path":"') + len(b'"source_path":"')
    lines[0] = lines[0][:at] + b"\xff" + lines[0][at + 1 :]
    path.write_bytes(b"".join(lines))
    vouch_for(release, "quarantine.jsonl")
    found = [p for p in check_release(release).problems if p.code == "E015"]
    assert [(p.path, p.message.split(" (")[0]) for p in found] == [
        ("quarantine.jsonl:1", "not UTF-8")
    ]


def test_verify_and_validate_read_the_quarantine_lines_alike(release):
    """A blank line, a line over the bound, one not UTF-8, one not JSON and one that breaks the
    schema: the same problems, on the same lines, from verify of the release and validate of
    the file alone."""
    path = release / "quarantine.jsonl"
    good = path.read_bytes().splitlines(keepends=True)[0]
    entry = json.loads(good)
    unknown = json.dumps({**entry, "reason": "nope", "message": None}).encode() + b"\n"
    long = b'{"pad": "' + b"x" * (2**20) + b'"}\n'
    lines = [good, b"\n", long, b"\xff\n", b"{not json\n", unknown, good]
    path.write_bytes(b"".join(lines))
    vouch_for(release, "quarantine.jsonl")
    verified = [(p.path, p.message) for p in check_release(release).problems if p.code == "E015"]
    validated = [(p.path, p.message) for p in validate(path).problems if p.code == "E015"]
    assert verified == validated
    found = [(where, message.split(" (")[0]) for where, message in verified]
    assert found[:5] == [
        ("quarantine.jsonl:2", "not JSON"),
        ("quarantine.jsonl:3", f"longer than {2**20} bytes, the most read of a line"),
        ("quarantine.jsonl:4", "not UTF-8"),
        ("quarantine.jsonl:5", "not JSON"),
        ("quarantine.jsonl:6", "message: None is not of type 'string'"),
    ]
    [(where, message)] = found[5:]
    assert where == "quarantine.jsonl:6" and message.startswith("reason: 'nope' is not one of")


def test_readers_of_a_relations_table_of_other_types_say_so_in_one_line(release, runner):
    """The commands that read a relation's every column refuse the table, as they do a damaged
    one; those reading only columns of the right types still answer."""
    table = pq.read_table(release / RELATIONS)
    at = table.schema.get_field_index("params")
    _relisted_relations(release, table.set_column(at, "params", pa.array([0] * len(table))))
    record = table["source_id"][0].as_py()
    for command in (
        ["relations", str(release), "--list"],
        ["inspect", str(release), record, "--relations"],
    ):
        result = runner.invoke(main, command)
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [
            f"archive: error: {release / RELATIONS}: relations table unreadable "
            "(column params has type int64, expected string); run archive verify"
        ]
    result = runner.invoke(main, ["inspect", str(release)])
    assert result.exit_code == 0 and "relations: " in result.output


def test_relation_values_that_are_not_json_objects_are_named_where_they_are_checked(
    release, runner, tmp_path
):
    """params (one distinct value) is parsed by verify and validate (E024); evidence, a parse
    a row that would double verify's time, by validate. The readers that parse them name the
    relation in one line and say which command reports it, where they said to run verify,
    which passed, or crashed (report)."""
    table = pq.read_table(release / RELATIONS)
    evidence = table["evidence"].to_pylist()
    evidence[0] = "[1, 2]"
    at = table.schema.get_field_index("evidence")
    _relisted_relations(release, table.set_column(at, "evidence", pa.array(evidence)))
    assert check_release(release).ok
    row = table.slice(0, 1).to_pylist()[0]
    relation = f"{row['source_id']} {row['kind']} {row['target_id']}"
    assert [(p.code, p.message) for p in validate(release / RELATIONS).problems] == [
        ("E024", "evidence: not a JSON object")
    ]
    for command in (
        ["relations", str(release), "--list"],
        ["inspect", str(release), row["source_id"], "--relations"],
        ["report", str(release), "--out", str(tmp_path / "report")],
    ):
        result = runner.invoke(main, command)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.splitlines() == [
            f"archive: error: {release / RELATIONS}: the evidence of relation {relation} is not "
            f"a JSON object; run archive validate {release / RELATIONS}"
        ]
    # a JSON object, but not of its kind's shape: the report's pages read its parts
    shaped = table.set_column(at, "evidence", pa.array(['{"passages": 5}']))
    kinds = pa.array(["near-duplicate"] * len(table))
    shaped = shaped.set_column(shaped.schema.get_field_index("kind"), "kind", kinds)
    _relisted_relations(release, shaped)
    result = runner.invoke(main, ["report", str(release), "--out", str(tmp_path / "shaped")])
    assert result.exit_code == 2, result.output
    near = f"{row['source_id']} near-duplicate {row['target_id']}"
    assert result.stderr.splitlines() == [
        f"archive: error: {release / RELATIONS}: the evidence of relation {near}: "
        "(evidence): 'source_coverage' is a required property; "
        f"run archive validate {release / RELATIONS}"
    ]
    kinds = pa.array(["made-up"] * len(table))  # any evidence object: no shape to check
    made_up = table.set_column(table.schema.get_field_index("kind"), "kind", kinds)
    _relisted_relations(release, made_up)
    result = runner.invoke(main, ["report", str(release), "--out", str(tmp_path / "made-up")])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert "made-up" in line and "a kind the schema does not name; run archive validate" in line
    params = pa.array(["{"] * table.num_rows)
    at = table.schema.get_field_index("params")
    _relisted_relations(release, table.set_column(at, "params", params))
    why = (
        "params '{': not JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"
    )
    assert [(p.code, p.message) for p in check_release(release).problems] == [("E024", why)]
    assert [(p.code, p.message) for p in validate(release / RELATIONS).problems] == [("E024", why)]
    _relisted_relations(release, table.set_column(at, "params", pa.array(["[1]"] * len(table))))
    result = runner.invoke(main, ["relations", str(release), "--list"])
    assert result.stderr.splitlines() == [
        f"archive: error: {release / RELATIONS}: the params of relation {relation} is not a "
        f"JSON object; run archive validate {release / RELATIONS}"
    ]


def test_a_params_value_is_named_once_whatever_the_batches():
    from archive.relations.table import params_problems

    seen: set[str] = set()
    first = params_problems(pa.array(["{", "{}", None, "{"]), seen)
    assert [p.split(":")[0] for p in first] == ["params '{'"]
    assert params_problems(pa.array(["{", "[]"]), seen) == ["params '[]': not a JSON object"]
    assert seen == {"{", "{}", "[]"}


@pytest.mark.parametrize("path", ["../elsewhere/relations.parquet", None])
def test_a_relations_path_the_manifest_does_not_list_is_e005(release, runner, path):
    """Readers read another release's table through '../', or crashed (KeyError) on none."""
    manifest = json.loads((release / "manifest.json").read_bytes())
    manifest["relations"]["path"] = path
    if path is None:
        del manifest["relations"]["path"]
    write_manifest(release, manifest)
    found = [(p.code, p.path, p.message) for p in check_release(release).problems]
    why = f"relations.path names {path!r}, a file the manifest does not list"
    assert found == [("E005", "manifest.json", why)]
    if path is None:
        result = runner.invoke(main, ["relations", str(release), "--list"])
        assert result.exit_code == 2 and result.stderr.splitlines() == [
            f"archive: error: {release}: the manifest's relations names no table; "
            "run archive verify"
        ]


def test_readers_of_some_relation_columns_check_those(release, runner):
    """A reader of some columns refuses a table whose one of those is of another type."""
    table = pq.read_table(release / RELATIONS)
    at = table.schema.get_field_index("group_id")
    _relisted_relations(release, table.set_column(at, "group_id", pa.array([1.5] * len(table))))
    for command in (["relations", str(release), "--summary"], ["inspect", str(release)]):
        result = runner.invoke(main, command)
        assert result.exit_code == 2, result.output
        [line] = result.stderr.splitlines()
        assert line.startswith(f"archive: error: {release / RELATIONS}: "), line
        assert line.endswith(
            "relations table unreadable (column group_id has type double, expected string); "
            "run archive verify"
        )


@pytest.mark.parametrize(
    ("column", "rule"),
    [
        ("score", '{"minimum": 0, "type": "number"}'),
        ("source_id", '{"minLength": 1, "type": "string"}'),
    ],
)
def test_a_null_where_a_bounded_relation_column_may_hold_none_is_e024(
    release, runner, column, rule
):
    """A rule that checks a bound or a length refuses a null too (Kleene logic: the bound's
    check of a null is null, and it must not hide the null)."""
    table = pq.read_table(release / RELATIONS)
    values = table[column].to_pylist()
    values[-1] = None
    at = table.schema.get_field_index(column)
    field = pa.field(column, table.schema.field(column).type)  # nullable
    _relisted_relations(release, table.set_column(at, field, pa.array(values, field.type)))
    problems = [str(p) for p in check_release(release).problems]
    assert problems == [f"E024 {RELATIONS}: /{column}: 1 value(s) break {rule}"]
    result = runner.invoke(main, ["relations", str(release), "--list"])
    assert result.exit_code == 2 and f"column {column} holds a null" in result.stderr


def test_a_damaged_record_shard_is_named_not_blamed_on_the_relations(release, runner):
    """Listing relations reads the records' titles too: a shard that cannot be read is named
    as itself, not reported as the relations table."""
    shard = release / "data" / "records-00000-of-00002.parquet"
    shard.write_bytes(shard.read_bytes()[:-9])  # the footer's length and magic, cut short
    result = runner.invoke(main, ["relations", str(release), "--list"])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"archive: error: {shard}: unreadable (")
    assert line.endswith("; run archive verify") and "relations table" not in line


@pytest.mark.parametrize(
    ("column", "command"),
    [
        ("title", ["relations", "--list"]),
        ("title", ["relations", "--summary"]),
        ("title", ["inspect"]),
        ("title", ["inspect", "{record}"]),
        ("title", ["report", "--out"]),
        ("title", ["export", "--sqlite"]),
        ("text", ["inspect", "{record}"]),
        ("text", ["report", "--out"]),
        ("text", ["export", "--sqlite"]),
    ],
)
def test_a_record_string_that_is_not_utf8_names_its_shard(
    release, runner, tmp_path, column, command
):
    """The readers of record shards check the strings they read as UTF-8: such a shard is
    named, not reported as the relations table, nor an internal error."""
    shard = release / "data" / "records-00000-of-00002.parquet"
    table = pq.read_table(shard)
    values = [b"%s \xff%d" % (column.encode(), i) for i in range(table.num_rows)]  # none UTF-8
    strings = raw_strings(values)
    at = table.schema.get_field_index(column)
    _relisted(release, shard, table.set_column(at, table.schema.field(at), strings))
    line = _named_in_one_line(release, runner, tmp_path, command, shard, "")
    assert "Invalid UTF8" in line


@pytest.mark.parametrize(
    "command",
    [
        ["relations", "--list"],
        ["relations", "--summary"],
        ["inspect"],
        ["inspect", "{record}"],
        ["report", "--out"],
        ["export", "--sqlite"],
    ],
)
def test_a_record_column_of_another_type_names_its_shard(release, runner, tmp_path, command):
    """As verify's E010: the readers crashed (KeyError, TypeError) on the values, or printed
    them (inspect RECORD)."""
    shard = release / "data" / "records-00000-of-00002.parquet"
    table = pq.read_table(shard)
    at = table.schema.get_field_index("title")
    titles = pa.array(range(table.num_rows), pa.int64())
    _relisted(release, shard, table.set_column(at, pa.field("title", pa.int64()), titles))
    assert [p.code for p in check_release(release).problems] == ["E010"]
    _named_in_one_line(release, runner, tmp_path, command, shard, "column title has type int64")


def test_a_record_column_given_twice_names_its_shard(release, runner, tmp_path):
    shard = release / "data" / "records-00000-of-00002.parquet"
    table = pq.read_table(shard)
    _relisted(release, shard, table.append_column("title", table["title"]))
    assert [p.code for p in check_release(release).problems] == ["E010"]
    command = ["relations", "--list"]
    _named_in_one_line(release, runner, tmp_path, command, shard, "columns [")


def _named_in_one_line(release, runner, tmp_path, command, shard, why: str) -> str:
    """The one line ``command`` stops with, naming ``shard`` and starting with ``why``."""
    table = pq.read_table(shard, columns=["record_id"])
    record = table["record_id"][0].as_py()
    args = [command[0], str(release), *(a.format(record=record) for a in command[1:])]
    if command[-1] == "--out":  # the report's record pages read whole rows
        args += [str(tmp_path / "report"), "--level", "structure"]
    if command[-1] == "--sqlite":
        args.append(str(tmp_path / "x.db"))
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"archive: error: {shard}: unreadable ({why}"), line
    assert line.endswith("; run archive verify")
    return line


def _relisted(release: Path, path: Path, table: pa.Table) -> None:
    """``table`` written at ``path``, a file of ``release``, its hash and size in the manifest."""
    pq.write_table(table, path)
    vouch_for(release, path.relative_to(release).as_posix())
