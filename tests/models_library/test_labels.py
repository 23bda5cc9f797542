"""Every column a built-in model computes itself has a Chinese name (``labels``): the canvas and the clue
facts show 理由, 专用账户开立期限 … instead of reason, account_due (they showed the English names)."""

from __future__ import annotations

import re

import pytest

from shujian.models_library import get_model, list_models
from shujian.spec import load_model

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _computed(model) -> set[str]:
    """Columns the model's steps create (derive, aggregate, window, renaming select) with English names."""
    bound = {f for inp in model.inputs.values() for f in (inp.fields or {})}
    names: set[str] = set()
    for step in model.steps or []:
        body, kind = step.body, step.kind
        if kind == "derive":
            cols = body.columns
        elif kind in ("aggregate", "window"):
            cols = (body.measures if kind == "aggregate" else body.columns) or {}
        elif kind == "select" and isinstance(body.columns, dict):
            cols = body.columns
        else:
            continue
        names |= {n for n in cols if NAME.fullmatch(n)}
    return names - bound


@pytest.mark.parametrize("model_id", [m.id for m in list_models()])
def test_every_computed_column_has_a_chinese_name(model_id):
    model = get_model(model_id)
    missing = sorted(_computed(model) - set(model.labels))
    assert not missing, f"{model_id}: 没有中文名的计算列 {missing}"
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in model.labels.values())


def test_an_empty_label_is_refused_with_the_column_named():
    base = get_model("migrant-wage-guarantee").model_dump(mode="json", by_alias=True, exclude_none=True)
    with pytest.raises(Exception) as err:
        load_model({**base, "labels": {"reason": " "}})
    assert "reason" in str(err.value) and "中文名为空" in str(err.value)


def test_clue_pages_name_a_computed_fact_by_the_models_label(sqlite_ws):
    """A clue fact of migrant-wage-guarantee ``expected`` reads 应存保证金 (the model's label), not the generic
    应有情况; a bound field still reads as its column; an unknown key stays as it is."""
    from shujian.web.formatting import Names

    names = Names(sqlite_ws)
    assert names.fact("expected", "migrant-wage-guarantee") == "应存保证金"
    assert names.fact("account_due", "migrant-wage-guarantee") == "专用账户开立期限"
    assert names.fact("project", "migrant-wage-guarantee") == "项目编号"
    assert names.fact("no_such_key", "migrant-wage-guarantee") == "no_such_key"
