"""stage gets its time target: the working days a deal may stay in it (the seeds' defaults: proposal 3, negotiation
5, payment 5 working days after signing on won; prospect and qualified 10; none on lost)

Revision ID: 0009_deals19
Revises: 0008_autoinc
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_deals19'
down_revision: str | Sequence[str] | None = '0008_autoinc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULTS = {'prospect': 10, 'qualified': 10, 'proposal': 3, 'negotiation': 5, 'won': 5}


def upgrade() -> None:
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_days', sa.Integer(), nullable=True))
    stage = sa.table('stage', sa.column('key', sa.String()), sa.column('target_days', sa.Integer()))
    for key, days in DEFAULTS.items():
        op.execute(stage.update().where(stage.c.key == key).values(target_days=days))


def downgrade() -> None:
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.drop_column('target_days')
