"""Construction projects and migrant-worker wage instruments (M9 migrant-wage-guarantee).

Datasets: 施工许可 (住建), 农民工工资专用账户, 工资保证金 (人社), 工程款支付担保 (住建).  Every background
project has an account opened within 30 days of its permit under the general contractor's USCC,
a deposit of 1–3 % of the contract sum (保函 valid beyond completion) and a payment guarantee.
The subject of a clue is the 项目编号.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from shujian.demo.core import fmt

MODEL = "migrant-wage-guarantee"
DISTRICTS = ("椒江区", "黄岩区", "路桥区", "临海市", "温岭市", "玉环市", "天台县", "仙居县", "三门县")
BANKS = ("中国工商银行台州分行", "中国农业银行台州分行", "中国建设银行台州分行", "台州银行", "浙江泰隆商业银行")
KINDS = ("住宅", "商业综合体", "厂房", "学校", "道路", "安置房", "医院")
PERMIT_DTYPES = {"合同金额": "DOUBLE", "发证日期": "DATE", "计划开工日期": "DATE", "计划竣工日期": "DATE"}
ACCOUNT_DTYPES = {"开户日期": "DATE"}
DEPOSIT_DTYPES = {"金额": "DOUBLE", "存储日期": "DATE", "保函到期日": "DATE"}
GUARANTEE_DTYPES = {"担保金额": "DOUBLE", "出具日期": "DATE", "到期日期": "DATE"}
CHUNK = 200_000            # background projects per batch (bounded memory at any scale)
TABLES = (("施工许可", "permits"), ("农民工工资专用账户", "accounts"), ("工资保证金", "deposits"),
          ("工程款支付担保", "guarantees"))


def generate(ctx: Any) -> None:
    """Write the four datasets: background projects, then the planted ones."""
    n = ctx.n(800)
    for start in range(0, n, CHUNK):
        out = _background(ctx, start, min(CHUNK, n - start))
        for name, key in TABLES:
            _write(ctx, name, out[key])
    plants = _Plants(ctx)
    plants.run()
    for name, key in TABLES:
        _write(ctx, name, {k: [r.get(k) for r in plants.rows[key]] for k in out[key]})


_META = {
    "施工许可": ("市住房和城乡建设局", "建筑工程施工许可证核发记录（在建项目）", PERMIT_DTYPES),
    "农民工工资专用账户": ("市人力资源和社会保障局", "农民工工资专用账户开立备案", ACCOUNT_DTYPES),
    "工资保证金": ("市人力资源和社会保障局", "工资保证金存储（现金/银行保函/保证保险）", DEPOSIT_DTYPES),
    "工程款支付担保": ("市住房和城乡建设局", "建设单位工程款支付担保备案", GUARANTEE_DTYPES),
}


def _write(ctx: Any, name: str, cols: dict) -> None:
    agency, desc, dtypes = _META[name]
    ctx.write(name, cols, agency=agency, level="内部", description=desc, dtypes=dtypes)


def _background(ctx: Any, start: int, n: int) -> dict:
    """Projects ``start + 1`` … ``start + n``: every instrument in place and in time."""
    rng = ctx.rng
    owners = ctx.companies(n, kinds=("有限公司", "置业有限公司", "开发建设有限公司"))
    builders = ctx.companies(n, kinds=("建设有限公司", "建工集团有限公司"))
    number = np.arange(start + 1, start + n + 1)
    ids = fmt("3310{k:08d}", k=number)
    district = ctx.pick(DISTRICTS, n)
    kind = ctx.pick(KINDS, n)
    amount = np.round(rng.uniform(5e6, 3e8, n), -3)
    permit = ctx.dates(n, date(2021, 1, 1), date(2025, 10, 31))
    begin = permit + rng.integers(5, 60, n).astype("timedelta64[D]")
    finish = begin + rng.integers(300, 1100, n).astype("timedelta64[D]")
    opened = permit + rng.integers(-20, 30, n).astype("timedelta64[D]")
    ratio = rng.uniform(0.0101, 0.03, n)
    cash = rng.random(n) < 0.4
    stored = permit + rng.integers(0, 30, n).astype("timedelta64[D]")
    letter_end = finish + rng.integers(30, 365, n).astype("timedelta64[D]")
    no_date = np.array([None] * n, dtype=object)
    return {
        "permits": {
            "项目编号": ids,
            "项目名称": fmt("台州市{d}{k}项目（{i:04d}）", d=district, k=kind, i=number % 10_000),
            "区域": district, "建设单位": owners["单位名称"], "建设单位统一社会信用代码": owners["统一社会信用代码"],
            "施工总承包单位": builders["单位名称"],
            "施工总承包单位统一社会信用代码": builders["统一社会信用代码"],
            "合同金额": amount,
            "施工许可证号": fmt("3310{k:08d}0101", k=number),
            "发证日期": permit, "计划开工日期": begin, "计划竣工日期": finish,
            "项目状态": np.full(n, "在建", dtype=object),
        },
        "accounts": {
            "项目编号": ids, "施工总承包单位统一社会信用代码": builders["统一社会信用代码"],
            "开户银行": ctx.pick(BANKS, n),
            "专用账户账号": fmt("6222{k:012d}", k=rng.integers(0, 10**12, n)),
            "开户日期": opened,
        },
        "deposits": {
            "项目编号": ids, "施工单位统一社会信用代码": builders["统一社会信用代码"],
            "存储方式": np.where(cash, "现金", ctx.pick(["银行保函", "保证保险"], n)).astype(object),
            "金额": np.ceil(amount * ratio), "存储日期": stored,
            "保函到期日": np.where(cash, no_date, letter_end.astype(object)),
        },
        "guarantees": {
            "项目编号": ids, "建设单位统一社会信用代码": owners["统一社会信用代码"],
            "担保方式": ctx.pick(["银行保函", "工程担保公司保函", "工程保证保险"], n),
            "担保金额": np.round(amount * 0.1, 2), "出具日期": stored, "到期日期": letter_end,
        },
    }


class _Plants:
    """Planted projects: each lacks exactly the instruments named in its ground truth."""

    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.rows: dict[str, list[dict]] = {k: [] for k in ("permits", "accounts", "deposits", "guarantees")}
        self.seq = 0

    def project(self, *, account: int | None = 10, wrong_builder: bool = False, ratio: float | None = 0.02,
                letter_gap: int | None = 90, guarantee: bool = True, permit: date = date(2024, 3, 1)) -> str:
        """One project; ``account`` = days from permit to opening (None: no account), ``ratio`` =
        deposit / contract sum (None: no deposit), ``letter_gap`` = 保函到期 − 竣工 in days (None: cash)."""
        ctx = self.ctx
        self.seq += 1
        pid = f"3310P{self.seq:07d}"
        owner, builder = ctx.company(kinds=("置业有限公司",)), ctx.company(kinds=("建设有限公司",))
        amount = 5e7 + 1e6 * self.seq
        finish = permit + timedelta(days=720)
        self.rows["permits"].append({
            "项目编号": pid, "项目名称": f"台州市椒江区安置房项目（P{self.seq}）", "区域": "椒江区",
            "建设单位": owner["单位名称"], "建设单位统一社会信用代码": owner["统一社会信用代码"],
            "施工总承包单位": builder["单位名称"], "施工总承包单位统一社会信用代码": builder["统一社会信用代码"],
            "合同金额": amount, "施工许可证号": f"3310P{self.seq:07d}0101", "发证日期": permit,
            "计划开工日期": permit + timedelta(days=15), "计划竣工日期": finish, "项目状态": "在建"})
        if account is not None:
            uscc = ctx.company()["统一社会信用代码"] if wrong_builder else builder["统一社会信用代码"]
            self.rows["accounts"].append({
                "项目编号": pid, "施工总承包单位统一社会信用代码": uscc, "开户银行": BANKS[0],
                "专用账户账号": f"62229{self.seq:011d}", "开户日期": permit + timedelta(days=account)})
        if ratio is not None:
            self.rows["deposits"].append({
                "项目编号": pid, "施工单位统一社会信用代码": builder["统一社会信用代码"],
                "存储方式": "现金" if letter_gap is None else "银行保函", "金额": round(amount * ratio, 2),
                "存储日期": permit + timedelta(days=5),
                "保函到期日": None if letter_gap is None else finish + timedelta(days=letter_gap)})
        if guarantee:
            self.rows["guarantees"].append({
                "项目编号": pid, "建设单位统一社会信用代码": owner["统一社会信用代码"], "担保方式": "银行保函",
                "担保金额": amount * 0.1, "出具日期": permit + timedelta(days=5),
                "到期日期": finish + timedelta(days=90)})
        return pid

    def run(self) -> None:
        ctx, m, p = self.ctx, MODEL, self.project
        ctx.plant(m, p(account=None), "R1", "未开设农民工工资专用账户")
        ctx.plant(m, p(account=45), "R1", "许可后 45 天才开户")
        ctx.plant(m, p(wrong_builder=True), "R1", "专用账户开户单位不是施工总承包单位")
        ctx.near_miss(m, p(account=30), "许可后恰第 30 天开户")
        ctx.plant(m, p(ratio=None), "R2", "未存储工资保证金")
        ctx.plant(m, p(ratio=0.005), "R2", "保证金仅为合同额 0.5%")
        ctx.plant(m, p(letter_gap=-30), "R2", "保函在计划竣工前 30 天到期")
        ctx.near_miss(m, p(ratio=0.01), "保证金恰为合同额 1%")
        ctx.near_miss(m, p(letter_gap=0), "保函恰于计划竣工日到期")
        ctx.near_miss(m, p(letter_gap=None), "现金存储保证金（无保函到期日）")
        ctx.plant(m, p(guarantee=False), "R3", "建设单位未提供工程款支付担保")
        pid = p(account=None, ratio=None, guarantee=False)
        for rule in ("R1", "R2", "R3"):
            ctx.plant(m, pid, rule, "三项制度均未落实")
