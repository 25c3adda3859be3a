"""Open deals whose expected close needs fixing: slipped (the date has passed) and undated (no date)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from sales.analytics import Scope, deals_in
from storage.models import Customer, Deal, Stage, User

LIMIT = 5  # deals listed of each kind; the rest are counted


@dataclass(frozen=True)
class Dated:
    """An open deal with its customer's and owner's names."""

    deal: Deal
    customer: str
    owner: str


@dataclass
class Fixes:
    """Slipped and undated open deals of a scope: the first few of each and how many in all."""

    slipped: list[Dated] = field(default_factory=list)
    undated: list[Dated] = field(default_factory=list)
    slipped_count: int = 0
    undated_count: int = 0

    @property
    def empty(self) -> bool:
        """Every open deal has a date still ahead."""
        return not self.slipped_count and not self.undated_count


def to_fix(session: Session, scope: Scope, today: date, limit: int = LIMIT) -> Fixes:
    """Open deals whose expected close is before `today` (the reader's local date), longest slipped first, and
    open deals without one, oldest first."""
    base = (select(Deal, col(Customer.name), col(User.name))
            .join(Customer, col(Customer.id) == col(Deal.customer_id))
            .join(User, col(User.id) == col(Deal.owner_id))
            .join(Stage, col(Stage.key) == col(Deal.stage))
            .where(deals_in(scope), col(Stage.closed).is_(False)))
    slipped = session.execute(base.where(col(Deal.expected_close) < today)
                              .order_by(col(Deal.expected_close), col(Deal.id))).all()
    undated = session.execute(base.where(col(Deal.expected_close).is_(None))
                              .order_by(col(Deal.created_at), col(Deal.id))).all()
    return Fixes([Dated(d, c, o) for d, c, o in slipped[:limit]], [Dated(d, c, o) for d, c, o in undated[:limit]],
                 len(slipped), len(undated))
