"""People: one account per platform, invites that name a new person, references to users that cannot pick the
wrong person (#id, @handle, name; a choice when a name is shared)."""

from __future__ import annotations

import re
from typing import Literal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.context import Settings
from handlers.core import Core
from handlers.types import ChatRef, Incoming
from sales.invites import bind
from storage.models import ChatIdentity, User
from tests.conftest import FakeClock
from tests.transcript import Transcript, text_of
from tests.trust.chat import add_user, figure


@pytest.fixture
def team(engine: Engine, clock: FakeClock) -> Transcript:
    """ada admin, mia manager, rob rep, all in east."""
    for name, role in (("ada", "admin"), ("mia", "manager"), ("rob", "rep")):
        add_user(engine, name, role, "east", clock())
    return Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))


def code_in(text: str) -> str:
    m = re.search(r"code: `?([A-Z0-9]{8})", text)
    assert m, text
    return m.group(1)


def on(t: Transcript, platform: Literal["telegram", "slack"], who: str, text: str, display: str | None = None) -> str:
    """`who` says `text` in their private chat on another platform."""
    message = Incoming(chat=ChatRef(platform, "w1", who), user=who, text=text, private=True,
                       event_id=f"{platform}-{who}-{text}", display_name=display)
    return text_of(t.core.handle(message))


def test_an_invite_names_a_new_person(team: Transcript, engine: Engine) -> None:
    assert "already a user's name" in team.say("mia", "/invite rep Mia")
    assert "already a user's name" in team.say("ada", "/invite manager  ROB ")
    code = code_in(team.say("ada", "/invite rep"))
    assert "Welcome, mia (2)" in on(team, "telegram", "777", f"/join {code}", display="mia")
    with Session(engine) as s:
        names = sorted(u.name for u in s.exec(select(User)).all())
    assert names == ["ada", "mia", "mia (2)", "rob"]
    figure("people: invites", "an existing user's name refused (2 of 2); a colliding display name made distinct")


def test_one_person_one_account_per_platform_and_own_requests(team: Transcript, engine: Engine) -> None:
    code = code_in(team.say("rob", "/link"))
    assert "linked to rob" in on(team, "telegram", "501", f"/join {code}")
    again = code_in(team.say("rob", "/link"))
    assert "one account per platform" in on(team, "telegram", "502", f"/join {again}")
    assert "one account per platform" in team.say("newcomer", f"/join {again}")  # rob has a console account
    with Session(engine) as s:
        rob = s.exec(select(User).where(User.name == "rob")).one()
        accounts = s.exec(select(ChatIdentity).where(ChatIdentity.user_id == rob.id)).all()
        assert sorted(a.platform for a in accounts) == ["console", "telegram"]
        assert len(s.exec(select(User)).all()) == 3
    # rob's discount request, made on Telegram, is his own on every platform
    team.say("rob", "/customer add Orion Optics")
    team.say("rob", "/deal new Orion Optics lenses 100000")
    assert "approval" in on(team, "telegram", "501", "/quote new 1 lens 10 1000 discount 15").lower()
    assert "own request" in team.say("rob", action="ap.ok:1")
    assert "Approved" in team.say("mia", action="ap.ok:1")
    figure("people: accounts", "a second account on one platform refused; a linked account is the same person")


def test_user_references_are_unambiguous(team: Transcript, engine: Engine, clock: FakeClock) -> None:
    with Session(engine) as s:  # two people called sam (data from before names were kept distinct)
        for handle in ("sam.east", "sam.west"):
            sam = User(team_id=1, name="sam", role="rep", created_at=clock())
            s.add(sam)
            s.flush()
            assert sam.id is not None
            bind(s, user_id=sam.id, platform="console", workspace="local", external_id=handle, chat=handle,
                 now=clock())
        s.commit()
        first, second = (u.id for u in s.exec(select(User).where(User.name == "sam").order_by(col(User.id))).all())
    team.say("rob", "/customer add Orion Optics")
    out = team.say("rob", "/share Orion Optics sam")
    assert "Several people match" in out and f"#{first}" in out and f"#{second}" in out, out
    assert "shared with sam" in team.press("rob", f"#{second}")
    assert "Several people match" in team.say("ada", "/deactivate sam")
    assert "deactivated" in team.say("ada", "/deactivate @sam.east")
    with Session(engine) as s:
        assert [u.active for u in s.exec(select(User).where(User.name == "sam").order_by(col(User.id))).all()] == \
            [False, True]
    assert "Several people match" in team.say("ada", "/reactivate sam")  # the inactive one is named too
    assert "active again" in team.say("ada", f"/reactivate #{first}")
    out = team.say("mia", "/reassign sam rob")
    assert "Several people match" in out
    assert "Handed sam's records to rob" in team.press("mia", f"#{second}")
    assert "No user" in team.say("ada", "/deactivate #999")
    figure("people: references", "a shared name gets a choice on /share, /deactivate, /reactivate, /reassign; "
                                 "#id and @handle pick one person")


def test_a_manager_gets_no_second_person_of_their_own_through_their_invite(team: Transcript, engine: Engine) -> None:
    code = code_in(team.say("mia", "/invite rep"))
    # mia redeeming her own invite with a Telegram account of hers (she has none there yet): refused, so she
    # cannot become a rep of her own whose discounts she would approve
    refused = on(team, "telegram", "888", f"/join {code}", display="mia")
    assert "mia made this code and has no account on telegram" in refused, refused
    with Session(engine) as s:
        assert len(s.exec(select(User)).all()) == 3
    # her own account there comes from /link, and is her: her own discount request stays undecidable by her
    assert "linked to mia" in on(team, "telegram", "888", f"/join {code_in(team.say('mia', '/link'))}")
    team.say("mia", "/customer add Orion Optics")
    team.say("mia", "/deal new Orion Optics lenses 100000")
    assert "approval" in team.say("mia", "/quote new 1 lens 10 1000 discount 25").lower()
    own = text_of(team.core.handle(Incoming(chat=ChatRef("telegram", "w1", "888"), user="888", action="ap.ok:1",
                                            private=True, event_id="telegram-888-ap.ok:1")))
    assert "own request" in own, own
    # where she has an account, her code makes a new colleague (two accounts of one person on one platform
    # cannot be told apart from two people: tests/trust/README.md)
    assert "Welcome" in on(team, "telegram", "889", f"/join {code}", display="nia")
    figure("people: self-invites", "a manager's invite redeemed where the manager has no account: refused")
