"""Engines run compiled SQL.  Each implements a few primitives behind one base class whose public
methods add timing, progress, cancellation and error wrapping (the error carries the SQL)."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psutil
import pyarrow as pa

from ..errors import Cancelled, RunFailed

if TYPE_CHECKING:  # pragma: no cover
    from ..compiler.stages import StagedStatement

ProgressFn = Callable[[float], None]   # percentage 0..100
#: the compiler's stage plan for the statement (``CompiledModel.staged``), given the run's table suffix
StagePlanner = Callable[[str], "StagedStatement | None"]


@dataclass
class Execution:
    table: pa.Table
    seconds: float
    peak_memory_mb: float


class Engine(ABC):
    name: str = "engine"

    @abstractmethod
    def _execute(self, sql: str, parameters: dict, plan: StagePlanner | None = None) -> pa.Table: ...

    @abstractmethod
    def _interrupt(self) -> None: ...

    def _progress(self) -> float | None:
        return None

    def execute(self, sql: str, parameters: dict | None = None, *, plan: StagePlanner | None = None,
                progress: ProgressFn | None = None, cancel: threading.Event | None = None) -> Execution:
        """Run one statement in a worker thread; poll progress and memory; honour Ctrl-C and ``cancel``.

        ``plan``: the compiler's stage planner for exactly this statement (``compiled.staged``), so the
        engine runs the stages without parsing ``sql`` again; without it the engine splits the text.
        """
        started = time.monotonic()
        proc = psutil.Process()
        peak = proc.memory_info().rss
        result: list[pa.Table] = []
        error: list[BaseException] = []
        done = threading.Event()

        def work() -> None:
            try:
                result.append(self._execute(sql, parameters or {}, plan))
            except BaseException as exc:  # handed to the caller's thread
                error.append(exc)
            finally:
                done.set()

        thread = threading.Thread(target=work, name=f"{self.name}-query", daemon=True)
        thread.start()
        cancelled = False
        try:
            while not done.wait(0.1):
                peak = max(peak, proc.memory_info().rss)
                if progress and (pct := self._progress()) is not None and pct >= 0:
                    progress(pct)
                if cancel is not None and cancel.is_set() and not cancelled:
                    cancelled = True
                    self._interrupt()
        except KeyboardInterrupt:
            self._interrupt()
            thread.join()
            raise Cancelled("运行已取消（Ctrl-C）；未写入任何线索，可重新运行") from None
        thread.join()
        peak = max(peak, proc.memory_info().rss)
        if cancelled or (cancel is not None and cancel.is_set()):
            raise Cancelled("运行已取消；未写入任何线索，可重新运行")
        if error:
            exc = error[0]
            raise RunFailed(f"{self.name} 执行失败：{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                            sql=sql, hint="检查模型引用的数据集版本与列；完整 SQL 已记录在运行记录中") from exc
        if progress:
            progress(100.0)
        return Execution(result[0], round(time.monotonic() - started, 3), round(peak / 1024 / 1024, 1))
