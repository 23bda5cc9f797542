"""Place names → division codes, with context, dates and ambiguity reported as such."""

from __future__ import annotations

from datetime import date

import pytest

from shujian.divisions import resolve_name


@pytest.mark.parametrize("query,context,code", [
    ("北京市东城区", None, "110101"),
    ("东城区", None, "110101"),
    ("东城区", "北京市", "110101"),
    ("北京东城区", None, "110101"),               # short province name
    (" 北京市 东城区 ", None, "110101"),           # spaces as typed in forms
    ("朝阳区", "北京市", "110105"),
    ("朝阳区", "北京", "110105"),
    ("朝阳区", "110000", "110105"),               # context by code
    ("朝阳区", "吉林省长春市", None),              # a context that is not one name: nothing
    ("朝阳区", ["吉林省", "长春市"], "220104"),
    ("浙江省台州市椒江区", None, "331002"),
    ("台州市椒江区", None, "331002"),
    ("椒江", None, "331002"),
    ("南京市鼓楼区", None, "320106"),
    ("广西壮族自治区", None, "450000"),
    ("广西", None, "450000"),
    ("香港特别行政区", None, "810000"),
    ("崇文区", None, "110103"),                   # only former names: the former code
    ("北京市朝阳", None, "110105"),               # a short county name after its province
])
def test_unique(query, context, code):
    r = resolve_name(query, context=context)
    assert r.code == code
    assert r.status == ("unique" if code else "not_found")


@pytest.mark.parametrize("query,codes", [
    ("朝阳区", {"110105", "220104"}),
    ("鼓楼区", {"320106", "320302", "350102", "410204"}),
    ("密云县", {"110208", "110228"}),            # the same name under two codes over time
])
def test_ambiguous_names_list_every_candidate(query, codes):
    r = resolve_name(query)
    assert r.status == "ambiguous" and r.code is None
    assert {d.code for d in r.matches} >= codes


def test_a_date_picks_the_code_of_that_time():
    assert resolve_name("密云县", on=date(2000, 1, 1)).code == "110228"
    assert resolve_name("密云县", on=date(1981, 1, 1)).code == "110208"
    assert resolve_name("密云县", on=date(2020, 1, 1)).status == "not_found"
    assert resolve_name("密云区").code == "110118"


def test_current_name_wins_without_a_date():
    # 东郊区 (1980–1991) and 东丽区 (1992–) share 120110; 东丽区 today
    assert resolve_name("东丽区").code == "120110"
    assert resolve_name("东郊区").code == "120110"


@pytest.mark.parametrize("query", ["", "某某区", "上海市东城区", "东城区区", "北京市市辖区东城区"])
def test_not_found(query):
    r = resolve_name(query)
    assert r.status == "not_found" and r.matches == ()
