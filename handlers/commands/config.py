"""Team settings said in chat: /config (the deals channel, holidays and working days) and /dealroom (the deals room)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from handlers.commands import care as care_cmd
from handlers.commands.tickets import ticket_targets
from handlers.context import Ctx
from handlers.deal_news import PREFIX, channel_of, encode_room
from handlers.fmt import stage_name
from handlers.markup import esc
from handlers.registry import command, usage
from sales import audit, currency, pipeline
from sales.access import MANAGERS
from sales.reminders.calendar import Calendar, known_country
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


@command("config", "/config deals-channel #CHANNEL|here|off · holidays [CC|off] · holiday|workday [remove] DATE… "
         "· rate USD 7.10 · tickets [P1 2h 1d] · care [GRADE TOUCHES|reset] · churn MONTHS · stage-days [STAGE N|off]",
         "team settings: the deals channel, public holidays, the team's own days off and working days, "
         "exchange rates for reports, ticket targets, care plans by grade, churn months, each stage's time target "
         "in working days", roles=MANAGERS)
def config(ctx: Ctx, args: str) -> None:
    """Show or change the team's settings: the deals channel, holidays and working days."""
    key, _, value = args.strip().partition(" ")
    if key.lower() in ("stage-days", "stage_days", "stagedays", "阶段时限"):  # the stages are everyone's, not a team's
        set_stage_days(ctx, value.split())
        return
    team = _team(ctx)
    if team is None:
        return
    if not key:
        where = channel_of(team)
        ctx.say("Deals channel: {c}", c=esc(where.chat) if where else ctx.t("not set"))
        show_days(ctx, team)
        return
    word = key.lower()
    if word in ("rate", "rates", "汇率"):
        set_rate(ctx, team, value.split())
    elif word in ("tickets", "ticket", "工单"):
        ticket_targets(ctx, team.id or 0, value.split())
    elif word in ("holidays", "节假日"):
        set_country(ctx, team, value.strip())
    elif word in ("holiday", "dayoff", "休息日", "workday", "工作日"):
        set_days(ctx, team, "extra_workdays" if word in ("workday", "工作日") else "holidays", value)
    elif word in ("care", "关怀", "客户关怀"):
        care_cmd.config_care(ctx, team, value)
    elif word in ("churn", "流失"):
        care_cmd.config_churn(ctx, team, value)
    elif word in ("deals-channel", "deals_channel", "商机频道"):
        set_deals_channel(ctx, team, value.strip())
    else:
        usage(ctx, "config")


def _shown(days: frozenset[date]) -> str:
    return ", ".join(d.isoformat() for d in sorted(days))


def show_days(ctx: Ctx, team: Team) -> None:
    """Whose public holidays the team keeps, and its own days off and working days."""
    cal = Calendar.of(team, None, ctx.settings.default_tz)
    if cal.country:
        ctx.say("Public holidays: {c} (the holidays package, with make-up working days).", c=cal.country)
    else:
        ctx.say("Public holidays: none (only the team's own days off).")
    ctx.say("The team's own days off: {d}", d=_shown(cal.holidays) or ctx.t("none"))
    ctx.say("The team's own working days: {d}", d=_shown(cal.extra_workdays) or ctx.t("none"))


def set_country(ctx: Ctx, team: Team, value: str) -> None:
    """Pick the country whose public holidays count (`off`: none); without a value, show the days."""
    words = [w for w in team.holidays.split() if not w.startswith("@")]
    if not value:
        show_days(ctx, team)
        return
    if value.lower() in ("off", "none", "关闭", "无"):
        set_team(ctx, team, holidays=" ".join(["@off", *words]))
        ctx.say("Public holidays are off: only the team's own days off count.")
        return
    if not known_country(value):
        ctx.say("Unknown country code “{c}”. E.g.: CN, HK, SG, US.", c=esc(value))
        return
    set_team(ctx, team, holidays=" ".join([f"@{value.upper()}", *words]))
    ctx.say("Public holidays now follow {c}.", c=value.upper())


def set_days(ctx: Ctx, team: Team, field: str, value: str) -> None:
    """Add (or with `remove`, take away) the team's own days off or working days."""
    words = value.split()
    remove = bool(words) and words[0].lower() in ("remove", "删除", "-")
    dates = set()
    for w in words[1:] if remove else words:
        try:
            dates.add(date.fromisoformat(w))
        except ValueError:
            ctx.say("Give dates like 2026-12-24.")
            return
    if not dates:
        usage(ctx, "config")
        return
    kept = getattr(team, field).split()
    days = {date.fromisoformat(w) for w in kept if not w.startswith("@") and _is_date(w)}
    tokens = [w for w in kept if w.startswith("@")]
    days = days - dates if remove else days | dates
    set_team(ctx, team, **{field: " ".join([*tokens, *(d.isoformat() for d in sorted(days))])})
    show_days(ctx, team)


def _is_date(word: str) -> bool:
    try:
        date.fromisoformat(word)
    except ValueError:
        return False
    return True


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


def set_stage_days(ctx: Ctx, words: list[str]) -> None:
    """Show each stage's time target in working days, or (an admin) set one: `stage-days proposal 3` or `… off`."""
    if not words:
        shown = "\n".join(f"• {stage_name(st, ctx.lang)}: " + (ctx.t("{n} working days", n=st.target_days)
                                                               if st.target_days else ctx.t("no target"))
                           for st in pipeline.stages(ctx.session) if st.key != "lost")
        ctx.say("Time targets per stage (won: from signing to the first payment):\n{s}", s=shown)
        return
    if ctx.me.role != "admin":
        ctx.say("Only an admin sets the stages' time targets.")
        return
    st = pipeline.stage_by_name(ctx.session, words[0]) if len(words) == 2 else None
    off = len(words) == 2 and words[1].lower() in ("off", "none", "关闭", "无")
    days = int(words[1]) if len(words) == 2 and words[1].isdigit() else None
    if st is None or st.key == "lost" or not (off or (days is not None and 1 <= days <= 250)):
        ctx.say("E.g.: /config stage-days proposal 3 (1 to 250 working days), or /config stage-days proposal off")
        return
    before = st.target_days
    st.target_days = None if off else days
    ctx.session.add(st)
    audit.record(ctx.session, by=ctx.me.id, action="update", entity="stage", entity_id=None, now=ctx.now,
                 before={"key": st.key, "target_days": before}, after={"key": st.key, "target_days": st.target_days})
    if off:
        ctx.say("{s}: no time target now.", s=stage_name(st, ctx.lang))
    else:
        ctx.say("{s}: a deal is flagged to its owner after {n} working days there, to the manager after twice "
                "that.", s=stage_name(st, ctx.lang), n=days)
