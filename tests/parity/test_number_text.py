"""Numbers in a clue's explanation (说明) read the same on DuckDB, PostgreSQL and Spark.

A DOUBLE or DECIMAL cast to text or concatenated used to read "280000.0" on DuckDB, "2.5E7" on
Spark and "280000" on PostgreSQL; ``dialects.number_text`` renders it once for all three: whole
numbers without ".0", at most six decimals, no binary noise (0.1 + 0.2 reads 0.3).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb
import psycopg
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.spec import load_model

COLS = [ColumnSchema("项目编号"), ColumnSchema("已存", "DOUBLE"), ColumnSchema("合同额", "DECIMAL(18,2)"),
        ColumnSchema("甲", "DOUBLE"), ColumnSchema("乙", "DOUBLE")]
ROWS = [(1, "P1", 280000.0, 280000.00, 0.1, 0.2), (2, "P2", 1234.5, 1234.5, 1.0, 2.0),
        (3, "P3", 25000000.0, 12345678.9, 0.125, 0.0), (4, "P4", None, 0.0, -3.0, 0.0)]
EXPECTED = {"P1": "已存280000元，合同额280000元；比例0.3", "P2": "已存1234.5元，合同额1234.5元；比例3",
            "P3": "已存25000000元，合同额12345678.9元；比例0.125", "P4": "已存元，合同额0元；比例-3"}   # concat() skips NULL on every engine
MODEL = {
    "id": "t", "name": "测试模型", "line": "测试", "point": "测试", "params": {},
    "inputs": {"d": {"dataset": "保证金", "fields": {"project": "项目编号", "paid": "已存", "contract": "合同额",
                                                  "a": "甲", "b": "乙"}}},
    "steps": [{"id": "out", "derive": {"columns": {"reason": (
        "concat('已存', cast(paid as varchar), '元，合同额', cast(contract as varchar), '元；比例') || (a + b)")}}}],
    "output": {"subject": {"type": "case", "key": "project"}, "title": "{project}：{reason}",
               "facts": ["reason"]},
}


@pytest.fixture(scope="module")
def catalog() -> CatalogSchema:
    cat = CatalogSchema()
    cat.add(DatasetSchema("保证金", "ds_deposit", tuple(COLS), version=1))
    return cat


def _reasons(rows) -> dict:
    return {project: reason for project, reason in rows}


def _select(compiled) -> str:
    return f"SELECT project, reason FROM ({compiled.sql}) AS q"


def test_duckdb_explanation_numbers(catalog):
    con = duckdb.connect()
    con.execute("CREATE TABLE ds_deposit (_row_id BIGINT, " + ", ".join(f'"{c.name}" {c.dtype}' for c in COLS) + ")")
    con.executemany("INSERT INTO ds_deposit VALUES (?, ?, ?, ?, ?, ?)", ROWS)
    compiled = compile_model(load_model(MODEL), catalog, "duckdb")
    assert _reasons(con.execute(_select(compiled), compiled.parameters).fetchall()) == EXPECTED


@pytest.mark.postgres
def test_postgres_explanation_numbers(catalog, pg_available):
    if not pg_available:
        pytest.skip("SHUJIAN_TEST_POSTGRES=skip")
    from tests.conftest import PG_URL  # noqa: PLC0415 - the shared server URL

    schema = f"n_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as pg:
        pg.execute(f'CREATE SCHEMA "{schema}"')
        try:
            pg.execute(f'SET search_path TO "{schema}"')
            types = {"DOUBLE": "DOUBLE PRECISION"}
            pg.execute("CREATE TABLE ds_deposit (_row_id BIGINT, "
                       + ", ".join(f'"{c.name}" {types.get(c.dtype, c.dtype)}' for c in COLS) + ")")
            with pg.cursor() as cur:
                cur.executemany("INSERT INTO ds_deposit VALUES (%s, %s, %s, %s, %s, %s)", ROWS)
            compiled = compile_model(load_model(MODEL), catalog, "postgres")
            got = pg.execute(_select(compiled), compiled.parameters).fetchall()
        finally:
            pg.execute(f'DROP SCHEMA "{schema}" CASCADE')
    assert _reasons(got) == EXPECTED


@pytest.mark.spark
def test_spark_explanation_numbers(catalog, spark, tmp_path: Path):
    from shujian.engines.spark_engine import SparkEngine

    con = duckdb.connect()
    con.execute("CREATE TABLE ds_deposit (_row_id BIGINT, " + ", ".join(f'"{c.name}" {c.dtype}' for c in COLS) + ")")
    con.executemany("INSERT INTO ds_deposit VALUES (?, ?, ?, ?, ?, ?)", ROWS)
    con.execute(f"COPY ds_deposit TO '{tmp_path / 'd.parquet'}' (FORMAT parquet)")
    engine = SparkEngine(spark)
    engine.register_parquet("ds_deposit", tmp_path / "d.parquet")
    compiled = compile_model(load_model(MODEL), catalog, "spark")
    rows = engine.execute(compiled.sql, compiled.parameters).table.to_pylist()
    assert {r["project"]: r["reason"] for r in rows} == EXPECTED
