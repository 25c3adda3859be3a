"""Ids are never reused on either database, and the audit of a record never shows another record's entries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from sales import audit
from sales.customers import create_customer
from sales.imports import import_file
from sales.names.dedupe import merge_customers
from storage.db import make_engine
from storage.migrate import alembic_config, upgrade
from storage.models import AuditLog, Contact, Customer, Team, User
from tests.conftest import FakeClock


def _admin(s: Session, now: datetime) -> User:
    # The team's columns as the database has them: an older revision lacks the newer ones (care plans, 0009).
    have = {c["name"] for c in sa.inspect(s.connection()).get_columns("team")}
    row = {k: v for k, v in Team(name="east", created_at=now).model_dump().items() if k in have and v is not None}
    bare = sa.table("team", sa.column("id"), *[sa.column(k) for k in row])
    team_id = s.execute(sa.insert(bare).values(row).returning(bare.c.id)).scalar_one()
    u = User(team_id=team_id, name="carol", role="admin", created_at=now)
    s.add(u)
    s.flush()
    return u


def _trail(s: Session, cid: int) -> list[str]:
    rows = s.exec(select(AuditLog).where(col(AuditLog.entity) == "customer", col(AuditLog.entity_id) == cid)
                  .order_by(col(AuditLog.id))).all()
    return [f"{r.action} {r.after or ''}" for r in rows]


def test_a_new_customer_never_takes_a_deleted_ones_id_or_audit(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    with Session(engine) as s:
        me = _admin(s, now)
        keep = create_customer(s, by=me, name="华东科技", now=now)
        gone = create_customer(s, by=me, name="西部制造", now=now)
        gone_id = gone.id or 0
        audit.record(s, by=me.id, action="grade", entity="customer", entity_id=gone_id, now=now,
                     after={"secret": "old record"})
        merge_customers(s, keep=keep, gone=gone, by=me, now=now)  # deletes the newest customer
        s.commit()
        assert s.get(Customer, gone_id) is None
        fresh = create_customer(s, by=me, name="北方能源", now=now)
        s.commit()
        assert (fresh.id or 0) > gone_id
        assert not any("old record" in line for line in _trail(s, fresh.id or 0)), _trail(s, fresh.id or 0)
        # The bulk path of imports reserves ids the same way.
        s.delete(fresh)
        s.commit()
        plan = import_file(s, data="客户名称\n南方物流\n".encode(), file_name="c.csv", by=me, now=now)
        s.commit()
        assert plan.counts["customer.created"] == 1
        newest = s.exec(select(Customer).where(Customer.name == "南方物流")).one()
        assert (newest.id or 0) > (fresh.id or 0)
        assert _trail(s, newest.id or 0) == []


def test_every_table_with_an_integer_id_is_autoincrement_on_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's sequences never reuse ids")
    with engine.connect() as conn:
        tables = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all()
        lacking = []
        for name, sql in tables:
            keys = [c for c in conn.exec_driver_sql(f'PRAGMA table_info("{name}")').all() if c[5]]
            if len(keys) == 1 and keys[0][1] == "id" and "AUTOINCREMENT" not in sql.upper():
                lacking.append(name)
    assert not lacking, f"add sqlite_autoincrement (a migration like 0008_sqlite_autoincrement): {lacking}"


@pytest.fixture
def old_sqlite(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / f'old-{uuid.uuid4().hex}.db'}")
    yield eng
    eng.dispose()


def test_the_migration_keeps_every_row_and_link(old_sqlite: Engine, clock: FakeClock) -> None:
    """A database just before the rebuild, with customers, contacts and a deleted newest customer: nothing lost."""
    now = clock()
    before = ScriptDirectory.from_config(alembic_config(old_sqlite)).get_revision("0008_autoinc").down_revision
    command.upgrade(alembic_config(old_sqlite), str(before))
    with Session(old_sqlite) as s:
        me = _admin(s, now)
        made = [create_customer(s, by=me, name=n, now=now) for n in ("甲公司", "乙公司", "丙公司")]
        s.add_all([Contact(customer_id=c.id or 0, name="张", created_at=now) for c in made])
        s.commit()
        top = made[-1].id or 0
        s.exec(sa.delete(Contact).where(col(Contact.customer_id) == top))  # type: ignore[call-overload]
        s.delete(made[-1])
        s.commit()
    upgrade(old_sqlite)
    with old_sqlite.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM contact").scalar() == 2
        triggers = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"auditlog_no_update", "auditlog_no_delete"} <= triggers  # the audit log stays append-only
    with Session(old_sqlite) as s:
        me = s.exec(select(User)).one()
        fresh = create_customer(s, by=me, name="丁公司", now=now)
        s.commit()
        # Deleted before the migration: SQLite had no memory of it, so only the ids from now on are never reused.
        assert (fresh.id or 0) >= top
        gone = fresh.id or 0
        s.delete(fresh)
        s.commit()
        again = create_customer(s, by=me, name="戊公司", now=now)
        s.commit()
        assert (again.id or 0) > gone
