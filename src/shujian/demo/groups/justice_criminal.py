"""Criminal judgments of the demo city (刑事判决被告人 / 刑事判决罪名 / 刑事判决前科 / 法定附加刑表).

Background judgments obey 刑法 第72–74条 (缓刑) and the accessory table by construction; planted
defendants carry the violations of probation-misuse (M3) and accessory-penalty (M4) and their
near-misses.  Subjects of both models are the defendant's 身份证号.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from shujian.dates import add_months
from shujian.demo.core import fmt
from shujian.demo.groups.justice_law import (
    Band,
    accessory_rows,
    bands,
    dataset_rows,
    required,
    sentinel_months,
)
from shujian.documents.tables import TABLE_SEMANTICS

AGENCY = "市中级人民法院（裁判文书）"
NEGLIGENT = ("交通肇事罪", "过失致人死亡罪", "过失致人重伤罪", "重大责任事故罪", "失火罪")
#: background charges: (罪名, weight, [(刑种, weight, min months, max months)])
CHARGES: tuple[tuple[str, float, tuple[tuple[str, float, int, int], ...]], ...] = (
    ("危险驾驶罪", 25, (("拘役", 1, 1, 6),)),
    ("盗窃罪", 20, (("有期徒刑", 0.7, 6, 35), ("拘役", 0.3, 1, 6))),
    ("诈骗罪", 10, (("有期徒刑", 1, 6, 119),)),
    ("故意伤害罪", 10, (("有期徒刑", 0.9, 6, 119), ("拘役", 0.1, 2, 6))),
    ("帮助信息网络犯罪活动罪", 10, (("有期徒刑", 1, 6, 35),)),
    ("寻衅滋事罪", 6, (("有期徒刑", 1, 6, 59),)),
    ("开设赌场罪", 5, (("有期徒刑", 1, 6, 59),)),
    ("职务侵占罪", 4, (("有期徒刑", 1, 6, 35),)),
    ("交通肇事罪", 5, (("有期徒刑", 0.8, 6, 35), ("拘役", 0.2, 1, 6))),
    ("走私、贩卖、运输、制造毒品罪", 4, (("有期徒刑", 1, 6, 35),)),
    ("故意杀人罪", 1, (("有期徒刑", 0.6, 121, 179), ("无期徒刑", 0.25, 0, 0),
                      ("死刑缓期二年执行", 0.15, 0, 0))),
)
COURTS = ("椒江区", "黄岩区", "路桥区", "临海市", "温岭市", "玉环市", "天台县", "仙居县", "三门县")
FLAGS = ("累犯", "自首", "立功", "坦白", "从犯", "主犯", "未成年", "认罪认罚", "首要分子")
DEFENDANT_DTYPES = {
    "判决日期": "DATE", "出生日期": "DATE", "被告人序号": "BIGINT", "刑期月数": "BIGINT",
    "缓刑月数": "BIGINT", "罚金元": "BIGINT", "没收财产": "BOOLEAN", "剥夺政治权利月数": "BIGINT",
    "剥夺政治权利终身": "BOOLEAN", "刑期起始": "DATE", "刑期截止": "DATE", "犯罪日期": "DATE",
    "犯罪时年龄": "BIGINT", **{f: "BOOLEAN" for f in FLAGS},
}
CHARGE_DTYPES = {**{k: DEFENDANT_DTYPES[k] for k in (
    "被告人序号", "刑期月数", "罚金元", "没收财产", "剥夺政治权利月数", "剥夺政治权利终身", "犯罪日期",
    "判决日期")}, "合并判处罚金元": "BIGINT", "合并判处没收财产": "BOOLEAN", "合并判处剥夺政治权利": "BOOLEAN"}
#: one count per demo defendant: no fine is ever written once for several counts
NO_JOINT = {"合并判处罚金元": None, "合并判处没收财产": False, "合并判处剥夺政治权利": False}
PRIOR_DTYPES = {"被告人序号": "BIGINT", "前科刑期月数": "BIGINT", "释放日期": "DATE", "前科缓刑月数": "BIGINT",
                "前科判决日期": "DATE"}
LAW_DTYPES = {"生效日期": "DATE", "失效日期": "DATE", "刑档序号": "BIGINT", "主刑下限月数": "BIGINT",
              "主刑上限月数": "BIGINT"}


def generate(ctx: Any) -> None:
    """Write the judgment tables, the law table and the M3/M4 plants."""
    law_rows = accessory_rows()
    table = bands(law_rows)
    background(ctx, table, ctx.n(3000))
    Planter(ctx, table).run()
    ctx.write("法定附加刑表", dataset_rows(law_rows), agency="本系统（刑法条文整理）", level="公开",
              description="罪名 × 法定刑档 × 生效区间 → 罚金/没收财产/剥夺政治权利 必须/可以/无",
              dtypes=LAW_DTYPES)


# ---------------------------------------------------------------------------------- background
def background(ctx: Any, table: list[Band], n: int, chunk: int = 200_000) -> None:
    """``n`` background defendants, one judgment each, written in chunks."""
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        defs, counts, priors = _background_chunk(ctx, table, start, size)
        ctx.write("刑事判决被告人", defs, agency=AGENCY, level="敏感",
                  description="裁判文书解析：每名被告人一行（决定执行的刑罚）", dtypes=DEFENDANT_DTYPES,
                  semantics=TABLE_SEMANTICS["刑事判决被告人"])
        ctx.write("刑事判决罪名", counts, agency=AGENCY, level="敏感",
                  description="裁判文书解析：每名被告人每个罪名一行（该罪判处的刑罚）", dtypes=CHARGE_DTYPES,
                  semantics=TABLE_SEMANTICS["刑事判决罪名"])
        if len(priors["身份证号"]):
            ctx.write("刑事判决前科", priors, agency=AGENCY, level="敏感",
                      description="裁判文书解析：被告人身份段落中的前科", dtypes=PRIOR_DTYPES,
                      semantics=TABLE_SEMANTICS["刑事判决前科"])


def _draw_penalty(ctx: Any, charges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rng = ctx.rng
    n = len(charges)
    kind = np.empty(n, dtype=object)
    months = np.zeros(n, dtype=np.int64)
    for name, _w, options in CHARGES:
        idx = np.flatnonzero(charges == name)
        if not len(idx):
            continue
        which = rng.choice(len(options), size=len(idx), p=np.array([o[1] for o in options]) /
                           sum(o[1] for o in options))
        for k, (ptype, _pw, lo, hi) in enumerate(options):
            sel = idx[which == k]
            kind[sel] = ptype
            months[sel] = rng.integers(lo, hi + 1, len(sel)) if hi else 0
    return kind, months


def _background_chunk(ctx: Any, table: list[Band], start: int, n: int) -> tuple[dict, dict, dict]:
    rng = ctx.rng
    p = ctx.people(n, born=(date(1960, 1, 1), date(2002, 12, 31)))
    names = [c[0] for c in CHARGES]
    # one judgment in five has a co-defendant: rows of one judgment share 文书编号, court, dates, charge
    new_doc = rng.random(n) >= 0.2
    new_doc[0] = True
    doc = np.cumsum(new_doc) - 1
    first = np.flatnonzero(new_doc)
    order = np.arange(n) - first[doc] + 1
    charge = ctx.pick(names, n, [c[1] for c in CHARGES])[first][doc]
    kind, months = _draw_penalty(ctx, charge)
    offence = ctx.dates(len(first), date(2019, 1, 1), date(2024, 12, 31))[doc]
    judged = offence + rng.integers(60, 360, len(first)).astype("timedelta64[D]")[doc]
    life = np.isin(kind, ["无期徒刑", "死刑缓期二年执行"])
    eff = np.where(kind == "无期徒刑", 10000, np.where(life, 20000, months))
    req = required(table, charge, offence, eff)
    custodial = np.isin(kind, ["有期徒刑", "拘役"])
    leader = (np.isin(charge, ["寻衅滋事罪", "开设赌场罪"])) & (rng.random(n) < 0.05)
    # priors: one for ~15 %; kind decides whether it could make the defendant a 累犯
    has_prior = rng.random(n) < 0.15
    prior_kind = rng.integers(0, 4, n)   # 0 qualifying, 1 过失, 2 拘役, 3 released long ago
    qualifying = has_prior & (prior_kind == 0)
    probation = custodial & (months <= 36) & ~leader & ~qualifying & (rng.random(n) < 0.45)
    prob_months = _valid_probation(rng, kind, months)
    fine = np.where(req["fine"] | (rng.random(n) < 0.1),
                    (rng.integers(1, 60, n) * 1000) * np.maximum(1, months // 12), 0)
    deprive = req["deprivation"] | ((charge == "故意杀人罪") & ~life & (rng.random(n) < 0.5))
    seq = start + doc
    court = ctx.pick(COURTS, len(first))[doc]
    year = judged.astype("datetime64[Y]").astype(int) + 1970
    custody_start = offence + rng.integers(1, 30, n).astype("timedelta64[D]")
    term_days = (months * 30.44).astype(int).astype("timedelta64[D]")
    fixed = custodial & ~probation
    defs = {
        "文书编号": fmt("TZ{k:010d}", k=seq),
        "案号": fmt("（{y}）浙10{c:02d}刑初{k}号", y=year, c=seq % 90 + 2, k=seq % 9000 + 1),
        "法院": "台州市" + court + "人民法院",
        "审理程序": ctx.pick(["普通程序", "简易程序", "速裁程序"], n, [0.3, 0.5, 0.2]),
        "判决日期": judged,
        "公诉机关": "台州市" + court + "人民检察院",
        "被告人序号": order.astype(np.int64),
        "姓名": p["姓名"], "性别": p["性别"], "出生日期": p["出生日期"], "身份证号": p["身份证号"],
        "罪名": charge, "刑种": kind,
        "刑期月数": _nullable(months, ~life),
        "缓刑月数": _nullable(prob_months, probation),
        "罚金元": _nullable(fine, fine > 0),
        "没收财产": req["confiscation"],
        "剥夺政治权利月数": _nullable(rng.integers(1, 6, n) * 12, deprive & ~life),
        "剥夺政治权利终身": life,
        "累犯": qualifying & custodial,
        "自首": rng.random(n) < 0.2, "立功": rng.random(n) < 0.03, "坦白": rng.random(n) < 0.5,
        "从犯": rng.random(n) < 0.1, "主犯": leader, "未成年": np.zeros(n, dtype=bool),
        "认罪认罚": rng.random(n) < 0.7, "首要分子": leader,
        "刑期起始": _nullable(custody_start, fixed),
        "刑期截止": _nullable(custody_start + term_days, fixed),
        "犯罪日期": offence, "犯罪时年龄": age_years(p["出生日期"], offence),
    }
    counts = {k: defs[k] for k in ("文书编号", "案号", "被告人序号", "姓名", "身份证号", "罪名", "刑种",
                                    "刑期月数", "罚金元", "没收财产", "剥夺政治权利月数",
                                    "剥夺政治权利终身", "犯罪日期", "判决日期")}
    counts.update({k: [v] * n for k, v in NO_JOINT.items()})
    priors = _background_priors(ctx, defs, has_prior, prior_kind, offence)
    return defs, counts, priors


def age_years(born: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Full years (周岁) on each date: the birthday itself counts."""
    born, on = born.astype("datetime64[D]"), on.astype("datetime64[D]")

    def month_day(d: np.ndarray) -> np.ndarray:
        month = d.astype("datetime64[M]")
        return (month.astype(int) % 12 + 1) * 100 + (d - month).astype(int) + 1

    years = on.astype("datetime64[Y]").astype(int) - born.astype("datetime64[Y]").astype(int)
    return (years - (month_day(on) < month_day(born))).astype(np.int64)


def _valid_probation(rng: np.random.Generator, kind: np.ndarray, months: np.ndarray) -> np.ndarray:
    """A 考验期 inside the 第73条 range for every 拘役/有期徒刑 term."""
    lo = np.where(kind == "拘役", np.maximum(months, 2), np.maximum(months, 12))
    hi = np.where(kind == "拘役", 12, 60)
    hi = np.maximum(hi, lo)
    return lo + (rng.random(len(kind)) * (hi - lo + 1)).astype(np.int64).clip(0, hi - lo)


def _nullable(values: np.ndarray, keep: np.ndarray) -> list:
    out = values.astype(object) if values.dtype.kind != "M" else values.astype("datetime64[D]").astype(object)
    out = np.where(keep, out, None)
    return out.tolist()


def _background_priors(ctx: Any, defs: dict, has_prior: np.ndarray, prior_kind: np.ndarray,
                       offence: np.ndarray) -> dict:
    rng = ctx.rng
    idx = np.flatnonzero(has_prior)
    k = prior_kind[idx]
    m = len(idx)
    charge = np.where(k == 1, ctx.pick(["交通肇事罪", "过失致人死亡罪"], m),
                      ctx.pick(["盗窃罪", "诈骗罪", "故意伤害罪", "寻衅滋事罪"], m))
    ptype = np.where(k == 2, "拘役", "有期徒刑").astype(object)
    pmonths = np.where(k == 2, rng.integers(1, 7, m), rng.integers(6, 49, m))
    # qualifying/过失/拘役: released 30 days – 4.5 years before; "long ago": 5 years + 60 days or more
    gap = np.where(k == 3, rng.integers(5 * 366 + 60, 10 * 365, m), rng.integers(30, 1640, m))
    released = offence[idx] - gap.astype("timedelta64[D]")
    return {"文书编号": defs["文书编号"][idx], "案号": defs["案号"][idx],
            "被告人序号": defs["被告人序号"][idx], "姓名": defs["姓名"][idx],
            "身份证号": defs["身份证号"][idx], "前科罪名": charge, "前科刑种": ptype,
            "前科刑期月数": pmonths.astype(np.int64), "释放日期": released, "前科缓刑月数": [None] * m,
            "前科判决日期": released - (pmonths * 30.44 + 20).astype(int).astype("timedelta64[D]")}


# ---------------------------------------------------------------------------------- plants
class Planter:
    """Planted defendants for M3 (probation-misuse) and M4 (accessory-penalty)."""

    def __init__(self, ctx: Any, table: list[Band]):
        self.ctx = ctx
        self.table = table
        self.defs: list[dict] = []
        self.counts: list[dict] = []
        self.priors: list[dict] = []
        self.seq = 0

    def defendant(self, charge: str, kind: str, months: int | None, offence: date, *,
                  probation: int | None = None, fine: int | None = None, confiscation: bool | None = None,
                  deprivation: int | None = None, life: bool | None = None, with_: dict | None = None,
                  born: tuple[date, date] = (date(1970, 1, 1), date(1998, 12, 31)), **flags: bool) -> dict:
        """One planted defendant; accessories default to what the law table requires.

        ``with_``: an earlier planted defendant whose judgment this one shares (next 被告人序号)."""
        ctx = self.ctx
        p = ctx.person(born=born)
        self.seq += 1
        eff = sentinel_months(kind, months)
        req = required(self.table, np.array([charge], dtype=object),
                       np.array([offence], dtype="datetime64[D]"), np.array([eff]))
        is_life = kind in ("无期徒刑", "死刑缓期二年执行", "死刑")
        judged = offence + timedelta(days=120)
        row = {
            "文书编号": f"TZP{self.seq:08d}", "案号": f"（{judged.year}）浙1002刑初{8000 + self.seq}号",
            "法院": "台州市椒江区人民法院", "审理程序": "普通程序", "判决日期": judged,
            "公诉机关": "台州市椒江区人民检察院", "被告人序号": 1, "姓名": p["姓名"], "性别": p["性别"],
            "出生日期": p["出生日期"], "身份证号": p["身份证号"], "罪名": charge, "刑种": kind,
            "刑期月数": months, "缓刑月数": probation,
            "罚金元": fine if fine is not None else (20000 if req["fine"][0] else None),
            "没收财产": confiscation if confiscation is not None else bool(req["confiscation"][0]),
            "剥夺政治权利月数": deprivation if deprivation is not None else (
                36 if req["deprivation"][0] and not is_life else None),
            "剥夺政治权利终身": life if life is not None else is_life,
            "刑期起始": None, "刑期截止": None, "犯罪日期": offence,
            "犯罪时年龄": int(age_years(np.array([p["出生日期"]], dtype="datetime64[D]"),
                                   np.array([offence], dtype="datetime64[D]"))[0]),
            **{f: bool(flags.get(f, False)) for f in FLAGS}, **NO_JOINT,
        }
        if with_ is not None:
            row.update({k: with_[k] for k in ("文书编号", "案号", "判决日期")})
            row["被告人序号"] = with_["被告人序号"] + 1
        if probation is None and months and kind in ("有期徒刑", "拘役"):
            row["刑期起始"] = offence + timedelta(days=10)
            row["刑期截止"] = add_months(row["刑期起始"], months)
        self.defs.append(row)
        self.counts.append({k: row[k] for k in CHARGE_DTYPES.keys() | {
            "文书编号", "案号", "姓名", "身份证号", "罪名", "刑种"}})
        return row

    def prior(self, row: dict, charge: str, kind: str, months: int, released: date) -> None:
        self.priors.append({"文书编号": row["文书编号"], "案号": row["案号"], "被告人序号": row["被告人序号"],
                            "姓名": row["姓名"], "身份证号": row["身份证号"], "前科罪名": charge,
                            "前科刑种": kind, "前科刑期月数": months, "释放日期": released, "前科缓刑月数": None,
                            "前科判决日期": released - timedelta(days=round(months * 30.44) + 20)})

    def run(self) -> None:
        self.probation_cases()
        self.accessory_cases()
        ctx = self.ctx
        ctx.write("刑事判决被告人", self.defs, agency=AGENCY, dtypes=DEFENDANT_DTYPES)
        ctx.write("刑事判决罪名", self.counts, agency=AGENCY, dtypes=CHARGE_DTYPES)
        ctx.write("刑事判决前科", self.priors, agency=AGENCY, dtypes=PRIOR_DTYPES)

    # ------------------------------------------------------------------ M3
    def probation_cases(self) -> None:
        ctx, m = self.ctx, "probation-misuse"
        d = self.defendant
        r = d("诈骗罪", "有期徒刑", 48, date(2023, 3, 2), probation=60)
        ctx.plant(m, r["身份证号"], "R1", "有期徒刑四年宣告缓刑")
        r = d("盗窃罪", "管制", 12, date(2023, 5, 6), probation=24)
        ctx.plant(m, r["身份证号"], "R1", "管制宣告缓刑")
        r = d("诈骗罪", "有期徒刑", 36, date(2023, 6, 1), probation=48)
        ctx.near_miss(m, r["身份证号"], "有期徒刑恰为三年，可以缓刑")
        r = d("盗窃罪", "有期徒刑", 18, date(2023, 7, 9), probation=12)
        ctx.plant(m, r["身份证号"], "R2", "考验期短于原判刑期")
        r = d("危险驾驶罪", "拘役", 4, date(2023, 8, 1), probation=18)
        ctx.plant(m, r["身份证号"], "R2", "拘役考验期超过一年")
        r = d("帮助信息网络犯罪活动罪", "有期徒刑", 6, date(2023, 9, 3), probation=6)
        ctx.plant(m, r["身份证号"], "R2", "有期徒刑考验期不足一年")
        for charge, kind, months, prob, note in (
                ("盗窃罪", "有期徒刑", 8, 12, "考验期恰为法定最低一年"),
                ("危险驾驶罪", "拘役", 1, 2, "拘役考验期恰为法定最低两个月"),
                ("危险驾驶罪", "拘役", 5, 12, "拘役考验期恰为法定最高一年"),
                ("诈骗罪", "有期徒刑", 36, 60, "考验期恰为法定最高五年")):
            r = d(charge, kind, months, date(2023, 10, 2), probation=prob)
            ctx.near_miss(m, r["身份证号"], note)
        self._recidivists(m)
        r = d("寻衅滋事罪", "有期徒刑", 24, date(2023, 4, 4), probation=36, 首要分子=True, 主犯=True)
        ctx.plant(m, r["身份证号"], "R4", "犯罪集团首要分子宣告缓刑")
        r = d("寻衅滋事罪", "有期徒刑", 24, date(2023, 4, 4), probation=36, 主犯=True)
        ctx.near_miss(m, r["身份证号"], "主犯但非首要分子")

    def _recidivists(self, m: str) -> None:
        ctx = self.ctx

        def d(*args, **kw) -> dict:
            # adults at the prior crime: a crime committed under 18 never makes a 累犯 (刑法第六十五条)
            return self.defendant(*args, born=(date(1970, 1, 1), date(1985, 12, 31)), **kw)

        offence = date(2023, 3, 10)
        r = d("盗窃罪", "有期徒刑", 12, offence, probation=24)
        self.prior(r, "盗窃罪", "有期徒刑", 24, add_months(offence, -60))
        ctx.plant(m, r["身份证号"], "R3", "刑满释放恰满五年内再犯，宣告缓刑")
        r = d("诈骗罪", "有期徒刑", 30, date(2024, 1, 15), probation=36)
        self.prior(r, "诈骗罪", "有期徒刑", 36, date(2022, 2, 1))
        ctx.plant(m, r["身份证号"], "R3", "刑满释放两年内再犯，宣告缓刑")
        r = d("盗窃罪", "有期徒刑", 12, offence, probation=24)
        self.prior(r, "盗窃罪", "有期徒刑", 24, add_months(offence, -60) - timedelta(days=1))
        ctx.near_miss(m, r["身份证号"], "前罪释放五年零一天后再犯")
        for charge, kind, note in (("交通肇事罪", "有期徒刑", "前罪为过失犯罪（交通肇事）"),
                                   ("过失致人死亡罪", "有期徒刑", "前罪为过失犯罪"),
                                   ("盗窃罪", "拘役", "前罪仅判拘役")):
            r = d("盗窃罪", "有期徒刑", 10, offence, probation=12)
            self.prior(r, charge, kind, 6 if kind == "拘役" else 18, date(2022, 1, 5))
            ctx.near_miss(m, r["身份证号"], note)
        first = d("寻衅滋事罪", "有期徒刑", 12, offence, probation=24)
        second = d("寻衅滋事罪", "有期徒刑", 18, offence, probation=24, with_=first)
        self.prior(second, "故意伤害罪", "有期徒刑", 24, date(2020, 8, 1))
        ctx.plant(m, second["身份证号"], "R3", "同案第二被告人系累犯，宣告缓刑")
        ctx.near_miss(m, first["身份证号"], "同案第一被告人无前科（前科属于同案另一被告人）")
        r = d("交通肇事罪", "有期徒刑", 12, offence, probation=18)
        self.prior(r, "盗窃罪", "有期徒刑", 18, date(2021, 6, 1))
        ctx.near_miss(m, r["身份证号"], "后罪为过失犯罪，不构成累犯")
        r = d("盗窃罪", "拘役", 5, offence, probation=6)
        self.prior(r, "盗窃罪", "有期徒刑", 24, date(2021, 3, 10))
        ctx.near_miss(m, r["身份证号"], "后罪只判拘役，不是应当判处有期徒刑以上刑罚之罪")
        r = self.defendant("盗窃罪", "有期徒刑", 10, offence, probation=12, born=(date(2002, 1, 1), date(2002, 6, 30)))
        self.prior(r, "抢劫罪", "有期徒刑", 18, date(2021, 6, 1))
        ctx.near_miss(m, r["身份证号"], "前罪判决时未满十八周岁，第六十五条除外")

    # ------------------------------------------------------------------ M4
    def accessory_cases(self) -> None:
        ctx, m, d = self.ctx, "accessory-penalty", self.defendant
        r = d("职务侵占罪", "有期徒刑", 24, date(2022, 5, 10), fine=0)
        r["罚金元"] = self.counts[-1]["罚金元"] = None
        assert self._must(r, "fine"), "法定附加刑表应要求职务侵占罪并处罚金"
        ctx.plant(m, r["身份证号"], "R1", "修正案十一后职务侵占未并处罚金")
        r = d("职务侵占罪", "有期徒刑", 24, date(2021, 2, 20))
        ctx.near_miss(m, r["身份证号"], "犯罪在修正案十一施行前，依从旧原则不必并处罚金")
        r = d("危险驾驶罪", "拘役", 3, date(2023, 11, 5))
        r["罚金元"] = self.counts[-1]["罚金元"] = None
        ctx.plant(m, r["身份证号"], "R1", "危险驾驶未并处罚金")
        r = d("盗窃罪", "有期徒刑", 150, date(2022, 8, 8), fine=0, confiscation=False)
        r["罚金元"] = self.counts[-1]["罚金元"] = None
        if self._must(r, "fine"):
            ctx.plant(m, r["身份证号"], "R1", "盗窃十年以上，罚金与没收财产均未判处（应择一）")
        r = d("故意杀人罪", "无期徒刑", None, date(2021, 9, 9), life=False)
        ctx.plant(m, r["身份证号"], "R2", "无期徒刑未剥夺政治权利终身")
        r = d("故意杀人罪", "死刑缓期二年执行", None, date(2021, 10, 9), life=True)
        ctx.near_miss(m, r["身份证号"], "死缓并剥夺政治权利终身")
        r = d("故意伤害罪", "有期徒刑", 96, date(2022, 3, 3), deprivation=72)
        ctx.plant(m, r["身份证号"], "R4", "剥夺政治权利六年，超过五年")
        r = d("故意伤害罪", "有期徒刑", 60, date(2022, 3, 3), deprivation=6)
        ctx.plant(m, r["身份证号"], "R4", "剥夺政治权利六个月，不足一年")
        r = d("贪污罪", "有期徒刑", 24, date(2016, 3, 1), fine=0)
        r["罚金元"] = self.counts[-1]["罚金元"] = None
        assert self._must(r, "fine"), "法定附加刑表应要求修正案九后的贪污罪并处罚金（第三百八十三条）"
        ctx.plant(m, r["身份证号"], "R1", "修正案九后贪污罪未并处罚金（第三百八十三条）")
        r = d("寻衅滋事罪", "管制", 6, date(2022, 3, 3), deprivation=6)
        ctx.near_miss(m, r["身份证号"], "管制六个月附加剥夺政治权利六个月，期限与管制相等（第五十五条第二款）")
        for months, note in ((60, "剥夺政治权利恰为五年"), (12, "剥夺政治权利恰为一年")):
            r = d("故意伤害罪", "有期徒刑", 84, date(2022, 3, 3), deprivation=months)
            ctx.near_miss(m, r["身份证号"], note)

    def _must(self, row: dict, what: str) -> bool:
        eff = sentinel_months(row["刑种"], row["刑期月数"])
        req = required(self.table, np.array([row["罪名"]], dtype=object),
                       np.array([row["犯罪日期"]], dtype="datetime64[D]"), np.array([eff]), every=True)
        return bool(req[what][0])
