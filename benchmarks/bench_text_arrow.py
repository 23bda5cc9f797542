"""CPU of the ``shujian_text`` function as DuckDB hands it over — Arrow batches of 2,048 rows to
``udf.screen_arrow`` — for prepaid-card-complaints on a demo city, against another source tree:
alternating rounds, a fresh process per tree and round.

    python benchmarks/bench_text_arrow.py [--scale large] [--city DIR] [--rounds 2]
        [--baseline-src /path/to/other/src] [--out benchmarks/results/text-arrow-large.json]

Two inputs from the city: the 12345 messages the model's SQL prefilter keeps (the compiled config: the
rule, words and merchant of matching rows) and the enterprise registry's names with the key set of the
merchants the model flags (``name_key_among``).  Each round: CPU seconds of ``screen_arrow`` over every
batch (``time.process_time``, workers off), the share of it spent in the C calls that release the
interpreter lock (``_native.screen_arrow`` / ``key_names_arrow``; 0 on a tree without them), and the
sha256 of every batch's columns, which must be equal between the trees (or the script fails); for the names
also the key column alone as the registry step's function returns it (``name_keys``: ``udf.key_column``, the
column built in C, where the tree has it, else the struct's ``name_key`` field).  The key
set is the model's: the merchant keys of the messages whose merchant the model's per-merchant screen keeps
are not known without running it, so the script runs the model once on the city (``--keys`` reads a JSON
list instead).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import BENCH_DIR, city_dir, finish_report, log, machine_info, run_child  # noqa: E402

CHILD = r"""
import hashlib, json, sys, time
import pyarrow as pa, pyarrow.parquet as pq
from shujian.text import native, udf
inside = [0.0]
lib = native._native
if lib is not None:
    class Timed:
        def __getattr__(self, name):
            f = getattr(lib, name)
            if name not in ("screen_arrow", "key_names_arrow"):
                return f
            def call(*a):
                t = time.process_time()
                try:
                    return f(*a)
                finally:
                    inside[0] += time.process_time() - t
            return call
    native._native = Timed()
inputs = json.load(open(sys.argv[1], encoding="utf-8"))
out = {"src": udf.__file__}
for label in ("messages", "names"):
    array = pq.read_table(inputs[label]).column(0).combine_chunks()
    config = inputs[label + "_config"]
    if label == "names":
        config = udf.with_keys(config, inputs["keys"])
    udf.screen_arrow(array.slice(0, 50), config)                  # compiles the rule, builds the tables
    batches = [pa.concat_arrays([array.slice(i, 2048)]) for i in range(0, len(array), 2048)]
    inside[0] = 0.0
    t = time.process_time()
    results = [udf.screen_arrow(b, config) for b in batches]
    cpu = time.process_time() - t
    digest = hashlib.sha256()
    for r in results:
        for f in udf.FIELDS:
            digest.update(json.dumps(r.field(f).to_pylist(), ensure_ascii=False).encode())
    out[label] = {"rows": len(array), "cpu_s": round(cpu, 3), "without_lock_s": round(inside[0], 3),
                  "digest": digest.hexdigest()}
    if label == "names":
        # the key column as the registry step's SQL function returns it: shujian_text_key's C column
        # (udf.key_column) where the tree has it, else the struct's name_key field
        column = getattr(udf, "key_column", None) or (lambda b, c: None)
        t = time.process_time()
        keys = [k if (k := column(b, config)) is not None else udf.screen_arrow(b, config).field("name_key")
                for b in batches]
        cpu = time.process_time() - t
        digest = hashlib.sha256()
        for k in keys:
            digest.update(json.dumps(k.to_pylist(), ensure_ascii=False).encode())
        out["name_keys"] = {"rows": len(array), "cpu_s": round(cpu, 3), "digest": digest.hexdigest()}
print(json.dumps(out))
"""


def inputs(scale: str, city_path: Path | None, keys_path: Path | None) -> Path:
    """The prefiltered messages and the registry names as parquet, the configs and the key set (made once)."""
    folder = BENCH_DIR / "text"
    path = folder / f"arrow-inputs-{scale}.json"
    if path.is_file():
        return path
    import duckdb
    import pyarrow.parquet as pq
    from sqlglot import exp

    from shujian.compiler.text import SEPARATOR
    from shujian.spec.text import TextStep, prefilter_pattern
    from shujian.text.clean import sql_prefilter

    city = city_dir(scale, city_path)
    step = TextStep.model_validate({"fields": ["title", "content"], "rule": {"use": "prepaid-card"},
                                    "merchant": "merchant", "merchant_key": "mkey"})
    where = sql_prefilter(exp.column("x"), prefilter_pattern(step.rule.positive_terms())).sql("duckdb")
    con = duckdb.connect()
    tickets = next(city.glob("*12345工单.parquet"))
    registry = next(city.glob("*市场主体登记.parquet"))
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(con.sql(f"SELECT x FROM (SELECT coalesce(主题, '') || '{SEPARATOR}' || coalesce(详情, '') AS x "
                           f"FROM read_parquet('{tickets}')) WHERE {where}").to_arrow_table(), folder / "messages.parquet")
    pq.write_table(con.sql(f"SELECT 企业名称 FROM read_parquet('{registry}')").to_arrow_table(), folder / "names.parquet")
    data = {"messages": str(folder / "messages.parquet"), "names": str(folder / "names.parquet"),
            # what the compiler writes for the model's text step (compiler.text.narrow_outputs)
            "messages_config": json.dumps({"rule": step.rule.model_dump(mode="json", exclude_defaults=True),
                                           "outputs": ["merchant", "merchant_key", "words"], "matched_only": True},
                                          ensure_ascii=False, separators=(",", ":")),
            "names_config": json.dumps({"rule": None, "outputs": ["name_key"]}),
            "keys": json.loads(keys_path.read_text("utf-8")) if keys_path else model_keys(scale, city)}
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    log(f"inputs and {len(data['keys']):,} keys → {path}")
    return path


def model_keys(scale: str, city: Path) -> list[str]:
    """The key set the model hands its registry step: the model run once, the set caught on its way."""
    from bench_library import open_city

    from shujian.compiler import compile_model
    from shujian.engines.duckdb_engine import DuckDBEngine
    from shujian.models_library import list_models
    from shujian.text import udf

    caught: list[str] = []
    keep = udf.add_keyset

    def add_keyset(keys):
        keys = list(keys)
        caught[:] = sorted({k for k in keys if k})
        return keep(keys)

    udf.add_keyset = add_keyset
    try:
        con, catalog, _, _ = open_city(scale, city, "8GB", None)
        model = next(m for m in list_models() if m.id == "prepaid-card-complaints")
        compiled = compile_model(model, catalog, "duckdb")
        DuckDBEngine(con).execute(compiled.sql, compiled.parameters, plan=compiled.staged)
    finally:
        udf.add_keyset = keep
    return caught


def one(src: Path, data: Path) -> dict:
    return run_child(CHILD, src, str(data))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="large")
    ap.add_argument("--city", type=Path, default=None, help="an existing demo city (else BENCH_DIR/cities/<scale>)")
    ap.add_argument("--keys", type=Path, default=None, help="the registry step's key set as a JSON list")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    ap.add_argument("--baseline-src", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    data = inputs(args.scale, args.city, args.keys)
    trees = {"current": args.src} | ({"baseline": args.baseline_src} if args.baseline_src else {})
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    for r in range(args.rounds):
        for name in (list(trees) if r % 2 == 0 else list(reversed(trees))):
            runs[name].append(one(trees[name], data))
            log(f"round {r + 1} {name}: {runs[name][-1]}")
    report = {"benchmark": "text-arrow", "scale": args.scale, "rounds": args.rounds, "machine": machine_info(),
              "trees": {k: str(v) for k, v in trees.items()}, "runs": runs}
    for name, rs in runs.items():
        report[name] = {f"{k}_cpu_s_median": round(statistics.median(x[k]["cpu_s"] for x in rs), 3)
                        for k in ("messages", "names", "name_keys")}
    for k in ("messages", "names", "name_keys"):
        if len({x[k]["digest"] for rs in runs.values() for x in rs}) != 1:
            log(f"FAIL: the {k} columns differ between the trees or rounds")
            return 1
    finish_report(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
