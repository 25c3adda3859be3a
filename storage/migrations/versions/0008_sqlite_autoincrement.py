"""SQLite: ids never reused. Every table with an integer id is rebuilt with AUTOINCREMENT (SQLite otherwise
gives a deleted row's id, when it was the largest, to the next row, and that row would inherit the audit
entries, shares and links of the one deleted). PostgreSQL's sequences never reuse ids: nothing to do there.

Revision ID: 0008_autoinc
Revises: 0008_links (kept last: a table rebuilt here must already have its newest columns)
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008_autoinc'
down_revision: str | Sequence[str] | None = '0008_links'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    tables = bind.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                  "'sqlite_%' AND name NOT LIKE '\\_alembic%' ESCAPE '\\' "
                                  "AND name != 'alembic_version' ORDER BY name").all()
    # Rebuilds drop a table's triggers, and a trigger naming a table mid-rebuild (the audit log's append-only guard
    # reads auditunlock) fails the rename: all of them go first and are made again at the end.
    triggers = []
    for trigger, sql in bind.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all():
        triggers.append(sql)
        bind.exec_driver_sql(f'DROP TRIGGER "{trigger}"')
    for name, sql in tables:
        if "AUTOINCREMENT" in (sql or "").upper():
            continue
        columns = bind.exec_driver_sql(f'PRAGMA table_info("{name}")').all()  # cid, name, type, notnull, dflt, pk
        keys = [c for c in columns if c[5]]
        if len(keys) != 1 or keys[0][1] != "id" or "INT" not in str(keys[0][2]).upper():
            continue
        # Rebuilt as a copy (foreign keys are off while migrations run: storage/migrations/env.py); the copy keeps
        # every id, and SQLite's sequence starts above the largest.
        with op.batch_alter_table(name, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass
    for trigger in triggers:
        bind.exec_driver_sql(trigger)
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    assert not broken, broken


def downgrade() -> None:
    pass  # AUTOINCREMENT stays: taking it away would let ids be reused again
