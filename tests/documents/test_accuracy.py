"""Accuracy on the 120 hand-labelled dev judgments: every field must reach 99 % exact match."""

from __future__ import annotations

import pytest

from .evaluate import DATA, DEF_FIELDS, DOC_FIELDS, evaluate

pytestmark = pytest.mark.skipif(not (DATA / "judge-dev-120.jsonl").exists(), reason="dev set not present")


@pytest.fixture(scope="module")
def result():
    return evaluate()


@pytest.mark.parametrize("field", DOC_FIELDS + DEF_FIELDS)
def test_field_accuracy(result, field):
    table, misses = result
    correct, total = table[field]
    wrong = [m for m in misses if f" {field}:" in m]
    assert total > 0
    assert correct / total >= 0.99, f"{field}: {correct}/{total}\n" + "\n".join(wrong)


def test_counts_cover_the_whole_set(result):
    table, _ = result
    assert table["case_number"][1] == 120
    assert table["name"][1] == 135
