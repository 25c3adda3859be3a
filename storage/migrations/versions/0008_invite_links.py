"""invite: user_id, the existing person a link code binds another platform's account to (/link)

Revision ID: 0008_links
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_links'
down_revision: str | Sequence[str] | None = '0008_inbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invite', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_invite_user_id_user', 'user', ['user_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('invite', schema=None) as batch_op:
        batch_op.drop_constraint('fk_invite_user_id_user', type_='foreignkey')
        batch_op.drop_column('user_id')
