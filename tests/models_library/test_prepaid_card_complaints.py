"""prepaid-card-complaints (M10) on the text rule: exports with only 编号/主题/详情/时间, optional
registry/备案/存管, distinct 工单号, the 90-day window, severe words, hard negatives."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from tests.models_library.conftest import run_model

MODEL = "prepaid-card-complaints"
BASE = date(2025, 3, 1)
TEXT = "来电人反映其在{m}办理会员卡充值2000元，现商家拒绝退费。"
SEVERE = "{m}已经跑路，卡里余额无法使用。"


class City:
    def __init__(self, *, registry: bool = True) -> None:
        self.t: dict[str, list[dict]] = {"12345工单": []}
        if registry:
            self.t |= {"市场主体登记": [], "预付卡备案": [], "资金存管": []}

    def merchant(self, code: str, *, filed: bool = False, escrow: bool = False, status: str = "存续") -> str:
        """A registered merchant; complaints name it without the region and legal form."""
        self.t["市场主体登记"].append({"统一社会信用代码": code, "企业名称": f"台州市椒江区{code}健身服务有限公司",
                                 "行业": "健身", "登记状态": status})
        if filed:
            self.t["预付卡备案"].append({"统一社会信用代码": code})
        if escrow:
            self.t["资金存管"].append({"统一社会信用代码": code})
        return f"{code}健身房"

    def complain(self, name: str, days: list[int], text: str = TEXT, title: str = "预付卡纠纷") -> None:
        for d in days:
            day = BASE + timedelta(days=d)
            self.t["12345工单"].append({"编号": f"T{len(self.t['12345工单'])}", "主题": title,
                                     "详情": text.format(m=name), "时间": datetime(day.year, day.month, day.day, 9)})

    def hits(self, params: dict | None = None) -> set[tuple[str, str]]:
        if "市场主体登记" in self.t:
            self.merchant("锚点", filed=True, escrow=True)
        return {(r["subject_key"], r["_rule"]) for r in run_model(MODEL, self.t, params)}


def test_registry_rules_and_near_misses():
    c = City()
    c.complain(c.merchant("甲一"), [0, 20, 45, 60])                               # unfiled, 4 in 60 days
    c.complain(c.merchant("乙二", filed=True), [0], SEVERE)                        # filed, no escrow, severe
    c.complain(c.merchant("丙三", filed=True, escrow=True, status="注销"), [0, 10, 20])
    c.complain(c.merchant("丁四", filed=True, escrow=True), [0, 1, 2, 3], "{m}突然闭店，要求退卡。")
    c.complain(c.merchant("戊五"), [0, 1, 2, 3], "在{m}给公交卡充值100元未到账，要求退费。")
    c.complain(c.merchant("己六"), [0, 30])
    c.complain(c.merchant("庚七"), [0, 100, 200])
    c.complain(c.merchant("辛八"), [0, 1, 2, 3], "{m}夜间噪音扰民，晚上很难再关门闭窗。", title="噪音")
    c.complain("壬癸健身房", [0, 5, 9])                                          # not in the registry
    assert c.hits() == {("甲一", "R1"), ("乙二", "R2"), ("丙三", "R3"), ("商户:壬癸健身", "R4")}


def test_runs_on_an_export_with_only_four_columns():
    c = City(registry=False)
    c.complain("力美健身", [0, 10, 20])
    c.complain("丽人坊美容院", [0], "{m}老板卷款跑路了，会员卡里还有3000元")
    c.complain("星辰教育培训学校", [0, 1], "让数据多跑路，群众少跑路。{m}")            # hard negative
    c.complain("悦动游泳馆", [0, 1, 2], "{m}门口责令停业整改，水电费太贵")            # hard negatives
    rows = run_model(MODEL, c.t)
    assert {(r["subject_key"], r["_rule"]) for r in rows} == {("商户:力美健身", "R4"), ("商户:丽人坊美容院", "R4")}
    by = {r["subject_key"]: r for r in rows}
    assert by["商户:丽人坊美容院"]["severe_tickets"] == 1 and by["商户:力美健身"]["complaints"] == 3
    assert by["商户:力美健身"]["subject_name"] == "力美健身" and by["商户:力美健身"]["uscc"] is None


def test_a_duplicated_ticket_row_counts_once():
    """Legal correctness (issue 15, class 4): count distinct 工单号, not rows."""
    c = City(registry=False)
    c.complain("力美健身", [0, 10])
    c.t["12345工单"].append(dict(c.t["12345工单"][-1]))                       # exported twice
    assert c.hits() == set()
    c.complain("力美健身", [20])
    rows = run_model(MODEL, c.t)
    assert [(r["complaints"], r["peak"], sorted(r["sample_tickets"])) for r in rows] == [(3, 3, ["T0", "T1", "T3"])]


def test_window_boundary_and_parameters():
    c = City()
    c.complain(c.merchant("边界"), [0, 45, 90])      # third complaint exactly 90 days after the first
    c.complain(c.merchant("超出"), [0, 45, 91])
    assert c.hits() == {("边界", "R1")}
    c = City()
    c.complain(c.merchant("边界"), [0, 45, 90])
    assert c.hits({"min_complaints": 4}) == set()


@pytest.mark.parametrize("registry", [True, False])
def test_no_prepaid_complaints_no_clues(registry):
    c = City(registry=registry)
    c.complain("力美健身", [0, 1, 2, 3], "反映{m}门口占道经营。", title="城管")
    assert c.hits() == set()
