"""The demo book's past: when its deals moved, the orders some customers had placed before, the customers who
bought and went quiet, and the satisfaction surveys answered (sales/demo.py draws the present)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

REPEAT_SHARE = 0.5  # the share of customers with a win who had ordered before
LAPSED_SHARE = 0.03  # of customers without a deal and old enough, those who bought twice and went quiet
LAPSED_AGE = timedelta(days=600)
EXTRAS = ("{i}配件", "维保服务", "安装调试", "操作培训", "{i}耗材", "软件升级")  # bought beside the main item
STAGES = (("prospect", 10), ("qualified", 30), ("proposal", 60), ("negotiation", 80), ("won", 100), ("lost", 0))
STAGE_PATH = [s for s, _ in STAGES]


def moves(opened: datetime, span: timedelta, gaps: list[int]) -> list[datetime]:
    """When a deal entered each stage of its path: at `opened`, then spaced like `gaps` to `opened + span`."""
    total, done, out = sum(gaps) or 1, 0, [opened]
    for gap in gaps:
        done += gap
        out.append(opened + span * done / total)
    return out


def on(day: date, like: datetime, tz: ZoneInfo) -> datetime:
    """The instant on the local `day` at the local time of day of `like`."""
    return datetime.combine(day, like.astimezone(tz).time(), tzinfo=tz).astimezone(UTC)


@dataclass
class Book:
    """The rows of the demo book being built."""

    customers: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    deals: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    quotes: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    installments: list[dict[str, Any]]
    payments: list[dict[str, Any]]


def bought_before(book: Book, rng: random.Random, counters: tuple[int, int, int], today: date, tz: ZoneInfo,
                   finance: int, now: datetime) -> tuple[int, int, int]:
    """Some customers with a win had ordered before, about every 45 to 150 days, and a few without one bought
    twice more than a year ago and went quiet (so /report retention, the digest's reorder lines and the card's
    cross-sell hints have something to show); their own draws, so the rest of the book stays what it always
    was. The counters of deal, quote and order ids after them."""
    made = _Made(book, rng, list(counters), today, tz, finance, now)
    customers = {c["id"]: c for c in book.customers}
    for order in list(book.orders):
        if rng.random() >= REPEAT_SHARE:
            continue
        cust = customers[order["customer_id"]]
        interval = rng.randint(45, 150)
        closed = order["created_at"]
        for _ in range(rng.randint(1, 3)):
            closed = closed - timedelta(days=interval + rng.randint(-10, 10), hours=rng.randint(0, 6))
            if not made.order(cust, order["owner_id"], closed):
                break
    dealt = {d["customer_id"] for d in book.deals}
    acts: dict[int, list[dict[str, Any]]] = {}
    for a in book.activities:
        acts.setdefault(a["customer_id"], []).append(a)
    for cust in book.customers:
        if cust["id"] in dealt or now - cust["created_at"] < LAPSED_AGE or rng.random() >= LAPSED_SHARE:
            continue
        last = now - timedelta(days=rng.randint(400, 500))
        if not (made.order(cust, cust["owner_id"], last - timedelta(days=rng.randint(60, 120)))
                and made.order(cust, cust["owner_id"], last)):
            continue
        for a in acts.get(cust["id"], []):  # and nothing since: its activities a year earlier
            a["at"] = a["created_at"] = a["at"] - timedelta(days=400)
        cust["last_contact_at"] = cust["updated_at"] = max(
            [a["at"] for a in acts.get(cust["id"], [])] or [cust["created_at"]])
    return made.ids[0], made.ids[1], made.ids[2]


@dataclass
class _Made:
    """Writes a past won order (deal, moves, quote with two lines, order, installments, payments) into a book."""

    book: Book
    rng: random.Random
    ids: list[int]  # the last deal, quote and order ids
    today: date
    tz: ZoneInfo
    finance: int
    now: datetime

    def order(self, cust: dict[str, Any], owner: int, closed: datetime) -> bool:
        """A won deal closed at `closed` and its order; False when it would open before the customer existed."""
        rng, book, tz, industry = self.rng, self.book, self.tz, cust["industry"]
        opened = closed - timedelta(days=rng.randint(14, 40))
        if opened < cust["created_at"]:
            return False
        self.ids = [i + 1 for i in self.ids]
        deal_id, quote_id, order_id = self.ids
        amount = Decimal(rng.randint(3, 80) * 10_000)
        book.deals.append(dict(id=deal_id, customer_id=cust["id"], title=f"{industry}设备复购", amount=float(amount),
                               stage="won", probability=100, owner_id=owner,
                               expected_close=closed.astimezone(tz).date(), lost_reason=None, budget="已确认",
                               created_at=opened, updated_at=closed, closed_at=closed))
        path = STAGE_PATH[:5]
        for i, at in enumerate(moves(opened, closed - opened, [rng.randint(3, 25) for _ in path[1:]])):
            book.changes.append(dict(deal_id=deal_id, from_stage=path[i - 1] if i else None, to_stage=path[i],
                                     by_id=owner, at=at))
        main = (amount * Decimal("0.7")).quantize(Decimal("0.01"))
        book.quotes.append(dict(id=quote_id, deal_id=deal_id, version=1, discount=0.0, subtotal=float(amount),
                                total=float(amount), status="approved", created_by=owner, created_at=opened))
        book.lines += [dict(quote_id=quote_id, item=f"{industry}设备", qty=10.0, unit_price=float(main / 10),
                            amount=float(main)),
                       dict(quote_id=quote_id, item=rng.choice(EXTRAS).format(i=industry), qty=1.0,
                            unit_price=float(amount - main), amount=float(amount - main))]
        d1 = closed.astimezone(tz).date() + timedelta(days=rng.randint(3, 14))
        first = (amount * Decimal("0.3")).quantize(Decimal("0.01"))
        paid_total = Decimal(0)
        for seq, due_on, part in ((1, d1, first), (2, d1 + timedelta(days=60), amount - first)):
            paid = part if due_on <= self.today else Decimal(0)
            paid_total += paid
            book.installments.append(dict(order_id=order_id, seq=seq, due_on=due_on, amount=float(part),
                                          paid=float(paid)))
            if paid:
                book.payments.append(dict(order_id=order_id, amount=float(paid), paid_on=due_on,
                                          recorded_by=self.finance, created_at=min(self.now, on(due_on, self.now, tz))))
        book.orders.append(dict(id=order_id, deal_id=deal_id, quote_id=quote_id, customer_id=cust["id"],
                                owner_id=owner, amount=float(amount), paid=float(paid_total), created_at=closed))
        return True


SURVEY_DRAWS = 13  # the survey answers' own draws (seed + this)
SCORES = (5, 5, 5, 5, 4, 4, 4, 3, 2, 1)  # how customers rate a service they chose to answer about
COMMENTS = {5: ("服务很专业，交付准时", "Great support, on time"), 4: ("整体满意，安装稍慢", "Good; installation took a while"),
            3: ("还行，响应可以更快", ""), 2: ("交货晚了两周", "Delivery was two weeks late"), 1: ("售后一直没人回复", "")}


def answered_surveys(orders: list[dict[str, Any]], rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """About half the customers who ordered answered a satisfaction survey a few days after their latest order
    (so /report csat has months, reps and a low score to show); their own draws, the rest of the book unchanged."""
    latest: dict[int, dict[str, Any]] = {}
    for o in orders:
        if o["customer_id"] not in latest or o["created_at"] > latest[o["customer_id"]]["created_at"]:
            latest[o["customer_id"]] = o
    rows = []
    for cid, o in sorted(latest.items()):
        if rng.random() >= 0.5:
            continue
        sent = min(o["created_at"] + timedelta(days=rng.randint(5, 25)), now - timedelta(days=2))
        score = rng.choice(SCORES)
        rows.append(dict(token_hash=hashlib.sha256(f"demo-survey-{cid}".encode()).hexdigest(), customer_id=cid,
                         subject_kind="customer", subject_id=None, owner_id=o["owner_id"], created_by=o["owner_id"],
                         lang="zh", created_at=sent, expires_at=sent + timedelta(days=14),
                         answered_at=sent + timedelta(hours=rng.randint(1, 40)), score=score,
                         comment=rng.choice(COMMENTS[score]) or None))
    return rows


