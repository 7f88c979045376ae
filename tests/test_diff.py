"""Record-level diff and the versioning rules, over a three-version history of a fictional corpus:
1.0.0, then 1.1.0 (an addition, a text correction, an outlet correction), then 2.0.0 (a
withdrawal), and a copy of 1.1.0 whose record schema changed."""

from __future__ import annotations

import io
import json
import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import raw_strings, vouch_for
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import ArchiveError, PackSettings, pack, verify
from archive.cli import main
from archive.errors import UsageError
from archive.format.manifest import (
    SpilledArray,
    canonical_json,
    write_canonical_json,
    write_manifest,
)
from archive.inspect import read_manifest
from archive.release.plan import record_id, shard_name
from archive.versions.diff import (
    CHANGES_FILE,
    bump_warning,
    changes,
    changes_overview,
    chosen_bump,
    diff,
    diff_dict,
    implied_bump,
    next_version,
    summary_lines,
    write_changes_file,
)

CREATED = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
SETTINGS = PackSettings("harbour", "1.0.0", CREATED, extract="none")


def story(n: int, body: str | None = None) -> str:
    """Fictional captures, written for these tests."""
    body = body or f"The Quillmere ferry board met for the {n}th time to discuss pier {n}."
    return f"Pier {n} plans in Quillmere\n\nBy Ansel Toivonen\n\n{body}\n\nIt sat for {n} hours.\n"


def log_line(path: str, outlet: str) -> str:
    return json.dumps({"path": path, "outlet": outlet, "url": f"https://quill.example/{path}"})


def rid(name: str) -> str:
    return record_id(f"captures/{name}")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("history")
    src = base / "captures"
    src.mkdir()
    for n in range(6):
        (src / f"s{n}.txt").write_text(story(n), encoding="utf-8")
    log = base / "log.jsonl"
    log.write_text(log_line("s0.txt", "Quillmere Gazete") + "\n", encoding="utf-8")
    dist = base / "dist"
    v1 = pack([src], dist, SETTINGS, capture_log=log).path
    (src / "s6.txt").write_text(story(6), encoding="utf-8")
    (src / "s1.txt").write_text(story(1, "The board corrected its minutes."), encoding="utf-8")
    log.write_text(log_line("s0.txt", "Quillmere Gazette") + "\n", encoding="utf-8")
    v11 = pack([src], dist, replace(SETTINGS, version="1.1.0", shards=3), capture_log=log).path
    withdrawal = ((rid("s3.txt"), "takedown request from the rights holder"),)
    v2 = pack(
        [src], dist, replace(SETTINGS, version="2.0.0", withdrawals=withdrawal), capture_log=log
    ).path
    return {"base": base, "src": src, "log": log, "v1": v1, "v11": v11, "v2": v2}


def schema_changed_copy(release: Path, target: Path, version: str) -> Path:
    """A copy of ``release`` whose manifest names another record schema (digest recomputed)."""
    shutil.copytree(release, target)
    manifest = read_manifest(target)
    manifest["version"] = version
    manifest["schemas"]["record"] = manifest["schemas"]["record"] | {
        "$id": "https://archive.invalid/schemas/record-2.0.0.json",
        "sha256": "0" * 64,
    }
    write_manifest(target, manifest)
    return target


def test_additions_and_corrections_imply_a_minor_bump(history):
    d = diff(history["v1"], history["v11"])
    assert d.added == (rid("s6.txt"),)
    assert d.removed == () and d.withdrawn == ()
    assert sorted(d.changed) == sorted([rid("s1.txt"), rid("s0.txt")])
    assert d.counts["unchanged"] == 4 and d.old_records == 6 and d.new_records == 7
    details = {change.record_id: change for change in d.details}
    text = {c.field: c for c in details[rid("s1.txt")].fields}
    assert text["text"].digest and len(text["text"].old) == 64 != text["text"].new
    assert "capture_text" in text and "raw_sha256" in text
    outlet = {c.field: c for c in details[rid("s0.txt")].fields}["outlet"]
    assert (outlet.old, outlet.new) == ("Quillmere Gazete", "Quillmere Gazette")
    assert not outlet.digest
    assert d.fields["outlet"] == 1 and d.fields["text"] == 1
    assert implied_bump(d) == "minor"
    assert bump_warning("1.0.0", "1.1.0", implied_bump(d)) is None
    assert bump_warning("1.0.0", "1.0.1", implied_bump(d)).endswith("use 1.1.0 or later")


def test_text_values_never_appear_in_a_diff(history):
    data = diff_dict(diff(history["v1"], history["v11"]))
    dumped = json.dumps(data)
    assert "corrected its minutes" not in dumped and "Pier 1 plans" not in dumped
    details = {record["record_id"]: record["fields"] for record in data["details"]}
    assert details[rid("s1.txt")]["text"].keys() == {"old_sha256", "new_sha256"}


def test_a_withdrawal_implies_a_major_bump_and_shows_its_tombstone(history):
    d = diff(history["v11"], history["v2"])
    assert [t["record_id"] for t in d.withdrawn] == [rid("s3.txt")]
    tombstone = d.withdrawn[0]
    assert tombstone["reason"] == "takedown request from the rights holder"
    assert tombstone["version"] == "2.0.0" and len(tombstone["text_sha256"]) == 64
    assert d.removed == () and d.added == () and d.changed == ()
    assert implied_bump(d) == "major"
    assert bump_warning("1.1.0", "2.0.0", "major") is None
    assert "use 2.0.0" in bump_warning("1.1.0", "1.2.0", "major")


def test_tombstones_carried_forward_are_not_new_withdrawals(history, tmp_path):
    later = pack(
        [history["src"]],
        history["base"] / "dist",
        replace(SETTINGS, version="2.0.1"),
        capture_log=history["log"],
    ).path
    d = diff(history["v2"], later)
    assert d.withdrawn == () and d.tombstones_dropped == ()
    assert implied_bump(d) == "none"
    dropped = shutil.copytree(later, tmp_path / later.name)
    (dropped / "withdrawn.jsonl").write_text("", encoding="utf-8")
    assert diff(history["v2"], dropped).tombstones_dropped == (rid("s3.txt"),)
    assert implied_bump(diff(history["v2"], dropped)) == "major"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b"\xff\n", "not UTF-8"),
        (b"[1]\n", "no record_id"),
        (b'{"reason": "no id"}\n', "no record_id"),
        (b"{\n", "not JSON"),
    ],
)
def test_a_tombstone_line_that_is_none_is_named_in_one_error(history, tmp_path, line, why):
    """withdrawn.jsonl is read as the quarantine is (boundedjson.json_lines, blank lines
    skipped): a line that is no tombstone is named, never an internal error."""
    damaged = shutil.copytree(history["v2"], tmp_path / history["v2"].name)
    path = damaged / "withdrawn.jsonl"
    path.write_bytes(path.read_bytes() + b"\n" + line)
    with pytest.raises(UsageError, match=f"^{path}:3: not a tombstone \\({why}"):
        diff(history["v11"], damaged)
    path.write_bytes(path.read_bytes().replace(line, b"\n"))  # blank lines are skipped
    assert [t["record_id"] for t in diff(history["v11"], damaged).withdrawn] == [rid("s3.txt")]


def test_a_tombstone_reason_with_a_line_separator_is_carried_forward(history, tmp_path):
    """A reason written raw (UTF-8, U+2028 unescaped) is one line of withdrawn.jsonl: the next
    version reads it whole (str.splitlines had cut it in two and failed the pack), however long
    the publisher wrote it."""
    dist = tmp_path / "dist"
    shutil.copytree(history["v11"], dist / history["v11"].name)
    reason = "takedown\u2028request " + "x" * 2**20  # a line over the quarantine's bound
    withdrawal = ((rid("s3.txt"), reason),)
    settings = replace(SETTINGS, version="2.0.0", withdrawals=withdrawal)
    v2 = pack([history["src"]], dist, settings, capture_log=history["log"]).path
    assert "\u2028".encode() in (v2 / "withdrawn.jsonl").read_bytes()
    later = replace(SETTINGS, version="2.0.1")
    v3 = pack([history["src"]], dist, later, capture_log=history["log"]).path
    assert [t["reason"] for t in json_lines_of(v3 / "withdrawn.jsonl")] == [reason]
    assert diff(v2, v3).withdrawn == () and verify(v3).ok
    report = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", str(v3), "--out", str(report)])
    assert result.exit_code == 0, result.output
    pages = "".join(p.read_text(encoding="utf-8") for p in report.rglob("*") if p.is_file())
    assert "x" * 2**20 in pages and "unreadable line" not in pages  # listed whole


def test_a_parent_tombstone_without_a_record_id_stops_the_next_pack_in_one_line(history, tmp_path):
    dist = tmp_path / "dist"
    parent = shutil.copytree(history["v2"], dist / history["v2"].name)
    tombstones = parent / "withdrawn.jsonl"
    tombstones.write_bytes(tombstones.read_bytes() + b'{"reason": "no id"}\n')
    vouch_for(parent, "withdrawn.jsonl")  # a forger's: the tombstone itself is what is read
    later = replace(SETTINGS, version="2.0.1")
    with pytest.raises(UsageError, match=f"^{tombstones}:2: not a tombstone \\(no record_id\\)"):
        pack([history["src"]], dist, later, capture_log=history["log"])


def json_lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line]


def test_a_shard_it_cannot_read_is_named_in_one_error(history, tmp_path):
    """A title that is not UTF-8 (Arrow checks nothing when an array is made from buffers)
    names its shard, as every reader of shards does; it was an internal error."""
    damaged = shutil.copytree(history["v2"], tmp_path / history["v2"].name)
    shards = sorted((damaged / "data").glob("*.parquet"))
    shard = next(path for path in shards if pq.read_metadata(path).num_rows)
    table = pq.read_table(shard)
    values = [b"title \xff%d" % i for i in range(table.num_rows)]
    titles = raw_strings(values)
    at = table.schema.get_field_index("title")
    pq.write_table(table.set_column(at, table.schema.field(at), titles), shard)
    with pytest.raises(UsageError, match=f"^{shard}: unreadable \\(.*Invalid UTF8"):
        diff(history["v11"], damaged)


@pytest.mark.parametrize("size", [1000, 20_000])
def test_a_truncated_shard_is_named_in_one_error_by_diff_and_by_the_next_pack(
    history, tmp_path, size
):
    """Truncated after its pack (no footer left, or pages cut short): diff (its first shard's
    schema) and a pack reusing it as the parent (its index, its rows) raised Arrow's error,
    an internal error (exit 3)."""
    damaged = shutil.copytree(history["v2"], tmp_path / "dist" / history["v2"].name)
    shard = sorted((damaged / "data").glob("*.parquet"))[0]
    os.truncate(shard, min(size, shard.stat().st_size - 8))
    vouch_for(damaged, f"data/{shard.name}")  # listed as it now is: the shard alone is damaged
    named = f"^{shard}: unreadable \\(.*\\); run archive verify$"
    with pytest.raises(UsageError, match=named):
        diff(history["v11"], damaged)
    later = replace(SETTINGS, version="9.0.0")
    with pytest.raises(UsageError, match=named):
        pack([history["src"]], tmp_path / "dist", later, capture_log=history["log"])
    assert not list((tmp_path / "dist").glob("*9.0.0*"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_record_withdrawn_in_the_version_that_would_add_it_is_no_withdrawal(
    history, tmp_path, jobs
):
    """Nothing left the parent: no record is withdrawn from it and no major bump is implied,
    though the new version carries the tombstone."""
    src = tmp_path / "captures"
    shutil.copytree(history["src"], src)
    dist = tmp_path / "dist"
    parent = shutil.copytree(history["v2"], dist / history["v2"].name)
    (src / "s7.txt").write_text(story(7), encoding="utf-8")
    withdrawal = ((rid("s7.txt"), "taken down before it was published"),)
    later = replace(SETTINGS, version="2.1.0", withdrawals=withdrawal, jobs=jobs)
    result = pack([src], dist, later, capture_log=history["log"])
    assert not any("bump" in w for w in result.warnings)
    changes = json.loads((result.path / "CHANGES.json").read_bytes())
    assert changes["counts"]["withdrawn"] == 0 and changes["bump"]["implied"] != "major"
    assert rid("s7.txt") in (result.path / "withdrawn.jsonl").read_text()
    d = diff(parent, result.path)
    assert d.withdrawn == () and implied_bump(d) != "major"


def test_a_record_schema_change_implies_a_major_bump(history, tmp_path):
    changed = schema_changed_copy(history["v11"], tmp_path / "harbour-1.2.0", "1.2.0")
    d = diff(history["v11"], changed)
    assert d.changed == () and d.added == ()
    assert d.schemas["record"]["new"]["$id"].endswith("record-2.0.0.json")
    assert implied_bump(d) == "major"
    data = diff_dict(d)
    assert data["bump"]["chosen"] == "minor"
    assert data["bump"]["warning"].endswith("use 2.0.0 or later")
    old_manifest, new_manifest = read_manifest(history["v11"]), read_manifest(changed)
    assert implied_bump(d, old_manifest, old_manifest) == "none"
    assert implied_bump(d, old_manifest, new_manifest) == "major"


def test_removed_records_are_not_withdrawn_ones(history, tmp_path):
    src = tmp_path / "captures"
    shutil.copytree(history["src"], src)
    (src / "s5.txt").unlink()
    smaller = pack([src], tmp_path / "dist", replace(SETTINGS, version="1.2.0"), parent=None).path
    d = diff(history["v11"], smaller)
    assert d.removed == (rid("s5.txt"),) and d.withdrawn == ()
    assert implied_bump(d) == "major"


def test_identical_releases_differ_in_nothing(history):
    d = diff(history["v2"], history["v2"])
    assert d.counts == {
        "old_records": 6,
        "new_records": 6,
        "added": 0,
        "removed": 0,
        "withdrawn": 0,
        "changed": 0,
        "unchanged": 6,
        "narrowed": 0,
        "tombstones_dropped": 0,
    }
    assert implied_bump(d) == "none"


def test_details_are_capped_but_every_id_is_listed(history):
    d = diff(history["v1"], history["v11"], limit=1)
    assert len(d.details) == 1 and len(d.changed) == 2 and d.truncated
    assert diff_dict(d)["details_truncated"] is True


def test_changes_of_a_release_being_built(history, tmp_path):
    """pack calls changes() before the child's manifest exists: only data/ and withdrawn.jsonl."""
    building = tmp_path / "release"
    shutil.copytree(history["v2"] / "data", building / "data")
    shutil.copy(history["v2"] / "withdrawn.jsonl", building)
    partial = {"name": "harbour", "version": "2.0.0", "settings": {"tier": "full"}}
    data = changes(history["v11"], building, partial)
    assert data["new"] == {"name": "harbour", "version": "2.0.0", "manifest_sha256": None}
    assert data["old"]["manifest_sha256"] == read_manifest_digest(history["v11"])
    assert data["counts"]["withdrawn"] == 1 and data["bump"]["implied"] == "major"
    assert data["bump"]["warning"] is None and data["schemas"] == {}


def read_manifest_digest(release: Path) -> str:
    return (release / "manifest.json.sha256").read_text(encoding="ascii").split()[0]


def test_changes_json_is_written_into_each_release_with_a_parent(history):
    assert (history["v11"] / CHANGES_FILE).is_file()
    written = json.loads((history["v2"] / CHANGES_FILE).read_bytes())
    computed = changes(history["v11"], history["v2"])
    computed["new"]["manifest_sha256"] = None  # unknown while the release is being built
    assert written == computed
    assert written["bump"]["implied"] == "major" and written["counts"]["withdrawn"] == 1
    assert not (history["v1"] / CHANGES_FILE).exists()
    verify(history["v2"])


def test_a_dehydrated_release_diffs_like_a_full_one(history, tmp_path):
    dry = pack(
        [history["src"]],
        tmp_path / "dry",
        replace(SETTINGS, version="2.0.0", tier="metadata-only"),
        capture_log=history["log"],
        parent=None,
    ).path
    assert pq.read_table(dry / "data", columns=["text"])["text"].null_count > 0
    d = diff(history["v2"], dry)
    assert d.changed == () and d.tiers == ("full", "metadata-only")
    assert diff(history["v11"], dry).counts["withdrawn"] == 0  # dry has no parent: no tombstone


def test_the_diff_command(history, runner):
    from archive.cli import main

    ok = runner.invoke(main, ["diff", str(history["v1"]), str(history["v11"])])
    assert ok.exit_code == 0, ok.output
    assert "1 added, 0 removed, 0 withdrawn, 2 changed" in ok.output
    assert 'outlet: "Quillmere Gazete" -> "Quillmere Gazette"' in ok.output
    assert "implied bump: minor" in ok.output
    as_json = runner.invoke(main, ["diff", str(history["v11"]), str(history["v2"]), "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)["bump"]["implied"] == "major"
    wrong = runner.invoke(main, ["diff", str(history["v2"]), str(history["v11"]), "-q"])
    assert wrong.exit_code == 1
    assert "warning: 1.1.0 comes before 2.0.0" in wrong.output
    missing = runner.invoke(main, ["diff", str(history["v1"]), "no/such/release"])
    assert missing.exit_code == 2


SEMVER = st.tuples(*[st.integers(0, 30)] * 3).map(lambda v: ".".join(map(str, v)))
LEVEL = st.sampled_from(["none", "patch", "minor", "major"])


@given(SEMVER, LEVEL)
def test_the_next_version_at_the_implied_level_never_warns(old, implied):
    for level in ("patch", "minor", "major"):
        new = next_version(old, level)
        warning = bump_warning(old, new, implied)
        rank = ["none", "patch", "minor", "major"]
        needed = implied
        if old.startswith("0.") and implied in ("major", "minor"):
            needed = {"major": "minor", "minor": "patch"}[implied]
        assert (warning is None) == (rank.index(level) >= rank.index(needed))
        assert chosen_bump(old, new) == level


@given(SEMVER, SEMVER, LEVEL)
def test_going_backwards_always_warns(a, b, implied):
    key = [int(x) for x in a.split(".")], [int(x) for x in b.split(".")]
    if key[1] < key[0]:
        assert "comes before" in bump_warning(a, b, implied)


def test_pre_releases_and_odd_versions():
    assert bump_warning("1.0.0-rc.1", "1.0.0", "major") is None
    assert bump_warning("1.0.0-rc.2", "1.0.0-rc.1", "patch").endswith("must be higher")
    assert bump_warning("1.0.0", "1.0.0+rehydrated", "none") is None
    assert "same version" in bump_warning("1.0.0", "1.0.0", "patch")
    assert "not a semantic version" in bump_warning("1.0", "1.1.0", "patch")
    assert bump_warning("0.3.0", "0.4.0", "major") is None
    assert bump_warning("0.3.0", "0.3.1", "major").endswith("use 0.4.0 or later")


def test_an_unsorted_release_is_refused_not_misread(history, tmp_path):
    broken = shutil.copytree(history["v1"], tmp_path / "harbour-1.0.0")
    shard = next((broken / "data").glob("*.parquet"))
    table = pq.read_table(shard)
    pq.write_table(table.take(list(reversed(range(table.num_rows)))), shard)
    with pytest.raises(ArchiveError, match="out of order; run archive verify"):
        diff(broken, history["v11"])


@pytest.fixture(scope="module")
def sharded(tmp_path_factory) -> dict[str, Path]:
    """Two versions cut into three shards each: additions, corrections, a removal and a
    withdrawal spread over the id ranges; the second packed by two worker processes."""
    base = tmp_path_factory.mktemp("sharded")
    src = base / "captures"
    src.mkdir()
    for n in range(24):
        (src / f"s{n}.txt").write_text(story(n), encoding="utf-8")
    dist = base / "dist"
    settings = replace(SETTINGS, shards=3)
    v1 = pack([src], dist, settings).path
    for n in (2, 9, 17, 21):
        (src / f"s{n}.txt").write_text(story(n, f"The board amended item {n}."), encoding="utf-8")
    for n in (24, 25, 26):
        (src / f"s{n}.txt").write_text(story(n), encoding="utf-8")
    (src / "s5.txt").unlink()
    withdrawal = ((rid("s11.txt"), "rights holder request"),)
    v2 = pack([src], dist, replace(settings, version="2.0.0", withdrawals=withdrawal, jobs=2)).path
    return {"v1": v1, "v2": v2}


@pytest.fixture
def shard_tasks(monkeypatch) -> list[int]:
    """The shards merged as tasks (an in-process executor runs them here)."""
    import archive.versions.diff as module

    merged: list[int] = []
    task = module.shard_merge

    def counted(shard, *args):
        merged.append(shard)
        return task(shard, *args)

    monkeypatch.setattr(module, "shard_merge", counted)
    return merged


def in_process():
    from archive.runtime.executors import executor_for

    return executor_for("local", jobs=1)


@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_a_diff_by_shard_pairs_is_the_diff_of_the_whole(sharded, shard_tasks, limit):
    whole = diff_dict(diff(sharded["v1"], sharded["v2"], limit=limit))
    with in_process() as executor:
        by_shard = diff_dict(diff(sharded["v1"], sharded["v2"], limit=limit, executor=executor))
    assert shard_tasks == [0, 1, 2]
    assert by_shard == whole
    counts = whole["counts"]
    assert (counts["added"], counts["removed"], counts["withdrawn"]) == (3, 1, 1)
    assert counts["changed"] == 4 and len(whole["details"]) == min(limit, 4)
    # the changes are spread over the shards, or the pairs would prove little
    assert len({int(r[:8], 16) * 3 >> 32 for r in whole["changed"] + whole["added"]}) == 3


def test_changes_written_by_a_pack_of_two_processes_are_the_diff_of_the_whole(sharded):
    written = json.loads((sharded["v2"] / CHANGES_FILE).read_bytes())
    computed = changes(sharded["v1"], sharded["v2"])
    computed["new"]["manifest_sha256"] = None
    assert written == computed and written["counts"]["changed"] == 4


@pytest.mark.parametrize("forward", [True, False])
def test_an_id_in_another_shards_range_is_diffed_as_the_whole_release_diffs_it(
    sharded, shard_tasks, tmp_path, forward
):
    """A row moved to the next shard (or the previous one) keeps the release sorted: the whole
    merge pairs it with its twin, a pair of shards could not, so the diff falls back to the
    whole merge."""
    moved = shutil.copytree(sharded["v1"], tmp_path / "harbour-1.0.0")
    first, second = sorted((moved / "data").glob("records-*.parquet"))[:2]
    head, tail = pq.read_table(first), pq.read_table(second)
    if forward:
        head, tail = head.slice(0, head.num_rows - 1), pa.concat_tables([head[-1:], tail])
    else:
        head, tail = pa.concat_tables([head, tail[:1]]), tail.slice(1)
    pq.write_table(head, first)
    pq.write_table(tail, second)
    whole = diff_dict(diff(moved, sharded["v1"]))
    assert whole["counts"]["unchanged"] == 24 and whole["counts"]["added"] == 0
    with in_process() as executor:
        assert diff_dict(diff(moved, sharded["v1"], executor=executor)) == whole
    assert shard_tasks  # the pairs were tried before the fallback


def test_an_unsorted_shard_is_refused_by_shard_pairs_too(sharded, tmp_path):
    broken = shutil.copytree(sharded["v1"], tmp_path / "harbour-1.0.0")
    shard = sorted((broken / "data").glob("records-*.parquet"))[1]
    table = pq.read_table(shard)
    pq.write_table(table.take(list(reversed(range(table.num_rows)))), shard)
    with in_process() as executor, pytest.raises(ArchiveError, match="out of order"):
        diff(broken, sharded["v2"], executor=executor)


def test_narrowed_records_are_diffed_by_shard_pairs_as_whole(sharded, tmp_path):
    narrowed = pack(
        [sharded["v1"].parent.parent / "captures"],
        tmp_path / "dist",
        replace(SETTINGS, version="2.1.0", shards=3, redistribution="metadata-only"),
        parent=sharded["v2"],
    ).path
    whole = diff_dict(diff(sharded["v2"], narrowed, limit=2))
    with in_process() as executor:
        assert diff_dict(diff(sharded["v2"], narrowed, limit=2, executor=executor)) == whole
    assert whole["counts"]["narrowed"] == whole["counts"]["new_records"] == 25


def records_release(path: Path, shards: list[list[str]]) -> Path:
    """A release of bare records (an id and a title) cut into ``shards`` as given, with a
    manifest that lists them and nothing else."""
    (path / "data").mkdir(parents=True)
    files = []
    for k, ids in enumerate(shards):
        name = f"data/{shard_name(k, len(shards))}"
        titles = [f"Pier {i}" for i in ids]
        pq.write_table(pa.table({"record_id": ids, "title": titles}), path / name)
        files.append({"path": name})
    (path / "manifest.json").write_text(json.dumps({"files": files}), encoding="utf-8")
    return path


def test_ids_a_whole_merge_pairs_are_paired_by_shard_pairs_too(tmp_path):
    """Ids that are no ids of a pack (upper case, short), sorted on both sides, each shard's
    first and last in its range: the record in the middle of a shard is in both releases."""
    old = records_release(tmp_path / "old", [["00000000", "A0000000", "a"], ["b0000000"]])
    new = records_release(tmp_path / "new", [["00000000"], ["A0000000", "b0000000"]])
    whole = diff_dict(diff(old, new))
    assert whole["removed"] == ["a"] and whole["added"] == []
    with in_process() as executor:
        assert diff_dict(diff(old, new, executor=executor)) == whole


def test_ids_out_of_order_across_shards_are_refused_by_shard_pairs_too(tmp_path):
    broken = records_release(tmp_path / "old", [["00000000", "f"], ["80000000"]])
    with pytest.raises(ArchiveError, match="record 80000000 out of order"):
        diff(broken, broken)
    with in_process() as executor, pytest.raises(ArchiveError, match="80000000 out of order"):
        diff(broken, broken, executor=executor)


def test_the_first_problem_of_a_release_is_named_by_shard_pairs_too(sharded, tmp_path):
    broken = shutil.copytree(sharded["v1"], tmp_path / "harbour-1.0.0")
    unsorted, truncated = sorted((broken / "data").glob("records-*.parquet"))[1:]
    table = pq.read_table(unsorted)
    pq.write_table(table.take(list(reversed(range(table.num_rows)))), unsorted)
    truncated.write_bytes(truncated.read_bytes()[:100])
    with in_process() as executor, pytest.raises(ArchiveError, match="out of order"):
        diff(broken, sharded["v2"], executor=executor)


class Keeping:
    """An in-process executor that keeps every part it hands back."""

    def __init__(self):
        self.parts = []

    def map(self, fn, items, *args):
        for item in items:
            self.parts.append(fn(item, *args))
            yield self.parts[-1]


def test_parts_past_the_limit_hold_no_details(sharded):
    executor = Keeping()
    by_shard = diff(sharded["v1"], sharded["v2"], limit=1, executor=executor)
    assert len(by_shard.details) == 1 and len(executor.parts) == 3
    assert sum(len(part.details) for _, part, *_ in executor.parts) == 1


def test_a_pack_diffs_its_changes_a_shard_pair_per_task(sharded, shard_tasks, tmp_path):
    later = pack(
        [sharded["v1"].parent.parent / "captures"],
        tmp_path / "dist",
        replace(SETTINGS, version="2.0.1", shards=3, jobs=1),
        parent=sharded["v2"],
    ).path
    assert shard_tasks == [0, 1, 2]
    written = json.loads((later / CHANGES_FILE).read_bytes())
    assert written["counts"]["unchanged"] == 25 and written["counts"]["changed"] == 0


LISTS = ("added", "removed", "changed", "narrowed")


@pytest.fixture
def sheds(monkeypatch) -> list[int]:
    """How many ids each shed moved to the spill files, with a merge shedding past 2 ids."""
    import archive.versions.diff as module

    monkeypatch.setattr(module, "SHED_IDS", 2)
    moved: list[int] = []
    shed = module._Spill.shed

    def counted(self, merge):
        moved.append(sum(len(getattr(merge, name)) for name in module._ID_LISTS))
        shed(self, merge)

    monkeypatch.setattr(module._Spill, "shed", counted)
    return moved


@pytest.mark.parametrize("by_shard", [False, True])
@pytest.mark.parametrize("limit", [1, 100])
def test_changes_written_through_spilled_ids_are_the_canonical_json_of_the_diff(
    sharded, sheds, tmp_path, by_shard, limit
):
    """CHANGES.json's id lists go through files (a pack of millions of changed records holds
    none of them): the bytes are those of the diff held whole, written by the json module."""
    target = tmp_path / CHANGES_FILE
    executor = Keeping() if by_shard else None
    bump = write_changes_file(sharded["v1"], sharded["v2"], target, limit=limit, executor=executor)
    expected = changes(sharded["v1"], sharded["v2"], limit=limit)
    assert target.read_bytes() == canonical_json(expected)
    assert bump == expected["bump"] and expected["counts"]["changed"] == 4
    assert len([n for n in sheds if n]) > 1  # the ids went out in several parts
    if by_shard:  # each shard's task spilled its own ids: none came back to be held
        parts = [part for _, part, _ in executor.parts]
        assert len(parts) == 3 and not any(part.id_lists()[n] for part in parts for n in LISTS)


def test_ids_shed_by_shard_pairs_that_give_way_are_not_listed_twice(sharded, sheds, tmp_path):
    """The pairs shed their ids before one of them shows a row out of its shard's range; the
    whole merge then lists every id again, once."""
    moved = shutil.copytree(sharded["v1"], tmp_path / "harbour-1.0.0")
    first, second = sorted((moved / "data").glob("records-*.parquet"))[:2]
    head, tail = pq.read_table(first), pq.read_table(second)
    pq.write_table(head.slice(0, head.num_rows - 1), first)
    pq.write_table(pa.concat_tables([head[-1:], tail]), second)
    target = tmp_path / CHANGES_FILE
    with in_process() as executor:
        write_changes_file(moved, sharded["v2"], target, executor=executor)
    assert sheds[0]  # a pair shed ids before the merge gave way
    expected = changes(moved, sharded["v2"])
    assert target.read_bytes() == canonical_json(expected)
    assert len(set(expected["changed"])) == len(expected["changed"]) == 4


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    document=st.dictionaries(_TEXT, _JSON | st.lists(_TEXT, max_size=12), max_size=6),
    data=st.data(),
)
def test_a_document_written_with_spilled_arrays_is_its_canonical_json(
    tmp_path_factory, document, data
):
    folder = tmp_path_factory.mktemp("spilled")
    written = {}
    for n, (key, value) in enumerate(document.items()):
        spilled = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if spilled and data.draw(st.booleans()):
            lines = "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in value)
            (folder / f"{n}.txt").write_text(lines, encoding="utf-8", newline="\n")
            value = SpilledArray(folder / f"{n}.txt", len(value))
        written[key] = value
    out = io.BytesIO()
    write_canonical_json(written, out)
    assert out.getvalue() == canonical_json(document)


_OVERVIEW_LISTS = ("added", "withdrawn", "changed")
# yajl, ijson's parser, refuses integers past 64 bits (a count never is)
_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(1 - 2**63, 2**63 - 1)
    | st.floats(-1e300, 1e300)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=12,
)


def _overview_by_json(text: str, ids: int) -> dict:
    """What ``changes_overview`` must give, from the document parsed whole."""
    data = json.loads(text)
    found = {"counts": data["counts"], "bump": data["bump"]}
    for name in _OVERVIEW_LISTS:
        value = data.get(name)
        found[name] = value[:ids] if isinstance(value, list) else []
    return found


@settings(max_examples=300, deadline=None)
@given(
    document=st.fixed_dictionaries(
        {"counts": st.dictionaries(_TEXT, _VALUE, max_size=3), "bump": _VALUE},
        optional={name: _VALUE | st.lists(_VALUE, max_size=6) for name in _OVERVIEW_LISTS},
    ),
    ids=st.integers(0, 4),
)
def test_the_overview_read_as_a_stream_is_that_of_the_whole_document(
    tmp_path_factory, document, ids
):
    path = tmp_path_factory.mktemp("overview") / CHANGES_FILE
    path.write_bytes(canonical_json(document))
    if not isinstance(document["bump"], dict):
        with pytest.raises(ValueError, match="no bump object"):
            changes_overview(path, _OVERVIEW_LISTS, ids)
        return
    expected = _overview_by_json(path.read_text(encoding="utf-8"), ids)
    assert changes_overview(path, _OVERVIEW_LISTS, ids) == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"counts": {"a": 1}, "bump": {}, "counts": {"a": 2}, "added": ["x"], "added": ["y"]}',
        '{"added": {"x": "y"}, "bump": {"implied": "none"}, "counts": {}, "changed": "abc"}',
        '{"bump": {"w": [[{}]]}, "counts": {"added": 0}, "withdrawn": [{"record_id": "r"}, 1]}',
    ],
)
def test_the_overview_keeps_the_last_of_a_key_given_twice_as_json_does(tmp_path, text):
    path = tmp_path / CHANGES_FILE
    path.write_text(text, encoding="utf-8")
    assert changes_overview(path, _OVERVIEW_LISTS, 5) == _overview_by_json(text, 5)


@pytest.mark.parametrize(
    "text",
    [
        '{"counts": {}, "bump": {}',  # cut short
        '{"counts": {}, "bump": {}} []',  # more after the object
        '["counts", "bump"]',
        '{"counts": {}, "bump": {}, "deep": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
)
def test_an_overview_of_what_is_no_changes_json_is_refused(tmp_path, text):
    path = tmp_path / CHANGES_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError):
        changes_overview(path, _OVERVIEW_LISTS, 5)


class Twice(Keeping):
    """An executor that runs every task twice, as Ray does one whose worker died."""

    def map(self, fn, items, *args):
        for item in items:
            fn(item, *args)
            self.parts.append(fn(item, *args))
            yield self.parts[-1]


def test_a_shard_pair_task_run_again_spills_its_ids_once(sharded, sheds, tmp_path):
    target = tmp_path / CHANGES_FILE
    write_changes_file(sharded["v1"], sharded["v2"], target, executor=Twice())
    assert target.read_bytes() == canonical_json(changes(sharded["v1"], sharded["v2"]))


def test_the_diff_command_prints_from_spilled_ids_what_the_held_diff_gives(sharded, sheds, runner):
    """``archive diff`` holds no id list either: its text and JSON are those of the diff held
    whole (each kind of list here has ids, and the merge sheds them past 2)."""
    from archive.cli import main

    old, new = str(sharded["v1"]), str(sharded["v2"])
    held = diff_dict(diff(old, new))
    sheds.clear()
    text = runner.invoke(main, ["diff", old, new])
    assert text.exit_code == 0, text.output
    assert text.output == "\n".join(summary_lines(held)) + "\n"
    assert len([n for n in sheds if n]) > 1
    as_json = runner.invoke(main, ["diff", old, new, "--json"])
    assert as_json.output == json.dumps(held, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    quiet = runner.invoke(main, ["diff", old, new, "-q"])
    assert quiet.output == summary_lines(held)[0] + "\n"
    assert all(held[k] for k in ("added", "removed", "withdrawn", "changed"))


def test_the_diff_command_prints_values_json_cannot_hold_as_it_did(tmp_path, runner):
    """Columns of a release not packed by archive (a float that is NaN, a decimal) print as
    ``emit_json`` prints them: NaN, and the decimal as its text."""
    from decimal import Decimal

    from archive.cli import main

    for name, version, score, price in (("a", "1.0.0", 1.0, "1.00"), ("b", "2.0.0", None, "2.00")):
        path = tmp_path / name
        (path / "data").mkdir(parents=True)
        columns = {
            "record_id": ["r"],
            "score": pa.array([float("nan") if score is None else score]),
            "price": pa.array([Decimal(price)], pa.decimal128(5, 2)),
        }
        shard = f"data/{shard_name(0, 1)}"
        pq.write_table(pa.table(columns), path / shard)
        manifest = {"name": "x", "version": version, "files": [{"path": shard}]}
        (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    held = diff_dict(diff(tmp_path / "a", tmp_path / "b"))
    printed = runner.invoke(main, ["diff", str(tmp_path / "a"), str(tmp_path / "b"), "--json"])
    assert printed.exit_code == 0, printed.output
    expected = json.dumps(held, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    assert printed.output == expected + "\n" and '"new": NaN' in printed.output
