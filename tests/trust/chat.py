"""Transcript of the trust suite's worlds, and the figures it prints."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from sales.invites import bind
from storage.models import ChatIdentity, Team, User

FIGURES: dict[str, str] = {}  # printed at the end of the run by tests/trust/conftest.py
_events = itertools.count(1)


def figure(name: str, text: str) -> None:
    """Record one of the suite's figures, and print it (shown with -s, and in the summary always)."""
    FIGURES[name] = text
    print(f"\n[trust] {name}: {text}")


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
