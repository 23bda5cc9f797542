"""Every built-in model runs through a 数据绑定 on datasets whose names and columns all differ from the
demo's, and finds exactly what it finds on the demo names; the automatic proposal finds the binding.

The small demo city is loaded once into DuckDB; the renamed datasets are views over the same tables
(same rows, same row ids), so the outputs must be identical row for row.  The binding goes through the
same check and rename pass a run uses (``bindings.check`` + ``apply_binding``), then the real compiler.
"""

from __future__ import annotations

import pytest
from tests.compiler.conftest import demo_city  # noqa: F401  (the small demo city in DuckDB, per module)

from shujian.bindings import apply_binding, expectations, propose, validate
from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.demo.evaluate import run_model_on
from shujian.models_library import get_model, list_ids

# realistic renames (an agency's own wording); anything not covered gets a suffix, so every name differs
WORDS = [("统一社会信用代码", "社会信用代码"), ("身份证号", "公民身份号码"), ("姓名", "人员姓名"), ("日期", "时间"),
         ("编号", "编码"), ("名称", "全称"), ("金额", "款额"), ("案号", "案件字号"), ("文号", "文书字号"),
         ("案由", "案件事由")]


def agency_name(column: str) -> str:
    out = column
    for old, new in WORDS:
        out = out.replace(old, new)
    return out if out != column else column + "信息"


def opaque_name(column: str, index: int) -> str:
    return f"第{index + 1:02d}列"


def renamed_catalog(con, catalog: CatalogSchema, prefix: str, dataset_name, column_name):
    """Views over every demo table with new dataset and column names; returns (catalog, {old: (new, cols)})."""
    out, names = CatalogSchema(), {}
    for i, ds in enumerate(catalog.datasets.values()):
        cols = {c.name: column_name(c.name, j) for j, c in enumerate(ds.columns)}
        select = ", ".join(f'"{old}" AS "{new}"' for old, new in cols.items())
        con.execute(f'CREATE VIEW {prefix}_{i} AS SELECT _row_id, {select} FROM {ds.relation}')
        new = dataset_name(ds.name, i)
        out.add(DatasetSchema(new, f"{prefix}_{i}", tuple(ColumnSchema(cols[c.name], c.dtype, c.semantic)
                                                           for c in ds.columns), version=1))
        names[ds.name] = (new, cols)
    return out, names


@pytest.fixture(scope="module")
def city(demo_city):  # noqa: F811  (the fixture imported above)
    con, catalog = demo_city
    opaque = renamed_catalog(con, catalog, "opq", lambda n, i: f"外部导出{i + 1:02d}", opaque_name)
    agency = renamed_catalog(con, catalog, "agy", lambda n, i: f"{n}登记表", lambda c, j: agency_name(c))
    return con, catalog, opaque, agency


def binding_for(model, names: dict) -> dict:
    """The binding a user would write: each role → its renamed dataset, each field → its renamed column."""
    out = {}
    for role, inp in model.inputs.items():
        new, cols = names[inp.dataset]
        out[role] = {"dataset": new, "fields": {f: cols[b if isinstance(b, str) else b.column]
                                                for f, b in inp.fields.items()}}
    return out


def canonical(rows: list[dict]) -> list[str]:
    return sorted(repr(sorted(r.items())) for r in rows)


@pytest.mark.parametrize("model_id", list_ids())
def test_builtin_model_runs_through_a_binding_on_data_named_otherwise(city, model_id):
    con, demo, (renamed, names), _ = city
    model = get_model(model_id)
    on_demo = run_model_on(con, demo, model)
    assert on_demo, f"{model_id} finds nothing on the demo city: the comparison would prove nothing"
    inputs = binding_for(model, names)
    used = {inputs[r]["dataset"] for r in model.inputs} | {c for v in inputs.values() for c in v["fields"].values()}
    demo_names = set(demo.datasets) | {c.name for ds in demo.datasets.values() for c in ds.columns}
    assert not used & demo_names                              # every dataset and column name differs

    assert run_model_on_or_error(con, renamed, model) is not None   # unbound: the model cannot find its data
    res = validate(model, inputs, renamed, expectations(model, demo))
    assert res.ok, [i.message for i in res.issues]
    on_export = run_model_on(con, renamed, apply_binding(model, res.inputs))
    assert canonical(on_export) == canonical(on_demo)


def run_model_on_or_error(con, catalog, model) -> str | None:
    from shujian.errors import ValidationFailed

    try:
        run_model_on(con, catalog, model)
    except ValidationFailed as exc:
        assert "不在目录中" in exc.message
        return exc.message
    return None


@pytest.mark.parametrize("model_id", list_ids())
@pytest.mark.parametrize("known", [True, False], ids=["demo-types-known", "names-only"])
def test_automatic_proposal_finds_the_binding_on_agency_names(city, model_id, known):
    """The proposal (semantic types, names, types) picks every dataset and column right, whether the
    model's own datasets are catalogued here (their types known) or only the model's names are."""
    con, demo, _, (renamed, names) = city
    model = get_model(model_id)
    expect = expectations(model, demo if known else CatalogSchema())
    proposed, rows = propose(model, {}, renamed, expect)
    assert proposed == binding_for(model, names)
    assert all(r.column for r in rows if r.field != "（数据集）")
