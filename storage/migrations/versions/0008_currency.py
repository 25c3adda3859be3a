"""money keeps its currency: deal, activity, quote, sales_order, payment and target get a currency (CNY for
the rows there are); team gets its own currency and the exchange rates an admin sets

Revision ID: 0008cur
Revises: 0008_links
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0008cur'
down_revision: str | Sequence[str] | None = '0008_links'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ('deal', 'activity', 'quote', 'sales_order', 'payment', 'target', 'team')


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False,
                                          server_default='CNY'))
            if table == 'team':
                batch_op.add_column(sa.Column('fx_rates', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                              server_default=''))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('currency')
            if table == 'team':
                batch_op.drop_column('fx_rates')
