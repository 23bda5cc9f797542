"""The PostgreSQL dialect executed on the real server (SHUJIAN_TEST_PG_URL, see tests/conftest.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from shujian.compiler import compile_model
from shujian.spec import load_model

from .conftest import TABLES
from .test_golden import CASES

FIXTURES = Path(__file__).parents[1] / "fixtures" / "models"
PG_TYPES = {"DOUBLE": "DOUBLE PRECISION", "VARCHAR": "TEXT"}


@pytest.fixture(scope="module")
def pg(request):
    if not request.getfixturevalue("pg_available"):
        pytest.skip("SHUJIAN_TEST_POSTGRES=skip")
    from tests.conftest import PG_URL  # noqa: PLC0415 - the shared server URL
    conninfo = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    schema = f"c_{uuid.uuid4().hex[:12]}"
    conn = psycopg.connect(conninfo, autocommit=True)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    conn.execute(f'SET search_path TO "{schema}"')
    for relation, cols, rows in TABLES.values():
        defs = ", ".join(f'"{c.name}" {PG_TYPES.get(c.dtype, c.dtype)}' for c in cols)
        conn.execute(f"CREATE TABLE {relation} (_row_id BIGINT, {defs})")
        marks = ", ".join(["%s"] * (len(cols) + 1))
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {relation} VALUES ({marks})", rows)
    yield conn
    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    conn.close()


@pytest.mark.postgres
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_case_runs_on_postgres(pg, catalog, case):
    compiled = compile_model(load_model(CASES[case][1]), catalog, "postgres")
    pg.execute(compiled.sql, compiled.parameters).fetchall()


@pytest.mark.postgres
def test_fixture_models_agree_with_duckdb(pg, con, catalog):
    for path in sorted(FIXTURES.glob("*.yaml")):
        m = load_model(path)
        on_pg = compile_model(m, catalog, "postgres")
        on_duck = compile_model(m, catalog, "duckdb")
        pg_rows = sorted(map(tuple, pg.execute(on_pg.sql, on_pg.parameters).fetchall()), key=str)
        duck_rows = sorted(con.execute(on_duck.sql, on_duck.parameters).fetchall(), key=str)
        assert pg_rows == [tuple(r) for r in duck_rows], path.name
        assert pg_rows, path.name


@pytest.mark.postgres
def test_nested_evidence_and_injection_on_postgres(pg, catalog):
    from .conftest import model
    spec = model([{"id": "a", "aggregate": {"by": ["person", "month"], "measures": {"n": "count(*)"}}},
                  {"id": "b", "aggregate": {"by": ["person"], "measures": {"m": "sum(n)", "x": "any_value(n)"}},
                   "from": "a"},
                  {"id": "f", "filter": "person != :who and person like '%'"}],
                 roles=("pension",), params={"who": {"type": "str", "default": "x", "label": "x"}})
    compiled = compile_model(load_model(spec), catalog, "postgres",
                             params={"who": "'); DROP TABLE ds_people; --"})
    rows = pg.execute(compiled.sql, compiled.parameters).fetchall()
    assert sorted(r[0] for r in rows) == ["A", "B", "C", "D"]
    assert rows[0][-1] == sorted(rows[0][-1]) and len(rows[0][-1]) == 12
    assert pg.execute("SELECT count(*) FROM ds_people").fetchone() == (3,)
