"""Runs on DuckDB: records, idempotent clues, suppression, atomicity, cancellation, pinning."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from shujian.clues.service import ClueService
from shujian.db.models import Clue, ClueEvidence, Run
from shujian.engines.duckdb_engine import DuckDBEngine
from shujian.errors import Cancelled, RunFailed, ValidationFailed
from shujian.runs.service import RunService

from .conftest import A, B, load, pension_table


def _states(ws) -> dict[str, str]:
    return {c["subject"]["key"]: c["state"] for c in ClueService(ws).list()}


def test_run_records_everything_and_finds_the_custody_payments(city, pension_model):
    result = RunService(city).run(pension_model, params={"grace_months": "1"})
    assert result.status == "succeeded"
    assert (result.clues_new, result.clues_seen) == (2, 0)
    assert result.rows_scanned == 2 + 17
    run = RunService(city).get_run(result.run_id)
    assert run["dataset_versions"]["pension"]["dataset"] == "养老金发放"
    assert run["dataset_versions"]["pension"]["version"] == 1
    assert run["params"]["grace_months"] == 1
    assert "WITH" in run["sql"] and len(run["model_hash"]) == 64
    clues = {c["subject"]["key"]: c for c in ClueService(city).list()}
    assert set(clues) == {A, B}
    assert clues[B]["facts"]["months"] == 4          # 2022-03..2022-06 (grace: Jan+1 month)
    assert clues[A]["facts"]["months"] == 4          # 2023-03..2023-06, still in custody
    assert clues[B]["title"].startswith("110105********0021")


def test_evidence_points_at_source_rows(city, pension_model):
    RunService(city).run(pension_model)
    clue = next(c for c in ClueService(city).list() if c["subject"]["key"] == B)
    detail = ClueService(city).get(clue["clue_id"])
    by_role = {e["role"]: e for e in detail["evidence"]}
    assert by_role["pension"]["row_count"] == 4
    months = sorted(r[by_role["pension"]["columns"].index("发放年月")] for r in by_role["pension"]["rows"])
    assert months == [date(2022, m, 1) for m in (3, 4, 5, 6)]
    assert by_role["custody"]["rows"][0][by_role["custody"]["columns"].index("身份证号")] == B


def test_rerun_is_idempotent(city, pension_model):
    svc = RunService(city)
    first = svc.run(pension_model)
    second = svc.run(pension_model)
    assert (second.clues_new, second.clues_seen) == (0, 2)
    clues = ClueService(city).list()
    assert len(clues) == 2
    assert all(c["seen_count"] == 2 and c["run_count"] == 2 for c in clues)
    assert all(c["first_run_id"] == first.run_id and c["last_run_id"] == second.run_id for c in clues)


def test_excluded_clue_stays_suppressed_until_its_facts_change(city, pension_model):
    svc = RunService(city)
    svc.run(pension_model)
    clue_b = next(c for c in ClueService(city).list() if c["subject"]["key"] == B)
    ClueService(city).exclude(clue_b["clue_id"], "已整改")
    svc.run(pension_model)
    assert _states(city)[B] == "排除"
    # a new version of the pension data adds a payment inside custody: the facts change
    load(city, "养老金发放", pension_table(extra=[(B, date(2022, 2, 15), 500.0)]))
    svc.run(pension_model)
    states = _states(city)
    assert states[B] == "生成" and len(states) == 2


def test_dataset_version_pin_per_run(city, pension_model):
    load(city, "养老金发放", pension_table(extra=[(B, date(2022, 2, 15), 500.0)]))
    result = RunService(city).run(pension_model, dataset_versions={"pension": 1})
    assert RunService(city).get_run(result.run_id)["dataset_versions"]["pension"]["version"] == 1
    b = next(c for c in ClueService(city).list() if c["subject"]["key"] == B)
    assert b["facts"]["months"] == 4


def test_bad_parameter_is_refused_before_any_run(city, pension_model):
    with pytest.raises(ValidationFailed) as err:
        RunService(city).run(pension_model, params={"grace_months": "三"})
    assert "grace_months" in str(err.value)
    with city.db.unit_of_work() as s:
        assert s.query(Run).count() == 0


def test_missing_column_is_refused_before_any_run(ws, pension_model):
    import pyarrow as pa

    load(ws, "监所在押人员", pa.table({"身份证": ["x"], "姓名": ["a"], "入所日期": ["2020-01-01"],
                                      "出所日期": [None], "羁押性质": ["逮捕"]}))
    load(ws, "养老金发放", pension_table())
    with pytest.raises(ValidationFailed) as err:
        RunService(ws).run(pension_model)
    assert "身份证号" in str(err.value)
    with ws.db.unit_of_work() as s:
        assert s.query(Run).count() == 0


def test_crash_while_writing_clues_leaves_no_clues(city, pension_model, monkeypatch):
    import shujian.runs.service as runs_mod

    real = runs_mod.ClueWriter.add

    def crash(writer, candidates):
        real(writer, candidates[:1])              # half the work is done …
        raise RuntimeError("disk full")           # … then the process fails

    monkeypatch.setattr(runs_mod.ClueWriter, "add", crash)
    with pytest.raises(RunFailed) as err:      # the kind of error only: its text may carry row values
        RunService(city).run(pension_model)
    assert "RuntimeError" in err.value.message and "disk full" not in err.value.message
    with city.db.unit_of_work() as s:
        assert s.query(Clue).count() == 0 and s.query(ClueEvidence).count() == 0
        run = s.query(Run).one()
        assert run.status == "failed" and "RuntimeError" in run.error
    monkeypatch.setattr(runs_mod.ClueWriter, "add", real)
    retried = RunService(city).retry(run.id)
    assert retried.status == "succeeded" and retried.clues_new == 2


def test_a_run_whose_process_died_is_marked_interrupted(city, pension_model):
    with city.db.unit_of_work() as s:
        from shujian.runs.models import record_version

        mv = record_version(s, pension_model, False)
        s.add(Run(model_id=pension_model.id, model_version_id=mv.id, model_hash=mv.hash, status="running",
                  pid=2_000_000_000, params={}, dataset_versions={}))
    RunService(city).run(pension_model)
    runs = {r["run_id"]: r for r in RunService(city).list_runs()}
    assert runs[1]["status"] == "failed" and "中断" in runs[1]["error"]
    assert runs[2]["status"] == "succeeded"


def test_cancel_before_and_during_execution(city, pension_model):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        RunService(city).run(pension_model, cancel=cancel)
    with city.db.unit_of_work() as s:
        assert s.query(Run).one().status == "cancelled"
        assert s.query(Clue).count() == 0
    # a long query is interrupted in flight
    with city.warehouse() as con:
        engine, stop = DuckDBEngine(con), threading.Event()
        threading.Timer(0.3, stop.set).start()
        with pytest.raises(Cancelled):
            engine.execute("SELECT count(*) FROM range(100000000000) a", cancel=stop)


def test_one_subject_several_grounds(city, pension_model):
    RunService(city).run(pension_model)
    other = pension_model.model_copy(update={"id": "pension-during-custody-copy"})
    RunService(city).run(other)
    clue = next(c for c in ClueService(city).list(model_id=pension_model.id) if c["subject"]["key"] == B)
    grounds = ClueService(city).get(clue["clue_id"])["other_grounds"]
    assert [g["model_id"] for g in grounds] == ["pension-during-custody-copy"]
