"""Quotes in one line or as a dialogue, and discount approvals decided with one tap."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from handlers import deal_news, lookup, paging
from handlers.amounts import count_arg, money_arg
from handlers.context import Ctx
from handlers.fmt import moment, money, pct
from handlers.i18n import N_, tr
from handlers.markup import esc
from handlers.parsing import find_discount
from handlers.parsing.amounts import read_amount
from handlers.registry import click, command, flow, usage
from handlers.types import Button, Reply
from sales import quotes
from sales.access import MANAGERS, SELLERS, can_see_deal, deal_scope
from sales.errors import RuleError
from sales.refs import as_id
from storage import locks
from storage.models import Approval, Customer, Deal, Quote, User

# The discount at the end of a one-line quote: "discount 15%", "优惠5个点", "打9折", "85折", "15% off".
_DISCOUNT = re.compile(
    r"\s+((?:discount|折扣|优惠|打折|降价|让利)\s*[:：]?\s*\S+|打?\s*\S*折|\d{1,2}(?:\.\d+)?\s*%\s*off)\s*$", re.I)
_DISCOUNT_WORD = re.compile(r"^(?:discount|折扣|打折)\s*[:：]?\s*", re.I)


def read_discount(text: str) -> Decimal:
    """A discount argument as percent off: 15%, 15, 0, 八五折, 85折, 优惠5个点, 15% off."""
    t = _DISCOUNT_WORD.sub("", text.strip())
    bare = re.fullmatch(r"(\d{1,3}(?:\.\d+)?)\s*[%％]?", t)
    if bare:
        value = Decimal(bare.group(1))
        if not 0 <= value < 100:
            raise RuleError("bad_discount", value=t)
        return value
    found = find_discount(t)
    if found is None:
        raise RuleError("bad_discount", value=t)
    return found


_LINE_SPLIT = re.compile(r"[;；\n]")


def parse_lines(text: str) -> list[quotes.Line]:
    """Lines written `ITEM QTY UNIT_PRICE; …`: a count (50, 50台) and a price (1万2, $300, 1.2k USD)."""
    return read_lines(text)[0]


def read_lines(text: str) -> tuple[list[quotes.Line], str | None]:
    """The lines and the one currency their prices are marked in (None when unmarked); two currencies are refused."""
    lines = []
    marked: set[str] = set()
    for part in _LINE_SPLIT.split(text):
        words = part.split()
        if not words:
            continue
        price = read_amount(" ".join(words[-2:])) if len(words) >= 4 else None
        cut = 2 if price is not None else 1
        if price is None:
            price = read_amount(words[-1])
        if len(words) < cut + 2:
            raise RuleError("bad_line", line=part.strip())
        if price is None:
            money_arg(" ".join(words[-cut:]))  # says why: not positive, or not a number
            raise RuleError("bad_line", line=part.strip())
        qty = count_arg(words[-cut - 1])
        if price.currency:
            marked.add(price.currency)
        lines.append(quotes.Line(item=" ".join(words[: -cut - 1])[:200], qty=qty, unit_price=price.amount))
    if not lines:
        raise RuleError("no_lines")
    if len(lines) > quotes.MAX_LINES:
        raise RuleError("too_many_lines", limit=quotes.MAX_LINES)
    if len(marked) > 1:
        raise RuleError("mixed_currency", codes=", ".join(sorted(marked)))
    return lines, (marked.pop() if marked else None)


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
    m = _DISCOUNT.search(" " + args)
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
    lines, currency = read_lines(rest)
    if discount is None:
        discount = Decimal(0)
    create(ctx, d, lines, discount, currency)


def create(ctx: Ctx, d: Deal, lines: list[quotes.Line], discount: Decimal, currency: str | None = None) -> None:
    """Create the quote (in the prices' currency, else the deal's) and, above the limit, ask for approval."""
    made = quotes.create_quote(ctx.session, deal=d, lines=lines, discount=discount, by=ctx.me, now=ctx.now,
                               currency=currency)
    q = made.quote
    deal_news.quoted(ctx, d, q, made.approval.id if made.approval else None, [u.name for u in made.approvers])
    c = ctx.session.get(Customer, d.customer_id)
    summary = ctx.t("Quote #{q} ({c}, v{v}): subtotal {s}, discount {d}, total {t}",
                    q=q.id, c=esc(c.name if c else "?"), v=q.version, s=money(q.subtotal, q.currency),
                    d=pct(q.discount), t=money(q.total, q.currency))
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
              s=money(q.subtotal, q.currency), d=pct(q.discount), t=money(q.total, q.currency))


def show(ctx: Ctx, qid: int) -> None:
    """A quote with its lines and status."""
    q = ctx.session.get(Quote, qid)
    if q is None or not can_see_deal(ctx.session, ctx.me, q.deal_id):
        ctx.say("No quote #{n} found.", n=qid)
        return
    lines = [ctx.t("*Quote #{q}* v{v} · {s}", q=q.id, v=q.version, s=ctx.t(QUOTE_STATUS.get(q.status, q.status)))]
    for ln in quotes.lines_of(ctx.session, qid):
        lines.append(f"  {esc(ln.item)} × {ln.qty.normalize():f} @ {money(ln.unit_price, q.currency)} = {money(ln.amount, q.currency)}")
    lines.append(ctx.t("Subtotal {s}, discount {d}, total {t}",
                       s=money(q.subtotal, q.currency), d=pct(q.discount), t=money(q.total, q.currency)))
    ctx.say("{b}", b="\n".join(lines))


APPROVALS_PAGE = 10  # one message each, with its buttons


@command("approvals", "/approvals", "discounts waiting for my approval",
         roles=MANAGERS, personal=True)
def approvals(ctx: Ctx, args: str) -> None:
    """Pending approvals this person may decide, each with its buttons, ten at a time."""
    args = paging.take_page(ctx, args)
    page = paging.of_items(ctx, quotes.pending_for(ctx.session, user=ctx.me), size=APPROVALS_PAGE)
    if not page.items:
        ctx.say("No discounts waiting for you.")
        return
    for ap in page.items:
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
    if page.pages > 1:
        ctx.replies.append(Reply(text=paging.span(ctx, page), buttons=paging.buttons(ctx, page, "/approvals")))


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
                       n=esc(ctx.me.name), q=q.id, c=esc(c.name if c else "?"), d=pct(q.discount), t=money(q.total, q.currency))
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
    read, currency = read_lines(text)
    for ln in read:
        lines.append([ln.item, str(ln.qty), str(ln.unit_price)] + ([currency] if currency else []))
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
    marked = {ln[3] for ln in lines if len(ln) > 3}
    if len(marked) > 1:
        raise RuleError("mixed_currency", codes=", ".join(sorted(marked)))
    create(ctx, d, [quotes.Line(item=ln[0], qty=Decimal(ln[1]), unit_price=Decimal(ln[2])) for ln in lines], discount,
           marked.pop() if marked else None)
