"""The permission matrix's world: two teams, every role, record sets owned in every arrangement, and an oracle
that says, from the product's table of roles alone (not from sales/access.py), who may see and do what."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from sales import audit
from sales.names import initials_key, name_key, pinyin_key
from storage.models import (
    Activity,
    Approval,
    Contact,
    Customer,
    CustomerShare,
    Deal,
    FollowUp,
    Installment,
    Invoice,
    InvoiceTitle,
    Lead,
    OrderStep,
    Payment,
    Quote,
    QuoteLine,
    SalesOrder,
    StageChange,
    Ticket,
    TicketEvent,
    User,
)
from tests.trust.chat import add_user

# name, role, team
STAFF = (("ada", "admin", "east"), ("fin", "finance", None), ("mia", "manager", "east"), ("rob", "rep", "east"),
         ("sue", "rep", "east"), ("wes", "manager", "west"), ("val", "rep", "west"), ("vic", "rep", "west"),
         ("old", "rep", "east"))
ACTORS = ("ada", "fin", "mia", "rob", "sue", "wes", "val", "old", "zed")  # old: deactivated; zed: never joined
ROLE = {"ada": "admin", "fin": "finance", "mia": "manager", "wes": "manager", "rob": "rep", "sue": "rep",
        "val": "rep", "vic": "rep", "old": "deactivated", "zed": "stranger"}
TEAM = {"ada": "east", "fin": None, "mia": "east", "rob": "east", "sue": "east", "wes": "west", "val": "west",
        "vic": "west", "old": "east", "zed": None}
# How record sets are owned: (owner, shared with, has an order)
ARRANGEMENTS = (("rob", None, True), ("sue", None, True), ("val", None, True), ("val", "rob", True),
                ("mia", None, True), ("wes", None, False))
MARKER = re.compile(r"Z([cpdewaflqti])(\d{4})|1380(\d{4})\d{3}|13[67]0(\d{4})\d{3}|z[pl](\d{4})@ex\.com")


@dataclass
class RecordSet:
    """One customer with everything around it, all named with the set's number."""

    n: int
    owner: str
    team: str | None
    shared: str | None
    has_order: bool
    ids: dict[str, int] = field(default_factory=dict)


@dataclass
class World:
    engine: Engine
    now: datetime
    users: dict[str, int] = field(default_factory=dict)
    sets: dict[int, RecordSet] = field(default_factory=dict)
    next_n: int = 1

    @classmethod
    def build(cls, engine: Engine, now: datetime) -> World:
        w = cls(engine, now)
        for name, role, team in STAFF:
            w.users[name] = add_user(engine, name, role, team, now)
        with Session(engine) as s:
            old = s.get(User, w.users["old"])
            assert old is not None
            old.active = False
            s.add(old)
            s.commit()
        return w

    def make(self, owner: str, shared: str | None, has_order: bool) -> RecordSet:
        """A fresh record set: customer, contact, open deal, deal with a pending quote, won deal and order,
        activity with a follow-up, lead; audited like the bot would."""
        n = self.next_n
        self.next_n += 1
        rs = RecordSet(n, owner, TEAM[owner], shared, has_order)
        uid = self.users[owner]
        now = self.now
        with Session(self.engine) as s:
            me = s.get(User, uid)
            assert me is not None
            name = f"Zc{n:04d}"
            c = Customer(team_id=me.team_id, name=name, name_key=name_key(name), pinyin=pinyin_key(name),
                         initials=initials_key(name), owner_id=uid, created_at=now, updated_at=now)
            s.add(c)
            s.flush()
            cid = c.id or 0
            p = Contact(customer_id=cid, name=f"Zp{n:04d}", phone=f"+861380{n:04d}000", email=f"zp{n:04d}@ex.com",
                        created_at=now)
            # at negotiation: /won skips no stage's rules (from prospect it would need a quote first)
            d = Deal(customer_id=cid, title=f"Zd{n:04d}", amount=Decimal(10000), owner_id=uid, budget="yes",
                     decision_maker="boss", timeline="Q1", stage="negotiation", probability=80, created_at=now,
                     updated_at=now)
            e = Deal(customer_id=cid, title=f"Ze{n:04d}", amount=Decimal(20000), owner_id=uid, created_at=now,
                     updated_at=now)
            a = Activity(customer_id=cid, user_id=uid, kind="visit", at=now, summary=f"Za{n:04d} visited",
                         created_at=now)
            lead = Lead(team_id=me.team_id, company=f"Zl{n:04d}", company_key=f"zl{n:04d}", person="Mr Z",
                        phone=f"+861370{n:04d}000", email=f"zl{n:04d}@ex.com", owner_id=uid, status="MQL",
                        created_at=now, updated_at=now)
            s.add_all([p, d, e, a, lead])
            s.flush()
            f = FollowUp(customer_id=cid, owner_id=uid, due_at=now + timedelta(hours=2), has_time=True,
                         what=f"Zf{n:04d} call back", activity_id=a.id, created_at=now)
            q = Quote(deal_id=e.id or 0, discount=Decimal(15), subtotal=Decimal(20000), total=Decimal(17000),
                      status="pending", created_by=uid, created_at=now)
            s.add_all([f, q])
            s.flush()
            s.add(QuoteLine(quote_id=q.id or 0, item=f"Zq{n:04d}", qty=Decimal(1), unit_price=Decimal(20000),
                            amount=Decimal(20000)))
            ap = Approval(quote_id=q.id or 0, requested_by=uid, approver_role="manager" if me.role == "rep" else "admin",
                          created_at=now)
            s.add(ap)
            rs.ids = {"customer": cid, "contact": p.id or 0, "deal": d.id or 0, "quote_deal": e.id or 0,
                      "activity": a.id or 0, "followup": 0, "lead": lead.id or 0, "quote": q.id or 0}
            if has_order:
                w_ = Deal(customer_id=cid, title=f"Zw{n:04d}", amount=Decimal(5000), stage="won", probability=100,
                          owner_id=uid, created_at=now, updated_at=now, closed_at=now)
                s.add(w_)
                s.flush()
                o = SalesOrder(deal_id=w_.id or 0, customer_id=cid, owner_id=uid, amount=Decimal(5000), created_at=now)
                s.add(o)
                s.flush()
                inv = Invoice(order_id=o.id or 0, customer_id=cid, amount=Decimal(1000), title=f"Zi{n:04d} Ltd",
                              tax_no="91310000MA1FL8XQ3X", requested_by=uid, requested_at=now)
                s.add(inv)
                s.flush()
                rs.ids |= {"won": w_.id or 0, "order": o.id or 0, "invoice": inv.id or 0}
            if shared:
                s.add(CustomerShare(customer_id=cid, user_id=self.users[shared]))
            s.flush()
            tk = Ticket(team_id=me.team_id, customer_id=cid, problem=f"Zt{n:04d} broken", priority="P2",
                        assignee_id=uid, created_by=uid, created_at=now, updated_at=now, respond_by=now + timedelta(hours=8),
                        resolve_by=now + timedelta(days=3), respond_warn_at=now + timedelta(hours=6),
                        resolve_warn_at=now + timedelta(days=2))
            s.add(tk)
            s.flush()
            rs.ids |= {"followup": f.id or 0, "approval": ap.id or 0, "ticket": tk.id or 0}
            for entity, eid, after in (("customer", cid, {"name": name}), ("deal", d.id, {"title": d.title})):
                audit.record(s, by=uid, action="create", entity=entity, entity_id=eid, now=now, after=after)
            s.commit()
        self.sets[n] = rs
        return rs

    def fingerprint(self, rs: RecordSet) -> str:
        """Every row of the set, and of what hangs off it, hashed: any change shows."""
        cid = rs.ids["customer"]
        rows: list[object] = []
        with Session(self.engine) as s:
            deals = s.exec(select(Deal).where(Deal.customer_id == cid).order_by(col(Deal.id))).all()
            dids = [d.id for d in deals]
            quotes = s.exec(select(Quote).where(col(Quote.deal_id).in_(dids)).order_by(col(Quote.id))).all()
            orders = s.exec(select(SalesOrder).where(SalesOrder.customer_id == cid).order_by(col(SalesOrder.id))).all()
            oids = [o.id for o in orders]
            tickets = s.exec(select(Ticket).where(Ticket.customer_id == cid).order_by(col(Ticket.id))).all()
            rows += [s.get(Customer, cid), s.get(Lead, rs.ids["lead"]), *deals, *quotes, *orders, *tickets]
            for model, where in ((Contact, col(Contact.customer_id) == cid),
                                 (Activity, col(Activity.customer_id) == cid),
                                 (FollowUp, col(FollowUp.customer_id) == cid),
                                 (CustomerShare, col(CustomerShare.customer_id) == cid),
                                 (StageChange, col(StageChange.deal_id).in_(dids)),
                                 (Approval, col(Approval.quote_id).in_([q.id for q in quotes])),
                                 (Installment, col(Installment.order_id).in_(oids)),
                                 (Invoice, col(Invoice.order_id).in_(oids)),
                                 (OrderStep, col(OrderStep.order_id).in_(oids)),
                                 (InvoiceTitle, col(InvoiceTitle.customer_id) == cid),
                                 (Payment, col(Payment.order_id).in_(oids)),
                                 (TicketEvent, col(TicketEvent.ticket_id).in_([t.id for t in tickets]))):
                rows += list(s.exec(select(model).where(where)).all())
            text = repr([r.model_dump() if r is not None else None for r in rows])  # type: ignore[union-attr]
        return hashlib.sha256(text.encode()).hexdigest()


# --- the oracle: the product's table of roles, written out --------------------------------------------


def _seller(actor: str) -> bool:
    return ROLE[actor] in ("rep", "manager", "admin")


def sees(actor: str, rs: RecordSet, kind: str) -> bool:
    """May `actor` see the record of `kind` in this set?"""
    role = ROLE[actor]
    if role in ("stranger", "deactivated"):
        return False
    if role == "admin":
        return True
    own = rs.owner == actor or rs.shared == actor
    team = rs.team is not None and rs.team == TEAM[actor]
    customer = (role == "finance" and rs.has_order) or own or (role == "manager" and team)
    if kind in ("customer", "contact"):
        return customer
    if kind in ("activity", "followup"):  # finance sees orders and money, not the sellers' notes
        return customer and role != "finance"
    if kind in ("deal", "quote", "won"):
        return role != "finance" and (customer or (role == "manager" and team))
    if kind in ("order", "invoice"):
        return role == "finance" or customer or (role == "manager" and team)
    if kind == "lead":
        return rs.owner == actor or (role == "manager" and team)
    if kind == "ticket":  # a service ticket: its customer's people, and the team's manager; not finance
        return role != "finance" and (own or (role == "manager" and team))
    raise ValueError(kind)


def colleague(actor: str, rs: RecordSet) -> str:
    """Someone the actor would hand a record to: a seller of their own team who is not the owner."""
    team = TEAM[actor] or "east"
    for name in ("rob", "sue", "mia", "val", "vic", "wes"):
        if TEAM[name] == team and name not in (actor, rs.owner, rs.shared):
            return name
    return "sue" if rs.owner != "sue" else "rob"


def may(actor: str, rs: RecordSet, action: str) -> bool:
    """May `actor` carry out `action` on this set (the product's rules, one by one)?"""
    role = ROLE[actor]
    if role in ("stranger", "deactivated"):
        return False
    if action in ("grade", "tag", "contact", "visit", "deal_new"):
        return _seller(actor) and sees(actor, rs, "customer")
    if action == "share":
        return role == "admin" or rs.owner == actor or (role == "manager" and rs.team == TEAM[actor])
    if action == "reassign":
        return role == "admin" or (role == "manager" and rs.team == TEAM[actor])
    if action in ("advance", "quote_new", "won", "lost"):
        return _seller(actor) and sees(actor, rs, "deal")
    if action in ("approve", "reject"):
        owner_is_rep = ROLE[rs.owner] == "rep"
        return actor != rs.owner and (role == "admin" or (role == "manager" and owner_is_rep
                                                          and rs.team == TEAM[actor]))
    if action == "plan":  # the order's owner, their manager or an admin; not finance, not a colleague it is shared with
        return rs.has_order and (role == "admin" or rs.owner == actor
                                 or (role == "manager" and rs.team == TEAM[actor]))
    if action == "paid":
        return rs.has_order and role in ("finance", "admin")
    if action in ("ship", "invoice_request"):  # fulfilment and invoices are asked for by those who sell
        return rs.has_order and _seller(actor) and sees(actor, rs, "order")
    if action in ("invoice_issue", "invoice_reject"):  # finance issues, for every team
        return rs.has_order and role in ("finance", "admin")
    if action in ("undo", "edit", "done", "snooze"):
        return actor == rs.owner
    if action in ("qualify", "disqualify"):
        return sees(actor, rs, "lead")
    if action == "assign":
        return role in ("manager", "admin") and sees(actor, rs, "lead")
    if action in ("erase", "basis"):
        return role == "admin"
    if action == "ticket_new":
        return _seller(actor) and sees(actor, rs, "customer")
    if action in ("ticket_start", "ticket_comment", "ticket_resolve"):
        return _seller(actor) and sees(actor, rs, "ticket")
    if action == "ticket_assign":
        return role in ("manager", "admin") and sees(actor, rs, "ticket")
    raise ValueError(action)


def markers(text: str) -> set[tuple[int, str]]:
    """The (set number, record kind) of every marker in a text."""
    kinds = {"c": "customer", "p": "contact", "d": "deal", "e": "quote", "w": "won", "a": "activity",
             "f": "followup", "l": "lead", "q": "quote", "t": "ticket", "i": "invoice"}
    out = set()
    for m in MARKER.finditer(text):
        if m.group(1):
            out.add((int(m.group(2)), kinds[m.group(1)]))
        elif m.group(3):
            out.add((int(m.group(3)), "contact"))
        elif m.group(4):
            out.add((int(m.group(4)), "lead"))
        else:
            kind = "contact" if m.group(0).startswith("zp") else "lead"
            out.add((int(m.group(5)), kind))
    return out


def today(now: datetime) -> date:
    return now.date()
