"""lead: who added it (added_by), so a rep sees the leads they added before any is assigned to them

Revision ID: 0009_lists19
Revises: 0008_autoinc
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_lists19'
down_revision: str | Sequence[str] | None = '0008_autoinc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE … ADD COLUMN (no foreign key): SQLite would otherwise rebuild the table and lose its
    # AUTOINCREMENT (0008_autoinc).
    op.add_column('lead', sa.Column('added_by', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_lead_added_by'), 'lead', ['added_by'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_lead_added_by'), table_name='lead')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('added_by')
