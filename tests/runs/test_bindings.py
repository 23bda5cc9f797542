"""数据绑定 through the services and the command line, on SQLite and PostgreSQL: a model whose datasets
and columns are named otherwise in the org's catalog runs through its binding (CLI, web jobs and
schedules alike), the run record shows which binding, bad bindings are refused with located messages,
bindings are per org, versioned and audited."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from shujian.bindings import BindingService, parse_options
from shujian.cli import common
from shujian.cli.main import main
from shujian.db.models import Dataset, Org, Run
from shujian.errors import ValidationFailed
from shujian.orgs.service import OrgService
from shujian.runs.models import record_version
from shujian.runs.schedule import ScheduleService
from shujian.runs.service import RunService
from shujian.security.audit import AuditLog
from shujian.security.scope import scope_for, use_scope
from shujian.spec import load_model

from .conftest import MODEL, custody_table, load, pension_table

EXPORT_CUSTODY = {"身份证号": "公民身份号码", "姓名": "人员姓名", "入所日期": "入监时间", "出所日期": "出监时间",
                  "羁押性质": "羁押类别"}
EXPORT_PENSION = {"身份证号": "证件号码", "姓名": "领取人", "发放年月": "待遇所属期", "发放金额": "实发金额"}
BIND = ["--input", "custody=在押人员名册", "--input", "pension=养老金明细",
        "--map", "custody.person=公民身份号码", "--map", "custody.name=人员姓名", "--map", "custody.start=入监时间",
        "--map", "custody.end=出监时间", "--map", "custody.kind=羁押类别",
        "--map", "month=待遇所属期", "--map", "amount=实发金额"]


def renamed(table: pa.Table, names: dict[str, str]) -> pa.Table:
    return table.rename_columns([names.get(c, c) for c in table.column_names])


def load_exports(ws, custody_name: str = "在押人员名册", pension_name: str = "养老金明细") -> None:
    from shujian.catalog.importer import ImportRequest
    from shujian.catalog.service import CatalogService

    svc = CatalogService(ws)
    svc.import_arrow(ImportRequest(name=custody_name, agency="看守所", semantics={"公民身份号码": "id_number"}),
                     renamed(custody_table(), EXPORT_CUSTODY))
    svc.import_arrow(ImportRequest(name=pension_name, agency="人社局", semantics={"证件号码": "id_number"}),
                     renamed(pension_table(), EXPORT_PENSION))


def cli(capsys, *args: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, flat(cap.err)


def flat(text: str) -> str:
    """Console output without the line breaks rich adds at the terminal width."""
    return re.sub(r"\s+", "", text)


def pairs(ws, run_id: int) -> set[tuple[str, str]]:
    from shujian.db.models import Clue, ClueRun, Subject

    with ws.db.unit_of_work() as s:
        q = (s.query(Subject.key, Clue.rule).join(Clue, Clue.subject_id == Subject.id)
             .join(ClueRun, ClueRun.clue_id == Clue.id).filter(ClueRun.run_id == run_id))
        return set(q)


def test_a_model_runs_through_its_binding_on_exports_named_otherwise(ws, capsys):
    load_exports(ws)
    code, _, err = cli(capsys, "model", "run", str(MODEL))
    assert code == 2                                  # the model's own names are not in this catalog
    assert flat("输入 custody 需要数据集“监所在押人员”（模型 pension-during-custody 的默认数据集），本院数据目录中没有；"
                "可能是：“在押人员名册”") in err
    with ws.db.unit_of_work() as s:
        assert s.query(Run).count() == 0              # refused before any run is recorded

    code, out, err = cli(capsys, "model", "bind", str(MODEL), *BIND, "--note", "看守所与人社导出", "--format", "json")
    assert code == 0, err
    saved = json.loads(out)
    assert (saved["version"], saved["source"], saved["org"]) == (1, "命令行", "平台（所有未单独绑定的院）")
    assert saved["effective"]["pension"]["fields"]["person"] == "证件号码"      # semantic field, resolved

    code, out, err = cli(capsys, "model", "run", str(MODEL), "--format", "json")
    assert code == 0, err
    run_id = json.loads(out)["run_id"]
    record = RunService(ws).get_run(run_id)
    assert record["binding"]["kind"] == "平台绑定" and record["binding"]["version"] == 1
    assert record["binding"]["inputs"]["custody"] == {
        "dataset": "在押人员名册", "fields": {"person": "公民身份号码", "name": "人员姓名", "kind": "羁押类别",
                                         "start": "入监时间", "end": "出监时间"}}
    assert {v["dataset"] for v in record["dataset_versions"].values()} == {"在押人员名册", "养老金明细"}
    assert '"入监时间"' in record["sql"]
    on_exports = pairs(ws, run_id)
    assert {k for k, _ in on_exports} == {"11010519491231002X", "110105194912310021"}

    # the same data under the model's own names, run without the binding: the very same clues
    load(ws, "监所在押人员", custody_table())
    load(ws, "养老金发放", pension_table())
    code, _, err = cli(capsys, "model", "unbind", str(MODEL))
    assert code == 0, err
    result = RunService(ws).run(str(MODEL))
    assert pairs(ws, result.run_id) == on_exports
    assert (result.clues_new, result.clues_seen) == (0, 2)
    assert RunService(ws).get_run(result.run_id)["binding"]["kind"] == "模型默认"


def test_bad_bindings_are_refused_with_located_messages(ws, capsys):
    load_exports(ws)
    code, _, err = cli(capsys, "model", "bind", str(MODEL), "--input", "custody=在押人员名册",
                       "--input", "pension=养老金明细", "--map", "custody.start=入监日期")
    assert code == 2
    assert flat("模型 pension-during-custody 的数据绑定未通过校验，未保存") in err
    assert flat("binding.custody.fields.start: 输入 custody 的字段 start 映射到的列“入监日期”不在数据集“在押人员名册”中；"
                "可能是：“入监时间”") in err
    assert flat("binding.custody.fields.person: 输入 custody 的字段 person 没有映射：数据集“在押人员名册”中没有与"
                "模型列“身份证号”同名的列；可能是：“公民身份号码”（数据要素 身份证号") in err
    assert flat("binding.pension.fields.month: 输入 pension 的字段 month 没有映射") in err
    assert "binding.pension.fields.person" not in err             # the one 身份证号 column is found by its type
    code, _, err = cli(capsys, "model", "bind", str(MODEL), "--input", "custody=在押名册")
    assert flat("输入 custody 绑定的数据集“在押名册”不在本院数据目录中；可能是：“在押人员名册”") in err
    assert BindingService(ws).history("pension-during-custody") == []          # nothing stored


def test_a_column_of_another_type_is_refused_on_the_binding(ws):
    from shujian.catalog.importer import ImportRequest
    from shujian.catalog.service import CatalogService

    load(ws, "监所在押人员", custody_table())          # the model's own dataset: its types are the reference
    load(ws, "养老金发放", pension_table())
    text_dates = renamed(custody_table(), EXPORT_CUSTODY).set_column(
        2, "入监时间", pa.array(["2023年初（补录）", "2022年初（补录）"]))    # text an agency typed by hand
    CatalogService(ws).import_arrow(ImportRequest(name="在押人员名册", semantics={"公民身份号码": "id_number"}),
                                    text_dates)
    model = BindingService(ws).load(str(MODEL))
    inputs, _ = parse_options(model, ["custody=在押人员名册"], [f"custody.{k}={v}" for k, v in EXPORT_CUSTODY.items()])
    desc = CatalogService(ws).describe("在押人员名册")
    assert next(c["dtype"] for c in desc["columns"] if c["name"] == "入监时间") == "VARCHAR"
    with pytest.raises(ValidationFailed) as info:
        BindingService(ws).bind(str(MODEL), inputs)
    first = info.value.problems[0]
    assert first.location == "binding.custody.fields.start"
    assert first.message.startswith("输入 custody 的字段 start 映射到列“入监时间”，类型为文本（VARCHAR）；"
                                    "模型默认数据集中该列为日期（DATE）")


def test_auto_proposal_is_shown_and_saved_only_when_confirmed(ws, capsys, monkeypatch):
    load_exports(ws)
    monkeypatch.setattr(common.console, "width", 200)          # the proposal table unwrapped
    args = ("model", "bind", str(MODEL), "--input", "custody=在押人员名册", "--input", "pension=养老金明细", "--auto")
    code, out, _ = cli(capsys, *args, stdin="n\n", monkeypatch=monkeypatch)
    assert code == 1 and "自动绑定建议" in out
    assert re.search(r"person\s*│\s*身份证号\s*│\s*在押人员名册\s*│\s*公民身份号码\s*│\s*数据要素 身份证号", out)
    assert re.search(r"kind\s*│\s*羁押性质\s*│\s*在押人员名册\s*│\s*羁押类别", out)
    assert BindingService(ws).history("pension-during-custody") == []
    code, out, err = cli(capsys, *args, stdin="y\n", monkeypatch=monkeypatch)
    assert code == 0, err
    cur = BindingService(ws).current(str(MODEL))
    assert cur["inputs"]["custody"]["fields"] == {"person": "公民身份号码", "name": "人员姓名", "kind": "羁押类别",
                                                  "start": "入监时间", "end": "出监时间"}
    assert cur["inputs"]["pension"]["fields"] == {"person": "证件号码", "month": "待遇所属期", "amount": "实发金额"}
    assert RunService(ws).run(str(MODEL)).clues_new == 2


def _org_world(ws) -> dict[str, int]:
    orgs = OrgService(ws)
    orgs.seed(["33"])
    orgs.add_user("jj_shuzi", "吴分析", "331002", ["数字办"])
    orgs.add_user("hy_shuzi", "郑分析", "331003", ["数字办"])
    orgs.add_user("hy_jcg", "孙检察官", "331003", ["检察官"])
    load_exports(ws, "椒江在押", "椒江养老金")
    load_exports(ws, "黄岩在押", "黄岩养老金")
    with ws.db.unit_of_work() as s:
        ids = {code: oid for code, oid in s.query(Org.code, Org.id).filter(Org.code.in_(["331002", "331003"]))}
        for name, code in (("椒江在押", "331002"), ("椒江养老金", "331002"), ("黄岩在押", "331003"),
                           ("黄岩养老金", "331003")):
            s.query(Dataset).filter_by(name=name).one().org_id = ids[code]
    return ids


def _bind_args(custody: str, pension: str) -> list[str]:
    return [a.replace("在押人员名册", custody).replace("养老金明细", pension) for a in BIND]


def test_bindings_are_per_org_versioned_and_audited(ws, capsys, monkeypatch):
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ids = _org_world(ws)
    # 黄岩 cannot bind to 椒江's datasets: not in its catalog
    code, _, err = cli(capsys, "model", "bind", str(MODEL), *_bind_args("椒江在押", "椒江养老金"), "--as", "hy_shuzi")
    assert code == 2 and flat("输入 custody 绑定的数据集“椒江在押”不在本院数据目录中") in err
    code, _, err = cli(capsys, "model", "bind", str(MODEL), *BIND, "--as", "hy_jcg")
    assert code == 3 and flat("无权“数据绑定：把模型的输入角色映射到本院的数据集与列”") in err                # a 检察官 does not bind
    for user, custody, pension in (("jj_shuzi", "椒江在押", "椒江养老金"), ("hy_shuzi", "黄岩在押", "黄岩养老金")):
        code, _, err = cli(capsys, "model", "bind", str(MODEL), *_bind_args(custody, pension), "--as", user)
        assert code == 0, err
    code, _, err = cli(capsys, "model", "bind", str(MODEL), "--input", "custody=黄岩在押", "--map",
                       "custody.person=公民身份号码", "--as", "hy_shuzi")
    assert code == 2                                  # a partial binding must still resolve every field

    for user, org, datasets in (("jj_shuzi", "331002", {"椒江在押", "椒江养老金"}),
                                ("hy_shuzi", "331003", {"黄岩在押", "黄岩养老金"})):
        code, out, err = cli(capsys, "model", "run", str(MODEL), "--as", user, "--format", "json")
        assert code == 0, err
        record = RunService(ws).get_run(json.loads(out)["run_id"])
        assert record["org_id"] == ids[org] and record["binding"]["org_id"] == ids[org]
        assert record["binding"]["kind"] == "本院绑定" and record["binding"]["by"] == user
        assert {v["dataset"] for v in record["dataset_versions"].values()} == datasets

    code, _, err = cli(capsys, "model", "unbind", str(MODEL), "--as", "hy_shuzi", "--note", "数据改由市院汇聚")
    assert code == 0, err
    hist = BindingService(ws).history("pension-during-custody", org=ids["331003"])
    assert [(h["version"], h["removed"], h["by"]) for h in hist] == [(2, True, "hy_shuzi"), (1, False, "hy_shuzi")]
    assert hist[0]["note"] == "数据改由市院汇聚"
    code, _, err = cli(capsys, "model", "run", str(MODEL), "--as", "hy_shuzi")
    assert code == 2 and flat("本院数据目录中没有") in err                   # back to the model's own names
    code, out, _ = cli(capsys, "model", "binding", str(MODEL), "--as", "jj_shuzi", "--format", "json")
    assert json.loads(out)["version"] == 1 and json.loads(out)["org_id"] == ids["331002"]
    records = AuditLog(ws).search(action="model.bind")
    assert [(r["actor"], r["org_id"], r["detail"]["version"], r["detail"]["removed"]) for r in records] == [
        ("hy_shuzi", ids["331003"], 2, True), ("hy_shuzi", ids["331003"], 1, False),
        ("jj_shuzi", ids["331002"], 1, False)]
    assert records[1]["detail"]["inputs"]["custody"]["dataset"] == "黄岩在押"


def test_a_schedule_runs_with_the_binding_of_the_org_that_made_it(ws, capsys, monkeypatch):
    monkeypatch.delenv("SHUJIAN_USER", raising=False)
    ids = _org_world(ws)
    code, _, err = cli(capsys, "model", "bind", str(MODEL), *_bind_args("黄岩在押", "黄岩养老金"), "--as", "hy_shuzi")
    assert code == 0, err
    with ws.db.unit_of_work() as s:
        scope = scope_for(s, "hy_shuzi", ids["331003"], ["数字办"])
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    svc = ScheduleService(ws, clock=lambda: start)
    with ws.db.unit_of_work() as s:
        record_version(s, load_model(MODEL), builtin=False)    # a workspace model: schedules run models by id
    with use_scope(scope):
        sch = svc.add("pension-during-custody", "0 2 * * *")
    assert sch["org_id"] == ids["331003"]
    done = svc.run_due(now=start + timedelta(hours=2))
    assert done[0]["status"] == "succeeded", done
    record = RunService(ws).get_run(done[0]["run_id"])
    assert record["org_id"] == ids["331003"] and record["binding"]["kind"] == "本院绑定"
    assert {v["dataset"] for v in record["dataset_versions"].values()} == {"黄岩在押", "黄岩养老金"}


def test_retry_reads_what_the_failed_run_read(ws):
    load_exports(ws)
    svc = BindingService(ws)
    m = svc.load(str(MODEL))
    inputs, problems = parse_options(m, [a for i, a in enumerate(BIND) if BIND[i - 1] == "--input"],
                                     [a for i, a in enumerate(BIND) if BIND[i - 1] == "--map"])
    assert problems == []
    svc.bind(m, inputs)
    first = RunService(ws).run(str(MODEL))
    with ws.db.unit_of_work() as s:
        s.get(Run, first.run_id).status = "failed"
    svc.unbind("pension-during-custody")              # the binding changed since: the retry keeps the old one
    again = RunService(ws).retry(first.run_id)
    record = RunService(ws).get_run(again.run_id)
    assert record["binding"]["kind"] == "指定" and record["retry_of"] == first.run_id
    assert record["binding"]["inputs"] == RunService(ws).get_run(first.run_id)["binding"]["inputs"]
