"""Migration 0007 moves a deals room written into team.deals_channel (before 0007) to team.deals_room, and back."""

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
from storage.types import UTCDateTime
from tests.conftest import PG_URL, REQUIRE_PG

ROOM = "telegram:4242:-1001234567890:77"
GROUP = "telegram:4242:-1001234567890"
THREADS = "threads:slack:T1:C2"
# deals_channel before 0007, by team name
BEFORE = {"topic": ROOM, "group": GROUP, "threads": THREADS, "bare": "C024BE91L", "none": None}
_TEAM = sa.table("team", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("tz", sa.String),
                 sa.column("digest_time", sa.String), sa.column("cadence_a_days", sa.Integer),
                 sa.column("cadence_b_days", sa.Integer), sa.column("cadence_c_days", sa.Integer),
                 sa.column("deals_channel", sa.String), sa.column("created_at", UTCDateTime))


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
    name = f"{url.database}_m0007_{uuid.uuid4().hex[:8]}"
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


def _columns(engine: Engine) -> dict[str, tuple[str | None, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT name, deals_channel, deals_room FROM team")).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_0007_moves_a_deals_room_out_of_the_deals_channel_and_back(empty: Engine) -> None:
    cfg = alembic_config(empty)
    command.upgrade(cfg, "0006")
    with empty.begin() as conn:
        conn.execute(sa.insert(_TEAM), [
            {"name": n, "tz": "Asia/Shanghai", "digest_time": "08:30", "cadence_a_days": 7, "cadence_b_days": 14,
             "cadence_c_days": 30, "deals_channel": v, "created_at": datetime(2026, 11, 1, tzinfo=UTC)}
            for n, v in BEFORE.items()])

    command.upgrade(cfg, "0007")
    assert _columns(empty) == {"topic": (None, ROOM), "group": (None, GROUP), "threads": (THREADS, None),
                               "bare": ("C024BE91L", None), "none": (None, None)}

    # a team that set its Slack channel after the upgrade keeps it on the way down; its room cannot stay
    with empty.begin() as conn:
        conn.execute(sa.text("UPDATE team SET deals_channel = :c WHERE name = 'group'"), {"c": THREADS})
    command.downgrade(cfg, "0006")
    with empty.connect() as conn:
        after = {r[0]: r[1] for r in conn.execute(sa.text("SELECT name, deals_channel FROM team"))}
    assert after == {**BEFORE, "group": THREADS}
