"""Names → division codes (地名解析): ``北京市东城区``, ``东城区`` in the context ``北京市``, ``椒江``.

A query is read from its end: the last part must be the name of a division (or its short form without
省/市/区/县/自治…), and what comes before it must be the names of its city and/or province. A name that
fits several divisions is reported as ambiguous with every candidate, never guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from .table import PLACEHOLDER_CITIES, Division, load_table

_PEOPLES = r"(?:[\u4e00-\u9fa5]{1,5}?族|维吾尔|蒙古|哈萨克|柯尔克孜|塔吉克)"
_SUFFIX_RE = re.compile(r"^(.{2,}?)(?:" + _PEOPLES + r"*自治(?:区|州|县|旗)|特别行政区|省|市|地区|区|县|旗|盟)$")


def short_name(name: str) -> str:
    """The name without its administrative suffix, if at least two characters remain.

    >>> [short_name(n) for n in ("东城区", "浙江省", "广西壮族自治区", "青龙满族自治县", "和县", "香港特别行政区",
    ...                          "新疆维吾尔自治区", "伊犁哈萨克自治州", "海西蒙古族藏族自治州")]
    ['东城', '浙江', '广西', '青龙', '和县', '香港', '新疆', '伊犁', '海西']
    """
    m = _SUFFIX_RE.match(name)
    return m.group(1) if m else name


@dataclass(frozen=True)
class Resolution:
    """The answer to a name: ``status`` is ``unique``, ``ambiguous`` or ``not_found``."""

    query: str
    matches: tuple[Division, ...] = field(default=())

    @property
    def status(self) -> str:
        codes = {d.code for d in self.matches}
        return "not_found" if not codes else ("unique" if len(codes) == 1 else "ambiguous")

    @property
    def code(self) -> str | None:
        """The code when the name is unique, else None."""
        return self.matches[0].code if self.status == "unique" else None


@lru_cache(maxsize=1)
def _name_index() -> dict[str, tuple[Division, ...]]:
    index: dict[str, list[Division]] = defaultdict(list)
    for periods in load_table().by_code.values():
        for d in periods:
            for key in {d.name, short_name(d.name)}:
                index[key].append(d)
    return {k: tuple(v) for k, v in index.items()}


def _names_of(code: str | None) -> set[str]:
    """Every name and short name the code ever had ('' for none)."""
    if code is None:
        return {""}
    out = set()
    for d in load_table().periods(code):
        if d.name not in PLACEHOLDER_CITIES:
            out |= {d.name, short_name(d.name)}
    return out or {""}


def _prefixes(d: Division) -> set[str]:
    """What may stand before the division's name: its city and/or province, full or short, or nothing."""
    city = d.parent if d.parent and d.parent.endswith("00") and not d.parent.endswith("0000") else None
    province = d.code[:2] + "0000" if d.level in ("city", "county") else None
    cities, provinces = _names_of(city), _names_of(province)
    return {p + c for p in provinces for c in cities} | cities | provinces | {""}


def _candidates(query: str) -> list[Division]:
    index = _name_index()
    out = []
    for cut in range(len(query)):
        for d in index.get(query[cut:], ()):
            if query[:cut] in _prefixes(d):
                out.append(d)
    return out


def _in_context(d: Division, context: str) -> bool:
    """``context`` is a code (its prefix must cover the division) or a name of an ancestor."""
    ctx = context.strip()
    if ctx.isdigit():
        stem = ctx[:2] if ctx.endswith("0000") else ctx[:4] if ctx.endswith("00") else ctx
        return d.code.startswith(stem)
    ancestors = {d.code[:2] + "0000", d.parent or ""}
    return any(ctx in _names_of(a) for a in ancestors if a) or ctx in _names_of(d.code)


def resolve_name(query: str, *, context: str | list[str] | None = None, on: date | None = None) -> Resolution:
    """Division(s) a place name stands for.

    ``context`` (a province/city name or code, or several) narrows a bare name such as ``朝阳区``;
    ``on`` keeps the names valid on that day; without it, names valid today win over former ones.
    """
    q = re.sub(r"\s+", "", query or "")
    found = _candidates(q) if q else []
    for ctx in [context] if isinstance(context, str) else (context or []):
        found = [d for d in found if _in_context(d, ctx)]
    if on is not None:
        found = [d for d in found if d.valid_on(on)]
    else:
        now = [d for d in found if d.valid_to is None]
        found = now or found
    seen: dict[tuple[str, str], Division] = {}
    for d in found:
        seen.setdefault((d.code, d.name), d)
    return Resolution(query=query, matches=tuple(sorted(seen.values(), key=lambda d: (d.code, d.valid_from))))
