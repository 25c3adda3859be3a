"""What is due and when: reminders computed from the data, each created once by its dedupe key.

Every rule selects its candidates with one bounded query, places each reminder in its reader's calendar
(zone, working days and hours, quiet hours) and writes them with one INSERT … ON CONFLICT DO NOTHING, so
any number of processes may compute the same reminders any number of times and each exists once.
A reminder is created when its moment has come (its `due_at` may be later: a quiet hour waits for the
morning); what it says and to whom is decided again when it is sent (`sales.reminders.due`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, select, update
from sqlmodel import Session, col

from sales import fulfilment, quotes
from sales.reminders import care, stalls
from sales.reminders.calendar import DEFAULT_HOUR, Calendar, hhmm
from storage.models import (
    Approval,
    ChatIdentity,
    Deal,
    FollowUp,
    Installment,
    Lead,
    Reminder,
    SalesOrder,
    Stage,
    Team,
    User,
)

FOLLOWUP_CATCH_UP = timedelta(days=3)  # a follow-up missed longer ago than this is only in the digests
INSTALLMENT_OFFSETS = (-3, 0, 1, 7, 14)  # days from the due date
MANAGER_FROM = 7  # days overdue from which the manager is told too
NUDGE_AFTER_HOURS = 4  # working hours an approval may wait
LATE_MANAGER_AFTER = 3  # working days an order may be late before its owner's manager is told
LATE_CATCH_UP = timedelta(days=60)  # an order promised longer ago than this is only on its card and /orders
LEAD_AFTER = timedelta(hours=24)
LEAD_CATCH_UP = timedelta(days=7)
STALL_CATCH_UP = timedelta(days=14)  # a stage target passed longer ago than this is only in the digests
STALL_REACH_DAYS = 30  # calendar days beyond three targets a stay is looked at (holidays, the catch-up)
CADENCE_WHAT = "定期回访 · regular check-in"
CADENCE_PER_DAY = 5  # cadence follow-ups the bot puts on one rep's working day (Settings.cadence_per_day)
_KEY_CHUNK = 500


def epoch(at: datetime) -> int:
    """Whole seconds since 1970: how a moment appears in a dedupe key."""
    return int(at.timestamp())


@dataclass
class People:
    """The users and teams, loaded once per pass: calendars, managers, finance, who can be reached."""

    users: dict[int, User]
    teams: dict[int, Team]
    reachable: set[int]
    default_tz: str = "Asia/Shanghai"
    _cals: dict[int | None, Calendar] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, default_tz: str = "Asia/Shanghai") -> People:
        """Every user and team, and which users have a chat to be reached in."""
        users = {u.id or 0: u for u in session.execute(select(User)).scalars()}
        teams = {t.id or 0: t for t in session.execute(select(Team)).scalars()}
        reachable = {int(u) for u in session.execute(select(col(ChatIdentity.user_id)).distinct()).scalars()}
        return cls(users=users, teams=teams, reachable=reachable, default_tz=default_tz)

    def team_of(self, user_id: int | None) -> Team | None:
        """A user's team, if any."""
        u = self.users.get(user_id or 0)
        return self.teams.get(u.team_id or 0) if u is not None else None

    def calendar(self, user_id: int | None) -> Calendar:
        """The calendar a user is reminded by: their zone in their team's working days and hours."""
        if user_id not in self._cals:
            self._cals[user_id] = Calendar.of(self.team_of(user_id), self.users.get(user_id or 0), self.default_tz)
        return self._cals[user_id]

    def team_calendar(self, team: Team) -> Calendar:
        """The team's own calendar (its zone), for the team digest."""
        return Calendar.of(team, None, self.default_tz)

    def active(self, user_id: int | None) -> User | None:
        """The user when they exist and are active."""
        u = self.users.get(user_id or 0)
        return u if u is not None and u.active else None

    def managers(self, team_id: int | None) -> list[User]:
        """The active managers of a team."""
        return [u for u in self.users.values() if u.active and u.role == "manager" and u.team_id == team_id
                and team_id is not None]

    def finance(self) -> list[User]:
        """The active finance users (they get every payment reminder)."""
        return [u for u in self.users.values() if u.active and u.role == "finance"]


def _row(kind: str, key: str, due: datetime, user_id: int | None, payload: dict[str, Any], now: datetime,
         status: str = "pending") -> dict[str, Any]:
    return dict(kind=kind, dedupe_key=key, due_at=due, user_id=user_id, status=status, created_at=now,
                payload=json.dumps(payload, separators=(",", ":")))


def insert_new(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Create the reminders whose key is new (one bulk INSERT … ON CONFLICT DO NOTHING); their keys."""
    seen: dict[str, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r["dedupe_key"], r)
    keys = list(seen)
    for i in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[i:i + _KEY_CHUNK]
        for k in session.execute(select(col(Reminder.dedupe_key)).where(col(Reminder.dedupe_key).in_(chunk))).scalars():
            seen.pop(k, None)  # known already: not even attempted, so PostgreSQL burns no sequence values
    if not seen:
        return set()
    make: Any  # each dialect imported when used: the PostgreSQL one costs a tenth of a second of a SQLite start-up
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        make = pg_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        make = sqlite_insert
    stmt = make(Reminder).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(col(Reminder.dedupe_key))
    # In key order: two processes inserting the same keys wait for each other in one order, never deadlock.
    return set(session.execute(stmt, [seen[k] for k in sorted(seen)]).scalars())


def followup_rows(session: Session, people: People, now: datetime) -> list[dict[str, Any]]:
    """Open follow-ups whose time has come: a reminder at that time, after the quiet hours."""
    q = select(col(FollowUp.id), col(FollowUp.owner_id), col(FollowUp.due_at)).where(
        col(FollowUp.status) == "open", col(FollowUp.due_at) <= now, col(FollowUp.due_at) > now - FOLLOWUP_CATCH_UP)
    rows = []
    for fid, owner, due in session.execute(q):
        rows.append(_row("followup", f"fu:{fid}:{epoch(due)}", people.calendar(owner).after_quiet(due), owner,
                         {"fu": fid, "due": epoch(due)}, now))
    return rows


def installment_moments(due_on: date, cal: Calendar, offsets: Iterable[int]) -> list[tuple[int, datetime, datetime]]:
    """Each offset's nominal moment (09:00 local) and when it is sent (working hours, working days)."""
    out = []
    for k in offsets:
        nominal = cal.at(due_on + timedelta(days=k), DEFAULT_HOUR)
        out.append((k, nominal, cal.working_moment(nominal)))
    return out


def live_offset(due_on: date, cal: Calendar, offsets: tuple[int, ...], now: datetime) -> tuple[int, datetime] | None:
    """The one reminder of an installment to create now: the latest whose day has come, unless the next
    one's day comes before it can be sent (a weekend), so nobody gets two about one installment at once."""
    moments = installment_moments(due_on, cal, offsets)
    passed = [i for i, (_, nominal, _) in enumerate(moments) if nominal <= now]
    if not passed:
        return None
    i = passed[-1]
    k, _, placed = moments[i]
    if i + 1 < len(moments) and moments[i + 1][1] <= placed:
        return None
    return k, placed


def installment_rows(session: Session, people: People, now: datetime) -> list[dict[str, Any]]:
    """Open installments: 3 days before, on the day, 1, 7 and 14 days late (the manager too from 7)."""
    lo = now.date() - timedelta(days=max(INSTALLMENT_OFFSETS) + 2)
    hi = now.date() + timedelta(days=-min(INSTALLMENT_OFFSETS) + 2)
    q = (select(col(Installment.id), col(Installment.due_on), col(SalesOrder.owner_id))
         .join(SalesOrder, col(SalesOrder.id) == col(Installment.order_id))
         .where(col(Installment.amount) > col(Installment.paid), col(Installment.due_on) >= lo,
                col(Installment.due_on) <= hi))
    rows = []
    finance = people.finance()
    for iid, due_on, owner in session.execute(q):
        readers: dict[int, tuple[str, tuple[int, ...]]] = {}
        for m in people.managers(people.users[owner].team_id if owner in people.users else None):
            readers[m.id or 0] = ("manager", tuple(k for k in INSTALLMENT_OFFSETS if k >= MANAGER_FROM))
        for f in finance:
            readers[f.id or 0] = ("finance", INSTALLMENT_OFFSETS)
        readers[owner] = ("owner", INSTALLMENT_OFFSETS)
        for uid, (role, offsets) in readers.items():
            live = live_offset(due_on, people.calendar(uid), offsets, now)
            if live is not None:
                k, at = live
                rows.append(_row("installment", f"inst:{iid}:{k}:{uid}", at, uid,
                                 {"inst": iid, "offset": k, "role": role}, now))
    return rows


def nudge_rows(session: Session, people: People, now: datetime) -> list[dict[str, Any]]:
    """Approvals untouched for 4 working hours: one nudge to each approver, once (Approval.nudged_at)."""
    q = select(Approval).where(col(Approval.status) == "pending", col(Approval.nudged_at).is_(None),
                               col(Approval.created_at) <= now - timedelta(hours=NUDGE_AFTER_HOURS))
    rows, nudged = [], []
    for ap in session.execute(q).scalars():
        requester = people.users.get(ap.requested_by)
        team = people.team_of(ap.requested_by)
        deadline = Calendar.of(team, None, people.default_tz).add_working_hours(ap.created_at, NUDGE_AFTER_HOURS)
        if deadline > now or requester is None:
            continue
        nudged.append(ap.id)
        for u in quotes.approvers_for(session, ap, requester):
            rows.append(_row("nudge", f"nudge:{ap.id}:{u.id}", people.calendar(u.id).working_moment(deadline),
                             u.id, {"approval": ap.id}, now))
    if nudged:
        session.execute(update(Approval).where(col(Approval.id).in_(nudged), col(Approval.nudged_at).is_(None))
                        .values(nudged_at=now))
    return rows


def late_moments(promised_on: date, cal: Calendar) -> tuple[datetime, datetime]:
    """When the owner hears that an order is late (the first working morning after the promised date) and when
    the manager does (the working morning after it has been late for LATE_MANAGER_AFTER working days)."""
    owner = cal.working_moment(cal.at(promised_on + timedelta(days=1), DEFAULT_HOUR))
    day = promised_on
    for _ in range(LATE_MANAGER_AFTER):
        day = cal.next_working_day(day + timedelta(days=1))
    return owner, cal.working_moment(cal.at(day + timedelta(days=1), DEFAULT_HOUR))


def late_order_rows(session: Session, people: People, now: datetime) -> list[dict[str, Any]]:
    """Orders past their promised delivery date and not delivered: the owner, and after 3 working days the
    owner's managers, each told once per promised date."""
    q = select(col(SalesOrder.id), col(SalesOrder.owner_id), col(SalesOrder.promised_on)).where(
        col(SalesOrder.promised_on).is_not(None), col(SalesOrder.fulfilment).in_(fulfilment.OPEN),
        col(SalesOrder.promised_on) < (now + timedelta(days=1)).date(),
        col(SalesOrder.promised_on) >= (now - LATE_CATCH_UP).date())
    rows = []
    for oid, owner, promised in session.execute(q):
        owner_at, _ = late_moments(promised, people.calendar(owner))
        readers = [(owner, "owner", owner_at)]
        for m in people.managers(people.users[owner].team_id if owner in people.users else None):
            if m.id != owner:
                readers.append((m.id or 0, "manager", late_moments(promised, people.calendar(m.id))[1]))
        for uid, role, at in readers:
            if at <= now:
                rows.append(_row("order.late", f"late:{oid}:{promised.isoformat()}:{uid}", at, uid,
                                 {"order": oid, "promised": promised.isoformat(), "role": role}, now))
    return rows


def lead_rows(session: Session, people: People, now: datetime) -> list[dict[str, Any]]:
    """SQL leads nobody touched for 24 h after assignment: a reminder to the owner (or the team's managers).

    Same kind and key as `sales.leads` writes when it assigns a lead, so a lead gets one reminder whichever
    wrote it first; this rule catches the leads that became SQL some other way (an import, an edit).
    """
    since = func.coalesce(col(Lead.assigned_at), col(Lead.updated_at))
    q = select(col(Lead.id), col(Lead.owner_id), col(Lead.team_id), since).where(
        col(Lead.status) == "SQL", col(Lead.touched_at).is_(None), since <= now - LEAD_AFTER,
        since > now - LEAD_CATCH_UP)
    rows = []
    for lid, owner, team_id, at in session.execute(q):
        readers = [owner] if people.active(owner) else [m.id for m in people.managers(team_id)]
        for uid in readers:
            due = people.calendar(uid).working_moment(at + LEAD_AFTER)
            rows.append(_row("lead.untouched", f"lead.untouched:{lid}:{uid}:{epoch(at)}", due, uid, {"lead": lid},
                             now))
    return rows


def stall_rows(session: Session, people: People, now: datetime) -> list[dict[str, Any]]:
    """Deals past their stage's time target: the owner told once, the team's managers after as long again."""
    per_stage = [and_(col(Deal.stage) == st.key, stalls.entered() <= now - timedelta(days=st.target_days),
                      stalls.entered() > now - timedelta(days=st.target_days * 3 + STALL_REACH_DAYS))
                 for st in session.execute(select(Stage).where(col(Stage.target_days) > 0)).scalars()
                 if st.target_days is not None]
    rows = []
    found = stalls.stays(session, where=or_(false(), *per_stage), cal_of=people.calendar, now=now)
    for stay in found:
        target, deal = stay.target or 0, stay.deal
        cal = people.calendar(deal.owner_id)
        base = f"stall:{deal.id}:{stay.stage.key}:{epoch(stay.since)}"
        data = {"deal": deal.id, "stage": stay.stage.key, "since": epoch(stay.since)}
        told = stalls.deadline(cal, stay.since, target)
        if now - STALL_CATCH_UP < told <= now:
            rows.append(_row("stall", base, cal.working_moment(told), deal.owner_id, {**data, "role": "owner"}, now))
        escalate = stalls.deadline(cal, stay.since, 2 * target)
        if now - STALL_CATCH_UP < escalate <= now:
            owner = people.users.get(deal.owner_id)
            for m in people.managers(owner.team_id if owner else None):
                if m.id != deal.owner_id:
                    rows.append(_row("stall", f"{base}:m{m.id}", people.calendar(m.id).working_moment(escalate), m.id,
                                     {**data, "role": "manager"}, now))
    return rows


def digest_rows(people: People, now: datetime) -> list[dict[str, Any]]:
    """Today's digests whose hour has come: each person's, and each team's, on working days only."""
    rows = []
    for uid, user in people.users.items():
        if not user.active or uid not in people.reachable:
            continue
        team = people.team_of(uid)
        cal = people.calendar(uid)
        due = _digest_moment(cal, team, now)
        if due is not None:
            day = cal.local(due).date().isoformat()
            rows.append(_row("digest", f"dg:{uid}:{day}", due, uid, {"date": day}, now))
    for tid, team in people.teams.items():
        due = _digest_moment(people.team_calendar(team), team, now)
        if due is not None:
            day = people.team_calendar(team).local(due).date().isoformat()
            rows.append(_row("team_digest", f"tdg:{tid}:{day}", due, None, {"team": tid, "date": day}, now))
    return rows


def _digest_moment(cal: Calendar, team: Team | None, now: datetime) -> datetime | None:
    """Today's digest moment in this calendar, once it has come (working days only)."""
    day = cal.local(now).date()
    if not cal.is_working_day(day):
        return None
    at = cal.after_quiet(cal.at(day, hhmm(team.digest_time if team else "08:30", DEFAULT_HOUR)))
    if at > now or cal.local(at).date() != day or cal.is_quiet(now):
        return None  # not yet, or so late that the quiet hours began: tomorrow's digest will do
    return at


@dataclass(frozen=True)
class Planned:
    """How many reminders one pass created, by kind."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        """All of them."""
        return sum(self.counts.values())


def plan(session: Session, *, now: datetime, default_tz: str = "Asia/Shanghai", digests: bool = True,
         cadence_per_day: int = CADENCE_PER_DAY) -> Planned:
    """Create every reminder whose moment has come (and cadence follow-ups); safe to run anywhere, any time."""
    from sales.reminders.cadence import cadence_followups  # they build on this module's People and rows
    from sales.reminders.tickets import ticket_rows

    people = People.load(session, default_tz)
    counts = {"cadence": cadence_followups(session, people, now, cadence_per_day)}
    rows = [*followup_rows(session, people, now), *installment_rows(session, people, now),
            *nudge_rows(session, people, now), *lead_rows(session, people, now),
            *ticket_rows(session, people, now), *late_order_rows(session, people, now),
            *care.keydate_rows(session, people, now), *stall_rows(session, people, now)]
    if digests:
        rows += digest_rows(people, now)
    return _count(counts, rows, insert_new(session, rows))


def plan_digests(session: Session, *, now: datetime, default_tz: str = "Asia/Shanghai") -> Planned:
    """Create today's digests of every person and team whose hour has come (working days only)."""
    rows = digest_rows(People.load(session, default_tz), now)
    return _count({}, rows, insert_new(session, rows))


def _count(counts: dict[str, int], rows: list[dict[str, Any]], made: set[str]) -> Planned:
    for r in rows:
        if r["dedupe_key"] in made:
            counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    return Planned(counts)
