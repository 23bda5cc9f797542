"""一本账 checked against a hand-counted fixture (two models, three orgs, two periods)."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from tests.workflow.conftest import DISTRICT, OTHER, make_clues

from shujian.errors import InputError
from shujian.stats.export import export_xlsx
from shujian.stats.service import StatsService, parse_period
from shujian.workflow.service import WorkflowService


def _case(wf, cid, org, measure, doc):
    wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(cid, "交办", "shi_zhixing", org=org, deadline=date(2026, 6, 30))
    actor = "jj_jcg" if org == DISTRICT else "hy_jcg"
    wf.transition(cid, "核查", actor)
    wf.transition(cid, "成案", actor, case_number=f"案{cid}")
    return wf.add_measure(cid, actor, measure, doc_number=doc)["measure_id"], actor


@pytest.fixture
def worked(people, clock, pension_model):
    ws = people
    model_b = pension_model.model_copy(update={"id": "admin-model-b", "line": "行政检察"})
    a = make_clues(ws, pension_model, 5)
    b = make_clues(ws, model_b, 3)
    wf = WorkflowService(ws, clock=clock)
    m1, u1 = _case(wf, a[0], DISTRICT, "检察建议", "建1")
    wf.record_reply(m1, u1, replied_on=date(2026, 4, 1), adopted=True, rectified=True, money_recovered=12000,
                    people_affected=1, governance=["会签机制"])
    m2, u2 = _case(wf, a[1], DISTRICT, "纠正违法通知书", "纠1")
    wf.record_reply(m2, u2, replied_on=date(2026, 5, 10), adopted=False)          # deadline 05-02: late
    wf.transition(a[2], "排除", "shi_shuzi", exclusion_type="数据错误")
    wf.transition(a[3], "研判", "shi_shuzi")
    wf.transition(a[3], "排除", "shi_shuzi", exclusion_type="法定例外")
    wf.transition(b[1], "研判", "shi_shuzi")
    wf.transition(b[1], "排除", "shi_shuzi", exclusion_type="重复")
    wf.transition(b[1], "重新打开", "shi_zhixing", reason="并非重复")
    clock.advance(days=39)                                                          # 2026-04-10
    m3, u3 = _case(wf, b[0], OTHER, "检察建议", "建2")
    wf.record_reply(m3, u3, replied_on=date(2026, 5, 20), adopted=True, money_recovered=5000, people_affected=3,
                    governance=["规范性文件", "专项整治"])
    return ws


def _pick(rows, key):
    return next(r for r in rows if r["key"] == key)


def test_by_model_whole_year(worked):
    rows = StatsService(worked).ledger("model", "2026-01..2026-12")
    a, b = _pick(rows, "pension-during-custody"), _pick(rows, "admin-model-b")
    assert [r["key"] for r in rows] == ["pension-during-custody", "admin-model-b"]
    assert a["name"] == "服刑人员违规领取养老金监督模型"
    assert {k: a[k] for k in ("generated", "judged", "assigned", "excluded", "excluded_数据错误", "excluded_法定例外",
                              "cases", "conversion", "accuracy", "measures", "suggestions", "replied_on_time",
                              "adopted", "money_recovered", "people_affected", "governance")} == {
        "generated": 5, "judged": 3, "assigned": 2, "excluded": 2, "excluded_数据错误": 1, "excluded_法定例外": 1,
        "cases": 2, "conversion": 0.4, "accuracy": 0.5, "measures": 2, "suggestions": 1, "replied_on_time": 1,
        "adopted": 1, "money_recovered": 12000, "people_affected": 1, "governance": 1}
    assert (b["generated"], b["judged"], b["assigned"], b["excluded"], b["excluded_重复"], b["cases"]) == (3, 2, 1, 0, 0, 1)
    assert (b["conversion"], b["accuracy"], b["money_recovered"], b["people_affected"], b["governance"]) == (
        0.3333, 1.0, 5000, 3, 2)


def test_by_org_rolls_up_to_parents(worked):
    rows = StatsService(worked).ledger("org", "2026")
    jj, hy, city = _pick(rows, DISTRICT), _pick(rows, OTHER), _pick(rows, "3310")
    assert (jj["name"], jj["generated"], jj["cases"], jj["measures"], jj["money_recovered"]) == (
        "台州市椒江区人民检察院", 2, 2, 2, 12000)
    assert (hy["generated"], hy["cases"], hy["money_recovered"]) == (1, 1, 5000)
    assert (city["generated"], city["cases"], city["measures"], city["adopted"], city["money_recovered"]) == (
        3, 3, 3, 2, 17000)
    for top in ("33", "000000"):
        assert _pick(rows, top)["cases"] == 3
    un = _pick(rows, "未分配")
    assert (un["generated"], un["judged"], un["excluded"], un["cases"]) == (5, 2, 2, 0)


def test_by_line_and_period(worked):
    lines = StatsService(worked).ledger("line", "2026")
    assert {r["key"]: r["cases"] for r in lines} == {"刑事执行检察": 2, "行政检察": 1}
    april = StatsService(worked).ledger("model", "2026-04..2026-06")
    a, b = _pick(april, "pension-during-custody"), _pick(april, "admin-model-b")
    assert (a["judged"], a["cases"], a["measures"], a["money_recovered"]) == (0, 0, 0, 0)
    assert (b["judged"], b["assigned"], b["cases"], b["measures"], b["money_recovered"]) == (1, 1, 1, 1, 5000)


def test_xlsx_export_cells(worked, tmp_path):
    path = tmp_path / "一本账.xlsx"
    written = export_xlsx(StatsService(worked), path, parse_period("2026"))
    assert written["model"] == 2 and written["line"] == 2
    wb = load_workbook(path)
    assert wb.sheetnames == ["按模型", "按院", "按业务条线", "关键词订阅"]
    sheet = wb["按模型"]
    assert sheet["A1"].value == "一本账（按模型）统计期间 2026-01-01..2026-12-31"
    header = [c.value for c in sheet[2]]
    data = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    row = data["pension-during-custody"]
    assert (row["生成线索"], row["成案"], row["排除-数据错误"], row["追回金额（元）"], row["准确率"]) == (5, 2, 1, 12000, 0.5)
    assert sheet.cell(row=3, column=header.index("准确率") + 1).number_format == "0.0%"


@pytest.mark.parametrize("text", ["2026-13", "2026/01", "2026-05..2026-01", "a..b..c"])
def test_bad_periods_are_refused(text):
    with pytest.raises(InputError, match="统计期间"):
        parse_period(text)


def test_period_parsing():
    assert parse_period("2026-02").label() == "2026-02-01..2026-02-28"
    assert parse_period("2026-01-15..2026-02").label() == "2026-01-15..2026-02-28"
