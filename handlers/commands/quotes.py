"""Quotes in one line or as a dialogue, and discount approvals decided with one tap."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from handlers import deal_news, lookup
from handlers.context import Ctx
from handlers.fmt import moment, money, pct
from handlers.i18n import N_, tr
from handlers.markup import esc
from handlers.parsing import find_discount
from handlers.registry import click, command, flow, usage
from handlers.types import Button, Reply
from sales import quotes
from sales.access import MANAGERS, SELLERS, can_see_deal, deal_scope
from sales.errors import RuleError
from sales.refs import as_id
from storage import locks
from storage.models import Approval, Customer, Deal, Quote, User

_DISCOUNT = re.compile(r"\s+(?:discount|折扣|优惠|打折)\s*[:：]?\s*(\S+)\s*$", re.I)
_ZHE = re.compile(r"\s+(\S*折)\s*$")


def read_discount(text: str) -> Decimal:
    """A discount argument: 15%, 15, 八五折, 85折 → percent off."""
    t = text.strip()
    if t.endswith(("%", "％")):
        return quotes.number(t[:-1])
    if re.fullmatch(r"\d{1,2}(\.\d+)?", t):
        return Decimal(t)
    found = find_discount(t)
    if found is None:
        raise RuleError("bad_discount", value=t)
    return found


QUOTE_STATUS = {"draft": N_("draft"), "pending": N_("waiting for approval"), "approved": N_("approved"),
                "rejected": N_("rejected"), "cancelled": N_("cancelled")}


@command("quote", "/quote new DEAL ITEM QTY UNIT_PRICE [; …] [discount D] | /quote Q",
         "make a quote (discounts over your limit go for approval), or show one", personal=True)
def quote_cmd(ctx: Ctx, args: str) -> None:
    """Route /quote new … and /quote Q."""
    head, _, rest = args.strip().partition(" ")
    if head.lower() in ("new", "add", "新建"):
        if ctx.me.role not in SELLERS:
            ctx.say("Your role can't make quotes.")
            return
        new(ctx, rest.strip())
    elif head.lstrip("#").isdigit():
        show(ctx, as_id(head) or 0)
    else:
        usage(ctx, "quote")


def new(ctx: Ctx, args: str) -> None:
    """`DEAL lines… [discount D]`: create at once, or open the quote dialogue."""
    discount: Decimal | None = None
    m = _DISCOUNT.search(" " + args) or _ZHE.search(" " + args)
    if m:
        discount = read_discount(m.group(1))
        args = (" " + args)[: m.start()].strip()
    words = args.split()
    if not words:
        ctx.say("Quote for which deal? (number or customer)")
        ctx.ask("complete", {"prefix": "/quote new"})
        return
    if as_id(words[0]) is not None:
        ref, rest = words[0], " ".join(words[1:])
    else:
        ref, rest = lookup.split_name(ctx, args)
    tail = f" {rest}" + (f" discount {discount}%" if discount is not None else "")
    d = lookup.deal(ctx, ref, lambda r: f"/quote new {r}{tail}")
    if d is None:
        return
    if not rest.strip():
        ctx.say("Send the lines: ITEM QTY UNIT_PRICE (one per message, or several separated by ;). Send “done” when finished.")
        ctx.ask("quote", {"deal": d.id, "lines": []})
        return
    lines = quotes.parse_lines(rest)
    if discount is None:
        discount = Decimal(0)
    create(ctx, d, lines, discount)


def create(ctx: Ctx, d: Deal, lines: list[quotes.Line], discount: Decimal) -> None:
    """Create the quote and, above the limit, send the approval request."""
    made = quotes.create_quote(ctx.session, deal=d, lines=lines, discount=discount, by=ctx.me, now=ctx.now)
    q = made.quote
    deal_news.quoted(ctx, d, q, made.approval.id if made.approval else None, [u.name for u in made.approvers])
    c = ctx.session.get(Customer, d.customer_id)
    summary = ctx.t("Quote #{q} ({c}, v{v}): subtotal {s}, discount {d}, total {t}",
                    q=q.id, c=esc(c.name if c else "?"), v=q.version, s=money(q.subtotal), d=pct(q.discount),
                    t=money(q.total))
    if made.approval is None:
        ctx.say("{s}\nThe discount is within your limit: approved.", s=summary)
        return
    names = ctx.t(", ").join(esc(u.name) for u in made.approvers)
    ctx.say("{s}\nThe discount is over your limit ({l}); sent to {n} for approval.",
            s=summary, l=pct(ctx.me.discount_limit), n=names)
    aid = made.approval.id
    for approver in made.approvers:
        lang = ctx.lang_for(approver)
        ctx.notify(approver, "{r} asks you to approve a discount:\n{s}",
                   r=esc(ctx.me.name), s=_summary_for(lang, q, c),
                   buttons=((Button(label=tr(lang, "Approve"), action=f"ap.ok:{aid}", style="primary"),
                             Button(label=tr(lang, "Reject"), action=f"ap.no:{aid}", style="danger")),))


def _summary_for(lang: str, q: Quote, c: Customer | None) -> str:
    return tr(lang, "Quote #{q} ({c}): subtotal {s}, discount {d}, total {t}", q=q.id, c=esc(c.name if c else "?"),
              s=money(q.subtotal), d=pct(q.discount), t=money(q.total))


def show(ctx: Ctx, qid: int) -> None:
    """A quote with its lines and status."""
    q = ctx.session.get(Quote, qid)
    if q is None or not can_see_deal(ctx.session, ctx.me, q.deal_id):
        ctx.say("No quote #{n} found.", n=qid)
        return
    lines = [ctx.t("*Quote #{q}* v{v} · {s}", q=q.id, v=q.version, s=ctx.t(QUOTE_STATUS.get(q.status, q.status)))]
    for ln in quotes.lines_of(ctx.session, qid):
        lines.append(f"  {esc(ln.item)} × {ln.qty.normalize():f} @ {money(ln.unit_price)} = {money(ln.amount)}")
    lines.append(ctx.t("Subtotal {s}, discount {d}, total {t}",
                       s=money(q.subtotal), d=pct(q.discount), t=money(q.total)))
    ctx.say("{b}", b="\n".join(lines))


@command("approvals", "/approvals", "discounts waiting for my approval",
         roles=MANAGERS, personal=True)
def approvals(ctx: Ctx, args: str) -> None:
    """Pending approvals this person may decide, each with its buttons."""
    pending = quotes.pending_for(ctx.session, user=ctx.me)
    if not pending:
        ctx.say("No discounts waiting for you.")
        return
    for ap in pending:
        q = ctx.session.get(Quote, ap.quote_id)
        d = ctx.session.get(Deal, q.deal_id) if q else None
        c = ctx.session.get(Customer, d.customer_id) if d else None
        r = ctx.session.get(User, ap.requested_by)
        if q is None:
            continue
        text = f"{esc(r.name if r else '?')}: {_summary_for(ctx.lang, q, c)}"
        ctx.replies.append(Reply(text=text, buttons=((
            ctx.button(ctx.t("Approve"), f"ap.ok:{ap.id}", style="primary"),
            ctx.button(ctx.t("Reject"), f"ap.no:{ap.id}", style="danger")),)))


@click("ap.ok", personal=False)
def approve_click(ctx: Ctx, arg: str) -> None:
    """The Approve button of a discount request."""
    decide(ctx, as_id(arg) or 0, True)


@click("ap.no", personal=False)
def reject_click(ctx: Ctx, arg: str) -> None:
    """The Reject button of a discount request."""
    decide(ctx, as_id(arg) or 0, False)


def decide(ctx: Ctx, approval_id: int, approve: bool) -> None:
    """One tap on Approve or Reject; a second tap says who decided."""
    ap = ctx.session.get(Approval, approval_id)
    if ap is None:
        ctx.say("That approval does not exist.")
        return
    locks.for_update(ctx.session, ap)  # an approve and a reject at once: the second is told who decided
    if ap.status != "pending":
        who = ctx.session.get(User, ap.decided_by) if ap.decided_by else None
        status = {"approved": N_("approved"), "rejected": N_("rejected"),
                  "cancelled": N_("cancelled (the quote was changed)")}.get(ap.status, ap.status)
        at = moment(ap.decided_at, ctx.tz, ctx.lang) if ap.decided_at else ""
        ctx.say("This approval was {s}{b} {t}.", s=ctx.t(status),
                b=(ctx.t(" by {n}", n=esc(who.name)) if who else ""), t=at)
        return
    q = quotes.decide(ctx.session, approval=ap, by=ctx.me, approve=approve, now=ctx.now)
    deal_news.decided(ctx, q, approve)
    d = ctx.session.get(Deal, q.deal_id)
    c = ctx.session.get(Customer, d.customer_id) if d else None
    ctx.replies.append(Reply(text=ctx.t("{v}: quote #{q} ({c}, discount {d}) — {n}",
                                        v=ctx.t("✅ Approved") if approve else ctx.t("❌ Rejected"),
                                        q=q.id, c=esc(c.name if c else "?"), d=pct(q.discount), n=esc(ctx.me.name)),
                             edit="this"))
    requester = ctx.session.get(User, ap.requested_by)
    if requester is not None:
        if approve:
            ctx.notify(requester, "✅ {n} approved the {d} discount on quote #{q} ({c}); total {t}.",
                       n=esc(ctx.me.name), q=q.id, c=esc(c.name if c else "?"), d=pct(q.discount), t=money(q.total))
        else:
            ctx.notify(requester, "❌ {n} rejected the {d} discount on quote #{q} ({c}). Make a new one with /quote new.",
                       n=esc(ctx.me.name), q=q.id, c=esc(c.name if c else "?"), d=pct(q.discount))
    others = quotes.approvers_for(ctx.session, ap, requester) if requester else []
    for other in others:
        if other.id != ctx.me.id:
            ctx.notify(other, "The discount on quote #{q} was decided by {n}.",
                       q=q.id, n=esc(ctx.me.name))


@flow("quote", personal=False)
def quote_lines_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The quote dialogue's lines."""
    pending_quote_lines(ctx, int(data["deal"]), list(data.get("lines", [])), text)


@flow("quote_discount", personal=False)
def quote_discount_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The quote dialogue's discount."""
    pending_quote_discount(ctx, int(data["deal"]), list(data.get("lines", [])), text)


def pending_quote_lines(ctx: Ctx, deal_id: int, lines: list[list[str]], text: str) -> None:
    """One step of the quote dialogue: collect lines, then the discount."""
    if text.strip().lower() in ("done", "完成", "好了", "ok"):
        if not lines:
            ctx.say("No lines yet. Write: ITEM QTY UNIT_PRICE")
            ctx.ask("quote", {"deal": deal_id, "lines": lines})
            return
        ctx.say("What discount? (e.g. 15% or 85折; 0 for none)",
                buttons=(tuple(ctx.button(x, f"say:{x}") for x in ("0", "5%", "10%", "15%")),))
        ctx.ask("quote_discount", {"deal": deal_id, "lines": lines})
        return
    for ln in quotes.parse_lines(text):
        lines.append([ln.item, str(ln.qty), str(ln.unit_price)])
    ctx.say("{n} line(s) so far. Send more, or “done”.", n=len(lines),
            buttons=((ctx.button(ctx.t("Done"), "say:done"),),))
    ctx.ask("quote", {"deal": deal_id, "lines": lines})


def pending_quote_discount(ctx: Ctx, deal_id: int, lines: list[list[str]], text: str) -> None:
    """The last step of the quote dialogue."""
    d = ctx.session.exec(select(Deal).where(col(Deal.id) == deal_id, deal_scope(ctx.me))).first()
    if d is None:  # gone, or no longer this person's to see (reassigned meanwhile)
        ctx.say("No deal {n} found.", n=deal_id)
        return
    discount = read_discount(text)
    create(ctx, d, [quotes.Line(item=i, qty=Decimal(q), unit_price=Decimal(p)) for i, q, p in lines], discount)
