"""Old vs new importer: the same tables, quality reports, metadata, notes and messages (issue 20).

    PYTHONPATH=src python benchmarks/bench_import_same.py --baseline-src /tmp/importer-A/src \
        --workdir /tmp/import-same [--bench-csv /tmp/x/bench_2000000.csv]

Writes awkward files (GBK CRLF exports with a title line, quoted values spanning lines, blank and bad
lines; 繁体 exports with 無/無資料; wrong check digits, 15-digit IDs, lower-case x, full-width digits,
markers in the key column, 1.5万元, 1e3, 20-digit amounts; files that must fail) and imports each with
both source trees in subprocesses.  Each import is dumped as JSON — every column of the table ordered
by ``_row_id``, the quality report (its ``relation`` and ``today`` aside), the column metadata, the
note, skipped lines, or the error message and hint, and the DuckDB tables left behind — and the two
dumps are compared.  Prints one line per case and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from stdnum.cn import ric

DUMP = r'''
import json, os, sys
from pathlib import Path
from shujian.catalog.importer import Importer, ImportRequest
from shujian.config import load_settings
from shujian.workspace import Workspace
spec = json.loads(sys.argv[1])
ws = Workspace(load_settings()).ensure()
req = ImportRequest(name="t", path=Path(spec["path"]), skip_bad_rows=spec.get("skip", False),
                    key_columns=spec.get("key"), types=spec.get("types", {}), header_row=spec.get("header_row", 1),
                    encoding=spec.get("encoding"), semantics=spec.get("semantics", {}))
out = {}
pre = None
try:   # as `shujian data import` does: the file's read started first (a tree without it: none)
    from shujian.catalog.prefetch import CsvPrefetch
except ImportError:
    CsvPrefetch = None
if CsvPrefetch is not None and os.environ.get("SAME_PREFETCH") == "1":
    pre = CsvPrefetch.start(req.path, encoding=req.encoding, header_row=req.header_row)
    real_adopt = CsvPrefetch.adopt
    def adopt(self, *a, **k):
        sys.stderr.write("PREFETCHED\n")
        return real_adopt(self, *a, **k)
    CsvPrefetch.adopt = adopt
try:
    r = Importer(ws, prefetch=pre).import_file(req) if pre is not None else Importer(ws).import_file(req)
except Exception as exc:
    out["error"] = [type(exc).__name__, str(exc), getattr(exc, "hint", None)]
else:
    import duckdb
    from shujian.db.models import DatasetVersion
    with ws.db.unit_of_work() as s:
        v = s.query(DatasetVersion).filter_by(relation=r.relation).one()
        q = dict(v.quality)
        q.pop("relation", None)
        q.pop("today", None)
        out["version"] = {"rows": v.row_count, "note": v.note, "skipped": v.skipped, "skipped_rows": v.skipped_rows,
                          "quality": q, "encoding": v.source_encoding, "hash": v.content_hash,
                          "columns": [[c.name, c.dtype, c.semantic, c.semantic_source, c.raw_column]
                                      for c in v.columns]}
    with ws.warehouse() as con:
        rel = r.relation
        out["describe"] = [list(x[:2]) for x in con.execute(f'DESCRIBE "{rel}"').fetchall()]
        out["table"] = [[str(x) if x is not None else None for x in row]
                        for row in con.execute(f'SELECT * FROM "{rel}" ORDER BY _row_id').fetchall()]
with ws.warehouse() as con:
    out["tables"] = sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
sys.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
'''


def _id(i: int, wrong: bool = False, x_lower: bool = False) -> str:
    body = f"{11 + i % 60:02d}0105{1950 + i % 60}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    check = ric.calc_check_digit(body + "0")
    if wrong:
        check = "0" if check != "0" else "1"
    out = body + check
    return out.lower() if x_lower else out


def write_cases(d: Path, bench_csv: Path | None) -> list[tuple[str, dict]]:
    """The files and options: (case name, spec for DUMP)."""
    d.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(20)
    cases: list[tuple[str, dict]] = []
    fw = str.maketrans("0123456789", "０１２３４５６７８９")

    # 1. GBK CRLF export with a title line, multi-line quoted values, blank lines and bad lines
    lines = ["某区人力资源和社会保障局 人员名单", "编号,身份证号,备注,金额,日期"]
    for i in range(400):
        note = f'"第{i}条\r\n续行"' if i % 7 == 3 else ("无" if i % 11 == 0 else f"备注{i}")
        amount = "不是金额" if i % 97 == 8 else f"{i}.50"
        lines.append(",".join([f"N{i:05d}", _id(i, wrong=i % 13 == 5), note, amount, f"2023/{1 + i % 12}/{1 + i % 28}"]))
        if i % 50 == 20:
            lines.append("")
        if i % 60 == 30:
            lines.append("坏行,只有,三列")
    p = d / "gbk_title.csv"
    p.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    cases += [("gbk title skip", {"path": str(p), "header_row": 2, "skip": True}),
              ("gbk title refused", {"path": str(p), "header_row": 2}),
              ("gbk title --key 编号", {"path": str(p), "header_row": 2, "skip": True, "key": ["编号"]})]

    # 2. 繁体 export with 無/無資料/暫無 and wrong check digits
    rows = ["身份證號碼,姓名,出生日期,金額,備註"]
    for i in range(300):
        idv = "無資料" if i % 17 == 0 else ("暫無" if i % 19 == 0 else _id(i, wrong=i % 7 == 0))
        name = "無" if i % 23 == 0 else rnd.choice(["陳大文", "李小龍", "王 明", "張・三", "歐陽娜娜"])
        rows.append(f"{idv},{name},{'無' if i % 29 == 0 else f'1980年{1 + i % 12}月{1 + i % 28}日'},"
                    f"{'暫無' if i % 31 == 0 else f'{i * 3}.5'},{'無資料' if i % 5 == 0 else f'說明{i}'}")
    p = d / "traditional.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cases.append(("traditional", {"path": str(p)}))
    pb = d / "traditional_big5ish_gbk.csv"
    pb.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    cases.append(("traditional gb18030", {"path": str(pb)}))

    # 3. awkward values
    rows = ["身份证号,姓名,日期,金额,数量,编码,手机号,统一社会信用代码"]
    for i in range(500):
        k = i % 20
        idv = {0: _id(i).translate(fw), 1: _id(i, x_lower=True), 2: _id(i)[:6] + _id(i)[8:17], 3: "",
               4: "无", 5: "-", 6: " " + _id(i) + " ", 7: _id(i)[:6] + "-" + _id(i)[6:], 8: _id(i, wrong=True),
               9: "12345", 10: _id(i)[:17] + "x", 11: "　" + _id(i), 12: "不详"}.get(k, _id(i))
        amount = {0: "1.5万元", 1: "1e3", 2: "12345678901234567890", 3: "￥1,234.56", 4: "无", 5: "-3.2元"}.get(i % 9, f"{i}.25")
        date_ = {0: "２０２３-０１-０５", 1: "20230105", 2: "2023.1.5", 3: "2023年1月5日", 4: "2023-02-30",
                 5: "暂无", 6: "2099-01-01"}.get(i % 11, f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}")
        phone = {0: "138 0013 8000", 1: "+8613800138000", 2: "12345"}.get(i % 13, f"139{i:08d}")
        uscc = {0: "91110000600037341L", 1: "91110000600037341X", 2: "无"}.get(i % 7, "91350100M000100Y43")
        rows.append(f'{idv},{"无" if i % 37 == 0 else "张三" + str(i % 3)},{date_},"{amount}",{i % 50},'
                    f'{"0" + str(i % 900 + 100)},{phone},{uscc}')
    p = d / "awkward.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cases += [("awkward", {"path": str(p)}), ("awkward --key 姓名", {"path": str(p), "key": ["姓名"]}),
              ("awkward --key 姓名,日期", {"path": str(p), "key": ["姓名", "日期"]}),
              ("awkward --type 金额=int fails", {"path": str(p), "types": {"金额": "int"}}),
              ("awkward --type 编码=int", {"path": str(p), "types": {"编码": "int"}}),
              ("awkward --semantic 姓名=none", {"path": str(p), "semantics": {"姓名": "none"}})]
    pg = d / "awkward_gbk.csv"
    pg.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    cases.append(("awkward gbk crlf", {"path": str(pg)}))

    # 4. random IDs: valid, wrong digits, wrong dates, regions, 15-digit, X in odd places
    rows = ["身份证号,序号"]
    for i in range(3000):
        r = rnd.random()
        body = f"{rnd.randint(10, 99)}{rnd.randint(0, 9999):04d}{rnd.randint(1890, 2030)}{rnd.randint(0, 13):02d}{rnd.randint(0, 32):02d}{rnd.randint(0, 999):03d}"
        v = body + (ric.calc_check_digit(body + "0") if r < 0.6 else rnd.choice("0123456789Xx"))
        if r > 0.95:
            v = f"{rnd.randint(10, 99)}{rnd.randint(0, 9999):04d}{rnd.randint(0, 99):02d}{rnd.randint(0, 13):02d}{rnd.randint(0, 32):02d}{rnd.randint(0, 999):03d}"
        elif r > 0.9:
            v = v[:rnd.randint(0, 17)] + "X" + v[rnd.randint(1, 18):]
        rows.append(f"{v},{i}")
    p = d / "random_ids.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cases.append(("random ids", {"path": str(p)}))

    # 4b. clean for the first 10,000 rows (the sample), then a few values that normalise differently:
    # the raw copies are written sparse and filled in (seventh session)
    rows = ["身份证号,姓名,手机号,统一社会信用代码"]
    for i in range(12000):
        late = i >= 10500 and i % 97 == 0
        rows.append(f"{_id(i, x_lower=late)},{'张 三' if late else '张三'},{'138 0013 8000' if late else f'139{i:08d}'},"
                    f"{'91350100m000100y43' if late else '91350100M000100Y43'}")
    p = d / "late_dirty.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cases.append(("clean sample, later values normalised", {"path": str(p)}))

    # 5. files that must fail (or nearly)
    big = ["编号,姓名"] + [f"{i},张三{i % 10}" for i in range(200000)]
    p = d / "mixed.csv"
    p.write_bytes("\n".join(big).encode("utf-8") + b"\n99999," + "王五".encode("gbk") + b"\n")
    cases += [("utf8 with a gbk line", {"path": str(p)}), ("utf8 with a gbk line skip", {"path": str(p), "skip": True})]
    for name, data in (("header only", "编号,姓名\n"), ("header and blanks", "编号,姓名\n\n\n"),
                       ("one column blank line", "编号\n1\n\n2\n"), ("unclosed quote", '编号,姓名\n1,"张三\n2,李四\n'),
                       ("all markers", "编号,姓名\n无,无\n-,-\n")):
        p = d / f"{name.replace(' ', '_')}.csv"
        p.write_text(data, encoding="utf-8")
        cases.append((name, {"path": str(p)}))
        if name == "unclosed quote":
            cases.append((name + " skip", {"path": str(p), "skip": True}))
    p = d / "garbage.csv"
    p.write_bytes(bytes(rnd.randrange(256) for _ in range(5000)))
    cases.append(("binary garbage", {"path": str(p)}))

    if bench_csv is not None:
        head = d / "bench_head.csv"
        with bench_csv.open(encoding="utf-8") as src:
            head.write_text("".join(next(src) for _ in range(200_001)), encoding="utf-8")
        headg = d / "bench_head_gbk.csv"
        headg.write_bytes(head.read_text(encoding="utf-8").encode("gbk"))
        cases += [("bench 200k utf-8", {"path": str(head)}), ("bench 200k gbk", {"path": str(headg)})]
        # GBK files over encodings.MIN_PARALLEL_BYTES (decoded in parallel runs): clean, with a UTF-8
        # line and with an undecodable byte in the second half
        with bench_csv.open(encoding="utf-8") as src:
            rows = [next(src) for _ in range(400_001)]
        big = "".join(rows).encode("gbk")
        for label, at, bad in (("clean", None, b""), ("utf-8 line", 300_000, "混入的一行,张三".encode()),
                               ("bad byte", 250_000, b"\xff\xfe")):
            p = d / f"bench_400k_gbk_{label.replace(' ', '_')}.csv"
            if at is None:
                p.write_bytes(big)
            else:
                cut = sum(len(r.encode("gbk")) for r in rows[:at])
                p.write_bytes(big[:cut] + bad + b"\n" + big[cut:])
            cases.append((f"bench 400k gbk {label}", {"path": str(p)}))
    return cases


def dump(src: str, spec: dict, home: Path, prefetch: bool = False) -> dict:
    """The import's dump; with ``prefetch`` (a tree that has ``catalog.prefetch``) the file's read is
    started first, as the console command starts it, and ``_prefetched`` says whether the importer took it."""
    env = dict(os.environ, PYTHONPATH=src, SHUJIAN_HOME=str(home), SAME_PREFETCH="1" if prefetch else "0")
    env.pop("SHUJIAN_DATABASE_URL", None)
    subprocess.run(["rm", "-rf", str(home)], check=True)
    out = subprocess.run([sys.executable, "-c", DUMP, json.dumps(spec)], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the dump crashed ({src}):\n{out.stderr[-2000:]}")
    return {**json.loads(out.stdout), "_prefetched": "PREFETCHED" in out.stderr}


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline-src", required=True)
    ap.add_argument("--src", default=str(Path(__file__).resolve().parents[1] / "src"))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/import-same"))
    ap.add_argument("--bench-csv", type=Path, default=None, help="the benchmark CSV: its first 200,000 rows too")
    ap.add_argument("--only", default=None, help="cases whose name contains this")
    ap.add_argument("--no-prefetch", action="store_true",
                    help="the new tree's imports without the command's prefetch of a CSV file (catalog.prefetch)")
    args = ap.parse_args()
    cases = write_cases(args.workdir / "files", args.bench_csv)
    differ = prefetched = 0
    for name, spec in cases:
        if args.only and args.only not in name:
            continue
        a = dump(args.baseline_src, spec, args.workdir / "home-a")
        b = dump(args.src, spec, args.workdir / "home-b", prefetch=not args.no_prefetch)
        a.pop("_prefetched")
        prefetched += b.pop("_prefetched")
        same = a == b
        differ += not same
        what = (a.get("error") or [None, f"{a.get('version', {}).get('rows')} rows"])[1]
        _say(f"{'same' if same else 'DIFFERENT':9} {name:32} {str(what)[:90]}")
        if not same:
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    _say(f"    {k}: A {json.dumps(a.get(k), ensure_ascii=False)[:600]}")
                    _say(f"    {k}: B {json.dumps(b.get(k), ensure_ascii=False)[:600]}")
    _say(f"{len(cases)} cases, {differ} different; the new tree's import took the prefetched read in {prefetched}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
