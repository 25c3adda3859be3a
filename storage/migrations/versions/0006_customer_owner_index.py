"""customer: drop ix_customer_owner_id, which ix_customer_owner_name (owner_id, name_key) already covers

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_customer_owner_id', table_name='customer')


def downgrade() -> None:
    op.create_index('ix_customer_owner_id', 'customer', ['owner_id'], unique=False)
