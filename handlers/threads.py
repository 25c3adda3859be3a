"""Deal threads: each deal's story told in one thread of its team's deals channel, and its setting."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import col, select

from handlers.context import Ctx, reply_to_json
from handlers.fmt import money, pct, when
from handlers.markup import esc
from handlers.registry import command, usage
from handlers.types import Button, Reply
from sales import audit
from storage.models import Activity, Customer, Deal, DealThread, Outbox, Quote, SalesOrder, Stage, Team, User

MANAGERS = frozenset({"manager", "admin"})
# Team.deals_channel holds "threads:platform:workspace:chat". The prefix dates from when the deals room of
# handlers/privacy.py shared the column (it has Team.deals_room since migration 0007); stored values keep it.
PREFIX = "threads:"
_CHANNEL = re.compile(r"^#?([^\s|#]+)(?:\|([^\s|]+))?$")


def thread_key(deal_id: int) -> str:
    """The Outbox.thread of a deal's thread: the sender resolves it to the platform's thread id."""
    return f"deal:{deal_id}"


def deal_of_thread(thread: str | None) -> int | None:
    """The deal a thread key names, or None for a plain thread id."""
    if thread and thread.startswith("deal:") and thread[5:].isdigit():
        return int(thread[5:])
    return None


def channel_of(team: Team | None) -> tuple[str, str, str] | None:
    """A team's deals channel for threads as (platform, workspace, chat), if it has one."""
    if team is None or not team.deals_channel or not team.deals_channel.startswith(PREFIX):
        return None
    parts = team.deals_channel[len(PREFIX):].split(":", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


@command("config", "/config deals-channel #CHANNEL|here|off", "团队设置：商机频道（每个商机一个讨论串）",
         "team settings: the deals channel (one thread per deal)", roles=MANAGERS)
def config(ctx: Ctx, args: str) -> None:
    """Show or change the team's settings; today the deals channel."""
    key, _, value = args.strip().partition(" ")
    team = ctx.session.get(Team, ctx.me.team_id) if ctx.me.team_id else None
    if team is None:
        ctx.say("你还不属于任何团队。", "You are not in a team.")
        return
    if not key:
        where = channel_of(team)
        ctx.say("商机频道：{c}", "Deals channel: {c}", c=esc(where[2]) if where else ctx.t("未设置", "not set"))
        return
    if key.lower() not in ("deals-channel", "deals_channel", "商机频道"):
        usage(ctx, "config")
        return
    set_deals_channel(ctx, team, value.strip())


def set_deals_channel(ctx: Ctx, team: Team, value: str) -> None:
    """Point the team's deal threads at a channel (`here`, `#name`, `#ID|name`), or turn them off."""
    before = team.deals_channel
    if value.lower() in ("off", "none", "关闭", "无"):
        team.deals_channel = None
        label = ""
    else:
        inc = ctx.incoming
        if value.lower() in ("here", "this", "这里", "本频道"):
            if inc.private:
                ctx.say("请在要用作商机频道的群组/频道里发这条命令。",
                        "Send this in the channel you want to use, not in a private chat.")
                return
            chat, label = inc.chat.chat, inc.chat.chat
        else:
            m = _CHANNEL.match(value)
            if not m:
                usage(ctx, "config")
                return
            chat, label = m.group(1), m.group(2) or m.group(1)
        team.deals_channel = f"{PREFIX}{inc.chat.platform}:{inc.chat.workspace}:{chat}"
    ctx.session.add(team)
    audit.record(ctx.session, by=ctx.me.id, action="update", entity="team", entity_id=team.id, now=ctx.now,
                 before={"deals_channel": before}, after={"deals_channel": team.deals_channel})
    if team.deals_channel is None:
        ctx.say("已关闭商机频道。", "Deal threads are off.")
    else:
        ctx.say("商机频道已设为 #{c}：每个新商机会在那里开一个讨论串。",
                "Deals channel set to #{c}: every new deal gets a thread there.", c=esc(label))


def _team_of(ctx: Ctx, deal: Deal) -> Team | None:
    owner = ctx.session.get(User, deal.owner_id)
    return ctx.session.get(Team, owner.team_id) if owner is not None and owner.team_id else None


def _channel_text(ctx: Ctx, zh: str, en: str, **kw: object) -> str:
    # A channel is read by the whole team: it speaks the deployment's language, not the speaker's.
    return (zh if ctx.settings.default_lang.startswith("zh") else en).format(**kw)


def _zh(ctx: Ctx) -> bool:
    return ctx.settings.default_lang.startswith("zh")


def _enqueue(ctx: Ctx, where: tuple[str, str, str], deal_id: int, reply: Reply) -> None:
    platform, workspace, chat = where
    ctx.session.add(Outbox(platform=platform, workspace=workspace, chat=chat, thread=thread_key(deal_id),
                           payload=reply_to_json(reply), next_attempt_at=ctx.now, created_at=ctx.now))


def card(ctx: Ctx, deal: Deal) -> Reply:
    """The deal's card: the first message of its thread."""
    c = ctx.session.get(Customer, deal.customer_id)
    st = ctx.session.get(Stage, deal.stage)
    owner = ctx.session.get(User, deal.owner_id)
    stage = (st.name_zh if _zh(ctx) else st.name_en) if st else deal.stage
    text = _channel_text(ctx, "💼 新商机 *#{id} {t}*\n{c} · {m} · {s} · 负责人 {o}",
                         "💼 New deal *#{id} {t}*\n{c} · {m} · {s} · owner {o}",
                         id=deal.id, t=esc(deal.title), c=esc(c.name if c else "?"), m=money(deal.amount),
                         s=stage, o=esc(owner.name if owner else "?"))
    buttons = ((Button(label="详情" if _zh(ctx) else "Details", action=f"say:/deal {deal.id}"),
                Button(label="推进" if _zh(ctx) else "Advance", action=f"say:/advance {deal.id}")),)
    return Reply(text=text, buttons=buttons)


def _thread(ctx: Ctx, deal: Deal) -> tuple[str, str, str] | None:
    """The deal's thread target, opening it (row and card) the first time."""
    where = channel_of(_team_of(ctx, deal))
    if where is None or deal.id is None:
        return None
    platform, workspace, chat = where
    found = ctx.session.exec(select(DealThread).where(
        col(DealThread.deal_id) == deal.id, col(DealThread.platform) == platform,
        col(DealThread.workspace) == workspace, col(DealThread.channel) == chat)).first()
    if found is None:
        ctx.session.add(DealThread(deal_id=deal.id, platform=platform, workspace=workspace, channel=chat,
                                   created_at=ctx.now))
        _enqueue(ctx, where, deal.id, card(ctx, deal))
    return where


def post(ctx: Ctx, deal: Deal, zh: str, en: str, *, buttons: tuple[tuple[Button, ...], ...] = (),
         **kw: object) -> None:
    """Tell the deal's thread about an event (nothing when the team has no deals channel)."""
    where = _thread(ctx, deal)
    if where is not None and deal.id is not None:
        _enqueue(ctx, where, deal.id, Reply(text=_channel_text(ctx, zh, en, **kw), buttons=buttons))


def opened(ctx: Ctx, deal: Deal) -> None:
    """A new deal: its card opens its thread."""
    _thread(ctx, deal)


def moved(ctx: Ctx, deal: Deal, stage: Stage, order: SalesOrder | None) -> None:
    """A stage move, and the order a win created."""
    name = stage.name_zh if _zh(ctx) else stage.name_en
    post(ctx, deal, "➡️ {n} 把商机推进到 *{s}*（{p}%）", "➡️ {n} moved the deal to *{s}* ({p}%)",
         n=esc(ctx.me.name), s=name, p=stage.probability)
    if order is not None:
        post(ctx, deal, "🎉 赢单！订单 #{o}，金额 {m}", "🎉 Won! Order #{o} for {m}", o=order.id, m=money(order.amount))


def quoted(ctx: Ctx, deal: Deal, quote: Quote, approval_id: int | None, approvers: list[str]) -> None:
    """A new quote and, above the requester's limit, its approval request with the buttons."""
    post(ctx, deal, "🧾 {n} 做了报价 #{q}（第 {v} 版）：小计 {s}，折扣 {d}，合计 {t}",
         "🧾 {n} made quote #{q} (v{v}): subtotal {s}, discount {d}, total {t}",
         n=esc(ctx.me.name), q=quote.id, v=quote.version, s=money(quote.subtotal), d=pct(quote.discount),
         t=money(quote.total))
    if approval_id is None:
        return
    zh = _zh(ctx)
    post(ctx, deal, "🖊 折扣 {d} 超过 {n} 的权限，等待 {a} 审批。", "🖊 The {d} discount is over {n}'s limit; waiting for {a}.",
         d=pct(quote.discount), n=esc(ctx.me.name), a="、".join(esc(a) for a in approvers) or "?",
         buttons=((Button(label="批准" if zh else "Approve", action=f"ap.ok:{approval_id}", style="primary"),
                   Button(label="拒绝" if zh else "Reject", action=f"ap.no:{approval_id}", style="danger")),))


def decided(ctx: Ctx, quote: Quote, approve: bool) -> None:
    """An approval decided, in the thread of the quote's deal."""
    deal = ctx.session.get(Deal, quote.deal_id)
    if deal is None:
        return
    if approve:
        post(ctx, deal, "✅ {n} 批准了报价 #{q} 的 {d} 折扣", "✅ {n} approved the {d} discount on quote #{q}",
             n=esc(ctx.me.name), q=quote.id, d=pct(quote.discount))
    else:
        post(ctx, deal, "❌ {n} 拒绝了报价 #{q} 的 {d} 折扣", "❌ {n} rejected the {d} discount on quote #{q}",
             n=esc(ctx.me.name), q=quote.id, d=pct(quote.discount))


def logged(ctx: Ctx, activity: Activity, next_at: date | datetime | None) -> None:
    """A visit, call or note, in the thread of the customer's one open deal."""
    deals = ctx.session.exec(select(Deal).where(col(Deal.customer_id) == activity.customer_id,
                                                col(Deal.stage).not_in(("won", "lost"))).limit(2)).all()
    if len(deals) != 1:
        return
    kinds = {"visit": ("拜访", "visit"), "call": ("电话", "call"), "note": ("备注", "note")}
    zh_kind, en_kind = kinds.get(activity.kind, (activity.kind, activity.kind))
    follow = "" if next_at is None else _channel_text(ctx, "\n下次跟进：{w}", "\nNext follow-up: {w}",
                                                        w=when(next_at, "zh" if _zh(ctx) else "en"))
    post(ctx, deals[0], "📝 {n} 记录了{k}：{s}{f}", "📝 {n} logged a {k}: {s}{f}", n=esc(ctx.me.name),
         k=zh_kind if _zh(ctx) else en_kind, s=esc(activity.summary[:500]), f=follow)


def paid(ctx: Ctx, order: SalesOrder, amount: Decimal) -> None:
    """A payment received, in the thread of the order's deal."""
    deal = ctx.session.get(Deal, order.deal_id)
    if deal is not None:
        post(ctx, deal, "💰 收到回款 {a}（订单 #{o}），已收 {p} / {t}", "💰 Payment of {a} on order #{o}; {p} of {t} received",
             a=money(amount), o=order.id, p=money(order.paid), t=money(order.amount))


def planned(ctx: Ctx, order: SalesOrder, installments: int) -> None:
    """A payment plan set, in the thread of the order's deal."""
    deal = ctx.session.get(Deal, order.deal_id)
    if deal is not None:
        post(ctx, deal, "🗓 订单 #{o} 的付款计划：{n} 期，共 {t}", "🗓 Order #{o} has a payment plan: {n} installments, {t}",
             o=order.id, n=installments, t=money(order.amount))
