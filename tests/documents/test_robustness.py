"""The parser never raises: arbitrary text, and real judgments cut or shuffled anywhere."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shujian.documents import parse_judgment

from .test_golden import FIXTURES

SAMPLES = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))]
ALPHABET = st.sampled_from(list("被告人犯罪判处有期徒刑拘役缓刑罚金元年月日一二三十百千万〇（）()，。；：、0123456789 如下不服本判决<>p/"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=0, max_size=400))
def test_any_text(text):
    json.dumps(parse_judgment(text).to_dict(), ensure_ascii=False)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=300))
def test_judgment_like_noise(text):
    json.dumps(parse_judgment(text).to_dict(), ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SAMPLES), st.integers(0, 3000), st.integers(0, 3000))
def test_cut_judgments(sample, a, b):
    start, end = sorted((a % (len(sample) + 1), b % (len(sample) + 1)))
    record = parse_judgment(sample[start:end]).to_dict()
    assert record["error"] or record["warnings"] or end - start > len(sample) // 2
