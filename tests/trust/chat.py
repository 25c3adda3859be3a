"""Talking to the core as several people on several platforms, and the figures the trust suite prints."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.core import Core
from handlers.markup import to_plain
from handlers.types import Attachment, ChatRef, Incoming, Reply
from sales.invites import bind
from storage.models import ChatIdentity, Team, User

FIGURES: dict[str, str] = {}  # printed at the end of the run by tests/trust/conftest.py
_events = itertools.count(1)


def figure(name: str, text: str) -> None:
    """Record one of the suite's figures, and print it (shown with -s, and in the summary always)."""
    FIGURES[name] = text
    print(f"\n[trust] {name}: {text}")


def text_of(replies: list[Reply]) -> str:
    """Everything a person reads in these replies, as plain text."""
    return "\n".join(to_plain(r.text) for r in replies)


@dataclass
class People:
    """A core and the console handles of the people talking to it."""

    core: Core
    group: str = "#team"
    last: dict[str, list[Reply]] = field(default_factory=dict)

    def incoming(self, who: str, text: str = "", *, action: str | None = None, group: bool = False,
                 file: Attachment | None = None, event: str | None = None) -> Incoming:
        chat = ChatRef("console", "local", self.group if group else who)
        return Incoming(chat=chat, user=who, text=text, action=action, private=not group, file=file,
                        event_id=event or f"e{next(_events)}")

    def say(self, who: str, text: str = "", **kw: object) -> str:
        """`who` says `text` (or clicks `action=`); the plain text of what they are answered."""
        replies = self.core.handle(self.incoming(who, text, **kw))  # type: ignore[arg-type]
        self.last[who] = replies
        return text_of(replies)

    def press(self, who: str, label: str) -> str:
        """Click the button labelled `label` in what `who` was last answered."""
        for r in self.last.get(who, []):
            for row in r.buttons:
                for b in row:
                    if label.casefold() in b.label.casefold():
                        return self.say(who, action=b.action)
        raise AssertionError(f"no button {label!r} for {who}: {self.last.get(who)}")


def add_user(engine: Engine, name: str, role: str, team: str | None, now: datetime, *, lang: str = "en") -> int:
    """A user bound to the console handle `name`, in team `team` (created when new)."""
    with Session(engine) as s:
        team_id = None
        if team is not None:
            t = s.exec(select(Team).where(Team.name == team)).first()
            if t is None:
                t = Team(name=team, created_at=now)
                s.add(t)
                s.flush()
            team_id = t.id
        limit = {"rep": 10, "manager": 20, "admin": 100, "finance": 0}[role]
        u = User(team_id=team_id, name=name, role=role, lang=lang, discount_limit=limit, created_at=now)
        s.add(u)
        s.flush()
        assert u.id is not None
        bind(s, user_id=u.id, platform="console", workspace="local", external_id=name, chat=name, now=now)
        s.commit()
        return u.id


def identity(engine: Engine, name: str) -> ChatIdentity:
    with Session(engine) as s:
        return s.exec(select(ChatIdentity).where(ChatIdentity.external_id == name)).one()
