"""What Slack shows besides messages: the visit and quote modals, the pickers' options, the App Home."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from bot.adapters.slack import parse, views
from bot.adapters.slack.parse import Parsed
from handlers.commands.quotes import read_discount
from handlers.errors import MESSAGES
from handlers.types import Incoming, Reply
from sales.access import deal_scope
from sales.errors import RuleError
from sales.names.directory import find_customers
from sales.quotes import parse_lines
from sales.refs import as_id
from storage.models import Customer, Deal, User

if TYPE_CHECKING:
    from bot.adapters.slack.adapter import Slack

SELLERS = frozenset({"rep", "manager", "admin"})


async def open_visit(slack: Slack, p: Parsed, kind: str = "visit", text: str = "") -> None:
    """The visit modal (a slash command, a Home button, or the message shortcut)."""
    if await _not_served(slack, p, f"/{kind}"):
        return
    lang = await language(slack, p.team, p.user)
    view = views.visit_modal(lang, text=text, kind=kind, meta={"channel": p.channel or ""})
    await slack.client.views_open(trigger_id=p.trigger_id or "", view=view)


async def open_quote(slack: Slack, p: Parsed) -> None:
    """The quote modal."""
    if await _not_served(slack, p, "/quote new"):
        return
    lang = await language(slack, p.team, p.user)
    await slack.client.views_open(trigger_id=p.trigger_id or "",
                                  view=views.quote_modal(lang, meta={"channel": p.channel or ""}))


async def _not_served(slack: Slack, p: Parsed, line: str) -> bool:
    """A stranger or a deactivated user gets no modal: the core answers the command, as it would in a chat."""
    if await slack.db(slack.who, p.team, p.user, quick=True) is not None:
        return False
    base = p.incoming or Incoming(chat=parse.chat_ref(p.team, p.channel or ""), user=p.user,
                                  event_id=f"act:{p.trigger_id}", private=parse.is_private(p.channel))
    await slack.turn(replace(p, incoming=replace(base, text=line, action=None)))
    return True


async def language(slack: Slack, team: str, user: str) -> str:
    """The language the core answers this account in (a deactivated user's own, as the core's refusal)."""
    return await slack.db(slack.core.lang_for, "slack", team, user, quick=True)


async def options(slack: Slack, p: Parsed) -> list[dict[str, Any]]:
    """Options for a picker: the customers or open deals this user may see that match the typing."""
    return await slack.db(partial(_options, slack), p.team, p.user, str(p.extra["action_id"]),
                          str(p.extra["value"]), quick=True)


def _options(slack: Slack, team: str, user: str, picker: str, typed: str) -> list[dict[str, Any]]:
    who = slack.who(team, user)
    if who is None:
        return []
    with slack.sessions() as s:
        me = s.get(User, who.user_id)
        assert me is not None
        if picker == views.CUSTOMER_PICKER:
            if not typed.strip():
                return []
            return [views.option(c.name, str(c.id)) for c in find_customers(s, user=me, query=typed, limit=20)]
        q = select(Deal, Customer.name).join(Customer, col(Customer.id) == col(Deal.customer_id)).where(
            deal_scope(me), col(Deal.stage).not_in(("won", "lost")))
        num = as_id(typed)
        if num is not None:
            q = q.where(col(Deal.id) == num)
        elif typed.strip():
            ids = [c.id for c in find_customers(s, user=me, query=typed, limit=20)]
            q = q.where(col(Deal.customer_id).in_(ids))
        rows = s.exec(q.order_by(col(Deal.updated_at).desc()).limit(50)).all()
        return [views.option(f"#{d.id} {name} · {d.title}", str(d.id)) for d, name in rows]


def check_modal(slack: Slack, p: Parsed) -> dict[str, str]:
    """What a submitted modal lacks, per block, in both languages (answered within the ack)."""
    values = p.extra["values"]
    errors: dict[str, str] = {}
    if p.extra["callback_id"] == views.VISIT:
        if not parse.value_of(values, "customer", views.CUSTOMER_PICKER).isdigit():
            errors["customer"] = "请选择客户 / Choose a customer"
        if not parse.value_of(values, "text", "text"):
            errors["text"] = "请写上内容 / Please write what happened"
    elif p.extra["callback_id"] == views.QUOTE:
        if not parse.value_of(values, "deal", views.DEAL_PICKER).isdigit():
            errors["deal"] = "请选择商机 / Choose a deal"
        try:
            parse_lines(parse.value_of(values, "lines", "lines"))
        except RuleError as err:
            errors["lines"] = _both(err)
        discount = parse.value_of(values, "discount", "discount")
        if discount:
            try:
                if not 0 <= read_discount(discount) < 100:
                    raise RuleError("bad_discount", value=discount)
            except RuleError as err:
                errors["discount"] = _both(err)
    return errors


def submitted(slack: Slack, p: Parsed) -> Parsed | None:
    """A valid modal's submission as the command it stands for."""
    values, meta = p.extra["values"], p.extra["meta"]
    if p.extra["callback_id"] == views.VISIT:
        kind = parse.value_of(values, "kind", "kind") or "visit"
        kind = kind if kind in ("visit", "call", "note") else "visit"
        cid = parse.value_of(values, "customer", views.CUSTOMER_PICKER)
        text = parse.value_of(values, "text", "text")
        date = parse.value_of(values, "followup", "date")
        line = f"/{kind} #{cid} {text}" + (f"\n→ {date}" if date else "")
    elif p.extra["callback_id"] == views.QUOTE:
        deal = parse.value_of(values, "deal", views.DEAL_PICKER)
        lines = "; ".join(x.strip() for x in parse.value_of(values, "lines", "lines").splitlines() if x.strip())
        discount = parse.value_of(values, "discount", "discount")
        line = f"/quote new #{deal} {lines}" + (f" discount {discount}" if discount else "")
    else:
        return None
    channel = str(meta.get("channel") or "")
    inc = Incoming(chat=parse.chat_ref(p.team, channel), user=p.user, text=line,
                   event_id=f"view:{p.extra['view_id']}", private=True)
    return replace(p, incoming=inc, channel=None)


async def publish_home(slack: Slack, team: str, user: str) -> None:
    """The App Home: today's and overdue follow-ups, overdue receivables, approvals waiting."""
    who = await slack.db(slack.who, team, user)
    lang = who.lang if who is not None else await language(slack, team, user)

    def run(text: str) -> list[Reply]:
        chat = parse.chat_ref(team, f"home:{user}")
        return slack.core.handle(Incoming(chat=chat, user=user, text=text, private=True))

    sections: list[tuple[str, list[Reply]]] = []
    if who is None:
        sections.append(("salesbot", await slack.db(run, "/start")))
    else:
        if who.role in SELLERS:
            sections.append((_t(lang, "今天和逾期的跟进", "Today's and overdue follow-ups"), await slack.db(run, "/today")))
        if who.role in ("manager", "admin"):
            sections.append((_t(lang, "等我审批", "Waiting for my approval"), await slack.db(run, "/approvals")))
        sections.append((_t(lang, "逾期应收", "Overdue receivables"), await slack.db(run, "/receivables overdue")))
    view = views.home_view(lang, sections, can_quote=who is not None and who.role in SELLERS,
                           can_log=who is not None and who.role in SELLERS)
    await slack.client.views_publish(user_id=user, view=view)


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _both(err: RuleError) -> str:
    zh, en = MESSAGES.get(err.code, ("操作被拒绝（{code}）。", "That was refused ({code})."))
    params = {k: ", ".join(v) if isinstance(v, list) else v for k, v in err.params.items()}
    return f"{zh.format(code=err.code, **params)} / {en.format(code=err.code, **params)}"[:150]
