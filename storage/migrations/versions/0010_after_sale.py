"""Merge point of the revisions made side by side after 0008_autoinc (lists, orders' fulfilment and invoices, service
tickets, satisfaction surveys, care plans and key dates, stage time targets): nothing to do but join them into one head.

Revision ID: 0010_join
Revises: 0009_lists19, 0009_fulfil, 0009_tickets, 0009_surveys, 0009_care, 0009_deals19
"""

from collections.abc import Sequence

revision: str = '0010_join'
down_revision: str | Sequence[str] | None = ('0009_lists19', '0009_fulfil', '0009_tickets', '0009_surveys', '0009_care', '0009_deals19')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
