"""The command line obeys the same rules as the API, on SQLite and PostgreSQL: with ``--as`` (or
``shujian --as``, or SHUJIAN_USER) listings and details are limited to the user's org scope (a sibling's
record is "不存在"), the user's role must hold the command's action, and imports, runs and clue
transitions are audit records — made by the services, so web and CLI write the same ones."""

from __future__ import annotations

import json

from shujian.cli.main import main
from shujian.db.models import Clue, Run, SupervisionMeasure
from shujian.security.audit import AuditLog

from .conftest import A_DATASET, seed


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _json(capsys, *args: str):
    code, out, err = cli(capsys, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_listings_and_details_follow_the_acting_users_org(ws, capsys, monkeypatch):
    ids = seed(ws, passwords=())
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    with ws.db.unit_of_work() as s:        # the seed's run belongs to 区县院 A
        s.query(Run).update({"org_id": ids["orgs"]["331002"]})
    assert {c["clue_id"] for c in _json(capsys, "clue", "list")} >= {ids["a"], ids["b"]}   # local operator
    assert A_DATASET in {j["target"] for j in _json(capsys, "data", "jobs")}
    assert [c["clue_id"] for c in _json(capsys, "clue", "list", "--as", "b_jcg")] == [ids["b"]]
    assert [c["clue_id"] for c in _json(capsys, "--as", "b_jcg", "clue", "list")] == [ids["b"]]
    monkeypatch.setenv("SHUJIAN_USER", "b_jcg")
    assert [c["clue_id"] for c in _json(capsys, "clue", "list")] == [ids["b"]]
    assert _json(capsys, "model", "runs") == []
    assert A_DATASET not in {d["name"] for d in _json(capsys, "data", "list")}
    assert A_DATASET not in {j["target"] for j in _json(capsys, "data", "jobs")}
    assert sum(r["generated"] for r in _json(capsys, "stats", "--by", "model")["rows"]) == 1
    for args in (["clue", "show", str(ids["a"])], ["clue", "history", str(ids["a"])],
                 ["clue", "transition", str(ids["a"]), "--action", "研判", "--reason", "越权"],
                 ["model", "run-show", "1"], ["data", "show", A_DATASET]):
        code, _, err = cli(capsys, *args)
        assert code != 0 and "不存在" in err, (args, err)
    monkeypatch.delenv("SHUJIAN_USER")
    assert [r["run_id"] for r in _json(capsys, "model", "runs", "--as", "a_jcg")] == [1]
    assert {c["clue_id"] for c in _json(capsys, "clue", "list", "--as", "c_ld")} >= {ids["a"], ids["b"]}
    # the command's own --as wins over shujian --as
    assert [c["clue_id"] for c in _json(capsys, "--as", "c_ld", "clue", "list", "--as", "a_jcg")] == [ids["a"]]


def test_the_role_must_hold_the_commands_action(sqlite_ws, capsys, monkeypatch):
    """Pure role logic, the same on both databases: SQLite only."""
    ws = sqlite_ws
    seed(ws, passwords=())
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    for args in (["clue", "list", "--as", "c_admin"], ["data", "list", "--as", "c_admin"],
                 ["model", "run", "pension-during-custody", "--as", "a_jcg"], ["audit", "list", "--as", "a_jcg"]):
        code, _, err = cli(capsys, *args)
        assert code == 3 and "无权“" in err, (args, err)
    denied = AuditLog(ws).search(action="denied")
    assert {r["actor"] for r in denied} >= {"c_admin", "a_jcg"} and all(r["outcome"] == "拒绝" for r in denied)
    code, _, err = cli(capsys, "clue", "list", "--as", "nobody")
    assert code != 0 and "nobody" in err


def test_cli_imports_runs_and_transitions_are_audited(ws, capsys, monkeypatch, tmp_path):
    ids = seed(ws, passwords=())
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    path = tmp_path / "人员.csv"
    path.write_text("身份证号,姓名\n11010519491231002X,张三\n", encoding="utf-8")
    assert cli(capsys, "data", "import", str(path), "--name", "命令行导入", "--no-progress", "--as", "c_sz")[0] == 0
    assert cli(capsys, "data", "import", str(path), "--name", "本机导入", "--no-progress")[0] == 0
    code, _, err = cli(capsys, "model", "run", "pension-during-custody", "--as", "c_sz")
    assert code == 0, err
    code, _, err = cli(capsys, "clue", "transition", str(ids["a"]), "--action", "研判", "--as", "a_fzr")
    assert code == 0, err
    log = AuditLog(ws)
    imports = {r["target"]: r for r in log.search(action="data.import")}
    assert imports["dataset:命令行导入"]["actor"] == "c_sz"
    assert imports["dataset:命令行导入"]["org_id"] == ids["orgs"]["3310"]
    assert imports["dataset:命令行导入"]["detail"]["file"] == "人员.csv"
    assert imports["dataset:本机导入"]["actor"].startswith("本机:")
    run = log.search(action="model.run")[0]
    assert run["actor"] == "c_sz" and run["org_id"] == ids["orgs"]["3310"]
    with ws.db.unit_of_work() as s:
        assert s.get(Run, int(run["target"].split(":")[1])).org_id == ids["orgs"]["3310"]
    moved = log.search(action="clue.transition", target=f"clue:{ids['a']}")[0]
    assert moved["actor"] == "a_fzr" and moved["detail"]["action"] == "研判" and moved["detail"]["to"] == "研判"
    assert moved["detail"]["from"] == "生成"
    assert log.verify()["ok"]


def test_cli_shows_personal_facts_and_evidence_masked_to_an_identified_user(ws, capsys, monkeypatch):
    ids = seed(ws, passwords=())
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    with ws.db.unit_of_work() as s:
        s.get(Clue, ids["a"]).facts = {"身份证号": "11010519491231002X", "姓名": "张三", "months": 4}
    shown = _json(capsys, "clue", "show", str(ids["a"]), "--as", "a_jcg")
    assert shown["facts"] == {"身份证号": "110105********002X", "姓名": "张*", "months": 4}
    assert "11010519491231002X" not in json.dumps(shown, ensure_ascii=False)      # nor in subject or evidence
    assert [r["actor"] for r in AuditLog(ws).search(action="clue.view")] == ["a_jcg"]
    local = _json(capsys, "clue", "show", str(ids["a"]))                            # the server's own operator
    assert local["facts"]["身份证号"] == "11010519491231002X"
    preview = _json(capsys, "data", "show", "养老金发放", "--as", "a_jcg")["preview"]
    assert preview and all("*" in row["身份证号"] for row in preview)
    assert AuditLog(ws).search(action="data.preview")[0]["actor"] == "a_jcg"


def test_audit_listing_is_limited_to_the_readers_org_and_below(ws, capsys, monkeypatch):
    from shujian.orgs.service import OrgService

    ids = seed(ws, passwords=())
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    OrgService(ws).add_user("a_ld", "椒江院领导", "331002", ["院领导"])
    log = AuditLog(ws)
    log.append("clue.view", actor="b_jcg", org_id=ids["orgs"]["331003"], target="clue:b")
    log.append("clue.view", actor="a_jcg", org_id=ids["orgs"]["331002"], target="clue:a")
    district = {r["actor"] for r in _json(capsys, "audit", "list", "--as", "a_ld", "--limit", "1000")}
    assert "a_jcg" in district and "b_jcg" not in district
    city = {r["actor"] for r in _json(capsys, "audit", "list", "--as", "c_ld", "--limit", "1000")}
    assert {"a_jcg", "b_jcg"} <= city
    assert log.verify()["ok"] and log.verify()["records"] >= 2            # verify walks the whole chain


def test_suggestion_draft_masks_personal_facts(sqlite_ws, capsys, monkeypatch, tmp_path):
    from docx import Document

    ws = sqlite_ws
    ids = seed(ws, passwords=())
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    with ws.db.unit_of_work() as s:
        s.get(Clue, ids["a"]).facts = {"身份证号": "11010519491231002X", "联系电话": "13812345678"}
        s.add(SupervisionMeasure(clue_id=ids["a"], kind="检察建议", intensity="正式", recipient="市人社局"))
    out = tmp_path / "draft.docx"
    code, _, err = cli(capsys, "clue", "docx", str(ids["a"]), "--out", str(out), "--as", "a_jcg")
    assert code == 0, err
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "110105********002X" in text and "11010519491231002X" not in text and "13812345678" not in text
