"""Leads: capture with the duplicate check, rule scoring, MQL/SQL thresholds, round-robin assignment."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from sales import audit, customers, pipeline, sources
from sales.access import MANAGERS
from sales.errors import RuleError
from sales.names import same_company
from sales.names.dedupe import company_key
from sales.names.directory import find_any_customer
from storage import locks
from storage.models import Contact, Counter, Customer, Lead, LeadScoring, Reminder, User

UNTOUCHED = timedelta(hours=24)
STATUSES = ("new", "MQL", "SQL", "converted", "disqualified")
DEFAULT_RULES: dict[str, Any] = {
    "source": {"转介绍": 30, "referral": 30, "老客户": 30, "existing customer": 30, "招标": 25, "tender": 25,
               "官网": 20, "website": 20, "web": 20, "展会": 15, "fair": 15, "trade show": 15, "电话营销": 5,
               "cold call": 5},
    "source_other": 5,
    "size": {"L": 25, "M": 15, "S": 5},
    "budget": 25,
    "engagement": 10,
    "engagement_cap": 30,
}
DEFAULT_MQL, DEFAULT_SQL = 40, 70
_SIZE_WORDS = {"l": "L", "large": "L", "大": "L", "大型": "L", "m": "M", "medium": "M", "中": "M", "中型": "M",
               "s": "S", "small": "S", "小": "S", "小型": "S", "微": "S"}
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Scoring:
    """The rules in force for a team, and its MQL and SQL thresholds."""

    rules: dict[str, Any]
    mql: int = DEFAULT_MQL
    sql: int = DEFAULT_SQL


@dataclass(frozen=True)
class Match:
    """An existing lead or customer the new lead looks like."""

    kind: str  # lead | customer
    id: int
    label: str
    why: str  # phone | email | name


@dataclass(eq=False)  # not frozen: contextlib sets __traceback__ on exceptions passing through
class LeadDuplicate(Exception):
    """The new lead looks like existing records: the user must choose."""

    matches: tuple[Match, ...] = field(default=())


def scoring_for(session: Session, team_id: int | None) -> Scoring:
    """The team's scoring, else the company default, else the built-in rules."""
    rows = session.exec(select(LeadScoring).where(or_(col(LeadScoring.team_id) == team_id,
                                                      col(LeadScoring.team_id).is_(None)))).all()
    row = next((r for r in rows if r.team_id == team_id), None) or next((r for r in rows if r.team_id is None), None)
    if row is None:
        return Scoring(rules=DEFAULT_RULES)
    return Scoring(rules={**DEFAULT_RULES, **json.loads(row.rules)}, mql=row.mql, sql=row.sql)


def set_rule(session: Session, *, by: User, what: str, key: str | None, points: int, now: datetime) -> Scoring:
    """Change one rule (source WORD, size L|M|S, budget, engagement, mql, sql) for the admin's team."""
    if by.role not in ("admin", "manager"):
        raise RuleError("lead_rules_admin")
    if not 0 <= points <= 100:
        raise RuleError("bad_points", value=points)
    row = session.exec(select(LeadScoring).where(col(LeadScoring.team_id) == by.team_id)).first()
    if row is None:
        row = LeadScoring(team_id=by.team_id, rules="{}", updated_at=now)
    rules = json.loads(row.rules)
    if what in ("mql", "sql"):
        setattr(row, what, points)
    elif what in ("source", "size") and key:
        table = dict(rules.get(what, DEFAULT_RULES[what]))
        table[key.upper() if what == "size" else key.casefold()] = points
        rules[what] = table
    elif what in ("budget", "engagement", "engagement_cap", "source_other"):
        rules[what] = points
    else:
        raise RuleError("bad_rule", what=what)
    row.rules, row.updated_by, row.updated_at = json.dumps(rules, ensure_ascii=False), by.id, now
    session.add(row)
    audit.record(session, by=by.id, action="update", entity="leadscoring", entity_id=row.id, now=now,
                 after={"what": what, "key": key, "points": points})
    return scoring_for(session, by.team_id)


def size_class(size: str | None) -> str | None:
    """L, M or S from a size cell: a word (大/medium/S) or a head count (≥500 L, ≥50 M)."""
    if not size:
        return None
    s = size.strip().casefold()
    if s in _SIZE_WORDS:
        return _SIZE_WORDS[s]
    nums = [int(n) for n in _NUMBER.findall(s.replace(",", ""))]
    if not nums:
        return None
    n = max(nums)
    return "L" if n >= 500 else "M" if n >= 50 else "S"


def breakdown(scoring: Scoring, *, source: str | None, size: str | None, budget: str | None,
              engagement: int | None) -> list[tuple[str, int]]:
    """Points by rule: source, company size, stated budget, engagement."""
    rules = scoring.rules
    out: list[tuple[str, int]] = []
    if source:
        table = {k.casefold(): v for k, v in rules["source"].items()}
        listed = sources.find(source)
        names = [source.strip().casefold()] + ([w.casefold() for w in (listed.key, listed.zh, listed.en)]
                                               if listed else [])
        pts = next((table[n] for n in names if n in table),
                   next((v for k, v in table.items() if k in names[0]), rules["source_other"]))
        out.append(("source", int(pts)))
    cls = size_class(size)
    if cls:
        out.append(("size", int(rules["size"].get(cls, 0))))
    if budget and budget.strip() and budget.strip().casefold() not in ("无", "没有", "none", "no", "0", "未知"):
        out.append(("budget", int(rules["budget"])))
    if engagement:
        out.append(("engagement", min(int(rules["engagement"]) * engagement, int(rules["engagement_cap"]))))
    return out


def score_fields(scoring: Scoring, *, source: str | None, size: str | None, budget: str | None,
                 engagement: int | None) -> int:
    """A lead's score: the sum of its rule points, at most 100."""
    return min(100, sum(p for _, p in breakdown(scoring, source=source, size=size, budget=budget,
                                                engagement=engagement)))


def status_for(points: int, scoring: Scoring) -> str:
    """new, MQL or SQL by the thresholds."""
    return "SQL" if points >= scoring.sql else "MQL" if points >= scoring.mql else "new"


class RoundRobin:
    """Whose turn it is among a team's active reps; the last one assigned is kept in a counter row."""

    def __init__(self, session: Session, team_id: int | None) -> None:
        self.session = session
        self.name = f"leads.turn.{team_id or 0}"
        q = select(User).where(col(User.active), col(User.role) == "rep")
        if team_id is not None:
            q = q.where(col(User.team_id) == team_id)
        self.reps = list(session.exec(q.order_by(col(User.id))).all())
        row = session.get(Counter, self.name)
        self.last = row.value if row else 0
        self.moved = False

    def next(self) -> User | None:
        """The rep after the last one assigned (None when the team has no reps)."""
        if not self.reps:
            return None
        rep = next((r for r in self.reps if (r.id or 0) > self.last), self.reps[0])
        self.last, self.moved = rep.id or 0, True
        return rep

    def save(self) -> None:
        """Remember whose turn it was."""
        if not self.moved:
            return
        row = self.session.get(Counter, self.name) or Counter(name=self.name)
        row.value = self.last
        self.session.add(row)


def leads_matching(session: Session, *, keys: set[str], phones: set[str], emails: set[str],
                   scope: Any = None) -> list[Lead]:
    """Existing leads with one of these company keys, phones or emails (of those `scope`, a WHERE clause on
    Lead, lets through when given)."""
    out: dict[int, Lead] = {}
    for column, wanted in ((col(Lead.company_key), keys), (col(Lead.phone), phones), (col(Lead.email), emails)):
        items = sorted(v for v in wanted if v)
        for i in range(0, len(items), 2000):
            q = select(Lead).where(column.in_(items[i:i + 2000]))
            for lead in session.exec(q if scope is None else q.where(scope)).all():
                out[lead.id or 0] = lead
    return [out[k] for k in sorted(out)]


def duplicates(session: Session, *, company: str, phone: str | None, email: str | None) -> list[Match]:
    """Leads and customers like this one: same phone or email, or a company name that is the same company."""
    found: list[Match] = []
    seen: set[tuple[str, int]] = set()

    def add(kind: str, id_: int, label: str, why: str) -> None:
        if (kind, id_) not in seen:
            seen.add((kind, id_))
            found.append(Match(kind, id_, label, why))

    key = company_key(company)
    for lead in leads_matching(session, keys={key}, phones={phone} if phone else set(),
                               emails={email} if email else set()):
        why = "phone" if phone and lead.phone == phone else "email" if email and lead.email == email else "name"
        add("lead", lead.id or 0, lead.company, why)
    recent = session.exec(select(Lead).where(col(Lead.status).not_in(("converted", "disqualified")))
                          .order_by(col(Lead.id).desc()).limit(2000)).all()
    for lead in recent:
        if same_company(company, lead.company):
            add("lead", lead.id or 0, lead.company, "name")
    conds = [col(Contact.phone) == phone] if phone else []
    conds += [col(Contact.email) == email] if email else []
    if conds:
        for c in session.exec(select(Contact).where(or_(*conds)).limit(5)).all():
            cust = session.get(Customer, c.customer_id)
            if cust is not None:
                add("customer", cust.id or 0, cust.name, "phone" if phone and c.phone == phone else "email")
    for cand in find_any_customer(session, name=company):
        add("customer", cand.id, cand.name, "name")
    return found[:6]


def capture(
    session: Session, *, by: User | None, company: str, now: datetime, person: str | None = None,
    phone: str | None = None, email: str | None = None, source: str | None = None, budget: str | None = None,
    size: str | None = None, engagement: int = 0, team_id: int | None = None, force: bool = False,
    region: str = "CN", note: str | None = None,
) -> Lead:
    """Record a lead, scored; a look-alike raises LeadDuplicate unless `force`; an SQL lead is assigned."""
    # the sheet importer's cell rules: it is loaded at the first lead, not at every start
    from sales import imports

    company = customers.check_name(company)
    flags = []
    if phone:
        phone, flag = imports.read_phone(phone, region)
        flags += ["phone"] if flag else []
    if email:
        email, flag = imports.read_email(email)
        flags += ["email"] if flag else []
    locks.named(session, locks.DEDUPE)  # the check and the insert as one step among concurrent turns
    if not force:
        found = duplicates(session, company=company, phone=None if "phone" in flags else phone,
                           email=None if "email" in flags else email)
        if found:
            raise LeadDuplicate(tuple(found))
    team = team_id if team_id is not None else by.team_id if by else None
    scoring = scoring_for(session, team)
    source = sources.canonical(source)
    points = score_fields(scoring, source=source, size=size, budget=budget, engagement=engagement)
    lead = Lead(team_id=team, company=company, company_key=company_key(company), person=person, phone=phone,
                email=email, source=source, budget=budget, size=size, engagement=engagement, flags=" ".join(flags),
                score=points, status=status_for(points, scoring), note=note, created_at=now, updated_at=now,
                added_by=by.id if by else None)
    session.add(lead)
    session.flush()
    audit.record(session, by=by.id if by else None, action="create", entity="lead", entity_id=lead.id, now=now,
                 after={"company": company, "score": points, "status": lead.status})
    if lead.status == "SQL":
        turn = RoundRobin(session, team)
        rep = turn.next()
        if rep is not None:
            _assign(session, lead, rep, by, now)
            turn.save()
    return lead


def engage(session: Session, *, lead: Lead, by: User | None, now: datetime, times: int = 1) -> str:
    """Count another touch (a repeat enquiry, a reply) and re-score; returns the status before."""
    before = lead.status
    was = {"engagement": lead.engagement, "score": lead.score, "status": lead.status}
    lead.engagement += times
    _rescore(session, lead, by, now)
    audit.record(session, by=by.id if by else None, action="engage", entity="lead", entity_id=lead.id, now=now,
                 before=was, after={"engagement": lead.engagement, "score": lead.score, "status": lead.status})
    return before


def _rescore(session: Session, lead: Lead, by: User | None, now: datetime) -> None:
    if lead.status in ("converted", "disqualified"):
        return
    scoring = scoring_for(session, lead.team_id)
    lead.score = score_fields(scoring, source=lead.source, size=lead.size, budget=lead.budget,
                              engagement=lead.engagement)
    status = status_for(lead.score, scoring)
    rank = {"new": 0, "MQL": 1, "SQL": 2}
    if rank[status] > rank.get(lead.status, 0):
        lead.status = status
    lead.updated_at = now
    session.add(lead)
    if lead.status == "SQL" and lead.owner_id is None:
        turn = RoundRobin(session, lead.team_id)
        rep = turn.next()
        if rep is not None:
            _assign(session, lead, rep, by, now)
            turn.save()


def _assign(session: Session, lead: Lead, rep: User, by: User | None, now: datetime) -> None:
    lead.owner_id, lead.assigned_at, lead.updated_at = rep.id, now, now
    lead.team_id = rep.team_id if rep.team_id is not None else lead.team_id
    session.add(lead)
    session.flush()
    _remind(session, lead, now)
    audit.record(session, by=by.id if by else None, action="assign", entity="lead", entity_id=lead.id, now=now,
                 after={"owner_id": rep.id})


def _remind(session: Session, lead: Lead, now: datetime) -> None:
    """A reminder to the owner if the lead is still untouched 24 h after assignment."""
    key = f"lead.untouched:{lead.id}:{lead.owner_id}:{int(now.timestamp())}"
    if session.exec(select(Reminder).where(col(Reminder.dedupe_key) == key)).first() is None:
        session.add(Reminder(kind="lead.untouched", dedupe_key=key, due_at=now + UNTOUCHED, user_id=lead.owner_id,
                             payload=json.dumps({"lead": lead.id}), created_at=now))


def remind_new_sql(session: Session, *, now: datetime) -> None:
    """Reminders for the SQL leads assigned at `now` (after a bulk import)."""
    q = select(Lead).where(col(Lead.status) == "SQL", col(Lead.assigned_at) == now, col(Lead.owner_id).is_not(None))
    for lead in session.exec(q).all():
        _remind(session, lead, now)


def touch(session: Session, *, lead: Lead, now: datetime) -> None:
    """The owner acted on the lead: its untouched reminder is cancelled."""
    lead.touched_at, lead.updated_at = now, now
    session.add(lead)
    q = select(Reminder).where(col(Reminder.kind) == "lead.untouched", col(Reminder.status) == "pending",
                               col(Reminder.dedupe_key).startswith(f"lead.untouched:{lead.id}:"))
    for r in session.exec(q).all():
        r.status = "cancelled"
        session.add(r)


def untouched(session: Session, *, lead_id: int) -> Lead | None:
    """The lead a due reminder is about, if it is still an SQL lead nobody acted on."""
    lead = session.get(Lead, lead_id)
    if lead is None or lead.status != "SQL" or lead.touched_at is not None:
        return None
    return lead


def assign(session: Session, *, lead: Lead, to: User, by: User, now: datetime) -> None:
    """Hand a lead to a rep (managers and admins)."""
    if by.role not in MANAGERS:
        raise RuleError("lead_assign_manager")
    if lead.status in ("converted", "disqualified"):
        raise RuleError("lead_closed", status=lead.status)
    _assign(session, lead, to, by, now)
    lead.touched_at = None


def disqualify(session: Session, *, lead: Lead, by: User, reason: str, now: datetime) -> None:
    """Close a lead as not worth pursuing."""
    if lead.status in ("converted", "disqualified"):
        raise RuleError("lead_closed", status=lead.status)
    before = lead.status
    lead.status, lead.note = "disqualified", (" ".join(reason.split()) or None)
    touch(session, lead=lead, now=now)
    audit.record(session, by=by.id, action="disqualify", entity="lead", entity_id=lead.id, now=now,
                 before={"status": before}, after={"status": "disqualified", "reason": lead.note})


def qualify(
    session: Session, *, lead: Lead, by: User, now: datetime, customer: Customer | None = None,
    amount: Decimal | None = None,
) -> tuple[Customer, Contact | None, int]:
    """Convert a lead into a customer (or into `customer`), a contact and a deal, in one step."""
    if lead.status in ("converted", "disqualified"):
        raise RuleError("lead_closed", status=lead.status)
    owner = session.get(User, lead.owner_id) if lead.owner_id else None
    owner = owner or by
    if customer is None:
        customer = customers.create_customer(session, by=by, name=lead.company, now=now, source=lead.source,
                                             owner=owner, force=True)
        customer.size = lead.size
        session.add(customer)
    contact = None
    if lead.person or lead.phone or lead.email:
        contact = Contact(customer_id=customer.id or 0, name=lead.person or "", phone=lead.phone, email=lead.email,
                          flags=lead.flags, consent_basis=lead.consent_basis, consent_at=lead.created_at,
                          created_at=now)
        session.add(contact)
    deal = pipeline.open_deal(session, by=by, customer_id=customer.id or 0, title=f"{lead.company} ({lead.source or 'lead'})",
                              amount=amount, now=now, owner_id=owner.id)
    if lead.budget:
        deal.budget = lead.budget[:200]
        session.add(deal)
    before = lead.status
    lead.status, lead.customer_id = "converted", customer.id
    touch(session, lead=lead, now=now)
    session.flush()
    if contact is not None:
        audit.record(session, by=by.id, action="create", entity="contact", entity_id=contact.id, now=now,
                     after={"customer_id": customer.id, "lead_id": lead.id})
    audit.record(session, by=by.id, action="qualify", entity="lead", entity_id=lead.id, now=now,
                 before={"status": before}, after={"customer_id": customer.id, "deal_id": deal.id})
    return customer, contact, deal.id or 0
