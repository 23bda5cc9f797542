"""Every built-in model against its statute-case table (tests/models_library/cases/<model-id>.yaml).

One test per case: the model's clues (subject, rule) must be exactly the expected ones, each
(subject, rule) at most once (a second row would overwrite the first clue of the same fingerprint),
and the facts the case names must have the expected values.  The tables are written from the
statutes in ../shared/data/law; see statute_cases.py for the format.
"""

from __future__ import annotations

import pytest
from tests.models_library.statute_cases import all_files, model_for, run_case, same_value

FILES = all_files()
CASES = [(f, c) for f in FILES for c in f.cases]


@pytest.mark.parametrize(("file", "case"), CASES, ids=[f"{c.model}:{c.id}" for _f, c in CASES])
def test_statute_case(file, case) -> None:
    model = model_for(case.model)
    rows = run_case(case, file.schemas, file.subject_column)
    key = model.output.subject.key
    rule = model.output.rule
    got = [(str(r[key]), str(r["_rule"])) for r in rows]
    want = [(str(e["主体"]), str(e["规则"])) for e in case.expected]
    assert len(got) == len(set(got)), f"{case.id}: 同一主体同一规则输出了多行 {got}"
    assert set(got) == set(want), (f"{case.id}（{case.basis}）\n案情：{case.facts}\n"
                                   f"预期 {sorted(want)}，实际 {sorted(got)}\n{rows}")
    by_key = {(str(r[key]), str(r["_rule"])): r for r in rows}
    for e in case.expected:
        row = by_key[(str(e["主体"]), str(e["规则"]))]
        for fact, value in e.items():
            if fact in ("主体", "规则"):
                continue
            assert fact in row, f"{case.id}: 输出没有列 {fact}"
            assert same_value(value, row[fact]), f"{case.id}: {fact} 预期 {value}，实际 {row[fact]}"
    assert rule is not None


@pytest.mark.parametrize("file", FILES, ids=[f.model for f in FILES])
def test_case_table_is_mostly_boundaries(file) -> None:
    """At least half of a model's cases sit on a boundary (same day, day before/after, blank, zero,
    duplicates, namesakes, 15-digit IDs, lower-case x, an amendment's effective date)."""
    ids = [c.id for c in file.cases]
    assert len(ids) == len(set(ids)), f"{file.model}: 案例编号重复"
    assert all(c.basis.strip() for c in file.cases), f"{file.model}: 每个案例都要写明依据（条、款）"
    boundary = sum(1 for c in file.cases if c.boundary)
    assert boundary * 2 >= len(file.cases), f"{file.model}: 边界案例 {boundary}/{len(file.cases)} 不足一半"
    assert any(c.expected for c in file.cases) and any(not c.expected for c in file.cases), file.model


def test_every_model_has_a_statute_case_table() -> None:
    """Every built-in model and the entity model are held to a table written from the law."""
    from tests.models_library.statute_cases import ENTITY_MODELS

    from shujian.models_library import list_ids

    entity = {p.stem for p in ENTITY_MODELS.glob("*.yaml")}
    assert set(list_ids()) | entity <= {f.model for f in FILES}


def test_model_pages_state_rule_exceptions_blanks_and_gaps() -> None:
    """docs/models/<id>.md lists the rule, the exceptions applied, what a blank means and what is
    not checked, and points at the model's statute-case table (issue 15)."""
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "models"
    for f in FILES:
        page = (docs / f"{f.model}.md").read_text("utf-8")
        for heading in ("## 规则", "适用的例外", "空白的含义", "不检查的情形"):
            assert heading in page, f"docs/models/{f.model}.md 缺少“{heading}”"
        assert f"cases/{f.model}.yaml" in page, f"docs/models/{f.model}.md 未指向法条案例表"
