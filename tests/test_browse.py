"""Browsing a release from the command line: a record found by source path or URL, and the
relations summarised or listed with each record's title and outlet beside its id.

Expected values are read from the Parquet files with plain pyarrow and Python here, never
through archive's lookup or overview code."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CREATED, pack_example
from hypothesis import given
from hypothesis import strategies as st
from warcdata import fixture_specs, write_warc

from archive import PackSettings
from archive.cli import main
from archive.format import parquetio
from archive.lookup import matching_records, path_suffixes, record_by_key, record_labels
from archive.relations import overview
from archive.relations.overview import relation_listing, relations_overview

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["exact-duplicate", "near-duplicate", "shares-quotation", "paraphrase-of"]
HEADER = re.compile(r"^(\S+): ([0-9a-f]{32}) (->|<->) ([0-9a-f]{32})  score \d\.\d{3}")


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return pack_example(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def rows(release) -> list[dict]:
    return pq.read_table(release / "data").to_pylist()


@pytest.fixture(scope="module")
def relation_rows(release) -> list[dict]:
    return pq.read_table(release / "relations" / "relations.parquet").to_pylist()


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["record_id"]: r for r in rows}


# --- inspect RELEASE SOURCE-PATH-OR-URL ---------------------------------------------------


def test_a_record_is_found_by_its_source_path_in_every_spelling(runner, release, rows):
    row = next(r for r in rows if r["capture"]["source_path"].endswith("lighthouse-museum.txt"))
    stored = row["capture"]["source_path"]
    below_source = stored.split("/", 1)[1]
    on_disk = str(ROOT / "examples" / stored)
    for key in (stored, below_source, on_disk, "./" + stored):
        shown = runner.invoke(main, ["inspect", str(release), key])
        assert shown.exit_code == 0, (key, shown.output)
        assert json.loads(shown.stdout)["record_id"] == row["record_id"]
    assert record_by_key(release, stored)["record_id"] == row["record_id"]


def test_a_record_is_found_by_its_url_and_explained(runner, release, rows):
    counts = Counter(r["capture"]["url"] for r in rows if r["capture"]["url"])
    url = sorted(u for u, n in counts.items() if n == 1)[0]
    row = next(r for r in rows if r["capture"]["url"] == url)
    shown = runner.invoke(main, ["inspect", str(release), url, "--explain"])
    assert shown.exit_code == 0, shown.output
    assert row["title"] and f"| {row['title']}" in shown.stdout
    assert runner.invoke(main, ["inspect", str(release), url, "--json"]).exit_code == 0
    assert json.loads(runner.invoke(main, ["inspect", str(release), url]).stdout) == json.loads(
        runner.invoke(main, ["inspect", str(release), row["record_id"]]).stdout
    )


def test_a_url_captured_twice_lists_both_ids_and_exits_2(runner, release, rows):
    counts = Counter(r["capture"]["url"] for r in rows if r["capture"]["url"])
    url, n = counts.most_common(1)[0]
    assert n == 2  # the example corpus holds one recrawl
    expected = sorted(r["record_id"] for r in rows if r["capture"]["url"] == url)
    shown = runner.invoke(main, ["inspect", str(release), url])
    assert shown.exit_code == 2
    assert [line.split("  ")[0] for line in shown.stdout.splitlines()] == expected
    assert shown.stderr.count("\n") == 1 and "names 2 records" in shown.stderr
    as_json = runner.invoke(main, ["inspect", str(release), url, "--json"])
    assert as_json.exit_code == 2
    assert [c["record_id"] for c in json.loads(as_json.stdout)] == expected
    assert {c["url"] for c in json.loads(as_json.stdout)} == {url}


def test_a_file_name_shared_by_two_captures_is_ambiguous(runner, release, rows):
    expected = sorted(
        r["record_id"]
        for r in rows
        if r["capture"]["source_path"].endswith("/ferry-fares-rise.txt")
    )
    assert len(expected) == 2
    assert [c.record_id for c in matching_records(release, "ferry-fares-rise.txt")] == expected
    shown = runner.invoke(main, ["inspect", str(release), "ferry-fares-rise.txt", "--relations"])
    assert shown.exit_code == 2 and "Traceback" not in shown.output


@pytest.mark.parametrize(
    "key", ["captures/no-such-file.txt", "https://nowhere.example/", "ghost-museum.txt", ""]
)
def test_an_unknown_path_or_url_is_one_line_and_exit_2(runner, release, key):
    shown = runner.invoke(main, ["inspect", str(release), key])
    assert shown.exit_code == 2
    assert shown.stdout == ""
    assert shown.stderr.startswith("archive: error: no record") and shown.stderr.count("\n") == 1


def test_a_url_the_release_does_not_hold_names_no_record_by_its_path(runner, release, rows):
    """A URL is matched whole: its path is not a path on disk holding the source folder."""
    path = rows[0]["capture"]["source_path"]
    assert all(row["capture"]["url"] != f"https://mirror.example/{path}" for row in rows)
    shown = runner.invoke(main, ["inspect", str(release), f"https://mirror.example/{path}"])
    assert shown.exit_code == 2, shown.output
    assert shown.stderr.startswith("archive: error: no record") and shown.stderr.count("\n") == 1


def test_relations_of_a_record_named_by_path(runner, release, rows, relation_rows):
    related = Counter(i for r in relation_rows for i in (r["source_id"], r["target_id"]))
    record_id = sorted(related)[0]
    path = by_id(rows)[record_id]["capture"]["source_path"]
    shown = runner.invoke(main, ["inspect", str(release), path, "--relations", "--json"])
    assert shown.exit_code == 0, shown.output
    assert len(json.loads(shown.stdout)) == related[record_id]


@pytest.fixture(scope="module")
def warc_release(tmp_path_factory) -> Path:
    from archive import pack

    root = tmp_path_factory.mktemp("warc") / "crawl"
    root.mkdir()
    write_warc(root / "crawl.warc", fixture_specs(), gz=False)
    out = tmp_path_factory.mktemp("dist")
    settings = PackSettings(name="crawl", version="1.0.0", created=CREATED, relations=False, jobs=1)
    return pack([root], out, settings).path


def test_a_warc_file_names_many_records_and_its_capture_key_one(runner, warc_release):
    rows = pq.read_table(warc_release / "data").to_pylist()
    assert len(rows) >= 2 and len({r["capture"]["source_path"] for r in rows}) == 1
    path = rows[0]["capture"]["source_path"]
    listed = runner.invoke(main, ["inspect", str(warc_release), path])
    assert listed.exit_code == 2
    assert sorted(line.split("  ")[0] for line in listed.stdout.splitlines()) == sorted(
        r["record_id"] for r in rows
    )
    for row in rows:
        key = f"{path}#{row['capture']['warc_record_id']}"
        shown = runner.invoke(main, ["inspect", str(warc_release), key])
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.stdout)["record_id"] == row["record_id"]


@given(st.lists(st.text(st.sampled_from("abc.-_é"), min_size=1), min_size=1, max_size=6))
def test_every_tail_of_a_path_is_a_suffix_of_it(segments):
    segments = [s for s in segments if s != "."]
    path = "/".join(segments)
    suffixes = path_suffixes(path)
    for start in range(len(segments)):
        assert "/".join(segments[start:]) in suffixes
    assert all(path.endswith(s) for s in suffixes)


# --- relations ------------------------------------------------------------------------------


def label(row: dict) -> str:
    return f"{row['outlet'] or '?'}: {row['title'] or '(no title)'}"


def test_the_listing_keeps_its_pair_lines_and_names_both_records(
    runner, release, rows, relation_rows
):
    records = by_id(rows)
    listed = runner.invoke(main, ["relations", str(release)])
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    headers = [i for i, line in enumerate(lines) if HEADER.match(line)]
    assert len(headers) == len(relation_rows)
    for at, relation in zip(headers, relation_rows, strict=True):
        kind, source, _, target = HEADER.match(lines[at]).groups()
        assert (kind, source, target) == (
            relation["kind"], relation["source_id"], relation["target_id"]
        )  # fmt: skip
        assert lines[at + 1] == f"    source: {label(records[source])}"
        assert lines[at + 2] == f"    target: {label(records[target])}"


def test_the_json_listing_is_the_table_with_titles_and_outlets(
    runner, release, rows, relation_rows
):
    records = by_id(rows)
    listed = json.loads(runner.invoke(main, ["relations", str(release), "--json"]).stdout)
    assert len(listed) == len(relation_rows)
    for shown, stored in zip(listed, relation_rows, strict=True):
        for end in ("source", "target"):
            record = records[stored[f"{end}_id"]]
            assert shown.pop(f"{end}_title") == record["title"]
            assert shown.pop(f"{end}_outlet") == record["outlet"]
        assert shown == stored | {
            "evidence": json.loads(stored["evidence"]),
            "params": json.loads(stored["params"]),
        }
    assert json.loads(json.dumps(list(relation_listing(release)))) == json.loads(
        runner.invoke(main, ["relations", str(release), "--json"]).stdout
    )


def test_the_listing_is_the_same_in_one_row_batches_and_small_chunks(
    release, relation_rows, monkeypatch
):
    """Chunks gather bounded batches: one pass over the titles per chunk, whatever the batch
    size, and the rows (kind and limit too) as one read gives them."""
    whole = list(relation_listing(release))
    kind = relation_rows[-1]["kind"]
    of_kind = list(relation_listing(release, kind=kind))
    passes = []

    def counted(release, ids):
        passes.append(len(set(ids)))
        return record_labels(release, ids)

    monkeypatch.setattr(parquetio, "BATCH_BYTES", 1)
    monkeypatch.setattr(overview, "_CHUNK_ROWS", 3)
    monkeypatch.setattr(overview, "record_labels", counted)
    assert list(relation_listing(release)) == whole
    assert len(passes) <= -(-len(relation_rows) // 3) + 1
    assert list(relation_listing(release, kind=kind)) == of_kind
    assert [r["kind"] for r in of_kind] == [r["kind"] for r in relation_rows if r["kind"] == kind]
    assert list(relation_listing(release, limit=4)) == whole[:4]
    assert list(relation_listing(release, limit=0)) == []


def test_the_summary_is_the_same_in_one_row_batches(release, relation_rows, monkeypatch):
    """The summary is one pass in bounded batches, keeping the best pairs and each family's
    members as it goes: one-row batches give what one read gives, families and pairs whose
    rows fall in different batches included."""
    whole = overview.relations_overview(release)
    one_kind = overview.relations_overview(release, kind=relation_rows[0]["kind"], limit=1)
    monkeypatch.setattr(parquetio, "BATCH_BYTES", 1)
    assert overview.relations_overview(release) == whole
    assert overview.relations_overview(release, kind=relation_rows[0]["kind"], limit=1) == one_kind
    assert whole.total == len(relation_rows)
    assert whole.families == len(families(relation_rows))


def test_limit_lists_the_first_relations_and_says_so(runner, release, relation_rows):
    listed = runner.invoke(main, ["relations", str(release), "--limit", "2"])
    assert listed.exit_code == 0
    pairs = [
        HEADER.match(line).group(2) for line in listed.stdout.splitlines() if HEADER.match(line)
    ]
    assert pairs == [r["source_id"] for r in relation_rows[:2]]
    assert f"2 of {len(relation_rows)} relations listed (--limit)" in listed.stderr
    quiet = runner.invoke(main, ["relations", str(release), "--limit", "2", "-q"])
    assert quiet.stderr == "" and quiet.stdout == listed.stdout
    as_json = runner.invoke(main, ["relations", str(release), "--limit", "1", "--json"])
    assert len(json.loads(as_json.stdout)) == 1
    kind = relation_rows[-1]["kind"]
    one = json.loads(
        runner.invoke(main, ["relations", str(release), "--kind", kind, "--json"]).stdout
    )
    assert [r["kind"] for r in one] == [r["kind"] for r in relation_rows if r["kind"] == kind]
    assert runner.invoke(main, ["relations", str(release), "--limit", "0"]).exit_code == 2


def families(relation_rows: list[dict]) -> dict[str, set[str]]:
    found = defaultdict(set)
    for r in relation_rows:
        if r["group_id"]:
            found[r["group_id"]] |= {r["source_id"], r["target_id"]}
    return found


def test_the_summary_counts_kinds_families_and_shows_top_pairs_with_titles(
    runner, release, rows, relation_rows
):
    records = by_id(rows)
    shown = runner.invoke(main, ["relations", str(release), "--summary"])
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    counts = Counter(r["kind"] for r in relation_rows)
    stated = ", ".join(f"{k} {counts[k]}" for k in KINDS)
    assert lines[0] == f"example 1.0.0: {len(relation_rows)} relations ({stated})"
    for group, members in families(relation_rows).items():
        assert f"  {len(members)} records  {group}  {label(records[group])}" in lines
    for relation in relation_rows:
        for end in ("source_id", "target_id"):
            assert any(
                line.strip().endswith(f"{relation[end]}  {label(records[relation[end]])}")
                for line in lines
            )
    assert "--list" in shown.stderr
    data = json.loads(
        runner.invoke(main, ["relations", str(release), "--summary", "--json"]).stdout
    )
    assert data["counts"] == {k: counts[k] for k in KINDS} and data["total"] == len(relation_rows)
    assert data["families"] == len(families(relation_rows))
    assert {(p["source"]["record_id"], p["target"]["record_id"]) for p in data["top_pairs"]} == {
        (r["source_id"], r["target_id"]) for r in relation_rows
    }


def test_summary_limit_keeps_the_best_pair_of_each_kind(release, relation_rows):
    overview = relations_overview(release, limit=1)
    best = {}
    for r in sorted(relation_rows, key=lambda r: (-r["score"], r["source_id"], r["target_id"])):
        best.setdefault(r["kind"], (r["source_id"], r["target_id"]))
    assert [(p.source_id, p.target_id) for p in overview.pairs] == [
        best[k] for k in KINDS if k in best
    ]
    assert len(overview.largest) == 1
    sizes = sorted(len(m) for m in families(relation_rows).values())
    assert overview.largest[0].size == sizes[-1]


def test_on_a_terminal_relations_summarises_and_piped_it_lists(release):
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "archive.cli", "relations", str(release)],
        stdout=follower, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    os.close(follower)
    printed = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the command has exited and its terminal is drained
            break
        if not chunk:
            break
        printed += chunk
    os.close(leader)
    process.wait(timeout=120)
    assert process.returncode == 0
    assert printed.decode("utf-8").startswith("example 1.0.0: ")
    assert b"top pairs by score" in printed
    piped = subprocess.run(
        [sys.executable, "-m", "archive.cli", "relations", str(release)],
        capture_output=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    assert HEADER.match(piped.stdout.decode("utf-8").splitlines()[0])


def test_labels_name_only_records_the_release_holds(release, rows):
    some = [r["record_id"] for r in rows[:3]]
    labels = record_labels(release, [*some, "0" * 32])
    assert sorted(labels) == sorted(some)
    assert all(labels[r["record_id"]].title == r["title"] for r in rows[:3])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(st.lists(json_values, max_size=4))
def test_a_json_list_written_item_by_item_is_the_list_written_at_once(items):
    import contextlib
    import io

    from archive.cli_output import emit_json, emit_json_list

    whole, streamed = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(whole):
        emit_json(items)
    with contextlib.redirect_stdout(streamed):
        emit_json_list(iter(items))
    assert streamed.getvalue() == whole.getvalue()


def test_a_path_on_the_command_line_that_is_not_utf8_names_its_record(tmp_path):
    """The pack names such a file with \\xNN escapes; the bytes given as an argument (Python's
    argv holds them as surrogates) crashed the lookup (UnicodeEncodeError, exit 3)."""
    source = tmp_path / "src"
    source.mkdir()
    name = os.fsencode(source) + b"/caf\xe9.txt"
    with open(name, "wb") as handle:
        handle.write(b"Cafe reopens on the quay\n\nThe fictional Quay Cafe reopens on Monday.\n")
    out = tmp_path / "dist"
    command = [sys.executable, "-m", "archive.cli"]
    packing = ["pack", str(source), "--out", str(out), "--name", "c", "--version", "1.0.0"]
    packed = subprocess.run([*command, *packing], capture_output=True, check=False)
    assert packed.returncode == 0, packed.stderr
    release = os.fsencode(out / "c-1.0.0")
    for key in (name, b"src/caf\xe9.txt", b"caf\xe9.txt"):
        shown = subprocess.run(
            [*command, "inspect", release, key], capture_output=True, check=False
        )
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["capture"]["source_path"] == "src/caf\\xe9.txt"


@pytest.mark.parametrize(
    ("forged", "why"),
    [
        ({}, "no name string"),
        ([1, 2, 3], "not a JSON object"),
        ("files-null", "files is not a list of entries with a path and a sha256"),
        ("no-created", "no created string"),
    ],
)
def test_a_manifest_that_is_no_release_manifest_stops_every_reader_in_one_line(
    runner, release, tmp_path, forged, why
):
    """JSON vouched for by its digest file but not a manifest ended the readers in an internal
    error (KeyError: 'files', ...)."""
    import hashlib
    import shutil

    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    manifest = json.loads((copy / "manifest.json").read_bytes())
    if forged == "files-null":
        manifest["files"] = None
    elif forged == "no-created":
        del manifest["created"]
    else:
        manifest = forged
    data = json.dumps(manifest).encode()
    (copy / "manifest.json").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (copy / "manifest.json.sha256").write_text(f"{digest}  manifest.json\n", encoding="ascii")
    for command in (
        ["inspect", str(copy)],
        ["relations", str(copy)],
        ["export", str(copy), "--sqlite", str(tmp_path / "x.db")],
        ["report", str(copy), "--out", str(tmp_path / "r")],
        ["bundle", str(copy), "--out", str(tmp_path / "x.tar")],
    ):
        done = runner.invoke(main, command)
        assert done.exit_code == 2, (command, done.output)
        assert done.output.strip().splitlines() == [
            f"archive: error: {copy / 'manifest.json'}: not a release manifest ({why}); "
            "run archive verify"
        ]
