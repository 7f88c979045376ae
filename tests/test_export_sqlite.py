"""``archive export --sqlite``: the example release as a SQLite database, served by a real
Datasette on a local port and queried over its JSON API.

Expected counts are computed from the Parquet files with DuckDB, independently of the exporter."""

from __future__ import annotations

import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import pack_example

from archive import check_release
from archive.cli import main
from archive.errors import UsageError
from archive.exporters import sqlite as exporter
from archive.format import parquetio

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return pack_example(tmp_path_factory.mktemp("dist"), "--license", "CC0-1.0")


@pytest.fixture(scope="module")
def database(release, tmp_path_factory) -> Path:
    from click.testing import CliRunner

    target = tmp_path_factory.mktemp("export") / "example.db"
    result = CliRunner().invoke(main, ["export", str(release), "--sqlite", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{target}\n"
    assert f"datasette {target} -m {target.with_name('example.metadata.json')}" in result.stderr
    return target


def facet_counts(release: Path, expression: str) -> dict[str, int]:
    """value -> records, for the non-null values of ``expression``, by DuckDB over the shards."""
    query = (
        f"SELECT {expression} AS value, count(*) FROM read_parquet(?) "
        "WHERE value IS NOT NULL GROUP BY value"
    )
    return dict(duckdb.execute(query, [str(release / "data" / "*.parquet")]).fetchall())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - a local server
        return json.loads(response.read())


@pytest.fixture(scope="module")
def datasette(database):
    """The base URL of a Datasette serving ``database`` with its metadata; stopped after."""
    port = free_port()
    metadata = database.with_name("example.metadata.json")
    command = [sys.executable, "-m", "datasette", "serve", str(database), "-m", str(metadata),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get_json(f"{base}/-/versions.json")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield f"{base}/example"
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()


def test_datasette_finds_a_known_title_by_full_text_search(datasette, release):
    rows = pq.read_table(release / "data", columns=["record_id", "title", "text"]).to_pylist()
    row = next(r for r in rows if r["title"] and "museum" in r["title"].lower())
    found = get_json(f"{datasette}/records.json?_search=museum&_shape=objects")
    assert [r["title"] for r in found["rows"]] == [row["title"]]
    assert found["rows"][0]["record_id"] == row["record_id"]
    # a word of a body that no title holds is found too: bodies are indexed
    words = [set(re.findall(r"\w+", (r["text"] or "").lower())) for r in rows]
    titles = set(re.findall(r"\w+", " ".join(r["title"] or "" for r in rows).lower()))
    word = min(w for w in words[0] - titles if w.isascii() and w.isalpha() and len(w) > 6)
    holding = {r["record_id"] for r, held in zip(rows, words, strict=True) if word in held}
    searched = get_json(f"{datasette}/records.json?_search={word}&_shape=objects&_size=max")
    assert {r["record_id"] for r in searched["rows"]} == holding


def test_datasette_facets_on_outlet_language_and_month_count_the_parquet(datasette, release):
    shown = get_json(f"{datasette}/records.json?_size=0")
    facets = shown["facet_results"]
    facets = facets.get("results", facets)  # Datasette 1.0 nests them
    found = {
        column: {v["value"]: v["count"] for v in facets[column]["results"]}
        for column in ("outlet", "language", "month")
    }
    assert found["outlet"] == facet_counts(release, "outlet")
    assert found["language"] == facet_counts(release, "language")
    assert found["month"] == facet_counts(release, "strftime(published_date, '%Y-%m')")
    assert sum(found["outlet"].values()) < shown["filtered_table_rows_count"]  # some unknown
    assert (
        shown["filtered_table_rows_count"]
        == pq.ParquetFile(next((release / "data").glob("*.parquet"))).metadata.num_rows
    )


def test_datasette_serves_relations_and_quarantine(datasette, release):
    relations = get_json(f"{datasette}/relations.json?_shape=objects&_size=max")["rows"]
    stored = pq.read_table(release / "relations" / "relations.parquet").to_pylist()
    assert [(r["source_id"], r["target_id"], r["kind"]) for r in relations] == [
        (r["source_id"], r["target_id"], r["kind"]) for r in stored
    ]
    quarantine = get_json(f"{datasette}/quarantine.json?_shape=objects")["rows"]
    lines = (release / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    assert [(q["source_path"], q["reason"]) for q in quarantine] == [
        (e["source_path"], e["reason"]) for e in map(json.loads, lines)
    ]


def test_the_database_holds_every_record_in_id_order(database, release):
    table = pq.read_table(release / "data").to_pylist()
    with sqlite3.connect(database) as connection:
        got = connection.execute(
            "SELECT record_id, title, outlet, published_date, month, language, authors, flags, "
            "source_path, url, body FROM records ORDER BY rowid"
        ).fetchall()
        tables = {n for (n,) in connection.execute("SELECT name FROM sqlite_master")}
    assert {"records", "records_fts", "relations", "quarantine"} <= tables
    assert [g[0] for g in got] == sorted(r["record_id"] for r in table)
    for row, (rid, title, outlet, day, month, language, authors, flags, path, url, body) in zip(
        table, got, strict=True
    ):
        assert (rid, title, outlet, language, body) == (
            row["record_id"], row["title"], row["outlet"], row["language"], row["text"]
        )  # fmt: skip
        stated = row["published_date"].isoformat() if row["published_date"] else None
        assert (day, month) == (stated, stated[:7] if stated else None)
        assert json.loads(authors) == row["authors"] and json.loads(flags) == row["flags"]
        assert (path, url) == (row["capture"]["source_path"], row["capture"]["url"])


def test_the_metadata_sets_facets_search_and_licence(database):
    metadata = json.loads(database.with_name("example.metadata.json").read_text("utf-8"))
    records = metadata["databases"]["example"]["tables"]["records"]
    assert records["facets"] == ["outlet", "language", "month"]
    assert records["fts_table"] == "records_fts"
    assert metadata["license"] == "CC0-1.0" and metadata["title"] == "example 1.0.0"


def test_small_batches_give_the_same_bytes_and_an_export_is_reproducible(
    release, database, tmp_path, monkeypatch
):
    monkeypatch.setattr(exporter, "BATCH_ROWS", 4)
    monkeypatch.setattr(parquetio, "BATCH_BYTES", 1)  # a row per batch of Parquet
    again = exporter.export_sqlite(release, tmp_path / "example.db")
    assert (again.records, again.relations, again.quarantined) == (15, 4, 1)
    assert again.path.read_bytes() == database.read_bytes()
    assert again.metadata.read_bytes() == database.with_name("example.metadata.json").read_bytes()


def test_an_existing_database_is_replaced_only_with_force(runner, release, tmp_path):
    target = tmp_path / "corpus.sqlite"
    target.write_bytes(b"not a database")
    refused = runner.invoke(main, ["export", str(release), "--sqlite", str(target)])
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert "exists (--force replaces it)" in refused.stderr
    assert target.read_bytes() == b"not a database"
    forced = runner.invoke(
        main, ["export", str(release), "--sqlite", str(target), "--force", "--json"]
    )
    assert forced.exit_code == 0, forced.output
    summary = json.loads(forced.stdout)
    assert summary["counts"] == {"records": 15, "relations": 4, "quarantined": 1}
    assert summary["metadata"] == str(tmp_path / "corpus.metadata.json")
    assert set(tmp_path.iterdir()) == {target, tmp_path / "corpus.metadata.json"}


@pytest.mark.parametrize("problem", ["not-a-release", "no-folder"])
def test_export_usage_errors_are_one_line(runner, release, tmp_path, problem):
    source, target = release, tmp_path / "missing" / "x.db"
    if problem == "not-a-release":
        source, target = tmp_path, tmp_path / "x.db"
    result = runner.invoke(main, ["export", str(source), "--sqlite", str(target)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert not target.exists()


def test_a_folder_is_not_replaced_by_the_database_even_with_force(runner, release, tmp_path):
    target = tmp_path / "corpus"
    target.mkdir()
    result = runner.invoke(main, ["export", str(release), "--sqlite", str(target), "--force"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert "is a folder" in result.stderr
    assert set(tmp_path.iterdir()) == {target}  # no metadata file written beside it


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b"\n", "not JSON (Expecting value: line 1 column 1 (char 0))"),
        (b'["a list"]\n', "(row): ['a list'] is not of type 'object'"),
        (b'{"message": "no source"}\n', "(row): 'source_path' is a required property"),
        (None, "a number past SQLite's 64-bit integers"),
        (b'{"message": "' + b"x" * 2**20 + b'"}\n', f"longer than {2**20} bytes"),
    ],
)
def test_a_quarantine_line_export_cannot_read_is_named_in_one_line(
    runner, release, tmp_path, line, why
):
    """The export reads the quarantine as verify does (boundedjson.json_lines): a line that is
    no entry stops it with that line named, never an internal error, and no database is left."""
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    quarantine = copy / "quarantine.jsonl"
    entries = quarantine.read_bytes().splitlines(keepends=True)
    sound = line is None  # an entry verify passes: the schema sets no bound on bytes
    if sound:
        line = json.dumps({**json.loads(entries[0]), "bytes": 2**63}).encode() + b"\n"
    quarantine.write_bytes(entries[0] + line)
    target = tmp_path / "x.db"
    result = runner.invoke(main, ["export", str(copy), "--sqlite", str(target)])
    assert result.exit_code == 2, result.output
    [message] = result.stderr.splitlines()
    assert message.startswith(f"archive: error: {quarantine}:2: {why}"), message
    assert message.endswith("; run archive verify") != sound and not target.exists()


def test_a_bad_quarantine_line_stops_the_export_before_any_record_is_read(
    runner, release, tmp_path, monkeypatch
):
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    (copy / "quarantine.jsonl").write_bytes(b"\n")
    read = []
    monkeypatch.setattr("archive.exporters.sqlite._insert_records", lambda *a: read.append(a))
    result = runner.invoke(main, ["export", str(copy), "--sqlite", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and "quarantine.jsonl:1: not JSON" in result.stderr
    assert not read


@pytest.mark.parametrize("into", ["manifest.json", "data/x.db", "x.db"])
def test_the_export_never_goes_inside_the_release(release, tmp_path, into):
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    before = (copy / "manifest.json").read_bytes()
    with pytest.raises(UsageError, match="cannot go inside the release"):
        exporter.export_sqlite(copy, copy / into, force=True)
    assert (copy / "manifest.json").read_bytes() == before
    assert check_release(copy).ok
