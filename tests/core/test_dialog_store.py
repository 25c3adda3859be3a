"""Dialogues are rows: a turn writes back only if nobody moved the dialogue meanwhile."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from handlers import dialogs
from handlers.types import ChatRef, Incoming
from storage.db import session_factory
from tests.conftest import FakeClock

MSG = Incoming(chat=ChatRef("console", "local", "alice"), user="alice", text="x")


def test_the_second_writer_of_a_dialogue_gets_a_conflict(engine: Engine, clock: FakeClock) -> None:
    factory = session_factory(engine)
    with factory() as s, s.begin():
        dialogs.save(s, MSG, None, ("complete", {"prefix": "/visit"}), clock(), 30)
    with factory() as first:
        seen_by_first = dialogs.load(first, MSG, clock())
    with factory() as second, second.begin():
        seen = dialogs.load(second, MSG, clock())
        dialogs.save(second, MSG, seen, ("complete", {"prefix": "/call"}), clock(), 30)
    with factory() as first, first.begin(), pytest.raises(dialogs.Conflict):
        dialogs.save(first, MSG, seen_by_first, None, clock(), 30)
    with factory() as s:
        row = dialogs.load(s, MSG, clock())
        assert row is not None and dialogs.data_of(row) == {"prefix": "/call"} and row.version == 2


def test_an_expired_dialogue_is_not_resumed(engine: Engine, clock: FakeClock) -> None:
    factory = session_factory(engine)
    with factory() as s, s.begin():
        dialogs.save(s, MSG, None, ("complete", {"prefix": "/visit"}), clock(), 30)
    clock.advance(minutes=31)
    with factory() as s, s.begin():
        assert dialogs.load(s, MSG, clock()) is None
        dialogs.save(s, MSG, None, ("complete", {"prefix": "/note"}), clock(), 30)
    with factory() as s:
        row = dialogs.load(s, MSG, clock())
        assert row is not None and dialogs.data_of(row)["prefix"] == "/note"


def test_an_outbox_reply_keeps_its_buttons_and_image() -> None:
    from handlers.outbox import reply_from_json, reply_to_json
    from handlers.types import Attachment, Button, Reply

    reply = Reply(text="*图* \\_x", buttons=((Button("批准", "ap.ok:1", "primary"),),),
                  image=Attachment(name="funnel.png", mime="image/png", data=b"\x89PNG\x00\xff"))
    assert reply_from_json(reply_to_json(reply)) == reply
