"""``trust_mtime``: a re-pack that takes an input whose size and modification time are those
the parent's pack read it with as unchanged, without reading it. Opt-in, and recorded."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CREATED

from archive import PackSettings, pack, verify
from archive.collection import load_collection, pack_settings
from archive.errors import UsageError
from archive.release import stages
from archive.release.cache import cache_path

BASE = PackSettings("trusting", "1.0.0", CREATED, shards=2)
LONG_AGO_NS = 1_700_000_000 * 10**9  # November 2023: well before any pack of these tests


def story(n: int, word: str = "repairs") -> str:
    return (
        f"Quarry road reopens, part {n}\n\nBy Mira Tollund\n\n"
        f"The Ashcombe quarry road reopened after {n} weeks of {word}.\n\n"
        f"Residents counted {n * 7} lorries on the first morning.\n"
    )


def write(path: Path, text: str, mtime_ns: int | None = LONG_AGO_NS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def texts(release: Path) -> dict[str, str]:
    table = pq.read_table(release / "data", columns=["capture", "text"]).to_pylist()
    return {r["capture"]["source_path"]: r["text"] for r in table}


def shard_bytes(release: Path) -> dict[str, bytes]:
    files = [*sorted((release / "data").glob("*.parquet")), release / "quarantine.jsonl"]
    return {p.name: p.read_bytes() for p in files}


@pytest.fixture
def first(tmp_path) -> tuple[Path, Path]:
    root = tmp_path / "captures"
    for n in range(10):
        write(root / f"s{n:02d}.txt", story(n))
    return root, pack([root], tmp_path / "dist", BASE).path


def test_an_unchanged_input_is_not_read_and_the_manifest_says_why(first, tmp_path, monkeypatch):
    root, v1 = first
    opened = []
    real_open = stages.input_descriptor
    monkeypatch.setattr(
        stages, "input_descriptor", lambda path: opened.append(path) or real_open(path)
    )
    settings = replace(BASE, version="1.1.0", trust_mtime=True, jobs=1)
    trusting = pack([root], tmp_path / "dist", settings)
    assert opened == [] and trusting.manifest["counts"]["reused"] == 10
    assert shard_bytes(trusting.path) == shard_bytes(v1)
    assert trusting.manifest["settings"]["trust_mtime"] is True
    assert verify(trusting.path).ok
    reading = pack([root], tmp_path / "dist", replace(BASE, version="1.1.1", jobs=1), parent=v1)
    assert len(opened) == 10 and reading.manifest["counts"]["reused"] == 10
    assert "trust_mtime" not in reading.manifest["settings"]


def test_an_edit_that_keeps_size_and_mtime_is_seen_by_its_change_time(first, tmp_path):
    """Same size, same mtime restored, other bytes: the inode's change time, which no one can
    set, tells the edit (as git's index does)."""
    root, _ = first
    write(root / "s03.txt", story(3, "detours"))
    trusting = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0", trust_mtime=True))
    assert trusting.manifest["counts"]["reused"] == 9
    assert "detours" in texts(trusting.path)["captures/s03.txt"]


def test_a_file_replaced_by_another_with_its_mtime_restored_is_read(first, tmp_path):
    """``cp -p``, ``rsync -a``, ``tar x``: another file (another inode) in its place, with the
    old size and mtime."""
    root, _ = first
    other = tmp_path / "other.txt"
    write(other, story(3, "detours"))
    os.replace(other, root / "s03.txt")
    trusting = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0", trust_mtime=True))
    assert "detours" in texts(trusting.path)["captures/s03.txt"]


def test_another_source_folder_of_the_same_name_is_read(tmp_path):
    """A copy of the folder, mtimes kept, one file edited with its mtime restored: the record
    ids are the same (``<root name>/<path>``), the files are not."""
    old, new = tmp_path / "old" / "captures", tmp_path / "new" / "captures"
    for n in range(4):
        write(old / f"s{n:02d}.txt", story(n))
        write(new / f"s{n:02d}.txt", story(n, "detours" if n == 2 else "repairs"))
    pack([old], tmp_path / "dist", BASE)
    trusting = pack([new], tmp_path / "dist", replace(BASE, version="1.1.0", trust_mtime=True))
    assert "detours" in texts(trusting.path)["captures/s02.txt"]


def test_a_touched_or_changed_input_is_read_and_the_release_is_a_reading_packs(first, tmp_path):
    root, v1 = first
    write(root / "s04.txt", story(4), mtime_ns=LONG_AGO_NS + 10**9)  # touched: same bytes
    write(root / "s05.txt", story(5, "resurfacing"))  # another size: read, whatever its mtime
    write(root / "s10.txt", story(10))  # new
    trusting = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0", trust_mtime=True))
    reading = pack([root], tmp_path / "read", replace(BASE, version="1.1.0"), parent=v1)
    assert trusting.manifest["counts"]["reused"] == reading.manifest["counts"]["reused"] == 9
    assert "resurfacing" in texts(trusting.path)["captures/s05.txt"]
    assert shard_bytes(trusting.path) == shard_bytes(reading.path)
    settings = trusting.manifest["settings"]
    assert settings.pop("trust_mtime") is True
    assert settings == reading.manifest["settings"]


def test_a_capture_log_change_re_derives_a_trusted_input(tmp_path):
    root = tmp_path / "captures"
    for n in range(3):
        write(root / f"s{n:02d}.txt", story(n))
    log = tmp_path / "log.jsonl"
    lines = [{"path": f"s{n:02d}.txt", "url": f"https://ashcombe.example/{n}"} for n in range(3)]
    log.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    pack([root], tmp_path / "dist", BASE, capture_log=log)
    lines[1]["url"] = "https://ashcombe.example/moved"
    log.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    settings = replace(BASE, version="1.1.0", trust_mtime=True)
    v2 = pack([root], tmp_path / "dist", settings, capture_log=log)
    assert v2.manifest["counts"]["reused"] == 2
    urls = pq.read_table(v2.path / "data", columns=["capture"])["capture"].to_pylist()
    assert "https://ashcombe.example/moved" in [c["url"] for c in urls]


def test_a_file_modified_just_before_its_pack_is_never_trusted(tmp_path):
    root = tmp_path / "captures"
    for n in range(4):
        write(root / f"s{n:02d}.txt", story(n), mtime_ns=None)  # written now
    v1 = pack([root], tmp_path / "dist", BASE).path
    stamp = os.stat(root / "s02.txt").st_mtime_ns
    write(root / "s02.txt", story(2, "detours"), mtime_ns=stamp)  # same size and mtime
    trusting = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0", trust_mtime=True))
    assert "detours" in texts(trusting.path)["captures/s02.txt"]
    assert texts(v1)["captures/s02.txt"] != texts(trusting.path)["captures/s02.txt"]


def test_without_the_parents_cache_every_input_is_read(first, tmp_path):
    root, v1 = first
    write(root / "s03.txt", story(3, "detours"))
    (cache_path(v1) / "seen.arrow").unlink()
    trusting = pack([root], tmp_path / "dist", replace(BASE, version="1.1.0", trust_mtime=True))
    assert trusting.manifest["counts"]["reused"] == 9
    assert "detours" in texts(trusting.path)["captures/s03.txt"]


def test_trust_mtime_is_opt_in_from_archive_toml_or_the_command_line(tmp_path):
    config = tmp_path / "archive.toml"
    common = dict(sources=[tmp_path], name="n", version="1.0.0", environ={})
    config.write_text('[collection]\nname = "n"\n', encoding="utf-8")
    assert not pack_settings(**common, collection=load_collection(config)).trust_mtime
    assert pack_settings(**common, trust_mtime=True).trust_mtime
    assert "trust_mtime" not in pack_settings(**common).output_settings()
    config.write_text("[collection]\ntrust_mtime = true\n", encoding="utf-8")
    settings = pack_settings(**common, collection=load_collection(config))
    assert settings.output_settings()["trust_mtime"] is True
    overridden = pack_settings(**common, collection=load_collection(config), trust_mtime=False)
    assert not overridden.trust_mtime and "trust_mtime" not in overridden.output_settings()
    config.write_text('[collection]\ntrust_mtime = "yes"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="trust_mtime must be true or false"):
        load_collection(config)


def test_the_command_line_turns_archive_tomls_trust_off(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from archive.cli import main

    for n in range(2):
        write(tmp_path / "captures" / f"s{n:02d}.txt", story(n))
    (tmp_path / "archive.toml").write_text(
        '[collection]\nname = "trusting"\ntrust_mtime = true\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    args = ["pack", "captures", "--out", "dist", "--created", "2026-01-01T00:00:00Z", "--json"]
    trusting = CliRunner().invoke(main, [*args, "--version", "1.0.0"])
    reading = CliRunner().invoke(main, [*args, "--version", "1.1.0", "--no-trust-mtime"])
    assert trusting.exit_code == reading.exit_code == 0, (trusting.output, reading.output)
    settings = [
        json.loads((tmp_path / "dist" / f"trusting-{v}" / "manifest.json").read_text())["settings"]
        for v in ("1.0.0", "1.1.0")
    ]
    assert settings[0]["trust_mtime"] is True and "trust_mtime" not in settings[1]
