"""Business cards through the real Bolt app: an image shared in the bot's DM (a file_share) is downloaded with
the bot token, read, shown with Save/Edit/Not a card, and Save adds the contact; in a channel only when the bot is
mentioned with `card`, answered in the DM."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import sales.cards
from handlers.context import Settings
from handlers.core import Core
from sales.cards import CardFields, CardReading, NotACard
from sales.demo import load_demo
from storage.models import CardScan, Contact
from tests.conftest import FakeClock
from tests.standins.slack import DEMO_USERS, GENERAL, bind_demo, dm_of, running

DAVE = DEMO_USERS["dave"]
JPEG = b"\xff\xd8\xff\xe0" + b"card" * 100
CARD = CardFields(company="Northwind Instruments Co., Ltd.", person="Michael Dubois", title="Sales Director",
                  mobile="+8613552992312", email="m.dubois@northwind.example")


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    seen: list[bytes] = []

    def fake(image: bytes, region: str = "CN") -> CardReading | NotACard:
        seen.append(image)
        return CardReading(fields=CARD, lines=(), confidence=0.9)

    monkeypatch.setattr(sales.cards, "read_card", fake)
    return seen


def _share(api: Any, file_id: str) -> list[dict[str, Any]]:
    api.files[file_id] = JPEG
    return [{"id": file_id, "name": "IMG_2041.jpg", "mimetype": "image/jpeg", "size": len(JPEG),
             "url_private": f"{api.url}/files/{file_id}", "url_private_download": f"{api.url}/files/{file_id}"}]


@pytest.mark.slow  # seconds: CI runs it, `-m "not slow"` does not
async def test_an_image_shared_in_the_dm_is_read_and_saved(engine: Engine, clock: FakeClock,
                                                           read: list[bytes]) -> None:
    load_demo(engine, customers=5, now=clock())
    bind_demo(engine, clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.event(side.dm_event(DAVE, "", subtype="file_share", files=_share(api, "F0CARD"))))
        assert read == [JPEG]
        card = api.last(dm_of(DAVE))
        text = card.plain()
        assert "Business card:" in text and "Name: Michael Dubois" in text, text
        await r.ok(await side.click(DAVE, card, "Save"))
        assert "Saved: new customer Northwind Instruments Co., Ltd." in api.last(dm_of(DAVE)).plain()
        # in a channel: only with a mention and `card`, and the card goes to the DM
        mention = side.mention_event(DAVE, GENERAL, "card") | {"files": _share(api, "F0CARD2")}
        await r.ok(await side.event(mention))
        assert len(read) == 2
        assert "Business card:" in api.last(dm_of(DAVE)).plain()
    with Session(engine) as s:
        assert s.exec(select(Contact).where(Contact.name == "Michael Dubois")).one().phone == "+8613552992312"
        assert s.exec(select(CardScan).where(CardScan.state == "saved")).one().image == JPEG
