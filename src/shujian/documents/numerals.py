"""Chinese numerals, amounts, terms and dates as written in judgments (数字、金额、刑期、日期).

Everything here is pure and total: a string that cannot be read gives ``None``, never an error.
"""

from __future__ import annotations

import re
from datetime import date

_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0, "О": 0, "0": 0,
    "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "三": 3, "叁": 3, "參": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6, "七": 7, "柒": 7,
    "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

#: characters that may appear in a Chinese numeral (for building regular expressions)
CN_NUM_CHARS = "零〇○Ｏ0一壹二贰貳两兩三叁參四肆五伍六陆陸七柒八捌九玖十拾百佰千仟万萬亿億"

_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_FW_DIGIT_RE = re.compile("[０-９]")


def to_halfwidth_digits(text: str) -> str:
    """Map full-width digits to ASCII digits, keeping the length (so spans stay valid).

    >>> to_halfwidth_digits("２０１８年３月")
    '2018年3月'
    """
    return text.translate(_FULLWIDTH) if _FW_DIGIT_RE.search(text) else text


def cn_to_int(text: str) -> int | None:
    """Read an integer written in Chinese numerals, Arabic digits or a mix.

    >>> cn_to_int("三万五千")
    35000
    >>> cn_to_int("十一")
    11
    >>> cn_to_int("二〇一八")
    2018
    >>> cn_to_int("壹仟")
    1000
    >>> cn_to_int("1.5万")
    15000
    >>> cn_to_int("一百零五")
    105
    >>> cn_to_int("abc") is None
    True
    """
    text = to_halfwidth_digits(text.strip()).replace(",", "").replace("，", "")
    if not text:
        return None
    if re.fullmatch(r"\d+", text):
        return int(text)
    mixed = re.fullmatch(r"(\d+(?:\.\d+)?)([万萬亿億])", text)
    if mixed:
        return round(float(mixed.group(1)) * _BIG_UNITS[mixed.group(2)])
    if any(ch not in _DIGITS and ch not in _SMALL_UNITS and ch not in _BIG_UNITS for ch in text):
        return None
    if not any(ch in _SMALL_UNITS or ch in _BIG_UNITS for ch in text):
        # digit by digit, as in years: 二〇一八
        return int("".join(str(_DIGITS[ch]) for ch in text))
    return _positional(text)


def _positional(text: str) -> int:
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        else:
            section += digit or 0
            unit = _BIG_UNITS[ch]
            total = (total + section) * unit if unit > 10_000 else total + section * unit
            section, digit = 0, None
    return total + section + (digit or 0)


_AMOUNT_RE = re.compile(r"([0-9０-９][0-9０-９,，.．]*|[" + CN_NUM_CHARS + r"]+)\s*(万|萬)?\s*元")


def parse_amount(text: str) -> int | None:
    """Read a money amount in yuan (元), in any form seen in judgments.

    >>> parse_amount("人民币三万五千元")
    35000
    >>> parse_amount("人民币1.5万元")
    15000
    >>> parse_amount("5,000元")
    5000
    >>> parse_amount("５０００元")
    5000
    >>> parse_amount("50万元")
    500000
    >>> parse_amount("人民币壹仟元")
    1000
    >>> parse_amount("罚金") is None
    True
    """
    m = _AMOUNT_RE.search(text)
    if not m:
        return None
    raw = to_halfwidth_digits(m.group(1)).replace(",", "").replace("，", "").replace("．", ".")
    unit = 10_000 if m.group(2) else 1
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return round(float(raw) * unit)
    value = cn_to_int(raw)
    return None if value is None else value * unit


_TERM_RE = re.compile(
    r"(?:([" + CN_NUM_CHARS + r"\d]+)年)?(?:又|零)?(?:([" + CN_NUM_CHARS + r"\d]+)个?月)?"
)


def parse_term(text: str) -> int | None:
    """Read a term like 一年零六个月 as months; ``None`` when no term is written.

    >>> parse_term("一年零六个月")
    18
    >>> parse_term("十一个月")
    11
    >>> parse_term("一年又六个月")
    18
    >>> parse_term("三年")
    36
    >>> parse_term("2年3个月")
    27
    >>> parse_term("") is None
    True
    """
    m = _TERM_RE.match(text.strip())
    if not m or not (m.group(1) or m.group(2)):
        return None
    years = cn_to_int(m.group(1)) if m.group(1) else 0
    months = cn_to_int(m.group(2)) if m.group(2) else 0
    if years is None or months is None:
        return None
    return years * 12 + months


_DATE_RE = re.compile(
    r"([0-9０-９" + CN_NUM_CHARS + r"]{4})\s*年\s*([0-9０-９" + CN_NUM_CHARS + r"]{1,3})\s*月"
    r"\s*([0-9０-９" + CN_NUM_CHARS + r"]{1,4})\s*日"
)


def parse_date(text: str) -> date | None:
    """Read the first full date (year, month, day) in Arabic or Chinese numerals.

    >>> parse_date("二〇一七年六月二十八日")
    datetime.date(2017, 6, 28)
    >>> parse_date("二0一四年四月十九日")
    datetime.date(2014, 4, 19)
    >>> parse_date("2018 年2月9日")
    datetime.date(2018, 2, 9)
    >>> parse_date("2018年2月30日") is None
    True
    """
    m = _DATE_RE.search(text)
    return _date_from_match(m) if m else None


def _date_from_match(m: re.Match[str]) -> date | None:
    year, month, day = (cn_to_int(g) for g in m.groups())
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def iter_dates(text: str):
    """Yield ``(date, start, end)`` for each readable full date in ``text``."""
    for m in _DATE_RE.finditer(text):
        value = _date_from_match(m)
        if value is not None:
            yield value, m.start(), m.end()
