"""Care in chat: birthdays and key dates of contacts, care plans by grade, the digest's reorder line with its
one-tap follow-up, the card's next purchase, and /report retention."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.context import Settings
from handlers.core import Core
from storage.models import Customer, FollowUp, User
from tests.conftest import FakeClock
from tests.sales.test_care import small_book
from tests.transcript import Transcript, assert_dialog


def _alices_customer(engine: Engine) -> int:
    with Session(engine) as s:
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        return s.exec(select(Customer.id).where(col(Customer.owner_id) == alice.id)).first() or 0


def test_birthdays_and_key_dates_are_kept_shown_and_forgotten(demo: Transcript, engine: Engine) -> None:
    cid = _alices_customer(engine)
    assert_dialog(demo, [
        (f"@alice: /contact add #{cid} 张总 采购总监", "Added 张总"),
        (f"@alice: /contact #{cid} 张总 birthday March 8", "Saved: 张总's birthday is Mar 8."),
        (f"@alice: /contact #{cid} 张总 date 签约纪念日 5月20日", "Saved: 签约纪念日 of 张总 on May 20."),
        (f"@alice: /contact #{cid} 张总 birthday 1980-3-9", "birthday is Mar 9"),  # replaced, not added
        (f"@alice: /customer #{cid}", ["🎂 张总 Mar 9", "📅 签约纪念日 May 20 (张总)"]),
        (f"@alice: /contact #{cid} 张总 birthday someday", "I can't read the date"),
        (f"@alice: /contact #{cid} 王总 birthday March 8", "has no contact “王总”"),
        (f"@alice: /contact #{cid} 张总 date 签约纪念日 remove", "Forgotten: 签约纪念日 of 张总."),
    ])
    out = demo.say(f"@alice: /customer #{cid}")
    assert "🎂 张总 Mar 9" in out and "签约纪念日" not in out


def test_care_plans_are_set_by_an_admin_and_shown_in_the_readers_words(demo: Transcript) -> None:
    assert_dialog(demo, [
        ("@bob: /config care", ["A: weekly regular contact, monthly executive touch",
                                "B: fortnightly regular contact, quarterly product update", "C: monthly regular contact, monthly news",
                                "for 12 months counts as churned"]),
        ("@bob: /config care A weekly contact", "Only an admin may change that."),
        ("@carol: /config care A every 10 days contact, quarterly exec, yearly news",
         "A: every 10 days regular contact, quarterly executive touch, yearly news"),
        ("@carol: /config care C off", "C: no care plan"),
        ("@carol: /config care B sometimes", "Write a grade and its touches"),
        ("@carol: /config churn 18", "for 18 months counts as churned"),
        ("@carol: /config care reset", "A: weekly regular contact, monthly executive touch"),
    ])
    demo.say("@bob: /lang zh")
    assert "A: 每周定期联系、每月高层拜访" in demo.say("@bob: /config care")


def test_the_digest_lists_who_is_due_to_reorder_with_a_one_tap_follow_up(engine: Engine, clock: FakeClock) -> None:
    ids = small_book(engine, clock())
    t = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
    out = t.say("alice", "/digest")
    assert "Due to reorder (1)\n• K2: orders about every 81 days, last Wed 2026-08-26, 7 days overdue" in out
    assert "OK: a follow-up about K2's next order, Mon 2026-11-23" in t.press("alice", "Follow up: K2")
    with Session(engine) as s:
        fu = s.exec(select(FollowUp).where(col(FollowUp.customer_id) == ids["K2"])).one()
        assert fu.reason == "reorder" and fu.owner_id == ids["alice"]
    assert "Due to reorder" not in t.say("alice", "/digest")  # asked already
    assert "ask about the next order" in t.say("alice", "/followups")
    card = t.say("alice", "/customer K2")
    assert "Reorders about every 81 days (3 orders); next about Sun 2026-11-15." in card
    assert "Others in 机械 also bought: 维保服务 (1), 配件 (1)" in card or "Others in 机械 also bought: 配件 (1), 维保服务 (1)" in card


def test_report_retention_in_chat_with_its_chart_and_pages(engine: Engine, clock: FakeClock) -> None:
    from sales.demo import load_demo

    load_demo(engine, customers=1500, now=clock(), activities_per_customer=1)
    demo = Transcript(Core(engine, clock=clock, settings=Settings(default_lang="en")))
    out = demo.say("carol", "/report retention")
    assert "Retention · 2026 (everyone)" in out and "Lifetime value by grade:" in out, out
    assert "Repeat purchase: " in out and "Churned: 7 of 112 buyers" in out, out
    assert demo.last["carol"][0].image is not None and not demo.last["carol"][0].buttons  # one page: no More
    assert "黔南盛世钢铁有限责任公司" not in demo.say("carol", "/report retention page 2")
    assert "客户留存 · 2026年第4季度（alice）" in demo.say("alice", "/report retention this quarter mine")  # alice reads Chinese
    assert "看不懂时间段“someday”" in demo.say("bob", "/report retention someday")
