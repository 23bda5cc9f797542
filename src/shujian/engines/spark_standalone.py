"""A Spark standalone cluster on this machine, from pyspark's own distribution (no separate Spark install).

One master and N workers are started with pyspark's ``bin/spark-class`` (the classes
``org.apache.spark.deploy.master.Master`` and ``…worker.Worker``), bound to 127.0.0.1 on free ports;
:func:`start` returns when every worker has registered with the master.  Used by the cluster parity
test and for trying shujian against a real cluster before pointing it at a data centre's one::

    python -m shujian.engines.spark_standalone --workers 2      # prints the master URL; Ctrl-C stops it
    SHUJIAN_SPARK_MASTER=spark://127.0.0.1:<port> shujian model run <模型> --engine spark

Executors read the Parquet files the driver exports under ``SHUJIAN_HOME/parquet``: on one machine
that path is shared by construction; on a real cluster it must be on shared storage (docs/spark.md).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"


@dataclass
class Cluster:
    """A running standalone cluster: its master URL, web UI and processes (stop with :meth:`stop`)."""

    master_url: str
    ui_url: str
    workdir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def workers_alive(self) -> int:
        """How many workers the master reports ALIVE (0 when the master does not answer)."""
        try:
            with urllib.request.urlopen(f"{self.ui_url}/json/", timeout=5) as resp:   # noqa: S310 (127.0.0.1)
                state = json.loads(resp.read())
        except (OSError, ValueError):     # not up yet, or another server's page on the port (not JSON)
            return 0
        return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")

    def stop(self) -> None:
        """Stop the workers, then the master (SIGTERM, then SIGKILL after 20 s); remove the work dir."""
        for proc in reversed(self.processes):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.processes):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def spark_home() -> Path:
    """The Spark distribution inside the pyspark package (``bin/spark-class`` and ``jars/``)."""
    try:
        import pyspark
    except ImportError as exc:
        raise ConfigError("启动 Spark 集群需要 pyspark", hint='pip install "shujian[spark]"（需要 Java 17）') from exc
    home = Path(pyspark.__file__).parent
    if not (home / "bin" / "spark-class").is_file():
        raise ConfigError(f"pyspark 安装目录 {home} 中没有 bin/spark-class", hint="重新安装 pyspark")
    return home


def start(workers: int = 2, *, cores: int = 1, memory: str = "1g", timeout: float = 180.0,
          workdir: Path | None = None) -> Cluster:
    """Start a master and ``workers`` workers (``cores`` cores, ``memory`` each) on 127.0.0.1."""
    home = spark_home()
    work = Path(workdir or tempfile.mkdtemp(prefix="shujian-spark-cluster-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_LOG_DIR": str(work / "logs"), "SPARK_WORKER_DIR": str(work / "work"),
           "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
           "SPARK_NO_DAEMONIZE": "1"}
    port, ui = _free_port(), _free_port()
    cluster = Cluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui}", work)
    try:
        cluster.processes.append(_spawn(home, env, work / "master.log", MASTER_CLASS,
                                        "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui)))
        # the web UI too, before the workers pick their free ports: one of them could take the UI's port
        _wait(lambda: _listening(port) and _listening(ui), timeout, cluster, "Spark master 未能启动")
        for i in range(workers):
            cluster.processes.append(_spawn(home, env, work / f"worker-{i + 1}.log", WORKER_CLASS,
                                            "--host", "127.0.0.1", "--cores", str(cores), "--memory", memory,
                                            "--webui-port", str(_free_port()), "--work-dir", str(work / f"w{i + 1}"),
                                            cluster.master_url))
        _wait(lambda: cluster.workers_alive() >= workers, timeout, cluster, f"{workers} 个 Spark worker 未能全部注册")
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _spawn(home: Path, env: dict, log: Path, cls: str, *args: str) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([str(home / "bin" / "spark-class"), cls, *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def _wait(ready, timeout: float, cluster: Cluster, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        dead = [p for p in cluster.processes if p.poll() is not None]
        if dead:
            break
        time.sleep(0.5)
    raise ConfigError(f"{what}（{cluster.master_url}）", hint=f"查看日志：{cluster.workdir}/*.log；需要 Java 17")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    """``python -m shujian.engines.spark_standalone [--workers N] [--cores C] [--memory 1g]``."""
    import argparse

    parser = argparse.ArgumentParser(description="在本机启动 Spark standalone 集群（1 个 master + N 个 worker）")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cores", type=int, default=1)
    parser.add_argument("--memory", default="1g")
    args = parser.parse_args(argv)
    cluster = start(args.workers, cores=args.cores, memory=args.memory)
    sys.stdout.write(f"Spark master: {cluster.master_url}  (Web UI {cluster.ui_url})\n"
                     f"  export SHUJIAN_SPARK_MASTER={cluster.master_url}\n按 Ctrl-C 停止集群\n")
    sys.stdout.flush()
    try:
        while all(p.poll() is None for p in cluster.processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
