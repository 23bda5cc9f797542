"""Versions and provenance: re-import creates a new version, old ones stay readable, pinning."""

from __future__ import annotations

import getpass
import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from shujian.catalog.service import CatalogService
from shujian.cli.main import main


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_reimport_creates_version_two_and_version_one_stays_readable(ws, tmp_path, capsys):
    v1 = write(tmp_path / "v1.csv", "姓名,金额\n张三,1\n李四,2\n")
    v2 = write(tmp_path / "v2.csv", "姓名,金额,备注\n王五,3,补发\n赵六,4,\n钱七,5,\n")
    assert cli(capsys, "data", "import", str(v1), "--name", "发放", "--no-progress")[0] == 0
    assert cli(capsys, "data", "import", str(v2), "--name", "发放", "--no-progress")[0] == 0
    svc = CatalogService(ws)
    info = svc.describe("发放")
    assert info["current_version"] == 2 and [v["version"] for v in info["versions"]] == [1, 2]
    assert [c["name"] for c in info["columns"]] == ["姓名", "金额", "备注"]
    assert svc.preview("发放", 1) == (["姓名", "金额"], [("张三", 1), ("李四", 2)])
    assert svc.preview("发放")[1][0] == ("王五", 3, "补发")
    assert [c["name"] for c in svc.describe("发放", 1)["columns"]] == ["姓名", "金额"]
    assert svc.resolve("发放", 1).relation != svc.resolve("发放").relation
    assert svc.schema(["发放"]).get("发放").version == 2
    assert svc.schema(["发放"], {"发放": 1}).get("发放").column_names == ["姓名", "金额"]


def test_pin_and_unpin(ws, tmp_path, capsys):
    path = write(tmp_path / "a.csv", "姓名\n张三\n")
    for _ in range(3):
        assert cli(capsys, "data", "import", str(path), "--name", "固定", "--no-progress")[0] == 0
    code, out, _ = cli(capsys, "data", "pin", "固定", "2")
    assert code == 0 and "已固定为第 2 版" in out
    svc = CatalogService(ws)
    assert svc.resolve("固定").version == 2
    assert svc.schema().get("固定").version == 2
    assert svc.describe("固定")["pinned_version"] == 2
    code, out, _ = cli(capsys, "data", "list", "--format", "json")
    assert json.loads(out)[0]["pinned_version"] == 2 and json.loads(out)[0]["current_version"] == 3
    assert cli(capsys, "data", "import", str(path), "--name", "固定", "--no-progress")[0] == 0
    assert svc.resolve("固定").version == 2                 # a new import does not move a pin
    code, _, err = cli(capsys, "data", "pin", "固定", "9")
    assert code != 0 and "没有第 9 版" in err and "1、2、3、4" in err
    code, out, _ = cli(capsys, "data", "pin", "固定")
    assert code == 0 and "取消固定" in out
    assert svc.resolve("固定").version == 4


def test_provenance_recorded(ws, tmp_path, capsys):
    text = "身份证号,姓名,金额\n11010519491231002X,张三,1\n110105198001010016,李四,2\n"
    path = write(tmp_path / "人社.csv", text, "gbk")
    before = datetime.now(UTC)
    code, out, err = cli(capsys, "data", "import", str(path), "--name", "养老金发放", "--agency", "市人社局",
                         "--request-no", "京检调〔2024〕15号", "--period", "2023-01-01..2023-12-31",
                         "--level", "敏感", "--description", "2023 年养老金发放明细", "--no-progress")
    assert code == 0, err
    info = CatalogService(ws).describe("养老金发放")
    v = info["version"]
    assert (v["agency"], v["request_no"], v["period"]) == ("市人社局", "京检调〔2024〕15号", ["2023-01-01", "2023-12-31"])
    assert v["level"] == "敏感" and info["level"] == "敏感" and info["description"] == "2023 年养老金发放明细"
    assert v["importer"] == getpass.getuser() and v["rows"] == 2
    assert v["content_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()   # hash of the delivered bytes
    assert v["source_path"] == str(path.resolve()) and v["source_format"] == "csv"
    assert v["source_encoding"] == "gb18030"
    imported = datetime.fromisoformat(v["imported_at"])     # UTC with an offset on both databases
    assert imported.utcoffset() == timedelta(0) and before - timedelta(seconds=5) <= imported <= datetime.now(UTC)
    # shown in the terminal too
    code, out, _ = cli(capsys, "data", "show", "养老金发放")
    flat = "".join(out.split())
    assert "来源单位：市人社局" in flat and "调取函号：京检调〔2024〕15号" in flat and "2023-01-01..2023-12-31" in flat


def test_open_period_and_default_level(ws, tmp_path, capsys):
    path = write(tmp_path / "a.csv", "姓名\n张三\n")
    assert cli(capsys, "data", "import", str(path), "--name", "期间", "--period", "2023-01-01..",
               "--no-progress")[0] == 0
    v = CatalogService(ws).describe("期间")["version"]
    assert v["period"] == ["2023-01-01", None] and v["level"] == "内部"
    assert date.fromisoformat(v["period"][0]) == date(2023, 1, 1)


def test_same_content_twice_same_hash(ws, tmp_path, capsys):
    path = write(tmp_path / "a.csv", "姓名\n张三\n")
    cli(capsys, "data", "import", str(path), "--name", "h", "--no-progress")
    cli(capsys, "data", "import", str(path), "--name", "h", "--no-progress")
    write(tmp_path / "a.csv", "姓名\n李四\n")
    cli(capsys, "data", "import", str(path), "--name", "h", "--no-progress")
    hashes = [v["content_hash"] for v in CatalogService(ws).describe("h")["versions"]]
    assert hashes[0] == hashes[1] != hashes[2]
