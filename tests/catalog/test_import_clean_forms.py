"""Columns with a clean form (身份证号, 姓名, 手机号, 统一社会信用代码, ``importer.CLEAN_FORMS``): the
version holds what the one-expression form ``fast_path`` (tests/catalog/conftest.py) gives for every
CREATE cleans each such column's text once (in its own projection, for the values not already clean)."""

from __future__ import annotations

import csv

import duckdb
from tests.catalog.conftest import fast_path

from shujian.catalog import semantic
from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.catalog.typeinfer import null_sql

COLUMNS = {"身份证号": "id_number", "姓名": "person_name", "手机号": "phone", "统一社会信用代码": "uscc"}
CLEAN = ["11010519491231002X", "张三", "13800138000", "91110000802100433B"]
AWKWARD = [
    [" 11010519491231002x ", "张 三", "138 0013 8000", "91110000802100433b"],
    ["１１０１０５１９４９１２３１００２Ｘ", "欧阳.娜娜", "１３８００１３８０００", " 91110000802100433B"],
    ["110105491231002", "无", "138-0013-8000", "9111-0000-8021-0043-3B"],
    ["110105-19491231-002X", " 李四 ", "无", "-"],
    ["无", "John Smith", "N/A", "无资料"],
    ["", "", "", ""],
    ["N-A", "暂无", "—", "NULL"],
    ["\u300011010519491231002X", "王\u3000五", "+86 13800138000", "91110000802100433B\u3000"],
]


def _write(path) -> list[list[str]]:
    rows = [CLEAN] * 30 + AWKWARD + [CLEAN] * 5
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(COLUMNS))
        w.writerows(rows)
    return rows


def test_clean_form_columns_equal_the_one_expression_form(sqlite_ws, tmp_path) -> None:
    path = tmp_path / "people.csv"
    rows = _write(path)
    res = CatalogService(sqlite_ws).import_file(ImportRequest(name="people", path=path))
    assert {c.name: c.semantic for c in res.columns} == COLUMNS
    con = duckdb.connect()
    semantic.register_udfs(con)
    with sqlite_ws.warehouse(read_only=True) as wh:
        got = wh.execute(f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in COLUMNS)} '
                         f'FROM "{res.relation}" ORDER BY _row_id').fetchall()
    for j, sem in enumerate(COLUMNS.values()):
        ref = fast_path(sem, "v", semantic.normalize_sql(sem, null_sql("v")))
        # the raw text as DuckDB's reader gives it ('' is NULL there)
        want = [con.execute(f"SELECT {ref} FROM (SELECT CAST(? AS VARCHAR) AS v)", [r[j] or None]).fetchone()[0]
                for r in rows]
        assert [g[j] for g in got] == want, sem


def test_the_create_cleans_each_clean_form_column_once(sqlite_ws, tmp_path, warehouse_log) -> None:
    path = tmp_path / "people.csv"
    _write(path)
    res = CatalogService(sqlite_ws).import_file(ImportRequest(name="people", path=path))
    # the statement that writes the rows (CREATE … AS, or INSERT after a CREATE naming the columns' storage)
    create = next(s for s in warehouse_log if s.startswith((f'CREATE TABLE "{res.relation}" AS',
                                                            f'INSERT INTO "{res.relation}"')))
    for name in COLUMNS:
        # text_sql's guard for full-width characters: once per column, not once per copy of the cleaning
        assert create.count(f"regexp_matches(CAST(\"{name}\" AS VARCHAR), '[０-９") == 1, name
