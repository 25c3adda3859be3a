"""Races: the same turn released at once by N threads (through one Core, as the adapters run it) and by N
processes (each with its own engine), on every rule that must hold once, on SQLite and on PostgreSQL.

Each path prints its figures (attempts, accepted, doubles) and checks the database: a payment never takes an
order past its amount, an approval is decided once, an invite code binds once, a duplicate check cannot be raced,
a deal is won once; nobody is ever answered "something went wrong".
"""

from __future__ import annotations

import multiprocessing
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg.errors
import pytest
from sqlalchemy import Engine, func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from handlers.context import Settings
from handlers.core import Core
from handlers.types import ChatRef, Incoming
from storage.db import make_engine
from storage.models import (
    Approval,
    AuditLog,
    ChatIdentity,
    Contact,
    Customer,
    Invite,
    Invoice,
    Lead,
    OrderStep,
    Payment,
    Quote,
    SalesOrder,
    User,
)
from tests.conftest import FakeClock
from tests.transcript import Transcript, text_of
from tests.trust.chat import add_user, figure

THREADS = 8
PROCESSES = 4
WRONG = "something went wrong"
Turn = tuple[str, str, str | None]  # (who, text, action)


def settings() -> Settings:
    """No rate limit: its per-person row would queue one person's turns and hide the rules' own races."""
    return Settings(default_lang="en", rate_limit=0)


def incoming(who: str, text: str, action: str | None) -> Incoming:
    return Incoming(chat=ChatRef("console", "local", who), user=who, text=text, action=action, private=True,
                    event_id=f"race-{uuid.uuid4().hex}", display_name=who)


def in_threads(core: Core, turns: list[Turn]) -> list[str]:
    """Every turn in its own thread, all released at once through one core; their answers."""
    gate = threading.Barrier(len(turns))
    answers = [""] * len(turns)

    def run(i: int, turn: Turn) -> None:
        message = incoming(*turn)
        gate.wait()
        answers[i] = text_of(core.handle(message))

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(turns)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    return answers


def _process(url: str, now: datetime, i: int, turn: Turn, gate: Any, answers: Any) -> None:
    engine = make_engine(url)
    core = Core(engine, clock=lambda: now, settings=settings())
    message = incoming(*turn)
    with engine.connect():
        pass  # connected before the gate, so the turns start together
    gate.wait()
    answers.put((i, text_of(core.handle(message))))
    engine.dispose()


def in_processes(engine: Engine, now: datetime, turns: list[Turn]) -> list[str]:
    """Every turn in its own process with its own engine, all released at once; their answers."""
    mp = multiprocessing.get_context("fork")
    gate = mp.Barrier(len(turns))
    answers = mp.Queue()
    url = engine.url.render_as_string(hide_password=False)
    procs = [mp.Process(target=_process, args=(url, now, i, t, gate, answers)) for i, t in enumerate(turns)]
    for p in procs:
        p.start()
    got = dict(answers.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    return [got[i] for i in range(len(turns))]


@dataclass
class Race:
    """One path: how to set it up, the turns released at once, and what the database must show after."""

    setup: Callable[[Transcript], str]  # returns what the turns need (an id, a code)
    turns: Callable[[str, int], list[Turn]]
    accepted: str  # a fragment of the accepted turns' answer
    refused: str  # a fragment of the others' polite answer
    count: Callable[[Session, str], int]  # the records the race made (accepted ones only)
    expect: Callable[[int], int]  # how many turns of n must be accepted


def _world(engine: Engine, clock: FakeClock) -> Transcript:
    now = clock()
    for name, role in (("ada", "admin"), ("mia", "manager"), ("rob", "rep"), ("sue", "rep"), ("fin", "finance")):
        add_user(engine, name, role, "east", now)
    return Transcript(Core(engine, clock=clock, settings=settings()))


def _won_order(t: Transcript) -> str:
    assert "Created customer" in t.say("rob", "/customer add Orion Optics")
    assert "#1" in t.say("rob", "/deal new Orion Optics lenses 100000")
    assert "Won" in t.say("mia", "/advance 1 won because 直接签约")  # a manager, past the skipped stages' rules
    return "1"


def _pending_approval(t: Transcript) -> str:
    t.say("rob", "/customer add Orion Optics")
    t.say("rob", "/deal new Orion Optics lenses 100000")
    out = t.say("rob", "/quote new 1 lens 10 1000 discount 15")
    assert "approval" in out.lower(), out
    return "1"


def _invite(t: Transcript) -> str:
    out = t.say("ada", "/invite rep Newton")
    m = re.search(r"code: `?([A-Z0-9]{8})", out)
    assert m, out
    return m.group(1)


def _customer(t: Transcript) -> str:
    assert "Created customer" in t.say("rob", "/customer add Orion Optics")
    return "Orion Optics"


def _deal(t: Transcript) -> str:
    """A deal that may be won: qualified, with a quote (a win from prospect passes the rules of what it skips)."""
    t.say("rob", "/customer add Orion Optics")
    t.say("rob", "/deal new Orion Optics lenses 100000")
    assert "total" in t.say("rob", "/quote new 1 lens 100 1000")
    t.say("rob", "/advance 1 qualified")
    assert "Qualified" in t.say("rob", "budget 100k; decision maker Tom; timeline end of month")
    return "1"


def _ticket(t: Transcript) -> str:
    t.say("rob", "/customer add Orion Optics")
    assert "Ticket #1 opened" in t.say("rob", "/ticket new Orion Optics P2 lens cracked")
    return "1"


def _resolutions(s: Session, _: str) -> int:
    from storage.models import TicketEvent

    return len(s.exec(select(TicketEvent).where(TicketEvent.after == "resolved")).all())


def _order_id(t: Transcript) -> str:
    with Session(t.core.engine) as s:
        return str(s.exec(select(SalesOrder.id)).one())


def _shipped_order(t: Transcript) -> str:
    _won_order(t)
    ref = _order_id(t)
    for step in ("ship", "deliver"):
        assert "now" in t.say("rob", f"/order {ref} {step}")
    return ref


def _won_for_invoices(t: Transcript) -> str:
    _won_order(t)
    return _order_id(t)


def _requested_invoice(t: Transcript) -> str:
    ref = _won_for_invoices(t)
    out = t.say("rob", f"/invoice request {ref} title Orion Optics Ltd tax 91310000MA1FL8XQ3X")
    m = re.search(r"Invoice #(\d+) requested", out)
    assert m, out
    return m.group(1)


def _steps(step: str) -> Callable[[Session, str], int]:
    def count(s: Session, ref: str) -> int:
        order = s.get(SalesOrder, int(ref))
        assert order is not None and order.fulfilment == step
        assert (order.accepted_at is not None) == (step == "accepted")
        return len(s.exec(select(OrderStep).where(OrderStep.order_id == int(ref), OrderStep.step == step)).all())
    return count


def _invoices(s: Session, ref: str) -> int:
    order = s.get(SalesOrder, int(ref))
    rows = s.exec(select(Invoice).where(Invoice.order_id == int(ref))).all()
    assert order is not None and sum((i.amount for i in rows), Decimal(0)) <= order.amount
    return len(rows)


def _issued(s: Session, ref: str) -> int:
    inv = s.get(Invoice, int(ref))
    assert inv is not None and inv.status == "issued" and inv.number is not None
    return len(s.exec(select(AuditLog).where(col(AuditLog.action) == "invoice_issue")).all())


def _payments_total(s: Session, _: str) -> int:
    order = s.get(SalesOrder, 1)
    assert order is not None
    paid = s.exec(select(func.coalesce(func.sum(Payment.amount), 0))).one()
    assert Decimal(str(paid)) == order.paid <= order.amount, (paid, order.paid, order.amount)
    return len(s.exec(select(Payment)).all())


def _decisions(s: Session, _: str) -> int:
    ap = s.get(Approval, 1)
    assert ap is not None and ap.status in ("approved", "rejected")
    return len(s.exec(select(AuditLog).where(col(AuditLog.action).in_(("approve", "reject")))).all())


def _joined(s: Session, code: str) -> int:
    invite = s.exec(select(Invite).where(Invite.code == code)).one()
    assert invite.used_by is not None
    return len(s.exec(select(User).where(User.name == "Newton")).all())


def _versions(s: Session, ref: str) -> int:
    versions = sorted(q.version for q in s.exec(select(Quote).where(Quote.deal_id == int(ref))).all())
    assert versions == list(range(1, len(versions) + 1)), versions  # one number each, none skipped
    latest = [q for q in s.exec(select(Quote)).all() if q.status != "cancelled"]
    assert len(latest) == len(versions)  # without a discount each is approved at once and stays so
    return len(versions) - 1  # the deal's own first quote (_deal) came before the race


RACES: dict[str, Race] = {
    "paid": Race(
        _won_order, lambda ref, n: [("fin", f"/paid {ref} {100000 * 2 // n}", None)] * n,
        "Recorded", "more than", _payments_total, lambda n: n // 2),
    "decide": Race(
        _pending_approval,
        lambda ref, n: [("mia", "", f"ap.ok:{ref}") if i % 2 else ("ada", "", f"ap.no:{ref}") for i in range(n)],
        "quote #1", "This approval was", _decisions, lambda n: 1),
    "join": Race(
        _invite, lambda code, n: [(f"stranger{i}", f"/join {code}", None) for i in range(n)],
        "Welcome", "already used", _joined, lambda n: 1),
    "customer": Race(
        lambda t: "", lambda _, n: [("rob" if i % 2 else "sue", "/customer add Orion Optics", None) for i in range(n)],
        "Created customer", "", lambda s, _: len(s.exec(select(Customer)).all()), lambda n: 1),
    "contact": Race(
        _customer, lambda name, n: [("rob", f"/contact add {name} Tom 13800138000", None)] * n,
        "Added Tom", "exists", lambda s, _: len(s.exec(select(Contact)).all()), lambda n: 1),
    "lead": Race(
        lambda t: "", lambda _, n: [("rob" if i % 2 else "sue", "/lead add Acme Tom 13900139000", None)
                                    for i in range(n)],
        "Lead #", "", lambda s, _: len(s.exec(select(Lead)).all()), lambda n: 1),
    "quote": Race(
        _deal, lambda ref, n: [("rob" if i % 2 else "mia", f"/quote new {ref} lens {i + 1} 100", None)
                               for i in range(n)],
        "approved", "", _versions, lambda n: n),
    "won": Race(
        _deal, lambda ref, n: [("rob", f"/won {ref}", None)] * n,
        "Won", "already won", lambda s, _: len(s.exec(select(SalesOrder)).all()), lambda n: 1),
    "resolve": Race(
        _ticket, lambda ref, n: [("rob" if i % 2 else "mia", f"/ticket {ref} resolve", None) for i in range(n)],
        "Ticket #1: resolved.", "can't become", _resolutions, lambda n: 1),
    "ship": Race(
        _won_for_invoices, lambda ref, n: [("rob" if i % 2 else "mia", f"/order {ref} ship SF 123456", None)
                                           for i in range(n)],
        "now shipped", "already past that step", _steps("shipped"), lambda n: 1),
    "accept": Race(
        _shipped_order, lambda ref, n: [("rob" if i % 2 else "mia", f"/order {ref} accept", None) for i in range(n)],
        "now accepted", "already past that step", _steps("accepted"), lambda n: 1),
    "invoice_request": Race(
        _won_for_invoices, lambda ref, n: [("rob", f"/invoice request {ref} 60000 title Orion Optics Ltd tax "
                                                   "91310000MA1FL8XQ3X", None)] * n,
        "requested for order", "not yet invoiced", _invoices, lambda n: 1),
    "invoice_issue": Race(
        _requested_invoice,
        lambda ref, n: [("fin" if i % 2 else "ada", f"/invoice issue {ref} N{i:04d}", None) for i in range(n)],
        "issued: No.", "already decided", _issued, lambda n: 1),
}


def race(path: str, mode: str, engine: Engine, clock: FakeClock) -> None:
    r = RACES[path]
    t = _world(engine, clock)
    ref = r.setup(t)
    n = THREADS if mode == "threads" else PROCESSES
    turns = r.turns(ref, n)
    answers = in_threads(t.core, turns) if mode == "threads" else in_processes(engine, clock(), turns)
    wrong = [a for a in answers if WRONG in a or not a.strip()]
    accepted = [a for a in answers if r.accepted in a]
    with Session(engine) as s:
        made = r.count(s, ref)
        if path == "join":
            assert len(s.exec(select(ChatIdentity)).all()) == 5 + 1
    want = r.expect(n)
    doubles = max(0, made - want)
    figure(f"race {path} {engine.dialect.name} {mode}",
           f"attempts {n}, accepted {len(accepted)}, records {made}, doubles {doubles}, errors {len(wrong)}")
    assert not wrong, answers
    assert doubles == 0 and made == want, answers
    assert len(accepted) == want, answers
    assert all(r.refused in a for a in answers if r.accepted not in a), answers


@pytest.mark.parametrize("path", list(RACES))
def test_threads_race(path: str, engine: Engine, clock: FakeClock) -> None:
    race(path, "threads", engine, clock)


@pytest.mark.slow
@pytest.mark.parametrize("path", list(RACES))
def test_processes_race(path: str, engine: Engine, clock: FakeClock) -> None:
    race(path, "processes", engine, clock)


@pytest.mark.parametrize("error", [psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected])
def test_a_turn_that_lost_a_race_is_run_again(error: type[Exception], engine: Engine, clock: FakeClock,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL's "could not serialize" and "deadlock detected" cost a second run, never an error."""
    t = _world(engine, clock)
    runs = []
    real = Core._turn

    def losing_twice(self: Core, message: Incoming, *prepared: Any) -> Any:
        runs.append(message.event_id)
        if len(runs) <= 2:
            raise OperationalError("UPDATE …", {}, error("lost a race"))
        return real(self, message, *prepared)

    monkeypatch.setattr(Core, "_turn", losing_twice)
    out = t.say("rob", "/customer add Orion Optics")
    assert "Created customer" in out and WRONG not in out, out
    assert len(runs) == 3
    with Session(engine) as s:
        assert len(s.exec(select(Customer)).all()) == 1


def test_an_import_and_a_customer_add_at_once_make_one_customer(engine: Engine, clock: FakeClock) -> None:
    """The import's duplicate check and insert hold the dedupe lock as /customer add does (PostgreSQL)."""
    from sales import imports
    from storage.db import session_factory, transaction

    t = _world(engine, clock)
    now = clock()
    gate = threading.Barrier(THREADS)
    answers: list[str] = []
    failed: list[BaseException] = []

    def bring(i: int) -> None:
        gate.wait()
        try:
            with transaction(session_factory(engine)) as s:
                me = s.exec(select(User).where(User.name == "ada")).one()
                imports.import_file(s, data="客户名称,等级\nOrion Optics,A\n".encode(), file_name=f"c{i}.csv",
                                    by=me, now=now)
        except BaseException as err:  # reported below
            failed.append(err)

    def add(i: int) -> None:
        gate.wait()
        answers.append(text_of(t.core.handle(incoming("rob" if i % 4 else "sue", "/customer add Orion Optics",
                                                      None))))

    threads = [threading.Thread(target=bring if i % 2 else add, args=(i,)) for i in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    with Session(engine) as s:
        made = len(s.exec(select(Customer)).all())
    figure(f"race import+customer {engine.dialect.name} threads", f"attempts {THREADS}, records {made}")
    assert not failed, failed
    assert not [a for a in answers if WRONG in a], answers
    assert made == 1, answers
