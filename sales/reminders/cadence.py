"""Cadence follow-ups: customers past their grade's care plan with nothing scheduled get one for their owner,
at most so many on one owner's working day."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, false, func, insert, or_, select
from sqlmodel import Session, col

from sales.reminders import CADENCE_PER_DAY, CADENCE_WHAT, People, _row, care, epoch, insert_new
from sales.reminders.calendar import DEFAULT_HOUR
from storage.models import Customer, FollowUp


def cadence_followups(session: Session, people: People, now: datetime, per_day: int = CADENCE_PER_DAY) -> int:
    """Customers past their grade's care plan with nothing scheduled get a follow-up for their owner.

    The plan's contact cadence counts from the last contact; its other touches (an executive touch, a product
    update, news: `sales.reminders.care`) from the last follow-up of their kind. One follow-up per customer at a
    time. Never in the past: a customer first seen with a last contact long ago is due at the owner's next
    working moment, not at the cadence's date. At most `per_day` of them land on one owner's working day, grade
    A first, contact before the other touches, then the longest waiting; the rest wait for a later pass (their
    day has no room yet, or a more urgent customer waits for it).
    """
    last = func.coalesce(col(Customer.last_contact_at), col(Customer.created_at))
    per_team = []
    for team_id, team in [*people.teams.items(), (None, None)]:
        days = care.contact_days(team)
        # Selected up to a day early (the due moment is 09:00 local): each customer is picked up once.
        by_grade = or_(false(), *(and_(col(Customer.grade) == g, last <= now - timedelta(days=max(d - 1, 0)))
                                  for g, d in days.items()))
        team_cond = col(Customer.team_id).is_(None) if team_id is None else col(Customer.team_id) == team_id
        per_team.append(and_(team_cond, by_grade))
    scheduled = exists().where(col(FollowUp.customer_id) == col(Customer.id), col(FollowUp.status) == "open")
    already = exists().where(col(FollowUp.customer_id) == col(Customer.id), col(FollowUp.reason) == "cadence",
                             col(FollowUp.created_at) >= last)
    q = (select(col(Customer.id), col(Customer.owner_id), col(Customer.grade), col(Customer.team_id), last)
         .where(col(Customer.status) == "active", or_(false(), *per_team), ~scheduled, ~already))
    wanted = []
    for cid, owner, grade, team_id, last_at in session.execute(q):
        n = care.contact_days(people.teams.get(team_id or 0)).get(grade)
        if n is None:
            continue
        cal = people.calendar(owner)
        nominal = cal.working_moment(cal.at(cal.local(last_at).date() + timedelta(days=n), DEFAULT_HOUR))
        wanted.append((grade, nominal, 0, cid, owner, f"cad:{cid}:{epoch(last_at)}", "cadence", CADENCE_WHAT, last_at))
    wanted += care.touch_candidates(session, people, now, scheduled, per_owner=3 * per_day)
    if not wanted:
        return 0
    taken = _cadence_taken(session, people, now)
    markers, plans, placed = [], {}, set()
    waiting: dict[int, date] = {}  # per owner, the first full day a more urgent customer waits for
    for _grade, nominal, _rank, cid, owner, key, reason, what, _base in sorted(wanted, key=lambda w: (w[0], w[2], w[1], w[3])):
        if cid in placed:
            continue  # one follow-up per customer at a time: its other due touch waits for a later pass
        cal = people.calendar(owner)
        due = max(nominal, cal.working_moment(now))  # never in the past
        day = (owner, cal.local(due).date())
        if taken[day] >= per_day or day[1] >= waiting.get(owner, date.max):
            # This working day is full (a later pass places it), or a more urgent customer waits for it.
            waiting[owner] = min(waiting.get(owner, date.max), day[1])
            continue
        taken[day] += 1
        placed.add(cid)
        markers.append(_row("cadence", key, due, owner, {"customer": cid}, now, status="done"))
        plans[key] = dict(customer_id=cid, owner_id=owner, due_at=due, has_time=False, what=what,
                          reason=reason, status="open", created_at=now)
    made = insert_new(session, markers)  # the marker rows make two processes create one follow-up, not two
    if made:
        session.execute(insert(FollowUp), [plans[k] for k in sorted(made)])
    return len(made)


def _cadence_taken(session: Session, people: People, now: datetime) -> Counter[tuple[int | None, date]]:
    """Cadence and care follow-ups already placed on each owner's local days from yesterday on (any status)."""
    q = select(col(FollowUp.owner_id), col(FollowUp.due_at)).where(
        or_(col(FollowUp.reason) == "cadence", col(FollowUp.reason).startswith(care.CARE_PREFIX)),
        col(FollowUp.due_at) >= now - timedelta(days=1))
    taken: Counter[tuple[int | None, date]] = Counter()
    for owner, due in session.execute(q):
        taken[(owner, people.calendar(owner).local(due).date())] += 1
    return taken
