"""The justice group of the demo city: contract columns, and ground truth found with P = R = 1.0."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shujian.demo.core import Manifest, generate
from shujian.demo.evaluate import evaluate

MODELS = ("probation-misuse", "accessory-penalty", "frequent-lending-plaintiff", "migrant-wage-guarantee",
          "prepaid-card-complaints", "gang-repeat-offenders")
CONTRACT = {
    "刑事判决被告人": "文书编号, 案号, 法院, 审理程序, 判决日期, 公诉机关, 被告人序号, 姓名, 性别, 出生日期, 身份证号, "
                "罪名, 刑种, 刑期月数, 缓刑月数, 罚金元, 没收财产, 剥夺政治权利月数, 剥夺政治权利终身, 累犯, 自首, 立功, "
                "坦白, 从犯, 主犯, 未成年, 认罪认罚, 首要分子, 刑期起始, 刑期截止, 犯罪日期, 犯罪时年龄",
    "刑事判决罪名": "文书编号, 案号, 被告人序号, 姓名, 身份证号, 罪名, 刑种, 刑期月数, 罚金元, 没收财产, "
                "剥夺政治权利月数, 剥夺政治权利终身, 犯罪日期, 判决日期, 合并判处罚金元, 合并判处没收财产, "
                "合并判处剥夺政治权利",
    "刑事判决前科": "文书编号, 案号, 被告人序号, 姓名, 身份证号, 前科罪名, 前科刑种, 前科刑期月数, 释放日期, "
                "前科缓刑月数, 前科判决日期",
}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("justice-city")
    generate("small", 11, out, groups=["justice"])
    return out


def test_judgment_tables_have_the_contract_columns(city: Path) -> None:
    manifest = Manifest.load(city)
    files = {d.name: d.file for d in manifest.datasets}
    for name, cols in CONTRACT.items():
        assert pq.read_schema(city / files[name]).names == [c.strip() for c in cols.split(",")]


def test_size_is_about_half_of_small(city: Path) -> None:
    total = Manifest.load(city).total_rows
    assert 35_000 <= total <= 70_000


def test_ground_truth_found_with_precision_and_recall_one(city: Path) -> None:
    report = {r["id"]: r for r in evaluate(city, list(MODELS))}
    for model_id in MODELS:
        r = report[model_id]
        assert r["planted"] >= 3, model_id
        assert (r["precision"], r["recall"]) == (1.0, 1.0), (model_id, r["false_positives"], r["missed"])


def test_near_misses_are_planted_apart_from_the_truth(city: Path) -> None:
    """Precision 1.0 above means nothing outside the truth is flagged; near-misses must lie outside it."""
    near = json.loads((city / "near_misses.json").read_text("utf-8"))
    truth = json.loads((city / "ground_truth.json").read_text("utf-8"))
    for model_id in MODELS:
        misses = {n["subject"] for n in near[model_id]}
        assert len(misses) >= 3, model_id
        assert not misses & {t["subject"] for t in truth[model_id]}, model_id


def test_same_seed_same_city(city: Path, tmp_path: Path) -> None:
    generate("small", 11, tmp_path, groups=["justice"])
    assert (tmp_path / "ground_truth.json").read_text("utf-8") == (city / "ground_truth.json").read_text("utf-8")
