"""Runtime API over the committed law tables (no access to ../shared needed).

>>> normalize_charge("盗窃")
'盗窃罪'
>>> mandatory_accessories("危险驾驶罪", date(2012, 1, 1)).fine
'mandatory'
"""

from __future__ import annotations

import csv
import json
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from shujian.errors import NotFound
from shujian.law.penalties import DEATH_MONTHS, EITHER, LIFE_MONTHS, MANDATORY, NONE, OPTIONAL, Band

DATA_FILE = Path(__file__).parent / "data" / "law_tables.json"
UNKNOWN = "unknown"
_STRICTNESS = {NONE: 0, OPTIONAL: 1, EITHER: 2, MANDATORY: 3}
LABELS = {MANDATORY: "必须", OPTIONAL: "可以", EITHER: "择一", NONE: "无", UNKNOWN: "未知"}
COLUMNS = ["罪名", "条文", "生效日期", "失效日期", "刑档序号", "主刑种类", "主刑下限月数", "主刑上限月数",
           "罚金", "没收财产", "剥夺政治权利", "版本来源", "刑档原文"]
LIFE_TYPES = {"无期徒刑", "无期"}
DEATH_TYPES = {"死刑", "死缓", "死刑缓期二年执行", "死刑缓期执行"}


@dataclass
class ChargeVersion:
    """The penalty provision of one 罪名 in force from ``effective_from`` to ``effective_to``."""

    name: str
    articles: list[str]
    effective_from: date
    effective_to: date | None
    source: str
    text_known: bool
    text: str | None
    bands: list[Band]

    def in_force(self, day: date) -> bool:
        """True when ``day`` falls in this version."""
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass
class Accessories:
    """附加刑 a sentence must carry: mandatory / optional / either (罚金或者没收财产择一) / none / unknown."""

    fine: str
    confiscation: str
    deprivation: str
    band_index: int | None = None
    version: ChargeVersion | None = None


def key(name: str) -> str:
    """Comparison key: NFKC (full/half width), no spaces, no trailing 罪."""
    text = unicodedata.normalize("NFKC", name).replace(" ", "").strip()
    while text.endswith("罪"):
        text = text[:-1]
    return text


class LawTables:
    """The charge and penalty tables loaded from JSON."""

    def __init__(self, data: dict):
        self.data = data
        self.charges = {c["name"]: c for c in data["charges"]}
        self._by_key = {key(n): n for n in self.charges}

    # ------------------------------------------------------------------ names
    def normalize_charge(self, name: str) -> str | None:
        """Current official 罪名 for ``盗窃`` / ``盗窃罪`` / an old name; None when unknown.

        An old name split into several new ones (e.g. 徇私舞弊造成破产、亏损罪) stays as it is.
        """
        official = self._by_key.get(key(name))
        seen = set()
        while official and official not in seen:
            seen.add(official)
            successors = self.charges[official]["replaced_by"]
            if len(successors) != 1:
                return official
            official = successors[0]
        return official

    def _charge(self, name: str) -> dict:
        official = self.normalize_charge(name)
        if official is None:
            raise NotFound(f"罪名“{name}”不在罪名表中", hint="请使用《罪名意见》或补充规定中的罪名，例如“盗窃罪”")
        return self.charges[official]

    # --------------------------------------------------------------- versions
    def charge_versions(self, name: str) -> list[ChargeVersion]:
        """All versions of the penalty provision of a 罪名, oldest first."""
        charge = self._charge(name)
        return [_version(charge, v) for v in charge["versions"]]

    def version_in_force(self, name: str, offence_date: date) -> ChargeVersion | None:
        """The version in force on the offence date (刑法第12条 starts from it); None before the crime existed."""
        return next((v for v in self.charge_versions(name) if v.in_force(offence_date)), None)

    def max_term_months(self, name: str, offence_date: date) -> int | None:
        """Highest statutory principal penalty in months (无期/死刑 as sentinels); None if unknown."""
        version = self.version_in_force(name, offence_date)
        if version is None or not version.bands:
            return None
        return max(b.max_months for b in version.bands)

    def mandatory_accessories(self, name: str, offence_date: date, principal_type: str | None = None,
                              term_months: int | None = None) -> Accessories:
        """附加刑 required for a sentence, choosing the 刑档 by the principal penalty where there are several.

        Where a term fits two bands (三年 is both 三年以下 and 三年以上), the less strict answer is given so
        that a model never reports a 漏判 the law does not require.
        """
        charge = self._charge(name)
        version = self.version_in_force(name, offence_date)
        if version is None or not version.text_known or not version.bands:
            return Accessories(UNKNOWN, UNKNOWN, UNKNOWN, None, version)
        months = _sentence_months(principal_type, term_months)
        candidates = _matching_bands(version.bands, months)
        fine = _least(b.fine for _, b in candidates)
        confiscation = _least(b.confiscation for _, b in candidates)
        deprivation = _least(_deprivation(charge["deprivation_rule"], b, months) for _, b in candidates)
        index = candidates[0][0] if len(candidates) == 1 else None
        return Accessories(fine, confiscation, deprivation, index, version)

    # ------------------------------------------------------------ flat table
    def accessory_table(self) -> list[dict]:
        """One row per 罪名 × version × 刑档 × 主刑种类, for SQL joins (see docs/law-tables.md)."""
        rows: list[dict] = []
        for charge in self.data["charges"]:
            for raw in charge["versions"]:
                rows.extend(_rows(charge, _version(charge, raw)))
        return rows

    def write_accessory_table(self, path: Path) -> None:
        """Write :meth:`accessory_table` as UTF-8 CSV."""
        with Path(path).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(self.accessory_table())


def _version(charge: dict, raw: dict) -> ChargeVersion:
    return ChargeVersion(
        name=charge["name"], articles=charge["articles"],
        effective_from=date.fromisoformat(raw["effective_from"]),
        effective_to=date.fromisoformat(raw["effective_to"]) if raw["effective_to"] else None,
        source=raw["source"], text_known=raw["text_known"], text=raw["text"],
        bands=[Band(**b) for b in raw["bands"]])


def _sentence_months(principal_type: str | None, term_months: int | None) -> int | None:
    if principal_type in LIFE_TYPES:
        return LIFE_MONTHS
    if principal_type in DEATH_TYPES:
        return DEATH_MONTHS
    return term_months


def _matching_bands(bands: list[Band], months: int | None) -> list[tuple[int, Band]]:
    indexed = list(enumerate(bands, start=1))
    if months is None:
        return indexed
    hits = [(i, b) for i, b in indexed if b.min_months <= months <= b.max_months and _fits_kind(b, months)]
    if hits:
        return hits
    # below every band (减轻处罚) → lowest band; above → highest
    ordered = sorted(indexed, key=lambda ib: ib[1].min_months)
    return [ordered[0]] if months < ordered[0][1].min_months else [ordered[-1]]


def _fits_kind(band: Band, months: int) -> bool:
    if months == LIFE_MONTHS:
        return band.life
    if months == DEATH_MONTHS:
        return band.death
    return band.fixed_max is not None and months <= band.fixed_max


def _deprivation(rule: str, band: Band, months: int | None) -> str:
    if months in (LIFE_MONTHS, DEATH_MONTHS):
        return MANDATORY  # 刑法第57条: 死刑、无期徒刑 → 剥夺政治权利终身
    return max(rule, band.deprivation, key=lambda s: _STRICTNESS.get(s, 0))


def _least(values) -> str:
    return min(values, key=lambda s: _STRICTNESS[s])


def _rows(charge: dict, version: ChargeVersion) -> list[dict]:
    base = {"罪名": charge["name"], "条文": "、".join(charge["articles"]),
            "生效日期": version.effective_from.isoformat(),
            "失效日期": version.effective_to.isoformat() if version.effective_to else None,
            "版本来源": version.source}
    if not version.text_known or not version.bands:
        return [{**base, "刑档序号": None, "主刑种类": None, "主刑下限月数": None, "主刑上限月数": None,
                 "罚金": LABELS[UNKNOWN], "没收财产": LABELS[UNKNOWN], "剥夺政治权利": LABELS[UNKNOWN],
                 "刑档原文": None}]
    rows = []
    for index, band in enumerate(version.bands, start=1):
        for kind, low, high in _segments(band):
            months = high if kind != "有期徒刑/拘役/管制" else None
            rows.append({**base, "刑档序号": index, "主刑种类": kind, "主刑下限月数": low, "主刑上限月数": high,
                         "罚金": LABELS[band.fine], "没收财产": LABELS[band.confiscation],
                         "剥夺政治权利": LABELS[_deprivation(charge["deprivation_rule"], band, months)],
                         "刑档原文": band.text.split("\n")[0]})
    return rows


def _segments(band: Band) -> list[tuple[str, int, int]]:
    out = []
    if band.fixed_max is not None:
        out.append(("有期徒刑/拘役/管制", band.min_months, band.fixed_max))
    if band.life:
        out.append(("无期徒刑", LIFE_MONTHS, LIFE_MONTHS))
    if band.death:
        out.append(("死刑", DEATH_MONTHS, DEATH_MONTHS))
    return out


@lru_cache(maxsize=1)
def load() -> LawTables:
    """The committed tables (cached)."""
    return LawTables(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def normalize_charge(name: str) -> str | None:
    """See :meth:`LawTables.normalize_charge`."""
    return load().normalize_charge(name)


def charge_versions(name: str) -> list[ChargeVersion]:
    """See :meth:`LawTables.charge_versions`."""
    return load().charge_versions(name)


def version_in_force(name: str, offence_date: date) -> ChargeVersion | None:
    """See :meth:`LawTables.version_in_force`."""
    return load().version_in_force(name, offence_date)


def mandatory_accessories(name: str, offence_date: date, principal_type: str | None = None,
                          term_months: int | None = None) -> Accessories:
    """See :meth:`LawTables.mandatory_accessories`."""
    return load().mandatory_accessories(name, offence_date, principal_type, term_months)


def max_term_months(name: str, offence_date: date) -> int | None:
    """See :meth:`LawTables.max_term_months`."""
    return load().max_term_months(name, offence_date)


def accessory_table() -> list[dict]:
    """See :meth:`LawTables.accessory_table`."""
    return load().accessory_table()


def write_accessory_table(path: Path) -> None:
    """See :meth:`LawTables.write_accessory_table`."""
    load().write_accessory_table(path)
