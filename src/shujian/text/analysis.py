"""Dataset-level analysis of messages: topic labels and training, classification, merchants, hotspots.

Each function reads the current version of a message dataset (sealed data refused, columns checked)
into Python once, row by row in batches, and returns plain rows for the CLI, the web and tests.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shujian.catalog.masking import mask_embedded
from shujian.catalog.service import CatalogService
from shujian.errors import InputError
from shujian.security.masking import refuse_sealed
from shujian.security.scope import acting
from shujian.text import classify as topics
from shujian.text.clean import clean_text
from shujian.text.hotspots import Burst, find_bursts
from shujian.text.merchants import Registry, first_merchant, merchant_key
from shujian.text.tables import TextLabel
from shujian.workspace import Workspace

BATCH = 20_000


@dataclass
class Source:
    dataset: str
    fields: list[str]
    key: str | None = None
    date: str | None = None
    place: str | None = None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def messages(ws: Workspace, src: Source) -> Iterator[tuple[str, str | None, str, str | None]]:
    """(key, date text, cleaned text, place) of every message of the current version."""
    catalog = CatalogService(ws)
    info = catalog.describe(src.dataset)
    refuse_sealed(src.dataset, info["sealed"])
    have = [c["name"] for c in info["columns"]]
    wanted = [*src.fields, *(c for c in (src.key, src.date, src.place) if c)]
    bad = [c for c in wanted if c not in have]
    if bad or not src.fields:
        raise InputError(f"数据集“{src.dataset}”没有列 {'、'.join(bad) or '（未指定文本列）'}",
                         hint=f"现有列：{'、'.join(have)}")
    ref = catalog.resolve(src.dataset)
    text = " || '。' || ".join(f"coalesce(CAST({_q(f)} AS VARCHAR), '')" for f in src.fields)
    key = f"CAST({_q(src.key)} AS VARCHAR)" if src.key else "CAST(_row_id AS VARCHAR)"
    date = f"CAST({_q(src.date)} AS VARCHAR)" if src.date else "NULL"
    place = f"CAST({_q(src.place)} AS VARCHAR)" if src.place else "NULL"
    with ws.warehouse(read_only=False) as con:
        cur = con.execute(f"SELECT {key}, {date}, {text}, {place} FROM {_q(ref.relation)} ORDER BY _row_id")
        while batch := cur.fetchmany(BATCH):
            for k, d, t, p in batch:
                yield k, d, clean_text(t)[0], p


# ---------------------------------------------------------------- labels and training
def add_labels(ws: Workspace, src: Source, labels: dict[str, str]) -> dict:
    """Store topic labels (编号 → 话题) for messages of ``src`` (their text is kept with the label)."""
    unknown = sorted({t for t in labels.values() if t not in topics.TOPICS})
    if unknown:
        raise InputError(f"未知的话题 {'、'.join(unknown)}", hint=f"可用：{'、'.join(topics.TOPICS)}")
    if src.key is None:
        raise InputError("导入标注需要编号列（--key）")
    found = {k: t for k, _, t, _ in messages(ws, src) if k in labels}
    who = acting()[0]
    with ws.db.unit_of_work() as s:
        have = {x.message_key: x for x in s.query(TextLabel).filter(TextLabel.dataset == src.dataset)}
        for key, text in found.items():
            row = have.get(key)
            if row is None:
                s.add(TextLabel(dataset=src.dataset, message_key=key[:128], topic=labels[key], text=text,
                                labelled_by=who))
            else:
                row.topic, row.text, row.labelled_by = labels[key], text, who
    return {"labelled": len(found), "not_found": sorted(set(labels) - set(found))[:20],
            "missing": len(set(labels) - set(found))}


def read_label_file(path: Path) -> dict[str, str]:
    """A CSV/TSV with columns 编号 and 话题 (or the first two columns)."""
    if not path.is_file():
        raise InputError(f"标注文件 {path} 不存在")
    text = path.read_text("utf-8-sig")
    dialect = "excel-tab" if "\t" in text.split("\n", 1)[0] else "excel"
    rows = list(csv.reader(text.splitlines(), dialect=dialect))
    head = rows[0]
    k = head.index("编号") if "编号" in head else 0
    t = head.index("话题") if "话题" in head else 1
    return {r[k].strip(): r[t].strip() for r in rows[1:] if len(r) > max(k, t) and r[k].strip()}


def labels_from_subscription(ws: Workspace, sub_id: int, topic: str) -> dict:
    """The confirmed matches of a subscription become labels of ``topic`` (确认 = a human judgement)."""
    from shujian.text.subscriptions import SubscriptionService
    from shujian.text.tables import TextMatch, TextSubscription

    SubscriptionService(ws).get(sub_id)                      # visibility check
    with ws.db.unit_of_work() as s:
        sub = s.get(TextSubscription, sub_id)
        keys = [k for (k,) in s.query(TextMatch.message_key).filter(
            TextMatch.subscription_id == sub_id, TextMatch.status == "confirmed")]
        src = Source(sub.dataset, list(sub.text_fields), sub.key_field)
    return add_labels(ws, src, dict.fromkeys(keys, topic))


def train_workspace(ws: Workspace) -> topics.TopicModel:
    with ws.db.unit_of_work() as s:
        rows = [(x.text, x.topic) for x in s.query(TextLabel)]
    model = topics.train([t for t, _ in rows], [y for _, y in rows])
    topics.save_model(ws, model)
    return model


# ---------------------------------------------------------------- classification, merchants, hotspots
def classify_dataset(ws: Workspace, src: Source, limit: int | None = None) -> list[dict]:
    model = topics.load_model(ws)
    rows = [(k, d, t) for k, d, t, _ in messages(ws, src)]
    if limit is not None:
        rows = rows[:limit]
    out = []
    for (key, day, text), (topic, how) in zip(rows, topics.classify([t for *_, t in rows], model), strict=True):
        out.append({"key": key, "date": day, "topic": topic, "by": how, "excerpt": mask_embedded(text[:80])})
    return out


def merchants_report(ws: Workspace, src: Source, *, rule=None, registry: Source | None = None,
                     registry_code: str | None = None, min_score: float = 85.0) -> list[dict]:
    """Complaints per merchant named in the text (optionally only messages matching ``rule``), with
    the registered company (统一社会信用代码, rapidfuzz score) when a registry is given; the registry's
    names also find merchants written without a business word (:meth:`Registry.find_in`)."""
    from shujian.text.matcher import Matcher

    matcher = Matcher(rule) if rule is not None else None
    reg = None
    if registry is not None:
        if not registry_code:
            raise InputError("给出登记数据集时需要统一社会信用代码列（--registry-code）")
        rows = [(k, t) for k, _, t, _ in messages(ws, Source(registry.dataset, registry.fields, registry_code))]
        reg = Registry(rows, min_score=min_score)
    per: dict[str, dict] = {}
    seen: set[str] = set()
    for key, day, text, _ in messages(ws, src):
        if key in seen or (matcher is not None and matcher.match(text) is None):
            continue
        seen.add(key)
        named = _merchant_in(text, reg)
        if named is None:
            continue
        entry = per.setdefault(named[1], {"merchant": named[0], "key": named[1], "complaints": 0,
                                          "tickets": [], "first": day, "last": day})
        entry["complaints"] += 1
        entry["tickets"].append(key)
        entry["first"] = min(filter(None, [entry["first"], day]), default=None)
        entry["last"] = max(filter(None, [entry["last"], day]), default=None)
    out = sorted(per.values(), key=lambda e: (-e["complaints"], e["key"]))
    for e in out:
        e["tickets"] = e["tickets"][:20]
        m = reg.match(e["key"], is_key=True) if reg is not None else None
        e.update(uscc=m.uscc if m else None, registered_name=m.name if m else None, score=m.score if m else None)
    return out


def _merchant_in(text: str, reg: Registry | None) -> tuple[str, str] | None:
    """(name as written, match key) of the merchant a message names: the extraction's first mention,
    else a registered name found verbatim in the text (the registry as a dictionary)."""
    mention = first_merchant(text)
    if mention is not None:
        return mention.name, mention.key
    found = reg.find_in(text) if reg is not None else None
    if found is None:
        return None
    key = merchant_key(found.name)
    return (key, key) if key else None


def hotspots(ws: Workspace, src: Source, by: str, *, window: int = 28, k: float = 3.0, min_count: int = 3,
             rule=None) -> list[Burst]:
    """Bursts per topic, place or merchant (see :mod:`shujian.text.hotspots`)."""
    from shujian.text.matcher import Matcher

    if src.date is None:
        raise InputError("热点分析需要时间列（--date）")
    if by not in ("topic", "place", "merchant"):
        raise InputError(f"分组“{by}”无效", hint="topic（话题）、place（地点）或 merchant（商户）")
    if by == "place" and src.place is None:
        raise InputError("按地点分组需要地点列（--place，如 地址或区域）")
    matcher = Matcher(rule) if rule is not None else None
    model = topics.load_model(ws) if by == "topic" else None
    events: list[tuple[str, str, str, str]] = []
    batch: list[tuple[str, str, str, str | None]] = []
    first: str | None = None
    for key, day, text, place in messages(ws, src):
        if day and (first is None or day[:10] < first):
            first = day[:10]                  # the data's first day, matched or not: every baseline starts there
        if matcher is not None and matcher.match(text) is None:
            continue
        batch.append((key, day, text, place))
    groups = _groups(batch, by, model)
    for (key, day, text, _), group in zip(batch, groups, strict=True):
        if group and day:
            events.append((key, day[:10], group, mask_embedded(text[:120])))
    return find_bursts(events, window=window, k=k, min_count=min_count, since=first)


def _groups(rows: list, by: str, model) -> list[str | None]:
    if by == "topic":
        return [t for t, _ in topics.classify([r[2] for r in rows], model)]
    if by == "place":
        return [(r[3] or "").strip() or None for r in rows]
    return [(m.key if (m := first_merchant(r[2])) else None) for r in rows]
