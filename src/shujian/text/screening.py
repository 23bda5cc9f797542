"""Incremental screening (增量筛查) of one dataset version for one subscription.

Only messages the subscription has not screened before are read: each screened message leaves the
64-bit hash of its key (编号, or the text itself when there is no key) in the warehouse table
``_text_seen``, so a re-import, an overlapping export or a connector pull that re-sends old rows
never screens (or pushes) a message twice, whatever the versions contain.

Work is split where it is cheapest: DuckDB counts the quality problems of all new messages and
applies the rule's prefilter (a regular expression, multi-threaded); only the candidates come to
Python for the full rule.  The metadata rows are written by the caller in one transaction; the
seen-hashes are added after it commits (a crash in between re-screens those messages and the
unique (subscription, 编号) key keeps their matches single).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from shujian.spec.text import TextRule, prefilter_pattern
from shujian.text.clean import LONG_FIELD, MOJIBAKE_SQL, QualityCounts, clean_text, sql_prefilter
from shujian.text.matcher import Match, Matcher
from shujian.text.merchants import first_merchant
from shujian.text.segment import segmenter

SEEN = "_text_seen"
BATCH = 20_000
EXCERPT = 300


@dataclass
class Found:
    row_id: int
    key: str
    date: str | None
    text: str
    match: Match
    merchant: str | None


@dataclass
class Screened:
    messages: int = 0
    candidates: int = 0
    found: list[Found] = field(default_factory=list)
    quality: QualityCounts = field(default_factory=QualityCounts)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _source_sql(relation: str, key_field: str | None, text_fields: list[str], date_field: str | None) -> str:
    text = " || '。' || ".join(f"coalesce(CAST({_q(f)} AS VARCHAR), '')" for f in text_fields)
    key = f"nullif(trim(CAST({_q(key_field)} AS VARCHAR)), '')" if key_field else "NULL"
    date = f"CAST({_q(date_field)} AS VARCHAR)" if date_field else "NULL"
    return (f"SELECT _row_id, {key} AS k, {text} AS t, {date} AS d FROM {_q(relation)}")


def _fresh_sql(source: str) -> str:
    """New messages of a subscription ($sub; -1 screens everything, for ad-hoc screening)."""
    # one row per message: a duplicated ticket row (same 编号) is screened and counted once
    return (f"WITH src AS ({source}), keyed AS (SELECT *, hash(coalesce(k, t)) AS h FROM src) "
            f"SELECT * FROM keyed WHERE h NOT IN (SELECT key_hash FROM {SEEN} WHERE subscription_id = $sub) "
            f"QUALIFY row_number() OVER (PARTITION BY h ORDER BY _row_id) = 1")


ADHOC = -1          # the subscription id of an ad-hoc screening: nothing is seen, nothing is remembered


def ensure_seen_table(con) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {SEEN} (subscription_id INTEGER, key_hash UBIGINT)")


_QUALITY_SQL = {      # the same definitions as clean.PROBLEMS, evaluated by DuckDB over all new messages
    "empty": "t IS NULL OR trim(replace(t, '。', '')) = ''",
    "excel_escape": "regexp_matches(t, '_x000[dDaA9]_')",
    "line_break": "strpos(t, chr(10)) > 0 OR strpos(t, chr(13)) > 0 OR regexp_matches(t, '_x000[dDaA]_')",
    "tab": "strpos(t, chr(9)) > 0 OR strpos(t, '_x0009_') > 0",
    "quote": "strpos(t, '\"') > 0 OR strpos(t, '“') > 0 OR strpos(t, '”') > 0",
    "long": f"length(t) > {LONG_FIELD}",
    "replacement": "t LIKE '%\ufffd%'",
    "mojibake": f"regexp_matches(t, '{MOJIBAKE_SQL}')",
}


def quality_counts(con, fresh: str, subscription_id: int) -> tuple[int, QualityCounts]:
    """(number of new messages, their quality problems), counted in DuckDB."""
    cols = ", ".join(f"count(*) FILTER (WHERE {cond}) AS {name}" for name, cond in _QUALITY_SQL.items())
    row = con.execute(f"SELECT count(*), {cols} FROM ({fresh})", {"sub": subscription_id}).fetchone()
    counts = QualityCounts(messages=row[0])
    for name, value in zip(_QUALITY_SQL, row[1:], strict=True):
        if value:
            counts.problems[name] = value
    return row[0], counts


def candidates(con, fresh: str, subscription_id: int, rule: TextRule) -> Iterator[tuple]:
    """(row id, key, date, text) of the new messages that pass the rule's prefilter."""
    from sqlglot import exp

    where = sql_prefilter(exp.column("t"), prefilter_pattern(rule.positive_terms())).sql("duckdb")
    cur = con.execute(f"SELECT _row_id, k, d, t FROM ({fresh}) WHERE {where} "
                      f"ORDER BY _row_id", {"sub": subscription_id})
    while batch := cur.fetchmany(BATCH):
        yield from batch


def screen_version(con, *, subscription_id: int, relation: str, key_field: str | None,
                   text_fields: list[str], date_field: str | None, rule: TextRule,
                   words: tuple[str, ...] = ()) -> Screened:
    """Screen the messages of ``relation`` that this subscription has not seen (read only)."""
    ensure_seen_table(con)
    fresh = _fresh_sql(_source_sql(relation, key_field, text_fields, date_field))
    out = Screened()
    out.messages, out.quality = quality_counts(con, fresh, subscription_id)
    matcher = Matcher(rule, segmenter(words))
    keys: set[str] = set()
    for row_id, key, day, raw in candidates(con, fresh, subscription_id, rule):
        out.candidates += 1
        text = clean_text(raw)[0]
        match = matcher.match(text)
        message_key = key if key is not None else "文本#" + hashlib.sha1(str(raw).encode()).hexdigest()[:12]
        if match is None or message_key in keys:     # a duplicated ticket row counts once
            continue
        keys.add(message_key)
        mention = first_merchant(text)
        out.found.append(Found(int(row_id), message_key, day, text[:EXCERPT * 4], match,
                               mention.name if mention else None))
    return out


def mark_seen(con, *, subscription_id: int, relation: str, key_field: str | None,
              text_fields: list[str], date_field: str | None) -> int:
    """Remember every message of ``relation`` as screened by this subscription."""
    ensure_seen_table(con)
    fresh = _fresh_sql(_source_sql(relation, key_field, text_fields, date_field))
    con.execute(f"INSERT INTO {SEEN} SELECT DISTINCT $sub, h FROM ({fresh})", {"sub": subscription_id})
    return con.execute(f"SELECT count(*) FROM {SEEN} WHERE subscription_id = $sub",
                       {"sub": subscription_id}).fetchone()[0]


def forget(con, subscription_id: int) -> None:
    """Drop the seen-hashes of a deleted subscription."""
    ensure_seen_table(con)
    con.execute(f"DELETE FROM {SEEN} WHERE subscription_id = $sub", {"sub": subscription_id})


def excerpt(text: str, match: Match) -> str:
    """The message as shown in the inbox: the first part, or the snippet around the hit."""
    if len(text) <= EXCERPT:
        return text
    return match.snippet or text[:EXCERPT] + "…"
