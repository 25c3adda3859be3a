"""What the deal card (/deal N) shows below its stage history: the quote versions and their status, the order and
its payment progress, and the next follow-up."""

from __future__ import annotations

from sqlmodel import col, select

from handlers.commands.quotes import QUOTE_STATUS
from handlers.context import Ctx
from handlers.fmt import day, moment, money
from handlers.i18n import N_
from sales import activities, orders
from storage.models import Deal, Quote, SalesOrder


def quote_lines(ctx: Ctx, d: Deal) -> list[str]:
    """Every quote version of the deal, newest first: number, version, total, status."""
    rows = ctx.session.exec(select(Quote).where(col(Quote.deal_id) == d.id).order_by(col(Quote.version).desc())).all()
    if not rows:
        return []
    return [ctx.t("Quotes:")] + [
        ctx.t("  #{q} v{v} · {t} · {s}", q=q.id, v=q.version, t=money(q.total, q.currency),
              s=ctx.t(QUOTE_STATUS.get(q.status, q.status))) for q in rows]


def order_lines(ctx: Ctx, d: Deal) -> list[str]:
    """The deal's order, what was received of it, and its next open installment."""
    o = ctx.session.exec(select(SalesOrder).where(col(SalesOrder.deal_id) == d.id)).first()
    if o is None:
        return []
    share = int(o.paid * 100 / o.amount) if o.amount else 0
    lines = [ctx.t("Order #{o}: {m}, received {p} ({r}%)", o=o.id, m=money(o.amount, o.currency),
                   p=money(o.paid, o.currency), r=share)]
    plan = orders.installments(ctx.session, o.id or 0)
    if not plan and o.paid < o.amount:
        lines.append(ctx.t("No payment plan yet: /plan {o} 30% now, 70% 2027-01-15", o=o.id))
    nxt = next((i for i in plan if i.paid < i.amount), None)
    if nxt is not None:
        late = nxt.due_on < ctx.local_now.date()
        lines.append(ctx.t(N_("Next installment: {m} due {d} (overdue)") if late else N_("Next installment: {m} due {d}"),
                           m=money(nxt.amount - nxt.paid, o.currency), d=day(nxt.due_on, ctx.lang)))
    return lines


def followup_line(ctx: Ctx, d: Deal) -> list[str]:
    """The next open follow-up of the deal's customer."""
    fu = activities.next_followup(ctx.session, customer_id=d.customer_id)
    if fu is None:
        return [ctx.t("No follow-up planned.")]
    return [ctx.t("Next follow-up: {w}", w=moment(fu.due_at, ctx.tz, ctx.lang, fu.has_time))]


def lines(ctx: Ctx, d: Deal) -> list[str]:
    """All of the card's money and next-step lines."""
    return quote_lines(ctx, d) + order_lines(ctx, d) + followup_line(ctx, d)
