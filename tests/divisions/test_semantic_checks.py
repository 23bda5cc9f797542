"""The catalog's 行政区划 and 身份证号 checks use the division history (one table, one rule)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from stdnum.cn import ric

from shujian.catalog import semantic
from shujian.catalog.service import CatalogService
from shujian.cli.main import main
from shujian.divisions import province_prefixes

DIVISION = semantic.get_type("division_code")
ID = semantic.get_type("id_number")


def resident_id(region: str, birth: str = "19900101", seq: str = "123") -> str:
    body = region + birth + seq
    return body + ric.calc_check_digit(body + "0")


@pytest.mark.parametrize("value,valid", [
    ("440101", True), ("110228", True), ("１１０２２８", True), ("810000", True), ("710000", True),
    ("820000", True), ("100000", True), ("330102001001", True), ("330102 001 001", True),
    ("830000", False), ("999999", False), ("110199", False), ("11", False),
])
def test_division_column_values(value, valid):
    assert DIVISION.is_valid(value) is valid


@pytest.mark.parametrize("prefix", sorted(province_prefixes()))
def test_id_and_division_agree_on_every_province(prefix):
    # what the 区划 check accepts as a province, the ID check accepts as an ID's region, and back
    assert DIVISION.is_valid(prefix + "0000")
    assert ID.is_valid(resident_id(prefix + "0000"))


@pytest.mark.parametrize("region,valid", [
    ("810000", True), ("710000", True), ("820000", True),
    ("830000", True),   # 台湾居民居住证: not a division code, a valid ID region
    ("110228", True),   # a county of 1982–2015
    ("119999", True),   # unknown county digits: the province rule (see shujian.divisions.id_prefix_ok)
    ("990000", False), ("100000", False), ("000000", False),
])
def test_id_region_rule(region, valid):
    assert ID.is_valid(resident_id(region)) is valid


def test_duckdb_checks_agree():
    con = duckdb.connect()
    try:
        semantic.register_udfs(con)
        values = ["440101", "110228", "810000", "330102001001", "999999", None]
        con.execute("CREATE TABLE t AS SELECT unnest(?) AS v", [values])
        got = con.execute(f"SELECT {semantic.valid_sql('division_code', 'v')} FROM t").fetchall()
        assert [r[0] for r in got] == [True, True, True, True, False, None]
    finally:
        con.close()


def test_import_counts_historic_codes_as_valid(ws, tmp_path: Path, capsys):
    ids = [resident_id("810000"), resident_id("710000"), resident_id("990000")]
    # all six digits, as a registry exports them (a mix of 6 and 12 digits is typed BIGINT by inference)
    rows = [("440101", ids[0]), ("110228", ids[1]), ("810000", ids[1]), ("100000", ids[0]),
            ("330183", ids[0]), ("999999", ids[2])]
    path = tmp_path / "企业登记.csv"
    path.write_text("登记机关区划代码,法定代表人身份证号\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8")
    code = main(["data", "import", str(path), "--name", "企业登记", "--no-progress", "--format", "json"])
    assert code == 0, capsys.readouterr().err
    json.loads(capsys.readouterr().out)
    report = CatalogService(ws).quality("企业登记")["columns"]
    assert report["登记机关区划代码"]["semantic"] == "division_code"
    assert report["登记机关区划代码"]["invalid"] == 1
    # the CSV's line 7 (the header is line 1), the sixth record
    assert report["登记机关区划代码"]["invalid_examples"] == [{"row": 7, "value": "999999", "record": 6}]
    assert report["法定代表人身份证号"]["invalid"] == 1
