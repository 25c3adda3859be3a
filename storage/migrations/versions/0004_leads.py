"""leads and imports: lead scoring, import batches, lead and contact columns, past revenue

Revision ID: 0004
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = '0004'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('importbatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sheet', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('options', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('importbatch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importbatch_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_importbatch_user_id'), ['user_id'], unique=False)

    op.create_table('leadscoring',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('rules', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('mql', sa.Integer(), nullable=False),
    sa.Column('sql', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.ForeignKeyConstraint(['updated_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('leadscoring', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leadscoring_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('past_revenue', storage.types.Money(precision=16, scale=2, asdecimal=False),
                                      nullable=True))
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('size', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('engagement', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('flags', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('touched_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_lead_customer_id', 'customer', ['customer_id'], ['id'])
        batch_op.create_index('ix_lead_status_score', ['status', 'score'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_status_score')
        batch_op.drop_constraint('fk_lead_customer_id', type_='foreignkey')
        for name in ('touched_at', 'assigned_at', 'customer_id', 'note', 'flags', 'engagement', 'size'):
            batch_op.drop_column(name)
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('flags')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('past_revenue')
    with op.batch_alter_table('leadscoring', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leadscoring_team_id'))
    op.drop_table('leadscoring')
    with op.batch_alter_table('importbatch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importbatch_user_id'))
        batch_op.drop_index(batch_op.f('ix_importbatch_sha256'))
    op.drop_table('importbatch')
