"""Fault injection: flip, insert or delete bytes anywhere in any file of a (signed) release;
``verify`` must fail every trial and name the damaged file. And the tiers: which level catches
which fault, reproducible samples, and the same report whatever ``jobs``."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import CREATED

from archive import PackSettings, check_release
from archive.cli import main
from archive.format.manifest import file_digests, write_manifest
from archive.format.parquetio import write_parquet
from archive.format.signing import SIGNATURE_FILE, write_keypair
from archive.verification import CHECKS, LEVELS, sign

SETTINGS = PackSettings("faults", "1.0.0", CREATED, extract="none", shards=2)
TRIALS = 420
SEED = 20260102


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    return write_keypair(tmp_path_factory.mktemp("keys") / "faults.key")


@pytest.fixture(scope="module")
def pristine(packed_captures, keys) -> Path:
    captures = {
        f"bulletin-{i:02d}.txt": f"Tide bulletin {i}\n\nThe harbour office at fictional Gullhaven "
        f"expects a {i % 5 + 1}.{i % 10} metre tide; the slipway stays shut {i} hours.\n"
        for i in range(30)
    }
    captures["bulletin-03-copy.txt"] = captures["bulletin-03.txt"]
    captures["empty.txt"] = b""
    release = packed_captures("bulletins", captures, SETTINGS)
    sign(release, keys[0], created=CREATED)
    return release


@pytest.fixture
def release(pristine, tmp_path) -> Path:
    copy = tmp_path / pristine.name
    shutil.copytree(pristine, copy)
    return copy


def every_file(release: Path) -> list[str]:
    return sorted(
        Path(folder, name).relative_to(release).as_posix()
        for folder, _, names in os.walk(release)
        for name in names
    )


def damage(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["flip", "insert", "delete"])
    position = rng.randrange(len(data) + (kind == "insert"))
    if kind == "flip":
        return kind, data[:position] + bytes([data[position] ^ rng.randrange(1, 256)]) + data[
            position + 1 :
        ]
    if kind == "insert":
        return kind, data[:position] + bytes([rng.randrange(256)]) + data[position:]
    return kind, data[:position] + data[position + 1 :]


def names(problem, relative: str) -> bool:
    return (
        problem.path == relative
        or problem.path.startswith(f"{relative}:")
        or relative in problem.message
    )


def test_pristine_signed_release_verifies_at_every_level(release, keys):
    for level in LEVELS:
        report = check_release(release, level=level, key=keys[1])
        assert report.ok, report.problems
        assert sorted(report.checks + list(report.skipped)) == sorted(c.name for c in CHECKS)


def test_every_damaged_byte_fails_naming_the_file(release, keys):
    files = every_file(release)
    assert SIGNATURE_FILE in files and "manifest.json.sha256" in files and len(files) >= 8
    rng = random.Random(SEED)
    originals = {relative: (release / relative).read_bytes() for relative in files}
    missed = []
    for trial in range(TRIALS):
        relative = files[trial % len(files)]
        kind, damaged = damage(originals[relative], rng)
        (release / relative).write_bytes(damaged)
        try:
            problems = check_release(release, key=keys[1]).problems
        finally:
            (release / relative).write_bytes(originals[relative])
        if not any(names(p, relative) for p in problems):
            missed.append((trial, relative, kind, [str(p) for p in problems]))
    assert not missed, missed[:5]


@pytest.mark.parametrize("kind", ["flip", "insert", "delete"])
def test_damage_is_caught_from_the_tier_that_can_see_it(release, kind):
    shard = release / "data" / "records-00000-of-00002.parquet"
    data = shard.read_bytes()
    middle = len(data) // 2
    shard.write_bytes(
        {
            "flip": data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :],
            "insert": data[:middle] + b"\x00" + data[middle:],
            "delete": data[:middle] + data[middle + 1 :],
        }[kind]
    )
    caught = {level: not check_release(release, level=level).ok for level in LEVELS}
    assert caught["hashes"] and caught["rows"]
    if kind != "flip":
        assert caught["sizes"]  # a changed size needs no hashing


def test_a_deleted_or_added_file_is_caught_by_structure_alone(release):
    (release / "data" / "records-00001-of-00002.parquet").unlink()
    (release / "data" / "stowaway.parquet").write_bytes(b"PAR1")
    report = check_release(release, level="structure")
    found = {(p.code, p.path) for p in report.problems}
    assert ("E005", "data/records-00001-of-00002.parquet") in found
    assert ("E008", "data/stowaway.parquet") in found
    assert report.skipped["file SHA-256"] == "not run at level structure"


def rewrite_rows(release: Path, change) -> None:
    """Rewrite a shard's rows and every hash above them, as a careful forger would."""
    shard = release / "data" / "records-00000-of-00002.parquet"
    table = change(pq.read_table(shard))
    write_parquet(table, shard)
    manifest = json.loads((release / "manifest.json").read_bytes())
    for entry in manifest["files"]:
        if entry["path"] == "data/records-00000-of-00002.parquet":
            entry["sha256"], entry["sha512"], entry["bytes"] = file_digests(shard)
    write_manifest(release, manifest)
    (release / SIGNATURE_FILE).unlink()


def test_a_forged_row_is_caught_only_by_the_rows_tier(release):
    def forge(table: pa.Table) -> pa.Table:
        texts = table["text"].to_pylist()
        texts[0] = texts[0].replace("tide", "flood")
        index = table.schema.get_field_index("text")
        return table.set_column(index, table.schema.field(index), pa.array(texts, pa.string()))

    rewrite_rows(release, forge)
    assert check_release(release, level="hashes").ok
    assert {p.code for p in check_release(release).problems} == {"E012"}


def test_sample_is_reproducible_and_finds_a_forged_row_it_draws(release):
    def forge_all(table: pa.Table) -> pa.Table:
        index = table.schema.get_field_index("capture_text")
        texts = [t + " (edited)" for t in table["capture_text"].to_pylist()]
        return table.set_column(index, table.schema.field(index), pa.array(texts, pa.string()))

    rewrite_rows(release, forge_all)
    first = check_release(release, level="sizes", sample=5, seed=7)
    second = check_release(release, level="sizes", sample=5, seed=7)
    assert first.as_dict() == second.as_dict()
    assert "E012" in {p.code for p in first.problems} or all(
        "records-00001" in w.message for w in first.warnings
    )
    assert [w.code for w in first.warnings] == ["W002"]
    assert "file SHA-256" in first.skipped and "counts by field" in first.skipped
    everything = check_release(release, level="sizes", sample=10_000)
    assert "E012" in {p.code for p in everything.problems}


def test_the_report_is_the_same_whatever_jobs(release):
    (release / "data" / "stowaway.txt").write_text("not ours", encoding="utf-8")
    quarantine = release / "quarantine.jsonl"
    quarantine.write_bytes(quarantine.read_bytes().replace(b"empty", b"emptY"))
    one = check_release(release, jobs=1).as_dict()
    two = check_release(release, jobs=2).as_dict()
    assert one == two and not one["ok"]


def test_unsafe_manifest_paths_are_reported_and_never_opened(release, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("outside", encoding="utf-8")
    manifest = json.loads((release / "manifest.json").read_bytes())
    entry = dict(manifest["files"][0], path="../secret.txt")
    manifest["files"] = sorted([*manifest["files"], entry], key=lambda e: e["path"])
    write_manifest(release, manifest)
    os.symlink(secret, release / "data" / "link.parquet")
    problems = check_release(release).problems
    assert ("E019", "../secret.txt") in {(p.code, p.path) for p in problems}
    assert ("E019", "data/link.parquet") in {(p.code, p.path) for p in problems}
    assert not any(p.code == "E007" and "secret" in p.path for p in problems)


@contextlib.contextmanager
def _small_device(folder: Path, size: str):
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("no small device can be mounted here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_is_exit_4_naming_the_folder_and_leaves_nothing(tmp_path):
    captures = tmp_path / "captures"
    captures.mkdir()
    rng = random.Random(7)
    for n in range(400):
        words = " ".join(
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(2000)
        )
        (captures / f"{n:03}.txt").write_text(f"Story {n}\n\n{words}\n", encoding="utf-8")
    with _small_device(tmp_path / "small", "3m") as dist:
        result = subprocess.run(
            [sys.executable, "-m", "archive.cli", "pack", str(captures), "--out", str(dist),
             "--version", "1.0.0", "--jobs", "2", "--no-relations"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        left = sorted(p.name for p in dist.iterdir())
    assert result.returncode == 4, result.stderr
    assert result.stderr.splitlines() == [
        f"archive: error: no space left on the device of {dist}; nothing was written (a pack "
        "needs about six times the release's size free while it works)"
    ]
    assert left == []


def test_no_space_from_a_writer_is_exit_4_and_removes_the_partial_release(
    tmp_path, corpus, monkeypatch
):
    from archive.release import stages

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(stages, "write_parquet", full)  # the shard writer, as stages calls it
    args = ["pack", str(corpus), "--out", str(tmp_path / "dist"), "--version", "1.0.0"]
    result = CliRunner().invoke(main, [*args, "--jobs", "1"])
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith(f"archive: error: no space left on the device of {tmp_path}")
    assert list((tmp_path / "dist").iterdir()) == []
