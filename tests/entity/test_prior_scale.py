"""A model carried to a larger population keeps its evidence but not its prior (linker.for_population).

The shipped model learnt its prior on 100 000 records; on a province's 10 000 000 two records that
agree on name and birth date, one of them without an ID number, are far more often two namesakes.
Kept unscaled, such pairs were linked (pairwise precision 0.9855 at 10M on Spark); scaled, they fall
to review or below while a pair with the same ID number stays certain."""

from __future__ import annotations

import duckdb

from shujian.entity import linker as lk
from shujian.entity.pipeline import link
from shujian.entity.prepare import PersonSource
from shujian.entity.service import SHIPPED_RECORDS, shipped_model
from shujian.entity.synthetic import generate_population

FIELDS = {"name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "sex": "性别"}
ROWS = [  # 姓名, 身份证号, 出生日期, 性别
    ("周芳", "36088119440607394X", "1944-06-07", "女"),   # namesakes with one birth date, one ID missing
    ("周芳", None, "1944-06-07", "女"),
    ("陈建国", "330281194810135972", "1948-10-13", "男"),  # the same ID number, one name mistyped
    ("陈建果", "330281194810135972", "1948-10-13", "男"),
]


def _probabilities(model: dict) -> dict[str, float]:
    """The two pairs' probabilities among 2 000 synthetic records (realistic name frequencies)."""
    con = duckdb.connect()
    con.register("pop_arrow", generate_population(2000, seed=11))
    con.execute(f"CREATE TABLE src AS SELECT record_id AS _row_id, {', '.join(FIELDS.values())} FROM pop_arrow")
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?, ?)",
                    [(10_000 + i, name, pid, dob, sex) for i, (name, pid, dob, sex) in enumerate(ROWS)])
    link(con, [PersonSource("src", FIELDS, name="测试")], model=model)
    rows = con.execute("""SELECT l.source_row, p.match_probability FROM er_pairs p
                          JOIN er_person_input l ON l.unique_id = p.unique_id_l
                          JOIN er_person_input r ON r.unique_id = p.unique_id_r
                          WHERE l.source_row >= 10000 AND r.source_row >= 10000""").fetchall()
    return {"namesakes" if row == 10_000 else "same_id": prob for row, prob in rows}


def test_namesakes_without_id_are_not_linked_on_a_province_while_the_same_id_stays_certain():
    shipped = shipped_model()
    district = _probabilities(lk.for_population(shipped, 50_000, SHIPPED_RECORDS))      # unchanged: smaller
    province = _probabilities(lk.for_population(shipped, 10_000_000, SHIPPED_RECORDS))
    assert district["namesakes"] >= lk.REVIEW                 # what the 10M run linked, wrongly or not
    assert province["namesakes"] < lk.REVIEW                  # 100× the population: not linked
    assert district["same_id"] >= lk.CERTAIN and province["same_id"] >= lk.CERTAIN


def test_prior_is_scaled_down_only():
    model = {"probability_two_random_records_match": 2e-5, "comparisons": []}
    assert lk.for_population(model, 1_000, SHIPPED_RECORDS) is model
    assert lk.for_population(model, 1_000_000, SHIPPED_RECORDS)["probability_two_random_records_match"] == 2e-6
