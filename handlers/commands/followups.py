"""My follow-ups as one numbered message with a compact keyboard (/today, /followups); Done and Snooze; /snooze."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from handlers import lookup
from handlers.care_words import reason_words
from handlers.context import Ctx
from handlers.fmt import moment
from handlers.markup import esc
from handlers.parsing import find_date
from handlers.registry import click, command, usage
from handlers.types import Reply
from sales import activities
from sales.access import SELLERS
from sales.refs import as_id
from storage.models import Customer, FollowUp

PAGE = 10  # items a page
PER_ROW = 4  # buttons a keyboard row: done and snooze of two items
WINDOWS = {"today": 1, "followups": 7}  # the days each list looks ahead (today included)


def what_of(ctx: Ctx, fu: FollowUp, c: Customer | None) -> str:
    """What a follow-up is about, short, in the reader's language."""
    said = reason_words(ctx.lang, fu.reason, c.grade if c else "?", fu.what)
    if said is not None:
        return said
    text = fu.what.strip()
    return esc(text if len(text) <= 60 else text[:59] + "…")


def view(ctx: Ctx, name: str, page: int = 1) -> Reply:
    """One message: the counts (overdue, due today, upcoming), the numbered items of `page` and their keyboard."""
    today = ctx.local_now.date()
    start = datetime.combine(today, time(0), tzinfo=ctx.tz)
    end = datetime.combine(today + timedelta(days=WINDOWS[name]), time(0), tzinfo=ctx.tz)
    week = datetime.combine(today + timedelta(days=WINDOWS["followups"]), time(0), tzinfo=ctx.tz)
    every = activities.due_followups(ctx.session, owner_id=ctx.me.id or 0, until=max(end, week), limit=None)
    overdue = [f for f in every if f.due_at < start]
    due_today = [f for f in every if start <= f.due_at < start + timedelta(days=1)]
    upcoming = [f for f in every if f.due_at >= start + timedelta(days=1)]
    shown = [f for f in every if f.due_at < end]
    counts = ctx.t("{o} overdue · {t} due today · {u} upcoming", o=len(overdue), t=len(due_today), u=len(upcoming))
    if not shown:
        more = ctx.t("Upcoming: /followups") if upcoming and name == "today" else ""
        return Reply(text="\n".join(x for x in (ctx.t("No follow-ups due. 👍"), counts, more) if x))
    pages = (len(shown) + PAGE - 1) // PAGE
    page = min(max(page, 1), pages)
    items = shown[(page - 1) * PAGE: page * PAGE]
    lines = [ctx.t("📋 *Follow-ups*: {counts}", counts=counts)]
    heading = ""
    for fu in items:
        c = ctx.session.get(Customer, fu.customer_id)
        section = ("*" + ctx.t("Overdue") + "*" if fu in overdue else "*" + ctx.t("Today") + "*" if fu in due_today
                   else "*" + ctx.t("Upcoming") + "*")
        if section != heading:
            lines.append(section)
            heading = section
        local = fu.due_at.astimezone(ctx.tz)
        when = (f"{local:%H:%M}" if fu.has_time else "") if fu in due_today else (
            moment(fu.due_at, ctx.tz, ctx.lang, fu.has_time))
        lead = f"{when} " if when else ""
        lines.append(f"*{fu.id}.* {lead}*{esc(c.name if c else '?')}* · {what_of(ctx, fu, c)}")
    if name == "today" and upcoming:
        lines.append(ctx.t("Upcoming: /followups"))
    if pages > 1:
        lines.append(ctx.t("Page {p} of {n}", p=page, n=pages))
    keys = [b for fu in items for b in (ctx.button(f"✓ {fu.id}", f"fu.done:{fu.id}"),
                                        ctx.button(f"💤 {fu.id}", f"fu.snz:{fu.id}"))]
    rows = [tuple(keys[i:i + PER_ROW]) for i in range(0, len(keys), PER_ROW)]
    nav = []
    if page > 1:
        nav.append(ctx.button(ctx.t("‹ Back"), f"fu.page:{name}:{page - 1}"))
    if page < pages:
        nav.append(ctx.button(ctx.t("More ›"), f"fu.page:{name}:{page + 1}"))
    if nav:
        rows.append(tuple(nav))
    return Reply(text="\n".join(lines), buttons=tuple(rows))


def _page(args: str) -> int:
    return as_id(args.strip()) or 1


@command("today", "/today [PAGE]", "today's and overdue follow-ups", roles=SELLERS)
def today(ctx: Ctx, args: str) -> None:
    """Follow-ups due today or overdue, numbered, in one message."""
    ctx.replies.append(view(ctx, "today", _page(args)))


@command("followups", "/followups [PAGE]", "follow-ups for the next 7 days and overdue",
         roles=SELLERS)
def followups(ctx: Ctx, args: str) -> None:
    """Follow-ups due within a week or overdue, numbered, in one message."""
    ctx.replies.append(view(ctx, "followups", _page(args)))


@click("fu.page", personal=False)
def page_click(ctx: Ctx, arg: str) -> None:
    """Another page of /today or /followups, in place of the one shown."""
    name, _, page = arg.partition(":")
    if name in WINDOWS:
        reply = view(ctx, name, as_id(page) or 1)
        ctx.replies.append(Reply(text=reply.text, buttons=reply.buttons, edit="this"))


@click("fu.done", personal=False)
def done_click(ctx: Ctx, arg: str) -> None:
    """The Done button of a follow-up."""
    _press(ctx, "done", as_id(arg) or 0)


@click("fu.snz", personal=False)
def snooze_click(ctx: Ctx, arg: str) -> None:
    """The Snooze button of a follow-up (one day)."""
    _press(ctx, "snooze", as_id(arg) or 0)


def _mine(ctx: Ctx, fid: int) -> FollowUp | None:
    fu = ctx.session.get(FollowUp, fid)
    if fu is None or fu.owner_id != ctx.me.id:
        ctx.say("That follow-up is not yours.")
        return None
    if fu.status != "open":
        ctx.say("That follow-up was already handled.")
        return None
    return fu


def _press(ctx: Ctx, verb: str, fid: int) -> None:
    """Done or Snooze on one follow-up."""
    fu = _mine(ctx, fid)
    if fu is None:
        return
    c = ctx.session.get(Customer, fu.customer_id)
    if verb == "done":
        activities.finish_followup(ctx.session, by=ctx.me, followup=fu, now=ctx.now)
        ctx.say("✓ Done: {c} · {w}", c=esc(c.name if c else "?"), w=what_of(ctx, fu, c))
    else:
        _snoozed(ctx, fu, c, activities.snooze_followup(ctx.session, by=ctx.me, followup=fu, now=ctx.now, tz=ctx.tz))


def _snoozed(ctx: Ctx, fu: FollowUp, c: Customer | None, new_due: datetime) -> None:
    ctx.say("💤 {c} · {w}: snoozed to {d}.", c=esc(c.name if c else "?"), w=what_of(ctx, fu, c),
            d=moment(new_due, ctx.tz, ctx.lang, fu.has_time))


def _when(ctx: Ctx, word: str) -> int | date | None:
    """A number of days (1 to 90) or a date after today, as typed after the follow-up."""
    n = as_id(word)
    if n is not None:
        return n if 1 <= n <= 90 else None
    d = find_date(word, ctx.now)
    return d if d is not None and d > ctx.local_now.date() else None


@command("snooze", "/snooze NUMBER|CUSTOMER [days|date]", "push a follow-up back (1 day unless told)",
         roles=SELLERS)
def snooze(ctx: Ctx, args: str) -> None:
    """Snooze a follow-up, named by its number or its customer, by some days or to a date."""
    words = args.split()
    if not words:
        usage(ctx, "snooze")
        return
    when: int | date | None = 1
    tail = ""
    if len(words) > 1:
        when = _when(ctx, words[-1])
        if when is None and len(words) == 2 and as_id(words[0].lstrip("#")) is not None:
            usage(ctx, "snooze")
            return
        if when is None:
            when = 1
        else:
            tail, words = words[-1], words[:-1]
    ref = " ".join(words)
    fid = as_id(ref.lstrip("#"))
    if fid is not None:
        fu = _mine(ctx, fid)
    else:
        c = lookup.customer(ctx, ref, lambda r: f"/snooze {r} {tail}".strip())
        if c is None:
            return
        mine = [f for f in activities.due_followups(ctx.session, owner_id=ctx.me.id or 0, until=ctx.now + timedelta(
            days=366), limit=None) if f.customer_id == c.id]
        if not mine:
            ctx.say("No open follow-up with {c}.", c=esc(c.name))
            return
        fu = mine[0]
    if fu is None:
        return
    cust = ctx.session.get(Customer, fu.customer_id)
    if isinstance(when, date):
        new_due = activities.snooze_followup(ctx.session, by=ctx.me, followup=fu, now=ctx.now, tz=ctx.tz, to=when)
    else:
        new_due = activities.snooze_followup(ctx.session, by=ctx.me, followup=fu, now=ctx.now, tz=ctx.tz,
                                             days=when or 1)
    _snoozed(ctx, fu, cust, new_due)

