from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import duckdb
import pytest

from shujian.errors import NotFound
from shujian.law import (
    accessory_table,
    charge_versions,
    load,
    mandatory_accessories,
    max_term_months,
    normalize_charge,
    version_in_force,
    write_accessory_table,
)
from shujian.law.build import CSV_FILE, DATA_DIR, TABLES_FILE, build, dump
from shujian.law.numerals import parse_article_refs
from shujian.law.penalties import DEATH_MONTHS, LIFE_MONTHS, parse_bands

ELEVEN = date(2021, 3, 1)
EIGHT = date(2011, 5, 1)
NINE = date(2015, 11, 1)


# ------------------------------------------------------------------ names
@pytest.mark.parametrize("raw, expected", [
    ("盗窃", "盗窃罪"), ("盗窃罪", "盗窃罪"), (" 盗窃罪罪", "盗窃罪"),
    ("投毒罪", "投放危险物质罪"), ("偷税罪", "逃税罪"), ("偷税", "逃税罪"),
    ("生产、销售假药罪", "生产、销售、提供假药罪"),
    ("徇私舞弊低价折股、出售国有资产罪", "徇私舞弊低价折股、出售公司、企业资产罪"),
    ("资助恐怖活动罪", "帮助恐怖活动罪"),           # renamed twice? once: 2015
    ("出售、非法提供公民个人信息罪", "侵犯公民个人信息罪"),
    ("组织他人偷越国(边)境罪", "组织他人偷越国（边）境罪"),  # half-width brackets
    ("奸淫幼女罪", "强奸罪"),
    ("嫖宿幼女罪", "嫖宿幼女罪"),                    # abolished, no successor
    ("不存在的罪名", None),
])
def test_normalize_charge(raw, expected):
    assert normalize_charge(raw) == expected


def test_abolished_and_renamed_dates():
    charges = load().charges
    assert charges["嫖宿幼女罪"]["name_effective_to"] == "2015-11-01"
    assert charges["嫖宿幼女罪"]["replaced_by"] == []
    assert charges["徇私舞弊低价折股、出售国有资产罪"]["name_effective_to"] == "2024-03-01"
    assert set(charges["徇私舞弊造成破产、亏损罪"]["replaced_by"]) == {
        "国有公司、企业、事业单位人员失职罪", "国有公司、企业、事业单位人员滥用职权罪"}
    assert charges["危险驾驶罪"]["name_effective_from"] == "2011-05-01"
    assert charges["危险驾驶罪"]["articles"] == ["第133条之一"]


def test_charge_counts():
    """414 names in the 1997 最高检 意见; 483 current after 补充规定（七）/（八）（八 only renames）."""
    charges = load().data["charges"]
    current = [c for c in charges if c["name_effective_to"] is None]
    first = [c for c in charges if c["name_source"].startswith("罪名意见")]
    assert len(first) == 414
    assert len(current) == 483
    assert len(charges) == 542


def test_article_refs():
    assert [r.label() for r in parse_article_refs("第229条第1款、第2款 第3款")] == [
        "第229条第1款", "第229条第2款", "第229条第3款"]
    assert [r.label() for r in parse_article_refs("第371条第2条")] == ["第371条第2款"]


# --------------------------------------------------------------- versions
def test_embezzlement_by_employee_before_and_after_amendment_eleven():
    before = version_in_force("职务侵占罪", ELEVEN - timedelta(days=1))
    after = version_in_force("职务侵占罪", ELEVEN)
    assert before is not None and after is not None
    assert after.source == "刑法修正案（十一）" and after.effective_from == ELEVEN
    # the 1997 wording of 第271条第1款 is not in the sources: reported as unknown, never guessed
    assert before.text_known is False and before.effective_to == ELEVEN - timedelta(days=1)
    acc = mandatory_accessories("职务侵占", ELEVEN, "有期徒刑", 24)
    assert (acc.fine, acc.confiscation, acc.band_index) == ("mandatory", "none", 1)
    assert mandatory_accessories("职务侵占罪", ELEVEN - timedelta(days=1), "有期徒刑", 24).fine == "unknown"


def test_dangerous_driving():
    assert version_in_force("危险驾驶罪", EIGHT - timedelta(days=1)) is None
    v = version_in_force("危险驾驶", EIGHT)
    assert v is not None and v.source == "刑法修正案（八）"
    assert [(b.min_months, b.max_months, b.fine) for b in v.bands] == [(1, 6, "mandatory")]
    assert version_in_force("危险驾驶罪", NINE).source == "刑法修正案（九）"
    assert version_in_force("危险驾驶罪", NINE - timedelta(days=1)).source == "刑法修正案（八）"
    assert mandatory_accessories("危险驾驶罪", date(2020, 6, 1), "拘役", 4).fine == "mandatory"
    assert max_term_months("危险驾驶罪", date(2020, 6, 1)) == 6


def test_versions_are_contiguous():
    for charge in load().data["charges"]:
        versions = charge_versions(charge["name"]) if charge["name_effective_to"] is None else []
        for a, b in zip(versions, versions[1:], strict=False):
            assert a.effective_to == b.effective_from - timedelta(days=1), charge["name"]


def test_abolished_charge_has_no_version_after_abolition():
    versions = load().charges["嫖宿幼女罪"]["versions"]
    assert versions and versions[-1]["effective_to"] == "2015-10-31"


# ------------------------------------------------------------------ bands
def test_theft_bands_and_choice_by_term():
    v = version_in_force("盗窃罪", date(2022, 1, 1))
    assert [(b.min_months, b.max_months) for b in v.bands] == [(1, 36), (36, 120), (120, LIFE_MONTHS)]
    assert mandatory_accessories("盗窃罪", date(2022, 1, 1), "有期徒刑", 12).fine == "mandatory"
    third = mandatory_accessories("盗窃罪", date(2022, 1, 1), "有期徒刑", 150)
    assert (third.fine, third.confiscation, third.band_index) == ("either", "either", 3)
    life = mandatory_accessories("盗窃罪", date(2022, 1, 1), "无期徒刑")
    assert life.deprivation == "mandatory"  # 第57条
    assert mandatory_accessories("盗窃罪", date(2022, 1, 1), "有期徒刑", 36).band_index is None  # 两档交界


def test_murder_deprivation_optional_and_death_mandatory():
    d = date(2020, 1, 1)
    assert mandatory_accessories("故意杀人罪", d, "有期徒刑", 96).deprivation == "optional"
    assert mandatory_accessories("故意杀人罪", d, "死刑").deprivation == "mandatory"
    assert max_term_months("故意杀人罪", d) == DEATH_MONTHS


def test_national_security_deprivation_mandatory():
    assert mandatory_accessories("分裂国家罪", date(2020, 1, 1), "有期徒刑", 60).deprivation == "mandatory"


def test_parse_bands_fine_wording():
    both = parse_bands("处三年以下有期徒刑、拘役或者管制，并处或者单处罚金")[0]
    assert (both.fine, both.min_months) == ("mandatory", 1)
    assert parse_bands("处五年以下有期徒刑，可以并处罚金")[0].fine == "optional"
    assert parse_bands("处三年以下有期徒刑、拘役、管制或者剥夺政治权利")[0].min_months == 0
    assert parse_bands("对单位判处罚金，并对其直接负责的主管人员处三年以下有期徒刑") == []


def test_unknown_charge_raises():
    with pytest.raises(NotFound):
        version_in_force("不存在的罪名", date(2020, 1, 1))


# ------------------------------------------------------------- flat table
def test_accessory_table_in_sql(tmp_path):
    path = tmp_path / "t.csv"
    write_accessory_table(path)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == len(accessory_table())
    con = duckdb.connect()
    con.execute(f"create table law as select * from read_csv('{path}', header=true, all_varchar=true)")
    sql = """select 罚金 from law where 罪名 = ? and cast(生效日期 as date) <= cast(? as date)
             and (失效日期 is null or cast(? as date) <= cast(失效日期 as date))
             and cast(? as int) between cast(主刑下限月数 as int) and cast(主刑上限月数 as int)"""
    assert con.execute(sql, ["职务侵占罪", "2021-06-01", "2021-06-01", 24]).fetchall() == [("必须",)]
    assert con.execute(sql, ["危险驾驶罪", "2011-05-01", "2011-05-01", 3]).fetchall() == [("必须",)]
    assert con.execute(sql, ["危险驾驶罪", "2011-04-30", "2011-04-30", 3]).fetchall() == []


# --------------------------------------------------------- reproducibility
def test_build_is_reproducible(source):
    tables = build(source)
    assert dump(tables) == (DATA_DIR / TABLES_FILE).read_text(encoding="utf-8")
    assert json.loads(dump(tables))["origin"]["files"]["刑法.md"]


def test_committed_csv_matches_json(tmp_path):
    path = tmp_path / "a.csv"
    write_accessory_table(path)
    assert path.read_text(encoding="utf-8") == (DATA_DIR / CSV_FILE).read_text(encoding="utf-8")


def test_article56_follows_renames():
    assert mandatory_accessories("投放危险物质罪", date(2020, 1, 1), "有期徒刑", 60).deprivation == "optional"
    assert mandatory_accessories("盗窃罪", date(2020, 1, 1), "有期徒刑", 60).deprivation == "none"
