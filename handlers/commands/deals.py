"""Deal commands: new, show, list, advance, won, lost (/pipeline is in handlers/commands/reports.py)."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import col, select

from handlers import closing, deal_card, deal_clock, deal_news, lookup, paging
from handlers.amounts import home_currency
from handlers.commands import edits
from handlers.context import Ctx
from handlers.fmt import money, stage_name, stage_path
from handlers.i18n import N_
from handlers.markup import esc
from handlers.parsing import find_date
from handlers.parsing.amounts import is_negative, is_zero, split_amount
from handlers.parsing.qualify import read_answers
from handlers.registry import command, flow, usage
from sales import pipeline
from sales.access import MANAGERS, SELLERS, deal_scope
from sales.errors import RuleError
from sales.names.directory import find_customers
from sales.refs import as_id
from storage.models import Customer, Deal, Stage, StageChange, User

QUALIFY_PROMPTS = {
    "budget": N_("What is the budget?"),
    "decision_maker": N_("Who is the decision maker?"),
    "timeline": N_("What is the timeline?"),
}


def stage_label(ctx: Ctx, stage: Stage) -> str:
    """A stage's name in the reader's language."""
    return stage.name_zh if ctx.lang == "zh" else stage.name_en


@command("deal", "/deal new CUSTOMER <title> [amount] | /deal N [amount A | title T | close DATE] | /deal edit N",
         "open a deal, show one, or change its amount, title or expected close", personal=True)
def deal_cmd(ctx: Ctx, args: str) -> None:
    """Route /deal new … and /deal N."""
    head, _, rest = args.strip().partition(" ")
    if head.lower() in ("new", "add", "新建"):
        if ctx.me.role not in SELLERS:
            ctx.say("Your role can't open deals.")
            return
        new(ctx, rest.strip())
    elif head.lower() in edits.EDIT_WORDS or (as_id(head) is not None and edits.names_field(rest, edits.DEAL_WORDS)):
        edits.deal(ctx, rest if head.lower() in edits.EDIT_WORDS else args)  # /deal 71 amount 128000 too
    elif args.strip():
        d = lookup.deal(ctx, args.strip(), lambda ref: f"/deal {ref}", open_only=False)
        if d is not None:
            show(ctx, d)
    else:
        usage(ctx, "deal")


def new(ctx: Ctx, args: str) -> None:
    """Open a deal: `CUSTOMER title… [amount]`."""
    named = lookup.leading_customer(ctx, args, "/deal new", N_("Open a deal for which customer?"))
    if named is None:
        return
    c, rest = named
    if not rest.strip():
        ctx.say("The deal's title and amount? E.g.: CNC lathes 300000")
        ctx.ask("complete", {"prefix": f"/deal new #{c.id}"})
        return
    words = rest.split()
    if words and (is_negative(words[-1]) or (len(words) > 1 and is_zero(words[-1]))):
        raise RuleError("amount_not_positive")
    title, found = split_amount(rest)
    amount = found.amount if found is not None else None
    currency = (found.currency if found is not None else None) or home_currency(ctx)
    title = title or ctx.t("{c} deal", c=c.name)
    d = pipeline.open_deal(ctx.session, by=ctx.me, customer_id=c.id or 0, title=title, amount=amount, now=ctx.now,
                           currency=currency)
    deal_news.opened(ctx, d)
    ctx.say("Opened deal #{id}: {t} ({c}, {m}, prospect). Move it: /advance {id}",
            id=d.id, t=esc(d.title), c=esc(c.name), m=money(d.amount, d.currency))
    closing.ask(ctx, d.id)


def show(ctx: Ctx, d: Deal) -> None:
    """A deal's summary and its stage history."""
    c = ctx.session.get(Customer, d.customer_id)
    st = ctx.session.get(Stage, d.stage)
    owner = ctx.session.get(User, d.owner_id)
    lines = [f"*#{d.id} {esc(d.title)}*", f"{esc(c.name if c else '?')} · {money(d.amount, d.currency)} · "
             f"{stage_label(ctx, st) if st else d.stage} {d.probability}% · {esc(owner.name if owner else '?')}"]
    for f in pipeline.QUALIFY_FIELDS:
        if getattr(d, f):
            lines.append(f"{f}: {esc(getattr(d, f))}")
    clock = deal_clock.card_line(ctx.session, d, ctx.lang, ctx.now, ctx.settings.default_tz)
    if clock:
        lines.append(clock)
    if d.lost_reason:
        lines.append(ctx.t("Lost because: {r}", r=esc(d.lost_reason)))
    moves = ctx.session.exec(select(StageChange).where(col(StageChange.deal_id) == d.id)
                             .order_by(col(StageChange.at))).all()
    known = {s.key: s for s in pipeline.stages(ctx.session)}
    lines.append(stage_path(known, [m.to_stage for m in moves], ctx.lang))
    lines += deal_card.lines(ctx, d)
    buttons = tuple(ctx.button(stage_label(ctx, s), f"say:/advance {d.id} {s.key}")
                    for s in pipeline.next_stages(ctx.session, d) if s.key != "lost")
    ctx.say("{b}", b="\n".join(lines), buttons=(buttons,) if buttons else ())


@command("deals", "/deals [stage] [mine|team]", "list deals", personal=True)
def deals(ctx: Ctx, args: str) -> None:
    """List visible deals, filtered by stage or mine, a page at a time."""
    args = paging.take_page(ctx, args)
    q = select(Deal).where(deal_scope(ctx.me))
    for w in args.split():
        st = pipeline.stage_by_name(ctx.session, w)
        if st is not None:
            q = q.where(col(Deal.stage) == st.key)
        elif w.lower() in ("mine", "我的"):
            q = q.where(col(Deal.owner_id) == ctx.me.id)
        elif w.lower() not in ("team", "团队"):
            usage(ctx, "deals")
            return
    if not args.strip():
        q = q.where(col(Deal.stage).not_in(("won", "lost")))
    page = paging.of_query(ctx, q.order_by(col(Deal.updated_at).desc(), col(Deal.id).desc()))
    rows = page.items
    if not rows:
        ctx.say("No deals match.")
        return
    names = dict(ctx.session.exec(select(Customer.id, Customer.name).where(
        col(Customer.id).in_({d.customer_id for d in rows}))).all())
    known = {s.key: s for s in pipeline.stages(ctx.session)}
    lines = [f"#{d.id} {esc(names.get(d.customer_id, '?'))} · {esc(d.title)} · "
             f"{stage_name(known.get(d.stage), ctx.lang, d.stage)} · {money(d.amount, d.currency)}" for d in rows]
    paging.show(ctx, page, ctx.t("Deals:"), lines, f"/deals {args}".strip())


OVERRIDE = re.compile(r"\s(?:because|override|reason|原因|理由|因为)[:：]?\s*(.*)$", re.I | re.S)


@command("advance", "/advance N [stage] [because REASON]",
         "move a deal to a stage (a manager may skip a stage's rules, giving the reason)", roles=SELLERS)
def advance(ctx: Ctx, args: str) -> None:
    """Move a deal; without a stage, offer the next ones as buttons."""
    m = OVERRIDE.search(" " + args)
    override = m.group(1).strip() if m else None
    if m is not None:
        args = (" " + args)[:m.start()].strip()
        if not override:
            ctx.say("Give the reason after “because”: /advance N STAGE because REASON")
            return
    words = args.split()
    if not words:
        ctx.say("Move which deal? (number or customer)")
        ctx.ask("complete", {"prefix": "/advance"})
        return
    st = pipeline.stage_by_name(ctx.session, words[-1]) if len(words) > 1 else None
    if st is None and len(words) > 1 and (as_id(words[0]) is not None
                                          or not find_customers(ctx.session, user=ctx.me, query=args)):
        names = ", ".join(f"{s.key}（{s.name_zh}）" for s in pipeline.stages(ctx.session))
        ctx.say("There is no stage “{w}”. Stages: {n}", w=esc(words[-1]), n=names)
        return
    ref = " ".join(words[:-1]) if st else " ".join(words)
    tail = f" because {override}" if override else ""
    d = lookup.deal(ctx, ref, lambda r: f"/advance {r} {st.key if st else ''}{tail}".strip())
    if d is None:
        return
    if st is None:
        nxt = pipeline.next_stages(ctx.session, d)
        if not nxt:
            ctx.say("Deal #{id} is closed.", id=d.id)
            return
        here = ctx.session.get(Stage, d.stage)
        ctx.say("Deal #{id} is at {s}. Move to:", id=d.id, s=stage_name(here, ctx.lang, d.stage),
                buttons=(tuple(ctx.button(stage_label(ctx, s), f"say:/advance {d.id} {s.key}",
                                          style="danger" if s.key == "lost" else None) for s in nxt),))
        return
    if override is not None and ctx.me.role not in MANAGERS:
        ctx.say("Only a manager may move a deal past a stage's rules.")
        return
    move(ctx, d, st, override=override)


def move(ctx: Ctx, d: Deal, st: Stage, reason: str | None = None, override: str | None = None) -> None:
    """Move a deal, asking for what the entry rules of `st` and of the stages it skips need."""
    if st.key == "lost" and not reason:
        ctx.say("Why was it lost?")
        ctx.ask("complete", {"prefix": f"/lost {d.id}"})
        return
    missing = [] if override else pipeline.missing_for(ctx.session, d, st)
    crossed = [s.key for s in pipeline.crossed(ctx.session, d, st)]
    asks = [f for f in missing if f in QUALIFY_PROMPTS]
    if asks:
        hint = ctx.t("You may answer them all in one message, e.g.: budget 500k; decision maker Mr Wang; "
                     "timeline end of month") if len(asks) > 1 else ""
        ctx.say("Before *qualified* I need a few things. {q}", q=ctx.t(QUALIFY_PROMPTS[asks[0]]) + (
            "\n" + hint if hint else ""))
        ctx.ask("qualify", {"deal": d.id, "field": asks[0], "to": st.key})
        return
    if missing:  # a quote
        first = next((s for s in pipeline.stages(ctx.session) if s.key in crossed and s.key != "qualified"), st)
        ctx.say("Deal #{id} can't enter {s} without a quote: /quote new {id}", id=d.id, s=stage_label(ctx, first))
        if ctx.me.role in MANAGERS:
            ctx.say("As a manager you may move it anyway, with the reason: /advance {id} {k} because REASON",
                    id=d.id, k=st.key)
        return
    order = pipeline.advance(ctx.session, deal=d, to=st, by=ctx.me, now=ctx.now, reason=reason, override=override)
    deal_news.moved(ctx, d, st, order)
    ctx.say("Deal #{id} → {s}.", id=d.id, s=stage_label(ctx, st))
    if override:
        ctx.say("Moved past the stage rules, with your reason recorded: {r}", r=esc(override[:200]))
    if order is not None:
        ctx.say("🎉 Won! Order #{o} for {m} was created. Set its payment plan: /plan {o} 30% now, 70% 2027-01-15",
                o=order.id, m=money(order.amount, order.currency))
    elif "qualified" in crossed:
        closing.ask(ctx, d.id, d.expected_close)


@flow("qualify", personal=False)
def qualify_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """An answer to the qualification questions (one, or all of them in one message)."""
    qualify_answer(ctx, int(data["deal"]), str(data["field"]), text, str(data.get("to") or "qualified"))


def qualify_answer(ctx: Ctx, deal_id: int, field: str, text: str, to: str = "qualified") -> None:
    """Record the qualification answers a message gives and go on to the next question or make the move; a timeline
    that names a day (月底, 2027-01-15) is kept as that date and becomes the expected close."""
    d = ctx.session.exec(select(Deal).where(col(Deal.id) == deal_id, deal_scope(ctx.me))).first()
    if d is None:  # gone, or no longer this person's to see (reassigned meanwhile)
        ctx.say("No deal {n} found.", n=deal_id)
        return
    missing = [f for f in pipeline.QUALIFY_FIELDS if not getattr(d, f)]
    answers = read_answers(text, field, missing, ctx.local_now)
    if not answers:
        ctx.say(QUALIFY_PROMPTS[field])
        ctx.ask("qualify", {"deal": d.id, "field": field, "to": to})
        return
    when = find_date(answers["timeline"], ctx.local_now) if "timeline" in answers else None
    if when is not None and when >= ctx.local_now.date():
        answers["timeline"] = when.isoformat()
    pipeline.set_qualification(ctx.session, deal=d, by=ctx.me, now=ctx.now, **answers)
    if when is not None and when >= ctx.local_now.date() and d.stage not in ("won", "lost"):
        pipeline.set_close(ctx.session, deal=d, close=when, by=ctx.me, now=ctx.now)
    st = ctx.session.get(Stage, to) or ctx.session.get(Stage, "qualified")
    assert st is not None
    move(ctx, d, st)


@command("won", "/won N [amount]", "mark a deal won (with its amount when it has none)", roles=SELLERS)
def won(ctx: Ctx, args: str) -> None:
    """Win a deal; an amount given sets the deal's amount first (12万8, $10,000)."""
    if not args.strip():
        ctx.say("Which deal was won?")
        ctx.ask("complete", {"prefix": "/won"})
        return
    ref, found = split_amount(args) if len(args.split()) > 1 else (args, None)
    d = lookup.deal(ctx, ref, lambda r: f"/won {r} {args[len(ref):].strip()}".strip())
    st = ctx.session.get(Stage, "won")
    if d is not None and st is not None:
        if found is not None:
            pipeline.set_amount(ctx.session, deal=d, amount=found.amount, by=ctx.me, now=ctx.now,
                                currency=found.currency)
        move(ctx, d, st)


@command("lost", "/lost N <reason>", "mark a deal lost (with a reason)", roles=SELLERS)
def lost(ctx: Ctx, args: str) -> None:
    """Lose a deal, with its reason."""
    words = args.split()
    if not words:
        ctx.say("Which deal was lost?")
        ctx.ask("complete", {"prefix": "/lost"})
        return
    ref, reason = (words[0], " ".join(words[1:])) if as_id(words[0]) is not None else lookup.split_name(ctx, args)
    d = lookup.deal(ctx, ref, lambda r: f"/lost {r} {reason}")
    st = ctx.session.get(Stage, "lost")
    if d is not None and st is not None:
        move(ctx, d, st, reason=reason)
