"""Background jobs for the browser (导入、运行): a thread per job, polled for progress, cancellable.

The services do the work; this registry only keeps each job's progress in memory so a page can
poll ``/api/v1/jobs/<id>``.  Durable records stay in the services (import jobs, run rows).
"""

from __future__ import annotations

import contextvars
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ShujianError
from ..security import access
from ..security.scope import current_scope


@dataclass
class WebJob:
    id: int
    kind: str
    target: str
    owner: str
    status: str = "queued"        # queued / running / succeeded / failed / cancelled
    stage: str = "排队中"
    percent: float = 0.0
    result: dict | None = None
    error: dict | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    owner_org: int | None = None  # org scope: only the owner's org and the orgs above it see the job
    personal: bool = False        # a sandbox run or a personal import: only its starter sees the job

    def to_dict(self) -> dict:
        return {"job_id": self.id, "kind": self.kind, "target": self.target, "owner": self.owner,
                "status": self.status, "stage": self.stage, "percent": round(self.percent, 1),
                "result": self.result, "error": self.error,
                "seconds": round((self.finished or time.time()) - self.started, 2)}


# a job is seen by its starting user's org and the orgs above it; a job started without a scope (the local
# operator's process) by everyone — the access layer decides, from this registration
access.hold(WebJob, "owner_org", shared=True, name="后台任务",
            hint="服务重启后任务记录会清空；在“运行”页面查看历史运行记录",
            also=lambda job, scope: not job.personal or access.sees_personal(job.owner, scope))


class ImportProgress:
    """A catalog ProgressSink that writes into a WebJob (stage / advance / update)."""

    def __init__(self, job: WebJob):
        self.job, self.total, self.done = job, None, 0.0

    def stage(self, description: str, total: float | None = None) -> None:
        self.job.stage, self.total, self.done = description, total, 0.0
        self._set()

    def advance(self, amount: float) -> None:
        self.done += amount
        self._set()

    def update(self, completed: float) -> None:
        self.done = completed
        self._set()

    def _set(self) -> None:
        if self.total:
            self.job.percent = max(self.job.percent, min(99.0, 100.0 * self.done / self.total))


class JobRegistry:
    """Jobs of this server process (kept for the last ``keep`` jobs)."""

    def __init__(self, keep: int = 200):
        self._jobs: dict[int, WebJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.keep = keep

    def start(self, kind: str, target: str, owner: str, work: Callable[[WebJob], dict], *,
              personal: bool = False) -> WebJob:
        """Run ``work(job)`` in a daemon thread; its dict becomes ``job.result``."""
        with self._lock:
            scope = current_scope()
            job = WebJob(next(self._ids), kind, target, owner, owner_org=scope.org_id if scope else None,
                         personal=personal)
            self._jobs[job.id] = job
            for old in sorted(self._jobs)[:-self.keep]:
                self._jobs.pop(old, None)
        # the job runs as the starting user: org scope and audit actor travel with the context
        ctx = contextvars.copy_context()
        threading.Thread(target=ctx.run, args=(self._run, job, work), daemon=True, name=f"job-{job.id}").start()
        return job

    def _run(self, job: WebJob, work: Callable[[WebJob], dict]) -> None:
        job.status, job.stage = "running", "进行中"
        try:
            job.result = work(job)
            job.status, job.stage, job.percent = "succeeded", "完成", 100.0
        except ShujianError as exc:
            job.status = "cancelled" if exc.code == "cancelled" else "failed"
            job.stage, job.error = ("已取消" if job.status == "cancelled" else "失败"), exc.to_dict()
        except Exception as exc:  # noqa: BLE001 - a job must always end with a visible state
            job.status, job.stage = "failed", "失败"
            job.error = {"code": "internal", "message": f"{type(exc).__name__}: {exc}"}
        finally:
            job.finished = time.time()

    def get(self, job_id: int) -> WebJob:
        # another org's job: as if missing (the access layer's rule for WebJob, registered below)
        return access.visible_or_missing(self._jobs.get(job_id), job_id, kind=WebJob)

    def list(self) -> list[dict[str, Any]]:
        return [j.to_dict() for j in access.restrict_items(sorted(self._jobs.values(), key=lambda j: -j.id))]

    def wait(self, job_id: int, timeout: float = 60.0) -> WebJob:
        """Block until the job ends (tests and scripts)."""
        end = time.time() + timeout
        job = self.get(job_id)
        while job.finished is None and time.time() < end:
            time.sleep(0.05)
        return job
