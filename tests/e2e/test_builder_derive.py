"""计算新列 by picks in a real browser: Chinese-named functions (年份, 取子串, 去空格 → 大写 nested, 拼接 with typed
text) write the expressions, the node previews their values, and a typed expression that does not fit its
column is reported in Chinese on the node itself."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.runs.conftest import load, pension_table

from shujian.config import load_settings
from shujian.security.accounts import AccountService
from shujian.web.accounts import ensure_demo_accounts
from shujian.workspace import Workspace

from .conftest import PASSWORD, login, open_tab, serve


@pytest.fixture(scope="module")
def tab(browser, tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e-derive") / "home"
    ws = Workspace(load_settings(home=home, database_url=f"sqlite:///{home / 'metadata.sqlite'}")).ensure()
    ensure_demo_accounts(ws)
    AccountService(ws).set_password("demo", PASSWORD)
    load(ws, "养老金发放", pension_table())
    for base in serve(ws):
        with open_tab(browser, base) as pg:
            login(pg, "demo", next="/builder")
            yield pg


def _function(tab, row: int, name: str, **args) -> str:
    """Pick ``name`` in the row's “用函数生成” list, its arguments, and write the expression."""
    tab.select_option(f"#d-{row}-f", label=name)
    for key, value in args.items():
        el = tab.locator(f"#d-{row}-{key}")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(label=value) if not value.startswith("__") else el.select_option(value)
        else:
            el.fill(value)
    tab.click(f"#d-{row}-put")
    return tab.input_value(f"#d-{row}-e")


def test_functions_picked_by_name_write_the_expressions(tab):
    tab.fill("#m-name", "养老金发放明细（计算新列）")
    tab.select_option("#m-line", "刑事执行检察")
    tab.fill("#m-point", "养老金发放")
    tab.select_option("#m-measure", "检察建议")
    tab.click("#m-apply")
    tab.click(".add-dataset[data-dataset='养老金发放']")
    tab.click("button.add-node[data-kind='derive']")
    tab.select_option("#up-1", label="数据集：养老金发放")
    tab.fill("#d-0-n", "发放年份")
    assert _function(tab, 0, "年份", a0="发放年月") == "year(发放年月)"
    tab.click("#d-add")
    tab.fill("#d-1-n", "地区码")
    assert _function(tab, 1, "取子串", a0="身份证号", a2="6") == "substr(身份证号, 1, 6)"
    tab.click("#d-add")
    tab.fill("#d-2-n", "姓名规范")
    assert _function(tab, 2, "去空格", a0="姓名") == "trim(姓名)"
    assert _function(tab, 2, "大写", a0="__current") == "upper(trim(姓名))"      # nested by clicks
    tab.click("#d-add")
    tab.fill("#d-3-n", "说明")
    tab.select_option("#d-3-f", label="拼接")
    tab.select_option("#d-3-a0", label="姓名")
    tab.select_option("#d-3-a1", "__text")
    tab.fill("#d-3-a1-t", "（领取养老金）")
    tab.click("#d-3-put")
    assert tab.input_value("#d-3-e") == "concat(姓名, '（领取养老金）')"
    tab.click("#d-add")
    tab.fill("#d-4-n", "月数")
    assert _function(tab, 4, "日期差", a0="月", a1="发放年月", a2="发放年月") == "date_diff('month', 发放年月, 发放年月)"
    tab.click("#p-apply")
    tab.click("#p-preview")
    expect(tab.locator("#preview-table tbody tr").first).to_be_visible()
    header = tab.inner_text("#preview-table thead")
    assert all(c in header for c in ("发放年份", "地区码", "姓名规范", "说明", "月数"))
    body = tab.inner_text("#preview-table tbody")
    assert "\t2023\t" in body                                          # 发放年份 computed
    assert "某（领取养老金）" not in body and "某*" in body                 # derived from 姓名: masked like it


def test_a_function_without_its_column_says_what_is_missing(tab):
    tab.click("#d-add")
    tab.select_option("#d-5-f", label="年份")
    tab.click("#d-5-put")
    assert "“年份”的“日期”还没有选择或填写" in tab.inner_text("#builder-msg")
    assert tab.input_value("#d-5-e") == ""


def test_a_missing_output_is_named_then_a_bad_expression_is_pinned_to_its_node(tab):
    tab.fill("#d-5-n", "出生年")
    tab.fill("#d-5-e", "year(姓名)")                     # free text for experts: a text column is no date
    tab.click("#p-apply")
    tab.click("#btn-validate")
    expect(tab.locator("#builder-msg")).to_contain_text("画布上还没有“输出线索”节点")
    tab.click("button.add-node[data-kind='output']")     # fed by the selected 计算新列 node
    tab.select_option("#p-skey", "身份证号")
    tab.fill("#p-title", "【身份证号·脱敏】领取养老金")
    tab.click("#p-apply")
    tab.click("#btn-validate")
    node = tab.locator(".drawflow-node.has-error")
    expect(node).to_have_count(1)
    assert node.get_attribute("data-kind") == "derive"
    node.click()
    problem = tab.inner_text("#props .node-problem")
    assert "“年份”的参数应为日期" in problem and "姓名" in problem, problem
    assert not re.search(r"steps\[|derive\.|columns\.|VARCHAR|DATE\b", problem), problem
