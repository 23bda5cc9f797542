"""Police cases and persons for gang-repeat-offenders (M13 涉黑恶 串并案).

Datasets: 公安案件 (one row per case: 案由, 案件类别 刑事/行政, 发案日期, 区县 …) and 公安涉案人员 (one
row per person per case).  Background persons appear in one case, or in two single-person cases of
the same county; so no background person reaches R1 and no background component reaches R2.
Subjects: R1 the person's 身份证号; R2 "团伙-" + the smallest 身份证号 of the component.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from shujian.demo.core import fmt

MODEL = "gang-repeat-offenders"
FOUR = ("故意伤害", "寻衅滋事", "聚众斗殴", "非法拘禁")
OTHER = ("盗窃", "诈骗", "赌博")
COUNTIES = ("椒江区", "黄岩区", "路桥区", "临海市", "温岭市", "玉环市", "天台县", "仙居县", "三门县")
PLACES = ("KTV 包厢", "夜宵摊", "网吧门口", "菜市场", "停车场", "小区门口", "酒吧")
CASE_DTYPES = {"发案日期": "DATE", "受案日期": "DATE"}
CHUNK = 400_000


def generate(ctx: Any) -> None:
    """Write 公安案件 and 公安涉案人员: background first, then the planted groups."""
    n, offset = ctx.n(6000), 0
    for start in range(0, n, CHUNK):
        cases, persons = _background(ctx, min(CHUNK, n - start), offset)
        offset += len(cases["案件编号"])
        _write(ctx, cases, persons)
    plants = _Plants(ctx)
    plants.run()
    _write(ctx, {k: [r.get(k) for r in plants.cases] for k in cases},
           {k: [r.get(k) for r in plants.persons] for k in persons})


def _write(ctx: Any, cases: dict, persons: dict) -> None:
    ctx.write("公安案件", cases, agency="市公安局", level="敏感",
              description="受案立案及治安案件（含刑事、行政），一案一行", dtypes=CASE_DTYPES)
    ctx.write("公安涉案人员", persons, agency="市公安局", level="敏感",
              description="案件涉案人员，一人一案一行", semantics={"身份证号": "id_number"})


def _case_rows(ctx: Any, ids: np.ndarray, cause: np.ndarray, day: np.ndarray, county: np.ndarray) -> dict:
    rng = ctx.rng
    n = len(ids)
    criminal = rng.random(n) < 0.4
    kind = np.where(criminal, "刑事", "行政").astype(object)
    return {"案件编号": ids, "案由": cause, "案件类别": kind, "发案日期": day,
            "受案日期": day + rng.integers(0, 3, n).astype("timedelta64[D]"),
            "发案地点": county + ctx.pick(PLACES, n),
            "区县": county, "办案单位": "台州市公安局" + county + "分局",
            "处理结果": np.where(criminal, ctx.pick(["立案侦查", "移送审查起诉"], n),
                                 ctx.pick(["行政拘留", "罚款", "调解结案"], n)).astype(object)}


def _background(ctx: Any, n_persons: int, offset: int) -> tuple[dict, dict]:
    """Cases of ``n_persons`` new people; case numbers start after ``offset``."""
    rng = ctx.rng
    people = ctx.people(n_persons, born=(date(1970, 1, 1), date(2005, 12, 31)))
    # 10 % "twice" persons: two single-person cases in one county; the rest in cases of 1–3 persons
    twice = rng.random(n_persons) < 0.1
    t_idx, o_idx = np.flatnonzero(twice), np.flatnonzero(~twice)
    sizes = rng.integers(1, 4, len(o_idx))
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), len(o_idx)) + 1]
    sizes[-1] -= sizes.sum() - len(o_idx)
    n_group_cases = len(sizes)
    case_of_other = np.repeat(np.arange(n_group_cases), sizes)
    n_cases = n_group_cases + 2 * len(t_idx)
    case_ids = fmt("A3310{k:011d}", k=np.arange(offset, offset + n_cases))
    county = ctx.pick(COUNTIES, n_cases)
    t_county = ctx.pick(COUNTIES, len(t_idx))
    county[n_group_cases::2] = t_county
    county[n_group_cases + 1::2] = t_county
    cause = np.where(rng.random(n_cases) < 0.8, ctx.pick(FOUR, n_cases), ctx.pick(OTHER, n_cases)).astype(object)
    day = ctx.dates(n_cases, date(2019, 1, 1), date(2025, 11, 30))
    cases = _case_rows(ctx, case_ids, cause, day, county)
    twice_cases = n_group_cases + np.arange(2 * len(t_idx))
    member = np.concatenate([o_idx, np.repeat(t_idx, 2)])
    case = np.concatenate([case_of_other, twice_cases])
    persons = {"案件编号": case_ids[case], "身份证号": people["身份证号"][member], "姓名": people["姓名"][member],
               "性别": people["性别"][member],
               "人员角色": np.where(cases["案件类别"][case] == "刑事", "犯罪嫌疑人", "违法行为人").astype(object),
               "处理结果": cases["处理结果"][case]}
    return cases, persons


class _Plants:
    """Planted repeat offenders and groups; ground truth is computed from what is planted."""

    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.cases: list[dict] = []
        self.persons: list[dict] = []

    def case(self, members: list[dict], day: date, county: str = "椒江区", cause: str = "寻衅滋事",
             kind: str = "行政", victims: tuple[dict, ...] = ()) -> None:
        cid = f"A3310P{len(self.cases):010d}"
        result = "行政拘留" if kind == "行政" else "立案侦查"
        self.cases.append({"案件编号": cid, "案由": cause, "案件类别": kind, "发案日期": day, "受案日期": day,
                           "发案地点": f"{county}夜宵摊", "区县": county, "办案单位": f"台州市公安局{county}分局",
                           "处理结果": result})
        for p in members:
            self.persons.append({"案件编号": cid, "身份证号": p["身份证号"], "姓名": p["姓名"], "性别": p["性别"],
                                 "人员角色": "违法行为人" if kind == "行政" else "犯罪嫌疑人", "处理结果": result})
        for p in victims:
            self.persons.append({"案件编号": cid, "身份证号": p["身份证号"], "姓名": p["姓名"], "性别": p["性别"],
                                 "人员角色": "被害人", "处理结果": None})

    def people(self, n: int) -> list[dict]:
        return [self.ctx.person(born=(date(1985, 1, 1), date(2003, 12, 31)), sex="男") for _ in range(n)]

    def run(self) -> None:
        ctx, m = self.ctx, MODEL
        a, b, c, d = self.people(4)
        t = date(2023, 2, 1)
        self.case([a, b, c], t, cause="聚众斗殴", kind="刑事")
        self.case([a, b], t + timedelta(days=120))
        self.case([a, c, d], t + timedelta(days=300), cause="故意伤害")
        self.case([a, b, d], t + timedelta(days=500), cause="非法拘禁", kind="刑事")
        ctx.plant(m, _gang_key([a, b, c, d]), "R2", "4 人 4 起，骨干每起均参与")
        for p in (a, b):
            ctx.plant(m, p["身份证号"], "R1", "团伙骨干，5 年内 3 起以上")
        (e,) = self.people(1)
        for k, county in enumerate(("黄岩区", "黄岩区", "黄岩区")):
            self.case([e], date(2021, 5, 1) + timedelta(days=400 * k), county=county)
        ctx.plant(m, e["身份证号"], "R1", "同一区县 5 年内 3 起")
        (f,) = self.people(1)
        self.case([f], date(2024, 3, 3), county="临海市", cause="故意伤害")
        self.case([f], date(2024, 9, 3), county="温岭市", cause="寻衅滋事")
        ctx.plant(m, f["身份证号"], "R1", "跨两个区县各 1 起")
        (g,) = self.people(1)
        for day in (date(2019, 2, 1), date(2021, 6, 1), date(2024, 3, 3)):
            self.case([g], day, county="路桥区")
        ctx.near_miss(m, g["身份证号"], "3 起分散在 5 年零 1 个月，任何 5 年内仅 2 起")
        x, y = self.people(2)
        for k in range(3):
            self.case([x, y], date(2023, 4, 1) + timedelta(days=90 * k), county="玉环市")
        ctx.near_miss(m, _gang_key([x, y]), "仅 2 人的反复共同违法，不足 3 人")
        for p in (x, y):
            ctx.plant(m, p["身份证号"], "R1", "二人组 1 年内 3 起")
        h, i, j = self.people(3)
        for k in range(3):
            self.case([h, i, j], date(2023, 4, 1) + timedelta(days=60 * k), county="三门县", cause="盗窃")
        ctx.near_miss(m, _gang_key([h, i, j]), "3 人 3 起均为盗窃，不在四类案由内")
        for p in (h, i, j):
            ctx.near_miss(m, p["身份证号"], "盗窃案件不计入")
        k1, k2, k3 = self.people(3)
        self.case([k1, k2], date(2020, 1, 10), county="天台县", cause="故意伤害", kind="刑事")
        self.case([k2, k3], date(2021, 3, 10), county="天台县", cause="寻衅滋事")
        self.case([k1, k3], date(2022, 6, 10), county="天台县", cause="寻衅滋事")
        ctx.near_miss(m, _gang_key([k1, k2, k3]), "3 人 3 起但跨度 29 个月，超过 24 个月")
        # a shop owner harmed three times by two different pairs: a victim is no offender and no link
        v, l1, l2, l3, l4 = self.people(5)
        self.case([l1, l2], date(2024, 2, 1), county="仙居县", victims=(v,))
        self.case([l1, l2], date(2024, 5, 1), county="仙居县", cause="故意伤害", victims=(v,))
        self.case([l3, l4], date(2024, 8, 1), county="仙居县", victims=(v,))
        ctx.near_miss(m, v["身份证号"], "3 起案件中均为被害人，不是行为人")
        ctx.near_miss(m, _gang_key([v, l1, l2, l3, l4]), "两伙人只经同一被害人相连，不是共同违法犯罪")


def _gang_key(members: list[dict]) -> str:
    return "团伙-" + min(p["身份证号"] for p in members)
