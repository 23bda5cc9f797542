"""Expert SQL models: one read-only SELECT over catalog datasets, everything else refused."""

from __future__ import annotations

import pytest

from shujian.compiler import compile_model
from shujian.errors import UnsafeSQL, ValidationFailed
from shujian.spec import load_model


def sql_model(sql: str, **output) -> dict:
    return {"id": "expert", "name": "专家模型", "line": "测试", "point": "测试", "sql": sql,
            "params": {"min": {"type": "float", "default": 105, "label": "最低金额"}},
            "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}{n}", **output}}


GOOD = ("SELECT 身份证号 AS person, count(*) AS n, list(_row_id) AS _ev_pension FROM 养老金发放 "
        "WHERE 发放金额 > :min GROUP BY 身份证号")


def test_expert_sql_runs_with_bound_params(con, catalog):
    compiled = compile_model(load_model(sql_model(GOOD)), catalog, "duckdb")
    assert "ds_pension" in compiled.sql and "养老金发放" in compiled.sql     # rewritten, alias kept
    assert compiled.parameters == {"min": 105}
    assert compiled.datasets == ["养老金发放"]
    assert [(e.role, e.is_list) for e in compiled.evidence] == [("pension", True)]
    rows = con.execute(compiled.sql, compiled.parameters).fetchall()
    assert sorted((r[0], r[1]) for r in rows) == [(p, 7) for p in "ABCD"]
    assert compiled.output_columns == ["person", "n", "_rule", "_ev_pension"]


def test_expert_sql_with_cte_and_join(con, catalog):
    sql = ("WITH p AS (SELECT 身份证号, 发放金额 FROM 养老金发放) SELECT r.身份证号 AS person, "
           "count(*) AS n FROM 人员 r JOIN p ON p.身份证号 = r.身份证号 GROUP BY r.身份证号")
    compiled = compile_model(load_model(sql_model(sql)), catalog, "duckdb")
    assert sorted(con.execute(compiled.sql).fetchall()) == [("A", 12, "R1"), ("B", 12, "R1"), ("C", 12, "R1")]
    assert compile_model(load_model(sql_model(sql)), catalog, "spark").sql.count("ds_people") == 1


@pytest.mark.parametrize("sql, text", [
    ("DROP TABLE ds_pension", "不允许 DROP 语句"),
    ("INSERT INTO ds_pension SELECT * FROM 养老金发放", "不允许 INSERT 语句"),
    ("DELETE FROM 养老金发放", "不允许 DELETE 语句"),
    ("UPDATE 养老金发放 SET 发放金额 = 0", "不允许 UPDATE 语句"),
    ("CREATE TABLE x AS SELECT 1", "不允许 CREATE 语句"),
    ("SELECT 1 AS person; DROP TABLE x", "只允许一条 SELECT 语句，实际 2 条"),
    ("COPY 养老金发放 TO 'x.csv'", "不允许 COPY 语句"),
    ("ATTACH 'x.db' AS y", "不允许 ATTACH 语句"),
    ("INSTALL httpfs", "不允许 INSTALL 语句"),
    ("LOAD httpfs", "不允许 COMMAND 语句"),
    ("PRAGMA database_list", "不允许 PRAGMA 语句"),
    ("SET memory_limit = '1GB'", "不允许 SET 语句"),
    ("SELECT * FROM read_csv('/etc/passwd')", "不允许表函数或文件"),
    ("SELECT * FROM read_parquet('s3://bucket/x.parquet')", "不允许调用函数 read_parquet()"),
    ("SELECT * FROM read_json('x.json')", "不允许调用函数 read_json()"),
    ("SELECT * FROM glob('*')", "不允许调用函数 glob()"),
    ("SELECT * FROM 'https://example.org/a.parquet'", "不允许读取文件或网址"),
    ("SELECT * FROM '/tmp/x.csv'", "不允许读取文件或网址"),
    ("SELECT getenv('HOME') AS person", "不允许调用函数 getenv()"),
    ("SELECT current_setting('data_directory') AS person", "不允许调用函数 current_setting()"),
    ("SELECT * FROM duckdb_settings()", "不允许调用函数 duckdb_settings()"),
    ("SELECT * FROM main.养老金发放", "不允许带库名/模式名的表"),
    ("SELECT * FROM ds_pension", '数据集 "ds_pension" 不在目录中'),
    ("SELECT * FROM 养老金", '是否指 "养老金发放"'),
    ("SELECT 1 AS person INTO t", "不允许 INTO"),
    ("SELEC 1", "SQL 无法解析"),
])
def test_unsafe_sql_refused(catalog, sql, text):
    with pytest.raises(UnsafeSQL) as exc:
        compile_model(load_model(sql_model(sql)), catalog, "duckdb")
    assert any(text in str(p) for p in exc.value.problems), exc.value.problems


def test_star_and_missing_output_fields(catalog):
    with pytest.raises(ValidationFailed) as exc:
        compile_model(load_model(sql_model("SELECT * FROM 人员")), catalog, "duckdb")
    msgs = [str(p) for p in exc.value.problems]
    assert "sql: 专家 SQL 的最外层请明确列出输出列（不要用 *），以便校验输出字段" in msgs
    assert any(m.startswith('output.subject.key: 输出字段 "person"') for m in msgs)


def test_undeclared_param_in_sql(catalog):
    with pytest.raises(ValidationFailed) as exc:
        compile_model(load_model(sql_model(GOOD.replace(":min", ":max"))), catalog, "duckdb")
    assert any("参数 :max 未在 params 中声明" in str(p) for p in exc.value.problems)
