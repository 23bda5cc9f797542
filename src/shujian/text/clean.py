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


_UNCLEAN = re.compile(r"_x000|[\n\r\t\u3000\u00a0]|  |(?:^|\x00)\s|\s(?:\x00|$)|[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def cleaned_all(values: list) -> list[str]:
    """``[cleaned(v) for v in values]``; a batch of strings that cleaning leaves alone (the common
    case: no Excel escape, line break, tab, wide space, double space, white space at either end,
    full-width letter or digit, none too long) is recognised by one search over the batch joined by
    NUL and returned as it is (None as "")."""
    texts = ["" if v is None else v for v in values]
    try:
        joined = "\x00".join(texts)
    except TypeError:                   # bytes or another type: each value on its own
        return [cleaned(v) for v in values]
    if not is_clean(joined, len(texts)) or (texts and max(map(len, texts)) > MAX_CHARS):
        return [cleaned(v) for v in values]
    return texts


# white space or a full-width letter or digit: a batch without any (and without "_x000") is clean;
# one character class, which the regex engine tests far faster than the alternation _UNCLEAN
_SUSPECT = re.compile(r"[\s\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def is_clean(joined: str, n: int) -> bool:
    """``joined`` is ``n`` texts joined by NUL (none holds a NUL) of which cleaning changes none
    (when none is longer than ``MAX_CHARS``, which the caller checks)."""
    if joined.count("\x00") != n - 1 or "_x000" in joined:
        return False
    return _SUSPECT.search(joined) is None or _UNCLEAN.search(joined) is None


# What ``str.isspace`` (and ``\\s`` of ``re`` on ``str``: the same set) holds, as code points; the
# SQL form of the cleaning below needs it spelled out (RE2's and Java's ``\\s`` are ASCII only).
# tests/text/test_prefilter.py checks it against Python over every code point.
WHITE_SPACE = (0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
               *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
_WIDE_FROM = "".join(chr(cp) for cp in _FULL_WIDTH)
_WIDE_TO = "".join(chr(cp) for cp in _FULL_WIDTH.values())


def _sql_class(code_points) -> str:
    """A character class that RE2 (DuckDB) and Java (Spark) read the same way: ``\\x{…}`` escapes."""
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in code_points) + "]"


def sql_cleaned(text):
    """:func:`cleaned` as a SQL expression over ``text`` (a sqlglot expression of a VARCHAR that is
    not NULL): the same string for every input — tests/text/test_prefilter.py compares the two on
    DuckDB over random strings of every character the cleaning rewrites.  Used where a SQL
    prefilter must see what the matcher sees (:func:`sql_prefilter`)."""
    from sqlglot import exp

    def replace(this, pattern: str, by: str):
        return exp.RegexpReplace(this=this, expression=exp.Literal.string(pattern),
                                 replacement=exp.Literal.string(by), modifiers=exp.Literal.string("g"))

    space = _sql_class(WHITE_SPACE)
    out = replace(text, _EXCEL_ESCAPE.pattern, "\n")
    out = exp.Substring(this=out, start=exp.Literal.number(1), length=exp.Literal.number(MAX_CHARS))
    out = replace(out, f"{space}*[\\r\\n]+{space}*", " ")
    out = replace(out, _sql_class((0x20, 0x9, 0x3000, 0xA0)) + "+", " ")
    out = replace(out, f"^{space}+|{space}+$", "")
    return exp.func("TRANSLATE", out, exp.Literal.string(_WIDE_FROM), exp.Literal.string(_WIDE_TO))


def _rewritten_chars() -> str:
    """The characters :func:`cleaned` rewrites or removes (white space, the ``_`` of an Excel escape
    ``_x000D_``, full-width letters and digits), as one class for RE2 and Java."""
    wide = "".join(f"\\x{{{lo:x}}}-\\x{{{hi - 1:x}}}" for lo, hi in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)))
    return _sql_class(WHITE_SPACE)[:-1] + "_" + wide + "]"


def sql_rewritten(text):
    """True (SQL) for a text that :func:`cleaned` may change: it holds one of ``_rewritten_chars`` or
    is longer than ``MAX_CHARS``.  Any other text is its own cleaned form."""
    return _found_or_too_long(text, _rewritten_chars())


def _found_or_too_long(text, pattern: str):
    """True (SQL) for a ``text`` holding ``pattern`` or longer than ``MAX_CHARS``."""
    from sqlglot import exp

    return exp.or_(exp.RegexpLike(this=text.copy(), expression=exp.Literal.string(pattern)),
                   exp.GT(this=exp.Length(this=text.copy()), expression=exp.Literal.number(MAX_CHARS)))


def sql_prefilter(text, pattern: str):
    """True (SQL) exactly when ``pattern`` (``spec.text.prefilter_pattern``) is found in the *cleaned*
    ``text`` — what the matcher, which reads ``cleaned(text)``, tests first — so the rows it drops
    are rows the matcher would not match.

    One pass of ``pattern`` or a character the cleaning rewrites over every row (or a text longer
    than ``MAX_CHARS``); of the rows it keeps, a text the cleaning leaves alone (no such character,
    not too long; :func:`sql_rewritten`) is its own cleaned form and has ``pattern``; any other is
    cleaned in SQL (:func:`sql_cleaned`, the same string) and tested again.  Before, the pattern
    was tried on the raw text only: a regex term missed what cleaning makes of it (办ＶＩＰ卡 is
    办VIP卡 to the matcher; 收取 and 家长 with a run of line breaks between are 收取 家长)."""
    from sqlglot import exp

    first = _found_or_too_long(text, f"{pattern}|{_rewritten_chars()}")
    again = exp.RegexpLike(this=sql_cleaned(text.copy()), expression=exp.Literal.string(pattern))
    return exp.and_(exp.paren(first), exp.paren(exp.or_(exp.not_(exp.paren(sql_rewritten(text))), again)))


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
