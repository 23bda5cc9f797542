"""A small hand-made set of person records from three agencies with known answers."""

from __future__ import annotations

import pyarrow as pa

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService

# 公安户籍: ID numbers, one row per person.  truth: the person each row belongs to.
HUJI = [
    ("张伟", "110105198003150011", "1980-03-15", "男", "13800000001", "北京市朝阳区建国路1号", "A"),
    ("张伟", "110108198507220036", "1985-07-22", "男", "13800000002", "北京市海淀区中关村大街5号", "B"),
    ("陈伟", "330106197012010019", "1970-12-01", "男", "13700000003", "浙江省杭州市西湖区文三路9号", "C"),
    ("王芳", "320102199002030020", "1990-02-03", "女", "13900000004", "江苏省南京市玄武区北京东路8号", "D"),
    ("李娜", "440103198811110042", "1988-11-11", "女", "13600000005", "广东省广州市荔湾区龙津路2号", "E"),
    ("欧阳震华", "110101196504050017", "1965-04-05", "男", "13500000006", "北京市东城区王府井大街3号", "F"),
]
# 法院判决 (parsed judgments): no ID numbers.
PANJUE = [
    ("張偉", "1980年3月15日", "男", "北京市朝阳区建国路1号", "A"),          # traditional
    ("张伟", "1985年7月22日", "男", "北京市海淀区中关村大街5号", "B"),      # the other 张伟
    ("陳偉", "1970年12月1日", "男", "浙江省杭州市西湖区文三路9号", "C"),    # traditional
    ("王芳", "1990年3月2日", "女", "江苏省南京市玄武区北京东路8号", "D"),  # day/month swapped
    ("王芳", "1975年6月6日", "女", "江苏省南京市鼓楼区中山路1号", "G"),    # a namesake, not in 户籍
    ("李那", "1988年11月11日", "女", "广东省广州市荔湾区龙津路2号", "E"),  # homophone typo
]
# 社保参保: old 15-digit IDs and a mistyped digit.
SHEBAO = [
    ("陈伟", "330106701201001", "13700000003", "C"),                       # 15-digit
    ("欧阳震华", "110101196504050018", "13500000006", "F"),               # last digit mistyped
    ("张伟", "110105198003150011", None, "A"),
]

TRUTH = {("公安户籍", i + 1): r[-1] for i, r in enumerate(HUJI)}
TRUTH |= {("法院判决", i + 1): r[-1] for i, r in enumerate(PANJUE)}
TRUTH |= {("社保参保", i + 1): r[-1] for i, r in enumerate(SHEBAO)}


def table(rows, cols) -> pa.Table:
    return pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})


def import_people(ws, *, panjue=PANJUE) -> None:
    svc = CatalogService(ws)
    svc.import_arrow(ImportRequest(name="公安户籍", agency="公安局"),
                     table(HUJI, ["姓名", "身份证号", "出生日期", "性别", "手机号", "住址"]))
    svc.import_arrow(ImportRequest(name="法院判决", agency="法院"),
                     table(panjue, ["姓名", "出生日期", "性别", "住址"]))
    svc.import_arrow(ImportRequest(name="社保参保", agency="人社局", semantics={"身份证号": "none"}),
                     table(SHEBAO, ["姓名", "身份证号", "手机号"]))
