"""Fixtures of the catalog tests."""

from __future__ import annotations

import contextlib

import pytest

from shujian.catalog.importer import CLEAN_FORMS, _clean_test, _unclean_norm
from shujian.workspace import Workspace


class _Logged:
    def __init__(self, con, log: list[str]):
        self._con, self._log = con, log

    def execute(self, sql, *args, **kwargs):
        self._log.append(str(sql))
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


@pytest.fixture
def warehouse_log(monkeypatch) -> list[str]:
    """Every statement run on the workspace's warehouse connections, in order."""
    log: list[str] = []
    real = Workspace.warehouse

    @contextlib.contextmanager
    def logged(self, **kw):
        with real(self, **kw) as con:
            yield _Logged(con, log)

    monkeypatch.setattr(Workspace, "warehouse", logged)
    return log


def fast_path(sem: str, expr: str, norm: str) -> str:
    """The reference the importer's layered clean-form normalisation is checked against: ``expr``
    normalised for semantic type ``sem`` in one expression (``norm``: ``expr`` through its SQL
    normaliser), values already in normal form (``CLEAN_FORMS``) skipping the normaliser — what the
    importer computes as ``_clean_test`` and then ``_unclean_norm`` over the rest."""
    if sem not in CLEAN_FORMS:
        return norm
    return f"(CASE WHEN {_clean_test(sem, expr)} THEN {expr} ELSE {_unclean_norm(sem, norm)} END)"


def interrupted_console_import(tmp_path, *, encoding: str, rows: int, env_extra: dict | None = None,
                               settle: float = 0.0):
    """``shujian data import`` run as a console script: a 1-row version 1, then a ``rows``-row file in
    ``encoding`` interrupted by a real SIGINT once its job runs.  Returns (home, exe, env, returncode,
    stdout, stderr, job statuses, number of versions)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from sqlalchemy import create_engine, text

    home = tmp_path / "home"
    env = dict(os.environ, SHUJIAN_HOME=str(home), **(env_extra or {}))
    env.pop("SHUJIAN_DATABASE_URL", None)
    exe = str(Path(sys.executable).with_name("shujian"))
    small = tmp_path / "v1.csv"
    small.write_text("姓名,金额,备注\n张三,1,一\n", encoding="utf-8")
    subprocess.run([exe, "data", "import", str(small), "--name", "人员", "--no-progress"], env=env, check=True,
                   capture_output=True, timeout=120)
    big = tmp_path / "big.csv"
    with big.open("w", encoding=encoding) as fh:
        fh.write("姓名,金额,备注\n")
        fh.writelines(f"张{i % 97},{i},第{i}笔发放记录\n" for i in range(rows))
    # a console's Ctrl-C: SIGINT must not be inherited as ignored (it is when the test run itself was
    # started in the background, e.g. `nohup … &`, and then the child would never see it)
    proc = subprocess.Popen([exe, "data", "import", str(big), "--name", "人员", "--no-progress"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    engine = create_engine(f"sqlite:///{home / 'metadata.sqlite'}")
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        while time.monotonic() < deadline and proc.poll() is None:
            if conn.execute(text("SELECT count(*) FROM jobs WHERE status = 'running'")).scalar():
                break
            time.sleep(0.02)
    time.sleep(settle)
    assert proc.poll() is None, "the import finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    with engine.connect() as conn:
        statuses = [r[0] for r in conn.execute(text("SELECT status FROM jobs ORDER BY id"))]
        versions = conn.execute(text("SELECT count(*) FROM dataset_versions")).scalar()
    engine.dispose()
    return home, exe, env, proc.returncode, out, err, statuses, versions
