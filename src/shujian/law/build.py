"""Build the committed law tables: ``python -m shujian.law.build --source ../shared/data/law``.

Reads 刑法.md, the 刑法修正案 files and the 罪名 documents and writes ``data/law_tables.json``
(charges, their versions over time and penalty bands) and ``data/accessory_table.csv``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path

from shujian.law.charges import Charge, build_charges, read_opinion, read_supplement
from shujian.law.numerals import ARTICLE_RE, ArticleRef, canonical_article
from shujian.law.penalties import DEATH_MONTHS, LIFE_MONTHS, MANDATORY, OPTIONAL, Band, parse_bands
from shujian.law.statute import read_amendment, read_statute
from shujian.law.versions import ArticleVersion, build_versions

DATA_DIR = Path(__file__).parent / "data"
TABLES_FILE = "law_tables.json"
CSV_FILE = "accessory_table.csv"
NATIONAL_SECURITY_CHAPTER = "第一章 危害国家安全罪"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_files(source: Path) -> dict[str, list[Path]]:
    """The statute files the build reads, by role."""
    return {
        "statute": [source / "刑法.md"],
        "amendments": sorted(source.glob("刑法修正案*.md")),
        "charges": sorted(source.glob("罪名意见*.md")) + sorted(source.glob("罪名补充规定*.md")),
    }


def build(source: Path) -> dict:
    """Parse the sources and return the tables as one JSON-ready dict."""
    files = source_files(source)
    articles = read_statute(files["statute"][0])
    amendments = [read_amendment(p) for p in files["amendments"]]
    versions = build_versions(articles, amendments)
    docs = [read_opinion(p) for p in files["charges"] if "意见" in p.name]
    docs += [read_supplement(p) for p in files["charges"] if "补充规定" in p.name]
    charges = build_charges(docs)
    optional_56 = _with_successors(_article56_optional(articles["56"].paragraphs[0]), charges)
    lookup = _VersionLookup(versions)
    out_charges = []
    for charge in sorted(charges.values(), key=_charge_key):
        chapter = articles[charge.articles[0].article].chapter if charge.articles and \
            charge.articles[0].article in articles else ""
        out_charges.append({
            "name": charge.name,
            "articles": [r.label() for r in charge.articles],
            "chapter": chapter,
            "name_effective_from": charge.effective_from.isoformat(),
            "name_effective_to": charge.effective_to.isoformat() if charge.effective_to else None,
            "name_source": charge.source,
            "replaced_by": charge.replaced_by,
            "note": charge.note,
            "deprivation_rule": _deprivation_rule(charge.name, chapter, optional_56),
            "versions": _charge_versions(charge, lookup, articles),
        })
    return {
        "origin": _origin(source, files),
        "sentinels": {"无期徒刑": LIFE_MONTHS, "死刑": DEATH_MONTHS},
        "amendments": [{"name": a.name, "passed": a.passed.isoformat(), "effective": a.effective.isoformat(),
                        "articles": sorted({op.article for op in a.operations}), "file": a.source_file}
                       for a in sorted(amendments, key=lambda a: a.effective)],
        "article56": {"mandatory_chapter": NATIONAL_SECURITY_CHAPTER, "optional": optional_56},
        "charges": out_charges,
    }


def _origin(source: Path, files: dict[str, list[Path]]) -> dict:
    return {
        "description": "由 shujian.law.build 从法规 Markdown 解析生成；原始文本来自 LawRefBook/Laws @ 2f4c5c2"
                       "（刑法/ 与 司法解释/），见 docs/law-tables.md",
        "files": {p.name: _sha256(p) for group in files.values() for p in group},
    }


def _charge_key(charge: Charge) -> tuple:
    from shujian.law.numerals import article_sort_key

    first = charge.articles[0].article if charge.articles else "9999"
    return article_sort_key(first), charge.effective_from, charge.name


def _article56_optional(text: str) -> list[str]:
    """Names in 第56条: 对于故意杀人、强奸、…等严重破坏社会秩序的犯罪分子，可以附加剥夺政治权利."""
    m = re.search(r"对于([^；]+?)等严重破坏社会秩序的犯罪分子，可以附加剥夺政治权利", text)
    return m.group(1).split("、") if m else []


def _with_successors(names: list[str], charges: dict[str, Charge]) -> list[str]:
    """第56条 names plus the names they were renamed to (投毒 → 投放危险物质)."""
    out = list(names)
    for base in names:
        todo = [f"{base}罪"]
        while todo:
            charge = charges.get(todo.pop())
            for successor in charge.replaced_by if charge else []:
                out.append(successor.removesuffix("罪"))
                todo.append(successor)
    return out


def _deprivation_rule(name: str, chapter: str, optional_56: list[str]) -> str:
    if chapter == NATIONAL_SECURITY_CHAPTER:
        return MANDATORY
    base = name.removesuffix("罪")
    return OPTIONAL if base in optional_56 else "none"


class _VersionLookup:
    """Article text on a given day."""

    def __init__(self, versions: dict[str, list[ArticleVersion]]):
        self.versions = versions

    def on(self, article: str, day: date) -> ArticleVersion | None:
        for v in self.versions.get(article, []):
            if v.effective_from <= day and (v.effective_to is None or day <= v.effective_to):
                return v
        return None

    def starts(self, article: str) -> list[date]:
        return [v.effective_from for v in self.versions.get(article, [])]


def _charge_versions(charge: Charge, lookup: _VersionLookup, articles: dict) -> list[dict]:
    refs = [r for r in charge.articles if r.article in lookup.versions]
    if not refs:
        return []
    starts = sorted({d for r in refs for d in lookup.starts(r.article)}
                    | set(_penalty_article_starts(charge.name, refs, lookup)))
    abolished = charge.effective_to if charge.effective_to and not charge.replaced_by else None
    out = []
    for i, start in enumerate(starts):
        if abolished and start >= abolished:
            break
        end = starts[i + 1] - timedelta(days=1) if i + 1 < len(starts) else None
        if abolished and (end is None or end >= abolished):
            end = abolished - timedelta(days=1)
        version = _charge_version(charge.name, refs, start, lookup, list(articles))
        if version is not None:
            version.update({"effective_from": start.isoformat(), "effective_to": end.isoformat() if end else None})
            out.append(version)
    return out


def _penalty_article_starts(name: str, refs: list[ArticleRef], lookup: _VersionLookup) -> list[date]:
    """When a charge is punished in another article (贪污罪 → 第383条, 受贿罪 → 第386条 → 第383条,
    行贿罪 → 第390条), the amendments of that article start new versions of the charge too."""
    own = {r.article for r in refs}
    latest = [lookup.on(r.article, date.max) for r in refs]
    if any(v is None or v.paragraphs is None for v in latest):
        return []
    if parse_bands("\n".join(p for v in latest for p in v.paragraphs if p)):
        return []
    out: list[date] = []
    for article, versions in lookup.versions.items():
        if article in own or not any(f"犯{name}的" in "\n".join(p for p in v.paragraphs or [] if p)
                                     for v in versions):
            continue
        out += lookup.starts(article)
        for v in versions:
            m = re.search(r"依照(?:本法)?(第[^的]+?条)(?:第[^的]+?款)?的规定(?:定罪)?处罚",
                          "\n".join(p for p in v.paragraphs or [] if p))
            target = ARTICLE_RE.search(m.group(1)) if m else None
            if target:
                out += lookup.starts(canonical_article(target.group(1), target.group(2)))
    return out


def _charge_version(name: str, refs: list[ArticleRef], day: date, lookup: _VersionLookup,
                    all_articles: list[str]) -> dict | None:
    texts: list[str] = []
    known = True
    sources = set()
    for ref in refs:
        v = lookup.on(ref.article, day)
        if v is None or not v.exists:
            continue
        sources.add((v.effective_from, v.source))
        paragraph = _paragraphs(v, ref)
        if paragraph is None:
            known = False
        else:
            texts.append(paragraph)
    if not sources:
        return None
    text = "\n".join(texts)
    bands = parse_bands(text) if known else []
    if known and not bands:
        bands, followed = _follow_reference(refs, text, day, lookup)
        if not bands:
            bands, followed, source = _punished_elsewhere(name, day, lookup, all_articles)
            if source is not None:
                sources.add(source)
        text += followed
    return {"source": max(sources)[1], "text_known": known, "text": text if known else None,
            "bands": [b.to_dict() for b in bands]}


def _paragraphs(v: ArticleVersion, ref: ArticleRef) -> str | None:
    if v.paragraphs is None:
        return None
    if ref.paragraph is None:
        return None if any(p is None for p in v.paragraphs) else "\n".join(p for p in v.paragraphs if p)
    if ref.paragraph > len(v.paragraphs):
        return None
    return v.paragraphs[ref.paragraph - 1]


def _follow_reference(refs: list[ArticleRef], text: str, day: date,
                      lookup: _VersionLookup) -> tuple[list[Band], str]:
    """A provision that punishes by reference: 依照前款 / 依照本法第X条的规定处罚."""
    if "依照前款" in text or "依照前两款" in text:
        ref = refs[-1]
        if ref.paragraph and ref.paragraph > 1:
            v = lookup.on(ref.article, day)
            if v and v.paragraphs and v.paragraphs[ref.paragraph - 2]:
                prior = v.paragraphs[ref.paragraph - 2]
                return parse_bands(prior), f"\n〔依照前款〕{prior}"
    m = re.search(r"依照(?:本法)?(第[^的]+?条)(?:第[^的]+?款)?的规定(?:定罪)?处罚", text)
    if m:
        target = ARTICLE_RE.search(m.group(1))
        if target:
            v = lookup.on(canonical_article(target.group(1), target.group(2)), day)
            if v and v.paragraphs and all(v.paragraphs):
                joined = "\n".join(p for p in v.paragraphs if p)
                return parse_bands(joined), f"\n〔{m.group(1)}〕{joined}"
    return [], ""


def _punished_elsewhere(name: str, day: date, lookup: _VersionLookup,
                        all_articles: list[str]) -> tuple[list[Band], str, tuple[date, str] | None]:
    """An article such as 第383条 "对犯贪污罪的，…分别依照下列规定处罚" (one hop of 依照 allowed).

    Returns the bands, the text followed and (effective date, source) of the newest article version read,
    so the charge's version is attributed to the amendment that wrote its penalty."""
    for article in all_articles:
        v = lookup.on(article, day)
        if not v or not v.paragraphs or not all(v.paragraphs):
            continue
        joined = "\n".join(p for p in v.paragraphs if p)
        if f"犯{name}的" in joined:
            bands = parse_bands(joined)
            if bands:
                return bands, f"\n〔第{article}条〕{joined}", (v.effective_from, v.source)
            bands, followed = _follow_reference([], joined, day, lookup)
            if bands:
                m = re.search(r"〔(第[^〕]+?条)〕", followed)
                target = ARTICLE_RE.search(m.group(1)) if m else None
                ref = lookup.on(canonical_article(target.group(1), target.group(2)), day) if target else None
                newest = max((v.effective_from, v.source), (ref.effective_from, ref.source) if ref else (date.min, ""))
                return bands, f"\n〔第{article}条〕{joined}{followed}", newest
    return [], "", None


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description="从法规 Markdown 生成罪名与法定刑表")
    parser.add_argument("--source", type=Path, default=Path("../shared/data/law"))
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    if not (args.source / "刑法.md").exists():
        sys.stderr.write(f"找不到 {args.source / '刑法.md'}：请用 --source 指向含 刑法.md 的目录\n")
        return 2
    tables = build(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / TABLES_FILE).write_text(dump(tables), encoding="utf-8")
    from shujian.law.tables import LawTables

    LawTables(tables).write_accessory_table(args.out / CSV_FILE)
    return 0


def dump(tables: dict) -> str:
    """Stable JSON text (the committed file is compared byte for byte in tests)."""
    return json.dumps(tables, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
