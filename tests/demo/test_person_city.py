"""The demo city core and the person group: determinism, valid identifiers, measured ground truth."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from stdnum.cn import ric, uscc

from shujian.demo.core import CityContext, Manifest, generate
from shujian.demo.evaluate import evaluate
from shujian.errors import InputError

MODELS = ("pension-during-custody", "benefits-after-death", "drunk-driving-licence",
          "community-correction-gaps", "medical-insurance-in-custody", "non-prosecution-follow-up")


def _digest(out: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(out.iterdir()):
        if p.suffix == ".parquet" or p.name in ("ground_truth.json", "near_misses.json", "manifest.json"):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate("small", 7, out, groups=["person"])
    return out


def test_same_seed_same_files(city: Path, tmp_path: Path) -> None:
    generate("small", 7, tmp_path, groups=["person"])
    assert _digest(tmp_path) == _digest(city)


def test_other_seed_other_data(tmp_path: Path) -> None:
    a, b = CityContext("small", 1, tmp_path / "a"), CityContext("small", 2, tmp_path / "b")
    a.use_group("person")
    b.use_group("person")
    assert list(a.people(20)["身份证号"]) != list(b.people(20)["身份证号"])


@pytest.mark.slow
def test_ground_truth_precision_and_recall_are_one(city: Path) -> None:
    report = {r["id"]: r for r in evaluate(city, MODELS)}
    assert set(report) == set(MODELS)
    for model_id, r in report.items():
        assert r["planted"] > 0, model_id
        assert (r["precision"], r["recall"]) == (1.0, 1.0), (model_id, r["false_positives"], r["missed"])
        assert r["near_misses"] > 0 and r["near_misses_flagged"] == [], model_id


def test_every_rule_has_a_planted_case_and_near_misses_are_recorded(city: Path) -> None:
    truth = json.loads((city / "ground_truth.json").read_text("utf-8"))
    rules = {m: {t["rule"] for t in truth[m]} for m in MODELS}
    assert rules == {"pension-during-custody": {"R1", "R2"}, "benefits-after-death": {"R1", "R2", "R3"},
                     "drunk-driving-licence": {"R1", "R2", "R3"}, "community-correction-gaps": {"R1", "R2"},
                     "medical-insurance-in-custody": {"R1"}, "non-prosecution-follow-up": {"R1", "R2"}}
    near = json.loads((city / "near_misses.json").read_text("utf-8"))
    assert all(len(near[m]) >= 4 for m in MODELS)


def test_resident_ids_are_valid_and_match_birth_dates(city: Path) -> None:
    manifest = Manifest.load(city)
    con = duckdb.connect()
    checked = 0
    for ds in manifest.datasets:
        for col, sem in ds.semantics.items():
            if sem != "id_number":
                continue
            ids = [r[0] for r in con.execute(
                f"SELECT DISTINCT \"{col}\" FROM read_parquet('{city / ds.file}') ORDER BY 1 LIMIT 3000").fetchall()]
            bad = [i for i in ids if not ric.is_valid(i)]
            assert not bad, (ds.name, col, bad[:5])
            checked += len(ids)
        if "出生日期" in [c["name"] for c in ds.columns]:
            rows = con.execute(f"SELECT 身份证号, 出生日期 FROM read_parquet('{city / ds.file}') LIMIT 3000").fetchall()
            assert all(ric.get_birth_date(i) == born for i, born in rows)
    assert checked > 20_000
    assert manifest.total_rows > 40_000


def test_companies_have_valid_uscc_and_people_realistic_names(tmp_path: Path) -> None:
    ctx = CityContext("small", 3, tmp_path)
    ctx.use_group("person")
    companies = ctx.companies(300)
    assert all(uscc.is_valid(c) for c in companies["统一社会信用代码"])
    assert len(set(companies["统一社会信用代码"])) == 300
    people = ctx.people(2000)
    assert len(set(people["身份证号"])) == 2000
    assert all(2 <= len(n) <= 4 for n in people["姓名"])
    assert sum(n.startswith(("王", "李", "张")) for n in people["姓名"]) > 200      # the commonest surnames


def test_write_keeps_one_schema_and_one_owner(tmp_path: Path) -> None:
    ctx = CityContext("small", 3, tmp_path)
    ctx.use_group("person")
    ctx.write("样例", [{"身份证号": "1", "金额": 1.0}], agency="测试")
    with pytest.raises(InputError, match="列与首次写入不一致"):
        ctx.write("样例", [{"身份证号": "2"}], agency="测试")
    ctx.use_group("justice")
    with pytest.raises(InputError, match="已由分组"):
        ctx.write("样例", [{"身份证号": "3", "金额": 2.0}], agency="测试")
    with pytest.raises(InputError, match="未知的演示规模"):
        CityContext("huge", 1, tmp_path)
