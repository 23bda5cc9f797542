"""Cleaning message text before screening, and counting what was wrong with it (质量).

Hotline exports arrive with Excel's ``_x000D_`` escapes for carriage returns, line breaks and tabs
inside cells, doubled quotes, full-width letters and digits, fields of tens of thousands of
characters, empty bodies, and text decoded with the wrong code page (GBK read as UTF-8 or the
reverse).  :func:`clean_text` never raises: it returns the text the rules read and the list of
problems found, which screenings and imports count in their quality report.

Positions in match explanations refer to the cleaned text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

MAX_CHARS = 20_000          # longer fields are screened on their first MAX_CHARS characters
LONG_FIELD = 10_000         # counted as 超长字段 from here on

_EXCEL_ESCAPE = re.compile(r"_x000[dDaA9]_")
_SPACES = re.compile(r"[ \t\u3000\u00a0]+")
_BREAKS = re.compile(r"\s*[\r\n]+\s*")
# Full-width letters and digits map to half-width, one character for one; Chinese punctuation
# (，。；！？：（）) stays as written — rules and merchant names are written with it.
_FULL_WIDTH = {cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)) for cp in range(*r)}
# What UTF-8 Chinese looks like when decoded as GBK (锟斤拷, 鍙戠エ …) or as Latin-1/cp1252 (å¤©, ç½‘):
# a run of such characters is the sign of a mis-decoded message.  Written so that Python's re and
# DuckDB's RE2 read it the same way (the screening counts it in SQL).
MOJIBAKE_SQL = ("锟斤拷|烫烫烫|屯屯屯|[ÃÂâåæçèéäï][\\x80-\\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’•–—˜™š›œžŸ]"
                # characters UTF-8 Chinese turns into when read as GBK (none is common in real text)
                "|[浜锛紝哄數鏉鏄涓弽銆鍏佹眰犲璐鍙屽犳鏈岃湪鍦簡瀹煇閫璇鍗杩殑鐢垂缁鍔闂搴鍋鐨澶鎴鏌鍚瑕笉簵嗗浣浠瀛崱"
                "屾骞娆跺宸涔氬鎵璁鏃屼叧悊戝浼姙呭棬竴叾汉悗棰憳楀笟勫細鐞灏鏀樺嶅嗕敤冿敹璺鍊嗭鍒愬寮澘満鍛鍖娉甯夋抽鐩岀牎炬"
                "佸虹蹇堕熷嶆勪鑰閮仠皯勾厖溅淇]{3,}")
_MOJIBAKE = re.compile(MOJIBAKE_SQL)

PROBLEMS = {
    "empty": "正文为空",
    "excel_escape": "含 Excel 转义 _x000D_",
    "line_break": "含换行",
    "tab": "含制表符",
    "quote": "含引号",
    "long": f"超过 {LONG_FIELD} 字",
    "truncated": f"超过 {MAX_CHARS} 字（只筛查前 {MAX_CHARS} 字）",
    "replacement": "含无法解码的字符（�）",
    "mojibake": "疑似编码错乱（GBK/UTF-8 混用）",
    "not_text": "不是文本",
}


def clean_text(value: object) -> tuple[str, list[str]]:
    """The text the rules read, and the problem keys (see ``PROBLEMS``) found in ``value``.

    >>> clean_text('预付卡_x000D_\\n跑路\\t了')
    ('预付卡 跑路 了', ['excel_escape', 'line_break', 'tab'])
    >>> clean_text(None)
    ('', ['empty'])
    """
    problems: list[str] = []
    if value is None:
        return "", ["empty"]
    if isinstance(value, bytes):
        value = decode_bytes(value, problems)
    elif not isinstance(value, str):
        problems.append("not_text")
        value = str(value)
    text = value
    if "_x000" in text and _EXCEL_ESCAPE.search(text):
        problems.append("excel_escape")
        text = _EXCEL_ESCAPE.sub("\n", text)
    if "\n" in text or "\r" in text:
        problems.append("line_break")
    if "\t" in text:
        problems.append("tab")
    if '"' in text or "“" in text or "”" in text:
        problems.append("quote")
    if "\ufffd" in text:
        problems.append("replacement")
    if len(text) > LONG_FIELD:
        problems.append("long")
    if len(text) > MAX_CHARS:
        problems.append("truncated")
        text = text[:MAX_CHARS]
    if _MOJIBAKE.search(text):
        problems.append("mojibake")
    text = _BREAKS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip().translate(_FULL_WIDTH)
    if not text:
        problems.append("empty")
    return text, problems


_WIDE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")     # what _FULL_WIDTH maps


def cleaned(value: object) -> str:
    """``clean_text(value)[0]`` without the quality checks: the text only, for the SQL function,
    which runs once per screened message and per registry name.  Each rewrite of
    :func:`clean_text` runs only when the characters it rewrites are there (the common clean
    message passes through with a few ``in`` tests).

    >>> cleaned('预付卡_x000D_\\n跑路\\t了 ＡＢ１')
    '预付卡 跑路 了 AB1'
    """
    if value is None:
        return ""
    if isinstance(value, bytes):
        text = decode_bytes(value)
    elif isinstance(value, str):
        text = value
    else:
        text = str(value)
    if "_x000" in text:
        text = _EXCEL_ESCAPE.sub("\n", text)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
    if "\n" in text or "\r" in text:
        text = _BREAKS.sub(" ", text)
    if "\t" in text or "\u3000" in text or "\u00a0" in text or "  " in text:
        text = _SPACES.sub(" ", text)
    text = text.strip()
    return text.translate(_FULL_WIDTH) if _WIDE.search(text) else text


def decode_bytes(data: bytes, problems: list[str] | None = None) -> str:
    """UTF-8 when it decodes, else GB18030 (a superset of GBK), else UTF-8 with replacement."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if problems is not None:
            problems.append("mojibake")
        return text
    except UnicodeDecodeError:
        if problems is not None:
            problems.append("replacement")
        return data.decode("utf-8", errors="replace")


@dataclass
class QualityCounts:
    """How many messages had each problem (a message with two problems counts in both)."""

    messages: int = 0
    problems: Counter = field(default_factory=Counter)

    def add(self, found: list[str]) -> None:
        self.messages += 1
        self.problems.update(set(found))

    def merge(self, other: QualityCounts) -> None:
        self.messages += other.messages
        self.problems.update(other.problems)

    def to_dict(self) -> dict:
        return {"messages": self.messages,
                "problems": {k: self.problems[k] for k in PROBLEMS if self.problems.get(k)},
                "labels": {k: PROBLEMS[k] for k in PROBLEMS if self.problems.get(k)}}
