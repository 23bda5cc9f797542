"""Division codes by code and date, from 1980 to now (GB/T 2260 history + the 2023 table)."""

from __future__ import annotations

import doctest
from datetime import date

import pytest

import shujian.divisions as divisions
from shujian.divisions import (
    county_code,
    current_name,
    history,
    id_prefix_ok,
    is_valid_code,
    lookup,
    names,
    province_prefixes,
    table,
)
from shujian.divisions.table import CURRENT_SOURCE, load_table


@pytest.mark.parametrize("module", [divisions, names, table])
def test_doctests(module):
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("code,day,valid", [
    ("110228", None, True),                 # 密云县: a registration-authority code of 1982–2015
    ("110228", date(1982, 1, 1), True),     # first day of its first year
    ("110228", date(2015, 12, 31), True),   # last day of its last year (密云县 → 密云区 in 2015)
    ("110228", date(2016, 1, 1), False),    # the day after
    ("110118", date(2015, 11, 13), True),   # 密云区 from 2015: the year of change has both codes
    ("110118", date(2014, 12, 31), False),
    ("440101", None, True),                 # 广州市市辖区, listed since 1983, not in the 2023 county table
    ("110103", date(2010, 6, 30), True),    # 崇文区, abolished in 2010
    ("110103", date(2011, 1, 1), False),
    ("810000", None, True), ("820000", None, True), ("710000", None, True),   # 港、澳、台 as 区划
    ("810000", date(1996, 12, 31), False),  # 香港特别行政区 from 1997
    ("100000", None, True),                 # 全国: national registration authorities (GB 32100)
    ("130171", None, True),                 # a 统计用 code (开发区) of the 2023 table only
    ("130171", date(2020, 1, 1), False),    # known from 2023 on only
    ("110101001001", None, True),           # 12-digit town/village code of a valid county
    ("110101001", None, True),              # 9-digit township code (GB/T 10114)
    ("999999", None, False), ("110199", None, False), ("1101", None, False), ("11010100100", None, False),
    ("", None, False), ("11010a", None, False),
])
def test_valid_by_date(code, day, valid):
    assert is_valid_code(code, day) is valid


def test_history_of_a_renamed_code():
    assert [(d.name, d.period) for d in history("120110")] == [("东郊区", "1980–1991"), ("东丽区", "1992–")]
    assert [d.name for d in lookup("120110", date(1991, 7, 1))] == ["东郊区"]
    assert current_name("120110") == "东丽区"


def test_parent_and_level():
    (d,) = lookup("331002", date(2020, 1, 1))
    assert (d.name, d.level, d.parent) == ("椒江区", "county", "331000")
    (city,) = lookup("331000", date(2020, 1, 1))
    assert (city.name, city.level, city.parent) == ("台州市", "city", "330000")
    assert lookup("110101")[0].parent == "110100"  # 北京市市辖区
    assert lookup("330000")[0].parent is None


def test_county_code_truncates_town_codes():
    assert county_code("330102001001") == "330102"
    assert county_code(" 330102 ") == "330102"
    assert county_code("3301020010") is None


def test_every_2023_code_is_valid_in_2023():
    t = load_table()
    assert len(t.current) > 3300
    missing = [c for c in t.current if not is_valid_code(c, date(2023, 6, 30))]
    assert missing == []
    assert {d.source for ds in t.by_code.values() for d in ds} >= {CURRENT_SOURCE}


def test_province_prefixes_and_the_id_rule():
    prefixes = province_prefixes()
    assert {"11", "46", "50", "71", "81", "82"} <= prefixes and "83" not in prefixes and "10" not in prefixes
    assert len(prefixes) == 34
    assert id_prefix_ok("830000199001010012") and id_prefix_ok("810000199001010012")
    assert not id_prefix_ok("990000199001010012") and not id_prefix_ok("100000199001010012")
