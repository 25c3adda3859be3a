"""The real Feishu adapter against the stand-in: started over the long connection or behind the web app's
HTTP callback, people speaking and pressing buttons, and what the bot did about each step."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uvicorn
from sqlalchemy import Engine
from sqlmodel import col, select

from bot import web
from bot.adapters.feishu.api import FeishuApi
from bot.adapters.feishu.app import Feishu
from bot.adapters.feishu.events import Callback, LongConnection
from handlers.core import Core
from sales import invites
from storage.db import session_factory, transaction
from storage.models import User
from tests.standins.feishu import (
    APP_ID,
    APP_SECRET,
    ENCRYPT_KEY,
    VERIFICATION_TOKEN,
    Event,
    FeishuStandIn,
    JSONDict,
    Person,
    buttons_of,
    p2p_of,
    text_of,
)

PEOPLE = {"alice": "zh-CN", "bob": "zh-CN", "carol": "en-US", "dave": "en-US", "fay": "zh-CN"}


@dataclass
class Seen:
    """What one step made the bot do, as a transcript: → chat: text, ✎ for a card updated in place."""

    events: list[Event] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        lines = []
        for e in self.events:
            m = e.message
            where = str(self.names.get(m["chat_id"], m["chat_id"]))
            if m["thread_id"]:
                where += "/thread"
            lines.append(f"{'✎' if e.kind == 'patch' else '→'} {where}: {text_of(m)}".replace("\n", "\n    "))
            labels = buttons_of(m)
            if labels:
                lines.append("    " + "  ".join(f"[{b}]" for b in labels))
        return "\n".join(lines)

    def messages(self, chat: str | None = None) -> list[JSONDict]:
        return [e.message for e in self.events if e.kind != "patch" and chat in (None, e.message["chat_id"])]


class Live:
    """The adapter taking the stand-in's events: each step waits until the bot has finished with it."""

    def __init__(self, api: FeishuStandIn, feishu: Feishu, via: str, names: dict[str, str]) -> None:
        self.api, self.feishu, self.via, self.names = api, feishu, via, names
        self.acks: list[Any] = []

    async def deliver(self, body: JSONDict) -> Any:
        """Feishu delivers an event (again, if it was delivered before); its acknowledgement."""
        if self.via == "ws":
            ack: Any = await self.api.push(body)
        else:
            ack = await self.api.post(body)
        self.acks.append(ack)
        await self.feishu.drain()
        return ack

    async def step(self, body: JSONDict) -> Seen:
        start = len(self.api.events)
        await self.deliver(body)
        return Seen(self.api.events[start:], self.names)

    async def say(self, who: Person, text: str, **kw: Any) -> Seen:
        """`who` writes `text` (privately unless chat= names a group)."""
        return await self.step(self.api.message(who, text, **kw))

    async def press(self, who: Person, message_id: str, label: str) -> Seen:
        """`who` presses a button of a card."""
        return await self.step(self.api.click(who, message_id, label))


@asynccontextmanager
async def standing() -> AsyncIterator[FeishuStandIn]:
    """A stand-in, listening until the block ends."""
    api = FeishuStandIn()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


def people(api: FeishuStandIn) -> dict[str, Person]:
    """The demo team as Feishu users of the tenant."""
    return {name: api.person(name, lang) for name, lang in PEOPLE.items()}


def bind_demo(engine: Engine, api: FeishuStandIn, clock: Callable[[], datetime]) -> dict[str, Person]:
    """The demo team's Feishu accounts, bound as if each had sent /join in their private chat with the bot."""
    team = people(api)
    with transaction(session_factory(engine)) as s:
        for name, person in team.items():
            user = s.exec(select(User).where(col(User.name) == name)).one()
            invites.bind(s, user_id=user.id or 0, platform="feishu", workspace=APP_ID, external_id=person.open_id,
                         chat=p2p_of(person.open_id), now=clock())
    return team


def names_of(team: dict[str, Person], **chats: str) -> dict[str, str]:
    """Chat ids → the names a transcript shows (each person's private chat, and the groups given)."""
    return {p2p_of(p.open_id): n for n, p in team.items()} | {c: n for n, c in chats.items()}


@asynccontextmanager
async def running(api: FeishuStandIn, core: Core, via: str = "ws",
                  names: dict[str, str] | None = None) -> AsyncIterator[Live]:
    """The adapter on the real SDK, taking events over the long connection (ws) or the web app (http)."""
    feishu = Feishu(core, FeishuApi(APP_ID, APP_SECRET, api.url))
    await feishu.start()
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None
    try:
        if via == "ws":
            conn = LongConnection(feishu, app_secret=APP_SECRET, domain=api.url)
            await conn.start()
            feishu.on_stop(conn.stop)
            await asyncio.wait_for(api.connected.wait(), 10)
        else:
            callback = Callback(feishu, encrypt_key=ENCRYPT_KEY, token=VERIFICATION_TOKEN)
            app = web.build(web.Parts(engine=core.engine, core=core, feishu=callback))
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
            task = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started:
                await asyncio.sleep(0.01)
            api.callback_url = f"http://127.0.0.1:{sock.getsockname()[1]}/feishu/events"
        yield Live(api, feishu, via, names or {})
    finally:
        if server is not None and task is not None:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await task
        await feishu.stop()
