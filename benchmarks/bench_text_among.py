"""prepaid-card-complaints with and without ``name_key_among`` (registry keys only for names that can
carry a flagged merchant's key): the rows that reach the registry join and the clues must be equal.

    python benchmarks/bench_text_among.py --scale large --baseline-src /path/to/other/src [--rounds 1]

Each tree runs in a fresh process (``PYTHONPATH=<src>``, no text workers) on the city's file-backed
DuckDB database as ``benchmarks/bench_library.py`` loads it (opened read-only): the model compiled by
that tree, its stages as temporary tables, then the final statement.  Reported per tree: CPU seconds of
the run, the number of rows and a digest of every row (sorted, every column, evidence included) of the
stage ``s_with_registry`` (the tickets' merchants left-joined to the registry by name key) and of the
model's output.  The script fails when a digest differs between the trees.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import BENCH_DIR, finish_report, log, machine_info, run_child  # noqa: E402

CHILD = r"""
import hashlib, json, re, sys, time
import duckdb
sys.path.insert(0, sys.argv[3])
from common import catalog_from_manifest
from pathlib import Path
from shujian.compiler import compile_model
from shujian.compiler.stages import bind
from shujian.models_library import list_models
from shujian.text.udf import register_duckdb

def digest(rel):
    rows = sorted(json.dumps(r, ensure_ascii=False, default=str, sort_keys=True)
                  for r in rel.to_arrow_table().to_pylist())
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()

con = duckdb.connect(sys.argv[1], read_only=True)
catalog = catalog_from_manifest(Path(sys.argv[2]))
model = next(m for m in list_models() if m.id == "prepaid-card-complaints")
compiled = compile_model(model, catalog, "duckdb")
plan = compiled.staged("__cmp")
register_duckdb(con)
out = {"among": "name_key_among" in json.dumps(model.model_dump(mode="json"))}
t = time.process_time()
for stage in plan.stages:
    con.execute(f"CREATE TEMP TABLE {stage.table} AS {stage.sql}", bind(stage.parameters, compiled.parameters))
    if stage.table.startswith("s_with_registry"):
        out["with_registry_rows"], out["with_registry_digest"] = digest(con.sql(f"SELECT * FROM {stage.table}"))
final = con.sql(plan.final, params=bind(plan.final_parameters, compiled.parameters))
out["clues"], out["clues_digest"] = digest(final)
out["cpu_seconds"] = round(time.process_time() - t, 2)
print(json.dumps(out))
"""


def one(src: Path, db: Path, city: Path) -> dict:
    return run_child(CHILD, src, str(db), str(city), str(ROOT / "benchmarks"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--city", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    ap.add_argument("--baseline-src", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    db = BENCH_DIR / f"{args.scale}.duckdb"
    if not db.is_file():
        log(f"{db} is missing: run benchmarks/bench_library.py --scale {args.scale} first (it loads the city)")
        return 2
    city = args.city or BENCH_DIR / "cities" / args.scale
    trees = {"current": args.src, "baseline": args.baseline_src}
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    for r in range(args.rounds):
        for name in (list(trees) if r % 2 == 0 else list(reversed(trees))):
            runs[name].append(one(trees[name], db, city))
            log(f"round {r + 1} {name}: {runs[name][-1]}")
    report = {"benchmark": "text-among", "scale": args.scale, "machine": machine_info(),
              "trees": {k: str(v) for k, v in trees.items()}, "runs": runs}
    failed = False
    for key in ("with_registry_digest", "clues_digest"):
        if len({x[key] for rs in runs.values() for x in rs}) != 1:
            log(f"FAIL: {key} differs between the trees")
            failed = True
    report["equal"] = not failed
    finish_report(report, args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
