"""Versions: a parent link, reuse of unchanged records, withdrawals and redistribution tiers."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import CREATED, vouch_for

from archive import PackSettings, check_release, pack, validate, verify
from archive.cli import main
from archive.errors import UsageError
from archive.format.boundedjson import MAX_REASON_BYTES, MAX_TOMBSTONE_LINE
from archive.format.manifest import file_sha256, write_manifest
from archive.release.parent import WITHDRAWN_FILE

BASE = PackSettings("history", "1.0.0", CREATED, shards=2)


def write_corpus(root: Path, stories: dict[str, str]) -> None:
    for name, body in stories.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")


def story(n: int, extra: str = "") -> str:
    return (
        f"Quarry road reopens, part {n}\n\nBy Mira Tollund\n\n"
        f"The Ashcombe quarry road reopened after {n} weeks of repairs.{extra}\n\n"
        f"Residents counted {n * 7} lorries on the first morning.\n"
    )


def rows(release: Path) -> dict[str, dict]:
    return {r["record_id"]: r for r in pq.read_table(release / "data").to_pylist()}


def manifest(release: Path) -> dict:
    return json.loads((release / "manifest.json").read_bytes())


@pytest.fixture
def first(tmp_path) -> tuple[Path, Path]:
    root = tmp_path / "captures"
    write_corpus(root, {f"s{n:02d}.txt": story(n) for n in range(10)})
    return root, pack([root], tmp_path / "dist", BASE).path


def test_new_version_links_its_parent_and_reuses_unchanged_records(first, tmp_path):
    root, v1 = first
    write_corpus(root, {"s03.txt": story(3, " A correction was issued."), "s10.txt": story(10)})
    (root / "s05.txt").unlink()
    result = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0"))
    assert any("parent" in note and "history-1.0.0" in note for note in result.notes)
    link = result.manifest["parent"]
    assert link["version"] == "1.0.0"
    assert link["manifest_sha256"] == (v1 / "manifest.json.sha256").read_text().split()[0]
    assert result.manifest["counts"]["reused"] == 8  # 10 - changed - removed
    verify(result.path)
    # reuse is invisible in the data: a fresh pack of the same inputs has the same shards
    fresh = pack([root], tmp_path / "fresh", replace(BASE, version="1.1.0"), parent=None)
    assert fresh.manifest["counts"]["reused"] == 0
    for shard in sorted((fresh.path / "data").glob("*.parquet")):
        assert (result.path / "data" / shard.name).read_bytes() == shard.read_bytes()


def test_changed_settings_re_extract_everything(first, tmp_path):
    root, _ = first
    changed = replace(
        BASE, version="1.0.1", domain_outlets=(("ashcombe.example", "Ashcombe Post"),)
    )
    assert pack([root], tmp_path / "dist", changed).manifest["counts"]["reused"] == 0


def test_withdrawal_leaves_a_tombstone_that_is_carried_forward(first, tmp_path):
    root, v1 = first
    victim = sorted(rows(v1))[4]
    old = rows(v1)[victim]
    v2 = pack(
        [root],
        tmp_path / "dist",
        replace(BASE, version="2.0.0", withdrawals=((victim, "takedown request"),)),
    )
    assert victim not in rows(v2.path)
    tombstones = [json.loads(line) for line in (v2.path / WITHDRAWN_FILE).read_text().splitlines()]
    assert tombstones == [
        {
            "record_id": victim,
            "raw_sha256": old["raw_sha256"],
            "text_sha256": old["text_sha256"],
            "version": "2.0.0",
            "withdrawn_at": "2026-01-02T03:04:05Z",
            "reason": "takedown request",
        }
    ]
    counts = v2.manifest["counts"]
    assert counts["withdrawn"] == 1 and counts["withdrawn_inputs"] == 1
    assert counts["inputs"] == counts["records"] + counts["quarantined"] + 1
    verify(v2.path)
    v3 = pack([root], tmp_path / "dist", replace(BASE, version="2.1.0"))
    assert victim not in rows(v3.path)
    assert (v3.path / WITHDRAWN_FILE).read_text() == (v2.path / WITHDRAWN_FILE).read_text()
    verify(v3.path)


def test_pre_releases_follow_one_another_by_semantic_version_precedence(tmp_path):
    # rc.10 comes after rc.2 (numbers compare as numbers), so it is rc.2's child, and the
    # release after it is rc.10's: a withdrawal made in rc.10 stays withdrawn
    root = tmp_path / "captures"
    write_corpus(root, {f"s{n:02d}.txt": story(n) for n in range(4)})
    dist = tmp_path / "dist"
    rc2 = pack([root], dist, replace(BASE, version="1.0.0-rc.2")).path
    victim = sorted(rows(rc2))[1]
    withdrawal = replace(BASE, version="1.0.0-rc.10", withdrawals=((victim, "takedown"),))
    rc10 = pack([root], dist, withdrawal)
    assert rc10.manifest["parent"]["version"] == "1.0.0-rc.2"
    final = pack([root], dist, replace(BASE, version="1.0.0"))
    assert final.manifest["parent"]["version"] == "1.0.0-rc.10"
    assert victim not in rows(final.path)
    assert (final.path / WITHDRAWN_FILE).read_text() == (rc10.path / WITHDRAWN_FILE).read_text()
    assert verify(final.path).ok


def test_a_version_with_no_earlier_one_beside_it_says_it_starts_a_new_history(first, tmp_path):
    # a mistyped version (0.9.0 for 1.0.1) would otherwise start one without a word
    root, _ = first
    result = pack([root], tmp_path / "dist", replace(BASE, version="0.9.0"))
    assert result.manifest["parent"] is None
    dist = tmp_path / "dist"
    assert result.notes == (
        f"no parent: {dist} holds history 1.0.0, none earlier than 0.9.0; a new history starts",
    )
    later = pack([root], dist, replace(BASE, version="1.0.1"))
    assert not any(note.startswith("no parent") for note in later.notes)


def test_tombstones_are_checked_against_their_schema(first, tmp_path):
    """verify and validate read each tombstone against schemas/tombstone.schema.json (E035):
    a pack's own pass; a line the manifest vouches for but that is no tombstone fails both."""
    root, v1 = first
    victim = sorted(rows(v1))[2]
    withdrawn = replace(BASE, version="2.0.0", withdrawals=((victim, "reason\u2028two"),))
    v2 = pack([root], tmp_path / "dist", withdrawn).path
    tombstones = v2 / WITHDRAWN_FILE
    assert validate(tombstones).ok and verify(v2).ok
    good = tombstones.read_bytes()
    older = {**json.loads(good), "reason": "", "text_sha256": None}  # as older packs could write
    tombstones.write_bytes(good + json.dumps(older).encode() + b"\n")
    _relist(v2, WITHDRAWN_FILE, 2)
    assert check_release(v2).ok
    bad = {**older, "raw_sha256": "x", "version": 2}
    tombstones.write_bytes(good + json.dumps(bad).encode() + b"\n\n\xff\n")
    _relist(v2, WITHDRAWN_FILE, 4)  # its count (E014) is not what fails here
    expected = [
        ("E035", f"{WITHDRAWN_FILE}:2", "raw_sha256: 'x' does not match '^[0-9a-f]{64}$'"),
        ("E035", f"{WITHDRAWN_FILE}:2", "version: 2 is not of type 'string'"),
        ("E035", f"{WITHDRAWN_FILE}:3", "not JSON (Expecting value: line 1 column 1 (char 0))"),
    ]
    found = [(p.code, p.path, p.message) for p in check_release(v2).problems]
    assert found[:3] == expected and found[3][:2] == ("E035", f"{WITHDRAWN_FILE}:4")
    assert "not UTF-8" in found[3][2] and len(found) == 4
    checked = validate(tombstones).problems
    assert [(p.code, p.path, p.message) for p in checked] == [
        (code, path.replace(f"{WITHDRAWN_FILE}", tombstones.name), message)
        for code, path, message in found
    ]
    for command in (["verify", str(v2)], ["validate", str(tombstones)]):
        done = CliRunner().invoke(main, command)
        assert done.exit_code == 1 and f"E035 {WITHDRAWN_FILE}:2" in done.output
    renamed = tmp_path / "v2.jsonl"  # told by its lines' keys
    renamed.write_bytes(good)
    assert validate(renamed).checks == validate(tombstones).checks == ["tombstone schema per line"]
    # a line longer than any a pack writes is refused unread, by both
    huge = {**older, "reason": "x" * MAX_TOMBSTONE_LINE}
    tombstones.write_bytes(good + json.dumps(huge).encode() + b"\n")
    _relist(v2, WITHDRAWN_FILE, 2)
    why = f"longer than {MAX_TOMBSTONE_LINE} bytes, the most read of a line"
    longer = ("E035", f"{WITHDRAWN_FILE}:2", why)
    assert [(p.code, p.path, p.message) for p in check_release(v2).problems] == [longer]
    assert [p.message for p in validate(tombstones).problems] == [longer[2]]


def test_the_longest_reason_a_pack_takes_verifies_and_a_longer_carried_one_stops_the_next(
    first, tmp_path
):
    """A reason whose JSON is MAX_REASON_BYTES long is packed and verifies; a tombstone over
    what verify reads (an older pack took any reason) stops the next version's pack in one
    line, where it was carried into a release that verify refuses (E035)."""
    root, v1 = first
    victim = sorted(rows(v1))[1]
    reason = "x" * (MAX_REASON_BYTES - 2)  # the two quotes make it MAX_REASON_BYTES as JSON
    settings = replace(BASE, version="2.0.0", withdrawals=((victim, reason),))
    v2 = pack([root], tmp_path / "dist", settings).path
    assert check_release(v2).ok
    tombstone = json.loads((v2 / WITHDRAWN_FILE).read_bytes())
    longer = {**tombstone, "reason": "x" * MAX_TOMBSTONE_LINE}
    (v2 / WITHDRAWN_FILE).write_bytes(json.dumps(longer).encode() + b"\n")
    _relist(v2, WITHDRAWN_FILE, 1)
    size = len(json.dumps(longer, separators=(",", ":"))) + 1
    message = (
        f"^{re.escape(str(v2 / WITHDRAWN_FILE))}: the tombstone of {victim} is {size:,} bytes, "
        f"more than archive verify reads of a line \\(16,777,216\\); no later version can carry it$"
    )
    with pytest.raises(UsageError, match=message):
        pack([root], tmp_path / "dist", replace(BASE, version="2.0.1"))
    assert not (tmp_path / "dist" / "history-2.0.1").exists()


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("", "is empty"),
        (" \t", "is empty"),
        ("bad \ud800", "is not UTF-8"),
        ("é" * (MAX_REASON_BYTES // 2), "is 8,388,610 bytes as JSON; at most 8,388,608"),
        ('"' * (MAX_REASON_BYTES // 2), "is 8,388,610 bytes as JSON; at most 8,388,608"),
    ],
)
def test_a_withdrawal_reason_no_tombstone_can_hold_is_refused(reason, why):
    with pytest.raises(UsageError, match=f"^withdrawal of a{{32}}: the reason {why}"):
        replace(BASE, version="2.0.0", withdrawals=(("a" * 32, reason),))


def _relist(release: Path, relative: str, lines: int) -> None:
    """The manifest vouching for the file ``relative`` as it is now, of ``lines`` entries."""
    listed = manifest(release)
    for entry in listed["files"]:
        if entry["path"] == relative:
            entry["sha256"], entry["bytes"] = file_sha256(release / relative)
            entry["rows"] = lines
    listed["counts"]["withdrawn"] = lines
    write_manifest(release, listed)


def test_unknown_withdrawal_is_an_error(first, tmp_path):
    root, _ = first
    result = pack(
        [root], tmp_path / "dist", replace(BASE, version="1.0.1", withdrawals=(("0" * 32, "oops"),))
    )
    assert any("no such record" in w for w in result.warnings)


def test_metadata_only_tier_keeps_hashes_not_text(first, tmp_path):
    root, v1 = first
    dry = pack([root], tmp_path / "dry", replace(BASE, tier="metadata-only"), parent=None)
    full, dehydrated = rows(v1), rows(dry.path)
    assert full.keys() == dehydrated.keys()
    for rid, row in dehydrated.items():
        assert row["text"] is None and row["capture_text"] is None
        assert row["text_sha256"] == full[rid]["text_sha256"]
        assert row["raw_sha256"] == full[rid]["raw_sha256"]
    assert verify(dry.path).ok


def test_per_record_redistribution_from_the_capture_log(tmp_path):
    root = tmp_path / "captures"
    write_corpus(root, {"open.txt": story(1), "closed.txt": story(2)})
    log = tmp_path / "log.jsonl"
    log.write_text(
        '{"path": "closed.txt", "rights_holder": "Ashcombe Post Ltd", '
        '"redistribution": "metadata-only"}\n',
        encoding="utf-8",
    )
    result = pack([root], tmp_path / "dist", BASE, capture_log=log)
    by_name = {r["capture"]["source_path"]: r for r in rows(result.path).values()}
    closed, opened = by_name["captures/closed.txt"], by_name["captures/open.txt"]
    assert closed["text"] is None and closed["rights_holder"] == "Ashcombe Post Ltd"
    assert opened["text"] is not None and opened["redistribution"] == "full"
    assert verify(result.path).ok


def test_withheld_text_in_a_full_record_fails_verify(tmp_path):
    import pyarrow as pa

    from archive import check_release
    from archive.format.manifest import file_digests, write_manifest
    from archive.format.parquetio import write_parquet

    root = tmp_path / "captures"
    write_corpus(root, {"a.txt": story(1)})
    release = pack([root], tmp_path / "dist", replace(BASE, shards=1)).path
    shard = next((release / "data").glob("*.parquet"))
    table = pq.read_table(shard)
    index = table.schema.get_field_index("text")
    table = table.set_column(index, table.schema.field(index), pa.nulls(1, pa.string()))
    write_parquet(table, shard)
    data = manifest(release)
    for entry in data["files"]:
        if entry["path"].endswith(shard.name):
            entry["sha256"], entry["sha512"], entry["bytes"] = file_digests(shard)
    write_manifest(release, data)
    assert {p.code for p in check_release(release).problems} == {"E023"}


def test_a_tampered_parent_is_detected_by_verify(first, tmp_path):
    from archive import check_release
    from archive.format.manifest import canonical_json, write_manifest

    root, v1 = first
    write_corpus(root, {"s10.txt": story(10)})
    v2 = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0")).path
    assert verify(v2).ok and "parent link" in verify(v2).checks
    data = manifest(v1)
    data["counts"]["records"] += 1  # re-sealed with a fresh digest: only the child's link knows
    write_manifest(v1, data)
    assert (v1 / "manifest.json").read_bytes() == canonical_json(data)
    assert "E031" in {p.code for p in check_release(v2).problems}


def test_a_parent_whose_shard_was_edited_is_refused_before_its_rows_are_reused(first, tmp_path):
    # the edited title would have passed into the child, and the child verified clean
    root, v1 = first
    shard = v1 / "data" / "records-00000-of-00002.parquet"
    table = pq.read_table(shard)
    titles = table.column("title").to_pylist()
    titles[0] = "Invented headline"
    column = table.schema.get_field_index("title")
    table = table.set_column(column, table.schema.field("title"), pa.array(titles, pa.string()))
    pq.write_table(table, shard)
    out = tmp_path / "dist"
    command = [
        "pack", str(root), "--out", str(out), "--name", "history", "--version", "1.0.1",
        "--created", "2026-01-02T03:04:05Z", "--shards", "2", "-q",
    ]  # fmt: skip
    done = CliRunner().invoke(main, command)
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [
        f"archive: error: parent {v1}: data/records-00000-of-00002.parquet differs from its "
        "manifest; verify it"
    ]
    assert not (out / "history-1.0.1").exists()
    assert pack([root], out, replace(BASE, version="1.0.1"), parent=None).path.exists()


@pytest.mark.parametrize("tampering", ["emptied", "deleted"])
def test_a_parent_whose_tombstones_were_removed_is_refused(first, tmp_path, tampering):
    # a withdrawn record would have come back in the child as an addition
    root, _ = first
    v1 = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0")).path
    victim = sorted(rows(v1))[2]
    withdrawal = replace(BASE, version="2.0.0", withdrawals=((victim, "court order"),))
    v2 = pack([root], tmp_path / "dist", withdrawal).path
    tombstones = v2 / WITHDRAWN_FILE
    if tampering == "emptied":
        tombstones.write_text("")
    else:
        tombstones.unlink()
    with pytest.raises(UsageError, match=r"withdrawn\.jsonl (differs|cannot be read)"):
        pack([root], tmp_path / "dist", replace(BASE, version="2.1.0"))


@pytest.mark.parametrize("forged", [{}, [], {"files": "x"}, {"files": [{"path": "a"}]}])
def test_a_parent_manifest_that_lists_no_files_as_a_release_does_is_refused(
    first, tmp_path, forged
):
    root, _ = first
    parent = tmp_path / "forged" / "history-1.0.0"
    parent.mkdir(parents=True)
    data = json.dumps(forged).encode()
    (parent / "manifest.json").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (parent / "manifest.json.sha256").write_text(f"{digest}  manifest.json\n", encoding="ascii")
    with pytest.raises(UsageError, match="does not list its files as a release's does"):
        pack([root], tmp_path / "out", replace(BASE, version="1.1.0"), parent=parent)


def test_a_tombstone_file_the_parents_manifest_does_not_list_is_refused(first, tmp_path):
    root, v1 = first
    (v1 / WITHDRAWN_FILE).write_text(json.dumps({"record_id": sorted(rows(v1))[0]}) + "\n")
    with pytest.raises(UsageError, match=r"withdrawn\.jsonl is not in its manifest"):
        pack([root], tmp_path / "dist", replace(BASE, version="1.1.0"))


def test_a_parent_whose_shard_repeats_a_record_id_is_refused_in_one_line(first, tmp_path):
    """A parent whose rows repeat a record id (verify says E013) cannot be indexed for reuse:
    the pack refuses it, naming it, instead of failing in SQLite."""
    import re

    import pyarrow as pa

    from archive import UsageError, check_release

    root, v1 = first
    shard = sorted((v1 / "data").glob("*.parquet"))[0]
    table = pq.read_table(shard)
    pq.write_table(pa.concat_tables([table, table.slice(0, 1)]), shard)
    vouch_for(v1, f"data/{shard.name}", rows=1)  # its manifest forged too: only E013 is left
    assert "E013" in {p.code for p in check_release(v1).problems}
    refusal = re.escape(f"parent {v1}: a record id appears twice; verify it")
    with pytest.raises(UsageError, match=refusal):
        pack([root], tmp_path / "dist", replace(BASE, version="1.1.0"))


PLEA = "Read the Ashcombe Post every morning for the news that matters to the valley."


def outlet_corpus(root: Path, count: int, start: int = 0) -> Path:
    stories = {f"p{n:02d}.txt": story(n) + f"\n{PLEA}\n" for n in range(start, start + count)}
    write_corpus(root, stories)
    log = root.parent / "log.jsonl"
    lines = [
        json.dumps({"path": name, "outlet": "Ashcombe Post"}) + "\n"
        for name in sorted(p.name for p in root.glob("p*.txt"))
    ]
    log.write_text("".join(lines), encoding="utf-8")
    return log


@pytest.mark.parametrize("first_count", [12, 8])
def test_learned_furniture_is_the_same_whether_records_are_reused_or_not(tmp_path, first_count):
    """12: the plea is learned in both versions (reused rows are left as they are); 8: it is
    learned only once the second version brings enough stories (reused rows are re-derived)."""
    root = tmp_path / "captures"
    log = outlet_corpus(root, first_count)
    v1 = pack([root], tmp_path / "dist", BASE, capture_log=log)
    log = outlet_corpus(root, 4, start=first_count)
    (root / "p01.txt").write_text(story(1, " Updated.") + f"\n{PLEA}\n", encoding="utf-8")
    v2 = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0"), capture_log=log)
    assert v2.manifest["counts"]["reused"] == first_count - 1
    fresh = pack(
        [root], tmp_path / "fresh", replace(BASE, version="1.1.0"), capture_log=log, parent=None
    )
    learned = [r for r in rows(fresh.path).values() if PLEA not in (r["text"] or "")]
    assert len(learned) == first_count + 4  # the plea is furniture in every story now
    for shard in sorted((fresh.path / "data").glob("*.parquet")):
        assert (v2.path / "data" / shard.name).read_bytes() == shard.read_bytes()
    assert (tmp_path / "dist" / ".archive-cache" / "history-1.0.0" / "learned.json").is_file()
    del v1


def test_reused_rows_of_an_outlet_whose_furniture_changed_are_learned_again_among_kept_ones(
    tmp_path, monkeypatch
):
    """One shard: 300 reused rows of an outlet whose learned furniture stays, 8 of one whose
    furniture changes (its plea is learned once 4 more stories bring it), scattered among them
    by id. The kept rows are sliced around the 8, which are learned again: the shard comes out
    byte for byte as a pack without parent writes it."""
    from archive.release import stages

    root = tmp_path / "captures"
    write_corpus(root, {f"t{n:03d}.txt": story(100 + n) for n in range(300)})
    # the gazette's log lines first: a row's evidence quotes its line, which must stay put
    gazette = "".join(
        json.dumps({"path": f"t{n:03d}.txt", "outlet": "Tarn Gazette"}) + "\n" for n in range(300)
    )
    log = outlet_corpus(root, 8)
    log.write_text(gazette + log.read_text(encoding="utf-8"), encoding="utf-8")
    settings = replace(BASE, shards=1, relations=False)
    pack([root], tmp_path / "dist", settings, capture_log=log)
    log = outlet_corpus(root, 4, start=8)
    log.write_text(gazette + log.read_text(encoding="utf-8"), encoding="utf-8")
    sliced = []
    kept = stages.rows_kept

    def spied(rows, mask):
        parts = kept(rows, mask)
        sliced.append(len(parts))
        return parts

    monkeypatch.setattr(stages, "rows_kept", spied)
    again = replace(settings, version="1.1.0")
    v2 = pack([root], tmp_path / "dist", again, capture_log=log)
    assert v2.manifest["counts"]["reused"] == 308
    assert max(sliced) > 1  # the settled rows came as slices around the unsettled ones
    fresh = pack([root], tmp_path / "fresh", again, capture_log=log, parent=None)
    plea = [r for r in rows(fresh.path).values() if PLEA in (r["text"] or "")]
    assert plea == []  # learned in all 12 stories now, the 8 reused ones too
    (shard,) = sorted((fresh.path / "data").glob("*.parquet"))
    assert (v2.path / "data" / shard.name).read_bytes() == shard.read_bytes()


def test_reused_rows_drop_the_parents_corpus_links(tmp_path):
    root = tmp_path / "captures"
    write_corpus(root, {"a.txt": story(1), "b.txt": story(1), "c.txt": story(2)})
    v1 = pack([root], tmp_path / "dist", BASE)
    assert sum(1 for r in rows(v1.path).values() if r["duplicate_of"]) == 1
    (root / "a.txt").unlink()
    (root / "b.txt").unlink()
    write_corpus(root, {"b.txt": story(1)})  # b alone now: nothing to be a duplicate of
    v2 = pack([root], tmp_path / "dist", replace(BASE, version="2.0.0"))
    assert v2.manifest["counts"]["reused"] == 2
    assert all(r["duplicate_of"] is None for r in rows(v2.path).values())
    assert verify(v2.path).ok


COUNCIL = (
    "The council of Ashcombe met on Monday evening in the old drill hall to weigh three "
    "proposals for the quarry, from a weight limit on the bridge to a second access lane "
    "behind the allotments, and heard from twelve residents before any vote was taken."
)
TIMETABLE = (
    "New bus timetables start in May across the valley, with an early service from Lowmoor "
    "at six, a later last departure from the market square, and two school runs that now "
    "call at the chapel and the cattle grid instead of the former post office."
)


def test_withheld_text_never_reaches_the_relations_table(tmp_path):
    """A dehydrated release keeps its relations, but no word of the bodies: their evidence
    holds offsets, counts and hashes only (tests/test_rehydrate.py checks each shape)."""
    quote = "“We will keep the quarry road open for every lorry and every bus,” said Ivo Brandt."
    root = tmp_path / "captures"
    write_corpus(
        root,
        {
            "a.txt": story(3),
            "b.txt": story(3, " Also on the radio."),
            "c.txt": f"Quarry vote\n\nBy Ada Lind\n\n{COUNCIL}\n\n{quote}\n",
            "d.txt": f"Bus routes\n\nBy Oskar Vey\n\n{TIMETABLE}\n\n{quote}\n",
        },
    )
    full = pack([root], tmp_path / "full", BASE)
    dry = pack([root], tmp_path / "dist", replace(BASE, tier="metadata-only"))
    kept = pq.read_table(dry.path / "relations" / "relations.parquet").to_pylist()
    whole = pq.read_table(full.path / "relations" / "relations.parquet").to_pylist()
    assert {r["kind"] for r in kept} == {r["kind"] for r in whole} >= {"shares-quotation"}

    def strings(value) -> list[str]:
        if isinstance(value, dict):
            return [s for k, v in value.items() if k != "direction_basis" for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    quoted = [s for r in whole for s in strings(json.loads(r["evidence"]))]
    assert any("quarry road open" in s for s in quoted)  # what a full release shows
    shown = [s for r in kept for s in strings(json.loads(r["evidence"]))]
    assert all(len(s) == 64 and set(s) <= set("0123456789abcdef") for s in shown), shown


@pytest.mark.parametrize(
    "logged, precision",
    [
        ("2026-03-03T08:15:30+01:00", "second"),
        ("2026-03-03T00:00:00Z", "minute"),
        ("2026-03-03", "day"),
    ],
)
@pytest.mark.parametrize("extract", ["article", "none"])
def test_capture_log_dates_keep_the_precision_they_were_written_at(
    tmp_path, logged, precision, extract
):
    root = tmp_path / "captures"
    write_corpus(root, {"a.txt": story(4)})
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"path": "a.txt", "published_at": logged}) + "\n", encoding="utf-8")
    result = pack([root], tmp_path / "dist", replace(BASE, extract=extract), capture_log=log)
    (row,) = rows(result.path).values()
    assert row["published_precision"] == precision


def test_an_unchanged_capture_log_is_not_read_again_and_a_changed_one_is(tmp_path, monkeypatch):
    from archive.capture.capturelog import CaptureLog

    root = tmp_path / "captures"
    write_corpus(root, {"a.txt": story(1), "b.txt": story(2)})
    log = tmp_path / "log.jsonl"
    lines = [
        {"path": "a.txt", "url": "https://ashcombe.example/a"},
        {"path": "b.txt", "url": "https://ashcombe.example/b"},
    ]
    log.write_text("".join(json.dumps(x) + "\n" for x in lines) + "{not json\n", encoding="utf-8")
    v1 = pack([root], tmp_path / "dist", BASE, capture_log=log)

    def no_build(*args, **kwargs):
        raise AssertionError("the log was indexed again")

    with monkeypatch.context() as patch:
        patch.setattr(CaptureLog, "build", no_build)
        v2 = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0"), capture_log=log)
    assert v2.manifest["counts"]["reused"] == 2
    assert v2.manifest["capture_log"] == v1.manifest["capture_log"]
    assert v2.warnings == v1.warnings and len(v2.warnings) == 1

    lines[1]["url"] = "https://ashcombe.example/b-moved"
    log.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    v3 = pack([root], tmp_path / "dist", replace(BASE, version="1.2.0"), capture_log=log)
    assert v3.manifest["counts"]["reused"] == 1
    assert v3.manifest["capture_log"]["bad_lines"] == 0
    urls = sorted(r["capture"]["url"] for r in rows(v3.path).values())
    assert urls == ["https://ashcombe.example/a", "https://ashcombe.example/b-moved"]


def test_a_re_pack_of_shards_of_many_batches_equals_a_pack_without_parent(tmp_path):
    """Reused rows are merged with new ones past the 1000-row batches a shard is written in;
    the shards still come out byte for byte as a pack with no parent writes them."""
    root = tmp_path / "captures"
    # long enough that a shard's text spans several data pages, which batches can cut
    filler = "".join(f"The council heard objection {k} to the quarry hours. " for k in range(40))
    write_corpus(root, {f"d{n // 500}/s{n:04d}.txt": story(n) + filler for n in range(2300)})
    settings = replace(BASE, extract="none", relations=False)
    pack([root], tmp_path / "dist", settings)
    write_corpus(
        root, {f"d{n // 500}/s{n:04d}.txt": story(n, " Corrected.") + filler for n in (7, 1500)}
    )
    write_corpus(root, {"d9/new.txt": story(9999)})
    (root / "d2" / "s1234.txt").unlink()
    again = replace(settings, version="1.1.0")
    v2 = pack([root], tmp_path / "dist", again)
    assert v2.manifest["counts"]["reused"] == 2300 - 3
    fresh = pack([root], tmp_path / "fresh", again, parent=None)
    shards = sorted((fresh.path / "data").glob("*.parquet"))
    assert len(shards) == 2 and pq.ParquetFile(shards[0]).metadata.num_rows > 1000
    for shard in shards:
        assert (v2.path / "data" / shard.name).read_bytes() == shard.read_bytes()
    assert verify(v2.path).ok


def test_a_renamed_capture_log_gives_the_rows_a_fresh_pack_gives(tmp_path):
    """A row's evidence quotes its capture log by name and line, so both are part of what the
    row is derived from: a re-pack with the log renamed (or its lines moved) re-derives the
    row instead of reusing one that names the old log."""
    from test_trust_mtime import BASE, story, write

    root = tmp_path / "captures"
    for n in range(2):
        write(root / f"s{n:02d}.txt", story(n))
    line = {"path": "s00.txt", "url": "https://ashcombe.example/0", "published_at": "2024-05-01"}
    old, new = tmp_path / "log-2025.jsonl", tmp_path / "log-2026.jsonl"
    for log in (old, new):
        log.write_text(json.dumps(line) + "\n", encoding="utf-8")
    pack([root], tmp_path / "dist", BASE, capture_log=old)
    again = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0"), capture_log=new)
    fresh = pack([root], tmp_path / "fresh", replace(BASE, version="1.1.0"), capture_log=new)

    def provenance(release):
        rows = pq.read_table(release / "data", columns=["record_id", "provenance"]).to_pylist()
        return sorted((r["record_id"], json.dumps(r["provenance"], default=str)) for r in rows)

    assert provenance(again.path) == provenance(fresh.path)
    assert "log-2026.jsonl line 1" in json.dumps(provenance(again.path))


def test_the_furniture_cache_is_in_record_id_order_and_read_a_shard_at_a_time(tmp_path):
    """The cache is written shard by shard (a shard is a range of record ids) and a shard's
    reused rows read only the batches that can hold them; a re-pack that reuses rows over
    several shards gives what a fresh pack gives."""
    import pyarrow as pa

    from archive.format.parquetio import read_ipc
    from archive.release.cache import cached_contributions
    from archive.release.plan import shard_of

    settings = replace(BASE, shards=5)
    root = tmp_path / "captures"
    log = outlet_corpus(root, 16)
    v1 = pack([root], tmp_path / "dist", settings, capture_log=log)
    cache = tmp_path / "dist" / ".archive-cache" / "history-1.0.0" / "furniture.arrow"
    table = read_ipc(cache)
    ids = table["record_id"].to_pylist()
    assert ids == sorted(set(ids)) and len(ids) == 16
    assert set(ids) == {rid for rid, r in rows(v1.path).items() if r["outlet"]}
    by_shard: dict[int, list[str]] = {}
    for rid in ids:
        by_shard.setdefault(shard_of(rid, 5), []).append(rid)
    assert len(by_shard) > 2
    for shard_ids in [*by_shard.values(), ids[::3], ids[-1:], []]:
        found = cached_contributions(cache, pa.array(shard_ids, pa.string()))
        assert found.to_pylist() == [r for r in table.to_pylist() if r["record_id"] in shard_ids]

    log = outlet_corpus(root, 4, start=16)
    v2 = pack([root], tmp_path / "dist", replace(settings, version="1.1.0"), capture_log=log)
    assert v2.manifest["counts"]["reused"] == 16
    # v2's shards hold new contributions and, after them, the reused ones: sorted again
    kept = read_ipc(cache.parent.parent / "history-1.1.0" / "furniture.arrow")["record_id"]
    assert kept.to_pylist() == sorted(set(kept.to_pylist())) and len(kept) == 20
    fresh = pack(
        [root], tmp_path / "fresh", replace(settings, version="1.1.0"), capture_log=log, parent=None
    )
    for shard in sorted((fresh.path / "data").glob("*.parquet")):
        assert (v2.path / "data" / shard.name).read_bytes() == shard.read_bytes()


WITHHELD_NAV = "Home, News, Coast, Business, Weather and Letters for the whole valley"


def _withheld_story(n: int, nav: bool) -> bytes:
    body = f"Headline number {n} on the harbour\n\n" + (f"{WITHHELD_NAV}\n\n" if nav else "")
    body += f"Story number {n} about the pier and the tide gauge was told on the quay.\n"
    return body.encode()


def test_withheld_rows_take_no_part_in_furniture_learning(tmp_path):
    """Rows whose text is withheld (redistribution metadata-only) neither teach furniture nor
    have it applied: a version reusing them could do neither, so a fresh pack does not either,
    and the two give the same records. Ten stories sharing a line teach it when their text is
    held."""
    root = tmp_path / "captures"
    root.mkdir()
    log = tmp_path / "log.jsonl"
    lines = [{"path": f"s{n}.txt", "outlet": "Harbourlight Gazette"} for n in range(1, 11)]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    settings = PackSettings("w", "1.0.0", CREATED, relations=False)
    for n in range(1, 11):
        (root / f"s{n}.txt").write_bytes(_withheld_story(n, nav=True))
    held = pack([root], tmp_path / "held", settings, capture_log=log).path
    learned = pq.read_table(held / "data")["spans"].to_pylist()
    assert any(s["kind"] == "furniture-learned" for r in learned for s in r)
    withheld = replace(settings, redistribution="metadata-only")
    (root / "s10.txt").write_bytes(_withheld_story(10, nav=False))
    pack([root], tmp_path / "dist", withheld, capture_log=log)
    (root / "s10.txt").write_bytes(_withheld_story(10, nav=True))
    again = replace(withheld, version="1.1.0")
    repacked = pack([root], tmp_path / "dist", again, capture_log=log).path
    fresh = pack([root], tmp_path / "fresh", again, capture_log=log).path
    assert (repacked / "manifest.json").read_text().count('"reused": 9') == 1
    for name in sorted(p.name for p in (fresh / "data").iterdir()):
        assert (repacked / "data" / name).read_bytes() == (fresh / "data" / name).read_bytes()
    spans = pq.read_table(fresh / "data")["spans"].to_pylist()
    assert not any(s["kind"] == "furniture-learned" for r in spans for s in r)


def test_a_parent_whose_withheld_rows_learned_furniture_is_derived_again(tmp_path, monkeypatch):
    """Extractors before text-1.4.0 had withheld rows learn furniture (and applied it): their
    rows cannot be reused as they are (the release holds no text to undo it with), so the
    extractor version changed with the rule, and a re-pack over such a parent derives them
    again, giving what a fresh pack gives."""
    import pyarrow.compute as pc

    import archive.extract
    import archive.release.stages as stages

    root = tmp_path / "captures"
    root.mkdir()
    log = tmp_path / "log.jsonl"
    lines = [
        {"path": f"s{n}.txt", "outlet": "Harbourlight Gazette"}
        | ({"redistribution": "metadata-only"} if n <= 3 else {})
        for n in range(1, 14)
    ]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    for n in range(1, 14):
        (root / f"s{n}.txt").write_bytes(_withheld_story(n, nav=True))
    settings = PackSettings("w", "1.0.0", CREATED, relations=False, jobs=1)
    with monkeypatch.context() as before:  # the extractor and rule of text-1.3.0
        before.setattr(archive.extract, "EXTRACTOR_VERSION", "text-1.3.0")
        before.setattr(stages, "_learns", lambda media_type, _: media_type == "text/plain")
        before.setattr(
            stages, "_learning_rows", lambda rows: pc.equal(rows["media_type"], "text/plain")
        )
        old = pack([root], tmp_path / "dist", settings, capture_log=log).path
    spans = pq.read_table(old / "data")["spans"].to_pylist()
    assert sum(any(s["kind"] == "furniture-learned" for s in r) for r in spans) == 13
    again = replace(settings, version="1.1.0")
    repacked = pack([root], tmp_path / "dist", again, capture_log=log)
    fresh = pack([root], tmp_path / "fresh", again, capture_log=log).path
    assert repacked.manifest["counts"]["reused"] == 0
    for name in sorted(p.name for p in (fresh / "data").iterdir()):
        assert (repacked.path / "data" / name).read_bytes() == (fresh / "data" / name).read_bytes()
