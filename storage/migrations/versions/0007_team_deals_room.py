"""team: the deals room (/dealroom) gets its own column, deals_room, apart from the deals channel of threads

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEAM = sa.table('team', sa.column('id', sa.Integer), sa.column('deals_channel', sa.String),
                 sa.column('deals_room', sa.String))
# A copy of handlers/privacy.decode_room's rule as of this revision: a migration must not change with the code.
_PLATFORMS = ("slack", "telegram", "console")


def _is_room(value: str | None) -> bool:
    """Whether a deals_channel value is a deals room ("platform:workspace:chat[:thread]"), not a threads channel."""
    parts = (value or "").split(":")
    return (not (value or "").startswith("threads:") and len(parts) in (3, 4) and parts[0] in _PLATFORMS
            and all(parts))


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deals_room', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    conn = op.get_bind()
    for team_id, value in conn.execute(sa.select(_TEAM.c.id, _TEAM.c.deals_channel)).all():
        if _is_room(value):
            conn.execute(_TEAM.update().where(_TEAM.c.id == team_id).values(deals_room=value, deals_channel=None))


def downgrade() -> None:
    # Where both are set, the deals channel of threads is kept and the room is lost: one column holds one.
    conn = op.get_bind()
    conn.execute(_TEAM.update().where(_TEAM.c.deals_room.is_not(None),
                                      sa.or_(_TEAM.c.deals_channel.is_(None), _TEAM.c.deals_channel == ''))
                 .values(deals_channel=_TEAM.c.deals_room))
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('deals_room')
