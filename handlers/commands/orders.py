"""Orders after the sale: the order card, its fulfilment steps (/order N ship|deliver|accept…) and /orders."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import col, select

from handlers import deal_news, lookup
from handlers.commands.payments import plan_text, split_ref
from handlers.context import Ctx
from handlers.fmt import day, money
from handlers.i18n import N_, tr
from handlers.markup import esc
from handlers.parsing import find_date
from handlers.registry import click, command, usage
from handlers.types import Reply
from sales import fulfilment, invoices
from sales.access import SELLERS, order_scope
from sales.refs import as_id
from storage.models import Customer, Deal, Payment, SalesOrder, User

STATE_NAMES = {"confirmed": N_("confirmed"), "production": N_("in production/picking"), "shipped": N_("shipped"),
               "delivered": N_("delivered"), "accepted": N_("accepted")}
STEP_BUTTONS = {"production": N_("In production"), "shipped": N_("Shipped"), "delivered": N_("Delivered"),
                "accepted": N_("Accepted")}
INVOICE_STATES = {"requested": N_("requested"), "issued": N_("issued"), "rejected": N_("rejected")}
# The words of /order N STEP, in both languages.
WORDS = {"start": "production", "produce": "production", "production": "production", "pick": "production",
         "picking": "production", "生产": "production", "备货": "production", "投产": "production",
         "ship": "shipped", "shipped": "shipped", "发货": "shipped", "deliver": "delivered",
         "delivered": "delivered", "送达": "delivered", "到货": "delivered", "交付": "delivered",
         "accept": "accepted", "accepted": "accepted", "验收": "accepted"}
PROMISE = frozenset({"promise", "promised", "due", "交期", "交货期", "承诺"})
PER_PAGE = 20


def is_open(o: SalesOrder) -> bool:
    """An order still under way: not yet accepted, or money still to collect."""
    return o.fulfilment != "accepted" or o.paid < o.amount


def state_name(ctx: Ctx, state: str) -> str:
    """A fulfilment state in the reader's language."""
    return ctx.t(STATE_NAMES.get(state, state))


def where_it_stands(ctx: Ctx, o: SalesOrder) -> str:
    """One line: the state, the promised date, and how late it is."""
    today = ctx.local_now.date()
    text = state_name(ctx, o.fulfilment)
    if o.promised_on is not None and o.fulfilment in fulfilment.OPEN:
        text += ctx.t(" · promised {d}", d=day(o.promised_on, ctx.lang))
        if fulfilment.is_late(o, today):
            text += ctx.tn(" ⚠️ {n} day late", " ⚠️ {n} days late", (today - o.promised_on).days)
    return text


def card(ctx: Ctx, o: SalesOrder) -> Reply:
    """The order card: customer, deal, amount, where it stands with dates, plan, payments, invoices; buttons for
    the next steps."""
    c = ctx.session.get(Customer, o.customer_id)
    d = ctx.session.get(Deal, o.deal_id)
    owner = ctx.session.get(User, o.owner_id)
    lines = [ctx.t("*Order #{o}* · {c} · deal #{d} {t}", o=o.id, c=esc(c.name if c else "?"), d=o.deal_id,
                   t=esc(d.title if d else "")),
             ctx.t("{m} · owner {n}", m=money(o.amount, o.currency), n=esc(owner.name if owner else "?")),
             ctx.t("Stands at: *{s}*", s=where_it_stands(ctx, o))]
    done = fulfilment.steps(ctx.session, o.id or 0)
    names = {u.id: u.name for u in ctx.session.exec(select(User).where(
        col(User.id).in_([s.by for s in done.values()]))).all()} if done else {}
    trail = [f"{state_name(ctx, 'confirmed')} {day(o.created_at.astimezone(ctx.tz).date(), ctx.lang)}"]
    for step in fulfilment.STEPS:
        s = done.get(step)
        if s is None:
            continue
        extra = " ".join(esc(x) for x in (s.carrier, s.tracking) if x)
        trail.append(f"{state_name(ctx, step)} {day(s.at.astimezone(ctx.tz).date(), ctx.lang)} "
                     f"{esc(names.get(s.by, '?'))}" + (f" ({extra})" if extra else ""))
    lines.append("  " + " → ".join(trail))
    plan = plan_text(ctx, o)
    if plan:
        lines += [ctx.t("Plan:"), plan]
    pays = ctx.session.exec(select(Payment).where(col(Payment.order_id) == o.id).order_by(col(Payment.paid_on))).all()
    lines.append(ctx.t("Received {p} of {t}", p=money(o.paid, o.currency), t=money(o.amount, o.currency)))
    lines += [f"  {day(p.paid_on, ctx.lang)} {money(p.amount, p.currency)}" for p in pays[-5:]]
    tot = invoices.totals(ctx.session, o)
    lines.append(ctx.t("Invoiced {i} · requested {r} · not invoiced {n}", i=money(tot.issued, o.currency),
                       r=money(tot.requested, o.currency), n=money(tot.not_invoiced, o.currency)))
    for inv in invoices.of_order(ctx.session, o.id or 0)[-5:]:
        lines.append("  " + invoice_line(ctx, inv.id or 0, inv.amount, inv.currency, inv.status, inv.number))
    rows = []
    if ctx.me.role in SELLERS:
        nxt = [s for s in fulfilment.STEPS if fulfilment.STATES.index(s) > fulfilment.STATES.index(o.fulfilment)]
        steps = nxt[:2] if o.fulfilment == "confirmed" else nxt[:1]
        row = [ctx.button(ctx.t(STEP_BUTTONS[s]), f"say:/order {o.id} {_word(s)}") for s in steps]
        if tot.not_invoiced > 0:
            row.append(ctx.button(ctx.t("Request invoice"), f"say:/invoice request {o.id}"))
        if row:
            rows.append(tuple(row))
    return Reply(text="\n".join(lines), buttons=tuple(rows))


def invoice_line(ctx: Ctx, iid: int, amount: object, currency: str, status: str, number: str | None) -> str:
    """`Invoice #3 ¥1,000.00 issued No. 0042`."""
    line = ctx.t("Invoice #{i} {m} {s}", i=iid, m=money(amount, currency),  # type: ignore[arg-type]
                 s=ctx.t(INVOICE_STATES.get(status, status)))
    return line + (ctx.t(" No. {n}", n=esc(number)) if number else "")


def _word(step: str) -> str:
    return {"production": "start", "shipped": "ship", "delivered": "deliver", "accepted": "accept"}[step]


def _promise_date(ctx: Ctx, text: str) -> date | None:
    t = text.strip()
    try:
        return date.fromisoformat(t)
    except ValueError:
        return find_date(t, ctx.local_now)


@command("order", "/order ORDER [start | ship [CARRIER] [TRACKING] | deliver | accept | promise DATE]",
         "an order's card, or record its next fulfilment step", personal=True, shared=())
def order_cmd(ctx: Ctx, args: str) -> None:
    """Show an order, or move it along: production, shipped, delivered, accepted; or set its promised date."""
    ref, rest = split_ref(ctx, args)
    if not ref:
        ctx.say("Which order? (number or customer)")
        ctx.ask("complete", {"prefix": "/order"})
        return
    o = lookup.order(ctx, ref, lambda r: f"/order {r} {rest}".rstrip(), open_when=is_open)
    if o is None:
        return
    words = rest.split()
    if not words:
        ctx.replies.append(card(ctx, o))
        return
    head = words[0].lower()
    if head in PROMISE:
        on = _promise_date(ctx, " ".join(words[1:])) if len(words) > 1 else None
        if on is None:
            ctx.say("Which date was promised? E.g.: /order {o} promise 2026-12-20", o=o.id)
            return
        fulfilment.promise(ctx.session, order=o, on=on, by=ctx.me, now=ctx.now)
        ctx.say("Order #{o}: delivery promised for {d}.", o=o.id, d=day(on, ctx.lang))
        return
    step = WORDS.get(head)
    if step is None:
        usage(ctx, "order")
        return
    carrier = tracking = None
    if step == "shipped":
        carrier, tracking = _carrier_tracking(words[1:])
        row = fulfilment.ship(ctx.session, order=o, by=ctx.me, now=ctx.now, carrier=carrier, tracking=tracking)
    else:
        row = fulfilment.RUN[step](ctx.session, order=o, by=ctx.me, now=ctx.now)
    deal_news.fulfilled(ctx, o, step, row.carrier, row.tracking)
    c = ctx.session.get(Customer, o.customer_id)
    owner = ctx.session.get(User, o.owner_id)
    if owner is not None and owner.id != ctx.me.id:
        ctx.notify(owner, deal_news.STEP_NEWS[step], o=o.id, c=esc(c.name if c else "?"), n=esc(ctx.me.name),
                   x=f" ({' · '.join(esc(x) for x in (row.carrier, row.tracking) if x)})"
                   if row.carrier or row.tracking else "",
                   buttons=((ctx.button(tr(ctx.lang_for(owner), "Open order"), f"say:/order {o.id}"),),))
    ctx.say("Order #{o} is now *{s}* ({d}).", o=o.id, s=state_name(ctx, step),
            d=day(ctx.local_now.date(), ctx.lang))
    ctx.replies.append(card(ctx, o))


def _carrier_tracking(words: list[str]) -> tuple[str | None, str | None]:
    """`SF 1234567890` → ("SF", "1234567890"): the last word with a digit in it is the tracking number."""
    idx = next((i for i in range(len(words) - 1, -1, -1) if any(ch.isdigit() for ch in words[i])), None)
    tracking = words[idx] if idx is not None else None
    carrier = " ".join(w for i, w in enumerate(words) if i != idx) or None
    return carrier, tracking


def _filter(ctx: Ctx, which: str) -> object:
    q = order_scope(ctx.me)
    if which == "mine":
        return q & (col(SalesOrder.owner_id) == ctx.me.id)
    if which == "open":
        return q & ((col(SalesOrder.fulfilment) != "accepted") | (col(SalesOrder.paid) < col(SalesOrder.amount)))
    return q


def listing(ctx: Ctx, which: str, page: int) -> Reply:
    """One page of /orders: newest first, where each stands, with Back / Next."""
    where = _filter(ctx, which)
    total = int(ctx.session.exec(select(func.count()).select_from(SalesOrder).where(where)).one())  # type: ignore[arg-type]
    if total == 0:
        return Reply(text=ctx.t("No orders yet (winning a deal makes one)."))
    pages = (total + PER_PAGE - 1) // PER_PAGE
    page = min(max(page, 1), pages)
    start = (page - 1) * PER_PAGE
    rows = ctx.session.exec(select(SalesOrder, Customer.name).join(Customer, col(Customer.id) == col(
        SalesOrder.customer_id)).where(where).order_by(col(SalesOrder.id).desc())  # type: ignore[arg-type]
        .offset(start).limit(PER_PAGE)).all()
    lines = [ctx.t("Orders {a}–{b} of {n}:", a=start + 1, b=start + len(rows), n=total)]
    for o, cname in rows:
        lines.append(f"#{o.id} {esc(cname)} · {money(o.amount, o.currency)} · {where_it_stands(ctx, o)}")
    nav = []
    if page > 1:
        nav.append(ctx.button(ctx.t("‹ Back"), f"ord.page:{which}:{page - 1}"))
    if page < pages:
        nav.append(ctx.button(ctx.t("Next ›"), f"ord.page:{which}:{page + 1}"))
    return Reply(text="\n".join(lines), buttons=(tuple(nav),) if nav else ())


@command("orders", "/orders [mine|team|open] [PAGE]", "orders and where each stands, newest first", personal=True)
def orders_cmd(ctx: Ctx, args: str) -> None:
    """List the orders the asker may see, a page at a time."""
    which, page = "team", 1
    for w in args.lower().split():
        if w in ("mine", "我的"):
            which = "mine"
        elif w in ("team", "团队", "all", "全部"):
            which = "team"
        elif w in ("open", "未完成"):
            which = "open"
        elif as_id(w) is not None:
            page = as_id(w) or 1
        else:
            usage(ctx, "orders")
            return
    ctx.replies.append(listing(ctx, which, page))


@click("ord.page", personal=True)
def page_click(ctx: Ctx, arg: str) -> None:
    """Another page of /orders, in place of the one shown."""
    which, _, page = arg.partition(":")
    if which in ("mine", "team", "open"):
        reply = listing(ctx, which, as_id(page) or 1)
        ctx.replies.append(Reply(text=reply.text, buttons=reply.buttons, edit="this"))

