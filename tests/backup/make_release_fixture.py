"""Write the backup of a small workspace made by this release, for the upgrade tests of later releases.

Run once per release, on that release's code, e.g. at the commit that tags 0.1.0:
    SHUJIAN_HOME=$(mktemp -d)/h python -m tests.backup.make_release_fixture tests/fixtures/releases/0.1.0
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.backup.world import build_world

from shujian.backup.service import backup
from shujian.workspace import open_workspace


def main(out: str) -> None:
    ws = open_workspace()
    build_world(ws)
    report = backup(ws, Path(out))
    print(f"{report.path}: revision {report.revision}, {sum(report.tables.values())} rows")  # noqa: T201 (a script)


if __name__ == "__main__":
    main(sys.argv[1])
