"""The 工作台's cards, the drill-down lists, the 一本账 page and the Excel export read one rule
(:func:`shujian.stats.service.metric_clues`) with the same filters: for each filter the numbers are equal,
and the export's 按院 sheet stops at the reader's own org."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from tests.workflow.conftest import DISTRICT, OTHER, make_clues

from shujian.clues.service import ClueFilter, ClueService
from shujian.orgs.service import OrgService
from shujian.security.scope import scope_for, use_scope
from shujian.stats.export import export_xlsx
from shujian.stats.service import CLUE_METRICS, StatsService, models_of_line, parse_period
from shujian.web.dashboard import dashboard
from shujian.workflow.service import WorkflowService

FILTERS = [
    {"period": "2026", "line": None, "org": None},
    {"period": "2026-04..2026-06", "line": None, "org": None},
    {"period": "2026", "line": "刑事执行检察", "org": None},
    {"period": "2026", "line": None, "org": DISTRICT},
    {"period": "2026", "line": "行政检察", "org": "3310"},
    {"period": None, "line": None, "org": OTHER},
]
#: card → the 按业务条线 sheet's column (the cards are sums over the lines)
CARD_COLUMNS = {"generated": "生成线索", "judged": "研判", "cases": "成案", "measures": "监督措施", "adopted": "采纳",
                "excluded": "排除"}


@pytest.fixture
def worked(people, clock, pension_model):
    """Two models of two lines; clues judged, assigned to two districts, 成案 with measures, excluded."""
    ws = people
    model_b = pension_model.model_copy(update={"id": "admin-model-b", "line": "行政检察"})
    a, b = make_clues(ws, pension_model, 5), make_clues(ws, model_b, 3)
    wf = WorkflowService(ws, clock=clock)
    for cid, org, actor in ((a[0], DISTRICT, "jj_jcg"), (b[0], OTHER, "hy_jcg")):
        wf.transition(cid, "研判", "shi_shuzi")
        wf.transition(cid, "交办", "shi_zhixing", org=org, deadline=date(2026, 6, 30))
        wf.transition(cid, "核查", actor)
        wf.transition(cid, "成案", actor, case_number=f"案{cid}")
        measure = wf.add_measure(cid, actor, "检察建议", doc_number=f"建{cid}")["measure_id"]
        wf.record_reply(measure, actor, replied_on=date(2026, 4, 1), adopted=True, money_recovered=1000)
        clock.advance(days=40)
    wf.transition(a[1], "排除", "shi_shuzi", exclusion_type="数据错误")
    wf.transition(b[1], "研判", "shi_shuzi")
    return ws


def _sheet(path, name: str) -> dict[str, dict]:
    sheet = load_workbook(path)[name]
    header = [c.value for c in sheet[2]]
    return {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: "-".join(str(v) for v in f.values()))
def test_export_and_drill_downs_equal_the_cards(worked, tmp_path, f):
    board = dashboard(worked, **f, today=date(2026, 12, 31))
    cards = board["totals"]
    assert any(cards[c] for c in CARD_COLUMNS)                          # each filter counts something
    path = tmp_path / "一本账.xlsx"
    export_xlsx(StatsService(worked), path, parse_period(f["period"]), line=f["line"], org=f["org"])
    by_line, by_model = _sheet(path, "按业务条线"), _sheet(path, "按模型")
    page = {r["key"]: r for r in board["by_model"]}                        # the 一本账 table on the page
    models = models_of_line(worked, f["line"]) if f["line"] else None
    for card, column in CARD_COLUMNS.items():
        assert sum(r[column] for r in by_line.values()) == cards[card], (card, "按业务条线")
        assert sum(r[column] for r in by_model.values()) == cards[card], (card, "按模型")
        assert {k: r[column] for k, r in by_model.items()} == {k: page[k][card] for k in by_model}, card
        listed = ClueService(worked).total(ClueFilter(metric=card, period=f["period"], org=f["org"],
                                                      models=tuple(models) if models is not None else None))
        assert listed == cards[card], (card, "drill-down")
    assert sum(r["追回金额（元）"] for r in by_line.values()) == cards["money_recovered"]


def test_the_by_org_sheet_stops_at_the_readers_org(worked, tmp_path):
    user = OrgService(worked).get_user("jj_jcg")                      # a 检察官 of 椒江 (331002)
    with worked.db.unit_of_work() as s:
        scope = scope_for(s, "jj_jcg", user["org_id"], user["roles"])
    path = tmp_path / "一本账.xlsx"
    with use_scope(scope):
        export_xlsx(StatsService(worked), path, parse_period("2026"))
        cards = dashboard(worked, period="2026", today=date(2026, 12, 31))["totals"]
    by_org = _sheet(path, "按院")
    assert set(by_org) == {DISTRICT}                     # no 市院, 省院, 最高检 roll-up rows, no sibling
    assert by_org[DISTRICT]["生成线索"] == cards["generated"] == 1
    assert by_org[DISTRICT]["采纳"] == cards["adopted"] == 1


def test_metric_clues_names_the_metrics():
    assert set(CARD_COLUMNS) <= set(CLUE_METRICS)
