"""Migration 0009_care: teams keep the seed care plan and 12 churn months; key dates go with their contact."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from storage.migrate import alembic_config
from tests.storage.test_migration_0007 import _TEAM, empty  # noqa: F401  (the fixture: a database of each kind)

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_0009_care_old_teams_get_the_seed_plan_and_key_dates_follow_their_contact(empty: Engine) -> None:  # noqa: F811
    cfg = alembic_config(empty)
    command.upgrade(cfg, "0008_autoinc")
    with empty.begin() as conn:
        conn.execute(sa.insert(_TEAM), [
            {"name": "east", "tz": "Asia/Shanghai", "digest_time": "08:30", "cadence_a_days": 7,
             "cadence_b_days": 14, "cadence_c_days": 30, "deals_channel": None, "created_at": NOW}])
    command.upgrade(cfg, "0009_care")
    with empty.begin() as conn:
        assert conn.execute(sa.text("SELECT care_plan, churn_months FROM team")).all() == [("", 12)]
        uid = conn.execute(sa.text("INSERT INTO \"user\" (team_id, name, role, discount_limit, active, created_at) "
                                   "VALUES (1, 'a', 'rep', 10, true, :t) RETURNING id"), {"t": NOW}).scalar_one()
        cid = conn.execute(sa.text("INSERT INTO customer (team_id, name, name_key, pinyin, initials, grade, tags, "
                                   "owner_id, status, created_at, updated_at) VALUES (1, 'c', 'c', '', '', 'A', '', "
                                   ":u, 'active', :t, :t) RETURNING id"), {"u": uid, "t": NOW}).scalar_one()
        pid = conn.execute(sa.text("INSERT INTO contact (customer_id, name, consent_basis, flags, created_at) "
                                   "VALUES (:c, '张总', 'contract', '', :t) RETURNING id"), {"c": cid, "t": NOW}).scalar_one()
        conn.execute(sa.text("INSERT INTO keydate (contact_id, kind, label, month, day, created_at) "
                             "VALUES (:p, 'birthday', '', 3, 8, :t)"), {"p": pid, "t": NOW})
        conn.execute(sa.text("DELETE FROM contact WHERE id = :p"), {"p": pid})
        assert conn.execute(sa.text("SELECT count(*) FROM keydate")).scalar_one() == 0  # ON DELETE CASCADE
    command.downgrade(cfg, "0008_autoinc")
    with empty.connect() as conn:
        assert "care_plan" not in {c["name"] for c in sa.inspect(conn).get_columns("team")}
        assert "keydate" not in sa.inspect(conn).get_table_names()
