"""The home screen, platform-neutral: which sections each role sees, in whose language, and its forms."""

from __future__ import annotations

from sqlalchemy import Engine

from handlers import forms
from handlers.context import Settings
from handlers.core import Core
from handlers.home import home_sections
from sales.demo import load_demo
from tests.conftest import FakeClock
from tests.transcript import Transcript, assert_dialog


def test_each_role_sees_its_sections_in_its_language(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=10, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))

    def home(user: str) -> tuple[str, list[str], tuple[str, ...]]:
        h = home_sections(core, "console", "local", user)
        return h.lang, [title for title, _ in h.sections], h.forms

    sells = (forms.VISIT, forms.QUOTE, forms.TICKET, forms.INVOICE)
    assert home("alice") == ("zh", ["今天和逾期的跟进", "逾期应收"], sells)
    assert home("bob") == ("zh", ["今天和逾期的跟进", "等我审批", "逾期应收"], sells)
    assert home("carol") == ("en", ["Today's and overdue follow-ups", "Waiting for my approval",
                                    "Invoices to issue", "Overdue receivables"], sells)
    assert home("fay") == ("zh", ["待开发票", "逾期应收"], ())
    stranger = home_sections(core, "console", "local", "nobody")
    assert (stranger.lang, stranger.forms) == ("en", ()) and "/join" in stranger.sections[0][1][0].text
    assert_dialog(Transcript(core), [("@carol: /deactivate alice", "alice")])
    gone = home_sections(core, "console", "local", "alice")
    assert (gone.lang, gone.forms, [t for t, _ in gone.sections]) == ("zh", (), ["salesbot"])
    assert "已停用" in gone.sections[0][1][0].text
