"""My due and overdue follow-ups, with Done and Snooze."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from handlers.context import Ctx
from handlers.fmt import moment
from handlers.markup import esc
from handlers.registry import command
from handlers.types import Button, Reply
from sales import activities
from storage.models import Customer, FollowUp

SELLERS = frozenset({"rep", "manager", "admin"})


def _list(ctx: Ctx, days: int) -> None:
    end_local = datetime.combine(ctx.local_now.date() + timedelta(days=days), time(0), tzinfo=ctx.tz)
    due = activities.due_followups(ctx.session, owner_id=ctx.me.id or 0, until=end_local)
    if not due:
        ctx.say("没有待办的跟进。👍", "No follow-ups due. 👍")
        return
    today = ctx.local_now.date()
    ctx.say("待跟进 {n} 项：", "{n} follow-ups due:", n=len(due))
    for fu in due:
        c = ctx.session.get(Customer, fu.customer_id)
        late = fu.due_at.astimezone(ctx.tz).date() < today
        flag = ctx.t("【逾期】", "[overdue] ") if late else ""
        text = f"{flag}{moment(fu.due_at, ctx.tz, ctx.lang, fu.has_time)} *{esc(c.name if c else '?')}*: {esc(fu.what[:120])}"
        ctx.replies.append(Reply(text=text, buttons=(_buttons(ctx, fu),)))


def _buttons(ctx: Ctx, fu: FollowUp) -> tuple[Button, ...]:
    return (ctx.button(ctx.t("完成", "Done"), f"fu.done:{fu.id}", style="primary"),
            ctx.button(ctx.t("推迟到明天", "Snooze 1 day"), f"fu.snz:{fu.id}"))


@command("today", "/today", "今天到期和逾期的跟进", "today's and overdue follow-ups", roles=SELLERS)
def today(ctx: Ctx, args: str) -> None:
    """Follow-ups due today or overdue."""
    _list(ctx, 1)


@command("followups", "/followups", "未来 7 天和逾期的跟进", "follow-ups for the next 7 days and overdue",
         roles=SELLERS)
def followups(ctx: Ctx, args: str) -> None:
    """Follow-ups due within a week or overdue."""
    _list(ctx, 7)


def click(ctx: Ctx, verb: str, fid: int) -> None:
    """Done or Snooze on one follow-up."""
    fu = ctx.session.get(FollowUp, fid)
    if fu is None or fu.owner_id != ctx.me.id:
        ctx.say("这个跟进不是你的。", "That follow-up is not yours.")
        return
    if fu.status != "open":
        ctx.say("这个跟进已经处理过了。", "That follow-up was already handled.")
        return
    if verb == "done":
        activities.finish_followup(ctx.session, by=ctx.me, followup=fu, now=ctx.now)
        ctx.say("✓ 已完成。", "✓ Done.")
    else:
        new_due = activities.snooze_followup(ctx.session, by=ctx.me, followup=fu, now=ctx.now, tz=ctx.tz)
        ctx.say("已推迟到 {w}。", "Snoozed to {w}.", w=moment(new_due, ctx.tz, ctx.lang, fu.has_time))
