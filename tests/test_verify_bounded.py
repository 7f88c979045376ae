"""verify under attack: hostile JSON, files larger than their manifest says, lying Parquet
footers, huge manifests, and things that are not releases. Each input is made here, by the
smallest generator that reproduces the case; where memory or time is the point, the case runs
in a subprocess under an address-space limit and a timeout, and the bound is the assertion."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CREATED, vouch_for

from archive import PackSettings, pack
from archive.cli import main
from archive.format.manifest import canonical_json
from archive.verification import check_release, validate
from archive.verification.report import MAX_LISTED

SETTINGS = PackSettings("bounded", "1.0.0", CREATED, extract="none", shards=1)
DEEP = "[" * 100_000 + "]" * 100_000  # nested past any recursion limit
COMMANDS = ("verify", "validate", "inspect", "log", "diff", "bundle")


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    """A folder holding bounded-1.0.0 and its child bounded-1.1.0."""
    root = tmp_path_factory.mktemp("corpus") / "captures"
    root.mkdir()
    for index in range(3):
        (root / f"note-{index}.txt").write_text(
            f"Ferry note {index}\n\nThe fictional Skelby ferry sails at {index + 6} o'clock.\n",
            encoding="utf-8",
        )
    (root / "empty.txt").write_bytes(b"")
    dist = tmp_path_factory.mktemp("dist")
    pack([root], dist, SETTINGS)
    pack([root], dist, replace(SETTINGS, version="1.1.0"))
    return dist


@pytest.fixture
def release(chain, tmp_path) -> Path:
    copy = tmp_path / "bounded-1.0.0"
    shutil.copytree(chain / "bounded-1.0.0", copy)
    return copy


def run(runner, command: str, release: Path, tmp_path: Path):
    args = {
        "diff": ["diff", str(release), str(release)],
        "bundle": ["bundle", str(release), "--out", str(tmp_path / "out.tar")],
        "rehydrate": ["rehydrate", str(release), "--captures", str(tmp_path)],
    }.get(command, [command, str(release)])
    return runner.invoke(main, args)


def deep_manifest(release: Path) -> str:
    (release / "manifest.json").write_text(DEEP)
    digest = hashlib.sha256(DEEP.encode()).hexdigest()
    (release / "manifest.json.sha256").write_text(f"{digest}  manifest.json\n")
    return "E001"


def deep_quarantine_line(release: Path) -> str:
    with (release / "quarantine.jsonl").open("a") as handle:
        handle.write(DEEP + "\n")
    vouch_for(release, "quarantine.jsonl", rows=+1)
    return "E015"


def deep_signature(release: Path) -> str:
    (release / "manifest.json.sig.json").write_text(DEEP)
    return "E020"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("make", [deep_manifest, deep_quarantine_line, deep_signature])
def test_json_nested_100000_deep_is_a_problem_not_a_crash(runner, release, tmp_path, command, make):
    code = make(release)
    result = run(runner, command, release, tmp_path)
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert result.exit_code in (0, 1, 2), output  # 3 would be the RecursionError
    assert "Recursion" not in output
    if command in ("verify", "validate"):
        assert result.exit_code == 1
        assert any(line.startswith(code) for line in result.output.splitlines()), output
    if make is deep_manifest:
        assert result.exit_code != 0
        assert "JSON nested deeper than 64 levels" in output


@pytest.mark.parametrize("command", [*COMMANDS, "relations", "rehydrate"])
def test_every_command_says_a_folder_is_not_a_release_in_one_line(runner, tmp_path, command):
    folder = tmp_path / "some-folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a release\n")
    result = run(runner, command, folder, tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"archive: error: {folder} is not a release: no manifest.json"
    ]


def test_diff_against_a_folder_is_a_usage_error(runner, chain, tmp_path):
    folder = tmp_path / "some-folder"
    folder.mkdir()
    result = runner.invoke(main, ["diff", str(chain / "bounded-1.0.0"), str(folder)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"archive: error: {folder} is not a release: no manifest.json"
    ]


def test_a_missing_path_is_not_a_release_either(runner, tmp_path):
    result = runner.invoke(main, ["verify", str(tmp_path / "nothere")])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"archive: error: {tmp_path / 'nothere'} is not a release: it does not exist"
    ]


def test_a_parent_link_that_cannot_be_checked_is_skipped_with_the_reason(runner, chain, tmp_path):
    alone = tmp_path / "bounded-1.1.0"
    shutil.copytree(chain / "bounded-1.1.0", alone)
    report = json.loads(runner.invoke(main, ["verify", str(alone), "--json"]).stdout)
    assert report["ok"]
    assert "parent link" not in report["checks"]
    assert "bounded-1.0.0 is not beside the release" in report["skipped"]["parent link"]
    assert "E030" in report["skipped"]["parent link"]
    beside = json.loads(
        runner.invoke(main, ["verify", str(chain / "bounded-1.1.0"), "--json"]).stdout
    )
    assert "parent link" in beside["checks"]


# A child process verifies under an address-space limit and a timeout, and reports its peak
# resident memory (VmHWM) and time: the bound is the assertion. It takes Arrow's buffers from
# the C library's allocator, as archive's own processes do: mimalloc, pyarrow's default,
# reserves address space by the GiB, which the limit would count against the verify.
CHILD = """
import json, sys, time
from archive.runtime.process import use_system_allocator
use_system_allocator()
from archive.verification import check_release
start = time.monotonic()
report = check_release(sys.argv[1], level=sys.argv[2])
seconds = time.monotonic() - start
status = open("/proc/self/status").read().splitlines()
peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({"codes": sorted({p.code for p in report.problems}),
                  "listed": len(report.problems), "unlisted": report.unlisted,
                  "messages": [p.message for p in report.problems],
                  "peak_mb": peak // 1024, "seconds": seconds}))
"""
# A verify that read a 1 GiB file whole would fail under it. Address space, not memory:
# Arrow's thread pools reserve about 1 GiB of it on first use (each thread's C heap arena and
# stack), which a 1.5 GiB limit left too little room above, depending on when they start.
ADDRESS_SPACE = 2560 * 2**20
PEAK_MB = 400  # the interpreter, pyarrow and the checks: about 150 MB on a small release


def verified_in_child(
    release: Path,
    level: str = "rows",
    timeout: int = 600,
    address_space: int | None = ADDRESS_SPACE,
) -> dict:
    """The child's findings, peak memory and time. ``address_space=None``: no limit, for a case
    where a limit would turn the allocation the bound is about into a quick failure."""

    def limit() -> None:
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(release), level],
        capture_output=True, text=True, timeout=timeout, preexec_fn=limit, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_2_gib_sparse_quarantine_is_not_read(release):
    os.truncate(release / "quarantine.jsonl", 2 * 2**30)
    found = verified_in_child(release)
    assert found["codes"] == ["E006", "E007"]  # hashed as a stream, never parsed
    assert found["peak_mb"] < PEAK_MB, found


@pytest.mark.parametrize(
    "relative, code",
    [
        ("README.md", "E018"),
        ("datapackage.json", "E018"),
        ("schemas/record.schema.json", "E016"),
    ],
)
def test_a_1_gib_sparse_small_file_is_not_read_at_level_sizes(release, relative, code):
    os.truncate(release / relative, 2**30)
    found = verified_in_child(release, level="sizes")
    assert code in found["codes"]
    assert found["peak_mb"] < PEAK_MB, found


@pytest.fixture
def child(chain, tmp_path) -> Path:
    """A copy of bounded-1.1.0, the version with a parent and so a CHANGES.json."""
    copy = tmp_path / "bounded-1.1.0"
    shutil.copytree(chain / "bounded-1.1.0", copy)
    return copy


def test_a_vouched_changes_file_breaking_its_schema_is_e034_as_validate_words_it(child, runner):
    """verify read no CHANGES.json beyond its hash, so a file the manifest vouched for passed,
    while log and report said of it "cannot be read ...: run archive verify"."""
    changes = child / "CHANGES.json"
    data = json.loads(changes.read_bytes())
    data["changed"] = ["0" * 32, "not an id", 7]
    data["bump"]["implied"] = "huge"
    changes.write_bytes(canonical_json(data))
    vouch_for(child, "CHANGES.json")
    expected = [
        "changed/1: 'not an id' does not match '^[0-9a-f]{32}$'",
        "changed/2: 7 is not of type 'string'",
        "bump/implied: 'huge' is not one of ['major', 'minor', 'patch', 'none']",
    ]
    assert [p.message for p in validate(changes).problems] == expected
    assert [(p.code, p.path, p.message) for p in check_release(child).problems] == [
        ("E034", "CHANGES.json", message) for message in expected
    ]
    result = runner.invoke(main, ["verify", str(child)])
    assert result.exit_code == 1 and "E034 CHANGES.json: changed/1: " in result.output
    changes.write_bytes(b'{"counts": {}, "bump": ')
    vouch_for(child, "CHANGES.json")
    [problem] = check_release(child).problems
    assert problem.code == "E034" and problem.message.startswith("not JSON (parse error: ")
    assert "\n" not in problem.message


def test_changes_details_duplicate_keys_and_bad_bytes_are_named(child):
    """Each detail is checked as it comes (a file may list millions), a key given twice is a
    problem (a reader keeps the last, the check would see both), and yajl's message is text."""
    changes = child / "CHANGES.json"
    data = json.loads(changes.read_bytes())
    data["details"] = [{"record_id": "0" * 32, "fields": {"title": {}}}, {"record_id": "x"}]
    text = canonical_json(data)
    changes.write_bytes(text[:-2] + b', "added": []}')
    vouch_for(child, "CHANGES.json")
    assert [p.message for p in check_release(child).problems] == [
        "details/1: 'fields' is a required property",
        "details/1/record_id: 'x' does not match '^[0-9a-f]{32}$'",
        "(document): key 'added' given twice",
    ]
    changes.write_bytes(b"{" + b",".join(b'"k%d": 1' % n for n in range(2000)) + b"}")
    vouch_for(child, "CHANGES.json")
    assert [p.message for p in check_release(child).problems] == [
        "more than 1,024 keys in the top object"  # each held: 18 in a pack's
    ]
    changes.write_bytes(b"\xff\xfe{}")
    vouch_for(child, "CHANGES.json")
    [problem] = check_release(child).problems
    assert problem.message.startswith("not JSON (lexical error: ") and "b'" not in problem.message


def test_a_changes_value_over_32_mib_is_refused_unheld(child):
    """verify built every value but the id lists whole: a bump reason (or details) of any
    size was held, 1.35 GB for 132 MB of details."""
    changes = child / "CHANGES.json"
    data = json.loads(changes.read_bytes())
    data["bump"]["reasons"] = [{"level": "patch", "reason": "x" * (40 * 2**20)}]
    changes.write_bytes(canonical_json(data))
    vouch_for(child, "CHANGES.json")
    found = verified_in_child(child)
    assert found["messages"] == ["bump: one value holds more than 33,554,432 bytes"]
    assert found["peak_mb"] < 250, found


def test_a_changes_file_listing_3_million_ids_is_checked_an_id_at_a_time(child):
    """111 MB of ids: held whole (json.loads), their strings alone would pass the bound."""
    changes = child / "CHANGES.json"
    data = json.loads(changes.read_bytes())
    data["changed"] = []
    head, _, tail = canonical_json(data).partition(b'"changed": []')
    with changes.open("wb") as out:
        out.write(head + b'"changed":[')
        for start in range(0, 3_000_000, 100_000):
            out.write(b",".join(b'"%032x"' % n for n in range(start, start + 100_000)) + b",")
        out.write(b'"X"]' + tail)
    vouch_for(child, "CHANGES.json")
    found = verified_in_child(child)
    assert found["messages"] == ["changed/3000000: 'X' does not match '^[0-9a-f]{32}$'"]
    assert found["peak_mb"] < 250, found


def test_a_manifest_of_many_missing_files_gives_a_bounded_report(release, runner):
    missing = 20_000
    manifest = json.loads((release / "manifest.json").read_bytes())
    manifest["files"] += [
        {"path": f"data/missing-{i:06d}.txt", "bytes": 1, "sha256": "0" * 64, "sha512": "0" * 128}
        for i in range(missing)
    ]
    data = canonical_json(manifest)
    (release / "manifest.json").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (release / "manifest.json.sha256").write_text(f"{digest}  manifest.json\n")
    found = verified_in_child(release)
    assert found["listed"] <= MAX_LISTED * len(found["codes"])
    assert found["unlisted"]["E005"] == missing - MAX_LISTED
    assert found["unlisted"]["E036"] == missing - MAX_LISTED  # not shards, under data/
    assert found["peak_mb"] < PEAK_MB, found
    result = runner.invoke(main, ["verify", str(release)])
    lines = result.stdout.splitlines()
    assert sum(line.startswith("E005") for line in lines) == MAX_LISTED + 1
    assert f"E005 ...: {missing - MAX_LISTED} more E005 problems not listed" in result.stdout
    total = found["listed"] + sum(found["unlisted"].values())
    assert f"FAILED ({total} problems)" in result.stderr


def test_an_older_release_in_a_newer_ones_folder_is_a_warning_and_in_a_bundle_an_error(
    runner, chain, tmp_path
):
    """B12: ``bounded-1.1.0`` replaced by the (valid) 1.0.0."""
    rollback = tmp_path / "bounded-1.1.0"
    shutil.copytree(chain / "bounded-1.0.0", rollback)
    result = runner.invoke(main, ["verify", str(rollback)])
    assert result.exit_code == 0
    assert "W003 manifest.json: the folder bounded-1.1.0 holds release bounded-1.0.0" in (
        result.stderr
    )
    # bundle names the folder after the manifest: the rolled-back bundle is made by hand
    honest_copy = tmp_path / "copy.tar"
    assert runner.invoke(main, ["bundle", str(rollback), "--out", str(honest_copy)]).exit_code == 0
    tar = tmp_path / "bounded-1.1.0.tar"
    with tarfile.open(honest_copy) as source, tarfile.open(tar, "w") as renamed:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            member.name = member.name.replace("bounded-1.0.0", "bounded-1.1.0", 1)
            renamed.addfile(member, data)
    result = runner.invoke(main, ["verify", str(tar)])
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "E027 manifest.json: the bundle's folder bounded-1.1.0/ holds release bounded-1.0.0"
    )
    honest = tmp_path / "honest.tar"
    runner.invoke(main, ["bundle", str(chain / "bounded-1.0.0"), "--out", str(honest)])
    assert runner.invoke(main, ["verify", str(honest)]).exit_code == 0


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _zigzag(value: int) -> bytes:
    encoded, out = (value << 1) ^ (value >> 63), bytearray()
    while True:
        low, encoded = encoded & 0x7F, encoded >> 7
        out.append(low | (0x80 if encoded else 0))
        if not encoded:
            return bytes(out)


def with_footer_counts(footer: bytes, value: int) -> bytes:
    """A Parquet footer (Thrift compact FileMetaData) whose row counts (FileMetaData.num_rows,
    RowGroup.num_rows) and value counts (ColumnMetaData.num_values) all say ``value``."""
    targets = {(3,), (4, 3), (4, 1, 3, 5)}
    out, pos = bytearray(), 0

    def copy(end: int) -> None:
        nonlocal pos
        out.extend(footer[pos:end])
        pos = end

    def value_of(kind: int, path: tuple) -> None:
        nonlocal pos
        if kind in (1, 2):
            return
        if kind == 3:
            copy(pos + 1)
        elif kind in (4, 5):
            copy(_varint(footer, pos)[1])
        elif kind == 6:
            end = _varint(footer, pos)[1]
            if path in targets:
                out.extend(_zigzag(value))
                pos = end
            else:
                copy(end)
        elif kind == 7:
            copy(pos + 8)
        elif kind == 8:
            size, start = _varint(footer, pos)
            copy(start + size)
        elif kind in (9, 10):
            header = footer[pos]
            copy(pos + 1)
            size, elements = header >> 4, header & 0x0F
            if size == 15:
                size, end = _varint(footer, pos)
                copy(end)
            for _ in range(size):
                if elements in (1, 2):
                    copy(pos + 1)
                else:
                    value_of(elements, path)
        elif kind == 11:
            size, end = _varint(footer, pos)
            copy(end)
            if size:
                types = footer[pos]
                copy(pos + 1)
                for _ in range(size):
                    value_of(types >> 4, path)
                    value_of(types & 0x0F, path)
        elif kind == 12:
            struct(path)

    def struct(path: tuple) -> None:
        nonlocal pos
        last = 0
        while True:
            header = footer[pos]
            copy(pos + 1)
            if header == 0:
                return
            if header >> 4:
                last += header >> 4
            else:
                zigzagged, end = _varint(footer, pos)
                copy(end)
                last = (zigzagged >> 1) ^ -(zigzagged & 1)
            value_of(header & 0x0F, (*path, last))

    struct(())
    return bytes(out)


def test_a_footer_declaring_2_31_values_is_refused_before_any_data_is_read(release):
    relative = "data/records-00000-of-00001.parquet"
    data = (release / relative).read_bytes()
    length = int.from_bytes(data[-8:-4], "little")
    footer = with_footer_counts(data[-8 - length : -8], 2**31)
    (release / relative).write_bytes(
        data[: -8 - length] + footer + len(footer).to_bytes(4, "little") + b"PAR1"
    )
    vouch_for(release, relative)  # bytes and hash redone; the manifest's row count kept
    # No address-space limit: under one, the reader's 2^31-value allocation fails at once and
    # hides what it costs (2.7 GB for 11 s before the footer was checked).
    found = verified_in_child(release, address_space=None)
    assert "E009" in found["codes"] and "E014" in found["codes"]
    assert any(
        m.startswith("the Parquet footer declares 2147483648 rows") for m in found["messages"]
    )
    assert found["peak_mb"] < PEAK_MB, found
