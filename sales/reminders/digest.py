"""What goes in the digests: a person's day, and a team's yesterday (no chat words here)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from sales import quotes
from sales.access import SELLERS
from sales.analytics import closing, team_scope
from sales.analytics.closing import Fixes
from sales.reminders import stalls
from sales.reminders.calendar import Calendar
from sales.reminders.stalls import Stay
from sales.reorders import Reorder, due_to_reorder
from storage.models import (
    Activity,
    Approval,
    Customer,
    Deal,
    FollowUp,
    Installment,
    Quote,
    SalesOrder,
    Stage,
    StageChange,
    Team,
    User,
)
from storage.types import cents

LIMIT = 5  # the most urgent lines of each kind before "N more"
MANAGER_AFTER_WORKING_DAYS = 3  # a rep's follow-up reaches the manager once overdue longer than this


@dataclass(frozen=True)
class Waiting:
    """A pending discount approval with what it is about."""

    approval: Approval
    quote: Quote
    deal: Deal
    customer: Customer
    requester: User | None


@dataclass(frozen=True)
class Receivable:
    """An installment with money still open."""

    installment: Installment
    order: SalesOrder
    customer: Customer
    open: Decimal


@dataclass
class PersonDigest:
    """One person's day: follow-ups today and overdue, payments due, quotes waiting, the team's late ones."""

    day: date
    today: list[tuple[FollowUp, Customer]] = field(default_factory=list)
    overdue: list[tuple[FollowUp, Customer]] = field(default_factory=list)
    payments: list[Receivable] = field(default_factory=list)
    to_approve: list[Waiting] = field(default_factory=list)
    my_waiting: list[Waiting] = field(default_factory=list)
    team_overdue: list[tuple[FollowUp, Customer, User]] = field(default_factory=list)
    reorder: list[Reorder] = field(default_factory=list)  # customers due to order again
    stalled: list[Stay] = field(default_factory=list)  # own deals past their stage's time target
    team_stalled: list[Stay] = field(default_factory=list)  # a manager's: the team's, past twice the target
    fixes: Fixes | None = None  # a manager's: the team's slipped and undated deals
    names: dict[int, str] = field(default_factory=dict)  # the team's people by id (a manager's digest)
    counts: dict[str, int] = field(default_factory=dict)  # full sizes of the sections (lists are capped)

    @property
    def empty(self) -> bool:
        """Nothing to do: nothing is sent."""
        return not any(self.counts.values())


def _followups(session: Session, owners: list[int], lo: datetime | None, hi: datetime) -> list[tuple[FollowUp, Customer]]:
    q = (select(FollowUp, Customer).join(Customer, col(Customer.id) == col(FollowUp.customer_id))
         .where(col(FollowUp.owner_id).in_(owners), col(FollowUp.status) == "open", col(FollowUp.due_at) < hi)
         .order_by(col(FollowUp.due_at), col(FollowUp.id)))
    if lo is not None:
        q = q.where(col(FollowUp.due_at) >= lo)
    return [(f, c) for f, c in session.execute(q).all()]


def _waiting(session: Session, approvals: list[Approval], users: dict[int, User]) -> list[Waiting]:
    out = []
    for ap in approvals:
        q = session.get(Quote, ap.quote_id)
        d = session.get(Deal, q.deal_id) if q else None
        c = session.get(Customer, d.customer_id) if d else None
        if q is not None and d is not None and c is not None:
            out.append(Waiting(ap, q, d, c, users.get(ap.requested_by) or session.get(User, ap.requested_by)))
    return out


def receivables(session: Session, *, owners: list[int] | None, until: date, since: date | None = None) -> list[Receivable]:
    """Open installments due by `until` (of these owners' orders, or of all when None), oldest first."""
    open_ = col(Installment.amount) - col(Installment.paid)
    q = (select(Installment, SalesOrder, Customer)
         .join(SalesOrder, col(SalesOrder.id) == col(Installment.order_id))
         .join(Customer, col(Customer.id) == col(SalesOrder.customer_id))
         .where(open_ > 0, col(Installment.due_on) <= until)
         .order_by(col(Installment.due_on), col(Installment.id)))
    if owners is not None:
        q = q.where(col(SalesOrder.owner_id).in_(owners))
    if since is not None:
        q = q.where(col(Installment.due_on) >= since)
    return [Receivable(i, o, c, cents(i.amount - i.paid)) for i, o, c in session.execute(q).all()]


def person_digest(session: Session, *, user: User, day: date, cal: Calendar, now: datetime) -> PersonDigest:
    """What `user` has to do on `day` (their local date)."""
    start = cal.at(day, datetime.min.time())
    end = cal.at(day + timedelta(days=1), datetime.min.time())
    me = user.id or 0
    out = PersonDigest(day=day)
    if user.role in SELLERS:
        out.today = _followups(session, [me], start, end)
        out.overdue = _followups(session, [me], None, start)
        out.reorder, out.counts["reorder"] = due_to_reorder(session, owners=[me], now=now, limit=LIMIT)
    out.payments = receivables(session, owners=None if user.role == "finance" else [me], until=day)
    users = {u.id or 0: u for u in session.execute(select(User)).scalars()}
    out.to_approve = _waiting(session, quotes.pending_for(session, user=user), users)
    mine = session.execute(select(Approval).where(col(Approval.requested_by) == me, col(Approval.status) == "pending")
                           .order_by(col(Approval.created_at))).scalars().all()
    out.my_waiting = _waiting(session, list(mine), users)
    if user.role == "manager" and user.team_id is not None:
        team = [u for u in users.values() if u.team_id == user.team_id and u.id != me and u.active]
        # Overdue more than 3 working days, counted from when it was due or, if later, made: never one made today.
        since = day
        for _ in range(MANAGER_AFTER_WORKING_DAYS):
            since = cal.previous_working_day(since)
        cutoff = cal.at(since, datetime.min.time())
        late = _followups(session, [u.id or 0 for u in team], None, cutoff)
        out.team_overdue = [(f, c, users[f.owner_id]) for f, c in late if max(f.due_at, f.created_at) < cutoff]
        out.names = {u.id or 0: u.name for u in team}
        out.team_stalled = stalls.over_target(session, owners=[u.id or 0 for u in team], cal_of=lambda _o: cal,
                                              now=now, times=2)
        out.fixes = closing.to_fix(session, team_scope(user.team_id), day, limit=LIMIT)
        out.counts["fixes"] = out.fixes.slipped_count + out.fixes.undated_count
    if user.role in SELLERS:
        out.stalled = stalls.over_target(session, owners=[me], cal_of=lambda _o: cal, now=now)
    out.counts.setdefault("reorder", 0)
    for name in ("today", "overdue", "payments", "to_approve", "my_waiting", "team_overdue", "stalled",
                 "team_stalled"):
        items: list[object] = getattr(out, name)
        out.counts[name] = len(items)
        setattr(out, name, items[:LIMIT])
    return out


@dataclass
class TeamDigest:
    """A team's last working day: activities per rep, moves, wins and losses, pipeline, approvals, receivables."""

    team: Team
    day: date
    since: date
    activities: dict[str, Counter[str]] = field(default_factory=dict)
    moves: list[tuple[StageChange, Deal, Customer, User | None]] = field(default_factory=list)
    won: list[tuple[Deal, Customer, User | None]] = field(default_factory=list)
    lost: list[tuple[Deal, Customer, User | None]] = field(default_factory=list)
    open_deals: int = 0
    pipeline: dict[str, Decimal] = field(default_factory=dict)  # per currency: never added across currencies
    weighted: dict[str, Decimal] = field(default_factory=dict)
    approvals: list[Waiting] = field(default_factory=list)
    overdue: list[Receivable] = field(default_factory=list)
    overdue_total: dict[str, Decimal] = field(default_factory=dict)
    overdue_count: int = 0
    stages: dict[str, Stage] = field(default_factory=dict)
    stalled: list[Stay] = field(default_factory=list)  # the team's deals past their stage's time target
    stalled_count: int = 0
    owners: dict[int, str] = field(default_factory=dict)  # the team's people by id

    @property
    def empty(self) -> bool:
        """Nothing happened and nothing is open: nothing is sent."""
        return not (self.activities or self.moves or self.won or self.lost or self.open_deals or self.approvals
                    or self.overdue)


def team_digest(session: Session, *, team: Team, day: date, cal: Calendar, now: datetime | None = None) -> TeamDigest:
    """The team digest of `day`, covering the time since the previous working day began."""
    since = cal.previous_working_day(day)
    lo, hi = cal.at(since, datetime.min.time()), cal.at(day, datetime.min.time())
    users = {u.id or 0: u for u in session.execute(select(User).where(col(User.team_id) == team.id)).scalars()}
    ids = sorted(users)
    out = TeamDigest(team=team, day=day, since=since, owners={k: u.name for k, u in users.items()})
    out.stages = {s.key: s for s in session.execute(select(Stage)).scalars()}
    for uid, kind, n in session.execute(
            select(col(Activity.user_id), col(Activity.kind), func.count())
            .where(col(Activity.user_id).in_(ids), col(Activity.at) >= lo, col(Activity.at) < hi)
            .group_by(col(Activity.user_id), col(Activity.kind))):
        out.activities.setdefault(users[uid].name, Counter())[kind] = int(n)
    q = (select(StageChange, Deal, Customer).join(Deal, col(Deal.id) == col(StageChange.deal_id))
         .join(Customer, col(Customer.id) == col(Deal.customer_id))
         .where(col(Deal.owner_id).in_(ids), col(StageChange.at) >= lo, col(StageChange.at) < hi,
                col(StageChange.from_stage).is_not(None))
         .order_by(col(StageChange.at), col(StageChange.id)))
    for ch, deal, cust in session.execute(q).all():
        who = users.get(deal.owner_id)
        if ch.to_stage == "won":
            out.won.append((deal, cust, who))
        elif ch.to_stage == "lost":
            out.lost.append((deal, cust, who))
        else:
            out.moves.append((ch, deal, cust, users.get(ch.by_id)))
    closed = [k for k, s in out.stages.items() if s.closed] or ["won", "lost"]
    amount = func.coalesce(func.sum(col(Deal.amount)), 0)
    weighted = func.coalesce(func.sum(col(Deal.amount) * col(Deal.probability)), 0)
    for currency, n, total, w in session.execute(
            select(col(Deal.currency), func.count(), amount, weighted)
            .where(col(Deal.owner_id).in_(ids), col(Deal.stage).not_in(closed)).group_by(col(Deal.currency))).all():
        out.open_deals += int(n)
        out.pipeline[currency] = cents(str(total))
        out.weighted[currency] = cents(Decimal(str(w)) / 100)
    pending = session.execute(select(Approval).where(col(Approval.status) == "pending",
                                                     col(Approval.requested_by).in_(ids))
                              .order_by(col(Approval.created_at))).scalars().all()
    out.approvals = _waiting(session, list(pending), users)
    late = receivables(session, owners=ids, until=day - timedelta(days=1))
    for r in late:
        out.overdue_total[r.order.currency] = out.overdue_total.get(r.order.currency, Decimal(0)) + r.open
    out.overdue_count = len(late)
    out.overdue = late[:LIMIT]
    out.moves, out.won, out.lost = out.moves[:LIMIT], out.won[:LIMIT], out.lost[:LIMIT]
    if now is not None:
        late_deals = stalls.over_target(session, owners=ids, cal_of=lambda _o: cal, now=now)
        out.stalled, out.stalled_count = late_deals[:LIMIT], len(late_deals)
    return out
