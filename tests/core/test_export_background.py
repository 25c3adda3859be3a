"""On the web role /export runs off the request path: "preparing…" at once, other people's turns answered while
it runs, the file queued to the asker's private chat when ready."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.commands import imports as import_commands
from handlers.context import Settings
from handlers.core import Core
from handlers.markup import to_plain
from handlers.outbox import reply_from_json
from handlers.types import ChatRef, Incoming
from sales import exporting
from sales.demo import load_demo
from storage.models import Outbox
from tests.conftest import FakeClock


def test_an_export_runs_while_another_persons_turn_is_answered(engine: Engine, clock: FakeClock,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    load_demo(engine, customers=20, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0, background_exports=True))
    started, release = threading.Event(), threading.Event()
    real = exporting.export

    def slow_export(*args: Any, **kwargs: Any) -> tuple[bytes, int]:
        started.set()
        assert release.wait(30), "the test never let the export finish"
        return real(*args, **kwargs)

    monkeypatch.setattr(exporting, "export", slow_export)

    def say(who: str, text: str, n: int) -> str:
        return "\n".join(to_plain(r.text) for r in core.handle(
            Incoming(chat=ChatRef("console", "local", who), user=who, text=text, event_id=f"b{n}")))

    first = say("carol", "/export activities", 1)
    assert "Preparing the export (follow-up records)" in first, first  # the kind in the reader's words
    assert started.wait(10)
    answered = say("dave", "/customers", 2)  # while carol's export is still being made
    assert "Zc" in answered or "customer" in answered.lower(), answered
    assert not release.is_set()
    release.set()
    assert import_commands.wait_for_exports(60)
    with Session(engine) as s:
        rows = s.exec(select(Outbox).where(col(Outbox.chat) == "carol")).all()
    files = [reply_from_json(r.payload) for r in rows]
    sent = [f for f in files if f.image is not None and f.image.name.startswith("activities-")]
    assert len(sent) == 1 and sent[0].image is not None and sent[0].image.data[:2] == b"PK", files
    assert "Exported" in sent[0].text
