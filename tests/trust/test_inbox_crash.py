"""Crash after the acknowledgement: every input a platform was told was received is stored in the inbox first,
so a process that dies with them in hand loses none, and the one that takes them over doubles none.

Each test plays a process that acknowledges a run of inputs of one person, handles the first few and dies: one
input's turn committed but its inbox row never marked (the kill between the two), the next one in hand, the
rest not started. A second process (a fresh adapter and inbox on the same database, a short lease) takes them
over. Counted at the database: each input's note exactly once, in the order it was sent. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.adapters.slack import views
from bot.inbox import Inbox
from handlers.context import Settings
from handlers.core import Core
from sales.demo import load_demo
from storage.inbox import InboxEntry
from storage.models import Activity, Customer, User
from tests.conftest import FakeClock
from tests.standins.slack import DEMO_USERS, Message, bind_demo, dm_of, running
from tests.trust.chat import figure

ALICE = DEMO_USERS["alice"]
HANDLED_BEFORE_THE_KILL = 3


def _customer(engine: Engine) -> Customer:
    with Session(engine) as s:
        alice = s.exec(select(User).where(User.name == "alice")).one()
        found = s.exec(select(Customer).where(Customer.owner_id == alice.id).order_by(col(Customer.id))).first()
        assert found is not None
        return found


def notes(engine: Engine, prefix: str) -> list[str]:
    """The summaries of the activities whose summary starts with `prefix`, in the order they were written."""
    with Session(engine) as s:
        return list(s.exec(select(Activity.summary).where(col(Activity.summary).like(f"{prefix}%"))
                           .order_by(col(Activity.id))).all())


def open_rows(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(InboxEntry).where(
            col(InboxEntry.status).in_(("pending", "working")))).one())


def dying(inbox: Inbox, platform: str, after: int = HANDLED_BEFORE_THE_KILL) -> Callable[[], int]:
    """Make `inbox` handle `after` stored inputs and then hang as a killed process would: the last one's turn
    committed but its row never marked, the next one taken and never started. Returns how many were handled."""
    real = inbox.handlers[platform]
    handled = 0

    async def handler(payload: str) -> None:
        nonlocal handled
        if handled >= after:
            await asyncio.Event().wait()  # in hand when the process dies
        await real(payload)
        handled += 1
        if handled == after:
            await asyncio.Event().wait()  # committed; the kill comes before the row is marked done

    inbox.register(platform, handler)
    return lambda: handled


async def kill(inbox: Inbox) -> None:
    """What SIGKILL leaves: the pump and its turns gone, nothing given back, the claims on their leases."""
    inbox._stopping.set()
    tasks = [t for t in (inbox._loop, *inbox._held.values()) if t is not None]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    inbox._held.clear()
    inbox._loop = None
    inbox._release = lambda: None  # type: ignore[method-assign]  # a dead process gives nothing back


async def until(check: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):
            return True
        await asyncio.sleep(0.05)
    return check()


def report(name: str, engine: Engine, sent: list[str], got: list[str], in_hand: int) -> None:
    lost = len(set(sent) - set(got))
    doubled = len(got) - len(set(got))
    figure(f"inbox crash {name} {engine.dialect.name}",
           f"{len(sent)} inputs acknowledged, {in_hand} in hand at the kill: handled {len(got)}, lost {lost}, "
           f"doubled {doubled}")
    assert lost == 0 and doubled == 0, got


def _visit(customer: Customer, note: str) -> dict[str, dict[str, Any]]:
    return {"customer": {views.CUSTOMER_PICKER: {"type": "external_select", "selected_option": {
                "text": {"type": "plain_text", "text": customer.name}, "value": str(customer.id)}}},
            "kind": {"kind": {"type": "static_select", "selected_option": {"value": "visit"}}},
            "text": {"text": {"type": "plain_text_input", "value": note}},
            "followup": {"date": {"type": "datepicker", "selected_date": None}}}


def _button(value: str) -> Message:
    """A message in alice's DM with one button (as the bot posts them: `crm.<row>.<col>`)."""
    block = {"type": "actions", "block_id": "b0", "elements": [
        {"type": "button", "action_id": "crm.0.0", "text": {"type": "plain_text", "text": "Go"}, "value": value}]}
    return Message(channel=dm_of(ALICE), ts="1700000000.000100", text="go", blocks=[block])


@pytest.mark.slow  # a lease to wait out
async def test_slack_commands_clicks_and_forms_survive_a_crash_after_the_ack(
        engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    load_demo(engine, customers=10, now=clock())
    bind_demo(engine, clock())
    customer = _customer(engine)
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0))
    sent: dict[str, list[str]] = {"cmd": [], "act": [], "view": []}
    monkeypatch.setenv("SALESBOT_INBOX_LEASE_S", "1")
    async with running(core) as r:
        assert r.slack.inbox is not None
        handled = dying(r.slack.inbox, "slack")
        side = r.side
        for i in range(18):
            kind = ("cmd", "act", "view")[i % 3]
            note = f"crash {kind} {i:02d}"
            sent[kind].append(note)
            if kind == "cmd":
                answer = await side.slash(ALICE, f"note #{customer.id} {note}")
            elif kind == "act":
                answer = await side.click(ALICE, _button(f"say:/note #{customer.id} {note}"), "Go")
            else:
                modal = {**views.visit_modal("en"), "id": f"V0CRASH{i:02d}"}
                answer = await side.submit(ALICE, modal, _visit(customer, note))
            assert answer.status == 200 and answer.body == "", answer
        assert await until(lambda: handled() >= HANDLED_BEFORE_THE_KILL)
        await kill(r.slack.inbox)
    in_hand = 18 - len(notes(engine, "crash "))
    async with running(core) as r2:  # the process after the restart
        assert r2.slack.inbox is not None
        r2.slack.inbox.start()
        assert await until(lambda: len(notes(engine, "crash ")) >= 18 and open_rows(engine) == 0)
        await r2.settle()
    got = notes(engine, "crash ")
    report("slack interactive", engine, [n for kind in sent.values() for n in kind], got, in_hand)
    assert in_hand >= 18 - HANDLED_BEFORE_THE_KILL - 1  # two chats: one more may have been under way
    for kind, wanted in sent.items():  # one person's commands and clicks in order, and their forms
        assert [n for n in got if n.startswith(f"crash {kind} ")] == wanted


async def test_a_form_with_missing_fields_is_answered_in_the_ack_and_not_stored(
        engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=5, now=clock())
    bind_demo(engine, clock())
    customer = _customer(engine)
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with running(core) as r:
        modal = {**views.visit_modal("en"), "id": "V0EMPTY"}
        answer = await r.side.submit(ALICE, modal, _visit(customer, " "))
        assert answer.status == 200 and '"response_action":"errors"' in answer.body.replace(" ", "")
        await r.settle()
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(InboxEntry)).one() == 0



def _card_click(api: Any, who: Any, act: str) -> dict[str, Any]:
    """card.action.trigger: `who` presses a button whose payload is `act` on a card in their private chat."""
    from tests.standins.feishu import TENANT, p2p_of

    return {"schema": "2.0", "header": api.header("card.action.trigger"),
            "event": {"operator": {"tenant_key": TENANT, "user_id": who.name, "open_id": who.open_id},
                      "token": "c-crash", "action": {"value": {"act": act}, "tag": "button"}, "host": "im_message",
                      "context": {"open_message_id": "om_crashcard", "open_chat_id": p2p_of(who.open_id)}}}


@pytest.mark.slow  # a lease to wait out, the SDK's long connection
@pytest.mark.parametrize("via", ["ws", "http"])
async def test_feishu_events_survive_a_crash_after_the_ack(
        via: str, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.standins.feishu_run import bind_demo as bind_feishu
    from tests.standins.feishu_run import running as feishu_running
    from tests.standins.feishu_run import standing

    load_demo(engine, customers=10, now=clock())
    customer = _customer(engine)
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0))
    monkeypatch.setenv("SALESBOT_INBOX_LEASE_S", "1")
    sent: list[str] = []
    async with standing() as api:
        alice = bind_feishu(engine, api, clock)["alice"]
        async with feishu_running(api, core, via) as fs:
            assert fs.feishu.inbox is not None
            handled = dying(fs.feishu.inbox, "feishu")
            for i in range(12):
                note = f"fcrash {i:02d}"
                sent.append(note)
                line = f"/note #{customer.id} {note}"
                body = _card_click(api, alice, f"say:{line}") if i % 3 == 2 else api.message(alice, line)
                ack = await (api.push(body) if via == "ws" else api.post(body))
                assert ack in ({"code": 200}, {"code": 200, "data": "e30="}, (200, {"msg": "success"}), (200, {})), ack
            assert await until(lambda: handled() >= HANDLED_BEFORE_THE_KILL)
            await kill(fs.feishu.inbox)
        in_hand = 12 - len(notes(engine, "fcrash "))
        async with feishu_running(api, core, via):  # the process after the restart
            assert await until(lambda: len(notes(engine, "fcrash ")) >= 12 and open_rows(engine) == 0)
    got = notes(engine, "fcrash ")
    report(f"feishu {via}", engine, sent, got, in_hand)
    assert in_hand == 12 - HANDLED_BEFORE_THE_KILL
    assert got == sent  # one chat's messages and clicks, in the order Feishu sent them
