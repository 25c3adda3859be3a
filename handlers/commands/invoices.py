"""Invoices: /invoice request (a dialogue asks the buyer's title and tax number when they are not remembered),
finance's queue (/invoices) with Issue / Reject, /invoice issue|reject, and the requester told of the outcome."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from handlers import lookup
from handlers.amounts import money_arg
from handlers.commands.orders import INVOICE_STATES, is_open
from handlers.commands.payments import paid_date, split_ref
from handlers.context import Ctx
from handlers.fmt import day, money
from handlers.i18n import tr
from handlers.markup import esc
from handlers.registry import click, command, flow, usage
from handlers.types import Button, Reply
from sales import invoices, ranges
from sales.access import SELLERS, invoice_scope
from sales.errors import RuleError
from sales.refs import as_id
from storage.models import Customer, Invoice, SalesOrder, User

REQUEST = frozenset({"request", "ask", "new", "申请", "开票"})
ISSUE = frozenset({"issue", "issued", "开具", "已开"})
REJECT = frozenset({"reject", "refuse", "驳回", "拒绝"})
INSTALLMENT = frozenset({"installment", "inst", "期", "分期"})
TITLE = frozenset({"title", "抬头"})
TAX = frozenset({"tax", "税号"})
_NTH = re.compile(r"第?(\d{1,3})期")
PER_PAGE = 20


def _roles() -> frozenset[str]:
    return frozenset({"rep", "manager", "finance", "admin"})


@command("invoice", "/invoice request ORDER [installment N] [AMOUNT] [title TITLE] [tax TAX_NO] | /invoice N | "
         "/invoice issue N NUMBER [DATE] | /invoice reject N REASON",
         "ask finance for an invoice, show one, or (finance) issue or reject it", roles=_roles(), personal=True,
         shared=())
def invoice_cmd(ctx: Ctx, args: str) -> None:
    """Route /invoice request|issue|reject and /invoice N."""
    head, _, rest = args.strip().partition(" ")
    word = head.lower()
    if word in REQUEST:
        if ctx.me.role not in SELLERS:
            ctx.say("Invoices are requested by the order's seller; finance issues them with /invoices.")
            return
        _request(ctx, rest.strip())
    elif word in ISSUE or word in REJECT:
        num, _, more = rest.strip().partition(" ")
        inv = _find(ctx, num)
        if inv is None:
            return
        if word in ISSUE:
            _issue(ctx, inv, more)
        else:
            _reject(ctx, inv, more)
    elif as_id(head) is not None and not rest.strip():
        inv = _find(ctx, head)
        if inv is not None:
            ctx.replies.append(_show(ctx, inv))
    else:
        usage(ctx, "invoice")


def _find(ctx: Ctx, ref: str) -> Invoice | None:
    num = as_id(ref)
    inv = invoices.find(ctx.session, user=ctx.me, invoice_id=num) if num else None
    if inv is None:
        ctx.say("No invoice {n} found. See /invoices.", n=esc(ref[:20]) or "?")
    return inv


def _read_request(words: list[str]) -> dict[str, str]:
    """The parts of `[installment N] [AMOUNT] [title …] [tax …]`, as typed."""
    out: dict[str, str] = {}
    key: str | None = None
    loose: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        low = w.lower()
        nth = _NTH.fullmatch(w)
        if low in INSTALLMENT and i + 1 < len(words):
            out["inst"] = words[i + 1]
            i += 2
            key = None
            continue
        if nth:
            out["inst"] = nth.group(1)
            key = None
        elif low in TITLE:
            key = "title"
            out["title"] = ""
        elif low in TAX:
            key = "tax"
            out["tax"] = ""
        elif key is not None:
            out[key] = f"{out[key]} {w}".strip()
        else:
            loose.append(w)
        i += 1
    if loose:
        out["amount"] = " ".join(loose)
    return out


def _request(ctx: Ctx, args: str) -> None:
    ref, rest = split_ref(ctx, args)
    if not ref:
        ctx.say("Which order is the invoice for? (number or customer)")
        ctx.ask("complete", {"prefix": "/invoice request"})
        return
    o = lookup.order(ctx, ref, lambda r: f"/invoice request {r} {rest}".rstrip(), open_when=is_open)
    if o is None:
        return
    parts = _read_request(rest.split())
    if "amount" in parts:
        typed = money_arg(parts["amount"])
        if typed.currency is not None and typed.currency != o.currency:
            raise RuleError("currency_mismatch", given=typed.currency, expected=o.currency)
        parts["amount"] = str(ranges.check_money(typed.amount))
    if "inst" in parts and as_id(parts["inst"]) is None:
        usage(ctx, "invoice")
        return
    _ask_or_make(ctx, {"order": o.id, **parts})


def _ask_or_make(ctx: Ctx, data: dict[str, Any]) -> None:
    """Ask for the title, then the tax number, when neither was given nor remembered; else make the request."""
    o = ctx.session.get(SalesOrder, int(data["order"]))
    if o is None:
        return
    known = invoices.billing(ctx.session, o.customer_id)
    if not str(data.get("title", "")).strip():
        if known is None:
            ctx.say("The buyer's title on the invoice (the company's full name)?")
            ctx.ask("inv.title", data)
            return
        data["title"] = known.title
    if not str(data.get("tax", "")).strip():
        if known is None:
            ctx.say("The buyer's tax number (unified social credit code)?")
            ctx.ask("inv.tax", data)
            return
        data["tax"] = known.tax_no
    amount = Decimal(str(data["amount"])) if data.get("amount") else None
    inst = as_id(str(data["inst"])) if data.get("inst") else None
    inv = invoices.request(ctx.session, order=o, by=ctx.me, now=ctx.now, title=str(data["title"]),
                           tax_no=str(data["tax"]), amount=amount, installment=inst)
    c = ctx.session.get(Customer, o.customer_id)
    ctx.say("Invoice #{i} requested for order #{o} ({c}): {m}, title {t}, tax number {x}. Finance is told; you "
            "hear when it is issued.", i=inv.id, o=o.id, c=esc(c.name if c else "?"),
            m=money(inv.amount, inv.currency), t=esc(inv.title), x=esc(inv.tax_no))
    for f in ctx.session.exec(select(User).where(col(User.role) == "finance", col(User.active).is_(True))).all():
        ctx.notify(f, "🧾 {n} asks for an invoice: #{i}, order #{o} ({c}), {m}.", n=esc(ctx.me.name), i=inv.id,
                   o=o.id, c=esc(c.name if c else "?"), m=money(inv.amount, inv.currency),
                   buttons=_decide_buttons(ctx, f, inv.id or 0))


def _decide_buttons(ctx: Ctx, reader: User, iid: int) -> tuple[tuple[Button, ...], ...]:
    lang = ctx.lang_for(reader)
    return ((ctx.button(tr(lang, "Issue"), f"inv.issue:{iid}", style="primary"),
             ctx.button(tr(lang, "Reject"), f"inv.no:{iid}", style="danger")),)


@flow("inv.title", personal=True)
def title_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The buyer's title, asked by /invoice request."""
    if not text.strip():
        ctx.say("The buyer's title on the invoice (the company's full name)?")
        ctx.ask("inv.title", data)
        return
    _ask_or_make(ctx, {**data, "title": text.strip()})


@flow("inv.tax", personal=True)
def tax_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The buyer's tax number, asked by /invoice request."""
    try:
        invoices.clean_tax_no(text)
    except RuleError:
        ctx.say("“{v}” is not a tax number (6 to 30 letters and digits). The buyer's tax number?",
                v=esc(text.strip()[:40]))
        ctx.ask("inv.tax", data)
        return
    _ask_or_make(ctx, {**data, "tax": text.strip()})


def _issue(ctx: Ctx, inv: Invoice, rest: str) -> None:
    words = rest.split()
    if not words:
        raise RuleError("invoice_needs_number")
    on = ctx.local_now.date()
    if len(words) > 1:
        got = paid_date(ctx, " ".join(words[1:]))
        if got is None:
            usage(ctx, "invoice")
            return
        on = ranges.check_paid_on(got, on)
    invoices.issue(ctx.session, invoice=inv, number=words[0], issued_on=on, by=ctx.me, now=ctx.now)
    o = ctx.session.get(SalesOrder, inv.order_id)
    ctx.say("Invoice #{i} issued: No. {n}, {d}, {m}.", i=inv.id, n=esc(inv.number or ""), d=day(on, ctx.lang),
            m=money(inv.amount, inv.currency))
    who = ctx.session.get(User, inv.requested_by)
    if who is not None and who.id != ctx.me.id and o is not None:
        ctx.notify(who, "🧾 Invoice #{i} for order #{o} is issued: No. {n}, {d}, {m}.", i=inv.id, o=o.id,
                   n=esc(inv.number or ""), d=day(on, ctx.lang_for(who)), m=money(inv.amount, inv.currency))


def _reject(ctx: Ctx, inv: Invoice, reason: str) -> None:
    invoices.reject(ctx.session, invoice=inv, reason=reason, by=ctx.me, now=ctx.now)
    ctx.say("Invoice #{i} rejected; the requester is told why.", i=inv.id)
    who = ctx.session.get(User, inv.requested_by)
    if who is not None and who.id != ctx.me.id:
        ctx.notify(who, "🧾 Invoice #{i} for order #{o} was rejected: {r}. Ask again with /invoice request {o}.",
                   i=inv.id, o=inv.order_id, r=esc(inv.reason or ""))


def _show(ctx: Ctx, inv: Invoice) -> Reply:
    c = ctx.session.get(Customer, inv.customer_id)
    who = ctx.session.get(User, inv.requested_by)
    lines = [ctx.t("*Invoice #{i}* · order #{o} · {c}", i=inv.id, o=inv.order_id, c=esc(c.name if c else "?")),
             ctx.t("{m} · {s} · asked by {n} on {d}", m=money(inv.amount, inv.currency),
                   s=ctx.t(INVOICE_STATES.get(inv.status, inv.status)), n=esc(who.name if who else "?"),
                   d=day(inv.requested_at.astimezone(ctx.tz).date(), ctx.lang)),
             ctx.t("Title {t} · tax number {x}", t=esc(inv.title), x=esc(inv.tax_no))]
    if inv.number:
        lines.append(ctx.t("No. {n}, {d}", n=esc(inv.number), d=day(inv.issued_on or date.min, ctx.lang)))
    if inv.reason:
        lines.append(ctx.t("Rejected: {r}", r=esc(inv.reason)))
    buttons = _decide_buttons(ctx, ctx.me, inv.id or 0) if inv.status == "requested" and \
        ctx.me.role in ("finance", "admin") else ()
    return Reply(text="\n".join(lines), buttons=buttons)


def queue(ctx: Ctx, status: str | None, page: int) -> Reply:
    """A page of invoices: finance's queue of requests (Issue / Reject each), or a seller's invoices."""
    start = (max(page, 1) - 1) * PER_PAGE
    rows, total = invoices.listing(ctx.session, scope=invoice_scope(ctx.me), status=status, limit=PER_PAGE,
                                   offset=start)
    if total == 0:
        return Reply(text=ctx.t("No invoices waiting.") if status == "requested" else ctx.t("No invoices yet."))
    if not rows:
        return queue(ctx, status, 1)
    custs = {c.id: c.name for c in ctx.session.exec(select(Customer).where(
        col(Customer.id).in_({r.customer_id for r in rows}))).all()}
    head = ctx.t("Invoices waiting {a}–{b} of {n}:", a=start + 1, b=start + len(rows), n=total) \
        if status == "requested" else ctx.t("Invoices {a}–{b} of {n}:", a=start + 1, b=start + len(rows), n=total)
    lines = [head]
    decide = status == "requested" and ctx.me.role in ("finance", "admin")
    buttons: list[tuple[Button, ...]] = []
    for inv in rows:
        lines.append(f"#{inv.id} · {ctx.t('order')} #{inv.order_id} {esc(custs.get(inv.customer_id, '?'))} · "
                     f"{money(inv.amount, inv.currency)} · {ctx.t(INVOICE_STATES.get(inv.status, inv.status))}"
                     + (f" · {esc(inv.number)}" if inv.number else "")
                     + (f"\n    {esc(inv.title)} · {esc(inv.tax_no)}" if decide else ""))
        if decide and len(buttons) < 10:
            buttons.append((ctx.button(f"✓ #{inv.id}", f"inv.issue:{inv.id}", style="primary"),
                            ctx.button(f"✗ #{inv.id}", f"inv.no:{inv.id}", style="danger")))
    nav = []
    which = status or "all"
    if start > 0:
        nav.append(ctx.button(ctx.t("‹ Back"), f"inv.page:{which}:{page - 1}"))
    if start + len(rows) < total:
        nav.append(ctx.button(ctx.t("Next ›"), f"inv.page:{which}:{page + 1}"))
    if nav:
        buttons.append(tuple(nav))
    return Reply(text="\n".join(lines), buttons=tuple(buttons))


STATUS_WORDS = {"all": None, "全部": None, "requested": "requested", "waiting": "requested", "待开": "requested",
                "issued": "issued", "已开": "issued", "rejected": "rejected", "驳回": "rejected"}


@command("invoices", "/invoices [requested|issued|rejected|all] [PAGE]",
         "invoices: finance's queue of requests, or the ones you asked for", roles=_roles(), personal=True)
def invoices_cmd(ctx: Ctx, args: str) -> None:
    """Finance: the requests waiting; sellers: every invoice they may see."""
    status: str | None = "requested" if ctx.me.role in ("finance", "admin") else None
    page = 1
    for w in args.lower().split():
        if w in STATUS_WORDS:
            status = STATUS_WORDS[w]
        elif as_id(w) is not None:
            page = as_id(w) or 1
        else:
            usage(ctx, "invoices")
            return
    ctx.replies.append(queue(ctx, status, page))


@click("inv.page", personal=True)
def page_click(ctx: Ctx, arg: str) -> None:
    """Another page of /invoices, in place of the one shown."""
    which, _, page = arg.partition(":")
    if which in STATUS_WORDS:
        reply = queue(ctx, STATUS_WORDS[which], as_id(page) or 1)
        ctx.replies.append(Reply(text=reply.text, buttons=reply.buttons, edit="this"))


@click("inv.issue", personal=True)
def issue_click(ctx: Ctx, arg: str) -> None:
    """[Issue]: ask for the invoice number (and date)."""
    inv = _decidable(ctx, arg)
    if inv is not None:
        ctx.say("Invoice #{i} ({m}): its number? Add the date if it is not today, e.g.: 04521234 2026-12-01",
                i=inv.id, m=money(inv.amount, inv.currency))
        ctx.ask("inv.number", {"id": inv.id})


@click("inv.no", personal=True)
def reject_click(ctx: Ctx, arg: str) -> None:
    """[Reject]: ask for the reason."""
    inv = _decidable(ctx, arg)
    if inv is not None:
        ctx.say("Why is invoice #{i} rejected? (the requester reads it)", i=inv.id)
        ctx.ask("inv.reason", {"id": inv.id})


def _decidable(ctx: Ctx, arg: str) -> Invoice | None:
    if ctx.user is None or ctx.me.role not in ("finance", "admin"):
        raise RuleError("finance_invoices")
    inv = _find(ctx, arg)
    if inv is not None and inv.status != "requested":
        raise RuleError("invoice_decided", invoice=inv.id)
    return inv


@flow("inv.number", personal=True)
def number_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The invoice number (and date) after [Issue]."""
    inv = _find(ctx, str(data.get("id", "")))
    if inv is not None:
        _issue(ctx, inv, text)


@flow("inv.reason", personal=True)
def reason_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The reason after [Reject]."""
    inv = _find(ctx, str(data.get("id", "")))
    if inv is not None:
        _reject(ctx, inv, text)
