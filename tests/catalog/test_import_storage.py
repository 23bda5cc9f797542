"""How a CSV's version is written: the delivered copy of an identifier column (``_raw_身份证号``,
``importer.PLAIN_RAW``) is stored uncompressed — its values are unique, and compressing them cost
more CPU than the rest of the column's write — with the same values; the staging view is bound
(the file sniffed) once."""

from __future__ import annotations

import csv

from stdnum.cn import ric

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService


def _ids(n: int) -> list[str]:
    out = []
    for i in range(n):
        body = f"110105{19500101 + (i % 28) + 100 * (i // 28 % 12):08d}{i % 1000:03d}"
        out.append(body + ric.calc_check_digit(body + "0"))
    return out


def test_the_raw_copy_of_an_id_column_is_stored_uncompressed(sqlite_ws, tmp_path, warehouse_log):
    ids = _ids(3000)
    delivered = [f" {v.lower()} " if i % 50 == 0 else v for i, v in enumerate(ids)]    # 2 % to normalise
    path = tmp_path / "people.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["身份证号", "姓名", "备注"])
        w.writerows([v, "张三", f"第{i}条"] for i, v in enumerate(delivered))
    res = CatalogService(sqlite_ws).import_file(ImportRequest(name="people", path=path))
    assert sum(s.startswith("CREATE TEMP VIEW") or s.startswith("CREATE OR REPLACE TEMP VIEW")
               for s in warehouse_log) == 1
    with sqlite_ws.warehouse() as con:
        con.execute("CHECKPOINT")
        rows = con.execute(f'SELECT "身份证号", "_raw_身份证号" FROM "{res.relation}" ORDER BY _row_id').fetchall()
        storage = dict(con.execute(
            f"SELECT column_name, list(DISTINCT compression) FROM pragma_storage_info('{res.relation}') "
            f"WHERE segment_type = 'VARCHAR' GROUP BY ALL").fetchall())
    assert rows == list(zip(ids, delivered, strict=True))
    assert storage["_raw_身份证号"] == ["Uncompressed"]
    assert "Uncompressed" not in storage["身份证号"]      # the column models read stays compressed
