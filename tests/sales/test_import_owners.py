"""An owner change of an existing customer is listed (who → who) and made only when asked for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import select

from handlers.context import Settings
from handlers.core import Core
from handlers.markup import to_plain
from handlers.types import Attachment, ChatRef, Incoming
from sales import imports
from sales.imports import Options
from sales.names import name_key
from storage.db import session_factory, transaction
from storage.models import Customer, Team, User
from tests.conftest import FakeClock
from tests.trust.chat import add_user

SHEET = "客户名称,负责人,客户分级\n华东科技,赵磊,A\n新客户,赵磊,B\n".encode()


def _world(engine: Engine, now: datetime) -> None:
    for name, role in (("carol", "admin"), ("李娜", "rep"), ("赵磊", "rep")):
        add_user(engine, name, role, "east", now)
    with transaction(session_factory(engine)) as s:
        li = s.exec(select(User).where(User.name == "李娜")).one()
        s.add(Customer(team_id=li.team_id, name="华东科技", name_key=name_key("华东科技"), owner_id=li.id or 0,
                       created_at=now, updated_at=now))


def _owner_of(engine: Engine, name: str) -> str:
    with transaction(session_factory(engine)) as s:
        c = s.exec(select(Customer).where(Customer.name == name)).one()
        u = s.get(User, c.owner_id)
        assert u is not None
        return u.name


def _import(engine: Engine, now: datetime, move: bool) -> imports.Plan:
    with transaction(session_factory(engine)) as s:
        me = s.exec(select(User).where(User.name == "carol")).one()
        return imports.import_file(s, data=SHEET, file_name="c.csv", by=me, now=now,
                                   options=Options(move_owners=move))


def test_an_owner_change_is_listed_and_not_made_unless_asked(engine: Engine, clock: FakeClock) -> None:
    _world(engine, clock())
    plan = _import(engine, clock(), move=False)
    assert [(o.name, o.old, o.new, o.moved) for o in plan.owner_changes] == [("华东科技", "李娜", "赵磊", False)]
    assert plan.counts["customer.owner_kept"] == 1 and plan.counts["customer.updated"] == 1  # the grade
    assert _owner_of(engine, "华东科技") == "李娜"
    assert _owner_of(engine, "新客户") == "赵磊"  # a new customer takes the owner named
    plan = _import(engine, clock(), move=True)
    assert [(o.old, o.new, o.moved) for o in plan.owner_changes] == [("李娜", "赵磊", True)]
    assert _owner_of(engine, "华东科技") == "赵磊"
    assert _import(engine, clock(), move=False).owner_changes == []  # nothing left to move


def test_in_chat_the_preview_says_who_to_whom_and_a_button_moves_them(engine: Engine, clock: FakeClock) -> None:
    _world(engine, clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0))
    chat = ChatRef("console", "local", "carol")
    shown = core.handle(Incoming(chat=chat, user="carol", event_id="e1",
                                 file=Attachment(name="c.csv", mime="text/csv", data=SHEET)))
    text = to_plain(shown[0].text)
    assert "not made: these customers keep their owner" in text and "华东科技: 李娜 → 赵磊" in text, text
    buttons = {b.label: b.action for r in shown for row in r.buttons for b in row}
    moved = core.handle(Incoming(chat=chat, user="carol", event_id="e2",
                                 text=buttons["Change the owners too"].removeprefix("say:")))
    assert "Owner changes (moved):" in to_plain(moved[0].text)
    assert _owner_of(engine, "华东科技") == "李娜"  # a preview still
    buttons = {b.label: b.action for r in moved for row in r.buttons for b in row}
    assert "Keep the owners" in buttons
    core.handle(Incoming(chat=chat, user="carol", event_id="e3", text=buttons["Confirm import"].removeprefix("say:")))
    assert _owner_of(engine, "华东科技") == "赵磊"


def test_without_the_button_the_confirmed_import_keeps_the_owner(engine: Engine, clock: FakeClock) -> None:
    _world(engine, clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0))
    chat = ChatRef("console", "local", "carol")
    shown = core.handle(Incoming(chat=chat, user="carol", event_id="e1",
                                 file=Attachment(name="c.csv", mime="text/csv", data=SHEET)))
    buttons = {b.label: b.action for r in shown for row in r.buttons for b in row}
    done = core.handle(Incoming(chat=chat, user="carol", event_id="e2",
                                text=buttons["Confirm import"].removeprefix("say:")))
    assert "keep their owner" in to_plain(done[0].text)
    assert _owner_of(engine, "华东科技") == "李娜"
    with transaction(session_factory(engine)) as s:
        assert s.exec(select(Team)).first() is not None
