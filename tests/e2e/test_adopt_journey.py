"""Governance across roles and orgs in a real browser at 1366×768, by clicks alone: a model saved by the
椒江区院's 数字办 is submitted (提交), certified by a leader (业务认证) and the 市院's 数字办 (数字认证), put on
trial (试运行) and listed (上架, 市) — then the sibling 黄岩区院's 数字办 finds it in the 模型库, adopts it
(采用), is told which fields its own data lacks, binds its own datasets and columns (数据绑定 → 自动建议 →
保存), runs it there, and the clues appear in 黄岩's own pool.

Set up without the browser (other journeys cover these pages): the accounts, each org's datasets (黄岩's
with other names and columns), the author's draft, and one trial clue worked to 成案 at 椒江 (上架 needs a
verified clue)."""

from __future__ import annotations

from datetime import date

import pytest
from tests.runs.conftest import MODEL, custody_table, load, pension_table
from tests.workflow.conftest import make_clues

from shujian.config import load_settings
from shujian.db.models import Dataset, Org
from shujian.governance.service import GovernanceService
from shujian.orgs.service import OrgService
from shujian.security.accounts import AccountService
from shujian.spec import load_model
from shujian.web.accounts import ensure_demo_accounts
from shujian.workflow.service import WorkflowService
from shujian.workspace import Workspace

from .conftest import PASSWORD, login, open_tab, serve, shot

MID = "pension-during-custody"
AUTHOR, LEADER, DIGITAL, ADOPTER = "jj_shuzi", "shi_lingdao", "shi_shuzi", "hy_shuzi"


def _own(ws, names: list[str], code: str) -> None:
    with ws.db.unit_of_work() as s:
        org_id = s.query(Org.id).filter_by(code=code).scalar()
        for name in names:
            s.query(Dataset).filter_by(name=name).one().org_id = org_id


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e-adopt") / "home"
    ws = Workspace(load_settings(home=home, database_url=f"sqlite:///{home / 'metadata.sqlite'}")).ensure()
    ensure_demo_accounts(ws)
    orgs, accounts = OrgService(ws), AccountService(ws)
    orgs.add_user(AUTHOR, "吴分析", "331002", ["数字办"])
    orgs.add_user(ADOPTER, "郑分析", "331003", ["数字办"])
    for name in (AUTHOR, LEADER, DIGITAL, ADOPTER, "jj_jcg"):
        accounts.set_password(name, PASSWORD)
    load(ws, "监所在押人员", custody_table())
    load(ws, "养老金发放", pension_table())
    _own(ws, ["监所在押人员", "养老金发放"], "331002")
    load(ws, "黄岩羁押", custody_table().rename_columns(["公民身份号码", "人员姓名", "入监时间", "出监时间", "羁押类别"]))
    load(ws, "黄岩养老金", pension_table().rename_columns(["证件号码", "领取人", "待遇所属期", "实发金额"]))
    _own(ws, ["黄岩羁押", "黄岩养老金"], "331003")
    GovernanceService(ws).save(MODEL.read_text(encoding="utf-8"), AUTHOR)
    cid = make_clues(ws, load_model(MODEL), 1)[0]                # the trial clue, worked to 成案 at 椒江
    wf = WorkflowService(ws)
    wf.transition(cid, "研判", AUTHOR)
    wf.transition(cid, "交办", AUTHOR, org="331002", deadline=date(2099, 1, 1))
    wf.transition(cid, "核查", "jj_jcg")
    wf.transition(cid, "成案", "jj_jcg", case_number="椒检刑执监〔2026〕1号")
    yield from serve(ws)


@pytest.fixture(scope="module")
def tab(browser, world):
    with open_tab(browser, world) as pg:
        yield pg


def _govern(tab, action: str, *, scope: str | None = None, opinion: str = "") -> str:
    """Pick ``action`` in the model page's 认证与上架 form (only offered actions are listed) and submit."""
    tab.goto(f"/models/{MID}")
    form = tab.locator("#gov-form")
    assert action in form.locator("#g-action").inner_text()
    form.locator("#g-action").select_option(action)
    if scope:
        form.locator("#g-scope").select_option(scope)
    if opinion:
        form.locator("#g-reason").fill(opinion)
    form.locator("button[type=submit]").click()
    tab.wait_for_load_state()
    return tab.inner_text("[role=status]")


def test_01_author_submits(tab):
    login(tab, AUTHOR, next=f"/models/{MID}")
    assert _govern(tab, "提交") == "已执行：提交"
    assert "提交" in tab.inner_text("#gov-state")


def test_02_business_then_digital_certification(tab):
    login(tab, LEADER, next=f"/models/{MID}")
    assert _govern(tab, "业务认证", opinion="业务上必要，同意试运行") == "已执行：业务认证"
    login(tab, DIGITAL, next=f"/models/{MID}")
    assert _govern(tab, "数字认证", opinion="数据可得，口径清楚") == "已执行：数字认证"
    events = tab.inner_text("#gov-events")
    assert "业务上必要，同意试运行" in events and "数据可得，口径清楚" in events and "建模必要性" in events
    assert _govern(tab, "试运行") == "已执行：试运行"


def test_03_leader_lists_it_for_the_city(tab):
    login(tab, LEADER, next=f"/models/{MID}")
    assert _govern(tab, "上架", scope="市") == "已执行：上架"
    state = tab.inner_text("#gov-state")
    assert "上架" in state and "范围 市" in state and "试运行准确性 100%" in state
    shot(tab, "model-listed")


def test_04_sibling_finds_and_adopts_it_and_is_told_what_is_missing(tab):
    login(tab, ADOPTER, next="/models")
    card = tab.locator(f".card[data-model='{MID}']")
    assert "上架（市）" in card.inner_text()                       # listed for the city: 黄岩 sees it
    card.locator("h3 a").click()
    tab.wait_for_load_state()
    assert tab.url.endswith(f"/models/{MID}")
    form = tab.locator("#adopt-form")
    form.locator("#map-custody").fill("黄岩羁押")
    form.locator("#map-pension").fill("黄岩养老金")
    form.locator("button[type=submit]").click()
    tab.wait_for_load_state()
    msg = tab.inner_text("[role=status]")
    assert msg.startswith("采用结果：缺字段") and "黄岩羁押" in msg, msg


def test_05_binds_its_own_data(tab):
    tab.click("#binding-link a")
    tab.wait_for_load_state()
    tab.fill("#ds-custody", "黄岩羁押")
    tab.fill("#ds-pension", "黄岩养老金")
    tab.click("#binding-form button[value=propose]")
    tab.wait_for_load_state()
    assert tab.input_value("#col-custody-start") == "入监时间"
    tab.click("#binding-form button[value=save]")
    tab.wait_for_load_state()
    assert tab.inner_text("#binding-msg").startswith("已保存数据绑定（台州市黄岩区人民检察院 第 1 版）")
    tab.goto(f"/models/{MID}")
    assert "已采用" in tab.inner_text("#adoption")


def test_06_runs_it_there_and_the_clues_are_in_its_pool(tab):
    tab.goto(f"/models/{MID}")
    tab.click("a#run-link")
    tab.wait_for_load_state()
    tab.click("#run-submit")
    tab.wait_for_selector("#job[data-status='succeeded']", timeout=30_000)
    assert "新线索 2 条" in tab.inner_text("#job-result")
    tab.goto(f"/clues?model_id={MID}")
    rows = tab.locator("#clue-table tbody tr")
    assert rows.count() == 2                                  # 黄岩's own two; 椒江's trial clue stays invisible
    rows.first.locator("a").first.click()
    tab.wait_for_load_state()
    assert tab.inner_text("#clue-state") == "生成"
    assert "研判" in tab.inner_text("#actions")               # 黄岩's 数字办 can work its pool's clue
    shot(tab, "adopted-clue")


def test_07_the_pool_is_the_adopting_orgs_own(tab):
    """The author org sees only its trial clue: the adopter's new clues stay in 黄岩's pool."""
    login(tab, AUTHOR, next=f"/clues?model_id={MID}")
    rows = tab.locator("#clue-table tbody tr")
    assert rows.count() == 1 and "成案" in rows.first.inner_text()
