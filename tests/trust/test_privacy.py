"""PIPL: a person's data exported on request, then erased so that no text column of any table keeps a trace."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, MetaData, String, Text, func, insert, or_, select, text
from sqlmodel import Session

from handlers.context import Settings
from handlers.core import Core
from storage.models import AuditLog, Conversation
from tests.conftest import FakeClock
from tests.transcript import Transcript
from tests.trust.chat import add_user, figure

NAME, PHONE, EMAIL = "欧阳娜娜", "13912345678", "nana.ouyang@example.com"
LEAD_NAME = "OuyangNana"
TRACES = (NAME, json.dumps(NAME)[1:-1], LEAD_NAME, PHONE, "+86" + PHONE, "139 1234 5678", "139-1234-5678", EMAIL)


def traces(engine: Engine, words: tuple[str, ...] = TRACES) -> dict[str, int]:
    """Rows per table.column holding any of `words`, over every text column of every table in the database."""
    meta = MetaData()
    meta.reflect(engine)
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for c in table.columns:
                if not isinstance(c.type, String | Text):
                    continue
                hit = or_(*[func.lower(c).contains(w.lower(), autoescape=True) for w in words])
                n = conn.execute(select(func.count()).select_from(table).where(hit)).scalar_one()
                if n:
                    found[f"{table.name}.{c.name}"] = int(n)
    return found


@pytest.fixture
def office(engine: Engine, clock: FakeClock) -> Transcript:
    now = clock()
    for name, role in (("ada", "admin"), ("mia", "manager"), ("rob", "rep"), ("sue", "rep")):
        add_user(engine, name, role, "east", now)
    return Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))


def spread(people: Transcript, engine: Engine) -> None:
    """The person stored and mentioned in every kind of place the bot writes to."""
    people.say("rob", "/customer add Delta Drives")
    people.say("rob", f"/contact add Delta Drives {NAME} buyer {PHONE} {EMAIL}")
    people.say("rob", "/deal new Delta Drives motors 90000")
    people.say("rob", f"/visit Delta Drives met {NAME}, tel 139 1234 5678, follow up in 2 days")
    people.say("rob", "/advance Delta Drives qualified")
    people.say("rob", "budget approved")
    people.say("rob", NAME)  # the decision maker
    people.say("rob", "Q1")
    people.say("rob", f"Delta Drives: {NAME} asked for the brochure again, call {PHONE} tomorrow")  # offered as a visit
    people.say("mia", f"/lead add Omega Group person {LEAD_NAME} +86{PHONE} {EMAIL} source fair budget 50k --force")
    people.say("mia", "/lead 1 assign sue")  # sue's notice carries the lead's person and phone
    people.say("mia", f"/lead 1 disqualify {LEAD_NAME} prefers email")
    people.say("mia", "/customer add Zeta Zinc")
    people.say("mia", f"/call Zeta Zinc asked {NAME} ({EMAIL}) for a reference")
    with engine.begin() as conn:  # an open dialogue that happens to hold the name
        conn.execute(insert(Conversation).values(platform="console", workspace="local", chat="sue", user="sue",
                                                 flow="complete", data=json.dumps({"prefix": f"/visit {NAME}"}),
                                                 version=1, expires_at=datetime(2030, 1, 1, tzinfo=UTC)))


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
def test_privacy_export_then_erase_leaves_no_trace_in_any_text_column(office: Transcript, engine: Engine) -> None:
    spread(office, engine)
    before = traces(engine)
    assert len(before) >= 8, before  # it really is everywhere: contact, lead, activity, followup, deal, outbox, …
    assert "Your role can't use /privacy" in office.say("mia", f"/privacy export {NAME}")

    office.say("ada", f"/privacy export {PHONE}")
    files = [r.image for r in office.last["ada"] if r.image is not None]
    assert files and files[0].mime == "application/json"
    doc = json.loads(files[0].data)
    assert doc["contacts"][0]["name"] == NAME and doc["contacts"][0]["consent_basis"] == "contract"
    assert doc["contacts"][0]["retention_effective"].startswith("2029-11-2")  # three years after it was added
    assert doc["leads"][0]["person"] == LEAD_NAME and doc["leads"][0]["consent_basis"] == "consent"
    assert {"activity", "followup", "deal", "outbox"} <= set(doc["mentions"]), sorted(doc["mentions"])

    preview = office.say("ada", f"/privacy erase {EMAIL}")
    assert "cannot be undone" in preview and traces(engine) == before  # nothing done before the confirmation
    done = office.press("ada", "Erase")
    assert "Erased" in done, done

    after = traces(engine)
    assert after == {}, after
    with Session(engine) as s:
        entries = s.exec(select(AuditLog).where(AuditLog.action.like("privacy.%"))).scalars().all()  # type: ignore[attr-defined]
        erase = [e for e in entries if e.action == "privacy.erase"]
        assert len(erase) == 1 and erase[0].entity == "contact"
        assert not any(w in (erase[0].after or "") for w in TRACES)
        erased = s.execute(text("SELECT count(*) FROM activity WHERE summary LIKE '%[erased]%'")).scalar_one()
        assert erased == 2
    columns = sum(1 for _ in before)
    figure("privacy erase", f"name, phone (4 forms) and email found in {sum(before.values())} rows of {columns} "
                            f"text columns before; {sum(after.values())} after, in every text column of every table")
    # The rest of the book is intact.
    assert "Delta Drives" in office.say("rob", "/customer Delta Drives")
    assert "Zeta Zinc" in office.say("mia", "/customer Zeta Zinc")
