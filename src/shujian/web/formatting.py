"""Chinese display formats for pages (日期、金额、数量) — Jinja filters.

>>> cn_date("2026-03-02")
'2026年3月2日'
>>> cn_amount(12345.5)
'12,345.50 元'
>>> cn_amount(1234567)
'123.46 万元'
>>> cn_count(1234567)
'1,234,567'
>>> cn_cell("2023-01-10")
'2023年1月10日'
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def _parse(value: Any) -> date | datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, date | datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def cn_date(value: Any) -> str:
    """``2026-03-02`` → ``2026年3月2日``; text that is not a date is returned as is."""
    d = _parse(value)
    if d is None:
        return "" if value in (None, "") else str(value)
    return f"{d.year}年{d.month}月{d.day}日"


def cn_datetime(value: Any) -> str:
    """``2026-03-02T09:05:00`` → ``2026年3月2日 09:05``."""
    d = _parse(value)
    if not isinstance(d, datetime):
        return cn_date(value)
    return f"{d.year}年{d.month}月{d.day}日 {d:%H:%M}"


def cn_amount(value: Any) -> str:
    """Money in 元, or 万元 from one million up."""
    if value in (None, ""):
        return ""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if abs(v) >= 1_000_000:
        return f"{v / 10_000:,.2f} 万元"
    return f"{v:,.2f} 元"


def cn_count(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def cn_bool(value: Any) -> str:
    return "是" if value else "否"


def cn_cell(value: Any) -> str:
    """A table cell: dates in Chinese, floats with two decimals, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return cn_bool(value)
    if isinstance(value, datetime):
        return cn_datetime(value)
    if isinstance(value, date):
        return cn_date(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return "、".join(cn_cell(v) for v in value)
    if isinstance(value, str) and _ISO.match(value):
        return cn_datetime(value) if "T" in value or " " in value.strip() else cn_date(value)
    return str(value)


_TYPES = (("VARCHAR", "文本"), ("TEXT", "文本"), ("STRING", "文本"), ("CHAR", "文本"), ("TIMESTAMP", "日期时间"),
          ("DATETIME", "日期时间"), ("DATE", "日期"), ("TIME", "时间"), ("BOOL", "是/否"), ("DECIMAL", "小数"),
          ("DOUBLE", "小数"), ("FLOAT", "小数"), ("REAL", "小数"), ("NUMERIC", "小数"), ("HUGEINT", "整数"),
          ("BIGINT", "整数"), ("SMALLINT", "整数"), ("TINYINT", "整数"), ("INT", "整数"), ("LIST", "列表"),
          ("[]", "列表"), ("STRUCT", "结构"), ("BLOB", "二进制"))


def cn_type(dtype: Any) -> str:
    """A column's storage type in Chinese: ``VARCHAR`` → ``文本``, ``DATE`` → ``日期``, ``BIGINT`` → ``整数``.

    >>> cn_type("DECIMAL(18,2)"), cn_type("TIMESTAMP WITH TIME ZONE"), cn_type("VARCHAR[]")
    ('小数', '日期时间', '列表')
    """
    text = str(dtype or "").upper()
    if not text:
        return ""
    if text.endswith("[]"):
        return "列表"
    return next((label for key, label in _TYPES if key in text), str(dtype))


def cn_semantic(key: Any) -> str:
    """A data-element type (数据要素类型) in Chinese: ``id_number`` → ``身份证号``; none → ``""``."""
    if not key:
        return ""
    from ..catalog.semantic import SEMANTIC_TYPES

    found = SEMANTIC_TYPES.get(str(key))
    return found.label if found else str(key)


_STATUS = {"succeeded": "成功", "failed": "失败", "cancelled": "已取消", "canceled": "已取消", "running": "运行中",
           "queued": "排队中", "pending": "排队中", "done": "完成"}
_PARAM_TYPES = {"int": "整数", "float": "小数", "str": "文本", "date": "日期", "bool": "是/否", "list": "列表"}
_SEMANTIC_SOURCES = {"user": "人工", "auto": "自动", "detected": "自动识别", "declared": "模型声明"}

#: Chinese names of the facts computed by the built-in models (facts that are input fields show their column)
FACT_LABELS = {
    "reason": "情形", "subject": "对象", "subject_key": "对象编号", "subject_name": "对象名称", "label": "名称",
    "peak": "期间内最多件数", "suits": "起诉件数", "score": "风险分", "absent_share": "被告缺席比例",
    "withdrawn_share": "撤诉比例", "quick_mediations": "快速调解件数", "round_share": "整数金额比例",
    "max_agent_suits": "同一代理人最多件数", "first_filed": "首次起诉日期", "last_filed": "最近起诉日期",
    "pid": "原告身份证号", "plaintiff_name": "原告名称", "events_n": "涉案起数", "counties_n": "涉及区县数",
    "members_n": "成员人数", "case_list": "涉及案件", "expected": "应有情形", "merchant": "商户",
    "complaints": "投诉件数", "severe_tickets": "严重投诉件数", "first_date": "首次投诉日期",
    "last_date": "最近投诉日期", "sample_tickets": "投诉示例", "prior_case": "前案", "case_no": "案号",
    "person": "身份证号", "name": "姓名", "charge": "罪名", "kind": "种类", "term": "刑期（月）",
    "probation": "缓刑考验期（月）",
}


def cn_status(value: Any) -> str:
    """A job's or run's status: ``succeeded`` → ``成功``."""
    return _STATUS.get(str(value or ""), "" if value is None else str(value))


def cn_param_type(value: Any) -> str:
    """A model parameter's type: ``int`` → ``整数``, ``list`` → ``列表``."""
    return _PARAM_TYPES.get(str(value or ""), str(value or ""))


def cn_semantic_source(value: Any) -> str:
    """Who set a column's data-element type: ``detected`` → ``自动识别``, ``user`` → ``人工``."""
    return _SEMANTIC_SOURCES.get(str(value or ""), str(value or ""))


_FORMATS = {"parquet": "Parquet 文件", "csv": "CSV 文件", "xlsx": "Excel 工作簿", "xls": "Excel 工作簿（旧版）",
            "json": "JSON 文件", "jsonl": "JSON 行文件", "txt": "文本文件", "database": "数据库", "db": "数据库"}


def cn_source_format(value: Any) -> str:
    """An import's source format: ``parquet`` → ``Parquet 文件``, ``xlsx`` → ``Excel 工作簿``."""
    return _FORMATS.get(str(value or "").lower(), str(value or ""))


class Names:
    """Display names for ids shown on pages: 模型编号 → 模型名称, 用户名 → 姓名, 事实键 → 中文.

    Looked up in the workspace and kept for ``ttl`` seconds (a page shows dozens of the same ids).
    """

    def __init__(self, ws: Any, ttl: float = 30.0) -> None:
        self.ws, self.ttl = ws, ttl
        self._at: dict[str, float] = {}
        self._cache: dict[str, dict] = {}

    def _table(self, kind: str, build) -> dict:
        import time

        now = time.monotonic()
        if kind not in self._cache or now - self._at[kind] > self.ttl:
            try:
                self._cache[kind] = build()
            except Exception:                              # noqa: BLE001 - a name is a nicety, never an error
                self._cache[kind] = {}
            self._at[kind] = now
        return self._cache[kind]

    def _models(self) -> dict:
        from .. import models_library
        from . import catalogue

        out = {mid: models_library.get_model(mid) for mid in models_library.list_ids()}
        for mid in catalogue.governed(self.ws):
            try:
                out[mid] = catalogue.load(self.ws, mid)
            except Exception:                              # noqa: BLE001 - keep the built-in one
                continue
        return out

    def model(self, model_id: Any) -> str:
        """The model's Chinese name, or its id when it is unknown."""
        m = self._table("models", self._models).get(str(model_id))
        return m.name if m is not None else str(model_id or "")

    def user(self, username: Any) -> str:
        """The user's name (姓名), or the user name when it is unknown; empty → 系统."""
        if not username:
            return "系统"
        from ..orgs.service import OrgService

        users = self._table("users", lambda: {u["username"]: u.get("name") or u["username"]
                                              for u in OrgService(self.ws).users()})
        return users.get(str(username), str(username))

    def fact(self, key: Any, model_id: Any = None) -> str:
        """A fact's label: the model's own label of a column it computes (``labels``), the column an input
        field is bound to, else :data:`FACT_LABELS`, else the key."""
        key = str(key)
        if not re.search(r"[A-Za-z]", key):
            return key
        m = self._table("models", self._models).get(str(model_id)) if model_id else None
        if m is not None and key in m.labels:
            return m.labels[key]
        for inp in (m.inputs.values() if m is not None else ()):
            bound = inp.fields.get(key)
            column = bound if isinstance(bound, str) else getattr(bound, "column", None)
            if column:
                return column
        return FACT_LABELS.get(key, key)

    def globals(self) -> dict[str, Any]:
        """The Jinja globals: ``model_name(id)``, ``user_name(username)``, ``fact_label(key, model_id)``."""
        return {"model_name": self.model, "user_name": self.user, "fact_label": self.fact}


FILTERS = {"cn_date": cn_date, "cn_datetime": cn_datetime, "cn_amount": cn_amount, "cn_count": cn_count,
           "cn_bool": cn_bool, "cn_cell": cn_cell, "cn_type": cn_type, "cn_semantic": cn_semantic,
           "cn_status": cn_status, "cn_param_type": cn_param_type, "cn_semantic_source": cn_semantic_source,
           "cn_source_format": cn_source_format}
