"""The text function's fast path gives what the straightforward code gave, message for message.

The matcher finds literal terms with one Aho–Corasick pass, merchant keys look 行政区划 up by prefix,
the SQL function cleans without the quality checks and stops at the first merchant.  Each is
compared here with the plain version it replaced (kept below as the reference): the same matches,
the same explanations (JSON), the same words, merchants and keys, over the labelled fixture
messages, composed dirty messages, hand-made edge cases and the 12345 messages and registry names of a
small demo city.  (At scale the same comparison ran over 112,423 prefiltered medium-city messages and
200,009 registry names; docs/benchmarks.md, issue 20 target 6.)
"""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shujian.entity.normalize import company_base, normalize_company_name
from shujian.spec.text import TextStep
from shujian.text import merchants
from shujian.text.classify import topic_matchers
from shujian.text.clean import clean_text, cleaned
from shujian.text.library import get_rule, rule_names
from shujian.text.matcher import Matcher, Occurrence, _find_regex
from shujian.text.udf import FIELDS, screen_values

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text"


# ---------------------------------------------------------------- the reference (the code replaced)
class ReferenceMatcher(Matcher):
    """Candidates by the prefilter regex, then every term searched on its own (``str.find`` for
    literals), every unless-clause tested in rule order."""

    def match(self, text):
        if not self.candidate(text):
            return None
        result = self.explain(text)
        return result if result.matched else None

    def _occurrences(self, text, found):
        spans = [(m.start(), m.end(), m.group()) for m in self._ignore_re.finditer(text)] if self._ignore_re else []
        kept, dropped = [], []
        for term in self.terms:
            if term in self._regex:
                occs = _find_regex(text, term, self._regex[term])
            elif term in text:
                occs, pos = [], text.find(term)
                while pos >= 0:
                    occs.append(Occurrence(term, pos, pos + len(term), term))
                    pos = text.find(term, pos + 1)
            else:
                continue
            for occ in occs:
                why = self._why_not_reference(text, occ, spans)
                if why is None:
                    kept.append(occ)
                else:
                    dropped.append({"word": occ.text, "at": occ.start, "why": why})
        dropped.sort(key=lambda d: d["at"])
        return kept, dropped

    def _why_not_reference(self, text, occ, spans):
        for start, end, phrase in spans:
            if start < occ.end and occ.start < end:
                return f"惯用语“{phrase}”"
        for clause, terms, any_context in self._unless:
            if terms is not None and occ.term not in terms:
                continue
            if any_context is None or not any_context.search(text, max(0, occ.start - clause.before),
                                                             occ.end + clause.after):
                continue
            window = text[max(0, occ.start - clause.before):occ.end + clause.after]
            ctx = next((w for w in clause.context if w in window), None)
            if ctx is not None:
                return f"{clause.label or '语境'}“{ctx}”"
        if occ.term in self.whole and not self.seg.is_whole_word(text, occ.start, occ.end):
            return "不是整词（分词）"
        return None


_DIVISION_RE = re.compile("^(?:" + "|".join(map(re.escape, merchants._divisions())) + ")")


def reference_key(name):
    base = normalize_company_name(name) if name else None
    if not base:
        return None
    rest = base

    def core(n):
        found = list(merchants._BUSINESS_RE.finditer(n))
        m = found[-1] if found else None
        return n[:m.start()] if m is not None and m.end() == len(n) else n

    while (m := _DIVISION_RE.match(rest)) and len(core(rest[m.end():])) >= 2:
        rest = rest[m.end():]
    key = merchants._TRAIL.sub("", rest) or rest
    return key if len(core(key)) >= 2 else None


def reference_first(text):
    found = merchants.extract_merchants(text)
    return found[0] if found else None


def reference_screen(texts, rule, outputs):
    matcher = ReferenceMatcher(rule) if rule is not None else None
    cols = {f: [] for f in FIELDS}
    for value in texts:
        text = clean_text(value)[0] if value is not None else ""
        match = matcher.match(text) if matcher is not None else None
        mention = reference_first(text) if ("merchant" in outputs or "merchant_key" in outputs) and text else None
        cols["matched"].append(match is not None if matcher is not None else True)
        cols["explain"].append(json.dumps(match.to_dict(), ensure_ascii=False, separators=(",", ":"))
                               if match is not None else None)
        cols["words"].append("、".join(match.words) if match is not None else None)
        cols["merchant"].append(mention.name if mention else None)
        cols["merchant_key"].append(mention.key if mention else None)
        cols["name_key"].append(reference_key(text) if "name_key" in outputs and text else None)
    return cols


# ---------------------------------------------------------------- the messages
EDGE = [
    None, "", " ", 12345, "办卡跑路".encode("gbk"), "办卡跑路".encode(), b"\xff\xfe\x00",
    "办卡办卡办卡跑路跑路", "卡卡卡卡", "办了办了一张卡卡", "𠀀在力美健身办卡𠀀后老板跑路了𠀀",
    "预付卡_x000D_\n跑路\t了", "预付卡\r\n\r\n  跑路", "在\u3000力美健身\u00a0办卡  后跑路",
    "在ＡＢＣ健身办卡１２３元后跑路", "没有跑路，办卡后电梯关门", "防止商家卷款跑路，办卡需谨慎",
    "关门闭窗，办了年卡后少跑路", "充值" + "很" * 25_000 + "跑路", "交了学费" + "，" * 39 + "跑路",
    "交了学费" + "，" * 41 + "跑路", "报了课，老板跑路" * 30, "台州市椒江区力美健身服务有限公司",
    "椒江区力美健身房", "中山美容院", "在中山美容院办卡后跑路", "健身房健身中心健身", "在某健身房办卡",
]


def _labelled() -> list[str]:
    out = []
    for name in ("prepaid_labelled.tsv", "topics_labelled.tsv"):
        with (FIXTURES / name).open(encoding="utf-8", newline="") as fh:
            out += [row["text"] for row in csv.DictReader(fh, delimiter="\t")]
    return out


def _composed(bodies: list[str], n: int) -> list[str]:
    """Messages of three bodies each, numbers redrawn, some with escapes, tabs, quotes, full width."""
    rng = random.Random(20)
    dirt = ("_x000D_\n", "\t", '"', "“", "  ", "\u3000", "ＡＢ", "１２")
    out = []
    for _ in range(n):
        text = "".join(re.sub(r"\d+", lambda m: str(rng.randint(1, 9999)), rng.choice(bodies)) for _ in range(3))
        if rng.random() < 0.2:
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(dirt) + text[at:]
        out.append(text)
    return out


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from shujian.demo.core import generate

    out = tmp_path_factory.mktemp("text-city")
    generate("small", 11, out, groups=["justice"])
    return out


@pytest.fixture(scope="module")
def texts(city: Path) -> list:
    tickets = pq.read_table(next(city.glob("*_12345工单.parquet")), columns=["主题", "详情"]).to_pylist()
    demo = [f"{r['主题'] or ''}。{r['详情'] or ''}" for r in tickets]
    labelled = _labelled()
    return EDGE + labelled + _composed(labelled, 3000) + demo


@pytest.fixture(scope="module")
def names(city: Path) -> list:
    registry = pq.read_table(next(city.glob("*_市场主体登记.parquet")), columns=["企业名称"]).column(0).to_pylist()
    return EDGE + registry


# ---------------------------------------------------------------- the comparisons
def test_cleaning_for_the_function_is_clean_text(texts, names):
    for value in texts + names:
        assert cleaned(value) == clean_text(value)[0], value


@pytest.mark.parametrize("rule_name", [*rule_names(), "topics"])
def test_matches_and_explanations_are_the_reference(texts, rule_name):
    if rule_name == "topics":
        pairs = [(topic, m.rule) for topic, m in topic_matchers()]
    else:
        pairs = [(rule_name, get_rule(rule_name))]
    cleaned_texts = [clean_text(t)[0] for t in texts]
    matched = 0
    for _, rule in pairs:
        fast, ref = Matcher(rule), ReferenceMatcher(rule)
        for text in cleaned_texts:
            got, want = fast.match(text), ref.match(text)
            assert (got is None) == (want is None), text
            assert fast.words(text) == (want.words if want is not None else None), text
            if got is not None:
                matched += 1
                assert (got.to_json(), got.words, got.counted) == (want.to_json(), want.words, want.counted), text
            assert fast.explain(text).to_dict() == ref.explain(text).to_dict(), text
    assert matched > 100                      # the comparison saw matches, not only misses


@pytest.mark.parametrize("rule", [
    {"any": ["~退[一-龥]{0,2}费", "跑路"], "all": ["卡"], "exclude": ["公交卡"], "ignore": ["少跑路"],
     "near": [{"a": ["~(办|买)了?[一-龥]{0,3}卡", "充值"], "b": ["关门", "退"], "within": 10, "ordered": True}],
     "whole_word": True},
    {"any": ["~办了?[一二两三]张[一-龥]{0,4}卡", "~跑路?"]},                       # regex terms only
    {"all": ["卡", "退"], "unless": [{"context": ["没有", "不"], "before": 3}], "whole_word": ["退"]},
])
def test_regex_terms_and_whole_words_are_the_reference(rule):
    """Rules with regex terms (also only regex terms), exclusions, all-terms and whole words."""
    rule = TextStep.model_validate({"field": "x", "rule": rule}).rule
    fast, ref = Matcher(rule), ReferenceMatcher(rule)
    matched = 0
    for text in [clean_text(t)[0] for t in EDGE[1:] + _labelled()]:
        assert fast.explain(text).to_dict() == ref.explain(text).to_dict(), text
        got, want = fast.match(text), ref.match(text)
        assert (got and got.to_json()) == (want and want.to_json()), text
        assert fast.words(text) == (want.words if want is not None else None), text
        matched += got is not None
    assert matched > 5


def test_merchants_and_keys_are_the_reference(texts, names):
    cleaned_texts = [clean_text(t)[0] for t in texts]
    found = 0
    for text in cleaned_texts:
        got, want = merchants.first_merchant(text), reference_first(text)
        assert got == want, text
        found += got is not None
    assert found > 100
    candidates = [clean_text(n)[0] for n in names] + [m.name for t in cleaned_texts for m in
                                                      merchants.extract_merchants(t)]
    for name in candidates + TRICKY_NAMES + [n[i:] for n in candidates[:500] + TRICKY_NAMES for i in range(1, 4)]:
        assert merchants.merchant_key(name) == reference_key(name), name


TRICKY_NAMES = [
    "台州市椒江区力美健身服务有限公司", "台州市椒江区力美健身有限公司西湖分公司", "力美健身（椒江）有限公司",
    "力美(台州)健身有限公司", "力美 健身 有限公司", "力美健身有限责任公司", "力美健身股份有限公司", "有限公司",
    "公司", "集团", "力美集团有限公司", "力美健身合伙企业（有限合伙）", "力美健身个人独资企业", "ｌｉｍｅｉ健身公司",
    "麗人坊美容院", "lime健身", "力美健身分店", "力美健身营业部", "力美健身门店", "NULL", "无", "-", "　",
    "中山美容院", "中山市中山美容院", "椒江区健身房", "台州市台州健身中心", "台州市椒江区中心", "美容美发店",
    "杭州市西湖区力美健身中心健身房", "台州市温岭市金金鑫美容美发店", "黄岩区健身健身房有限公司", "乾隆健身",
    # a business word across the end of a 行政区划 name (张家口|口腔): the suffix is scanned on its own
    "河北省张家口腔诊所", "张家口腔诊所", "辽宁省兴隆台球馆", "兴隆台球馆", "托克托管中心", "内蒙古托克托育中心",
    "科尔沁左翼中心健身房", "河北省张家口力美口腔诊所",
]


def test_company_base_is_normalize_company_name(names):
    """The merchant key's short path for plain names (no brackets, spaces or branch) is the entity
    package's normalisation, name for name."""
    for name in [n for n in names + TRICKY_NAMES if isinstance(n, str) and n]:
        assert company_base(name) == normalize_company_name(name), name


def test_the_sql_function_is_the_reference(texts, names):
    step = TextStep.model_validate({"fields": ["a", "b"], "rule": {"use": "prepaid-card"},
                                    "merchant": "m", "merchant_key": "k"})
    config = json.dumps({"rule": step.rule.model_dump(mode="json", exclude_defaults=True),
                         "outputs": sorted(step.outputs())}, ensure_ascii=False)
    got = screen_values(texts, config)
    assert got == reference_screen(texts, step.rule, set(step.outputs()))
    assert sum(got["matched"]) > 100 and sum(k is not None for k in got["merchant_key"]) > 100
    # what a model that shows no explanation asks for (compiler.text.narrow_outputs): the same words,
    # merchants and keys on the matching rows, nothing computed for the others
    narrowed = json.dumps({**json.loads(config), "outputs": ["merchant_key", "words"], "matched_only": True},
                          ensure_ascii=False)
    fewer = screen_values(texts, narrowed)
    assert fewer["matched"] == got["matched"] and set(fewer["explain"]) == {None}
    for field in ("words", "merchant_key"):
        assert fewer[field] == [v if m else None for v, m in zip(got[field], got["matched"], strict=True)], field
    keys = '{"rule":null,"outputs":["name_key"]}'
    got = screen_values(names, keys)
    assert got == reference_screen(names, None, {"name_key"})
    assert sum(k is not None for k in got["name_key"]) > 1000
