"""My due and overdue follow-ups, with Done and Snooze; /snooze."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from handlers.context import Ctx
from handlers.fmt import moment
from handlers.markup import esc
from handlers.registry import click, command, usage
from handlers.types import Button, Reply
from sales import activities
from sales.access import SELLERS
from sales.refs import as_id
from storage.models import Customer, FollowUp


def _list(ctx: Ctx, days: int) -> None:
    end_local = datetime.combine(ctx.local_now.date() + timedelta(days=days), time(0), tzinfo=ctx.tz)
    due = activities.due_followups(ctx.session, owner_id=ctx.me.id or 0, until=end_local)
    if not due:
        ctx.say("No follow-ups due. 👍")
        return
    today = ctx.local_now.date()
    ctx.say("{n} follow-ups due:", n=len(due))
    for fu in due:
        c = ctx.session.get(Customer, fu.customer_id)
        late = fu.due_at.astimezone(ctx.tz).date() < today
        flag = ctx.t("[overdue] ") if late else ""
        text = f"{flag}{moment(fu.due_at, ctx.tz, ctx.lang, fu.has_time)} *{esc(c.name if c else '?')}*: {esc(fu.what[:120])}"
        ctx.replies.append(Reply(text=text, buttons=(_buttons(ctx, fu),)))


def _buttons(ctx: Ctx, fu: FollowUp) -> tuple[Button, ...]:
    return (ctx.button(ctx.t("Done"), f"fu.done:{fu.id}", style="primary"),
            ctx.button(ctx.t("Snooze 1 day"), f"fu.snz:{fu.id}"))


@command("today", "/today", "today's and overdue follow-ups", roles=SELLERS)
def today(ctx: Ctx, args: str) -> None:
    """Follow-ups due today or overdue."""
    _list(ctx, 1)


@command("followups", "/followups", "follow-ups for the next 7 days and overdue",
         roles=SELLERS)
def followups(ctx: Ctx, args: str) -> None:
    """Follow-ups due within a week or overdue."""
    _list(ctx, 7)


@click("fu.done", personal=False)
def done_click(ctx: Ctx, arg: str) -> None:
    """The Done button of a follow-up."""
    _press(ctx, "done", as_id(arg) or 0)


@click("fu.snz", personal=False)
def snooze_click(ctx: Ctx, arg: str) -> None:
    """The Snooze button of a follow-up (one day)."""
    _press(ctx, "snooze", as_id(arg) or 0)


def _press(ctx: Ctx, verb: str, fid: int) -> None:
    """Done or Snooze on one follow-up."""
    fu = ctx.session.get(FollowUp, fid)
    if fu is None or fu.owner_id != ctx.me.id:
        ctx.say("That follow-up is not yours.")
        return
    if fu.status != "open":
        ctx.say("That follow-up was already handled.")
        return
    if verb == "done":
        activities.finish_followup(ctx.session, by=ctx.me, followup=fu, now=ctx.now)
        ctx.say("✓ Done.")
    else:
        new_due = activities.snooze_followup(ctx.session, by=ctx.me, followup=fu, now=ctx.now, tz=ctx.tz)
        ctx.say("Snoozed to {w}.", w=moment(new_due, ctx.tz, ctx.lang, fu.has_time))


@command("snooze", "/snooze FOLLOWUP [days]", "push a follow-up back (1 day unless told)",
         roles=SELLERS)
def snooze(ctx: Ctx, args: str) -> None:
    """Snooze a follow-up by a number of days (the reminder buttons send 1 or 7)."""
    words = args.split()
    fid = as_id(words[0].lstrip("#")) if words else None
    days = as_id(words[1]) if len(words) > 1 else 1
    if fid is None or days is None or not 1 <= days <= 90:
        usage(ctx, "snooze")
        return
    fu = ctx.session.get(FollowUp, fid)
    if fu is None or fu.owner_id != ctx.me.id:
        ctx.say("That follow-up is not yours.")
        return
    new_due = activities.snooze_followup(ctx.session, by=ctx.me, followup=fu, now=ctx.now, tz=ctx.tz, days=days)
    ctx.say("Snoozed to {w}.", w=moment(new_due, ctx.tz, ctx.lang, fu.has_time))
