"""Chinese numerals and article references (第一百三十三条之一第二款 → ``133之一``, paragraph 2)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "零〇一二两三四五六七八九十百千"


def cn_to_int(text: str) -> int:
    """Convert a Chinese or Arabic numeral to int.

    >>> cn_to_int("一百三十三"), cn_to_int("十二"), cn_to_int("二百零五"), cn_to_int("47")
    (133, 12, 205, 47)
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            total += (digit or 1) * _UNITS[ch]
            digit = 0
        else:
            raise ValueError(f"不是中文数字：{text!r}")
    return total + digit


@dataclass(frozen=True)
class ArticleRef:
    """One article (条) with an optional paragraph (款); ``article`` is canonical, e.g. ``133之一``."""

    article: str
    paragraph: int | None = None

    def label(self) -> str:
        """Human label, e.g. ``第133条之一第1款``."""
        base, _, suffix = self.article.partition("之")
        out = f"第{base}条" + (f"之{suffix}" if suffix else "")
        return out + (f"第{self.paragraph}款" if self.paragraph else "")


_NUM = rf"[{CN_NUM}\d]+"
ARTICLE_RE = re.compile(rf"第({_NUM})条(?:之([一二三四五六七八九十]+))?")


def canonical_article(number: str, suffix: str | None = None) -> str:
    """``("一百三十三", "一")`` → ``"133之一"``."""
    return f"{cn_to_int(number)}" + (f"之{suffix}" if suffix else "")


def article_sort_key(article: str) -> tuple[int, int]:
    """Sort ``133`` < ``133之一`` < ``133之二`` < ``134``."""
    base, _, suffix = article.partition("之")
    return int(base), (cn_to_int(suffix) if suffix else 0)


def parse_article_refs(text: str) -> list[ArticleRef]:
    """All article references in a cell such as ``第114条、第115条第1款`` or ``第229条第1款、第2款 第3款``.

    A bare ``第N款`` after an article belongs to that article.  ``第371条第2条`` (a typo in the 1997
    罪名意见) is read as ``第371条第2款``.
    """
    text = _TYPO_RE.sub(r"\1第\2款", text)
    refs: list[ArticleRef] = []
    current: str | None = None
    paragraphs: list[int] = []

    def flush() -> None:
        if current is not None:
            refs.extend([ArticleRef(current, p) for p in paragraphs] or [ArticleRef(current)])

    for m in _TOKEN_RE.finditer(text):
        if m.group(1):
            flush()
            current, paragraphs = canonical_article(m.group(1), m.group(2)), []
        elif current is not None:
            paragraphs.append(cn_to_int(m.group(3)))
    flush()
    return refs


_TYPO_RE = re.compile(rf"(第{_NUM}条(?:之[一二三四五六七八九十]+)?)第({_NUM})条")
_TOKEN_RE = re.compile(rf"第({_NUM})条(?:之([一二三四五六七八九十]+))?|第({_NUM})款")
