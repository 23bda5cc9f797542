"""定期调度 with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shujian.errors import InputError
from shujian.runs.schedule import ScheduleService


def test_due_schedules_run_and_advance(city, monkeypatch, pension_model):
    monkeypatch.setattr("shujian.models_library.get_model", lambda _id: pension_model)
    now = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    svc = ScheduleService(city, clock=lambda: now)
    sch = svc.add("pension-during-custody", "0 2 * * *")
    assert sch["next_run_at"].startswith("2026-01-01T02:00")
    assert svc.run_due(datetime(2026, 1, 1, 1, 59, tzinfo=UTC)) == []
    done = svc.run_due(datetime(2026, 1, 1, 2, 0, tzinfo=UTC))
    assert [d["status"] for d in done] == ["succeeded"] and done[0]["clues_new"] == 2
    listed = svc.list()[0]
    assert listed["next_run_at"].startswith("2026-01-02T02:00") and listed["last_run_id"] == done[0]["run_id"]
    svc.set_enabled(sch["schedule_id"], False)
    assert svc.run_due(datetime(2026, 1, 3, 3, 0, tzinfo=UTC)) == []


def test_invalid_cron_is_refused(city, monkeypatch, pension_model):
    monkeypatch.setattr("shujian.models_library.get_model", lambda _id: pension_model)
    with pytest.raises(InputError) as err:
        ScheduleService(city).add("pension-during-custody", "every day")
    assert "cron" in err.value.message
