"""The justice group of the demo city (司法、民事、行政、公安 数据).

Datasets written here and the models they feed:

- 刑事判决被告人 / 刑事判决罪名 / 刑事判决前科 / 法定附加刑表 → probation-misuse (M3),
  accessory-penalty (M4)  — :mod:`justice_criminal`
- 民事案件 → frequent-lending-plaintiff (M7)  — :mod:`justice_civil`
- 施工许可 / 农民工工资专用账户 / 工资保证金 / 工程款支付担保 → migrant-wage-guarantee (M9)
  — :mod:`justice_wages`
- 市场主体登记 / 预付卡备案 / 资金存管 / 12345工单 → prepaid-card-complaints (M10)
  — :mod:`justice_prepaid`
- 公安案件 / 公安涉案人员 → gang-repeat-offenders (M13)  — :mod:`justice_gang`

Each part plants its violations and near-misses through ``ctx.plant``/``ctx.near_miss``; background
rows are generated so that they never satisfy a rule by chance.
"""

from __future__ import annotations

from typing import Any

from shujian.demo.groups import (
    justice_civil,
    justice_criminal,
    justice_gang,
    justice_prepaid,
    justice_wages,
)

PARTS = (justice_criminal, justice_civil, justice_wages, justice_prepaid, justice_gang)


def generate(ctx: Any) -> None:
    """Write every dataset of the justice group into the demo city ``ctx``."""
    for part in PARTS:
        part.generate(ctx)
