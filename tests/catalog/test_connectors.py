"""Database connectors against the real PostgreSQL (and MariaDB when it runs): streaming pulls, incremental
re-import, saved sources pulled by the worker, passwords never stored, failed pulls leave the version."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from shujian.catalog.connectors import check_query, safe_url
from shujian.catalog.service import CatalogService
from shujian.catalog.sources import SourceService
from shujian.cli.main import main
from shujian.errors import InputError

PG = os.environ.get("SHUJIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIA = os.environ.get("SHUJIAN_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
ROWS = [(1, "11010519491231002X", "张三", Decimal("100.50"), date(2023, 1, 1), "是", datetime(2024, 1, 1, 10)),
        (2, "无", "李四", Decimal("200.00"), date(2023, 2, 1), "否", datetime(2024, 1, 2, 10))]


@pytest.fixture
def pg_table(pg_available):
    """A source table in a fresh schema of the real PostgreSQL server."""
    schema = f"src_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'CREATE TABLE "{schema}"."社保缴费" (编号 int primary key, 身份证号 text, 姓名 text, '
                          f'缴费金额 numeric(12,2), 缴费月份 date, 是否在职 text, 更新时间 timestamp)'))
        insert_rows(conn, f'"{schema}"."社保缴费"', ROWS)
    yield engine, f"{schema}.社保缴费"
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def insert_rows(conn, table: str, rows) -> None:
    conn.execute(text(f"INSERT INTO {table} VALUES (:a, :b, :c, :d, :e, :f, :g)"),
                 [dict(zip("abcdefg", r, strict=True)) for r in rows])


def cli_json(capsys, *args: str):
    code = main([*args, "--format", "json"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    return json.loads(cap.out)


def fetch(ws, name: str, columns: str) -> list[tuple]:
    ref = CatalogService(ws).resolve(name)
    with ws.warehouse() as con:
        return con.execute(f'SELECT {columns} FROM "{ref.relation}" ORDER BY _row_id').fetchall()


def test_pull_then_incremental_by_updated_at_and_key(ws, pg_table, capsys):
    engine, table = pg_table
    out = cli_json(capsys, "data", "import-db", PG, "--table", table, "--name", "社保缴费", "--batch-rows", "100",
                   "--agency", "市人社局", "--no-progress")
    types = {c["name"]: c["dtype"] for c in out["columns"]}
    assert out["rows"] == 2 and types["编号"] == "BIGINT" and types["缴费月份"] == "DATE"
    assert types["是否在职"] == "BOOLEAN" and types["缴费金额"].startswith("DECIMAL")
    assert fetch(ws, "社保缴费", '"身份证号", "是否在职"') == [("11010519491231002X", True), (None, False)]
    info = CatalogService(ws).describe("社保缴费")["version"]
    assert info["source_format"] == "database" and info["agency"] == "市人社局" and "社保缴费" in info["source_path"]
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {quoted(table)} SET 缴费金额 = 250, 更新时间 = '2024-02-01 09:00' WHERE 编号 = 2"))
        insert_rows(conn, quoted(table), [(3, "110105198001010016", "王五", Decimal(300), date(2023, 3, 1), "是",
                                           datetime(2024, 2, 2, 10))])
    args = ("data", "import-db", PG, "--table", table, "--name", "社保缴费", "--check-column", "更新时间",
            "--merge-key", "编号", "--no-progress")
    out = cli_json(capsys, *args)
    assert (out["version"], out["rows"]) == (2, 3)
    assert fetch(ws, "社保缴费", '"编号", "缴费金额"') == [(1, Decimal("100.50")), (2, Decimal("250.00")),
                                                         (3, Decimal("300.00"))]
    assert CatalogService(ws).quality("社保缴费")["columns"]["身份证号"]["null_markers"] == 1
    assert cli_json(capsys, *args) == {"dataset": "社保缴费", "status": "unchanged", "version": None}
    d = CatalogService(ws).diff("社保缴费", 1, 2, ["编号"])
    assert (d["added"]["count"], d["changed"]["count"]) == (1, 1)


def quoted(table: str) -> str:
    schema, name = table.split(".")
    return f'"{schema}"."{name}"'


def test_query_pull_and_refusals(sqlite_ws, pg_table, capsys):
    _engine, table = pg_table
    out = cli_json(capsys, "data", "import-db", PG, "--query", f"SELECT 编号, 姓名 FROM {quoted(table)} WHERE 编号 > 1",
                   "--name", "查询结果", "--no-progress")
    assert out["rows"] == 1
    for query, msg in ((f"DELETE FROM {quoted(table)}", "只能是一条 SELECT"),
                       ("SELECT 1; DROP TABLE x", "只能是一条 SELECT")):
        with pytest.raises(InputError, match=msg):
            check_query(query, "postgresql")
    code = main(["data", "import-db", PG, "--table", table.split(".")[0] + ".不存在", "--name", "坏", "--no-progress"])
    err = capsys.readouterr().err.replace("\n", "")
    assert code == 2 and "读取失败" in err and "不存在" in err
    assert [d["name"] for d in CatalogService(sqlite_ws).list_datasets()] == ["查询结果"]


def test_saved_source_pulled_by_the_worker_without_storing_the_password(sqlite_ws, pg_table, capsys, monkeypatch):
    engine, table = pg_table
    secret_url = PG.replace("postgres@", "postgres:s3cret@")
    code = main(["data", "source", "add", "人社", secret_url, "--dataset", "社保", "--table", table])
    err = capsys.readouterr().err.replace("\n", "")
    assert code == 2 and "不保存明文密码" in err and "--password-env" in err
    monkeypatch.setenv("SHUJIAN_PW_RS", "")           # trust auth: any password works; it must come from here
    assert main(["data", "source", "add", "人社", PG, "--dataset", "社保", "--table", table, "--password-env",
                 "SHUJIAN_PW_RS", "--cron", "0 2 * * *", "--check-column", "编号"]) == 0
    capsys.readouterr()
    assert safe_url(secret_url) == PG
    svc = SourceService(sqlite_ws)
    assert svc.pull_due() == []                       # not due yet (next 2:00)
    later = datetime.now(UTC) + timedelta(days=1, hours=1)
    assert [e["status"] for e in svc.pull_due(later)] == ["succeeded"]
    assert fetch(sqlite_ws, "社保", '"编号"') == [(1,), (2,)]
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {quoted(table)}"))          # the source breaks: the version stays
    result = svc.pull_due(later + timedelta(days=1))
    assert result[0]["status"] == "failed" and "读取失败" in result[0]["error"]
    assert CatalogService(sqlite_ws).describe("社保")["current_version"] == 1
    listed = SourceService(sqlite_ws).list()[0]
    assert listed["last_status"] == "failed" and "s3cret" not in json.dumps(listed)
    monkeypatch.delenv("SHUJIAN_PW_RS")
    code = main(["data", "source", "pull", "人社"])
    assert code == 2 and "环境变量 SHUJIAN_PW_RS 未设置" in capsys.readouterr().err.replace("\n", "")


def test_mariadb_pull(sqlite_ws, capsys):
    pymysql = pytest.importorskip("pymysql", reason="PyMySQL not installed: MySQL/MariaDB pulls are untested")
    engine = create_engine(MARIA)
    try:
        engine.connect().close()
    except Exception as exc:  # noqa: BLE001 - any driver error means no server here
        engine.dispose()
        pytest.skip(f"MariaDB/MySQL not reachable at {MARIA}: {exc} (PyMySQL {pymysql.__version__})")
    name = f"src_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE `{name}` (编号 int primary key, 身份证号 varchar(18), 姓名 varchar(20), "
                          f"缴费金额 decimal(12,2), 缴费月份 date, 是否在职 varchar(2), 更新时间 datetime) "
                          f"DEFAULT CHARSET=utf8mb4"))
        insert_rows(conn, f"`{name}`", ROWS)
    try:
        out = cli_json(capsys, "data", "import-db", MARIA, "--table", name, "--name", "社保M", "--no-progress")
        assert out["rows"] == 2
        assert fetch(sqlite_ws, "社保M", '"姓名", "缴费金额", "是否在职"') == [("张三", Decimal("100.50"), True),
                                                                               ("李四", Decimal("200.00"), False)]
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE `{name}`"))
        engine.dispose()
