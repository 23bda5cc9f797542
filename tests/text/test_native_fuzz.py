"""The C loop of the text function on text nobody planned: any Unicode (astral characters, NUL,
combining marks, full-width forms, lone line breaks), very long messages, and the rules' words cut
and glued into it.  Its columns must be the Python code's, and it must not keep memory per call."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.text.test_native import MERCHANT_PIECES, NATIVE_RULES, both, built, config

from shujian.text import udf
from shujian.text.library import rule_source

PREPAID = rule_source("prepaid-card")
PIECES = [*MERCHANT_PIECES, *PREPAID.get("any", []), "跑路", "退费", "预付卡", "办卡", "😀", "\x00", "𠀀", "é",
          "\u200b", "\ufeff", "Ａ", "１２", "\r\n", "\t", "。", "！"]
TEXT = st.lists(st.one_of(st.text(max_size=6), st.sampled_from(PIECES)), max_size=40).map("".join)


@built
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=30),
       name=st.sampled_from(sorted(NATIVE_RULES) + ["prepaid"]))
def test_any_text_gives_the_pythonboth(monkeypatch, values, name):
    rule = PREPAID if name == "prepaid" else NATIVE_RULES[name]
    for outputs, matched_only in ((["merchant", "merchant_key", "words"], True), (["merchant", "merchant_key"], False)):
        fast, slow = both(monkeypatch, values, config(rule, outputs, matched_only))
        assert fast == slow, (name, outputs)


@built
def test_long_messages_and_no_growth(monkeypatch):
    psutil = pytest.importorskip("psutil")
    monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "1")
    long = "预付卡办卡后跑路。" * 300 + "在台州市椒江区力美健身馆充值" + "😀" * 3000
    values = [long, "在力美健身办卡，老板跑路了" * 50, ""] * 4
    cfg = config(PREPAID, ["merchant", "merchant_key", "words"])
    fast, slow = both(monkeypatch, values, cfg)
    assert fast == slow
    monkeypatch.setenv("SHUJIAN_TEXT_NATIVE", "1")
    udf.screen_values(values, cfg)
    before = psutil.Process().memory_info().rss
    for _ in range(30):
        udf.screen_values(values, cfg)
    assert psutil.Process().memory_info().rss - before < 20 * 2**20
