"""``archive validate`` recognises every kind of file a release or a collection has, checks each
against its schema, and says what is wrong in one line naming the file and the line."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import raw_strings
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from archive.capture.capturelog import entry_from_mapping
from archive.cli import main
from archive.format.parquetio import write_parquet_batches
from archive.relations.table import RELATIONS_ARROW_SCHEMA
from archive.verification.validation import KINDS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CAPTURE_LOG_SCHEMA = json.loads((ROOT / "schemas" / "capture-log.schema.json").read_bytes())


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The example's 1.0.0 and 1.1.0 (which has CHANGES.json), packed by the command."""
    out = tmp_path_factory.mktemp("dist")
    nxt = shutil.copytree(EXAMPLES / "captures", out.parent / "next" / "captures")
    shutil.copy(EXAMPLES / "next" / "ferry-timetable.txt", nxt / "quillwire")
    common = ["--outlets", str(EXAMPLES / "outlets.toml"), "--out", str(out), "-q"]
    common += ["--name", "example"]
    for version, src, log, created in (
        ("1.0.0", EXAMPLES / "captures", EXAMPLES / "captures.jsonl", "2026-01-01T00:00:00Z"),
        ("1.1.0", nxt, EXAMPLES / "next" / "captures.jsonl", "2026-02-01T00:00:00Z"),
    ):
        args = ["pack", str(src), "--capture-log", str(log), "--version", version]
        done = CliRunner().invoke(main, [*args, *common, "--created", created])
        assert done.exit_code == 0, done.output
    return out


def run(*args: str | Path) -> tuple[int, list[str], list[dict] | None]:
    """(exit code, stdout lines, --json reports) of ``archive validate ARGS``."""
    result = CliRunner().invoke(main, ["validate", *map(str, args)])
    reports = None
    if "--json" in args and result.exit_code in (0, 1):
        reports = json.loads(result.stdout)
    return result.exit_code, result.stdout.splitlines(), reports


def test_the_command_offers_every_kind():
    [kind] = [p for p in main.commands["validate"].params if p.name == "kind"]
    assert tuple(kind.type.choices) == KINDS and "outlets" in KINDS


@pytest.mark.parametrize(
    ("relative", "check"),
    [
        ("example-1.1.0/data/records-00000-of-00001.parquet", "record schema by column"),
        ("example-1.1.0/relations/relations.parquet", "relations schema"),
        ("example-1.1.0/quarantine.jsonl", "quarantine schema per line"),
        ("example-1.1.0/manifest.json", "manifest schema"),
        ("example-1.1.0/CHANGES.json", "changes schema"),
        ("example-1.1.0/datapackage.json", "datapackage regenerated"),
        ("example-1.1.0/croissant.json", "croissant regenerated"),
    ],
)
def test_every_file_of_a_release_is_valid_as_its_kind(dist, relative, check):
    code, lines, reports = run(dist / relative, "--json")
    assert code == 0 and reports[0]["ok"], lines
    assert any(c.startswith(check) for c in reports[0]["checks"]), reports[0]["checks"]


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("captures.jsonl", "capture-log schema per line"),
        ("captures.csv", "capture-log schema per line"),
        ("next/captures.jsonl", "capture-log schema per line"),
        ("outlets.toml", "outlets table as pack reads it"),
        ("archive.toml", "archive.toml as pack reads it"),
    ],
)
def test_every_file_of_a_collection_is_valid_as_its_kind(name, check):
    code, lines, reports = run(EXAMPLES / name, "--json")
    assert code == 0 and reports[0]["ok"], lines
    assert reports[0]["checks"] == [check]


def test_a_bundle_is_a_release(dist, tmp_path):
    bundled = CliRunner().invoke(
        main, ["bundle", str(dist / "example-1.0.0"), "--out", str(tmp_path / "e.tar")]
    )
    assert bundled.exit_code == 0, bundled.output
    code, lines, reports = run(tmp_path / "e.tar", "--json")
    assert code == 0 and reports[0]["records"] == 15, lines
    (tmp_path / "e.tar").write_bytes((tmp_path / "e.tar").read_bytes()[:-20000])
    assert run(tmp_path / "e.tar")[0] in (1, 2)


def test_a_release_and_its_files_together(dist):
    release = dist / "example-1.0.0"
    code, lines, _ = run(release, release / "relations" / "relations.parquet", "-q")
    assert (code, lines) == (0, [])


@pytest.mark.parametrize("name", ["record", "manifest", "quarantine", "relations"])
def test_a_releases_schema_copy_is_no_file_validate_checks(dist, name):
    """Taken for a manifest, each copy pack writes was reported INVALID (E004, exit 1)."""
    copy = dist / "example-1.0.0" / "schemas" / f"{name}.schema.json"
    result = CliRunner().invoke(main, ["validate", str(copy)])
    assert result.exit_code == 2
    assert result.output.startswith(f"archive: error: {copy}: a JSON Schema")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "log.jsonl",
            '{"path": "a.txt", "url": "https://x.example/a"}\n\n'
            '{"path": "b.txt", "retrieved_at": "yesterday"}\n',
            [
                "E028 log.jsonl:3: retrieved_at: 'yesterday' is not what the schema states: "
                "When it was captured: an RFC 3339 time with a zone."
            ],
        ),
        (
            "log.jsonl",
            '{"path": "../outside.txt"}\n{"url": "https://x.example/"}\nnot json\n',
            [
                "E028 log.jsonl:1: path: '../outside.txt' is not what the schema states: The "
                "captured file, relative to the source folder ('/' or '\\' between folders), "
                "without '..' segments, not absolute, no drive or scheme.",
                "E028 log.jsonl:2: (line): 'path' is a required property",
                "E028 log.jsonl:3: not JSON (Expecting value at column 1)",
            ],
        ),
        (
            "log.jsonl",  # the schema holds; pack still could not use them
            '{"path": "a.txt", "published_at": "2024-02-30"}\n{"path": "b.txt"}\n'
            '{"path": "b.txt", "outlet": "Again"}\n',
            [
                "E028 log.jsonl:1: 'published_at': day is out of range for month",
                "E028 log.jsonl:3: path 'b.txt' already given on line 2",
            ],
        ),
        (
            "log.csv",
            "path,url,redistribution\na.txt,https://x.example/a,sometimes\nb.txt,,\n",
            [
                "E028 log.csv:2: redistribution: 'sometimes' is not one of "
                "['full', 'metadata-only', None, '']"
            ],
        ),
        (
            "log.csv",
            "path,url\na.txt,https://x.example/a,extra\n",
            ["E028 log.csv:2: more fields than the header names"],
        ),
        (
            "log.csv",  # a quote left open in the header takes every line after it
            'path,"url\na.txt,https://x.example/a\nb.txt,https://x.example/b\n',
            ["E028 log.csv:3: the header has a line break in a name (a quote left open?)"],
        ),
        (
            "log.csv",  # the header's last line, whatever follows it
            'path,"u\nrl",note\na.txt,https://x.example/a,1\n',
            ["E028 log.csv:2: the header has a line break in a name (a quote left open?)"],
        ),
        (
            "log.csv",  # a header that cannot be read: no row is read without it
            "path," + "u" * (1024 * 1024 + 2) + "\npath,url\na.txt,https://x.example/a\n",
            ["E028 log.csv:1: cannot be read as CSV (field larger than field limit (1048576))"],
        ),
        (
            "log.csv",  # a quote left open takes the lines after it into one field
            'path,url\na.txt,"https://x.example/a\nb.txt,https://x.example/b\nc.txt,u\n',
            [
                "E028 log.csv:4: the row ending here has a line break in 'url' (a quote left "
                "open earlier?)"
            ],
        ),
        (
            "outlets.toml",
            '[outlet]\n"x.example" = "X"\n',
            ["E029 outlets.toml: no [outlets] table (domains mapped to outlet names)"],
        ),
        (
            "outlets.toml",
            '[outlets]\n"x.example" = 3\n',
            ["E029 outlets.toml: [outlets] must map domains to outlet names"],
        ),
        (
            "archive.toml",
            '[collection]\nnmae = "x"\n',
            ["E029 archive.toml: unknown key(s) in [collection]: nmae"],
        ),
        (
            "archive.toml",
            '[colection]\nname = "x"\n',
            ["E029 archive.toml: unknown table(s) [colection]: pack would ignore them"],
        ),
        (
            "archive.toml",
            "[collection\n",
            [
                "E029 archive.toml: Expected ']' at the end of a table declaration "
                "(at line 1, column 12)"
            ],
        ),
        (
            "quarantine.jsonl",
            '{"source_path": "a", "reason": "nope", "message": "m", "bytes": 1, '
            '"sha256": null, "offset": null}\n',
            [
                "E015 quarantine.jsonl:1: reason: 'nope' is not one of ['empty', 'binary', "
                "'undecodable', 'unreadable', 'outside-source', 'symlink', 'too-large', "
                "'unsupported', 'damaged', 'repeated-id', 'capture-log']"
            ],
        ),
        (
            "records.jsonl",
            '{"record_id": "not hex"}\n',
            None,  # many: every missing column; checked below by code
        ),
        ("manifest.json", "[1, 2", ["E001 manifest.json: not JSON"]),
        (
            "CHANGES.json",
            '{"format": "archive-changes"}',
            ["E034 CHANGES.json: (document): 'added' is a required property"],
        ),
        (
            "datapackage.json",
            '{"name": "x", "resources": []}',
            ["E018 datapackage.json: resources: [] should be non-empty"],
        ),
        (
            "croissant.json",
            '{"@context": {}, "@type": "sc:Thing"}',
            ["E018 croissant.json: (document): 'name' is a required property"],
        ),
    ],
)
def test_a_broken_file_of_each_kind_is_one_line_per_problem(tmp_path, name, text, expected):
    path = write(tmp_path, name, text)
    code, lines, _ = run(path)
    assert code == 1, lines
    if expected is None:
        assert lines and all(line.startswith("E011 records.jsonl:1: ") for line in lines)
        return
    for line in expected:
        match = [found for found in lines if found.startswith(line)]
        assert match, (line, lines)
    assert all(line.split()[0] == expected[0].split()[0] for line in lines)


def test_a_log_line_naming_a_file_with_a_line_break_in_its_name_is_valid(tmp_path):
    """JSON can spell such a name, and pack applies the line: so does validate (a '..' in such
    a name is still refused)."""
    path = write(tmp_path, "log.jsonl", '{"path": "new\\nline.txt"}\n')
    assert run(path)[:2] == (0, [])
    write(tmp_path, "log.jsonl", '{"path": "new\\nline/../../x.txt"}\n')
    code, lines, _ = run(path)
    assert code == 1 and [line.split()[0] for line in lines] == ["E028"]


def test_relations_breaking_their_schema(dist, tmp_path):
    table = pq.read_table(dist / "example-1.0.0" / "relations" / "relations.parquet")
    rows = table.to_pylist()
    at = next(i for i, r in enumerate(rows) if r["kind"] == "shares-quotation")
    rows[at]["evidence"] = json.dumps({"quotations": []})
    rows[0]["evidence"] = "not json"
    rows[1]["score"] = 1.5
    bad = tmp_path / "relations.parquet"
    write_parquet_batches(
        [pa.Table.from_pylist(rows, schema=RELATIONS_ARROW_SCHEMA)], RELATIONS_ARROW_SCHEMA, bad
    )
    code, lines, _ = run(bad)
    assert code == 1
    assert "E024 relations.parquet: /score: 1 value(s) break" in lines[0]
    assert sorted(lines[1:]) == sorted(
        [
            "E024 relations.parquet:row 1: evidence: not JSON",
            f"E024 relations.parquet:row {at + 1}: evidence: quotations: [] should be non-empty",
        ]
    )
    other = tmp_path / "other-columns.parquet"
    pq.write_table(pa.table({"source_id": ["a"], "target_id": ["b"], "kind": ["x"]}), other)
    code, lines, _ = run(other)
    assert code == 1 and lines[0].startswith("E024 other-columns.parquet: columns ")


@pytest.mark.parametrize("column", ["params", "source_id"])
def test_a_relation_string_that_is_not_utf8_is_e009(dist, tmp_path, column):
    table = pq.read_table(dist / "example-1.0.0" / "relations" / "relations.parquet")
    values = [value.encode() for value in table[column].to_pylist()]
    values[-1] = values[-1][:-1] + b"\xff"
    bad = raw_strings(values)
    path = tmp_path / "relations.parquet"
    at = table.schema.get_field_index(column)
    pq.write_table(table.set_column(at, table.schema.field(column), bad), path)
    code, lines, _ = run(path)
    assert code == 1 and lines[0].startswith("E009 relations.parquet: cannot be read as Parquet")
    assert "UTF8" in lines[0]


def test_a_derived_file_beside_its_manifest_is_regenerated(dist, tmp_path):
    copy = shutil.copytree(dist / "example-1.0.0", tmp_path / "example-1.0.0")
    card = json.loads((copy / "datapackage.json").read_bytes())
    card["title"] = "Another title"
    (copy / "datapackage.json").write_text(json.dumps(card), encoding="utf-8")
    code, lines, _ = run(copy / "datapackage.json")
    assert code == 1
    assert lines == [f"E018 datapackage.json: differs from what {copy / 'manifest.json'} derives"]


@pytest.mark.parametrize("kind", ["datapackage", "croissant"])
def test_a_derived_file_under_another_name_is_compared_as_its_kind(dist, tmp_path, kind):
    copy = shutil.copytree(dist / "example-1.0.0", tmp_path / "example-1.0.0")
    renamed = copy / f"published-{kind}.json"
    shutil.copyfile(copy / f"{kind}.json", renamed)
    assert run(renamed, "--kind", kind)[:2] == (0, [])
    assert run(renamed, "-q")[:2] == (0, [])  # the kind told by its content


def test_kind_overrides_name_and_content(dist, tmp_path):
    log = shutil.copy(EXAMPLES / "captures.jsonl", tmp_path / "my-log.txt")
    code, lines, _ = run(log)
    assert code == 2
    code, lines, reports = run("--kind", "capture-log", log, "--json")
    assert code == 0 and reports[0]["checks"] == ["capture-log schema per line"]
    # A quarantine file is not a capture log: each line says why.
    quarantine = dist / "example-1.0.0" / "quarantine.jsonl"
    code, lines, _ = run("--kind", "capture-log", quarantine)
    assert code == 1 and lines == ["E028 quarantine.jsonl:1: (line): 'path' is a required property"]


def test_the_kind_is_told_by_content(dist, tmp_path):
    """Renamed files are still recognised by what they hold."""
    release = dist / "example-1.1.0"
    renamed = {
        "r.parquet": release / "relations" / "relations.parquet",
        "c.json": release / "CHANGES.json",
        "m.json": release / "manifest.json",
        "q.jsonl": release / "quarantine.jsonl",
        "log.ndjson": EXAMPLES / "captures.jsonl",
        "rules.toml": EXAMPLES / "outlets.toml",
        "settings.toml": EXAMPLES / "archive.toml",
    }
    for name, source in renamed.items():
        shutil.copy(source, tmp_path / name)
    code, lines, reports = run(*(tmp_path / n for n in renamed), "--json")
    assert code == 0, lines
    assert [r["checks"][0].split()[0] for r in reports] == [
        "relations",
        "changes",
        "manifest",
        "quarantine",
        "capture-log",
        "outlets",
        "archive.toml",
    ]


def test_usage_errors_exit_2(dist, tmp_path):
    assert run(tmp_path / "nothere.jsonl")[0] == 2
    assert run("--kind", "release", EXAMPLES / "captures.csv")[0] == 2
    assert run("--kind", "manifest", dist / "example-1.0.0")[0] == 2
    assert run("--kind", "nonsense", EXAMPLES / "captures.csv")[0] == 2


# --- the capture-log schema states what pack reads --------------------------------------------

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-9, minutes=-30))]
)


def _rfc3339(moment: datetime, separator: str, seconds: bool) -> str:
    text = moment.isoformat(sep=separator, timespec="seconds" if seconds else "minutes")
    return text.replace("+00:00", "Z") if moment.utcoffset() == timedelta(0) else text


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    zone=_ZONES,
    separator=st.sampled_from(["T", " "]),
    seconds=st.booleans(),
    day_only=st.booleans(),
)
def test_every_time_the_schema_states_is_read_by_pack(moment, zone, separator, seconds, day_only):
    moment = moment.replace(tzinfo=zone, microsecond=0)
    text = moment.date().isoformat() if day_only else _rfc3339(moment, separator, seconds)
    line = {"path": "a/b.txt", "published_at": text}
    if not day_only:
        line["retrieved_at"] = text
    assert not list(Draft202012Validator(CAPTURE_LOG_SCHEMA).iter_errors(line))
    entry = entry_from_mapping(line, 1)
    if day_only:
        assert entry.published_at.date() == moment.date()
    else:
        expected = moment if seconds else moment.replace(second=0)
        assert entry.retrieved_at == expected.astimezone(UTC)


@given(st.sampled_from(["2024-06-07T17:37:00", "yesterday", "2024-06-07T17:37Z junk", "17:37"]))
def test_times_without_a_zone_break_the_schema_and_pack_refuses_them(text):
    line = {"path": "a.txt", "retrieved_at": text}
    assert list(Draft202012Validator(CAPTURE_LOG_SCHEMA).iter_errors(line))
    with pytest.raises(ValueError):
        entry_from_mapping(line, 1)


def test_a_quarantine_line_that_is_not_utf8_is_e015(tmp_path):
    entry = {
        "source_path": "a.bin",
        "reason": "unsupported",
        "message": "not a capture",
        "bytes": 1,
        "sha256": "0" * 64,
        "offset": None,
    }
    path = tmp_path / "quarantine.jsonl"
    good = json.dumps(entry).encode()
    path.write_bytes(good + b"\n" + good.replace(b"a.bin", b"\xff.bin") + b"\n")
    code, lines, _ = run(path)
    problems = [line for line in lines if line.startswith("E")]
    assert code == 1 and problems == [
        "E015 quarantine.jsonl:2: not UTF-8 ('utf-8' codec can't decode byte 0xff in position "
        f"{good.index(b'a.bin')}: invalid start byte)"
    ], lines


def test_blank_lines_of_a_records_jsonl_are_skipped_as_a_capture_logs_are(tmp_path):
    """A records file may come from any tool; only a quarantine file is read as verify reads
    it (quarantine.jsonl's blank lines are E015: tests/test_verify.py)."""
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n{not json\n\r\n")
    code, lines, _ = run(path)
    problems = [line for line in lines if line.startswith("E")]
    assert code == 1 and problems == [
        "E011 records.jsonl:2: not JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))"
    ], lines


def test_a_path_that_cannot_be_checked_is_said_and_the_others_are_still_checked(dist, tmp_path):
    """A missing path or a truncated bundle stopped the command at once: the paths after it
    were never checked, and --json printed nothing."""
    release = dist / "example-1.0.0"
    bundle = tmp_path / "example-1.0.0.tar"
    assert CliRunner().invoke(main, ["bundle", str(release), "--out", str(bundle)]).exit_code == 0
    cut = tmp_path / "cut.tar"
    cut.write_bytes(bundle.read_bytes()[:30_000])
    missing = tmp_path / "nowhere.parquet"
    result = CliRunner().invoke(main, ["validate", str(cut), str(missing), str(release)])
    assert result.exit_code == 2  # a usage error among them: the worst outcome wins
    assert result.stderr.splitlines() == [
        f"archive: error: {cut} cannot be read as a tar bundle (unexpected end of data)",
        f"archive: error: {missing} does not exist",
        f"valid: {release}",
    ]
    result = CliRunner().invoke(main, ["validate", str(cut), str(release), "--json"])
    assert result.exit_code == 1
    reports = json.loads(result.stdout)
    assert [(r["path"], r["ok"]) for r in reports] == [(str(cut), False), (str(release), True)]
    assert reports[0]["error"].endswith("cannot be read as a tar bundle (unexpected end of data)")
    verified = CliRunner().invoke(main, ["verify", str(cut), "--json"])
    assert verified.exit_code == 1
    assert json.loads(verified.stdout) == {
        "path": str(cut),
        "ok": False,
        "error": reports[0]["error"],
    }


def test_a_capture_log_line_giving_a_key_twice_is_refused_as_pack_refuses_it(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text(
        '{"path": "a.txt", "redistribution": "metadata-only", "redistribution": "full"}\n'
        '{"path": "b.txt", "extra": {"note": "x\\": y"}}\n',
        encoding="utf-8",
    )
    code, lines, _ = run("--kind", "capture-log", log)
    assert code == 1
    assert lines[:1] == [
        "E028 log.jsonl:1: a key given twice in one object (which value holds is not known)"
    ]
