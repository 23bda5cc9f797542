"""Journeys on the demo city in a real browser: a 督办 then 办结 through the clue page's forms; the 工作台's
cards equal the clue lists they open; the 检察建议书 downloaded from a clue is A4 with Chinese labels only."""

from __future__ import annotations

import re

from docx import Document
from playwright.sync_api import expect

from .conftest import shot


def _clue_in(demo_tab, state: str, *, held_below: bool = True) -> int:
    items = demo_tab.request.get(f"/api/v1/clues?state={state}&page_size=200").json()["items"]
    for c in items:
        detail = demo_tab.request.get(f"/api/v1/clues/{c['clue_id']}").json()
        org = (detail.get("workflow") or {}).get("org") or ""
        if not held_below or (org and org != "台州市人民检察院"):
            return c["clue_id"]
    raise AssertionError(f"no clue in {state}")


def test_supervise_then_close_a_clue_in_the_browser(demo_tab):
    cid = _clue_in(demo_tab, "跟踪")
    demo_tab.goto(f"/clues/{cid}")
    form = demo_tab.locator("form#supervise")
    form.locator("input[name=deadline]").fill("2099-12-31")
    form.locator("input[name=reason]").fill("市院挂牌督办：限期办结")
    form.locator("button[type=submit]").click()
    demo_tab.wait_for_load_state()
    assert "已执行：督办" in demo_tab.inner_text("main")
    assert "市院挂牌督办：限期办结" in demo_tab.inner_text("#timeline")
    done = demo_tab.locator("form.action-form[data-action='办结']")
    done.locator("input[name=reason]").fill("整改到位")
    done.locator("button[type=submit]").click()
    demo_tab.wait_for_load_state()
    assert demo_tab.inner_text("#clue-state") == "办结"
    shot(demo_tab, "clue-supervised")


def test_dashboard_cards_equal_the_clue_lists_they_open(demo_tab):
    demo_tab.goto("/")
    demo_tab.wait_for_selector("#chart-funnel[data-rendered='1']")
    shot(demo_tab, "dashboard-demo")
    for card in ("generated", "cases", "adopted"):
        demo_tab.goto("/")
        shown = int(re.sub(r"\D", "", demo_tab.inner_text(f"#kpi-{card}")))
        demo_tab.click(f"#kpi-{card}-link")
        demo_tab.wait_for_selector("#metric-total")
        assert int(demo_tab.inner_text("#metric-total")) == shown, card


def test_suggestion_draft_is_a4_with_chinese_labels(demo_tab, tmp_path):
    items = demo_tab.request.get("/api/v1/clues?state=跟踪,办结,监督措施&page_size=200").json()["items"]
    for c in items:
        if demo_tab.request.get(f"/api/v1/clues/{c['clue_id']}/draft.docx").status == 200:
            cid = c["clue_id"]
            break
    demo_tab.goto(f"/clues/{cid}")
    with demo_tab.expect_download() as dl:
        demo_tab.click("#draft")
    path = tmp_path / "draft.docx"
    dl.value.save_as(path)
    doc = Document(path)
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "【文号】" not in text and "【主送机关】" not in text
    facts = next(p.text for p in doc.paragraphs if p.text.startswith("经大数据比对"))
    assert not re.search(r"[A-Za-z]{2,}[A-Za-z_]*：", facts), facts          # no English keys


def test_docs_screenshots_of_the_demo_city(demo_tab):
    """docs/screenshots/dashboard.png and builder.png come from the demo city (SHUJIAN_SCREENSHOT_DIR): the
    工作台, and a 计算新列 on the demo's 看守所出入所 written by the function picker, with its preview."""
    demo_tab.goto("/")
    demo_tab.wait_for_selector("#chart-funnel[data-rendered='1']")
    demo_tab.wait_for_timeout(1500)                                  # let the chart animation finish
    shot(demo_tab, "dashboard")
    demo_tab.goto("/builder")
    demo_tab.fill("#m-name", "羁押天数统计")
    demo_tab.select_option("#m-line", "刑事执行检察")
    demo_tab.fill("#m-point", "羁押期限")
    demo_tab.select_option("#m-measure", "检察建议")
    demo_tab.click("#m-apply")
    demo_tab.click(".add-dataset[data-dataset='看守所出入所']")
    demo_tab.click("button.add-node[data-kind='derive']")
    demo_tab.select_option("#up-1", label="数据集：看守所出入所")
    demo_tab.fill("#d-0-n", "入所年份")
    demo_tab.select_option("#d-0-f", label="年份")
    demo_tab.select_option("#d-0-a0", label="入所日期")
    demo_tab.click("#d-0-put")
    demo_tab.click("#d-add")
    demo_tab.fill("#d-1-n", "羁押天数")
    demo_tab.select_option("#d-1-f", label="日期差")
    demo_tab.select_option("#d-1-a1", label="入所日期")
    demo_tab.select_option("#d-1-a2", label="出所日期")
    demo_tab.click("#d-1-put")
    assert demo_tab.input_value("#d-1-e") == "date_diff('day', 入所日期, 出所日期)"
    demo_tab.click("#p-apply")
    demo_tab.click("#p-preview")
    expect(demo_tab.locator("#preview-table tbody tr").first).to_be_visible()
    assert "羁押天数" in demo_tab.inner_text("#preview-table thead")
    demo_tab.select_option("#d-1-f", label="拼接")                    # the picker open for the screenshot
    shot(demo_tab, "builder")
    demo_tab.evaluate("ShujianBuilder.state.dirty = false")
