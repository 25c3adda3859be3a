"""care after the sale: team care plans and churn months; contacts' birthdays and key dates (keydate)

Revision ID: 0009_care
Revises: 0008_autoinc
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = '0009_care'
down_revision: str | Sequence[str] | None = '0008_autoinc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('care_plan', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('churn_months', sa.Integer(), nullable=False, server_default='12'))
    op.create_table(
        'keydate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('keydate', schema=None) as batch_op:
        batch_op.create_index('ix_keydate_month_day', ['month', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_keydate_contact_id'), ['contact_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('keydate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keydate_contact_id'))
        batch_op.drop_index('ix_keydate_month_day')
    op.drop_table('keydate')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('churn_months')
        batch_op.drop_column('care_plan')
