"""Parsed judgments loaded into a real catalog workspace (DuckDB warehouse, SQLite/PostgreSQL metadata)."""

from __future__ import annotations

import pytest

from shujian.documents import parse_judgment
from shujian.documents.catalog_import import arrow_tables, import_judgments

from .test_golden import FIXTURES

catalog_service = pytest.importorskip("shujian.catalog.service")

NAMES = ("control_and_deprivation.txt", "death_penalty_two_counts.txt", "unit_and_exemption.txt")


def _records():
    return [parse_judgment((FIXTURES / n).read_text(encoding="utf-8"), n) for n in NAMES]


def test_arrow_tables_are_typed():
    tables = arrow_tables(_records())
    people = tables["刑事判决被告人"]
    assert people.num_rows == 5
    assert str(people.schema.field("判决日期").type) == "date32[day]"
    assert str(people.schema.field("刑期月数").type) == "int64"
    assert str(people.schema.field("累犯").type) == "bool"
    assert tables["刑事判决前科"].num_rows == 1


def test_import_into_catalog(ws):
    service = catalog_service.CatalogService(ws)
    results = import_judgments(service, _records(), prefix="t_")
    assert {name: r.rows for name, r in results.items()} == {"t_刑事判决被告人": 5, "t_刑事判决罪名": 7,
                                                             "t_刑事判决前科": 1}
    columns = {c["name"]: c for c in service.describe("t_刑事判决被告人")["columns"]}
    assert columns["案号"]["semantic"] == "case_number"
    assert columns["身份证号"]["semantic"] == "id_number"
    with ws.warehouse() as con:
        relation = service.resolve("t_刑事判决被告人").relation
        rows = con.execute(f'SELECT "姓名", "刑期月数", "剥夺政治权利终身" FROM "{relation}" ORDER BY "文书编号", "被告人序号"').fetchall()
    assert ("赵甲", None, True) in rows and ("秦酉", 36, False) in rows
