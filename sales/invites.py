"""One-time invite codes and binding a chat account to a user."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from sales import audit
from sales.errors import RuleError
from storage import locks
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
    if name is not None:
        name = " ".join(name.split())[:100] or None
    if name is not None and active_named(session, name):
        raise RuleError("name_taken", name=name)  # an invite names a new person, never an existing user
    if team_id is None:
        team_id = by.team_id if by is not None else default_team(session, now).id
    invite = Invite(code=new_code(), role=role, name=name, team_id=team_id, created_by=by.id if by else None,
                    created_at=now, expires_at=now + timedelta(days=7))
    session.add(invite)
    session.flush()
    audit.record(session, by=by.id if by else None, action="invite", entity="invite", entity_id=invite.id,
                 now=now, after={"role": role, "name": name})
    return invite


def make_link(session: Session, *, by: User, now: datetime) -> Invite:
    """A one-time code (valid a day) that binds the speaker's account on another platform to this same person."""
    invite = Invite(code=new_code(), role=by.role, name=by.name, team_id=by.team_id, created_by=by.id,
                    user_id=by.id, created_at=now, expires_at=now + timedelta(days=1))
    session.add(invite)
    session.flush()
    audit.record(session, by=by.id, action="link", entity="invite", entity_id=invite.id, now=now)
    return invite


def new_code() -> str:
    """Eight letters and digits that can be read aloud."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def active_named(session: Session, name: str) -> list[User]:
    """Active users whose name is `name` (case-insensitive, spaces collapsed)."""
    want = " ".join(name.split()).casefold()
    return [u for u in session.exec(select(User).where(col(User.active))).all()
            if " ".join(u.name.split()).casefold() == want]


def distinct_name(session: Session, name: str) -> str:
    """`name`, or `name (2)`, `name (3)` …: never the name of another active user."""
    name = " ".join(name.split())[:100] or "?"
    candidate, n = name, 1
    while active_named(session, candidate):
        n += 1
        candidate = f"{name} ({n})"
    return candidate


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
) -> tuple[User, bool]:
    """Bind a chat account to the user this code was made for: a new person, or (a link code, True) the
    existing person who asked for it."""
    invite = session.exec(select(Invite).where(col(Invite.code) == code.strip().upper())).first()
    if invite is not None:
        locks.for_update(session, invite)  # strangers sending one code at once: one binds, the others see it used
    if invite is not None and invite.used_at is not None:
        raise RuleError("code_used")
    if invite is None or invite.expires_at < now:
        raise RuleError("bad_code")
    if invite.user_id is not None:  # a link code: this account joins the person who asked for it
        person = session.get(User, invite.user_id)
        if person is None or not person.active:
            raise RuleError("bad_code")
        bind(session, user_id=invite.user_id, platform=platform, workspace=workspace, external_id=external_id,
             chat=chat, now=now)
        invite.used_at, invite.used_by = now, person.id
        session.add(invite)
        audit.record(session, by=person.id, action="link", entity="user", entity_id=person.id, now=now,
                     after={"platform": platform})
        return person, True
    maker = session.get(User, invite.created_by) if invite.created_by is not None else None
    if maker is not None and maker.role != "admin" and not has_account(session, user_id=maker.id or 0,
                                                                      platform=platform, workspace=workspace):
        # Redeemed where its maker has no account, the code may be making the maker a second person (and their
        # discounts theirs to approve): their own account there comes from /link, a colleague there from an admin.
        raise RuleError("invite_elsewhere", name=maker.name, platform=platform)
    locks.named(session, locks.PEOPLE)  # two joins at once never take the same name
    user = User(team_id=invite.team_id, name=distinct_name(session, invite.name or display_name or external_id),
                role=invite.role, discount_limit=DEFAULT_LIMITS[invite.role], created_at=now)
    session.add(user)
    session.flush()
    assert user.id is not None
    bind(session, user_id=user.id, platform=platform, workspace=workspace, external_id=external_id,
         chat=chat, now=now)
    invite.used_at, invite.used_by = now, user.id
    session.add(invite)
    audit.record(session, by=user.id, action="join", entity="user", entity_id=user.id, now=now,
                 after={"role": user.role, "platform": platform})
    return user, False


def has_account(session: Session, *, user_id: int, platform: str, workspace: str) -> bool:
    """Whether this person has a chat account on this platform's workspace."""
    return session.exec(select(ChatIdentity.id).where(
        col(ChatIdentity.user_id) == user_id, col(ChatIdentity.platform) == platform,
        col(ChatIdentity.workspace) == workspace)).first() is not None


def bind(
    session: Session, *, user_id: int, platform: str, workspace: str, external_id: str, chat: str | None,
    now: datetime,
) -> ChatIdentity:
    """Attach a chat account to an existing user: one account per platform for each person."""
    user = session.get(User, user_id)
    if user is not None:
        locks.for_update(session, user)
    if session.exec(select(ChatIdentity).where(col(ChatIdentity.user_id) == user_id,
                                               col(ChatIdentity.platform) == platform)).first() is not None:
        raise RuleError("one_account", platform=platform)
    ident = ChatIdentity(platform=platform, workspace=workspace, external_id=external_id, chat=chat,
                         user_id=user_id, created_at=now)
    session.add(ident)
    session.flush()
    return ident
