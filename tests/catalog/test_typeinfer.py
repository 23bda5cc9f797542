"""Type inference: every supported format, parsed by real DuckDB."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from shujian.catalog.typeinfer import (
    NULL_MARKERS,
    clean_text,
    infer_column,
    null_sql,
    parse_amount_text,
    parse_date_text,
    parse_month_text,
    parse_sql,
    parse_timestamp_text,
)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def run(con, values: list[str | None], inferred=None) -> list:
    """Parse ``values`` with the inferred (or given) type in DuckDB, in order."""
    inferred = inferred or infer_column(values)
    con.execute("CREATE OR REPLACE TEMP TABLE raw (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO raw VALUES (?, ?)", list(enumerate(values)))
    return [r[0] for r in con.execute(f"SELECT {parse_sql(inferred, 'x')} FROM raw ORDER BY i").fetchall()]


@pytest.mark.parametrize("raw", ["2023-01-05", "2023/1/5", "2023.1.5", "2023年1月5日", "20230105",
                                 "2023年01月05", "２０２３-01-05", " 2023-1-05 ", "\u00a02023-01-05\u00a0"])
def test_every_date_format(con, raw):
    inf = infer_column([raw, "2024-02-29"])
    assert inf.dtype == "DATE" and inf.note == ""
    assert run(con, [raw, "2024-02-29"], inf) == [date(2023, 1, 5), date(2024, 2, 29)]
    assert parse_date_text(raw) == date(2023, 1, 5)


@pytest.mark.parametrize("raw", ["202301", "2023-01", "2023/1", "2023年1月", "2023年01月", "2023-1"])
def test_every_month_format(con, raw):
    inf = infer_column([raw, "202312"])
    assert (inf.dtype, inf.note) == ("DATE", "年月")
    assert run(con, [raw, "202312"], inf) == [date(2023, 1, 1), date(2023, 12, 1)]
    assert parse_month_text(raw) == date(2023, 1, 1)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2023-01-05 12:30:00", datetime(2023, 1, 5, 12, 30)),
    ("2023-01-05 12:30", datetime(2023, 1, 5, 12, 30)),
    ("2023/1/5 8:05:09", datetime(2023, 1, 5, 8, 5, 9)),
    ("2023-01-05T12:30:00", datetime(2023, 1, 5, 12, 30)),
    ("2023年1月5日 12:30", datetime(2023, 1, 5, 12, 30)),
    ("2023.1.5 23:59:59", datetime(2023, 1, 5, 23, 59, 59)),
    ("2023-01-05 12:30:00.250", datetime(2023, 1, 5, 12, 30, 0, 250000)),
])
def test_every_timestamp_format(con, raw, expected):
    inf = infer_column([raw, "2023-01-06 00:00:00"])
    assert inf.dtype == "TIMESTAMP"
    assert run(con, [raw], inf) == [expected]
    assert parse_timestamp_text(raw).replace(microsecond=expected.microsecond) == expected


def test_timestamp_column_with_some_plain_dates(con):
    vals = ["2023-01-05 12:30:00", "2023-01-06"]
    assert run(con, vals) == [datetime(2023, 1, 5, 12, 30), datetime(2023, 1, 6)]


def test_impossible_dates_become_null(con):
    inf = infer_column(["2023-01-05"] * 3)
    assert run(con, ["2023-02-30", "2023-13-01", "20231301", "2023-01-05x", "hello"], inf) == [None] * 5
    assert parse_date_text("2023-02-30") is None


@pytest.mark.parametrize(("values", "expected"), [
    (["是", "否", "是"], [True, False, True]),
    (["true", "FALSE", "True"], [True, False, True]),
    (["Y", "N", "y", "无"], [True, False, True, None]),
])
def test_booleans(con, values, expected):
    inf = infer_column(values)
    assert inf.dtype == "BOOLEAN"
    assert run(con, values, inf) == expected


def test_boolean_only_when_whole_column():
    assert infer_column(["是", "否", "也许"]).dtype == "VARCHAR"
    assert infer_column(["Y", "N", "Z"]).dtype == "VARCHAR"


def test_integers(con):
    vals = ["1", "23", "-4", "+5", "１２"]
    inf = infer_column(vals)
    assert inf.dtype == "BIGINT"
    assert run(con, vals, inf) == [1, 23, -4, 5, 12]


@pytest.mark.parametrize(("values", "note_part"), [
    (["007", "12", "3"], "前导零"),
    (["110105194912310021", "1", "22"], "超过 15 位"),
    (["6222021234567894", "6228480012345678903"], "超过 15 位"),
    (["110105", "330106", "440305"], "定长数字编码"),
])
def test_codes_stay_text(values, note_part):
    inf = infer_column(values)
    assert inf.dtype == "VARCHAR" and note_part in inf.note


def test_amounts_decimal(con):
    vals = ["1,234.50", "￥12", "300元", "1.5万元", "2.00", "¥ 1,000", "-3.5"]
    inf = infer_column(vals)
    assert inf.dtype == "DECIMAL(18,2)" and "万元" in inf.note
    assert run(con, vals, inf) == [Decimal("1234.50"), Decimal("12.00"), Decimal("300.00"),
                                   Decimal("15000.00"), Decimal("2.00"), Decimal("1000.00"), Decimal("-3.50")]
    assert parse_amount_text("1.5万元") == 15000.0


def test_doubles(con):
    assert infer_column(["3.14159", "2.5"]).dtype == "DOUBLE"
    vals = ["1e3", "2.5", "-0.125"]
    inf = infer_column(vals)
    assert inf.dtype == "DOUBLE"
    assert run(con, vals, inf) == [1000.0, 2.5, -0.125]


def test_text_and_empty():
    assert infer_column(["abc", "1"]).dtype == "VARCHAR"
    inf = infer_column([None, "", "无", "\\N"])
    assert inf.dtype == "VARCHAR" and inf.note == "样本全部为空"


def test_null_markers_count_as_null(con):
    vals = list(NULL_MARKERS) + [None, "  ", "2023-01-05"]
    assert all(clean_text(v) is None for v in vals[:-1])
    inf = infer_column(vals)
    assert inf.dtype == "DATE"
    assert run(con, vals, inf) == [None] * (len(vals) - 1) + [date(2023, 1, 5)]


def test_dirty_sample_tolerated_and_failures_countable(con):
    vals = [f"2023-01-{d:02d}" for d in range(1, 29)] + ["2023-02-30"]
    inf = infer_column(vals)
    assert inf.dtype == "DATE" and "1 个样本值无法解析" in inf.note
    assert infer_column(vals, min_share=1.0).dtype == "VARCHAR"
    # how the import pipeline counts failures: non-null raw value, NULL parsed value
    con.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT unnest(?::VARCHAR[]) AS x", [vals + ["-", None]])
    (failed,) = con.execute(
        f"SELECT count(*) FROM raw WHERE {null_sql('x')} IS NOT NULL AND {parse_sql(inf, 'x')} IS NULL"
    ).fetchone()
    assert failed == 1


def test_parse_sql_accepts_quoted_chinese_column(con):
    con.execute('CREATE OR REPLACE TEMP TABLE t AS SELECT \'2023年1月5日\' AS "入所日期"')
    inf = infer_column(["2023年1月5日"])
    assert con.execute(f'SELECT {parse_sql(inf, chr(34) + "入所日期" + chr(34))} FROM t').fetchone()[0] == date(2023, 1, 5)
