"""Greeting, help, joining, invites, language and time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.context import Ctx
from handlers.markup import esc
from handlers.registry import COMMANDS, command, usage
from sales import invites
from sales.access import MANAGERS
from sales.errors import RuleError


@command("start", "/start", "打招呼，看看能做什么", "greeting and what I can do", public=True)
def start(ctx: Ctx, args: str) -> None:
    """Greet, and point a stranger to /join."""
    if ctx.user is None:
        ctx.say("你好！我是 salesbot，团队聊天里的销售助手。请先用 /join 邀请码 绑定账号。",
                "Hi! I am salesbot, the sales CRM in your team chat. Bind your account first with /join CODE.")
        return
    ctx.say("你好，{n}！发 /today 看今天的跟进，/help 看全部命令。",
            "Hi {n}! Send /today for today's follow-ups, /help for every command.", n=esc(ctx.me.name))


@command("help", "/help [command]", "命令列表，或某个命令的用法", "the command list, or one command's usage",
         public=True)
def help_(ctx: Ctx, args: str) -> None:
    """List the commands this person may use, or explain one."""
    name = args.strip().lstrip("/").lower()
    if name:
        if name not in COMMANDS:
            ctx.say("没有 /{n} 这个命令。", "There is no /{n} command.", n=esc(name[:30]))
            return
        usage(ctx, name)
        return
    role = ctx.user.role if ctx.user else None
    seen: set[str] = set()
    lines = []
    for cmd in COMMANDS.values():
        if cmd.name in seen or (role is None and not cmd.public) or (role and role not in cmd.roles):
            continue
        seen.add(cmd.name)
        lines.append(f"`{cmd.usage}` {cmd.zh if ctx.lang == 'zh' else cmd.en}")
    ctx.say("可用命令：\n{l}", "Commands:\n{l}", l="\n".join(lines))


@command("join", "/join CODE", "用邀请码绑定你的账号", "bind your chat account with an invite code", public=True)
def join(ctx: Ctx, args: str) -> None:
    """Bind this chat account to a new user."""
    if ctx.user is not None:
        ctx.say("你已经绑定为 {n}。", "You are already bound as {n}.", n=esc(ctx.me.name))
        return
    code = args.strip()
    if not code:
        ctx.say("请发送邀请码：/join 邀请码", "Send your code: /join CODE")
        return
    inc = ctx.incoming
    user = invites.join(ctx.session, code=code, platform=inc.chat.platform, workspace=inc.chat.workspace,
                        external_id=inc.user, chat=inc.chat.chat if inc.private else None,
                        display_name=inc.display_name, now=ctx.now)
    ctx.user = user
    ctx.lang = user.lang or ctx.lang
    ctx.say("欢迎，{n}！你的角色是 {r}。发 /help 看看能做什么。",
            "Welcome, {n}! Your role is {r}. Send /help to see what you can do.", n=esc(user.name), r=user.role)


@command("invite", "/invite ROLE [name]", "生成一次性邀请码（rep/manager/finance/admin）",
         "make a one-time invite code (rep/manager/finance/admin)", roles=MANAGERS, personal=True)
def invite(ctx: Ctx, args: str) -> None:
    """Make a one-time code for a new colleague."""
    role, _, name = args.strip().partition(" ")
    if not role:
        ctx.say("邀请什么角色？", "Invite which role?", buttons=(tuple(
            ctx.button(r, f"say:/invite {r}") for r in invites.ROLES
            if ctx.me.role == "admin" or r == "rep"),))
        return
    inv = invites.make_invite(ctx.session, role=role.lower(), name=name.strip() or None, by=ctx.me, now=ctx.now)
    ctx.say("邀请码：`{c}`（7 天内有效，只能用一次）。对方发送 /join {c} 即可。",
            "Invite code: `{c}` (one use, valid 7 days). They send /join {c}.", c=inv.code)


@command("lang", "/lang zh|en", "设置语言", "set your language")
def lang(ctx: Ctx, args: str) -> None:
    """Set this person's language."""
    choice = args.strip().lower()
    if choice not in ("zh", "en"):
        ctx.say("选择语言：", "Choose a language:", buttons=((ctx.button("中文", "say:/lang zh"),
                                                            ctx.button("English", "say:/lang en")),))
        return
    ctx.me.lang = choice
    ctx.session.add(ctx.me)
    ctx.lang = choice
    ctx.say("好的，以后用中文。", "OK, English from now on.")


@command("tz", "/tz Area/City", "设置时区，例如 Asia/Shanghai", "set your time zone, e.g. Europe/Berlin")
def tz(ctx: Ctx, args: str) -> None:
    """Set this person's time zone."""
    name = args.strip()
    if not name:
        ctx.say("你的时区是 {z}。修改：/tz Asia/Shanghai", "Your time zone is {z}. Change it: /tz Europe/Berlin",
                z=str(ctx.tz))
        return
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError("bad_tz") from None
    ctx.me.tz = name
    ctx.session.add(ctx.me)
    ctx.tz = zone
    ctx.say("时区已设为 {z}，现在是 {t}。", "Time zone set to {z}; it is now {t}.", z=esc(name),
            t=ctx.local_now.strftime("%H:%M"))
