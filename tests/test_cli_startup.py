"""The CLI starts light: subcommands load on use, and a current metadata store is checked without Alembic.

Each case runs the installed entry point in a fresh interpreter and looks at which heavy libraries it
imported (``sys.modules`` after the command), so it fails as soon as a module-level import drags
DuckDB, Alembic or sqlglot back onto the path of a command that does not need them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shujian.db.session import schema_status
from shujian.workspace import Workspace, open_workspace, shipped_head

HEAVY = ("duckdb", "pyarrow", "sqlglot", "alembic", "pandas", "fastapi", "pydantic_settings", "pydantic")

PROBE = f"""
import json, sys
from shujian.cli.main import main
code = main(sys.argv[1:])
sys.stdout.flush()
print("\\n@@" + json.dumps({{"code": code, "heavy": sorted(m for m in {HEAVY!r} if m in sys.modules),
                           "sqlalchemy": "sqlalchemy" in sys.modules}}))
"""


def _probe(home: Path, *args: str) -> dict:
    env = {**os.environ, "SHUJIAN_HOME": str(home)}
    env.pop("SHUJIAN_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert "@@" in out.stdout, out.stderr
    return json.loads(out.stdout.rsplit("@@", 1)[1])


def test_version_imports_no_service(tmp_path):
    result = _probe(tmp_path, "--version")
    assert result == {"code": 0, "heavy": [], "sqlalchemy": False}


def test_clue_list_on_a_current_store_reads_through_the_driver(tmp_path):
    """No DuckDB, Alembic, pydantic — and, on a current store, not even SQLAlchemy (issue 20 target 4)."""
    open_workspace(home=tmp_path).close()                   # create and migrate the store first
    result = _probe(tmp_path, "clue", "list", "--format", "json")
    assert result == {"code": 0, "heavy": [], "sqlalchemy": False}


def test_clue_list_on_an_empty_home_still_creates_the_store(tmp_path):
    """The light path steps aside where it cannot answer: the full path creates and migrates the store."""
    result = _probe(tmp_path / "new", "clue", "list", "--format", "json")
    assert result["code"] == 0 and result["sqlalchemy"]
    assert (tmp_path / "new" / "metadata.sqlite").is_file()
    assert _probe(tmp_path / "new", "clue", "list", "--format", "json")["sqlalchemy"] is False


def test_the_light_path_knows_where_the_migrations_are():
    from shujian import workspace
    from shujian.db import session

    assert workspace.MIGRATIONS == session.MIGRATIONS


def test_help_still_lists_every_command(tmp_path, capsys):
    from shujian.cli.main import COMMANDS, GROUPS, main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in [*COMMANDS, *(g[1] for g in GROUPS)]:
        assert name in out


def test_a_typo_is_answered_with_the_nearest_command(capsys):
    from shujian.cli.main import main

    assert main(["clu"]) == 2
    assert "clue" in capsys.readouterr().err


def test_shipped_head_is_alembics_head(ws: Workspace):
    assert shipped_head() == schema_status(ws.db.engine).head


@pytest.mark.parametrize("state", ["empty", "outdated"])
def test_the_fast_check_keeps_the_refusal_and_the_creation(tmp_path, state):
    """Only a store at the shipped head skips Alembic; an empty one is created, an older one refused."""
    from sqlalchemy import text

    from shujian import workspace as wsmod
    from shujian.errors import SchemaOutdated

    home = tmp_path / state
    if state == "outdated":
        open_workspace(home=home).close()
        ws = Workspace(wsmod.load_settings(home=home))
        with ws.db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        wsmod._CHECKED.discard(ws.settings.metadata_url)
        with pytest.raises(SchemaOutdated):
            ws.ensure()
        ws.close()
        return
    ws = open_workspace(home=home)
    assert schema_status(ws.db.engine).up_to_date
    ws.close()
