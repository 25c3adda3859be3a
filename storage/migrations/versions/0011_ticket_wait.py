"""ticket gets waiting_since: while a ticket waits for the customer its resolution clock stands still

Revision ID: 0011_ticket_wait
Revises: 0010_join
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0011_ticket_wait'
down_revision: str | Sequence[str] | None = '0010_join'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_since', storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('waiting_since')
