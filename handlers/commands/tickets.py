"""Service tickets in chat: /ticket new|N|N comment|N assign|N priority, the status buttons, /tickets (paged)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlmodel import col, select

from handlers import errors, lookup
from handlers.context import Ctx
from handlers.fmt import moment
from handlers.i18n import N_, tr
from handlers.markup import esc
from handlers.registry import click, command, usage
from handlers.surveys import offer_survey
from handlers.types import Button, Reply
from sales import tickets
from sales.access import SELLERS, can_see_customer, ticket_scope
from sales.errors import RuleError
from sales.refs import as_id
from storage.models import Customer, Ticket, User

PAGE = 10
STATUS = {"new": N_("new"), "in_progress": N_("in progress"), "waiting": N_("waiting on customer"),
          "resolved": N_("resolved"), "closed": N_("closed")}
# The button that moves a ticket to each status.
MOVE = {"in_progress": N_("Start"), "waiting": N_("Wait for customer"), "resolved": N_("Resolve"),
        "closed": N_("Close")}
VERBS = {"start": "in_progress", "progress": "in_progress", "处理": "in_progress", "开始": "in_progress",
         "wait": "waiting", "waiting": "waiting", "等待": "waiting", "等客户": "waiting",
         "resolve": "resolved", "resolved": "resolved", "解决": "resolved", "已解决": "resolved",
         "close": "closed", "关闭": "closed", "reopen": "in_progress", "重开": "in_progress"}
PRIORITY = {"P1": N_("P1 urgent"), "P2": N_("P2 high"), "P3": N_("P3 normal")}
NEW_WORDS = ("new", "add", "新建", "添加", "新")
COMMENT_WORDS = ("comment", "note", "评论", "备注")
ASSIGN_WORDS = ("assign", "分配", "指派")
PRIORITY_WORDS = ("priority", "优先级")
MINE, TEAM, OVERDUE = ("mine", "我的"), ("team", "团队", "all", "全部"), ("overdue", "超时", "逾期")
errors.MESSAGES.update({  # the refusals of sales/tickets.py, answered like every other rule's
    "ticket_bad_priority": N_("The priority is P1, P2 or P3."),
    "ticket_sellers": N_("Only reps, managers and admins work on tickets."),
    "ticket_no_problem": N_("Describe the problem, e.g. /ticket new ACME the printer jams"),
    "ticket_no_comment": N_("Write the comment, e.g. /ticket 3 comment called back, waiting for the part"),
    "ticket_too_long": N_("That is too long (at most {limit} characters)."),
    "ticket_bad_status": N_("Unknown status."),
    "ticket_bad_move": N_("A ticket that is {status} can't become {to}; use the buttons of /ticket N."),
    "ticket_assign_manager": N_("Only a manager or an admin can reassign tickets."),
    "ticket_closed": N_("This ticket is closed."),
    "ticket_targets_admin": N_("Only an admin sets ticket targets."),
    "ticket_bad_target": N_("Write targets like: /config tickets P1 2h 1d (first response, resolution; h = working "
                            "hours, d = working days)."),
})


def status_name(lang: str, status: str) -> str:
    """A status in the reader's language."""
    return tr(lang, STATUS[status]) if status in STATUS else status


def _priority_of(word: str) -> str | None:
    w = word.strip().upper()
    return w if w in tickets.PRIORITIES else None


def _visible(ctx: Ctx, num: int) -> Ticket | None:
    t = ctx.session.exec(select(Ticket).where(col(Ticket.id) == num, ticket_scope(ctx.me))).first()
    if t is None:
        ctx.say("No ticket #{n} found. See yours with /tickets.", n=num)
    return t


@command("ticket", "/ticket new CUSTOMER <problem> | /ticket N [start|wait|resolve|close|reopen] | "
         "/ticket N comment <text> | /ticket N assign USER | /ticket N priority P1|P2|P3",
         "service tickets: open one, see its card and history, move it on, comment, reassign",
         roles=SELLERS, personal=True,
         usage_by={"rep": N_("/ticket new CUSTOMER <problem> | /ticket N [start|wait|resolve|close|reopen] | "
                             "/ticket N comment <text> | /ticket N priority P1|P2|P3")})
def ticket_cmd(ctx: Ctx, args: str) -> None:
    """Route /ticket new …, /ticket N …."""
    head, _, rest = args.strip().partition(" ")
    if head.lower() in NEW_WORDS:
        _new(ctx, rest.strip())
        return
    num = as_id(head)
    if num is None:
        usage(ctx, "ticket")
        return
    t = _visible(ctx, num)
    if t is None:
        return
    verb, _, text = rest.strip().partition(" ")
    word = verb.lower()
    if not word:
        card(ctx, t)
    elif word in VERBS:
        _move(ctx, t, VERBS[word])
    elif word in COMMENT_WORDS:
        tickets.comment(ctx.session, ticket=t, by=ctx.me, text=text, now=ctx.now)
        ctx.say("Comment added to ticket #{n}.", n=t.id,
                buttons=((ctx.button(ctx.t("Open"), f"say:/ticket {t.id}"),),))
    elif word in ASSIGN_WORDS and text.strip():
        who = lookup.user(ctx, text.strip(), lambda ref: f"/ticket {t.id} assign {ref}")
        if who is not None:
            tickets.assign(ctx.session, ticket=t, to=who, by=ctx.me, now=ctx.now)
            ctx.say("Ticket #{n} is now {u}'s.", n=t.id, u=esc(who.name))
            if who.id != ctx.me.id:
                _tell(ctx, t, who, N_("Ticket #{n} ({c}, {p}) is yours now: {x}"))
    elif word in PRIORITY_WORDS and _priority_of(text):
        tickets.set_priority(ctx.session, ticket=t, priority=text.strip(), by=ctx.me, now=ctx.now,
                             default_tz=ctx.settings.default_tz)
        card(ctx, t)
    else:
        usage(ctx, "ticket")


def _new(ctx: Ctx, args: str) -> None:
    """/ticket new CUSTOMER [P1|P2|P3] <problem>: the priority asked with buttons when not given."""
    named = lookup.leading_customer(ctx, args, "/ticket new", N_("For which customer?"))
    if named is None:
        return
    c, text = named
    words = text.split()
    priority = None
    if words and _priority_of(words[0]):
        priority, words = _priority_of(words[0]), words[1:]
    elif words and _priority_of(words[-1]):
        priority, words = _priority_of(words[-1]), words[:-1]
    problem = " ".join(words)
    if not problem:
        ctx.say("What is the problem?")
        ctx.ask("complete", {"prefix": f"/ticket new #{c.id}" + (f" {priority}" if priority else "")})
        return
    if priority is None:
        ctx.say("Which priority? P1: first response within 2 working hours; P2: 8 hours; P3: 1 working day.",
                buttons=(tuple(ctx.button(ctx.t(PRIORITY[p]), f"say:/ticket new #{c.id} {p} {problem}",
                                          "danger" if p == "P1" else None) for p in tickets.PRIORITIES),))
        return
    t = tickets.open_ticket(ctx.session, by=ctx.me, customer=c, problem=problem, priority=priority, now=ctx.now,
                            default_tz=ctx.settings.default_tz)
    who = ctx.session.get(User, t.assignee_id) if t.assignee_id else None
    ctx.say("Ticket #{n} opened for {c} ({p}), assigned to {u}. First response by {r}, resolution by {s}.",
            n=t.id, c=esc(c.name), p=t.priority, u=esc(who.name) if who else ctx.t("nobody"),
            r=moment(t.respond_by, ctx.tz, ctx.lang), s=moment(t.resolve_by, ctx.tz, ctx.lang),
            buttons=((ctx.button(ctx.t("Open"), f"say:/ticket {t.id}"),),))
    if who is not None and who.id != ctx.me.id:
        _tell(ctx, t, who, N_("New ticket #{n} for you ({c}, {p}): {x}"))


def _tell(ctx: Ctx, t: Ticket, who: User, msgid: str) -> None:
    lang = ctx.lang_for(who)
    ctx.notify(who, msgid, n=t.id, c=esc(_customer_name(ctx, t)), p=t.priority, x=esc(t.problem[:200]),
               buttons=((ctx.button(tr(lang, "Open"), f"say:/ticket {t.id}"),),))


def _customer_name(ctx: Ctx, t: Ticket) -> str:
    c = ctx.session.get(Customer, t.customer_id) if t.customer_id is not None else None
    return c.name if c is not None else (t.company or "?")


def _move(ctx: Ctx, t: Ticket, to: str) -> None:
    tickets.set_status(ctx.session, ticket=t, to=to, by=ctx.me, now=ctx.now)
    ctx.say("Ticket #{n}: {s}.", n=t.id, s=status_name(ctx.lang, t.status), buttons=_buttons(ctx, t))
    customer = ctx.session.get(Customer, t.customer_id) if t.customer_id is not None else None
    if to == "resolved" and customer is not None:  # the customer's owner gets a survey link to pass on
        offer_survey(ctx, customer=customer, subject_kind="ticket", subject_id=t.id)
    if t.assignee_id and t.assignee_id != ctx.me.id:
        who = ctx.session.get(User, t.assignee_id)
        if who is not None and who.active:
            ctx.notify(who, "{u} set ticket #{n} ({c}) to {s}.", u=esc(ctx.me.name), n=t.id,
                       c=esc(_customer_name(ctx, t)), s=status_name(ctx.lang_for(who), t.status))


def _buttons(ctx: Ctx, t: Ticket) -> tuple[tuple[Button, ...], ...]:
    moves = tuple(ctx.button(ctx.t(MOVE[s] if not (t.status == "resolved" and s == "in_progress")
                                   else N_("Reopen")), f"tk.st:{t.id}:{s}", "primary" if s == "resolved" else None)
                  for s in tickets.NEXT.get(t.status, ()))
    rows: list[tuple[Button, ...]] = [moves] if moves else []
    if t.status != "closed":
        rows.append((ctx.button(ctx.t("Comment"), f"tk.cm:{t.id}"),))
    return tuple(rows)


def _when(ctx: Ctx, at: datetime) -> str:
    return moment(at, ctx.tz, ctx.lang)


def card(ctx: Ctx, t: Ticket) -> None:
    """The ticket: customer, priority, status, assignee, targets, history, and buttons for the next statuses."""
    names = {u.id: u.name for u in ctx.session.exec(select(User)).all()}
    lines = [f"*{ctx.t('Ticket')} #{t.id}* · {esc(_customer_name(ctx, t))} · {t.priority} · "
             f"{status_name(ctx.lang, t.status)}", esc(t.problem)]
    if t.person or t.phone or t.email:
        lines.append(" ".join(esc(x) for x in (t.person, t.phone, t.email) if x))
    lines.append(ctx.t("Assignee: {u}", u=esc(names.get(t.assignee_id, "")) or ctx.t("nobody")))
    late = ctx.t(" ⚠️ missed")
    if t.first_response_at is not None:
        lines.append(ctx.t("First response: {w}", w=_when(ctx, t.first_response_at))
                     + (late if t.first_response_at > t.respond_by else ""))
    else:
        lines.append(ctx.t("First response by {w}", w=_when(ctx, t.respond_by))
                     + (late if t.respond_by <= ctx.now and t.status in tickets.OPEN else ""))
    if t.resolved_at is not None:
        lines.append(ctx.t("Resolved: {w}", w=_when(ctx, t.resolved_at))
                     + (late if t.resolved_at > t.resolve_by else ""))
    else:
        lines.append(ctx.t("Resolution by {w}", w=_when(ctx, t.resolve_by))
                     + (late if t.resolve_by <= ctx.now and t.status in tickets.OPEN else ""))
    lines.append(ctx.t("History:"))
    for e in tickets.history(ctx.session, ticket_id=t.id or 0):
        who = esc(names.get(e.user_id, "")) if e.user_id else ctx.t("web form")
        if e.kind == "opened":
            what = ctx.t("opened ({p})", p=e.after or "")
        elif e.kind == "status":
            what = f"{status_name(ctx.lang, e.before or '')} → {status_name(ctx.lang, e.after or '')}"
        elif e.kind == "assign":
            what = ctx.t("assigned to {u}", u=esc(names.get(as_id(e.after or "") or 0, "?")))
        elif e.kind == "priority":
            what = f"{e.before} → {e.after}"
        else:
            what = f"“{esc(e.text or '')}”"
        lines.append(f"  {_when(ctx, e.at)} {who}: {what}")
    ctx.replies.append(Reply(text="\n".join(lines), buttons=_buttons(ctx, t), private=True))


@click("tk.st", personal=True)
def status_click(ctx: Ctx, arg: str) -> None:
    """A status button of a ticket's card."""
    num, _, to = arg.partition(":")
    if ctx.user is None or ctx.me.role not in SELLERS:
        ctx.say("Your role can't change tickets.")
        return
    t = _visible(ctx, as_id(num) or 0)
    if t is not None and to in tickets.STATUSES:
        _move(ctx, t, to)


@click("tk.cm", personal=True)
def comment_click(ctx: Ctx, arg: str) -> None:
    """The Comment button: the next message is the comment."""
    if ctx.user is None or ctx.me.role not in SELLERS:
        ctx.say("Your role can't change tickets.")
        return
    t = _visible(ctx, as_id(arg) or 0)
    if t is not None:
        ctx.say("Write the comment for ticket #{n}:", n=t.id)
        ctx.ask("complete", {"prefix": f"/ticket {t.id} comment"})


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Open tickets past a target: the resolution, or a first response not given in time."""
    return and_(col(Ticket.status).in_(tickets.OPEN),
                or_(col(Ticket.resolve_by) <= now,
                    and_(col(Ticket.first_response_at).is_(None), col(Ticket.respond_by) <= now)))


@command("tickets", "/tickets [mine|team|overdue] [page]", "open service tickets, most urgent first (pages of 10)",
         roles=SELLERS, personal=True)
def tickets_cmd(ctx: Ctx, args: str) -> None:
    """Open tickets the speaker may see: mine, the team's, or those past a target; ten a page."""
    q = select(Ticket).where(ticket_scope(ctx.me), col(Ticket.status).in_(tickets.OPEN))
    page, which = 1, []
    for w in args.lower().split():
        if w in MINE:
            q = q.where(col(Ticket.assignee_id) == ctx.me.id)
            which.append("mine")
        elif w in OVERDUE:
            q = q.where(overdue_clause(ctx.now))
            which.append("overdue")
        elif w in TEAM:
            which.append("team")
        elif w.isdigit() and 0 < int(w) < 10_000:
            page = int(w)
        else:
            usage(ctx, "tickets")
            return
    total = int(ctx.session.exec(select(func.count()).select_from(q.subquery())).one())
    late = case((overdue_clause(ctx.now), 0), else_=1)
    rows = ctx.session.exec(q.order_by(late, col(Ticket.priority), col(Ticket.respond_by), col(Ticket.id))
                            .offset((page - 1) * PAGE).limit(PAGE)).all()
    if not rows:
        ctx.say("No open tickets here. Open one: /ticket new CUSTOMER the problem")
        return
    names = {u.id: u.name for u in ctx.session.exec(select(User)).all()}
    custs = {c.id: c.name for c in ctx.session.exec(
        select(Customer).where(col(Customer.id).in_([t.customer_id for t in rows if t.customer_id]))).all()}
    lines = []
    for t in rows:
        due = t.respond_by if t.first_response_at is None else t.resolve_by
        flag = ctx.t("⚠️ overdue") if tickets.overdue(t, ctx.now) else ctx.t("due {w}", w=_when(ctx, due))
        lines.append(f"#{t.id} {t.priority} · {esc(custs.get(t.customer_id, t.company or '?'))} · "
                     f"{status_name(ctx.lang, t.status)} · {esc(names.get(t.assignee_id, '—'))} · {flag}")
    pages = (total + PAGE - 1) // PAGE
    buttons: tuple[tuple[Button, ...], ...] = ()
    if page < pages:
        buttons = ((ctx.button(ctx.t("Next page"), f"say:/tickets {' '.join([*which, str(page + 1)])}"),),)
    ctx.say("Open tickets ({n} in all, page {p} of {k}):\n{b}", n=total, p=page, k=pages, b="\n".join(lines),
            buttons=buttons, private=True)


def customer_lines(ctx: Ctx, customer_id: int) -> list[str]:
    """The customer card's open tickets (those the reader may see)."""
    if not can_see_customer(ctx.session, ctx.me, customer_id):
        return []
    rows = ctx.session.exec(select(Ticket).where(col(Ticket.customer_id) == customer_id, ticket_scope(ctx.me),
                                                 col(Ticket.status).in_(tickets.OPEN))
                            .order_by(col(Ticket.priority), col(Ticket.id)).limit(5)).all()
    if not rows:
        return []
    return [ctx.t("Open tickets:")] + [f"  #{t.id} {t.priority} · {status_name(ctx.lang, t.status)} · "
                                       f"{esc(t.problem[:60])}" for t in rows]


def ticket_targets(ctx: Ctx, team_id: int, words: list[str]) -> None:
    """/config tickets: the team's targets per priority; an admin changes one with `P1 2h 1d`."""
    if words:
        if len(words) != 3:
            raise RuleError("ticket_bad_target")
        tickets.set_targets(ctx.session, by=ctx.me, team_id=team_id, priority=words[0], respond=words[1],
                            resolve=words[2], now=ctx.now)
    table = tickets.targets(ctx.session, team_id)
    lines = [f"{p}: {r.text} / {s.text}" for p, (r, s) in table.items()]
    ctx.say("Ticket targets (first response / resolution; h = working hours, d = working days):\n{b}\n"
            "An admin changes one with /config tickets P1 2h 1d.", b="\n".join(lines))
