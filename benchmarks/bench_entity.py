"""Entity resolution on a synthetic Chinese person population: quality and time, with baselines.

    python benchmarks/bench_entity.py --records 100000 [--model PATH] [--save-model PATH] [--skip untuned]

Contenders, all on the same records and truth (``person_id``):

* ``exact-id``         — records with the same delivered ID number (raw text) are one person;
* ``exact-name-dob``   — same raw name and same raw birth-date text;
* ``splink-untuned``   — Splink with its stock comparisons (Jaro-Winkler name, Levenshtein ID, exact
                         date, phone, address) on the raw fields, default EM training, threshold 0.5;
* ``shujian``          — shujian.entity: normalised fields, character-level comparisons, day/month
                         swaps, partial IDs, 9 blocking rules, EM; linked at ≥ REVIEW (0.80).

All scores are over every record.  Pairwise scores count the scored pairs at the threshold (records
with one fingerprint — same ID and fields — are compared once and count as linked); cluster scores
count every pair inside a predicted cluster (connected components).  Prints JSON; ``--out`` writes it under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

import duckdb
import entity_quality as eq  # benchmarks/, the directory of this script
import psutil

from shujian.entity import linker as lk
from shujian.entity.cluster import connected_components, quality
from shujian.entity.pipeline import link
from shujian.entity.prepare import PersonSource
from shujian.entity.synthetic import generate_population

FIELDS = {"name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "sex": "性别",
          "phone": "手机号", "address": "住址"}


def _log(msg: str) -> None:
    sys.stderr.write(msg + "\n")


def _exact(con, key_sql: str) -> dict:
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ex_edges AS
        WITH k AS (SELECT p.unique_id, {key_sql} AS k FROM er_records p JOIN pop q ON q._row_id = p.source_row)
        SELECT min(unique_id) OVER (PARTITION BY k) AS unique_id_l, unique_id AS unique_id_r
        FROM k WHERE k IS NOT NULL""")
    con.execute("DELETE FROM ex_edges WHERE unique_id_l = unique_id_r")
    connected_components(con, "er_records", "ex_edges", out="ex_clusters")
    # pairwise = all pairs sharing the key (= its clusters)
    return quality(con, "truth", "ex_clusters", None).as_dict()


def _untuned(con) -> dict:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, block_on

    t = time.perf_counter()
    con.execute("""CREATE OR REPLACE TEMP TABLE raw_in AS
        SELECT p.unique_id, q.姓名 AS name, q.身份证号 AS id_number, q.出生日期 AS birth_date,
               q.手机号 AS phone, q.住址 AS address, q.性别 AS sex
        FROM er_records p JOIN pop q ON q._row_id = p.source_row""")
    settings = {
        "link_type": "dedupe_only", "unique_id_column_name": "unique_id",
        "comparisons": [cl.JaroWinklerAtThresholds("name", [0.9, 0.7]), cl.LevenshteinAtThresholds("id_number", [1, 2]),
                        cl.ExactMatch("birth_date"), cl.ExactMatch("phone"),
                        cl.JaroWinklerAtThresholds("address", [0.9]), cl.ExactMatch("sex")],
        "blocking_rules_to_generate_predictions": [block_on("name"), block_on("id_number"), block_on("birth_date", "sex")],
    }
    linker = Linker(DuckDBAPI(connection=con).register("raw_in"), settings, log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    pred = linker.inference.predict(threshold_match_probability=0.5)
    con.execute(f"CREATE OR REPLACE TEMP TABLE un_edges AS SELECT unique_id_l, unique_id_r FROM {pred.physical_name}")
    connected_components(con, "er_records", "un_edges", out="un_clusters")
    out = quality(con, "truth", "un_clusters", "un_edges").as_dict()
    out["seconds"] = round(time.perf_counter() - t, 1)
    return out


def _shujian_at(con, threshold: float) -> dict:
    return eq.at_threshold(con, "er_pairs", threshold, nodes="er_person_input")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--model", help="trained model JSON: skip training (time prepare+score+cluster only)")
    ap.add_argument("--save-model", help="write the trained model JSON here")
    ap.add_argument("--skip", default="", help="comma list: untuned,exact")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    t0, load0 = time.perf_counter(), round(os.getloadavg()[0], 1)
    pop = generate_population(a.records, seed=a.seed)
    _log(f"generated {pop.num_rows} records in {time.perf_counter() - t0:.1f}s")
    con = duckdb.connect()
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    con.register("pop_arrow", pop)
    con.execute("CREATE TABLE pop AS SELECT *, record_id AS _row_id FROM pop_arrow")
    con.unregister("pop_arrow")
    del pop
    model = json.loads(Path(a.model).read_text(encoding="utf-8")) if a.model else None
    proc = psutil.Process()
    t, cpu0 = time.perf_counter(), sum(proc.cpu_times()[:2])
    run = link(con, [PersonSource("pop", FIELDS, name="synthetic")], model=model)
    wall = round(time.perf_counter() - t, 1)
    cpu = round(sum(proc.cpu_times()[:2]) - cpu0, 1)
    _log(f"shujian linked {run.records} records in {wall}s {run.seconds}")
    if a.save_model:
        Path(a.save_model).write_text(json.dumps(run.model, ensure_ascii=False, indent=1), encoding="utf-8")
    eq.truth_from_prepared(con)
    result = {
        "records": run.records, "persons": con.execute("SELECT count(DISTINCT person_id) FROM pop").fetchall()[0][0],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__,
                    "load_average_1m_at_start": load0,
                    "load_average_1m_at_end": round(os.getloadavg()[0], 1)},
        "shujian": {"seconds": wall, "stages": run.seconds, "cpu_seconds": cpu, "trained": model is None,
                    "pairs_scored": run.pairs, "rss_mb": round(proc.memory_info().rss / 2**20),
                    "at_review_0.80": _shujian_at(con, lk.REVIEW), "at_certain_0.99": _shujian_at(con, lk.CERTAIN),
                    "at_0.5": _shujian_at(con, 0.5)},
    }
    if "exact" not in skip:
        result["exact-id"] = _exact(con, "q.身份证号")
        result["exact-name-dob"] = _exact(con, "CASE WHEN q.出生日期 IS NOT NULL THEN q.姓名 || '|' || q.出生日期 END")
    if "untuned" not in skip:
        result["splink-untuned"] = _untuned(con)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    sys.stdout.write(text + "\n")
    if a.out:
        Path(a.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
