"""Issue 14 (finding 11, the paths left): every change commits with its audit record, or neither lands.

For each path — a data import (file, database pull, in-memory), a retype, a comment with attachments,
a cancelled and a failed run, a model edit, certification, listing/unlisting and adoption — the audit
write is made to fail for real (the chain head row is removed, so appending is refused) and the test
checks that the change did not land either; with the head back, the same change lands with exactly
its record and ``audit verify`` passes (the HMAC-SM3 chain and its signed head stay valid).  On the old
code each change committed first and its record was written afterwards, in a transaction of its own.
"""

from __future__ import annotations

import io
import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from tests.runs.conftest import MODEL, custody_table, load, pension_table
from tests.workflow.conftest import DISTRICT, Clock, make_clues, seed_people

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.clues.attachments import AttachmentService
from shujian.db.models import (
    AuditHead,
    AuditRecord,
    ClueAttachment,
    ClueEvent,
    Dataset,
    DatasetVersion,
    GovEvent,
    GovModel,
    GovRevision,
    ModelAdoption,
    ModelBinding,
    Run,
)
from shujian.errors import Cancelled, ConfigError, ImportFailed, ShujianError
from shujian.governance.service import GovernanceService
from shujian.orgs.service import OrgService
from shujian.runs.models import record_version
from shujian.runs.service import RunService
from shujian.security.audit import AuditLog
from shujian.spec import load_model

SOURCE = MODEL.read_text(encoding="utf-8")
MODEL_ID = "pension-during-custody"
EVAL_OK = {e: {"passed": True, "comment": "同意"} for e in ("建模必要性", "技术可行性", "线索准确性")}


# ---------------------------------------------------------------------------------- helpers
@contextmanager
def audit_refused(ws):
    """Appending is refused for real while inside (the head row is gone); the head is put back after,
    unchanged, so the chain verifies again only if nothing was appended meanwhile."""
    with ws.db.unit_of_work() as s:
        head = s.get(AuditHead, 1)
        saved = {"id": head.id, "records": head.records, "last_hash": head.last_hash,
                 "signature": head.signature, "updated_at": head.updated_at}
        s.delete(head)
    try:
        yield
    finally:
        with ws.db.unit_of_work() as s:
            s.add(AuditHead(**saved))


def records(ws, action: str) -> list[dict]:
    return AuditLog(ws).search(action=action, limit=10_000)


def count(ws, model, *where) -> int:
    with ws.db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def chain_ok(ws) -> None:
    out = AuditLog(ws).verify()
    assert out["ok"], out["problem"]
    with ws.db.unit_of_work() as s:        # the head counts every record: nothing slipped in unsigned
        assert s.get(AuditHead, 1).records == s.scalar(select(func.count()).select_from(AuditRecord))


# ---------------------------------------------------------------------------------- imports
def _csv(tmp_path, rows: list[tuple[str, str]], name: str = "人员.csv"):
    path = tmp_path / name
    path.write_text("身份证号,金额\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8")
    return path


def test_a_file_import_and_its_record_commit_together(ws, tmp_path):
    seed_people(ws)
    path = _csv(tmp_path, [("110101198001010053", "10")])
    cat = CatalogService(ws)
    with audit_refused(ws), pytest.raises(ConfigError):
        cat.import_file(ImportRequest(name="人员", path=path, importer="shi_shuzi"))
    assert count(ws, DatasetVersion) == 0 and records(ws, "data.import") == []
    chain_ok(ws)

    res = cat.import_file(ImportRequest(name="人员", path=path, importer="shi_shuzi"))
    [rec] = records(ws, "data.import")
    assert rec["outcome"] == "成功" and rec["target"] == "dataset:人员" and rec["detail"]["version"] == res.version
    with ws.db.unit_of_work() as s:         # 所属院 claimed in the same transaction
        assert s.query(Dataset).filter_by(name="人员").one().org_id == rec["org_id"] is not None
    chain_ok(ws)


def test_a_failed_import_leaves_no_version_and_one_failure_record_without_values(ws, tmp_path):
    seed_people(ws)
    path = _csv(tmp_path, [("110101198001010053", "十元"), ("11010519491231002X", "20")])
    with pytest.raises(ImportFailed) as err:
        CatalogService(ws).import_file(ImportRequest(name="人员", path=path, importer="shi_shuzi",
                                                     types={"金额": "decimal"}))
    assert "十元" in err.value.message                     # the caller is told which value failed
    assert count(ws, DatasetVersion) == 0
    [rec] = records(ws, "data.import")
    assert rec["outcome"] == "失败" and "未生成新版本" in rec["reason"] and rec["detail"]["error"] == "import_failed"
    assert "十元" not in str(rec) and "110101198001010053" not in str(rec)     # the record quotes no cell
    chain_ok(ws)


def test_a_database_pull_and_its_record_commit_together(sqlite_ws, tmp_path):
    from shujian.catalog.connectors import DbPull

    ws = sqlite_ws
    db = tmp_path / "source.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE 工单 (编号 TEXT PRIMARY KEY, 主题 TEXT)")
    con.executemany("INSERT INTO 工单 VALUES (?, ?)", [("T1", "预付卡"), ("T2", "物业")])
    con.commit()
    con.close()
    pull = DbPull(url=f"sqlite:///{db}", table="工单")
    cat = CatalogService(ws)
    with audit_refused(ws), pytest.raises(ConfigError):
        cat.import_db(ImportRequest(name="工单"), pull)
    assert count(ws, DatasetVersion) == 0 and records(ws, "data.import") == []
    cat.import_db(ImportRequest(name="工单"), pull)
    [rec] = records(ws, "data.import")
    assert rec["detail"]["table"] == "工单" and rec["detail"]["rows"] == 2
    chain_ok(ws)


def test_an_in_memory_import_is_recorded_with_its_version(ws):
    with audit_refused(ws), pytest.raises(ConfigError):
        load(ws, "养老金发放", pension_table())
    assert count(ws, DatasetVersion) == 0
    load(ws, "养老金发放", pension_table())
    assert [r["target"] for r in records(ws, "data.import")] == ["dataset:养老金发放"]
    chain_ok(ws)


def test_a_retype_and_its_record_commit_together(ws, tmp_path):
    path = _csv(tmp_path, [("110101198001010053", "10"), ("11010519491231002X", "20")])
    cat = CatalogService(ws)
    cat.import_file(ImportRequest(name="人员", path=path, types={"金额": "text"}))
    with audit_refused(ws), pytest.raises(ConfigError):
        cat.retype("人员", "金额", "integer")
    assert cat.describe("人员")["columns"][1]["dtype"] == "VARCHAR" and records(ws, "data.retype") == []
    out = cat.retype("人员", "金额", "integer")
    assert out["changed"] and cat.describe("人员")["columns"][1]["dtype"] != "VARCHAR"
    [rec] = records(ws, "data.retype")
    assert rec["detail"]["column"] == "金额"
    chain_ok(ws)


def test_classification_sealing_and_element_types_commit_with_their_records(ws, tmp_path):
    path = _csv(tmp_path, [("110101198001010053", "10")])
    cat = CatalogService(ws)
    cat.import_file(ImportRequest(name="人员", path=path))
    with audit_refused(ws), pytest.raises(ConfigError):
        cat.set_level("人员", "核心", sealed=True)
    with audit_refused(ws), pytest.raises(ConfigError):
        cat.set_semantic("人员", "身份证号", "text")
    info = cat.describe("人员")
    assert not info["sealed"] and info["level"] != "核心" and info["columns"][0]["semantic"] == "id_number"
    assert records(ws, "data.govern") == []
    level = info["level"]
    cat.set_level("人员", "核心", sealed=True)
    cat.set_semantic("人员", "身份证号", "text")
    semantic, sealing = records(ws, "data.govern")            # newest first
    assert sealing["detail"] == {"level": [level, "核心"], "sealed": [False, True]}
    assert semantic["detail"]["column"] == "身份证号" and semantic["detail"]["semantic"] == ["id_number", "text"]
    chain_ok(ws)


# ---------------------------------------------------------------------------------- attachments
def test_an_attachment_upload_its_comment_and_records_commit_together(ws):
    seed_people(ws)
    [cid] = make_clues(ws, load_model(MODEL), 1)
    svc = AttachmentService(ws)
    with audit_refused(ws), pytest.raises(ConfigError):
        svc.comment(cid, "shi_shuzi", "核查材料", [("说明.pdf", io.BytesIO(b"%PDF-1.4 test"))])
    assert count(ws, ClueAttachment) == 0 and count(ws, ClueEvent, ClueEvent.action == "评论") == 0
    assert not list((ws.home / "attachments").glob("*"))           # the stored file was removed too
    out = svc.comment(cid, "shi_shuzi", "核查材料", [("说明.pdf", io.BytesIO(b"%PDF-1.4 test"))])
    [up] = records(ws, "clue.attachment.upload")
    [note] = records(ws, "clue.comment")
    assert up["detail"]["attachment_id"] == out["attachments"][0]["attachment_id"] and up["actor"] == "shi_shuzi"
    assert note["detail"]["event_id"] == out["event_id"]
    chain_ok(ws)


def test_a_plain_comment_is_recorded_by_the_service(ws):
    from shujian.workflow.service import WorkflowService

    seed_people(ws)
    [cid] = make_clues(ws, load_model(MODEL), 1)
    with audit_refused(ws), pytest.raises(ConfigError):
        WorkflowService(ws).comment(cid, "jj_jcg", "已电话联系")
    assert count(ws, ClueEvent, ClueEvent.action == "评论") == 0
    WorkflowService(ws).comment(cid, "jj_jcg", "已电话联系")
    assert [r["target"] for r in records(ws, "clue.comment")] == [f"clue:{cid}"]
    chain_ok(ws)


def test_measures_supervision_and_escalation_commit_with_their_records(ws, clock):
    from shujian.db.models import Clue, SupervisionMeasure
    from shujian.workflow.service import WorkflowService

    seed_people(ws)
    [cid] = make_clues(ws, load_model(MODEL), 1)
    wf = WorkflowService(ws, clock=clock)
    for action, who, kw in (("研判", "shi_shuzi", {}),
                            ("交办", "shi_zhixing", {"org": DISTRICT, "deadline": date(2026, 4, 1)}),
                            ("核查", "jj_jcg", {}), ("成案", "jj_jcg", {"case_number": "案1"})):
        wf.transition(cid, action, who, **kw)
    steps = [
        lambda: wf.add_measure(cid, "jj_jcg", "工作联系函", doc_number="台椒检函〔2026〕1号"),     # 成案 → 监督措施
        lambda: wf.add_measure(cid, "jj_jcg", "检察建议", doc_number="台椒检建〔2026〕2号"),       # a second one
        lambda: wf.supervise(cid, "shi_lingdao", date(2026, 5, 1), "重点督办"),
        lambda: wf.escalate(cid, "jj_fzr", "纠正违法通知书", reason="逾期未整改"),
    ]
    for n, step in enumerate(steps):
        if n == 3:
            with ws.db.unit_of_work() as s:
                s.get(Clue, cid).escalation = "建议刚性"      # as check_overdue leaves an ignored 柔性 measure
        before = (wf.state(cid), count(ws, SupervisionMeasure), count(ws, ClueEvent), count(ws, AuditRecord))
        with audit_refused(ws), pytest.raises(ConfigError):
            step()
        assert (wf.state(cid), count(ws, SupervisionMeasure), count(ws, ClueEvent), count(ws, AuditRecord)) == before
        step()
        assert count(ws, AuditRecord) == before[3] + 1
    actions = [r["detail"]["action"] for r in reversed(records(ws, "clue.transition"))][4:]
    assert actions == ["监督措施", "监督措施", "督办", "刚性监督"]
    assert wf.state(cid)["state"] == "监督措施" and wf.state(cid)["supervised"]
    chain_ok(ws)


# ---------------------------------------------------------------------------------- runs
@pytest.fixture
def data(ws):
    seed_people(ws)
    load(ws, "监所在押人员", custody_table())
    load(ws, "养老金发放", pension_table())
    return ws


def _run_records(ws) -> list[dict]:
    return records(ws, "model.run")


def test_a_cancelled_run_ends_with_its_record_or_not_at_all(data):
    ws = data
    stop = threading.Event()
    stop.set()
    with audit_refused(ws), pytest.raises(ConfigError):
        RunService(ws).run(load_model(MODEL), cancel=stop)
    with ws.db.unit_of_work() as s:      # the final state was not written without its record
        assert s.query(Run.status).one()[0] == "running"
    assert _run_records(ws) == []
    with pytest.raises(Cancelled):
        RunService(ws).run(load_model(MODEL), cancel=stop)
    with ws.db.unit_of_work() as s:
        statuses = sorted(st for (st,) in s.query(Run.status))
    assert "cancelled" in statuses
    [rec] = _run_records(ws)
    assert rec["outcome"] == "取消" and rec["detail"]["status"] == "cancelled"
    chain_ok(ws)


def test_a_failed_run_ends_with_its_record_or_not_at_all(data):
    ws = data
    model = load_model(MODEL)
    with ws.warehouse() as con:      # the input's table is gone: execution fails after the run row
        relation = con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ds_%' "
                               "ORDER BY table_name LIMIT 1").fetchone()[0]
        con.execute(f'ALTER TABLE "{relation}" RENAME TO moved_away')
    with audit_refused(ws), pytest.raises(ConfigError):
        RunService(ws).run(model)
    with ws.db.unit_of_work() as s:
        assert s.query(Run.status).one()[0] == "running"
    with pytest.raises(ShujianError):
        RunService(ws).run(model)
    [rec] = _run_records(ws)
    assert rec["outcome"] == "失败" and rec["detail"]["status"] == "failed"
    with ws.db.unit_of_work() as s:
        assert count(ws, Run, Run.status == "failed") == 1
    chain_ok(ws)


def test_a_run_whose_process_died_is_marked_with_its_record_or_not_at_all(data):
    ws = data
    with ws.db.unit_of_work() as s:                   # a run row left by a process that no longer exists
        mv = record_version(s, load_model(MODEL), builtin=False)
        s.add(Run(model_id=MODEL_ID, model_version_id=mv.id, model_hash=mv.hash, status="running",
                  pid=2_000_000_000, params={}, dataset_versions={}))
    with audit_refused(ws), pytest.raises(ConfigError):
        RunService(ws).recover_interrupted()
    assert count(ws, Run, Run.status == "running") == 1 and _run_records(ws) == []
    assert len(RunService(ws).recover_interrupted()) == 1
    [rec] = _run_records(ws)
    assert rec["outcome"] == "中断" and rec["actor"] == "系统" and rec["detail"]["model_id"] == MODEL_ID
    chain_ok(ws)


# ---------------------------------------------------------------------------------- governance
@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def gov(ws):
    seed_people(ws)
    OrgService(ws).add_user("jj_shuzi", "吴分析", DISTRICT, ["数字办"])
    load(ws, "监所在押人员", custody_table())
    load(ws, "养老金发放", pension_table())
    return ws


def _state(ws) -> tuple:
    with ws.db.unit_of_work() as s:
        gm = s.query(GovModel).filter_by(model_id=MODEL_ID).one_or_none()
        return (gm.state if gm else None, s.query(GovEvent).count(), s.query(GovRevision).count(),
                [(r.hash, r.submitted_at is not None) for r in s.query(GovRevision).order_by(GovRevision.number)])


def _refused_leaves_nothing(ws, step) -> None:
    before, n = _state(ws), count(ws, AuditRecord)
    with audit_refused(ws), pytest.raises(ConfigError):
        step()
    assert _state(ws) == before and count(ws, AuditRecord) == n
    step()
    assert _state(ws) != before
    assert count(ws, AuditRecord) == n + 1
    chain_ok(ws)


def test_each_governance_change_commits_with_its_record(gov, clock):
    ws = gov
    g = GovernanceService(ws, clock=clock)
    _refused_leaves_nothing(ws, lambda: g.save(SOURCE, "jj_jcg"))                       # 新建
    assert count(ws, GovModel) == 1
    _refused_leaves_nothing(ws, lambda: g.save(SOURCE.replace("1.0.0", "1.0.1"), "jj_jcg"))   # 修改草稿
    _refused_leaves_nothing(ws, lambda: g.submit(MODEL_ID, "jj_jcg"))
    _refused_leaves_nothing(ws, lambda: g.certify(MODEL_ID, "业务认证", "shi_zhixing", EVAL_OK))
    _refused_leaves_nothing(ws, lambda: g.certify(MODEL_ID, "数字认证", "shi_shuzi", EVAL_OK))
    _refused_leaves_nothing(ws, lambda: g.advance(MODEL_ID, "试运行", "shi_shuzi"))
    cid = make_clues(ws, load_model(MODEL), 1)[0]
    from shujian.workflow.service import WorkflowService

    wf = WorkflowService(ws, clock=clock)
    wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 4, 1))
    wf.transition(cid, "核查", "jj_jcg")
    wf.transition(cid, "成案", "jj_jcg", case_number="案1")
    _refused_leaves_nothing(ws, lambda: g.advance(MODEL_ID, "上架", "shi_lingdao", scope="市"))
    assert g.get(MODEL_ID)["state"] == "上架"
    _refused_leaves_nothing(ws, lambda: g.advance(MODEL_ID, "下架", "shi_lingdao", reason="规则调整"))
    assert g.get(MODEL_ID)["state"] == "下架"
    kinds = [(r["action"], (r["detail"] or {}).get("action")) for r in reversed(records(ws, "model."))
             if r["action"] in ("model.edit", "model.certify")]
    assert kinds == [("model.edit", None), ("model.edit", None), ("model.certify", "提交"),
                     ("model.certify", "业务认证"), ("model.certify", "数字认证"), ("model.certify", "试运行"),
                     ("model.certify", "上架"), ("model.certify", "下架")]
    down = records(ws, "model.certify")[0]
    assert down["reason"] == "规则调整" and down["detail"]["from"] == "上架" and down["detail"]["to"] == "下架"
    assert down["actor"] == "shi_lingdao" and down["target"] == f"model:{MODEL_ID}"


def test_an_adoption_its_binding_and_their_records_commit_together(gov, clock):
    ws = gov
    g = GovernanceService(ws, clock=clock)
    g.save(SOURCE, "shi_shuzi")
    g.submit(MODEL_ID, "shi_shuzi")
    g.certify(MODEL_ID, "业务认证", "shi_zhixing", EVAL_OK)
    g.certify(MODEL_ID, "数字认证", "jj_shuzi", EVAL_OK)
    g.advance(MODEL_ID, "试运行", "jj_shuzi")
    cid = make_clues(ws, load_model(MODEL), 1)[0]
    from shujian.workflow.service import WorkflowService

    wf = WorkflowService(ws, clock=clock)
    for action, who, kw in (("研判", "shi_shuzi", {}),
                            ("交办", "shi_zhixing", {"org": DISTRICT, "deadline": date(2026, 4, 1)}),
                            ("核查", "jj_jcg", {}), ("成案", "jj_jcg", {"case_number": "案1"})):
        wf.transition(cid, action, who, **kw)
    g.advance(MODEL_ID, "上架", "shi_lingdao", scope="市")
    n = count(ws, AuditRecord)
    with audit_refused(ws), pytest.raises(ConfigError):
        g.adopt(MODEL_ID, DISTRICT, "jj_shuzi")
    assert count(ws, ModelAdoption) == 0 and count(ws, ModelBinding) == 0 and count(ws, AuditRecord) == n
    out = g.adopt(MODEL_ID, DISTRICT, "jj_shuzi")
    assert out["status"] == "已采用"
    assert count(ws, ModelAdoption) == 1 and count(ws, ModelBinding) == 1
    [bind] = records(ws, "model.bind")
    [adopt] = records(ws, "model.adopt")
    assert adopt["detail"]["status"] == "已采用" and adopt["actor"] == "jj_shuzi" and bind["id"] == adopt["id"] - 1
    chain_ok(ws)


def test_a_model_without_change_writes_no_edit_record(gov, clock):
    g = GovernanceService(gov, clock=clock)
    g.save(SOURCE, "jj_jcg")
    g.submit(MODEL_ID, "jj_jcg")
    n = len(records(gov, "model.edit"))
    g.save(SOURCE, "jj_jcg")                   # same file as the submitted version: nothing changes
    assert len(records(gov, "model.edit")) == n
