"""prepaid-card-complaints (M10): keywords any/none, 90-day window, severe words, registry collision."""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta

import pytest
from tests.models_library.conftest import run_model

from shujian.demo.evaluate import load_tables, run_model_on
from shujian.models_library import get_model

MODEL = "prepaid-card-complaints"
BASE = date(2025, 3, 1)


class City:
    def __init__(self) -> None:
        self.t: dict[str, list[dict]] = {"12345工单": [], "市场主体登记": [], "预付卡备案": [], "资金存管": []}

    def merchant(self, code: str, *, filed: bool = False, escrow: bool = False, status: str = "存续") -> str:
        name = f"椒江{code}健身会所"
        self.t["市场主体登记"].append({"统一社会信用代码": code, "企业名称": name, "行业": "健身", "区域": "椒江区",
                                 "登记状态": status})
        if filed:
            self.t["预付卡备案"].append({"统一社会信用代码": code})
        if escrow:
            self.t["资金存管"].append({"统一社会信用代码": code})
        return name

    def complain(self, name: str, days: list[int], text: str = "在{m}办理会员卡充值2000元，现商家拒绝退费。",
                 district: str = "椒江区") -> None:
        for d in days:
            self.t["12345工单"].append({"工单编号": f"T{len(self.t['12345工单'])}", "受理日期": BASE + timedelta(days=d),
                                     "诉求内容": text.format(m=name), "被反映对象": name, "区域": district})

    def hits(self, params: dict | None = None) -> set[tuple[str, str]]:
        self.merchant("ANCHOR", filed=True, escrow=True)
        return {(r["uscc"], r["rule"]) for r in run_model(MODEL, self.t, params)}


def test_rules_and_near_misses() -> None:
    c = City()
    c.complain(c.merchant("R1"), [0, 20, 45, 60])                                 # unfiled, 4 in 60 days
    c.complain(c.merchant("R2", filed=True), [0], "{m}已经跑路，卡里余额无法使用。")  # filed, no escrow, severe
    c.complain(c.merchant("R3", filed=True, escrow=True, status="注销"), [0, 10, 20])
    c.complain(c.merchant("OK", filed=True, escrow=True), [0, 1, 2, 3], "{m}突然闭店，要求退卡。")
    c.complain(c.merchant("BUS"), [0, 1, 2, 3], "在{m}给公交卡充值100元未到账，要求退费。")
    c.complain(c.merchant("TWO"), [0, 30])
    c.complain(c.merchant("SPREAD"), [0, 100, 200])
    c.complain(c.merchant("NOISE"), [0, 1, 2, 3], "{m}夜间噪音扰民。")
    c.complain(c.merchant("ELSEWHERE"), [0, 1, 2], district="黄岩区")             # name matches, district not
    assert c.hits() == {("R1", "R1"), ("R2", "R2"), ("R3", "R3")}


def test_window_boundary_and_parameters() -> None:
    c = City()
    c.complain(c.merchant("EDGE"), [0, 45, 90])      # third complaint exactly 90 days after the first
    c.complain(c.merchant("OVER"), [0, 45, 91])
    assert c.hits() == {("EDGE", "R1")}
    c = City()
    c.complain(c.merchant("EDGE"), [0, 45, 90])
    assert c.hits({"min_complaints": 4}) == set()


def _self_join_model():
    """The model with its 90-day window counted the old way: a self-join of (ticket, earlier ticket)."""
    from shujian.spec.model import Step

    model = get_model(MODEL)
    old = [Step.model_validate({"id": "pairs", "join": {
               "left": "matched", "right": "matched", "on": ["uscc"], "right_prefix": "prev_",
               "within": {"left": "date", "right": "date", "days": ":window_days", "direction": "before"}}}),
           Step.model_validate({"id": "windows", "aggregate": {
               "by": ["uscc", "ticket_no", "date", "severe"], "measures": {"in_window": "count(*)"}}})]
    ids = [s.id for s in model.steps]
    first, last = ids.index("dated"), ids.index("windows")
    return model.model_copy(update={"steps": [*model.steps[:first], *old, *model.steps[last + 1:]]})


def _facts_and_evidence(rows: list[dict]) -> list[str]:
    """Each row's facts and, per input role, the set of evidence row ids (column names may differ)."""
    out = []
    for r in rows:
        ev: dict[str, set] = {}
        for k, v in r.items():
            if k.startswith("_ev_") and v is not None:
                ev.setdefault(re.sub(r"(_\d+)+$", "", k), set()).update(v if isinstance(v, list) else [v])
        facts = {k: v for k, v in r.items() if not k.startswith("_ev_")}
        out.append(json.dumps([facts, {k: sorted(s) for k, s in ev.items()}], sort_keys=True, default=str,
                              ensure_ascii=False))
    return sorted(out)


@pytest.mark.parametrize("seed", range(3))
def test_window_count_equals_the_self_join(seed: int) -> None:
    """Random tickets (ties, duplicates, missing dates): the same clues as counting pairs."""
    rng = random.Random(seed)
    c = City()
    names = [c.merchant(f"M{k}", filed=k % 3 == 0, escrow=k % 6 == 0, status=rng.choice(["存续", "注销"]))
             for k in range(8)]
    for _ in range(120):
        c.complain(rng.choice(names), [rng.randrange(400)],
                   rng.choice(["{m}会员卡不退费。", "{m}已经跑路。", "{m}噪音。"]))
    c.t["12345工单"] += c.t["12345工单"][:6]                                       # duplicated tickets
    c.t["12345工单"][7]["受理日期"] = None
    c.merchant("ANCHOR", filed=True, escrow=True)
    con, catalog = load_tables(c.t)
    try:
        now = run_model_on(con, catalog, get_model(MODEL))
        before = run_model_on(con, catalog, _self_join_model())
    finally:
        con.close()
    assert {r["rule"] for r in now} >= {"R1", "R3"}
    assert _facts_and_evidence(now) == _facts_and_evidence(before)
