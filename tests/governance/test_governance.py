"""Model governance: immutable versions with diffs, certification rules, trial accuracy, listing, adoption, 台账."""

from __future__ import annotations

from datetime import date

import pytest
from tests.runs.conftest import MODEL, custody_table, load, pension_table
from tests.workflow.conftest import DISTRICT, make_clues, seed_people

from shujian.governance.service import GovernanceService
from shujian.orgs.service import OrgService
from shujian.runs.service import RunService
from shujian.workflow.service import PermissionDenied, TransitionRefused, WorkflowService

SOURCE = MODEL.read_text(encoding="utf-8")
EVAL_OK = {e: {"passed": True, "comment": "同意"} for e in ("建模必要性", "技术可行性", "线索准确性")}


@pytest.fixture
def gov_people(ws):
    seed_people(ws)
    OrgService(ws).add_user("jj_shuzi", "吴分析", DISTRICT, ["数字办"])
    OrgService(ws).add_user("sx_jcg", "钱检察官", "3306", ["检察官"])          # 绍兴市院: another city
    return ws


@pytest.fixture
def gov_world(gov_people):
    ws = gov_people
    load(ws, "监所在押人员", custody_table())
    load(ws, "养老金发放", pension_table())
    return ws


def _certified(gov, clock) -> None:
    gov.save(SOURCE, "jj_jcg")
    gov.submit("pension-during-custody", "jj_jcg")
    gov.certify("pension-during-custody", "业务认证", "shi_zhixing", EVAL_OK)
    gov.certify("pension-during-custody", "数字认证", "shi_shuzi", EVAL_OK)
    gov.advance("pension-during-custody", "试运行", "shi_shuzi")


def _one_verified_clue(ws, clock) -> int:
    """One clue of the model worked to 成案 (trial accuracy 100%)."""
    cid = make_clues(ws, __import__("shujian.spec", fromlist=["load_model"]).load_model(MODEL), 1)[0]
    wf = WorkflowService(ws, clock=clock)
    wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 4, 1))
    wf.transition(cid, "核查", "jj_jcg")
    wf.transition(cid, "成案", "jj_jcg", case_number=f"案{cid}")
    return cid


def _listed(ws, clock, scope: str = "市") -> GovernanceService:
    """The model certified, one clue verified (trial accuracy 100%) and listed (上架) at ``scope``."""
    gov = GovernanceService(ws, clock=clock)
    _certified(gov, clock)
    _one_verified_clue(ws, clock)
    gov.advance("pension-during-custody", "上架", "shi_lingdao", scope=scope)
    return gov


def test_versions_are_immutable_once_submitted_with_readable_diff(gov_world, clock):
    gov = GovernanceService(gov_world, clock=clock)
    r1 = gov.save(SOURCE, "jj_jcg")
    assert r1["number"] == 1 and r1["has_sql"] and "JOIN" in r1["sql"].upper()
    r1b = gov.save(SOURCE.replace("1.0.0", "1.0.1"), "jj_jcg")        # still a draft: edited in place
    assert r1b["number"] == 1
    gov.submit("pension-during-custody", "jj_jcg")
    with pytest.raises(TransitionRefused, match="第1版已于 2026-03-02 提交，不可修改"):
        gov.edit_revision("pension-during-custody", 1, SOURCE, "jj_jcg")
    changed = SOURCE.replace("1.0.0", "1.1.0").replace('having: "months >= 1"', 'having: "months >= 3"')
    r2 = gov.save(changed, "jj_jcg")
    assert r2["number"] == 2 and not r2["submitted"]
    revs = gov.revisions("pension-during-custody")
    assert revs[0]["source"] == SOURCE.replace("1.0.0", "1.0.1") and revs[0]["submitted"]
    diff = r2["diff"]
    assert "--- 第1版 模型文件" in diff and "+++ 第2版 模型文件" in diff
    assert '-      having: "months >= 1"' in diff and '+      having: "months >= 3"' in diff
    assert "--- 第1版 生成SQL" in diff and "+++ 第2版 生成SQL" in diff
    sql_part = diff.split("--- 第1版 生成SQL")[1]
    assert any(line.startswith("-") and ">= 1" in line for line in sql_part.splitlines())
    assert any(line.startswith("+") and ">= 3" in line for line in sql_part.splitlines())
    assert gov.get("pension-during-custody")["state"] == "草稿"
    gov.submit("pension-during-custody", "jj_jcg")
    r3 = gov.save(changed.replace("1.1.0", "1.1.1"), "jj_jcg")     # only metadata: no SQL section
    assert "版本" not in r3["diff"] and "生成SQL" not in r3["diff"] and "+version: 1.1.1" in r3["diff"]


def test_author_cannot_certify_and_evaluations_are_required(gov_people, clock):
    gov = GovernanceService(gov_people, clock=clock)
    gov.save(SOURCE, "shi_zhixing")
    with pytest.raises(TransitionRefused, match="当前状态为“草稿”，不能“业务认证”"):
        gov.certify("pension-during-custody", "业务认证", "shi_lingdao", EVAL_OK)
    gov.submit("pension-during-custody", "shi_zhixing")
    with pytest.raises(PermissionDenied, match="是模型 pension-during-custody 的作者，不能认证自己的模型"):
        gov.certify("pension-during-custody", "业务认证", "shi_zhixing", EVAL_OK)
    with pytest.raises(Exception, match="缺少评估：线索准确性"):
        gov.certify("pension-during-custody", "业务认证", "shi_lingdao",
                    {k: v for k, v in EVAL_OK.items() if k != "线索准确性"})
    gov.certify("pension-during-custody", "业务认证", "shi_lingdao", EVAL_OK)
    with pytest.raises(PermissionDenied) as exc:
        gov.certify("pension-during-custody", "数字认证", "shi_lingdao", EVAL_OK)
    assert "无权对模型 pension-during-custody执行“数字认证”" in exc.value.message and exc.value.hint == "需要角色：数字办"
    bad = {**EVAL_OK, "技术可行性": {"passed": False, "comment": "数据不可得"}}
    out = gov.certify("pension-during-custody", "数字认证", "shi_shuzi", bad, comment="退回补充数据来源")
    assert out["state"] == "草稿"
    ev = gov.get("pension-during-custody")["events"]
    assert ev[-1]["action"] == "数字认证未通过" and ev[-1]["evaluations"]["技术可行性"]["passed"] is False
    assert ev[-2]["action"] == "业务认证" and ev[-2]["actor"] == "shi_lingdao"


def test_trial_accuracy_listing_scope_and_adoption(gov_world, clock):
    ws = gov_world
    gov = GovernanceService(ws, clock=clock)
    _certified(gov, clock)
    with pytest.raises(TransitionRefused, match="核查线索 0 条"):
        gov.advance("pension-during-custody", "上架", "shi_lingdao", scope="市")
    result = RunService(ws, clock=clock).run("pension-during-custody")
    assert result.clues_new == 2                      # the submitted version runs from the workspace
    extra = make_clues(ws, __import__("shujian.spec", fromlist=["load_model"]).load_model(MODEL), 2)
    wf = WorkflowService(ws, clock=clock)
    ids = [c for c in range(1, 3)] + extra            # 4 clues: 3 verified, 1 excluded
    for cid in ids:
        wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(ids[3], "排除", "shi_shuzi", exclusion_type="法定例外")
    for cid in ids[:3]:
        wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 4, 1))
        wf.transition(cid, "核查", "jj_jcg")
        wf.transition(cid, "成案", "jj_jcg", case_number=f"案{cid}")
    assert gov.trial_accuracy("pension-during-custody") == {
        "model_id": "pension-during-custody", "verified": 3, "checked": 4, "accuracy": 0.75}
    with pytest.raises(Exception, match="需要范围"):
        gov.advance("pension-during-custody", "上架", "shi_lingdao")
    listed = gov.advance("pension-during-custody", "上架", "shi_lingdao", scope="市")
    assert listed["state"] == "上架" and listed["trial_accuracy"] == 0.75 and listed["listed_on"] == "2026-03-02"
    assert [m["model_id"] for m in gov.visible_to("331003")] == ["pension-during-custody"]
    assert gov.visible_to("3306") == []                # 绍兴 is outside 台州's 市 scope
    with pytest.raises(PermissionDenied, match="上架范围为“市”"):
        gov.adopt("pension-during-custody", "3306", "sx_jcg")
    gov.advance("pension-during-custody", "推广", "shi_lingdao", scope="省")
    ok = gov.adopt("pension-during-custody", "3306", "sx_jcg")
    assert ok["status"] == "已采用" and ok["missing"] == []
    row = gov.ledger()[0]
    assert row["adopting_orgs"] == ["绍兴市人民检察院"]
    assert (row["number"], row["name"], row["version"], row["author"], row["author_org"]) == (
        "331002-0001", "服刑人员违规领取养老金监督模型", 1, "李检察官", "台州市椒江区人民检察院")
    assert (row["line"], row["point"], row["state"], row["scope"], row["listed_on"]) == (
        "刑事执行检察", "养老金停发", "推广", "省", "2026-03-02")
    assert row["legal_basis"] == ["劳社厅函〔2001〕44号", "社会保险法第八十八条"]
    assert row["data_sources"] == ["养老金发放", "监所在押人员"]
    assert set(row["certification"]) == {"业务认证", "数字认证"} and "周主任" in row["certification"]["业务认证"]
    assert (row["model_version"], row["runs"], row["clues"], row["verified"], row["cases"], row["measures_adopted"]) == ("1.0.0", 2, 4, 3, 3, 0)  # the real run + make_clues' run
    assert row["last_run"] is not None and row["trial_accuracy"] == 0.75


def test_adoption_names_missing_fields(gov_world, clock):
    ws = gov_world
    gov = _listed(ws, clock, scope="全国")
    OrgService(ws).add_user("hy_shuzi", "郑分析", "331003", ["数字办"])
    load(ws, "黄岩羁押", custody_table().drop_columns(["羁押性质"]))
    out = gov.adopt("pension-during-custody", "331003", "hy_shuzi", mapping={
        "custody": {"dataset": "黄岩羁押", "fields": {"start": "入所时间"}},
        "pension": {"dataset": "黄岩养老金"}})
    assert out["status"] == "缺字段" and out["binding"] is None
    got = {(m["input"], m["field"]): m["message"] for m in out["missing"]}
    assert got == {
        ("custody", "kind"): "输入 custody 的字段 kind 没有映射：数据集“黄岩羁押”中没有与模型列“羁押性质”同名的列"
                             "（现有列：身份证号、姓名、入所日期、出所日期）；请映射到“黄岩羁押”中的一列（--map custody.kind=列名）",
        ("custody", "start"): "输入 custody 的字段 start 映射到的列“入所时间”不在数据集“黄岩羁押”中；"
                              "可能是：“入所日期”（同名）、“出所日期”（数据要素 日期、名称相似 75）",
        ("pension", None): "输入 pension 绑定的数据集“黄岩养老金”不在本院数据目录中；可能是：“养老金发放”",
    }
    assert {m["location"] for m in out["missing"]} == {"binding.custody.fields.kind", "binding.custody.fields.start",
                                                       "binding.pension.dataset"}
    assert out["mapping"]["custody"]["fields"]["person"] == "身份证号"

def _own(ws, names: list[str], org_code: str) -> None:
    """Give datasets to an org (所属院): other orgs' catalogs no longer show them."""
    from shujian.db.models import Dataset, Org

    with ws.db.unit_of_work() as s:
        org_id = s.query(Org.id).filter_by(code=org_code).scalar()
        for name in names:
            s.query(Dataset).filter_by(name=name).one().org_id = org_id


def test_an_adopted_model_runs_at_the_adopting_org_on_its_own_names(gov_world, clock):
    """The adoption mapping is the adopting org's 数据绑定: its runs read its own datasets and columns
    (before, the mapping was recorded and ignored, and the run failed: 数据集 … 不在目录中)."""
    from shujian.bindings import BindingService
    from shujian.db.models import Org
    from shujian.errors import ValidationFailed
    from shujian.security.scope import scope_for, use_scope

    ws = gov_world
    gov = _listed(ws, clock, scope="全国")
    OrgService(ws).add_user("hy_shuzi", "郑分析", "331003", ["数字办"])
    _own(ws, ["监所在押人员", "养老金发放"], DISTRICT)                    # the author org's own data
    load(ws, "黄岩羁押", custody_table().rename_columns(["公民身份号码", "人员姓名", "入监时间", "出监时间", "羁押类别"]))
    load(ws, "黄岩养老金", pension_table().rename_columns(["证件号码", "领取人", "待遇所属期", "实发金额"]))
    _own(ws, ["黄岩羁押", "黄岩养老金"], "331003")
    with ws.db.unit_of_work() as s:
        huangyan = scope_for(s, "hy_shuzi", s.query(Org.id).filter_by(code="331003").scalar(), ["数字办"])
    with use_scope(huangyan), pytest.raises(ValidationFailed, match="本院数据目录中没有"):
        RunService(ws, clock=clock).run("pension-during-custody")

    mapping = {"custody": {"dataset": "黄岩羁押", "fields": {"person": "公民身份号码", "name": "人员姓名",
                                                         "start": "入监时间", "end": "出监时间", "kind": "羁押类别"}},
               "pension": {"dataset": "黄岩养老金", "fields": {"month": "待遇所属期", "amount": "实发金额"}}}
    partial = gov.adopt("pension-during-custody", "331003", "hy_shuzi",
                        mapping={"custody": mapping["custody"], "pension": {"dataset": "黄岩养老金"}})
    assert partial["status"] == "缺字段" and partial["binding"] is None
    assert {m["field"] for m in partial["missing"]} == {"month", "amount"}
    out = gov.adopt("pension-during-custody", "331003", "hy_shuzi", mapping=mapping)
    assert out["status"] == "已采用" and out["missing"] == []
    assert (out["binding"]["source"], out["binding"]["by"], out["binding"]["org"]) == (
        "采用", "hy_shuzi", "台州市黄岩区人民检察院")
    assert out["mapping"]["pension"]["fields"]["person"] == "证件号码"     # the semantic field, resolved

    with use_scope(huangyan):
        result = RunService(ws, clock=clock).run("pension-during-custody")
        record = RunService(ws).get_run(result.run_id)
    assert result.status == "succeeded" and result.rows_out == 2
    assert record["binding"]["kind"] == "本院绑定" and record["binding"]["source"] == "采用"
    assert {v["dataset"] for v in record["dataset_versions"].values()} == {"黄岩羁押", "黄岩养老金"}
    assert BindingService(ws).history("pension-during-custody", org="331003")[0]["version"] == 1


def test_listing_refused_below_the_minimum_trial_accuracy(gov_world, clock):
    ws = gov_world
    gov = GovernanceService(ws, clock=clock)
    _certified(gov, clock)
    ids = make_clues(ws, __import__("shujian.spec", fromlist=["load_model"]).load_model(MODEL), 2)
    WorkflowService(ws, clock=clock).transition(ids[0], "排除", "shi_shuzi", exclusion_type="数据错误")
    with pytest.raises(TransitionRefused) as exc:
        gov.advance("pension-during-custody", "上架", "shi_lingdao", scope="市")
    assert "试运行线索准确性为 0%（已核查 1 条，属实 0 条），低于上架最低要求 60%，不能上架" in exc.value.message
    assert "SHUJIAN_LISTING_MIN_ACCURACY" in exc.value.hint
    assert gov.get("pension-during-custody")["state"] == "试运行"


def test_actions_offered_follow_state_role_and_authorship(gov_world, clock):
    gov = GovernanceService(gov_world, clock=clock)
    mid = "pension-during-custody"
    gov.save(SOURCE, "jj_jcg")
    assert gov.allowed_actions(mid, "jj_jcg") == ["提交"]
    assert gov.allowed_actions(mid, "shi_lingdao") == []               # not the author: nothing to do on a draft
    gov.submit(mid, "jj_jcg")
    assert gov.allowed_actions(mid, "jj_jcg") == []
    assert gov.allowed_actions(mid, "shi_zhixing") == ["业务认证", "退回"]
    assert gov.allowed_actions(mid, "shi_shuzi") == ["退回"]
    gov.certify(mid, "业务认证", "shi_zhixing", EVAL_OK)
    assert gov.allowed_actions(mid, "shi_shuzi") == ["数字认证", "退回"]
    gov.certify(mid, "数字认证", "shi_shuzi", EVAL_OK)
    gov.advance(mid, "试运行", "shi_shuzi")
    assert gov.allowed_actions(mid, "shi_lingdao") == ["上架", "下架", "退回"]


def test_certification_keeps_the_opinion_and_the_three_evaluations(gov_world, clock):
    gov = GovernanceService(gov_world, clock=clock)
    gov.save(SOURCE, "jj_jcg")
    gov.submit("pension-during-custody", "jj_jcg")
    evals = {**EVAL_OK, "技术可行性": {"passed": True, "comment": "数据按月更新，可行"}}
    gov.certify("pension-during-custody", "业务认证", "shi_zhixing", evals, comment="同意上线试运行")
    ev = gov.get("pension-during-custody")["events"][-1]
    assert ev["comment"] == "同意上线试运行" and ev["actor_name"] == "周主任"
    assert ev["evaluations"]["技术可行性"] == {"passed": True, "comment": "数据按月更新，可行"}


def test_editing_a_listed_model_makes_a_draft_and_keeps_the_listed_version_running(gov_world, clock):
    ws = gov_world
    gov = _listed(ws, clock)
    mid = "pension-during-custody"
    changed = SOURCE.replace("1.0.0", "1.1.0").replace('having: "months >= 1"', 'having: "months >= 3"')
    r2 = gov.save(changed, "jj_jcg")
    info = gov.get(mid)
    assert r2["number"] == 2 and not r2["submitted"]
    assert (info["state"], info["listed_version"], info["version"]) == ("上架", 1, 2)
    assert "上架版本仍为第1版" in info["events"][-1]["comment"]
    assert gov.runnable_source(mid) == SOURCE                     # runs keep using the listed version
    assert [m["model_id"] for m in gov.visible_to("331003")] == [mid]
    assert gov.allowed_actions(mid, "jj_jcg") == ["提交"]
    gov.submit(mid, "jj_jcg")                                     # the new version goes to certification …
    info = gov.get(mid)
    assert (info["state"], info["listed_version"]) == ("提交", 1)   # … while version 1 stays listed
    assert gov.runnable_source(mid) == SOURCE
    OrgService(ws).add_user("hy_shuzi", "郑分析", "331003", ["数字办"])
    assert gov.adopt(mid, "331003", "hy_shuzi")["status"] == "已采用"


def test_a_delisted_model_does_not_run(gov_world, clock):
    ws = gov_world
    gov = _listed(ws, clock)
    mid = "pension-during-custody"
    assert RunService(ws, clock=clock).run(mid).status == "succeeded"
    gov.advance(mid, "下架", "shi_lingdao", reason="数据源停止更新")
    with pytest.raises(TransitionRefused) as exc:
        RunService(ws, clock=clock).run(mid)
    assert exc.value.message == "模型“服刑人员违规领取养老金监督模型”已下架（理由：数据源停止更新），不能运行"
    assert gov.visible_to("331003") == []


def test_listing_range_reads_the_org_tree_once_for_all_listed_models(gov_world, clock):
    """The access layer's filter of governed models asks each listed model whether the viewer's org lies
    in its listing range: the org tree is read once for them all, whatever the number of models (it was
    ~9 statements per listed model: one per ancestor and one per org row, on every page)."""
    from sqlalchemy import event

    from shujian.db.models import GovModel, User
    from shujian.orgs.service import OrgTree, ancestors
    from shujian.security.access import _gov_condition
    from shujian.security.scope import scope_for

    ws = gov_world
    _listed(ws, clock, "市")
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with ws.db.unit_of_work() as s:
        jj = s.query(User).filter_by(username="jj_jcg").one()
        sx = s.query(User).filter_by(username="sx_jcg").one()
        seen = {}
        for user in (jj, sx):
            scope = scope_for(s, user.username, user.org_id, user.roles)
            s.expunge_all()
            statements.clear()
            event.listen(ws.db.engine, "before_cursor_execute", count)
            try:
                cond = _gov_condition(s, scope)
            finally:
                event.remove(ws.db.engine, "before_cursor_execute", count)
            assert len(statements) <= 2, statements       # the listed models and the org tree
            seen[user.username] = [m for (m,) in s.query(GovModel.model_id).filter(cond)]
        assert seen == {"jj_jcg": ["pension-during-custody"], "sx_jcg": []}   # 市 scope: 台州 only
        # the tree's answers are the per-org ones (ancestors walks the rows one query at a time)
        tree = OrgTree.load(s)
        for oid in list(tree.parent)[:200]:
            assert tree.ancestors(oid) == ancestors(s, oid)


def _row_asked_model_by_model(s, gm) -> dict:
    """The 台账 row as it was read before the rows were read together (≈ 16 statements a model): the
    reference the grouped reading must equal."""
    from sqlalchemy import func

    from shujian.db.models import Clue, GovEvent, ModelAdoption, Org, Run, SupervisionMeasure, User
    from shujian.governance.rules import CERTIFICATIONS, VERIFIED_STATES
    from shujian.governance.service import _latest, model_dict
    from shujian.governance.versions import model_summary, parse_source

    row = model_dict(s, gm)
    rev = _latest(s, gm)
    row.update(model_summary(parse_source(rev.source)) if rev else {})
    row["certification"] = {}
    for kind in CERTIFICATIONS:
        ev = (s.query(GovEvent).filter(GovEvent.gov_model_id == gm.id, GovEvent.action == kind)
              .order_by(GovEvent.id.desc()).first())
        if ev is not None:
            user = s.get(User, ev.actor_id)
            row["certification"][kind] = f"通过（{user.name if user else ''}，{ev.at:%Y-%m-%d}）"
    row["adopting_orgs"] = [s.get(Org, a.org_id).name for a in
                            s.query(ModelAdoption).filter_by(gov_model_id=gm.id, status="已采用")]
    counted = (Run.model_id == gm.model_id) & (~Run.sandbox | Run.published_at.is_not(None))
    row["runs"] = s.query(func.count(Run.id)).filter(counted).scalar()
    last = s.query(func.max(Run.started_at)).filter(counted).scalar()
    row["last_run"] = last.isoformat() if last else None
    row["clues"] = s.query(func.count(Clue.id)).filter(Clue.model_id == gm.model_id).scalar()
    row["verified"] = s.query(func.count(Clue.id)).filter(Clue.model_id == gm.model_id,
                                                          Clue.state.in_(VERIFIED_STATES)).scalar()
    row["cases"] = s.query(func.count(Clue.id)).filter(Clue.model_id == gm.model_id,
                                                       Clue.case_number.isnot(None)).scalar()
    m = (s.query(func.count(SupervisionMeasure.id), func.coalesce(func.sum(SupervisionMeasure.money_recovered), 0))
         .join(Clue, Clue.id == SupervisionMeasure.clue_id)
         .filter(Clue.model_id == gm.model_id, SupervisionMeasure.adopted.is_(True)).one())
    row["measures_adopted"], row["money_recovered"] = m[0], float(m[1] or 0)
    return row


def test_ledger_rows_read_together_equal_the_rows_read_one_by_one(gov_world, clock):
    from shujian.db.models import GovModel
    from shujian.governance.service import ledger_rows

    ws = gov_world
    gov = _listed(ws, clock, "市")
    gov.advance("pension-during-custody", "推广", "shi_lingdao", scope="省")
    gov.adopt("pension-during-custody", "3306", "sx_jcg")
    RunService(ws, clock=clock).run("pension-during-custody")
    gov.save(SOURCE.replace("id: pension-during-custody", "id: pension-second"), "sx_jcg")   # 绍兴's draft
    gov.submit("pension-second", "sx_jcg")
    gov.save(SOURCE.replace("id: pension-during-custody", "id: pension-third"), "jj_jcg")    # never submitted
    with ws.db.unit_of_work() as s:
        gms = s.query(GovModel).order_by(GovModel.number).all()
        together = ledger_rows(s, gms)
        one_by_one = [_row_asked_model_by_model(s, gm) for gm in gms]
    assert len(together) == 3 and together == one_by_one
    first = next(r for r in together if r["model_id"] == "pension-during-custody")
    assert first["adopting_orgs"] == ["绍兴市人民检察院"] and first["runs"] == 2 and first["clues"] >= 3
    assert first["listed_version"] == 1 and set(first["certification"]) == {"业务认证", "数字认证"}
    second = next(r for r in together if r["model_id"] == "pension-second")
    assert (second["runs"], second["clues"], second["certification"], second["adopting_orgs"]) == (0, 0, {}, [])
