"""verify under attack: hostile JSON, files larger than their manifest says, lying Parquet
footers, huge manifests, and things that are not releases. Each input is made here, by the
smallest generator that reproduces the case; where memory or time is the point, the case runs
in a subprocess under an address-space limit and a timeout, and the bound is the assertion."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CREATED

from archive import PackSettings, pack
from archive.cli import main
from archive.format.manifest import file_sha256, write_manifest

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


def vouch_for(release: Path, relative: str, rows: int = 0) -> None:
    """Make the manifest (and its digests) list ``relative`` as it now is, as a forger would."""
    manifest = json.loads((release / "manifest.json").read_bytes())
    for entry in manifest["files"]:
        if entry["path"] == relative:
            entry["sha256"], entry["bytes"] = file_sha256(release / relative)
            if rows:
                entry["rows"] += rows
    write_manifest(release, manifest)


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


@pytest.mark.parametrize("command", [*COMMANDS, "relations"])
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
