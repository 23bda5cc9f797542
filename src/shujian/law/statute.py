"""Read 刑法.md (consolidated text) and the 修正案 files into articles and amendment operations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from shujian.law.numerals import ARTICLE_RE, CN_NUM, canonical_article, cn_to_int

_ART_LINE = re.compile(r"^第([零〇一二两三四五六七八九十百千]+)条(?:之([一二三四五六七八九十]+))?[ 　]+(.*)$")
_ITEM_LINE = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_DATE_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def cn_date(text: str) -> date | None:
    """First ``2011年5月1日`` in text as a date."""
    m = _DATE_RE.search(text)
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def split_paragraphs(lines: list[str]) -> list[str]:
    """Group lines into 款: an item line （一）… belongs to the paragraph before it."""
    paragraphs: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if _ITEM_LINE.match(line) and paragraphs:
            paragraphs[-1] += "\n" + line
        else:
            paragraphs.append(line)
    return paragraphs


@dataclass
class Article:
    """One article of the consolidated 刑法 with its paragraphs (款) and its chapter."""

    article: str
    paragraphs: list[str]
    chapter: str = ""


def read_statute(path: Path) -> dict[str, Article]:
    """Articles of 刑法.md keyed by canonical number (``133之一``), in text order."""
    articles: dict[str, Article] = {}
    current: tuple[str, list[str]] | None = None
    chapter = ""
    body = path.read_text(encoding="utf-8").split("<!-- INFO END -->", 1)[-1]
    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            if re.match(r"^第[一二三四五六七八九十]+章", title):
                chapter = title
            if line.startswith("## "):  # 编 / 附则 / 附件 boundaries end the running article
                current = _flush(articles, current, chapter)
            continue
        if line.startswith("①"):
            continue
        m = _ART_LINE.match(line)
        if m:
            _flush(articles, current, chapter)
            current = (canonical_article(m.group(1), m.group(2)), [m.group(3)])
        elif current is not None:
            current[1].append(line)
    _flush(articles, current, chapter)
    return articles


def _flush(articles: dict[str, Article], current: tuple[str, list[str]] | None, chapter: str) -> None:
    if current is not None and current[0] not in articles:
        articles[current[0]] = Article(current[0], split_paragraphs(current[1]), chapter)
    return None


def read_chapters(path: Path) -> dict[str, str]:
    """Article → chapter title (第二编 chapters carry the 危害国家安全罪 etc. names)."""
    return {a.article: a.chapter for a in read_statute(path).values()}


# ---------------------------------------------------------------- amendments

@dataclass
class Operation:
    """One item of a 修正案: what it does to which article.

    kind: replace_article | replace_paragraphs | add_paragraphs | add_article | delete_article |
    delete_paragraphs | other (e.g. a 项 changed; the earlier text cannot be rebuilt).
    """

    kind: str
    article: str
    paragraphs: list[int] = field(default_factory=list)
    new_text: list[str] = field(default_factory=list)
    header: str = ""


@dataclass
class Amendment:
    """A 刑法修正案 with its dates and operations."""

    name: str
    passed: date
    effective: date
    source_file: str
    operations: list[Operation]


_ITEM_START = re.compile(r"^([一二三四五六七八九十]+)、")
_NUM = rf"[{CN_NUM}\d]+"


def read_amendment(path: Path) -> Amendment:
    """Parse one 修正案 file into its operations."""
    head, _, body = path.read_text(encoding="utf-8").partition("<!-- INFO END -->")
    title = head.splitlines()[0].lstrip("# ").strip()
    name = title.replace("中华人民共和国", "")
    passed = cn_date(head)
    if passed is None:
        raise ValueError(f"{path.name}: 找不到通过日期")
    m = re.search(r"本修正案自(.+?)起施行", body)
    effective = (cn_date(m.group(1)) or passed) if m else passed
    return Amendment(name, passed, effective, path.name, _operations(body))


def _items(body: str) -> list[list[str]]:
    items: list[list[str]] = []
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _ITEM_START.match(line) or not items:
            items.append([line])
        else:
            items[-1].append(line)
    return items


def _operations(body: str) -> list[Operation]:
    ops: list[Operation] = []
    for item in _items(body):
        first = _ITEM_START.sub("", item[0])
        header, _, rest = _split_header(first)
        quoted = ([rest] if rest else []) + item[1:]
        new_text = [q.strip().strip("“”\"") for q in quoted if q.strip().strip("“”\"")]
        ops.extend(_classify(header, new_text))
    return ops


def _split_header(line: str) -> tuple[str, str, str]:
    m = re.search(r"[：:]", line)
    if not m:
        return line, "", ""
    return line[: m.start()], m.group(0), line[m.end():]


def _refs_in_header(header: str) -> list[str]:
    return [canonical_article(m.group(1), m.group(2)) for m in ARTICLE_RE.finditer(header)]


def _paras(text: str) -> list[int]:
    return [cn_to_int(x) for x in re.findall(rf"第({_NUM})款", text)]


def _classify(header: str, new_text: list[str]) -> list[Operation]:
    arts = _refs_in_header(header)
    if not arts or "刑法" not in header and "第" not in header:
        return []
    if "增加" in header and "作为" in header and "条之" in header.split("作为", 1)[1]:
        return _added_articles(header, new_text)
    target = arts[0]
    after = header.split("修改为", 1)[0]
    if "删去" in header:
        paras = _paras(header)
        kind = "delete_paragraphs" if paras else "delete_article"
        return [Operation(kind, target, paras, [], header)]
    if "增加" in header and "款" in header:
        if "将该条修改为" in header:
            return [Operation("replace_article", target, [], split_paragraphs(new_text), header)]
        added = _paras(header.split("作为", 1)[-1])
        return [Operation("add_paragraphs", target, added, split_paragraphs(new_text), header)]
    if "修改为" in header and "项" not in after:
        paras = _paras(after)
        kind = "replace_paragraphs" if paras else "replace_article"
        return [Operation(kind, target, paras, split_paragraphs(new_text), header)]
    return [Operation("other", target, [], new_text, header)]


def _added_articles(header: str, new_text: list[str]) -> list[Operation]:
    targets = _refs_in_header(header.split("作为", 1)[1])
    if len(targets) == 1:
        return [Operation("add_article", targets[0], [], split_paragraphs(new_text), header)]
    chunks: dict[str, list[str]] = {}
    current = None
    for line in new_text:
        m = _ART_LINE.match(line)
        if m:
            current = canonical_article(m.group(1), m.group(2))
            chunks[current] = [m.group(3)]
        elif current:
            chunks[current].append(line)
    return [Operation("add_article", t, [], split_paragraphs(chunks.get(t, [])), header) for t in targets]
