"""A synthetic person population with realistic noise and ground truth (for tests and benchmarks).

People get surnames by their population share (``demo.core.SURNAMES``, from public surname rankings)
and given names from Zipf-weighted characters, so namesakes (王伟, 张敏 …) are as common as in real
registers.  Each person appears in 1–5 agency records; each record carries the noise real deliveries
carry: traditional characters (張偉), homophone typos (王伟→王玮), one-digit ID errors, 15-digit IDs,
missing IDs (parsed judgments have none), day/month swaps in the birth date, missing birth dates,
changed phone numbers, full-width digits and spaces.  ``person_id`` is the truth.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
import pyarrow as pa
import zhconv
from pypinyin import lazy_pinyin
from stdnum.cn import ric

from shujian.demo.core import FEMALE_CHARS, MALE_CHARS, SHARED_CHARS, SURNAMES

_EXTRA = "卫维玮方晶敬莉力立鸣铭君洁婕民化宏虹永涌彬滨韬燕彦鹃侠萍玫岚莹亭惠会灵菱钰羽语"
SOURCES = ("公安户籍", "社保参保", "医保结算", "民政救助", "法院判决", "市场监管")


@dataclass(frozen=True)
class Noise:
    """Per-record noise rates (shares of records)."""

    traditional: float = 0.10     # 繁体 name
    homophone: float = 0.03       # one given-name character replaced by a homophone
    id_missing: float = 0.25      # no ID number (e.g. parsed judgments)
    id15: float = 0.06            # old 15-digit ID (only people born before 2000)
    id_typo: float = 0.03         # one digit of the ID wrong
    dob_missing: float = 0.20     # no birth date column value
    dob_swap: float = 0.03        # day and month swapped (day ≤ 12)
    phone_missing: float = 0.40
    phone_old: float = 0.25       # the person's previous phone number
    address_missing: float = 0.30
    fullwidth: float = 0.03       # full-width digits in the ID / spaces inside the name


@lru_cache(maxsize=1)
def _divisions() -> list[str]:
    with (resources.files("shujian.demo") / "data" / "divisions.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r and not r[0].startswith("#")]
    return [r[0] for r in rows[1:]]


@lru_cache(maxsize=1)
def _division_names() -> dict[str, str]:
    with (resources.files("shujian.demo") / "data" / "divisions.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r and not r[0].startswith("#")]
    return {r[0]: r[3] + r[2] + r[1] for r in rows[1:]}


@lru_cache(maxsize=1)
def _homophones() -> dict[str, tuple[str, ...]]:
    pool = sorted(set(MALE_CHARS + FEMALE_CHARS + SHARED_CHARS) | set(_EXTRA))
    groups: dict[str, list[str]] = {}
    for c in pool:
        groups.setdefault(lazy_pinyin(c)[0], []).append(c)
    return {c: tuple(x for x in g if x != c) for g in groups.values() if len(g) > 1 for c in g}


def _zipf(chars: tuple[str, ...], s: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, len(chars) + 1) ** s
    return w / w.sum()


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    sn, w = zip(*SURNAMES, strict=True)
    surname = np.asarray(sn, dtype=object)[rng.choice(len(sn), n, p=np.asarray(w) / sum(w))]
    male = rng.random(n) < 0.5
    m, f = np.asarray(MALE_CHARS, dtype=object), np.asarray(FEMALE_CHARS, dtype=object)
    first = np.where(male, m[rng.choice(len(m), n, p=_zipf(MALE_CHARS))], f[rng.choice(len(f), n, p=_zipf(FEMALE_CHARS))])
    second = np.where(male, m[rng.choice(len(m), n, p=_zipf(MALE_CHARS))], f[rng.choice(len(f), n, p=_zipf(FEMALE_CHARS))])
    shared = np.asarray(SHARED_CHARS, dtype=object)
    second = np.where(rng.random(n) < 0.2, shared[rng.integers(0, len(shared), n)], second)
    given = np.where(rng.random(n) < 0.35, first, first + second)     # ~a third have one-character names
    lo, hi = date(1940, 1, 1).toordinal(), date(2005, 12, 31).toordinal()
    birth = rng.integers(lo, hi + 1, n)
    divisions = np.asarray(_divisions(), dtype=object)
    division = divisions[rng.integers(0, len(divisions), n)]
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)          # odd = male
    phone = rng.integers(13_000_000_000, 19_999_999_999, n)
    old_phone = rng.integers(13_000_000_000, 19_999_999_999, n)
    street = rng.integers(1, 400, n)
    house = rng.integers(1, 300, n)
    return {"surname": surname, "given": given, "male": male, "birth": birth, "division": division,
            "seq": seq, "phone": phone, "old_phone": old_phone, "street": street, "house": house}


def _id18(division: str, birth: date, seq: int) -> str:
    body = f"{division}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _typo_digit(rng: np.random.Generator, s: str) -> str:
    pos = int(rng.choice([0, 1, 2, 3, 4, 5, 14, 15, 16]))      # division or sequence part
    d = str((int(s[pos]) + int(rng.integers(1, 10))) % 10)
    return s[:pos] + d + s[pos + 1:]


def _noisy_name(rng: np.random.Generator, surname: str, given: str, noise: Noise) -> str:
    if rng.random() < noise.homophone:
        i = int(rng.integers(0, len(given)))
        alts = _homophones().get(given[i])
        if alts:
            given = given[:i] + alts[int(rng.integers(0, len(alts)))] + given[i + 1:]
    name = surname + given
    if rng.random() < noise.traditional:
        name = zhconv.convert(name, "zh-hant")
    if rng.random() < noise.fullwidth:
        name = name[0] + " " + name[1:]
    return name


def _noisy_id(rng: np.random.Generator, id18: str, birth: date, noise: Noise) -> str | None:
    if rng.random() < noise.id_missing:
        return None
    v = id18
    if birth.year < 2000 and rng.random() < noise.id15:
        v = id18[:6] + id18[8:17]
    elif rng.random() < noise.id_typo:
        v = _typo_digit(rng, id18)
    if rng.random() < noise.fullwidth:
        v = v.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return v


def _noisy_dob(rng: np.random.Generator, birth: date, noise: Noise) -> str | None:
    if rng.random() < noise.dob_missing:
        return None
    if birth.day <= 12 and birth.day != birth.month and rng.random() < noise.dob_swap:
        birth = date(birth.year, birth.day, birth.month)
    return birth.isoformat() if rng.random() < 0.7 else f"{birth.year}年{birth.month}月{birth.day}日"


def generate_population(n_records: int, *, seed: int = 7, noise: Noise | None = None) -> pa.Table:
    """``n_records`` person records of about n/2.3 people, with ``person_id`` as ground truth.

    Columns: record_id, source, person_id, 姓名, 身份证号, 出生日期, 性别, 手机号, 住址.
    """
    noise = noise or Noise()
    rng = np.random.default_rng(seed)
    counts = rng.choice([1, 2, 3, 4, 5], size=int(n_records / 2.3) + 10, p=[0.3, 0.3, 0.2, 0.12, 0.08])
    ends = np.cumsum(counts)
    n_people = int(np.searchsorted(ends, n_records)) + 1
    counts = counts[:n_people]
    counts[-1] -= int(ends[n_people - 1] - n_records)
    p = _people(rng, n_people)
    person_of = np.repeat(np.arange(n_people), counts)
    cols: dict[str, list] = {k: [] for k in ("record_id", "source", "person_id", "姓名", "身份证号",
                                              "出生日期", "性别", "手机号", "住址")}
    sources = rng.integers(0, len(SOURCES), n_records)
    places = _division_names()
    for rid, pid in enumerate(person_of.tolist()):
        birth = date.fromordinal(int(p["birth"][pid]))
        id18 = _id18(p["division"][pid], birth, int(p["seq"][pid]))
        phone = p["old_phone"][pid] if rng.random() < noise.phone_old else p["phone"][pid]
        cols["record_id"].append(rid + 1)
        cols["source"].append(SOURCES[sources[rid]])
        cols["person_id"].append(pid + 1)
        cols["姓名"].append(_noisy_name(rng, p["surname"][pid], p["given"][pid], noise))
        cols["身份证号"].append(_noisy_id(rng, id18, birth, noise))
        cols["出生日期"].append(_noisy_dob(rng, birth, noise))
        cols["性别"].append(("男" if p["male"][pid] else "女") if rng.random() < 0.8 else None)
        cols["手机号"].append(None if rng.random() < noise.phone_missing else str(phone))
        cols["住址"].append(None if rng.random() < noise.address_missing else
                          f"{places[p['division'][pid]]}第{p['street'][pid]}街{p['house'][pid]}号")
    return pa.table(cols)
