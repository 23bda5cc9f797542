"""人人都是建模者 at service level: a 检察官's personal datasets and sandbox runs, seen by them (and the org's
数字办/院领导) only; publishing turns the stored results into clues through the clue store; 提请认证."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from tests.runs.conftest import MODEL, A, B, custody_table, pension_table

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.clues.service import ClueService
from shujian.db.models import AuditRecord, Clue, Run, SandboxResult
from shujian.errors import InputError, NotFound, PermissionDenied
from shujian.governance.service import GovernanceService
from shujian.orgs.service import OrgService
from shujian.runs.sandbox import SandboxService
from shujian.runs.service import RunService
from shujian.security.scope import scope_for, use_scope
from shujian.spec import load_model
from shujian.web.accounts import DEMO_ACCOUNTS, PROVINCE
from shujian.workflow.service import TransitionRefused

MODELLER, COLLEAGUE, SIBLING = "jj_jcg", "jj_jcg2", "hy_jcg"     # 椒江 检察官 ×2, 黄岩 检察官
DIGITAL, LEADER, HEAD = "shi_shuzi", "shi_lingdao", "jj_fzr"      # 市院 数字办, 市院 院领导, 椒江 部门负责人


@contextmanager
def acting(ws, username: str):
    u = OrgService(ws).get_user(username)
    with ws.db.unit_of_work() as s:
        scope = scope_for(s, username, u["org_id"], u["roles"])
    with use_scope(scope):
        yield scope


@pytest.fixture
def city(ws):
    """Demo accounts, a second 椒江 检察官, and the modeller's two personal datasets."""
    orgs = OrgService(ws)                  # the demo accounts without their passwords (argon2 is slow)
    orgs.seed([PROVINCE])
    for username, name, org, roles, dept in DEMO_ACCOUNTS:
        orgs.add_user(username, name, org, roles, department=dept)
    OrgService(ws).add_user(COLLEAGUE, "周检察官", "331002", ["检察官"], department="刑事执行检察部")
    for name, table in (("监所在押人员", custody_table()), ("养老金发放", pension_table())):
        req = ImportRequest(name=name, agency="测试单位", importer=MODELLER, personal=True,
                            semantics={"身份证号": "id_number"})
        CatalogService(ws).import_arrow(req, table)
    return ws


def _names(ws, username: str) -> set[str]:
    with acting(ws, username):
        return {d["name"] for d in CatalogService(ws).list_datasets()}


def test_a_personal_dataset_is_seen_by_its_owner_and_the_data_governors_only(city):
    assert _names(city, MODELLER) == {"监所在押人员", "养老金发放"}
    assert _names(city, DIGITAL) == {"监所在押人员", "养老金发放"}          # governs (and shares) the org's data
    for other in (COLLEAGUE, SIBLING, HEAD, LEADER):
        assert _names(city, other) == set(), other
        with acting(city, other), pytest.raises(NotFound, match="数据集“养老金发放”不存在"):
            CatalogService(city).describe("养老金发放")
    with acting(city, MODELLER):
        d = CatalogService(city).describe("养老金发放")
    assert d["area"] == "个人" and d["owner"] == "李检察官"


def test_another_user_cannot_import_into_a_personal_dataset(city, tmp_path):
    csv = tmp_path / "养老金.csv"
    csv.write_text("身份证号,发放年月,发放金额\n110101198001010053,2023-01-01,1000\n", encoding="utf-8")
    for user, personal in ((COLLEAGUE, True), (COLLEAGUE, False), (DIGITAL, True)):
        req = ImportRequest(name="养老金发放", path=csv, importer=user, personal=personal)
        with pytest.raises(InputError, match="养老金发放"):
            CatalogService(city).import_file(req)
    with acting(city, MODELLER):                      # the owner adds a version; it stays personal
        CatalogService(city).import_file(ImportRequest(name="养老金发放", path=csv, importer=MODELLER, personal=True))
        assert CatalogService(city).describe("养老金发放")["current_version"] == 2
    assert "养老金发放" not in _names(city, COLLEAGUE)


def test_sharing_is_for_the_data_governor_and_widens_step_by_step(city):
    with acting(city, MODELLER), pytest.raises(PermissionDenied) as refused:
        CatalogService(city).share("养老金发放", "本部门")
    assert "数字办" in refused.value.message and "data.share" not in refused.value.message
    with acting(city, DIGITAL):
        assert CatalogService(city).share("养老金发放", "本部门")["area"] == "本部门"
    assert "养老金发放" in _names(city, COLLEAGUE) and "养老金发放" in _names(city, HEAD)   # same department
    assert "养老金发放" not in _names(city, LEADER) and "养老金发放" not in _names(city, SIBLING)
    with acting(city, DIGITAL):
        assert CatalogService(city).share("养老金发放", "本院")["area"] == "本院"
    assert "养老金发放" in _names(city, LEADER) and "养老金发放" not in _names(city, SIBLING)
    with city.db.unit_of_work() as s:
        shares = [r.detail["to"] for r in s.query(AuditRecord).filter_by(action="data.share").order_by(AuditRecord.id)]
    assert shares == ["本部门", "本院"]


def _sandbox_run(ws):
    with acting(ws, MODELLER):
        return SandboxService(ws).run(load_model(MODEL))


def test_a_sandbox_run_writes_no_clue_and_shows_its_results_to_the_starter_masked(city):
    result = _sandbox_run(city)
    assert result.sandbox and result.status == "succeeded" and result.rows_out == 2 and result.clues_new == 0
    with city.db.unit_of_work() as s:
        assert s.query(Clue).count() == 0
        assert s.query(SandboxResult).filter_by(run_id=result.run_id).count() == 2
        assert s.get(Run, result.run_id).started_by is not None
    with acting(city, MODELLER):
        shown = SandboxService(city).get(result.run_id)
        assert [r["run_id"] for r in SandboxService(city).list()] == [result.run_id]
        assert RunService(city).get_run(result.run_id)["sandbox"] is True
    assert shown["total"] == 2 and not shown["can_publish"]
    text = str(shown["results"])
    assert A not in text and B not in text and "服刑期间领取养老金" in text


@pytest.mark.parametrize("other", [COLLEAGUE, SIBLING, HEAD])
def test_nobody_else_sees_a_sandbox_run(city, other):
    run_id = _sandbox_run(city).run_id
    with acting(city, other):
        with pytest.raises(NotFound, match=f"运行记录 {run_id} 不存在"):
            SandboxService(city).get(run_id)
        with pytest.raises(NotFound):
            RunService(city).get_run(run_id)
        assert run_id not in [r["run_id"] for r in RunService(city).list_runs()]
        assert SandboxService(city).list() == []


def test_the_starter_cannot_publish_and_the_refusal_names_who_can(city):
    run_id = _sandbox_run(city).run_id
    with acting(city, MODELLER), pytest.raises(PermissionDenied) as refused:
        SandboxService(city).publish(run_id)
    msg = refused.value.message
    assert "无权“发布沙箱运行”" in msg and "数字办" in msg and "院领导" in msg and "runs.publish" not in msg


def test_publishing_writes_the_clues_through_the_clue_store_once_and_audits_it(city):
    run_id = _sandbox_run(city).run_id
    with acting(city, DIGITAL):
        assert SandboxService(city).get(run_id)["can_publish"]
        out = SandboxService(city).publish(run_id)
        assert out["clues_new"] == 2 and len(out["clue_ids"]) == 2 and out["published_by"] == "陈分析"
        pool = ClueService(city).list(model_id="pension-during-custody")
        assert {c["clue_id"] for c in pool} == set(out["clue_ids"])       # in the 市院's pool
        with pytest.raises(TransitionRefused, match="已于 .* 由陈分析发布"):
            SandboxService(city).publish(run_id)
    with city.db.unit_of_work() as s:
        clues = s.query(Clue).all()
        assert {c.first_run_id for c in clues} == {run_id} and all(c.state == "生成" for c in clues)
        rec = s.query(AuditRecord).filter_by(action="run.publish").one()
        assert rec.target == f"run:{run_id}" and rec.detail["clues_new"] == 2 and rec.actor == DIGITAL
    with acting(city, COLLEAGUE):            # published: an ordinary run of the org, the clues are pool clues
        assert RunService(city).get_run(run_id)["published_at"]


def test_a_second_published_sandbox_run_refreshes_the_same_clues(city):
    first, second = _sandbox_run(city).run_id, _sandbox_run(city).run_id
    with acting(city, LEADER):
        assert SandboxService(city).publish(first)["clues_new"] == 2
        again = SandboxService(city).publish(second)
    assert again["clues_new"] == 0 and again["clues_seen"] == 2
    with city.db.unit_of_work() as s:
        assert s.query(Clue).count() == 2 and {c.seen_count for c in s.query(Clue)} == {2}


def test_the_modeller_proposes_their_model_for_certification(city):
    source = MODEL.read_text(encoding="utf-8")
    GovernanceService(city).save(source, MODELLER)
    with acting(city, COLLEAGUE), pytest.raises(PermissionDenied, match="只有作者"):
        SandboxService(city).propose("pension-during-custody")
    with acting(city, MODELLER):
        assert SandboxService(city).propose("pension-during-custody")["state"] == "提交"


def test_the_model_ledger_counts_a_sandbox_run_once_it_is_published(city):
    GovernanceService(city).save(MODEL.read_text(encoding="utf-8"), MODELLER)

    def ledger_runs() -> int:
        return next(r["runs"] for r in GovernanceService(city).ledger() if r["model_id"] == "pension-during-custody")

    run_id = _sandbox_run(city).run_id
    assert ledger_runs() == 0                      # a modeller's try is not a run of the model (was counted)
    with acting(city, DIGITAL):
        SandboxService(city).publish(run_id)
    assert ledger_runs() == 1


def _cli(capsys, *args: str) -> tuple[int, str]:
    from shujian.cli.main import main

    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def test_command_line_sandbox_run_show_publish(city, capsys, monkeypatch, tmp_path):
    import json

    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    csv = tmp_path / "名单.csv"
    csv.write_text("身份证号,姓名\n110101198001010053,王五\n", encoding="utf-8")
    code, out = _cli(capsys, "data", "import", str(csv), "--name", "我的名单", "--personal", "--as", MODELLER,
                     "--no-progress")
    assert code == 0, out
    assert "我的名单" not in _names(city, COLLEAGUE) and "我的名单" in _names(city, MODELLER)
    code, out = _cli(capsys, "model", "run", str(MODEL), "--sandbox")             # nobody to own it
    assert code != 0 and "须指明操作人" in out
    code, out = _cli(capsys, "model", "run", str(MODEL), "--sandbox", "--as", MODELLER, "--format", "json")
    assert code == 0, out
    run = json.loads(out)
    assert run["sandbox"] is True and run["clues_new"] == 0 and run["rows_out"] == 2
    rid = str(run["run_id"])
    code, out = _cli(capsys, "run", "show", rid, "--as", MODELLER)
    assert code == 0 and "结果 2 条" in out and A not in out
    code, out = _cli(capsys, "run", "show", rid, "--as", COLLEAGUE)
    assert code == 2 and f"运行记录 {rid} 不存在" in out
    code, out = _cli(capsys, "run", "publish", rid, "--as", MODELLER)              # 检察官: no right to publish
    assert code == 3 and "数字办" in out
    code, out = _cli(capsys, "run", "publish", rid, "--as", DIGITAL, "--format", "json")
    assert code == 0, out
    assert json.loads(out)["clues_new"] == 2
