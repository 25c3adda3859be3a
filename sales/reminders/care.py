"""Care plans by grade (the contact cadence and the touches beside it) and the key dates of contacts, as planned
reminders: the care touches join the cadence follow-ups under their daily cap; a birthday is one reminder a year."""

from __future__ import annotations

import calendar as cal_mod
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, false, func, or_, select
from sqlmodel import Session, col

from sales.reminders.calendar import DEFAULT_HOUR
from storage.models import Contact, Customer, FollowUp, KeyDate, Team

if TYPE_CHECKING:
    from sales.reminders import People

GRADES = ("A", "B", "C")
TOUCHES = ("contact", "exec", "product", "news")  # contact is the cadence (Team.cadence_x_days)
SEED: dict[str, tuple[tuple[str, int], ...]] = {  # the seeds' table: what a grade gets beside its contact cadence
    "A": (("exec", 30),), "B": (("product", 91),), "C": (("news", 30),)}
WHAT = {"exec": "高层拜访 · executive touch", "product": "产品更新 · product update", "news": "行业资讯 · news"}
CARE_PREFIX = "care."  # FollowUp.reason of a care touch: care.exec, care.product, care.news
REVISIT = "revisit"  # FollowUp.reason of the 回访 after an order's acceptance
REORDER = "reorder"  # FollowUp.reason of a follow-up made from the digest's reorder line
KEYDATE_CATCH_UP = timedelta(days=2)  # a key date missed longer ago than this is not reminded late


@dataclass(frozen=True, slots=True)
class Touch:
    """One kind of touch of a care plan and how many days apart."""

    kind: str
    days: int


def contact_days(team: Team | None) -> dict[str, int]:
    """Each grade's contact cadence in days; a grade whose cadence is off (0) is left out."""
    days = {"A": 7, "B": 14, "C": 30} if team is None else {
        "A": team.cadence_a_days, "B": team.cadence_b_days, "C": team.cadence_c_days}
    return {g: d for g, d in days.items() if d > 0}


def extras(team: Team | None) -> dict[str, tuple[Touch, ...]]:
    """Each grade's touches beside the contact cadence: the team's own, or the seed table."""
    text = team.care_plan if team is not None else ""
    if not text.strip():
        return {g: tuple(Touch(k, d) for k, d in SEED[g]) for g in GRADES}
    out: dict[str, tuple[Touch, ...]] = {g: () for g in GRADES}
    for part in text.split():
        grade, _, rest = part.partition(":")
        if grade in out:
            out[grade] = tuple(_touch(x) for x in rest.split(",") if _touch(x).days > 0)
    return out


def _touch(text: str) -> Touch:
    kind, _, days = text.partition("=")
    return Touch(kind, int(days)) if kind in TOUCHES[1:] and days.isdigit() else Touch(kind, 0)


def plan_of(team: Team | None) -> dict[str, tuple[Touch, ...]]:
    """Each grade's whole care plan: its contact cadence first, then its other touches."""
    contact = contact_days(team)
    more = extras(team)
    return {g: ((Touch("contact", contact[g]),) if g in contact else ()) + more[g] for g in GRADES}


def encode(plan: dict[str, tuple[Touch, ...]]) -> str:
    """The touches beside the contact cadence as Team.care_plan stores them."""
    return " ".join(f"{g}:" + ",".join(f"{t.kind}={t.days}" for t in plan.get(g, ()) if t.kind != "contact")
                    for g in GRADES)


def touch_candidates(session: Session, people: People, now: datetime, scheduled: Any,
                     per_owner: int) -> list[tuple[str, datetime, int, int, int, str, str, str, datetime]]:
    """Customers whose care touches (beside the contact cadence) are due: (grade, nominal moment, rank, customer,
    owner, dedupe key, reason, what, base). A touch is counted from the last follow-up of its kind, else from
    the customer's creation; `scheduled` (an open follow-up) holds every touch back; each owner's `per_owner`
    most urgent (by grade, then the oldest base) of each kind."""
    out = []
    for rank, kind in enumerate(TOUCHES[1:], start=1):
        reason = CARE_PREFIX + kind
        last = (select(col(FollowUp.customer_id).label("cid"), func.max(col(FollowUp.due_at)).label("at"))
                .where(col(FollowUp.reason) == reason).group_by(col(FollowUp.customer_id)).subquery())
        base = func.coalesce(last.c.at, col(Customer.created_at))
        conds = []
        every: dict[tuple[int | None, str], int] = {}
        for team_id, team in [*people.teams.items(), (None, None)]:
            team_cond = col(Customer.team_id).is_(None) if team_id is None else col(Customer.team_id) == team_id
            for grade, touches in extras(team).items():
                for t in touches:
                    if t.kind == kind:
                        every[(team_id, grade)] = t.days
                        conds.append(and_(team_cond, col(Customer.grade) == grade,
                                          base <= now - timedelta(days=max(t.days - 1, 0))))
        if not conds:
            continue
        inner = (select(col(Customer.id).label("cid"), col(Customer.owner_id).label("owner"),
                        col(Customer.grade).label("grade"), col(Customer.team_id).label("team"), base.label("base"),
                        func.row_number().over(partition_by=col(Customer.owner_id),
                                               order_by=(col(Customer.grade), base, col(Customer.id))).label("rn"))
                 .outerjoin(last, last.c.cid == col(Customer.id))
                 .where(col(Customer.status) == "active", or_(false(), *conds), ~scheduled).subquery())
        # Only each owner's most urgent few: no more can be placed in a pass than fit their next days.
        q = select(inner.c.cid, inner.c.owner, inner.c.grade, inner.c.team, inner.c.base).where(inner.c.rn <= per_owner)
        for cid, owner, grade, team_id, base_at in session.execute(q):
            days = every.get((team_id, grade))
            if days is None or base_at is None:
                continue
            cal = people.calendar(owner)
            nominal = cal.working_moment(cal.at(cal.local(base_at).date() + timedelta(days=days), DEFAULT_HOUR))
            out.append((grade, nominal, rank, cid, owner, f"care:{cid}:{kind}:{int(base_at.timestamp())}", reason,
                        WHAT[kind], base_at))
    return out


def _month_days(days: list[date]) -> set[tuple[int, int]]:
    """The (month, day) pairs of these dates; 29 February counts on the 28th of a year without one."""
    out = {(d.month, d.day) for d in days}
    out |= {(2, 29) for d in days if d.month == 2 and d.day == 28 and not cal_mod.isleap(d.year)}
    return out


def on_year(month: int, day: int, year: int) -> date:
    """The key date in `year` (29 February on the 28th when the year has none)."""
    if month == 2 and day == 29 and not cal_mod.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def keydate_rows(session: Session, people: People, now: datetime) -> list[dict[str, Any]]:
    """Birthdays and key dates whose day has come: a reminder to the customer's owner at 09:00 their time."""
    from sales.reminders import (
        _row,  # the planner's row shape; imported late: the planner imports this module
    )

    today = now.date()
    pairs = _month_days([today + timedelta(days=k) for k in range(-3, 2)])
    q = (select(col(KeyDate.id), col(KeyDate.month), col(KeyDate.day), col(Customer.owner_id))
         .join(Contact, col(Contact.id) == col(KeyDate.contact_id))
         .join(Customer, col(Customer.id) == col(Contact.customer_id))
         .where(col(Customer.status) == "active",
                or_(false(), *(and_(col(KeyDate.month) == m, col(KeyDate.day) == d) for m, d in sorted(pairs)))))
    rows = []
    for kid, month, day, owner in session.execute(q):
        cal = people.calendar(owner)
        local_year = cal.local(now).year
        for year in (local_year - 1, local_year):
            at = cal.after_quiet(cal.at(on_year(month, day, year), DEFAULT_HOUR))
            if now - KEYDATE_CATCH_UP < at <= now:
                rows.append(_row("keydate", f"kd:{kid}:{year}", at, owner, {"kd": kid, "year": year}, now))
    return rows
