"""Unit tests: numerals, case numbers, bad inputs, sections and warnings."""

from __future__ import annotations

import doctest
from datetime import date

import pytest

from shujian.documents import casenumber, cleanup, numerals, parse_judgment, penalties
from shujian.documents.numerals import cn_to_int, parse_amount, parse_date, parse_term


@pytest.mark.parametrize("module", [numerals, casenumber, cleanup, penalties])
def test_doctests(module):
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("text,value", [
    ("零", 0), ("十", 10), ("十五", 15), ("二十", 20), ("一百零五", 105), ("两千", 2000),
    ("三万五千", 35000), ("一百万", 1_000_000), ("壹仟伍佰", 1500), ("12", 12), ("１２", 12),
    ("1.5万", 15000), ("二〇一九", 2019), ("十万零三百", 100300),
])
def test_cn_to_int(text, value):
    assert cn_to_int(text) == value


@pytest.mark.parametrize("text,value", [
    ("人民币三万五千元", 35000), ("人民币1.5万元", 15000), ("5,000元", 5000), ("2，000元", 2000),
    ("１０００元", 1000), ("人民币五十万元", 500000), ("50万元", 500000), ("人民币壹仟元", 1000),
    ("人民币一百万元", 1_000_000), ("罚金", None),
])
def test_parse_amount(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text,value", [
    ("一年零六个月", 18), ("十一个月", 11), ("一年又六个月", 18), ("十五年", 180), ("二年十个月", 34),
    ("6个月", 6), ("", None), ("有期徒刑", None),
])
def test_parse_term(text, value):
    assert parse_term(text) == value


def test_parse_date_forms():
    assert parse_date("二〇一七年五月十一日") == date(2017, 5, 11)
    assert parse_date("二○一八年五月十九日") == date(2018, 5, 19)
    assert parse_date("２０２２年１月５日") == date(2022, 1, 5)
    assert parse_date("2017年13月1日") is None


@pytest.mark.parametrize("text,procedure,court,seq,style", [
    ("（2018）苏0482刑初260号", "刑初", "苏0482", 260, "2016"),
    ("（2015）松刑初字第914号", "刑初", "松", 914, "old"),
    ("（2014）临罗刑一初字第81号", "刑初", "临罗", 81, "old"),
    ("(2019)川01刑终619号", "刑终", "川01", 619, "2016"),
    ("（2016）鄂0114刑再1号", "刑再", "鄂0114", 1, "2016"),
    ("（2020）最高法刑核12345678号", "刑核", "最高法", 12345678, "2016"),
    ("〔2021〕京0105民初3号", "民初", "京0105", 3, "2016"),
])
def test_case_numbers(text, procedure, court, seq, style):
    c = casenumber.parse_case_number(text)
    assert c is not None
    assert (c.procedure, c.court_code, c.sequence, c.style, c.text) == (procedure, court, seq, style, text)


def test_case_number_absent():
    assert casenumber.parse_case_number("京朝检刑诉〔2023〕Z123号") is None


@pytest.mark.parametrize("text", ["", "   ", "随便写的一段话，没有任何文书结构。", "<html><body></body></html>",
                                  "判决书", "（2018）苏0482刑初260号", "被告人" * 1000, "\x00\x01\x02"])
def test_bad_inputs_never_crash(text):
    j = parse_judgment(text, "x")
    d = j.to_dict()
    assert d["id"] == "x"
    assert d["error"] or d["warnings"]


def test_non_string_input_is_reported():
    j = parse_judgment(None)  # type: ignore[arg-type]
    assert j.error


def test_case_number_kept_as_written_with_fullwidth_digits():
    text = ("某县人民法院 刑事判决书 （２０２０）某０１０２刑初３３号 公诉机关某县人民检察院。 被告人甲某，男，"
            "1990年1月1日出生。 某县人民检察院指控被告人甲某犯盗窃罪，于2020年1月1日向本院提起公诉。"
            "经审理查明：2019年12月1日，甲某盗窃。本院认为，甲某的行为已构成盗窃罪。依照《中华人民共和国刑法》"
            "第二百六十四条之规定，判决如下： 被告人甲某犯盗窃罪，判处拘役三个月。 如不服本判决，可上诉。 "
            "审判员乙某 二〇二〇年三月一日")
    j = parse_judgment(text)
    assert j.case_number == "（２０２０）某０１０２刑初３３号"
    assert j.case_sequence == 33
    d = j.defendants[0]
    assert (d.penalty_type, d.term_months, d.charges) == ("拘役", 3, ["盗窃罪"])
    assert j.judgment_date == "2020-03-01"


def test_sections_and_spans_point_into_text():
    text = open_fixture("control_and_deprivation.txt")
    j = parse_judgment(text)
    assert list(j.sections) == ["首部", "当事人", "审理经过", "事实", "本院认为", "判决结果", "尾部"]
    verdict = j.sections["判决结果"]
    assert "判处管制一年六个月" in text[verdict.start:verdict.end]
    assert text[j.sections["本院认为"].start:].startswith("本院认为")
    for fact in j.facts:
        assert fact.value.startswith(text[fact.span.start:fact.span.start + 4]) or fact.kind == "amount"
    for d in j.defendants:
        assert text[d.header_span.start:d.header_span.end].startswith("被告人" + d.name)
        for c in d.custody:
            assert text[c.span.start:c.span.end] == c.measure


def test_statute_appendix_is_ignored():
    base = open_fixture("control_and_deprivation.txt")
    text = base + " 附：相关法律条文 《中华人民共和国刑法》第二百九十三条 有下列寻衅滋事行为之一…处五年以下有期徒刑、拘役或者管制；并处罚金人民币十万元"
    j = parse_judgment(text)
    assert [d.term_months for d in j.defendants] == [18, 36]
    assert all(d.fine_yuan is None for d in j.defendants)
    assert j.judgment_date == "2014-03-03"


def test_warning_when_term_dates_disagree():
    text = open_fixture("control_and_deprivation.txt").replace("至2016年5月5日止", "至2017年5月5日止")
    j = parse_judgment(text)
    assert any("不符" in w for w in j.defendants[1].warnings)
    assert j.confidence < 1.0


def test_warning_when_term_over_maximum():
    text = open_fixture("fullwidth_fine_only.txt").replace("判处拘役二个月", "判处拘役八个月")
    j = parse_judgment(text)
    assert any("法定最高" in w for w in j.defendants[0].warnings)


def test_warning_probation_without_term():
    text = open_fixture("fullwidth_fine_only.txt").replace("判处拘役二个月，缓刑三个月", "宣告缓刑三个月")
    j = parse_judgment(text)
    assert any("有缓刑但没有主刑刑期" in w for w in j.defendants[0].warnings)


def test_rejected_surrender_and_drug_reoffender_are_false():
    text = open_fixture("death_penalty_two_counts.txt").replace("系累犯", "系毒品再犯")
    d = parse_judgment(text).defendants[0]
    assert d.recidivist is False
    assert d.surrender is False
    assert "毒品再犯" in d.circumstances


def open_fixture(name: str) -> str:
    from .test_golden import FIXTURES

    return (FIXTURES / name).read_text(encoding="utf-8")
