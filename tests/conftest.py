"""Fixtures: every database test runs on SQLite and on PostgreSQL, from `alembic upgrade head`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, text

if TYPE_CHECKING:
    from tests.transcript import Transcript

from sales.names import directory
from storage.db import make_engine
from storage.migrate import upgrade

pytest_plugins = ["tests.processes"]  # fixtures for tests that run salesbot processes

PG_URL = os.environ.get("SALESBOT_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("SALESBOT_REQUIRE_POSTGRES") == "1"
ROOT = Path(__file__).resolve().parents[1]  # the repository
SHARED = ROOT.parent / "shared"
FIXTURES = ROOT / "tests" / "fixtures"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of tests/processes/ starts salesbot processes: it is slow."""
    for item in items:
        if "processes" in Path(str(item.path)).relative_to(ROOT).parts[:2]:
            item.add_marker(pytest.mark.slow)


class FakeClock:
    """An injected clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> FakeClock:
    """Sunday 2026-11-22 10:00 in Shanghai (02:00 UTC)."""
    return FakeClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closing folds the WAL into the file
    return path


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """The PostgreSQL test database, migrated from scratch once per run."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SALESBOT_REQUIRE_POSTGRES=1 but SALESBOT_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need SALESBOT_TEST_DATABASE_URL")
    engine = make_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT IN ('stage', 'alembic_version')"))]
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated, empty database of each kind."""
    directory.forget()  # a truncated database reuses ids: no process-level name index may outlive it
    if request.param == "sqlite":
        path = tmp_path / "salesbot.db"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        _truncate(eng)
        yield eng


def shared_file(*parts: str) -> Path:
    """A file of ../shared, or a skip saying why it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared test cases live beside the repo, not in it")
    return path


@pytest.fixture
def demo(engine: Engine, clock: FakeClock) -> Transcript:
    """The demo team (30 customers) in a terminal chat, everyone reading English."""
    from handlers.context import Settings
    from handlers.core import Core
    from sales.demo import load_demo
    from tests.transcript import Transcript

    load_demo(engine, customers=30, now=clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
    for who in ("alice", "bob", "carol", "dave", "fay"):
        t.say(f"@{who}: /lang en")
    return t
