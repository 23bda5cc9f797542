"""Worker processes for the ``shujian_text`` SQL function: both cores for large inputs.

In Python the function holds the interpreter lock, so in one process it uses one core however
many threads DuckDB runs.  (A batch the C loop screens stays in this process; for a rule's words and merchants
``native.screen_arrow`` releases the lock while it screens, so DuckDB's threads screen at once.)  DuckDB calls it from each of its threads with a batch (2,048 rows); once
a registration has screened ``after`` rows in this process (a large input: a city's 12345 export or
its enterprise registry), each batch goes to an idle worker process and the calling thread waits
with the lock released — so DuckDB's threads keep as many workers busy as there are cores.  Small
inputs (tests, a small city, a preview) never start a worker.  A worker computes exactly what this
process would (:func:`shujian.text.udf.screen_values`, same code, same arguments).

Workers are ``python -m shujian.text.workers`` processes (started fresh: a fork of this process
would copy DuckDB's threads mid-flight, and multiprocessing's spawn would re-import the caller's
main script), talking length-prefixed pickles over their standard input and output.  They are
started when an input reaches half of ``after`` rows, so they are ready when it reaches ``after``;
they stop when unused for ``idle`` seconds, when this process exits (their input closes), or when
one of them fails (the batch is then screened here, and no worker is started again).

``SHUJIAN_TEXT_WORKERS``: the number of workers (0 or 1: screen in this process only); by default
one per CPU this process may use when the machine is otherwise idle, none when other processes keep
it busy (see ``Pool.size``).
"""

from __future__ import annotations

import atexit
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

_HEADER = struct.Struct("<Q")


def _read(stream, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("text worker closed its pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(stream, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream) -> Any:
    (n,) = _HEADER.unpack(_read(stream, _HEADER.size))
    return pickle.loads(_read(stream, n))


class _Worker:
    """One worker process; used by one thread at a time."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])      # the directory holding this shujian
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["SHUJIAN_TEXT_WORKERS"] = "0"                   # a worker never starts workers
        self.proc = subprocess.Popen([sys.executable, "-m", "shujian.text.workers"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)
        self.sent: set[str] = set()                         # digests of the key sets it holds

    def call(self, texts, config: str, words: tuple[str, ...]) -> Any:
        """The worker's answer for ``texts``: ``screen_values`` of a list, ``screen_arrow`` of an
        Arrow array (sent and returned as Arrow buffers: no Python object per row on this side)."""
        from shujian.text.udf import among, keyset_items

        keysets = {}
        digest = among(config)
        if digest and digest not in self.sent:      # the key set of ``name_key_among``, sent once
            items = keyset_items(digest)
            if items is not None:
                keysets[digest] = items
                self.sent.add(digest)
        _send(self.proc.stdin, (texts, config, words, keysets))
        ok, value = _receive(self.proc.stdout)
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Pool:
    """Hands batches to worker processes once an input is large (see the module docstring).

    Whether to use workers is decided again every ``recheck`` seconds while an input is screened,
    from what other processes used since the last decision (``_counters``: no waiting): a run that
    began on a busy machine takes both cores once the machine is idle, and one that began on an
    idle machine stops its workers when other processes take the cores (before, workers once
    started stayed on for the whole input, and a busy machine was asked again only after 30 s)."""

    def __init__(self, after: int = 32_768, idle: float = 60.0, recheck: float = 5.0):
        self.after, self.idle, self.recheck = after, idle, recheck
        self._cond = threading.Condition()
        self._workers: list[_Worker] = []      # the running workers
        self._free: list[_Worker] = []         # those not screening a batch now
        self._timer: threading.Timer | None = None
        self._broken = False
        self._decide_at = 0.0                  # the next decision (``_clock`` seconds)
        self._window: tuple[float, float, float] | None = None    # ``_counters`` at the last decision
        self._used = 0.0                       # when a batch last asked for the workers

    @staticmethod
    def size(others: float | None = None) -> int:
        """``SHUJIAN_TEXT_WORKERS`` if set; else one worker per CPU when the machine is idle (other
        processes use less than half a CPU: ``others``, measured now when not given), none when it
        is busy: on a loaded machine the workers only add their overhead and a wake-up per batch
        (measured: the medium city's prepaid model took 1.35–1.6× the wall time with workers at
        load 10–15)."""
        env = os.environ.get("SHUJIAN_TEXT_WORKERS", "").strip()
        if env:
            return int(env) if env.isdigit() else 0
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:           # not Linux
            cpus = os.cpu_count() or 1
        if cpus < 2:
            return 0
        return cpus if (_others_busy() if others is None else others) < 0.5 else 0

    def screen(self, texts: list, config: str, words: tuple[str, ...], seen: int) -> dict[str, list]:
        """``screen_values(texts, config, words)``, in a worker when ``seen`` rows (this batch
        included) make the input large."""
        from shujian.text.udf import screen_values

        return self._screen(screen_values, texts, config, words, seen)

    def screen_arrow(self, texts, config: str, words: tuple[str, ...], seen: int):
        """``screen_arrow(texts, config, words)`` (an Arrow string array → the struct array), in a
        worker when ``seen`` rows make the input large."""
        from shujian.text.udf import screen_arrow

        return self._screen(screen_arrow, texts, config, words, seen)

    def _screen(self, here, texts, config: str, words: tuple[str, ...], seen: int):
        if not os.environ.get("SHUJIAN_TEXT_WORKERS", "").strip():
            from shujian.text.udf import in_c

            if in_c(config, words):
                # the C loop (shujian.text.native): ≈ 3 µs a message, less than a worker's pickling,
                # pipes and start-up cost (measured, large city: prepaid 15.4–16.4 CPU s in process,
                # 21.2 with two workers; docs/benchmarks.md, Prepaid native (ninth session))
                return here(texts, config, words)
        if seen * 2 > self.after:
            self._start()
        worker = self._take() if seen > self.after else None
        if worker is None:
            return here(texts, config, words)
        try:
            result = worker.call(texts, config, words)
        except (OSError, EOFError, pickle.PickleError):
            self._broken = True          # a worker died (killed, out of memory): no more workers
            worker.stop()
            self.close()
            return here(texts, config, words)
        self._give_back(worker)
        return result

    def _take(self) -> _Worker | None:
        """A free worker (waiting for one if all are busy); None when there are none."""
        with self._cond:
            while True:
                if self._broken or not self._workers:
                    return None
                if self._free:
                    return self._free.pop()
                self._cond.wait()

    def _give_back(self, worker: _Worker) -> None:
        with self._cond:
            if worker in self._workers:
                self._free.append(worker)
                self._cond.notify()
                return
        worker.stop()                     # stopped while it was screening

    def _start(self) -> None:
        """Decide, when a decision is due, whether this input uses workers: start them, stop them,
        or leave them as they are."""
        with self._cond:
            if self._broken:
                return
            now = _clock()
            self._used = now
            if now >= self._decide_at:
                self._decide(now)
            if self._workers and self._timer is None:
                self._arm(self.idle)

    def _decide(self, now: float) -> None:
        """The decision (the lock held): the first from a short measurement (``size``), the next
        ones from the CPU other processes used since the last (``_counters``, no waiting)."""
        running = [w.proc.pid for w in self._workers]
        counters = _counters(running)
        others = None
        if self._window is not None and counters[0] > self._window[0]:
            others = _others_used(self._window, counters) / (counters[0] - self._window[0])
        n = self.size(others)
        self._decide_at = now + self.recheck
        if self._workers and n < 2:
            self._stop_workers()          # the machine got busy: the input goes on in this process
        elif not self._workers and n >= 2:
            try:
                self._workers = [_Worker() for _ in range(n)]
            except OSError:
                self._broken = True
                return
            self._free = list(self._workers)
            self._cond.notify_all()
        now_running = [w.proc.pid for w in self._workers]
        # the next window starts here, counting the workers that run from now on
        self._window = counters if now_running == running else _counters(now_running)

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._idle_check)
        self._timer.daemon = True
        self._timer.start()

    def _idle_check(self) -> None:
        """The idle timer: stop the workers when no batch asked for them for ``idle`` seconds, else
        look again when that time will have passed (one timer thread, not one per batch)."""
        with self._cond:
            self._timer = None
            if not self._workers:
                return
            left = self._used + self.idle - _clock()
            if left > 0:
                self._arm(left)
                return
        self.close()

    def _stop_workers(self) -> None:
        """Stop the workers (the lock held): the free ones now, a busy one when it gives its batch back."""
        free, self._free, self._workers = self._free, [], []
        self._cond.notify_all()
        for w in free:
            w.stop()

    def close(self) -> None:
        """Stop the workers (a busy one when it finishes its batch); the next large input decides
        afresh."""
        with self._cond:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._window = None
            self._decide_at = 0.0
            self._stop_workers()


def _clock() -> float:
    return time.monotonic()


def _busy_seconds() -> float:
    """CPU seconds the machine has spent busy (every process), as the kernel counts them."""
    import psutil

    t = psutil.cpu_times()
    return sum(getattr(t, f, 0.0) for f in ("user", "nice", "system", "irq", "softirq", "steal"))


def _counters(pids: list[int]) -> tuple[float, float, float]:
    """(``_clock()``, the machine's busy CPU seconds, the CPU seconds of this process and of the
    worker processes ``pids``): two readings give what other processes used in between."""
    import psutil

    mine = time.process_time()
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            mine += t.user + t.system
        except psutil.Error:
            pass
    return _clock(), _busy_seconds(), mine


def _others_used(before: tuple[float, float, float], after: tuple[float, float, float]) -> float:
    """CPU seconds other processes used between two readings (clock, the machine's busy seconds,
    ours): the machine's busy time less ours."""
    return max(0.0, (after[1] - before[1]) - (after[2] - before[2]))


def _others_busy(seconds: float = 0.2) -> float:
    """CPUs used by other processes over the next ``seconds`` (the machine's busy time less this
    process's): the load average would count this run's own DuckDB threads."""
    import psutil

    start = (time.monotonic(), _busy_seconds(), time.process_time())
    time.sleep(seconds)
    # over the time that really passed: on a busy machine the sleep overruns, and dividing by the
    # nominal seconds counted more CPUs than the machine has; the clock is read around the counters
    # (it was read before the last one: a wait for the CPU in between counted as busy time, not as time)
    end = (0.0, _busy_seconds(), time.process_time())
    elapsed = max(time.monotonic() - start[0], seconds)
    # the counters tick 100 times a second: over a short window they can add up to more CPUs than
    # there are; no more than all of them can be busy
    cpus = psutil.cpu_count() or 1
    return min(float(cpus), _others_used(start, end) / elapsed)


POOL = Pool()
atexit.register(POOL.close)


def main() -> int:
    """The worker: read (texts, config, words, key sets), answer (True, columns) or (False, error),
    until the input closes."""
    import gc

    from shujian.text.udf import add_keyset, screen_arrow, screen_values

    out = os.fdopen(os.dup(1), "wb")      # the answers; anything printed goes to standard error
    os.dup2(2, 1)
    stdin = sys.stdin.buffer
    # a batch allocates tens of thousands of short-lived tuples and lists and makes no reference
    # cycles worth collecting: the default threshold (700) ran a collection every few messages
    gc.set_threshold(100_000, 20, 20)
    while True:
        try:
            texts, config, words, keysets = _receive(stdin)
        except EOFError:
            return 0
        try:
            for items in keysets.values():
                add_keyset(items)         # the same digest as in the caller: the same content
            screen = screen_values if isinstance(texts, list) else screen_arrow
            answer = (True, screen(texts, config, words))
        except Exception as exc:  # noqa: BLE001 — raised again in the caller, as in one process
            answer = (False, exc if _picklable(exc) else RuntimeError(repr(exc)))
        _send(out, answer)


def _picklable(exc: Exception) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
