"""Staged execution: the CTEs read more than once become temporary tables, the rows stay the same.

Every built-in model runs over the small demo city through ``DuckDBEngine`` twice — staged (as a
run does) and as one statement — and the rows, evidence lists included, must be identical.  The
split itself is checked on small statements: which CTEs become stages, what each stage carries,
which parameters it binds, and that the engine leaves no table behind, also when a stage fails.
"""

from __future__ import annotations

import re
import threading

import duckdb
import pytest

from shujian.compiler import compile_model, stages
from shujian.compiler.stages import split_stages
from shujian.engines.duckdb_engine import DuckDBEngine
from shujian.errors import Cancelled, RunFailed
from shujian.models_library import get_model, list_models

MODELS = [m.id for m in list_models()]


def _rows(table, columns) -> list[tuple]:
    data = table.to_pylist()
    return sorted(tuple(repr(r[c]) for c in columns) for r in data)


def _temp_tables(con) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()]


def _statements(con) -> list[str]:
    """The statements the connection ran since logging was enabled (DuckDB's query log)."""
    return [r[0] for r in con.execute(
        "SELECT message FROM duckdb_logs WHERE type = 'QueryLog' ORDER BY timestamp").fetchall()]


@pytest.mark.parametrize("model_id", MODELS)
def test_staged_run_gives_the_same_rows_as_one_statement(demo_city, model_id):
    """Three ways to run a model give the same rows: stages in temporary tables, the stages as
    MATERIALIZED CTEs of one statement (what a run does when the data fits in memory), and the
    compiled text as one statement."""
    con, catalog = demo_city
    compiled = compile_model(get_model(model_id), catalog, "duckdb")
    # as a run does: the compiler's plan, made from its tree (the SQL text is never parsed again)
    staged = DuckDBEngine(con, together_share=0).execute(compiled.sql, compiled.parameters, plan=compiled.staged)
    together = DuckDBEngine(con).execute(compiled.sql, compiled.parameters, plan=compiled.staged)
    whole = DuckDBEngine(con, staged=False).execute(compiled.sql, compiled.parameters).table
    rows = _rows(staged.table, compiled.output_columns)
    assert rows, f"{model_id} finds nothing on the demo city: the comparison would be vacuous"
    assert rows == _rows(together.table, compiled.output_columns) == _rows(whole, compiled.output_columns)
    assert _temp_tables(con) == []


def test_a_small_run_is_one_statement_and_a_large_one_its_stages(demo_city):
    """The demo city fits in memory many times over: the gang model's 20-odd stages run as one
    statement, each a MATERIALIZED CTE, and no temporary table is written.  Under a memory limit
    its tables do not fit in (as rows in memory), the stages run as tables."""
    con, catalog = demo_city
    compiled = compile_model(get_model("gang-repeat-offenders"), catalog, "duckdb")
    assert len(compiled.staged("").stages) > 10
    ran = _run_logged(con, DuckDBEngine(con), compiled)
    assert not any("CREATE TEMP TABLE" in s for s in ran)
    assert sum("AS MATERIALIZED (" in s for s in ran) == 1
    _assert_ran_its_stages(_run_logged(con, DuckDBEngine(con, together_share=1e-9), compiled), compiled)
    assert _temp_tables(con) == []


def _run_logged(con, engine: DuckDBEngine, compiled) -> list[str]:
    """The statements ``engine`` ran for ``compiled`` (DuckDB's query log)."""
    con.execute("CALL enable_logging('QueryLog')")
    try:
        con.execute("CALL truncate_duckdb_logs()")
        engine.execute(compiled.sql, compiled.parameters, plan=compiled.staged)
        return _statements(con)
    finally:
        con.execute("CALL disable_logging()")


def _assert_ran_its_stages(ran: list[str], compiled) -> None:
    assert sum(s.startswith("CREATE TEMP TABLE") for s in ran) == len(compiled.staged("").stages)
    assert not any("AS MATERIALIZED (" in s for s in ran)


def test_together_is_the_stages_in_one_statement():
    plan = split_stages(SQL, suffix="_r")
    text, names = plan.together()
    assert names == ["hi", "lo", "skip"]
    assert text.startswith("WITH a_r AS MATERIALIZED (SELECT x, COUNT(*) AS n FROM t WHERE x > $lo GROUP BY x), b_r AS "
                           "MATERIALIZED (")
    assert ", c AS (" in text and plan.final[len("WITH "):] in text
    assert plan.relations == ["t"]
    single = split_stages("SELECT x FROM t WHERE x > $lo")
    assert single.together() == (single.final, ["lo"])


def test_relations_of_a_table_function_name_no_table():
    plan = split_stages("WITH a AS (SELECT range AS x FROM range(5)), b AS (SELECT x FROM a JOIN a AS z USING (x)) "
                        "SELECT * FROM b JOIN b AS c USING (x)")
    assert plan.tables == ["b"] and len(plan.relations) == 1 and "a" not in plan.relations
    con = duckdb.connect()
    engine = DuckDBEngine(con)
    assert engine._fits(plan) is False          # no table named by it: its size is unknown


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_together_stages_and_one_statement_agree_on_random_data(seed):
    """Random tables with NULLs and duplicates, a statement whose shared CTEs are an aggregate, a
    join and a union, read by each other and by the final query: the same multiset of rows staged,
    together and as one statement."""
    import random

    rnd = random.Random(seed)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER, y INTEGER)")
    con.executemany("INSERT INTO t VALUES (?, ?)",
                    [[rnd.choice([None, *range(8)]), rnd.choice([None, *range(5)])] for _ in range(300)])
    con.execute("CREATE TABLE u (x INTEGER, z VARCHAR)")
    con.executemany("INSERT INTO u VALUES (?, ?)",
                    [[rnd.choice([None, *range(10)]), rnd.choice([None, "a", "b", "c"])] for _ in range(200)])
    sql = """
    WITH a AS (SELECT x, COUNT(*) AS n, MAX(y) AS my FROM t WHERE y IS NULL OR y >= $lo GROUP BY x),
    b AS (SELECT a.x, a.n, u.z FROM a JOIN u ON u.x = a.x WHERE a.n > $few),
    c AS (SELECT x, z FROM b UNION ALL SELECT x, CAST(n AS VARCHAR) AS z FROM b WHERE z IS NULL),
    d AS (SELECT x, my FROM a WHERE my IS DISTINCT FROM $skip)
    SELECT c.x, c.z, d.my FROM c LEFT JOIN d ON d.x = c.x
    UNION ALL SELECT x, z, NULL AS my FROM c WHERE x > $lo
    """
    params = {"lo": rnd.randint(0, 3), "few": rnd.randint(0, 30), "skip": rnd.randint(0, 4)}
    plan = split_stages(sql)
    assert plan.tables == ["a", "b", "c"]

    def rows(engine: DuckDBEngine) -> list[tuple]:
        table = engine.execute(sql, params, plan=lambda suffix: split_stages(sql, suffix=suffix)).table
        return sorted(map(repr, zip(*(table.column(c).to_pylist() for c in ("x", "z", "my")), strict=True)))

    staged = rows(DuckDBEngine(con, together_share=0))
    assert staged == rows(DuckDBEngine(con)) == sorted(map(repr, con.execute(sql, params).fetchall()))
    assert len(staged) > 5


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_the_compilers_plan_is_the_split_of_its_sql(demo_city, dialect):
    """The plan made from the tree has the same stages, statements and parameters as splitting the
    compiled text (which the parser normalises only in how it writes interval literals)."""
    _, catalog = demo_city
    for model_id in MODELS:
        compiled = compile_model(get_model(model_id), catalog, dialect)
        plan, text = compiled.staged("__t"), split_stages(compiled.sql, dialect, suffix="__t")

        def norm(sql: str) -> str:
            return re.sub(r"INTERVAL '(\d+)'", r"INTERVAL \1", sql)

        assert [(s.table, s.sql, s.parameters) for s in plan.stages] == \
            [(s.table, norm(s.sql), s.parameters) for s in text.stages], model_id
        assert (plan.final, plan.final_parameters) == (norm(text.final), text.final_parameters), model_id


def test_a_run_with_the_compilers_plan_parses_nothing(demo_city, monkeypatch):
    con, catalog = demo_city
    compiled = compile_model(get_model("gang-repeat-offenders"), catalog, "duckdb")
    expected = _rows(DuckDBEngine(con).execute(compiled.sql, compiled.parameters).table, compiled.output_columns)

    def refuse(*_a, **_k):
        raise AssertionError("the engine parsed the compiled SQL again")

    monkeypatch.setattr(stages.sqlglot, "parse_one", refuse)
    run = DuckDBEngine(con).execute(compiled.sql, compiled.parameters, plan=compiled.staged)
    assert _rows(run.table, compiled.output_columns) == expected
    with pytest.raises(RunFailed):                 # without the plan the engine would have to parse
        DuckDBEngine(con).execute(compiled.sql, compiled.parameters)
    assert _temp_tables(con) == []


def test_gang_model_stages_its_shared_steps(demo_city):
    con, catalog = demo_city
    compiled = compile_model(get_model("gang-repeat-offenders"), catalog, "duckdb")
    plan = split_stages(compiled.sql, suffix="__t")
    tables = plan.tables
    assert "s_events__t" in tables and "s_graph__labels__t" in tables
    # read once: inlined where it is read, never a table of its own
    assert "s_person_totals__t" not in tables and "s_r1__t" not in tables
    assert "in_persons__t" not in tables and "s_graph__t" not in tables      # row-wise: repeated
    events = next(s for s in plan.stages if s.table == "s_events__t")
    # the role pattern, six plain words, is six substring tests (compiler.patterns), each word bound
    assert events.parameters == ["causes_0", "causes_1", "causes_2", "causes_3",
                                 *(f"not_actor_pattern__{i}" for i in range(6))]
    assert "s_four AS NOT MATERIALIZED (" in events.sql
    assert "s_events__t" in plan.final or any("s_events__t" in s.sql for s in plan.stages[1:])


SQL = """
WITH a AS (SELECT x, COUNT(*) AS n FROM t WHERE x > $lo GROUP BY x),
b AS (SELECT a.x FROM a JOIN t ON t.x = a.x WHERE a.x < $hi),
c AS (SELECT x FROM b UNION ALL SELECT x + 100 AS x FROM b),
d AS (SELECT x FROM a WHERE x <> $skip)
SELECT c.x FROM c JOIN d ON d.x = c.x
"""


def test_split_stages_shared_ctes_and_binds_only_the_parameters_used():
    plan = split_stages(SQL, suffix="_r")
    # b is read twice (by c); a by b and, through the row-wise d, by the final query
    assert plan.tables == ["a_r", "b_r"]
    a, b = plan.stages
    assert a.parameters == ["lo"] and b.parameters == ["hi"]
    assert "FROM t" in a.sql and "FROM a_r AS a" in b.sql
    assert plan.final.startswith("WITH c AS") and "FROM b_r AS b" in plan.final
    assert "d AS NOT MATERIALIZED (SELECT x FROM a_r AS a WHERE" in plan.final
    assert plan.final_parameters == ["skip"]


def test_row_wise_ctes_are_repeated_and_their_readers_counted():
    sql = """
    WITH src AS (SELECT x, y FROM t WHERE y > 0),
    agg AS (SELECT x, SUM(y) AS s FROM src GROUP BY x),
    view AS (SELECT x, s * 2 AS s2 FROM agg),
    big AS (SELECT x FROM view WHERE s2 > 10)
    SELECT v.x FROM view AS v JOIN big AS b ON b.x = v.x JOIN src AS s ON s.x = v.x
    """
    plan = split_stages(sql, suffix="_r")
    # src and view are row-wise (never staged, however often read); agg is read through view twice
    assert plan.tables == ["agg_r"]
    # repeated, not materialised by DuckDB either (Spark has no such clause)
    assert "FROM src" in plan.stages[0].sql and "src AS NOT MATERIALIZED (" in plan.stages[0].sql
    assert plan.final.count("FROM agg_r AS agg") == 1 and "view AS NOT MATERIALIZED (" in plan.final
    spark = split_stages(sql, "spark", suffix="_r")
    assert spark.tables == ["agg_r"] and "MATERIALIZED" not in spark.final + spark.stages[0].sql


def test_statement_without_ctes_is_one_final_statement():
    plan = split_stages("SELECT 1 AS x FROM t WHERE y = $p")
    assert plan.stages == [] and plan.final_parameters == ["p"]
    recursive = ("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3), "
                 "s AS (SELECT COUNT(*) AS c FROM r) SELECT * FROM s JOIN s AS t ON s.c = t.c")
    assert split_stages(recursive).stages == []


def test_engine_runs_the_stages_and_drops_its_tables():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(10)")
    params = {"lo": 2, "hi": 6, "skip": 4}
    staged = DuckDBEngine(con).execute(SQL, params).table.column("x").to_pylist()
    whole = con.execute(SQL, params).fetchall()
    assert sorted(staged) == sorted(r[0] for r in whole) == [3, 5]
    assert _temp_tables(con) == []


def test_a_plan_without_stages_runs_its_final_statement_not_the_text():
    """A row-wise CTE read twice is no stage; with the compiler's plan the engine runs the plan's
    final statement, which marks it NOT MATERIALIZED (DuckDB would write it out otherwise:
    accessory-penalty's 1.5 M counts on the large city).  SQL text without a plan runs as written."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x, range % 3 AS y FROM range(10)")
    sql = ("WITH src AS (SELECT x, y FROM t WHERE y > 0) "
           "SELECT a.x FROM src AS a JOIN src AS b ON b.x = a.x + 1")
    con.execute("CALL enable_logging('QueryLog')")

    def ran() -> list[str]:
        return [r[0] for r in con.execute(
            "SELECT message FROM duckdb_logs WHERE type = 'QueryLog' AND message LIKE '%src%'").fetchall()]

    planned = DuckDBEngine(con).execute(sql, {}, plan=lambda suffix: split_stages(sql, suffix=suffix))
    assert split_stages(sql).stages == [] and "src AS NOT MATERIALIZED (" in ran()[-1]
    text = DuckDBEngine(con).execute(sql, {})
    assert ran()[-1] == sql
    assert sorted(planned.table.column("x").to_pylist()) == sorted(text.table.column("x").to_pylist()) == [1, 4, 7]


def test_a_failing_statement_is_run_again_as_stages_which_name_the_step():
    """Together, an error would name no stage; the stages run after it and name the one that fails."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(10)")
    sql = ("WITH a AS (SELECT x, COUNT(*) AS n FROM t GROUP BY x), "
           "s_b AS (SELECT CAST('v' || a.x AS INTEGER) AS x FROM a JOIN t ON t.x = a.x), "
           "c AS (SELECT x FROM s_b UNION ALL SELECT x FROM s_b) SELECT * FROM c JOIN a ON a.x = c.x")
    engine = DuckDBEngine(con)
    assert engine._fits(split_stages(sql))
    with pytest.raises(RunFailed) as err:
        engine.execute(sql, {})
    assert "步骤 b" in err.value.message
    assert _temp_tables(con) == []


def test_failed_stage_leaves_no_table_and_names_the_problem():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(10)")
    bad = SQL.replace("SELECT x FROM b UNION", "SELECT x / (x - x) AS x FROM b UNION").replace(
        "x + 100", "CAST('a' || x AS INTEGER)")
    with pytest.raises(RunFailed) as err:
        DuckDBEngine(con).execute(bad, {"lo": 2, "hi": 6, "skip": 4})
    assert "duckdb 执行失败" in err.value.message
    assert _temp_tables(con) == []


def test_cancel_interrupts_a_stage_and_leaves_no_table():
    con = duckdb.connect()
    sql = """WITH a AS (SELECT COUNT(*) AS n FROM range(100000000000) AS r),
    b AS (SELECT n FROM a UNION ALL SELECT n + 1 AS n FROM a)
    SELECT b.n FROM b JOIN a ON a.n = b.n"""
    assert split_stages(sql).tables == ["a"]
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with pytest.raises(Cancelled):
        DuckDBEngine(con).execute(sql, cancel=stop)
    assert _temp_tables(con) == []


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "postgres"])
def test_not_null_is_written_as_is_not_null(dialect):
    """``x is not null`` reaches DuckDB as ``x IS NOT NULL`` (pushed into the scan as a null filter),
    not as ``NOT x IS NULL`` (a filter of guessed selectivity that misled the join order), both in
    the compiled text and in the stages split from the tree or from the text."""
    from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
    from shujian.spec import load_model

    cat = CatalogSchema()
    cat.add(DatasetSchema("人员", "ds_p", (ColumnSchema("person"), ColumnSchema("case_id"))))
    spec = load_model({"id": "n", "name": "空值", "line": "x", "point": "x",
                       "inputs": {"p": {"dataset": "人员", "fields": {"person": "person", "case_id": "case_id"}}},
                       "steps": [{"id": "kept", "filter": "person is not null and not (case_id is null)"},
                                 {"id": "n", "from": "kept", "aggregate": {"by": ["person"], "measures": {"k": "count(*)"}}},
                                 {"id": "a", "join": {"left": "kept", "right": "n", "on": ["person"]}},
                                 {"id": "b", "join": {"left": "a", "right": "n", "on": ["person"], "type": "semi"}}],
                       "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}"}})
    compiled = compile_model(spec, cat, dialect)
    texts = [compiled.sql]
    if dialect != "postgres":
        plan, split = compiled.staged("__t"), split_stages(compiled.sql, dialect, suffix="__t")
        assert plan.stages, "the case should have a stage"
        texts += [s.sql for s in plan.stages + split.stages] + [plan.final, split.final]
    for text in texts:
        assert not re.search(r"\bNOT\s+\(?[\w\".]+\)?\s+IS\s+NULL", text, re.I), text
    assert '"person" IS NOT NULL' in compiled.sql or "person IS NOT NULL" in compiled.sql


def test_a_statement_calling_the_text_function_runs_its_stages(demo_city):
    """prepaid-card-complaints screens every 12345 message in Python: as one statement it was slower
    than staged on the large city, and a failing one-statement run would screen them all again —
    so even when its tables fit, its stages run as temporary tables."""
    con, catalog = demo_city
    compiled = compile_model(get_model("prepaid-card-complaints"), catalog, "duckdb")
    assert "shujian_text" in compiled.sql.lower() and compiled.staged("").stages
    _assert_ran_its_stages(_run_logged(con, DuckDBEngine(con), compiled), compiled)
    assert _temp_tables(con) == []
