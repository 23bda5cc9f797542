"""A text step's rule reaches ``shujian_text`` once per statement on DuckDB, not in every row.

DuckDB flattens a constant argument of a Python function into every row of the Arrow batch it hands
over: a rule of several KB (the prepaid-card rule is ≈ 5.9 KB of JSON) was copied for every message
screened.  The compiler now hands a long config to ``shujian_text_config`` in a one-row CTE, and the
call receives its short handle (``compiler.text.kept_configs``, ``udf.keep_config``).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from tests.text.test_step import ROWS, model

from shujian.compiler import compile_model
from shujian.demo.evaluate import load_tables, run_model_on
from shujian.text import udf


def _calls(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Wrap the registered ``shujian_text`` so the config values of every batch are recorded."""
    seen: list[str] = []
    udf.register_duckdb(con)
    struct = duckdb.struct_type({f: ("BOOLEAN" if f == "matched" else "VARCHAR") for f in udf.FIELDS})

    def spy(texts, configs):
        seen.extend(configs.to_pylist())
        config = udf.kept_config(configs[0].as_py())
        values = pa.concat_arrays(texts.chunks) if isinstance(texts, pa.ChunkedArray) else texts
        return udf.screen_arrow(values, config)

    con.remove_function(udf.FUNCTION)
    con.create_function(udf.FUNCTION, spy, ["VARCHAR", "VARCHAR"], struct, type="arrow",
                        null_handling="special", side_effects=True)
    return seen


def test_the_rule_is_handed_over_once_and_the_rows_are_the_same():
    con, catalog = load_tables({"12345工单": ROWS})
    try:
        compiled = compile_model(model(), catalog, "duckdb")
        assert "SHUJIAN_TEXT_CONFIG(" in compiled.sql and compiled.sql.count('{"rule"') == 1
        seen = _calls(con)
        got = con.execute(compiled.sql, compiled.parameters).fetchall()
        names = [d[0] for d in con.description]
        assert seen and all(v.startswith(udf.HANDLE) and len(v) < 64 for v in seen)   # a handle per row
        rows = {r[names.index("no")]: r for r in got}
        assert set(rows) == {"A1", "A5"}
        assert rows["A1"][names.index("mkey")] == "力美健身"
        # what the engine's own registration gives (run_model_on registers it again)
        assert sorted(r["no"] for r in run_model_on(con, catalog, model())) == ["A1", "A5"]
    finally:
        con.close()


def test_spark_keeps_the_rule_in_the_call():
    con, catalog = load_tables({"12345工单": ROWS})
    try:
        sql = compile_model(model(), catalog, "spark").sql
    finally:
        con.close()
    assert "SHUJIAN_TEXT_CONFIG" not in sql.upper() and "SHUJIAN_TEXT(" in sql.upper()


def test_a_handle_this_process_does_not_hold_is_refused_in_chinese():
    handle = udf.keep_config('{"rule":null,"outputs":["name_key"]}')
    assert udf.kept_config(handle) == '{"rule":null,"outputs":["name_key"]}'
    assert udf.kept_config('{"rule":null}') == '{"rule":null}'          # a literal config is itself
    with pytest.raises(ValueError, match="不在本进程中"):
        udf.kept_config(udf.HANDLE + "0" * 32)
