from __future__ import annotations

import copy
from typing import Any

import duckdb
import pytest

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.spec import load_model

C = ColumnSchema

TABLES: dict[str, tuple[str, list[ColumnSchema], list[tuple]]] = {
    "监所在押人员": ("ds_custody", [C("身份证号", semantic="id_number"), C("姓名"), C("羁押性质"),
                                  C("入所日期", "DATE"), C("出所日期", "DATE")], [
        (1, "A", "甲", "逮捕", "2023-01-10", "2023-06-01"),
        (2, "B", "乙", "行政拘留", "2023-01-10", "2023-06-01"),
        (3, "C", "丙", "逮捕", "2023-01-10", None),
    ]),
    "养老金发放": ("ds_pension", [C("身份证号", semantic="id_number"), C("发放年月", "DATE"),
                                 C("发放金额", "DECIMAL(18,2)")],
                  [(i, p, f"2023-{m:02d}-01", 100 + m) for i, (p, m) in
                   enumerate([(p, m) for p in "ABCD" for m in range(1, 13)], 1)]),
    "12345工单": ("ds_tickets", [C("工单编号"), C("被反映商户"), C("诉求内容"), C("受理日期", "DATE")], [
        (1, "T1", "美容店", "办了预付卡，老板跑路了", "2024-01-05"),
        (2, "T2", "美容店", "会员卡充值后关门，不退费", "2024-01-20"),
        (3, "T3", "美容店", "储值卡无法使用，要求退费", "2024-02-01"),
        (4, "T4", "健身房", "预付卡跑路", "2024-01-07"),
        (5, "T5", "面馆", "噪音扰民", "2024-01-09"),
        (6, "T6", None, "预付卡跑路", "2024-01-09"),
        (7, "T7", "书店", "办了预付卡，店铺关门不退", "2024-03-01"),
        (8, "T8", "书店", "会员卡跑路", "2024-03-02"),
        (9, "T9", "书店", "充值卡关门", "2024-03-03"),
    ]),
    "预付卡备案": ("ds_filings", [C("商户名称"), C("备案日期", "DATE")], [(1, "健身房", "2023-01-01"),
                                                                    (2, "书店", "2023-05-01")]),
    "警情人员": ("ds_events", [C("事件编号"), C("身份证号", semantic="id_number"), C("发生日期", "DATE")], [
        (1, "E1", "P1", "2023-01-01"), (2, "E1", "P2", "2023-01-01"),
        (3, "E2", "P2", "2023-02-01"), (4, "E2", "P3", "2023-02-01"),
        (5, "E3", "P3", "2023-03-01"), (6, "E3", "P4", "2023-03-01"),
        (7, "E4", "P5", "2023-04-01"), (8, "E4", "P6", "2023-04-01"),
        (9, "E5", "P7", "2023-05-01"),
    ]),
    "人员": ("ds_people", [C("身份证号", semantic="id_number"), C("姓名"), C("出生日期", "DATE"),
                         C("死亡日期", "DATE"), C("存款", "DOUBLE"), C("备注")], [
        (1, "A", "张三", "1950-03-15", None, 1000.5, "  低保 户  "),
        (2, "B", "李四", "1940-12-01", "2023-03-10", 20.0, None),
        (3, "C", "王五", "1960-07-20", "2023-08-01", 0.0, "无"),
    ]),
}


def make_catalog() -> CatalogSchema:
    cat = CatalogSchema()
    for name, (relation, cols, _rows) in TABLES.items():
        cat.add(DatasetSchema(name, relation, tuple(cols), version=1))
    return cat


@pytest.fixture(scope="module")
def demo_city(small_city):
    """The small demo city loaded into DuckDB: (connection, catalog) — for whole-library checks (each module
    its own connection on the process's one generated city, tests/conftest.small_city)."""
    from shujian.demo.evaluate import load_city

    con, catalog = load_city(small_city)
    yield con, catalog
    con.close()


@pytest.fixture(scope="session")
def catalog() -> CatalogSchema:
    return make_catalog()


@pytest.fixture(scope="session")
def con() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    for _name, (relation, cols, rows) in TABLES.items():
        defs = ", ".join(f'"{c.name}" {c.dtype}' for c in cols)
        conn.execute(f"CREATE TABLE {relation} (_row_id BIGINT, {defs})")
        marks = ", ".join("?" for _ in range(len(cols) + 1))
        conn.executemany(f"INSERT INTO {relation} VALUES ({marks})", rows)
    return conn


INPUTS = {
    "custody": {"dataset": "监所在押人员", "fields": {"person": "身份证号", "name": "姓名", "kind": "羁押性质",
                                                 "start": "入所日期", "end": "出所日期"}},
    "pension": {"dataset": "养老金发放", "fields": {"person": {"semantic": "id_number"},
                                               "month": "发放年月", "amount": "发放金额"}},
    "tickets": {"dataset": "12345工单", "fields": {"no": "工单编号", "merchant": "被反映商户",
                                                "content": "诉求内容", "date": "受理日期"}},
    "filings": {"dataset": "预付卡备案", "fields": {"merchant": "商户名称", "filed": "备案日期"}},
    "events": {"dataset": "警情人员", "fields": {"event": "事件编号", "person": "身份证号", "date": "发生日期"}},
    "people": {"dataset": "人员", "fields": {"person": "身份证号", "name": "姓名", "birth": "出生日期",
                                           "death": "死亡日期", "savings": "存款", "note": "备注"}},
}


def model(steps: list[dict], *, key: str = "person", roles: tuple[str, ...] = ("people",),
          params: dict | None = None, title: str | None = None, sort: str | None = None,
          **output: Any) -> dict:
    """A minimal model dict around ``steps`` (``sort``: the column ``run`` orders rows by)."""
    return {**({"__sort": sort} if sort else {}),
        "id": "t", "name": "测试模型", "line": "测试", "point": "测试",
        "params": params or {},
        "inputs": {r: copy.deepcopy(INPUTS[r]) for r in roles},
        "steps": steps,
        "output": {"subject": {"type": "person", "key": key}, "title": title or f"{{{key}}}", **output},
    }


def run(con, catalog, spec: dict, params: dict | None = None, sort: str | None = None) -> list[dict]:
    spec = dict(spec)
    sort = sort or spec.pop("__sort", None)
    compiled = compile_model(load_model(spec), catalog, "duckdb", params=params)
    cur = con.execute(compiled.sql, compiled.parameters)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    key = sort or spec["output"]["subject"]["key"]
    return sorted(rows, key=lambda r: (str(r.get(key)), str(r.get(spec["output"]["subject"]["key"]))))
