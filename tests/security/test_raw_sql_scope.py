"""Issue 14, finding 1: expert SQL (专家 SQL) models run under a scoped catalog.

Each attack below worked before the fix: a CTE of the same name hid a table reference from the
checker while DuckDB read the real table (another org's dataset, sqlite_master, pg_class,
duckdb_tables, a server Parquet file of sealed data, another org's uploaded CSV); a SQL model's
sealed inputs were not checked (the check read ``model.inputs``, empty for SQL models); and
``error(身份证号)`` / ``CAST(姓名 AS INT)`` put the row's value into run errors, job errors and the audit log.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from tests.runs.conftest import A, B, C, load

from shujian.catalog.service import CatalogService
from shujian.config import load_settings
from shujian.db.models import AuditRecord, Clue, Dataset, GovModel, Run, User
from shujian.engines.duckdb_engine import DuckDBEngine
from shujian.engines.isolated import isolated_connection
from shujian.engines.parquet_cache import export_relation
from shujian.errors import RunFailed, UnsafeSQL
from shujian.orgs.service import OrgService
from shujian.runs.service import RunService
from shujian.security.masking import SealedData
from shujian.security.scope import scope_for, use_scope
from shujian.spec import load_model
from shujian.web import catalogue
from shujian.workspace import Workspace

from .conftest import DISTRICT_A, DISTRICT_B, bearer, production_app, seed

SEALED = "密封名单"
B_PRIVATE = "乙院私有名单"
SECRET_ID = "330102198001010017"      # only in 乙院's dataset, the sealed one and 乙院's uploaded CSV
SECRET_NAME = "钱多多"
VALUES = (A, B, C, SECRET_ID, SECRET_NAME, "张三", "李四")


def people(ids: list[str], names: list[str]) -> pa.Table:
    return pa.table({"身份证号": ids, "姓名": names})


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """The security seed plus: a district 数字办 (a_sz), a sealed dataset, 乙院's private dataset, a
    Parquet export of the sealed dataset on the server (as a Spark run leaves it) and an uploaded CSV."""
    home = tmp_path_factory.mktemp("rawsql") / "home"
    ws = Workspace(load_settings(home=home, database_url=f"sqlite:///{home / 'metadata.sqlite'}")).ensure()
    ids = seed(ws)
    OrgService(ws).add_user("a_sz", "a_sz", DISTRICT_A, ["数字办"])
    load(ws, SEALED, people([SECRET_ID, A], [SECRET_NAME, "张三"]))
    load(ws, B_PRIVATE, people([SECRET_ID], [SECRET_NAME]))
    with ws.db.unit_of_work() as s:
        s.query(Dataset).filter_by(name=SEALED).update({"sealed": True})
        s.query(Dataset).filter_by(name=B_PRIVATE).update({"org_id": ids["orgs"][DISTRICT_B]})
    catalog = CatalogService(ws).schema()
    with ws.warehouse() as con:
        parquet = export_relation(con, catalog.get(SEALED).relation, home / "parquet")
    upload = home / "tmp" / "uploads" / "b_upload.csv"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text(f"身份证号,姓名\n{SECRET_ID},{SECRET_NAME}\n", encoding="utf-8")
    ws.paths = {"parquet": str(parquet), "upload": str(upload), "b_relation": catalog.get(B_PRIVATE).relation,
                "sealed_relation": catalog.get(SEALED).relation}
    yield ws
    ws.close()


def as_user(ws: Workspace, username: str):
    with ws.db.unit_of_work() as s:
        u = s.query(User).filter_by(username=username).one()
        return use_scope(scope_for(s, u.username, u.org_id, u.roles))


def sql_model(sql: str, model_id: str = "raw-probe", inputs: dict | None = None):
    data = {"id": model_id, "name": "专家 SQL 探测", "line": "刑事执行检察", "point": "测试", "sql": sql,
            "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}"}}
    if inputs:
        data["inputs"] = inputs
    return load_model(data)


def clue_count(ws: Workspace) -> int:
    with ws.db.unit_of_work() as s:
        return s.query(Clue).count()


def shadowed(table: str, quoted: bool = False) -> str:
    """The issue's shadowing form: the table in the outer scope, a CTE of the same name inside."""
    name = f'"{table}"' if quoted else table
    return (f"SELECT a.身份证号 AS person FROM {name} a, "
            f"(WITH {name} AS (SELECT 1 AS z) SELECT z FROM {name}) b")


# -- CTE shadowing and system tables ---------------------------------------------------------------

def test_cte_shadowing_cannot_read_a_sibling_orgs_table(ws):
    before = clue_count(ws)
    with as_user(ws, "a_sz"), pytest.raises(UnsafeSQL) as err:
        RunService(ws).run(sql_model(shadowed(ws.paths["b_relation"])))
    assert any(f'数据集 "{ws.paths["b_relation"]}" 不在目录中' in str(p) for p in err.value.problems)
    assert clue_count(ws) == before


def test_a_sibling_orgs_dataset_is_not_in_the_catalog_by_name_either(ws):
    with as_user(ws, "a_sz"), pytest.raises(UnsafeSQL) as err:
        RunService(ws).run(sql_model(f"SELECT 身份证号 AS person FROM {B_PRIVATE}"))
    assert any(f'数据集 "{B_PRIVATE}" 不在目录中' in str(p) for p in err.value.problems)


@pytest.mark.parametrize("table", ["sqlite_master", "pg_class", "duckdb_tables", "information_schema.tables",
                                   "duckdb_columns"])
def test_system_tables_are_refused_even_when_shadowed(ws, table):
    with as_user(ws, "a_sz"), pytest.raises(UnsafeSQL):
        RunService(ws).run(sql_model(shadowed(table)))
    with as_user(ws, "a_sz"), pytest.raises(UnsafeSQL):
        RunService(ws).run(sql_model(f"SELECT 1 AS person FROM {table}"))


def test_system_table_functions_are_refused(ws):
    for sql in ("SELECT table_name AS person FROM duckdb_tables()",
                "SELECT 1 AS person FROM pragma_database_list()"):
        with pytest.raises(UnsafeSQL):
            RunService(ws).run(sql_model(sql))


@pytest.mark.parametrize("which", ["parquet", "upload"])
def test_server_files_cannot_be_read_through_a_shadowed_path(ws, which):
    """The sealed dataset's Parquet export and another org's uploaded CSV, named as a (quoted) table."""
    before = clue_count(ws)
    with as_user(ws, "a_sz"), pytest.raises(UnsafeSQL) as err:
        RunService(ws).run(sql_model(shadowed(ws.paths[which], quoted=True)))
    assert any("不允许读取文件或网址" in str(p) for p in err.value.problems)
    assert clue_count(ws) == before


@pytest.mark.parametrize("call", ["read_parquet('{parquet}')", "read_csv('{upload}')", "read_csv_auto('{upload}')",
                                  "parquet_scan('{parquet}')", "glob('{upload}')", "'{upload}'"])
def test_file_reading_table_functions_are_refused(ws, call):
    sql = f"SELECT 身份证号 AS person FROM {call.format(**ws.paths)}"
    with as_user(ws, "a_sz"), pytest.raises(UnsafeSQL):
        RunService(ws).run(sql_model(sql))


def test_a_cte_shadowing_a_dataset_inside_a_subquery_resolves_to_the_right_scope(ws):
    """Legit use of the same name at two levels: the outer name is the dataset, the inner the CTE."""
    sql = ("SELECT a.身份证号 AS person, count(*) AS n FROM 养老金发放 a, "
           "(WITH 养老金发放 AS (SELECT 1 AS z) SELECT z FROM 养老金发放) b GROUP BY a.身份证号")
    compiled = RunService(ws).compile(sql_model(sql))
    assert compiled.datasets == ["养老金发放"]
    with ws.warehouse() as con:
        rows = con.execute(compiled.sql).fetchall()
    assert sorted((r[0], r[1]) for r in rows) == sorted([(A, 6), (B, 8), (C, 3)])


def test_undeclared_datasets_are_refused_when_the_model_declares_inputs(ws):
    model = sql_model(f"SELECT 身份证号 AS person FROM {SEALED}", inputs={
        "p": {"dataset": "养老金发放", "fields": {"person": "身份证号"}}})
    with pytest.raises(UnsafeSQL) as err:
        RunService(ws).run(model)
    assert any(f'数据集 "{SEALED}" 未在模型的 inputs 中声明' in str(p) for p in err.value.problems)


# -- sealed data -----------------------------------------------------------------------------------

DRAFT = ("id: district-sealed-draft\nname: 区县草稿\nline: 刑事执行检察\npoint: 测试\nversion: 1.0.0\n"
         f"sql: \"SELECT 身份证号 AS person, 姓名 AS name FROM {SEALED}\"\n"
         "output:\n  subject: {type: person, key: person, name: name}\n  title: \"{name}\"\n")


def test_an_uncertified_sql_draft_cannot_run_on_sealed_data(ws):
    from shujian.governance.service import GovernanceService

    before = clue_count(ws)
    with as_user(ws, "a_sz"):
        GovernanceService(ws).save(DRAFT, "a_sz")
        with pytest.raises(SealedData) as err:
            RunService(ws).run(catalogue.load(ws, "district-sealed-draft"))
    assert SEALED in err.value.message and "未经认证" in err.value.message
    with pytest.raises(SealedData):                      # an unsaved model as well (not governed at all)
        RunService(ws).run(sql_model(f"SELECT 身份证号 AS person FROM {SEALED}"))
    assert clue_count(ws) == before


def test_a_certified_sql_model_computes_on_sealed_data(ws):
    from shujian.governance.service import GovernanceService

    GovernanceService(ws).save(DRAFT.replace("district-sealed-draft", "certified-sealed"), "c_sz")
    with ws.db.unit_of_work() as s:
        s.query(GovModel).filter_by(model_id="certified-sealed").update({"state": "数字认证"})
    result = RunService(ws).run(catalogue.load(ws, "certified-sealed"))
    assert result.status == "succeeded" and result.rows_out == 2


# -- the isolated connection itself (defence in depth: even SQL the checker let through) -----------

def test_the_isolated_connection_holds_only_the_declared_datasets_and_no_files(ws):
    catalog = CatalogService(ws).schema()
    rel = catalog.get("养老金发放").relation
    with isolated_connection(ws, [rel]) as con:
        engine = DuckDBEngine(con, locked=True)
        assert engine.execute(f'SELECT count(*) AS n FROM "{rel}"').table.to_pylist() == [{"n": 17}]
        names = {r["table_name"] for r in engine.execute("SELECT table_name FROM duckdb_tables()").table.to_pylist()}
        views = {r["view_name"] for r in engine.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal").table.to_pylist()}
        assert names == set() and views == {rel}
        for sql in (f"SELECT * FROM read_csv('{ws.paths['upload']}')", f"SELECT * FROM '{ws.paths['upload']}'",
                    f"SELECT * FROM read_parquet('{ws.paths['parquet']}')", f'SELECT * FROM "{ws.paths["b_relation"]}"',
                    f"ATTACH '{ws.settings.duckdb_path}' AS w", "SET enable_external_access = true",
                    "INSTALL httpfs", "SELECT * FROM glob('/etc/*')"):
            with pytest.raises(RunFailed) as err:
                engine.execute(sql)
            assert SECRET_ID not in err.value.message, sql
    with ws.warehouse() as con:                        # the shared warehouse still reads files (imports)
        assert con.execute(f"SELECT count(*) FROM read_csv('{ws.paths['upload']}')").fetchone() == (1,)


def test_a_sql_model_runs_on_the_isolated_connection(ws):
    sql = ("WITH p AS (SELECT 身份证号, 发放金额 FROM 养老金发放) SELECT p.身份证号 AS person, count(*) AS n, "
           "list(p2._row_id) AS _ev_pension FROM p JOIN 养老金发放 p2 ON p2.身份证号 = p.身份证号 "
           "WHERE p.发放金额 > 1500 GROUP BY p.身份证号")
    result = RunService(ws).run(sql_model(sql, "raw-legit"))
    assert result.status == "succeeded" and result.rows_out == 2


# -- errors never echo row values -----------------------------------------------------------------

@pytest.mark.parametrize("expr", ["error(身份证号)", "CAST(姓名 AS INTEGER)", "CAST(身份证号 AS DATE)",
                                  "CAST(身份证号 AS TINYINT)", "身份证号::INTEGER"])
def test_run_errors_never_echo_row_values(ws, expr):
    model = sql_model(f"SELECT {expr} AS person FROM 养老金发放", "raw-echo")
    with pytest.raises(RunFailed) as err:
        RunService(ws).run(model)
    text = json.dumps(err.value.to_dict(), ensure_ascii=False)
    assert "raw-echo" in err.value.message and "不予显示" in err.value.message or "某行的值" in err.value.message
    assert not [v for v in VALUES if v in text.replace(err.value.sql or "", "")], text
    with ws.db.unit_of_work() as s:
        run = s.query(Run).filter_by(model_id="raw-echo").order_by(Run.id.desc()).first()
        assert run.status == "failed" and not [v for v in VALUES if v in run.error]
        audit = s.query(AuditRecord).filter(AuditRecord.target == f"run:{run.id}").all()
        assert audit and not [v for v in VALUES if any(v in json.dumps(a.detail, ensure_ascii=False) for a in audit)]


def test_built_model_errors_name_the_step_not_the_value(ws):
    model = load_model({
        "id": "built-echo", "name": "步骤报错", "line": "刑事执行检察", "point": "测试",
        "inputs": {"p": {"dataset": "养老金发放", "fields": {"person": "身份证号", "name": "姓名"}}},
        "steps": [{"id": "bad", "from": "p", "derive": {"columns": {"n": "cast(name || '甲' AS int)"}}}],
        "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}{n}"}})
    with pytest.raises(RunFailed) as err:
        RunService(ws).run(model)
    assert "built-echo" in err.value.message and "某甲" not in err.value.message
    assert "无法转换" in err.value.message


def test_job_errors_on_the_web_never_echo_row_values(ws):
    from shujian.governance.service import GovernanceService

    source = ("id: web-echo\nname: 网页报错\nline: 刑事执行检察\npoint: 测试\nversion: 1.0.0\n"
              "sql: \"SELECT error(身份证号 || 姓名) AS person FROM 养老金发放\"\n"
              "output:\n  subject: {type: person, key: person}\n  title: \"{person}\"\n")
    GovernanceService(ws).save(source, "c_sz")
    app = production_app(ws)
    with TestClient(app, raise_server_exceptions=False) as client:
        resp = client.post("/api/v1/runs", headers=bearer(ws, "c_sz"), json={"model_id": "web-echo"})
        assert resp.status_code == 202, resp.text
        job = app.state.jobs.wait(resp.json()["job_id"], timeout=60)
        assert job.status == "failed"
        body = client.get(f"/api/v1/jobs/{job.id}", headers=bearer(ws, "c_sz")).text
    assert "web-echo" in body and not [v for v in VALUES if v in body], body
