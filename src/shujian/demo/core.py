"""The demo city (演示城市): a seeded, deterministic synthetic region with planted violations.

``generate(scale, seed, out_dir)`` builds a city, calls every group module's ``generate(ctx)`` and
writes one Parquet file per dataset plus ``manifest.json`` (datasets, 来源单位, level, semantics),
``ground_truth.json`` ({model_id: [{subject, rule, note}]}) and ``near_misses.json``.

Group modules use the :class:`CityContext` helpers: ``people``/``person`` (valid 18-digit resident IDs
from real division codes, realistic names), ``companies``/``company`` (valid USCC), ``write`` (a
streaming Parquet writer, call it many times per dataset), ``plant`` and ``near_miss``.
Background rows are generated vectorised with numpy in chunks (memory bounded at any scale); each
group keeps its populations disjoint so that background data never creates a violation by chance.
Groups share nothing (own RNG stream, own ID and USCC ranges), so they may run in parallel processes.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import json
import multiprocessing
import os
import resource
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from queue import Empty
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from stdnum import numdb

from shujian.demo.arrays import (
    ORG_SPAN,
    ORG_STRIDE,
    SequenceCodes,
    fmt,
    resident_ids,
    uscc_codes,
    ymd_numbers,
)
from shujian.errors import InputError

__all__ = ["SCALES", "CityContext", "Manifest", "fmt", "generate", "resident_ids", "uscc_codes"]

# province ≈ 1e9 rows (issue 8): only generate() at this size, streamed to Parquet; see docs/benchmarks.md
SCALES: dict[str, int] = {"small": 1, "medium": 50, "large": 500, "province": 10_000}
GROUPS: tuple[str, ...] = ("person", "justice")
DATA_DIR = Path(__file__).with_name("data")
CHUNK_ROWS = 500_000      # rows per Parquet row group at most
SMALL_WRITE = 65_536      # smaller writes are buffered and written together (no tiny row groups)

# 常见姓氏及其大致人口占比（%）—— 近似值，来自公开的姓氏人口排名。
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2),
    ("赵", 2.0), ("吴", 1.9), ("周", 1.9), ("徐", 1.5), ("孙", 1.5), ("马", 1.4), ("朱", 1.3),
    ("胡", 1.3), ("郭", 1.1), ("何", 1.1), ("高", 1.1), ("林", 1.0), ("罗", 0.9), ("郑", 0.9),
    ("梁", 0.8), ("谢", 0.7), ("宋", 0.7), ("唐", 0.7), ("许", 0.6), ("韩", 0.6), ("冯", 0.6),
    ("邓", 0.6), ("曹", 0.5), ("彭", 0.5), ("曾", 0.5), ("肖", 0.5), ("田", 0.5), ("董", 0.5),
    ("袁", 0.4), ("潘", 0.4), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.4), ("余", 0.4), ("杜", 0.4),
    ("叶", 0.4), ("程", 0.4), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3),
    ("沈", 0.3), ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3),
    ("陆", 0.3), ("汪", 0.3), ("范", 0.3), ("金", 0.3), ("石", 0.2), ("廖", 0.2), ("贾", 0.2),
    ("夏", 0.2), ("韦", 0.2), ("付", 0.2), ("方", 0.2), ("白", 0.2), ("邹", 0.2), ("孟", 0.2),
    ("熊", 0.2), ("秦", 0.2), ("邱", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2), ("闫", 0.2),
    ("段", 0.2), ("雷", 0.2), ("侯", 0.2), ("龙", 0.2), ("史", 0.2), ("陶", 0.1), ("黎", 0.1),
    ("贺", 0.1), ("顾", 0.1), ("毛", 0.1), ("郝", 0.1), ("龚", 0.1), ("邵", 0.1), ("万", 0.1),
    ("钱", 0.1), ("严", 0.1), ("覃", 0.1), ("武", 0.1), ("戴", 0.1), ("莫", 0.1), ("孔", 0.1),
    ("向", 0.1), ("汤", 0.1), ("欧阳", 0.03), ("司马", 0.01),
)
MALE_CHARS = tuple("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林建国志文海东兵峰成亮新"
                   "德荣春晓斌庆胜祥永生贵福云忠宏振山江彬")
FEMALE_CHARS = tuple("芳娜敏静丽艳娟霞秀英玲桂兰红梅琳燕萍雪婷慧莉颖倩洁佳欣怡琴月凤菊素珍丹蓉媛"
                     "秋晶璐瑶露莹")
SHARED_CHARS = tuple("小晓子嘉思文雨一佳家欣宇天明海春金玉立志")

# 台州地区 codes of 1982–1994 (GB/T 2260 history) → today's county: people born before the 1994 城市
# reorganisation carry them, and stdnum checks that the code existed in the birth year.
HISTORIC_HOME: dict[str, str] = {
    "332601": "椒江区", "332602": "临海市", "332603": "黄岩区", "332621": "临海市", "332622": "黄岩区",
    "332623": "温岭市", "332624": "仙居县", "332625": "天台县", "332626": "三门县", "332627": "玉环市",
}

DTYPE_TO_ARROW: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(), "DATE": pa.date32(),
    "BOOLEAN": pa.bool_(), "TIMESTAMP": pa.timestamp("us"),
}
AUTO_SEMANTICS: dict[str, str] = {
    "身份证号": "id_number", "公民身份号码": "id_number", "姓名": "person_name",
    "统一社会信用代码": "uscc", "单位名称": "org_name",
}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    city: str
    province: str


@dataclass
class DatasetInfo:
    name: str
    file: str
    rows: int
    agency: str
    level: str
    description: str
    semantics: dict[str, str]
    columns: list[dict[str, str]]


@dataclass
class Manifest:
    scale: str
    seed: int
    city: str
    today: str
    datasets: list[DatasetInfo] = field(default_factory=list)
    seconds: float = 0.0            # run facts, not written to manifest.json
    peak_rss_mb: float = 0.0

    RUN_FACTS = ("seconds", "peak_rss_mb")

    @property
    def total_rows(self) -> int:
        return sum(d.rows for d in self.datasets)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as written to ``manifest.json`` (same for every run of one scale and seed)."""
        out = {k: v for k, v in asdict(self).items() if k not in self.RUN_FACTS}
        out["total_rows"] = self.total_rows
        return out

    @classmethod
    def load(cls, out_dir: str | Path) -> Manifest:
        """Read ``manifest.json`` back from a generated city directory."""
        raw = json.loads((Path(out_dir) / "manifest.json").read_text(encoding="utf-8"))
        for key in ("total_rows", *cls.RUN_FACTS):
            raw.pop(key, None)
        raw["datasets"] = [DatasetInfo(**d) for d in raw["datasets"]]
        return cls(**raw)


def load_divisions() -> list[Division]:
    """County-level 区划代码 packaged with the demo (浙江、安徽、江西、贵州)."""
    with (DATA_DIR / "divisions.csv").open(encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return [Division(r["code"], r["name"], r["city"], r["province"]) for r in rows]


def to_date_array(values: Iterable[date] | np.ndarray) -> np.ndarray:
    """Dates as numpy ``datetime64[D]``."""
    return np.asarray(values, dtype="datetime64[D]")


def month_start(d: date) -> date:
    return d.replace(day=1)


def _code_years(code: str) -> list[tuple[int, int]]:
    """Years in which division ``code`` was assigned, per stdnum's GB/T 2260 history."""
    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    spans = []
    for county in info.get("county", "").split(","):
        if not county:
            continue
        if not county.startswith("["):
            spans.append((0, 9999))
            continue
        start, end = county[1:].split("]")[0].split("-")
        spans.append((int(start or 0), int(end or 9999)))
    return spans


class CityContext:
    """Everything a group module needs to write its part of the demo city.

    ``rng`` is a numpy Generator; :func:`generate` gives each group its own stream seeded from
    (seed, group name) so one group's output does not change when another group changes.
    """

    TODAY = date(2025, 12, 31)                   # 数据截止日期 (fixed: output must not depend on the clock)

    def __init__(self, scale: str, seed: int, out_dir: str | Path, *, home_city: str = "台州市",
                 progress: Callable[[int], None] | None = None, part: int = 0, parts: int = 1,
                 file_prefix: str = ""):
        if scale not in SCALES:
            raise InputError(f"未知的演示规模 '{scale}'", hint=f"可选：{', '.join(SCALES)}")
        self.scale = scale
        self.seed = seed
        self.factor = SCALES[scale]
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.rng = np.random.default_rng(seed)
        self.today = self.TODAY
        self.window_start = date(2024, 1, 1)     # 月度发放类数据的起始月
        self.divisions = load_divisions()
        self.home = [d for d in self.divisions if d.city == home_city]
        if not self.home:
            raise InputError(f"区划表中没有城市 '{home_city}'")
        self.home_city = home_city
        # part/parts: contexts of different groups issue disjoint IDs and USCCs (see generate())
        self._sequence_codes = SequenceCodes([d.code for d in self.divisions] + list(HISTORIC_HOME), salt=seed,
                                             part=part, parts=parts)
        self._part, self._parts = part, parts
        self._file_prefix = file_prefix
        self._code_pool: dict[tuple[int, bool], list[tuple[str, str]]] = {}
        self._pool_arrays: dict[tuple[int, bool], tuple[np.ndarray, np.ndarray]] = {}
        self._code_years: dict[str, list[tuple[int, int]]] = {}
        self._org_issued = np.zeros(len(self.home), dtype=np.int64)   # 组织机构代码 issued per home division
        self._org_offset = (seed * 2_654_435_761) % ORG_SPAN
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._progress = progress
        self.rows_written = 0
        self._pending: dict[str, list[pa.Table]] = {}
        self._infos: dict[str, DatasetInfo] = {}
        self._owner: dict[str, str] = {}
        self.group = ""
        self.ground_truth: dict[str, list[dict[str, str]]] = {}
        self.near_misses: dict[str, list[dict[str, str]]] = {}

    # ------------------------------------------------------------------ sizes and primitives
    def n(self, base: int) -> int:
        """Scaled count: ``base`` at small scale times the size factor."""
        return int(base * self.factor)

    def use_group(self, name: str) -> None:
        """Switch to the RNG stream of group ``name``."""
        self.group = name
        self.rng = np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def dates(self, n: int, start: date, end: date) -> np.ndarray:
        """``n`` uniform dates in [start, end] as ``datetime64[D]``."""
        lo = np.datetime64(start, "D")
        span = (np.datetime64(end, "D") - lo).astype(int) + 1
        return lo + self.rng.integers(0, span, n).astype("timedelta64[D]")

    def amounts(self, n: int, low: float, high: float) -> np.ndarray:
        """``n`` amounts in yuan with two decimals, uniform in [low, high]."""
        return np.round(self.rng.uniform(low, high, n), 2)

    def pick(self, values: Sequence[Any], n: int, p: Sequence[float] | None = None) -> np.ndarray:
        """``n`` choices from ``values`` (optionally weighted)."""
        probs = None if p is None else np.asarray(p, dtype=float) / np.sum(p)
        return np.asarray(values, dtype=object)[self.rng.choice(len(values), n, p=probs)]

    def one(self, values: Sequence[Any]) -> Any:
        return values[int(self.rng.integers(0, len(values)))]

    # ------------------------------------------------------------------ people
    def names(self, sex: np.ndarray) -> np.ndarray:
        """Realistic Chinese names for a vector of sexes ('男'/'女')."""
        n = len(sex)
        sn, w = zip(*SURNAMES, strict=True)
        surnames = self.pick(sn, n, w)
        male = sex == "男"
        first = np.where(male, self.pick(MALE_CHARS, n), self.pick(FEMALE_CHARS, n))
        second = np.where(male, self.pick(MALE_CHARS, n), self.pick(FEMALE_CHARS, n))
        second = np.where(self.rng.random(n) < 0.2, self.pick(SHARED_CHARS, n), second)
        two = self.rng.random(n) < 0.7
        given = np.where(two, first + second, first)
        return surnames + given

    def people(self, n: int, *, born: tuple[date, date] = (date(1950, 1, 1), date(2000, 12, 31)),
               sex: str | None = None, local_share: float = 0.85) -> dict[str, np.ndarray]:
        """``n`` new distinct people: 身份证号, 姓名, 性别, 出生日期, 户籍地 (arrays).

        IDs are GB 11643 valid (division code in force in the birth year, check character), never
        reused across the whole city (:class:`SequenceCodes`); everything is computed on arrays.
        """
        if n <= 0:
            return {k: np.array([], dtype=object) for k in ("身份证号", "姓名", "性别", "出生日期", "户籍地")}
        birth = self.dates(n, *born)
        sexes = (np.full(n, sex, dtype=object) if sex else
                 np.where(self.rng.random(n) < 0.5, "男", "女").astype(object))
        male = sexes == "男"
        local = self.rng.random(n) < local_share
        codes, places = self._draw_codes(birth, local, self.rng.random(n))
        seq = self._sequence_codes.allocate(codes, birth, male)
        for attempt in range(100):
            full = np.flatnonzero(seq < 0)
            if not len(full):
                break
            # the home city's slots of that day are taken (very large scales): another division, then day
            local[full] = False
            if attempt >= 3:
                birth[full] = self.dates(len(full), *born)
            codes[full], places[full] = self._draw_codes(birth[full], local[full], self.rng.random(len(full)))
            seq[full] = self._sequence_codes.allocate(codes[full], birth[full], male[full])
        else:
            raise InputError(f"出生日期 {born[0]}–{born[1]} 的身份证号已用尽", hint="放宽出生日期范围或减小规模")
        ymd = ymd_numbers(birth)
        ids = resident_ids(codes * 10**11 + ymd * 1000 + seq)
        return {"身份证号": ids, "姓名": self.names(sexes), "性别": sexes, "出生日期": birth, "户籍地": places}

    def _draw_codes(self, birth: np.ndarray, local: np.ndarray, draws: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Division code (int) and 户籍地 per person: uniform over the pool of its birth year."""
        years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
        key = years * 2 + local
        codes = np.empty(len(key), dtype=np.int64)
        places = np.empty(len(key), dtype=object)
        for k in np.unique(key).tolist():
            sel = np.flatnonzero(key == k)
            pool_codes, pool_places = self._pool(k // 2, bool(k % 2))
            idx = (draws[sel] * len(pool_codes)).astype(np.int64)
            codes[sel] = pool_codes[idx]
            places[sel] = pool_places[idx]
        return codes, places

    def _pool(self, year: int, local: bool) -> tuple[np.ndarray, np.ndarray]:
        key = (year, local)
        if key not in self._pool_arrays:
            pool = self._codes(year, local)
            self._pool_arrays[key] = (np.array([int(c) for c, _ in pool], dtype=np.int64),
                                      np.array([p for _, p in pool], dtype=object))
        return self._pool_arrays[key]

    def _codes(self, year: int, local: bool) -> list[tuple[str, str]]:
        """(division code, 户籍地) pairs valid in ``year``; home city first, any division otherwise."""
        key = (year, local)
        if key not in self._code_pool:
            home = f"{self.home[0].province}{self.home_city}"
            cands = ([(d.code, home + d.name) for d in self.home]
                     + [(c, home + name) for c, name in HISTORIC_HOME.items()]) if local else \
                [(d.code, d.province + d.city + d.name) for d in self.divisions]
            pool = [(c, p) for c, p in cands if any(a <= year <= b for a, b in self._years(c))]
            if not pool and local:
                pool = self._codes(year, False)
            if not pool:
                raise InputError(f"区划表中没有 {year} 年已设立的区划代码", hint="缩小出生日期范围")
            self._code_pool[key] = pool
        return self._code_pool[key]

    def _years(self, code: str) -> list[tuple[int, int]]:
        if code not in self._code_years:
            self._code_years[code] = _code_years(code)
        return self._code_years[code]

    def person(self, **kw: Any) -> dict[str, Any]:
        """One new person as a dict (for planted cases); dates as ``datetime.date``."""
        batch = self.people(1, **kw)
        row = {k: v[0] for k, v in batch.items()}
        row["出生日期"] = row["出生日期"].astype(date)
        return row

    # ------------------------------------------------------------------ companies
    def companies(self, n: int, *, kinds: Sequence[str] = ("有限公司",),
                  words: Sequence[str] = ("宏达", "鑫源", "华盛", "恒通", "永兴", "瑞丰", "金鼎",
                                          "天成", "顺发", "博远", "安泰", "联创", "嘉和", "信诚")
                  ) -> dict[str, np.ndarray]:
        """``n`` new companies registered in the home city: 统一社会信用代码 (valid, never reused), 单位名称."""
        trades = ("建设工程", "商贸", "科技", "物业管理", "餐饮管理", "健身服务", "教育咨询", "劳务")
        div = self.rng.integers(0, len(self.home), n)
        first = self.rng.integers(0, len(words), n)
        second = (first + self.rng.integers(1, len(words), n)) % len(words)     # two different words
        word = np.asarray(words, dtype=object)
        names = (np.array([d.city for d in self.home], dtype=object)[div] + word[first] + word[second]
                 + self.pick(trades, n) + self.pick(kinds, n))
        division = np.array([int(d.code) for d in self.home], dtype=np.int64)[div]
        return {"统一社会信用代码": uscc_codes(division, self._org_bodies(div)), "单位名称": names}

    def _org_bodies(self, div: np.ndarray) -> np.ndarray:
        """组织机构代码 bodies never issued before in each home division ``div`` (index into ``home``).

        One counter per division, sent through a fixed bijection of the 8-digit range; the counters
        of this context's part are k·parts + part, so other groups' contexts never meet them.
        """
        order = np.argsort(div, kind="stable")
        counts = np.bincount(div, minlength=len(self.home))
        issued = self._org_issued + counts
        if int(issued.max(initial=0)) * self._parts > ORG_SPAN:
            raise InputError("组织机构代码已用尽", hint="减小演示规模")
        sorted_div = div[order]
        rank = np.arange(len(div)) - (np.cumsum(counts) - counts)[sorted_div]
        k = np.empty(len(div), dtype=np.int64)
        k[order] = self._org_issued[sorted_div] + rank
        self._org_issued = issued
        return 10_000_000 + ((k * self._parts + self._part) * ORG_STRIDE + self._org_offset) % ORG_SPAN

    def company(self, **kw: Any) -> dict[str, Any]:
        batch = self.companies(1, **kw)
        return {k: v[0] for k, v in batch.items()}

    # ------------------------------------------------------------------ output
    def write(self, dataset: str, table: pa.Table | Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
              agency: str, level: str = "内部", description: str = "",
              semantics: Mapping[str, str] | None = None,
              dtypes: Mapping[str, str] | None = None) -> int:
        """Append rows to dataset ``dataset`` (one Parquet file; call as often as needed).

        ``table``: a pyarrow Table, a dict of columns (numpy arrays or lists) or a list of row dicts.
        The first call fixes the schema; ``dtypes`` (column → DuckDB type) types columns that would
        otherwise be inferred (e.g. all-null). Returns the rows written.
        """
        tbl = self._to_table(table, dtypes or {})
        if dataset not in self._writers:
            self._open(dataset, tbl, agency, level, description, semantics)
        elif self._owner[dataset] != self.group:
            raise InputError(f"数据集 '{dataset}' 已由分组 '{self._owner[dataset]}' 写出",
                             hint="每个数据集只能由一个分组写出，请换一个名称")
        writer = self._writers[dataset]
        try:
            tbl = tbl.select(writer.schema.names).cast(writer.schema)
        except (KeyError, pa.ArrowInvalid, ValueError) as exc:
            raise InputError(f"写入数据集 '{dataset}' 的列与首次写入不一致：{exc}",
                             hint=f"首次写入的列：{writer.schema.names}") from exc
        pending = self._pending.setdefault(dataset, [])
        pending.append(tbl)
        if sum(t.num_rows for t in pending) >= SMALL_WRITE:
            self._flush(dataset)
        self._infos[dataset].rows += tbl.num_rows
        return tbl.num_rows

    def _flush(self, dataset: str) -> None:
        """Write the buffered tables of ``dataset`` in file order."""
        pending = self._pending.pop(dataset, [])
        if not pending:
            return
        tbl = pa.concat_tables(pending)
        for start in range(0, tbl.num_rows, CHUNK_ROWS):
            self._writers[dataset].write_table(tbl.slice(start, CHUNK_ROWS))
        self.rows_written += tbl.num_rows
        if self._progress is not None:
            self._progress(self.rows_written)

    def _to_table(self, table: Any, dtypes: Mapping[str, str]) -> pa.Table:
        if isinstance(table, pa.Table):
            return table
        if isinstance(table, Mapping):
            cols = dict(table)
        else:
            rows = list(table)
            names = list(dict.fromkeys(k for r in rows for k in r))
            cols = {k: [r.get(k) for r in rows] for k in names}
        arrays = {}
        for name, values in cols.items():
            typ = DTYPE_TO_ARROW[dtypes[name]] if name in dtypes else None
            if isinstance(values, np.ndarray) and values.dtype.kind == "M":
                values = values.astype("datetime64[D]")
                arrays[name] = pa.array(values, type=typ or pa.date32())
            elif isinstance(values, np.ndarray) and values.dtype == object:
                arrays[name] = pa.array(values.tolist(), type=typ)
            else:
                arrays[name] = pa.array(values, type=typ)
        return pa.table(arrays)

    def _open(self, dataset: str, tbl: pa.Table, agency: str, level: str, description: str,
              semantics: Mapping[str, str] | None) -> None:
        bad = [f.name for f in tbl.schema if pa.types.is_null(f.type)]
        if bad:
            raise InputError(f"数据集 '{dataset}' 的列 {bad} 无法推断类型", hint="用 dtypes= 指定类型")
        file = f"{self._file_prefix}{len(self._writers) + 1:02d}_{dataset}.parquet"
        self._writers[dataset] = pq.ParquetWriter(self.out_dir / file, tbl.schema, compression="zstd")
        sem = {c: s for c, s in AUTO_SEMANTICS.items() if c in tbl.schema.names}
        sem.update(semantics or {})
        cols = [{"name": f.name, "dtype": arrow_dtype_name(f.type)} for f in tbl.schema]
        self._infos[dataset] = DatasetInfo(dataset, file, 0, agency, level, description, sem, cols)
        self._owner[dataset] = self.group

    def plant(self, model_id: str, subject_key: str, rule: str, note: str = "") -> None:
        """Record a planted violation: model ``model_id`` must flag ``subject_key`` under ``rule``."""
        self.ground_truth.setdefault(model_id, []).append(
            {"subject": str(subject_key), "rule": rule, "note": note})

    def near_miss(self, model_id: str, subject_key: str, note: str) -> None:
        """Record a planted near-miss: model ``model_id`` must NOT flag ``subject_key``."""
        self.near_misses.setdefault(model_id, []).append({"subject": str(subject_key), "note": note})

    def close(self) -> list[DatasetInfo]:
        """Close every writer; returns the dataset infos in file order."""
        for name, w in self._writers.items():
            self._flush(name)
            w.close()
        self._writers.clear()
        return list(self._infos.values())


def arrow_dtype_name(t: pa.DataType) -> str:
    """DuckDB type name for an Arrow type (the subset the demo writes)."""
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    if pa.types.is_integer(t):
        return "BIGINT"
    if pa.types.is_floating(t):
        return "DOUBLE"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_decimal(t):
        return "DECIMAL"
    return "VARCHAR"


def available_groups() -> list[str]:
    """Group modules present in ``shujian.demo.groups`` (person first)."""
    return [g for g in GROUPS if importlib.util.find_spec(f"shujian.demo.groups.{g}") is not None]


@dataclass
class GroupResult:
    """What one group's generation hands back: its datasets (files still group-prefixed) and truth."""

    name: str
    infos: list[DatasetInfo]
    ground_truth: dict[str, list[dict[str, str]]]
    near_misses: dict[str, list[dict[str, str]]]
    peak_rss_mb: float


def generate(scale: str = "small", seed: int = 42, out_dir: str | Path = "demo-city",
             groups: Sequence[str] | None = None, progress: Callable[[int, float], None] | None = None,
             workers: int | None = None) -> Manifest:
    """Generate the demo city into ``out_dir``; returns the manifest (also written as JSON).

    Every dataset is streamed to Parquet in bounded batches, so memory does not grow with the scale.
    The groups are independent (own RNG stream, disjoint IDs and USCCs), so with ``workers`` > 1 they
    run in parallel processes; the output is the same for any number of workers.  Default: one
    worker at small scale, otherwise one per group up to the CPU count.  ``progress(rows_written,
    peak_rss_mb)`` is called after each batch written (memory summed over the processes).
    """
    t0 = time.perf_counter()
    if scale not in SCALES:
        raise InputError(f"未知的演示规模 '{scale}'", hint=f"可选：{', '.join(SCALES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.parquet"):
        old.unlink()
    names = list(groups or available_groups())
    if workers is None:
        workers = 1 if scale == "small" else min(len(names), os.cpu_count() or 1)
    if workers > 1 and len(names) > 1:
        results = _generate_parallel(scale, seed, out, names, workers, progress)
    else:
        results = []
        for name in names:
            done = sum(d.rows for r in results for d in r.infos)
            report = None if progress is None else (lambda rows, _done=done: progress(_done + rows, _rss_mb()))
            results.append(generate_group(scale, seed, str(out), name, report))
    manifest = Manifest(scale, seed, "台州市", CityContext.TODAY.isoformat(), _number_files(out, results))
    manifest.seconds = round(time.perf_counter() - t0, 2)
    manifest.peak_rss_mb = round(_rss_mb() + sum(r.peak_rss_mb for r in results if r.peak_rss_mb > 0), 1)
    truth: dict[str, list[dict[str, str]]] = {}
    near: dict[str, list[dict[str, str]]] = {}
    for r in results:
        for model, rows in r.ground_truth.items():
            truth.setdefault(model, []).extend(rows)
        for model, rows in r.near_misses.items():
            near.setdefault(model, []).extend(rows)
    _dump(out / "manifest.json", manifest.to_dict())
    _dump(out / "ground_truth.json", truth)
    _dump(out / "near_misses.json", near)
    return manifest


def generate_group(scale: str, seed: int, out_dir: str, name: str,
                   progress: Callable[[int], None] | None = None) -> GroupResult:
    """Generate one group's datasets into ``out_dir`` (files prefixed ``_<group>_``, renamed later)."""
    if name not in GROUPS:
        raise InputError(f"未知的演示分组 '{name}'", hint=f"可选：{', '.join(GROUPS)}")
    ctx = CityContext(scale, seed, out_dir, progress=progress, part=GROUPS.index(name), parts=len(GROUPS),
                      file_prefix=f"_{name}_")
    module = importlib.import_module(f"shujian.demo.groups.{name}")
    ctx.use_group(name)
    try:
        module.generate(ctx)
    finally:
        infos = ctx.close()
    return GroupResult(name, infos, ctx.ground_truth, ctx.near_misses, 0.0)


_progress_queue: Any = None     # in a group process: where its progress goes (set by _start_group_process)


def _start_group_process(queue: Any) -> None:
    """Initialiser of a group process: keep the parent's progress queue (inherited at start: a plain
    multiprocessing queue, no manager process that would outlive a killed parent) and end this process
    as soon as the parent is gone — a generation killed by a signal (no clean-up runs in the parent)
    used to leave its group processes writing Parquet into an abandoned directory for an hour."""
    global _progress_queue
    _progress_queue = queue
    parent = multiprocessing.parent_process()
    if parent is not None:       # its sentinel becomes ready when the parent exits, however it exits
        threading.Thread(target=lambda: (parent.join(), os._exit(1)), name="exit-with-parent", daemon=True).start()


def _group_worker(scale: str, seed: int, out_dir: str, name: str) -> GroupResult:
    """Process entry point: one group, progress sent to the parent as (group, rows, peak MB)."""
    result = generate_group(scale, seed, out_dir, name, lambda rows: _progress_queue.put((name, rows, _rss_mb())))
    result.peak_rss_mb = _rss_mb()
    return result


def _generate_parallel(scale: str, seed: int, out: Path, names: list[str], workers: int,
                       progress: Callable[[int, float], None] | None) -> list[GroupResult]:
    ctx = multiprocessing.get_context("spawn")       # no fork of a process that may hold threads
    queue = ctx.Queue()
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_group_process, initargs=(queue,)) as pool:
        futures = [pool.submit(_group_worker, scale, seed, str(out), name) for name in names]
        rows: dict[str, int] = {}
        peaks: dict[str, float] = {}
        while not all(f.done() for f in futures):
            try:
                name, n, peak = queue.get(timeout=0.5)
            except Empty:
                continue
            rows[name], peaks[name] = n, peak
            if progress is not None:
                progress(sum(rows.values()), _rss_mb() + sum(peaks.values()))
        return [f.result() for f in futures]


def _number_files(out: Path, results: list[GroupResult]) -> list[DatasetInfo]:
    """Rename the groups' files to one numbering (groups in order, datasets in first-write order)."""
    infos: list[DatasetInfo] = []
    seen: dict[str, str] = {}
    for r in results:
        for info in r.infos:
            if info.name in seen:
                raise InputError(f"数据集 '{info.name}' 已由分组 '{seen[info.name]}' 写出",
                                 hint="每个数据集只能由一个分组写出，请换一个名称")
            seen[info.name] = r.name
            file = f"{len(infos) + 1:02d}_{info.name}.parquet"
            (out / info.file).replace(out / file)
            info.file = file
            infos.append(info)
    return infos


def _rss_mb() -> float:
    """Peak resident memory of this process, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def days(n: int) -> timedelta:
    return timedelta(days=n)
