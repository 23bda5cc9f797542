"""Parsed judgments → the built-in accessory-penalty model (M4), with the real 法定附加刑表.

The parser marks counts covered by the fine of a combined sentence (合并判处罚金元); the model reads that
column, so the combined fine of 周某 is not reported as missing for each of his counts (the wrong
accusation this test guards against).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pytest

from shujian.catalog.schema import ROW_ID, CatalogSchema, ColumnSchema, DatasetSchema
from shujian.demo.core import arrow_dtype_name
from shujian.demo.evaluate import run_model_on
from shujian.documents import parse_judgment
from shujian.documents.catalog_import import arrow_tables
from shujian.law import accessory_table
from shujian.models_library import get_model

from .test_golden import FIXTURES


def _law_table() -> pa.Table:
    rows = accessory_table()
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    for k in ("生效日期", "失效日期"):
        cols[k] = [date.fromisoformat(v) if v else None for v in cols[k]]
    return pa.table(cols)


def _run(names: list[str]) -> set[tuple[str, str, str]]:
    records = [parse_judgment((FIXTURES / n).read_bytes().decode("utf-8"), n) for n in names]
    tables = {**arrow_tables(records), "法定附加刑表": _law_table()}
    con, catalog = duckdb.connect(), CatalogSchema()
    try:
        for i, (name, tbl) in enumerate(tables.items(), 1):
            con.register("_incoming", tbl)
            con.execute(f"CREATE TABLE t_{i} AS SELECT row_number() OVER () AS {ROW_ID}, * FROM _incoming")
            con.unregister("_incoming")
            cols = tuple(ColumnSchema(f.name, arrow_dtype_name(f.type)) for f in tbl.schema)
            catalog.add(DatasetSchema(name, f"t_{i}", cols, version=1))
        rows = run_model_on(con, catalog, get_model("accessory-penalty"))
    finally:
        con.close()
    return {(r["name"], r["charge"], r["_rule"]) for r in rows}


@pytest.fixture(scope="module")
def hits() -> set[tuple[str, str, str]]:
    return _run(["combined_fine.txt"])


def test_real_omission_is_reported(hits):
    # 吴某某: 诈骗罪 1万 + 信用卡诈骗罪 without a fine, combined fine 1万 = the counts' own fines:
    # 第一百九十六条 requires a fine for 信用卡诈骗罪 and none was imposed for it
    assert ("吴某某", "信用卡诈骗罪", "R1") in hits


def test_combined_fine_is_not_reported_as_missing(hits):
    assert not {h for h in hits if h[0] == "周某"}
