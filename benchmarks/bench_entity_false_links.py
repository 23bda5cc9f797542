"""What the false links of a person linkage are: counts by comparison pattern, with calibration.

    nice -n 10 python benchmarks/bench_entity_false_links.py --records 1000000 [--model PATH] [--prior-scale X]

Generates the synthetic population (``entity.synthetic``, seed 42), links it on DuckDB (``pipeline.link``:
trained on the set, or ``--model`` as given; ``--prior-scale`` multiplies that model's prior), prints the
quality at 0.80 over every record (``entity_quality``), the false links at 0.80 by their comparison pattern
(比对依据) with the predicted and the actual share of true pairs for that pattern, and a few examples.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb
import entity_quality as eq  # benchmarks/, the directory of this script

from shujian.entity import linker as lk
from shujian.entity.pipeline import link
from shujian.entity.prepare import PersonSource
from shujian.entity.synthetic import generate_population

FIELDS = {"name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "sex": "性别",
          "phone": "手机号", "address": "住址"}


def _out(line: object) -> None:
    sys.stdout.write(f"{line}\n")


def _patterns(con) -> None:
    con.execute("""CREATE OR REPLACE TEMP TABLE al AS SELECT p.*, a.person_id = b.person_id AS ok FROM er_pairs p
        JOIN truth a ON a.unique_id = p.unique_id_l JOIN truth b ON b.unique_id = p.unique_id_r""")
    _out("pattern | pairs >= 0.3 | predicted | actual | linked | false linked")
    for row in con.execute(f"""SELECT compared, count(*), round(avg(match_probability), 4), round(avg(ok::INT), 4),
            count(*) FILTER (WHERE match_probability >= {lk.REVIEW}),
            count(*) FILTER (WHERE match_probability >= {lk.REVIEW} AND NOT ok) AS false_linked
        FROM al GROUP BY 1 HAVING false_linked > 0 ORDER BY false_linked DESC LIMIT 15""").fetchall():
        _out(" | ".join(str(v) for v in row))
    _out("examples (name, id, birth date, phone, division; probability)")
    for row in con.execute(f"""SELECT l.name_n, r.name_n, l.id18, r.id18, l.dob, r.dob, l.phone, r.phone,
            l.division, r.division, round(al.match_probability, 3)
        FROM al JOIN er_person_input l ON l.unique_id = al.unique_id_l
        JOIN er_person_input r ON r.unique_id = al.unique_id_r
        WHERE al.match_probability >= {lk.REVIEW} AND NOT ok ORDER BY hash(al.unique_id_l) LIMIT 10""").fetchall():
        _out(row)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--model", help="trained model JSON (default: train on the set)")
    ap.add_argument("--prior-scale", type=float, default=1.0, help="multiply the given model's prior by this")
    a = ap.parse_args()
    model = json.loads(Path(a.model).read_text(encoding="utf-8")) if a.model else None
    if model is not None:
        model["probability_two_random_records_match"] *= a.prior_scale
    con = duckdb.connect()
    con.execute("SET threads = 1")
    t = time.perf_counter()
    con.register("pop_arrow", generate_population(a.records, seed=42))
    con.execute("CREATE TABLE pop AS SELECT *, record_id AS _row_id FROM pop_arrow")
    run = link(con, [PersonSource("pop", FIELDS, name="synthetic")], model=model)
    _out(json.dumps({"seconds": round(time.perf_counter() - t, 1), "stages": run.seconds,
                     "prior": run.model["probability_two_random_records_match"]}))
    eq.truth_from_prepared(con)
    _out(json.dumps(eq.at_threshold(con, "er_pairs", lk.REVIEW, nodes="er_person_input")))
    _patterns(con)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
