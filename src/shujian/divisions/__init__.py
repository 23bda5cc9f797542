"""行政区划代码 with history (1980–today): lookup by code and date, names → codes, town codes.

Pure functions over a table built once from python-stdnum's GB/T 2260 history and the packaged 2023
统计用区划代码 (see ``table.py`` and ``data/ORIGIN.md``)::

    >>> [d.name + d.period for d in lookup("110228")]
    ['密云县1982–2015']
    >>> is_valid_code("110228"), is_valid_code("110228", on=date(2020, 1, 1))
    (True, False)
    >>> county_code("330102001001")
    '330102'
    >>> resolve_name("朝阳区").status, resolve_name("朝阳区", context="北京市").code
    ('ambiguous', '110105')

The rules the catalog checks use (``shujian.catalog.semantic``):

* a 行政区划代码 value is valid when it is 6, 9 (乡镇, GB/T 10114) or 12 digits (统计用区划代码 with
  town and village) and its first six digits are a division code valid at some time from 1980 to now
  (``710000``, ``810000``, ``820000`` and ``100000`` 全国 included);
* a resident ID's first two digits must be a province code valid at some time (or 83, the prefix of
  台湾居民居住证); the county digits are not required to be in the table — see
  :func:`id_prefix_ok`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from .names import Resolution, resolve_name, short_name
from .table import NATIONAL, Division, load_table, province_codes  # noqa: F401 - NATIONAL: as before

__all__ = ["Division", "Resolution", "county_code", "current_name", "history", "id_prefix_ok", "is_valid_code",
           "lookup", "province_prefixes", "resolve_name", "short_name"]

_CODE_RE = re.compile(r"\d{6}(?:\d{3}|\d{6})?")
#: 台湾居民居住证 numbers start with 830000 (港澳居民居住证: 810000 / 820000, which are division codes)
RESIDENCE_PERMIT_PREFIXES = frozenset({"83"})


def county_code(code: str) -> str | None:
    """The 6-digit county (or city/province) code of a 6-, 9- or 12-digit code; None if not digits.

    >>> county_code("110101001001"), county_code("110101001"), county_code("11010")
    ('110101', '110101', None)
    """
    c = (code or "").strip()
    return c[:6] if _CODE_RE.fullmatch(c) else None


def history(code: str) -> tuple[Division, ...]:
    """Every name the 6-digit code (or the county of a longer code) has had, oldest first."""
    c = county_code(code)
    return load_table().periods(c) if c else ()


def lookup(code: str, on: date | None = None) -> list[Division]:
    """The division(s) a code stands for: on ``on`` if given, else over the whole history.

    A year of change gives both the old and the new name (the history is kept by year).
    """
    periods = history(code)
    return [d for d in periods if d.valid_on(on)] if on else list(periods)


def is_valid_code(code: str, on: date | None = None) -> bool:
    """Whether ``code`` (6, 9 or 12 digits) names a division on ``on``, or at some time since 1980."""
    return bool(lookup(code, on))


def current_name(code: str) -> str | None:
    """The name in the 2023 table, else the latest name in the history."""
    c = county_code(code)
    if c is None:
        return None
    periods = load_table().periods(c)
    return load_table().current.get(c) or (periods[-1].name if periods else None)


@lru_cache(maxsize=1)
def province_prefixes() -> frozenset[str]:
    """Two-digit province codes valid at some time (incl. 71 台湾, 81 香港, 82 澳门)."""
    return frozenset(c[:2] for c in province_codes())


def id_prefix_ok(number: str) -> bool:
    """The region rule of a resident ID (GB 11643): a province valid at some time, or 83 (居住证).

    The six-digit 户籍 code itself is not required to be in the table: the check digit already catches
    every single wrong digit, and real IDs carry codes the table lacks (codes issued locally before a
    national revision, 开发区 numbers, misprints kept on record); rejecting them would call real people's
    numbers invalid.  :func:`lookup` on ``number[:6]`` tells where the code points when it is known.
    """
    prefix = (number or "")[:2]
    return prefix in province_prefixes() or prefix in RESIDENCE_PERMIT_PREFIXES
