"""After the sale: a whole order's life in chat (won → plan → ship → deliver → accept → invoice → paid), the
invoice dialogue and finance's queue, /orders paged, and late deliveries flagged on the injected clock."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.clock import ReminderClock
from bot.delivery import deliver_due
from handlers.context import Settings
from handlers.markup import to_plain
from handlers.types import ChatRef, Reply
from storage.models import (
    AuditLog,
    Customer,
    Deal,
    FollowUp,
    Invoice,
    OrderStep,
    Outbox,
    SalesOrder,
    Team,
    User,
)
from tests.conftest import FakeClock
from tests.transcript import Transcript

SH = ZoneInfo("Asia/Shanghai")


def _won(t: Transcript, name: str = "Orion Optics", amount: int = 100000) -> int:
    t.say(f"@alice: /customer add {name}")
    out = t.say(f"@alice: /deal new {name} lenses {amount}")
    deal = out.split("deal #", 1)[1].split(":", 1)[0]
    out = t.say(f"@bob: /advance {deal} won because 直接签约")
    assert "Order #" in out, out
    return int(out.split("Order #", 1)[1].split()[0])


def _deals_room(engine: Engine) -> None:
    with Session(engine) as s:
        for team in s.exec(select(Team)).all():
            team.deals_room = "console:local:#deals"
            s.add(team)
        s.commit()


def _said(t: Transcript, line: str, *fragments: str) -> str:
    out = t.say(line)
    for frag in fragments:
        assert frag in out, f"after {line!r} expected {frag!r} in:\n{out}"
    return out


def _number(text: str, before: str) -> int:
    return int(text.split(before, 1)[1].split()[0].rstrip(":,.）)"))


def test_an_orders_whole_life(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    _deals_room(engine)
    o = _won(demo)
    _said(demo, f"@alice: /plan {o} 30% now, rest 2027-01-15", "2027-01-15")
    _said(demo, f"@alice: /order {o}", f"Order #{o}", "Orion Optics", "Stands at: confirmed",
          "not invoiced ¥100,000", "In production", "Shipped", "Request invoice")
    _said(demo, "@alice: /order Orion Optics promise 2026-11-27", "delivery promised for Fri 2026-11-27")
    _said(demo, f"@alice: /order #{o} start", "now in production/picking", "promised Fri 2026-11-27")
    _said(demo, f"@bob: /order {o} ship SF Express SF1234567890", "now shipped",
          "shipped Sun 2026-11-22 bob (SF Express SF1234567890)",
          f"→ alice: 🚚 Order #{o} (Orion Optics) shipped (SF Express · SF1234567890) · bob")
    _said(demo, f"@bob: /order {o} ship", "already past that step")
    _said(demo, f"@alice: /order {o} deliver", "now delivered", "Accepted")
    _said(demo, "@alice: /order Orion Optics accept", "now accepted", "accepted Sun 2026-11-22 alice")
    _said(demo, f"@alice: /invoice request {o} installment 1", "buyer's title")
    _said(demo, "@alice: Orion Optics (Shanghai) Co., Ltd.", "tax number")
    _said(demo, "@alice: 12x", "is not a tax number")  # a bare number would press a button
    out = _said(demo, "@alice: 91310000MA1FL8XQ3X", f"requested for order #{o} (Orion Optics): ¥30,000",
                "→ fay: 🧾 alice asks for an invoice")
    first = _number(out, "Invoice #")
    _said(demo, f"@alice: /invoice request {o} 80000", "more than the ¥70,000 not yet invoiced")
    _said(demo, "@fay: /invoices", "Invoices waiting:", "1–1 of 1",
          "Orion Optics (Shanghai) Co., Ltd. · 91310000MA1FL8XQ3X")
    _said(demo, f"@fay: /invoice issue {first} 04521234", f"Invoice #{first} issued: No. 04521234",
          f"→ alice: 🧾 Invoice #{first} for order #{o} is issued: No. 04521234")
    _said(demo, f"@fay: /invoice issue {first} 04521235", "already decided")
    _said(demo, f"@fay: /paid {o} 30000", "Received ¥30,000 of ¥100,000")
    out = _said(demo, f"@alice: /invoice request {o}", f"requested for order #{o} (Orion Optics): ¥70,000")
    second = _number(out, "Invoice #")  # the title and tax number remembered: no questions
    _said(demo, f"@fay: /invoice reject {second} wrong amount", "rejected")
    _said(demo, f"@alice: /order {o}", "Stands at: accepted",
          "Invoiced ¥30,000 · requested ¥0 · not invoiced ¥70,000", f"Invoice #{first} ¥30,000 issued No. 04521234",
          f"Invoice #{second} ¥70,000 rejected", "Received ¥30,000 of ¥100,000")
    _said(demo, "@alice: /receivables", "Total ¥70,000", "not yet due: ¥70,000", "1–30 days overdue: ¥0",
          "Invoiced ¥0 · not invoiced ¥70,000")
    _said(demo, "@alice: /customer Orion Optics", "Orders:", f"#{o} ¥100,000, received ¥30,000 · accepted")
    _said(demo, f"@dave: /order {o}", f"No order {o} found")
    _said(demo, f"@dave: /invoice {first}", f"No invoice {first} found")
    with Session(engine) as s:
        order = s.get(SalesOrder, o)
        assert order is not None and order.fulfilment == "accepted" and order.accepted_at == clock()
        steps = s.exec(select(OrderStep).where(col(OrderStep.order_id) == o)).all()
        assert sorted(x.step for x in steps) == ["accepted", "delivered", "production", "shipped"]
        revisit = s.exec(select(FollowUp).where(col(FollowUp.reason) == "revisit")).one()  # the 回访, a week on
        assert revisit.customer_id == order.customer_id and revisit.owner_id == order.owner_id
        assert (revisit.due_at - clock()).days in (6, 7, 8, 9)
        actions = [a.action for a in s.exec(select(AuditLog).where(col(AuditLog.entity).in_(("order", "invoice")))
                                            .order_by(col(AuditLog.id)))]
        assert actions.count("fulfil") == 4 and "invoice_issue" in actions and "invoice_reject" in actions
        room = [to_plain(r.payload) for r in s.exec(select(Outbox).where(col(Outbox.chat) == "#deals")).all()]
        for said in ("in production/picking", "shipped (SF Express", "delivered", "accepted by the customer"):
            assert any(said in r for r in room), (said, room)
    _said(demo, "@bob: /audit deal Orion Optics", "changed fulfilment from delivered to accepted",
          f"issued invoice #{first}")


def test_invoice_buttons_and_the_chinese_words(demo: Transcript, engine: Engine) -> None:
    o = _won(demo, "华东精密", 50000)
    demo.say("@alice: /lang zh")
    demo.say("@fay: /lang zh")
    out = demo.say(f"@alice: /invoice request {o} 抬头 华东精密科技有限公司 税号 91310000MA1FL8XQ3X")
    assert f"已为订单 #{o}（华东精密）申请发票 #" in out and "¥50,000" in out, out
    i = int(out.split("申请发票 #", 1)[1].split("：", 1)[0])
    assert "待开发票：" in demo.say("fay", "/invoices")
    assert f"发票 #{i}（¥50,000）的号码是？" in demo.press("fay", f"✓ #{i}")
    out = demo.say("fay", "04521234 2026-11-20")
    assert f"发票 #{i} 已开具：号码 04521234，2026-11-20" in out, out
    out = demo.say("fay", "/invoices")
    assert "没有待开的发票" in out, out
    out = demo.say(f"@alice: /invoice request {o}")
    assert "已没有可开票的金额" in out, out
    demo.say("fay", "/export invoices csv")
    sheet = demo.last["fay"][0].image
    assert sheet is not None
    rows = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["发票编号", "订单", "客户名称"] and rows[1][9] == "04521234" and rows[1][8] == "已开票", rows


def test_orders_are_listed_twenty_a_page(demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    now = clock()
    with Session(engine) as s:
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        c = s.exec(select(Customer).where(col(Customer.owner_id) == alice.id)).first()
        assert c is not None
        for i in range(105):
            d = Deal(customer_id=c.id or 0, title=f"Batch {i}", amount=Decimal(1000 + i), owner_id=alice.id or 0,
                     stage="won", probability=100, created_at=now, updated_at=now, closed_at=now)
            s.add(d)
            s.flush()
            s.add(SalesOrder(deal_id=d.id or 0, customer_id=c.id or 0, owner_id=alice.id or 0,
                             amount=Decimal(1000 + i), created_at=now))
        s.commit()
        total = len(s.exec(select(SalesOrder.id).join(Customer, col(Customer.id) == col(SalesOrder.customer_id))
                            .where(col(SalesOrder.owner_id) == alice.id)).all())
    out = demo.say("alice", "/orders mine")
    assert out.startswith("Orders:") and f"1–20 of {total}" in out, out
    out = demo.press("alice", "Next")
    assert f"21–40 of {total}" in out, out
    assert demo.last["alice"][0].edit == "this"
    out = demo.say("alice", f"/orders mine {(total + 19) // 20}")
    assert f"of {total}" in out and "Next" not in str(demo.last["alice"][0].buttons)


# --- late deliveries on the injected clock --------------------------------------------------------


class Sent:
    """What the clock delivered to each person."""

    def __init__(self) -> None:
        self.to: list[tuple[str, str]] = []

    def __call__(self, where: ChatRef, reply: Reply) -> None:
        self.to.append((where.chat, to_plain(reply.text)))

    def late(self, who: str) -> list[str]:
        return [text for chat, text in self.to if chat == who and "days late: delivery" in text]


def _sweep_at(engine: Engine, clock: FakeClock, sent: Sent, when: datetime) -> None:
    clock.now = when.astimezone(UTC)
    ReminderClock(engine, now=clock, settings=Settings(default_lang="en"), worker="w").sweep()
    while deliver_due(engine, {"console": sent}, clock(), limit=100):
        pass


def test_a_late_delivery_is_flagged_to_the_owner_then_after_3_working_days_the_manager(
        demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    o = _won(demo)
    demo.say(f"@alice: /order {o} promise 2026-11-27")  # a Friday
    demo.say(f"@alice: /order {o} ship")
    sent = Sent()
    _sweep_at(engine, clock, sent, datetime(2026, 11, 27, 17, 0, tzinfo=SH))
    _sweep_at(engine, clock, sent, datetime(2026, 11, 28, 10, 0, tzinfo=SH))  # Saturday: nobody works
    assert sent.late("alice") == [] and sent.late("bob") == []
    _sweep_at(engine, clock, sent, datetime(2026, 11, 30, 9, 5, tzinfo=SH))
    assert sent.late("alice") == [f"🚚 Order #{o} (Orion Optics) is 3 days late: delivery was promised for "
                                  "Fri 2026-11-27."], sent.to
    for day in (1, 2):  # Tuesday, Wednesday: the owner is not told again, the manager not yet
        _sweep_at(engine, clock, sent, datetime(2026, 12, day, 9, 5, tzinfo=SH))
    assert len(sent.late("alice")) == 1 and sent.late("bob") == []
    _sweep_at(engine, clock, sent, datetime(2026, 12, 3, 9, 5, tzinfo=SH))  # Mon, Tue, Wed late: Thursday
    assert len(sent.late("bob")) == 1 and "Owner: alice" in sent.late("bob")[0], sent.to
    assert "⚠️ 6 days late" in demo.say(f"@alice: /order {o}")


def test_a_holiday_waits_and_a_delivery_or_a_new_date_ends_the_flags(
        demo: Transcript, engine: Engine, clock: FakeClock) -> None:
    with Session(engine) as s:
        for team in s.exec(select(Team)).all():
            team.holidays = "2026-12-01"  # the team's own day off: one working day less late
            s.add(team)
        s.commit()
    late = _won(demo)
    moved = _won(demo, "Vega Glass")
    for o in (late, moved):
        demo.say(f"@alice: /order {o} promise 2026-11-27")
    sent = Sent()
    _sweep_at(engine, clock, sent, datetime(2026, 11, 30, 9, 5, tzinfo=SH))
    assert len(sent.late("alice")) == 2, sent.to
    demo.say(f"@alice: /order {moved} promise 2026-12-10")  # a new date: counted from it
    _sweep_at(engine, clock, sent, datetime(2026, 12, 3, 9, 5, tzinfo=SH))
    assert sent.late("bob") == [], sent.to  # Mon, Wed late (Tue off): not yet three working days
    _sweep_at(engine, clock, sent, datetime(2026, 12, 4, 9, 5, tzinfo=SH))
    assert [t for t in sent.late("bob")] == [
        f"🚚 Order #{late} (Orion Optics) is 7 days late: delivery was promised for Fri 2026-11-27. Owner: alice."]
    demo.say(f"@alice: /order {late} deliver")
    for d in (7, 8, 9):
        _sweep_at(engine, clock, sent, datetime(2026, 12, d, 9, 5, tzinfo=SH))
    assert len(sent.late("alice")) == 2 and len(sent.late("bob")) == 1, sent.to
    with Session(engine) as s:
        assert s.exec(select(Invoice)).all() == []


def test_an_order_without_a_plan_is_still_money_to_collect(demo: Transcript) -> None:
    o = _won(demo, "Vega Instruments", 80000)
    out = _said(demo, "@alice: /receivables", "Receivables:", f"#{o} Vega Instruments · no plan yet · ¥80,000",
                "Total ¥80,000", "no plan yet: ¥80,000")
    assert "Nothing to collect" not in out and "[overdue]" not in out, out
    _said(demo, "@alice: /receivables overdue", "Nothing to collect.")
    demo.say("@alice: /lang zh")
    _said(demo, "@alice: /receivables", f"#{o} Vega Instruments · 尚无回款计划 · ¥80,000")
