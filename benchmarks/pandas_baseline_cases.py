"""The pandas baselines against their models on every statute case (tests/models_library/cases/<id>.yaml).

    python benchmarks/pandas_baseline_cases.py

The demo city exercises a model's rule only where the generator planted something; the statute-case
tables put a case at each boundary the law draws (同日移送, 恰为阈值, 重复行 …).  Each case of M1, M5 and
M7 is loaded as the tests load it (typed like an import), the model runs on it (``statute_cases.run_case``)
and so does the pandas function of benchmarks/pandas_baseline.py on the same tables; the clue sets —
(subject, rule, the count facts of ``pandas_baseline.FACTS``) — must be equal.  A case whose parameters
the pandas function does not take is reported as skipped.  Exit status 1 on any difference.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "models_library"))

from pandas_baseline import COLLISIONS, COLUMNS, FACTS  # noqa: E402
from statute_cases import CASES_DIR, load_case, load_file, run_case  # noqa: E402


def _frames(case, schemas: dict, names: list[str]) -> dict[str, pd.DataFrame]:
    """The case's tables as the DataFrames ``read_city`` gives (the columns the collision reads; one the
    case file does not declare is all blank, typed by its name)."""
    con = load_case(case, schemas)
    try:
        order = list(schemas)
        out = {}
        for n in names:
            df = con.sql(f"SELECT * FROM t_{order.index(n) + 1}").to_arrow_table().to_pandas(date_as_object=False)
            for col in COLUMNS[n]:
                if col not in df.columns:
                    kind = ("datetime64[ms]" if col.endswith(("日期", "年月")) else
                            "float64" if col.endswith(("金额", "含量")) else object)
                    df[col] = pd.Series([None] * len(df), dtype=kind)
            out[n] = df[COLUMNS[n]]
        return out
    finally:
        con.close()


def _clues(rows, facts: list[str]) -> set[tuple[str, ...]]:
    def fact(v) -> str:
        return str(int(v)) if v is not None and v == v else "None"
    return {(str(r["subject"]), str(r["rule"]), *(fact(r[f]) for f in facts)) for r in rows}


def main() -> int:
    bad = checked = skipped = 0
    for model_id, (names, fn) in COLLISIONS.items():
        path = CASES_DIR / f"{model_id}.yaml"
        if not path.is_file():
            print(f"{model_id}: no statute cases")  # noqa: T201
            continue
        cf = load_file(path)
        accepted = set(inspect.signature(fn).parameters) - {"d"}
        facts = FACTS[model_id]
        for case in cf.cases:
            extra = set(case.params) - accepted
            if extra:
                skipped += 1
                print(f"  skipped {model_id} {case.id}: parameters {sorted(extra)} not in the pandas script")  # noqa: T201
                continue
            key = None
            model_rows = run_case(case, cf.schemas)
            if model_rows:
                from statute_cases import model_for

                model = model_for(model_id)
                key, rule = model.output.subject.key, model.output.rule.column
                model_rows = [{"subject": r[key], "rule": r[rule], **{f: r[f] for f in facts}} for r in model_rows]
            params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in case.params.items()}
            out = fn(_frames(case, cf.schemas, names), **params)
            pandas_rows = out.to_dict("records")
            want, got = _clues(model_rows, facts), _clues(pandas_rows, facts)
            checked += 1
            if want != got:
                bad += 1
                print(f"DIFFERENT {model_id} {case.id}: model {sorted(want)}, pandas {sorted(got)}")  # noqa: T201
    print(f"{checked} statute cases compared, {bad} different, {skipped} skipped")  # noqa: T201
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
