"""Alembic environment: our metadata, batch mode on SQLite."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on the metadata)

config = context.config
target_metadata = SQLModel.metadata


def _foreign_keys(connection: Connection, *, on: bool) -> None:
    driver: Any = connection.connection.driver_connection
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_migrations() -> None:
    """Run against the engine handed in by storage.migrate, or the configured URL."""
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # tables rebuilt in batch mode are dropped and renamed: SQLite must not cascade or refuse.
            # On the driver's connection, before SQLAlchemy's BEGIN: inside a transaction the pragma does nothing.
            _foreign_keys(connection, on=False)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        try:
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:  # the pooled connection goes back to the application as it came
                connection.rollback()
                _foreign_keys(connection, on=True)


run_migrations()
