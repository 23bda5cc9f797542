"""A tiny pension/custody city in a real workspace, shared by the engine tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.spec import load_model

MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "models" / "pension_during_custody.yaml"
IN_CUSTODY = "11010519491231002X"   # in custody from 2023-01-10, still inside
RELEASED = "110105194912310021"     # in custody 2022-01-01 .. 2022-06-01
NEVER = "110101198001010053"        # never in custody


def _load(ws, name: str, table: pa.Table) -> None:
    CatalogService(ws).import_arrow(ImportRequest(name=name, agency="测试单位", semantics={"身份证号": "id_number"}),
                                    table)


@pytest.fixture
def pension_model():
    return load_model(MODEL)


@pytest.fixture
def tiny_city(sqlite_ws):
    _load(sqlite_ws, "监所在押人员", pa.table({
        "身份证号": [IN_CUSTODY, RELEASED], "姓名": ["张三", "李四"],
        "入所日期": [date(2023, 1, 10), date(2022, 1, 1)], "出所日期": [None, date(2022, 6, 1)],
        "羁押性质": ["逮捕", "有期徒刑以上执行"]}))
    rows = [(IN_CUSTODY, date(2023, m, 1), 3000.0) for m in range(1, 7)]
    rows += [(RELEASED, date(2022, m, 1), 2000.0) for m in range(1, 9)]
    rows += [(NEVER, date(2023, m, 1), 1000.0) for m in range(1, 4)]
    _load(sqlite_ws, "养老金发放", pa.table({
        "身份证号": [r[0] for r in rows], "姓名": ["某"] * len(rows),
        "发放年月": pa.array([r[1] for r in rows], pa.date32()), "发放金额": [r[2] for r in rows]}))
    return sqlite_ws


from parity.conftest import spark  # noqa: E402,F401  one local SparkSession, same skip policy
