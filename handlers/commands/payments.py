"""Payment plans, payments and receivables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from handlers import deal_news, lookup, paging, parsing
from handlers.amounts import money_arg
from handlers.context import Ctx
from handlers.fmt import day, money
from handlers.i18n import N_
from handlers.markup import esc
from handlers.parsing import find_date
from handlers.parsing.amounts import read_amount
from handlers.registry import command, usage
from handlers.types import Reply
from sales import invoices, orders, ranges
from sales.access import SELLERS, order_scope
from sales.errors import RuleError
from sales.refs import as_id
from storage.models import Customer, SalesOrder, User


def paid_date(ctx: Ctx, text: str) -> date | None:
    """The day a payment was received: an ISO date or words (昨天, 12月1日, last Friday), read as past."""
    t = text.strip()
    try:
        return date.fromisoformat(t)
    except ValueError:
        return find_date(t, ctx.local_now, prefer="past")


def split_ref(ctx: Ctx, args: str) -> tuple[str, str]:
    """An order's reference (a number, or a customer's name) and the rest of the arguments."""
    words = args.split()
    if words and as_id(words[0]) is not None:
        return words[0], " ".join(words[1:])
    return lookup.split_name(ctx, args)


def plan_text(ctx: Ctx, order: SalesOrder) -> str:
    """An order's installments, one a line, with what is paid of each."""
    rows = orders.installments(ctx.session, order.id or 0)
    today = ctx.local_now.date()
    lines = []
    for i in rows:
        if i.paid >= i.amount:
            state = ctx.t("paid")
        elif i.paid > 0:
            state = ctx.t("{p} paid", p=money(i.paid, order.currency))
        elif i.due_on < today:
            state = ctx.t("overdue")
        else:
            state = ctx.t("open")
        lines.append(f"  {i.seq}. {day(i.due_on, ctx.lang)} {money(i.amount, order.currency)} — {state}")
    return "\n".join(lines)


@command("plan", "/plan ORDER <30% now, 70% 2027-01-15>", "set an order's payment plan",
         roles=SELLERS, personal=True)
def plan(ctx: Ctx, args: str) -> None:
    """Set a payment plan like `30% now, 40% 2027-01-15, rest 2027-03-01`."""
    ref, text = split_ref(ctx, args)
    if not ref:
        ctx.say("For which order? (number or customer)")
        ctx.ask("complete", {"prefix": "/plan"})
        return
    o = lookup.order(ctx, ref, lambda r: f"/plan {r} {text}")
    if o is None:
        return
    if not text.strip():
        ctx.say("The plan? E.g.: 30% now, 70% 2027-01-15")
        ctx.ask("complete", {"prefix": f"/plan {o.id}"})
        return
    reading = parsing.read_plan(text, ctx.local_now)
    if reading.problem == "event":
        raise RuleError("plan_event", part=reading.part)
    if reading.problem is not None:
        raise RuleError("bad_plan", part=reading.part)
    other = next((i.currency for i in reading.installments if i.currency and i.currency != o.currency), None)
    if other is not None:
        raise RuleError("currency_mismatch", given=other, expected=o.currency)
    terms = [orders.Term(i.due, i.percent, i.amount) for i in reading.installments]
    parts = orders.plan_parts(terms, total=o.amount, today=ctx.local_now.date(), currency=o.currency)
    orders.set_plan(ctx.session, order=o, parts=parts, by=ctx.me, now=ctx.now)
    deal_news.planned(ctx, o, len(parts))
    ctx.say("Payment plan of order #{o} ({m}):\n{p}", o=o.id, m=money(o.amount, o.currency),
            p=plan_text(ctx, o))


@command("paid", "/paid ORDER AMOUNT [date]", "record a payment (applied oldest first)",
         roles=frozenset({"finance", "admin"}), personal=True)
def paid(ctx: Ctx, args: str) -> None:
    """Record a payment against an order."""
    ref, rest = split_ref(ctx, args)
    words = rest.split()
    if not ref:
        ctx.say("For which order? (number or customer)")
        ctx.ask("complete", {"prefix": "/paid"})
        return
    o = lookup.order(ctx, ref, lambda r: f"/paid {r} {rest}")
    if o is None:
        return
    if not words:
        ctx.say("How much was received for order #{o}?", o=o.id)
        ctx.ask("complete", {"prefix": f"/paid {o.id}"})
        return
    two = read_amount(" ".join(words[:2])) if len(words) > 1 else None  # "1.2M USD"
    typed = two if two is not None else money_arg(words[0])
    amount = ranges.check_money(typed.amount)
    words = words[2:] if two is not None else words[1:]
    paid_on = ctx.local_now.date()
    if words:
        got = paid_date(ctx, " ".join(words))
        if got is None:
            usage(ctx, "paid")
            return
        paid_on = ranges.check_paid_on(got, paid_on)
    orders.record_payment(ctx.session, order=o, amount=amount, paid_on=paid_on, by=ctx.me, now=ctx.now,
                          currency=typed.currency)
    deal_news.paid(ctx, o, amount)
    ctx.say("Recorded {a} on order #{o} ({d}). Received {p} of {t}.\n{plan}",
            o=o.id, a=money(amount, o.currency), d=day(paid_on, ctx.lang), p=money(o.paid, o.currency),
            t=money(o.amount, o.currency),
            plan=plan_text(ctx, o))
    owner = ctx.session.get(User, o.owner_id)
    c = ctx.session.get(Customer, o.customer_id)
    if owner is not None and owner.id != ctx.me.id:
        ctx.notify(owner, "💰 {c} paid {a} on order #{o}; {p} of {t} received.",
                   c=esc(c.name if c else "?"), a=money(amount, o.currency), o=o.id, p=money(o.paid, o.currency),
                   t=money(o.amount, o.currency))


@command("receivables", "/receivables [overdue]", "money still to collect, by due date",
         roles=frozenset({"rep", "manager", "finance", "admin"}), personal=True)
def receivables(ctx: Ctx, args: str) -> None:
    """Open installments the asker may see, earliest first."""
    args = paging.take_page(ctx, args)
    overdue = args.strip().lower() in ("overdue", "逾期")
    if args.strip() and not overdue:
        usage(ctx, "receivables")
        return
    today = ctx.local_now.date()
    scope = order_scope(ctx.me)
    every: list[tuple[int, date | None, Decimal]] = list(
        orders.receivables(ctx.session, scope=scope, today=today, overdue_only=overdue, limit=None))
    if not overdue:  # what is open on orders without a plan is money to collect too, with no date yet
        every += [(oid, None, amount) for oid, amount in orders.unplanned(ctx.session, scope=scope)]
    page = paging.of_items(ctx, every)
    rows = page.items
    if not rows:
        ctx.say("Nothing to collect.")
        return
    summary = _aging_text(ctx, orders.aging(ctx.session, scope=scope, today=today),
                          invoices.receivable_split(ctx.session, scope=scope))
    lines = []
    for oid, due, amount in rows:
        o = ctx.session.get(SalesOrder, oid)
        c = ctx.session.get(Customer, o.customer_id) if o else None
        late = ctx.t(" [overdue]") if due is not None and due < today else ""
        when = day(due, ctx.lang) if due is not None else ctx.t("no plan yet")
        lines.append(f"#{oid} {esc(c.name if c else '?')} · {when} · {money(amount, o.currency if o else None)}{late}")
    paging.show(ctx, page, ctx.t("Receivables:"), lines, f"/receivables {args}".strip())
    ctx.replies.append(Reply(text=summary))


BUCKET_NAMES = {"current": N_("not yet due"), "1-30": N_("1–30 days overdue"), "31-60": N_("31–60 days"),
                "61-90": N_("61–90 days"), "90+": N_("over 90 days"), "unplanned": N_("no plan yet")}


def _aging_text(ctx: Ctx, aging: dict[str, dict[str, Decimal]], split: dict[str, tuple[Decimal, Decimal]]) -> str:
    """The total per currency, its aging buckets, and how much of it is invoiced."""
    lines = []
    for cur in sorted(aging):
        buckets = aging[cur]
        lines.append(ctx.t("Total {m}", m=money(sum(buckets.values(), Decimal(0)), cur)))
        lines += [f"  {ctx.t(BUCKET_NAMES[b])}: {money(v, cur)}" for b, v in buckets.items()
                  if v > 0 or b in orders.BUCKETS]
        invoiced, not_invoiced = split.get(cur, (Decimal(0), Decimal(0)))
        lines.append(ctx.t("Invoiced {i} · not invoiced {n}", i=money(invoiced, cur), n=money(not_invoiced, cur)))
    return "\n".join(lines)
