"""Group rules: personal replies go to the person privately, and deal news go to the team's deals room."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from sqlalchemy import event, func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from handlers.context import Ctx, reply_to_json
from handlers.dialogs import data_of
from handlers.markup import esc
from handlers.registry import command
from handlers.types import ChatRef, Platform, Reply
from sales import audit
from sales.privacy import has_phone, mask_text
from storage.models import ChatIdentity, Conversation, Customer, Deal, Outbox, Stage, StageChange, Team, User

# Commands whose answers show contacts, money of deals and orders that may be another rep's, or secrets.
# A command module may instead mark single replies with Reply(private=True) / ctx.say(..., private=True).
PERSONAL_COMMANDS = {"customer", "deal", "deals", "quote", "approvals", "receivables", "paid", "plan", "invite",
                     "digest", "export", "privacy"}
# ...except the subcommands that create a record (they echo what their author just typed), and those that set
# something about the chat itself: their answer belongs where they were said.
_CREATING = {"add", "new", "新建", "添加"}
_ABOUT_THE_CHAT = {("digest", "here"), ("digest", "这里")}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PLATFORMS: tuple[Platform, ...] = ("slack", "telegram", "console")
_FLOWS = {"quote": "/quote new", "quote_discount": "/quote new", "qualify": "/advance", "edit_activity": "/visit"}


def is_personal(reply: Reply, said: str) -> bool:
    """Whether a reply to the command line `said` carries personal data."""
    if reply.private or _EMAIL.search(reply.text) or has_phone(reply.text):
        return True
    if not said.startswith("/"):
        return False
    head, _, args = said[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    first = args.split(maxsplit=1)[0].lower() if args.strip() else ""
    return name in PERSONAL_COMMANDS and first not in _CREATING and (name, first) not in _ABOUT_THE_CHAT


def resumed(before: object, text: str) -> str:
    """The command line an answer to an open dialogue amounts to, e.g. "/customer 华东" after "Which customer?"."""
    if not isinstance(before, Conversation):
        return text
    if before.flow == "complete":
        return f"{data_of(before).get('prefix', '')} {text}".strip()
    return _FLOWS.get(before.flow, text)


def private_chat(session: Session, user: User, platform: str) -> ChatRef | None:
    """Where to reach `user` privately on `platform`: their direct chat, else their account (Telegram, Slack)."""
    ident = session.exec(select(ChatIdentity).where(col(ChatIdentity.user_id) == user.id,
                                                    col(ChatIdentity.platform) == platform)
                         .order_by(col(ChatIdentity.id).desc())).first()
    if ident is None or ident.platform not in _PLATFORMS:
        return None
    return ChatRef(platform=ident.platform, workspace=ident.workspace, chat=ident.chat or ident.external_id)


def masked(reply: Reply) -> Reply:
    """A reply for a group chat: phones and emails masked (138****1234, z***@example.com)."""
    text = mask_text(reply.text, star="\\*")
    return reply if text == reply.text else replace(reply, text=text)


def _to_group(row: Outbox) -> bool:
    """Whether an outbox row goes to a group chat rather than to one person."""
    if row.user_id is not None:
        return False
    if row.thread and row.thread.startswith("deal:"):
        return True
    if row.platform == "telegram":
        return row.chat.startswith("-")  # groups and channels have negative ids
    if row.platform == "slack":
        return not row.chat.startswith(("D", "U", "W"))  # an IM, or a person's id that opens one
    return True


@event.listens_for(OrmSession, "before_flush")
def _mask_group_posts(session: OrmSession, _context: object, _instances: object) -> None:
    """Every outbox row bound for a group chat, whoever writes it, is masked before it is stored."""
    for obj in session.new:
        if isinstance(obj, Outbox) and _to_group(obj):
            try:
                data = json.loads(obj.payload)
            except ValueError:
                continue
            if isinstance(data, dict) and isinstance(data.get("text"), str):
                text = mask_text(data["text"], star="\\*")
                if text != data["text"]:
                    data["text"] = text
                    obj.payload = json.dumps(data, ensure_ascii=False)


def route(ctx: Ctx) -> None:
    """In a group chat, address the speaker's personal replies to their private chat; the group gets a note."""
    if ctx.incoming.private or ctx.user is None:
        return
    out: list[Reply] = []
    noted = False
    for r in ctx.replies:
        if r.to is not None or r.edit is not None or not is_personal(r, ctx.said):
            out.append(r if r.to is not None else masked(r))  # what stays in the group shows no phone or email
            continue
        if not noted:
            out.append(Reply(text=ctx.t("🔒 {n}：详情已私信发给你（没收到的话，先私聊我发一次 /start）。",
                                        "🔒 {n}: I sent you that privately (if nothing arrives, open a private "
                                        "chat with me and send /start).", n=esc(ctx.me.name))))
            noted = True
        where = private_chat(ctx.session, ctx.me, ctx.incoming.chat.platform)
        if where is not None:
            out.append(replace(r, to=where, private=False))
    ctx.replies[:] = out


# The deals room: a group chat, or a topic of a forum supergroup, where a team's deal news are posted.
# Team.deals_room holds it as "platform:workspace:chat[:thread]"; Team.deals_channel is the deal threads'
# channel of handlers/threads.py, a separate setting.

def encode_room(where: ChatRef) -> str:
    """A chat (and thread) as Team.deals_room stores it."""
    return ":".join(p for p in (where.platform, where.workspace, where.chat, where.thread) if p)


def decode_room(value: str | None) -> ChatRef | None:
    """The chat a Team.deals_room value names, if it is one encode_room wrote."""
    parts = (value or "").split(":")
    if len(parts) not in (3, 4) or parts[0] not in _PLATFORMS or not all(parts):
        return None
    return ChatRef(platform=parts[0], workspace=parts[1], chat=parts[2], thread=parts[3] if len(parts) == 4 else None)


def mark(session: Session) -> int:
    """The newest stage change before a turn, so the turn's own moves can be told apart."""
    newest = session.exec(select(func.max(StageChange.id))).one()
    return int(newest or 0)


def announce(ctx: Ctx, since: int) -> None:
    """Post this turn's deal moves to their team's deals room (unless the move was made there)."""
    if ctx.user is None:
        return
    moves = ctx.session.exec(select(StageChange).where(col(StageChange.id) > since,
                                                       col(StageChange.by_id) == ctx.me.id,
                                                       col(StageChange.at) == ctx.now)
                             .order_by(col(StageChange.id))).all()
    here = ctx.incoming.chat
    for m in moves:
        deal = ctx.session.get(Deal, m.deal_id)
        owner = ctx.session.get(User, deal.owner_id) if deal else None
        team = ctx.session.get(Team, owner.team_id) if owner and owner.team_id else None
        room = decode_room(team.deals_room) if team else None
        if deal is None or room is None or (room.platform, room.workspace, room.chat) == (
                here.platform, here.workspace, here.chat):
            continue
        customer = ctx.session.get(Customer, deal.customer_id)
        stage = ctx.session.get(Stage, m.to_stage)
        zh = ctx.settings.default_lang == "zh"
        label = (stage.name_zh if zh else stage.name_en) if stage else m.to_stage
        text = (f"📈 商机 #{deal.id} {esc(deal.title)}（{esc(customer.name if customer else '?')}）→ *{label}* · "
                f"{esc(ctx.me.name)}" if zh else
                f"📈 Deal #{deal.id} {esc(deal.title)} ({esc(customer.name if customer else '?')}) → *{label}* · "
                f"{esc(ctx.me.name)}")
        ctx.session.add(Outbox(platform=room.platform, workspace=room.workspace, chat=room.chat, thread=room.thread,
                               payload=reply_to_json(Reply(text=text)), next_attempt_at=ctx.now,
                               created_at=ctx.now))


def after_turn(ctx: Ctx, since: int) -> None:
    """The group rules, applied to a finished turn inside its transaction."""
    announce(ctx, since)
    route(ctx)


@command("dealroom", "/dealroom [off]", "在这个群（或话题）里发布团队的商机动态",
         "post the team's deal moves in this group (or topic)", roles=frozenset({"manager", "admin"}))
def dealroom(ctx: Ctx, args: str) -> None:
    """Make the chat (or forum topic) this is said in the team's deals room, or stop with `off`."""
    team = ctx.session.get(Team, ctx.me.team_id) if ctx.me.team_id else None
    if team is None:
        ctx.say("你还不属于任何团队。", "You are not in a team.")
        return
    before = team.deals_room
    if args.strip().lower() in ("off", "关闭", "停止"):
        if team.deals_room is not None:
            team.deals_room = None
            ctx.session.add(team)
            audit.record(ctx.session, by=ctx.me.id, action="update", entity="team", entity_id=team.id, now=ctx.now,
                         before={"deals_room": before}, after={"deals_room": None})
        ctx.say("好的，不再在群里发布商机动态。", "OK, deal moves are no longer posted to a group.")
        return
    if ctx.incoming.private:
        ctx.say("请在团队群里（或群里的某个话题里）发送 /dealroom。",
                "Send /dealroom in the team group (or in one of its topics).")
        return
    team.deals_room = encode_room(ctx.incoming.chat)
    ctx.session.add(team)
    audit.record(ctx.session, by=ctx.me.id, action="update", entity="team", entity_id=team.id, now=ctx.now,
                 before={"deals_room": before}, after={"deals_room": team.deals_room})
    ctx.say("好的，团队 {t} 的商机动态以后发在这里。", "OK, team {t}'s deal moves will be posted here.",
            t=esc(team.name))
