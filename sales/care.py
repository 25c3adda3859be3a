"""Caring for customers after the sale: care plans by grade, the 回访 after an order's acceptance, and contacts'
birthdays and key dates (their reminders are planned in `sales.reminders.care`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from sales import audit
from sales.errors import RuleError
from sales.reminders import People, _row, insert_new
from sales.reminders.calendar import DEFAULT_HOUR
from sales.reminders.care import GRADES, REORDER, REVISIT, TOUCHES, Touch, encode, on_year, plan_of
from storage.models import Contact, Customer, FollowUp, KeyDate, SalesOrder, Team, User

REVISIT_AFTER = timedelta(days=7)
REVISIT_WHAT = "验收后回访 · follow-up visit after acceptance"
REORDER_WHAT = "复购跟进 · reorder check"
MAX_TOUCH_DAYS = 366
MAX_LABEL = 40
MAX_CHURN_MONTHS = 120


def set_plan(session: Session, *, team: Team, grade: str, touches: list[Touch], by: User, now: datetime) -> None:
    """An admin sets one grade's care plan: its contact cadence (none: off) and its other touches."""
    grade = grade.upper()
    if by.role != "admin":
        raise RuleError("admin_only")
    if grade not in GRADES:
        raise RuleError("bad_grade", grade=grade)
    kinds = [t.kind for t in touches]
    if any(k not in TOUCHES for k in kinds) or len(set(kinds)) != len(kinds):
        raise RuleError("bad_care_plan")
    if any(not 1 <= t.days <= MAX_TOUCH_DAYS for t in touches):
        raise RuleError("bad_care_days", most=MAX_TOUCH_DAYS)
    plan = plan_of(team)
    before = {"care_plan": team.care_plan, f"cadence_{grade.lower()}_days": getattr(team, f"cadence_{grade.lower()}_days")}
    plan[grade] = tuple(touches)
    contact = next((t.days for t in touches if t.kind == "contact"), 0)
    setattr(team, f"cadence_{grade.lower()}_days", contact)
    team.care_plan = encode(plan)
    session.add(team)
    audit.record(session, by=by.id, action="update", entity="team", entity_id=team.id, now=now, before=before,
                 after={"care_plan": team.care_plan, f"cadence_{grade.lower()}_days": contact})


def reset_plans(session: Session, *, team: Team, by: User, now: datetime) -> None:
    """Back to the seed table: A weekly and a monthly executive touch, B fortnightly and a quarterly product
    update, C monthly and monthly news."""
    if by.role != "admin":
        raise RuleError("admin_only")
    before = {"care_plan": team.care_plan, "cadence": [team.cadence_a_days, team.cadence_b_days, team.cadence_c_days]}
    team.care_plan, team.cadence_a_days, team.cadence_b_days, team.cadence_c_days = "", 7, 14, 30
    session.add(team)
    audit.record(session, by=by.id, action="update", entity="team", entity_id=team.id, now=now, before=before,
                 after={"care_plan": "", "cadence": [7, 14, 30]})


def set_churn_months(session: Session, *, team: Team, months: int, by: User, now: datetime) -> None:
    """An admin sets after how many months without an order or activity a buyer counts as churned."""
    if by.role != "admin":
        raise RuleError("admin_only")
    if not 1 <= months <= MAX_CHURN_MONTHS:
        raise RuleError("bad_churn_months", most=MAX_CHURN_MONTHS)
    before = team.churn_months
    team.churn_months = months
    session.add(team)
    audit.record(session, by=by.id, action="update", entity="team", entity_id=team.id, now=now,
                 before={"churn_months": before}, after={"churn_months": months})


def after_acceptance(session: Session, order: SalesOrder, now: datetime,
                     accepted_at: datetime | None = None) -> FollowUp | None:
    """The 回访: a follow-up for the order's owner 7 days after its acceptance (09:00 their time, on a working
    day); once per order however often it is called (None when it exists already)."""
    accepted = accepted_at or getattr(order, "accepted_at", None) or now
    people = People.load(session)
    cal = people.calendar(order.owner_id)
    due = cal.working_moment(cal.at(cal.local(accepted).date() + REVISIT_AFTER, DEFAULT_HOUR))
    due = max(due, cal.working_moment(now))  # accepted long ago (recorded late): the next working moment
    key = f"revisit:{order.id}"
    if not insert_new(session, [_row("revisit", key, due, order.owner_id, {"order": order.id}, now, status="done")]):
        return None
    fu = FollowUp(customer_id=order.customer_id, owner_id=order.owner_id, due_at=due, has_time=False,
                  what=f"{REVISIT_WHAT} #{order.id}", reason=REVISIT, status="open", created_at=now)
    session.add(fu)
    session.flush()
    return fu


def reorder_followup(session: Session, *, customer: Customer, by: User, now: datetime) -> FollowUp:
    """A follow-up about the customer's next order, for its owner at the next working morning (one a day)."""
    people = People.load(session)
    cal = people.calendar(customer.owner_id)
    due = cal.working_moment(max(cal.at(cal.local(now).date() + timedelta(days=1), DEFAULT_HOUR), now))
    open_one = session.exec(select(FollowUp).where(col(FollowUp.customer_id) == customer.id,
                                                   col(FollowUp.reason) == REORDER,
                                                   col(FollowUp.status) == "open")).first()
    if open_one is not None:
        return open_one
    fu = FollowUp(customer_id=customer.id or 0, owner_id=customer.owner_id, due_at=due, has_time=False,
                  what=REORDER_WHAT, reason=REORDER, status="open", created_at=now)
    session.add(fu)
    session.flush()
    audit.record(session, by=by.id, action="create", entity="followup", entity_id=fu.id, now=now,
                 after={"customer_id": customer.id, "reason": REORDER})
    return fu


def set_key_date(session: Session, *, contact: Contact, kind: str, label: str, month: int, day: int,
                 year: int | None, by: User, now: datetime) -> KeyDate:
    """Remember a contact's birthday (one) or a dated occasion (one per label), replacing the one there was."""
    label = " ".join(label.split())
    if kind not in ("birthday", "date") or (kind == "date" and not label):
        raise RuleError("bad_key_date")
    if len(label) > MAX_LABEL:
        raise RuleError("name_too_long", limit=MAX_LABEL)
    on_year(month, day, 2028)  # a leap year: 2月29日 is a date, 2月30日 raises
    q = select(KeyDate).where(col(KeyDate.contact_id) == contact.id, col(KeyDate.kind) == kind)
    if kind == "date":
        q = q.where(col(KeyDate.label) == label)
    row = session.exec(q).first()
    before = None if row is None else {"month": row.month, "day": row.day, "year": row.year}
    if row is None:
        row = KeyDate(contact_id=contact.id or 0, kind=kind, label=label if kind == "date" else "", month=month,
                      day=day, year=year, created_by=by.id, created_at=now)
    else:
        row.month, row.day, row.year = month, day, year
    session.add(row)
    session.flush()
    audit.record(session, by=by.id, action="update" if before else "create", entity="keydate", entity_id=row.id,
                 now=now, before=before, after={"contact_id": contact.id, "kind": kind, "label": row.label,
                                                "month": month, "day": day})
    return row


def remove_key_date(session: Session, *, contact: Contact, kind: str, label: str, by: User,
                    now: datetime) -> bool:
    """Forget a contact's birthday or one dated occasion; whether there was one."""
    q = select(KeyDate).where(col(KeyDate.contact_id) == contact.id, col(KeyDate.kind) == kind)
    if kind == "date":
        q = q.where(col(KeyDate.label) == " ".join(label.split()))
    row = session.exec(q).first()
    if row is None:
        return False
    audit.record(session, by=by.id, action="delete", entity="keydate", entity_id=row.id, now=now,
                 before={"contact_id": contact.id, "kind": kind, "label": row.label})
    session.delete(row)
    session.flush()
    return True


def key_dates(session: Session, *, customer_id: int) -> list[tuple[Contact, KeyDate]]:
    """A customer's contacts' key dates, in calendar order."""
    q = (select(Contact, KeyDate).join(KeyDate, col(KeyDate.contact_id) == col(Contact.id))
         .where(col(Contact.customer_id) == customer_id).order_by(col(KeyDate.month), col(KeyDate.day), col(KeyDate.id)))
    return [(c, k) for c, k in session.exec(q).all()]


def moved_dates(session: Session, *, gone: Contact, keep: Contact) -> None:
    """A contact merged into another: its key dates go with it (the kept one's own win a clash)."""
    have = {(k.kind, k.label) for k in session.exec(select(KeyDate).where(col(KeyDate.contact_id) == keep.id)).all()}
    for k in session.exec(select(KeyDate).where(col(KeyDate.contact_id) == gone.id)).all():
        if (k.kind, k.label) not in have:
            k.contact_id = keep.id or 0
            session.add(k)
    session.flush()

