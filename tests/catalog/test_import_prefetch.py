"""``shujian data import`` reads a CSV file while the command starts (``catalog.prefetch``): the same
dataset, report and messages as the import that reads the file itself, and nothing left behind when
the import is refused, fails or is interrupted."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest

from shujian.catalog import prefetch
from shujian.catalog.service import CatalogService
from shujian.cli.main import main


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture
def adopted(monkeypatch):
    """The prefetches the importer took."""
    taken = []
    real = prefetch.CsvPrefetch.adopt

    def adopt(self, *args, **kwargs):
        taken.append(self.path.name)
        return real(self, *args, **kwargs)
    monkeypatch.setattr(prefetch.CsvPrefetch, "adopt", adopt)
    return taken


def _awkward_csv(path: Path, rng: random.Random, rows: int) -> None:
    """Values spanning lines, a blank line, a repeated header, a line with a field too many, markers,
    dates and amounts in several forms, IDs with and without their check digit, a table footer."""
    lines = ["身份证号,姓名,日期,金额,备注"]
    for i in range(rows):
        body = f"{rng.choice(['110105', '330102', '440305'])}19{rng.randrange(50, 99)}0{rng.randrange(1, 9)}" \
               f"1{rng.randrange(1, 9)}{rng.randrange(100, 999)}"
        from stdnum.cn import ric

        ident = rng.choice([body + ric.calc_check_digit(body + "0"), body + "0", "无", "", f" {body}x "])
        name = rng.choice(["张三", "李 四", "王五", "NULL", "-", "欧阳·娜娜"])
        day = rng.choice(["2024-01-05", "2024/1/5", "20240105", "2024年1月5日", "暂无", "2024-01-05 00:00:00"])
        amount = rng.choice(["\"1,000元\"", "12.5", "（300）", "", "2万元"])
        note = rng.choice(["正常", "\"含,逗号\"", "\"跨\n行\"", "备注" * rng.randrange(1, 30)])
        lines.append(f"{ident},{name},{day},{amount},{note}")
        if i == rows // 3:
            lines.append("")
            lines.append("身份证号,姓名,日期,金额,备注")
        if i == rows // 2:
            lines.append("110105194912310021,赵六,2024-01-05,1,多,一列")
    lines.append("合计,,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _dataset(ws, name: str) -> tuple[list, list, dict]:
    """The version's rows and columns (raw copies included) and its quality report."""
    report = CatalogService(ws).quality(name, None)
    relation = report["relation"]
    with ws.warehouse() as con:
        rows = con.execute(f'SELECT * FROM "{relation}" ORDER BY _row_id').fetchall()
        cols = con.execute(f'DESCRIBE "{relation}"').fetchall()
    return rows, cols, {k: v for k, v in report.items() if k not in ("relation", "dataset")}


@pytest.mark.parametrize("seed", [1, 2])
def test_prefetched_import_is_the_import_without_it(ws, tmp_path, capsys, monkeypatch, adopted, seed):
    path = tmp_path / "发放.csv"
    _awkward_csv(path, random.Random(seed), 3000)
    out = {}
    for on, name in (("0", "甲"), ("1", "乙")):
        monkeypatch.setenv("SHUJIAN_IMPORT_PREFETCH", on)
        code, text, err = _cli(capsys, "data", "import", str(path), "--name", name, "--skip-bad-rows",
                               "--no-progress", "--format", "json")
        assert code == 0, err
        result = json.loads(text)
        out[name] = ({k: v for k, v in result.items() if k not in ("dataset", "seconds")}, *_dataset(ws, name))
    assert adopted == ["发放.csv"]                       # the second import took the prefetched table
    assert out["甲"] == out["乙"]
    assert out["乙"][0]["skipped_rows"] == 1 and out["乙"][0]["rows"] == 3000
    assert not list((ws.settings.tmp_path).glob("import_*"))


def test_bad_lines_are_refused_with_the_same_message(ws, tmp_path, capsys, monkeypatch, adopted):
    path = tmp_path / "坏.csv"
    _awkward_csv(path, random.Random(3), 500)
    errors = []
    for on in ("0", "1"):
        monkeypatch.setenv("SHUJIAN_IMPORT_PREFETCH", on)
        code, _, err = _cli(capsys, "data", "import", str(path), "--name", "坏", "--no-progress")
        assert code != 0
        errors.append(err)
    assert adopted == ["坏.csv"] and errors[0] == errors[1] and "格式有误" in errors[1]
    assert CatalogService(ws).list_datasets() == []
    assert [j["status"] for j in CatalogService(ws).jobs()] == ["failed", "failed"]


def test_a_gbk_file_is_left_to_the_importer(ws, tmp_path, capsys, monkeypatch, adopted):
    """A GBK file with a title line, CRLF and quoted values over two lines, large enough for the
    transcoding workers: not prefetched (the importer transcodes it), the same result either way, no
    transcoded copy left."""
    rng = random.Random(5)
    path = tmp_path / "gbk.csv"
    rows = ["人员信息表,,", "姓名,金额,备注"] + [f"{rng.choice(['张三', '李四', '無'])},{i},"
                                              + rng.choice(["正常", '"跨\r\n行"', "备注" * rng.randrange(9)])
                                              for i in range(120_000)]
    path.write_bytes("\r\n".join(rows).encode("gbk") + b"\r\n")
    from shujian.catalog import encodings  # small blocks: the file goes to the transcoding workers

    monkeypatch.setattr(encodings, "CHUNK", 1 << 18)
    monkeypatch.setattr(encodings, "MIN_PARALLEL_BYTES", 1 << 20)
    runs = []
    real = encodings.parallel_transcode
    monkeypatch.setattr(encodings, "parallel_transcode", lambda *a, **k: runs.append(real(*a, **k)) or runs[-1])
    out = {}
    for on, name in (("0", "甲"), ("1", "乙")):
        monkeypatch.setenv("SHUJIAN_IMPORT_PREFETCH", on)
        code, text, err = _cli(capsys, "data", "import", str(path), "--name", name, "--header-row", "2",
                               "--no-progress", "--format", "json")
        assert code == 0, err
        result = json.loads(text)
        out[name] = ({k: v for k, v in result.items() if k not in ("dataset", "seconds")}, *_dataset(ws, name))
    assert adopted == [] and out["甲"] == out["乙"] and out["乙"][0]["rows"] == 120_000
    assert [len(r) for r in runs] == [2, 2]     # both imports' transcoding ran in two runs
    assert not list((ws.settings.tmp_path).glob("import_*"))


def test_unreadable_files_are_read_by_the_importer(ws, tmp_path, capsys, monkeypatch, adopted):
    """A file the prefetch cannot read is read again by the importer, which says what is wrong."""
    monkeypatch.setenv("SHUJIAN_IMPORT_PREFETCH", "1")
    headless = tmp_path / "headless.csv"      # staging refuses it: the prefetch drops its read
    headless.write_text("\n姓名,金额\n张三,10\n", encoding="utf-8")
    code, _, err = _cli(capsys, "data", "import", str(headless), "--name", "空", "--no-progress")
    assert code != 0 and "没有表头" in err
    assert adopted == [] and [j["status"] for j in CatalogService(ws).jobs()] == ["failed"]
    assert not list((ws.settings.tmp_path).glob("import_*"))


def test_a_refused_import_leaves_nothing(sqlite_ws, tmp_path, capsys, monkeypatch, adopted):
    """A user without the right to import: refused before anything is written; the prefetch's read is
    stopped and its connection closed (the warehouse never attached)."""
    from shujian.web.accounts import ensure_demo_accounts

    ensure_demo_accounts(sqlite_ws)
    started = []
    real = prefetch.CsvPrefetch.start.__func__

    def start(cls, *args, **kwargs):
        started.append(real(cls, *args, **kwargs))
        return started[-1]
    monkeypatch.setattr(prefetch.CsvPrefetch, "start", classmethod(start))
    monkeypatch.setenv("SHUJIAN_IMPORT_PREFETCH", "1")
    path = tmp_path / "人员.csv"
    _awkward_csv(path, random.Random(4), 2000)
    code, _, err = _cli(capsys, "data", "import", str(path), "--name", "人员", "--as", "jj_jcg", "--no-progress")
    assert code != 0 and "无权" in err
    (pre,) = started
    assert pre.con is None and not pre._thread.is_alive() and pre.tmp_files == []
    assert adopted == [] and CatalogService(sqlite_ws).list_datasets() == []
    with sqlite_ws.warehouse() as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE NOT temporary").fetchone()[0] == 0


@pytest.mark.parametrize(("encoding", "pause"), [("utf-8", 0.05), ("utf-8", 0.5), ("gbk", 0.05), ("gbk", 0.5)])
def test_close_stops_a_read_that_runs(tmp_path, monkeypatch, encoding, pause):
    """``close`` while the file is transcoded or read: the work stops, the connection is closed and
    the transcoded copy removed."""
    home = tmp_path / "home"
    monkeypatch.setenv("SHUJIAN_HOME", str(home))
    monkeypatch.delenv("SHUJIAN_DATABASE_URL", raising=False)
    monkeypatch.setenv("SHUJIAN_DUCKDB_THREADS", "1")   # a GBK file transcoded here, block by block
    path = tmp_path / "big.csv"
    with path.open("w", encoding=encoding) as fh:
        fh.write("姓名,金额,备注\n")
        fh.writelines(f"张{i % 97},{i},第{i}笔发放记录\n" for i in range(300_000))
    pre = prefetch.CsvPrefetch.start(path)
    time.sleep(pause)
    pre.close()
    assert pre.con is None and not pre._thread.is_alive() and pre.tmp_files == []
    assert pre.wait() is False
    assert not list((home / "tmp").glob("import_*"))


def test_ctrl_c_on_the_console_script_with_a_prefetched_file(tmp_path):
    """SIGINT to ``shujian data import`` of a UTF-8 file (read by the prefetch): exit 130, the job
    interrupted, version 1 still current, nothing left in tmp."""
    from tests.catalog.conftest import interrupted_console_import

    home, _, _, code, out, err, statuses, versions = interrupted_console_import(
        tmp_path, encoding="utf-8", rows=1_500_000, env_extra={"SHUJIAN_IMPORT_PREFETCH": "1"})
    assert code == 130 and "导入已中断" in err, (out, err)
    assert statuses == ["succeeded", "interrupted"] and versions == 1
    assert not list((home / "tmp").glob("import_*"))


def test_the_read_runs_under_the_import_memory_limit(tmp_path, monkeypatch):
    """The prefetch's connection has SHUJIAN_IMPORT_MEMORY_LIMIT, as the importer's own has."""
    import duckdb

    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHUJIAN_DATABASE_URL", raising=False)
    monkeypatch.setenv("SHUJIAN_IMPORT_MEMORY_LIMIT", "300MB")
    path = tmp_path / "a.csv"
    path.write_text("姓名,金额\n张三,10\n", encoding="utf-8")
    pre = prefetch.CsvPrefetch.start(path)
    try:
        assert pre.wait()
        want = duckdb.connect()
        want.execute("SET memory_limit = '300MB'")
        setting = "SELECT current_setting('memory_limit')"
        assert pre.con.execute(setting).fetchone() == want.execute(setting).fetchone()
        assert pre.con.execute(f"SELECT count(*) FROM {prefetch.STAGE}").fetchone()[0] == 1
    finally:
        pre.close()
