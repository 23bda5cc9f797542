"""Compiled SQL against hand-written DuckDB SQL, model by model (issue 20, target 5: ≤ 1.2×).

    python benchmarks/bench_compiled_vs_hand.py --scale medium [--rounds 3] [--models m1,m2]
                                                [--city DIR] [--memory-limit 4GB] [--out FILE]

For every built-in model that has a hand-written version in ``benchmarks/handwritten/<model>.sql``
the script runs, alternating A/B for ``--rounds`` rounds on one connection to the same file-backed
DuckDB database (the city loaded once, as ``bench_library.py`` does):

* **compiled** — the shujian compiler's statement through ``DuckDBEngine`` with the compiler's stage
  plan, exactly as a model run executes it (staged temp tables, no insertion order);
* **hand** — the hand-written SQL: the statements of the file one after another (``CREATE TEMP
  TABLE … AS`` for what a DuckDB user would materialise, then one ``SELECT``); its temp tables are
  dropped afterwards, and insertion order is off as for the compiled run.

Both must produce the same clue set — the set of (subject key, rule) pairs; a difference is printed
and makes the exit status 1.  Per model the median wall and CPU seconds (user + system of this
process, DuckDB's threads included) of each side and their ratios compiled ÷ hand are reported;
the whole run goes to ``--out`` as JSON (default benchmarks/results/compiled-vs-hand-<scale>.json).

A hand-written file names datasets as ``{{数据集名}}`` (replaced by the relation the city was loaded
into) and writes the models' default parameters as literals; it returns the columns ``subject``
and ``rule``, then the facts and evidence row-id lists a reviewer needs — the same work the model does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_library import open_city  # noqa: E402
from common import log, machine_info  # noqa: E402

from shujian.catalog.schema import CatalogSchema  # noqa: E402
from shujian.compiler import compile_model  # noqa: E402
from shujian.engines.duckdb_arrow import settle  # noqa: E402
from shujian.engines.duckdb_engine import DuckDBEngine  # noqa: E402
from shujian.models_library import list_models  # noqa: E402
from shujian.text.udf import register_duckdb  # noqa: E402

HAND_DIR = Path(__file__).resolve().parent / "handwritten"
_PLACEHOLDER = re.compile(r"\{\{([^}]+)\}\}")


def _cpu() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


def _text_step(model, ref: str) -> str:
    """``{{text:<step>:config}}`` / ``{{text:<step>:pattern}}``: the text rule of the model's step as
    the argument of ``shujian_text`` (the same Python function the model calls) and its prefilter.
    ``{{text:<step>:config:merchant,words}}``: only those fields, for matching rows only (what the
    compiler asks for when later steps read only those; ``shujian.compiler.text.narrow_outputs``)."""
    from shujian.spec.text import prefilter_pattern

    _, step_id, what, *fields = ref.split(":")
    t = next(s.text for s in model.steps if s.id == step_id)
    if what == "pattern":
        value = prefilter_pattern(t.rule.positive_terms())
    else:
        config = {"rule": t.rule.model_dump(mode="json", exclude_defaults=True) if t.rule else None,
                  "outputs": sorted(fields[0].split(",")) if fields else sorted(t.outputs())}
        if fields and t.rule is not None:
            config["matched_only"] = True
        value = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    return "'" + value.replace("'", "''") + "'"


def hand_statements(model, catalog: CatalogSchema) -> list[str] | None:
    """The hand-written statements for ``model`` with dataset names replaced by relations."""
    model_id = model.id
    path = HAND_DIR / f"{model_id}.sql"
    if not path.is_file():
        return None
    text = "\n".join(line for line in path.read_text("utf-8").splitlines() if not line.lstrip().startswith("--"))

    def relation(m: re.Match) -> str:
        if m.group(1).startswith("text:"):
            return _text_step(model, m.group(1))
        ds = catalog.get(m.group(1).strip())
        if ds is None:
            raise SystemExit(f"{path}: 数据集 {m.group(1)} 不在城市目录中")
        return ds.relation

    return [s.strip() for s in _PLACEHOLDER.sub(relation, text).split(";") if s.strip()]


def run_hand(con: duckdb.DuckDBPyConnection, statements: list[str]):
    """Run the hand-written statements; drop the temp tables they created; the last one's rows."""
    settle(con)
    if any("shujian_text" in s for s in statements):
        register_duckdb(con)
    con.execute("SET preserve_insertion_order = false")
    created = [m.group(1) for s in statements[:-1]
               if (m := re.match(r"(?is)create\s+(?:or\s+replace\s+)?temp(?:orary)?\s+table\s+(\w+)", s))]
    try:
        for s in statements[:-1]:
            con.execute(s)
        return con.sql(statements[-1]).to_arrow_table()
    finally:
        for t in created:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{t}")
        con.execute("RESET preserve_insertion_order")


def clue_set(table, key: str, rule: str) -> set[tuple[str, str]]:
    return {(str(k), str(r)) for k, r in zip(table.column(key).to_pylist(), table.column(rule).to_pylist(),
                                             strict=True)}


def measure(fn) -> tuple[float, float, object]:
    c0, t0 = _cpu(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, _cpu() - c0, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--city", type=Path, default=None)
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", default=None, help="comma-separated model ids (default: every model with a hand-written version)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    con, catalog, _rows, load_seconds = open_city(args.scale, args.city, args.memory_limit)
    only = set(args.models.split(",")) if args.models else None
    machine = machine_info()
    engine = DuckDBEngine(con)
    results, mismatches, missing = [], [], []
    for model in list_models():
        if only and model.id not in only:
            continue
        hand = hand_statements(model, catalog)
        if hand is None:
            missing.append(model.id)
            continue
        compiled = compile_model(model, catalog, "duckdb")
        key = model.output.subject.key
        runs: dict[str, list[tuple[float, float]]] = {"compiled": [], "hand": []}
        sets: dict[str, set] = {}
        for r in range(args.rounds):
            order = ("compiled", "hand") if r % 2 == 0 else ("hand", "compiled")
            for side in order:
                if side == "compiled":
                    wall, cpu, ex = measure(partial(engine.execute, compiled.sql, compiled.parameters,
                                                    plan=compiled.staged))
                    sets[side] = clue_set(ex.table, key, "_rule")
                else:
                    wall, cpu, table = measure(partial(run_hand, con, hand))
                    sets[side] = clue_set(table, "subject", "rule")
                runs[side].append((wall, cpu))
        same = sets["compiled"] == sets["hand"]
        if not same:
            mismatches.append(model.id)
            log(f"  {model.id}: clue sets differ — only compiled {sorted(sets['compiled'] - sets['hand'])[:5]}, "
                f"only hand {sorted(sets['hand'] - sets['compiled'])[:5]}")
        med = {side: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for side, v in runs.items()}
        row = {"model": model.id, "clues": len(sets["compiled"]), "same_clues": same,
               "compiled_wall": round(med["compiled"][0], 3), "compiled_cpu": round(med["compiled"][1], 3),
               "hand_wall": round(med["hand"][0], 3), "hand_cpu": round(med["hand"][1], 3),
               "ratio_wall": round(med["compiled"][0] / med["hand"][0], 2) if med["hand"][0] else None,
               "ratio_cpu": round(med["compiled"][1] / med["hand"][1], 2) if med["hand"][1] else None,
               "rounds": {s: [[round(w, 3), round(c, 3)] for w, c in v] for s, v in runs.items()}}
        results.append(row)
        log(f"  {model.id:30} clues {row['clues']:>5}{'' if same else ' ≠'}  compiled {row['compiled_wall']:.2f}s/"
            f"{row['compiled_cpu']:.2f} cpu  hand {row['hand_wall']:.2f}s/{row['hand_cpu']:.2f} cpu  "
            f"ratio wall {row['ratio_wall']}×  cpu {row['ratio_cpu']}×")
    if missing:
        log(f"no hand-written version: {', '.join(missing)}")
    report = {"benchmark": "compiled_vs_hand", "scale": args.scale, "rounds": args.rounds,
              "memory_limit": args.memory_limit, "machine": machine, "load_seconds": load_seconds,
              "versions": {"duckdb": duckdb.__version__, "python": platform.python_version()},
              "load_avg_1m_at_end": round(os.getloadavg()[0], 2), "missing": missing,
              "mismatches": mismatches, "models": results}
    out = args.out or Path(__file__).parent / "results" / f"compiled-vs-hand-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    sys.stdout.write(json.dumps({k: v for k, v in report.items() if k != "models"}, ensure_ascii=False) + "\n")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
