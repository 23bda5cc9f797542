"""A built-in model on the canvas reads in the user's column names: its fields are English (project,
builder_uscc …), the node summaries show the Chinese columns the model binds them to (项目编号 …)."""

from __future__ import annotations

import re

from shujian.models_library import get_model

from .conftest import login, open_tab

MODEL = "migrant-wage-guarantee"


def test_node_summaries_show_the_bound_chinese_columns(browser, server):
    model = get_model(MODEL)
    bound = {f: c for inp in model.inputs.values() for f, c in (inp.fields or {}).items()
             if isinstance(c, str) and c != f}
    assert "project" in bound and bound["project"] == "项目编号"
    with open_tab(browser, server) as tab:
        login(tab, "demo", next=f"/builder?model={MODEL}")
        tab.wait_for_selector(".drawflow-node[data-kind='output']", state="attached")
        subs = tab.eval_on_selector_all(".node-sub", "els => els.map(e => e.textContent)")
    text = "\n".join(subs)
    assert "按 项目编号" in text, subs                       # join keys and group-by read in Chinese
    english = {f for f in bound if re.search(rf"(?<![A-Za-z0-9_]){re.escape(f)}(?![A-Za-z0-9_])", text)}
    assert not english, (sorted(english), subs)
    # the columns the model computes itself read in Chinese too (its ``labels``: reason → 理由)
    assert "专用账户开立期限" in text and "应存保证金" in text, subs
    computed = {f for f in model.labels if re.search(rf"(?<![A-Za-z0-9_]){re.escape(f)}(?![A-Za-z0-9_])", text)}
    assert not computed, (sorted(computed), subs)
    # and a condition's SQL words: 项目编号 不为空, not "项目编号 is not null"
    assert "项目编号 不为空" in text and "is not null" not in text, subs
