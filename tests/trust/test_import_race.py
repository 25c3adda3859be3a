"""An import applies once: the same pending import confirmed by several threads at once through one Core (as the
web role runs turns) imports its rows once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from handlers.context import Settings
from handlers.core import Core
from handlers.markup import to_plain
from handlers.types import Attachment, ChatRef, Incoming, Reply
from storage.models import Contact, Customer, ImportBatch
from tests.conftest import FakeClock
from tests.trust.chat import add_user, figure

THREADS = 4
ROWS = 50
SHEET = ("客户名称,联系人,电话\n" + "".join(f"并发公司{i},张{i},1380013{i:04d}\n" for i in range(ROWS))).encode()


@pytest.mark.slow
def test_one_import_confirmed_at_once_by_four_threads_applies_once(engine: Engine, clock: FakeClock) -> None:
    add_user(engine, "carol", "admin", "east", clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0))
    chat = ChatRef("console", "local", "carol")
    shown = core.handle(Incoming(chat=chat, user="carol", event_id="file",
                                 file=Attachment(name="c.csv", mime="text/csv", data=SHEET)))
    confirm = next(b.action.removeprefix("say:") for r in shown for row in r.buttons for b in row
                   if b.action.startswith("say:/import confirm"))
    start = threading.Barrier(THREADS)
    answers: list[list[Reply]] = []
    errors: list[BaseException] = []

    def press(i: int) -> None:
        try:
            start.wait()
            answers.append(core.handle(Incoming(chat=chat, user="carol", event_id=f"confirm{i}", text=confirm)))
        except BaseException as exc:  # a thread's failure is the test's
            errors.append(exc)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    said = Counter("imported" if "Imported:" in to_plain(r[0].text) else
                   "done" if "done or expired" in to_plain(r[0].text) else to_plain(r[0].text)[:80] for r in answers)
    with Session(engine) as s:
        customers = s.exec(select(func.count()).select_from(Customer)).one()
        contacts = s.exec(select(func.count()).select_from(Contact)).one()
        applied = s.exec(select(func.count()).select_from(ImportBatch)
                         .where(col(ImportBatch.status) == "applied", col(ImportBatch.kind) == "customers")).one()
    figure(f"import race [{engine.dialect.name}]",
           f"attempts {THREADS}, accepted {said['imported']}, refused {said['done']}, "
           f"doubles {customers - ROWS} (customers {customers} of {ROWS}, contacts {contacts})")
    assert said == Counter({"imported": 1, "done": THREADS - 1}), said
    assert customers == ROWS and contacts == ROWS
    assert applied >= 1
