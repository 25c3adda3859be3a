"""Business cards through the real python-telegram-bot Application: a photo (its largest size) or an image sent as
a file reaches the core's card reading; in a group only with the caption /card, answered privately."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import sales.cards
from handlers.context import Settings
from handlers.core import Core
from sales.cards import CardFields, CardReading, NotACard
from sales.demo import load_demo
from sales.names import directory
from storage.models import CardScan, Contact
from tests.conftest import FakeClock
from tests.standins.telegram import BotApiStandIn, bind_demo_team, expect, running, standing

CARD = CardFields(company="秦川智能装备有限公司", person="高洋", title="运营总监", mobile="+8615806252221",
                  email="yang.gao@mjyl.cn")
JPEG = b"\xff\xd8\xff\xe0" + b"card" * 200


@pytest.fixture(autouse=True)
def fresh_name_index() -> None:
    directory._cache.clear()


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    async with standing() as stand_in:
        yield stand_in


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The OCR's stand-in: what it was given, and CARD for any picture."""
    seen: list[bytes] = []

    def fake(image: bytes, region: str = "CN") -> CardReading | NotACard:
        seen.append(image)
        return CardReading(fields=CARD, lines=(), confidence=0.9)

    monkeypatch.setattr(sales.cards, "read_card", fake)
    return seen


@pytest.fixture
def core(engine: Engine, clock: FakeClock) -> Core:
    load_demo(engine, customers=5, now=clock())
    return Core(engine, clock=clock, settings=Settings(default_lang="en"))


async def test_a_photo_is_read_shown_and_saved(engine: Engine, clock: FakeClock, api: BotApiStandIn, core: Core,
                                               read: list[bytes]) -> None:
    people = bind_demo_team(engine, api, clock)
    dave = people["dave"]
    async with running(api, core, "polling", {dave["id"]: "dave"}) as tg:
        seen = await tg.step(api.photo(dave, JPEG))
        expect(seen, "→ dave: Business card:", "Name: 高洋", "[Save]  [Edit]  [Not a card]")
        assert read == [JPEG]  # the largest size, not the thumbnail
        card = seen.messages(dave["id"])[0]
        saved = await tg.press(dave, card, "Save")
        text = expect(saved, "✎ dave: Saved: new customer 秦川智能装备有限公司")  # the card itself, edited
        assert "[Save]" not in text  # its buttons are gone
    with Session(engine) as s:
        p = s.exec(select(Contact).where(Contact.name == "高洋")).one()
        assert p.phone == "+8615806252221"
        assert s.exec(select(CardScan)).one().image == JPEG


async def test_an_image_file_and_a_group_photo_with_the_caption(engine: Engine, clock: FakeClock,
                                                                api: BotApiStandIn, core: Core,
                                                                read: list[bytes]) -> None:
    people = bind_demo_team(engine, api, clock)
    alice = people["alice"]  # reads Chinese
    group = api.group(-100555, "华东组")
    async with running(api, core, "polling", {alice["id"]: "alice", -100555: "group"}) as tg:
        seen = await tg.step(api.document(alice, "名片.png", b"\x89PNG\r\n\x1a\n" + b"x" * 64, "image/png"))
        expect(seen, "→ alice: 名片：", "[保存]  [修改]  [不是名片]")
        quiet = await tg.step(api.photo(alice, JPEG, chat=group))
        assert quiet.messages() == [] and len(read) == 1  # a group photo without /card is not read
        seen = await tg.step(api.photo(alice, JPEG, chat=group, caption="/card"))
        expect(seen, "→ group: 🔒 alice", "→ alice: 名片：")
        assert "高洋" not in "\n".join(m.get("text", "") for m in seen.messages(-100555))
        assert len(read) == 2
