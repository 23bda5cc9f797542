"""Probabilistic person linkage (Fellegi–Sunter, trained by EM) with Splink on DuckDB.

Why Splink: it is the proven open implementation of the Fellegi–Sunter model (UK Ministry of
Justice, used on national registers), it generates SQL for DuckDB and Spark from one settings
object (our two engines), trains m/u probabilities unsupervised (EM + random sampling), supports
term-frequency adjustments (a match on 王伟 is weaker evidence than a match on 欧阳震华), and scales
by blocking.  What it lacks for Chinese we add: every comparison runs on normalised fields
(``entity.prepare``) and uses a *character* edit distance (``sj_char_lev``), never a byte one.

Comparisons (levels in order, each with its own m/u):

* 身份证号: exact · one character different (a mistyped digit) · same birth part and last four · other
* 姓名: exact (term-frequency adjusted) · one character different (homophone/shape typo) · other
* 出生日期: exact · day and month swapped · one digit different · same year · other
* 手机号: exact · other;  区划: exact · same city · other;  住址: token overlap ≥ 2/3 · ≥ 1/3 · other
* 性别: exact · other

Blocking (which pairs are compared at all) uses exact keys only — ID; name + birth date; pinyin +
birth date (homophones); name + swapped birth date (both ways); ID birth part + last four; name + phone;
pinyin + ID last four; name + address — so the work grows with the data, not its square.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import duckdb

from shujian.entity.prepare import register_udfs

log = logging.getLogger(__name__)

# Calibrated on the 100k synthetic population (docs/entity-resolution.md): at or above CERTAIN a
# link is taken as the same person; between REVIEW and CERTAIN it is linked but 待核实 and listed
# for human review; below REVIEW it is not linked.
CERTAIN = 0.99
REVIEW = 0.80

BLOCKING_RULES = (
    "l.id18 = r.id18",
    "l.name_n = r.name_n AND l.dob = r.dob",
    "l.name_py = r.name_py AND l.dob = r.dob",
    "l.name_n = r.name_n AND l.dob = r.dob_swap",
    "l.name_n = r.name_n AND l.dob_swap = r.dob",      # pairs keep l.unique_id < r.unique_id: both ways
    "l.id_dob = r.id_dob AND l.id_last4 = r.id_last4",
    "l.name_n = r.name_n AND l.phone = r.phone",
    "l.name_py = r.name_py AND l.id_last4 = r.id_last4",
    "l.name_n = r.name_n AND l.address_n = r.address_n",
)

# Comparison columns shown to reviewers and carried into clue evidence, with their Chinese labels.
COMPARED = {"id18": "身份证号", "name_n": "姓名", "dob": "出生日期", "phone": "手机号",
            "division": "区划", "addr_tokens": "住址", "sex": "性别"}


def _null(col: str) -> dict:
    return {"sql_condition": f"{col}_l IS NULL OR {col}_r IS NULL", "label_for_charts": "缺失",
            "is_null_level": True}


def _level(sql: str, label: str, **extra) -> dict:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _else() -> dict:
    return {"sql_condition": "ELSE", "label_for_charts": "不同"}


# Address token overlap (Jaccard) per dialect; Spark's levenshtein already counts characters.
_JACCARD = {
    "duckdb": ("len(list_intersect(addr_tokens_l, addr_tokens_r)) / "
               "greatest(len(list_distinct(list_concat(addr_tokens_l, addr_tokens_r))), 1)"),
    "spark": ("size(array_intersect(addr_tokens_l, addr_tokens_r)) / "
              "greatest(size(array_union(addr_tokens_l, addr_tokens_r)), 1)"),
}
_EMPTY = {"duckdb": "len", "spark": "size"}
LEVENSHTEIN = {"duckdb": "sj_char_lev", "spark": "levenshtein"}


def comparisons(dialect: str = "duckdb") -> list[dict]:
    """The comparison definitions (Splink dicts) in ``dialect`` ('duckdb' or 'spark')."""
    lev, jac, size = LEVENSHTEIN[dialect], _JACCARD[dialect], _EMPTY[dialect]
    return [
        {"output_column_name": "id18", "comparison_levels": [
            _null("id18"), _level("id18_l = id18_r", "相同"),
            _level(f"{lev}(id18_l, id18_r) <= 1", "差一位"),
            _level("id_dob_l = id_dob_r AND id_last4_l = id_last4_r", "出生段与后四位相同"), _else()]},
        {"output_column_name": "name_n", "comparison_levels": [
            _null("name_n"),
            _level("name_n_l = name_n_r", "相同", tf_adjustment_column="name_n", tf_adjustment_weight=1.0),
            _level(f"{lev}(name_n_l, name_n_r) <= 1 AND length(name_n_l) > 1", "差一字"), _else()]},
        {"output_column_name": "dob", "comparison_levels": [
            _null("dob"), _level("dob_l = dob_r", "相同"), _level("dob_l = dob_swap_r", "日月颠倒"),
            _level(f"{lev}(dob_l, dob_r) <= 1", "差一位"),
            _level("substr(dob_l, 1, 4) = substr(dob_r, 1, 4)", "同年"), _else()]},
        {"output_column_name": "phone", "comparison_levels": [
            _null("phone"), _level("phone_l = phone_r", "相同"), _else()]},
        {"output_column_name": "division", "comparison_levels": [
            _null("division"), _level("division_l = division_r", "相同"),
            _level("substr(division_l, 1, 4) = substr(division_r, 1, 4)", "同市"), _else()]},
        {"output_column_name": "addr_tokens", "comparison_levels": [
            {"sql_condition": f"addr_tokens_l IS NULL OR addr_tokens_r IS NULL OR {size}(addr_tokens_l) = 0 "
                              f"OR {size}(addr_tokens_r) = 0", "label_for_charts": "缺失", "is_null_level": True},
            _level(f"{jac} >= 0.66", "大部分相同"), _level(f"{jac} >= 0.33", "部分相同"), _else()]},
        {"output_column_name": "sex", "comparison_levels": [
            _null("sex"), _level("sex_l = sex_r", "相同"), _else()]},
    ]


def settings(dialect: str = "duckdb") -> dict:
    """Splink settings for deduplicating prepared person records (``entity.prepare``)."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons(dialect),
        "blocking_rules_to_generate_predictions": [{"blocking_rule": b} for b in BLOCKING_RULES],
        "retain_intermediate_calculation_columns": True,   # gamma_* levels: the "why" of a link
        "retain_matching_columns": True,
        "additional_columns_to_retain": ["source_ref", "source_row", "fingerprint"],
        "probability_two_random_records_match": 1e-5,
    }


@dataclass
class TrainingReport:
    seconds: float
    prior: float


def make_linker(con: duckdb.DuckDBPyConnection, table: str, model: dict | None = None):
    """A Splink linker over the prepared ``table`` (trained ``model`` settings, or untrained)."""
    from splink import DuckDBAPI, Linker

    register_udfs(con)
    db = DuckDBAPI(connection=con)
    df = db.register(table)
    if model is not None:   # trained m/u and prior from the model; blocking and columns from this code
        current = settings()
        model = {**model, **{k: current[k] for k in (
            "blocking_rules_to_generate_predictions", "additional_columns_to_retain",
            "retain_matching_columns", "retain_intermediate_calculation_columns")}}
    return Linker(df, model or settings(), log_level=logging.WARNING)


def train(linker, *, u_pairs: float = 1e6, em_sample: float = 0.3) -> None:
    """Unsupervised training: the prior from ID matches, u by random sampling, m by EM on two
    blockings (name + birth date trains the ID/phone/address levels; the ID trains name and date)."""
    linker.training.estimate_probability_two_random_records_match(["l.id18 = r.id18"], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
    for rule in ("l.name_n = r.name_n AND l.dob = r.dob", "l.id18 = r.id18"):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, record_sample_proportion=em_sample, estimate_without_term_frequencies=True)


def predict(linker, threshold: float = 0.01, con: duckdb.DuckDBPyConnection | None = None,
            out: str = "er_pairs_scored") -> str:
    """Score the blocked pairs and keep those with match probability ≥ ``threshold`` as ``out``."""
    df = linker.inference.predict(threshold_match_probability=threshold)
    if con is not None:
        con.execute(f'CREATE OR REPLACE TABLE "{out}" AS SELECT * FROM {df.physical_name}')
        return out
    return df.physical_name


def for_population(model: dict, records: int, model_records: int) -> dict:
    """The trained ``model``, whose prior (the chance that two random records are one person) was
    learnt on ``model_records`` records, carried over to ``records`` records.

    Each person has about the same number of records wherever the data comes from, so the matching
    pairs grow with the records and all pairs with their square: on ten times the records the prior
    is a tenth.  Kept, the larger population's namesakes with the same birth date and no ID number
    score as if they were ten times rarer than they are (the 100k model on 10M records: pairwise
    precision 0.9855 at 0.80).  Never raised: a small import is a slice of a larger population, not a
    population of its own.

    >>> m = for_population({"probability_two_random_records_match": 1e-5}, 10_000_000, 100_000)
    >>> round(m["probability_two_random_records_match"], 12)
    1e-07
    """
    if records <= model_records:
        return model
    key = "probability_two_random_records_match"
    return {**model, key: model[key] * model_records / records}


def for_dialect(model: dict, dialect: str) -> dict:
    """A trained model (Splink JSON) with its comparison SQL rewritten for ``dialect``; the trained
    m/u probabilities and the prior are kept, level by level."""
    out = json.loads(json.dumps(model))
    out["sql_dialect"] = dialect
    fresh = {c["output_column_name"]: c for c in comparisons(dialect)}
    for comp in out["comparisons"]:
        new_levels = fresh[comp["output_column_name"]]["comparison_levels"]
        for level, new in zip(comp["comparison_levels"], new_levels, strict=True):
            level["sql_condition"] = new["sql_condition"]
            level.pop("sql_dialect", None)
    for key in ("blocking_rules_to_generate_predictions",):
        out[key] = [{"blocking_rule": b["blocking_rule"]} for b in settings(dialect)[key]]
    return out
