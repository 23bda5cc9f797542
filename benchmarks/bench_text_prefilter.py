"""CPU of the text step's prefilter inside DuckDB over a city's 12345 messages: the regular expressions
of ``clean.sql_prefilter`` (what Spark runs, and DuckDB ran before) against the C function
``shujian_text_pre`` (``udf.prefilter_arrow``), with the prepaid-card-complaints rule.

    python benchmarks/bench_text_prefilter.py [--scale large] [--city DIR] [--rounds 3]
        [--memory-limit 8GB] [--out benchmarks/results/text-prefilter-large.json]

The city is loaded as ``bench_library.py`` loads it (``SHUJIAN_BENCH_DIR``/<scale>.duckdb, reused).  Each
round runs, in one process: the scan and the text (title 。 content, as the compiled step writes it)
alone, a trivial Arrow function in the filter (the cost of handing the batches to Python), the SQL
prefilter, and the C prefilter — each ``SELECT count(*), sum(hash(ticket))`` with its CPU seconds
(``time.process_time``: DuckDB's threads included).  The two prefilters must keep the same rows (the
script fails otherwise).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_library import open_city  # noqa: E402
from common import finish_report, log, machine_info  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc
    from sqlglot import exp

    from shujian.models_library import list_models
    from shujian.spec.text import prefilter_pattern
    from shujian.text.clean import sql_prefilter
    from shujian.text.udf import register_duckdb

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="large")
    ap.add_argument("--city", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--memory-limit", default="8GB")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    machine = machine_info()
    con, catalog, _, _ = open_city(args.scale, args.city, args.memory_limit)
    register_duckdb(con)
    model = next(m for m in list_models() if m.id == "prepaid-card-complaints")
    step = next(s for s in model.steps if s.text is not None and s.text.rule is not None)
    rule = step.text.rule
    config = json.dumps({"rule": rule.model_dump(mode="json", exclude_defaults=True), "outputs": ["words"],
                         "matched_only": True}, ensure_ascii=False, separators=(",", ":"))
    con.execute("CREATE OR REPLACE TEMP TABLE bench_config AS SELECT shujian_text_config(?) AS config", [config])

    def trivial(texts, configs):
        return pc.is_valid(texts)

    con.create_function("bench_trivial", trivial, ["VARCHAR", "VARCHAR"], "BOOLEAN", type="arrow",
                        null_handling="special")
    relation = catalog.get(model.inputs["tickets"].dataset).relation
    src = (f"(SELECT \"编号\" AS no, COALESCE(\"主题\", '') || '。' || COALESCE(\"详情\", '') AS __text "
           f"FROM {relation}) AS t")
    sql_where = sql_prefilter(exp.column("__text"), prefilter_pattern(rule.positive_terms())).sql("duckdb")
    queries = {
        "scan": f"SELECT count(*), sum(hash(no)), sum(length(__text)) FROM {src}",
        "trivial_function": f"SELECT count(*), sum(hash(no)) FROM {src} "
                            "WHERE bench_trivial(__text, (SELECT config FROM bench_config))",
        "sql_prefilter": f"SELECT count(*), sum(hash(no)) FROM {src} WHERE {sql_where}",
        "c_prefilter": f"SELECT count(*), sum(hash(no)) FROM {src} "
                       "WHERE shujian_text_pre(__text, (SELECT config FROM bench_config))",
    }
    cpu: dict[str, list[float]] = {k: [] for k in queries}
    rows: dict[str, list] = {}
    for r in range(args.rounds):
        for label, q in queries.items():
            t0 = time.process_time()
            got = con.execute(q).fetchall()[0]
            cpu[label].append(round(time.process_time() - t0, 3))
            rows[label] = [int(x) for x in got[:2]]
        log(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in cpu.items()))
    if rows["sql_prefilter"] != rows["c_prefilter"]:
        raise SystemExit(f"the prefilters keep different rows: {rows['sql_prefilter']} != {rows['c_prefilter']}")
    report = {"benchmark": "text_prefilter", "scale": args.scale, "machine": machine, "messages": rows["scan"][0],
              "kept": rows["c_prefilter"][0], "cpu_seconds": cpu,
              "median": {k: round(statistics.median(v), 3) for k, v in cpu.items()},
              "arrow_version": pa.__version__}
    finish_report(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
