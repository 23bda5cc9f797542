"""Official charge names (罪名) from the 1997 罪名意见 and the 补充规定, with renames and abolitions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from shujian.law.numerals import ArticleRef, parse_article_refs
from shujian.law.statute import cn_date


@dataclass
class Charge:
    """One official 罪名 and the time it was the official name."""

    name: str
    articles: list[ArticleRef]
    effective_from: date
    effective_to: date | None = None
    source: str = ""
    replaced_by: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class ChargeDoc:
    """One 罪名 document: its effective date and its (articles, names-with-cancellations) rows."""

    source: str
    effective: date
    rows: list[tuple[str, str]]
    renames: list[tuple[str, str]] = field(default_factory=list)


_ENTRY_RE = re.compile(r"(?:\d+．)?([^\s（）．#]+?罪)（(第[^）]*)）")
# 国（边）境 and 国（境）外 are part of names; shield their brackets from the note parser
_SHIELD = {"国（边）境": "国〔边〕境", "国（境）外": "国〔境〕外"}


def _shield(text: str) -> str:
    for plain, shielded in _SHIELD.items():
        text = text.replace(plain, shielded)
    return text


def _unshield(text: str) -> str:
    for plain, shielded in _SHIELD.items():
        text = text.replace(shielded, plain)
    return text


def read_opinion(path: Path) -> ChargeDoc:
    """The 1997 最高检 罪名意见: entries ``12．资敌罪（第112条）``; effective date = the file's date."""
    body = _shield(path.read_text(encoding="utf-8").split("<!-- INFO END -->", 1)[-1])
    rows = [(m.group(2), _unshield(m.group(1))) for m in _ENTRY_RE.finditer(body)]
    return ChargeDoc(path.name, _file_date(path), rows)


def _file_date(path: Path) -> date:
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", path.name)
    if not m:
        raise ValueError(f"{path.name}: 文件名中没有日期")
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def read_supplement(path: Path) -> ChargeDoc:
    """A 补充规定: table rows ``| 刑法条文 | 罪名（取消…罪名） |`` and ``罪名由“A”修改为“B”`` sentences."""
    text = path.read_text(encoding="utf-8")
    body = text.split("<!-- INFO END -->", 1)[-1]
    effective = _effective(text) or _file_date(path)
    rows: list[tuple[str, str]] = []
    previous_articles = ""
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[1] in ("罪名", "-----") or set(cells[1]) <= {"-"}:
            continue
        articles = re.split(r"（《|\(《", cells[0])[0].strip() or previous_articles
        previous_articles = articles
        rows.append((articles, cells[1]))
    renames = re.findall(r"(第[^（“]+?条)[^“]*?的罪名由“([^”]+)”修改为“([^”]+)”", body)
    doc = ChargeDoc(path.name, effective, rows)
    doc.renames = [(old, new) for _, old, new in renames]
    doc.rows += [(art, f"{new}（取消{old}罪名）") for art, old, new in renames]
    return doc


def _effective(body: str) -> date | None:
    m = re.search(r"自(\d{4}年\d{1,2}月\d{1,2}日)起施行", body) or re.search(
        r"(\d{4}年\d{1,2}月\d{1,2}日)\s*施行", body)
    return cn_date(m.group(1)) if m else None


_NAME_CANCEL_RE = re.compile(r"([^（）]*?)（([^）]*)）|([^（）]+)")


def split_names(cell: str) -> list[tuple[str, list[str]]]:
    """``A罪（取消B罪罪名） C罪`` → ``[("A罪", ["B罪"]), ("C罪", [])]``; ``取消X罪罪名`` alone → ``[("", ["X罪"])]``."""
    out: list[tuple[str, list[str]]] = []
    for m in _NAME_CANCEL_RE.finditer(_shield(cell)):
        names_text, note = (m.group(1), m.group(2)) if m.group(2) is not None else (m.group(3), "")
        if names_text.strip().startswith("取消"):
            out.append(("", _cancelled(names_text)))
            continue
        # 罪、 separates two names except inside a name such as …间谍犯罪、恐怖主义犯罪…
        names = [_clean(n) for n in re.split(r"(?<=罪)[\s；;]+|(?<=[^犯]罪)、", names_text) if _clean(n)]
        cancelled = _cancelled(note) if note.startswith("取消") else []
        out.extend((name, cancelled) for name in names)
    return out


def _clean(name: str) -> str:
    return _unshield(re.sub(r"\s+", "", name).strip("；;、"))


def _cancelled(note: str) -> list[str]:
    note = re.sub(r"^取消", "", note.strip())
    note = re.sub(r"罪名$", "", note)
    note = re.sub(r"刑法原第[^条]+条第[^项]+项", "", note)
    return [_clean(n) for n in re.split(r"(?<=罪)(?:和|、|及)", note) if _clean(n)]


def build_charges(docs: list[ChargeDoc]) -> dict[str, Charge]:
    """Apply the 罪名意见 then each 补充规定 in date order; later names end the cancelled ones."""
    charges: dict[str, Charge] = {}
    for doc in sorted(docs, key=lambda d: d.effective):
        for articles_text, cell in doc.rows:
            named = split_names(cell)
            if "《" in articles_text:  # e.g. 《决定》第1条: an article of another act, not of 刑法
                articles_text = articles_text.replace("第", "")
            for (name, cancelled), refs in zip(named, _refs_per_name(articles_text, len(named)), strict=True):
                _apply_row(charges, doc, refs, articles_text, name, cancelled)
    return charges


def _refs_per_name(articles_text: str, count: int) -> list[list[ArticleRef]]:
    """``第229条第1款、第2款 第3款`` with two names → the first gets 款1–2, the second 款3."""
    refs = parse_article_refs(articles_text)
    groups = articles_text.split()
    if count < 2 or len(groups) != count:
        return [refs] * count
    out = []
    for group in groups:
        paragraphs = set(parse_article_refs("第0条" + group.split("条")[-1]) if "款" in group else [])
        wanted = {r.paragraph for r in paragraphs}
        out.append([r for r in refs if r.paragraph in wanted] if wanted else refs)
    return out


def _apply_row(charges: dict[str, Charge], doc: ChargeDoc, refs: list[ArticleRef], articles_text: str,
               name: str, cancelled: list[str]) -> None:
    for old in cancelled:
        if old in charges and charges[old].effective_to in (None, doc.effective):
            charges[old].effective_to = doc.effective
            if name and name not in charges[old].replaced_by and name != old:
                charges[old].replaced_by.append(name)
    if not name:
        return
    if not cancelled:
        _implicit_rename(charges, doc, refs, name)
    if name in charges and charges[name].effective_to is None:
        existing = charges[name]
        existing.articles = _union(existing.articles, refs)
        return
    note = "" if refs else f"条文不是刑法条文：{articles_text}"
    charges[name] = Charge(name, refs, doc.effective, None, doc.source, note=note)


def _union(old: list[ArticleRef], new: list[ArticleRef]) -> list[ArticleRef]:
    out = list(old)
    for ref in new:
        if ref not in out:
            out.append(ref)
    return out


def _implicit_rename(charges: dict[str, Charge], doc: ChargeDoc, refs: list[ArticleRef], name: str) -> None:
    """A new name for exactly the same 条/款 as a current name replaces it even without 取消…罪名."""
    if not refs or name in charges:
        return
    for old in charges.values():
        if old.effective_to is None and old.articles == refs and old.effective_from < doc.effective:
            old.effective_to = doc.effective
            old.replaced_by.append(name)
            old.note = "补充规定未写明取消，按同一条款的新罪名视为更名"
