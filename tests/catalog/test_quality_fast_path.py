"""The quality report's single-scan form (null test once per row, native ID checks, duplicates without
a row list per group) gives the same figures as the plain one-condition-per-count SQL it replaced."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from shujian.catalog.quality import _null_cond, quality_report
from shujian.catalog.schema import ROW_ID, ColumnSchema
from shujian.catalog.semantic import register_udfs, valid_sql

IDS = ["11010519491231002X", "11010519491231002x", "110105491231002", "１１０１０５１９４９１２３１００２Ｘ",
       " 11010519491231002X ", "110105-19491231-002X", "110105194912310021", "990105194912310028", "无", " 无 ",
       "N/ A", "'11010519491231002X", "", None, "11010520000229001X", "110105190002290016", "暂无"]
NAMES = ["张三", "欧阳 娜娜", "阿卜杜·热合曼", "马•克", "Tom", "王", "无", "暂无", " 赵六 ", "N/A", "不详", None, "李1"]
PHONES = ["13812345678", "+86 138-1234-5678", "12345", "１３８１２３４５６７８", "-", None]
USCCS = ["91110000600037341L", "91110000600037341l", "9111 0000 6000 37341L", "91110000600037341M", "无", None]


def _table(n: int = 3000) -> pa.Table:
    rnd = random.Random(7)
    return pa.table({ROW_ID: list(range(1, n + 1)),
                     "身份证号": [rnd.choice(IDS) for _ in range(n)], "姓名": [rnd.choice(NAMES) for _ in range(n)],
                     "手机": [rnd.choice(PHONES) for _ in range(n)], "信用代码": [rnd.choice(USCCS) for _ in range(n)],
                     "次数": [rnd.choice([1, 2, None]) for _ in range(n)]})


COLUMNS = [ColumnSchema("身份证号", "VARCHAR", "id_number"), ColumnSchema("姓名", "VARCHAR", "person_name"),
           ColumnSchema("手机", "VARCHAR", "phone"), ColumnSchema("信用代码", "VARCHAR", "uscc"),
           ColumnSchema("次数", "BIGINT", None)]


def _plain(con, col: ColumnSchema) -> tuple:
    """The figures by the plain SQL: every count repeats the null test and the inline validity check."""
    q, null = f'"{col.name}"', _null_cond(col)
    valid = valid_sql(col.semantic, q) if col.semantic else None
    inv = f"count(*) FILTER (WHERE NOT {null} AND NOT {valid})" if valid else "NULL"
    return con.execute(f"SELECT count(*) FILTER (WHERE {null}), count(DISTINCT {q}) FILTER (WHERE NOT {null}), "
                       f"{inv} FROM t").fetchone()


def test_single_scan_report_equals_plain_sql():
    con = duckdb.connect()
    register_udfs(con)
    con.register("t", _table())
    report = quality_report(con, "t", COLUMNS, key_columns=["身份证号"])
    for col in COLUMNS:
        entry = report["columns"][col.name]
        assert (entry["nulls"], entry["distinct"], entry["invalid"]) == _plain(con, col), col.name
    assert report["columns"]["身份证号"]["invalid"] > 0 and report["columns"]["信用代码"]["invalid"] > 0
    grouped = ('SELECT "身份证号", count(*) AS n, list(_row_id ORDER BY _row_id) AS r FROM t '
               'WHERE "身份证号" IS NOT NULL GROUP BY ALL HAVING count(*) > 1')
    values, rows = con.execute(f"SELECT count(*), sum(n) FROM ({grouped})").fetchone()
    first = con.execute(f"SELECT * FROM ({grouped}) ORDER BY r[1] LIMIT 5").fetchall()
    dup = report["duplicates"]
    assert (dup["values"], dup["rows"]) == (values, rows)
    assert [(e["key"]["身份证号"], e["count"], e["rows"]) for e in dup["examples"]] == [(k, n, r[:5]) for k, n, r in first]


def test_the_trimmed_characters_are_those_of_duckdb_trim():
    """The null-marker test skips ``trim`` for long values whose ends are none of ``TRIMMED``: that
    list must be exactly what DuckDB's trim() removes (checked over every code point)."""
    from shujian.catalog.quality import TRIMMED

    con = duckdb.connect()
    points = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    con.execute("CREATE TABLE cp AS SELECT unnest(?::INTEGER[]) AS c", [points])
    trimmed = con.execute("SELECT c FROM cp WHERE length(trim(chr(c) || 'a' || chr(c))) <> 3 ORDER BY c").fetchall()
    assert [chr(c) for (c,) in trimmed] == sorted(TRIMMED)


@pytest.mark.parametrize("value", ["无", " 无 ", "\u3000无资料\u3000", "无\t", "\u00a0" * 20 + "NULL", "N/A" + " " * 30,
                                   "不是空值的一段很长的文字", " 不是空值的一段很长的文字 ", "", " " * 40, "——", "x" * 40])
def test_null_markers_counted_as_trim_in(value):
    from shujian.catalog.typeinfer import NULL_MARKERS

    con = duckdb.connect()
    con.execute('CREATE TABLE t AS SELECT ?::VARCHAR AS "备注"', [value])
    (got,) = con.execute(f"SELECT {_null_cond(ColumnSchema('备注', 'VARCHAR'))} FROM t").fetchone()
    (trimmed,) = con.execute("SELECT trim(?)", [value]).fetchone()
    assert got == (trimmed in NULL_MARKERS)


def test_null_marker_test_at_each_trimmed_character():
    """Every character trim() removes, before or after a marker padded past the length shortcut (the
    first character is tested by its code point, the last as a substring): the same as trim() IN."""
    from shujian.catalog.quality import TRIMMED
    from shujian.catalog.typeinfer import NULL_MARKERS

    values = [pad * 12 + "无" + " " * k for pad in TRIMMED for k in (0, 1)]
    values += ["无" + pad * 12 for pad in TRIMMED] + ["x" + pad * 12 for pad in TRIMMED]
    con = duckdb.connect()
    con.execute('CREATE TABLE t AS SELECT unnest(?::VARCHAR[]) AS "备注"', [values])
    got = con.execute(f"SELECT {_null_cond(ColumnSchema('备注', 'VARCHAR'))}, trim(\"备注\") FROM t").fetchall()
    assert [g for g, _t in got] == [t in NULL_MARKERS for _g, t in got]
    assert sum(g for g, _t in got) == 3 * len(TRIMMED)
