"""Sales figures for a period and a scope, each summed by GROUP BY queries in the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, func, null, or_, select, true
from sqlalchemy.sql.expression import True_
from sqlmodel import Session, col

from sales import pipeline
from sales.access import MANAGERS, deal_scope
from sales.analytics.periods import Period, utc_midnight
from sales.sources import canonical
from storage.models import Activity, Customer, Deal, Stage, StageChange, User
from storage.types import cents


@dataclass(frozen=True)
class Scope:
    """Whose numbers: one rep, a team, or everyone, always within what the asker may see."""

    kind: Literal["all", "team", "user"]
    user_id: int | None = None
    team_id: int | None = None
    visible: ColumnElement[bool] = field(default_factory=true)


def may_see(asker: User, rep: User) -> bool:
    """Whether `asker` may see the numbers of `rep`."""
    if asker.role == "admin" or asker.id == rep.id:
        return True
    return asker.role == "manager" and rep.team_id == asker.team_id


def scope_for(asker: User, *, rep: User | None = None, mine: bool = False) -> Scope:
    """The scope a person's report covers: a rep sees their own, a manager the team, an admin all."""
    visible = deal_scope(asker)
    if rep is not None and may_see(asker, rep):
        return Scope("user", user_id=rep.id, visible=visible)
    if mine or asker.role not in MANAGERS:
        return Scope("user", user_id=asker.id, visible=visible)
    if asker.role == "manager":
        return Scope("team", team_id=asker.team_id, visible=visible)
    return Scope("all", visible=visible)


def team_scope(team_id: int) -> Scope:
    """A whole team's numbers (for the team's digest)."""
    return Scope("team", team_id=team_id)


def owned(column: Any, scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause: `column` (a user id) belongs to the scope."""
    if scope.kind == "user":
        return col(column) == scope.user_id
    if scope.kind == "team":
        return col(column).in_(select(col(User.id)).where(col(User.team_id) == scope.team_id))
    return true()


def deals_in(scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause on Deal for the scope."""
    return and_(scope.visible, owned(Deal.owner_id, scope))


def of_deals_in(column: Any, scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause: `column` (a deal id, e.g. of a stage move) names a deal of the scope."""
    if scope.kind == "all" and isinstance(scope.visible, True_):
        return true()
    # A lookup of each deal by its key, not a list of every deal in scope built first.
    return exists().where(col(Deal.id) == col(column), deals_in(scope))


def within(column: Any, start: datetime | date, end: datetime | date) -> ColumnElement[bool]:
    """start ≤ column < end."""
    return and_(col(column) >= start, col(column) < end)


def days_between(session: Session, later: Any, earlier: Any) -> Any:
    """An SQL expression: the days from `earlier` to `later`, fractional."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def valued(home: str = "CNY", rates: Mapping[str, Decimal] | None = None) -> Any:
    """A deal's amount in the team's currency at the rates an admin set, as SQL; NULL (so left out of every sum)
    for a deal in a currency without a rate: money is never silently converted."""
    whens: list[tuple[Any, Any]] = [(col(Deal.currency) == home, col(Deal.amount))]
    whens += [(col(Deal.currency) == k, col(Deal.amount) * float(v)) for k, v in sorted((rates or {}).items())
              if k != home]
    return case(*whens, else_=null())


def currencies(session: Session, scope: Scope) -> set[str]:
    """The currencies of the deals in the scope that have an amount."""
    return set(session.execute(select(col(Deal.currency)).where(deals_in(scope), col(Deal.amount).is_not(None))
                               .distinct()).scalars().all())


def _value(value: Any) -> Any:
    return col(Deal.amount) if value is None else value


def dec(value: Any) -> Decimal:
    """A summed amount as an exact two-place Decimal (SQLite sums in floats)."""
    return cents(str(value or 0))


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


def _closed_sums(start: datetime, end: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[bool]]:
    won = and_(col(Deal.stage) == "won", within(Deal.closed_at, start, end))
    lost = and_(col(Deal.stage) == "lost", within(Deal.closed_at, start, end))
    return won, lost, within(Deal.created_at, start, end)


def _count_if(cond: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _sum_if(cond: ColumnElement[bool], value: Any) -> Any:
    return func.coalesce(func.sum(case((cond, value), else_=0)), 0)


@dataclass(frozen=True)
class FunnelStep:
    """Deals of the period's cohort that reached a stage, and how many of them reached a later one."""

    stage: Stage
    entered: int  # reached this stage (or a later one: a skipped stage counts)
    moved_on: int

    @property
    def conversion(self) -> float | None:
        """The share of those deals that reached a later stage."""
        return ratio(self.moved_on, self.entered)


@dataclass(frozen=True)
class Funnel:
    """The cohort funnel of the deals opened in a period, and the period's closings (any cohort)."""

    steps: list[FunnelStep]
    won: int  # closed in the period, whenever opened
    lost: int
    revenue: Decimal
    avg_cycle_days: float | None
    opened: int = 0  # the cohort: deals opened in the period
    cohort_won: int = 0
    cohort_lost: int = 0

    @property
    def win_rate(self) -> float | None:
        """Won / (won + lost) among deals closed in the period."""
        return ratio(self.won, self.won + self.lost)

    @property
    def empty(self) -> bool:
        """No deal was opened and none closed."""
        return not self.opened and not self.won + self.lost


def funnel(session: Session, scope: Scope, start: datetime, end: datetime, value: Any = None) -> Funnel:
    """The cohort funnel: deals opened in [start, end), each counted at every stage up to the furthest it reached
    (skipped stages included; a lost deal up to the stage it was lost from), so no step is wider than the one
    before; and the period's wins, losses, win rate and cycle."""
    stages = [s for s in pipeline.stages(session) if s.key != "lost"]
    # One row per deal of the cohort: the furthest stage it reached (a loss aside) and where it is now.
    per_deal = (select(func.max(case((col(Stage.key) != "lost", col(Stage.position)), else_=None)).label("far"),
                       func.max(col(Deal.stage)).label("now"))
                .select_from(StageChange).join(Stage, col(Stage.key) == col(StageChange.to_stage))
                .join(Deal, col(Deal.id) == col(StageChange.deal_id))
                .where(within(Deal.created_at, start, end), deals_in(scope))
                .group_by(col(StageChange.deal_id)).subquery())
    far = func.coalesce(per_deal.c.far, 0)
    sums = session.execute(select(func.count(), _count_if(per_deal.c.now == "won"),
                                  _count_if(per_deal.c.now == "lost"),
                                  *[_count_if(far >= s.position) for s in stages])).one()
    reached = [int(n) for n in sums[3:]]
    steps = [FunnelStep(s, reached[i], reached[i + 1] if i + 1 < len(stages) else 0) for i, s in enumerate(stages)]
    won, lost, _ = _closed_sums(start, end)
    cycle = days_between(session, col(Deal.closed_at), col(Deal.created_at))
    row = session.execute(select(_count_if(won), _count_if(lost), _sum_if(won, _value(value)),
                                 func.avg(case((won, cycle), else_=None)))
                          .where(deals_in(scope), within(Deal.closed_at, start, end))).one()
    return Funnel(steps, int(row[0]), int(row[1]), dec(row[2]), None if row[3] is None else float(row[3]),
                  opened=int(sums[0]), cohort_won=int(sums[1]), cohort_lost=int(sums[2]))


@dataclass(frozen=True)
class Group:
    """One row of a breakdown (a source or a rep): new deals, wins, losses, revenue, activities."""

    key: str
    new_deals: int
    won: int
    lost: int
    revenue: Decimal
    activities: int = 0

    @property
    def win_rate(self) -> float | None:
        """Won / (won + lost) in the period."""
        return ratio(self.won, self.won + self.lost)


def _rank(g: Group) -> tuple[Decimal, int, int, int, str]:
    return -g.revenue, -g.won, -g.new_deals, -g.activities, g.key


def sources(session: Session, scope: Scope, start: datetime, end: datetime, value: Any = None) -> list[Group]:
    """New deals, wins, losses, win rate and revenue per customer source ("" when unknown)."""
    won, lost, created = _closed_sums(start, end)
    src = func.coalesce(col(Customer.source), "")
    q = (select(src, _count_if(created), _count_if(won), _count_if(lost), _sum_if(won, _value(value)))
         .join(Customer, col(Customer.id) == col(Deal.customer_id))
         .where(deals_in(scope), or_(created, within(Deal.closed_at, start, end))).group_by(src))
    merged: dict[str, Group] = {}
    for s, n, w, lo, r in session.execute(q).all():
        key = canonical(str(s)) or ""  # rows typed before the list (官网 and Website) are one source
        g = merged.get(key)
        merged[key] = Group(key, int(n), int(w), int(lo), dec(r)) if g is None else Group(
            key, g.new_deals + int(n), g.won + int(w), g.lost + int(lo), g.revenue + dec(r))
    return sorted(merged.values(), key=_rank)


@dataclass(frozen=True)
class RepRow:
    """A leaderboard line: the person and their figures."""

    user_id: int
    name: str
    figures: Group


def leaderboard(session: Session, scope: Scope, start: datetime, end: datetime, value: Any = None) -> list[RepRow]:
    """Per rep: activities, new deals, wins, revenue and win rate, best revenue first."""
    won, lost, created = _closed_sums(start, end)
    deals_q = (select(col(Deal.owner_id), _count_if(created), _count_if(won), _count_if(lost),
                      _sum_if(won, _value(value)))
               .where(deals_in(scope), or_(created, within(Deal.closed_at, start, end))).group_by(col(Deal.owner_id)))
    acts_q = (select(col(Activity.user_id), func.count())
              .where(owned(Activity.user_id, scope), within(Activity.at, start, end)).group_by(col(Activity.user_id)))
    per_deal = {int(u): (int(n), int(w), int(lo), dec(r)) for u, n, w, lo, r in session.execute(deals_q).all()}
    per_act = {int(u): int(n) for u, n in session.execute(acts_q).all()}
    sellers = select(col(User.id), col(User.name)).where(
        owned(User.id, scope),
        or_(and_(col(User.active), col(User.role).in_(("rep", "manager"))),
            col(User.id).in_(set(per_deal) | set(per_act))))
    rows = []
    for uid, name in session.execute(sellers).all():
        n, w, lo, r = per_deal.get(uid, (0, 0, 0, Decimal("0.00")))
        rows.append(RepRow(uid, name, Group(name, n, w, lo, r, per_act.get(uid, 0))))
    return sorted(rows, key=lambda r: _rank(r.figures))


@dataclass(frozen=True)
class StageLoad:
    """Open deals at one stage: how many, their amount and the amount weighted by the stage's probability."""

    stage: Stage
    deals: int
    amount: Decimal  # all of it, whatever the currency: only meaningful alone when there is one currency
    weighted: Decimal
    amounts: dict[str, Decimal] = field(default_factory=dict)  # per currency
    weighteds: dict[str, Decimal] = field(default_factory=dict)


def open_pipeline(session: Session, scope: Scope) -> list[StageLoad]:
    """Open deals per stage with amounts and the weighted forecast (amount × stage probability), per currency."""
    q = (select(col(Stage.key), col(Deal.currency), func.count(), func.coalesce(func.sum(col(Deal.amount)), 0),
                func.coalesce(func.sum(col(Deal.amount) * col(Stage.probability)), 0))
         .join(Stage, col(Stage.key) == col(Deal.stage))
         .where(deals_in(scope), col(Stage.closed).is_(False)).group_by(col(Stage.key), col(Deal.currency)))
    counts: dict[str, int] = {}
    amounts: dict[str, dict[str, Decimal]] = {}
    weighteds: dict[str, dict[str, Decimal]] = {}
    for k, cur, n, a, w in session.execute(q).all():
        counts[k] = counts.get(k, 0) + int(n)
        amounts.setdefault(k, {})[cur] = dec(a)
        weighteds.setdefault(k, {})[cur] = dec(Decimal(str(w)) / 100)
    return [StageLoad(s, counts.get(s.key, 0), sum(amounts.get(s.key, {}).values(), dec(0)),
                      sum(weighteds.get(s.key, {}).values(), dec(0)), amounts.get(s.key, {}),
                      weighteds.get(s.key, {}))
            for s in pipeline.stages(session) if not s.closed]


@dataclass(frozen=True)
class Month:
    """One month of the forecast: won so far and the open pipeline expected to close in it (from today on)."""

    start: date
    won: Decimal
    open_deals: int
    amount: Decimal
    weighted: Decimal
    past: bool = False  # over before today: nothing is "expected" in it any more


@dataclass(frozen=True)
class Forecast:
    """The forecast by expected close month, with the target of the period when one is set."""

    months: list[Month]
    target: Decimal | None
    undated: int  # open deals without an expected close date
    slipped: int = 0  # open deals whose expected close has passed

    @property
    def won(self) -> Decimal:
        """Revenue already won in the period."""
        return sum((m.won for m in self.months), Decimal("0.00"))

    @property
    def weighted(self) -> Decimal:
        """The weighted open pipeline expected to close in the period."""
        return sum((m.weighted for m in self.months), Decimal("0.00"))

    @property
    def empty(self) -> bool:
        """No wins and no open deal expected in the period."""
        return not any(m.won or m.open_deals for m in self.months)


def _bucket(column: Any, edges: list[Any]) -> Any:
    """The index of the span [edges[i], edges[i+1]) holding `column`, as an SQL CASE."""
    return case(*[(col(column) < e, i) for i, e in enumerate(edges[1:-1])], else_=len(edges) - 2)


def forecast(session: Session, scope: Scope, period: Period, tz: ZoneInfo, target: Decimal | None = None,
             value: Any = None, today: date | None = None) -> Forecast:
    """Won revenue and the (weighted) open pipeline per month of the period, its days taken in zone `tz`; an open
    deal is expected only on or after `today` (the local date): one whose expected close has passed is slipped,
    counted apart whatever the period."""
    months = period.months()
    today = today or date.min
    day_edges = [m[0] for m in months] + [months[-1][1]]
    edges_utc = [utc_midnight(d, tz) for d in day_edges]
    is_open = col(Stage.closed).is_(False)
    won = and_(col(Deal.stage) == "won", within(Deal.closed_at, edges_utc[0], edges_utc[-1]))
    expected = and_(is_open, within(Deal.expected_close, max(day_edges[0], today), day_edges[-1]))
    undated = and_(is_open, col(Deal.expected_close).is_(None))
    slipped = and_(is_open, col(Deal.expected_close) < today)
    # One pass: open deals by expected close month (-1: no date, -2: slipped), won deals by the month they closed.
    idx = case((undated, -1), (slipped, -2), (is_open, _bucket(Deal.expected_close, day_edges)),
               else_=_bucket(Deal.closed_at, edges_utc))
    amount = _value(value)
    q = (select(idx, _count_if(is_open), _sum_if(is_open, amount),
                _sum_if(is_open, amount * col(Stage.probability)), _sum_if(won, amount))
         .join(Stage, col(Stage.key) == col(Deal.stage))
         .where(deals_in(scope), or_(expected, undated, slipped, won)).group_by(idx))
    rows = {int(i): (int(n), dec(a), dec(Decimal(str(w)) / 100), dec(r)) for i, n, a, w, r in session.execute(q).all()}
    empty = (0, dec(0), dec(0), dec(0))
    out = [Month(m[0], rows.get(i, empty)[3], *rows.get(i, empty)[:3], past=m[1] <= today)
           for i, m in enumerate(months)]
    return Forecast(out, target, rows.get(-1, empty)[0], rows.get(-2, empty)[0])
