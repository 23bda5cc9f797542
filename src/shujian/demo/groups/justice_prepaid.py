"""12345 hotline tickets and the merchant registers for prepaid-card-complaints (M10).

Datasets: 市场主体登记 (市监), 预付卡备案 (商务), 资金存管 (银行/商务), 12345工单 — the ticket export
has what real exports have: 编号, 主题, 详情 (the merchant is named only in the text), 时间, 地址.
Background prepaid-card complaints only concern merchants that are 存续, 备案 and 存管; background
tickets about any other merchant never mention prepaid cards.  Every merchant has a distinct
three-character name (台州市椒江区金悦达健身会所), as real shops do, so the name in a ticket
identifies one registered merchant; the subject of a clue is the merchant's USCC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from shujian.demo.core import fmt
from shujian.text.merchants import merchant_key

MODEL = "prepaid-card-complaints"
DISTRICTS = ("椒江区", "黄岩区", "路桥区", "临海市", "温岭市", "玉环市")
TRADES = {  # 行业 → (店名后缀, 卡名)
    "健身": ("健身会所", "健身年卡"), "美容美发": ("美容美发店", "美容会员卡"), "教育培训": ("培训学校", "课时卡"),
    "洗车": ("汽车美容店", "洗车卡"), "餐饮": ("餐厅", "储值卡"), "游泳": ("游泳馆", "游泳次卡"),
}
PREPAID_TEMPLATES = (
    "本人于{d}在{m}办理{c}，充值{a}元，现商家{s}，要求退还余额。",
    "{m}的{c}还剩{a}元没有用完，商家{s}，投诉人要求退费。",
    "反映{m}推销{c}，办卡时承诺随时可退，现申请退卡被拒，商家{s}。",
    "来电人称在{m}充值{a}元的{c}，门店{s}，联系不上老板，要求相关部门处理。",
)
MILD = ("以装修为由暂停营业", "拒绝按约定提供服务", "不予退费", "要求补交费用才能继续使用")
SEVERE = ("已经跑路", "突然闭店", "已关门停业")
OTHER_TEMPLATES = (
    "反映{m}门口占道经营，影响通行，要求处理。",
    "{m}夜间噪音扰民，影响休息，要求整改。",
    "反映{m}油烟排放污染，要求环保部门核查。",
    "来电人反映{m}售卖的商品疑似过期，要求市场监管部门查处。",
)
EXCLUDED_TEMPLATES = (
    "在{m}给公交卡充值{a}元后卡内余额未增加，要求退还。",
    "在{m}办理话费充值{a}元一直未到账，要求退费。",
    "{m}代缴电费充值{a}元未到账，要求核实。",
)
CIVIC = ("反映小区路灯损坏多日无人维修。", "反映主干道窨井盖缺失，存在安全隐患。", "咨询新生儿医保参保办理流程。",
         "反映公交车班次减少，出行不便。", "反映小区楼道堆放杂物，存在消防隐患。",
         # the hard negatives the old keyword step flagged
         "反映楼下烧烤店营业到凌晨，噪音很大，晚上很难再关门闭窗休息。", "建议推进一网通办，让数据多跑路、群众少跑路。",
         "反映房东收取的水电费高于实际用量，要求退还多收部分。", "反映路边饭店卫生差，要求责令停业整改。")
TICKET_DTYPES = {"时间": "TIMESTAMP"}
# Name characters for background merchants (no word of the prepaid rule, no place name): the k-th
# merchant's core is three of them, k written in base len(NAME_CHARS).
NAME_CHARS = ("金银鑫盛兴隆泰祥瑞福康乐佳嘉顺达宏博雅锦晨曦星辰悦诚仁智新森明志鸿鹏翔凤麟梅兰竹菊松柏桂荷"
              "蓉韵彩丰益腾骏琪琳瑶璐翠霞露虹彤妍婷娜莉萱芊蕾薇芷晴朗煜炫灿耀华昊旻晟曜瀚淳润泽沐")
CHUNK = 200_000            # background merchants per batch (with their tickets)
REG_DTYPES = {"成立日期": "DATE"}


def generate(ctx: Any) -> None:
    """Write registers and tickets: background merchants in batches (each with its tickets), then plants."""
    n_merchants, n_tickets = ctx.n(4000), ctx.n(9000)
    cols: dict[str, dict] = {}
    for start in range(0, n_merchants, CHUNK):
        size = min(CHUNK, n_merchants - start)
        reg, filings, escrow, issuer = _background(ctx, start, size)
        # this batch's share of the tickets, so every ticket's merchant is in memory with it
        first, last = (n_tickets * start) // n_merchants, (n_tickets * (start + size)) // n_merchants
        tickets = _background_tickets(ctx, first, last - first, reg, issuer)
        cols = {"市场主体登记": reg, "预付卡备案": filings, "资金存管": escrow, "12345工单": tickets}
        for name, table in cols.items():
            _write(ctx, name, table)
    plants = _Plants(ctx)
    plants.run()
    for name, extra in (("市场主体登记", plants.reg), ("预付卡备案", plants.filings), ("资金存管", plants.escrow),
                        ("12345工单", plants.tickets)):
        _write(ctx, name, {k: [r.get(k) for r in extra] for k in cols[name]})


_META = {
    "市场主体登记": ("市市场监督管理局", "市场主体登记信息", REG_DTYPES, "公开"),
    "预付卡备案": ("市商务局", "单用途商业预付卡发卡企业备案", {"备案日期": "DATE"}, "内部"),
    "资金存管": ("市商务局（存管银行报送）", "预收资金存管账户", {"存管比例": "DOUBLE", "开户日期": "DATE"}, "内部"),
    "12345工单": ("市12345政务服务便民热线", "热线工单（诉求内容为原文）", TICKET_DTYPES, "敏感"),
}


def _write(ctx: Any, name: str, cols: dict) -> None:
    agency, desc, dtypes, level = _META[name]
    ctx.write(name, cols, agency=agency, level=level, description=desc, dtypes=dtypes)


def _merchant_names(ctx: Any, start: int, trade: np.ndarray, district: np.ndarray) -> np.ndarray:
    """Background merchant names with distinct three-character cores (the k-th merchant's)."""
    n = len(trade)
    shop = np.array([TRADES[t][0] for t in TRADES], dtype=object)[_trade_index(trade)]
    return fmt("台州市{d}{w}{s}", d=district, w=_cores(np.arange(start, start + n)), s=shop)


def _cores(k: np.ndarray) -> np.ndarray:
    """Distinct cores: three characters for the first base³ merchants, four after (province scale)."""
    chars = np.array(list(NAME_CHARS), dtype=object)
    base = len(chars)
    three = chars[(k // base // base) % base] + chars[(k // base) % base] + chars[k % base]
    four = np.where(k >= base ** 3, chars[(k // base ** 3) % base], "").astype(object)
    return four + three


def _trade_index(trade: np.ndarray) -> np.ndarray:
    """Position of each 行业 in ``TRADES``."""
    position = {t: i for i, t in enumerate(TRADES)}
    values, inverse = np.unique(trade, return_inverse=True)
    return np.array([position[t] for t in values], dtype=np.int64)[inverse]


def _background(ctx: Any, start: int, n_merchants: int) -> tuple[dict, dict, dict, np.ndarray]:
    """Merchants ``start`` … ``start + n_merchants - 1``: 发卡企业 (35 %) are 备案, 存管 and 存续."""
    rng = ctx.rng
    co = ctx.companies(n_merchants, kinds=("有限公司", "个体工商户"))
    trade = ctx.pick(list(TRADES), n_merchants)
    district = ctx.pick(DISTRICTS, n_merchants)
    names = _merchant_names(ctx, start, trade, district)
    issuer = rng.random(n_merchants) < 0.35            # 发卡企业: 备案 + 存管, always 存续
    status = np.where(issuer, "存续", ctx.pick(["存续", "注销", "吊销", "经营异常"], n_merchants,
                                                [0.85, 0.07, 0.03, 0.05])).astype(object)
    number = np.arange(start, start + n_merchants)
    reg = {"统一社会信用代码": co["统一社会信用代码"], "企业名称": names, "行业": trade,
           "注册地址": fmt("浙江省台州市{d}{k}号", d=district, k=number % 300 + 1),
           "区域": district, "成立日期": ctx.dates(n_merchants, date(2012, 1, 1), date(2022, 12, 31)),
           "登记状态": status}
    iss = np.flatnonzero(issuer)
    filings = {"统一社会信用代码": co["统一社会信用代码"][iss], "企业名称": names[iss],
               "备案编号": fmt("TZYFK{k:06d}", k=number[iss]),
               "备案日期": ctx.dates(len(iss), date(2022, 1, 1), date(2023, 6, 30))}
    escrow = {"统一社会信用代码": co["统一社会信用代码"][iss], "存管银行": ctx.pick(["台州银行", "浙江泰隆商业银行"], len(iss)),
              "存管账号": fmt("8101{k:010d}", k=number[iss]),
              "存管比例": rng.choice([0.2, 0.3, 0.4], len(iss)),
              "开户日期": ctx.dates(len(iss), date(2022, 1, 1), date(2023, 6, 30))}
    return reg, filings, escrow, issuer


def _background_tickets(ctx: Any, start: int, n: int, reg: dict, issuer: np.ndarray) -> dict:
    """``n`` background tickets about merchants of ``reg``: prepaid complaints only about issuers."""
    rng = ctx.rng
    issuers = np.flatnonzero(issuer)
    names, district, trade = reg["企业名称"], reg["区域"], reg["行业"]
    kind = rng.choice(3, n, p=[0.25, 0.35, 0.40])      # 0 prepaid (issuers), 1 other merchant, 2 civic
    if not len(issuers):
        kind[kind == 0] = 1
    target = rng.integers(0, len(names), n)
    prepaid = np.flatnonzero(kind == 0)
    if len(prepaid):
        target[prepaid] = issuers[rng.integers(0, len(issuers), len(prepaid))]
    day = ctx.dates(n, date(2023, 1, 1), date(2025, 11, 30))
    number = np.arange(start, start + n)
    text = np.empty(n, dtype=object)
    card = np.array([c for _, c in TRADES.values()], dtype=object)[_trade_index(trade[target])]
    amount = rng.integers(5, 80, n) * 100
    for j, template in enumerate(PREPAID_TEMPLATES):
        sel = prepaid[number[prepaid] % len(PREPAID_TEMPLATES) == j]
        if len(sel):
            text[sel] = fmt(template, d=day[sel], m=names[target[sel]], c=card[sel], a=amount[sel],
                            s=np.array(MILD, dtype=object)[number[sel] % len(MILD)])
    other = np.flatnonzero(kind == 1)
    for j, template in enumerate(OTHER_TEMPLATES):
        sel = other[number[other] % len(OTHER_TEMPLATES) == j]
        if len(sel):
            text[sel] = fmt(template, m=names[target[sel]])
    civic = kind == 2
    text[civic] = np.array(CIVIC, dtype=object)[number[civic] % len(CIVIC)]
    topic = np.where(kind == 0, "预付卡纠纷", np.where(civic, "城市管理", "消费维权")).astype(object)
    return {"编号": fmt("12345-{k:09d}", k=number), "主题": topic, "详情": text,
            "时间": day.astype("datetime64[s]") + rng.integers(8 * 3600, 18 * 3600, n).astype("timedelta64[s]"),
            "地址": fmt("台州市{d}", d=district[target]),
            "来电人": np.where(rng.random(n) < 0.5, "王女士", "李先生").astype(object),
            "办理状态": ctx.pick(["已办结", "办理中"], n, [0.9, 0.1])}


class _Plants:
    """Planted merchants with their registers and complaints."""

    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.reg: list[dict] = []
        self.filings: list[dict] = []
        self.escrow: list[dict] = []
        self.tickets: list[dict] = []

    def merchant(self, trade: str, *, filed: bool, escrow: bool, status: str = "存续") -> tuple[str, str]:
        co = self.ctx.company(kinds=("有限公司",))
        k = len(self.reg)
        name = f"台州市椒江区诚信{NAME_CHARS[k]}{TRADES[trade][0]}"      # four characters: no background name
        self.reg.append({"统一社会信用代码": co["统一社会信用代码"], "企业名称": name, "行业": trade,
                         "注册地址": f"浙江省台州市椒江区市府大道{k + 1}号", "区域": "椒江区",
                         "成立日期": date(2020, 5, 1), "登记状态": status})
        if filed:
            self.filings.append({"统一社会信用代码": co["统一社会信用代码"], "企业名称": name,
                                 "备案编号": f"TZYFKP{k:04d}", "备案日期": date(2022, 6, 1)})
        if escrow:
            self.escrow.append({"统一社会信用代码": co["统一社会信用代码"], "存管银行": "台州银行",
                                "存管账号": f"8101P{k:09d}", "存管比例": 0.2, "开户日期": date(2022, 6, 1)})
        return co["统一社会信用代码"], name

    def unregistered(self, trade: str) -> str:
        """A shop that is named in complaints but not in 市场主体登记 (无照经营)."""
        return f"台州市椒江区无照{NAME_CHARS[len(self.tickets) % len(NAME_CHARS)]}{TRADES[trade][0]}"

    def complain(self, name: str, trade: str, days: list[date], *, severe: bool = False,
                 excluded: bool = False) -> None:
        for i, d in enumerate(days):
            if excluded:
                text = EXCLUDED_TEMPLATES[i % len(EXCLUDED_TEMPLATES)].format(m=name, a=100)
            else:
                state = SEVERE[i % len(SEVERE)] if severe else MILD[i % len(MILD)]
                text = PREPAID_TEMPLATES[i % len(PREPAID_TEMPLATES)].format(
                    d=str(d), m=name, c=TRADES[trade][1], a=2000, s=state)
            self.tickets.append({"编号": f"12345-P{len(self.tickets):07d}", "主题": "预付卡纠纷", "详情": text,
                                 "时间": datetime(d.year, d.month, d.day, 9, 30), "地址": "台州市椒江区",
                                 "来电人": "张女士", "办理状态": "办理中"})

    def run(self) -> None:
        ctx, m = self.ctx, MODEL
        base = date(2025, 3, 1)
        within = [base + timedelta(days=k) for k in (0, 20, 45, 60)]
        uscc, name = self.merchant("健身", filed=False, escrow=False)
        self.complain(name, "健身", within)
        ctx.plant(m, uscc, "R1", "未备案，60 天内 4 次投诉")
        uscc, name = self.merchant("美容美发", filed=True, escrow=False)
        self.complain(name, "美容美发", [base], severe=True)
        ctx.plant(m, uscc, "R2", "已备案未存管，投诉称商家跑路")
        uscc, name = self.merchant("教育培训", filed=True, escrow=True, status="注销")
        self.complain(name, "教育培训", within[:3])
        ctx.plant(m, uscc, "R3", "已注销仍被投诉预付卡 3 次")
        uscc, name = self.merchant("洗车", filed=False, escrow=False, status="吊销")
        self.complain(name, "洗车", within[:3])
        ctx.plant(m, uscc, "R1", "未备案且被吊销")
        ctx.plant(m, uscc, "R3", "未备案且被吊销")
        uscc, name = self.merchant("健身", filed=True, escrow=True)
        self.complain(name, "健身", within + [base + timedelta(days=70)], severe=True)
        ctx.near_miss(m, uscc, "已备案已存管的正常商户，投诉多")
        uscc, name = self.merchant("餐饮", filed=False, escrow=False)
        self.complain(name, "餐饮", within, excluded=True)
        ctx.near_miss(m, uscc, "投诉为公交卡/话费/电费充值，非预付卡")
        uscc, name = self.merchant("游泳", filed=False, escrow=False)
        self.complain(name, "游泳", within[:2])
        ctx.near_miss(m, uscc, "未备案但仅 2 次一般投诉")
        uscc, name = self.merchant("美容美发", filed=False, escrow=False)
        self.complain(name, "美容美发", [base, base + timedelta(days=100), base + timedelta(days=200)])
        ctx.near_miss(m, uscc, "未备案，3 次投诉分散在 200 天，任何 90 天内不足 3 次")
        name = self.unregistered("健身")
        self.complain(name, "健身", within[:3])
        ctx.plant(m, "商户:" + merchant_key(name), "R4", "登记中没有的商户，90 天内 3 次投诉（主体为文本中的商户名称）")
        uscc, name = self.merchant("教育培训", filed=False, escrow=False)
        self.complain(name, "教育培训", within[:2])
        self.tickets.append(dict(self.tickets[-1]))          # the same ticket exported twice
        ctx.near_miss(m, uscc, "2 张工单，其中一张导出了两行：按工单号只计 2 次，不足 3 次")
