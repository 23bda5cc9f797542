"""gang-repeat-offenders (M13): R1 key persons and R2 groups through connected components."""

from __future__ import annotations

from datetime import date, timedelta

from tests.models_library.conftest import run_model

MODEL = "gang-repeat-offenders"


class Police:
    def __init__(self) -> None:
        self.cases: list[dict] = []
        self.persons: list[dict] = []

    def case(self, members: list[str], day: date, county: str = "椒江区", cause: str = "寻衅滋事") -> None:
        cid = f"C{len(self.cases)}"
        self.cases.append({"案件编号": cid, "案由": cause, "案件类别": "行政", "发案日期": day, "区县": county})
        self.persons += [{"案件编号": cid, "身份证号": p, "姓名": f"人员{p}"} for p in members]

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
