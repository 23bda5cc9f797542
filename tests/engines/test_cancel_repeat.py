"""A cancel must stop a run even when it arrives while nothing is running to interrupt.

Spark's cancelJobGroup cancels the jobs already running: a cancel during planning, or between two stages,
used to be lost and the run went on to the end (on a loaded machine a 200M-row join ran > 20 minutes
after its cancel).  An engine with ``interrupt_again`` is interrupted again until its work stops."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pytest

from shujian.engines.base import Engine
from shujian.errors import Cancelled


class JobsEngine(Engine):
    """An engine shaped like Spark's: planning, then jobs one after another; an interrupt reaches only
    the job running at that moment."""

    name = "jobs"
    interrupt_again = 0.05

    def __init__(self, jobs: int = 5, job_seconds: float = 1.0, planning: float = 0.3):
        self.jobs, self.job_seconds, self.planning = jobs, job_seconds, planning
        self.running: threading.Event | None = None
        self.started = 0
        self.lock = threading.Lock()

    def _execute(self, sql, parameters, plan=None):
        time.sleep(self.planning)                      # nothing running yet: an interrupt now is lost
        for _ in range(self.jobs):
            stop = threading.Event()
            with self.lock:
                self.running, self.started = stop, self.started + 1
            interrupted = stop.wait(self.job_seconds)
            with self.lock:
                self.running = None
            if interrupted:
                raise InterruptedError("job cancelled")
        return pa.table({"n": [1]})

    def _interrupt(self):
        with self.lock:
            if self.running is not None:
                self.running.set()


def test_a_cancel_before_the_first_job_still_stops_the_run():
    engine = JobsEngine()
    cancel = threading.Event()
    cancel.set()
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        engine.execute("SELECT 1", {}, cancel=cancel)
    assert time.monotonic() - t0 < 2.5          # one job at most, not all five (≈ 5.3 s)
    assert engine.started == 1


def test_an_engine_that_needs_one_interrupt_gets_one():
    calls = []

    class Once(JobsEngine):
        interrupt_again = None

        def _interrupt(self):
            calls.append(time.monotonic())
            super()._interrupt()

    engine = Once(jobs=1, job_seconds=0.6, planning=0.0)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        engine.execute("SELECT 1", {}, cancel=cancel)
    assert len(calls) == 1
