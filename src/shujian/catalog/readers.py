"""Source readers for import: encoding detection, streaming transcoding, XLSX and JSON Lines.

CSV is read by DuckDB itself (fast, parallel, bounded memory, reports bad lines).  DuckDB reads
only UTF-8 without a network-installed extension, so GBK/GB18030 files — what most agencies export
— are transcoded to a UTF-8 copy in the workspace's tmp folder, chunk by chunk.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain as iter_chain
from pathlib import Path

import pyarrow as pa

from ..errors import ImportFailed
from .encodings import CHUNK  # noqa: F401 - one block size for both transcoders (readers.CHUNK)

SAMPLE = 1024 * 1024

Progress = Callable[[int], None]   # called with bytes (or rows) done since the last call


@dataclass
class SourceInfo:
    encoding: str          # utf-8, utf-8-sig, gb18030
    delimiter: str
    content_hash: str = ""


def detect_encoding(path: Path) -> str:
    """Guess the encoding of a delimited text file from its first megabyte.

    UTF-8 (with or without BOM) is tried strictly first; GB18030 (a superset of GBK and GB2312)
    next.  Anything else is refused with a hint to re-save the file.
    """
    with path.open("rb") as fh:
        head = fh.read(SAMPLE)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFailed(f"文件 {path.name} 是 UTF-16 编码，暂不支持",
                           hint="请用 Excel 或 WPS 另存为“CSV UTF-8”或 GBK 编码的 CSV 后再导入")
    if _decodes(head, "utf-8"):
        return "utf-8"
    _refuse_gbk_lines_in_utf8(head, path)
    if _decodes(head, "gb18030"):
        return "gb18030"
    line = _first_undecodable_line(head)
    if line is not None:
        n, raw = line
        bom = "（该行有 UTF-8 文件开头的 BOM 标记，像是把不同编码的文件拼接在一起）" if codecs.BOM_UTF8 in raw else ""
        raise ImportFailed(f"文件 {path.name} 第 {n} 行既不是 UTF-8 也不是 GBK/GB18030 编码{bom}，"
                           f"无法识别文件的字符编码；未导入任何数据",
                           hint="请把整个文件统一另存为一种编码（推荐 UTF-8）后再导入，或用 --encoding 指定编码")
    raise ImportFailed(f"无法识别文件 {path.name} 的字符编码（既不是 UTF-8 也不是 GBK/GB18030）",
                       hint="请另存为 UTF-8 或 GBK 编码后再导入，或用 --encoding 指定编码")


def _first_undecodable_line(head: bytes) -> tuple[int, bytes] | None:
    """The first line of ``head`` (number, bytes) that neither UTF-8 nor GB18030 decodes."""
    lines = head.split(b"\n")
    if len(head) == SAMPLE:
        lines = lines[:-1]
    for n, line in enumerate(lines, 1):
        if not line.isascii() and not _decodes(line, "utf-8") and not _decodes(line, "gb18030"):
            return n, line
    return None


def _refuse_gbk_lines_in_utf8(head: bytes, path: Path) -> None:
    """A sample that is mostly UTF-8 (by lines with Chinese text) but has lines that are not is a
    UTF-8 file with GBK lines mixed in: name the first such line instead of guessing GBK."""
    lines = head.split(b"\n")
    if len(head) == SAMPLE:
        lines = lines[:-1]   # the last line may be cut in the middle of a character
    utf8, other = 0, []
    for n, line in enumerate(lines, 1):
        if line.isascii():
            continue
        if _decodes(line, "utf-8"):
            utf8 += 1
        else:
            other.append(n)
    if other and utf8 > len(other):
        raise ImportFailed(
            f"文件 {path.name} 大部分行是 UTF-8 编码，但第 {'、'.join(map(str, other[:10]))} 行不是（可能是 GBK）：编码混用",
            hint="请把整个文件统一另存为一种编码（推荐 UTF-8）后再导入")


def _decodes(data: bytes, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)("strict")
    try:
        dec.decode(data, final=False)   # a multibyte character cut at the sample's end is fine
        return True
    except UnicodeDecodeError:
        return False


def sniff_delimiter(first_line: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def first_line(path: Path, encoding: str, line: int = 1) -> str:
    """Line ``line`` (1-based) of a text file; "" past the end."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        for _ in range(line - 1):
            if not fh.readline():
                return ""
        return fh.readline()


def head_rows(path: Path, delimiter: str, count: int = 12) -> list[list[str]]:
    """The first ``count`` records of a UTF-8 delimited file, parsed (for header checks)."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        lines = [fh.readline() for _ in range(count)]
    return [r for r in csv.reader(io.StringIO("".join(lines)), delimiter=delimiter)][:count]


def open_quote_line(path: Path, delimiter: str, limit: int = 256 << 20) -> int | None:
    """The line where a quoted value starts that no closing quote ends (it swallows the rest of the
    file), in a UTF-8 delimited file of at most ``limit`` bytes; None when there is none (or the
    file is larger: this reads it in Python, for an error message only)."""
    if path.stat().st_size > limit:
        return None
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        start = 1
        try:
            for _ in reader:
                start = reader.line_num + 1
        except csv.Error:
            return start
    return None


def check_header(rows: list[list[object]], header_row: int, path: Path) -> None:
    """Refuse a header row that is really a title (“某某局2023年人员名单” merged across the columns).

    ``rows`` are the first rows of the file (row 1 first), ``header_row`` the 1-based row that is to
    hold the column names.  A row with one filled cell above rows with several is a title, not a
    header: the message names the row to give to ``--header-row``.  (Two-row headers whose upper row
    is merged are not guessed: the user names the lower row with ``--header-row``.)
    """
    def filled(r: list[object]) -> int:
        return sum(1 for v in r if v is not None and str(v).strip())

    body = rows[header_row - 1:]
    if len(body) < 2:
        return
    head, width = body[0], max(filled(r) for r in body[1:])
    if width < 2:
        return
    nxt = next((i for i, r in enumerate(body[1:], header_row + 1) if filled(r) == width), None)
    if filled(head) == 1 and nxt is not None:
        first = next(str(v).strip() for v in head if v is not None and str(v).strip())
        raise ImportFailed(f"文件 {path.name} 第 {header_row} 行（“{first[:30]}”）只有一个单元格有内容，"
                           f"像是标题行，不是列名行",
                           hint=f"用 --header-row {nxt} 指定真正的表头所在行（其上各行不导入）")


MAX_REPEATS = 1_000_000     # offsets of repeated header lines a TextScan keeps (their lines place the records)


class TextScan:
    """What the bytes of a delimited text file show while they are hashed (one pass, ``feed`` per
    block, each a ``bytes.find``): the first NUL byte, the first byte-order mark after the file's
    start (both break values silently: a damaged file, UTF-16, files concatenated), and the lines
    equal to the header line (a header repeated per page or per concatenated file).  Positions are
    byte offsets in the file (:func:`line_of` turns them into lines)."""

    BOM = codecs.BOM_UTF8

    def __init__(self, header: bytes = b"", bom: bool = True, header_at: int = 0):
        self.header_at = header_at            # the header line's own offset (not a repeat)
        self.pos = 0
        self.check_bom = bom
        self.nul: int | None = None
        self.bom: int | None = None
        self.repeats: list[int] = []          # offsets of the repeated header lines (up to MAX_REPEATS)
        self.repeat_count = 0
        self.header = header
        self._line = b"\n" + header if header else b""
        self._keep = max(len(self._line), len(self.BOM)) - 1     # bytes a match may reach into the next block
        self._tail = b""
        self.newlines = 0                     # line breaks in the file
        self.end = b""                        # its last bytes (trailing blank lines)

    def feed(self, chunk: bytes) -> None:
        if self.nul is None and (i := chunk.find(b"\0")) >= 0:
            self.nul = self.pos + i
        if self._tail:      # a match across the seam begins in the last block's tail and ends here
            self._look(self._tail + chunk[:self._keep], self.pos - len(self._tail), len(self._tail))
        self._look(chunk, self.pos)
        if self._keep:      # the stream's last bytes (a block may be shorter than them)
            self._tail = chunk[-self._keep:] if len(chunk) >= self._keep else (self._tail + chunk)[-self._keep:]
        self.newlines += _newlines(chunk)
        self.end = chunk[-64:] if len(chunk) >= 64 else (self.end + chunk)[-64:]
        self.pos += len(chunk)

    def lines(self) -> int:
        """The file's lines, blank lines at its end not counted."""
        end = self.end.rstrip(b"\r\n")
        trailing = self.end[len(end):].count(b"\n")
        if not end and len(self.end) < 64:   # nothing but line breaks
            return 0
        return self.newlines - trailing + 1

    def _look(self, buf: bytes, base: int, seam: int = 0) -> None:
        """The matches in ``buf`` (at offset ``base`` of the file); with ``seam``, ``buf`` is the tail
        of the last block (``seam`` bytes) and the start of this one: only the lines that begin in
        the tail are new (the others are this block's)."""
        if self.check_bom and self.bom is None and (i := _find_bom(buf, 1 if base == 0 else 0)) >= 0:
            self.bom = base + i
        if self._line:
            i = buf.find(self._line)
            while i >= 0 and (not seam or i < seam):
                if base + i + 1 != self.header_at:
                    self.repeat_count += 1
                    if len(self.repeats) < MAX_REPEATS:
                        self.repeats.append(base + i + 1)
                i = buf.find(self._line, i + 1)


def _newlines(buf: bytes) -> int:
    """``buf.count(b"\\n")`` with numpy: a fifth of its time (≈ 0.1 ms a MB)."""
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(buf, dtype=np.uint8) == 0x0A))


def _find_bom(buf: bytes, start: int) -> int:
    """``buf.find(BOM, start)`` with numpy: bytes.find of a 3-byte needle whose first byte opens every
    full-width character (，：（）) is ≈ 2 ms a MB; this is a third of it."""
    import numpy as np

    a = np.frombuffer(buf, np.uint8)
    at = np.flatnonzero(a[start:-2] == 0xEF) + start
    at = at[(a[at + 1] == 0xBB) & (a[at + 2] == 0xBF)]
    return int(at[0]) if len(at) else -1


class LineRuns:
    """Runs (record, line) as two integer arrays, a sequence of tuples to ``source_row``'s bisect: a
    CSV with a line break inside a value of every record has a run per record."""

    def __init__(self, records, lines):
        self.records, self.lines = records, lines

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [(int(r), int(n)) for r, n in zip(self.records[i], self.lines[i], strict=True)]
        return int(self.records[i]), int(self.lines[i])

    def __iter__(self):
        return iter(self[:])


def record_lines(path: Path, header_row: int, gone: set[int], delim: str = ",", quote: int = 0x22) -> LineRuns:
    """The line of each record of the CSV ``path`` as runs (``source_row``): a record begins on a line
    that begins outside a quoted value, after the header (line ``header_row``), that is not blank
    (DuckDB skips blank lines) and not in ``gone`` (lines left out: rejected, a repeated header).
    Quotes are followed from the header's line (``_quote_states``)."""
    import numpy as np

    firsts, lines = [], []
    parity, record, expect, line0 = 0, 0, -1, header_row - 1
    gone_arr = np.array(sorted(gone), dtype=np.int64)
    with path.open("rb") as fh:
        for _ in range(header_row - 1):       # title lines: no record, their quotes not counted
            fh.readline()
        rest = b""
        while True:
            chunk = fh.read(CHUNK)
            data = rest + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            if not cut:
                if not chunk:
                    break
                rest = data
                continue
            block, rest = data[:cut], data[cut:]
            a = np.frombuffer(block, dtype=np.uint8)
            ends = np.flatnonzero(a == 10)
            if not len(ends) or ends[-1] != len(a) - 1:          # the file's last line, unterminated
                ends = np.append(ends, len(a))
            starts = np.concatenate(([0], ends[:-1] + 1))
            quotes = np.flatnonzero(a == quote)
            states = _quote_states(np, a, quotes, parity, ord(delim))
            before = np.searchsorted(quotes, starts)
            inside = np.where(before > 0, states[np.maximum(before - 1, 0)] if len(states) else 0, parity)
            size = ends - starts
            first = a[np.minimum(starts, len(a) - 1)]
            blank = (size == 0) | ((size == 1) & (first == 13))
            number = line0 + 1 + np.arange(len(starts), dtype=np.int64)
            at = number[(inside == 0) & ~blank & (number > header_row) & ~np.isin(number, gone_arr)]
            if len(at):
                prev = np.concatenate(([expect], at[:-1] + 1))
                new = np.flatnonzero(at != prev)
                firsts.append(record + 1 + new)
                lines.append(at[new])
                record += len(at)
                expect = int(at[-1]) + 1
            parity = int(states[-1]) if len(states) else parity
            line0 += len(starts)
            if not chunk:
                break
    empty = np.zeros(0, dtype=np.int64)
    return LineRuns(np.concatenate(firsts) if firsts else empty, np.concatenate(lines) if lines else empty)


def _quote_states(np, a, quotes, inside: int, delim: int):
    """Whether each quote of the block ``a`` (at ``quotes``) leaves a quoted value open, starting
    ``inside`` one or not.  As DuckDB reads: a quote opens a value only at a field's start (the
    line's or after the delimiter) — one inside an unquoted value (5"寸) is a character; inside a
    value a quote closes it, and a quote right after that closing one (an escaped "") reopens it."""
    if not len(quotes):
        return np.zeros(0, dtype=np.int8)
    prev = a[np.maximum(quotes - 1, 0)]
    opens = ((prev == delim) | (prev == 0x0A) | (quotes == 0)).tolist()
    out, closed = [], -2
    for pos, at_start in zip(quotes.tolist(), opens, strict=True):
        if inside:
            inside, closed = 0, pos
        elif at_start or pos == closed + 1:
            inside = 1
        out.append(inside)
    return np.array(out, dtype=np.int8)


def line_of(path: Path, offsets: list[int]) -> list[int]:
    """The 1-based line of each byte offset (sorted) of ``path``, reading the file up to the last."""
    out, line, pos = [], 1, 0
    todo = iter(offsets)
    nxt = next(todo, None)
    with path.open("rb") as fh:
        while nxt is not None and (chunk := fh.read(CHUNK)):
            while nxt is not None and nxt < pos + len(chunk):
                out.append(line + chunk.count(b"\n", 0, nxt - pos))
                nxt = next(todo, None)
            line += chunk.count(b"\n")
            pos += len(chunk)
    return out


def hash_file(path: Path, progress: Progress | None = None, scan: TextScan | None = None) -> str:
    """The SHA-256 of the file; ``scan`` (a delimited text file) sees every block too."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            if scan is not None:
                scan.feed(chunk)
            if progress:
                progress(len(chunk))
    return h.hexdigest()


def hash_meanwhile(path: Path, progress: Progress | None = None, scan: TextScan | None = None) -> Callable[[], str]:
    """:func:`hash_file` in a daemon thread (hashlib lets go of the GIL while it hashes); returns a
    function that waits for the digest (raising what the hashing raised)."""
    import threading

    out: list = []

    def work() -> None:
        try:
            out.append(hash_file(path, progress, scan))
        except BaseException as exc:  # handed to the caller below
            out.append(exc)

    thread = threading.Thread(target=work, name="sj-hash", daemon=True)
    thread.start()

    def digest() -> str:
        thread.join()
        if isinstance(out[0], BaseException):
            raise out[0]
        return out[0]
    return digest


def transcode_to_utf8(src: Path, dst: Path, encoding: str, progress: Progress | None = None,
                      workers: int | None = None, scan: TextScan | None = None) -> str:
    """Stream ``src`` (GBK/GB18030) to UTF-8 ``dst``; return the sha256 of the source bytes.

    A line that does not decode, or that is valid UTF-8 with Chinese characters in a GBK file
    (mixed encodings — a frequent result of concatenating exports), stops the import with its
    line number.  A large GBK/GB18030 file is decoded by worker processes, one run of blocks each
    (``encodings.parallel_transcode``: the same blocks, checks, output and messages as below) while
    this process hashes it; otherwise block by block here, the mixed-encoding check of a block
    (numpy, which lets go of the GIL) in a second thread while this one decodes the block.
    ``workers``: at most this many runs (default: the cores this process may use, at most 8).
    ``scan`` sees every block of the source (:class:`TextScan`).
    """
    from . import encodings

    n = min(workers or encodings.workers(), encodings.MAX_RUNS)
    if (encoding in encodings.PARALLEL_CODECS and n > 1
            and src.stat().st_size >= encodings.MIN_PARALLEL_BYTES):
        try:
            # the hashing thread's own scan: taken only if the workers ran (else it may still be hashing)
            own = TextScan(scan.header, scan.check_bom, scan.header_at) if scan is not None else None
            digest = _transcode_parallel(src, dst, encoding, n, progress, own)
            if scan is not None:
                vars(scan).update(vars(own))
            return digest
        except (OSError, RuntimeError, ValueError):   # the workers could not run: the same, here
            pass
    return _transcode_here(src, dst, encoding, progress, scan)


def _transcode_parallel(src: Path, dst: Path, encoding: str, n: int, progress: Progress | None,
                        scan: TextScan | None = None) -> str:
    """The runs here and in workers (``encodings.parallel_transcode``, in this thread: Ctrl-C stops
    its workers and removes their parts) while a second thread hashes the file (hashlib lets go of
    the GIL)."""
    from . import encodings

    digest = hash_meanwhile(src, progress, scan)
    encodings.parallel_transcode(src, dst, encoding, n, partial_error(src, encoding))
    return digest()


def partial_error(src: Path, encoding: str) -> Callable[[str, int], None]:
    """``on_error(kind, line)`` raising the sequential transcoder's message for that problem."""
    def raise_it(kind: str, line: int) -> None:
        raise _encoding_error(kind, line, src, encoding)
    return raise_it


def _encoding_error(kind: str, line: int, src: Path, encoding: str) -> ImportFailed:
    if kind == "mixed":
        return ImportFailed(f"文件 {src.name} 第 {line} 行是 UTF-8 编码，而文件其余部分是 GBK：编码混用",
                            hint="请把整个文件统一另存为一种编码（推荐 UTF-8）后再导入")
    return ImportFailed(f"文件 {src.name} 第 {line} 行含有无法按 {encoding.upper()} 解码的字节",
                        hint="文件可能混用了多种编码或已损坏；请统一另存为 UTF-8 或 GBK 后再导入")


def _transcode_here(src: Path, dst: Path, encoding: str, progress: Progress | None = None,
                    scan: TextScan | None = None) -> str:
    """The sequential transcoder (see ``transcode_to_utf8``)."""
    from concurrent.futures import ThreadPoolExecutor

    h = hashlib.sha256()
    dec = codecs.getincrementaldecoder(encoding)("strict")
    line_no = 1
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sj-mixed") as pool:
        pending = b""
        while True:
            chunk = fin.read(CHUNK)
            final = not chunk
            h.update(chunk)
            if scan is not None:
                scan.feed(chunk)
            data = pending + chunk
            cut = len(data) if final else data.rfind(b"\n") + 1
            block, pending = data[:cut], data[cut:]
            mixed = pool.submit(_check_mixed, block, encoding, line_no, src)
            try:
                text = dec.decode(block, final=final)
            except UnicodeDecodeError as exc:
                mixed.result()   # a UTF-8 line in this block is named first, as line by line
                raise _encoding_error("decode", line_no + block[: exc.start].count(b"\n"), src, encoding) from exc
            line_no = mixed.result()
            fout.write(text)
            if progress:
                progress(len(chunk))
            if final:
                break
    return h.hexdigest()


def _check_mixed(block: bytes, encoding: str, line_no: int, src: Path) -> int:
    """Refuse UTF-8 lines inside a GBK file; return the line number after ``block``."""
    from .encodings import first_mixed_line

    if encoding.startswith("utf"):
        return line_no + block.count(b"\n")
    offset = first_mixed_line(block)
    if offset is not None:
        raise _encoding_error("mixed", line_no + offset, src, encoding)
    return line_no + block.count(b"\n")


def _maybe_utf8_lines(block: bytes) -> list[tuple[int, bytes]]:
    """See ``encodings.maybe_utf8_lines``."""
    from .encodings import maybe_utf8_lines

    return maybe_utf8_lines(block)


# -- XLSX ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class XlsxLimits:
    """What an .xlsx may unpack to before it is read (a zip bomb or one 400 MB cell exhausts memory).

    ``max_unpacked``: the sum of the uncompressed sizes of all members; ``max_ratio``: uncompressed /
    compressed size of one member; ``max_text_bytes``: the XML text of one cell or shared string
    (Excel's own limit is 32,767 characters a cell; 7 bytes a character covers escapes like _x000D_);
    ``max_shared_strings``: the number of shared strings.
    """

    max_unpacked: int = 4 << 30
    max_ratio: int = 1000
    max_text_bytes: int = 32767 * 7 + 1024
    max_shared_strings: int = 20_000_000


XLSX_LIMITS = XlsxLimits()


def check_xlsx(path: Path, limits: XlsxLimits = XLSX_LIMITS) -> None:
    """Refuse an .xlsx that would unpack to more than ``limits`` allow, before any cell is read.

    The sizes come from the zip directory, and the shared strings and worksheets are streamed through
    once (``zipfile`` stops at the declared size and checks the CRC, so a lying directory fails too),
    measuring the longest stretch of XML text between two tags and counting the shared strings.
    """
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic == OLE2_MAGIC:          # an old .xls (BIFF in an OLE2 file): calamine reads it whole
        _check_xls(path, limits)
        return
    if not magic.startswith(b"PK"):
        _refuse_not_excel(path, magic)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailed(f"无法读取 Excel 文件 {path.name}：不是有效的 .xlsx（zip）文件",
                           hint="确认文件是 .xlsx 格式且未损坏（可用 Excel 打开后另存）") from exc
    with zf:
        members = zf.infolist()
        total = sum(m.file_size for m in members)
        if total > limits.max_unpacked:
            raise ImportFailed(f"Excel 文件 {path.name} 解压后有 {total / 2**20:,.0f} MB，超过上限 "
                               f"{limits.max_unpacked / 2**20:,.0f} MB",
                               hint="把数据另存为 CSV（UTF-8 或 GBK）后导入，或拆分成几个文件")
        for m in members:
            if m.file_size > (1 << 20) and m.file_size > limits.max_ratio * max(m.compress_size, 1):
                raise ImportFailed(f"Excel 文件 {path.name} 的部件 {m.filename} 压缩比异常"
                                   f"（{m.compress_size:,} 字节解压为 {m.file_size:,} 字节），疑似压缩炸弹",
                                   hint="不要导入来历不明的文件；请向提供单位重新索取")
        for m in members:
            if m.filename == "xl/sharedStrings.xml" or m.filename.startswith("xl/worksheets/sheet"):
                _scan_xml(zf, m, path, limits)


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_xls(path: Path, limits: XlsxLimits) -> None:
    """An .xls is read into memory whole (it holds at most 65,536 rows): refuse one larger than a
    quarter of what an .xlsx may unpack to."""
    size = path.stat().st_size
    if size > limits.max_unpacked // 4:
        raise ImportFailed(f"Excel 文件 {path.name} 有 {size / 2**20:,.0f} MB，超过旧版 .xls 的上限 "
                           f"{limits.max_unpacked // 4 / 2**20:,.0f} MB",
                           hint="用 Excel 或 WPS 另存为 .xlsx 或 CSV 后导入")


def _refuse_not_excel(path: Path, magic: bytes) -> None:
    """Neither zip (.xlsx) nor OLE2 (.xls): many systems save a web page or text as “.xls”."""
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(codecs.BOM_UTF8).lstrip().lower()
    if head.startswith((b"<", b"<?xml")) or b"<table" in head or b"<html" in head:
        what = "网页（HTML）或 XML 表格另存的文件"
    elif (b"\n" in head or b"," in head or b"\t" in head) and b"\0" not in head \
            and (_decodes(head, "utf-8") or _decodes(head, "gb18030")):
        what = "文本文件（可能是 CSV 或制表符分隔的文本）"
    else:
        what = None
    if what is None:
        if path.suffix.lower() == ".xls":
            raise ImportFailed(f"无法读取 Excel 文件 {path.name}：不是有效的 .xls 文件（文件不完整或已损坏）",
                               hint="用 Excel 或 WPS 打开后另存为 .xlsx 再导入，或向提供单位重新索取")
        raise ImportFailed(f"无法读取 Excel 文件 {path.name}：不是有效的 .xlsx（zip）文件",
                           hint="确认文件是 .xlsx 格式且未损坏（可用 Excel 打开后另存）")
    raise ImportFailed(f"文件 {path.name} 不是真正的 Excel 工作簿，而是{what}，只是扩展名为 {path.suffix}",
                       hint="用 Excel 或 WPS 打开后另存为 .xlsx 或“CSV UTF-8”再导入"
                            + ("；文本文件也可以用 --format-in csv 直接导入" if "文本" in what else ""))


def _scan_xml(zf: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path, limits: XlsxLimits) -> None:
    shared = member.filename.endswith("sharedStrings.xml")
    count, tail = 0, b""
    try:
        with zf.open(member) as fh:
            while chunk := fh.read(CHUNK):
                if shared:
                    count += chunk.count(b"<si>") + chunk.count(b"<si ")
                pieces = (tail + chunk).split(b"<")
                tail = pieces.pop()
                if len(tail) > limits.max_text_bytes or (pieces and max(map(len, pieces)) > limits.max_text_bytes):
                    where = "共享字符串" if shared else f"工作表部件 {member.filename}"
                    raise ImportFailed(
                        f"Excel 文件 {path.name} 的{where}中有一个单元格内容超过 "
                        f"{limits.max_text_bytes // 7:,} 个字符（Excel 单元格上限为 32767 个字符），拒绝读取",
                        hint="文件可能被篡改或不是由 Excel/WPS 生成；请向提供单位重新索取，或另存为 CSV 后导入")
                if count > limits.max_shared_strings:
                    raise ImportFailed(f"Excel 文件 {path.name} 的共享字符串超过 {limits.max_shared_strings:,} 个",
                                       hint="把数据另存为 CSV 后导入，或拆分成几个文件")
    except (zipfile.BadZipFile, zlib_error()) as exc:
        raise ImportFailed(f"Excel 文件 {path.name} 已损坏（{member.filename} 无法解压）",
                           hint="用 Excel 或 WPS 打开后另存，或向提供单位重新索取") from exc


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def xlsx_sheet_names(path: Path) -> list[str]:
    """The sheet names, after :func:`check_xlsx` (calamine reads the shared strings when it opens a book)."""
    check_xlsx(path)
    return _sheet_names(path)


def _sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: Exception) -> ImportFailed:
    kind = ".xls" if path.suffix.lower() == ".xls" else ".xlsx"
    return ImportFailed(f"无法读取 Excel 文件 {path.name}：{exc}",
                        hint=f"确认文件是 {kind} 格式且未损坏；可用 Excel 或 WPS 打开后另存为 .xlsx 再导入")


SOURCE_LINE = "_src_line"   # staging column: the row's line in the source file (for located messages)


@dataclass
class SheetLayout:
    """What reading a sheet found besides its data (:func:`xlsx_batches`), complete once the batches
    are consumed.

    ``sheet``: the sheet read; ``note``: why that sheet when none was named (several sheets);
    ``footers``: the closing rows left out (Excel row, text); ``repeated``: the Excel rows left out
    as copies of a row at or above the header (the header and title repeated on every printed page or
    in sheets pasted together); ``lines``: runs (data row, its Excel row) — data row k is Excel row
    ``k - first + row`` of the last run whose first data row is at most k (:func:`source_row`)."""

    sheet: str = ""
    note: str | None = None
    footers: list[tuple[int, str]] = field(default_factory=list)
    repeated: list[int] = field(default_factory=list)
    lines: list[tuple[int, int]] = field(default_factory=list)
    hidden: list[tuple[str, str]] = field(default_factory=list)   # (column letter, name): hidden in Excel


def source_row(lines: list[tuple[int, int]] | None, row: int) -> int:
    """The row the user sees in the source (Excel row, or the line of a CSV record) of data row
    ``row``, from the runs of a :class:`SheetLayout` (``row`` itself without runs)."""
    if lines is None or not len(lines):
        return row
    import bisect

    at = bisect.bisect_right(lines, (row, float("inf"))) - 1
    if at < 0:
        return row
    first, line = lines[at]
    return line + row - first


def xlsx_batches(path: Path, sheet: str | None, batch_rows: int = 50_000, header_row: int = 1,
                 limits: XlsxLimits = XLSX_LIMITS, with_line: bool = False,
                 footers: list[tuple[int, str]] | None = None,
                 layout: SheetLayout | None = None) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """Header and string record batches of one sheet (by default the first visible sheet with data).

    ``header_row`` is the Excel row number (1-based) of the column names; rows above it are not
    imported (titles, merged upper headers).  Empty rows are skipped; with ``with_line`` every batch
    also carries the Excel row number of each row in ``SOURCE_LINE``.  Rows are streamed from calamine.
    The sheet's closing rows that are a sign-off or a total (表尾: 合计, 制表人：…, 审核人：…; see
    :func:`footer_text`) are not data: they are left out, and ``footers`` (when given) receives their
    row numbers and text once the batches are consumed.  Rows equal to the header or a row above it
    (a header repeated on every page) are left out too.  ``layout`` receives all of it (:class:`SheetLayout`).
    """
    from python_calamine import CalamineWorkbook

    check_xlsx(path, limits)
    layout = layout if layout is not None else SheetLayout()
    if footers is not None:
        layout.footers = footers
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise _unreadable(path, exc) from exc
    ws, layout.sheet, layout.note = _pick_sheet(book, sheet, path)
    rows = _numbered_rows(_merged_filled(ws.iter_rows(), ws.merged_cell_ranges or [], ws.start))
    head: list[tuple[int, list]] = []
    for item in rows:
        head.append(item)
        if item[0] >= header_row and len(head) >= 12:
            break
    if not any(n >= header_row for n, _ in head):
        what = "是空的" if not head else f"第 {header_row} 行之后没有内容"
        raise ImportFailed(f"Excel 文件 {path.name} 的工作表“{layout.sheet}”{what}",
                           hint="确认数据所在的工作表（--sheet）和表头所在行（--header-row）")
    numbered = dict(head)
    check_header([numbered.get(i, []) for i in range(1, max(numbered) + 1)], _first_at(numbered, header_row), path)
    start = _first_at(numbered, header_row)
    header = unique_header([_cell(v) or "" for v in numbered[start]])
    col0 = ws.start[1] if ws.start else 0       # the rows' cells begin at the used range's first column
    layout.hidden = [(column_letter(c), header[c - col0 - 1]) for c in hidden_columns(path, layout.sheet)
                     if 0 <= c - col0 - 1 < len(header)]
    above = [r for n, r in head if n <= start]
    return header, _xlsx_gen([(n, r) for n, r in head if n > start], rows, header, batch_rows, with_line,
                             layout, above)


def column_letter(n: int) -> str:
    """Excel's letter of the 1-based column ``n``.

    >>> column_letter(1), column_letter(27)
    ('A', 'AA')
    """
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def hidden_columns(path: Path, sheet: str) -> list[int]:
    """The 1-based columns of ``sheet`` hidden in Excel (``<col hidden="1">`` or width 0 in the
    sheet's XML, which lists them before its data); [] for an .xls or when the parts are not found."""
    import re
    import xml.etree.ElementTree as ET

    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        with zipfile.ZipFile(path) as zf:
            book = ET.fromstring(zf.read("xl/workbook.xml"))
            rid = next((e.get(rel) for e in book.iter() if e.tag.endswith("}sheet") and e.get("name") == sheet), None)
            rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            target = next((e.get("Target") for e in rels if e.get("Id") == rid), None)
            if rid is None or target is None:
                return []
            member = target.lstrip("/") if target.startswith("/") else "xl/" + target
            head = b""
            with zf.open(member) as fh:       # <cols> comes before <sheetData>: read up to it
                while (chunk := fh.read(1 << 16)) and b"<sheetData" not in head:
                    head += chunk
    except (KeyError, OSError, zipfile.BadZipFile, ET.ParseError):
        return []
    head = head.split(b"<sheetData")[0]
    out: set[int] = set()
    for col in re.finditer(rb"<(?:\w+:)?col\b([^>]*)>", head):
        attrs = dict(re.findall(rb'(\w+)="([^"]*)"', col.group(1)))
        hidden = attrs.get(b"hidden") in (b"1", b"true") or attrs.get(b"width") in (b"0", b"0.0")
        if hidden and attrs.get(b"min", b"").isdigit() and attrs.get(b"max", b"").isdigit():
            out.update(range(int(attrs[b"min"]), min(int(attrs[b"max"]), 16384) + 1))
    return sorted(out)


def _pick_sheet(book, sheet: str | None, path: Path) -> tuple[object, str, str | None]:
    """The sheet to read, its name, and a note when none was named and the book has several: the
    first visible worksheet with at least two rows (a 说明 or 封面 sheet with one line, an empty
    Sheet2 or a hidden code-table sheet is not the data)."""
    try:
        meta = list(book.sheets_metadata)
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise ImportFailed(f"无法读取 Excel 文件 {path.name}：{exc}",
                           hint="确认文件是 .xlsx 格式且未损坏（可用 Excel 打开后另存）") from exc
    names = [m.name for m in meta]
    listed = "、".join(f"“{n}”" for n in names) or "（无）"
    if sheet is not None:
        if sheet not in names:
            raise ImportFailed(f"Excel 文件 {path.name} 中没有名为“{sheet}”的工作表",
                               hint=f"可用的工作表：{'、'.join(names) or '（无）'}；用 --sheet 指定")
        return book.get_sheet_by_name(sheet), sheet, None
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    visible = [m.name for m in meta if m.typ == SheetTypeEnum.WorkSheet and m.visible == SheetVisibleEnum.Visible]
    passed: list[str] = []
    for name in visible or names[:1]:
        ws = book.get_sheet_by_name(name)
        if ws.height >= 2 or len(names) == 1:
            others = [n for n in names if n != name]
            note = None
            if others:
                why = f"（“{'”“'.join(passed)}”不足两行，不是数据表）" if passed else ""
                note = (f"Excel 文件有 {len(names)} 个工作表（{listed}），未指定 --sheet，导入的是“{name}”{why}；"
                        f"其他工作表未导入，需要时用 --sheet 工作表名 或 --all-sheets 导入")
            return ws, name, note
        passed.append(name)
    raise ImportFailed(f"Excel 文件 {path.name} 的工作表（{listed}）中没有一个有数据（至少一行表头和一行数据）",
                       hint="确认导出时选择了数据范围；数据在隐藏的工作表中时用 --sheet 指定")


def _first_at(numbered: dict[int, list], row: int) -> int:
    return min(n for n in numbered if n >= row)


def _merged_filled(rows: Iterator[list], merged: list, start: tuple[int, int] | None) -> Iterator[list]:
    """Rows with the cells under a vertically merged cell holding its value (Excel keeps it in the
    top cell only): a 所属单位 merged over five people's rows belongs to each of them, and a column
    name merged down over a two-row header (姓名 over rows 2–3) names the column whichever of the
    two rows is the header.  A merge across columns only (a title, 基本信息 over three columns) is
    left as it is; a block merged across rows and columns fills its first column.

    ``merged`` are calamine's ranges ((row, col), (row, col)), 0-based in the sheet; the rows come
    from the sheet's first row, their cells from the used range's first column ``start[1]``."""
    col0 = start[1] if start else 0
    down: dict[int, list[tuple[int, int]]] = {}          # row → [(column in the row, top row)]
    tops: dict[int, list[int]] = {}                       # top row → its merged columns
    for (r0, c0), (r1, _c1) in merged:
        if r1 > r0:
            tops.setdefault(r0, []).append(c0 - col0)
        for r in range(r0 + 1, r1 + 1):
            down.setdefault(r, []).append((c0 - col0, r0))
    if not down:
        yield from rows
        return
    kept: dict[tuple[int, int], object] = {}
    for r, row in enumerate(rows):
        for c in tops.get(r, ()):
            if 0 <= c < len(row):
                kept[c, r] = row[c]
        if r in down:
            row = list(row)
            for c, t in down[r]:
                if 0 <= c < len(row) and row[c] in (None, ""):
                    row[c] = kept.get((c, t), row[c])
        yield row


def _numbered_rows(rows) -> Iterator[tuple[int, list]]:
    for n, r in enumerate(rows, 1):
        if any(v not in (None, "") for v in r):
            yield n, r


# 表尾: what agency exports put under the data.  A total row is named by its first filled cell
# alone (合计 / 总计 …); a sign-off row starts with a role and a colon (制表人：, 审核：, 填报日期：) or a
# role's name (制表人 张三), or is a note (注：, 说明：, 数据来源：) — and fills few cells.
_FOOTER_TOTALS = frozenset({"合计", "总计", "小计", "累计", "总合计", "共计"})
_FOOTER_START = re.compile(
    r"(制表|填表|填报|审核|复核|审批|统计|经办|负责|联系|打印|导出)(人|单位|日期|时间|电话)?\s*"
    r"(（[^）]{0,6}）|\([^)]{0,6}\))?\s*[:：]"
    r"|(制表|填表|填报|审核|复核|审批|统计|经办|单位负责|部门负责)人"
    r"|(单位|部门|领导|负责人|经办人)+(签字|签名|签章|盖章)|(签字|签名|签章|盖章)\s*[:：]"
    r"|(注|说明|备注|数据来源|资料来源)\s*[:：]")


def footer_text(row: list, width: int) -> str | None:
    """The text of a row that looks like a table footer (a total or a sign-off), else None.

    Only a candidate: :func:`_xlsx_gen` leaves such rows out only when nothing but such rows
    follow them (a 合计 row between groups of data is kept)."""
    first = next((v for v in row if v is not None and v != ""), None)
    if not isinstance(first, str):           # an empty row, or a number or date first: data (cheap exit)
        return None
    first = first.strip()
    total = re.sub(r"\s+", "", first) in _FOOTER_TOTALS
    if not total and not _FOOTER_START.match(first):
        return None
    cells = [c for c in (_cell(v) for v in row) if c]
    if total or len(cells) <= max(3, width // 2):
        return "  ".join(cells)[:60]
    return None


def footer_start(rows: list[list], width: int) -> int:
    """Where the footer at the end of ``rows`` begins (``len(rows)``: none): the last rows while they
    look like footers (:func:`footer_text`) or are blank; blank rows go with the footer only above or
    among its rows, not alone."""
    start = end = len(rows)
    while end:
        row = rows[end - 1]
        if footer_text(row, width) is not None:
            start = end - 1
        elif any(str(c).strip() for c in row if c is not None):
            break                          # data
        elif start < len(rows):
            start = end - 1                # a blank row above a footer row
        end -= 1
    return start


def csv_footer_cut(source: Path, delimiter: str, width: int, window: int = 65_536) -> tuple[int, list[str]] | None:
    """Where a delimited UTF-8 file's table footer begins (a byte offset) and the footer rows' text,
    or None when its last records are data.

    The last lines (within ``window`` bytes) are taken up to one holding a quote character (it may
    belong to a quoted value spanning lines) and never the file's first line (the header), each read
    as a record, and :func:`footer_start` says where their footer begins."""
    size = source.stat().st_size
    start = max(0, size - window)
    with source.open("rb") as fh:
        fh.seek(start)
        tail = fh.read()
    lines = tail.split(b"\n")
    offsets, pos = [], start
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    first = 1                           # the window's first line: the header, or cut by the window
    for i in range(len(lines) - 1, 0, -1):
        if b'"' in lines[i]:
            first = i + 1
            break
    rows = [next(csv.reader([raw.rstrip(b"\r").decode("utf-8", "replace")], delimiter=delimiter), [])
            for raw in lines[first:]]
    at = footer_start(rows, width)
    if at == len(rows):
        return None
    texts = [t for t in (footer_text(r, width) for r in rows[at:]) if t is not None]
    return offsets[first + at], texts


def _xlsx_gen(first: list[tuple[int, list]], rest: Iterator[tuple[int, list]], header: list[str],
              batch_rows: int, with_line: bool, layout: SheetLayout, above: list[list]) -> Iterator[pa.RecordBatch]:
    """The batches; ``above``: the rows at and above the header, whose copies further down (a header
    repeated on each printed page) are left out.  A row is compared in full only when its first cell
    is the first cell of one of them (a dict look-up per row)."""
    names = [*header, SOURCE_LINE] if with_line else header
    heads = {_row_sig(r) for r in above}
    firsts = {r[0] if r else None for r in above}
    buf: list[tuple[int, list]] = []
    held: list[tuple[int, list, str]] = []     # footer-like rows not yet known to be the last ones
    lines, repeated, count, offset = layout.lines, layout.repeated, 0, None
    for item in iter_chain(first, rest):
        row = item[1]
        if (row[0] if row else None) in firsts and _row_sig(row) in heads:
            repeated.append(item[0])
            continue
        text = footer_text(row, len(header))
        if text is not None:
            held.append((*item, text))
            continue
        for n, r, _ in held:
            buf.append((n, r))
            count += 1
            if n - count != offset:
                lines.append((count, n))
                offset = n - count
        held = []
        buf.append(item)
        count += 1
        if item[0] - count != offset:          # the first row, or after a row left out (blank, repeated)
            lines.append((count, item[0]))
            offset = item[0] - count
        if len(buf) >= batch_rows:
            yield _xlsx_batch(buf, names)
            buf = []
    layout.footers.extend((n, text) for n, _, text in held)
    if buf:
        yield _xlsx_batch(buf, names)


def _row_sig(row: list) -> tuple:
    """A row's cells as text, without the empty cells at its end (for comparing rows)."""
    cells = [_cell(v) for v in row]
    while cells and cells[-1] is None:
        cells.pop()
    return tuple(cells)


def _xlsx_batch(part: list[tuple[int, list]], names: list[str]) -> pa.RecordBatch:
    width = len(names) - (names[-1] == SOURCE_LINE)
    cols = [pa.array([_cell(r[i]) if i < len(r) else None for _, r in part], pa.string()) for i in range(width)]
    if width < len(names):
        cols.append(pa.array([n for n, _ in part], pa.int64()))
    return pa.RecordBatch.from_arrays(cols, names=names)


# A number cell from 10^15 up lost digits in Excel (it keeps 15 significant digits: a 身份证号 or bank
# card typed as a number reads 3.30102199001011E+17).  Such a cell is written as Excel shows it, never
# as a digit string that could pass for the real number (quality.py reports it with the fix).
EXCEL_DIGITS_LOST = 1e15


def _cell(v: object) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        if abs(v) >= EXCEL_DIGITS_LOST:   # Excel kept 15 significant digits: shown as Excel shows it
            return f"{v:.15G}"
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S") if (v.hour or v.minute or v.second) else v.strftime("%Y-%m-%d")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.isoformat()
    return str(v).strip()


def unique_header(names: list[str]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(names):
        name = (raw or "").strip() or f"列{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


# -- JSON Lines ----------------------------------------------------------------------------------

@dataclass
class BadLine:
    line: int
    message: str


def jsonl_batches(path: Path, bad: list[BadLine], batch_rows: int = 50_000) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """Header (union of keys in order of appearance, from the whole file) and string batches."""
    keys: dict[str, None] = {}
    with path.open("r", encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, 1):
            obj = _json_obj(line, n, bad)
            if obj:
                keys.update(dict.fromkeys(obj))
    header = list(keys)
    bad.clear()

    def gen() -> Iterator[pa.RecordBatch]:
        buf: list[dict] = []
        with path.open("r", encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, 1):
                obj = _json_obj(line, n, bad)
                if obj is not None:
                    buf.append(obj)
                if len(buf) >= batch_rows:
                    yield _dicts_to_batch(buf, header)
                    buf = []
        if buf:
            yield _dicts_to_batch(buf, header)

    return header, gen()


def _json_obj(line: str, n: int, bad: list[BadLine]) -> dict | None:
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        bad.append(BadLine(n, f"不是合法的 JSON：{exc.msg}（第 {exc.colno} 列）"))
        return None
    if not isinstance(obj, dict):
        bad.append(BadLine(n, "每行应是一个 JSON 对象 {…}"))
        return None
    return obj


def _dicts_to_batch(rows: list[dict], header: list[str]) -> pa.RecordBatch:
    cols = [[_json_cell(r.get(k)) for r in rows] for k in header]
    return pa.RecordBatch.from_arrays([pa.array(c, pa.string()) for c in cols], names=header)


def _json_cell(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
