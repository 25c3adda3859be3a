"""Business cards in chat (issue 23): a photo sent privately, or with the caption /card in a group, is read and
shown with Save, Edit and Not a card; Save finds or creates the customer and adds the contact with the photo.

Most tests stand a fixed reading in for the OCR (`fake_ocr`), which also checks that the reading runs outside
any transaction; those marked slow read the photos of ../shared/eval/cards with the real model.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

import sales.cards
from handlers.types import Attachment
from sales.cards import CardFields, CardReading, NotACard
from sales.cards.saving import forget_undecided
from sales.customers import create_customer
from storage.cards import CardScan
from storage.models import Contact, Customer, User
from tests.conftest import FakeClock, shared_file
from tests.transcript import Transcript

CARD = CardFields(company="秦川智能装备有限公司", person="高洋", title="运营总监", mobile="+8615806252221",
                  phone="0512-23831903", email="yang.gao@mjyl.cn", address="成都市高新区科技园南路382号")
PHOTO = Attachment(name="photo.jpg", mime="image/jpeg", data=b"\xff\xd8\xff\xe0 a card")


@pytest.fixture
def fake_ocr(monkeypatch: pytest.MonkeyPatch, demo: Transcript) -> list[bytes]:
    """Every picture reads as CARD (or as not a card when its bytes say so); what was read is listed."""
    seen: list[bytes] = []
    engine = demo.core.engine

    def read(image: bytes, region: str = "CN") -> CardReading | NotACard:
        assert engine.pool.checkedout() == 0, "the OCR ran while a database connection was held"
        seen.append(image)
        if b"receipt" in image:
            return NotACard("receipt")
        return CardReading(fields=CARD, lines=(), confidence=0.93)

    monkeypatch.setattr(sales.cards, "read_card", read)
    return seen


def _count(engine: Engine, model: type[Customer] | type[Contact] | type[CardScan]) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_a_photo_sent_privately_is_shown_and_saved_as_customer_and_contact(demo: Transcript,
                                                                              fake_ocr: list[bytes]) -> None:
    shown = demo.say("alice", file=PHOTO)
    for frag in ("Business card:", "Company: 秦川智能装备有限公司", "Name: 高洋", "Title: 运营总监",
                 "Mobile: +8615806252221", "Email: yang.gao@mjyl.cn"):
        assert frag in shown, shown
    labels = [b.label for r in demo.last["alice"] for row in r.buttons for b in row]
    assert labels == ["Save", "Edit", "Not a card"]
    assert all(r.private for r in demo.last["alice"])
    save = demo.last["alice"][0].buttons[0][0].action
    saved = demo.press("alice", "Save")
    assert "new customer *秦川智能装备有限公司*" in saved or "new customer 秦川智能装备有限公司" in saved, saved
    engine = demo.core.engine
    with Session(engine) as s:
        c = s.exec(select(Customer).where(Customer.name == CARD.company)).one()
        alice = s.exec(select(User).where(User.name == "alice")).one()
        assert c.owner_id == alice.id
        p = s.exec(select(Contact).where(Contact.customer_id == c.id)).one()
        assert (p.name, p.title, p.phone, p.email, p.address) == ("高洋", "运营总监", "+8615806252221",
                                                                  "yang.gao@mjyl.cn", CARD.address)
        scan = s.exec(select(CardScan)).one()
        assert scan.state == "saved" and scan.contact_id == p.id and scan.image == PHOTO.data
    assert "高洋" in demo.say("@alice: /customer 秦川智能装备有限公司")
    assert "no longer waiting" in demo.say("alice", action=save)  # pressed twice: nothing more


def test_an_existing_customer_is_offered_add_to_it_or_new(demo: Transcript, fake_ocr: list[bytes]) -> None:
    demo.say("@alice: /customer add 秦川智能装备")
    shown = demo.say("alice", file=PHOTO)
    assert "Customer 秦川智能装备 exists" in shown, shown
    asked = demo.press("alice", "Save")
    assert "already exists" in asked, asked
    assert "Add to 秦川智能装备" in [b.label for r in demo.last["alice"] for row in r.buttons for b in row]
    added = demo.press("alice", "Add to")
    assert "高洋 added to" in added, added
    with Session(demo.core.engine) as s:
        c = s.exec(select(Customer).where(Customer.name == "秦川智能装备")).one()
        assert s.exec(select(Contact).where(Contact.customer_id == c.id, Contact.name == "高洋")).one()
        assert s.exec(select(func.count()).select_from(Customer).where(Customer.name == CARD.company)).one() == 0


def test_new_customer_although_one_like_it_exists(demo: Transcript, fake_ocr: list[bytes]) -> None:
    demo.say("@alice: /customer add 秦川智能装备")
    demo.say("alice", file=PHOTO)
    demo.press("alice", "Save")
    assert "new customer" in demo.press("alice", "New customer")
    assert _count(demo.core.engine, Contact) >= 1
    with Session(demo.core.engine) as s:
        assert s.exec(select(Customer).where(Customer.name == CARD.company)).one()


def test_another_reps_customer_is_not_shown_but_said(demo: Transcript, fake_ocr: list[bytes],
                                                     clock: FakeClock) -> None:
    with Session(demo.core.engine) as s, s.begin():
        dave = s.exec(select(User).where(User.name == "dave")).one()
        create_customer(s, by=dave, name="秦川智能装备有限公司", now=clock())
    shown = demo.say("alice", file=PHOTO)
    assert "exists" not in shown
    asked = demo.press("alice", "Save")
    assert "belongs to another rep (dave)" in asked, asked


def test_edit_picks_a_field_then_its_value(demo: Transcript, fake_ocr: list[bytes]) -> None:
    demo.say("alice", file=PHOTO)
    picker = demo.press("alice", "Edit")
    assert "Which field?" in picker
    labels = [b.label for r in demo.last["alice"] for row in r.buttons for b in row]
    assert labels == ["Company", "Name", "Title", "Mobile", "Phone", "Email", "Address", "Done"]
    asked = demo.press("alice", "Title")
    assert "Send the new Title (now: 运营总监)" in asked, asked
    again = demo.say("alice", "销售副总裁")
    assert "Title: 销售副总裁" in again, again
    demo.press("alice", "Edit")
    assert "not a valid phone" in demo.say("alice", "mobile") + demo.say("alice", "12")
    fixed = demo.say("alice", "139 1234 5678")  # the dialogue stays open after a refused value
    assert "Mobile: +8613912345678" in fixed, fixed
    demo.press("alice", "Edit")
    demo.say("alice", "email")
    cleared = demo.say("alice", "-")
    assert "Email:" not in cleared
    demo.press("alice", "Save")
    with Session(demo.core.engine) as s:
        p = s.exec(select(Contact).where(Contact.name == "高洋")).one()
        assert (p.title, p.phone, p.email) == ("销售副总裁", "+8613912345678", None)


def test_a_card_without_company_asks_for_it_on_save(demo: Transcript, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sales.cards, "read_card", lambda image, region="CN": CardReading(
        fields=CardFields(person="Michael Dubois", email="m.dubois@northwind.example"), lines=(), confidence=0.7))
    demo.say("alice", file=PHOTO)
    asked = demo.press("alice", "Save")
    assert "The card shows no Company" in asked, asked
    shown = demo.say("alice", "Northwind Instruments")
    assert "Company: Northwind Instruments" in shown
    assert "new customer" in demo.press("alice", "Save")


def test_not_a_card_creates_nothing(demo: Transcript, fake_ocr: list[bytes]) -> None:
    engine = demo.core.engine
    before = (_count(engine, Customer), _count(engine, Contact))
    answer = demo.say("alice", file=Attachment(name="IMG_1.jpg", mime="image/jpeg", data=b"a receipt"))
    assert "doesn't look like a business card (it looks like a receipt)" in answer, answer
    assert not any(r.buttons for r in demo.last["alice"])
    assert _count(engine, CardScan) == 0
    demo.say("alice", file=PHOTO)
    assert "nothing was saved" in demo.press("alice", "Not a card")
    with Session(engine) as s:
        scan = s.exec(select(CardScan)).one()
        assert scan.state == "dismissed" and scan.image is None and "高洋" not in scan.reading
    assert (_count(engine, Customer), _count(engine, Contact)) == before


def test_in_a_group_only_with_the_caption_and_answered_privately(demo: Transcript, fake_ocr: list[bytes]) -> None:
    assert demo.say("alice", "", group=True, file=PHOTO) == ""
    assert fake_ocr == []  # not even read
    answer = demo.say("alice", "/card", group=True, file=PHOTO)
    assert "I sent you that privately" in answer and "高洋" not in answer.split("\n")[0]
    private = [r for r in demo.last["alice"] if r.to is not None]
    assert private and private[0].to is not None and private[0].to.chat == "alice"
    assert "Business card:" in private[0].text and len(fake_ocr) == 1
    assert "Send a photo of a business card" in demo.say("@alice: /card")


def test_who_may_scan_and_what_is_not_read(demo: Transcript, fake_ocr: list[bytes]) -> None:
    assert "Only reps and managers" in demo.say("fay", file=PHOTO)
    assert "/join" in demo.say("stranger", file=PHOTO)
    assert fake_ocr == []  # neither was read
    sheet = Attachment(name="客户.csv", mime="text/csv", data="名称\n甲公司\n".encode())
    assert "Business card" not in demo.say("bob", file=sheet)  # a spreadsheet is still an import
    assert fake_ocr == []


def test_undecided_cards_are_forgotten_after_two_days(demo: Transcript, fake_ocr: list[bytes],
                                                      clock: FakeClock) -> None:
    demo.say("alice", file=PHOTO)
    clock.advance(days=2, hours=1)
    with Session(demo.core.engine) as s, s.begin():
        assert forget_undecided(s, clock()) == 1
    assert "no longer waiting" in demo.press("alice", "Save")
    assert _count(demo.core.engine, CardScan) == 0


def test_the_card_is_shown_in_chinese(demo: Transcript, fake_ocr: list[bytes]) -> None:
    demo.say("@alice: /lang zh")
    shown = demo.say("alice", file=PHOTO)
    assert "名片：" in shown and "公司: 秦川智能装备有限公司" in shown, shown
    labels = [b.label for r in demo.last["alice"] for row in r.buttons for b in row]
    assert labels == ["保存", "修改", "不是名片"]


def _truth() -> list[dict[str, str]]:
    path = shared_file("eval", "cards", "truth.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("pick", [lambda rows: rows[1], lambda rows: next(r for r in rows if r["company"].isascii())],
                         ids=["chinese", "english"])
def test_a_real_photo_of_a_card_becomes_a_contact(demo: Transcript,
                                                   pick: Callable[[list[dict[str, str]]], dict[str, str]]) -> None:
    truth = pick(_truth())
    data = shared_file("eval", "cards", truth["file"]).read_bytes()
    shown = demo.say("alice", file=Attachment(name=truth["file"], mime="image/jpeg", data=data))
    assert truth["person"] in shown and truth["email"] in shown, shown
    demo.press("alice", "Save")
    with Session(demo.core.engine) as s:
        p = s.exec(select(Contact).where(Contact.email == truth["email"])).one()
        assert p.phone == truth["mobile"] and s.get(Customer, p.customer_id) is not None


@pytest.mark.slow
def test_a_real_photo_that_is_not_a_card(demo: Transcript) -> None:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (800, 600), "white")
    ImageDraw.Draw(img).rectangle((100, 100, 700, 500), fill=(40, 120, 200))
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    answer = demo.say("alice", file=Attachment(name="sky.jpg", mime="image/jpeg", data=buf.getvalue()))
    assert "doesn't look like a business card" in answer, answer
    assert _count(demo.core.engine, CardScan) == 0


def test_an_edit_left_open_ends_with_save_or_when_the_card_is_gone(demo: Transcript,
                                                                    fake_ocr: list[bytes]) -> None:
    demo.say("alice", file=PHOTO)
    save = demo.last["alice"][0].buttons[0][0].action
    demo.press("alice", "Edit")
    demo.press("alice", "Title")  # the value is asked for…
    assert "Saved" in demo.say("alice", action=save)  # …but the rep saves as read
    assert "Title:" not in demo.say("alice", "销售副总裁")  # no longer an answer to the edit
    demo.say("alice", file=PHOTO)
    demo.press("alice", "Edit")
    demo.press("alice", "Email")
    with Session(demo.core.engine) as s, s.begin():  # forgotten meanwhile (as by the clock)
        for scan in s.exec(select(CardScan).where(CardScan.state == "undecided")).all():
            s.delete(scan)
    assert "no longer waiting" in demo.say("alice", "x@y.example")
    assert "no longer waiting" not in demo.say("alice", "hello")  # the dialogue was closed


def test_reading_a_card_holds_no_connection_and_blocks_nobody(demo: Transcript,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    started, release = threading.Event(), threading.Event()
    engine = demo.core.engine

    def slow(image: bytes, region: str = "CN") -> CardReading | NotACard:
        assert engine.pool.checkedout() == 0
        started.set()
        assert release.wait(30)
        return CardReading(fields=CARD, lines=(), confidence=0.9)

    monkeypatch.setattr(sales.cards, "read_card", slow)
    answers: list[str] = []
    reader = threading.Thread(target=lambda: answers.append(demo.say("alice", file=PHOTO)))
    reader.start()
    assert started.wait(30)
    assert "Customers:" in demo.say("dave", "/customers")  # answered while alice's card is being read
    assert "Created customer" in demo.say("bob", "/customer add 并行测试有限公司")
    release.set()
    reader.join(30)
    assert answers and "Business card:" in answers[0]


@pytest.mark.slow
def test_the_model_loads_once_in_the_background() -> None:
    from bot.cli.cards import warm_in_background
    from sales.cards import ocr

    warm_in_background().join(120)
    loaded = ocr._engine
    assert loaded is not None
    warm_in_background().join(120)
    assert ocr._engine is loaded


def test_a_scan_is_its_scanners_and_a_customer_must_be_visible(demo: Transcript, fake_ocr: list[bytes],
                                                               clock: FakeClock) -> None:
    with Session(demo.core.engine) as s, s.begin():
        dave = s.exec(select(User).where(User.name == "dave")).one()
        hidden = create_customer(s, by=dave, name="戴夫独家客户有限公司", now=clock()).id
    demo.say("alice", file=PHOTO)
    with Session(demo.core.engine) as s:
        scan = s.exec(select(CardScan)).one().id
    assert "Not found" in demo.say("alice", action=f"card.to:{scan}:{hidden}")
    assert "Not found" in demo.say("alice", action=f"card.force:{scan}:{hidden}")
    assert "no longer waiting" in demo.say("dave", action=f"card.save:{scan}")  # not dave's scan
    assert "no longer waiting" in demo.say("dave", action=f"card.edit:{scan}")
    with Session(demo.core.engine) as s:
        assert s.exec(select(Contact).where(Contact.name == "高洋")).all() == []
