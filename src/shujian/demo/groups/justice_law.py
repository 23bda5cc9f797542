"""The statutory accessory-penalty table (法定附加刑表) as the demo uses it.

The table comes from :func:`shujian.law.accessory_table` when that module provides it; until then
(and as a safety net for the demo only) a small table written by hand from 刑法 is used.  The demo
derives the background judgments' accessory penalties *from this table*, so background rows satisfy
the table by construction whatever its content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

COLUMNS = ("罪名", "条文", "生效日期", "失效日期", "刑档序号", "主刑下限月数", "主刑上限月数",
           "罚金", "没收财产", "剥夺政治权利")
#: sentinel months of the law table: 无期徒刑 and 死刑 (含死缓)
LIFE_MONTHS = 10000
DEATH_MONTHS = 20000

_D97 = date(1997, 10, 1)
_A8 = date(2011, 5, 1)
_A11 = date(2021, 3, 1)
# Hand-written from 刑法 (1997 text and 修正案八、十一); 上限 None = up to 无期/死刑.
_FALLBACK: tuple[tuple[Any, ...], ...] = (
    ("危险驾驶罪", "第一百三十三条之一", _A8, None, 1, 1, 6, "必须", "无", "无"),
    ("交通肇事罪", "第一百三十三条", _D97, None, 1, 0, 36, "无", "无", "无"),
    ("交通肇事罪", "第一百三十三条", _D97, None, 2, 36, 84, "无", "无", "无"),
    ("过失致人死亡罪", "第二百三十三条", _D97, None, 1, 0, 84, "无", "无", "无"),
    ("盗窃罪", "第二百六十四条", _A8, None, 1, 0, 36, "必须", "无", "无"),
    ("盗窃罪", "第二百六十四条", _A8, None, 2, 36, 120, "必须", "无", "无"),
    ("盗窃罪", "第二百六十四条", _A8, None, 3, 120, None, "必须", "可以", "无"),
    ("诈骗罪", "第二百六十六条", _D97, None, 1, 0, 36, "必须", "无", "无"),
    ("诈骗罪", "第二百六十六条", _D97, None, 2, 36, 120, "必须", "无", "无"),
    ("诈骗罪", "第二百六十六条", _D97, None, 3, 120, None, "必须", "可以", "无"),
    ("故意伤害罪", "第二百三十四条", _D97, None, 1, 0, 36, "无", "无", "可以"),
    ("故意伤害罪", "第二百三十四条", _D97, None, 2, 36, 120, "无", "无", "可以"),
    ("故意伤害罪", "第二百三十四条", _D97, None, 3, 120, None, "无", "无", "可以"),
    ("故意杀人罪", "第二百三十二条", _D97, None, 1, 120, None, "无", "无", "可以"),
    ("故意杀人罪", "第二百三十二条", _D97, None, 2, 36, 120, "无", "无", "可以"),
    ("寻衅滋事罪", "第二百九十三条", _D97, None, 1, 0, 60, "无", "无", "无"),
    ("寻衅滋事罪", "第二百九十三条", _A8, None, 2, 60, 120, "可以", "无", "无"),
    ("开设赌场罪", "第三百零三条", _A11, None, 1, 0, 60, "必须", "无", "无"),
    ("开设赌场罪", "第三百零三条", _A11, None, 2, 60, 120, "必须", "无", "无"),
    ("帮助信息网络犯罪活动罪", "第二百八十七条之二", date(2015, 11, 1), None, 1, 0, 36, "必须", "无", "无"),
    ("职务侵占罪", "第二百七十一条", _D97, _A11, 1, 0, 60, "无", "无", "无"),
    ("职务侵占罪", "第二百七十一条", _D97, _A11, 2, 60, 180, "无", "可以", "无"),
    ("职务侵占罪", "第二百七十一条", _A11, None, 1, 0, 36, "必须", "无", "无"),
    ("职务侵占罪", "第二百七十一条", _A11, None, 2, 36, 120, "必须", "无", "无"),
    ("职务侵占罪", "第二百七十一条", _A11, None, 3, 120, None, "必须", "无", "无"),
    ("贩卖毒品罪", "第三百四十七条", _D97, None, 1, 180, None, "无", "必须", "无"),
    ("贩卖毒品罪", "第三百四十七条", _D97, None, 2, 84, 180, "必须", "无", "无"),
    ("贩卖毒品罪", "第三百四十七条", _D97, None, 3, 0, 36, "必须", "无", "无"),
    ("贩卖毒品罪", "第三百四十七条", _D97, None, 4, 36, 84, "必须", "无", "无"),
)


@dataclass(frozen=True)
class Band:
    """One row of the table: a 罪名's 法定刑档 in one statute version."""

    charge: str
    article: str
    start: date
    end: date | None          # inclusive: the last day the version is in force
    band: int
    low: int
    high: int | None
    fine: str
    confiscation: str
    deprivation: str


def accessory_rows() -> list[dict[str, Any]]:
    """Rows of 法定附加刑表 (from shujian.law when available, else the hand-written fallback)."""
    try:
        from shujian.law import accessory_table  # type: ignore[attr-defined]
    except ImportError:
        return [dict(zip(COLUMNS, r, strict=True)) for r in _FALLBACK]
    rows = accessory_table()
    return [dict(r) if isinstance(r, dict) else dict(zip(COLUMNS, r, strict=True)) for r in rows]


def dataset_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as the catalog dataset 法定附加刑表 stores them (dates as ``date``)."""
    return [{**r, "生效日期": _as_date(r["生效日期"]), "失效日期": _as_date(r["失效日期"])} for r in rows]


def _as_date(v: Any) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def bands(rows: list[dict[str, Any]] | None = None) -> list[Band]:
    """The table as typed bands."""
    out = []
    for r in rows if rows is not None else accessory_rows():
        if r.get("刑档序号") is None or r.get("主刑下限月数") is None:
            continue                      # 条文原文缺失（未知）的版本没有刑档
        out.append(Band(r["罪名"], r.get("条文", ""), _as_date(r["生效日期"]), _as_date(r["失效日期"]),
                        int(r["刑档序号"]), int(r["主刑下限月数"] or 0),
                        None if r["主刑上限月数"] is None else int(r["主刑上限月数"]),
                        r["罚金"], r["没收财产"], r["剥夺政治权利"]))
    return out


def sentinel_months(kind: str, months: int | None) -> int:
    """The months a 主刑 is compared with in the law table (无期 10000, 死刑/死缓 20000)."""
    if kind == "无期徒刑":
        return LIFE_MONTHS
    if kind.startswith("死刑"):
        return DEATH_MONTHS
    return int(months or 0)


def required(table: list[Band], charges: np.ndarray, offence: np.ndarray,
             months: np.ndarray, *, every: bool = False) -> dict[str, np.ndarray]:
    """Which accessories are 必须 for each (罪名, 犯罪日期, 主刑月数).

    ``every=False``: 必须 in *any* matching band (what the background gives, to stay on the safe
    side); ``every=True``: 必须 in *every* matching band, at least one band matching (what the model
    flags: a term on the border of two bands takes the milder requirement).  ``择一`` counts as a
    required fine.  ``offence`` is ``datetime64[D]``; ``months`` uses the table's sentinels.
    """
    n = len(charges)
    keys = ("fine", "confiscation", "deprivation")
    out = {k: np.full(n, every) for k in keys}
    seen = np.zeros(n, dtype=bool)
    by_charge: dict[str, list[Band]] = {}
    for b in table:
        by_charge.setdefault(b.charge, []).append(b)
    for charge in set(charges.tolist()):
        rows = np.flatnonzero(charges == charge)
        day, term = offence[rows], months[rows]
        for b in by_charge.get(charge, ()):
            hit = (day >= np.datetime64(b.start, "D")) & (term >= b.low)
            if b.end is not None:
                hit &= day <= np.datetime64(b.end, "D")
            if b.high is not None:
                hit &= term <= b.high
            seen[rows] |= hit
            flags = {"fine": b.fine in ("必须", "择一"), "confiscation": b.confiscation == "必须",
                     "deprivation": b.deprivation == "必须"}
            for k in keys:
                cur = out[k][rows]
                out[k][rows] = cur & (~hit | flags[k]) if every else cur | (hit & flags[k])
    if every:
        for k in keys:
            out[k] &= seen
    return out
