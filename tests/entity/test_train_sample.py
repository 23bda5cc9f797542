"""Training on a sample of the records (pipeline.train_model): the model learnt on a uniform sample
scores every record about as well as one learnt on all of them."""

from __future__ import annotations

import duckdb

from shujian.entity import linker as lk
from shujian.entity.cluster import quality
from shujian.entity.pipeline import link
from shujian.entity.prepare import PersonSource
from shujian.entity.synthetic import generate_population

FIELDS = {"name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "sex": "性别",
          "phone": "手机号", "address": "住址"}


def _linked(train_sample: int) -> tuple[dict, dict, list]:
    con = duckdb.connect()
    con.register("pop_arrow", generate_population(12_000, seed=5))
    con.execute("CREATE TABLE pop AS SELECT *, record_id AS _row_id FROM pop_arrow")
    run = link(con, [PersonSource("pop", FIELDS, name="synthetic")], train_sample=train_sample)
    con.execute("""CREATE TEMP TABLE truth AS SELECT p.unique_id, q.person_id
                   FROM er_person_input p JOIN pop q ON q._row_id = p.source_row""")
    con.execute(f"CREATE TEMP TABLE edges AS SELECT * FROM er_pairs WHERE match_probability >= {lk.REVIEW}")
    q = quality(con, "truth", "er_clusters", "edges").as_dict()
    left = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name = 'er_train_sample'"
                                      ).fetchall()]
    return q, run.model, left


def test_a_model_trained_on_a_sample_links_every_record():
    full, full_model, _ = _linked(train_sample=1_000_000)      # more than the records: trained on all
    sampled, sampled_model, left = _linked(train_sample=6_000)
    assert left == []                                            # the sample table is dropped
    assert sampled_model != full_model                           # it did learn from other records
    assert sampled["pair_precision"] >= 0.98 and sampled["pair_recall"] >= 0.9
    assert abs(sampled["pair_recall"] - full["pair_recall"]) < 0.02
    assert abs(sampled["pair_precision"] - full["pair_precision"]) < 0.01
