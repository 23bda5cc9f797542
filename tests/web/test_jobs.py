"""The background job registry: success, failure, cancellation, progress from the import sink."""

from __future__ import annotations

import pytest

from shujian.errors import Cancelled, InputError, NotFound
from shujian.web.jobs import ImportProgress, JobRegistry


def test_job_succeeds_with_its_result():
    jobs = JobRegistry()
    job = jobs.wait(jobs.start("run", "m", "demo", lambda j: {"x": 1}).id)
    assert job.status == "succeeded" and job.result == {"x": 1} and job.percent == 100


def test_cancel_event_reaches_the_work():
    jobs = JobRegistry()

    def work(job):
        if not job.cancel.wait(5):
            return {}
        raise Cancelled("运行已取消")

    job = jobs.start("run", "m", "demo", work)
    job.cancel.set()
    job = jobs.wait(job.id)
    assert job.status == "cancelled" and job.error["code"] == "cancelled"


def test_failures_keep_the_chinese_message():
    jobs = JobRegistry()

    def bad(job):
        raise InputError("文件格式不支持", hint="另存为 xlsx")

    job = jobs.wait(jobs.start("import", "x", "demo", bad).id)
    assert job.status == "failed" and job.error["message"] == "文件格式不支持" and job.error["hint"]
    crash = jobs.wait(jobs.start("import", "x", "demo", lambda j: 1 / 0).id)
    assert crash.status == "failed" and "ZeroDivisionError" in crash.error["message"]
    with pytest.raises(NotFound):
        jobs.get(999)


def test_import_progress_is_monotonic_and_below_100_until_done():
    jobs = JobRegistry()
    job = jobs.start("import", "x", "demo", lambda j: {})
    jobs.wait(job.id)
    job.percent = 0
    sink = ImportProgress(job)
    sink.stage("读取", total=200)
    sink.advance(100)
    assert job.percent == 50 and job.stage == "读取"
    sink.stage("写入", total=10)
    sink.update(1)
    assert job.percent == 50            # a new stage never moves the bar backwards
    sink.update(10)
    assert job.percent == 99
