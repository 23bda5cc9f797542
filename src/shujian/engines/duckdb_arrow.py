"""Registering Arrow data on a DuckDB connection that may still hold an unread result.

DuckDB 2 refuses ``register`` while a result of ``execute()`` has not been read to its end
("connection has an unfinished result"), and ``execute(...).fetchone()`` of a one-row result
leaves it so.  Every registration goes through :func:`register_arrow`, which first runs any such
result to its end (``complete()``, DuckDB ≥ 2; older versions have neither the check nor the method).
"""

from __future__ import annotations

from typing import Any


def settle(con: Any) -> None:
    """Finish an unread result of ``con.execute()`` so that the connection takes other work."""
    complete = getattr(con, "complete", None)
    if complete is not None:
        complete()


def register_arrow(con: Any, name: str, data: Any) -> None:
    """``con.register(name, data)`` after settling the connection (Arrow table or batch reader)."""
    settle(con)
    con.register(name, data)
