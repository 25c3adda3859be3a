"""A card read in chat: kept as a CardScan (migration 0008, both databases), saved as a customer's contact with
the duplicate check of /customer add, edited, dismissed, and forgotten after two days undecided."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from sales.cards import CardFields, CardReading, saving
from sales.customers import DuplicateFound, create_customer
from sales.demo import load_demo
from sales.errors import RuleError
from storage.cards import DISMISSED, SAVED, UNDECIDED, CardScan
from storage.models import Contact, Customer, User
from tests.conftest import FakeClock

CARD = CardFields(company="秦川智能装备有限公司", person="高洋", title="运营总监", mobile="+8615806252221",
                  phone="0512-23831903", email="yang.gao@mjyl.cn", address="成都市高新区科技园南路382号")


def _reading(fields: CardFields = CARD) -> CardReading:
    return CardReading(fields=fields, lines=(), confidence=0.9)


@pytest.fixture
def alice(engine: Engine, clock: FakeClock) -> User:
    load_demo(engine, customers=5, now=clock())
    with Session(engine) as s:
        user = s.exec(select(User).where(User.name == "alice")).one()
        s.expunge(user)
        return user


def _scan(s: Session, alice: User, clock: FakeClock, fields: CardFields = CARD) -> CardScan:
    return saving.new_scan(s, by=alice, platform="console", workspace="local", chat="alice", reading=_reading(fields),
                           image=b"\xff\xd8photo", mime="image/jpeg", now=clock())


def test_a_saved_card_is_a_new_customer_and_a_contact_with_the_photo(engine: Engine, alice: User,
                                                                     clock: FakeClock) -> None:
    with Session(engine) as s, s.begin():
        scan = _scan(s, alice, clock)
        assert scan.state == UNDECIDED and saving.fields_of(scan)["person"] == "高洋"
        done = saving.save(s, by=alice, scan=scan, now=clock())
        assert done.new_customer and done.customer.name == CARD.company and done.customer.source == "card"
        p = done.contact
        assert (p.name, p.title, p.phone, p.landline, p.email, p.address) == (
            "高洋", "运营总监", "+8615806252221", "+8651223831903", "yang.gao@mjyl.cn", CARD.address)
        assert scan.state == SAVED and scan.contact_id == p.id and scan.image == b"\xff\xd8photo"
    with Session(engine) as s:
        kept = s.exec(select(CardScan)).one()
        assert kept.created_at.tzinfo is not None and kept.image == b"\xff\xd8photo"


def test_an_existing_customer_is_found_with_the_duplicate_check(engine: Engine, alice: User,
                                                                 clock: FakeClock) -> None:
    with Session(engine) as s, s.begin():
        mine = create_customer(s, by=alice, name="秦川智能装备", now=clock())
        scan = _scan(s, alice, clock)
        assert [m.id for m in saving.customer_matches(s, scan=scan)] == [mine.id]
        with pytest.raises(DuplicateFound), s.begin_nested():
            saving.save(s, by=alice, scan=scan, now=clock())
        done = saving.save(s, by=alice, scan=scan, now=clock(), customer=mine)
        assert not done.new_customer and done.contact.customer_id == mine.id
        again = _scan(s, alice, clock, CardFields(company=CARD.company, person="王芳", mobile="+8613900000001"))
        other = saving.save(s, by=alice, scan=again, now=clock(), new_customer=True)
        assert other.new_customer and other.customer.id != mine.id
        assert len(s.exec(select(Customer).where(Customer.name_key == mine.name_key)).all()) >= 1


def test_edits_are_checked_and_kept(engine: Engine, alice: User, clock: FakeClock) -> None:
    with Session(engine) as s, s.begin():
        scan = _scan(s, alice, clock)
        assert saving.set_field(s, scan=scan, field="mobile", value="139 1234 5678") == "+8613912345678"
        assert saving.set_field(s, scan=scan, field="title", value="-") is None
        with pytest.raises(RuleError):
            saving.set_field(s, scan=scan, field="email", value="not an email")
        with pytest.raises(RuleError):
            saving.set_field(s, scan=scan, field="mobile", value="12")
        f = saving.fields_of(scan)
        assert f["mobile"] == "+8613912345678" and f["title"] is None and f["email"] == CARD.email
        saving.set_field(s, scan=scan, field="person", value="")
        with pytest.raises(RuleError):
            saving.save(s, by=alice, scan=scan, now=clock())


def test_dismissed_drops_the_photo_and_undecided_ones_are_forgotten_after_two_days(
        engine: Engine, alice: User, clock: FakeClock) -> None:
    with Session(engine) as s, s.begin():
        dropped = _scan(s, alice, clock)
        saving.dismiss(s, scan=dropped, now=clock())
        assert dropped.state == DISMISSED and dropped.image is None and "高洋" not in dropped.reading
        _scan(s, alice, clock)
        kept = _scan(s, alice, clock)
        saving.save(s, by=alice, scan=kept, now=clock())
    with Session(engine) as s, s.begin():
        assert saving.forget_undecided(s, clock() + timedelta(days=1)) == 0
        assert saving.forget_undecided(s, clock() + timedelta(days=2, minutes=1)) == 1
        states = sorted(x.state for x in s.exec(select(CardScan)).all())
        assert states == [DISMISSED, SAVED]
        assert s.exec(select(Contact).where(Contact.name == "高洋")).one().address == CARD.address


def test_someone_elses_scan_is_not_theirs(engine: Engine, alice: User, clock: FakeClock) -> None:
    with Session(engine) as s, s.begin():
        scan = _scan(s, alice, clock)
        dave = s.exec(select(User).where(User.name == "dave")).one()
        with pytest.raises(RuleError):
            saving.open_scan(s, scan_id=scan.id or 0, by=dave)
        assert saving.open_scan(s, scan_id=scan.id or 0, by=alice) is scan


def test_the_clocks_daily_job_forgets_undecided_scans(engine: Engine, alice: User, clock: FakeClock) -> None:
    from bot.clock import ReminderClock

    with Session(engine) as s, s.begin():
        _scan(s, alice, clock)
    rc = ReminderClock(engine, now=clock)
    rc.plan_digests()
    with Session(engine) as s:
        assert len(s.exec(select(CardScan)).all()) == 1
    clock.advance(days=2, seconds=1)
    rc.plan_digests()
    with Session(engine) as s:
        assert s.exec(select(CardScan)).all() == []
