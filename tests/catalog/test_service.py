"""CatalogService: resolution of versions, schema for the compiler, levels, jobs, suggestions."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.errors import InputError, NotFound


def add(svc: CatalogService, name: str, table: pa.Table, **kw) -> int:
    return svc.import_arrow(ImportRequest(name=name, **kw), table).version


@pytest.fixture
def svc(ws) -> CatalogService:
    s = CatalogService(ws)
    add(s, "养老金发放", pa.table({"身份证号": ["11010519491231002X"], "金额": [1]}))
    add(s, "养老金发放", pa.table({"身份证号": ["110105198001010016", "11010519491231002x"], "金额": [2, 3],
                                "发放年月": pa.array([date(2023, 1, 1), date(2023, 2, 1)], pa.date32())}))
    add(s, "在押人员", pa.table({"身份证号": ["11010519491231002X"], "入所日期": ["2023-01-01"]}), level="敏感")
    return s


def test_list_and_resolve(svc):
    listing = {d["name"]: d for d in svc.list_datasets()}
    assert listing["养老金发放"]["versions"] == 2 and listing["养老金发放"]["rows"] == 2
    assert listing["在押人员"]["level"] == "敏感"
    ref = svc.resolve("养老金发放")
    assert (ref.version, ref.relation.startswith("ds_")) == (2, True)
    assert svc.resolve("养老金发放", 1).version == 1


def test_arrow_text_keeps_declared_type_but_is_normalised(svc):
    # Arrow and Parquet declare their types: text stays text (no inference), semantics still apply
    with svc.ws.warehouse() as con:
        got = con.execute(f'SELECT "身份证号" FROM {svc.resolve("养老金发放").relation} ORDER BY _row_id').fetchall()
    assert got == [("110105198001010016",), ("11010519491231002X",)]


def test_schema_for_the_compiler(svc):
    cat = svc.schema()
    ds = cat.get("养老金发放")
    assert ds.column_names == ["身份证号", "金额", "发放年月"]
    assert ds.column("身份证号").semantic == "id_number" and ds.column("金额").dtype == "BIGINT"
    assert ds.column("发放年月").dtype == "DATE"
    assert cat.get("在押人员").level == "敏感"
    assert list(svc.schema(["在押人员"]).datasets) == ["在押人员"]
    with pytest.raises(NotFound):
        svc.schema(["养老金发放"], {"养老金发放": 7})


def test_schema_and_listing_read_every_dataset_in_a_fixed_number_of_statements(svc):
    """Versions and columns are read for all datasets at once (they were two statements per dataset on
    every compile, run and data page); the answers stay the per-dataset ones."""
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def reads(call) -> tuple[int, object]:
        statements.clear()
        event.listen(svc.ws.db.engine, "before_cursor_execute", count)
        try:
            result = call()
        finally:
            event.remove(svc.ws.db.engine, "before_cursor_execute", count)
        return len(statements), result

    few_schema, _ = reads(svc.schema)
    few_list, _ = reads(svc.list_datasets)
    for i in range(4):
        add(svc, f"第{i}个", pa.table({"编号": [i]}))
    add(svc, "第0个", pa.table({"编号": [9], "备注": ["二"]}))
    svc.pin("第0个", 1)
    many_schema, cat = reads(svc.schema)
    many_list, listing = reads(svc.list_datasets)
    assert (many_schema, many_list) == (few_schema, few_list)
    assert cat.get("第0个").column_names == ["编号"] and cat.get("第0个").version == 1     # pinned
    assert svc.schema(["第0个"], {"第0个": 2}).get("第0个").column_names == ["编号", "备注"]
    assert {d["name"]: d["versions"] for d in listing}["第0个"] == 2
    with pytest.raises(NotFound, match="没有第 0 版"):
        svc.schema(["第0个"], {"第0个": 0})


def test_set_level_and_seal(svc):
    assert svc.set_level("养老金发放", "核心", sealed=True) == {"name": "养老金发放", "level": "核心", "sealed": True}
    assert svc.schema().get("养老金发放").sealed is True
    with pytest.raises(InputError, match="分级"):
        svc.set_level("养老金发放", "机密")


def test_not_found_suggests_a_name(svc):
    with pytest.raises(NotFound) as exc:
        svc.describe("养老金")
    assert "养老金发放" in exc.value.hint
    with pytest.raises(NotFound, match="没有第 3 版"):
        svc.preview("养老金发放", 3)


def test_jobs_record_success_and_failure(svc, tmp_path):
    (tmp_path / "e.csv").write_text("a\n", encoding="utf-8")
    with pytest.raises(InputError):
        svc.import_file(ImportRequest(name="坏", path=tmp_path / "e.csv"))
    jobs = svc.jobs()
    assert jobs[0]["status"] == "failed" and "只有表头" in jobs[0]["error"]
    assert [j["status"] for j in jobs[1:]] == ["succeeded"] * 3


def test_preview_order_and_limit(svc):
    cols, rows = svc.preview("养老金发放", limit=1)
    assert cols == ["身份证号", "金额", "发放年月"] and len(rows) == 1 and rows[0][0] == "110105198001010016"
