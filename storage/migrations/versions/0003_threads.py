"""deal threads and message links

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = '0003'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dealthread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('workspace', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('posted_channel', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('thread_ts', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('deal_id', 'platform', 'workspace', 'channel')
    )
    with op.batch_alter_table('dealthread', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealthread_deal_id'), ['deal_id'], unique=False)
    op.create_table('messagelink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('workspace', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('chat', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('ts', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('messagelink', schema=None) as batch_op:
        batch_op.create_index('ix_messagelink_key', ['platform', 'workspace', 'key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('messagelink', schema=None) as batch_op:
        batch_op.drop_index('ix_messagelink_key')
    op.drop_table('messagelink')
    with op.batch_alter_table('dealthread', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealthread_deal_id'))
    op.drop_table('dealthread')
