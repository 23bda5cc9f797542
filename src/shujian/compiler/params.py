"""Parameter values: defaults, coercion of CLI strings (``--param k=v``) and range checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shujian.errors import Problem, ValidationFailed
from shujian.spec.model import Model, Param

_TYPE_ZH = {"int": "整数", "float": "数字", "str": "文本", "date": "日期（YYYY-MM-DD）",
            "bool": "是/否（true/false）", "list": "列表（逗号分隔）"}
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def _coerce(p: Param, value: Any) -> Any:
    """Coerce one value (a CLI string or a Python value) to the declared type; ValueError if not."""
    if p.type == "int":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        return int(value.strip()) if isinstance(value, str) else int(value)
    if p.type == "float":
        if isinstance(value, bool):
            raise ValueError
        return float(value.strip()) if isinstance(value, str) else float(value)
    if p.type == "str":
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError
        return str(value)
    if p.type == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value).strip())
    if p.type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError
    if isinstance(value, str):
        return [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v) if not isinstance(v, str) else v for v in value]
    raise ValueError


def _check_one(name: str, p: Param, raw: Any, problems: list[Problem]) -> Any:
    loc = f"params.{name}"
    try:
        value = _coerce(p, raw)
    except (ValueError, TypeError):
        problems.append(Problem(loc, f"参数 {name}（{p.label}）应为{_TYPE_ZH[p.type]}，收到 {raw!r}"))
        return None
    if p.type in ("int", "float"):
        if p.min is not None and value < p.min:
            problems.append(Problem(loc, f"参数 {name}（{p.label}）不能小于 {p.min:g}，收到 {value}"))
        if p.max is not None and value > p.max:
            problems.append(Problem(loc, f"参数 {name}（{p.label}）不能大于 {p.max:g}，收到 {value}"))
    if p.choices is not None:
        bad = [v for v in (value if isinstance(value, list) else [value]) if v not in p.choices]
        if bad:
            problems.append(Problem(loc, f"参数 {name}（{p.label}）的取值 {bad} 不在可选范围 {p.choices} 中"))
    return value


def resolve_params(model: Model, given: dict[str, Any] | None) -> tuple[dict[str, Any], list[Problem]]:
    """Defaults overlaid with ``given``; returns typed values and the problems found."""
    problems: list[Problem] = []
    given = dict(given or {})
    for name in given:
        if name not in model.params:
            problems.append(Problem(f"params.{name}", f"模型没有参数 {name}；可用参数："
                                    f"{', '.join(model.params) or '无'}"))
    values: dict[str, Any] = {}
    for name, p in model.params.items():
        raw = given.get(name, p.default)
        if raw is None:
            if name not in given:
                problems.append(Problem(f"params.{name}", f"参数 {name}（{p.label}）没有默认值，请提供"))
            continue
        values[name] = _check_one(name, p, raw, problems)
    return values, problems


def check_params(model: Model, raw: dict[str, str]) -> dict[str, Any]:
    """Coerce CLI strings (``--param k=v``) to the declared types, with defaults for the rest.

    Raises ValidationFailed with every problem (中文) at once.

    >>> from shujian.spec import load_model
    """
    values, problems = resolve_params(model, raw)
    if problems:
        raise ValidationFailed(problems, title="模型参数有误")
    return values
