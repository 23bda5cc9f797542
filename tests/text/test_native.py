"""The C loop of the text function (``shujian.text._native``) computes what the Python code computes:
the rule's words and the first merchant of random messages made of the rules' terms, idioms, context
words, business words, cut words, 行政区划 names, digits and line breaks, column by column; and the
function falls back to Python where the C loop cannot take a rule, or when it is off or not built."""

from __future__ import annotations

import json
import random
import re

import pyarrow as pa
import pytest
from tests.text.test_fast_paths import RULES, texts

from shujian.spec.text import TextRule
from shujian.text import merchants as mx
from shujian.text import native, udf
from shujian.text.matcher import Matcher

built = pytest.mark.skipif(native._native is None, reason="shujian.text._native not built (no C compiler)")

# the rule shapes the C loop takes (the "regex" rule less its two terms without known first characters)
NATIVE_RULES = {k: v for k, v in RULES.items() if k not in ("words", "regex")}
NATIVE_RULES["regex-known"] = {**RULES["regex"], "any": [t for t in RULES["regex"]["any"]
                                                         if t not in ("~退?费", "~[^，。]卡卡")]}
NATIVE_RULES["all-exclude"] = {"any": ["退费", "~欠[薪款]{1,2}"], "all": ["投诉"], "exclude": ["咨询"],
                               "ignore": ["水电费", "退费难"],
                               "unless": [{"terms": ["退费"], "context": ["没有", "不要", "退费难"], "before": 3,
                                           "after": 2}]}
MERCHANT_PIECES = [*mx._BUSINESS[:40], "店", "馆", "公司", "力美", "顺煜森", "在", "一家", "的", "后", "课后", "某某",
                   "小区", "门口", "台州市", "椒江区", "温岭", "\n", " ", "，", "3", "12", "AB", "x", "机构", "中山",
                   "有限公司", "服务", "個", "學", "（", "）"]


def config(rule: dict | None, outputs: list[str], matched_only: bool = True) -> str:
    data = {"rule": TextRule.model_validate(rule).model_dump(mode="json", exclude_defaults=True) if rule else None,
            "outputs": outputs, "matched_only": matched_only}
    return json.dumps(data, ensure_ascii=False)


def both(monkeypatch, values: list, cfg: str) -> tuple[dict, dict]:
    """``screen_values`` with the C loop and with the Python code (caches cleared before each).  The
    values an Arrow string array can hold (str and None) go through ``screen_arrow`` with the C loop
    too (from and to Arrow buffers, without the interpreter lock; an array that starts at an offset,
    with nulls): its columns must be the C loop's ``screen_values`` columns for them."""
    out = []
    for flag in ("1", "0"):
        monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", flag)
        mx.merchant_key.cache_clear()
        out.append(udf.screen_values(values, cfg))
    monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "1")
    arrow = arrow_columns([v for v in values if arrowable(v)], cfg)
    assert arrow == {f: [c for v, c in zip(values, out[0][f], strict=True) if arrowable(v)] for f in udf.FIELDS}
    return out[0], out[1]


def arrowable(value) -> bool:
    if value is None:
        return True
    try:
        return isinstance(value, str) and bool(value.encode("utf-8") or True)
    except UnicodeEncodeError:                  # a lone surrogate: no Arrow string holds it
        return False


def arrow_columns(values: list, cfg: str) -> dict[str, list]:
    """``udf.screen_arrow`` of ``values`` as an Arrow array starting at an offset, column by column."""
    array = pa.array([None, "办卡", *values], pa.string()).slice(2)
    got = udf.screen_arrow(array, cfg)
    return {f: got.field(f).to_pylist() for f in udf.FIELDS}


def messages(rule: dict, n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    base = texts(TextRule.model_validate(rule), n, seed)
    return [t if rnd.random() < 0.3 else
            t + "".join(rnd.choice(MERCHANT_PIECES) for _ in range(rnd.randint(1, 8))) + t[: rnd.randint(0, 30)]
            for t in base]


@built
@pytest.mark.parametrize("name", sorted(NATIVE_RULES))
def test_the_c_loop_gives_the_python_columns(monkeypatch, name):
    rule = NATIVE_RULES[name]
    assert native.rule(Matcher(TextRule.model_validate(rule))) is not None
    values = messages(rule, 2500, seed=len(name)) + ["", None, "预付卡", "在\n力美健身办卡，已跑路", b"\xe5\x8a\x9e", 12,
                                                     "ＡＢ办卡_x000D_后跑路 了，在\u3000力美健身", "跑" * 20_001 + "办卡"]
    for outputs, matched_only in ((["merchant", "merchant_key", "words"], True), (["words"], True),
                                  (["merchant", "merchant_key"], False)):
        fast, slow = both(monkeypatch, values, config(rule, outputs, matched_only))
        for field in udf.FIELDS:
            assert fast[field] == slow[field], (name, outputs, field)
    assert sum(map(bool, fast["matched"])) > 100 and sum(map(bool, fast["merchant"])) > 100


@built
def test_merchants_without_a_rule(monkeypatch):
    """Merchant extraction alone (a step without a rule): every text, line breaks before a business
    word (the Python function decides those), names whose key is None."""
    rnd = random.Random(5)
    values = ["".join(rnd.choice(MERCHANT_PIECES) for _ in range(rnd.randint(0, 14))) for _ in range(20_000)]
    fast, slow = both(monkeypatch, values, config(None, ["merchant", "merchant_key"], False))
    assert fast == slow
    assert sum(1 for v in fast["merchant"] if v) > 2000


@built
def test_the_prepaid_rule_on_the_demo_messages(monkeypatch):
    """The prepaid rule as the model's text step calls it, on messages shaped like the hotline's."""
    from shujian.text.library import rule_source

    rule = rule_source("prepaid-card")
    values = ["预付卡纠纷。来电人称在台州市温岭市顺煜森美容美发店充值600元的美容会员卡，门店要求补交费用才能继续使用，"
              "联系不上老板，要求相关部门处理。",
              "预付卡纠纷。本人于2023-02-28在台州市玉环市嘉星达健身会所办理健身年卡，充值5400元，现商家以装修为由暂停营业，要求退还余额。",
              "反映小区电梯晚上关门，物业费交了一年。", "在力美健身办的年卡，老板没有跑路，少跑路，话费充值后退款"]
    values += messages(rule, 3000, seed=1)
    fast, slow = both(monkeypatch, values, config(rule, ["merchant", "merchant_key", "words"]))
    assert fast == slow
    assert fast["merchant"][0] == "台州市温岭市顺煜森美容美发店" and fast["merchant_key"][0] == "顺煜森美容美发"


def test_rules_the_c_loop_cannot_take_run_in_python(monkeypatch):
    """Whole-word terms (jieba) or a regex term without known first characters: no C tables, and the
    function's columns are the Python code's; off (``SHUJIAN_TEXT_NATIVE=0``) or not built: Python."""
    for name in ("words", "regex"):
        assert native.rule(Matcher(TextRule.model_validate(RULES[name]))) is None
    monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "0")
    assert not native.enabled()
    monkeypatch.setattr(native, "_native", None)
    monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "1")
    assert not native.enabled()
    rule = NATIVE_RULES["plain"]
    out = udf.screen_values(["办卡后跑路了，在力美健身", "没有"], config(rule, ["merchant", "merchant_key", "words"]))
    assert out["matched"] == [True, False] and out["words"][0] == "办卡、跑路" and out["merchant"][0] == "力美健身"


PATTERNS = ["(办|买|充|续|存)[了的过一张]*[0-9A-Za-z一-龥]{0,6}卡", "收取[^，。；]{0,6}(学费|学员|家长|会员|费用|万元)",
            "(报了|报的|报名|买了|买的|交了|交的|付了|付的|续了|续的)[^，。；！？]{0,8}(课|费|卡|券)",
            "(全年|一年|两年|三年|半年|一学期|整年)的?[一-龥]{0,4}(费|课)", "a.b?c", "(?:ab|a)(?:bc|c)d", "x(?:y)*z",
            "(a|ab)(c|bcd)(d*)", "[^a-c]{2,3}b+", "(?:a|b)(?:c|)(?:a{1,2}|ab)b", "ab|a|", "[ab]?(?:c|dc)e"]


@built
@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_programs_match_what_re_matches(pattern):
    """A regex term's program (``native._program``, run by ``_native.rx_match``) ends where
    ``pattern.match(text, at)`` ends, at every position of random texts: alternatives in order with
    backtracking into them, greedy repeats giving back, negated classes, '.' and line breaks."""
    from shujian.text import _native

    compiled, program = re.compile(pattern), native._program(pattern)
    assert program is not None
    rnd = random.Random(pattern)
    alphabet = sorted(set(re.sub(r"[\\[\]()|?*+{}^.:0-9,-]", "", pattern))) + ["\n", "x", "。", "费", "1"]
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
        for at in range(len(text) + 1):
            found = compiled.match(text, at)
            assert _native.rx_match(program, text, at) == (found.end() if found else -1), (text, at)


def test_regex_shapes_without_a_program():
    """Flags, anchors, categories, lazy repeats and repeats of more than one character: no program
    (the term calls ``pattern.match``)."""
    for pattern in ("(?i)ab", "^a", r"\d+", "a+?", "(?:ab)+", r"(a)\1", "a$", "(?:a(?:b|c))?c"):
        assert native._program(pattern) is None, pattern


@built
def test_every_white_space_character_is_cleaned_as_python_cleans_it(monkeypatch):
    """The C loop's cleaning test knows the non-ASCII white space by a list (no call per character):
    every code point ``str.isspace`` calls white space, and its neighbours, inside a message give the
    Python columns (a missed one would leave a text uncleaned that the Python code cleans).  Mutation-checked:
    without U+3000 in the list this test fails."""
    from shujian.text.library import rule_source

    spaces = [c for c in range(128, 0x110000) if chr(c).isspace()]
    near = sorted({d for c in spaces for d in (c - 1, c, c + 1)} | {0x3001, 0xFF10, 0xFF5A, 0xFF5B})
    # a run of white space the cleaning makes one space brings 办卡 within 40 characters of 跑路
    values = [f"在力美健身办卡3000元{chr(c)}老板跑路了" for c in near] + [f"在力美健身办卡{chr(c) * 45}老板跑路了" for c in near]
    values += [f"{chr(c)}在顺煜森{chr(c)}美容店充值，{chr(c)}已跑{chr(c)}路" for c in near]
    rule = rule_source("prepaid-card")
    fast, slow = both(monkeypatch, values, config(rule, ["merchant", "merchant_key", "words"], False))
    assert fast == slow and sum(map(bool, fast["matched"])) > len(near) // 2


@built
def test_name_keys_in_c_are_merchant_key(monkeypatch):
    """A step's name keys (``name_key`` without ``name_key_among``) through ``_native.merchant_key``:
    the entity normalisation's result for plain names, the Python function for the rest (brackets,
    full-width and traditional characters, branch endings, null markers, white space)."""
    rnd = random.Random(9)
    pieces = [*MERCHANT_PIECES, "（椒江分店）", "分公司", "有限责任公司", "股份有限公司", "ＡＢ", "麗", "無", "NULL", "\u3000",
              "旗舰店", "个体工商户", "服务部", "温岭市", "台州"]
    values = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 8))) for _ in range(20_000)] + ["无", "—"]
    fast, slow = both(monkeypatch, values, config(None, ["name_key"], False))
    assert fast == slow and sum(1 for k in fast["name_key"] if k) > 5000


@built
def test_the_build_is_of_this_source(tmp_path):
    """The built module carries its source's digest; a build of other source (an editable install after a
    pull changed _native.c, whose functions may take other arguments) is not used."""
    from pathlib import Path

    source = Path(native.__file__).with_name("_native.c")
    assert native.fresh(native._native, source)
    changed = tmp_path / "_native.c"
    changed.write_bytes(source.read_bytes() + b"\n/* changed */\n")
    assert not native.fresh(native._native, changed)
    assert native.fresh(native._native, tmp_path / "missing.c")      # an installed wheel ships no source


@built
def test_arrow_buffers_are_screened_in_c_without_python_objects(monkeypatch):
    """The model's text step hands DuckDB's Arrow batches to ``native.screen_arrow`` (not to the list path):
    the prepaid rule, the model's outputs, a batch with nulls and messages the C loop hands back to Python
    (a text the cleaning changes, an over-long one, a line break before a business word, a branch name)."""
    from shujian.text.library import rule_source

    monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "1")
    rule = rule_source("prepaid-card")
    values = [*messages(rule, 500, seed=3), None, "在力美健身分店办卡，老板跑路", "在\n力美健身办卡，已跑路",
              "ＡＢ办卡_x000D_后跑路 了，在\u3000力美健身", "跑" * 20_001 + "办卡"]
    cfg = config(rule, ["merchant", "merchant_key", "words"])
    matcher = udf._compiled(cfg, ())[0]
    array = pa.array(values, pa.string())
    done = native.screen_arrow(matcher, array, merchant=True, words=True, matched_only=True)
    assert done is not None and all(isinstance(c, pa.StringArray) for c in done[1:])
    monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "0")
    slow = udf.screen_values(values, cfg)
    assert done[0].to_pylist() == slow["matched"]
    assert [c.to_pylist() for c in done[1:]] == [slow["words"], slow["merchant"], slow["merchant_key"]]
    assert sum(map(bool, slow["merchant"])) > 30


@built
def test_utf8_is_decoded_as_python_decodes_it(monkeypatch):
    """``screen_arrow`` decodes the array's UTF-8 itself: a regex term that takes any three characters
    after 卡 puts them in the words column, for characters of every UTF-8 length and at the edges of each;
    bytes Python refuses to decode (an overlong form, a surrogate, past U+10FFFF, a cut sequence) raise
    UnicodeDecodeError as ``bytes.decode`` does."""
    from shujian.text import _native
    from shujian.text.clean import MAX_CHARS, cleaned

    edges = [0x21, 0x7E, 0x7F, 0xA1, 0x7FF, 0x800, 0x4E00, 0xD7FF, 0xE000, 0xFFFD, 0x10000, 0x1F600, 0x10FFFF]
    rnd = random.Random(11)
    chars = [chr(c) for c in edges] + [chr(rnd.choice([rnd.randint(0x21, 0x7E), rnd.randint(0x100, 0x7FF),
                                                       rnd.randint(0x4E00, 0x9FFF), rnd.randint(0x10000, 0x10FFFF)]))
                                       for _ in range(400)]
    values = ["办卡" + "".join(rnd.choice(chars) for _ in range(rnd.randint(0, 5))) for _ in range(3000)]
    fast, slow = both(monkeypatch, values, config({"any": ["~卡[^卡]{0,3}"]}, ["words"]))
    assert fast == slow and len({w for w in fast["words"] if w}) > 2000
    monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "1")
    tables = native.rule(Matcher(TextRule.model_validate({"any": ["办卡"]})))
    for bad in (b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe5\x8a", b"\x80", b"\xff"):
        data = "办卡".encode() + bad
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        with pytest.raises(UnicodeDecodeError):
            _native.screen_arrow(tables, None, None, pa.array([0, len(data)], pa.int32()).buffers()[1], data, 0, 1,
                                 True, True, mx.first_merchant, cleaned, MAX_CHARS)


@built
def test_messages_are_screened_without_the_interpreter_lock(monkeypatch):
    """DuckDB calls the SQL function from each of its threads: ``_native.screen_arrow`` lets go of the
    interpreter lock while it screens, so another thread runs meanwhile.  The switch interval is made so
    long that the main thread would keep the lock throughout unless the C code releases it; a thread
    waiting for the lock when the batch starts records whether the batch is still being screened when it
    gets it.  (Mutation-checked: without Py_BEGIN_ALLOW_THREADS it records "after".)"""
    import sys
    import threading

    from shujian.text import _native
    from shujian.text.clean import MAX_CHARS, cleaned
    from shujian.text.library import rule_source

    rule = rule_source("prepaid-card")
    tables = native.rule(Matcher(TextRule.model_validate(rule)))
    array = pa.array(messages(rule, 2000, seed=4) * 100, pa.string())
    validity, offsets, data = array.buffers()
    args = (tables, native.merchants(), validity, offsets, data, 0, len(array), True, True, mx.first_merchant,
            cleaned, MAX_CHARS)
    state, seen, gate = ["before"], [], threading.Event()

    def waiter():
        gate.wait()
        seen.append(state[0])

    thread = threading.Thread(target=waiter)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    try:
        thread.start()
        gate.set()                  # the waiter now waits for the interpreter lock
        state[0] = "screening"
        _native.screen_arrow(*args)
        state[0] = "after"
        thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert seen == ["screening"]


@built
def test_arrow_buffers_that_do_not_cover_the_rows_are_refused():
    """The C loop reads an Arrow array's buffers directly: offsets or validity shorter than the rows,
    offsets out of order or past the data are a ValueError, never a read outside the buffers."""
    import struct

    from shujian.text import _native
    from shujian.text.clean import MAX_CHARS, cleaned
    from shujian.text.merchants import first_merchant

    texts = pa.array(["甲乙", "丙"])
    valid, offsets, data = texts.buffers()

    def screen(offs, count, data=data, offset=0):
        return _native.screen_arrow(None, None, valid, offs, data, offset, count, False, False, first_merchant,
                                    cleaned, MAX_CHARS)

    assert screen(offsets, 2)[0] == b"\x03"                   # both rows, no rule: both kept
    for offs, count, message in [(offsets, 3, "shorter than the array"), (offsets, -1, "shorter than the array"),
                                 (struct.pack("3i", 0, 6, 3), 2, "outside the data"),
                                 (struct.pack("3i", 0, 3, 99), 2, "outside the data"),
                                 (struct.pack("3i", -1, 3, 6), 2, "outside the data")]:
        with pytest.raises(ValueError, match=message):
            screen(offs, count)
    with pytest.raises(ValueError, match="outside the data"):
        screen(offsets, 2, data=b"\xe7\x94\xb2")              # the data ends inside the first row
