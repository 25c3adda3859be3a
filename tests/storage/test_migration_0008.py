"""Migration 0008 gives money rows a currency: the rows there were are CNY, and the team's rates start empty."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from storage.migrate import alembic_config
from tests.storage.test_migration_0007 import _TEAM, empty  # noqa: F401  (the fixture: a database of each kind)


def test_0008_old_rows_are_cny(empty: Engine) -> None:  # noqa: F811
    cfg = alembic_config(empty)
    command.upgrade(cfg, "0007")
    with empty.begin() as conn:
        conn.execute(sa.insert(_TEAM), [
            {"name": "east", "tz": "Asia/Shanghai", "digest_time": "08:30", "cadence_a_days": 7,
             "cadence_b_days": 14, "cadence_c_days": 30, "deals_channel": None,
             "created_at": datetime(2026, 11, 1, tzinfo=UTC)}])
    command.upgrade(cfg, "0008cur")
    with empty.connect() as conn:
        assert conn.execute(sa.text("SELECT currency, fx_rates FROM team")).all() == [("CNY", "")]
        for table in ("deal", "activity", "quote", "sales_order", "payment", "target"):
            assert "currency" in {c["name"] for c in sa.inspect(conn).get_columns(table)}
    command.downgrade(cfg, "0007")
    with empty.connect() as conn:
        assert "currency" not in {c["name"] for c in sa.inspect(conn).get_columns("deal")}
