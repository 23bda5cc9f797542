"""Court case numbers (案号): 2016 style （2018）苏0482刑初260号 and old style （2015）松刑初字第914号."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

#: 类型代字 of criminal (and a few other) cases, longest first for matching
TYPE_CODES = sorted(
    ["刑初", "刑终", "刑再", "刑申", "刑监", "刑更", "刑核", "刑复", "刑抗", "刑他", "刑请", "刑医",
     "刑赔", "刑止", "刑提", "刑令", "民初", "民终", "民申", "民再", "民特", "民监", "民辖",
     "行初", "行终", "行审", "行申", "执恢", "执异", "执复", "执监", "执保", "执"],
    key=len, reverse=True,
)

_OPEN, _CLOSE = "[（(〔［\\[]", "[）)〕］\\]]"
_NEW_RE = re.compile(
    _OPEN + r"\s*(\d{4})\s*" + _CLOSE + r"\s*([\u4e00-\u9fa5]{1,3}\d{0,4})\s*("
    + "|".join(TYPE_CODES) + r")\s*(\d+)\s*号"
)
_OLD_RE = re.compile(
    _OPEN + r"\s*(\d{4})\s*" + _CLOSE + r"\s*([\u4e00-\u9fa5]{0,6}?)\s*(刑|民|行|执)"
    r"([一二三四五六七八九十]?)(初|终|再|申|监|更|核|复|抗|他)?\s*字\s*第\s*(\d+)\s*号"
)


@dataclass
class CaseNumber:
    """One parsed 案号; ``text`` is exactly as written, ``procedure`` the normalised 类型代字."""

    text: str
    year: int
    court_code: str
    type_code: str
    sequence: int
    procedure: str
    style: str  # "2016" or "old"
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def find_case_number(text: str, start: int = 0) -> CaseNumber | None:
    """Return the first case number at or after ``start`` (either style), or ``None``.

    >>> find_case_number("（2018）苏0482刑初260号").procedure
    '刑初'
    >>> c = find_case_number("（2015）洪刑二初字第23号")
    >>> (c.court_code, c.type_code, c.procedure, c.sequence, c.style)
    ('洪', '刑二初', '刑初', 23, 'old')
    >>> find_case_number("（2019）川01刑终619号").court_code
    '川01'
    >>> find_case_number("无案号") is None
    True
    """
    hits = [h for h in (_match_new(text, start), _match_old(text, start)) if h is not None]
    return min(hits, key=lambda c: c.start) if hits else None


def parse_case_number(text: str) -> CaseNumber | None:
    """Parse a string that is (or contains) one case number."""
    return find_case_number(text)


def iter_case_numbers(text: str):
    """Yield every case number in ``text`` in order."""
    pos = 0
    while (hit := find_case_number(text, pos)) is not None:
        yield hit
        pos = hit.end


def _match_new(text: str, start: int) -> CaseNumber | None:
    m = _NEW_RE.search(text, start)
    if not m:
        return None
    year, court, code, seq = m.groups()
    return CaseNumber(m.group(0), int(year), court, code, int(seq), code, "2016", m.start(), m.end())


def _match_old(text: str, start: int) -> CaseNumber | None:
    m = _OLD_RE.search(text, start)
    if not m:
        return None
    year, court, kind, division, stage, seq = m.groups()
    code = kind + division + (stage or "")
    return CaseNumber(m.group(0), int(year), court, code, int(seq), kind + (stage or ""), "old",
                      m.start(), m.end())
