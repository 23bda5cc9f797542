"""The ``shujian data`` commands: JSON output on every listing command, readable tables, non-zero
exits with Chinese messages, and one end-to-end run of the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shujian.cli.main import main

CSV = "身份证号,姓名,金额\n11010519491231002x,张三,\"1,000元\"\n110105198001010016,李四,20\n"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture
def imported(ws, tmp_path, capsys):
    path = tmp_path / "人员.csv"
    path.write_text(CSV, encoding="utf-8")
    code, _, err = cli(capsys, "data", "import", str(path), "--name", "人员", "--agency", "市公安局", "--no-progress")
    assert code == 0, err
    return ws


@pytest.mark.parametrize("args", [["data", "list"], ["data", "show", "人员"], ["data", "quality", "人员"],
                                  ["data", "jobs"], ["data", "show", "人员", "--version", "1", "--rows", "1"]])
def test_every_listing_command_prints_json(imported, capsys, args):
    code, out, _ = cli(capsys, *args, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data


def test_json_contents(imported, capsys):
    listing = json.loads(cli(capsys, "data", "list", "--format", "json")[1])
    assert [(d["name"], d["rows"], d["columns"], d["agency"]) for d in listing] == [("人员", 2, 3, "市公安局")]
    show = json.loads(cli(capsys, "data", "show", "人员", "--format", "json")[1])
    assert show["preview"][0] == {"身份证号": "11010519491231002X", "姓名": "张三", "金额": 1000.0}
    jobs = json.loads(cli(capsys, "data", "jobs", "--format", "json")[1])
    assert jobs[0]["status"] == "succeeded" and jobs[0]["target"] == "人员"


def test_empty_catalog_json_is_an_empty_list(ws, capsys):
    code, out, _ = cli(capsys, "data", "list", "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_tables_are_readable(imported, capsys, monkeypatch):
    from shujian.cli.common import console

    monkeypatch.setattr(console, "width", 200)
    code, out, _ = cli(capsys, "data", "list")
    assert code == 0 and "数据资源目录" in out and "人员" in out and "市公安局" in out
    code, out, _ = cli(capsys, "data", "show", "人员")
    assert "11010519491231002X" in out and "id_number" in out and "DECIMAL(18,2)" in out
    code, out, _ = cli(capsys, "data", "jobs")
    assert "succeeded" in out


@pytest.mark.parametrize("args,fragment", [
    (["data", "show", "人"], "是否指“人员”"),
    (["data", "show", "完全不同"], "shujian data list"),
    (["data", "quality", "没有"], "不存在"),
    (["data", "show", "人员", "--version", "5"], "没有第 5 版"),
    (["data", "pin", "没有", "1"], "不存在"),
])
def test_errors_exit_non_zero_in_chinese(imported, capsys, args, fragment):
    code, out, err = cli(capsys, *args)
    assert code != 0 and out == ""
    assert "错误：" in err and fragment in "".join(err.split()) or fragment in err


def test_usage_error_exits_non_zero(ws, capsys):
    assert cli(capsys, "data", "import")[0] != 0
    assert cli(capsys, "data", "list", "--format", "xml")[0] != 0


def test_import_table_output_reports_skips_and_notes(ws, tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text("姓名,金额\n张三,1\n李四,2,3\n", encoding="utf-8")
    code, out, _ = cli(capsys, "data", "import", str(path), "--name", "a", "--skip-bad-rows", "--no-progress")
    flat = "".join(out.split())
    assert code == 0 and "已导入数据集“a”第1版：1行，2列" in flat and "跳过1行格式错误的行：第3行" in flat


def test_console_script_end_to_end(tmp_path, metadata_url):
    """The installed ``shujian`` command in a fresh SHUJIAN_HOME: no init step needed."""
    path = tmp_path / "人员.csv"
    path.write_bytes(CSV.encode("gbk"))
    env = dict(os.environ, SHUJIAN_HOME=str(tmp_path / "新工作区"), SHUJIAN_DATABASE_URL=metadata_url)
    exe = str(Path(sys.executable).with_name("shujian"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=120)

    imp = run("data", "import", str(path), "--name", "人员", "--format", "json")
    assert imp.returncode == 0, imp.stderr
    assert json.loads(imp.stdout)["rows"] == 2
    listing = run("data", "list", "--format", "json")
    assert json.loads(listing.stdout)[0]["name"] == "人员"
    bad = run("data", "import", str(tmp_path / "none.csv"), "--name", "人员")
    assert bad.returncode == 2 and "不存在" in bad.stderr and bad.stdout == ""


@pytest.mark.parametrize("tz,offset", [("Asia/Shanghai", 8), ("UTC", 0)])
def test_list_shows_the_import_time_in_local_minutes(imported, capsys, monkeypatch, tz, offset):
    import time
    from datetime import datetime, timedelta

    from shujian.cli.common import console

    monkeypatch.setattr(console, "width", 250)
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        iso = json.loads(cli(capsys, "data", "list", "--format", "json")[1])[0]["imported_at"]
        code, out, _ = cli(capsys, "data", "list")
    finally:
        monkeypatch.undo()
        time.tzset()
    utc = datetime.fromisoformat(iso)
    assert code == 0 and iso not in out and "+00:00" not in out
    assert (utc + timedelta(hours=offset)).strftime("%Y-%m-%d %H:%M") in out
