"""Person-centric demo data (人社、民政、卫健、医保、公安、交管、司法、检察) with planted violations.

Models fed: pension-during-custody (M1), benefits-after-death (M2), drunk-driving-licence (M5),
community-correction-gaps (M6), medical-insurance-in-custody (M12), non-prosecution-follow-up (M16).

Background populations are disjoint (pensioners, 高龄 recipients, insured patients, detainees,
community-corrections subjects, drivers, DUI offenders, 不起诉/不捕 subjects are all different people)
and every background record obeys the rules, so only planted cases can be flagged.  Planted cases
and near-misses are built in ``person_plants``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from shujian.demo.core import CityContext, fmt

CHUNK_PEOPLE = 20_000
MONTHS = np.arange(np.datetime64("2024-01"), np.datetime64("2026-01")).astype("datetime64[D]")
ADJUST_DAYS = (date(2024, 7, 1), date(2025, 7, 1))        # 年度养老金待遇调整（普调）生效日
HOSPITALS = ("台州医院", "台州市中心医院", "台州市立医院", "台州市第一人民医院", "温岭市第一人民医院",
             "临海市第一人民医院", "仙居县人民医院", "天台县人民医院", "玉环市人民医院", "三门县人民医院",
             "台州市中医院", "温岭市中医院", "路桥区人民医院")
CUSTODY_HOSPITALS = ("台州市公安局监管医院", "浙江省监狱中心医院")   # 指定监管医疗机构（模型参数默认值）
DETENTION_CENTRES = ("台州市看守所", "临海市看守所", "温岭市看守所", "玉环市看守所", "仙居县看守所",
                     "天台县看守所", "三门县看守所")
PRISONS = ("浙江省十里丰监狱", "浙江省乔司监狱", "浙江省第二监狱", "浙江省第四监狱", "浙江省临海监狱")
STREETS = ("海门街道", "白云街道", "葭沚街道", "东城街道", "西城街道", "澄江街道", "新前街道",
           "路南街道", "路北街道", "螺洋街道", "福应街道", "安洲街道", "太平街道", "古城街道")
DIAGNOSES = ("原发性高血压", "2型糖尿病", "慢性阻塞性肺疾病", "冠状动脉粥样硬化性心脏病", "急性支气管炎",
             "脑梗死", "肺炎", "骨关节炎", "胆囊结石", "腰椎间盘突出")
CHARGES = ("盗窃罪", "诈骗罪", "故意伤害罪", "危险驾驶罪", "帮助信息网络犯罪活动罪", "寻衅滋事罪",
           "开设赌场罪", "非法吸收公众存款罪", "交通肇事罪", "掩饰、隐瞒犯罪所得罪")
VIOLATIONS = (("机动车超过规定时速未达20%", 200, 3), ("驾驶机动车违反道路交通信号灯通行", 200, 6),
              ("机动车违反规定停放", 150, 0), ("驾驶人未按规定使用安全带", 50, 1),
              ("驾驶机动车不按规定车道行驶", 100, 2), ("驾驶时拨打接听手持电话", 100, 3))


def _md(d: np.ndarray) -> np.ndarray:
    """Month start of ``datetime64[D]`` values."""
    return d.astype("datetime64[M]").astype("datetime64[D]")


def _years(d: np.ndarray, years: int) -> np.ndarray:
    return (d.astype("datetime64[M]") + 12 * years).astype("datetime64[D]") + (d - _md(d))


def _none_if_nat(a: np.ndarray) -> np.ndarray:
    out = a.astype(object)
    out[np.isnat(a)] = None
    return out


@dataclass
class Counters:
    """Per-run serial numbers for document numbers (deterministic)."""

    values: dict[str, int] = field(default_factory=dict)

    def next(self, key: str, n: int = 1) -> np.ndarray:
        start = self.values.get(key, 0)
        self.values[key] = start + n
        return np.arange(start + 1, start + n + 1)


class PersonCity:
    """Writes the person-centric datasets of one demo city."""

    def __init__(self, ctx: CityContext):
        self.ctx = ctx
        self.rng = ctx.rng
        self.serial = Counters()
        self.counties = [d.name for d in ctx.home]

    # ------------------------------------------------------------------ small helpers
    def chunks(self, total: int) -> Iterator[int]:
        while total > 0:
            size = min(total, CHUNK_PEOPLE)
            total -= size
            yield size

    def docno(self, pattern: str, key: str, n: int, year: np.ndarray | None = None) -> np.ndarray:
        """Document numbers like 台椒检刑不诉〔2024〕12号 (``pattern`` with {c}, {y}, {n})."""
        nums = self.serial.next(key, n)
        years = year if year is not None else np.full(n, 2024)
        initials = self.ctx.pick([c[0] for c in self.counties], n)
        return fmt(pattern, c=initials, y=np.asarray(years), n=nums)

    def agency(self, suffix: str, n: int) -> np.ndarray:
        return "台州市" + self.ctx.pick(self.counties, n) + suffix

    def write(self, dataset: str, cols: Any, agency: str, description: str, **kw: Any) -> None:
        """Every person dataset carries resident IDs: classified 敏感 unless told otherwise."""
        kw.setdefault("level", "敏感")
        self.ctx.write(dataset, cols, agency=agency, description=description, **kw)

    # ------------------------------------------------------------------ 人社：养老金
    def pension_rows(self, p: dict[str, np.ndarray], base: np.ndarray, death: np.ndarray,
                     stop: list[tuple[np.datetime64, np.datetime64]] | None = None) -> dict[str, Any]:
        """Monthly payments for people ``p`` up to the month of death (NaT = alive)."""
        n = len(base)
        grid = np.tile(MONTHS, n)
        who = np.repeat(np.arange(n), len(MONTHS))
        keep = np.isnat(death[who]) | (grid <= _md(death[who]))
        grid, who = grid[keep], who[keep]
        amount = base[who] + np.where(grid >= np.datetime64(ADJUST_DAYS[0]), np.round(base[who] * 0.025 + 25, 2), 0)
        amount = amount + np.where(grid >= np.datetime64(ADJUST_DAYS[1]), np.round(base[who] * 0.02 + 20, 2), 0)
        return {"身份证号": p["身份证号"][who], "姓名": p["姓名"][who], "发放年月": grid,
                "发放金额": np.round(amount, 2), "险种": p["险种"][who], "发放机构": p["发放机构"][who]}

    def pension_people(self, n: int, born: tuple[date, date] = (date(1940, 1, 1), date(1963, 12, 31))
                       ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        p = self.ctx.people(n, born=born, local_share=0.95)
        staff = self.rng.random(n) < 0.85
        p["险种"] = np.where(staff, "企业职工基本养老保险", "城乡居民基本养老保险").astype(object)
        p["发放机构"] = self.agency("社会保险事业管理中心", n)
        base = np.where(staff, self.ctx.amounts(n, 1800, 6500), self.ctx.amounts(n, 180, 600))
        return p, base

    def write_pension(self, rows: dict[str, Any]) -> None:
        self.write("养老金发放", rows, "台州市人力资源和社会保障局",
                   "基本养老金按月发放明细（发放年月为当月1日）", semantics={"发放年月": "month", "发放金额": "amount"})

    def adjustment_rows(self, p: dict[str, np.ndarray], base: np.ndarray, death: np.ndarray) -> dict[str, Any]:
        ids, names, when, before, delta, org = [], [], [], [], [], []
        for k, day in enumerate(ADJUST_DAYS):
            d64 = np.datetime64(day)
            alive = np.isnat(death) | (death >= d64)
            prev = base + (np.round(base * 0.025 + 25, 2) if k == 1 else 0)
            inc = np.round(base * (0.025 if k == 0 else 0.02) + (25 if k == 0 else 20), 2)
            ids.append(p["身份证号"][alive])
            names.append(p["姓名"][alive])
            when.append(np.full(int(alive.sum()), d64))
            before.append(np.round(prev[alive], 2))
            delta.append(inc[alive])
            org.append(p["发放机构"][alive])
        b, dl = np.concatenate(before), np.concatenate(delta)
        w = np.concatenate(when)
        return {"身份证号": np.concatenate(ids), "姓名": np.concatenate(names),
                "调整年度": w.astype("datetime64[Y]").astype(int) + 1970, "调整日期": w,
                "调整前月养老金": b, "调整金额": dl, "调整后月养老金": np.round(b + dl, 2),
                "调整类型": np.full(len(b), "年度普调", dtype=object), "经办机构": np.concatenate(org)}

    def write_adjustment(self, rows: dict[str, Any]) -> None:
        self.write("养老金待遇调整", rows, "台州市人力资源和社会保障局", "基本养老金年度待遇调整记录",
                   semantics={"调整金额": "amount"})

    def background_pensions(self) -> None:
        for size in self.chunks(self.ctx.n(520)):
            p, base = self.pension_people(size)
            death = np.full(size, np.datetime64("NaT"), dtype="datetime64[D]")
            dies = self.rng.random(size) < 0.08
            death[dies] = self.ctx.dates(int(dies.sum()), date(2024, 2, 1), date(2025, 11, 30))
            self.write_pension(self.pension_rows(p, base, death))
            self.write_adjustment(self.adjustment_rows(p, base, death))
            self.write_deaths({k: v[dies] for k, v in p.items()}, death[dies])

    # ------------------------------------------------------------------ 死亡信息（公安、民政、卫健）
    def write_deaths(self, p: dict[str, np.ndarray], death: np.ndarray, *, cert: float = 0.9,
                     cremation: float = 0.8) -> None:
        """Death records: 户籍注销 always (after death), 死亡医学证明 and 火化 mostly."""
        n = len(death)
        if n == 0:
            return
        off = death + self.rng.integers(3, 61, n).astype("timedelta64[D]")
        self.write_deregistration(p["身份证号"], p["姓名"], off, np.full(n, "死亡", dtype=object))
        c = self.rng.random(n) < cert
        self.write("死亡医学证明", {
            "身份证号": p["身份证号"][c], "姓名": p["姓名"][c], "死亡日期": death[c],
            "死亡地点": self.ctx.pick(("家中", "医疗机构", "其他"), int(c.sum()), (5, 4, 1)),
            "签发机构": self.ctx.pick(HOSPITALS, int(c.sum()))},
            "台州市卫生健康委员会", "居民死亡医学证明（推断）书登记")
        f = self.rng.random(n) < cremation
        self.write("火化记录", {
            "身份证号": p["身份证号"][f], "姓名": p["姓名"][f],
            "火化日期": death[f] + self.rng.integers(1, 4, int(f.sum())).astype("timedelta64[D]"),
            "殡仪馆": self.ctx.pick(("台州市殡仪馆", "温岭市殡仪馆", "临海市殡仪馆"), int(f.sum()))},
            "台州市民政局", "殡仪馆遗体火化登记")

    def write_deregistration(self, ids: Any, names: Any, when: Any, reason: Any) -> None:
        n = len(ids)
        self.write("户籍注销", {"身份证号": ids, "姓名": names, "注销日期": when, "注销原因": reason,
                            "登记机关": self.agency("公安分局户政科", n)},
                   "台州市公安局", "户籍注销登记（死亡、迁出等）")

    def background_deregistration(self) -> None:
        for n in self.chunks(self.ctx.n(150)):
            p = self.ctx.people(n, born=(date(1950, 1, 1), date(2005, 12, 31)))
            self.write_deregistration(p["身份证号"], p["姓名"], self.ctx.dates(n, date(2023, 1, 1), date(2025, 12, 20)),
                                      self.ctx.pick(("迁出", "出国定居", "参军"), n, (90, 5, 5)))

    # ------------------------------------------------------------------ 民政：高龄津贴
    def elderly_rows(self, p: dict[str, np.ndarray], death: np.ndarray) -> dict[str, Any]:
        n = len(death)
        grid = np.tile(MONTHS, n)
        who = np.repeat(np.arange(n), len(MONTHS))
        eighty = _years(p["出生日期"], 80)
        keep = (grid >= _md(eighty[who])) & (np.isnat(death[who]) | (grid <= _md(death[who])))
        grid, who = grid[keep], who[keep]
        age = (grid - p["出生日期"][who]).astype(int) // 365
        amount = np.select([age >= 100, age >= 90], [1000.0, 300.0], 100.0)
        return {"身份证号": p["身份证号"][who], "姓名": p["姓名"][who], "发放年月": grid, "发放金额": amount,
                "乡镇街道": p["乡镇街道"][who], "发放方式": np.full(len(who), "社会化发放", dtype=object)}

    def elderly_people(self, n: int) -> dict[str, np.ndarray]:
        p = self.ctx.people(n, born=(date(1922, 1, 1), date(1944, 12, 31)), local_share=1.0)
        p["乡镇街道"] = self.ctx.pick(STREETS, n)
        return p

    def write_elderly(self, rows: dict[str, Any]) -> None:
        self.write("高龄津贴发放", rows, "台州市民政局", "80周岁以上老年人高龄津贴按月发放",
                   semantics={"发放年月": "month", "发放金额": "amount"})

    def background_elderly(self) -> None:
        for size in self.chunks(self.ctx.n(180)):
            p = self.elderly_people(size)
            death = np.full(size, np.datetime64("NaT"), dtype="datetime64[D]")
            dies = self.rng.random(size) < 0.12
            death[dies] = self.ctx.dates(int(dies.sum()), date(2024, 2, 1), date(2025, 11, 30))
            self.write_elderly(self.elderly_rows(p, death))
            self.write_deaths({k: v[dies] for k, v in p.items()}, death[dies])

    # ------------------------------------------------------------------ 医保结算
    def write_medical(self, rows: dict[str, Any]) -> None:
        n = len(rows["身份证号"])
        rows = {"结算单号": fmt("JS331000{k:010d}", k=self.serial.next("js", n)),
                **rows}
        self.write("医保结算", rows, "台州市医疗保障局", "基本医疗保险就医结算明细（住院、门诊）",
                   semantics={"统筹支付金额": "amount", "医疗总费用": "amount"})

    def medical_rows(self, ids: Any, names: Any, hospital: Any, kind: Any, start: np.ndarray, end: np.ndarray,
                     settle: np.ndarray, leave: Any) -> dict[str, Any]:
        n = len(start)
        inpatient = np.asarray(kind) == "住院"
        total = np.where(inpatient, self.ctx.amounts(n, 3000, 60000), self.ctx.amounts(n, 80, 1500))
        fund = np.round(total * np.where(inpatient, 0.7, 0.5), 2)
        return {"身份证号": ids, "姓名": names, "医疗机构": hospital, "就医类型": kind,
                "入院日期": start, "出院日期": end, "结算日期": settle, "离院方式": leave,
                "主要诊断": self.ctx.pick(DIAGNOSES, n), "医疗总费用": total, "统筹支付金额": fund,
                "个人支付金额": np.round(total - fund, 2)}

    def background_medical(self) -> None:
        for size in self.chunks(self.ctx.n(2000)):
            p = self.ctx.people(size, born=(date(1940, 1, 1), date(2010, 12, 31)))
            per = self.rng.integers(1, 5, size)
            who = np.repeat(np.arange(size), per)
            n = len(who)
            inpatient = self.rng.random(n) < 0.4
            start = self.ctx.dates(n, date(2023, 1, 1), date(2025, 12, 1))
            end = start + np.where(inpatient, self.rng.integers(1, 21, n), 0).astype("timedelta64[D]")
            settle = end + np.where(inpatient, self.rng.integers(0, 4, n), 0).astype("timedelta64[D]")
            leave = np.where(inpatient, self.ctx.pick(("医嘱离院", "医嘱转院", "非医嘱离院"), n, (90, 4, 6)), None)
            self.write_medical(self.medical_rows(
                p["身份证号"][who], p["姓名"][who], self.ctx.pick(HOSPITALS, n),
                np.where(inpatient, "住院", "门诊").astype(object), start, end, settle, leave))
        self.background_died_in_hospital()

    def background_died_in_hospital(self) -> None:
        """Patients who died in hospital: settlement after death is the lawful exception (离院方式=死亡)."""
        n = self.ctx.n(25)
        p = self.ctx.people(n, born=(date(1935, 1, 1), date(1970, 12, 31)))
        death = self.ctx.dates(n, date(2023, 3, 1), date(2025, 11, 30))
        start = death - self.rng.integers(1, 30, n).astype("timedelta64[D]")
        settle = death + self.rng.integers(0, 21, n).astype("timedelta64[D]")
        self.write_medical(self.medical_rows(p["身份证号"], p["姓名"], self.ctx.pick(HOSPITALS, n),
                                             np.full(n, "住院", dtype=object), start, death, settle,
                                             np.full(n, "死亡", dtype=object)))
        self.write_deaths(p, death, cert=1.0)

    # ------------------------------------------------------------------ 看守所、监狱、拘留所
    def write_custody(self, rows: dict[str, Any]) -> None:
        self.write("看守所出入所", rows, "台州市公安局监管支队", "看守所在押人员入所、出所登记",
                   dtypes={"出所日期": "DATE"})

    def write_prison(self, rows: dict[str, Any]) -> None:
        self.write("监狱服刑人员", rows, "浙江省监狱管理局", "监狱服刑人员收监、释放信息",
                   dtypes={"释放日期": "DATE"})

    def write_detention(self, rows: dict[str, Any]) -> None:
        self.write("拘留所出入所", rows, "台州市公安局", "拘留所被拘留人入所、出所登记（行政拘留、司法拘留）")

    def background_custody(self) -> None:
        for size in self.chunks(self.ctx.n(1800)):
            p = self.ctx.people(size, born=(date(1960, 1, 1), date(2005, 12, 31)))
            kind = self.ctx.pick(("刑事拘留", "逮捕", "拘役执行", "有期徒刑执行"), size, (35, 40, 10, 15))
            start = self.ctx.dates(size, date(2022, 1, 1), date(2025, 12, 20))
            length = np.select([kind == "刑事拘留", kind == "逮捕", kind == "拘役执行"],
                               [self.rng.integers(3, 38, size), self.rng.integers(30, 400, size),
                                self.rng.integers(30, 180, size)], self.rng.integers(20, 90, size))
            end = start + length.astype("timedelta64[D]")
            end = np.where(end > np.datetime64(self.ctx.today), np.datetime64("NaT"), end)
            reason = np.select([kind == "刑事拘留", kind == "逮捕"], ["取保候审", "判决后送监执行"], "刑满释放")
            reason = np.where(np.isnat(end), None, reason)
            self.write_custody({"身份证号": p["身份证号"], "姓名": p["姓名"], "性别": p["性别"], "入所日期": start,
                                "出所日期": end, "羁押性质": kind, "出所原因": reason,
                                "看守所名称": self.ctx.pick(DETENTION_CENTRES, size)})
            sent = (kind == "逮捕") & ~np.isnat(end)
            self.background_prison({k: v[sent] for k, v in p.items()}, end[sent])

    def background_prison(self, p: dict[str, np.ndarray], left_custody: np.ndarray) -> None:
        n = len(left_custody)
        start = left_custody + self.rng.integers(5, 31, n).astype("timedelta64[D]")
        months = self.rng.integers(12, 121, n)
        end = (start.astype("datetime64[M]") + months).astype("datetime64[D]") + (start - _md(start))
        end = np.where(end > np.datetime64(self.ctx.today), np.datetime64("NaT"), end)
        self.write_prison({"身份证号": p["身份证号"], "姓名": p["姓名"], "罪名": self.ctx.pick(CHARGES, n),
                           "刑种": np.full(n, "有期徒刑", dtype=object), "刑期月数": months,
                           "收监日期": start, "释放日期": end, "监狱名称": self.ctx.pick(PRISONS, n)})

    def background_detention(self) -> None:
        for size in self.chunks(self.ctx.n(1000)):
            p = self.ctx.people(size, born=(date(1960, 1, 1), date(2005, 12, 31)))
            start = self.ctx.dates(size, date(2023, 1, 1), date(2025, 12, 10))
            kind = self.ctx.pick(("行政拘留", "司法拘留"), size, (9, 1))
            self.write_detention({"身份证号": p["身份证号"], "姓名": p["姓名"], "入所日期": start,
                                  "出所日期": start + self.rng.integers(1, 16, size).astype("timedelta64[D]"),
                                  "拘留类型": kind, "决定机关": self.agency("公安分局", size),
                                  "拘留所名称": self.ctx.pick(("台州市拘留所", "温岭市拘留所", "临海市拘留所"), size)})

    def write_outside_care(self, rows: list[dict[str, Any]]) -> None:
        self.write("所外就医记录", rows, "台州市公安局监管支队", "在押人员经批准出所就医登记",
                   dtypes={"出所就医日期": "DATE", "返所日期": "DATE"})

    # ------------------------------------------------------------------ 社区矫正
    def write_sentences(self, rows: Any) -> None:
        self.write("判处非监禁刑人员", rows, "台州市人民检察院（检察业务应用系统）",
                   "判处管制、宣告缓刑、裁定假释、决定暂予监外执行的生效法律文书（交付执行衔接）",
                   semantics={"案号": "case_number"})

    def write_roster(self, rows: Any) -> None:
        self.write("社区矫正对象", rows, "台州市司法局", "社区矫正对象报到、入矫、解矫信息",
                   dtypes={"报到日期": "DATE", "入矫日期": "DATE", "解矫日期": "DATE"},
                   semantics={"案号": "case_number"})

    def write_handling(self, rows: Any) -> None:
        self.write("社区矫正处置记录", rows, "台州市司法局", "社区矫正对象训诫、警告、被羁押知悉登记、提请撤销缓刑等处置")

    def case_numbers(self, n: int, year: np.ndarray, kind: str) -> np.ndarray:
        return self.docno(f"（{{y}}）浙10{{c}}刑{kind}{{n}}号", f"court-{kind}", n, year)

    def background_corrections(self) -> None:
        for size in self.chunks(self.ctx.n(700)):
            p = self.ctx.people(size, born=(date(1955, 1, 1), date(2005, 12, 31)))
            kind = self.ctx.pick(("缓刑", "假释", "管制", "暂予监外执行"), size, (75, 12, 5, 8))
            eff = self.ctx.dates(size, date(2021, 1, 1), date(2025, 12, 15))
            report = eff + self.rng.integers(0, 11, size).astype("timedelta64[D]")
            months = self.rng.integers(6, 61, size)
            expiry = (report.astype("datetime64[M]") + months).astype("datetime64[D]") + (report - _md(report))
            ended = np.where(expiry <= np.datetime64(self.ctx.today), expiry, np.datetime64("NaT"))
            year = eff.astype("datetime64[Y]").astype(int) + 1970
            case = self.case_numbers(size, year, "初")
            county = self.ctx.pick(self.counties, size)
            self.write_sentences({"身份证号": p["身份证号"], "姓名": p["姓名"], "案号": case,
                                  "罪名": self.ctx.pick(CHARGES, size), "刑罚类型": kind, "矫正期限月数": months,
                                  "生效日期": eff, "决定机关": "台州市" + county + "人民法院",
                                  "执行地": county})
            self.write_roster({"身份证号": p["身份证号"], "姓名": p["姓名"], "性别": p["性别"], "矫正类别": kind,
                               "案号": case, "报到日期": report, "入矫日期": report, "矫正期满日期": expiry,
                               "解矫日期": ended, "执行地": county,
                               "司法所": self.ctx.pick(STREETS, size) + "司法所"})
            warned = self.rng.random(size) < 0.08
            w = int(warned.sum())
            span = (np.minimum(expiry[warned], np.datetime64(self.ctx.today)) - report[warned]).astype(int)
            when = report[warned] + (self.rng.random(w) * span).astype(int).astype("timedelta64[D]")
            self.write_handling({"身份证号": p["身份证号"][warned], "姓名": p["姓名"][warned], "处置日期": when,
                                 "处置类型": self.ctx.pick(("训诫", "警告"), w, (7, 3)),
                                 "事由": self.ctx.pick(("未按规定报告", "未按时参加教育学习", "未经批准外出"), w)})

    # ------------------------------------------------------------------ 交管：驾驶证、业务记录、交通违法
    def write_licences(self, rows: Any) -> None:
        self.write("驾驶证信息", rows, "台州市公安局交通警察支队", "机动车驾驶证当前状态（快照）",
                   dtypes={"状态变更日期": "DATE"})

    def write_licence_events(self, rows: Any) -> None:
        n = len(rows["身份证号"]) if isinstance(rows, dict) else len(rows)
        serial = fmt("YW3310{k:010d}", k=self.serial.next("yw", n))
        if isinstance(rows, dict):
            rows = {"业务流水号": serial, **rows}
        else:
            rows = [{"业务流水号": s, **r} for s, r in zip(serial, rows, strict=True)]
        self.write("驾驶证业务记录", rows, "台州市公安局交通警察支队",
                   "驾驶证业务流水：初次申领、换证、吊销、注销、重新申领", dtypes={"决定书编号": "VARCHAR"})

    def write_traffic(self, rows: Any) -> None:
        n = len(rows["驾驶人身份证号"]) if isinstance(rows, dict) else len(rows)
        nums = fmt("3310{k:012d}", k=self.serial.next("wf", n))
        if isinstance(rows, dict):
            rows = {"决定书编号": nums, **rows}
        else:
            rows = [{"决定书编号": s, **r} for s, r in zip(nums, rows, strict=True)]
        self.write("交通违法", rows, "台州市公安局交通警察支队", "道路交通安全违法行为处理记录（现场、非现场）",
                   semantics={"驾驶人身份证号": "id_number", "驾驶人姓名": "person_name", "号牌号码": "plate_number"})

    def plates(self, n: int) -> np.ndarray:
        letters = np.frombuffer(b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", dtype=np.uint8)
        chars = letters[self.rng.integers(0, len(letters), (n, 5))]
        return "浙J" + chars.view("S5").ravel().astype("U5").astype(object)

    def traffic_rows(self, ids: Any, names: Any, when: np.ndarray) -> dict[str, Any]:
        n = len(when)
        v = self.rng.integers(0, len(VIOLATIONS), n)
        return {"驾驶人身份证号": ids, "驾驶人姓名": names, "号牌号码": self.plates(n), "违法日期": when,
                "违法地点": self.ctx.pick(("G15沈海高速", "市府大道", "东环大道", "104国道", "开发大道"), n),
                "违法行为": np.array([x[0] for x in VIOLATIONS], dtype=object)[v],
                "罚款金额": np.array([float(x[1]) for x in VIOLATIONS])[v],
                "记分": np.array([x[2] for x in VIOLATIONS])[v],
                "处理机关": self.agency("交警大队", n)}

    def licence_class(self, n: int) -> np.ndarray:
        return self.ctx.pick(("C1", "C2", "B2", "A2", "A1", "D"), n, (70, 10, 8, 5, 2, 5))

    def background_drivers(self) -> None:
        for size in self.chunks(self.ctx.n(2500)):
            p = self.ctx.people(size, born=(date(1960, 1, 1), date(2003, 12, 31)))
            adult = _years(p["出生日期"], 18)
            first = np.maximum(adult, np.datetime64("1995-01-01")) + self.rng.integers(
                0, 3000, size).astype("timedelta64[D]")
            first = np.minimum(first, np.datetime64("2022-12-31"))
            cls = self.licence_class(size)
            self.write_licences({"身份证号": p["身份证号"], "姓名": p["姓名"],
                                 "档案编号": fmt("3310{k:08d}", k=self.serial.next("da", size)),
                                 "准驾车型": cls, "初次领证日期": first, "证状态": np.full(size, "正常", dtype=object),
                                 "状态变更日期": first})
            self.write_licence_events({"身份证号": p["身份证号"], "姓名": p["姓名"],
                                       "业务类型": np.full(size, "初次申领", dtype=object), "业务日期": first,
                                       "决定书编号": np.full(size, None, dtype=object),
                                       "办理机关": np.full(size, "台州市公安局交通警察支队车辆管理所", dtype=object)})
            per = self.rng.poisson(2.0, size)
            who = np.repeat(np.arange(size), per)
            lo = np.maximum(first[who], np.datetime64("2023-01-01"))
            span = (np.datetime64(self.ctx.today) - lo).astype(int)
            when = lo + (self.rng.random(len(who)) * span).astype(int).astype("timedelta64[D]") + np.timedelta64(1, "D")
            when = np.minimum(when, np.datetime64(self.ctx.today))
            self.write_traffic(self.traffic_rows(p["身份证号"][who], p["姓名"][who], when))

    # ------------------------------------------------------------------ 危险驾驶（醉驾）案件
    def write_dui(self, rows: Any) -> None:
        self.write("危险驾驶案件", rows, "台州市人民检察院（检察业务应用系统）",
                   "醉酒驾驶机动车（危险驾驶罪）案件及处理结果", semantics={"案件编号": "case_number"})

    def background_dui(self) -> None:
        for size in self.chunks(self.ctx.n(400)):
            p = self.ctx.people(size, born=(date(1965, 1, 1), date(2001, 12, 31)))
            offence = self.ctx.dates(size, date(2019, 1, 1), date(2025, 6, 30))
            result = self.ctx.pick(("判决有罪", "相对不起诉", "撤案"), size, (85, 10, 5))
            eff = offence + self.rng.integers(30, 181, size).astype("timedelta64[D]")
            bac = np.where(result == "撤案", self.rng.integers(60, 80, size), self.rng.integers(80, 260, size))
            trade = self.rng.random(size) < 0.05
            year = offence.astype("datetime64[Y]").astype(int) + 1970
            case = self.docno("台{c}检刑诉〔{y}〕{n}号", "dui", size, year)
            self.write_dui({"案件编号": case, "身份证号": p["身份证号"], "姓名": p["姓名"], "违法日期": offence,
                            "血液酒精含量": bac.astype(float), "是否营运车辆": np.where(trade, "是", "否").astype(object),
                            "处理结果": result, "生效日期": eff, "承办单位": self.agency("人民检察院", size)})
            holder = self.rng.random(size) < 0.9
            self.dui_licences({k: v[holder] for k, v in p.items()}, offence[holder], eff[holder],
                              result[holder], trade[holder])

    def dui_licences(self, p: dict[str, np.ndarray], offence: np.ndarray, eff: np.ndarray,
                     result: np.ndarray, trade: np.ndarray) -> None:
        """Licence history of DUI offenders: timely 吊销, lawful 重新申领 5 years after the 吊销."""
        n = len(offence)
        first = np.minimum(_years(p["出生日期"], 20), offence - np.timedelta64(400, "D"))
        established = result != "撤案"
        quick = self.rng.random(n) < 0.2
        revoke = np.where(quick, offence + self.rng.integers(1, 21, n).astype("timedelta64[D]"),
                          eff + self.rng.integers(0, 26, n).astype("timedelta64[D]"))
        # the ban runs from the revocation (申领和使用规定: 吊销未满五年不得申请)
        back = _years(revoke, 5) + self.rng.integers(1, 200, n).astype("timedelta64[D]")
        relicensed = established & ~trade & (back <= np.datetime64(self.ctx.today)) & (self.rng.random(n) < 0.6)
        state = np.where(established, np.where(relicensed, "正常", "吊销"), "正常")
        changed = np.where(established, np.where(relicensed, back, revoke), first)
        self.write_licences({"身份证号": p["身份证号"], "姓名": p["姓名"],
                             "档案编号": fmt("3310{k:08d}", k=self.serial.next("da", n)),
                             "准驾车型": self.licence_class(n), "初次领证日期": np.where(relicensed, back, first),
                             "证状态": state.astype(object), "状态变更日期": changed})
        org = "台州市公安局交通警察支队车辆管理所"
        ev: dict[str, list[Any]] = {k: [] for k in ("身份证号", "姓名", "业务类型", "业务日期", "决定书编号", "办理机关")}

        def add(mask: np.ndarray, kind: str, when: np.ndarray, doc: np.ndarray | None = None) -> None:
            k = int(mask.sum())
            ev["身份证号"].append(p["身份证号"][mask])
            ev["姓名"].append(p["姓名"][mask])
            ev["业务类型"].append(np.full(k, kind, dtype=object))
            ev["业务日期"].append(when[mask])
            ev["决定书编号"].append(doc[mask] if doc is not None else np.full(k, None, dtype=object))
            ev["办理机关"].append(np.full(k, org, dtype=object))

        add(np.ones(n, bool), "初次申领", first)
        add(established, "吊销", revoke, self.docno("台公交决字〔{y}〕{n}号", "revoke", n))
        add(relicensed, "重新申领", back)
        self.write_licence_events({k: np.concatenate(v) for k, v in ev.items()})
        before = offence - self.rng.integers(30, 700, n).astype("timedelta64[D]")
        some = self.rng.random(n) < 0.5
        after = back + self.rng.integers(1, 60, n).astype("timedelta64[D]")
        late = relicensed & (after <= np.datetime64(self.ctx.today))
        ids = np.concatenate([p["身份证号"][some], p["身份证号"][late]])
        names = np.concatenate([p["姓名"][some], p["姓名"][late]])
        self.write_traffic(self.traffic_rows(ids, names, np.concatenate([before[some], after[late]])))

    # ------------------------------------------------------------------ 不起诉、检察意见、行政处罚
    def write_nonpros(self, rows: Any) -> None:
        self.write("不起诉决定", rows, "台州市人民检察院（检察业务应用系统）", "不起诉决定（法定、酌定、存疑、附条件）",
                   semantics={"不起诉决定书文号": "case_number"})

    def write_opinions(self, rows: Any) -> None:
        self.write("检察意见", rows, "台州市人民检察院（检察业务应用系统）",
                   "对被不起诉人需要给予行政处罚的，向主管机关提出的检察意见（刑诉法第177条第3款）",
                   semantics={"检察意见书文号": "case_number"})

    def write_replies(self, rows: Any) -> None:
        self.write("检察意见回复", rows, "台州市人民检察院（检察业务应用系统）", "主管机关对检察意见的书面回复",
                   semantics={"检察意见书文号": "case_number"})

    def write_penalties(self, rows: Any) -> None:
        self.write("行政处罚", rows, "台州市行政执法监督平台", "行政处罚决定（公安、市场监管等）",
                   semantics={"罚款金额": "amount"})

    def penalty_rows(self, ids: Any, names: Any, when: np.ndarray, acts: Any) -> dict[str, Any]:
        n = len(when)
        kind = self.ctx.pick(("罚款", "行政拘留", "警告"), n, (6, 3, 1))
        return {"处罚决定书文号": self.docno("台{c}公（治）行罚决字〔{y}〕{n}号", "penalty", n,
                                      when.astype("datetime64[Y]").astype(int) + 1970),
                "身份证号": ids, "姓名": names, "违法行为": acts, "处罚种类": kind,
                "罚款金额": np.where(kind == "罚款", self.rng.integers(2, 50, n) * 100.0, 0.0),
                "处罚决定日期": when, "处罚机关": self.agency("公安分局", n)}

    def background_nonpros(self) -> None:
        for size in self.chunks(self.ctx.n(450)):
            p = self.ctx.people(size, born=(date(1960, 1, 1), date(2005, 12, 31)))
            kind = self.ctx.pick(("酌定不起诉", "存疑不起诉", "法定不起诉", "附条件不起诉"), size, (70, 15, 10, 5))
            when = self.ctx.dates(size, date(2022, 1, 1), date(2025, 9, 10))
            year = when.astype("datetime64[Y]").astype(int) + 1970
            doc = self.docno("台{c}检刑不诉〔{y}〕{n}号", "bsu", size, year)
            charge = self.ctx.pick(CHARGES, size)
            self.write_nonpros({"不起诉决定书文号": doc, "身份证号": p["身份证号"], "姓名": p["姓名"], "案由": charge,
                                "不起诉类型": kind, "决定日期": when, "承办检察院": self.agency("人民检察院", size)})
            op = (kind == "酌定不起诉") & (self.rng.random(size) < 0.55)
            k = int(op.sum())
            issued = when[op] + self.rng.integers(1, 21, k).astype("timedelta64[D]")
            opno = self.docno("台{c}检行意〔{y}〕{n}号", "opinion", k, year[op])
            self.write_opinions({"检察意见书文号": opno, "不起诉决定书文号": doc[op], "身份证号": p["身份证号"][op],
                                 "姓名": p["姓名"][op], "制发日期": issued, "被建议机关": self.agency("公安分局", k),
                                 "意见类型": np.full(k, "不起诉案件行政处罚", dtype=object),
                                 "意见内容": np.full(k, "建议对被不起诉人依法给予行政处罚", dtype=object)})
            follow = issued + self.rng.integers(5, 56, k).astype("timedelta64[D]")
            punished = self.rng.random(k) < 0.85
            self.write_penalties(self.penalty_rows(p["身份证号"][op][punished], p["姓名"][op][punished],
                                                   follow[punished], charge[op][punished]))
            self.write_replies({"检察意见书文号": opno, "回复日期": follow + np.timedelta64(2, "D"),
                                "回复单位": self.agency("公安分局", k),
                                "处理情况": np.where(punished, "已给予行政处罚", "经审查决定不予行政处罚并说明理由").astype(object)})
        for n in self.chunks(self.ctx.n(1500)):
            q = self.ctx.people(n, born=(date(1960, 1, 1), date(2005, 12, 31)))
            self.write_penalties(self.penalty_rows(
                q["身份证号"], q["姓名"], self.ctx.dates(n, date(2022, 1, 1), self.ctx.today),
                self.ctx.pick(("殴打他人", "盗窃", "赌博", "无证经营", "扰乱公共秩序"), n)))

    # ------------------------------------------------------------------ 审查逮捕、公安立案与处理
    def write_arrest_reviews(self, rows: Any) -> None:
        self.write("审查逮捕决定", rows, "台州市人民检察院（检察业务应用系统）", "批准逮捕、不批准逮捕决定",
                   dtypes={"不捕理由": "VARCHAR"}, semantics={"公安案件编号": "case_number"})

    def write_police_cases(self, rows: Any) -> None:
        self.write("公安刑事立案", rows, "台州市公安局", "刑事案件立案登记",
                   semantics={"案件编号": "case_number", "嫌疑人身份证号": "id_number", "嫌疑人姓名": "person_name"})

    def write_police_closures(self, rows: Any) -> None:
        self.write("公安案件处理", rows, "台州市公安局", "刑事案件撤销案件、终止侦查、移送审查起诉",
                   semantics={"案件编号": "case_number", "嫌疑人身份证号": "id_number"})

    def police_case_numbers(self, when: np.ndarray) -> np.ndarray:
        n = len(when)
        month = when.astype("datetime64[M]").astype(np.int64)
        ym = (month // 12 + 1970) * 100 + month % 12 + 1
        units = self.ctx.pick([d.code for d in self.ctx.home], n)
        return fmt("A{u}00000{y}{k:06d}", u=units, y=ym, k=self.serial.next("gaaj", n))

    def background_police(self) -> None:
        for size in self.chunks(self.ctx.n(700)):
            p = self.ctx.people(size, born=(date(1960, 1, 1), date(2005, 12, 31)))
            filed = self.ctx.dates(size, date(2021, 1, 1), date(2024, 10, 31))
            case = self.police_case_numbers(filed)
            charge = self.ctx.pick(CHARGES, size)
            self.write_police_cases({"案件编号": case, "案由": charge, "立案日期": filed, "嫌疑人身份证号": p["身份证号"],
                                     "嫌疑人姓名": p["姓名"], "办案单位": self.agency("公安分局刑侦大队", size)})
            decided = filed + self.rng.integers(20, 61, size).astype("timedelta64[D]")
            approve = self.rng.random(size) < 0.65
            reason = np.where(approve, None, self.ctx.pick(("不构成犯罪", "证据不足", "无社会危险性"), size, (3, 5, 2)))
            year = decided.astype("datetime64[Y]").astype(int) + 1970
            self.write_arrest_reviews({"决定书文号": self.docno("台{c}检刑不捕〔{y}〕{n}号", "bubu", size, year),
                                       "公安案件编号": case, "身份证号": p["身份证号"], "姓名": p["姓名"], "案由": charge,
                                       "决定类型": np.where(approve, "批准逮捕", "不批准逮捕").astype(object),
                                       "不捕理由": reason, "决定日期": decided,
                                       "承办检察院": self.agency("人民检察院", size)})
            close = decided + np.where(approve, self.rng.integers(30, 121, size),
                                       self.rng.integers(10, 331, size)).astype("timedelta64[D]")
            how = np.where(approve, "移送审查起诉",
                           self.ctx.pick(("撤销案件", "终止侦查", "移送审查起诉"), size, (5, 2, 3)))
            self.write_police_closures({"案件编号": case, "嫌疑人身份证号": p["身份证号"], "处理类型": how.astype(object),
                                        "处理日期": close, "办案单位": self.agency("公安分局刑侦大队", size)})
        self.background_police_other()

    def background_police_other(self) -> None:
        """Other criminal cases (no arrest review): some still under investigation."""
        for size in self.chunks(self.ctx.n(2000)):
            p = self.ctx.people(size, born=(date(1960, 1, 1), date(2005, 12, 31)))
            filed = self.ctx.dates(size, date(2021, 1, 1), date(2025, 12, 20))
            case = self.police_case_numbers(filed)
            self.write_police_cases({"案件编号": case, "案由": self.ctx.pick(CHARGES, size), "立案日期": filed,
                                     "嫌疑人身份证号": p["身份证号"], "嫌疑人姓名": p["姓名"],
                                     "办案单位": self.agency("公安分局刑侦大队", size)})
            done = self.rng.random(size) < 0.7
            close = filed[done] + self.rng.integers(15, 300, int(done.sum())).astype("timedelta64[D]")
            ok = close <= np.datetime64(self.ctx.today)
            self.write_police_closures({"案件编号": case[done][ok], "嫌疑人身份证号": p["身份证号"][done][ok],
                                        "处理类型": self.ctx.pick(("移送审查起诉", "撤销案件", "终止侦查"), int(ok.sum()), (7, 2, 1)),
                                        "处理日期": close[ok], "办案单位": self.agency("公安分局刑侦大队", int(ok.sum()))})


def generate(ctx: CityContext) -> None:
    """Write every person-centric dataset of the demo city, background first, then planted cases."""
    from shujian.demo.groups._person_plants import plant_all

    city = PersonCity(ctx)
    city.background_pensions()
    city.background_elderly()
    city.background_deregistration()
    city.background_medical()
    city.background_custody()
    city.background_detention()
    city.background_corrections()
    city.background_drivers()
    city.background_dui()
    city.background_nonpros()
    city.background_police()
    plant_all(city)
