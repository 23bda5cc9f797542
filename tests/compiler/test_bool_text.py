"""``cast(<BOOLEAN> as varchar) in (…)`` compiles to the boolean itself, with the written form's results."""

from __future__ import annotations

import duckdb
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.spec import load_model

FORMS = {
    "yes": "cast(flag as varchar) in ('true', 'TRUE', 'True', '是', '1')",
    "no": "cast(flag as varchar) in ('false', '否', '0')",
    "either": "cast(flag as varchar) in ('true', 'false')",
    "words": "cast(flag as varchar) in ('是', '1')",
    "not_yes": "not coalesce(cast(flag as varchar) in ('true', '是'), false)",
    "text": "cast(note as varchar) in ('true', '是')",
}


def _compile(dialect: str = "duckdb"):
    cat = CatalogSchema()
    cat.add(DatasetSchema("标记", "ds_flags", (ColumnSchema("flag", "BOOLEAN"), ColumnSchema("note"))))
    spec = load_model({"id": "b", "name": "布尔", "line": "x", "point": "x",
                       "inputs": {"t": {"dataset": "标记", "fields": {"flag": "flag", "note": "note"}}},
                       "steps": [{"id": "d", "derive": {"columns": FORMS}}],
                       "output": {"subject": {"type": "case", "key": "note"}, "title": "{note}"}})
    return compile_model(spec, cat, dialect)


def test_boolean_cast_lists_give_the_written_results():
    con = duckdb.connect()
    con.execute("CREATE TABLE ds_flags (_row_id BIGINT, flag BOOLEAN, note VARCHAR)")
    con.execute("INSERT INTO ds_flags VALUES (1, true, 'a'), (2, false, 'true'), (3, NULL, '是')")
    compiled = _compile()
    got = con.execute(f"SELECT note, {', '.join(FORMS)} FROM ({compiled.sql}) ORDER BY note").fetchall()
    want = con.execute(f"SELECT note, {', '.join(f'{e} AS {k}' for k, e in FORMS.items())} "
                       "FROM ds_flags ORDER BY note").fetchall()
    assert got == want
    # true-only and false-only lists over the BOOLEAN column no longer cast it; the others still do
    sql = compiled.sql
    assert "CAST(flag AS TEXT) IN ('true', 'TRUE'" not in sql and "CAST(flag AS TEXT) IN ('false'" not in sql
    assert "CAST(flag AS TEXT) IN ('true', 'false')" in sql and "CAST(flag AS TEXT) IN ('是', '1')" in sql
    assert "CAST(note AS TEXT) IN ('true', '是')" in sql


@pytest.mark.parametrize("dialect", ["spark", "postgres"])
def test_boolean_cast_rewrite_in_other_dialects(dialect):
    sql = _compile(dialect).sql
    assert "IN ('true', 'TRUE'" not in sql and "IN ('false'" not in sql
