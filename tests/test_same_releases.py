"""``benchmarks/same_releases.py``: two versions of the code that make the same releases are
told the same, and a version whose extractor says another version is told apart, file by file."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import benchmark_module

ROOT = Path(__file__).resolve().parents[1]


def test_two_checkouts_are_the_same_until_one_names_another_extractor(tmp_path, capsys):
    same_releases = benchmark_module("same_releases")
    copy = tmp_path / "copy"
    for part in ("archive", "schemas"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    # a folder given is kept, though it is a git worktree (a .git file) as its own are
    (copy / ".git").write_text("gitdir: /nowhere\n", encoding="utf-8")
    options = ["--sets", "examples", "--workdir", str(tmp_path / "work"), "--jobs", "1"]
    assert same_releases.main([str(ROOT), str(copy), *options]) == 0
    assert "examples: 18 files, same" in capsys.readouterr().out
    assert (copy / "archive" / "__init__.py").is_file()

    extract = copy / "archive" / "extract" / "__init__.py"
    source = extract.read_text(encoding="utf-8")
    assert 'EXTRACTOR_VERSION = "' in source
    extract.write_text(source.replace('EXTRACTOR_VERSION = "', 'EXTRACTOR_VERSION = "x-'))
    assert same_releases.main([str(ROOT), str(copy), *options]) == 1
    told = capsys.readouterr().out
    assert "examples: 18 files, DIFFER" in told
    assert "  data/records-00000-of-00001.parquet: other bytes" in told


def test_a_version_that_cannot_pack_is_told_in_one_line(tmp_path, capsys):
    same_releases = benchmark_module("same_releases")
    copy = tmp_path / "copy"
    ignored = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "archive", copy / "archive", ignore=ignored)  # no schemas folder
    options = ["--sets", "examples", "--workdir", str(tmp_path / "work"), "--jobs", "1"]
    assert same_releases.main([str(ROOT), str(copy), *options]) == 2
    assert capsys.readouterr().out.endswith(f"examples: the pack of {copy} failed (2)\n")
