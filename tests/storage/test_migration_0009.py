"""Migration 0009_tickets adds the ticket tables (ids never reused on SQLite) and takes them away again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from storage.migrate import alembic_config
from tests.storage.test_migration_0007 import empty  # noqa: F401  (the fixture: a database of each kind)

TABLES = {"ticket", "ticketevent", "tickettarget"}


@pytest.mark.slow  # the whole chain from an empty database
def test_0009_adds_and_drops_the_ticket_tables(empty: Engine) -> None:  # noqa: F811
    cfg = alembic_config(empty)
    command.upgrade(cfg, "0008_autoinc")
    assert not TABLES & set(sa.inspect(empty).get_table_names())
    command.upgrade(cfg, "0009_tickets")
    with empty.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) >= TABLES
        ticket = {c["name"] for c in sa.inspect(conn).get_columns("ticket")}
        assert {"api_key", "respond_by", "resolve_by", "first_response_at", "resolved_at"} <= ticket
        uniques = [u["column_names"] for u in sa.inspect(conn).get_unique_constraints("ticket")]
        assert ["api_key"] in uniques
        if empty.dialect.name == "sqlite":
            for table in TABLES:
                sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()
                assert "AUTOINCREMENT" in str(sql), table
    command.downgrade(cfg, "0008_autoinc")
    assert not TABLES & set(sa.inspect(empty).get_table_names())
