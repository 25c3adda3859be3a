"""inbox: webhook updates stored before they are acknowledged; button tokens unguessable, bound and expiring;
outbox rows say who is delivering them

Revision ID: 0008_inbox
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = '0008_inbox'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', _TEXT(), nullable=False),
    sa.Column('event_key', _TEXT(), nullable=False),
    sa.Column('chat_key', _TEXT(), nullable=False),
    sa.Column('payload', _TEXT(), nullable=False),
    sa.Column('status', _TEXT(), nullable=False),
    sa.Column('claimed_by', _TEXT(), nullable=True),
    sa.Column('lease_until', _WHEN, nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('received_at', _WHEN, nullable=False),
    sa.Column('done_at', _WHEN, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'event_key', name='uq_inbox_event')
    )
    op.create_index('ix_inbox_status_chat', 'inbox', ['status', 'chat_key', 'id'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', _TEXT(), nullable=True))
    # Old tokens were sequential ids bound to nobody: they stop working ("That button no longer works").
    op.execute(sa.text("DELETE FROM actiontoken"))
    with op.batch_alter_table('actiontoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', _TEXT(), nullable=True))
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', _WHEN, nullable=True))
        batch_op.create_index('ix_actiontoken_key', ['key'], unique=True)
        batch_op.create_foreign_key('fk_actiontoken_user_id', 'user', ['user_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
    with op.batch_alter_table('actiontoken', schema=None) as batch_op:
        batch_op.drop_constraint('fk_actiontoken_user_id', type_='foreignkey')
        batch_op.drop_index('ix_actiontoken_key')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('user_id')
        batch_op.drop_column('key')
    op.drop_index('ix_inbox_status_chat', table_name='inbox')
    op.drop_table('inbox')
