"""The matcher's fast paths give what its full path gives: random texts made of a rule's terms, its
idioms and context words and filler, every rule shape (near, any/all/exclude, whole words, regex
terms), compared field by field (match, explanation, words)."""

from __future__ import annotations

import random

import pytest

from shujian.spec.text import TextRule
from shujian.text.library import rule_source
from shujian.text.matcher import Matcher

RULES = {
    "prepaid": rule_source("prepaid-card"),
    "words": {"any": ["退费", "电费", "~欠[薪款]{1,2}"], "all": ["投诉"], "exclude": ["咨询"],
              "whole_word": True, "ignore": ["水电费"],
              "unless": [{"terms": ["退费"], "context": ["没有", "不要"], "before": 3, "after": 2}]},
    "plain": {"any": ["跑路", "关门"], "near": [{"a": ["办卡", "充值"], "b": ["退", "跑路"], "within": 6,
                                                "ordered": True}]},
    "context-only": {"any": ["关门", "停业"],
                     "unless": [{"context": ["电梯", "晚上"], "before": 5, "after": 5, "label": "其他含义"}]},
    # regex terms of every shape: first characters known (a literal, a class, an alternation, a repeat;
    # some of them also literal terms or context words) or not (an optional start, a negated class)
    # near clauses whose terms are not in rank order (a term of an earlier list, a repeated term)
    "unranked": {"any": ["跑路"], "near": [{"a": ["充值", "办卡", "跑路"], "b": ["关门", "退", "关门", "办卡"], "within": 10},
                                         {"a": ["退", "充值", "退"], "b": ["跑路", "办"], "within": 5}]},
    "regex": {"any": ["~(办|买)[了的一]*卡", "~欠[薪款]{1,2}", "~[0-9]{2,}元", "~(?:报了|报的|一年)+[一-龥]{0,3}课",
                      "~退?费", "~[^，。]卡卡", "办", "卡"],
              "near": [{"a": ["~(全年|半年)的?[一-龥]{0,2}费", "充值"], "b": ["跑路", "~不[见退]"], "within": 8}],
              "unless": [{"terms": ["办"], "context": ["欠", "一年"], "before": 3, "after": 1}]},
}
FILLER = "我在店里了的，。一二三健身房老板说现在要求处理ABC12 "


def pieces(rule: TextRule) -> list[str]:
    words = [t.lstrip("~")[:4] if t.startswith("~") else t for t in rule.terms()]
    words += list(rule.ignore) + [w for c in rule.unless for w in c.context]
    return words + ["办了年卡", "欠薪", "欠款款", "没有跑路", "电梯关门", "少跑路", "水电费", "办了一卡", "买的卡卡",
                    "120元", "报了报的网课", "全年的学费", "不见", "不退费", "卡卡卡"]


def texts(rule: TextRule, n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    parts = pieces(rule)
    out = []
    for _ in range(n):
        bits = [rnd.choice(parts) if rnd.random() < 0.45 else rnd.choice(FILLER) * rnd.randint(1, 4)
                for _ in range(rnd.randint(0, 14))]
        out.append("".join(bits))
    return out


@pytest.mark.parametrize("name", sorted(RULES))
def test_fast_path_equals_the_full_path(name):
    rule = TextRule.model_validate(RULES[name])
    fast, full = Matcher(rule), Matcher(rule)
    full.fast = False
    sample = texts(rule, 1500, seed=len(name))
    matched = quiet = 0
    for text in sample:
        got, want = fast.match(text), full.match(text)
        assert (got and got.to_dict()) == (want and want.to_dict()), text
        assert fast.explain(text).to_dict() == full.explain(text).to_dict(), text
        assert fast.words(text) == full.words(text) == (want.words if want is not None else None), text
        matched += want is not None
        quiet += fast._quiet is None or next(fast._quiet.iter(text), None) is None
    # both kinds of text were seen: some that match, some that do not; some with idioms/context words
    # (the full path), some without (the fast path)
    assert 50 < matched < len(sample) - 50
    assert 50 < quiet < len(sample) - 50 or fast._quiet is None


def test_business_word_test_equals_the_regex():
    from shujian.text.merchants import _BUSINESS, _BUSINESS_RE, _has_business_word

    rnd = random.Random(11)
    alphabet = "".join(sorted(set("".join(_BUSINESS)))) + "力美丽人坊在的了，。A1 "
    sample = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12))) for _ in range(4000)]
    sample += list(_BUSINESS) + [w[:-1] for w in _BUSINESS] + [w[1:] for w in _BUSINESS]
    got = [_has_business_word(x) for x in sample]
    assert got == [_BUSINESS_RE.search(x) is not None for x in sample]
    assert 500 < sum(got) < len(got) - 500


def test_first_characters_of_regex_terms():
    from shujian.text.matcher import _first_chars

    assert _first_chars("(办|买|充)[了的]*卡") == frozenset("办买充")
    assert _first_chars("(?:报了|一年)+课") == frozenset("报一")
    assert _first_chars("[0-9]{2,}元") == frozenset("0123456789")
    assert _first_chars("欠[薪款]") == frozenset("欠")
    # a match may start elsewhere, or anywhere: searched, not tried at known characters
    assert _first_chars("退?费") is None
    assert _first_chars("[^，。]卡") is None
    assert _first_chars("\\d+元") is None
    assert _first_chars("(?i)ab") is None
    assert _first_chars("[一-龥]卡") is None                # more than 256 characters


def test_regex_terms_tried_where_they_can_start_find_what_finditer_finds():
    """Occurrences of regex terms from the characters they can start with (overlapping candidates,
    a candidate inside the previous match) are ``_find_regex``'s, term by term."""
    from shujian.text.matcher import _find_regex

    rule = TextRule.model_validate(RULES["regex"])
    m = Matcher(rule)
    assert m._rx_tried and m._rx_searched            # both kinds of regex term are in the rule
    rnd = random.Random(5)
    parts = pieces(rule)
    tried = 0
    for _ in range(3000):
        text = "".join(rnd.choice(parts) if rnd.random() < 0.6 else rnd.choice(FILLER) for _ in range(rnd.randint(1, 12)))
        groups = m._words_scan(text)
        if groups is None:
            continue
        got = {t: occs for t, occs in groups if t.startswith("~")}
        want = {}
        for _, t, pattern in m._regex_ranks:
            occs = [tuple(o) for o in _find_regex(text, t, pattern)]
            if occs:
                want[t] = occs
        if m._quiet_text(text):
            assert got == want, text
            tried += any(t in got for _, (t, _) in m._rx_tried.items())
    assert tried > 300
