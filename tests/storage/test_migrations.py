"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on the metadata)


def test_alembic_upgrade_head_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert differences == []


def test_the_quick_head_check_reads_the_heads_alembic_finds(engine: Engine) -> None:
    # storage.migrate.upgrade skips Alembic when the database is at these heads, read from the files' lines
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config, at_head, written_heads

    assert written_heads() == frozenset(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    assert at_head(engine)
