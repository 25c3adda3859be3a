"""Logging visits, calls and notes, with what the bot understood and Undo / Edit."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select

from handlers import deal_news, lookup, parsing
from handlers.amounts import home_currency
from handlers.context import Ctx
from handlers.fmt import money, pct, when
from handlers.i18n import N_
from handlers.markup import esc
from handlers.parsing import understand
from handlers.registry import click, command, flow
from handlers.types import Button
from sales import activities, audit, customers
from sales.access import SELLERS, customer_scope
from sales.names import name_key
from sales.refs import as_id
from storage.models import Activity, Contact, Customer

UNDONE = {"visit": N_("That visit was undone."), "call": N_("That call was undone."), "note": N_("That note was undone.")}
LOGGED = {"visit": N_("Logged visit: *{c}*"), "call": N_("Logged call: *{c}*"), "note": N_("Logged note: *{c}*")}
CHECKIN_WINDOW = timedelta(minutes=30)


def log(ctx: Ctx, kind: str, args: str) -> None:
    """Log an activity of `kind` from `CUSTOMER text…`."""
    named = lookup.leading_customer(ctx, args, f"/{kind}", N_("For which customer?"))
    if named is None:
        return
    c, text = named
    if not text.strip():
        ctx.say("What happened? (mention the next follow-up if there is one)")
        ctx.ask("complete", {"prefix": f"/{kind} #{c.id}"})
        return
    got = parsing.read_note(text, ctx.local_now, home_currency(ctx))
    if got.when is None and got.ambiguous and _ask_which_week(ctx, kind, c.id or 0, text):
        return
    done = activities.log_activity(ctx.session, by=ctx.me, customer=c, kind=kind, text=text, now=ctx.now,
                                   tz=ctx.tz, when=got.when, amount=got.amount,
                                   currency=got.currency or home_currency(ctx))
    deal_news.logged(ctx, done, got.when if done.followup_id is not None else None)
    parts = [ctx.t(LOGGED[kind], c=esc(c.name))]
    if got.person:
        parts.append(ctx.t("Met: {p}", p=esc(got.person) + (f" · {esc(got.title)}" if got.title else "")))
    elif got.title:
        parts.append(ctx.t("Title: {t}", t=esc(got.title)))
    if got.quantity is not None:
        parts.append(ctx.t("Quantity: {n} {u}", n=got.quantity.count, u=esc(got.quantity.unit)))
    if done.followup_id is not None and got.when is not None:
        parts.append(ctx.t("Next follow-up: {w}", w=when(got.when, ctx.lang)))
    elif done.past_date is not None:
        parts.append(ctx.t("The time {w} is in the past; no follow-up set.",
                           w=when(done.past_date, ctx.lang)))
    if got.amount is not None:
        parts.append(ctx.t("Amount: {m}", m=money(got.amount, got.currency or home_currency(ctx))))
    if got.discount is not None:
        parts.append(ctx.t("Discount: {d}", d=pct(got.discount)))
    aid = done.activity_id
    rows: list[tuple[Button, ...]] = [(ctx.button(ctx.t("Undo"), f"act.undo:{aid}", style="danger"),
                                      ctx.button(ctx.t("Edit"), f"act.edit:{aid}"))]
    if got.person and not _is_contact(ctx, c, got.person):
        label = ctx.t("Add {p} as a contact", p=got.person + (f" ({got.title})" if got.title else ""))
        rows.append((ctx.button(label, f"ct.new:{c.id}|{got.person}|{got.title or ''}", style="primary"),))
    ctx.say("{b}", b="\n".join(parts), buttons=tuple(rows))


_CONTACT_NAMES = select(Contact.name).where(col(Contact.customer_id) == bindparam("customer"))  # built once


def _is_contact(ctx: Ctx, c: Customer, person: str) -> bool:
    """Whether the customer has a contact of this name (张总 and 张总 alike, case and spaces aside)."""
    names = ctx.session.exec(_CONTACT_NAMES, params={"customer": c.id}).all()
    key = "".join(person.split()).casefold()
    return any("".join(n.split()).casefold() == key for n in names)


@click("ct.new", personal=False)
def new_contact_click(ctx: Ctx, arg: str) -> None:
    """The one-tap button that makes the person a note named a contact of its customer, with the title."""
    cid, _, rest = arg.partition("|")
    name, _, title = rest.partition("|")
    c = ctx.session.exec(select(Customer).where(col(Customer.id) == (as_id(cid) or 0), customer_scope(ctx.me))).first()
    if c is None or ctx.me.role not in SELLERS:
        ctx.say("No such customer.")
        return
    if _is_contact(ctx, c, name):
        ctx.say("{p} is already a contact of {c}.", p=esc(name), c=esc(c.name))
        return
    customers.add_contact(ctx.session, by=ctx.me, customer=c, name=name, title=title or None, phone=None,
                          email=None, now=ctx.now)
    ctx.say("Added {p} to {c}'s contacts.", p=esc(name + (f" ({title})" if title else "")), c=esc(c.name))


_NEXT_WEEKDAY = re.compile(r"\bnext\s+(mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(day)?\b", re.I)


def _ask_which_week(ctx: Ctx, kind: str, customer_id: int, text: str) -> bool:
    """English "next Friday" is asked back: this week's or the following one."""
    m = _NEXT_WEEKDAY.search(text)
    if m is None:
        return False
    first = understand(text[:m.start()] + "this " + m.group(0)[5:] + text[m.end():], ctx.local_now).when
    if first is None:
        return False
    options = []
    for shift in (0, 7):
        day = (first if isinstance(first, date) and not isinstance(first, datetime) else first.date())
        day += timedelta(days=shift)
        fixed = text[:m.start()] + day.isoformat() + text[m.end():]
        when_ = understand(fixed, ctx.local_now).when
        if when_ is not None:
            options.append(ctx.button(when(when_, ctx.lang), f"say:/{kind} #{customer_id} {fixed}"))
    if len(options) < 2:
        return False
    ctx.say("Which day is “{p}”?", p=esc(m.group(0)), buttons=(tuple(options),))
    return True


@command("visit", "/visit CUSTOMER <what happened>", "log a visit (the next follow-up time is picked up)", roles=SELLERS)
def visit(ctx: Ctx, args: str) -> None:
    """Log a visit."""
    log(ctx, "visit", args)


@command("call", "/call CUSTOMER <what was said>", "log a call", roles=SELLERS)
def call(ctx: Ctx, args: str) -> None:
    """Log a call."""
    log(ctx, "call", args)


@command("note", "/note CUSTOMER <text>", "log a note", roles=SELLERS)
def note(ctx: Ctx, args: str) -> None:
    """Log a note."""
    log(ctx, "note", args)


@click("act.undo", personal=False)
def undo_click(ctx: Ctx, arg: str) -> None:
    """The Undo button of a logged activity."""
    undo(ctx, as_id(arg) or 0)


@click("act.edit", personal=False)
def edit_click(ctx: Ctx, arg: str) -> None:
    """The Edit button of a logged activity."""
    edit(ctx, as_id(arg) or 0)


@flow("edit_activity", personal=False)
def edit_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The corrected text of a logged activity."""
    replace(ctx, int(data["activity"]), text)


def undo(ctx: Ctx, activity_id: int) -> None:
    """Take back a logged activity and its follow-up."""
    act = activities.undo_activity(ctx.session, by=ctx.me, activity_id=activity_id, now=ctx.now)
    ctx.say(UNDONE.get(act.kind, N_("That activity was undone.")))


def edit(ctx: Ctx, activity_id: int) -> None:
    """Ask for the corrected text of a logged activity."""
    act = ctx.session.get(Activity, activity_id)
    if act is None or act.user_id != ctx.me.id:
        ctx.say("That activity is gone.")
        return
    ctx.say("Send the corrected text:")
    ctx.ask("edit_activity", {"activity": activity_id})


def replace(ctx: Ctx, activity_id: int, text: str) -> None:
    """Replace an activity with a corrected one."""
    act = activities.undo_activity(ctx.session, by=ctx.me, activity_id=activity_id, now=ctx.now)
    log(ctx, act.kind, f"#{act.customer_id} {text}")


def named_customer(ctx: Ctx, text: str) -> Customer | None:
    """The visible customer a free-text message names, if exactly one stands out."""
    key = name_key(text)
    if len(key) < 2:
        return None
    rows = ctx.session.exec(select(Customer.id, Customer.name_key).where(customer_scope(ctx.me)).limit(5000)).all()
    hits = [(len(k), int(i or 0)) for i, k in rows
            if k and (k in key or (len(k) >= 4 and k[:4] in key))]
    if not hits:
        return None
    hits.sort(reverse=True)
    if len(hits) > 1 and hits[0][0] == hits[1][0]:
        return None
    return ctx.session.get(Customer, hits[0][1])


def offer(ctx: Ctx, text: str) -> bool:
    """Offer free text that names a customer as a visit log; False when it names none."""
    c = named_customer(ctx, text)
    if c is None:
        return False
    ctx.say("Log this as a visit to *{c}*?", c=esc(c.name), buttons=((
        ctx.button(ctx.t("Log visit"), f"say:/visit #{c.id} {text}", style="primary"),
        ctx.button(ctx.t("Log call"), f"say:/call #{c.id} {text}"),
        ctx.button(ctx.t("No"), "noop"),
    ),))
    return True


def check_in(ctx: Ctx, lat: float, lon: float) -> None:
    """Store a shared location as the check-in of this person's visit of the last 30 minutes."""
    act = ctx.session.exec(select(Activity).where(
        col(Activity.user_id) == ctx.me.id, col(Activity.kind) == "visit",
        col(Activity.at) >= ctx.now - CHECKIN_WINDOW).order_by(col(Activity.at).desc())).first()
    if act is None:
        ctx.say("Got your location, but there is no visit in the last 30 minutes. Log one with /visit first.")
        return
    before = {"lat": act.lat, "lon": act.lon}
    act.lat, act.lon = lat, lon
    ctx.session.add(act)
    audit.record(ctx.session, by=ctx.me.id, action="checkin", entity="activity", entity_id=act.id, now=ctx.now,
                 before=before, after={"lat": lat, "lon": lon})
    ctx.say("Checked in: the visit's location is saved.")
