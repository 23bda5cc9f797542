"""Statutory penalty bands (法定刑档) read from article text with regular expressions.

Months: 有期徒刑 6–180 (刑法第45条), 拘役 1–6 (第42条), 管制 3–24 (第38条).  无期徒刑 and 死刑 are
sentinel values so that a band choice stays a plain ``BETWEEN`` in SQL.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from shujian.law.numerals import cn_to_int

LIFE_MONTHS = 10_000   # 无期徒刑
DEATH_MONTHS = 20_000  # 死刑（含死刑缓期二年执行）
FIXED_MIN, FIXED_MAX = 6, 180
DETENTION = (1, 6)
SURVEILLANCE = (3, 24)

MANDATORY, OPTIONAL, EITHER, NONE = "mandatory", "optional", "either", "none"


@dataclass
class Band:
    """One 刑档: its principal penalty range and the accessory penalties it requires."""

    text: str
    min_months: int
    max_months: int
    fixed_max: int | None     # highest determinate term (有期/拘役/管制) in months, None if only 无期/死刑
    life: bool
    death: bool
    fine: str
    confiscation: str
    deprivation: str

    def to_dict(self) -> dict:
        """JSON form."""
        return asdict(self)


_N = r"[零一二两三四五六七八九十百\d]+"
_SENTENCE_START = re.compile(r"(?<![判])处(?!罚(?!金))(?![理置分])")
_RANGE = re.compile(rf"({_N})(年|个月)以上({_N})(年|个月)以下有期徒刑")
_BELOW = re.compile(rf"({_N})(年|个月)以下有期徒刑")
_ABOVE = re.compile(rf"({_N})(年|个月)以上有期徒刑")


def _months(number: str, unit: str) -> int:
    return cn_to_int(number) * (12 if unit == "年" else 1)


def parse_bands(text: str) -> list[Band]:
    """All 刑档 in a provision, in order.

    >>> [(b.min_months, b.max_months, b.fine) for b in parse_bands("处拘役，并处罚金。")]
    [(1, 6, 'mandatory')]
    """
    bands: list[Band] = []
    for clause in re.split(r"[；。]", text):
        if "对单位判处罚金" in clause:
            continue
        m = _SENTENCE_START.search(clause)
        if not m:
            continue
        band = _band(clause[m.start():])
        if band is not None:
            bands.append(band)
    return bands


def _band(clause: str) -> Band | None:
    principal, _, rest = clause.partition("，")
    lows: list[int] = []
    highs: list[int] = []
    fixed = _fixed_terms(principal)
    if fixed:
        lows.append(fixed[0])
        highs.append(fixed[1])
    for word, (low, high) in (("拘役", DETENTION), ("管制", SURVEILLANCE)):
        if word in principal:
            lows.append(low)
            highs.append(high)
    life, death = "无期徒刑" in principal, "死刑" in principal
    alone = re.search(r"(?:或者|、)(?:单处)?(?:罚金|剥夺政治权利)|^处(?:罚金|剥夺政治权利)", principal)
    if not (lows or life or death):
        return None
    fixed_max = max(highs) if highs else None
    low = 0 if alone else min(lows) if lows else (LIFE_MONTHS if life else DEATH_MONTHS)
    high = DEATH_MONTHS if death else LIFE_MONTHS if life else max(highs)
    fine, confiscation = _property(principal, rest)
    deprivation = MANDATORY if "附加剥夺政治权利" in rest and "可以" not in rest else (
        OPTIONAL if "附加剥夺政治权利" in rest else NONE)
    return Band(clause, low, high, fixed_max, life, death, fine, confiscation, deprivation)


def _fixed_terms(principal: str) -> tuple[int, int] | None:
    m = _RANGE.search(principal)
    if m:
        return _months(m.group(1), m.group(2)), _months(m.group(3), m.group(4))
    m = _BELOW.search(principal)
    if m:
        return FIXED_MIN, _months(m.group(1), m.group(2))
    m = _ABOVE.search(principal)
    if m:
        return _months(m.group(1), m.group(2)), FIXED_MAX
    return (FIXED_MIN, FIXED_MAX) if "有期徒刑" in principal else None


def _property(principal: str, rest: str) -> tuple[str, str]:
    """罚金 and 没收财产 status of one band.

    并处或者单处罚金 means a fine is imposed in every case: mandatory.  并处罚金或者没收财产 means one
    of the two must be imposed: ``either`` for both.
    """
    if re.search(r"可以(?:并处|单处)[^，；。]*?罚金或者没收财产", rest):
        return OPTIONAL, OPTIONAL
    if re.search(r"并处[^，；。]*?罚金或者没收财产", rest):
        return EITHER, EITHER
    fine = NONE
    if re.search(r"可以(?:并处|单处)[^，；。]*?罚金", rest):
        fine = OPTIONAL
    elif re.search(r"(?:并处|单处)[^，；。]*?罚金", rest):
        fine = MANDATORY
    elif re.search(r"(?:或者|、)(?:单处)?罚金", principal):
        fine = OPTIONAL  # 罚金 as an alternative principal sanction
    confiscation = NONE
    if "可以并处没收财产" in rest:
        confiscation = OPTIONAL
    elif "并处没收财产" in rest:
        confiscation = MANDATORY
    return fine, confiscation
