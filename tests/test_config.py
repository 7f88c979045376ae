"""archive.toml: a collection packs with no long command line; options override the file."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.collection import find_collection, load_collection, pack_settings
from archive.errors import UsageError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_example_collection_file_is_complete():
    collection = load_collection(EXAMPLES / "archive.toml")
    assert collection.name == "example" and collection.license == "CC0-1.0"
    assert collection.sources == (EXAMPLES / "captures",)
    assert collection.capture_log == EXAMPLES / "captures.jsonl"
    assert dict(collection.outlets)["harbourcourier.example"] == "The Harbour Courier"


def test_options_override_the_file_and_environment_sets_created():
    collection = load_collection(EXAMPLES / "archive.toml")
    settings = pack_settings(
        sources=list(collection.sources), name="renamed", version="2.0.0", extract="none",
        collection=collection, environ={"SOURCE_DATE_EPOCH": "1767225600"},
    )  # fmt: skip
    assert settings.name == "renamed" and settings.extract == "none"
    assert (
        settings.license == "CC0-1.0"
        and settings.created.isoformat() == "2026-01-01T00:00:00+00:00"
    )


def test_pack_from_config_then_a_second_version_with_a_withdrawal(runner, tmp_path):
    root = tmp_path / "collection"
    (root / "captures").mkdir(parents=True)
    for n in range(3):
        (root / "captures" / f"n{n}.txt").write_text(
            f"Ferry timetable {n}\n\nThe winter timetable adds {n} sailings.\n", encoding="utf-8"
        )
    config = root / "archive.toml"
    config.write_text(
        '[collection]\nname = "ferries"\nsources = ["captures"]\nout = "dist"\nextract = "none"\n'
        '[rights]\nholder = "Ferry Weekly"\n',
        encoding="utf-8",
    )
    args = ["pack", "--config", str(config), "--created", "2026-01-02T00:00:00Z", "--json"]
    first = runner.invoke(main, [*args, "--version", "1.0.0"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["path"] == str(root / "dist" / "ferries-1.0.0") and summary["parent"] is None
    import pyarrow.parquet as pq

    victim = pq.read_table(root / "dist" / "ferries-1.0.0" / "data")["record_id"][0].as_py()
    config.write_text(
        config.read_text() + f'[[withdraw]]\nrecord_id = "{victim}"\nreason = "duplicate upload"\n',
        encoding="utf-8",
    )
    second = runner.invoke(main, [*args, "--version", "1.1.0"])
    assert second.exit_code == 0, second.output
    summary = json.loads(second.stdout)
    assert summary["parent"]["version"] == "1.0.0"
    assert summary["counts"]["withdrawn"] == 1 and summary["counts"]["reused"] == 2
    assert any("parent" in note for note in summary["notes"])
    # a withdrawal removes a record: the rules call for a major version, and say so
    assert any("imply a major bump: use 2.0.0" in note for note in summary["notes"])
    changes = json.loads((root / "dist" / "ferries-1.1.0" / "CHANGES.json").read_bytes())
    assert [t["record_id"] for t in changes["withdrawn"]] == [victim]
    assert changes["bump"]["implied"] == "major"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[collection]\nnmae = 'x'\n", "unknown key"),
        ("[[withdraw]]\nrecord_id = 'short'\nreason = 'x'\n", "record_id 'short' is malformed"),
        ("[[withdraw]]\nreason = 'x'\n", "needs a record_id and a reason"),
        ("[collection\n", "archive.toml"),
        ("[outlets]\n'a.example' = 3\n", "[outlets]"),
        ("[collection]\nsources = 'captures'\n", "sources must be a list"),
        ("withdraw = ['0123']\n", "[[withdraw]] tables"),
        ("rights = 'all'\n", "[rights] must be a table"),
        ("[collection]\nname = 3\n", "name must be a string"),
    ],
)
def test_bad_config_is_a_usage_error_naming_the_problem(tmp_path, text, message):
    path = tmp_path / "archive.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match="archive.toml") as caught:
        find_collection(None, cwd=tmp_path)
    assert message in str(caught.value)


def test_bad_tier_in_config(tmp_path):
    path = tmp_path / "archive.toml"
    path.write_text("[collection]\ntier = 'partial'\n", encoding="utf-8")
    with pytest.raises(UsageError, match="tier must be one of"):
        pack_settings(
            sources=[tmp_path], name=None, version="1.0.0", collection=load_collection(path)
        )


def test_mistaken_capture_logs_and_outlet_files_stop_before_a_version_is_used(
    runner, corpus, capture_log, tmp_path
):
    outlets = tmp_path / "outlets.toml"
    outlets.write_text('[outlets]\n"harbourcourier.example" = "Harbour Courier"\n', "utf-8")
    base = ["pack", str(corpus), "--out", str(tmp_path / "dist"), "--version", "1.0.0"]
    as_log = runner.invoke(main, [*base, "--capture-log", str(outlets)])
    assert as_log.exit_code == 2
    assert "2 of 2 lines cannot be used (line 1: not JSON" in as_log.stderr
    assert "is it a capture log?" in as_log.stderr
    as_outlets = runner.invoke(main, [*base, "--outlets", str(capture_log)])
    assert as_outlets.exit_code == 2
    no_table = tmp_path / "other.toml"
    no_table.write_text('[collection]\nname = "x"\n', "utf-8")
    without = runner.invoke(main, [*base, "--outlets", str(no_table)])
    assert without.exit_code == 2 and "no [outlets] table" in without.stderr
    assert not list((tmp_path / "dist").glob("*"))


def test_capture_log_lines_that_name_no_input_are_said(runner, corpus, capture_log, tmp_path):
    with capture_log.open("a", encoding="utf-8") as log:
        log.write('{"path": "coast/not-captured.txt", "url": "https://x.example/a"}\n')
    base = ["pack", str(corpus), "--out", str(tmp_path / "dist"), "--version", "1.0.0"]
    result = runner.invoke(main, [*base, "--capture-log", str(capture_log)])
    assert result.exit_code == 0, result.output
    assert "archive: warning: 1 capture-log lines name no input" in result.stderr.splitlines()


@pytest.mark.parametrize(
    "bad_line, reason",
    [
        ('{"path": "coast/\\ud800.txt"}', "lone surrogate"),
        ('{"path": "a.txt", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested deeper than"),
        ('{"path": "a.txt", "note": "' + "x" * 2_000_000 + '"}', "longer than 1,048,576"),
    ],
)
def test_a_hostile_capture_log_line_is_one_bad_line(runner, corpus, capture_log, tmp_path,
                                                     bad_line, reason):  # fmt: skip
    lines = capture_log.read_text(encoding="utf-8").splitlines()
    capture_log.write_text("\n".join([lines[0], bad_line, *lines[1:]]) + "\n", encoding="utf-8")
    base = ["pack", str(corpus), "--out", str(tmp_path / "dist"), "--version", "1.0.0"]
    result = runner.invoke(main, [*base, "--capture-log", str(capture_log)])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("archive: error:")]
    assert len(errors) == 1 and errors[0].startswith("archive: error: captures.jsonl:2: ")
    assert reason in errors[0]
    manifest = json.loads((tmp_path / "dist" / "captures-1.0.0" / "manifest.json").read_bytes())
    assert manifest["capture_log"]["entries"] == 2 and manifest["capture_log"]["bad_lines"] == 1


def test_a_csv_field_over_the_limit_is_one_bad_row(runner, corpus, tmp_path):
    log = tmp_path / "log.csv"
    rows = ["path,url", "coast/ferry-utf8.txt,https://h.example/a"]
    rows += [
        'inland/deep/mill.txt,"' + "x" * 1_500_000 + '"',
        "coast/ferry-bom.txt,https://h.example/b",
    ]
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    base = ["pack", str(corpus), "--out", str(tmp_path / "dist"), "--version", "1.0.0"]
    result = runner.invoke(main, [*base, "--capture-log", str(log)])
    assert result.exit_code == 1, result.output
    manifest = json.loads((tmp_path / "dist" / "captures-1.0.0" / "manifest.json").read_bytes())
    assert manifest["capture_log"]["entries"] == 2 and manifest["capture_log"]["bad_lines"] == 1


def test_paths_from_archive_toml_are_printed_normalised(tmp_path, monkeypatch):
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    args = ["pack", "--config", "examples/archive.toml", "--version", "1.0.0", "-q"]
    result = CliRunner().invoke(main, [*args, "--created", "2026-01-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "dist/example-1.0.0\n"


def test_the_api_exports_the_config_reader_and_progress_bars(tmp_path):
    import archive

    config = archive.load_config(Path(__file__).resolve().parents[1] / "examples" / "archive.toml")
    assert config.name == "example" and config.license == "CC0-1.0"
    assert ".." not in config.out.parts
    bars = archive.ProgressBars(file=io.StringIO(), unit="documents")
    bars("extract", 0, 10)
    bars("extract", 10, 10)
    assert bars.bar.n == 10 and bars.bar.total == 10
    bars.close()
