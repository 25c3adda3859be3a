"""One-time invite codes and binding a chat account to a user."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from sales import audit
from sales.errors import RuleError
from storage.models import ChatIdentity, Invite, Team, User

ROLES = ("rep", "manager", "finance", "admin")
DEFAULT_LIMITS = {"rep": Decimal("10"), "manager": Decimal("20"), "finance": Decimal("0"), "admin": Decimal("100")}
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and retyped


def make_invite(
    session: Session, *, role: str, name: str | None, by: User | None, now: datetime, team_id: int | None = None
) -> Invite:
    """Create a one-time code for a new user of `role`, valid for 7 days."""
    if role not in ROLES:
        raise RuleError("unknown_role", role=role)
    if by is not None and by.role != "admin" and not (by.role == "manager" and role == "rep"):
        raise RuleError("cannot_invite", role=role)
    if team_id is None:
        team_id = by.team_id if by is not None else default_team(session, now).id
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    invite = Invite(code=code, role=role, name=name, team_id=team_id, created_by=by.id if by else None,
                    created_at=now, expires_at=now + timedelta(days=7))
    session.add(invite)
    session.flush()
    audit.record(session, by=by.id if by else None, action="invite", entity="invite", entity_id=invite.id,
                 now=now, after={"role": role, "name": name})
    return invite


def default_team(session: Session, now: datetime) -> Team:
    """The first team, created on first use."""
    team = session.exec(select(Team).order_by(col(Team.id))).first()
    if team is None:
        team = Team(name="Sales", created_at=now)
        session.add(team)
        session.flush()
    return team


def first_admin(session: Session, *, name: str | None, now: datetime) -> User | None:
    """The operator's admin for work from the command line: the first active admin (or the active user named
    `name`); when there is no admin yet, one is created (named `name`, else "admin") in the first team, so a
    team's sheets can be moved in before anybody joins. None: `name` is nobody here while an admin exists."""
    users = list(session.exec(select(User).where(col(User.active)).order_by(col(User.id))).all())
    if name:
        found = [u for u in users if u.name.casefold() == name.casefold()]
        if found:
            return found[0]
    admins = [u for u in users if u.role == "admin"]
    if admins:
        return None if name else admins[0]
    user = User(team_id=default_team(session, now).id, name=name or "admin", role="admin",
                discount_limit=DEFAULT_LIMITS["admin"], created_at=now)
    session.add(user)
    session.flush()
    audit.record(session, by=None, action="create", entity="user", entity_id=user.id, now=now,
                 after={"role": "admin", "name": user.name, "via": "cli"})
    return user


def join(
    session: Session, *, code: str, platform: str, workspace: str, external_id: str, chat: str | None,
    display_name: str | None, now: datetime,
) -> User:
    """Bind a chat account to the user this code was made for."""
    invite = session.exec(select(Invite).where(col(Invite.code) == code.strip().upper())).first()
    if invite is None or invite.used_at is not None or invite.expires_at < now:
        raise RuleError("bad_code")
    user = User(team_id=invite.team_id, name=invite.name or display_name or external_id, role=invite.role,
                discount_limit=DEFAULT_LIMITS[invite.role], created_at=now)
    session.add(user)
    session.flush()
    assert user.id is not None
    bind(session, user_id=user.id, platform=platform, workspace=workspace, external_id=external_id,
         chat=chat, now=now)
    invite.used_at, invite.used_by = now, user.id
    session.add(invite)
    audit.record(session, by=user.id, action="join", entity="user", entity_id=user.id, now=now,
                 after={"role": user.role, "platform": platform})
    return user


def bind(
    session: Session, *, user_id: int, platform: str, workspace: str, external_id: str, chat: str | None,
    now: datetime,
) -> ChatIdentity:
    """Attach a chat account to an existing user."""
    ident = ChatIdentity(platform=platform, workspace=workspace, external_id=external_id, chat=chat,
                         user_id=user_id, created_at=now)
    session.add(ident)
    session.flush()
    return ident
