"""文书解析: a pure parser of Chinese criminal judgments (刑事判决书) into structured records."""

from __future__ import annotations

from .casenumber import CaseNumber, find_case_number, parse_case_number
from .model import Defendant, Judgment, Unit
from .parser import parse_judgment

__all__ = ["CaseNumber", "Defendant", "Judgment", "Unit", "find_case_number", "parse_case_number",
           "parse_judgment"]
