"""Civil cases of the demo city (民事案件) for frequent-lending-plaintiff (M7).

Background plaintiffs of 民间借贷纠纷 bring 1–4 suits each (so none reaches the threshold by chance);
banks bring many 金融借款合同纠纷 suits (another 案由, never counted).  Planted plaintiffs sue often
within 24 months; the subject is the plaintiff's 证件号码 in upper case.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from shujian.demo.core import fmt

AGENCY = "市中级人民法院（审判管理系统）"
MODEL = "frequent-lending-plaintiff"
LENDING = "民间借贷纠纷"
OTHER_CAUSES = ("买卖合同纠纷", "房屋租赁合同纠纷", "劳务合同纠纷", "物业服务合同纠纷")
COURTS = ("椒江区", "黄岩区", "路桥区", "临海市", "温岭市", "玉环市", "天台县", "仙居县", "三门县")
FIRMS = ("浙江台州正大律师事务所", "浙江海正律师事务所", "浙江天台山律师事务所", "浙江温岭明理律师事务所",
         "浙江路桥中天律师事务所", "浙江临海法缘律师事务所")
DTYPES = {"立案日期": "DATE", "结案日期": "DATE", "标的额": "DOUBLE", "年利率": "DOUBLE",
          "是否缺席": "BOOLEAN"}
COLUMNS = ("案号", "法院", "案由", "审理程序", "原告", "原告类型", "原告证件号码", "被告", "被告证件号码",
           "代理人", "立案日期", "结案日期", "结案方式", "是否缺席", "标的额", "年利率")


def generate(ctx: Any) -> None:
    """Write 民事案件 (background in chunks, then the planted plaintiffs)."""
    n = ctx.n(12000)
    for start in range(0, n, 300_000):
        write(ctx, _background(ctx, start, min(300_000, n - start)))
    write(ctx, _plants(ctx))


def write(ctx: Any, cols: dict) -> None:
    ctx.write("民事案件", {k: cols[k] for k in COLUMNS}, agency=AGENCY, level="敏感",
              description="民事一审案件（结案），一案一行；多原告案件取第一原告",
              semantics={"原告证件号码": "id_number", "被告证件号码": "id_number"}, dtypes=DTYPES)


def _lawyers(ctx: Any, n: int) -> np.ndarray:
    p = ctx.people(n, born=(date(1965, 1, 1), date(1995, 12, 31)))
    firm = ctx.pick(FIRMS, n)
    return firm + " " + p["姓名"]


def _background(ctx: Any, start: int, n: int) -> dict:
    rng = ctx.rng
    n_lend = int(n * 0.7)
    per = rng.integers(1, 5, max(1, n_lend // 2))          # 1–4 suits per lending plaintiff
    per = per[: np.searchsorted(np.cumsum(per), n_lend) + 1]
    lenders = ctx.people(len(per), born=(date(1955, 1, 1), date(1995, 12, 31)))
    owner = np.repeat(np.arange(len(per)), per)[:n_lend]
    n_other = n - len(owner)
    others = ctx.companies(max(1, n_other // 10))   # sellers, landlords, employers: ~10 suits each
    o_idx = rng.integers(0, len(others["统一社会信用代码"]), n_other)
    total = len(owner) + n_other
    defendants = ctx.people(total, born=(date(1960, 1, 1), date(2000, 12, 31)))
    filed = ctx.dates(total, date(2020, 1, 1), date(2025, 9, 30))
    way = ctx.pick(["判决", "调解", "撤诉"], total, [0.55, 0.3, 0.15])
    lawyers = _lawyers(ctx, 60)
    court = ctx.pick(COURTS, total)
    seq = np.arange(start, start + total)
    year = filed.astype("datetime64[Y]").astype(int) + 1970
    return {
        "案号": fmt("（{y}）浙10{c:02d}民初{k}号", y=year, c=seq % 90 + 2, k=seq % 20000 + 1),
        "法院": "台州市" + court + "人民法院",
        "案由": np.concatenate([np.full(len(owner), LENDING, dtype=object), ctx.pick(OTHER_CAUSES, n_other)]),
        "审理程序": ctx.pick(["简易程序", "普通程序", "小额诉讼程序"], total, [0.6, 0.2, 0.2]),
        "原告": np.concatenate([lenders["姓名"][owner], others["单位名称"][o_idx]]),
        "原告类型": np.concatenate([np.full(len(owner), "自然人", dtype=object),
                                   np.full(n_other, "法人", dtype=object)]),
        "原告证件号码": np.concatenate([lenders["身份证号"][owner], others["统一社会信用代码"][o_idx]]),
        "被告": defendants["姓名"], "被告证件号码": defendants["身份证号"],
        "代理人": np.where(rng.random(total) < 0.4, lawyers[rng.integers(0, len(lawyers), total)], None),
        "立案日期": filed,
        "结案日期": filed + rng.integers(15, 180, total).astype("timedelta64[D]"),
        "结案方式": way,
        "是否缺席": (way == "判决") & (rng.random(total) < 0.2),
        "标的额": np.round(rng.lognormal(11, 0.9, total), -2),
        "年利率": np.round(rng.choice([0.0, 6.0, 12.0, 14.8], total), 1),
    }


class _Rows:
    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.rows: list[dict] = []
        self.lawyer = _lawyers(ctx, 1)[0]

    def suits(self, plaintiff: str, pid: str, kind: str, dates: list[date], cause: str = LENDING,
              absent_share: float = 0.6) -> None:
        rng = self.ctx.rng
        defendants = self.ctx.people(len(dates))
        for i, filed in enumerate(dates):
            way = "撤诉" if i % 4 == 3 else "判决"
            k = 30000 + len(self.rows)
            self.rows.append({
                "案号": f"（{filed.year}）浙1002民初{k}号", "法院": "台州市椒江区人民法院", "案由": cause,
                "审理程序": "简易程序", "原告": plaintiff, "原告类型": kind, "原告证件号码": pid,
                "被告": defendants["姓名"][i], "被告证件号码": defendants["身份证号"][i],
                "代理人": self.lawyer, "立案日期": filed, "结案日期": filed + timedelta(days=40),
                "结案方式": way, "是否缺席": way == "判决" and rng.random() < absent_share,
                "标的额": float(rng.integers(1, 20) * 10000), "年利率": 14.8,
            })


def _spread(first: date, n: int, every_days: int) -> list[date]:
    return [first + timedelta(days=every_days * i) for i in range(n)]


def _plants(ctx: Any) -> dict:
    rows = _Rows(ctx)
    p = ctx.person()
    rows.suits(p["姓名"], p["身份证号"], "自然人", _spread(date(2023, 1, 5), 20, 27))
    ctx.plant(MODEL, p["身份证号"], "R1", "18 个月内起诉 20 件")
    c = ctx.company()
    rows.suits(c["单位名称"], c["统一社会信用代码"], "法人", _spread(date(2022, 3, 1), 15, 49))
    ctx.plant(MODEL, c["统一社会信用代码"], "R1", "23 个月内恰好 15 件（阈值）")
    p = _person_with_x(ctx)
    dates = _spread(date(2024, 1, 8), 16, 38)
    rows.suits(p["姓名"], p["身份证号"], "自然人", dates[:8])
    rows.suits(p["姓名"], p["身份证号"].lower(), "自然人", dates[8:])
    ctx.plant(MODEL, p["身份证号"], "R1", "证件号码末位 X 大小写不一，合并后 16 件")
    p = ctx.person()
    rows.suits(p["姓名"], p["身份证号"], "自然人", _spread(date(2023, 2, 1), 14, 25))
    ctx.near_miss(MODEL, p["身份证号"], "12 个月内 14 件，差一件")
    p = ctx.person()
    rows.suits(p["姓名"], p["身份证号"], "自然人", _spread(date(2023, 3, 6), 14, 30))
    rows.rows.append(dict(rows.rows[-1]))          # the last suit exported twice: still 14 suits
    ctx.near_miss(MODEL, p["身份证号"], "14 件，其中一件的行重复导出（同一案号），按案号计仍差一件")
    p = ctx.person()
    rows.suits(p["姓名"], p["身份证号"], "自然人", _spread(date(2021, 1, 4), 16, 75))
    ctx.near_miss(MODEL, p["身份证号"], "16 件分散在 37 个月，任何 24 个月内不足 15 件")
    c = ctx.company()
    bank = c["单位名称"].split("市")[0] + "市农村商业银行股份有限公司"
    rows.suits(bank, c["统一社会信用代码"], "法人", _spread(date(2023, 1, 3), 30, 10), cause="金融借款合同纠纷")
    ctx.near_miss(MODEL, c["统一社会信用代码"], "银行 30 件金融借款合同纠纷，非民间借贷")
    return {k: [r[k] for r in rows.rows] for k in COLUMNS}


def _person_with_x(ctx: Any) -> dict:
    for _ in range(200):
        p = ctx.person()
        if p["身份证号"].endswith("X"):
            return p
    raise RuntimeError("无法生成末位为 X 的身份证号")
