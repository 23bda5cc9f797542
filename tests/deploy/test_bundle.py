"""The offline bundle installs with no package index and runs the demo (slow: builds and installs ≈ 1–2 min)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile

import pytest

from shujian import __version__
from shujian.bundle import Target, build

pytestmark = pytest.mark.slow


def test_the_bundle_installs_offline_and_runs_the_demo(tmp_path):
    archive = build(tmp_path / "out", target=Target(None, f"{sys.version_info.major}.{sys.version_info.minor}"))
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "intranet", filter="data")
    root = next((tmp_path / "intranet").iterdir())
    wheels = {p.name.split("-")[0].lower() for p in (root / "wheels").glob("*.whl")}
    assert {"shujian", "duckdb", "pyarrow", "fastapi", "sqlglot"} <= wheels
    # no index, no find-links of this machine, no user or site pip configuration: only the bundle; and no
    # PYTHONPATH (a source tree on it, as in PYTHONPATH=src, made pip take shujian as already installed)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_INDEX_URL": "http://127.0.0.1:9/none",
                "PYTHON": sys.executable})
    venv = tmp_path / "venv"
    done = subprocess.run([str(root / "install.sh"), str(venv)], env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert __version__ in done.stdout
    home = tmp_path / "home"
    demo = subprocess.run([str(venv / "bin" / "shujian"), "demo", "--no-serve"], cwd=tmp_path,
                          env={**env, "SHUJIAN_HOME": str(home)}, capture_output=True, text=True, timeout=900)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert (home / "warehouse.duckdb").exists() and "精确率" in demo.stdout + demo.stderr
