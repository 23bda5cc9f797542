"""人人都是建模者 in a real browser at 1366×768, one tab, steps in order: a 检察官 ALONE logs in → imports two
xlsx into the personal area → builds a two-dataset model on the canvas by clicks → previews → saves → runs it
in the sandbox → sees the (masked) results, no clue → proposes it for certification; another 检察官 of the same
院 gets 不存在 (404) for the personal dataset and the sandbox run; the 市院 数字办 publishes the run → the clues
are in the pool."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from shujian.config import load_settings
from shujian.security.accounts import AccountService
from shujian.web.accounts import DEMO_PASSWORD, ensure_demo_accounts
from shujian.workspace import Workspace

from .conftest import PASSWORD, login, open_tab, serve, shot
from .test_journey import IDENTIFIER, A, B, C, _xlsx

MODELLER, COLLEAGUE, DIGITAL = "jj_jcg", "jj_jcg2", "shi_shuzi"    # 椒江 检察官 ×2, 市院 数字办
CUSTODY, PENSION = "我的在押人员", "我的养老金"
STATE: dict = {}


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory):
    """A fresh workspace (login required) with the demo accounts and a second 椒江 检察官."""
    home = tmp_path_factory.mktemp("e2e-sandbox") / "home"
    ws = Workspace(load_settings(home=home, database_url=f"sqlite:///{home / 'metadata.sqlite'}")).ensure()
    ensure_demo_accounts(ws)
    AccountService(ws).create_user(COLLEAGUE, "周检察官", "331002", ["检察官"], PASSWORD, department="刑事执行检察部")
    yield from serve(ws)


@pytest.fixture(scope="module")
def tab(browser, sandbox_server):
    with open_tab(browser, sandbox_server) as pg:
        yield pg


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sandbox-xlsx")
    custody = _xlsx(d / "在押.xlsx", ["身份证号", "姓名", "入所日期", "出所日期"],
                    [[A, "张三", date(2023, 1, 10), None], [B, "李四", date(2022, 1, 1), date(2022, 6, 1)]])
    rows = [[A, date(2023, m, 1), 3000.0] for m in range(1, 7)] + [[B, date(2022, m, 1), 2000.0] for m in range(1, 9)]
    rows += [[C, date(2023, m, 1), 1000.0] for m in range(1, 4)]
    return {CUSTODY: custody, PENSION: _xlsx(d / "养老金.xlsx", ["身份证号", "发放年月", "发放金额"], rows)}


def _no_horizontal_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def _nav(page) -> list[str]:
    return [t.strip() for t in page.locator("header nav a").all_inner_texts()]


def test_01_the_prosecutor_logs_in_and_sees_the_sandbox(tab):
    login(tab, MODELLER, DEMO_PASSWORD)
    nav = _nav(tab)
    assert "沙箱" in nav and "可视化建模" in nav and "运行" not in nav
    assert "检察官" in tab.inner_text("#who")
    tab.click("header nav a[href='/sandbox']")
    assert tab.inner_text("h1").startswith("沙箱")
    _no_horizontal_overflow(tab)


def test_02_import_two_xlsx_into_the_personal_area(tab, files):
    for name, path in files.items():
        tab.goto("/sandbox")
        tab.click("#sandbox-import")
        assert "仅您本人可见" in tab.inner_text("#personal-note")
        tab.set_input_files("#f-file", str(path))
        tab.fill("#f-name", name)
        tab.click("#import-submit")
        tab.wait_for_selector("#job[data-status='succeeded']", timeout=30_000)
        tab.click("#job-link")
        assert tab.inner_text("h1").startswith(name) and "仅本人可见" in tab.inner_text("#area")
    assert A not in tab.inner_text("#preview")
    tab.goto("/sandbox")
    listed = tab.inner_text("#personal-datasets")
    assert CUSTODY in listed and PENSION in listed
    shot(tab, "sandbox-personal-data")


def test_03_build_a_two_dataset_model_on_the_canvas_preview_save(tab):
    """The same clicks and picks as the 数字办's journey (test_journey step 03), on the personal datasets."""
    tab.goto("/builder")
    tab.fill("#m-name", "沙箱试算：羁押期间仍领养老金")
    tab.select_option("#m-line", "刑事执行检察")
    tab.fill("#m-point", "养老金停发")
    tab.select_option("#m-measure", "检察建议")
    tab.fill("#m-rule", "在押期间仍有养老金发放记录")
    tab.click("#m-apply")
    tab.wait_for_selector("#dataset-palette .add-dataset")
    tab.click(f".add-dataset[data-dataset='{CUSTODY}']")
    tab.click(f".add-dataset[data-dataset='{PENSION}']")
    assert tab.input_value("#p-dataset") == PENSION
    tab.click("button.add-node[data-kind='join']")
    tab.select_option("#up-2", label=f"数据集：{CUSTODY}")
    tab.click("#k-add")
    tab.select_option("#k-0-l", "身份证号")
    tab.select_option("#k-0-r", "身份证号")
    tab.click("#w-add")
    tab.select_option("#w-0-f", "发放年月")
    tab.select_option("#w-0-o", ">=")
    tab.select_option("#w-0-s", "column")
    tab.select_option("#w-0-v", "入所日期")
    tab.click("#p-apply")
    assert f"碰撞/关联：{PENSION} × {CUSTODY}" in tab.inner_text("#drawflow")
    tab.click("#p-preview")
    tab.wait_for_selector("#preview-table")
    assert "发放金额" in tab.inner_text("#preview-table") and A not in tab.inner_text("#preview-table")
    tab.click("button.add-node[data-kind='aggregate']")
    tab.check("#p-by input[value='身份证号']")
    tab.check("#p-by input[value='姓名']")
    tab.fill("#m-0-n", "月数")
    tab.click("#m-add")
    tab.fill("#m-1-n", "合计")
    tab.select_option("#m-1-f", "sum")
    tab.select_option("#m-1-c", "发放金额")
    tab.click("#p-apply")
    tab.click("button.add-node[data-kind='output']")
    tab.select_option("#p-skey", "身份证号")
    tab.select_option("#p-sname", "姓名")
    tab.select_option("#p-tcol", "身份证号")
    tab.check("#p-tmask")
    tab.click("#p-tins")
    tab.locator("#p-title").press("End")
    tab.keyboard.type("在押期间领取养老金")
    tab.select_option("#p-tcol", "月数")
    tab.uncheck("#p-tmask")
    tab.click("#p-tins")
    tab.locator("#p-title").press("End")
    tab.keyboard.type("个月")
    tab.check("#p-facts input[value='月数']")
    tab.check("#p-facts input[value='合计']")
    tab.click("#p-apply")
    tab.click("#btn-validate")
    tab.wait_for_selector("#builder-msg.msg:not(.bad)")
    tab.click("#p-preview")
    expect(tab.locator("#preview-table tbody tr")).to_have_count(2)     # a locator: the CSP refuses eval
    assert not IDENTIFIER.search(tab.inner_text("#drawflow") + tab.inner_text("#props"))
    _no_horizontal_overflow(tab)
    tab.click("#btn-save")
    tab.wait_for_selector("#saved-link")
    STATE["model_id"] = tab.get_attribute("#saved-link", "href").rsplit("/", 1)[1]


def test_04_run_in_the_sandbox_and_see_the_results(tab):
    tab.goto("/sandbox")
    row = tab.locator(f"#my-models tr[data-model='{STATE['model_id']}']")
    assert "草稿" in row.inner_text()
    row.locator("button.sandbox-run").click()
    tab.wait_for_selector("#job[data-status='succeeded']", timeout=30_000)
    assert "结果 2 条（仅本人可见，未生成线索）" in tab.inner_text("#job-result")
    tab.click("#job-link")
    STATE["run_id"] = int(re.search(r"/sandbox/runs/(\d+)", tab.url).group(1))
    results = tab.inner_text("#sandbox-results")
    assert len(tab.locator("#sandbox-results tbody tr").all()) == 2
    assert "在押期间领取养老金" in results and A not in results and B not in results     # masked
    assert "未发布" in tab.inner_text("#sandbox-published") and tab.locator("#publish").count() == 0
    _no_horizontal_overflow(tab)
    shot(tab, "sandbox-run")
    tab.goto(f"/clues?model_id={STATE['model_id']}")                     # a sandbox run makes no clue
    assert tab.locator("#clue-table tbody a").count() == 0


def test_05_propose_the_model_for_certification(tab):
    tab.goto(f"/sandbox/runs/{STATE['run_id']}")
    tab.click("#propose")
    assert "已提请认证" in tab.inner_text("#sandbox-msg")
    assert "提交" in tab.inner_text("main") and tab.locator("#propose").count() == 0


def test_06_a_colleague_of_the_same_org_sees_neither_the_dataset_nor_the_run(tab):
    login(tab, COLLEAGUE)
    assert "台州市椒江区人民检察院" in tab.inner_text("#who")
    for url in (f"/sandbox/runs/{STATE['run_id']}", f"/runs/{STATE['run_id']}", f"/data/{PENSION}"):
        resp = tab.goto(url)
        assert resp.status == 404 and "不存在" in tab.inner_text("main"), url
    assert tab.request.get(f"/api/v1/sandbox/runs/{STATE['run_id']}").status == 404
    tab.goto("/sandbox")
    assert PENSION not in tab.inner_text("main") and tab.locator(f"tr[data-run='{STATE['run_id']}']").count() == 0


def test_07_the_digital_office_publishes_and_the_clues_reach_the_pool(tab):
    login(tab, DIGITAL, DEMO_PASSWORD)
    tab.goto("/sandbox")
    tab.locator(f"#sandbox-runs tr[data-run='{STATE['run_id']}'] a").click()
    assert "李检察官" in tab.inner_text("main")
    tab.click("#publish")
    assert "已发布：新线索 2 条" in tab.inner_text("#sandbox-msg")
    tab.click("#published-clues")
    expect(tab.locator("#clue-table tbody tr")).to_have_count(2)
    assert A not in tab.inner_text("#clue-table")
    shot(tab, "sandbox-published")
