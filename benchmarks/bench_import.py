"""Benchmark: ``shujian data import`` of a large CSV (default 10 million rows, ~1 GB).

Generates a realistic CSV (身份证号 with valid check digits and some lower-case x / full-width
digits, 姓名, 日期 in mixed formats, 金额 with thousands commas and 元, free 文本) streamed to disk by
DuckDB, then runs the real console command in a subprocess and polls the resident memory (RSS) of
the whole process tree with psutil.  Prints one JSON line with the figures.

    python benchmarks/bench_import.py --rows 10000000 --workdir /tmp/shujian-bench

Not part of the test suite.  Results go into docs/benchmarks.md (section “数据导入 (import)”).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def _id_sql() -> str:
    """An 18-digit resident ID with a correct GB 11643 check digit, from row number ``i``."""
    body = ("'110105' || strftime(DATE '1950-01-01' + CAST(hash(i) % 20000 AS INTEGER), '%Y%m%d') "
            "|| lpad(CAST(i % 1000 AS VARCHAR), 3, '0')")
    terms = " + ".join(f"CAST(substr(b, {k + 1}, 1) AS INTEGER) * {w}" for k, w in enumerate(WEIGHTS))
    check = f"substr('10X98765432', CAST(({terms}) % 11 AS INTEGER) + 1, 1)"
    return body, check


def generate(path: Path, rows: int) -> float:
    """Write the CSV with DuckDB's streaming COPY; returns seconds."""
    body, check = _id_sql()
    started = time.monotonic()
    con = duckdb.connect(config={"memory_limit": "1GB", "preserve_insertion_order": "true"})
    con.execute(f"""
        COPY (
          WITH b AS (SELECT i, {body} AS b FROM range({rows}) t(i))
          SELECT
            CASE WHEN i % 97 = 0 THEN lower(b || {check})
                 WHEN i % 101 = 0 THEN translate(b || {check}, '0123456789', '０１２３４５６７８９')
                 ELSE b || {check} END AS 身份证号,
            substr('{SURNAMES}', CAST(i % 20 AS INTEGER) + 1, 1)
              || substr('{GIVEN}', CAST(hash(i) % 27 AS INTEGER) + 1, 1)
              || CASE WHEN i % 3 = 0 THEN substr('{GIVEN}', CAST(hash(i + 7) % 27 AS INTEGER) + 1, 1) ELSE '' END AS 姓名,
            CASE i % 3 WHEN 0 THEN strftime(DATE '2020-01-01' + CAST(i % 1400 AS INTEGER), '%Y-%m-%d')
                       WHEN 1 THEN strftime(DATE '2020-01-01' + CAST(i % 1400 AS INTEGER), '%Y/%-m/%-d')
                       ELSE strftime(DATE '2020-01-01' + CAST(i % 1400 AS INTEGER), '%Y年%-m月%-d日') END AS 日期,
            CASE WHEN i % 5 = 0 THEN format('{{:,}}.{{:02d}}元', CAST(hash(i) % 100000 AS BIGINT), CAST(i % 100 AS INTEGER))
                 ELSE format('{{}}.{{:02d}}', CAST(hash(i) % 100000 AS BIGINT), CAST(i % 100 AS INTEGER)) END AS 金额,
            '第' || CAST(i AS VARCHAR) || '笔：' || CASE i % 4 WHEN 0 THEN '按月发放基本养老金'
                 WHEN 1 THEN '医保门诊统筹报销，经办人复核通过'
                 WHEN 2 THEN '补发上年度差额' ELSE '停发待核查（服刑人员）' END AS 文本
          FROM b
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)
    con.close()
    return time.monotonic() - started


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_import(csv: Path, home: Path, memory_limit: str | None, pythonpath: str | None = None) -> dict:
    """``pythonpath``: import shujian from that source tree instead (an earlier checkout, for A/B)."""
    env = dict(os.environ, SHUJIAN_HOME=str(home))
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    env.pop("SHUJIAN_DATABASE_URL", None)
    if memory_limit:
        env["SHUJIAN_DUCKDB_MEMORY_LIMIT"] = memory_limit
    exe = shutil.which("shujian") or str(Path(sys.executable).with_name("shujian"))
    cmd = [exe, "data", "import", str(csv), "--name", "养老金发放", "--agency", "市人社局",
           "--request-no", "京检调〔2026〕1号", "--no-progress", "--format", "json"]
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = psutil.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc))
        time.sleep(0.1)
    seconds = time.monotonic() - started
    out, err = proc.communicate()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"import failed ({proc.returncode}):\n{err.decode()}")
    result = json.loads(out)
    return {"command": " ".join(cmd), "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "peak_rss_mb": round(peak / 2**20),
            "rows": result["rows"], "columns": {c["name"]: [c["dtype"], c["semantic"]] for c in result["columns"]},
            "import_seconds": result["seconds"],
            "load_avg_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/shujian-bench"))
    ap.add_argument("--memory-limit", default=None, help="SHUJIAN_DUCKDB_MEMORY_LIMIT for the import")
    ap.add_argument("--keep", action="store_true", help="keep the CSV and workspace afterwards")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv = args.workdir / f"bench_{args.rows}.csv"
    gen_seconds = 0.0
    if not csv.exists():
        gen_seconds = generate(csv, args.rows)
    home = args.workdir / "home"
    shutil.rmtree(home, ignore_errors=True)
    figures = run_import(csv, home, args.memory_limit)
    figures.update({"csv_mb": round(csv.stat().st_size / 2**20), "generate_seconds": round(gen_seconds, 1),
                    "cpus": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30),
                    "python": platform.python_version(), "duckdb": duckdb.__version__})
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
