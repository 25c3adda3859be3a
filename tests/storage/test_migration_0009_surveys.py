"""Migration 0009_surveys on SQLite and PostgreSQL: up from the revision before it with customers in place, the
survey table as the model says (a unique token hash, ids never reused on SQLite), down again and up again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from storage.db import make_engine
from storage.migrate import alembic_config
from tests.conftest import PG_URL, REQUIRE_PG

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each kind, no migration run (on PostgreSQL a throwaway database)."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield eng
        eng.dispose()
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SALESBOT_REQUIRE_POSTGRES=1 but SALESBOT_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need SALESBOT_TEST_DATABASE_URL")
    url = sa.make_url(PG_URL)
    name = f"{url.database}_m0009_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    eng = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}"'))
        admin.dispose()


def _survey(conn: sa.Connection, token_hash: str, customer: int, user: int) -> None:
    conn.execute(sa.text(
        "INSERT INTO survey (token_hash, customer_id, subject_kind, owner_id, created_at, expires_at) "
        "VALUES (:h, :c, 'order', :u, :t, :t)"), {"h": token_hash, "c": customer, "u": user, "t": NOW})


@pytest.mark.slow
def test_0009_up_down_and_up_again(empty: Engine) -> None:
    config = alembic_config(empty)
    command.upgrade(config, "0008_autoinc")
    with empty.begin() as conn:
        conn.execute(sa.text("INSERT INTO team (name, tz, digest_time, cadence_a_days, cadence_b_days, "
                             "cadence_c_days, work_days, work_start, work_end, quiet_start, quiet_end, holidays, "
                             "extra_workdays, created_at) VALUES ('t', 'Asia/Shanghai', '08:30', 7, 14, 30, "
                             "'12345', '09:00', '18:00', '21:00', '08:00', '', '', :t)"), {"t": NOW})
        conn.execute(sa.text("INSERT INTO \"user\" (team_id, name, role, discount_limit, active, created_at) "
                             "VALUES (1, 'alice', 'rep', 10, true, :t)"), {"t": NOW})
        conn.execute(sa.text("INSERT INTO customer (team_id, name, name_key, pinyin, initials, grade, tags, "
                             "owner_id, status, created_at, updated_at) VALUES (1, '华东', '华东', 'huadong', 'hd', "
                             "'B', '', 1, 'active', :t, :t)"), {"t": NOW})
    command.upgrade(config, "0009_surveys")
    with empty.begin() as conn:
        _survey(conn, "a" * 64, 1, 1)
    with pytest.raises(sa.exc.IntegrityError), empty.begin() as conn:
        _survey(conn, "a" * 64, 1, 1)  # one row per token
    with pytest.raises(sa.exc.IntegrityError), empty.begin() as conn:
        _survey(conn, "b" * 64, 99, 1)  # the customer must exist
    columns = {c["name"] for c in sa.inspect(empty).get_columns("survey")}
    assert {"token_hash", "customer_id", "subject_kind", "subject_id", "owner_id", "score", "comment",
            "answered_at", "expires_at", "lang"} <= columns
    assert not {"token"} & columns  # the token itself has no column
    if empty.dialect.name == "sqlite":
        with empty.connect() as conn:
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'survey'").scalar()
            assert "AUTOINCREMENT" in str(sql).upper()
    command.downgrade(config, "0008_autoinc")
    assert "survey" not in sa.inspect(empty).get_table_names()
    with empty.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM customer")).scalar() == 1
    command.upgrade(config, "head")
    assert "survey" in sa.inspect(empty).get_table_names()
