"""Where one import's wall time goes: every DuckDB statement and the Python between them (issue 20).

    PYTHONPATH=src python benchmarks/bench_import_timeline.py /tmp/x/bench_2000000.csv [--home /tmp/tl-home]

Runs ``Importer.import_file`` in this process with the warehouse connection wrapped so that each
``execute`` is timed: wall seconds, CPU seconds of the whole process (all DuckDB threads) and the cores
busy on average (CPU ÷ wall).  The gaps between statements are Python (transcoding, UDF set-up,
metadata).  Process start-up (imports) is timed separately.  Prints a table, slowest first by order.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from pathlib import Path

T0 = time.monotonic(), time.process_time()
_TICK = os.sysconf("SC_CLK_TCK")


def _threads() -> dict[str, float]:
    """CPU seconds of each thread of this process (Linux /proc): DuckDB's workers and Python's."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            out[tid] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


def _busiest(before: dict[str, float], after: dict[str, float]) -> float:
    """The share of the CPU seconds between two ``_threads()`` that the busiest thread used: near 1.0
    means the work ran on one core whatever the machine's load."""
    used = [after[t] - before.get(t, 0.0) for t in after]
    return max(used) / sum(used) if sum(used) > 0 else 0.0


def _idle_wall(cpu: float, top: float, cores: int) -> float:
    """What a step would take on ``cores`` idle cores: its busiest thread's CPU, or its CPU spread over
    the cores, whichever is longer (a load-independent estimate from CPU seconds)."""
    return max(cpu * top, cpu / cores)


class _Timed:
    """A DuckDB connection whose ``execute`` records (label, wall, cpu)."""

    def __init__(self, con, log: list):
        self._con, self._log = con, log

    def execute(self, sql, *args, **kwargs):
        w, c, th = time.monotonic(), time.process_time(), _threads()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            self._log.append(("sql", str(sql), w, time.monotonic() - w, time.process_time() - c,
                              _busiest(th, _threads())))

    def __getattr__(self, name):
        return getattr(self._con, name)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("--home", type=Path, default=Path("/tmp/shujian-import-timeline"))
    ap.add_argument("--sql-out", type=Path, default=None, help="write every statement in full to this file")
    ap.add_argument("--cores", type=int, default=2, help="cores for the idle-machine estimate")
    ap.add_argument("--min", type=float, default=0.02, help="list statements/gaps above this many wall seconds")
    args = ap.parse_args()
    shutil.rmtree(args.home, ignore_errors=True)
    os.environ["SHUJIAN_HOME"] = str(args.home)
    os.environ.pop("SHUJIAN_DATABASE_URL", None)
    from shujian.catalog.importer import Importer, ImportRequest
    from shujian.config import load_settings
    from shujian.workspace import Workspace

    imported = time.monotonic() - T0[0], time.process_time() - T0[1]
    log: list = []
    ws = Workspace(load_settings()).ensure()
    real = type(ws).warehouse

    @contextlib.contextmanager
    def timed(self, **kw):
        with real(self, **kw) as con:
            yield _Timed(con, log)

    type(ws).warehouse = timed
    w0, c0 = time.monotonic(), time.process_time()
    res = Importer(ws).import_file(ImportRequest(name="养老金发放", path=args.csv, agency="市人社局"))
    wall, cpu = time.monotonic() - w0, time.process_time() - c0
    _say(f"imports before the import: wall {imported[0]:.2f} s, cpu {imported[1]:.2f} s")
    _say(f"import_file: {res.rows} rows, wall {wall:.2f} s, cpu {cpu:.2f} s, cores {cpu / wall:.2f}")
    _say(f"{'start':>6} {'wall':>6} {'cpu':>6} {'cores':>5} {'top':>4}  what  (top: share of the CPU on the busiest thread)")
    prev_end = w0
    for _kind, text, start, w, c, top in log:
        gap = start - prev_end
        if gap >= args.min:
            _say(f"{prev_end - w0:6.2f} {gap:6.2f} {'':>6} {'':>5}  (python between statements)")
        if w >= args.min:
            _say(f"{start - w0:6.2f} {w:6.2f} {c:6.2f} {c / w if w else 0:5.2f} {top:4.0%}  {' '.join(text.split())[:110]}")
        prev_end = start + w
    sql_cpu = sum(c for _k, _t, _s, _w, c, _top in log)
    estimate = imported[1] + sum(_idle_wall(c, top, args.cores) for _k, _t, _s, _w, c, top in log) + (cpu - sql_cpu)
    _say(f"CPU of this process: statements {sql_cpu:.2f} s, between them (Python, transcoding, hashing) "
         f"{cpu - sql_cpu:.2f} s (worker processes not counted)")
    _say(f"estimated wall on {args.cores} idle cores incl. start-up: {estimate:.2f} s (each statement: max(busiest "
         f"thread CPU, CPU / cores); the CPU between statements counted as serial)")
    if args.sql_out:
        args.sql_out.write_text("".join(f"-- wall {w:.2f} cpu {c:.2f}\n{t};\n\n" for _k, t, _s, w, c, _top in log), "utf-8")
    _say(f"{prev_end - w0:6.2f} {w0 + wall - prev_end:6.2f} {'':>6} {'':>5}  (python after the last statement)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
