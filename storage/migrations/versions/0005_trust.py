"""trust: rate windows, the append-only audit log, legal basis and retention of contacts and leads

Merges the heads 0002, 0003 and 0004.

Revision ID: 0005
Revises: 0002, 0003, 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = '0005'
down_revision: str | Sequence[str] | None = ('0002', '0003', '0004')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_WHEN = storage.types.UTCDateTime(timezone=True)

# The audit log is append-only: UPDATE and DELETE fail unless the transaction holds an auditunlock row
# (a privacy erasure inserts one, anonymizes, and deletes it before committing, so nobody else sees it).
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION auditlog_append_only() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM auditunlock) THEN
        RAISE EXCEPTION 'auditlog is append-only';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = ("CREATE TRIGGER auditlog_append_only BEFORE UPDATE OR DELETE ON auditlog "
               "FOR EACH ROW EXECUTE FUNCTION auditlog_append_only()")
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER auditlog_no_{op_} BEFORE {op_.upper()} ON auditlog "
    "WHEN NOT EXISTS (SELECT 1 FROM auditunlock) BEGIN SELECT RAISE(ABORT, 'auditlog is append-only'); END"
    for op_ in ("update", "delete")
]


def upgrade() -> None:
    op.create_table('ratewindow',
    sa.Column('key', _TEXT(), nullable=False),
    sa.Column('started_at', _WHEN, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('auditunlock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reason', _TEXT(), nullable=False),
    sa.Column('at', _WHEN, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_channel', _TEXT(), nullable=True))
        batch_op.add_column(sa.Column('retention_flagged_at', _WHEN, nullable=True))
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_at', _WHEN, nullable=True))
        batch_op.add_column(sa.Column('consent_channel', _TEXT(), nullable=True))
        batch_op.add_column(sa.Column('retention_until', _WHEN, nullable=True))
        batch_op.add_column(sa.Column('retention_flagged_at', _WHEN, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auditlog_append_only ON auditlog")
        op.execute("DROP FUNCTION IF EXISTS auditlog_append_only()")
    else:
        for op_ in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS auditlog_no_{op_}")
    with op.batch_alter_table('lead', schema=None) as batch_op:
        for name in ('retention_flagged_at', 'retention_until', 'consent_channel', 'consent_at'):
            batch_op.drop_column(name)
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('retention_flagged_at')
        batch_op.drop_column('consent_channel')
    op.drop_table('auditunlock')
    op.drop_table('ratewindow')
