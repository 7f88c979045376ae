"""The Parquet portability profile: plain types only, page index written, row groups and shards
sized for the Hugging Face viewer; and the shards load the same in pyarrow, pandas, polars,
DuckDB, Hugging Face ``datasets`` and (where Java and pyspark are present) Spark."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from archive import PackSettings, pack
from archive.collection import domain_outlets
from archive.format import parquetio

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# The Hub's dataset viewer refuses to read row groups above 286.10 MiB (300,000,000 bytes)
# of uncompressed data ("Rows from parquet row groups are too big to be read").
HF_VIEWER_ROW_GROUP_BYTES = 300_000_000
# Shards the Hub and its viewer handle comfortably; the release's default is far below.
HF_SHARD_BYTES = 5 * 1024**3
PLAIN = {pa.string(), pa.int64(), pa.bool_(), pa.date32(), pa.timestamp("us", tz="UTC")}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    settings = PackSettings(
        "portable",
        "1.0.0",
        datetime(2026, 1, 1, tzinfo=UTC),
        domain_outlets=domain_outlets(EXAMPLES / "outlets.toml"),
        shards=2,
    )
    out = tmp_path_factory.mktemp("dist")
    return pack(
        [EXAMPLES / "captures"], out, settings, capture_log=EXAMPLES / "captures.jsonl"
    ).path


def shards(release: Path) -> list[Path]:
    return sorted((release / "data").glob("records-*.parquet"))


def reference(release: Path) -> dict[str, dict]:
    """record_id -> the fields every client must read back identically."""
    table = pq.read_table(release / "data", use_threads=False)
    return {
        row["record_id"]: {
            "text": row["text"],
            "source_path": row["capture"]["source_path"],
            "authors": row["authors"],
            "spans": len(row["spans"]),
            "published_at": row["published_at"],
        }
        for row in table.to_pylist()
    }


# --- the profile -------------------------------------------------------------------------------


def _leaves(data_type: pa.DataType) -> list[pa.DataType]:
    if pa.types.is_list(data_type):
        return _leaves(data_type.value_type)
    if pa.types.is_struct(data_type):
        return [leaf for field in data_type for leaf in _leaves(field.type)]
    return [data_type]


def test_only_plain_types(release):
    for shard in shards(release):
        schema = pq.read_schema(shard)
        for field in schema:
            assert not pa.types.is_large_list(field.type) and not pa.types.is_map(field.type)
            for leaf in _leaves(field.type):
                assert leaf in PLAIN, (field.name, leaf)
        columns = pq.ParquetFile(shard).metadata.schema
        for index in range(len(columns)):
            column = columns.column(index)
            if column.physical_type == "BYTE_ARRAY":
                assert column.logical_type.type == "STRING", column.path
            if column.logical_type.type == "TIMESTAMP":
                logical = json.loads(column.logical_type.to_json())
                assert logical["isAdjustedToUTC"] is True, column.path
                assert logical["timeUnit"] == "microseconds", column.path


def test_page_index_and_statistics_are_written(release):
    for shard in shards(release):
        metadata = pq.ParquetFile(shard).metadata
        assert metadata.num_row_groups >= 1
        for group in range(metadata.num_row_groups):
            for index in range(metadata.num_columns):
                chunk = metadata.row_group(group).column(index)
                assert chunk.has_offset_index and chunk.has_column_index, chunk.path_in_schema
                assert chunk.is_stats_set, chunk.path_in_schema


def test_row_groups_and_shards_fit_the_hub_viewer(release):
    assert parquetio.ROW_GROUP_BYTES * 2 <= HF_VIEWER_ROW_GROUP_BYTES
    for shard in shards(release):
        assert shard.stat().st_size < HF_SHARD_BYTES
        metadata = pq.ParquetFile(shard).metadata
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            assert row_group.total_byte_size <= HF_VIEWER_ROW_GROUP_BYTES
            assert row_group.num_rows <= parquetio.ROW_GROUP_ROWS


def test_large_rows_are_split_into_bounded_row_groups(tmp_path, monkeypatch):
    """Scaled down 1000x: with a 64 KiB bound, 2 MiB of text must land in many small groups."""
    monkeypatch.setattr(parquetio, "ROW_GROUP_BYTES", 64 * 1024)
    texts = [f"{i:04d} " + "tide " * 2000 for i in range(200)]
    table = pa.table({"text": pa.array(texts, pa.string())})
    path = tmp_path / "big.parquet"
    parquetio.write_parquet(table, path)
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_row_groups >= 16
    for group in range(metadata.num_row_groups):
        assert metadata.row_group(group).total_byte_size <= 2 * 64 * 1024
    assert pq.read_table(path)["text"].to_pylist() == texts


# --- the clients -------------------------------------------------------------------------------


def test_pyarrow_dataset(release):
    dataset = pytest.importorskip("pyarrow.dataset")
    table = dataset.dataset(release / "data", format="parquet").to_table()
    assert table.num_rows == len(reference(release)) == 15


def test_pandas(release):
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_parquet(release / "data")
    expected = reference(release)
    assert set(frame["record_id"]) == set(expected)
    for row in frame.itertuples():
        want = expected[row.record_id]
        assert row.text == want["text"] and row.capture["source_path"] == want["source_path"]
        assert list(row.authors) == want["authors"]


def test_polars(release):
    polars = pytest.importorskip("polars")
    frame = polars.read_parquet(str(release / "data" / "records-*.parquet"))
    expected = reference(release)
    for row in frame.iter_rows(named=True):
        want = expected[row["record_id"]]
        assert row["capture"]["source_path"] == want["source_path"]
        assert row["authors"] == want["authors"] and len(row["spans"]) == want["spans"]
        assert row["published_at"] == want["published_at"]


def test_duckdb(release):
    duckdb = pytest.importorskip("duckdb")
    glob = str(release / "data" / "records-*.parquet")
    rows = duckdb.sql(
        f"SELECT record_id, capture.source_path, len(spans), authors FROM read_parquet('{glob}')"
    ).fetchall()
    expected = reference(release)
    assert len(rows) == len(expected)
    for record_id, source_path, spans, authors in rows:
        want = expected[record_id]
        assert source_path == want["source_path"]
        assert (spans, authors) == (want["spans"], want["authors"])


@pytest.fixture
def hf_offline(monkeypatch, tmp_path):
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    return pytest.importorskip("datasets")


def _check_hf(dataset, release: Path) -> None:
    expected = reference(release)
    assert dataset.num_rows == len(expected)
    for row in dataset:
        want = expected[row["record_id"]]
        assert row["text"] == want["text"]
        assert row["capture"]["source_path"] == want["source_path"]
        assert row["authors"] == want["authors"] and len(row["spans"]) == want["spans"]


def test_datasets_load_parquet(release, hf_offline):
    files = [str(p) for p in shards(release)]
    dataset = hf_offline.load_dataset("parquet", data_files=files, split="train")
    _check_hf(dataset, release)
    assert str(dataset.features["published_at"].dtype) == "timestamp[us, tz=UTC]"


def test_datasets_load_the_release_folder(release, hf_offline, tmp_path):
    # The card's `configs` choose the shards: quarantine.jsonl and the JSON files are not data.
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    dataset = hf_offline.load_dataset(str(copy), split="train")
    _check_hf(dataset, release)


def _spark_session():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java")
    pyspark = pytest.importorskip("pyspark.sql")
    try:
        return (
            pyspark.SparkSession.builder.master("local[1]")
            .appName("archive-portability")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
    except Exception as exc:  # noqa: BLE001 - any start-up failure means no Spark here
        pytest.skip(f"Spark does not start here: {exc}")


def test_spark(release):
    spark = _spark_session()
    try:
        frame = spark.read.parquet(*[str(p) for p in shards(release)])
        rows = frame.select("record_id", "capture.source_path", "authors", "spans").collect()
    finally:
        spark.stop()
    expected = reference(release)
    assert len(rows) == len(expected)
    for row in rows:
        want = expected[row["record_id"]]
        assert row["source_path"] == want["source_path"]
        assert list(row["authors"]) == want["authors"] and len(row["spans"]) == want["spans"]
