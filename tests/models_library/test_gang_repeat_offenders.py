"""gang-repeat-offenders (M13): R1 key persons and R2 groups through connected components."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from tests.models_library.conftest import run_model

from shujian.demo.evaluate import load_tables, run_model_on
from shujian.models_library import get_model

MODEL = "gang-repeat-offenders"


class Police:
    def __init__(self) -> None:
        self.cases: list[dict] = []
        self.persons: list[dict] = []

    def case(self, members: list[str], day: date, county: str = "椒江区", cause: str = "寻衅滋事") -> None:
        cid = f"C{len(self.cases)}"
        self.cases.append({"案件编号": cid, "案由": cause, "案件类别": "行政", "发案日期": day, "区县": county})
        self.persons += [{"案件编号": cid, "身份证号": p, "姓名": f"人员{p}", "人员角色": "违法行为人"} for p in members]

    def hits(self, params: dict | None = None) -> set[tuple[str, str]]:
        rows = run_model(MODEL, {"公安案件": self.cases, "公安涉案人员": self.persons}, params)
        return {(r["subject"], r["rule"]) for r in rows}


def test_r1_key_persons() -> None:
    p = Police()
    for k in range(3):
        p.case(["E"], date(2021, 5, 1) + timedelta(days=400 * k), county="黄岩区")     # 3 in 800 days
    p.case(["F"], date(2024, 3, 3), county="临海市")
    p.case(["F"], date(2024, 9, 3), county="温岭市", cause="故意伤害")                   # two counties
    for day in (date(2019, 2, 1), date(2021, 6, 1), date(2024, 3, 3)):                  # > 5 years apart
        p.case(["G"], day, county="路桥区")
    p.case(["H"], date(2020, 1, 1), county="三门县")
    p.case(["H"], date(2021, 1, 1), county="三门县")                                     # 2, same county
    for k in range(3):
        p.case(["I"], date(2022, 1, 1) + timedelta(days=30 * k), cause="盗窃")           # not one of the four
    assert p.hits() == {("E", "R1"), ("F", "R1")}


def test_r2_group_via_components() -> None:
    p = Police()
    t = date(2023, 2, 1)
    p.case(["A", "B", "C"], t, cause="聚众斗殴")
    p.case(["A", "B"], t + timedelta(days=120))
    p.case(["A", "C", "D"], t + timedelta(days=300), cause="故意伤害")
    p.case(["A", "B", "D"], t + timedelta(days=500), cause="非法拘禁")
    for k in range(3):                                                                    # only 2 persons
        p.case(["X", "Y"], date(2023, 4, 1) + timedelta(days=90 * k), county="玉环市")
    p.case(["K1", "K2"], date(2020, 1, 10), county="天台县")                              # span 29 months
    p.case(["K2", "K3"], date(2021, 3, 10), county="天台县")
    p.case(["K1", "K3"], date(2022, 6, 10), county="天台县")
    hits = p.hits()
    assert {h for h in hits if h[1] == "R2"} == {("团伙-A", "R2")}
    assert {h for h in hits if h[1] == "R1"} == {("A", "R1"), ("B", "R1"), ("X", "R1"), ("Y", "R1")}


def test_r2_parameters() -> None:
    p = Police()
    for k in range(3):
        p.case(["X", "Y"], date(2023, 4, 1) + timedelta(days=90 * k), county="玉环市")
    assert ("团伙-X", "R2") in p.hits({"min_members": 2})


def test_r1_window_ends_are_inclusive() -> None:
    p = Police()
    for day in (date(2019, 3, 1), date(2021, 7, 1), date(2024, 3, 1)):                 # exactly 60 months
        p.case(["J"], day)
    for day in (date(2019, 3, 1), date(2021, 7, 1), date(2024, 3, 2)):                 # one day more
        p.case(["L"], day)
    assert p.hits() == {("J", "R1")}


def test_r1_case_recorded_with_two_dates_counts_both_windows() -> None:
    # case C0 is recorded twice (two dates 6 years apart); each window holds 2 rows, but R1 groups by
    # case id, so C0's windows together hold 3 cases
    p = Police()
    p.case(["M"], date(2020, 1, 1))
    p.cases.append({**p.cases[0], "发案日期": date(2026, 2, 1)})
    p.case(["M"], date(2019, 12, 1))
    p.case(["M"], date(2026, 1, 1))
    assert p.hits() == {("M", "R1")}


def _unscreened_model():
    """The model without its screening steps: R1's self-join over every person's events, R2's
    components over every actor (one-case persons too) and case lists and evidence collected for
    every component, its members' events joined on the person."""
    model = get_model(MODEL)
    screen = {"multi_persons", "multi_events", "person_totals", "candidate_events", "repeat_persons", "repeat_events",
              "gangs_with_repeaters", "candidate_repeaters", "repeater_cases", "gang_case_ids"}
    assert screen <= {s.id for s in model.steps}
    reads = {"person_pairs": {"left": "events", "right": "events"},
             "membership": {"right": "graph", "on": ["person"]}}
    steps = []
    for step in model.steps:
        if step.id in reads:
            step = step.model_copy(update={"join": step.join.model_copy(update=reads[step.id])})
        if step.id == "graph":
            step = step.model_copy(update={"from_": "events"})
        if step.id not in screen:
            steps.append(step)
    return model.model_copy(update={"steps": steps})


@pytest.mark.parametrize("seed", range(4))
def test_screening_changes_no_output_row(seed: int) -> None:
    """Random police records: every output row (facts and evidence) equals the unscreened model's."""
    rng = random.Random(seed)
    p = Police()
    counties = ["椒江区", "黄岩区", "路桥区"]
    for _ in range(150):
        members = rng.sample([f"P{k:02d}" for k in range(40)], rng.choice([1, 1, 2, 3]))
        p.case(members, date(2015, 1, 1) + timedelta(days=rng.randrange(4000)),
               county=rng.choice(counties[:rng.choice([1, 1, 3])]), cause=rng.choice(["寻衅滋事", "盗窃"]))
    for g in range(6):                                              # groups around a hub, some too small
        group = [f"G{g}{k}" for k in range(rng.choice([2, 3, 4, 5]))]
        start = date(2016, 1, 1) + timedelta(days=rng.randrange(2500))
        for _ in range(rng.choice([2, 3, 3, 4])):
            p.case([group[0], *rng.sample(group[1:], rng.randrange(1, min(3, len(group))))],
                   start + timedelta(days=rng.randrange(800)))
    for k in range(0, 20, 4):                                       # some case ids recorded twice
        p.cases.append({**p.cases[k], "发案日期": p.cases[k]["发案日期"] + timedelta(days=rng.randrange(3000))})
    tables = {"公安案件": p.cases, "公安涉案人员": p.persons}
    con, catalog = load_tables(tables)
    try:
        screened = run_model_on(con, catalog, get_model(MODEL))
        reference = run_model_on(con, catalog, _unscreened_model())
    finally:
        con.close()
    assert {r["rule"] for r in screened} == {"R1", "R2"}
    key = lambda r: json.dumps(r, sort_keys=True, default=str, ensure_ascii=False)  # noqa: E731
    assert sorted(map(key, screened)) == sorted(map(key, reference))
