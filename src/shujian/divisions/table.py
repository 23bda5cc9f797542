"""The division table with history (行政区划代码沿革): one :class:`Division` per code, name and period.

Two sources, merged once per process (see data/ORIGIN.md):

* the GB/T 2260 history 1980–today shipped inside python-stdnum (``stdnum/cn/loc.dat``), read at run
  time from the installed package, not copied here (LGPL data compiled from Wikipedia; reading it through
  the dependency keeps its licence where it is). Periods are whole years, both ends included.
* the 2023 统计用区划代码 (``data/*.csv``): names as of 2023, and the statistical codes (开发区, 新区…)
  that GB/T 2260 does not list.

Pure: no I/O beyond reading packaged data, no clock (``today`` is a parameter where it matters).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

#: the first year of the GB/T 2260 history (GB 2260-80); an entry without a start year dates from then
FIRST_YEAR = 1980
HISTORY_SOURCE = "GB/T 2260 沿革（python-stdnum cn/loc.dat）"
CURRENT_SOURCE = "统计用区划代码 2023"
#: 全国: the registration-authority code of national agencies in GB 32100 (统一社会信用代码 第3–8位)
NATIONAL = "100000"
#: placeholder city-level names: a county under one belongs directly to the province in a full name
PLACEHOLDER_CITIES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划",
                                "省直辖行政单位"})

_ENTRY_RE = re.compile(r"^\[(\d{4})?-(\d{4})?\](.+)$")


@dataclass(frozen=True)
class Division:
    """One name of one division code over one period (``valid_to`` None: still valid)."""

    code: str
    name: str
    level: str                 # province / city / county / national
    parent: str | None
    valid_from: date
    valid_to: date | None
    source: str

    def valid_on(self, day: date) -> bool:
        """Whether the code carried this name on ``day``.

        >>> d = Division("110228", "密云县", "county", "110200", date(1982, 1, 1), date(2015, 12, 31), "")
        >>> d.valid_on(date(2015, 6, 1)), d.valid_on(date(2016, 1, 1))
        (True, False)
        """
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def period(self) -> str:
        """``1982–2015``, ``1983–`` (still valid)."""
        return f"{self.valid_from.year}–{self.valid_to.year if self.valid_to else ''}"


def level_of(code: str) -> str:
    """province (NN0000), city (NNNN00), county (else); 100000 is 全国.

    >>> [level_of(c) for c in ("330000", "331000", "331002", "100000")]
    ['province', 'city', 'county', 'national']
    """
    if code == NATIONAL:
        return "national"
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def _parent_guess(code: str, known: set[str]) -> str | None:
    level = level_of(code)
    if level in ("province", "national"):
        return None
    city = code[:4] + "00"
    if level == "county" and city in known:
        return city
    return code[:2] + "0000"


def _history_entries(value: str) -> list[tuple[str, int, int | None]]:
    """``[1983-1994]东矿区,[1995-]古冶区`` → [(name, from, to), …]; no brackets: 1980 to now."""
    out = []
    for part in value.split(","):
        part = part.strip()
        m = _ENTRY_RE.match(part)
        if m:
            out.append((m.group(3), int(m.group(1) or FIRST_YEAR), int(m.group(2)) if m.group(2) else None))
        elif part:
            out.append((part, FIRST_YEAR, None))
    return out


def _history_lines() -> list[str]:
    try:
        return (resources.files("stdnum.cn") / "loc.dat").read_text(encoding="utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError):  # an stdnum without the table: current codes only
        return []


def _history_codes(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(6-digit code, raw entries) of ``lines`` of stdnum's loc.dat (format: 2-digit province lines,
    then indented 4-digit lines ``  0228 county="[1982-2015]密云县"``)."""
    province = None
    for line in lines:
        m = re.match(r"^(\d{2}) province=\"(.*)\"$", line)
        if m:
            province = m.group(1)
            continue
        m = re.match(r"^\s+(\d{4}) county=\"(.*)\"$", line)
        if m and province:
            yield province + m.group(1), m.group(2)


def _read_history() -> list[tuple[str, str, int, int | None]]:
    """(code, name, from year, to year) from stdnum's loc.dat."""
    return [(code, name, start, end) for code, value in _history_codes(_history_lines())
            for name, start, end in _history_entries(value)]


def _read_current() -> dict[str, str]:
    """The 2023 table: 6-digit code → name (provinces and cities padded with 0)."""
    out: dict[str, str] = {}
    data = resources.files("shujian.divisions") / "data"
    for fname, pad in (("provinces.csv", "0000"), ("cities.csv", "00"), ("areas.csv", "")):
        with (data / fname).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                out[row["code"] + pad] = row["name"]
    return out


def _merge(history: list[tuple[str, str, int, int | None]], current: dict[str, str]
           ) -> list[tuple[str, str, int, int | None, str]]:
    """History, plus each 2023 name that no history entry gives for 2023 (from 2023 on)."""
    rows = [(c, n, a, b, HISTORY_SOURCE) for c, n, a, b in history]
    in_2023: dict[str, set[str]] = defaultdict(set)
    for c, n, a, b in history:
        if a <= 2023 and (b is None or b >= 2023):
            in_2023[c].add(n)
    rows += [(c, n, 2023, None, CURRENT_SOURCE) for c, n in current.items() if n not in in_2023[c]]
    rows.append((NATIONAL, "全国", FIRST_YEAR, None, "GB 32100 登记管理机关代码"))
    return rows


@dataclass(frozen=True)
class DivisionTable:
    """All divisions by code (each code's periods in order)."""

    by_code: dict[str, tuple[Division, ...]]
    current: dict[str, str]

    def periods(self, code: str) -> tuple[Division, ...]:
        return self.by_code.get(code, ())


@lru_cache(maxsize=1)
def province_codes() -> frozenset[str]:
    """The province-level codes (NN0000, not 100000) of :func:`load_table` without building it (the
    resident-ID check needs only these; the whole table takes ≈ 0.2 s to build).

    The table's codes are those of the history lines with at least one entry, of the 2023 table and
    100000; a test compares this with ``load_table``."""
    codes = {c for c in _read_current() if c.endswith("0000")}
    # only the province lines and their 0000 lines are parsed (the rest is most of the file)
    lines = (line for line in _history_lines() if not line[:1].isspace() or line.lstrip().startswith("0000 "))
    codes.update(code for code, value in _history_codes(lines) if _history_entries(value))
    return frozenset(codes - {NATIONAL})


@lru_cache(maxsize=1)
def load_table() -> DivisionTable:
    """Build the merged table once (≈ 10,000 entries, a few milliseconds)."""
    current = _read_current()
    rows = _merge(_read_history(), current)
    known = {r[0] for r in rows}
    grouped: dict[str, list[Division]] = defaultdict(list)
    for code, name, start, end, source in rows:
        grouped[code].append(Division(
            code=code, name=name, level=level_of(code), parent=_parent_guess(code, known),
            valid_from=date(start, 1, 1), valid_to=date(end, 12, 31) if end else None, source=source))
    by_code = {c: tuple(sorted(ds, key=lambda d: (d.valid_from, d.name))) for c, ds in grouped.items()}
    return DivisionTable(by_code=by_code, current=current)
