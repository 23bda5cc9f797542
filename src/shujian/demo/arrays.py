"""Vectorised building blocks of the demo city: resident IDs, USCCs, 顺序码 issuing, formatted text.

Everything works on numpy arrays (one call per batch of rows, no Python loop per row); the
results are object arrays of ``str`` as the group modules expect.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)   # GB 11643
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"                                               # GB 32100
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)                                # GB 11714
SEQ_SLOTS = 499            # 顺序码 per (区划, 出生日期, 性别): 2k+1 for men, 2k+2 for women, k < 499
ORG_SPAN = 89_999_999      # 组织机构代码 bodies 10000000 … 99999998
ORG_STRIDE = 7_368_787     # coprime with ORG_SPAN: counter → body is a bijection (no lookups needed)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Decimal digits of non-negative ints as an ``(n, width)`` int64 matrix (most significant first)."""
    out = np.empty((len(values), width), dtype=np.int64)
    rest = np.asarray(values, dtype=np.int64)
    for i in range(width - 1, -1, -1):
        rest, out[:, i] = np.divmod(rest, 10)
    return out


def ascii_strings(chars: np.ndarray) -> np.ndarray:
    """Rows of an ``(n, width)`` uint8 ASCII matrix as an object array of ``str``."""
    width = chars.shape[1]
    return np.ascontiguousarray(chars).view(f"S{width}").ravel().astype(f"U{width}").astype(object)


def resident_ids(body: np.ndarray) -> np.ndarray:
    """18-digit 公民身份号码 from 17-digit bodies (int64), with the GB 11643 check character.

    >>> resident_ids(np.array([11010519491231002]))[0]
    '11010519491231002X'
    """
    d = digits(body, 17)
    check = (12 - (d * ID_WEIGHTS).sum(axis=1) % 11) % 11
    chars = np.empty((len(d), 18), dtype=np.uint8)
    chars[:, :17] = d + 48
    chars[:, 17] = np.frombuffer(b"0123456789X", dtype=np.uint8)[check]
    return ascii_strings(chars)


def uscc_codes(division: np.ndarray, org_body: np.ndarray) -> np.ndarray:
    """统一社会信用代码 ``91`` + 6-digit division + 组织机构代码 (8 digits + check) + check character."""
    org = digits(org_body, 8)
    c = 11 - (org * ORG_WEIGHTS).sum(axis=1) % 11
    org_check = np.where(c == 11, 0, c)                    # 10 → 'X' (alphabet value 29 below)
    values = np.empty((len(org), 17), dtype=np.int64)
    values[:, 0], values[:, 1] = 9, 1
    values[:, 2:8] = digits(division, 6)
    values[:, 8:16] = org
    values[:, 16] = np.where(org_check == 10, USCC_ALPHABET.index("X"), org_check)
    check = (31 - (values * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    alphabet = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    chars = np.empty((len(org), 18), dtype=np.uint8)
    chars[:, :17] = alphabet[values]
    chars[:, 17] = alphabet[check]
    return ascii_strings(chars)


class SequenceCodes:
    """Issues 顺序码 so that no two people share an ID, in bounded memory and without lookups.

    One int16 counter per (区划代码, 出生日期, 性别) slot (≈80 MB of zero pages, touched only where
    used): the k-th person of a slot gets 顺序码 2·σ(k)+1 (men) or 2·σ(k)+2 (women), σ a
    per-slot bijection of 0…498, so codes look scattered but never repeat.  A full slot returns -1;
    the caller then moves the person to another division or birth date.

    ``part`` of ``parts``: issuers of different parts (the groups, generated in parallel processes)
    use disjoint k (k ≡ part mod parts), so their people never share an ID either.
    """

    FIRST = np.datetime64("1900-01-01", "D")
    DAYS = int((np.datetime64("2031-01-01", "D") - FIRST).astype(int))

    def __init__(self, codes: Iterable[str], salt: int = 0, part: int = 0, parts: int = 1):
        self._codes = np.array(sorted({int(c) for c in codes}), dtype=np.int64)
        self._used = np.zeros(len(self._codes) * self.DAYS * 2, dtype=np.int16)
        self._salt = salt % SEQ_SLOTS
        self._part, self._parts = part, parts
        self._capacity = -(-(SEQ_SLOTS - part) // parts)          # k per slot left to this part

    def allocate(self, codes: np.ndarray, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
        """顺序码 (1…998) for each person, or -1 where the slot is full."""
        n = len(codes)
        slot = ((np.searchsorted(self._codes, codes) * self.DAYS
                 + (birth - self.FIRST).astype(np.int64)) * 2 + male.astype(np.int64))
        order = np.argsort(slot, kind="stable")
        s = slot[order]
        new = np.empty(n, dtype=bool)
        new[:1] = True
        new[1:] = s[1:] != s[:-1]
        rank = np.arange(n) - np.maximum.accumulate(np.where(new, np.arange(n), 0))
        k = self._used[s].astype(np.int64) + rank
        last = np.append(new[1:], True)
        self._used[s[last]] = np.minimum(k[last] + 1, self._capacity)
        k_all = np.empty(n, dtype=np.int64)
        k_all[order] = k * self._parts + self._part
        sigma = (k_all * 211 + (slot * 40_503 + self._salt)) % SEQ_SLOTS
        return np.where(k_all < SEQ_SLOTS, 2 * sigma + np.where(male, 1, 2), -1)


def ymd_numbers(d: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` as int64 YYYYMMDD."""
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    return ((years.astype(np.int64) + 1970) * 10_000 + (months - years).astype(np.int64) * 100 + 100
            + (d - months).astype(np.int64) + 1)


def fmt(pattern: str, rows: int | None = None, /, **fields: Any) -> np.ndarray:
    """Vectorised ``str.format``: one string per row, fields given as arrays (or scalars).

    Supports ``{name}`` and zero-padded integers ``{name:0Nd}``; computed in Arrow, returned as an
    object array of ``str``.

    >>> fmt("A{u}-{k:04d}", u=np.array(["x", "y"], dtype=object), k=np.array([7, 12])).tolist()
    ['Ax-0007', 'Ay-0012']
    """
    parts: list[Any] = []
    for literal, name, spec, _conv in string.Formatter().parse(pattern):
        if literal:
            parts.append(literal)
        if name is None:
            continue
        value = fields[name]
        if isinstance(value, np.ndarray | pa.Array):
            if rows is None:
                rows = len(value)
            arr = pa.array(value) if isinstance(value, np.ndarray) else value
            arr = pc.cast(arr, pa.string())
            if spec:
                arr = pc.utf8_lpad(arr, int(spec.rstrip("d")), padding="0")
            parts.append(arr)
        else:
            parts.append(format(value, spec))
    if rows is None:
        raise ValueError("fmt() needs at least one array field or n")
    if not any(isinstance(x, pa.Array) for x in parts):
        return np.full(rows, "".join(parts), dtype=object)
    joined = pc.binary_join_element_wise(*parts, "") if len(parts) > 1 else parts[0]
    return joined.to_numpy(zero_copy_only=False).astype(object, copy=False)
