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
    step: str | None = None          # the stage (CTE) running when a statement is staged; None: the final one
    #: seconds between repeated interrupts once a run is cancelled, for an engine whose interrupt reaches
    #: only the work already running (Spark's cancelJobGroup: a job submitted after it would run on);
    #: None: one interrupt is enough (DuckDB interrupts the statement and stops before the next stage)
    interrupt_again: float | None = None

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
        cancelled, last = False, 0.0
        try:
            while not done.wait(0.1):
                peak = max(peak, proc.memory_info().rss)
                if progress and (pct := self._progress()) is not None and pct >= 0:
                    progress(pct)
                if cancel is not None and cancel.is_set() and self._interrupt_due(cancelled, last):
                    cancelled, last = True, time.monotonic()
                    self._interrupt()
        except KeyboardInterrupt:
            self._interrupt()
            while not done.wait(self.interrupt_again or 3600):
                self._interrupt()
            raise Cancelled("运行已取消（Ctrl-C）；未写入任何线索，可重新运行") from None
        thread.join()
        peak = max(peak, proc.memory_info().rss)
        if cancelled or (cancel is not None and cancel.is_set()):
            raise Cancelled("运行已取消；未写入任何线索，可重新运行")
        if error:
            exc = error[0]
            raise RunFailed(f"{self.name} 执行失败（{step_label(self.step)}）：{safe_reason(exc)}",
                            sql=sql, hint="检查模型引用的数据集版本与列；完整 SQL 已记录在运行记录中") from exc
        if progress:
            progress(100.0)
        return Execution(result[0], round(time.monotonic() - started, 3), round(peak / 1024 / 1024, 1))


    def _interrupt_due(self, cancelled: bool, last: float) -> bool:
        """Interrupt now: the first time, and again every ``interrupt_again`` seconds where one is not enough."""
        if not cancelled:
            return True
        return self.interrupt_again is not None and time.monotonic() - last >= self.interrupt_again


#: engine errors whose text names only things in the SQL (columns, tables, syntax), never a row's value
_STRUCTURAL = ("BinderException", "CatalogException", "ParserException", "OutOfMemoryException",
               "AnalysisException", "ParseException")
#: errors raised while evaluating rows: their text can quote a value (error(身份证号), CAST(姓名 AS INT))
_VALUE_ERRORS = {
    "ConversionException": "某行的值无法转换为所需类型（如把文本 CAST 为数字、日期格式不符）",
    "InvalidInputException": "某行的值使函数报错（如 error()、正则或日期函数收到无效输入）",
    "OutOfRangeException": "某行的数值超出范围（如溢出、除数为零）",
    "NumberFormatException": "某行的值无法转换为数字",
    "ArithmeticException": "某行的数值超出范围（如溢出、除数为零）",
    "DateTimeException": "某行的日期或时间无效",
    "PermissionException": "查询试图访问文件、网络或系统资源，已被禁止",
}


def step_label(step: str | None) -> str:
    """Where a compiled statement failed, in the model's words (CTE ``s_<id>`` is step ``<id>``)."""
    if step is None:
        return "最终查询"
    if step.startswith("s_"):
        return f"步骤 {step[2:]}"
    if step.startswith("in_"):
        return f"输入 {step[3:]}"
    return f"阶段 {step}"


def safe_reason(exc: BaseException) -> str:
    """The engine's reason for a failure without any row value in it.

    Structural errors (an unknown column, a syntax error, out of memory) keep their first line: it
    names only what the SQL wrote.  Errors raised while evaluating rows are replaced by a generic
    sentence by class — their text may quote the value (``error(身份证号)``, ``CAST(姓名 AS INT)``), and
    run errors travel to job status, run records and the audit log.
    """
    kind = type(exc).__name__
    first = str(exc).splitlines()[0] if str(exc) else kind
    if kind in _STRUCTURAL:
        return first
    for name, text in _VALUE_ERRORS.items():
        if name in kind:
            return text
    code = _error_class(first)
    return f"执行中出错（{code or kind}）；出错行的值不予显示"


def _error_class(text: str) -> str | None:
    """Spark's error class (``[CAST_INVALID_INPUT] …``), which names the kind, not the value."""
    import re

    m = re.match(r"^\[([A-Z0-9_.]+)\]", text)
    return m.group(1) if m else None
