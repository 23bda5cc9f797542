"""Throughput of 12345 text screening over a million messages: cleaning, segmentation, the prepaid
rule, merchant extraction, the SQL step, subscription screening and the topic classifier.

    .venv/bin/python benchmarks/bench_text_throughput.py [--n 1000000] [--workers 2]
        [--skip segment,...] > benchmarks/results/text-throughput-1m.json

Messages are composed from the hand-written labelled sets (tests/fixtures/text/prepaid_labelled.tsv,
topics_labelled.tsv): a random opener, three or four bodies, a closing request, with every number
redrawn, so no two messages are alike.  4 % of the bodies come from the prepaid set (a third of them
prepaid complaints, the rest hard negatives: 关门闭窗, 责令停业整改, 让数据多跑路, 水电费, 话费…), 90 %
from the topics set less its prepaid class (食品药品、生态环境、劳动欠薪、城建物业…), so about one
message in twenty is a prepaid complaint — more than real exports hold (the issue's 4,193 real
messages had about 11), which makes the rule's second, slower half run more often than it would.  About 7 % of the messages also carry an
Excel ``_x000D_`` escape, a tab or quotes, as real exports do.

Stages (each over all N messages; CPU seconds are the sum over worker processes):

* ``clean``    clean_text (escapes, breaks, width, quality problems);
* ``segment``  a full jieba segmentation of every message (what a rule never needs: it segments only a
  window around a candidate word, but the issue asks what segmentation costs);
* ``rules``    the prepaid rule (prefilter, idioms, context, whole words on a local segmentation);
* ``extract``  first merchant named in every message (``first_merchant``);
* ``pipeline`` clean → rule → merchant of the matches: what a screening does per message;
* ``sql_step`` the compiled ``text`` step on DuckDB (prefilter in SQL, ``shujian_text`` on the rest);
* ``screen``   a subscription's incremental screening (``screen_version``: quality counts in SQL, prefilter,
  rule and merchant in Python), the path every new import goes through;
* ``topics``   training the classifier on the labelled topics, predicting every message; and the
  label-free topic rules on a sample.

Python stages run in ``--workers`` processes (the GIL allows one core per process); DuckDB gets
``--workers`` threads.  Writes JSON to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import BENCH_DIR, log, machine_info  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "text"
OPENERS = ("", "来电人反映：", "市民来电称，", "网友留言：", "诉求人反映，", "来电人咨询：", "群众反映：", "市民投诉：")
CLOSERS = ("", "要求相关部门处理。", "请尽快核实处理。", "希望有关部门帮忙协调。", "要求给予答复。", "望尽快解决。")
DIRT = ("_x000D_\n", "\t", '"', "“", "  ")
_NUMBER = re.compile(r"\d+")
PREPAID_TOPIC = "消费者权益/预付式消费"


def _read(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row[column] for row in csv.DictReader(fh, delimiter="\t")]


def _pools() -> tuple[list[str], list[str]]:
    """(prepaid set: complaints and hard negatives, topics set without its prepaid class)."""
    with (FIXTURES / "topics_labelled.tsv").open(encoding="utf-8", newline="") as fh:
        other = [r["text"] for r in csv.DictReader(fh, delimiter="\t") if r["topic"] != PREPAID_TOPIC]
    return _read(FIXTURES / "prepaid_labelled.tsv", "text"), other


def compose(n: int, seed: int = 7) -> list[str]:
    """``n`` distinct realistic message bodies (see the module docstring)."""
    rng = random.Random(seed)
    prepaid, topics = _pools()

    def body() -> str:
        text = rng.choice(prepaid if rng.random() < 0.04 else topics)
        return _NUMBER.sub(lambda m: str(rng.randint(1, 10 ** len(m.group()) - 1)), text)

    out = []
    for _ in range(n):
        parts = [rng.choice(OPENERS), body(), body(), body()]
        if rng.random() < 0.35:
            parts.append(body())
        parts.append(rng.choice(CLOSERS))
        text = "".join(parts)
        if rng.random() < 0.07:
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(DIRT) + text[at:]
        out.append(text)
    return out


def messages_file(n: int) -> Path:
    """The composed messages as a Parquet export (编号, 主题, 详情, 时间), made once per N."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = BENCH_DIR / "text" / f"messages-{n}.parquet"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"composing {n:,} messages into {path} …")
    texts = compose(n)
    base = 1_735_660_800          # 2025-01-01
    table = pa.table({
        "编号": [f"GD2025{i:08d}" for i in range(n)],
        "主题": [t[:12] for t in texts],
        "详情": texts,
        "时间": pa.array([(base + (i * 31_536_000) // n) * 1_000_000 for i in range(n)], pa.timestamp("us")),
    })
    pq.write_table(table, path)
    return path


# ---------------------------------------------------------------- worker stages
def _stage(name: str, texts: list[str]) -> dict:
    """Run one stage over ``texts`` in this process; CPU seconds and what it found."""
    from shujian.text.clean import clean_text
    from shujian.text.library import get_rule
    from shujian.text.matcher import Matcher
    from shujian.text.merchants import first_merchant
    from shujian.text.segment import segmenter

    seg, matcher = segmenter(), Matcher(get_rule("prepaid-card"))
    _ = seg.tokenizer                               # dictionary load is not part of the stage
    matcher.match("在力美健身办卡后老板跑路")          # nor the first compiles
    first_merchant("在力美健身办卡后老板跑路")
    started = time.process_time()
    found = 0
    if name == "clean":
        found = sum(1 for t in texts if clean_text(t)[1])
    elif name == "segment":
        found = sum(len(seg.cut(t)) for t in texts)
    elif name == "rules":
        found = sum(1 for t in texts if matcher.match(t) is not None)
    elif name == "extract":
        found = sum(1 for t in texts if first_merchant(t) is not None)
    elif name == "pipeline":
        for raw in texts:
            text = clean_text(raw)[0]
            if matcher.match(text) is not None:
                found += 1
                first_merchant(text)
    return {"cpu_s": time.process_time() - started, "found": found}


def _parallel(name: str, texts: list[str], workers: int) -> dict:
    chunks = [texts[i::workers] for i in range(workers)]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_stage, [name] * workers, chunks))
    wall = time.perf_counter() - started
    cpu = sum(p["cpu_s"] for p in parts)
    out = {"messages": len(texts), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
           "messages_per_s_wall": round(len(texts) / wall), "messages_per_cpu_s": round(len(texts) / cpu),
           "found": sum(p["found"] for p in parts), "load_avg_1m_at_start": round(load, 2)}
    log(f"  {name}: {out}")
    return out


# ---------------------------------------------------------------- SQL stages
def _duckdb(path: Path, threads: int):
    import duckdb

    con = duckdb.connect(config={"threads": str(threads)})
    con.execute(f"CREATE TABLE t_1 AS SELECT row_number() OVER () AS _row_id, * FROM read_parquet('{path}')")
    return con


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def sql_step(path: Path, n: int, threads: int) -> dict:
    """The compiled ``text`` step (prepaid rule + merchant) on DuckDB over all messages."""
    from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
    from shujian.compiler import compile_model
    from shujian.spec import load_model
    from shujian.text.library import rule_source
    from shujian.text.udf import register_duckdb

    con = _duckdb(path, threads)
    catalog = CatalogSchema()
    catalog.add(DatasetSchema("12345工单", "t_1", (ColumnSchema("编号", "VARCHAR"), ColumnSchema("主题", "VARCHAR"),
                                                ColumnSchema("详情", "VARCHAR"), ColumnSchema("时间", "TIMESTAMP")),
                              version=1))
    model = load_model({
        "id": "bench-text", "name": "文本步骤", "line": "公益诉讼检察", "point": "预付卡",
        "inputs": {"msg": {"dataset": "12345工单", "fields": {"no": "编号", "title": "主题", "body": "详情"}}},
        "steps": [{"id": "hits", "from": "msg", "text": {"fields": ["title", "body"], "rule": rule_source("prepaid-card"),
                                                         "merchant": "merchant", "merchant_key": "mkey"}}],
        "output": {"subject": {"type": "case", "key": "no"}, "title": "{no}", "facts": ["merchant"]}})
    compiled = compile_model(model, catalog, "duckdb")
    register_duckdb(con)
    con.execute("SELECT shujian_text('办卡跑路', '{}')").fetchall()
    load, cpu0, started = os.getloadavg()[0], _cpu(), time.perf_counter()
    found = con.execute(f"SELECT count(*), count(mkey) FROM ({compiled.sql})", compiled.parameters).fetchone()
    wall, cpu = time.perf_counter() - started, _cpu() - cpu0
    pre = con.execute("SELECT count(*) FROM t_1 WHERE regexp_matches(coalesce(主题, '') || '。' || "
                      "coalesce(详情, ''), $p)", {"p": _prefilter()}).fetchone()[0]
    con.close()
    out = {"messages": n, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "messages_per_s_wall": round(n / wall),
           "messages_per_cpu_s": round(n / cpu), "prefilter_passed": pre, "matched": found[0],
           "with_merchant": found[1], "threads": threads, "load_avg_1m_at_start": round(load, 2)}
    log(f"  sql_step: {out}")
    return out


def _prefilter() -> str:
    from shujian.spec.text import prefilter_pattern
    from shujian.text.library import get_rule

    return prefilter_pattern(get_rule("prepaid-card").positive_terms())


def screen(path: Path, n: int, threads: int) -> dict:
    """A subscription's first (full) screening of all messages: ``screen_version``."""
    from shujian.text.library import get_rule
    from shujian.text.screening import screen_version

    con = _duckdb(path, threads)
    rule = get_rule("prepaid-card")
    load, cpu0, started = os.getloadavg()[0], _cpu(), time.perf_counter()
    result = screen_version(con, subscription_id=1, relation="t_1", key_field="编号", text_fields=["主题", "详情"],
                            date_field="时间", rule=rule)
    wall, cpu = time.perf_counter() - started, _cpu() - cpu0
    con.close()
    out = {"messages": result.messages, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
           "messages_per_s_wall": round(n / wall), "messages_per_cpu_s": round(n / cpu),
           "candidates": result.candidates, "matched": len(result.found),
           "quality": result.quality.to_dict()["problems"], "threads": threads,
           "load_avg_1m_at_start": round(load, 2)}
    log(f"  screen: {out}")
    return out


def topics(texts: list[str], sample: int) -> dict:
    """Classifier: train on the labelled topics, predict every message; topic rules on a sample."""
    from shujian.text.classify import rule_topic, train
    from shujian.text.clean import clean_text

    with (FIXTURES / "topics_labelled.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    load = os.getloadavg()[0]
    cpu0 = _cpu()
    model = train([r["text"] for r in rows], [r["topic"] for r in rows])
    train_cpu = _cpu() - cpu0
    cleaned = [clean_text(t)[0] for t in texts]
    cpu0, started = _cpu(), time.perf_counter()
    predicted = model.predict(cleaned)
    wall, cpu = time.perf_counter() - started, _cpu() - cpu0
    part = cleaned[:sample]
    cpu0 = _cpu()
    for t in part:
        rule_topic(t)
    rules_cpu = _cpu() - cpu0
    out = {"labels": len(rows), "train_cpu_s": round(train_cpu, 2), "held_out_accuracy": model.metrics["accuracy"],
           "predict_messages": len(predicted), "predict_wall_s": round(wall, 2), "predict_cpu_s": round(cpu, 2),
           "predict_messages_per_cpu_s": round(len(predicted) / cpu),
           "rules_sample": len(part), "rules_cpu_s": round(rules_cpu, 2),
           "rules_messages_per_cpu_s": round(len(part) / rules_cpu), "load_avg_1m_at_start": round(load, 2)}
    log(f"  topics: {out}")
    return out


STAGES = ("clean", "segment", "rules", "extract", "pipeline", "sql_step", "screen", "topics")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip", default="", help="stages to skip, comma-separated: " + ",".join(STAGES))
    ap.add_argument("--topic-rules-sample", type=int, default=100_000)
    args = ap.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    path = messages_file(args.n)
    import pyarrow.parquet as pq

    texts = pq.read_table(path, columns=["详情"]).column(0).to_pylist()
    report = {"benchmark": "text-throughput", "n": args.n, "workers": args.workers, "machine": machine_info(),
              "mean_chars": round(sum(map(len, texts)) / len(texts), 1), "stages": {}}
    for name in STAGES:
        if name in skip:
            continue
        log(f"stage {name} …")
        if name == "sql_step":
            report["stages"][name] = sql_step(path, args.n, args.workers)
        elif name == "screen":
            report["stages"][name] = screen(path, args.n, args.workers)
        elif name == "topics":
            report["stages"][name] = topics(texts, args.topic_rules_sample)
        else:
            report["stages"][name] = _parallel(name, texts, args.workers)
    report["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
