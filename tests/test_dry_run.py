"""``archive pack --dry-run`` says what a pack would do and writes nothing to --out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from archive.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _pack(out: Path, captures: Path, log: Path, version: str, *extra: str):
    args = ["pack", str(captures), "--capture-log", str(log), "--outlets"]
    args += [str(EXAMPLES / "outlets.toml"), "--out", str(out), "--name", "example"]
    args += ["--version", version, "--created", "2026-02-01T00:00:00Z", *extra]
    return CliRunner().invoke(main, args)


def test_a_dry_run_reports_reuse_and_the_implied_bump_and_writes_nothing(tmp_path):
    dist = tmp_path / "dist"
    first = _pack(dist, EXAMPLES / "captures", EXAMPLES / "captures.jsonl", "1.0.0", "-q")
    assert first.exit_code == 0, first.output
    captures = tmp_path / "next" / "captures"
    shutil.copytree(EXAMPLES / "captures", captures)
    shutil.copy(EXAMPLES / "next" / "ferry-timetable.txt", captures / "quillwire")
    log = EXAMPLES / "next" / "captures.jsonl"
    before = sorted(p.name for p in dist.iterdir())
    result = _pack(dist, captures, log, "1.0.1", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["would_write"] == str(dist / "example-1.0.1")
    assert summary["counts"]["inputs"] == 17 and summary["counts"]["reused"] == 14
    assert summary["parent"]["version"] == "1.0.0"
    assert summary["bump"]["implied"] == "minor" and "use 1.1.0" in summary["bump"]["warning"]
    assert summary["capture_log"]["unmatched"] == 0
    assert sorted(p.name for p in dist.iterdir()) == before  # the version is not used up
    text = _pack(dist, captures, log, "1.1.0", "--dry-run")
    assert (
        text.stdout.splitlines()[0]
        == f"dry run: would write {dist}/example-1.1.0 (nothing written)"
    )
    assert "implied bump: minor" in text.stdout.splitlines()
    assert _pack(dist, captures, log, "1.1.0", "-q").exit_code == 0  # and the real pack agrees


def test_a_dry_run_exits_as_the_pack_would_when_a_log_line_is_bad(tmp_path):
    """A bad capture-log line makes the pack exit 1; its dry run says so and exits 1 too, with
    its summary still printed."""
    log = tmp_path / "captures.jsonl"
    lines = (EXAMPLES / "captures.jsonl").read_text("utf-8").splitlines()
    log.write_text("\n".join([*lines, "not json"]) + "\n", "utf-8")
    dist = tmp_path / "dist"
    for extra in (["--json"], []):
        result = _pack(dist, EXAMPLES / "captures", log, "1.0.0", "--dry-run", *extra)
        assert result.exit_code == 1, result.output
        if extra:
            summary = json.loads(result.stdout)
            assert summary["capture_log"]["bad_lines"] == 1
            assert summary["errors"] == [
                f"captures.jsonl:{len(lines) + 1}: not JSON (Expecting value at column 1)"
            ]
        else:
            assert f"error: captures.jsonl:{len(lines) + 1}: not JSON" in result.stdout
    assert not dist.exists() or not any(dist.iterdir())
    assert _pack(dist, EXAMPLES / "captures", log, "1.0.0", "-q").exit_code == 1  # the pack
