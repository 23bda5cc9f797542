"""Render benchmarks/results/*.json as Markdown tables for docs/benchmarks.md.

    python benchmarks/report.py benchmarks/results/library-medium-duckdb.json benchmarks/results/baselines-medium.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def library(r: dict) -> str:
    lines = [f"**{r['scale']}** city, engine {r['engine']}, memory limit {r['memory_limit']}: "
             f"{r['city_rows']:,} rows; whole library {r['wall_seconds']} s wall "
             f"({r['execute_seconds']} s executing SQL using {r.get('execute_cpu_seconds', '—')} CPU s, "
             f"{r['compile_seconds']} s compiling), "
             f"{r['rows_scanned']:,} rows scanned = {r['rows_per_second']:,} rows/s over the wall time; "
             f"peak RSS {r['peak_memory_mb']:.0f} MB; load avg at start {r['machine']['load_avg_1m_at_start']}.",
             "", "| model | execute s | CPU s | compile s | rows scanned | rows/s (execute) | rows per CPU s | clues | peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m in r["models"]:
        rps = f"{m['rows_per_second']:,}" if m["rows_per_second"] else "—"
        cpu = m.get("cpu_seconds")
        per_cpu = f"{int(m['rows_scanned'] / cpu):,}" if cpu else "—"
        lines.append(f"| {m['model']} | {m['seconds']:.2f} | {cpu if cpu is not None else '—'} | "
                     f"{m['compile_seconds']:.2f} | {m['rows_scanned']:,} | {rps} | {per_cpu} | {m['clues']} | "
                     f"{m['peak_memory_mb']:.0f} |")
    return "\n".join(lines)


def baselines(r: dict) -> str:
    names = [k for k in r["results"][0] if k != "model"]
    if "seconds" in r["results"][0][names[0]]:
        return _baselines_best_of(r, names)
    pg = r.get("postgresql")
    head = "| collision | " + " | ".join(f"{n} wall / CPU s (clues)" for n in names) + " | " + \
        " | ".join(f"{n} ÷ {r['results'][0][n]['compared_with']} wall / CPU" for n in names[1:]) + " |"
    lines = [f"**{r['scale']}** city, medians of {r['rounds']} alternating rounds (nice {r.get('nice', '—')}); "
             "one-time loads: " + ", ".join(f"{k} {v} s" for k, v in r["load_seconds"].items()) +
             f"; load average {r['machine']['load_avg_1m_at_start']} at the start, " +
             ", ".join(str(x["load_avg_1m"]) for x in r["load_avg_1m_before_each_collision"]) +
             f" before the collisions, {r['load_avg_1m_at_end']} at the end; versions {r['versions']}.", ""]
    if pg:
        lines += ["PostgreSQL settings in force (`pg_settings`): " +
                  ", ".join(f"{k} {v}" for k, v in pg["settings"].items() if k != "server_version") +
                  f"; indexes: {'; '.join(pg['indexes'])}; load parts {pg['load_parts_seconds']}; "
                  f"parallel workers seen: {pg['parallel_workers_seen']}.", ""]
    lines += [head, "|---|" + "---:|" * (2 * len(names) - 1)]
    for row in r["results"]:
        cells = [f"{row[n]['wall_median']:.2f} / {row[n]['cpu_median']:.2f} "
                 f"({row[n]['clues']}{'' if row[n]['same_as_duckdb'] else ' ≠'})" for n in names]
        ratios = [f"{row[n]['wall_ratio']}× / {row[n]['cpu_ratio']}×" for n in names[1:]]
        lines.append(f"| {row['model']} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def _baselines_best_of(r: dict, names: list[str]) -> str:
    """The format of the runs before 2026-12-06 (best of the rounds, one contender after another)."""
    head = "| collision | " + " | ".join(f"{n} wall s / CPU s (clues)" for n in names) + " | " + \
        " | ".join(f"{n} ÷ duckdb wall / CPU" for n in names[1:]) + " |"
    lines = [f"**{r['scale']}** city, best of {r['rounds']}; load: " +
             ", ".join(f"{k} {v} s" for k, v in r["load_seconds"].items()) +
             f"; versions {r['versions']}; load avg at start {r['machine']['load_avg_1m_at_start']}.", "",
             head, "|---|" + "---:|" * (2 * len(names) - 1)]
    for row in r["results"]:
        cells = [f"{row[n]['seconds']:.2f} / {row[n].get('cpu_seconds', '—')} "
                 f"({row[n]['clues']}{'' if row[n]['same_as_duckdb'] else ' ≠'})" for n in names]
        ratios = [f"{row[n]['ratio_vs_duckdb']}× / {row[n].get('cpu_ratio_vs_duckdb', '—')}×" for n in names[1:]]
        lines.append(f"| {row['model']} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def main() -> int:
    for path in sys.argv[1:]:
        r = json.loads(Path(path).read_text("utf-8"))
        sys.stdout.write({"library": library, "baselines": baselines}.get(r["benchmark"], json.dumps)(r) + "\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
