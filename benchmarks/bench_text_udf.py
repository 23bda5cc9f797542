"""CPU per row of the ``shujian_text`` function body, as prepaid-card-complaints calls it on a demo city,
against another source tree (a release, or the commit before a change): alternating rounds.

    python benchmarks/bench_text_udf.py [--scale medium] [--city DIR] [--n 20000] [--rounds 3] [--compiled [--same-config]]
        [--baseline-src /path/to/other/src] [--out benchmarks/results/text-udf-medium.json]

Two inputs, both read from the demo city: the 12345 messages that pass the model's SQL prefilter (the
rows the function screens: rule, explanation, merchant) and the enterprise registry's names (the
``name_key`` rows).  Each round runs ``shujian.text.udf.screen_values`` over the first ``--n`` of each
in a fresh process per source tree (so caches start cold, as in a run), CPU seconds of that process
(``time.process_time``; no worker processes: ``SHUJIAN_TEXT_WORKERS=0``), A then B, B then A, … ;
the figure is the median µs per row, with the load average at each round.  Results must be equal
between the trees (same columns), or the script fails.  ``--compiled``: the current tree screens the
messages with the config the compiler writes for the model now (only the fields later steps read), the
baseline with the full one, and the fields the model reads are compared.
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
from shujian.text import udf
from shujian.text.merchants import merchant_key
data = json.load(open(sys.argv[1], encoding="utf-8"))
n = int(sys.argv[2])
config = data[sys.argv[3]]
msgs, names = data["messages"][:n], data["names"][:n]
udf.screen_values(msgs[:20], config); udf.screen_values(names[:20], data["names_config"])   # compiles
merchant_key.cache_clear()
out = {"src": udf.__file__}
for label, rows, cfg in (("message", msgs, config), ("name", names, data["names_config"])):
    t = time.process_time()
    cols = udf.screen_values(rows, cfg)
    out[label + "_us"] = (time.process_time() - t) / len(rows) * 1e6
    if sys.argv[3] != "config" and label == "message":   # what the model reads: the matching rows' fields
        cols = {f: [v if m else None for v, m in zip(cols[f], cols["matched"])]
                for f in ("matched", "words", "merchant", "merchant_key")}
    out[label + "_digest"] = hashlib.sha256(json.dumps(cols, ensure_ascii=False).encode()).hexdigest()
    out[label + "_rows"] = len(rows)
print(json.dumps(out))
"""


def inputs(scale: str, city_path: Path | None = None) -> Path:
    """The prefiltered messages and the registry names of the city, as JSON (made once per scale)."""
    path = BENCH_DIR / "text" / f"udf-inputs-{scale}.json"
    if path.is_file():
        return path
    import duckdb

    from shujian.compiler.text import SEPARATOR
    from shujian.spec.text import TextStep, prefilter_pattern

    city = city_dir(scale, city_path)
    step = TextStep.model_validate({"fields": ["title", "content"], "rule": {"use": "prepaid-card"},
                                    "merchant": "merchant", "merchant_key": "mkey"})
    names_step = TextStep.model_validate({"field": "reg_name", "name_key": "reg_key"})
    con = duckdb.connect()
    tickets = next(city.glob("*12345工单.parquet"))
    registry = next(city.glob("*市场主体登记.parquet"))
    messages = [r[0] for r in con.execute(
        f"SELECT x FROM (SELECT coalesce(主题, '') || '{SEPARATOR}' || coalesce(详情, '') AS x "
        f"FROM read_parquet('{tickets}')) WHERE regexp_matches(x, $p)",
        {"p": prefilter_pattern(step.rule.positive_terms())}).fetchall()]
    names = [r[0] for r in con.execute(f"SELECT 企业名称 FROM read_parquet('{registry}')").fetchall()]
    data = {"messages": messages, "names": names,
            "config": json.dumps({"rule": step.rule.model_dump(mode="json", exclude_defaults=True),
                                  "outputs": sorted(step.outputs())}, ensure_ascii=False, separators=(",", ":")),
            "names_config": json.dumps({"rule": None, "outputs": sorted(names_step.outputs())})}
    # what the compiler writes for prepaid-card-complaints since it narrows the outputs to the fields
    # later steps read (compiler.text.narrow_outputs): no explanation, merchants of matching rows only
    data["config_read"] = data["config"]     # the full config, its digest over the fields the model reads
    data["compiled_config"] = json.dumps({**json.loads(data["config"]), "outputs": ["merchant", "merchant_key", "words"],
                                          "matched_only": True}, ensure_ascii=False, separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    log(f"{len(messages):,} prefiltered messages and {len(names):,} registry names → {path}")
    return path


def one(src: Path, data: Path, n: int, config: str = "config") -> dict:
    return run_child(CHILD, src, str(data), str(n), config)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--city", type=Path, default=None, help="an existing demo city (else BENCH_DIR/cities/<scale>)")
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    ap.add_argument("--baseline-src", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--compiled", action="store_true",
                    help="the current tree gets the config the compiler now writes (no explanation, merchants of "
                         "matching rows), the baseline the full one; the fields the model reads are compared")
    ap.add_argument("--same-config", action="store_true",
                    help="with --compiled: the baseline gets the compiled config too (a fair A/B of the function "
                         "body as the model calls it; without it the baseline builds explanations)")
    args = ap.parse_args()
    data = inputs(args.scale, args.city)
    if args.compiled and "compiled_config" not in json.loads(data.read_text("utf-8")):
        data.unlink()                 # made before the compiled config was added
        data = inputs(args.scale, args.city)
    trees = {"current": args.src} | ({"baseline": args.baseline_src} if args.baseline_src else {})
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    for r in range(args.rounds):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for name in order:
            config = "compiled_config" if args.compiled and (name == "current" or args.same_config) else (
                "config_read" if args.compiled else "config")
            runs[name].append(one(trees[name], data, args.n, config))
            log(f"round {r + 1} {name}: {runs[name][-1]}")
    report = {"benchmark": "text-udf", "scale": args.scale, "n": args.n, "rounds": args.rounds,
              "machine": machine_info(), "trees": {k: str(v) for k, v in trees.items()}, "runs": runs}
    for name, rs in runs.items():
        report[name] = {f"{k}_us_median": round(statistics.median(x[f"{k}_us"] for x in rs), 1)
                        for k in ("message", "name")}
    if "baseline" in runs:
        for k in ("message", "name"):
            digests = {x[f"{k}_digest"] for rs in runs.values() for x in rs}
            if len(digests) != 1:
                log(f"FAIL: the {k} columns differ between the trees")
                return 1
            report[f"{k}_ratio_current_to_baseline"] = round(
                report["current"][f"{k}_us_median"] / report["baseline"][f"{k}_us_median"], 3)
    finish_report(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
