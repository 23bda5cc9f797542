"""Bad input never crashes and is counted; merchants named in messages; registry matching."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shujian.text.clean import QualityCounts, clean_text, decode_bytes
from shujian.text.merchants import (
    _AFTER,
    _CUT_WORDS,
    Registry,
    extract_merchants,
    first_merchant,
    merchant_key,
)
from shujian.text.udf import screen_values

# the alternation the merchant extractor's automaton pass replaced: the reference its cuts are checked against
_LEFT_CUT = re.compile("(?:" + "|".join(f"(?<!课){w}" if w == _AFTER else re.escape(w) for w in _CUT_WORDS) + ")")

BAD = {
    "excel": "办卡_x000D_\n后跑路",
    "tabs": "预付卡\t跑路",
    "quotes": '他说"会退钱"，“一定退”',
    "long": "预付卡" + "很" * 12_000 + "跑路",
    "huge": "很" * 30_000,
    "empty": "   ",
    "none": None,
    "gbk_as_utf8": "我在力美健身办卡".encode().decode("gbk", errors="replace"),
    "bytes_gbk": "在力美健身办卡，老板跑路".encode("gbk"),
    "number": 12345,
}


def test_bad_input_is_cleaned_and_counted():
    counts = QualityCounts()
    for value in BAD.values():
        counts.add(clean_text(value)[1])
    p = counts.to_dict()["problems"]
    assert p["excel_escape"] == 1 and p["line_break"] == 1 and p["tab"] == 1 and p["quote"] == 1
    assert p["long"] == 2 and p["truncated"] == 1 and p["empty"] == 2 and p["mojibake"] >= 2
    assert p["not_text"] == 1 and counts.messages == len(BAD)
    assert clean_text(BAD["excel"])[0] == "办卡 后跑路"
    assert clean_text("ＡＢＣ１２３，。")[0] == "ABC123，。"          # letters/digits only; Chinese punctuation kept
    assert decode_bytes(BAD["bytes_gbk"]) == "在力美健身办卡，老板跑路"


def test_the_sql_function_survives_every_bad_value():
    config = '{"rule":{"any":["跑路"]},"outputs":["explain","merchant","merchant_key","words"]}'
    out = screen_values(list(BAD.values()), config)
    assert len(out["matched"]) == len(BAD)
    assert out["matched"][list(BAD).index("bytes_gbk")] is True
    assert out["merchant_key"][list(BAD).index("bytes_gbk")] == "力美健身"
    assert out["matched"][list(BAD).index("none")] is False


@pytest.mark.parametrize("text, names", [
    ("来电人反映其在椒江区力美健身办理年卡，现力美健身已关门", ["椒江区力美健身"]),
    ("市民反映在星辰教育培训学校给孩子报了课，学校停课", ["星辰教育培训学校"]),
    ("诉求人称在丽人坊美容院（东门店）充值5000元", ["丽人坊美容院"]),
    ("来电人反映在新起点驾校交了学费，驾校不退费", ["新起点驾校"]),
    ("小区门口的一家健身房突然关门，前两天宠物店也关了", []),
    ("上了8节后拳馆倒闭，工作人员说公司没钱", []),
])
def test_merchants_named_in_messages(text, names):
    assert [m.name for m in extract_merchants(text)] == names


def test_merchant_keys_use_the_entity_normalisation():
    """One company-name normalisation for entity resolution and merchants: 繁体, full width, spaces,
    legal form and branch are the entity package's; the merchant key only drops places and shop words."""
    from shujian.entity.normalize import normalize_company_name

    for raw in ("台州市椒江區力美健身服務有限公司", "力美健身有限公司（椒江分公司）", "力美健身 有限責任公司"):
        assert merchant_key(raw) == "力美健身"
    assert merchant_key("ＡＢＣ健身 有限公司") == normalize_company_name("ABC健身有限公司") == "ABC健身"


def test_match_keys_and_registry():
    assert merchant_key("台州市椒江区力美健身服务有限公司") == merchant_key("椒江区力美健身房") == "力美健身"
    assert merchant_key("中山美容院") == "中山美容院"           # a place word that is the whole name stays
    assert merchant_key("某健身房") is None
    reg = Registry([("91331002MA2AAAAA1X", "台州市椒江区力美健身服务有限公司"),
                    ("91331002MA2BBBBB2X", "台州市椒江区丽人坊美容有限公司"),
                    ("91331002MA2CCCCC3X", "台州市黄岩区金顺机动车驾驶员培训有限公司")])
    assert reg.match("力美健身").uscc == "91331002MA2AAAAA1X"
    m = reg.match("丽人坊美容院（东门分店）")
    assert m is not None and m.uscc == "91331002MA2BBBBB2X" and m.score >= 85
    assert reg.match("星辰教育培训学校") is None
    assert reg.find_in("在丽人坊美容办了卡").name.startswith("台州市椒江区丽人坊")
    assert first_merchant("我在力美健身办卡").key == "力美健身"


def test_business_runs_are_the_alternations_matches():
    """``_business_runs`` (one automaton pass) gives the spans ``_BUSINESS_RE.finditer`` gives: chains
    of business words (教育培训学校), nested and overlapping words (美容美发店, 健身房馆), words
    of equal length at one position, on random texts of business words and other characters."""
    import random

    from shujian.text.merchants import _BUSINESS, _BUSINESS_RE, _business_runs

    rng = random.Random(3)
    pieces = [*_BUSINESS, "力美", "的", "在", "店店", "x", "健", "身", "美", "容", "。"]
    texts = ["", "健身房", "教育培训学校", "美容美发店", "在力美健身办卡，力美健身已关门"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 10))) for _ in range(20_000)]
    for text in texts:
        assert _business_runs(text) == [m.span() for m in _BUSINESS_RE.finditer(text)], text


def test_mentions_and_division_prefixes_are_the_regexes():
    """``_mention`` finds the name before a business word as ``_NAME_CHARS.search`` (``[…]+$``) did — a
    line break ending the window included, where ``$`` matches before it — and ``_leading_division``
    (names looked up by their first two characters) is the anchored alternation of the 行政区划 names,
    longest first; on random texts of names, divisions, cut words, digits, letters and line breaks."""
    import random
    import re

    from shujian.text import merchants as m

    def reference_mention(text, start, end):
        left = text[max(0, start - m._MAX_NAME):start]
        run = m._NAME_CHARS.search(left)
        if run is None:
            return None
        name_start = start - len(run.group())
        prefix = run.group()
        cuts = list(_LEFT_CUT.finditer(prefix))
        if cuts:
            name_start += cuts[-1].end()
            prefix = prefix[cuts[-1].end():]
        if len(prefix) < 2 or prefix in m._GENERIC or prefix in m._division_set() or prefix.isdigit():
            return None
        if prefix[0].isdigit() or prefix[1].isdigit() or m._SHOP_WORD.search(prefix) or m._has_business_word(prefix):
            return None
        name = text[name_start:end]
        key = m.merchant_key(name)
        return m.Mention(name, name_start, key) if key else None

    division_re = re.compile("^(?:" + "|".join(map(re.escape, m._divisions())) + ")")
    rng = random.Random(8)
    pieces = ["健身房", "美容院", "店", "培训学校", "力美", "顺煜森", "在", "一家", "的", "台州市", "椒江区", "温岭",
              "\n", " ", "，", "3", "AB", "x", "后", "课后", "某某", "小区", "台", "州", "江"]
    checked = 0
    for _ in range(8000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        for start, end in m._business_runs(text):
            assert m._mention(text, start, end) == reference_mention(text, start, end), text
            checked += 1
        for i in range(len(text)):
            found = division_re.match(text[i:])
            assert m._leading_division(text[i:]) == (found.end() if found else 0), text[i:]
    assert checked > 5000


def test_last_cut_is_the_alternations_last_match():
    """``_last_cut_end`` (one automaton pass) ends where the last of ``_LEFT_CUT.finditer`` ends: words
    that overlap or contain one another (前两天/两天, 某某/某, 去/去年), 后 after 课 or not, at the start."""
    import random

    from shujian.text import merchants as m

    rng = random.Random(12)
    pieces = [*m._CUT_WORDS, "课", "课后", "力美", "x", "前", "两", "天", "某某某", "。"]
    for _ in range(30_000):
        prefix = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))[:m._MAX_NAME]
        cuts = list(_LEFT_CUT.finditer(prefix))
        assert m._last_cut_end(prefix) == (cuts[-1].end() if cuts else 0), prefix


_CLEANING = [*"预付卡跑路了力美健身 ab", "\n", "\r", "\t", "\u3000", "\u00a0", "\x00", "\x1c", "\u2028", "ＡＢ１ｚ",
             "_x000D_", "_x000", "  ", "（）"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.sampled_from(_CLEANING), max_size=12).map("".join)), max_size=30))
def test_a_batch_is_cleaned_as_each_of_its_texts(values):
    from shujian.text.clean import cleaned, cleaned_all

    assert cleaned_all(values) == [cleaned(v) for v in values]


def test_a_clean_batch_is_returned_as_it_is_and_an_odd_value_is_cleaned():
    from shujian.text.clean import MAX_CHARS, cleaned, cleaned_all

    clean = ["来电人反映力美健身跑路", "台州市椒江区力美健身服务有限公司", ""]
    assert cleaned_all(clean) == clean and cleaned_all([None, *clean]) == ["", *clean]
    odd = [*clean, b"\xe9\xa2\x84\xe4\xbb\x98", 12, "x" * (MAX_CHARS + 5), " 前后空格 "]
    assert cleaned_all(odd) == [cleaned(v) for v in odd]
