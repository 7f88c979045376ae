"""The command line: exit codes, one-line errors, --json, --help for every command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive.cli import main

COMMANDS = sorted(main.commands)


def pack_args(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [
        "pack",
        str(corpus),
        "--out",
        str(out),
        "--version",
        "1.0.0",
        "--extract",
        "none",
        "--created",
        "2026-01-02T03:04:05Z",
        *extra,
    ]


def test_pack_verify_inspect_round_trip(runner, corpus, capture_log, tmp_path):
    result = runner.invoke(
        main, pack_args(corpus, tmp_path / "dist", "--capture-log", str(capture_log))
    )
    assert result.exit_code == 0, result.output
    release = Path(result.stdout.strip())
    assert release == tmp_path / "dist" / "captures-1.0.0"
    assert "quarantined" in result.stderr
    verified = runner.invoke(main, ["verify", str(release)])
    assert verified.exit_code == 0 and verified.stdout == ""
    assert "OK" in verified.stderr
    summary = runner.invoke(main, ["inspect", str(release)])
    assert summary.exit_code == 0 and "captures 1.0.0" in summary.stdout
    as_json = runner.invoke(main, ["inspect", str(release), "--json"])
    record_id = json.loads(as_json.stdout)["manifest"]["files"] and None
    import pyarrow.parquet as pq

    record_id = pq.read_table(release / "data")["record_id"][0].as_py()
    shown = runner.invoke(main, ["inspect", str(release), record_id])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["record_id"] == record_id


def test_pack_json_summary(runner, corpus, tmp_path):
    result = runner.invoke(main, pack_args(corpus, tmp_path / "dist", "--json"))
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert (
        summary["counts"]["inputs"]
        == summary["counts"]["records"] + summary["counts"]["quarantined"]
    )


def test_bad_capture_log_line_exits_1_with_the_line_named(runner, corpus, tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text('{"path": "coast/ferry-utf8.txt"}\n{broken\n', encoding="utf-8")
    result = runner.invoke(main, pack_args(corpus, tmp_path / "dist", "--capture-log", str(log)))
    assert result.exit_code == 1
    assert re.search(r"^archive: error: log\.jsonl:2: not JSON", result.stderr, re.M)
    assert (tmp_path / "dist" / "captures-1.0.0" / "manifest.json").exists()


def test_a_csv_column_name_that_is_not_utf8_is_one_bad_line_and_the_rows_are_read(
    runner, corpus, tmp_path
):
    """Every row was blamed for it (each a bad line), so the log was refused whole."""
    log = tmp_path / "log.csv"
    log.write_bytes(
        b"path,url,notes\xff\ncoast/ferry-utf8.txt,https://x.example/a,x\n"
        b"inland/deep/mill.txt,https://x.example/b,y\n"
    )
    result = runner.invoke(main, pack_args(corpus, tmp_path / "dist", "--capture-log", str(log)))
    assert result.exit_code == 1, result.output
    said = "archive: error: log.csv:1: not UTF-8 (a column's name; the column is not read)"
    assert said in result.stderr.splitlines()
    manifest = json.loads((tmp_path / "dist" / "captures-1.0.0" / "manifest.json").read_bytes())
    assert (manifest["capture_log"]["entries"], manifest["capture_log"]["bad_lines"]) == (2, 1)


@pytest.mark.parametrize(
    "name, content, line",
    [
        ("log.jsonl", b'{"path": "coast/ferry-utf8.txt"}\n{"path": "inland/caf\xe9.txt"}\n', 2),
        (
            "log.csv",
            b"path,url\ncoast/ferry-utf8.txt,\ninland/deep/mill.txt,https://x.ex/\xff\n",
            3,
        ),
    ],
)
def test_a_capture_log_line_that_is_not_utf8_is_one_bad_line(
    runner, corpus, tmp_path, name, content, line
):
    """It stopped the reading of the whole log: the pack refused to run (exit 2), naming no
    line, and validate said the file could not be read."""
    log = tmp_path / name
    log.write_bytes(content)
    result = runner.invoke(main, pack_args(corpus, tmp_path / "dist", "--capture-log", str(log)))
    assert result.exit_code == 1, result.output
    assert f"archive: error: {name}:{line}: not UTF-8" in result.stderr.splitlines()
    manifest = json.loads((tmp_path / "dist" / "captures-1.0.0" / "manifest.json").read_bytes())
    assert (manifest["capture_log"]["entries"], manifest["capture_log"]["bad_lines"]) == (1, 1)
    checked = runner.invoke(main, ["validate", str(log)])
    assert checked.exit_code == 1 and f"E028 {name}:{line}: not UTF-8" in checked.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["pack", "nowhere", "--version", "1.0.0"], "is not a folder"),
        (
            ["pack", "{corpus}", "--version", "1.0.0", "--created", "yesterday"],
            "--created 'yesterday' is not an RFC 3339 time",
        ),
        (["pack", "{corpus}"], "Missing option '--version'"),
        (["verify", "nowhere"], "nowhere is not a release: it does not exist"),
        (["validate", "nowhere.parquet"], "does not exist"),
        (["inspect", "{release}", "ffffffffffffffffffffffffffffffff"], "no record"),
        (["inspect", "{release}", "not-a-record-id-but-32-chars-xyz"], "32 hex digits"),
        (["inspect", "{release}", "--explain"], "--explain needs a RECORD_ID"),
        (["inspect", "{release}", "x", "--explain", "--relations"], "in two ways: give one"),
        (["inspect", "{release}", "x", "--explain", "--json"], "the same evidence: give one"),
        (["log", "{release}", "--search", "nowhere"], "Path 'nowhere' does not exist"),
        (
            ["pack", "{corpus}", "--out", "{release}", "--version", "2.0.0"],
            "is a release; give the folder that holds it",
        ),
        (
            ["pack", "{corpus}", "--out", "{release}", "--version", "2.0.0", "--dry-run"],
            "is a release; give the folder that holds it",
        ),
        (
            [
                "pack",
                "{corpus}",
                "--out",
                "{release}/manifest.json",
                "--version",
                "2.0.0",
                "--dry-run",
            ],
            "is a file",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(runner, corpus, tmp_path, args, message):
    release = tmp_path / "dist" / "captures-1.0.0"
    runner.invoke(main, pack_args(corpus, tmp_path / "dist"))
    args = [a.format(corpus=corpus, release=release) for a in args]
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("archive: error: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message, where",
    [
        (["pack", "--jobz"], "No such option '--jobz'", "archive pack"),
        (["nosuch"], "No such command 'nosuch'", "archive"),
        (["pack", "x", "--jobs", "zero"], "Invalid value for '--jobs'", "archive pack"),
        (["verify"], "Missing argument 'RELEASE'", "archive verify"),
        (["pack", "--jobs"], "Option '--jobs' requires an argument", "archive pack"),
        (["relations", "x", "--kind"], "Option '--kind' requires an argument", "archive relations"),
    ],
)  # fmt: skip
def test_a_usage_error_of_the_command_line_is_one_line_naming_the_help(args, message, where):
    """What click finds wrong with a command line is told like archive's own errors: one line
    on stderr, exit 2, pointing at the help of the command concerned."""
    command = Path(sys.executable).with_name("archive")  # the installed command, by its name
    result = subprocess.run([command, *args], capture_output=True, text=True)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"archive: error: {message}")
    assert line.endswith(f"; see '{where} --help'")
    assert result.stdout == ""


def test_repacking_onto_a_release_is_refused(runner, corpus, tmp_path):
    assert runner.invoke(main, pack_args(corpus, tmp_path / "dist")).exit_code == 0
    again = runner.invoke(main, pack_args(corpus, tmp_path / "dist"))
    assert again.exit_code == 2 and "immutable" in again.stderr


def test_verify_failure_exits_1_with_each_problem_on_its_line(runner, corpus, tmp_path):
    packed = runner.invoke(main, pack_args(corpus, tmp_path / "dist"))
    assert packed.exit_code == 0, packed.output
    release = Path(packed.stdout.strip())
    assert release.is_relative_to(tmp_path)
    (release / "extra.bin").write_bytes(b"\x00")
    (release / "schemas" / "record.schema.json").write_text("{}", encoding="utf-8")
    result = runner.invoke(main, ["verify", str(release)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("E008 extra.bin:") for line in lines)
    assert any(line.startswith("E007 schemas/record.schema.json:") for line in lines)
    report = json.loads(runner.invoke(main, ["verify", str(release), "--json"]).stdout)
    assert report["ok"] is False and {p["code"] for p in report["problems"]} >= {"E007", "E008"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert f"archive {command}" in result.stdout


def test_every_command_is_documented_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"archive {command}" in readme, command


def test_version(runner):
    from archive import __version__

    assert runner.invoke(main, ["--version"]).stdout.strip().endswith(__version__)


@pytest.mark.parametrize("command", [["inspect", "--json"], ["verify", "--json"], ["diff"]])
def test_a_closed_stdout_ends_quietly_as_unix_tools_do(runner, corpus, tmp_path, command):
    assert runner.invoke(main, pack_args(corpus, tmp_path / "dist")).exit_code == 0
    release = str(tmp_path / "dist" / "captures-1.0.0")
    args = [command[0], release, *([release] if command[0] == "diff" else []), *command[1:]]
    process = subprocess.Popen(
        [sys.executable, "-m", "archive.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader is gone before the first line is written
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert stderr == b""


@pytest.mark.parametrize("kind", ["device", "fifo", "folder", "missing"])
@pytest.mark.parametrize(
    "command",
    [
        ["pack", "{corpus}", "--version", "2.0.0", "--outlets", "{file}"],
        ["pack", "{corpus}", "--version", "2.0.0", "--capture-log", "{file}"],
        ["pack", "{corpus}", "--version", "2.0.0", "--config", "{file}"],
        ["verify", "{release}", "--key", "{file}"],
        ["sign", "{release}", "--key", "{file}"],
    ],
)
def test_file_options_refuse_what_is_not_a_regular_file(runner, corpus, tmp_path, kind, command):
    release = tmp_path / "dist" / "captures-1.0.0"
    if "{release}" in command:
        assert runner.invoke(main, pack_args(corpus, tmp_path / "dist")).exit_code == 0
    file = {"device": "/dev/zero", "folder": str(tmp_path), "missing": str(tmp_path / "nokey")}
    if kind == "fifo":
        os.mkfifo(tmp_path / "fifo")
        file["fifo"] = str(tmp_path / "fifo")
    args = [a.format(corpus=corpus, release=release, file=file[kind]) for a in command]
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    reason = "does not exist" if kind == "missing" else "is not a regular file"
    assert f"'{command[-2]}': {file[kind]} {reason}" in result.stderr
    assert not (tmp_path / "dist" / "captures-2.0.0").exists()


def test_bundle_sign_and_keygen_report_in_json(runner, corpus, tmp_path):
    assert runner.invoke(main, pack_args(corpus, tmp_path / "dist")).exit_code == 0
    release = tmp_path / "dist" / "captures-1.0.0"
    keys = json.loads(runner.invoke(main, ["keygen", str(tmp_path / "k"), "--json"]).stdout)
    assert keys["public_key"] == str(tmp_path / "k.pub") and len(keys["public"]) == 44
    signed = runner.invoke(main, ["sign", str(release), "--key", keys["private_key"], "--json"])
    assert json.loads(signed.stdout)["path"] == str(release / "manifest.json.sig.json")
    bundled = json.loads(runner.invoke(main, ["bundle", str(release), "--json"]).stdout)
    assert bundled["bytes"] == Path(bundled["path"]).stat().st_size > 0


def test_the_end_of_a_pack_says_how_long_it_took(runner, corpus, tmp_path):
    result = runner.invoke(main, pack_args(corpus, tmp_path / "dist"))
    assert re.search(r"^\d+ inputs: .* in \d+\.\d s \([\d,]+ docs/s\)$", result.stderr, re.M)


def packed_release(runner, corpus, tmp_path) -> Path:
    packed = runner.invoke(main, pack_args(corpus, tmp_path / "dist"))
    assert packed.exit_code == 0, packed.output
    return Path(packed.stdout.strip())


def test_validate_failure_exits_1_naming_the_file(runner, corpus, tmp_path):
    release = packed_release(runner, corpus, tmp_path)
    records = tmp_path / "records.jsonl"
    records.write_text('{"record_id": "not hex"}\nnot json\n', encoding="utf-8")
    result = runner.invoke(main, ["validate", str(release), str(records)])
    assert result.exit_code == 1, result.output
    assert "records.jsonl:2: not JSON" in result.output
    assert runner.invoke(main, ["validate", str(release)]).exit_code == 0


def test_signing_a_tampered_release_exits_1_and_writes_nothing(runner, corpus, tmp_path):
    release = packed_release(runner, corpus, tmp_path)
    assert runner.invoke(main, ["keygen", str(tmp_path / "k.key")]).exit_code == 0
    (release / "extra.bin").write_bytes(b"\x00")
    result = runner.invoke(main, ["sign", str(release), "--key", str(tmp_path / "k.key")])
    assert result.exit_code == 1
    assert result.stderr.startswith("E008 extra.bin:")
    assert not (release / "manifest.json.sig.json").exists()


def boom(*args, **kwargs):
    raise RuntimeError("a bug in a check")


@pytest.mark.parametrize(
    "command",
    [
        ["keygen", "{file}/key"],
        ["report", "{release}", "--out", "{file}/report"],
        ["bundle", "{release}", "--out", "{file}/release.tar"],
        ["pack", "{corpus}", "--out", "{file}/dist", "--name", "c", "--version", "2.0.0"],
        ["pack", "{corpus}", "--out", "{file}", "--name", "c", "--version", "2.0.0"],
    ],
)
def test_a_place_that_cannot_be_written_is_one_line_exit_2(runner, corpus, tmp_path, command):
    """A folder that cannot be made or written (here: under a file; read-only, missing) is the
    user's to fix: it was an internal error (exit 3), naming the partial file at that."""
    out = tmp_path / "dist"
    assert runner.invoke(main, ["pack", str(corpus), "--out", str(out), "--name", "c",
                                "--version", "1.0.0"]).exit_code == 0  # fmt: skip
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder\n")
    values = {"file": a_file, "release": out / "c-1.0.0", "corpus": corpus}
    result = runner.invoke(main, [part.format(**values) for part in command])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    if "{file}" in command:
        assert line == f"archive: error: the output folder {a_file} is a file"
    else:  # the place asked for, or the file in its way
        assert line.startswith(f"archive: error: {a_file}") and "partial" not in line, line
        assert line.endswith((": Not a directory", ": File exists")), line
    assert not list(tmp_path.glob("**/.*partial*"))


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, which takes no files")
def test_a_database_that_cannot_be_made_is_one_line_exit_2(runner, corpus, tmp_path):
    out = tmp_path / "dist"
    assert runner.invoke(main, ["pack", str(corpus), "--out", str(out), "--name", "c",
                                "--version", "1.0.0"]).exit_code == 0  # fmt: skip
    result = runner.invoke(main, ["export", str(out / "c-1.0.0"), "--sqlite", "/proc/c.db"])
    assert result.exit_code == 2
    assert result.stderr == (
        "archive: error: /proc: a database cannot be written there (unable to open database file)\n"
    )


def test_a_bug_exits_3_with_one_line_and_no_traceback(runner, corpus, tmp_path, monkeypatch):
    release = packed_release(runner, corpus, tmp_path)
    monkeypatch.setattr("archive.verification.api.run_checks", boom)
    monkeypatch.delenv("ARCHIVE_DEBUG", raising=False)
    result = runner.invoke(main, ["verify", str(release)])
    assert result.exit_code == 3
    assert result.stderr == (
        "archive: internal error: RuntimeError: a bug in a check (ARCHIVE_DEBUG=1 shows more)\n"
    )
    assert "Traceback" not in result.output
    monkeypatch.setenv("ARCHIVE_DEBUG", "1")
    debugged = runner.invoke(main, ["verify", str(release)])
    assert isinstance(debugged.exception, RuntimeError) and debugged.exit_code != 3


def test_a_bug_exits_3_from_the_installed_command(runner, corpus, tmp_path):
    release = packed_release(runner, corpus, tmp_path)
    program = (
        "import sys, archive.verification.api as api\n"
        "def boom(*args, **kwargs):\n"
        "    raise KeyError('lost')\n"
        "api.run_checks = boom\n"
        "from archive.cli import main\n"
        "sys.argv = ['archive', 'verify', sys.argv[1]]\n"
        "main()\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "ARCHIVE_DEBUG"}
    root = str(Path(__file__).resolve().parents[1])
    environment["PYTHONPATH"] = os.pathsep.join([root, environment.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", program, str(release)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr == "archive: internal error: KeyError: 'lost' (ARCHIVE_DEBUG=1 shows more)\n"
    assert done.stdout == ""


BLAS_THREADS = """
import os, sys
from archive.runtime.process import forgo_blas_threads
if sys.argv[1] == "forgo":
    forgo_blas_threads()
import numpy
print(len(os.listdir("/proc/self/task")))
"""


@pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2,
    reason="counts a Linux process's threads; OpenBLAS starts none on one core",
)
def test_the_command_loads_numpy_without_blas_threads():
    """numpy's BLAS starts a thread per core that spins before it sleeps (archive calls no
    BLAS routine): the command's processes load it with none, unless the environment chose."""
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}

    def threads(mode: str, extra: dict | None = None) -> int:
        run = subprocess.run(
            [sys.executable, "-c", BLAS_THREADS, mode],
            capture_output=True,
            text=True,
            env={**environment, **(extra or {})},
            check=True,
        )
        return int(run.stdout)

    if threads("default") < 2:
        pytest.skip("this numpy starts no BLAS threads of its own")
    assert threads("forgo") == 1
    assert threads("forgo", {"OPENBLAS_NUM_THREADS": "2"}) > 1  # the user's choice stands


def test_version_and_help_answer_without_loading_the_pipeline():
    probe = (  # through run(), what the installed command calls
        "import contextlib, io, sys\n"
        "from archive.cli import run\n"
        "for flag in ('--version', '--help'):\n"
        "    sys.argv = ['archive', flag]\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            run()\n"
        "        except SystemExit as exc:\n"
        "            assert exc.code == 0, exc.code\n"
        "heavy = {'pyarrow', 'trafilatura', 'pycld2', 'fasttext', 'numpy'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "import os\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    # and numpy, loaded later, will start no BLAS threads
    assert _probed(probe, unset="OPENBLAS_NUM_THREADS") == ["[]", "1"]


def _probed(probe: str, *args: str, unset: str) -> list[str]:
    """What ``probe`` prints, run in a fresh interpreter with ``args`` and without the
    environment variable ``unset``."""
    environment = {k: v for k, v in os.environ.items() if k != unset}
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, env=environment
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_pack_starts_its_workers_before_loading_pyarrow(tmp_path):
    """A pack's options (paths, URLs) are read and its fork server started before the command
    itself imports pyarrow, so the server's imports run beside the command's, not after them;
    Arrow still allocates from the C library (the variable chooses, pyarrow not loaded yet)."""
    probe = (
        "import sys\n"
        "import archive.runtime.executors as executors\n"
        "def started(jobs=None):\n"
        "    print(sorted({'pyarrow', 'numpy'} & set(sys.modules)))\n"
        "    raise SystemExit(0)\n"
        "executors.workers_started_early = started\n"
        "from archive.cli import run\n"
        "sys.argv = ['archive', 'pack', sys.argv[1], '--out', sys.argv[2], '--version', '1.0.0']\n"
        "try:\n"
        "    run()\n"
        "finally:\n"
        "    import os\n"
        "    print(os.environ.get('ARROW_DEFAULT_MEMORY_POOL'))\n"
    )
    printed = _probed(
        probe, str(tmp_path), f"file://{tmp_path}/dist", unset="ARROW_DEFAULT_MEMORY_POOL"
    )
    assert printed == ["[]", "system"]
