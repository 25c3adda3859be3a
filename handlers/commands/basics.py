"""Greeting, help, joining, invites, language and time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.context import Ctx
from handlers.i18n import N_
from handlers.markup import esc
from handlers.registry import COMMANDS, command, usage, usage_for
from sales import invites
from sales.access import MANAGERS
from sales.errors import RuleError


@command("start", "/start", "greeting and what I can do", public=True)
def start(ctx: Ctx, args: str) -> None:
    """Greet, and point a stranger to /join."""
    if ctx.user is None:
        ctx.say("Hi! I am salesbot, the sales CRM in your team chat. Bind your account first with /join CODE.")
        return
    ctx.say("Hi {n}! Send /today for today's follow-ups, /help for every command.", n=esc(ctx.me.name))


@command("help", "/help [command]", "the command list, or one command's usage",
         public=True)
def help_(ctx: Ctx, args: str) -> None:
    """List the commands this person may use, or explain one."""
    name = args.strip().lstrip("/").lower()
    if name:
        if name not in COMMANDS:
            ctx.say("There is no /{n} command.", n=esc(name[:30]))
            return
        role = ctx.user.role if ctx.user else None
        cmd = COMMANDS[name]
        usage(ctx, name)
        if role is not None and (role not in cmd.roles or not usage_for(role, cmd, cmd.usage_of(role))):
            ctx.say("Your role can't use /{name}.", name=name)
        return
    role = ctx.user.role if ctx.user else None
    seen: set[str] = set()
    lines = []
    for cmd in COMMANDS.values():
        if cmd.name in seen or (role is None and not cmd.public) or (role and role not in cmd.roles):
            continue
        seen.add(cmd.name)
        shown = usage_for(role, cmd, ctx.t(cmd.usage_of(role)))
        if shown:
            lines.append(f"`{shown}` {ctx.t(cmd.about)}")
    ctx.say("Commands:\n{l}", l="\n".join(lines))


@command("join", "/join CODE", "bind your chat account with an invite code", public=True)
def join(ctx: Ctx, args: str) -> None:
    """Bind this chat account to a new user."""
    if ctx.user is not None:
        ctx.say("You are already bound as {n}.", n=esc(ctx.me.name))
        return
    code = args.strip()
    if not code:
        ctx.say("Send your code: /join CODE")
        return
    inc = ctx.incoming
    user, linked = invites.join(ctx.session, code=code, platform=inc.chat.platform, workspace=inc.chat.workspace,
                        external_id=inc.user, chat=inc.chat.chat if inc.private else None,
                        display_name=inc.display_name, now=ctx.now)
    ctx.user = user
    ctx.lang = user.lang or ctx.lang
    if linked:
        ctx.say("This account is now linked to {n}: it acts as you do everywhere else.", n=esc(user.name))
        return
    ctx.say("Welcome, {n}! Your role is {r}. Send /help to see what you can do.", n=esc(user.name), r=user.role)


@command("invite", "/invite ROLE [name]", "make a one-time invite code (rep/manager/finance/admin)", roles=MANAGERS,
         personal=True, usage_by={"manager": N_("/invite rep [name]")})
def invite(ctx: Ctx, args: str) -> None:
    """Make a one-time code for a new colleague."""
    role, _, name = args.strip().partition(" ")
    if not role:
        ctx.say("Invite which role?", buttons=(tuple(
            ctx.button(r, f"say:/invite {r}") for r in invites.ROLES
            if ctx.me.role == "admin" or r == "rep"),))
        return
    inv = invites.make_invite(ctx.session, role=role.lower(), name=name.strip() or None, by=ctx.me, now=ctx.now)
    ctx.say("Invite code: `{c}` (one use, valid 7 days). They send /join {c}.", c=inv.code)


@command("link", "/link", "a code to use this same account of yours on another platform", personal=True)
def link(ctx: Ctx, args: str) -> None:
    """A one-time code that binds the speaker's account on another platform to them (one per platform)."""
    inv = invites.make_link(ctx.session, by=ctx.me, now=ctx.now)
    ctx.say("Link code: `{c}` (one use, valid 1 day). Send /join {c} from your account on the other platform.",
            c=inv.code)


@command("lang", "/lang zh|en", "set your language")
def lang(ctx: Ctx, args: str) -> None:
    """Set this person's language."""
    choice = args.strip().lower()
    if choice not in ("zh", "en"):
        ctx.say("Choose a language:", buttons=((ctx.button("中文", "say:/lang zh"),
                                                            ctx.button("English", "say:/lang en")),))
        return
    ctx.me.lang = choice
    ctx.session.add(ctx.me)
    ctx.lang = choice
    ctx.say("OK, English from now on.")


@command("tz", "/tz Area/City", "set your time zone, e.g. Europe/Berlin")
def tz(ctx: Ctx, args: str) -> None:
    """Set this person's time zone."""
    name = args.strip()
    if not name:
        ctx.say("Your time zone is {z}. Change it: /tz Europe/Berlin",
                z=str(ctx.tz))
        return
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError("bad_tz") from None
    ctx.me.tz = name
    ctx.session.add(ctx.me)
    ctx.tz = zone
    ctx.say("Time zone set to {z}; it is now {t}.", z=esc(name),
            t=ctx.local_now.strftime("%H:%M"))
