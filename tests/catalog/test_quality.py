"""Quality report figures against small hand-counted fixtures (tests/fixtures/quality/)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from shujian.catalog.quality import _null_cond, quality_report, render_quality, start_end_pairs
from shujian.catalog.schema import ColumnSchema
from shujian.catalog.typeinfer import infer_column, parse_sql

FIXTURES = Path(__file__).parents[1] / "fixtures" / "quality"
TODAY = date(2024, 6, 30)


def load(con, name: str, table: str, columns: list[ColumnSchema], min_share: float = 0.95) -> None:
    """Load a fixture CSV as raw text, then convert the typed columns with typeinfer (as an import would)."""
    with open(FIXTURES / name, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    assert header == [c.name for c in columns]
    cols = ", ".join(f'"{h}" VARCHAR' for h in header)
    con.execute(f'CREATE TABLE "raw_{table}" (_row_id BIGINT, {cols})')
    con.executemany(f'INSERT INTO "raw_{table}" VALUES ({", ".join("?" * (len(header) + 1))})',
                    [[i, *r] for i, r in enumerate(data, start=1)])
    select = []
    for j, c in enumerate(columns):
        if c.dtype == "VARCHAR":
            select.append(f'"{c.name}"')
            continue
        inferred = infer_column([r[j] for r in data], min_share=min_share)
        assert inferred.dtype == c.dtype, (c.name, inferred)
        select.append(f'{parse_sql(inferred, chr(34) + c.name + chr(34))} AS "{c.name}"')
    con.execute(f'CREATE TABLE "{table}" AS SELECT _row_id, {", ".join(select)} FROM "raw_{table}"')


CUSTODY = [
    ColumnSchema("姓名", semantic="person_name"),
    ColumnSchema("身份证号", semantic="id_number"),
    ColumnSchema("入所日期", "DATE"),
    ColumnSchema("出所日期", "DATE"),
    ColumnSchema("联系电话", semantic="phone"),
    ColumnSchema("案号", semantic="case_number"),
    ColumnSchema("区划代码", semantic="division_code"),
]

EMPLOYERS = [
    ColumnSchema("单位名称"),
    ColumnSchema("统一社会信用代码", semantic="uscc"),
    ColumnSchema("发放年月", "DATE", semantic="month"),
    ColumnSchema("发放金额", "DECIMAL(18,2)", semantic="amount"),
    ColumnSchema("银行卡号", semantic="bank_card"),
    ColumnSchema("合同生效日期", "DATE"),
    ColumnSchema("合同失效日期", "DATE"),
]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    load(c, "custody.csv", "在押人员", CUSTODY)
    load(c, "pension_employers.csv", "employers", EMPLOYERS, min_share=0.8)
    yield c
    c.close()


@pytest.fixture(scope="module")
def custody(con):
    return quality_report(con, "在押人员", CUSTODY, today=TODAY)


@pytest.fixture(scope="module")
def employers(con):
    return quality_report(con, "employers", EMPLOYERS, key_columns=["统一社会信用代码", "发放年月"],
                          today=TODAY, max_examples=1)


def test_rows_and_json(custody, employers):
    assert custody["rows"] == 8 and employers["rows"] == 6
    assert json.loads(json.dumps(custody, ensure_ascii=False)) == custody
    assert json.loads(json.dumps(employers, ensure_ascii=False)) == employers
    assert custody["today"] == "2024-06-30"


def test_custody_nulls_and_distinct(custody):
    c = custody["columns"]
    # 姓名: row 5 empty.  身份证号: rows 1/4 and 2/7 share a value -> 6 distinct.
    assert (c["姓名"]["nulls"], c["姓名"]["distinct"]) == (1, 7)
    assert c["姓名"]["null_rate"] == pytest.approx(1 / 8)
    assert (c["身份证号"]["nulls"], c["身份证号"]["distinct"]) == (0, 6)
    # 入所日期: row 8 "-" is null.  出所日期: rows 3, 5 empty and row 8 "-".
    assert (c["入所日期"]["nulls"], c["入所日期"]["distinct"]) == (1, 7)
    assert (c["出所日期"]["nulls"], c["出所日期"]["distinct"]) == (3, 5)
    # 联系电话: row 4 "无", row 8 "NULL"; rows 5 and 6 share 13912345678.
    assert (c["联系电话"]["nulls"], c["联系电话"]["distinct"]) == (2, 5)
    assert (c["案号"]["nulls"], c["案号"]["distinct"]) == (1, 7)
    assert (c["区划代码"]["nulls"], c["区划代码"]["distinct"]) == (1, 5)


def test_custody_invalid_values(custody):
    c = custody["columns"]
    # row 3: flipped check digit; row 8: "12345".
    assert c["身份证号"]["invalid"] == 2
    assert c["身份证号"]["invalid_examples"] == [{"row": 3, "value": "110105198001010017"},
                                                 {"row": 8, "value": "12345"}]
    assert c["姓名"]["invalid"] == 0 and c["姓名"]["invalid_examples"] == []
    # row 3 has 10 digits; row 2 "138-0013-8001" is valid after normalisation.
    assert c["联系电话"]["invalid"] == 1 and c["联系电话"]["invalid_examples"][0]["row"] == 3
    assert c["案号"]["invalid"] == 1 and c["案号"]["invalid_examples"][0] == {"row": 4, "value": "案号乱写"}
    # 999999 is no division; 330100 (杭州市) and 110000 (北京市) are padded city/province codes.
    assert c["区划代码"]["invalid"] == 1 and c["区划代码"]["invalid_examples"][0]["value"] == "999999"
    assert c["入所日期"]["invalid"] is None


def test_custody_dates(custody):
    start, end = custody["columns"]["入所日期"], custody["columns"]["出所日期"]
    assert (start["min"], start["max"]) == ("2019-03-03", "2025-01-01")
    assert start["future"] == 2 and [e["row"] for e in start["future_examples"]] == [5, 6]
    assert (end["min"], end["max"]) == ("2020-03-03", "2024-08-01")
    assert end["future"] == 1 and end["future_examples"] == [{"row": 6, "value": "2024-08-01"}]


def test_custody_duplicates_default_to_id_number(custody):
    d = custody["duplicates"]
    assert d["columns"] == ["身份证号"]
    assert (d["values"], d["rows"]) == (2, 4)
    assert d["examples"] == [{"key": {"身份证号": "110105198001010016"}, "count": 2, "rows": [1, 4]},
                             {"key": {"身份证号": "330106199002150020"}, "count": 2, "rows": [2, 7]}]


def test_custody_start_after_end(custody):
    [pair] = custody["start_after_end"]
    assert (pair["start"], pair["end"], pair["count"]) == ("入所日期", "出所日期", 2)
    assert pair["examples"][0] == {"row": 2, "start": "2021-06-01", "end": "2021-05-01"}
    assert [e["row"] for e in pair["examples"]] == [2, 6]


def test_employers_columns(employers):
    c = employers["columns"]
    assert (c["单位名称"]["nulls"], c["单位名称"]["distinct"], c["单位名称"]["invalid"]) == (0, 4, None)
    assert (c["统一社会信用代码"]["distinct"], c["统一社会信用代码"]["invalid"]) == (4, 1)
    assert c["统一社会信用代码"]["invalid_examples"] == [{"row": 4, "value": "91440300708461136A"}]
    # 202301/202302/2023-02 parse to two months; row 6 "无" is null.
    assert (c["发放年月"]["nulls"], c["发放年月"]["distinct"]) == (1, 2)
    assert (c["发放年月"]["min"], c["发放年月"]["max"], c["发放年月"]["future"]) == ("2023-01-01", "2023-02-01", 0)
    # amounts 1200, 1200, 5000 (0.5万元), 300, 800, "abc" -> null; typed columns are not re-validated.
    assert (c["发放金额"]["nulls"], c["发放金额"]["distinct"], c["发放金额"]["invalid"]) == (1, 4, None)
    # row 5 empty; row 3 fails Luhn; row 6 has spaces but is valid.
    assert (c["银行卡号"]["nulls"], c["银行卡号"]["distinct"], c["银行卡号"]["invalid"]) == (1, 4, 1)
    assert c["合同失效日期"]["future"] == 2
    assert c["合同失效日期"]["future_examples"] == [{"row": 1, "value": "2025-12-31"}]   # max_examples=1


def test_employers_composite_key_and_pairs(employers):
    d = employers["duplicates"]
    assert d["columns"] == ["统一社会信用代码", "发放年月"]
    assert (d["values"], d["rows"]) == (2, 4)
    assert d["examples"] == [{"key": {"统一社会信用代码": "91110000600037341L", "发放年月": "2023-01-01"},
                              "count": 2, "rows": [1]}]   # rows cut to max_examples
    [pair] = employers["start_after_end"]
    assert (pair["start"], pair["end"], pair["count"]) == ("合同生效日期", "合同失效日期", 2)


def test_no_key_column_means_no_duplicate_check(con):
    rep = quality_report(con, "employers", EMPLOYERS[:1], today=TODAY)
    assert rep["duplicates"] is None and rep["start_after_end"] == []


def test_render_quality_mentions_every_problem(custody):
    rows = render_quality(custody)
    assert ("数据集", "行数", "8") in rows
    assert ("身份证号", "格式/校验不通过", "2（如第 3、8 行）") in rows
    assert ("入所日期 / 出所日期", "开始晚于结束", "2") in rows


@pytest.mark.parametrize(("names", "expected"), [
    (["入所日期", "出所日期"], [("入所日期", "出所日期")]),
    (["刑期起始日期", "刑期终止日期"], [("刑期起始日期", "刑期终止日期")]),
    (["服刑起日", "服刑止日", "判决日期"], [("服刑起日", "服刑止日")]),
    (["入矫日期", "解矫日期", "入院日期", "出院日期"], [("入矫日期", "解矫日期"), ("入院日期", "出院日期")]),
    (["开始时间", "结束时间"], [("开始时间", "结束时间")]),
    (["start_date", "end_date"], [("start_date", "end_date")]),
    (["出生日期", "判决日期"], []),
])
def test_start_end_pairs(names, expected):
    assert start_end_pairs(names) == expected


def test_large_tables_get_approximate_distinct_counts_labelled_yue():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT i + 1 AS _row_id, '11010519491231002X' AS id, "
                "CAST(i % 3000 AS VARCHAR) AS code FROM range(5000) r(i)")
    cols = [ColumnSchema("id", "VARCHAR", "id_number"), ColumnSchema("code", "VARCHAR", None)]
    exact = quality_report(con, "t", cols)
    assert exact["columns"]["code"]["distinct"] == 3000 and "distinct_approx" not in exact["columns"]["code"]
    approx = quality_report(con, "t", cols, approx_distinct_above=4999)
    code = approx["columns"]["code"]
    assert code["distinct_approx"] is True and abs(code["distinct"] - 3000) < 3000 * 0.1
    assert approx["columns"]["id"]["distinct"] == 1 and "distinct_approx" not in approx["columns"]["id"]   # key
    assert approx["duplicates"]["rows"] == 5000
    assert ("code", "不同值", f"约 {code['distinct']}") in render_quality(approx)
    assert quality_report(con, "t", cols, approx_distinct_above=5000) == exact   # not above: exact


class _Logged:
    """A DuckDB connection that records the statements it runs."""

    def __init__(self, con, log: list[str]):
        self._con, self._log = con, log

    def execute(self, sql, *args):
        self._log.append(" ".join(str(sql).split()))
        return self._con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_report_is_one_scan_with_its_examples(con, custody):
    """The counts, the invalid and future examples, the date ranges and the start-after-end pairs come
    from one aggregate over the table (before: a query more for each of them); same report."""
    log: list[str] = []
    report = quality_report(_Logged(con, log), "在押人员", CUSTODY, today=TODAY, key_columns=[])
    scans = [s for s in log if "在押人员" in s]
    assert len(scans) == 1, scans
    assert report["duplicates"] is None
    assert {k: v for k, v in report.items() if k != "duplicates"} == \
        {k: v for k, v in custody.items() if k != "duplicates"}
    assert report["start_after_end"][0]["examples"][0] == {"row": 2, "start": "2021-06-01", "end": "2021-05-01"}
    assert report["columns"]["身份证号"]["invalid_examples"]   # custody has invalid IDs


def test_column_quality_is_one_scan(con, employers):
    from shujian.catalog.quality import column_quality

    log: list[str] = []
    col = EMPLOYERS[-1]   # 合同失效日期: future dates with examples
    entry = column_quality(_Logged(con, log), "employers", col, today=TODAY, max_examples=1)
    assert len([s for s in log if "employers" in s]) == 1
    assert entry == employers["columns"][col.name]


def test_distinct_counts_hash_only_the_values_they_count(con, custody):
    """Each distinct count (exact, approximate, and the key's count of distinct null markers) takes
    the values a CASE keeps instead of a FILTER on a distinct aggregate — with FILTER, DuckDB hashes
    every row of the column (≈ 0.3 CPU s per 2M IDs for a key whose filter keeps none); same report,
    and the approximate counts equal those of the FILTER form (the same values go into HyperLogLog)."""
    import re

    log: list[str] = []
    report = quality_report(_Logged(con, log), "在押人员", CUSTODY, today=TODAY, approx_distinct_above=1)
    aggregate = next(s for s in log if "_sj_rows" in s)
    assert not re.search(r"count\(DISTINCT [^()]*\) FILTER|approx_count_distinct\([^()]*\) FILTER", aggregate)
    for col in CUSTODY:
        entry, q = report["columns"][col.name], f'"{col.name}"'
        null = _null_cond(col)
        if col.name == "身份证号":   # the key: exact
            want = con.execute(f"SELECT count(DISTINCT {q}) FILTER (WHERE NOT {null}) FROM 在押人员").fetchone()[0]
        else:
            want = con.execute(f"SELECT approx_count_distinct({q}) FILTER (WHERE NOT {null}) FROM 在押人员").fetchone()[0]
            assert entry["distinct_approx"] is True
        assert entry["distinct"] == want, col.name
