"""What a Ctrl-C looks like when it reaches Python through DuckDB.

DuckDB 2 reports a SIGINT that arrives while it runs a statement in one of several ways, depending on
where the statement was: ``KeyboardInterrupt`` (between statements), ``duckdb.InterruptException``,
a plain ``RuntimeError('Query interrupted')`` (seen on ``fetchall()`` of a catalog query, the import's
UDF registration), or an ``InvalidInputException`` wrapping the ``KeyboardInterrupt`` raised inside a
Python UDF.  Code that must tell an interruption from a failure (an import marked 'interrupted' and
the console's exit code 130) asks :func:`interrupted`.
"""

from __future__ import annotations

import duckdb


def interrupted(exc: BaseException) -> bool:
    """True when ``exc`` is a Ctrl-C in any of the forms DuckDB gives it."""
    if isinstance(exc, (KeyboardInterrupt, duckdb.InterruptException)):
        return True
    if type(exc) is RuntimeError and str(exc).startswith("Query interrupted"):
        return True
    return isinstance(exc, duckdb.Error) and "KeyboardInterrupt" in str(exc) and "UDF" in str(exc)
