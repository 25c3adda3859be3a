"""Deal news: what happened to a deal, told once and fanned out to every place the team follows its deals.

Two team settings say where: `Team.deals_room`, a group chat (or forum topic) where deals are announced as they
open and move ("platform:workspace:chat[:thread]", set by /dealroom; on a platform of CARD_ROOMS each deal is one
card there, replaced as it moves), and `Team.deals_channel`, a channel where
each deal has a thread of its own that tells its whole story ("threads:platform:workspace:chat", set by
/config deals-channel): its card first, then its visits, moves, quotes, approvals and payments. Both are
written to the outbox here; the platform's sender turns the thread key `deal:N` into its own thread (a Slack
thread, a Feishu card). Digests read the same facts (stage changes, activities) from the database.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam
from sqlmodel import col, select

from handlers import outbox
from handlers.context import Ctx
from handlers.fmt import money, pct, stage_name, when
from handlers.i18n import N_, lang_of, tr
from handlers.markup import esc
from handlers.types import Button, ChatRef, Platform, Reply
from sales.activities import Logged
from storage.models import Customer, Deal, DealThread, Quote, SalesOrder, Stage, Team, User
from storage.threads import deal_thread

# Team.deals_channel keeps this prefix from when the deals room shared the column (until migration 0007).
PREFIX = "threads:"
PLATFORMS: tuple[Platform, ...] = ("slack", "telegram", "console", "feishu")
# Deals rooms on these platforms show each deal as one card, updated in place as it moves (a Feishu message
# patch), rather than a line per move. The card's rows are `deal:N` rows whose Reply.edit is CARD; the sender
# keeps the card's message id in the deal's DealThread row for the room's chat.
CARD_ROOMS: frozenset[str] = frozenset({"feishu"})
CARD = "card"


def thread_key(deal_id: int) -> str:
    """The Outbox.thread of a deal's thread: the sender resolves it to the platform's thread id."""
    return f"deal:{deal_id}"


def deal_of_thread(thread: str | None) -> int | None:
    """The deal a thread key names, or None for a plain thread id."""
    if thread and thread.startswith("deal:") and thread[5:].isdigit():
        return int(thread[5:])
    return None


def encode_room(where: ChatRef) -> str:
    """A chat (and thread) as Team.deals_room stores it."""
    return ":".join(p for p in (where.platform, where.workspace, where.chat, where.thread) if p)


def decode_room(value: str | None) -> ChatRef | None:
    """The chat a Team.deals_room value names, if it is one encode_room wrote."""
    parts = (value or "").split(":")
    if len(parts) not in (3, 4) or parts[0] not in PLATFORMS or not all(parts):
        return None
    return ChatRef(platform=parts[0], workspace=parts[1], chat=parts[2],
                   thread=parts[3] if len(parts) == 4 else None)


def channel_of(team: Team | None) -> ChatRef | None:
    """A team's deals channel for threads, if it has one."""
    if team is None or not team.deals_channel or not team.deals_channel.startswith(PREFIX):
        return None
    parts = team.deals_channel[len(PREFIX):].split(":", 2)
    if len(parts) != 3 or not all(parts) or parts[0] not in PLATFORMS:
        return None
    return ChatRef(platform=parts[0], workspace=parts[1], chat=parts[2])


def _lang(ctx: Ctx) -> str:
    # A room or a channel is read by the whole team: it speaks the deployment's language, not the speaker's.
    return lang_of(ctx.settings.default_lang)


def _text(ctx: Ctx, msgid: str, **kw: object) -> str:
    return tr(_lang(ctx), msgid, **kw)


def _team_of(ctx: Ctx, deal: Deal) -> Team | None:
    owner = ctx.session.get(User, deal.owner_id)
    return ctx.session.get(Team, owner.team_id) if owner is not None and owner.team_id else None


def card(ctx: Ctx, deal: Deal) -> Reply:
    """The deal's card: the first message of its thread."""
    c = ctx.session.get(Customer, deal.customer_id)
    owner = ctx.session.get(User, deal.owner_id)
    text = _text(ctx, "💼 New deal *#{id} {t}*\n{c} · {m} · {s} · owner {o}",
                 id=deal.id, t=esc(deal.title), c=esc(c.name if c else "?"), m=money(deal.amount, deal.currency),
                 s=_stage_name(ctx, ctx.session.get(Stage, deal.stage), deal.stage), o=esc(owner.name if owner else "?"))
    buttons = ((Button(label=_text(ctx, "Details"), action=f"say:/deal {deal.id}"),
                Button(label=_text(ctx, "Advance"), action=f"say:/advance {deal.id}")),)
    return Reply(text=text, buttons=buttons)


def _stage_name(ctx: Ctx, stage: Stage | None, key: str) -> str:
    return stage_name(stage, _lang(ctx), key)


def room_card(ctx: Ctx, deal: Deal) -> Reply:
    """The deal as it stands now, for a deals room that keeps one card per deal (CARD_ROOMS)."""
    c = ctx.session.get(Customer, deal.customer_id)
    owner = ctx.session.get(User, deal.owner_id)
    text = _text(ctx, "💼 *#{id} {t}* · {c}\n{m} · owner {o}\n📈 *{s}* · {n}",
                 id=deal.id, t=esc(deal.title), c=esc(c.name if c else "?"), m=money(deal.amount, deal.currency),
                 o=esc(owner.name if owner else "?"), s=_stage_name(ctx, ctx.session.get(Stage, deal.stage), deal.stage),
                 n=esc(ctx.me.name))
    details = Button(label=_text(ctx, "Details"), action=f"say:/deal {deal.id}")
    row = (details,) if deal.stage in ("won", "lost") else (
        details, Button(label=_text(ctx, "Advance"), action=f"say:/advance {deal.id}"))
    return Reply(text=text, buttons=(row,), edit=CARD)


def _thread_row(ctx: Ctx, deal_id: int, where: ChatRef) -> bool:
    """Make sure the deal has its DealThread row for `where`; True when it was made now."""
    if deal_thread(session=ctx.session, deal_id=deal_id, platform=where.platform, workspace=where.workspace,
                   channel=where.chat) is not None:
        return False
    ctx.session.add(DealThread(deal_id=deal_id, platform=where.platform, workspace=where.workspace,
                               channel=where.chat, created_at=ctx.now))
    ctx.session.flush()
    return True


def _thread(ctx: Ctx, deal: Deal, team: Team | None) -> tuple[ChatRef | None, bool]:
    """The deal's thread in its team's deals channel, opening it (row and card) the first time; and whether it
    was opened now."""
    where = channel_of(team)
    if where is None or deal.id is None:
        return None, False
    thread = ChatRef(platform=where.platform, workspace=where.workspace, chat=where.chat, thread=thread_key(deal.id))
    opened = _thread_row(ctx, deal.id, where)
    if opened:
        outbox.put(ctx.session, thread, card(ctx, deal), now=ctx.now)
    return thread, opened


def _same_chat(a: ChatRef, b: ChatRef) -> bool:
    return (a.platform, a.workspace, a.chat) == (b.platform, b.workspace, b.chat)


def publish(ctx: Ctx, deal: Deal, story: Reply | None, *, headline: str | None = None) -> None:
    """Tell the team about a deal event: `story` in the deal's thread (opened with its card the first time),
    `headline` in the deals room."""
    team = _team_of(ctx, deal)
    thread, opened = _thread(ctx, deal, team)
    if thread is not None and story is not None:
        outbox.put(ctx.session, thread, story, now=ctx.now)
    room = decode_room(team.deals_room) if team is not None and headline is not None else None
    if room is None or headline is None or deal.id is None:
        return
    if room.platform in CARD_ROOMS:
        # One card per deal in the room: posted the first time, replaced on every move. When the room is also
        # the deals channel, the card is the thread's: a thread opened just now already posted it.
        if not (opened and thread is not None and _same_chat(thread, room)):
            _thread_row(ctx, deal.id, room)
            where = ChatRef(platform=room.platform, workspace=room.workspace, chat=room.chat,
                            thread=thread_key(deal.id))
            outbox.put(ctx.session, where, room_card(ctx, deal), now=ctx.now)
    elif not _same_chat(room, ctx.incoming.chat):  # said in the room itself: it already shows
        outbox.put(ctx.session, room, Reply(text=headline), now=ctx.now)


def _headline(ctx: Ctx, deal: Deal, stage: Stage | None) -> str:
    """A line for the deals room: which deal, where it now stands, who moved it."""
    customer = ctx.session.get(Customer, deal.customer_id)
    return _text(ctx, "📈 Deal #{id} {t} ({c}) → *{s}* · {n}",
                 id=deal.id, t=esc(deal.title), c=esc(customer.name if customer else "?"),
                 s=_stage_name(ctx, stage, deal.stage), n=esc(ctx.me.name))


def opened(ctx: Ctx, deal: Deal) -> None:
    """A new deal: its card opens its thread, and the room hears of it."""
    publish(ctx, deal, None, headline=_headline(ctx, deal, ctx.session.get(Stage, deal.stage)))


def moved(ctx: Ctx, deal: Deal, stage: Stage, order: SalesOrder | None) -> None:
    """A stage move, and the order a win created."""
    publish(ctx, deal, Reply(text=_text(ctx, "➡️ {n} moved the deal to *{s}* ({p}%)",
                                        n=esc(ctx.me.name), s=_stage_name(ctx, stage, stage.key),
                                        p=stage.probability)),
            headline=_headline(ctx, deal, stage))
    if order is not None:
        publish(ctx, deal, Reply(text=_text(ctx, "🎉 Won! Order #{o} for {m}",
                                            o=order.id, m=money(order.amount, order.currency))))


def quoted(ctx: Ctx, deal: Deal, quote: Quote, approval_id: int | None, approvers: list[str]) -> None:
    """A new quote and, above the requester's limit, its approval request with the buttons."""
    publish(ctx, deal, Reply(text=_text(
        ctx, "🧾 {n} made quote #{q} (v{v}): subtotal {s}, discount {d}, total {t}",
        n=esc(ctx.me.name), q=quote.id, v=quote.version, s=money(quote.subtotal, quote.currency), d=pct(quote.discount),
        t=money(quote.total, quote.currency))))
    if approval_id is None:
        return
    publish(ctx, deal, Reply(
        text=_text(ctx, "🖊 The {d} discount is over {n}'s limit; waiting for {a}.",
                   d=pct(quote.discount), n=esc(ctx.me.name), a=_text(ctx, ", ").join(esc(a) for a in approvers) or "?"),
        buttons=((Button(label=_text(ctx, "Approve"), action=f"ap.ok:{approval_id}", style="primary"),
                  Button(label=_text(ctx, "Reject"), action=f"ap.no:{approval_id}", style="danger")),)))


def decided(ctx: Ctx, quote: Quote, approve: bool) -> None:
    """An approval decided, in the thread of the quote's deal."""
    deal = ctx.session.get(Deal, quote.deal_id)
    if deal is None:
        return
    msgid = (N_("✅ {n} approved the {d} discount on quote #{q}") if approve else
             N_("❌ {n} rejected the {d} discount on quote #{q}"))
    publish(ctx, deal, Reply(text=_text(ctx, msgid, n=esc(ctx.me.name), q=quote.id, d=pct(quote.discount))))


# Built once (bound parameter): it runs at every visit, call and note.
_OPEN_DEALS = select(Deal).where(col(Deal.customer_id) == bindparam("customer"),
                                 col(Deal.stage).not_in(("won", "lost"))).limit(2)


def logged(ctx: Ctx, activity: Logged, next_at: date | datetime | None) -> None:
    """A visit, call or note, in the thread of the customer's one open deal."""
    deals = ctx.session.exec(_OPEN_DEALS, params={"customer": activity.customer_id}).all()
    if len(deals) != 1:
        return
    logged_as = {"visit": N_("📝 {n} logged a visit: {s}{f}"), "call": N_("📝 {n} logged a call: {s}{f}")}
    follow = "" if next_at is None else _text(ctx, "\nNext follow-up: {w}", w=when(next_at, _lang(ctx)))
    publish(ctx, deals[0], Reply(text=_text(ctx, logged_as.get(activity.kind, N_("📝 {n} logged a note: {s}{f}")),
                                            n=esc(ctx.me.name), s=esc(activity.summary[:500]), f=follow)))


def paid(ctx: Ctx, order: SalesOrder, amount: Decimal) -> None:
    """A payment received, in the thread of the order's deal."""
    deal = ctx.session.get(Deal, order.deal_id)
    if deal is not None:
        publish(ctx, deal, Reply(text=_text(
            ctx, "💰 Payment of {a} on order #{o}; {p} of {t} received",
            a=money(amount, order.currency), o=order.id, p=money(order.paid, order.currency),
            t=money(order.amount, order.currency))))


def planned(ctx: Ctx, order: SalesOrder, installments: int) -> None:
    """A payment plan set, in the thread of the order's deal."""
    deal = ctx.session.get(Deal, order.deal_id)
    if deal is not None:
        publish(ctx, deal, Reply(text=_text(
            ctx, "🗓 Order #{o} has a payment plan: {n} installments, {t}",
            o=order.id, n=installments, t=money(order.amount, order.currency))))


STEP_NEWS = {
    "production": N_("🏭 Order #{o} ({c}) is in production/picking · {n}"),
    "shipped": N_("🚚 Order #{o} ({c}) shipped{x} · {n}"),
    "delivered": N_("📦 Order #{o} ({c}) delivered · {n}"),
    "accepted": N_("✅ Order #{o} ({c}) accepted by the customer · {n}"),
}


def fulfilled(ctx: Ctx, order: SalesOrder, step: str, carrier: str | None, tracking: str | None) -> None:
    """A fulfilment step of an order: in the deal's thread and, as a line, in the deals room."""
    deal = ctx.session.get(Deal, order.deal_id)
    if deal is None or step not in STEP_NEWS:
        return
    c = ctx.session.get(Customer, order.customer_id)
    extra = " · ".join(esc(x) for x in (carrier, tracking) if x)
    text = _text(ctx, STEP_NEWS[step], o=order.id, c=esc(c.name if c else "?"), n=esc(ctx.me.name),
                 x=f" ({extra})" if extra else "")
    publish(ctx, deal, Reply(text=text), headline=text)
