"""reminders: the team's working calendar, quiet hours and chat

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_DEFAULTS = (("work_days", "12345"), ("work_start", "09:00"), ("work_end", "18:00"), ("quiet_start", "21:00"),
             ("quiet_end", "08:00"), ("holidays", ""), ("extra_workdays", ""))
_CHAT = ("chat_platform", "chat_workspace", "chat_id")


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        for name, default in _DEFAULTS:
            batch_op.add_column(sa.Column(name, _TEXT(), nullable=False, server_default=default))
        for name in _CHAT:
            batch_op.add_column(sa.Column(name, _TEXT(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        for name in reversed(_CHAT):
            batch_op.drop_column(name)
        for name, _ in reversed(_DEFAULTS):
            batch_op.drop_column(name)
