"""cardscan: business cards read in chat (the reading, the photo, undecided/saved/dismissed); contact: landline,
address

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cardscan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('workspace', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('chat', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reading', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=True),
    sa.Column('mime', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cardscan', schema=None) as batch_op:
        batch_op.create_index('ix_cardscan_state_created', ['state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cardscan_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cardscan_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cardscan_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('landline', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('address')
        batch_op.drop_column('landline')
    with op.batch_alter_table('cardscan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cardscan_user_id'))
        batch_op.drop_index(batch_op.f('ix_cardscan_customer_id'))
        batch_op.drop_index(batch_op.f('ix_cardscan_contact_id'))
        batch_op.drop_index('ix_cardscan_state_created')
    op.drop_table('cardscan')
