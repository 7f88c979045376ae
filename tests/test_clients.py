"""The release loads in the tools users use, with no help from this package."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CREATED

from archive import PackSettings


@pytest.fixture(scope="module")
def release(packed_captures) -> Path:
    captures = {
        f"item-{i:02d}.txt": f"Tide table {i}\n\nHigh water at Quellport is at {i % 12}:{i:02d}.\n"
        for i in range(30)
    }
    log = (
        '{"path": "item-00.txt", "outlet": "Quellport Tides", '
        '"published_at": "2026-02-01T06:30:00Z", "retrieved_at": "2026-02-02T00:00:00Z"}\n'
    )
    settings = PackSettings("clients", "1.0.0", CREATED, extract="none", shards=2)
    return packed_captures("captures", captures, settings, log=log)


def expected(release: Path) -> tuple[int, set[str]]:
    table = pq.read_table(release / "data")
    return table.num_rows, set(table["record_id"].to_pylist())


def test_pyarrow(release):
    rows, ids = expected(release)
    assert rows == 30 and len(ids) == 30
    metadata = pq.ParquetFile(next((release / "data").glob("*.parquet"))).metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    assert metadata.created_by.startswith("parquet-cpp-arrow")


def test_pandas(release):
    pandas = pytest.importorskip("pandas")
    frame = pandas.concat(
        pandas.read_parquet(p) for p in sorted((release / "data").glob("*.parquet"))
    )
    assert len(frame) == 30 and set(frame["record_id"]) == expected(release)[1]
    logged = frame[frame["outlet"] == "Quellport Tides"].iloc[0]
    assert str(logged["published_at"]) == "2026-02-01 06:30:00+00:00"
    assert logged["capture"]["retrieved_at"].year == 2026


def test_polars(release):
    polars = pytest.importorskip("polars")
    frame = polars.read_parquet(str(release / "data" / "*.parquet"))
    assert frame.height == 30 and set(frame["record_id"].to_list()) == expected(release)[1]
    assert frame.filter(polars.col("outlet") == "Quellport Tides").height == 1
    assert frame.schema["published_at"] == polars.Datetime("us", "UTC")


def test_duckdb(release):
    duckdb = pytest.importorskip("duckdb")
    pattern = str(release / "data" / "*.parquet")
    connection = duckdb.connect()
    query = f"SELECT count(*), count(outlet) FROM read_parquet('{pattern}')"
    assert connection.execute(query).fetchall() == [(30, 1)]
    query = f"SELECT capture.source_path FROM read_parquet('{pattern}') WHERE outlet IS NOT NULL"
    assert connection.execute(query).fetchall() == [("captures/item-00.txt",)]
