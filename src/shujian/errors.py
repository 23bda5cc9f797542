"""One error tree for shujian.

Every error a user can see carries a stable ``code`` and a Chinese message that names the thing,
the place and the fix.  The CLI prints ``message`` and exits non-zero; the web layer (later) turns
the same fields into one JSON envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ShujianError(Exception):
    """Base of every error shujian raises on purpose."""

    code = "error"
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or {}

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n提示：{self.hint}"

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        if self.details:
            out["details"] = self.details
        return out


class ConfigError(ShujianError):
    code = "config"


class SchemaOutdated(ConfigError):
    """The metadata store needs migrations (or was written by a newer shujian): nothing migrates by itself."""

    code = "schema_outdated"


class WarehouseBusy(ConfigError):
    """Another process holds the DuckDB warehouse for writing (DuckDB allows one writing process)."""

    code = "warehouse_busy"


class NotFound(ShujianError):
    code = "not_found"
    exit_code = 2


class PermissionDenied(ShujianError):
    """The user lacks the role, or the ownership, for an action on an object they can see (403).

    An object outside the user's org scope is :class:`NotFound` instead, so its existence is not revealed.
    """

    code = "forbidden"
    exit_code = 3


class InputError(ShujianError):
    """Bad input from a user: a file, a name, a parameter."""

    code = "bad_input"
    exit_code = 2


class ImportFailed(InputError):
    code = "import_failed"


class TransitionRefused(InputError):
    """A lifecycle action the state machine does not allow from the object's state (线索流转、模型治理),
    or one missing what it needs."""

    code = "transition_refused"


@dataclass
class Problem:
    """One located problem, e.g. ``steps[2].join.on[0]: 列 "身份证" 不在数据集 "养老金发放" 中``."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass
class _Problems:
    items: list[Problem] = field(default_factory=list)


class ValidationFailed(InputError):
    """Several located problems collected and raised once."""

    code = "validation_failed"

    def __init__(self, problems: list[Problem], *, title: str = "校验未通过"):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{title}（{len(self.problems)} 处问题）：\n{lines}",
                         details={"problems": [{"location": p.location, "message": p.message}
                                               for p in self.problems]})


class UnsafeSQL(ValidationFailed):
    code = "unsafe_sql"


class RunFailed(ShujianError):
    """An engine failure; carries the SQL that failed."""

    code = "run_failed"

    def __init__(self, message: str, *, sql: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint, details={"sql": sql} if sql else None)
        self.sql = sql


class Cancelled(ShujianError):
    code = "cancelled"
    exit_code = 130
