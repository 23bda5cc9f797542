"""文本筛查 in a real browser: a message export imported through the form, the prepaid model opened on the
canvas, its 文本规则 node tried on typed text (live explanation) and previewed on the data; then a
keyword subscription whose pending match is confirmed in bulk."""

from __future__ import annotations

import pytest

from .conftest import login, shot

EXPORT = ("编号,主题,详情,时间\n"
          "T1,预付卡,我在力美健身办卡3000元，现在老板跑路了,2025-03-01\n"
          "T2,建议,让数据多跑路，群众少跑路,2025-03-02\n"
          "T3,噪音,晚上很难再关门闭窗,2025-03-03\n")


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "12345工单.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def test_text_rule_node_with_live_preview(page, export):
    login(page, "demo")
    page.goto("/data/import")
    page.set_input_files("#f-file", str(export))
    page.fill("#f-name", "12345工单")
    page.click("#import-submit")
    page.wait_for_selector("#job[data-status='succeeded']", timeout=60_000)
    page.goto("/builder?model=prepaid-card-complaints")
    node = page.locator(".drawflow-node[data-kind='text']").first
    node.wait_for()
    assert "规则库 prepaid-card" in node.inner_text()
    node.click()
    page.wait_for_selector("#t-sample")
    page.fill("#t-sample", "我在力美健身办卡3000元，现在老板跑路了\n让数据多跑路，群众少跑路")
    page.click("#t-try")
    page.wait_for_selector("#t-results li")
    items = page.locator("#t-results li").all_inner_texts()
    assert items[0].startswith("✔") and "办卡(第7字)" in items[0]
    assert items[1].startswith("✘") and "惯用语“多跑路”" in items[1]
    page.click("#p-preview")                                   # the node on the imported data
    page.wait_for_selector("#preview-table, #preview .err")
    assert page.locator("#preview-table").count(), page.inner_text("#preview") + page.inner_text("#builder-msg")
    table = page.inner_text("#preview-table")
    assert "T1" in table and "T2" not in table and "办卡、跑路" in table
    shot(page, "builder-text-rule")


def test_subscription_inbox_confirm(page):
    page.goto("/text")
    page.fill("#s-name", "预付卡投诉")
    page.fill("#s-date", "")
    page.click("#sub-submit")
    page.wait_for_selector("#matches")
    assert "T1" in page.inner_text("#matches") and "T2" not in page.inner_text("#matches")
    page.check("input[name=match]")
    page.click("#confirm-btn")
    page.wait_for_selector("#precision")
    assert page.inner_text("#precision") == "100.0%"
    shot(page, "text-subscription")
