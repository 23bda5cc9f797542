"""Benchmark: 身份证号 validation inside DuckDB (the vectorised Python UDF the importer and quality report use).

Times the UDF over N generated IDs against a bare Python loop over the same values (the ratio is what to
watch: the UDF should cost at most a few times the loop it wraps).  Not part of the test suite: timings in
tests fail on a loaded machine.

    python benchmarks/bench_id_checks.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import time

import duckdb

from shujian.catalog.semantic import SEMANTIC_TYPES, register_udfs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    con = duckdb.connect()
    register_udfs(con)
    con.execute(f"""CREATE TABLE ids AS SELECT
        '110105' || (1950 + i % 50) || lpad((1 + i % 12)::VARCHAR, 2, '0') || lpad((1 + i % 28)::VARCHAR, 2, '0')
        || lpad((i % 1000)::VARCHAR, 3, '0') || (i % 10) AS id FROM range({args.rows}) r(i)""")
    values = [r[0] for r in con.execute("SELECT id FROM ids").fetchall()]
    start = time.perf_counter()
    expected = sum(SEMANTIC_TYPES["id_number"].is_valid(v) for v in values)
    loop = time.perf_counter() - start
    start = time.perf_counter()
    (valid,) = con.execute("SELECT count(*) FILTER (WHERE sj_valid_id_number(id)) FROM ids").fetchone()
    udf = time.perf_counter() - start
    assert valid == expected
    print(json.dumps({"rows": args.rows, "valid": valid, "python_loop_s": round(loop, 3), "udf_s": round(udf, 3),  # noqa: T201
                      "ratio": round(udf / loop, 2)}))


if __name__ == "__main__":
    main()
