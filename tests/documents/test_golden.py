"""Golden files: hand-written hard cases under tests/fixtures/judgments/ (text in, JSON out).

Each ``NAME.txt`` / ``NAME.html`` has ``NAME.json`` holding the expected projection below.  After a
deliberate change, regenerate with ``SHUJIAN_UPDATE_GOLDEN=1 pytest tests/documents/test_golden.py``
and review the diff by hand.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shujian.documents import parse_judgment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "judgments"
TOP = ("doc_type", "case_number", "court", "procedure", "judgment_date", "prosecutor", "offence_date",
       "articles", "warnings", "error")
PERSON = ("name", "gender", "birth_date", "age_at_offence", "ethnicity", "charges", "penalty_type", "term_months",
          "probation_months", "fine_yuan", "confiscation", "deprivation_months", "recidivist", "surrender",
          "meritorious", "circumstances", "sentence_start", "sentence_end")
COUNT = ("charge", "penalty_type", "term_months", "probation_months", "fine_yuan", "confiscation",
         "deprivation_months", "joint_fine_yuan", "joint_confiscation", "joint_deprivation")
PRIOR = ("charge", "penalty_type", "term_months", "probation_months", "judgment_date", "release_date")


def project(record: dict) -> dict:
    """The part of a parse result a golden file pins down."""
    out = {k: record[k] for k in TOP}
    out["units"] = [{k: u[k] for k in ("name", "charges", "fine_yuan")} for u in record["units"]]
    out["defendants"] = []
    for d in record["defendants"]:
        person = {k: d[k] for k in PERSON}
        person["counts"] = [{k: c[k] for k in COUNT} for c in d["counts"]]
        person["priors"] = [{k: p[k] for k in PRIOR} for p in d["priors"]]
        person["custody"] = [{k: c[k] for k in ("measure", "date")} for c in d["custody"]]
        out["defendants"].append(person)
    return out


CASES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".txt", ".html"))


@pytest.mark.parametrize("source", CASES, ids=[p.name for p in CASES])
def test_golden(source: Path):
    text = source.read_bytes().decode("utf-8")  # not read_text: CRLF line ends are part of the case
    got = project(parse_judgment(text, source.stem).to_dict())
    expected_path = source.with_suffix(".json")
    if os.environ.get("SHUJIAN_UPDATE_GOLDEN"):
        expected_path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert got == expected


def test_every_fixture_has_expected_output():
    assert CASES, "no golden fixtures found"
    assert all(p.with_suffix(".json").exists() for p in CASES)
