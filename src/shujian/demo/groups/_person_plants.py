"""Planted violations (with ground truth) and near-misses for the person-centric models.

Every planted subject is a new person, so it cannot be touched by background data or by another
model's plants; each near-miss sits exactly on a boundary of the rule it tests.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np

from shujian.dates import add_months
from shujian.demo.core import month_start
from shujian.demo.groups.person import (
    DETENTION_CENTRES,
    HOSPITALS,
    MONTHS,
    PRISONS,
    STREETS,
    PersonCity,
)

M1, M2, M5 = "pension-during-custody", "benefits-after-death", "drunk-driving-licence"
M6, M12, M16 = "community-correction-gaps", "medical-insurance-in-custody", "non-prosecution-follow-up"
ALL_MONTHS = [m.astype(date) for m in MONTHS]
D = timedelta


def _cols(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return {k: [r.get(k) for r in rows] for k in keys}


class Planter:
    """Builds planted cases on top of a :class:`PersonCity`."""

    def __init__(self, city: PersonCity):
        self.city = city
        self.ctx = city.ctx
        self.k = max(1, round(math.sqrt(self.ctx.factor)))     # copies of each planted pattern

    def day(self, start: date, end: date) -> date:
        return self.ctx.dates(1, start, end)[0].astype(date)

    # ------------------------------------------------------------------ building blocks
    def pensioner(self, born: tuple[date, date] = (date(1948, 1, 1), date(1962, 12, 31))) -> dict[str, Any]:
        p = self.ctx.person(born=born, local_share=1.0)
        p["险种"] = "企业职工基本养老保险"
        p["发放机构"] = f"台州市{self.ctx.one(self.city.counties)}社会保险事业管理中心"
        p["base"] = float(self.ctx.amounts(1, 2200, 5800)[0])
        return p

    def pay_pension(self, p: dict[str, Any], months: list[date]) -> None:
        rows = [{"身份证号": p["身份证号"], "姓名": p["姓名"], "发放年月": m,
                 "发放金额": round(p["base"] + (80.0 if m >= date(2024, 7, 1) else 0.0), 2),
                 "险种": p["险种"], "发放机构": p["发放机构"]} for m in months]
        self.city.write_pension(_cols(rows))

    def adjust_pension(self, p: dict[str, Any], day: date, amount: float) -> None:
        self.city.write_adjustment(_cols([{
            "身份证号": p["身份证号"], "姓名": p["姓名"], "调整年度": day.year, "调整日期": day,
            "调整前月养老金": p["base"], "调整金额": amount, "调整后月养老金": round(p["base"] + amount, 2),
            "调整类型": "年度普调", "经办机构": p["发放机构"]}]))

    def custody(self, p: dict[str, Any], start: date, end: date | None, kind: str) -> None:
        self.city.write_custody(_cols([{
            "身份证号": p["身份证号"], "姓名": p["姓名"], "性别": p["性别"], "入所日期": start, "出所日期": end,
            "羁押性质": kind, "出所原因": None if end is None else "取保候审",
            "看守所名称": self.ctx.one(DETENTION_CENTRES)}]))

    def prison(self, p: dict[str, Any], start: date, end: date | None) -> None:
        self.city.write_prison(_cols([{
            "身份证号": p["身份证号"], "姓名": p["姓名"], "罪名": "诈骗罪", "刑种": "有期徒刑", "刑期月数": 36,
            "收监日期": start, "释放日期": end, "监狱名称": self.ctx.one(PRISONS)}]))

    def detention(self, p: dict[str, Any], start: date, end: date) -> None:
        self.city.write_detention(_cols([{
            "身份证号": p["身份证号"], "姓名": p["姓名"], "入所日期": start, "出所日期": end,
            "拘留类型": "行政拘留", "决定机关": "台州市公安局椒江分局", "拘留所名称": "台州市拘留所"}]))

    def sentence(self, p: dict[str, Any], kind: str, effective: date, report: date | None,
                 expiry: date, ended: date | None = None) -> None:
        """A non-custodial sentence; ``report`` None = never registered with 社区矫正 (漏管)."""
        case = self.city.case_numbers(1, np.array([effective.year]), "初")[0]
        county = self.ctx.one(self.city.counties)
        self.city.write_sentences([{
            "身份证号": p["身份证号"], "姓名": p["姓名"], "案号": case, "罪名": "盗窃罪", "刑罚类型": kind,
            "矫正期限月数": 24, "生效日期": effective, "决定机关": f"台州市{county}人民法院", "执行地": county}])
        if report is not None:
            self.city.write_roster([{
                "身份证号": p["身份证号"], "姓名": p["姓名"], "性别": p["性别"], "矫正类别": kind, "案号": case,
                "报到日期": report, "入矫日期": report, "矫正期满日期": expiry, "解矫日期": ended,
                "执行地": county, "司法所": self.ctx.one(STREETS) + "司法所"}])

    def corrections_person(self, start: date, expiry: date, ended: date | None = None,
                           p: dict[str, Any] | None = None, kind: str = "缓刑") -> dict[str, Any]:
        """A lawfully registered corrections subject (报到 3 days after 生效)."""
        p = p or self.ctx.person(born=(date(1965, 1, 1), date(2000, 12, 31)))
        self.sentence(p, kind, start - D(3), start, expiry, ended)
        return p

    def medical(self, p: dict[str, Any], hospital: str, kind: str, start: date, end: date, settle: date,
                leave: str | None) -> None:
        self.city.write_medical(self.city.medical_rows(
            [p["身份证号"]], [p["姓名"]], [hospital], np.array([kind], dtype=object),
            np.array([start], dtype="datetime64[D]"), np.array([end], dtype="datetime64[D]"),
            np.array([settle], dtype="datetime64[D]"), [leave]))

    def deaths(self, p: dict[str, Any], *, cert: date | None, cremation: date | None,
               deregistered: date | None) -> None:
        if deregistered:
            self.city.write_deregistration([p["身份证号"]], [p["姓名"]], [deregistered], ["死亡"])
        if cert:
            self.city.write("死亡医学证明", {"身份证号": [p["身份证号"]], "姓名": [p["姓名"]], "死亡日期": [cert],
                                       "死亡地点": ["家中"], "签发机构": [self.ctx.one(HOSPITALS)]}, "", "")
        if cremation:
            self.city.write("火化记录", {"身份证号": [p["身份证号"]], "姓名": [p["姓名"]], "火化日期": [cremation],
                                     "殡仪馆": ["台州市殡仪馆"]}, "", "")

    # ------------------------------------------------------------------ M1 pension-during-custody
    def plant_m1(self) -> None:
        for _ in range(self.k):
            self.m1_r1()
            self.m1_r2()
            self.m1_near()

    def m1_r1(self) -> None:
        p = self.pensioner()
        start = self.day(date(2024, 2, 1), date(2024, 9, 30))
        end = start + D(int(self.ctx.rng.integers(120, 300)))
        self.custody(p, start, end, "逮捕")
        self.pay_pension(p, ALL_MONTHS)
        self.ctx.plant(M1, p["身份证号"], "R1", f"逮捕羁押 {start}～{end}，养老金照发")
        q = self.pensioner()
        start = self.day(date(2024, 3, 1), date(2024, 12, 31))
        self.custody(q, start - D(200), start - D(10), "逮捕")
        self.prison(q, start, None)
        self.pay_pension(q, ALL_MONTHS)
        self.ctx.plant(M1, q["身份证号"], "R1", f"{start} 收监服刑至今，养老金照发")
        r = self.pensioner()
        start = self.day(date(2024, 4, 1), date(2025, 6, 30))
        self.custody(r, start, start + D(100), "有期徒刑执行")
        self.pay_pension(r, ALL_MONTHS)
        self.ctx.plant(M1, r["身份证号"], "R1", f"看守所留所执行余刑 {start} 起 100 天，养老金照发")

    def m1_r2(self) -> None:
        p = self.pensioner()
        start = self.day(date(2023, 10, 1), date(2024, 5, 31))
        self.corrections_person(start, add_months(start, 24), p=p)
        self.pay_pension(p, ALL_MONTHS)
        self.adjust_pension(p, date(2024, 7, 1), 86.5)
        self.ctx.plant(M1, p["身份证号"], "R2", f"缓刑社区矫正 {start} 起，2024-07-01 参加养老金调整")

    def m1_near(self) -> None:
        a = self.pensioner()                       # 刑事拘留 within one calendar month
        self.custody(a, date(2024, 5, 3), date(2024, 5, 28), "刑事拘留")
        self.pay_pension(a, ALL_MONTHS)
        self.ctx.near_miss(M1, a["身份证号"], "刑事拘留 2024-05-03～05-28，同月出所，无完整羁押月")
        b = self.pensioner()                       # spans a month boundary only
        self.custody(b, date(2024, 5, 20), date(2024, 6, 18), "刑事拘留")
        self.pay_pension(b, ALL_MONTHS)
        self.ctx.near_miss(M1, b["身份证号"], "刑事拘留 05-20～06-18，入所月与出所月之间无整月")
        c = self.pensioner()                       # the only month in between is the tolerated lag month
        self.custody(c, date(2024, 9, 10), date(2024, 11, 5), "逮捕")
        self.pay_pension(c, ALL_MONTHS)
        self.ctx.near_miss(M1, c["身份证号"], "逮捕 09-10～11-05，10月发放属 1 个月发放滞后容忍期")
        d = self.pensioner()                       # pension properly suspended, resumed in the release month
        start, end = date(2024, 3, 15), date(2024, 12, 10)
        self.custody(d, start, end, "逮捕")
        self.pay_pension(d, [m for m in ALL_MONTHS if not (add_months(month_start(start), 1) < m < month_start(end))])
        self.ctx.near_miss(M1, d["身份证号"], "羁押期间已停发，出所当月恢复发放")
        e = self.pensioner()                       # 缓刑 ended the day before the adjustment
        self.corrections_person(date(2024, 7, 2), date(2025, 6, 30), ended=date(2025, 6, 30), p=e)
        self.pay_pension(e, ALL_MONTHS)
        self.adjust_pension(e, date(2024, 7, 1), 80.0)
        self.adjust_pension(e, date(2025, 7, 1), 70.0)
        self.ctx.near_miss(M1, e["身份证号"], "调整日 2024-07-01 在入矫前一天、2025-07-01 在解矫次日")
        f = self.pensioner()                       # adjustment recorded with amount 0 during correction
        self.corrections_person(date(2024, 1, 10), date(2026, 1, 9), p=f)
        self.pay_pension(f, ALL_MONTHS)
        self.adjust_pension(f, date(2024, 7, 1), 0.0)
        self.ctx.near_miss(M1, f["身份证号"], "矫正期间调整金额为 0（未参加调整）")

    # ------------------------------------------------------------------ M2 benefits-after-death
    def plant_m2(self) -> None:
        for _ in range(self.k):
            self.m2_pension()
            self.m2_elderly()
            self.m2_medical()
            self.m2_near()

    def m2_pension(self) -> None:
        p = self.pensioner((date(1940, 1, 1), date(1958, 12, 31)))
        death = self.day(date(2024, 3, 1), date(2025, 6, 30))
        self.deaths(p, cert=death, cremation=death + D(2), deregistered=death + D(20))
        self.pay_pension(p, [m for m in ALL_MONTHS if m <= add_months(month_start(death), 3)])
        self.ctx.plant(M2, p["身份证号"], "R1", f"{death} 死亡，其后 3 个月仍发养老金")
        q = self.pensioner((date(1940, 1, 1), date(1958, 12, 31)))
        death = self.day(date(2024, 3, 1), date(2025, 6, 30))     # only cremation known; 户籍 late
        late = add_months(death, 4)
        self.deaths(q, cert=None, cremation=death + D(1), deregistered=late)
        self.pay_pension(q, [m for m in ALL_MONTHS if m <= month_start(late)])
        self.ctx.plant(M2, q["身份证号"], "R1", "只有火化记录，户籍四个月后才注销；按最早死亡日期计")

    def elderly(self) -> dict[str, Any]:
        p = self.ctx.person(born=(date(1925, 1, 1), date(1942, 12, 31)), local_share=1.0)
        p["乡镇街道"] = self.ctx.one(STREETS)
        return p

    def pay_elderly(self, p: dict[str, Any], months: list[date]) -> None:
        self.city.write_elderly(_cols([{"身份证号": p["身份证号"], "姓名": p["姓名"], "发放年月": m, "发放金额": 100.0,
                                        "乡镇街道": p["乡镇街道"], "发放方式": "社会化发放"} for m in months]))

    def m2_elderly(self) -> None:
        p = self.elderly()
        death = self.day(date(2024, 2, 1), date(2025, 8, 31))
        self.deaths(p, cert=death, cremation=None, deregistered=death + D(40))
        self.pay_elderly(p, [m for m in ALL_MONTHS if m <= add_months(month_start(death), 2)])
        self.ctx.plant(M2, p["身份证号"], "R2", f"{death} 死亡，其后仍发高龄津贴")

    def m2_medical(self) -> None:
        p = self.ctx.person(born=(date(1940, 1, 1), date(1970, 12, 31)))
        death = self.day(date(2024, 1, 1), date(2025, 10, 31))
        self.deaths(p, cert=death, cremation=death + D(2), deregistered=death + D(15))
        self.medical(p, self.ctx.one(HOSPITALS), "门诊", death + D(5), death + D(5), death + D(5), None)
        self.ctx.plant(M2, p["身份证号"], "R3", "死亡 5 天后门诊结算（冒用医保卡）")
        q = self.ctx.person(born=(date(1940, 1, 1), date(1970, 12, 31)))
        death = self.day(date(2024, 1, 1), date(2025, 10, 31))
        self.deaths(q, cert=death, cremation=None, deregistered=death + D(10))
        self.medical(q, self.ctx.one(HOSPITALS), "住院", death - D(3), death + D(4), death + D(4), "医嘱离院")
        self.ctx.plant(M2, q["身份证号"], "R3", "住院期间死亡但以“医嘱离院”于死亡后结算")

    def m2_near(self) -> None:
        a = self.pensioner((date(1940, 1, 1), date(1958, 12, 31)))
        death = self.day(date(2024, 3, 1), date(2025, 6, 30))
        self.deaths(a, cert=death, cremation=death + D(2), deregistered=death + D(10))
        self.pay_pension(a, [m for m in ALL_MONTHS if m <= month_start(death)])
        self.ctx.near_miss(M2, a["身份证号"], "死亡当月养老金照发（合法），次月停发")
        b = self.elderly()
        death = self.day(date(2024, 3, 1), date(2025, 6, 30))
        self.deaths(b, cert=death, cremation=None, deregistered=death + D(10))
        self.pay_elderly(b, [m for m in ALL_MONTHS if m <= month_start(death)])
        self.ctx.near_miss(M2, b["身份证号"], "死亡当月高龄津贴照发（合法）")
        c = self.ctx.person(born=(date(1940, 1, 1), date(1970, 12, 31)))
        death = self.day(date(2024, 1, 1), date(2025, 10, 31))
        self.deaths(c, cert=death, cremation=death + D(2), deregistered=death + D(10))
        self.medical(c, self.ctx.one(HOSPITALS), "门诊", death, death, death + D(1), None)
        self.ctx.near_miss(M2, c["身份证号"], "死亡当日就诊、次日结算（容忍 1 天）")
        d = self.ctx.person(born=(date(1940, 1, 1), date(1970, 12, 31)))
        death = self.day(date(2024, 1, 1), date(2025, 10, 31))
        self.deaths(d, cert=death, cremation=death + D(3), deregistered=death + D(30))
        self.medical(d, self.ctx.one(HOSPITALS), "住院", death - D(12), death, death + D(14), "死亡")
        self.ctx.near_miss(M2, d["身份证号"], "住院死亡（离院方式=死亡），死亡后 14 天结算属法定例外")
        e = self.pensioner((date(1940, 1, 1), date(1958, 12, 31)))
        self.city.write_deregistration([e["身份证号"]], [e["姓名"]], [date(2024, 6, 3)], ["迁出"])
        self.pay_pension(e, ALL_MONTHS)
        self.ctx.near_miss(M2, e["身份证号"], "户籍因迁出注销（非死亡），养老金继续发放")

    # ------------------------------------------------------------------ M5 drunk-driving-licence
    def driver(self, first: date) -> dict[str, Any]:
        p = self.ctx.person(born=(date(1970, 1, 1), date(1995, 12, 31)))
        self.city.write_licences([{"身份证号": p["身份证号"], "姓名": p["姓名"],
                                   "档案编号": f"3310{self.city.serial.next('da')[0]:08d}", "准驾车型": "C1",
                                   "初次领证日期": first, "证状态": "正常", "状态变更日期": first}])
        self.event(p, "初次申领", first)
        return p

    def event(self, p: dict[str, Any], kind: str, day: date) -> None:
        doc = f"台公交决字〔{day.year}〕{self.city.serial.next('revoke')[0]}号" if kind in ("吊销", "注销") else None
        self.city.write_licence_events([{"身份证号": p["身份证号"], "姓名": p["姓名"], "业务类型": kind,
                                         "业务日期": day, "决定书编号": doc,
                                         "办理机关": "台州市公安局交通警察支队车辆管理所"}])

    def dui_case(self, p: dict[str, Any], offence: date, result: str, effective: date, trade: bool = False) -> None:
        doc = f"台{self.ctx.one(self.city.counties)[0]}检刑诉〔{offence.year}〕{self.city.serial.next('dui')[0]}号"
        self.city.write_dui([{"案件编号": doc, "身份证号": p["身份证号"], "姓名": p["姓名"], "违法日期": offence,
                              "血液酒精含量": 80.0 if result == "撤案" else 168.0,
                              "是否营运车辆": "是" if trade else "否", "处理结果": result, "生效日期": effective,
                              "承办单位": "台州市椒江区人民检察院"}])

    def violation(self, p: dict[str, Any], day: date) -> None:
        self.city.write_traffic(self.city.traffic_rows([p["身份证号"]], [p["姓名"]], np.array([day], dtype="datetime64[D]")))

    def plant_m5(self) -> None:
        for _ in range(self.k):
            self.m5_r1()
            self.m5_r2()
            self.m5_r3()
            self.m5_near()

    def m5_r1(self) -> None:
        offence = self.day(date(2022, 1, 1), date(2025, 3, 31))
        a = self.driver(date(2010, 5, 6))
        self.dui_case(a, offence, "判决有罪", offence + D(90))
        self.ctx.plant(M5, a["身份证号"], "R1", "判决有罪，驾驶证从未吊销")
        b = self.driver(date(2012, 3, 1))
        self.dui_case(b, offence, "判决有罪", offence + D(60))
        self.event(b, "吊销", offence + D(60 + 45))
        self.ctx.plant(M5, b["身份证号"], "R1", "生效后第 45 天才吊销（超过 30 天）")
        c = self.driver(date(2015, 8, 8))
        self.dui_case(c, offence, "相对不起诉", offence + D(40))
        self.ctx.plant(M5, c["身份证号"], "R1", "相对不起诉，驾驶证未吊销")

    def m5_r2(self) -> None:
        offence = self.day(date(2019, 6, 1), date(2021, 6, 30))
        a = self.driver(date(2008, 1, 1))
        self.dui_case(a, offence, "判决有罪", offence + D(70))
        self.event(a, "吊销", offence + D(75))
        self.event(a, "重新申领", add_months(offence, 48))
        self.ctx.plant(M5, a["身份证号"], "R2", "醉驾后 4 年即重新领证")
        b = self.driver(date(2005, 1, 1))
        offence = self.day(date(2015, 1, 1), date(2016, 12, 31))
        self.dui_case(b, offence, "判决有罪", offence + D(70), trade=True)
        self.event(b, "吊销", offence + D(80))
        self.event(b, "重新申领", add_months(offence, 96))
        self.ctx.plant(M5, b["身份证号"], "R2", "营运车醉驾，8 年后重新领证（应 10 年）")

    def m5_r3(self) -> None:
        offence = self.day(date(2022, 1, 1), date(2024, 12, 31))
        a = self.driver(date(2011, 4, 4))
        self.dui_case(a, offence, "判决有罪", offence + D(60))
        self.event(a, "吊销", offence + D(65))
        self.violation(a, offence + D(200))
        self.ctx.plant(M5, a["身份证号"], "R3", "吊销后仍驾车被记录交通违法")
        b = self.driver(date(2013, 9, 9))
        gone = self.day(date(2023, 1, 1), date(2025, 6, 30))
        self.event(b, "注销", gone)
        self.violation(b, gone + D(30))
        self.ctx.plant(M5, b["身份证号"], "R3", "驾驶证注销（吸毒成瘾）后驾车")

    def m5_near(self) -> None:
        offence = self.day(date(2022, 1, 1), date(2025, 3, 31))
        a = self.driver(date(2010, 1, 1))
        self.dui_case(a, offence, "判决有罪", offence + D(60))
        self.event(a, "吊销", offence + D(90))
        self.ctx.near_miss(M5, a["身份证号"], "生效后恰好第 30 天吊销")
        b = self.driver(date(2010, 1, 1))
        self.dui_case(b, offence, "撤案", offence + D(30))
        self.ctx.near_miss(M5, b["身份证号"], "复检酒精含量不足 80mg/100ml 撤案，无需吊销")
        c = self.ctx.person(born=(date(1975, 1, 1), date(1995, 12, 31)))
        self.dui_case(c, offence, "判决有罪", offence + D(60))
        self.ctx.near_miss(M5, c["身份证号"], "无证醉驾，无驾驶证可吊销")
        d = self.driver(date(2009, 1, 1))
        self.dui_case(d, offence, "存疑不起诉", offence + D(50))
        self.ctx.near_miss(M5, d["身份证号"], "存疑不起诉，醉驾事实不成立，无需吊销")
        old = self.day(date(2019, 1, 1), date(2020, 6, 30))
        e = self.driver(date(2006, 1, 1))
        self.dui_case(e, old, "判决有罪", old + D(70))
        self.event(e, "吊销", old + D(72))
        self.event(e, "重新申领", add_months(old + D(72), 60))
        self.violation(e, add_months(old + D(72), 60) + D(20))
        self.ctx.near_miss(M5, e["身份证号"], "吊销满 5 年当日重新领证，其后驾车合法")
        f = self.driver(date(2012, 1, 1))
        self.dui_case(f, offence, "判决有罪", offence + D(60))
        self.event(f, "吊销", offence + D(61))
        self.violation(f, offence + D(61))
        self.ctx.near_miss(M5, f["身份证号"], "交通违法与吊销同一天（吊销前行为）")


def plant_all(city: PersonCity) -> None:
    """Plant every model's violations and near-misses (M1, M2, M5 here; M6, M12, M16 in part two)."""
    from shujian.demo.groups._person_plants2 import plant_rest

    planter = Planter(city)
    planter.plant_m1()
    planter.plant_m2()
    planter.plant_m5()
    plant_rest(planter)
