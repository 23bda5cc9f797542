"""Planted cases, part two: community corrections (M6), 医保 in custody (M12), 不捕不诉 follow-up (M16)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from shujian.dates import add_months
from shujian.demo.groups._person_plants import M6, M12, M16, Planter
from shujian.demo.groups.person import CUSTODY_HOSPITALS, HOSPITALS

D = timedelta


# ---------------------------------------------------------------------- M6 community-correction-gaps
def plant_m6(pl: Planter) -> None:
    for _ in range(pl.k):
        m6_r1(pl)
        m6_r2(pl)
        m6_near(pl)


def m6_r1(pl: Planter) -> None:
    new = lambda: pl.ctx.person(born=(date(1970, 1, 1), date(2002, 12, 31)))  # noqa: E731
    eff = pl.day(date(2023, 1, 1), date(2025, 9, 30))
    a = new()
    pl.sentence(a, "缓刑", eff, None, add_months(eff, 24))
    pl.ctx.plant(M6, a["身份证号"], "R1", "缓刑生效后从未报到入矫（漏管）")
    b = new()
    pl.sentence(b, "缓刑", eff, eff + D(14), add_months(eff, 18))
    pl.ctx.plant(M6, b["身份证号"], "R1", "生效后第 14 天才报到（逾期报到）")
    c = new()
    pl.sentence(c, "假释", eff, eff + D(11), add_months(eff, 12))
    pl.ctx.plant(M6, c["身份证号"], "R1", "假释出监后第 11 天报到")


def m6_r2(pl: Planter) -> None:
    start = pl.day(date(2023, 6, 1), date(2024, 12, 31))
    a = pl.corrections_person(start, add_months(start, 24))
    held = start + D(120)
    pl.detention(a, held, held + D(10))
    pl.ctx.plant(M6, a["身份证号"], "R2", f"在矫期间 {held} 被行政拘留 10 日，无知悉/处置记录")
    b = pl.corrections_person(start, add_months(start, 36))
    held = start + D(200)
    pl.custody(b, held, held + D(30), "刑事拘留")
    pl.ctx.plant(M6, b["身份证号"], "R2", f"在矫期间 {held} 被刑事拘留，未通知社区矫正机构")


def m6_near(pl: Planter) -> None:
    new = lambda: pl.ctx.person(born=(date(1970, 1, 1), date(2002, 12, 31)))  # noqa: E731
    eff = pl.day(date(2023, 1, 1), date(2025, 9, 30))
    a = new()
    pl.sentence(a, "缓刑", eff, eff + D(10), add_months(eff, 24))
    pl.ctx.near_miss(M6, a["身份证号"], "生效后恰好第 10 天报到")
    start = pl.day(date(2023, 6, 1), date(2024, 12, 31))
    b = pl.corrections_person(start, add_months(start, 24))
    held = start + D(90)
    pl.detention(b, held, held + D(5))
    pl.city.write_handling([{"身份证号": b["身份证号"], "姓名": b["姓名"], "处置日期": held + D(3),
                             "处置类型": "知悉被羁押登记", "事由": "被行政拘留五日"}])
    pl.ctx.near_miss(M6, b["身份证号"], "在矫期间被拘留，第 3 天已登记知悉并处置")
    end = pl.day(date(2024, 1, 1), date(2025, 6, 30))
    c = pl.corrections_person(add_months(end, -12), end, ended=end)
    pl.detention(c, end + D(1), end + D(8))
    pl.ctx.near_miss(M6, c["身份证号"], "解矫次日被拘留，已不在矫")
    d = pl.ctx.person(born=(date(1970, 1, 1), date(2002, 12, 31)))
    pl.custody(d, start - D(40), start - D(1), "刑事拘留")
    pl.corrections_person(start, add_months(start, 24), p=d)
    pl.ctx.near_miss(M6, d["身份证号"], "入矫前一天出所（判决前羁押）")


# ---------------------------------------------------------------------- M12 medical-insurance-in-custody
def plant_m12(pl: Planter) -> None:
    for _ in range(pl.k):
        m12_positive(pl)
        m12_near(pl)
    pl.city.write_outside_care(pl.outside_care)


def _insured_detainee(pl: Planter) -> dict[str, Any]:
    return pl.ctx.person(born=(date(1960, 1, 1), date(2000, 12, 31)))


def m12_positive(pl: Planter) -> None:
    a = _insured_detainee(pl)
    start = pl.day(date(2023, 3, 1), date(2025, 3, 31))
    pl.custody(a, start, start + D(240), "逮捕")
    pl.medical(a, pl.ctx.one(HOSPITALS), "住院", start + D(60), start + D(72), start + D(73), "医嘱离院")
    pl.ctx.plant(M12, a["身份证号"], "R1", "逮捕羁押期间在普通医院住院并由医保统筹支付")
    b = _insured_detainee(pl)
    pl.prison(b, start, None)
    pl.medical(b, pl.ctx.one(HOSPITALS), "门诊", start + D(300), start + D(300), start + D(300), None)
    pl.ctx.plant(M12, b["身份证号"], "R1", "监狱服刑期间出现门诊医保结算（疑冒用身份）")


def m12_near(pl: Planter) -> None:
    start = pl.day(date(2023, 3, 1), date(2025, 3, 31))
    a = _insured_detainee(pl)
    pl.custody(a, start, start + D(200), "逮捕")
    pl.medical(a, CUSTODY_HOSPITALS[0], "住院", start + D(30), start + D(40), start + D(41), "医嘱离院")
    pl.ctx.near_miss(M12, a["身份证号"], "在押期间在指定监管医院住院")
    b = _insured_detainee(pl)
    pl.custody(b, start, start + D(200), "逮捕")
    hospital = pl.ctx.one(HOSPITALS)
    pl.medical(b, hospital, "住院", start + D(50), start + D(58), start + D(58), "医嘱离院")
    pl.outside_care.append({"身份证号": b["身份证号"], "姓名": b["姓名"], "就医医院": hospital,
                            "出所就医日期": start + D(50), "返所日期": start + D(58), "批准机关": "台州市公安局"})
    pl.ctx.near_miss(M12, b["身份证号"], "经批准所外就医的住院")
    c = _insured_detainee(pl)
    pl.custody(c, start, start + D(60), "刑事拘留")
    pl.medical(c, pl.ctx.one(HOSPITALS), "住院", start + D(61), start + D(70), start + D(70), "医嘱离院")
    pl.ctx.near_miss(M12, c["身份证号"], "出所次日入院（出所前一天获释）")
    d = _insured_detainee(pl)
    pl.medical(d, pl.ctx.one(HOSPITALS), "住院", start - D(9), start, start, "医嘱离院")
    pl.custody(d, start, start + D(30), "刑事拘留")
    pl.ctx.near_miss(M12, d["身份证号"], "出院当日被刑事拘留（区间仅首尾相接）")
    e = _insured_detainee(pl)
    pl.custody(e, start, start + D(30), "刑事拘留")
    pl.medical(e, pl.ctx.one(HOSPITALS), "门诊", start + D(30), start + D(30), start + D(30), None)
    pl.ctx.near_miss(M12, e["身份证号"], "出所当日门诊就医")


# ---------------------------------------------------------------------- M16 non-prosecution-follow-up
def nonpros(pl: Planter, p: dict[str, Any], decided: date) -> str:
    doc = f"台椒检刑不诉〔{decided.year}〕{pl.city.serial.next('bsu')[0]}号"
    pl.city.write_nonpros([{"不起诉决定书文号": doc, "身份证号": p["身份证号"], "姓名": p["姓名"], "案由": "寻衅滋事罪",
                            "不起诉类型": "酌定不起诉", "决定日期": decided, "承办检察院": "台州市椒江区人民检察院"}])
    return doc


def opinion(pl: Planter, p: dict[str, Any], doc: str, issued: date) -> str:
    no = f"台椒检行意〔{issued.year}〕{pl.city.serial.next('opinion')[0]}号"
    pl.city.write_opinions([{"检察意见书文号": no, "不起诉决定书文号": doc, "身份证号": p["身份证号"], "姓名": p["姓名"],
                             "制发日期": issued, "被建议机关": "台州市公安局椒江分局", "意见类型": "不起诉案件行政处罚",
                             "意见内容": "建议对被不起诉人依法给予行政处罚"}])
    return no


def penalty(pl: Planter, p: dict[str, Any], day: date) -> None:
    pl.city.write_penalties(pl.city.penalty_rows([p["身份证号"]], [p["姓名"]], np.array([day], dtype="datetime64[D]"),
                                                 ["寻衅滋事"]))


def reply(pl: Planter, no: str, day: date, text: str) -> None:
    pl.city.write_replies([{"检察意见书文号": no, "回复日期": day, "回复单位": "台州市公安局椒江分局", "处理情况": text}])


def plant_m16(pl: Planter) -> None:
    for _ in range(pl.k):
        m16_r1(pl)
        m16_r2(pl)
        m16_near(pl)


def m16_r1(pl: Planter) -> None:
    decided = pl.day(date(2023, 1, 1), date(2025, 3, 31))
    a = pl.ctx.person()
    opinion(pl, a, nonpros(pl, a, decided), decided + D(10))
    pl.ctx.plant(M16, a["身份证号"], "R1", "检察意见制发后无行政处罚、无回复")
    b = pl.ctx.person()
    issued = decided + D(7)
    no = opinion(pl, b, nonpros(pl, b, decided), issued)
    penalty(pl, b, add_months(issued, 3))
    reply(pl, no, add_months(issued, 3) + D(2), "已给予行政处罚")
    pl.ctx.plant(M16, b["身份证号"], "R1", "检察意见制发 3 个月后才处罚（超过 2 个月）")


def arrest_case(pl: Planter, p: dict[str, Any], decided: date, kind: str, reason: str | None,
                closed: date | None, how: str = "撤销案件") -> None:
    filed = decided - D(30)
    case = pl.city.police_case_numbers(np.array([filed], dtype="datetime64[D]"))[0]
    pl.city.write_police_cases([{"案件编号": case, "案由": "诈骗罪", "立案日期": filed, "嫌疑人身份证号": p["身份证号"],
                                 "嫌疑人姓名": p["姓名"], "办案单位": "台州市公安局椒江分局刑侦大队"}])
    pl.city.write_arrest_reviews([{"决定书文号": f"台椒检刑不捕〔{decided.year}〕{pl.city.serial.next('bubu')[0]}号",
                                   "公安案件编号": case, "身份证号": p["身份证号"], "姓名": p["姓名"], "案由": "诈骗罪",
                                   "决定类型": kind, "不捕理由": reason, "决定日期": decided,
                                   "承办检察院": "台州市椒江区人民检察院"}])
    if closed is not None:
        pl.city.write_police_closures([{"案件编号": case, "嫌疑人身份证号": p["身份证号"], "处理类型": how,
                                        "处理日期": closed, "办案单位": "台州市公安局椒江分局刑侦大队"}])


def m16_r2(pl: Planter) -> None:
    decided = pl.day(date(2022, 1, 1), date(2024, 6, 30))
    a = pl.ctx.person()
    arrest_case(pl, a, decided, "不批准逮捕", "证据不足", None)
    pl.ctx.plant(M16, a["身份证号"], "R2", "证据不足不捕后，案件至今未撤案/终止侦查/移送起诉（挂案）")
    b = pl.ctx.person()
    arrest_case(pl, b, decided, "不批准逮捕", "不构成犯罪", add_months(decided, 14))
    pl.ctx.plant(M16, b["身份证号"], "R2", "不构成犯罪不捕后 14 个月才撤案")


def m16_near(pl: Planter) -> None:
    decided = pl.day(date(2023, 1, 1), date(2025, 3, 31))
    a = pl.ctx.person()
    issued = decided + D(5)
    opinion(pl, a, nonpros(pl, a, decided), issued)
    penalty(pl, a, add_months(issued, 2))
    pl.ctx.near_miss(M16, a["身份证号"], "检察意见制发后恰好满 2 个月当日处罚")
    b = pl.ctx.person()
    issued = decided + D(8)
    no = opinion(pl, b, nonpros(pl, b, decided), issued)
    reply(pl, no, issued + D(40), "经审查决定不予行政处罚并说明理由")
    pl.ctx.near_miss(M16, b["身份证号"], "主管机关 40 天内书面回复不予处罚（已回复）")
    decided = pl.day(date(2022, 1, 1), date(2024, 6, 30))
    c = pl.ctx.person()
    arrest_case(pl, c, decided, "不批准逮捕", "证据不足", add_months(decided, 12), "终止侦查")
    pl.ctx.near_miss(M16, c["身份证号"], "不捕后恰好满 12 个月终止侦查")
    d = pl.ctx.person()
    arrest_case(pl, d, decided, "不批准逮捕", "无社会危险性", None)
    pl.ctx.near_miss(M16, d["身份证号"], "无社会危险性不捕（取保候审继续侦查），不属挂案规则")


def plant_rest(pl: Planter) -> None:
    """M6, M12, M16 plants."""
    pl.outside_care = []
    plant_m6(pl)
    plant_m12(pl)
    plant_m16(pl)
