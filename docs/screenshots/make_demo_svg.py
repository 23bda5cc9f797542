"""Render `shujian demo` output to docs/screenshots/demo.svg (run after a demo in $SHUJIAN_HOME).

    SHUJIAN_HOME=/tmp/demo .venv/bin/python docs/screenshots/make_demo_svg.py
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from shujian.db.models import Run
from shujian.models_library import get_model
from shujian.workspace import open_workspace


def main() -> None:
    ws = open_workspace()
    console = Console(record=True, width=110)
    table = Table(title="shujian demo — 演示城市（small）：内置模型的精确率与召回率", header_style="bold")
    for label in ("模型", "名称", "线索", "扫描行数", "秒"):
        table.add_column(label)
    with ws.db.unit_of_work() as s:
        latest: dict[str, Run] = {}
        for run in s.query(Run).filter_by(status="succeeded").order_by(Run.id):
            latest[run.model_id] = run
        for model_id, run in sorted(latest.items()):
            table.add_row(model_id, get_model(model_id).name, str(run.clues_new + run.clues_seen),
                          f"{run.rows_scanned:,}", f"{run.seconds:.2f}")
    console.print("$ shujian demo --no-serve")
    console.print(table)
    out = Path(__file__).with_name("demo.svg")
    console.save_svg(str(out), title="shujian demo")
    print(out)


if __name__ == "__main__":
    main()
