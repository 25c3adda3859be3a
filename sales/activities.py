"""Logging visits, calls and notes, and the follow-ups they set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, Insert, Table, bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from sales import audit, ranges
from sales.errors import RuleError
from storage.models import Activity, Customer, FollowUp, User

KINDS = ("visit", "call", "email", "meeting", "note")
MAX_TEXT = 4000
DEFAULT_HOUR = time(9, 0)

# A visit's writes, each statement made once (compiled once per process, its cache key computed once).
_ACTIVITY: Table = getattr(Activity, "__table__")  # noqa: B009  (SQLModel does not declare it for type checkers)
_FOLLOWUP: Table = getattr(FollowUp, "__table__")  # noqa: B009
_CUSTOMER: Table = getattr(Customer, "__table__")  # noqa: B009
_ADD_ACTIVITY = insert(_ACTIVITY)
_ADD_FOLLOWUP = insert(_FOLLOWUP)
_CONTACTED = update(_CUSTOMER).where(_CUSTOMER.c.id == bindparam("customer")).values(last_contact_at=bindparam("at"))


@dataclass(frozen=True)
class Logged:
    """What logging an activity did: the rows it wrote, by id (nothing reads them back in the turn)."""

    activity_id: int
    customer_id: int
    kind: str
    summary: str  # the text as stored (stripped)
    followup_id: int | None  # the follow-up it set, if any
    past_date: date | datetime | None  # a follow-up time that was refused for being past


def _added(session: Session, stmt: Insert, values: dict[str, Any]) -> int:
    """Insert one row; its new id (SQLite: the cursor's lastrowid; PostgreSQL: RETURNING)."""
    key = cast(CursorResult[Any], session.execute(stmt, values)).inserted_primary_key
    assert key is not None  # a single-row INSERT always has one
    return int(key[0])


def due_instant(when: date | datetime, tz: ZoneInfo) -> tuple[datetime, bool]:
    """The UTC instant of a follow-up time (09:00 local for a bare date), and whether a time was given."""
    if isinstance(when, datetime):
        aware = when if when.tzinfo else when.replace(tzinfo=tz)
        return aware.astimezone(ZoneInfo("UTC")), True
    return datetime.combine(when, DEFAULT_HOUR, tzinfo=tz).astimezone(ZoneInfo("UTC")), False


def log_activity(
    session: Session, *, by: User, customer: Customer, kind: str, text: str, now: datetime, tz: ZoneInfo,
    when: date | datetime | None = None, amount: Decimal | None = None, deal_id: int | None = None,
    currency: str = "CNY",
) -> Logged:
    """Record an activity; a future follow-up time in it becomes a follow-up for the customer's owner."""
    if kind not in KINDS:
        raise RuleError("bad_kind", kind=kind)
    text = text.strip()
    if not text:
        raise RuleError("empty_text")
    if len(text) > MAX_TEXT:
        raise RuleError("text_too_long", limit=MAX_TEXT)
    # Written by statements built once (see _ADD_ACTIVITY): the turn reads none of these rows back, so no ORM
    # object is made, flushed or kept in the session for them.
    values = {"customer_id": customer.id or 0, "deal_id": deal_id, "user_id": by.id or 0, "kind": kind, "at": now,
              "duration_min": None, "summary": text, "feedback": None, "next_step": None,
              "amount": amount if amount and amount > 0 else None, "currency": currency, "lat": None, "lon": None,
              "created_at": now}
    act_id = _added(session, _ADD_ACTIVITY, values)
    if customer.last_contact_at != now:
        session.execute(_CONTACTED, {"customer": customer.id, "at": now})
        set_committed_value(customer, "last_contact_at", now)  # the object in hand says so too, with nothing to flush
    followup_id: int | None = None
    past: date | datetime | None = None
    if when is not None:
        due, has_time = due_instant(when, tz)
        local_today = now.astimezone(tz).date()
        is_past = due < now if has_time else (when if isinstance(when, date) else when.date()) < local_today
        if is_past:
            past = when
        else:
            ranges.check_followup(due, now)
            followup_id = _added(session, _ADD_FOLLOWUP, {
                "customer_id": customer.id or 0, "owner_id": customer.owner_id, "due_at": due, "has_time": has_time,
                "what": text[:300], "reason": "activity", "activity_id": act_id, "status": "open", "done_at": None,
                "created_at": now})
    audit.record(session, by=by.id, action="create", entity="activity", entity_id=act_id, now=now,
                 after={"kind": kind, "customer_id": customer.id, "followup_id": followup_id})
    return Logged(activity_id=act_id, customer_id=customer.id or 0, kind=kind, summary=text, followup_id=followup_id,
                  past_date=past)


def undo_activity(session: Session, *, by: User, activity_id: int, now: datetime) -> Activity:
    """Remove a just-logged activity and the follow-up it set."""
    act = session.get(Activity, activity_id)
    if act is None or act.user_id != by.id:
        raise RuleError("not_found")
    for fu in session.exec(select(FollowUp).where(col(FollowUp.activity_id) == activity_id)).all():
        session.delete(fu)
    session.flush()  # the follow-ups must go before the activity they point to
    session.delete(act)
    audit.record(session, by=by.id, action="delete", entity="activity", entity_id=activity_id, now=now,
                 before={"kind": act.kind, "customer_id": act.customer_id})
    return act


def recent(session: Session, *, customer_id: int, limit: int = 5) -> list[Activity]:
    """The customer's latest activities."""
    q = (select(Activity).where(col(Activity.customer_id) == customer_id)
         .order_by(col(Activity.at).desc(), col(Activity.id).desc()).limit(limit))
    return list(session.exec(q).all())


def next_followup(session: Session, *, customer_id: int) -> FollowUp | None:
    """The customer's next open follow-up."""
    q = (select(FollowUp).where(col(FollowUp.customer_id) == customer_id, col(FollowUp.status) == "open")
         .order_by(col(FollowUp.due_at)).limit(1))
    return session.exec(q).first()


def due_followups(session: Session, *, owner_id: int, until: datetime, limit: int | None = 50) -> list[FollowUp]:
    """A rep's open follow-ups due before `until`, oldest first (`limit` None: all of them)."""
    q = (select(FollowUp).where(col(FollowUp.owner_id) == owner_id, col(FollowUp.status) == "open",
                                col(FollowUp.due_at) < until)
         .order_by(col(FollowUp.due_at), col(FollowUp.id)).limit(limit))
    return list(session.exec(q).all())


def finish_followup(session: Session, *, by: User, followup: FollowUp, now: datetime) -> None:
    """Mark a follow-up done."""
    if followup.status != "open":
        raise RuleError("followup_closed")
    followup.status, followup.done_at = "done", now
    session.add(followup)
    audit.record(session, by=by.id, action="done", entity="followup", entity_id=followup.id, now=now)


def snooze_followup(
    session: Session, *, by: User, followup: FollowUp, now: datetime, tz: ZoneInfo, days: int = 1,
    to: date | None = None,
) -> datetime:
    """Push a follow-up `days` days on (from today, or from its own day if later), or to the day `to`, at its
    time or 09:00 local."""
    if followup.status != "open":
        raise RuleError("followup_closed")
    if days > ranges.FOLLOWUP_HORIZON.days:
        raise RuleError("followup_too_far", date=f"+{days}d", years=ranges.FOLLOWUP_HORIZON.days // 366)
    local_due = followup.due_at.astimezone(tz)
    day = to or max(now.astimezone(tz).date(), local_due.date()) + timedelta(days=days)
    at = local_due.time() if followup.has_time else DEFAULT_HOUR
    new_due = ranges.check_followup(datetime.combine(day, at, tzinfo=tz).astimezone(ZoneInfo("UTC")), now)
    before = followup.due_at
    followup.due_at = new_due
    session.add(followup)
    audit.record(session, by=by.id, action="snooze", entity="followup", entity_id=followup.id, now=now,
                 before={"due_at": before}, after={"due_at": new_due})
    return new_due
