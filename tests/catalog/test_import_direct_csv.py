"""A CSV is read once, straight into the dataset version (issue 20, target 1): records keep their
numbers, messages name the right line, a failing import leaves nothing, and no pandas is loaded.

The file is made the way agency exports come: GBK with CRLF, a title line above the header
(--header-row 2), quoted values spanning two lines, blank lines and lines with a wrong number of
fields.  The expected numbers are counted here from the lines the test writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from stdnum.cn import ric

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.errors import ImportFailed

HEADER = "编号,身份证号,备注,金额"


def _id(i: int, wrong: bool) -> str:
    body = f"1101051980{1 + i % 9:02d}1{i % 10}{i % 1000:03d}"[:17]
    check = ric.calc_check_digit(body + "0")
    if wrong:
        check = "0" if check != "0" else "1"
    return body + check


def export(path: Path, n: int = 300, eol: str = "\r\n") -> tuple[list[dict], list[int]]:
    """Write the export; return its records in file order and the file lines of its bad lines."""
    lines = ["某区人力资源和社会保障局 人员名单", HEADER]
    records: list[dict] = []
    bad: list[int] = []
    for i in range(n):
        note = f'"第{i}条{eol}续行"' if i % 7 == 3 else ("无" if i % 11 == 0 else f"备注{i}")
        rec = {"no": f"N{i:05d}", "id": _id(i, wrong=i % 13 == 5), "note": note, "amount": f"{i}.50"}
        if i % 17 == 8:
            rec["amount"] = "不是金额"
        lines.append(",".join([rec["no"], rec["id"], rec["note"], rec["amount"]]))
        records.append(rec)
        if i % 50 == 20:
            lines.append("")
        if i % 60 == 30:
            lines.append("坏行,只有,三列")
            bad.append(_line_of_last(lines, eol))
    path.write_bytes((eol.join(lines) + eol).encode("gbk"))
    return records, bad


def _line_of_last(lines: list[str], eol: str) -> int:
    """The 1-based line in the file of the last entry of ``lines`` (an entry may hold a line break)."""
    return sum(x.count(eol) + 1 for x in lines)


@pytest.mark.parametrize("eol", ["\r\n", "\n"])
def test_bad_lines_are_named_by_their_line_in_the_file(sqlite_ws, tmp_path, eol):
    """Lines before a bad line may hold quoted values spanning two lines: the message names the
    line an editor shows (DuckDB's own count takes such a record as one line)."""
    path = tmp_path / "人员.csv"
    _, bad = export(path, eol=eol)
    with pytest.raises(ImportFailed) as err:
        CatalogService(sqlite_ws).import_file(ImportRequest(name="人员", path=path, header_row=2))
    listed = "、".join(str(n) for n in bad)
    assert f"人员.csv 第 {listed} 行格式有误" in str(err.value)
    assert [r["line"] for r in err.value.details["bad_rows"]] == bad
    assert CatalogService(sqlite_ws).list_datasets() == []
    with sqlite_ws.warehouse() as con:   # nothing half-written: no version table, no staging left
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0] == 0
    assert CatalogService(sqlite_ws).jobs()[0]["status"] == "failed"


def test_records_keep_their_numbers(sqlite_ws, tmp_path):
    path = tmp_path / "人员.csv"
    records, bad = export(path)
    svc = CatalogService(sqlite_ws)
    result = svc.import_file(ImportRequest(name="人员", path=path, header_row=2, skip_bad_rows=True))
    assert [s["line"] for s in result.skipped] == bad
    ref = svc.resolve("人员")
    with sqlite_ws.warehouse() as con:
        rows = con.execute(f'SELECT _row_id, "编号" FROM "{ref.relation}" ORDER BY _row_id').fetchall()
    assert rows == [(k, r["no"]) for k, r in enumerate(records, 1)]
    # the quality report points at the records with wrong check digits
    quality = svc.quality("人员")
    wrong = [k for k, r in enumerate(records, 1) if r["id"] != _id(k - 1, wrong=False)]
    assert quality["columns"]["身份证号"]["invalid"] == len(wrong)
    assert [e["record"] for e in quality["columns"]["身份证号"]["invalid_examples"]] == wrong[:5]
    # a forced type names the records whose values do not fit
    with pytest.raises(ImportFailed) as err:
        svc.import_file(ImportRequest(name="人员", path=path, header_row=2, skip_bad_rows=True,
                                      types={"金额": "decimal"}))
    first = [k for k, r in enumerate(records, 1) if r["amount"] == "不是金额"][:5]
    assert "；".join(f"第 {k} 条记录“不是金额”" for k in first) in str(err.value)
    assert svc.describe("人员")["current_version"] == 1


def test_an_import_does_not_load_pandas(tmp_path):
    """pyarrow's ``pa.array`` imports pandas on first use (≈ 0.3 s): the UDFs build their results
    from Arrow buffers instead."""
    path = tmp_path / "人员.csv"
    export(path, n=50)
    code = ("import sys; from pathlib import Path; from shujian.workspace import open_workspace; "
            "from shujian.catalog.importer import Importer, ImportRequest; ws = open_workspace(); "
            "r = Importer(ws).import_file(ImportRequest(name='人员', path=Path(sys.argv[1]), header_row=2, "
            "skip_bad_rows=True)); print(r.rows, 'pandas' in sys.modules)")
    env = dict(os.environ, SHUJIAN_HOME=str(tmp_path / "home"))
    env.pop("SHUJIAN_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["50", "False"]


def test_an_unclosed_quote_is_not_called_an_encoding_problem(sqlite_ws, tmp_path):
    """DuckDB's sniffing error lists the encoding it tried (utf-8): the message was “invalid UTF-8”."""
    path = tmp_path / "备注.csv"
    rows = "\n".join(f"张{i},备注{i}" for i in range(100))
    path.write_text(f'姓名,备注\n{rows}\n李四,"没有结束的引号\n王五,x\n', encoding="utf-8")
    with pytest.raises(ImportFailed) as err:
        CatalogService(sqlite_ws).import_file(ImportRequest(name="备注", path=path))
    assert "备注.csv" in str(err.value) and "引号" in str(err.value) and "UTF-8" not in str(err.value)
    assert CatalogService(sqlite_ws).list_datasets() == []
