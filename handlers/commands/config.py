"""Team settings said in chat: /config (the deals channel) and /dealroom (the deals room)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from handlers.context import Ctx
from handlers.deal_news import PREFIX, channel_of, encode_room
from handlers.markup import esc
from handlers.registry import command, usage
from sales import audit, currency
from sales.access import MANAGERS
from storage.models import Team

_CHANNEL = re.compile(r"^#?([^\s|#]+)(?:\|([^\s|]+))?$")


def _team(ctx: Ctx) -> Team | None:
    """The speaker's team, or None after saying they have none."""
    team = ctx.session.get(Team, ctx.me.team_id) if ctx.me.team_id else None
    if team is None:
        ctx.say("You are not in a team.")
    return team


def set_team(ctx: Ctx, team: Team, **values: str | None) -> None:
    """Change team settings, with their audit entry."""
    before = {k: getattr(team, k) for k in values}
    for k, v in values.items():
        setattr(team, k, v)
    ctx.session.add(team)
    audit.record(ctx.session, by=ctx.me.id, action="update", entity="team", entity_id=team.id, now=ctx.now,
                 before=before, after=values)


@command("config", "/config deals-channel #CHANNEL|here|off | /config rate USD 7.10",
         "team settings: the deals channel (one thread per deal), exchange rates for reports", roles=MANAGERS)
def config(ctx: Ctx, args: str) -> None:
    """Show or change the team's settings; today the deals channel."""
    key, _, value = args.strip().partition(" ")
    team = _team(ctx)
    if team is None:
        return
    if not key:
        where = channel_of(team)
        ctx.say("Deals channel: {c}", c=esc(where.chat) if where else ctx.t("not set"))
        return
    if key.lower() in ("rate", "rates", "汇率"):
        set_rate(ctx, team, value.split())
        return
    if key.lower() not in ("deals-channel", "deals_channel", "商机频道"):
        usage(ctx, "config")
        return
    set_deals_channel(ctx, team, value.strip())


def set_rate(ctx: Ctx, team: Team, words: list[str]) -> None:
    """An admin sets what one unit of a currency is worth in the team's (reports convert at it and say so)."""
    if not words:
        table = currency.rates(team)
        shown = ", ".join(f"{k} {v:f}" for k, v in sorted(table.items())) or ctx.t("none")
        ctx.say("Exchange rates into {h}: {r}", h=team.currency, r=shown)
        return
    if ctx.me.role != "admin":
        ctx.say("Only an admin sets exchange rates.")
        return
    try:
        rate = Decimal(words[1]) if len(words) == 2 else None
    except InvalidOperation:
        rate = None
    if rate is None:
        usage(ctx, "config")
        return
    currency.set_rate(ctx.session, team=team, code=words[0], rate=rate, by=ctx.me, now=ctx.now)
    ctx.say("1 {c} = {r} {h}: reports convert at this rate and say so.", c=words[0].upper(), r=f"{rate:f}",
            h=team.currency)


def set_deals_channel(ctx: Ctx, team: Team, value: str) -> None:
    """Point the team's deal threads at a channel (`here`, `#name`, `#ID|name`), or turn them off."""
    if value.lower() in ("off", "none", "关闭", "无"):
        set_team(ctx, team, deals_channel=None)
        ctx.say("Deal threads are off.")
        return
    inc = ctx.incoming
    if value.lower() in ("here", "this", "这里", "本频道"):
        if inc.private:
            ctx.say("Send this in the channel you want to use, not in a private chat.")
            return
        chat, label = inc.chat.chat, inc.chat.chat
    else:
        m = _CHANNEL.match(value)
        if not m:
            usage(ctx, "config")
            return
        chat, label = m.group(1), m.group(2) or m.group(1)
    set_team(ctx, team, deals_channel=f"{PREFIX}{inc.chat.platform}:{inc.chat.workspace}:{chat}")
    ctx.say("Deals channel set to #{c}: every new deal gets a thread there.", c=esc(label))


@command("dealroom", "/dealroom [off]", "post the team's deal moves in this group (or topic)", roles=MANAGERS)
def dealroom(ctx: Ctx, args: str) -> None:
    """Make the chat (or forum topic) this is said in the team's deals room, or stop with `off`."""
    team = _team(ctx)
    if team is None:
        return
    if args.strip().lower() in ("off", "关闭", "停止"):
        if team.deals_room is not None:
            set_team(ctx, team, deals_room=None)
        ctx.say("OK, deal moves are no longer posted to a group.")
        return
    if ctx.incoming.private:
        ctx.say("Send /dealroom in the team group (or in one of its topics).")
        return
    set_team(ctx, team, deals_room=encode_room(ctx.incoming.chat))
    ctx.say("OK, team {t}'s deal moves will be posted here.",
            t=esc(team.name))
