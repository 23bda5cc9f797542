"""Bad input: each case gets a Chinese message naming the file, the line and the fix, exits
non-zero, and leaves nothing half-imported (the previous version stays current)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.cli.main import main
from shujian.db.models import Job
from shujian.errors import ImportFailed, InputError

GOOD = "姓名,金额\n张三,1\n李四,2\n"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, "".join(cap.err.split())   # rich wraps long lines; compare without spaces


def import_err(capsys, path: Path | str, *extra: str, name: str = "人员") -> str:
    code, out, err = cli(capsys, "data", "import", str(path), "--name", name, "--no-progress", *extra)
    assert code != 0, out
    assert "错误：" in err and "提示：" in err
    return err


@pytest.fixture
def v1(ws, tmp_path, capsys):
    """Dataset 人员 with a good version 1: every failing import below must leave it current."""
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert cli(capsys, "data", "import", str(path), "--name", "人员", "--no-progress")[0] == 0
    return ws


def assert_untouched(ws) -> None:
    svc = CatalogService(ws)
    info = svc.describe("人员")
    assert info["current_version"] == 1 and [v["version"] for v in info["versions"]] == [1]
    with ws.warehouse() as con:
        tables = sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
    assert tables == [svc.resolve("人员").relation], "a partial table was left behind"
    assert not [p for p in ws.settings.tmp_path.glob("import_*")], "a transcoded copy was left behind"


def test_empty_file(v1, tmp_path, capsys):
    (tmp_path / "空.csv").write_bytes(b"")
    err = import_err(capsys, tmp_path / "空.csv")
    assert "空.csv" in err and "空文件" in err
    assert_untouched(v1)


def test_header_only(v1, tmp_path, capsys):
    (tmp_path / "表头.csv").write_text("姓名,金额\n", encoding="utf-8")
    err = import_err(capsys, tmp_path / "表头.csv")
    assert "表头.csv" in err and "只有表头" in err
    assert_untouched(v1)


def test_blank_first_line(v1, tmp_path, capsys):
    (tmp_path / "b.csv").write_text("\n张三,1\n", encoding="utf-8")
    err = import_err(capsys, tmp_path / "b.csv")
    assert "b.csv" in err and "第1行" in err
    assert_untouched(v1)


def test_wrong_field_counts_name_lines(v1, tmp_path, capsys):
    path = tmp_path / "字段.csv"
    path.write_text("姓名,金额\n张三,1\n李四,2,3\n王五\n赵六,4\n", encoding="utf-8")
    err = import_err(capsys, path)
    assert "字段.csv" in err and "第3、4行" in err and "字段数为3，应为2" in err and "--skip-bad-rows" in err
    assert_untouched(v1)


def test_skip_bad_rows_imports_the_rest_and_lists_them(v1, tmp_path, capsys):
    path = tmp_path / "字段.csv"
    path.write_text("姓名,金额\n张三,1\n李四,2,3\n王五\n赵六,4\n", encoding="utf-8")
    code, out, _ = cli(capsys, "data", "import", str(path), "--name", "人员", "--skip-bad-rows",
                       "--no-progress", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert result["version"] == 2 and result["rows"] == 2 and result["skipped_rows"] == 2
    assert [(s["line"], s["text"]) for s in result["skipped"]] == [(3, "李四,2,3"), (4, "王五")]
    report = CatalogService(v1).quality("人员")
    assert report["skipped_rows"] == 2 and [s["line"] for s in report["skipped"]] == [3, 4]
    code, out, _ = cli(capsys, "data", "import", str(path), "--name", "人员", "--skip-bad-rows", "--no-progress")
    assert "跳过2行格式错误的行：第3、4行" in "".join(out.split())


def test_bad_json_lines(v1, tmp_path, capsys):
    path = tmp_path / "a.jsonl"
    path.write_text('{"姓名": "张三"}\n{"姓名": \n[1, 2]\n{"姓名": "李四"}\n', encoding="utf-8")
    err = import_err(capsys, path)
    assert "a.jsonl" in err and "第2、3行" in err
    assert_untouched(v1)
    code, out, _ = cli(capsys, "data", "import", str(path), "--name", "j", "--skip-bad-rows", "--no-progress",
                       "--format", "json")
    assert code == 0 and json.loads(out)["rows"] == 2


def test_utf8_lines_inside_gbk_file(v1, tmp_path, capsys):
    path = tmp_path / "混合.csv"
    path.write_bytes("姓名,金额\n张三,1\n王五,3\n".encode("gbk") + "李四,2\n".encode())
    err = import_err(capsys, path)
    assert "混合.csv" in err and "第4行是UTF-8编码" in err and "统一另存" in err
    assert_untouched(v1)


def test_gbk_lines_inside_utf8_file(v1, tmp_path, capsys):
    path = tmp_path / "混合.csv"
    path.write_bytes("姓名,金额\n张三,1\n王五,3\n".encode() + "李四,2\n".encode("gbk"))
    err = import_err(capsys, path)
    assert "混合.csv" in err and "第4行不是" in err and "统一另存" in err
    assert_untouched(v1)


def test_gbk_line_after_the_detection_sample(v1, tmp_path, capsys):
    path = tmp_path / "长.csv"
    path.write_bytes(("姓名,金额\n" + "张三,1\n" * 150_000).encode("utf-8") + "李四,2\n".encode("gbk"))
    err = import_err(capsys, path)
    assert "长.csv" in err and "第150002行" in err and "不是UTF-8" in err
    assert_untouched(v1)


def test_undecodable_bytes_in_gbk_file(v1, tmp_path, capsys):
    path = tmp_path / "坏.csv"
    path.write_bytes("姓名,金额\n张三,1\n".encode("gbk") + b"\x81\x20bad,2\n")
    err = import_err(capsys, path, "--encoding", "gbk")
    assert "坏.csv" in err and "第3行" in err and "GB18030" in err
    assert_untouched(v1)


def test_utf16_is_refused(v1, tmp_path, capsys):
    path = tmp_path / "u16.csv"
    path.write_bytes("姓名,金额\n张三,1\n".encode("utf-16"))
    err = import_err(capsys, path)
    assert "u16.csv" in err and "UTF-16" in err
    assert_untouched(v1)


def test_missing_sheet(v1, tmp_path, capsys):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "明细"
    wb.active.append(["姓名"])
    wb.active.append(["张三"])
    wb.save(tmp_path / "a.xlsx")
    err = import_err(capsys, tmp_path / "a.xlsx", "--sheet", "汇总")
    assert "a.xlsx" in err and "“汇总”" in err and "可用的工作表：明细" in err
    assert_untouched(v1)


def test_corrupt_xlsx_and_xls(v1, tmp_path, capsys):
    (tmp_path / "坏.xlsx").write_bytes(b"PK not really a workbook")
    assert "坏.xlsx" in import_err(capsys, tmp_path / "坏.xlsx")
    (tmp_path / "旧.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert "另存为.xlsx" in import_err(capsys, tmp_path / "旧.xls")
    assert_untouched(v1)


def test_path_missing_or_directory(v1, tmp_path, capsys):
    err = import_err(capsys, tmp_path / "没有.csv")
    assert "没有.csv" in err and "不存在" in err
    err = import_err(capsys, tmp_path)
    assert str(tmp_path).replace(" ", "") in err and "目录" in err
    assert_untouched(v1)


@pytest.mark.parametrize("name,fragment", [("", "不能为空"), ("   ", "不能为空"), ("名" * 65, "过长"),
                                           ("a/b", "不允许的字符"), ("_x", "不允许的字符")])
def test_bad_dataset_names(v1, tmp_path, capsys, name, fragment):
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    err = import_err(capsys, path, name=name)
    assert fragment in err
    assert_untouched(v1)


def test_name_of_64_characters_is_fine(ws, tmp_path, capsys):
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert cli(capsys, "data", "import", str(path), "--name", "名" * 64, "--no-progress")[0] == 0


def test_bad_options(v1, tmp_path, capsys):
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert "--period" in import_err(capsys, path, "--period", "2023年")
    assert "分级" in import_err(capsys, path, "--level", "绝密")
    assert "不存在" in import_err(capsys, path, "--semantic", "姓名=身份证")
    assert "不在文件中" in import_err(capsys, path, "--semantic", "证件=id_number")
    assert "--key" in import_err(capsys, path, "--key", "编号")
    assert "格式不对" in import_err(capsys, path, "--semantic", "姓名")
    assert_untouched(v1)


class Interrupt:
    """A progress sink that presses Ctrl-C when the pipeline reaches ``at``."""

    def __init__(self, at: str):
        self.at = at

    def stage(self, description: str, total: float | None = None) -> None:
        if description.startswith(self.at):
            raise KeyboardInterrupt

    def advance(self, amount: float) -> None:
        pass

    def update(self, completed: float) -> None:
        if self.at == "update":
            raise KeyboardInterrupt


@pytest.mark.parametrize("at", ["转换编码", "update", "推断类型", "数据质量核查"])
def test_interrupted_import_leaves_previous_version(v1, tmp_path, at):
    path = tmp_path / "new.csv"
    path.write_bytes(("姓名,金额\n" + "王五,3\n" * 1000).encode("gbk"))
    with pytest.raises(KeyboardInterrupt):
        CatalogService(v1).import_file(ImportRequest(name="人员", path=path), Interrupt(at))
    assert_untouched(v1)
    jobs = CatalogService(v1).jobs()
    assert jobs[0]["status"] == "interrupted" and "之前的版本保持不变" in jobs[0]["error"]
    # the next import works and becomes version 2
    assert CatalogService(v1).import_file(ImportRequest(name="人员", path=path)).version == 2


class DuckInterrupt(Interrupt):
    """Ctrl-C as DuckDB 2 reports it when the signal lands during ``fetchall()`` of a catalog query: a
    plain RuntimeError, not KeyboardInterrupt (the console script once died with a traceback and exit 1)."""

    def stage(self, description: str, total: float | None = None) -> None:
        if description.startswith(self.at):
            raise RuntimeError("Query interrupted")


def test_interrupt_in_duckdbs_runtime_error_form_is_an_interruption(v1, tmp_path):
    path = tmp_path / "new.csv"
    path.write_bytes(("姓名,金额\n" + "王五,3\n" * 1000).encode("gbk"))
    with pytest.raises(KeyboardInterrupt):
        CatalogService(v1).import_file(ImportRequest(name="人员", path=path), DuckInterrupt("数据质量核查"))
    assert_untouched(v1)
    assert CatalogService(v1).jobs()[0]["status"] == "interrupted"


def test_every_form_of_ctrl_c_is_told_from_a_failure():
    import duckdb

    from shujian.engines.interrupts import interrupted

    assert interrupted(KeyboardInterrupt()) and interrupted(duckdb.InterruptException("INTERRUPT Error"))
    assert interrupted(RuntimeError("Query interrupted"))
    assert interrupted(duckdb.InvalidInputException(
        "Invalid Input Error: Python exception occurred while executing the UDF: KeyboardInterrupt: "))
    assert not interrupted(RuntimeError("boom")) and not interrupted(duckdb.ConversionException("x"))
    assert not interrupted(ValueError("Query interrupted"))


def test_crashed_import_is_marked_and_its_tables_dropped(v1, tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with v1.db.unit_of_work() as s:
        job = Job(kind="import", target="人员", status="running", pid=dead.pid)
        s.add(job)
        s.flush()
        job_id = job.id
    with v1.warehouse() as con:   # what a killed process leaves: a finished table and a staging table
        con.execute(f'CREATE TABLE "ds_{job_id:06d}" AS SELECT 1 AS x')
        con.execute(f'CREATE TABLE "_stage_{job_id}" AS SELECT 1 AS x')
    assert CatalogService(v1).describe("人员")["current_version"] == 1   # not visible
    path = tmp_path / "new.csv"
    path.write_text(GOOD, encoding="utf-8")
    code, out, _ = cli(capsys, "data", "import", str(path), "--name", "人员", "--no-progress", "--format", "json")
    assert code == 0 and json.loads(out)["version"] == 2
    with v1.db.unit_of_work() as s:
        crashed = s.execute(select(Job).where(Job.id == job_id)).scalar_one()
        assert crashed.status == "interrupted" and "进程意外退出" in crashed.error
    with v1.warehouse() as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert f"ds_{job_id:06d}" not in tables and f"_stage_{job_id}" not in tables
    assert len(tables) == 2   # versions 1 and 2


def test_running_job_of_a_live_process_is_left_alone(v1):
    import os

    with v1.db.unit_of_work() as s:
        job = Job(kind="import", target="人员", status="running", pid=os.getpid())
        s.add(job)
        s.flush()
        job_id = job.id
    with v1.warehouse() as con:
        con.execute(f'CREATE TABLE "_stage_{job_id}" AS SELECT 1 AS x')
    assert CatalogService(v1).recover_interrupted() == []
    with v1.warehouse() as con:
        assert con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '_stage_{job_id}'").fetchone()[0]


def test_service_errors_are_typed(ws, tmp_path):
    svc = CatalogService(ws)
    with pytest.raises(InputError):
        svc.import_file(ImportRequest(name="x", path=tmp_path / "none.csv"))
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(ImportFailed):
        svc.import_file(ImportRequest(name="x", path=tmp_path / "e.csv"))
    assert svc.list_datasets() == []


def test_real_ctrl_c_on_the_console_script(tmp_path):
    """SIGINT to a running ``shujian data import``: exit 130, job interrupted, version 1 still current."""
    from tests.catalog.conftest import interrupted_console_import

    # GBK: transcoding plus reading takes a few seconds
    home, exe, env, code, out, err, statuses, versions = interrupted_console_import(
        tmp_path, encoding="gbk", rows=600_000, settle=0.3)
    assert code == 130 and "导入已中断" in err and "之前的版本保持不变" in "".join(err.split()), (out, err)
    assert statuses == ["succeeded", "interrupted"] and versions == 1
    listing = subprocess.run([exe, "data", "list", "--format", "json"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert json.loads(listing.stdout)[0]["current_version"] == 1
    assert not list((home / "tmp").glob("import_*"))
