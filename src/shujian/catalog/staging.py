"""Staging: one source file → one all-text (or declared-type) DuckDB TEMP relation ``_stage_<job>``
(connection-local and never persisted).

CSV is read by DuckDB itself (fast, parallel, bounded memory, reports bad lines); GBK/GB18030 files are
transcoded to a UTF-8 copy first (``readers``).  A CSV's staging relation is first a TEMP *view* over
``read_csv`` (its header, names and a sample are read from the file's head); right before the version
is made it becomes a TEMP table read by all of DuckDB's threads in file order (``materialise_csv``),
whose rowid numbers the records.  The lines ``read_csv`` rejects are looked at after the CREATE of the
version (``finish_csv``), before anything commits.  XLSX and JSON Lines are streamed in Arrow batches that
carry each row's line in the source (``readers.SOURCE_LINE``), so later messages can name it.  The
importer (``importer``) turns the staging table into a typed, normalised dataset version.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa

from ..engines.duckdb_arrow import register_arrow
from ..errors import ImportFailed
from . import readers

MAX_LISTED_BAD = 20


def footer_notes(footers: list[tuple[int, str]]) -> list[str]:
    """The import's note on the table's closing rows left out (readers.footer_text)."""
    if not footers:
        return []
    rows = "、".join(str(n) for n, _ in footers)
    texts = "；".join(f"“{t}”" for _, t in footers[:5])
    return [f"表格末尾第 {rows} 行是表尾（合计、制表人、审核人等），不是数据，未导入：{texts}"]


def hidden_notes(sheet: str, hidden: list[tuple[str, str]], skipped: bool = False) -> list[str]:
    """The import's note on the columns hidden in Excel (readers.hidden_columns): imported as the
    others, though whoever looks at the sheet in Excel does not see them, unless ``skipped``
    (--skip-hidden-columns)."""
    if not hidden:
        return []
    listed = "、".join(f"“{name}”（{letter} 列）" for letter, name in hidden)
    if skipped:
        return [f"工作表“{sheet}”中有 {len(hidden)} 个在 Excel 中隐藏的列：{listed}；按要求未导入"]
    return [f"工作表“{sheet}”中有 {len(hidden)} 个在 Excel 中隐藏的列：{listed}；它们已照常导入，"
            f"但在 Excel 中打开时看不到，请核对这些列是否属于本次调取的数据（不导入它们：--skip-hidden-columns，"
            f"或导入页的“不导入隐藏的列”）"]


def repeated_notes(rows: list[int], count: int | None = None) -> list[str]:
    """The import's note on the rows left out as copies of the header (or of a title above it);
    ``count``: how many there are when ``rows`` lists the first ones only."""
    count = max(count or 0, len(rows))
    if not rows:
        return []
    listed = "、".join(str(n) for n in rows[:20]) + (f" 等 {count} 行" if count > 20 else "")
    return [f"第 {listed} 行与表头（或其上的标题行）相同，是分页或拼接时重复的表头，不是数据，未导入"]


class Stager:
    """Stages files for one import; ``progress`` is the importer's progress sink."""

    def __init__(self, ws, progress):
        self.ws = ws
        self.progress = progress

    def stage_file(self, con, stage: str, job, path: Path, fmt: str, req) -> dict:
        job_id, tmp_files = job
        if fmt == "csv":
            return self.stage_csv(con, stage, job_id, tmp_files, path, req)
        if fmt == "parquet":
            self.progress.stage("读取 Parquet")
            try:
                con.execute(f'CREATE TEMP TABLE "{stage}" AS SELECT * FROM read_parquet(?)', [str(path)])
            except duckdb.Error as exc:
                raise ImportFailed(f"无法读取 Parquet 文件 {path.name}：{exc}", hint="确认文件完整且为 Parquet 格式") from exc
            check_not_empty(con, stage, path)
            return {"format": fmt, "encoding": None, "hash": readers.hash_file(path), "skipped": [], "typed": True}
        if fmt == "xlsx":
            self.progress.stage(f"读取 Excel{'：' + req.sheet if req.sheet else ''}")
            layout = readers.SheetLayout()
            header, batches = readers.xlsx_batches(path, req.sheet, header_row=req.header_row, with_line=True,
                                                   layout=layout)
            stage_batches(con, stage, header, batches, with_line=True)
            check_not_empty(con, stage, path, layout.sheet)
            notes = [*([layout.note] if layout.note else []),
                     *hidden_notes(layout.sheet, layout.hidden, skipped=req.skip_hidden),
                     *repeated_notes(layout.repeated), *footer_notes(layout.footers)]
            return {"format": fmt, "encoding": None, "hash": readers.hash_file(path), "skipped": [],
                    "sheet": layout.sheet, "notes": notes, "lines": layout.lines,
                    "hidden": [name for _letter, name in layout.hidden]}
        return self.stage_jsonl(con, stage, path, req)

    def stage_jsonl(self, con, stage: str, path: Path, req) -> dict:
        self.progress.stage("读取 JSON Lines")
        bad: list[readers.BadLine] = []
        try:
            header, batches = readers.jsonl_batches(path, bad)
        except UnicodeDecodeError as exc:
            raise ImportFailed(f"文件 {path.name} 不是 UTF-8 编码", hint="JSON Lines 文件须为 UTF-8") from exc
        if not header:
            raise ImportFailed(f"文件 {path.name} 中没有任何 JSON 对象行", hint="每行应是一个 JSON 对象")
        stage_batches(con, stage, header, batches)
        skipped = [{"line": b.line, "error": b.message} for b in bad]
        check_bad_rows(skipped, path, req)
        check_not_empty(con, stage, path)
        return {"format": "jsonl", "encoding": "utf-8", "hash": readers.hash_file(path), "skipped": skipped}

    def stage_csv(self, con, stage: str, job_id: int, tmp_files: list[Path], path: Path, req) -> dict:
        size = path.stat().st_size
        encoding = req.encoding or readers.detect_encoding(path)
        encoding = {"gbk": "gb18030", "gb2312": "gb18030", "utf8": "utf-8"}.get(encoding.lower(), encoding.lower())
        source = path
        # NUL bytes, a BOM in the middle (UTF-8 only: in GBK those bytes can be two characters) and
        # repeated header lines are looked for in the blocks the hashing reads anyway (finish_csv)
        header, header_at = _header_bytes(path, req.header_row)
        scan = readers.TextScan(header, bom=encoding.startswith("utf"), header_at=header_at)
        if encoding in ("utf-8", "utf-8-sig"):
            # hashed in a second thread (hashlib lets go of the GIL) while the header is sniffed, the
            # sample typed and the file read by DuckDB; the digest is taken before the version commits
            digest = readers.hash_meanwhile(path, scan=scan)
        else:
            self.progress.stage(f"转换编码 {encoding.upper()} → UTF-8", total=size)
            source = self.ws.settings.tmp_path / f"import_{job_id}.csv"
            tmp_files.append(source)
            digest = readers.transcode_to_utf8(path, source, encoding, self.progress.advance,
                                               workers=self.ws.settings.duckdb_threads, scan=scan)
        delim = _delimiter(source, path, req.header_row)
        head = readers.head_rows(source, delim, req.header_row + 11)
        readers.check_header(head, req.header_row, path)
        source, notes = self._cut_footer(source, path, delim, head, req.header_row, job_id, tmp_files)
        names = head[req.header_row - 1] if len(head) >= req.header_row else []
        select = self._csv_view(con, stage, source, delim, path, req.header_row - 1, names)
        # record k is line k + header_row, but after a value spanning lines or a blank line (finish_csv)
        lines = [(1, req.header_row + 1)]
        return {"format": "csv", "encoding": encoding, "hash": digest, "skipped": [], "view": True, "notes": notes,
                "path": path, "lines": lines,
                "finish": partial(finish_csv, path=path, req=req, source=source, scan=scan, digest=digest,
                                  notes=notes, lines=lines, delim=delim, footer=bool(notes)),
                "materialise": partial(materialise_csv, select=select, path=path, progress=self.progress)}

    def _cut_footer(self, source: Path, path: Path, delim: str, head: list[list[str]], header_row: int,
                    job_id: int, tmp_files: list[Path]) -> tuple[Path, list[str]]:
        """The file to read without its table footer (合计, 制表人：… at the end; readers.csv_footer_cut)
        and the note saying what was left out.  The source file itself is never changed: a UTF-8
        original is copied first (only when it has a footer); a transcoded copy is ours to cut."""
        width = len(head[header_row - 1]) if len(head) >= header_row else 0
        found = readers.csv_footer_cut(source, delim, width)
        if found is None:
            return source, []
        cut, texts = found
        if source == path:
            import shutil

            copy = self.ws.settings.tmp_path / f"import_{job_id}_body.csv"
            tmp_files.append(copy)
            with path.open("rb") as src, copy.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            source = copy
        with source.open("r+b") as fh:
            fh.truncate(cut)
        shown = "；".join(f"“{t}”" for t in texts[:5])
        return source, [f"文件末尾 {len(texts)} 行是表尾（合计、制表人、审核人等），不是数据，未导入：{shown}"]

    @staticmethod
    def _csv_view(con, stage: str, source: Path, delim: str, path: Path, skip: int, names: list[str] = ()) -> str:
        """The staging view: ``read_csv`` of the (UTF-8) file, every column text, bad lines rejected
        into ``_rejects`` (each scan adds its rejects again: ``csv_rejects`` groups them by line).
        Records equal to the header ``names`` (a header repeated per page or per concatenated file)
        are left out: one comparison a record, mostly of its first value.
        Returns the view's SELECT (``materialise_csv``)."""
        con.execute("DROP TABLE IF EXISTS _rejects")
        con.execute("DROP TABLE IF EXISTS _rejects_scan")
        select = (f"SELECT * FROM read_csv({_literal(str(source))}, header=true, "
                  f"all_varchar=true, delim={_literal(delim)}, quote='\"', escape='\"', strict_mode=true, "
                  f"ignore_errors=true, skip={int(skip)}, store_rejects=true, rejects_table='_rejects', "
                  f"rejects_scan='_rejects_scan', max_line_size=16777216, null_padding=false)")

        def without_header(width: int) -> str:
            same = " AND ".join(f"coalesce(#{k}, '') = {_literal(v)}" for k, v in enumerate(names[:width], 1))
            return f"{select} WHERE NOT ({same})"

        try:
            # binding the view sniffs the header: a file DuckDB cannot read fails here.  Made at once
            # with the filter for the header's width as parsed here (each binding sniffs again);
            # when DuckDB sees fewer columns, made again for its width
            if names:
                try:
                    con.execute(f'CREATE TEMP VIEW "{stage}" AS {without_header(len(names))}')
                    return without_header(len(names))
                except duckdb.BinderException:
                    con.execute(f'DROP VIEW IF EXISTS "{stage}"')
            con.execute(f'CREATE TEMP VIEW "{stage}" AS {select}')
            if names:
                width = len(con.execute(f'DESCRIBE "{stage}"').fetchall())
                select = without_header(width)
                con.execute(f'CREATE OR REPLACE TEMP VIEW "{stage}" AS {select}')
        except duckdb.Error as exc:
            _raise_csv_error(exc, path, source, delim)
        return select


def materialise_csv(con, stage: str, *, select: str, path: Path, progress) -> None:
    """Replace the staging view ``stage`` by a TEMP table of the same rows, in file order: one scan of
    the CSV by all of DuckDB's threads.  The version is then numbered by this table's rowid.

    (Numbering the view's rows with ``row_number() OVER ()`` in the CREATE of the version ran that
    whole statement — the CSV scan and every parse and normalisation — on one thread: DuckDB's
    streaming window is not a parallel operator.  With ``preserve_insertion_order`` the table keeps
    the file's order, so its rowid + 1 is the same record number.)"""
    con.execute(f'DROP VIEW IF EXISTS "{stage}"')
    progress.stage("读取数据", total=100)
    run_tracked(con, f'CREATE TEMP TABLE "{stage}" AS {select}', progress, path)


def run_tracked(con, sql: str, progress, path: Path | None = None) -> None:
    """Run one long statement in a worker thread, reporting DuckDB's progress (0–100) to
    ``progress.update`` and turning Ctrl-C into an interrupt of the statement.  With ``path`` (a
    statement reading that CSV file), an error of DuckDB's CSV reader is reported as such."""
    done = threading.Event()
    error: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while not done.wait(0.2):
            pct = con.query_progress()
            if pct and pct > 0:
                progress.update(pct)
    except KeyboardInterrupt:
        con.interrupt()
        thread.join()
        raise
    thread.join()
    if error:
        if path is not None and _is_csv_error(error[0]):
            _raise_csv_error(error[0], path)
        raise error[0]
    progress.update(100)


def finish_csv(con, relation: str, info: dict | None = None, *, path: Path, req, source: Path | None = None,
               scan: readers.TextScan | None = None, digest=None, notes: list[str] | None = None,
               lines: list[tuple[int, int]] | None = None, delim: str = ",", footer: bool = False) -> list[dict]:
    """After the version was created from the staging view: the lines ``read_csv`` rejected (an
    error unless --skip-bad-rows), a file without data rows (an error), and what the ``scan`` of its
    bytes found (once the hashing ``digest`` is done): a NUL byte or a BOM in the middle (errors),
    header lines repeated (added to ``notes``; ``lines`` gets their gaps).  Returns the skipped lines.

    When the file has more lines than the header, the records and the lines left out (a value
    spanning lines, blank lines; or a table ``footer`` cut off), each record's line is found in the
    file (``readers.record_lines``) and becomes ``info["lines"]``."""
    if callable(digest):
        digest()
    if scan is not None:
        check_scan(scan, path)
    skipped = csv_rejects(con, source)
    if source is not None:
        _quote_to_the_end(skipped, source, delim)
    check_bad_rows(skipped, path, req)
    records = check_not_empty(con, relation, path)
    at = readers.line_of(path, scan.repeats) if scan is not None and scan.repeat_count else []
    if at and notes is not None:
        notes.extend(repeated_notes(at, scan.repeat_count))
    if lines is not None and (at or skipped):
        # the lines that are no record of the version: after the i-th of them (line n), record
        # n - header_row - i is on line n + 1
        first = lines[0][1] - 1                      # the header's line
        gone = sorted({*at, *(s["line"] for s in skipped)})
        lines.extend((n - first - i, n + 1) for i, n in enumerate(gone))
    if info is not None and lines is not None and scan is not None and source is not None:
        listed = scan.repeat_count + len(skipped)
        if footer or scan.lines() != req.header_row + records + listed:
            gone = {*at, *(s["line"] for s in skipped)}
            info["lines"] = readers.record_lines(source, req.header_row, gone, delim)
    return skipped


def _quote_to_the_end(skipped: list[dict], source: Path, delim: str) -> None:
    """A quote that never closes makes the rest of the file one bad value: DuckDB rejects it as one
    line, and --skip-bad-rows would drop every line after it unsaid.  Its entry says so (the file is
    read once more in Python, only when such a line was rejected)."""
    if not any(s["error"] == "引号不匹配" for s in skipped):
        return
    start = readers.open_quote_line(source, delim)
    if start is None:
        return
    with source.open("rb") as fh:
        total = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    last = max((s for s in skipped if s["error"] == "引号不匹配" and s["line"] <= start),
               key=lambda s: s["line"], default=None)
    if last is not None and total > start:
        last["error"] = (f"引号不匹配：第 {start} 行开始的引号直到文件末尾都没有结束，第 {start}–{total} 行"
                         f"（共 {total - start + 1} 行）都在这个值里，均未导入")


def check_scan(scan: readers.TextScan, path: Path) -> None:
    """Refuse a file with a NUL byte or a byte-order mark after its start (readers.TextScan)."""
    if scan.nul is not None:
        line = readers.line_of(path, [scan.nul])[0]
        raise ImportFailed(f"文件 {path.name} 第 {line} 行含有空字符（NUL，0x00 字节），这不是正常的文本文件内容；"
                           f"未导入任何数据",
                           hint="文件可能已损坏，或是 UTF-16（“Unicode 文本”）编码；请用 Excel 或 WPS 打开后另存为"
                                "“CSV UTF-8”，或删去该行的空字符后重新导入，或向提供单位重新导出")
    if scan.bom is not None:
        line = readers.line_of(path, [scan.bom])[0]
        with path.open("rb") as fh:
            fh.seek(scan.bom - 1)
            at_start = fh.read(1) == b"\n"
        where = "开头" if at_start else "中间"
        why = "，像是把几个导出文件直接拼接而成" if at_start else ""
        raise ImportFailed(f"文件 {path.name} 第 {line} 行{where}有 BOM 标记（U+FEFF，本应只在文件开头）{why}；"
                           f"未导入任何数据",
                           hint=f"删去第 {line} 行的 BOM 标记（拼接的文件还要删去重复的表头行）后重新导入，"
                                f"或用 Excel、WPS 打开后另存为一个“CSV UTF-8”文件")


def _header_bytes(path: Path, header_row: int) -> tuple[bytes, int]:
    """Line ``header_row`` of ``path`` as bytes, with its line break and without a BOM ("" if none),
    and its offset in the file."""
    with path.open("rb") as fh:
        for _ in range(header_row - 1):
            if not fh.readline(1 << 20):
                return b"", 0
        at = fh.tell()
        line = fh.readline(1 << 20)
    if line.startswith(readers.TextScan.BOM):
        line, at = line[len(readers.TextScan.BOM):], at + len(readers.TextScan.BOM)
    return (line if line.endswith(b"\n") and line.strip() else b""), at


def drop_stage(con, stage: str) -> None:
    """Drop a staging relation, a TEMP table or a TEMP view."""
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ? "
                       "AND table_schema = 'main' AND table_catalog = 'temp'", [stage]).fetchone()
    if kind is not None:
        con.execute(f'DROP {"VIEW" if kind[0] == "VIEW" else "TABLE"} IF EXISTS temp."{stage}"')


def _is_csv_error(exc: BaseException) -> bool:
    if not isinstance(exc, duckdb.Error):
        return False
    msg = str(exc).lower()
    return "csv" in msg or "unicode" in msg or "sniff" in msg


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _delimiter(source: Path, path: Path, header_row: int) -> str:
    header = readers.first_line(source, "utf-8-sig", header_row)
    if not header.strip():
        raise ImportFailed(f"文件 {path.name} 没有表头（第 {header_row} 行为空）",
                           hint=f"第 {header_row} 行应为列名；表头不在这一行时用 --header-row 指定")
    delim = readers.sniff_delimiter(header, path.suffix.lower())
    if delim not in header:   # a title line without separators: take the separator of the next line
        delim = readers.sniff_delimiter(readers.first_line(source, "utf-8-sig", header_row + 1), path.suffix.lower())
    return delim


def _raise_csv_error(exc: BaseException, path: Path, source: Path | None = None, delim: str = ",") -> None:
    if isinstance(exc, duckdb.Error):
        msg = str(exc)
        if "sniffing" in msg.lower():   # (its text lists "Encoding: utf-8" among the options it tried)
            line = readers.open_quote_line(source, delim) if source is not None else None
            if line is not None:
                raise ImportFailed(f"无法读取 CSV 文件 {path.name}：第 {line} 行的双引号没有成对出现"
                                   f"（引号从这里开始，直到文件末尾都没有结束），未导入任何数据",
                                   hint=f"在第 {line} 行补上缺少的双引号（值中的双引号要写成两个 \"\"）后重新导入，"
                                        f"或用 Excel、WPS 打开后另存为 CSV") from exc
            raise ImportFailed(f"无法读取 CSV 文件 {path.name}：识别不出它的格式（常见原因：某处引号没有成对出现，"
                               f"或各行的字段数相差很大）",
                               hint="检查文件中的双引号是否成对；也可以用 Excel 或 WPS 打开后另存为 CSV 再导入") from exc
        if "unicode" in msg.lower() or "utf" in msg.lower():
            raise ImportFailed(f"文件 {path.name} 含有无效的 UTF-8 字节（可能混用了 GBK 与 UTF-8）",
                               hint="请统一另存为 UTF-8 或 GBK 后再导入") from exc
        raise ImportFailed(f"无法读取 CSV 文件 {path.name}：{msg.splitlines()[0]}",
                           hint="确认文件是逗号或制表符分隔的文本文件") from exc
    raise exc


def stage_batches(con, stage: str, header: list[str], batches: Iterator[pa.RecordBatch],
                  with_line: bool = False) -> None:
    fields = [pa.field(h, pa.string()) for h in header]
    if with_line:
        fields.append(pa.field(readers.SOURCE_LINE, pa.int64()))
    reader = pa.RecordBatchReader.from_batches(pa.schema(fields), batches)
    register_arrow(con, "_batches_src", reader)
    con.execute(f'CREATE TEMP TABLE "{stage}" AS SELECT * FROM _batches_src')
    con.unregister("_batches_src")


def csv_rejects(con, source: Path | None = None) -> list[dict]:
    """The lines ``read_csv`` rejected, each with its line in the file (``source``: the UTF-8 file
    DuckDB read, which has the delivered file's lines).  DuckDB's own ``line`` counts a quoted value
    spanning lines as one line; the line an editor shows is counted from the byte position."""
    rows = con.execute("SELECT line, min(error_type), min(error_message), min(csv_line), min(line_byte_position) "
                       "FROM _rejects GROUP BY line ORDER BY line").fetchall()
    con.execute("DROP TABLE IF EXISTS _rejects")
    con.execute("DROP TABLE IF EXISTS _rejects_scan")
    if source is not None and rows:
        lines = _lines_at(source, [r[4] for r in rows])
        rows = [(r[0] if n is None else n, *r[1:4]) for n, r in zip(lines, rows, strict=True)]
    out = []
    for line, etype, emsg, text, *_ in rows:
        m = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", emsg or "")
        if m:
            message = f"字段数为 {m.group(2)}，应为 {m.group(1)}"
        elif etype == "UNQUOTED VALUE" or "quote" in (emsg or "").lower():
            message = "引号不匹配"
        elif etype == "INVALID UNICODE" or "unicode" in (emsg or "").lower():
            message = "含有不是 UTF-8 的字节（可能是 GBK 编码的行混入了 UTF-8 文件），请统一编码后重新导入"
        else:
            message = (emsg or etype or "无法解析").splitlines()[0]
        out.append({"line": int(line), "error": message, "text": (text or "")[:200]})
    return out


def _lines_at(path: Path, positions: list[int | None]) -> list[int | None]:
    """The 1-based line of each byte position of ``path`` (None stays None), in one read up to the last.

    DuckDB's position of a rejected line may be that of the line break (and blank lines) before it:
    the line is the first one from there with anything on it."""
    out: list[int | None] = [None] * len(positions)
    line, done = 1, 0
    with path.open("rb") as fh:
        for i in sorted((i for i, p in enumerate(positions) if p is not None), key=lambda i: positions[i]):
            while done < positions[i]:
                chunk = fh.read(min(readers.CHUNK, positions[i] - done))
                if not chunk:
                    break
                line += chunk.count(b"\n")
                done += len(chunk)
            while (byte := fh.read(1)) in (b"\r", b"\n"):
                line += byte == b"\n"
                done += 1
            if byte:
                fh.seek(-1, 1)
            out[i] = line
    return out


def check_bad_rows(skipped: list[dict], path: Path, req) -> None:
    if not skipped or req.skip_bad_rows:
        return
    listed = "、".join(str(s["line"]) for s in skipped[:MAX_LISTED_BAD])
    more = f" 等 {len(skipped)} 行" if len(skipped) > MAX_LISTED_BAD else ""
    first = skipped[0]
    raise ImportFailed(
        f"文件 {path.name} 第 {listed} 行{more}格式有误（例如第 {first['line']} 行：{first['error']}）；未导入任何数据",
        hint="修正这些行后重新导入，或加 --skip-bad-rows 跳过它们（跳过的行会列在导入结果中）",
        details={"bad_rows": skipped[:1000]})


def check_not_empty(con, stage: str, path: Path, sheet: str | None = None) -> int:
    """The rows of ``stage``; an error when there are none."""
    n = con.execute(f'SELECT count(*) FROM "{stage}"').fetchone()[0]
    if n == 0:
        if sheet is not None:
            names = readers.xlsx_sheet_names(path)
            raise ImportFailed(f"Excel 文件 {path.name} 的工作表“{sheet}”只有表头，没有数据行",
                               hint=f"文件中的工作表：{'、'.join(names)}；用 --sheet 指定数据所在的工作表，"
                                    f"或确认导出时选择了数据范围")
        raise ImportFailed(f"文件 {path.name} 只有表头，没有数据行", hint="确认导出时选择了数据范围")
    return n
