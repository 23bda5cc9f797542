"""Alembic environment: run with a connection handed in by shujian.db.session.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from shujian.db import models  # noqa: F401  (registers tables)
from shujian.db.base import Base
from shujian.text import tables as _text_tables  # noqa: F401  (text screening tables)

config = context.config
target_metadata = Base.metadata


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
