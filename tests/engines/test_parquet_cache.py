"""Parquet export of warehouse relations: written once, reused, never half-written, names checked."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from shujian.engines.parquet_cache import export_relation, parquet_path
from shujian.errors import InputError


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE ds_000001 AS SELECT range + 1 AS _row_id, range * 2 AS 金额, "
              "DATE '2024-01-01' + CAST(range AS INTEGER) AS 日期 FROM range(1000)")
    yield c
    c.close()


def test_export_writes_every_row_with_types(con, tmp_path):
    path = export_relation(con, "ds_000001", tmp_path)
    table = pq.read_table(path)
    assert table.num_rows == 1000
    assert table.column_names == ["_row_id", "金额", "日期"]
    assert str(table.schema.field("日期").type) == "date32[day]"
    assert not list(tmp_path.glob("*.tmp.parquet"))


def test_export_is_cached_per_immutable_relation(con, tmp_path):
    first = export_relation(con, "ds_000001", tmp_path)
    mtime = first.stat().st_mtime_ns
    con.execute("DROP TABLE ds_000001")          # a second export would now fail
    again = export_relation(con, "ds_000001", tmp_path)
    assert again == first and again.stat().st_mtime_ns == mtime


def test_failed_export_leaves_no_file(con, tmp_path):
    with pytest.raises(duckdb.Error):
        export_relation(con, "ds_missing", tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["x; DROP TABLE y", "../etc", "a b", ""])
def test_relation_names_are_checked(tmp_path, bad):
    with pytest.raises(InputError, match="关系名"):
        parquet_path(tmp_path, bad)
