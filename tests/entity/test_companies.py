"""Company subjects: one company across agencies by credit code, then by name key (待核实)."""

from __future__ import annotations

import pyarrow as pa

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.entity.service import EntityService


def _valid(body17: str) -> str:
    from stdnum.cn import uscc
    return body17 + uscc.calc_check_digit(body17)


def test_companies_link_by_code_and_name_key(sqlite_ws):
    a, b = _valid("91330106MA2B0K3T0"), _valid("91330108MA2C1L4U1")
    svc = CatalogService(sqlite_ws)
    svc.import_arrow(ImportRequest(name="市场主体登记", agency="市场监管局"), pa.table({
        "单位名称": ["杭州某某科技有限公司", "杭州某某餐饮有限公司", "上海某某科技有限公司"],
        "统一社会信用代码": [a, b, _valid("91310101MA1D2M5W2")],
        "住所": ["杭州市西湖区文三路1号", "杭州市滨江区江南大道2号", "上海市黄浦区南京东路3号"]}))
    svc.import_arrow(ImportRequest(name="12345商户", agency="市民热线"), pa.table({
        "商户名称": ["杭州某某科技有限責任公司（西湖分公司）", "杭州 某某餐饮（有限公司）", "杭州某某教育培训学校"],
        "统一社会信用代码": [None, b.lower(), None]}))
    r = EntityService(sqlite_ws).link_companies({"市场主体登记": None, "12345商户": None})
    assert r["records"] == 6 and r["subjects"] == 4
    with sqlite_ws.warehouse() as wh:
        sub = dict(((n, i), s) for n, i, s in wh.execute(
            "SELECT source_name, source_row, subject_id FROM er_members WHERE kind = 'company'").fetchall())
        bands = dict(wh.execute("SELECT band, count(*) FROM er_pairs WHERE kind = 'company' GROUP BY band").fetchall())
    assert sub[("12345商户", 1)] == sub[("市场主体登记", 1)]          # name key only → linked, 待核实
    assert sub[("12345商户", 2)] == sub[("市场主体登记", 2)]          # credit code (lower-case) → 确定
    assert sub[("市场主体登记", 3)] != sub[("市场主体登记", 1)]       # 上海某某科技 is another company
    assert all(s.startswith("C") for s in sub.values())
    assert bands == {"review": 1, "linked": 1}
    queue = EntityService(sqlite_ws).review_queue()
    assert len(queue) == 1 and queue[0]["kind"] == "company"
