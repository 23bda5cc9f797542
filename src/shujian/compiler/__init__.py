"""The pure compiler: model spec + catalog schema + dialect → one SQL statement (sqlglot AST)."""

from __future__ import annotations

from shujian.compiler.core import CompiledModel, EvidenceColumn, compile_model
from shujian.compiler.dialects import DIALECTS, INFO, DialectInfo
from shujian.compiler.params import check_params

__all__ = ["DIALECTS", "INFO", "CompiledModel", "DialectInfo", "EvidenceColumn", "check_params",
           "compile_model"]
