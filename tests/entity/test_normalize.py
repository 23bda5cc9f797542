"""One test per normalisation rule of shujian.entity.normalize."""

from __future__ import annotations

from datetime import date

import pytest

from shujian.entity import normalize as n


@pytest.mark.parametrize(("raw", "want"), [
    ("張三", "张三"), ("陳偉", "陈伟"), ("鍾離", "钟离"), ("蕭峰", "萧峰"), ("後", "后"), ("髮", "发"),
    ("於丹", "於丹"),            # 於 is a surname of its own in GB 2312, not 于
    ("乾坤", "乾坤"),            # 乾 is not 干 in names
    ("张三", "张三"),            # simplified stays simplified
])
def test_to_simplified(raw, want):
    assert n.to_simplified(raw) == want


def test_halfwidth_digits_letters_and_space():
    assert n.to_halfwidth("１１０１０５　ＡＢ（") == "110105 AB("


@pytest.mark.parametrize(("raw", "want"), [
    (" 張 三 ", "张三"),                 # spaces, traditional
    ("张三（曾用名张山）", "张三"),        # annotation in brackets
    ("李四(男)", "李四"),
    ("买买提.艾力", "买买提·艾力"),        # dots unified to ·
    ("买买提•艾力", "买买提·艾力"),
    ("ＪＯＨＮ Smith", "JOHNSMITH"),      # full-width Latin, upper-case
    ("无", None), ("", None), (None, None), ("  ", None),
])
def test_normalize_person_name(raw, want):
    assert n.normalize_person_name(raw) == want


def test_id15_to_18_adds_century_and_check_digit():
    assert n.id15_to_18("110105491231002") == "11010519491231002X"
    assert n.id15_to_18("110105491331002") is None       # month 13
    assert n.id15_to_18("11010549123100") is None        # 14 digits


@pytest.mark.parametrize(("raw", "want"), [
    ("110105 1949-1231 002x", "11010519491231002X"),   # separators, lower-case x
    ("１１０１０５４９１２３１００２", "11010519491231002X"),   # full-width 15 digits
    ("110105491231002", "11010519491231002X"),
    ("1101051949123100", "1101051949123100"),          # invalid kept (cleaned), not dropped
    ("NULL", None),
])
def test_normalize_id_number(raw, want):
    assert n.normalize_id_number(raw) == want


def test_birth_date_sex_and_division_from_id():
    assert n.id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert n.id_birth_date("110105491231002") == date(1949, 12, 31)      # 15-digit too
    assert n.id_birth_date("11010519491331002X") is None                  # impossible date
    assert n.id_sex("11010519491231002X") == "女"                          # 17th digit 2: even
    assert n.id_sex("110105194912310011") == "男"
    assert n.id_division("11010519491231002X") == "110105"
    assert n.id_sex(None) is None and n.id_division("123") is None


@pytest.mark.parametrize(("raw", "want"), [
    ("1990-01-05", date(1990, 1, 5)), ("1990年1月5日", date(1990, 1, 5)), ("19900105", date(1990, 1, 5)),
    ("１９９０/１/５", date(1990, 1, 5)), ("1990-02-30", None), ("", None),
])
def test_normalize_birth_date(raw, want):
    assert n.normalize_birth_date(raw) == want


@pytest.mark.parametrize(("raw", "want"), [("男", "男"), ("F", "女"), ("2", "女"), ("male", "男"), ("未知", None)])
def test_normalize_sex(raw, want):
    assert n.normalize_sex(raw) == want


@pytest.mark.parametrize(("raw", "want"), [
    ("+86 138-0013-8000", "13800138000"), ("008613800138000", "13800138000"),
    ("(0571) 8888-6666", "057188886666"), ("１３８００１３８０００", "13800138000"), ("-", None),
])
def test_normalize_phone(raw, want):
    assert n.normalize_phone(raw) == want


def test_address_normalised_and_tokenised():
    assert n.normalize_address("浙江省 杭州市(西湖區)") == "浙江省杭州市（西湖区）"
    assert n.address_tokens("杭州市西湖区转塘街道 某某村3组12号") == ["杭州市", "西湖区", "转塘街道", "某某村", "3组", "12号"]
    assert n.address_tokens(None) == []


@pytest.mark.parametrize(("raw", "want"), [
    ("杭州某某科技有限公司", "杭州某某科技"),
    ("杭州某某科技有限责任公司", "杭州某某科技"),
    ("杭州某某科技有限責任公司", "杭州某某科技"),             # traditional
    ("杭州 某某科技股份有限公司", "杭州某某科技"),
    ("杭州某某科技有限公司西湖分公司", "杭州某某科技"),        # branch
    ("杭州某某科技有限公司（西湖分公司）", "杭州某某科技"),
    ("杭州某某科技有限公司(西湖分店)", "杭州某某科技"),        # half-width brackets
    ("某某（杭州）科技有限公司", "某某杭州科技"),              # region in brackets
    ("某某投资合伙企业（有限合伙）", "某某投资"),
    ("杭州银行股份有限公司西湖支行", "杭州银行"),
    ("沙县小吃", "沙县小吃"),                                # no legal form: kept
    ("有限公司", "有限公司"),                                # nothing but a legal form: kept whole
])
def test_normalize_company_name(raw, want):
    assert n.normalize_company_name(raw) == want


def test_company_name_split_and_keep_branch():
    parts = n.split_company_name("杭州某某科技有限公司西湖分公司")
    assert (parts.core, parts.legal_form, parts.branch) == ("杭州某某科技", "有限公司", "西湖分公司")
    assert n.normalize_company_name("杭州某某科技有限公司西湖分公司", keep_branch=True) == "杭州某某科技西湖分公司"
    assert n.clean_company_name("杭州 某某科技(集團)有限公司") == "杭州某某科技（集团）有限公司"
    assert n.split_company_name("空") is None
