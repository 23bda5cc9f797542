"""The quality report of an import tests a clean-form column's values for null markers only where
the CREATE's check bits say the normalised value differs from the delivered one — the same figures
as testing every value (the report recomputed over the finished table without that hint)."""

from __future__ import annotations

import random

from shujian.catalog import quality
from shujian.catalog.importer import APPROX_DISTINCT_ROWS, FLAG_PREFIX, ImportRequest
from shujian.catalog.schema import ColumnSchema
from shujian.catalog.service import CatalogService
from shujian.db.models import Dataset, DatasetVersion

MARKERS = ["无", " 无 ", "\u3000暂无\u3000", "NULL", " null", "-", "—", "N/A", "n/a ", "\u2003不详", "無資料", ""]
IDS = ["11010519491231002X", "11010519491231002x", "110105491231002", "１１０１０５１９４９１２３１００２Ｘ",
       " 11010519491231002X ", "110105-19491231-002X", "110105194912310021", "12345", "N A", "'11010519491231002X"]
NAMES = ["张三", "欧阳 娜娜", "阿卜杜·热合曼", "马•克", "Tom", "王", "N A", "n a", "Ｎ／Ａ", " 赵六 ", "李1", "暂 无"]
PHONES = ["13812345678", "+86 138-1234-5678", "12345", "１３８１２３４５６７８", "N A"]
USCCS = ["91110000600037341L", "91110000600037341l", "9111 0000 6000 37341L", "91110000600037341M", "N A"]


def _csv(path, n: int, seed: int) -> None:
    rnd = random.Random(seed)

    def pick(values: list[str]) -> str:
        v = rnd.choice(MARKERS) if rnd.random() < 0.2 else rnd.choice(values)
        return f'"{v}"' if "," in v else v

    # the first 300 rows clean, so that the sample makes every column its semantic type
    rows = [f"1101051949123100{i % 10}X,张三,1381234567{i % 10},91110000600037341L,备注{i}" for i in range(300)]
    rows += [f"{pick(IDS)},{pick(NAMES)},{pick(PHONES)},{pick(USCCS)},{pick(['备注', '说明'])}" for _ in range(n)]
    path.write_text("身份证号,姓名,手机号,统一社会信用代码,备注\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_narrowed_marker_test_gives_the_report_of_the_full_test(ws, tmp_path, monkeypatch) -> None:
    sqls: list[str] = []
    read = quality._read_aggregate

    def logged(con, sql):
        sqls.append(sql)
        return read(con, sql)

    monkeypatch.setattr(quality, "_read_aggregate", logged)
    for seed in (1, 2):
        path = tmp_path / f"people{seed}.csv"
        _csv(path, 3000, seed)
        res = CatalogService(ws).import_file(ImportRequest(name=f"people{seed}", path=path))
        assert {c.name: c.semantic for c in res.columns} == {
            "身份证号": "id_number", "姓名": "person_name", "手机号": "phone", "统一社会信用代码": "uscc", "备注": "text"}
        with ws.db.unit_of_work() as s:
            ds = s.query(Dataset).filter_by(name=f"people{seed}").one()
            stored = s.query(DatasetVersion).filter_by(dataset_id=ds.id).one().quality
        cols = [ColumnSchema(c.name, c.dtype, c.semantic) for c in res.columns]
        with ws.warehouse(read_only=True) as con:
            names = [r[0] for r in con.execute(f'DESCRIBE "{res.relation}"').fetchall()]
            full = quality.quality_report(con, res.relation, cols, normalised=True, today=quality.date.fromisoformat(
                stored["today"]), approx_distinct_above=APPROX_DISTINCT_ROWS, lines=stored.get("lines"))
        assert not [n for n in names if n.startswith(FLAG_PREFIX)]   # dropped after the report
        for name, entry in full["columns"].items():
            got = {k: v for k, v in stored["columns"][name].items() if k != "null_markers"}
            assert got == entry, name
        assert stored["duplicates"] == full["duplicates"]
        assert full["columns"]["姓名"]["nulls"] > 0 and full["columns"]["身份证号"]["invalid"] > 0
    # the import's aggregate tested the four clean-form columns for markers under their check bit
    hinted = [s for s in sqls if FLAG_PREFIX in s]
    assert len(hinted) == 2 and all(s.count(f'"{FLAG_PREFIX}0" &') == 4 for s in hinted)
