"""Every built-in model compiled to the PostgreSQL dialect runs on the real server and finds DuckDB's rows.

The model page and ``shujian model sql --dialect postgres`` hand this SQL to a procuratorate's DBA; before
this test only the compiler's golden fixtures were executed on PostgreSQL, and frequent-lending-plaintiff's
SQL called functions PostgreSQL does not have.  The small demo city is copied into a schema of its own
(``COPY`` from DuckDB's rows); a model needing a capability the dialect lacks (the text step, entity
linkage) must be refused at compile time with a message naming it.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from shujian.compiler import compile_model
from shujian.demo.evaluate import load_city, run_model_on
from shujian.errors import ShujianError
from shujian.models_library import get_model, list_models

from .normalize import row_bag

pytestmark = pytest.mark.postgres
MODELS = [m.id for m in list_models()]
PG_TYPES = {"DOUBLE": "DOUBLE PRECISION", "VARCHAR": "TEXT"}     # the other DuckDB type names are PostgreSQL's


@pytest.fixture(scope="module")
def city(tmp_path_factory, request):
    if not request.getfixturevalue("pg_available"):
        pytest.skip("SHUJIAN_TEST_POSTGRES=skip")
    from tests.conftest import PG_URL  # noqa: PLC0415 - the shared server URL

    con, catalog = load_city(request.getfixturevalue("small_city"))
    schema = f"p_{uuid.uuid4().hex[:12]}"
    pg = psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    pg.execute(f'CREATE SCHEMA "{schema}"')
    pg.execute(f'SET search_path TO "{schema}"')
    # no JIT compilation and no nested loops where a hash or merge join can be used: planner choices, they change
    # no row.  probation-misuse's CTEs are estimated at 1 row (625 and 3 035 are read), so the default planner
    # nests CTE scans three deep: 30 s idle, 120 s at load 20 (JIT added ≈ 20 s more); with hash joins 0.08 s,
    # the same 9 rows.  (A plan for the product's PostgreSQL SQL to fix; the other models take ≤ 0.2 s either way.)
    pg.execute("SET jit = off")
    pg.execute("SET enable_nestloop = off")
    for ds in catalog.datasets.values():
        cols = con.execute(f"DESCRIBE {ds.relation}").fetchall()
        defs = ", ".join(f'"{name}" {PG_TYPES.get(dtype, dtype)}' for name, dtype, *_ in cols)
        pg.execute(f'CREATE TABLE "{ds.relation}" ({defs})')
        rows = con.execute(f"SELECT * FROM {ds.relation}").fetchall()
        with pg.cursor() as cur, cur.copy(f'COPY "{ds.relation}" FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        pg.execute(f'ANALYZE "{ds.relation}"')
    yield con, catalog, pg
    pg.execute(f'DROP SCHEMA "{schema}" CASCADE')
    pg.close()
    con.close()


def _neutral(rows: list[dict]) -> list[dict]:
    """Engine-neutral rows: an evidence list with no rows is empty whether NULL or [] (PostgreSQL's
    ``array_agg`` of nothing is NULL).  Explanations are compared as written: numbers in them read the
    same on both (``compiler.dialects.number_text``)."""
    return [{k: ([] if v is None and k.startswith("_ev_") else v) for k, v in r.items()} for r in rows]


@pytest.mark.parametrize("model_id", MODELS)
def test_model_gives_the_same_rows_on_postgres(city, model_id):
    con, catalog, pg = city
    model = get_model(model_id)
    try:
        compiled = compile_model(model, catalog, "postgres")
    except ShujianError as e:                    # a capability PostgreSQL lacks: refused, named, before running
        assert "postgres" in str(e) and ("text.rules" in str(e) or "entity" in str(e)), str(e)
        return
    duck = run_model_on(con, catalog, model)
    assert duck, f"{model_id} finds nothing on the demo city: the check would be vacuous"
    with pg.cursor() as cur:
        cur.execute(compiled.sql, compiled.parameters)
        names = [d.name for d in cur.description]
        on_pg = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    a, b = row_bag(_neutral(duck)), row_bag(_neutral(on_pg))
    assert a == b, (f"{model_id}: DuckDB and PostgreSQL differ:\n only DuckDB {sorted(a - b)[:3]}\n"
                    f" only PostgreSQL {sorted(b - a)[:3]}")
