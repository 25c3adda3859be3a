"""A business card's photo is personal data: /privacy export includes it, /privacy erase removes it, and no
log line of a card's turn holds the photo or what it reads."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from sqlmodel import Session, select

import sales.cards
from handlers.types import Attachment
from sales.cards import CardFields, CardReading, NotACard
from storage.models import AuditLog, CardScan, Contact
from tests.transcript import Transcript

PHOTO = Attachment(name="card.jpg", mime="image/jpeg", data=b"\xff\xd8\xff\xe0 the photo of a card")
CARD = CardFields(company="隐私测试科技有限公司", person="钱多多", title="采购经理", mobile="+8613611112222",
                  email="qian@yinsi.example")


@pytest.fixture
def scanned(demo: Transcript, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Transcript:
    def read(image: bytes, region: str = "CN") -> CardReading | NotACard:
        logging.getLogger("salesbot.test").info("reading a card")  # the capture works
        return CardReading(fields=CARD, lines=(), confidence=0.9)

    monkeypatch.setattr(sales.cards, "read_card", read)
    caplog.set_level(logging.DEBUG)
    demo.say("alice", file=PHOTO)
    demo.press("alice", "Save")
    demo.say("dave", file=PHOTO)  # another rep's scan of the same card, still undecided
    return demo


def test_export_holds_the_card_photos(scanned: Transcript) -> None:
    scanned.say("carol", "/privacy export 钱多多")
    files = [r.image for r in scanned.last["carol"] if r.image is not None]
    assert files, scanned.last["carol"]
    doc = json.loads(files[0].data)
    cards = doc["business_cards"]
    assert len(cards) == 2 and {c["state"] for c in cards} == {"saved", "undecided"}
    assert all(base64.b64decode(c["image_base64"]) == PHOTO.data for c in cards)
    assert "钱多多" in json.loads(cards[0]["reading"])["fields"]["person"]


def test_erase_removes_the_card_photos(scanned: Transcript) -> None:
    scanned.say("carol", "/privacy erase 钱多多")
    done = scanned.press("carol", "Confirm erase")
    assert "cardscan 2" in done, done
    with Session(scanned.core.engine) as s:
        assert s.exec(select(CardScan)).all() == []
        assert s.exec(select(Contact).where(Contact.name == "钱多多")).all() == []
        assert not any("钱多多" in (a.after or "") for a in s.exec(select(AuditLog)).all())


def test_no_log_line_holds_the_photo_or_the_reading(scanned: Transcript, caplog: pytest.LogCaptureFixture) -> None:
    records = caplog.get_records("setup") + caplog.records  # the scans were made by the fixture
    assert any("reading a card" in r.getMessage() for r in records)
    scanned.say("alice", "/customer 隐私测试科技有限公司")
    for r in records + caplog.records:
        line = r.getMessage() + json.dumps({k: str(v) for k, v in vars(r).items()}, ensure_ascii=False)
        for secret in ("钱多多", "13611112222", "qian@yinsi", "the photo of a card"):
            assert secret not in line, line
