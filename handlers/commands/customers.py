"""Customer commands: add, the 360° card, merge, list, contacts, grade, tags."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from handlers import lookup, paging, surveys
from handlers.audit_text import ACTIVITY_KINDS
from handlers.commands import care as care_cmd
from handlers.commands import customer_merge, edits
from handlers.commands import orders as order_cards
from handlers.commands.tickets import customer_lines as ticket_lines
from handlers.context import Ctx
from handlers.fmt import day, moment, money, monies, stage_name
from handlers.i18n import N_
from handlers.markup import esc
from handlers.parsing.contacts import read_contact
from handlers.registry import command, usage
from handlers.types import Reply
from sales import activities, customers, orders, reorders
from sales.access import SELLERS, can_see_customer, customer_scope, deal_scope, order_scope, sees_notes
from sales.customers import DuplicateFound
from sales.errors import RuleError
from sales.refs import as_id
from sales.sources import label as source_label
from storage.models import Contact, Customer, Deal, SalesOrder, Stage, User

_GRADE_WORDS = {"grade", "等级", "级别"}
_SOURCE_WORDS = {"source", "来源", "渠道"}
_INDUSTRY_WORDS = {"industry", "行业"}


@command("customer", "/customer add NAME [grade X] [source S] [#tag] | /customer NAME | /customer edit NAME [field value] | "
         "/customer merge KEEP GONE",
         "create a customer, show its card, or merge a duplicate into it", personal=True)
def customer_cmd(ctx: Ctx, args: str) -> None:
    """Route /customer add …, /customer merge … and /customer NAME."""
    head, _, rest = args.strip().partition(" ")
    if head.lower() in ("merge", "合并") and rest.strip():
        customer_merge.merge(ctx, rest.strip())
    elif head.lower() in edits.EDIT_WORDS:
        edits.customer(ctx, rest)
    elif head.lower() in ("add", "new", "新建", "添加"):
        if ctx.me.role not in SELLERS:
            ctx.say("Your role can't create customers.")
            return
        add(ctx, rest.strip())
    elif not args.strip():
        ctx.say("Which customer? Send its name, or add NAME to create one.")
        ctx.ask("complete", {"prefix": "/customer"})
    else:
        card(ctx, args.strip())


def add(ctx: Ctx, args: str) -> None:
    """Create a customer from `NAME [grade X] [source S] [industry I] [#tag…] [--force]`."""
    words = args.split()
    force = "--force" in words
    words = [w for w in words if w != "--force"]
    name_words: list[str] = []
    grade, source, industry, tags = "B", None, None, []
    i = 0
    while i < len(words):
        w = words[i]
        low = w.lower().rstrip(":：")
        if w.startswith("#") and len(w) > 1:
            tags.append(w)
        elif low in _GRADE_WORDS | _SOURCE_WORDS | _INDUSTRY_WORDS and i + 1 < len(words):
            value = words[i + 1]
            if low in _GRADE_WORDS:
                grade = value
            elif low in _SOURCE_WORDS:
                source = value
            else:
                industry = value
            i += 1
        elif not tags and grade == "B" and source is None:
            name_words.append(w)
        else:
            usage(ctx, "customer")
            return
        i += 1
    name = " ".join(name_words)
    if not name:
        ctx.say("What is the new customer's name?")
        ctx.ask("complete", {"prefix": "/customer add"})
        return
    try:
        c = customers.create_customer(ctx.session, by=ctx.me, name=name, grade=grade, source=source,
                                      industry=industry, tags=tags, now=ctx.now, force=force)
    except DuplicateFound as dup:
        _offer_duplicates(ctx, dup, f"/customer add {args} --force")
        return
    ctx.say("Created customer *{n}* (#{id}, grade {g}). Log a visit: /visit {n} WHAT HAPPENED",
            n=esc(c.name), id=c.id, g=c.grade)


def _offer_duplicates(ctx: Ctx, dup: DuplicateFound, force_text: str) -> None:
    rows = []
    hidden = []
    for m in dup.matches:
        if can_see_customer(ctx.session, ctx.me, m.id):
            rows.append((ctx.button(ctx.t("Use existing: {n}", n=m.name), f"say:/customer #{m.id}"),))
        else:
            c = ctx.session.get(Customer, m.id)
            owner = ctx.session.get(User, c.owner_id) if c else None
            hidden.append(owner.name if owner else "?")
    rows.append((ctx.button(ctx.t("Create anyway"), "say:" + force_text, style="danger"),))
    # Only what the speaker may see is named; another rep's customer is told by its owner alone.
    names = "、".join(esc(m.name) for m in dup.matches if can_see_customer(ctx.session, ctx.me, m.id))
    if names:
        ctx.say("A similar customer exists: {m}. Use it, or create anyway?",
                m=names, buttons=tuple(rows))
    if hidden:
        ctx.say("A similar customer belongs to another rep ({h}); ask your manager to share it.",
                h=esc("、".join(hidden)), buttons=() if names else tuple(rows))


def card(ctx: Ctx, query: str) -> None:
    """The 360° card: profile, contacts, open deals, last 5 activities, next follow-up, receivables."""
    c = lookup.customer(ctx, query, lambda ref: f"/customer {ref}")
    if c is None:
        return
    owner = ctx.session.get(User, c.owner_id)
    lines = [f"*{esc(c.name)}* #{c.id} · {c.grade} · {esc(owner.name if owner else '?')}"]
    extra = " · ".join(esc(x) for x in (c.industry, source_label(c.source, ctx.lang)) if x)
    if extra:
        lines.append(extra)
    if c.tags:
        lines.append(" ".join(f"\\#{esc(t)}" for t in c.tags.split()))
    contacts = ctx.session.exec(select(Contact).where(col(Contact.customer_id) == c.id).limit(10)).all()
    if contacts:
        lines.append(ctx.t("Contacts:"))
        lines += [f"  {esc(p.name)} {esc(p.title or '')} {esc(p.phone or '')} {esc(p.email or '')}".rstrip()
                  for p in contacts]
        lines += care_cmd.card_lines(ctx, c.id or 0)
    deals = ctx.session.exec(select(Deal).where(col(Deal.customer_id) == c.id, deal_scope(ctx.me),
                                                col(Deal.stage).not_in(("won", "lost")))).all()
    if deals:
        lines.append(ctx.t("Open deals:"))
        known = {s.key: s for s in ctx.session.exec(select(Stage)).all()}
        lines += [f"  #{d.id} {esc(d.title)} · {stage_name(known.get(d.stage), ctx.lang, d.stage)} · "
                  f"{money(d.amount, d.currency)}" for d in deals]
    if sees_notes(ctx.me):
        acts = activities.recent(ctx.session, customer_id=c.id or 0)
        if acts:
            lines.append(ctx.t("Latest activities:"))
            lines += [f"  {moment(a.at, ctx.tz, ctx.lang, False)} {ctx.t(ACTIVITY_KINDS.get(a.kind, a.kind))}: "
                      f"{esc(a.summary[:80])}" for a in acts]
        fu = activities.next_followup(ctx.session, customer_id=c.id or 0)
        if fu:
            lines.append(ctx.t("Next follow-up: {w}", w=moment(fu.due_at, ctx.tz, ctx.lang, fu.has_time)))
    owed = orders.open_totals(ctx.session, customer_id=c.id or 0)
    if owed:
        lines.append(ctx.t("Receivable: {m}", m=monies(owed)))
    lines += _order_lines(ctx, c)
    lines += ticket_lines(ctx, c.id or 0)
    score = surveys.card_line(ctx, c.id or 0)
    if score:
        lines.append(score)
    if sees_notes(ctx.me):
        lines += next_purchase_lines(ctx, c)
    ctx.replies.append(Reply(text="\n".join(lines)))


SORTS = {"name": "name", "名称": "name", "名字": "name", "grade": "grade", "等级": "grade", "级别": "grade",
         "contact": "contact", "last": "contact", "联系": "contact", "最近联系": "contact", "updated": "updated",
         "更新": "updated"}


def _sort_of(w: str) -> str | None:
    """The sort a word asks for: `by name`, `name`, `按名称`, `按等级`, `按最近联系` (None when it is no sort word)."""
    low = w.casefold().removeprefix("by:").removeprefix("按")
    return SORTS.get(low)


def next_purchase_lines(ctx: Ctx, c: Customer) -> list[str]:
    """The card's next purchase: the usual reorder interval, and what customers of its industry also bought."""
    lines = []
    usual = reorders.interval_of(ctx.session, customer_id=c.id or 0)
    if usual is not None:
        n, days, last = usual
        lines.append(ctx.t("Reorders about every {d} days ({n} orders); next about {w}.", d=round(days), n=n,
                           w=moment(last + timedelta(days=days), ctx.tz, ctx.lang, False)))
    hints = reorders.cross_sell(ctx.session, customer=c)
    if hints:
        lines.append(ctx.t("Others in {i} also bought: {items}", i=esc(c.industry or ""),
                           items=ctx.t(", ").join(f"{esc(item)} ({n})" for item, n in hints)))
    return lines


def _order_lines(ctx: Ctx, c: Customer) -> list[str]:
    """A customer's latest orders the reader may see, each with what was received of it and where it stands."""
    rows = ctx.session.exec(select(SalesOrder).where(col(SalesOrder.customer_id) == c.id, order_scope(ctx.me))
                            .order_by(col(SalesOrder.id).desc()).limit(5)).all()
    if not rows:
        return []
    return [ctx.t("Orders:")] + [
        ctx.t("  #{o} {m}, received {p}", o=o.id, m=money(o.amount, o.currency), p=money(o.paid, o.currency))
        + f" · {order_cards.where_it_stands(ctx, o)}" for o in rows]


@command("customers", "/customers [A|B|C] [#tag] [mine|team] [by name|grade|contact]",
         "list customers (by last update, name, grade or longest without contact)")
def list_(ctx: Ctx, args: str) -> None:
    """List visible customers, filtered by grade, tag, mine or team, sorted as asked, a page at a time."""
    args = paging.take_page(ctx, args)
    q = select(Customer).where(customer_scope(ctx.me))
    sort = "updated"
    for w in args.split():
        if w.casefold() in ("by", "sort", "排序"):
            continue
        if w.upper() in customers.GRADES:
            q = q.where(col(Customer.grade) == w.upper())
        elif w.startswith("#") and len(w) > 1:
            q = q.where((" " + col(Customer.tags) + " ").contains(f" {w[1:]} "))
        elif w.lower() in ("mine", "我的"):
            q = q.where(col(Customer.owner_id) == ctx.me.id)
        elif w.lower() in ("team", "团队"):
            pass
        elif _sort_of(w) is not None:
            sort = _sort_of(w) or sort
        else:
            usage(ctx, "customers")
            return
    order = {
        "name": (col(Customer.pinyin), col(Customer.name)),
        "grade": (col(Customer.grade), col(Customer.pinyin), col(Customer.name)),
        # the longest without contact first, never contacted before all
        "contact": (col(Customer.last_contact_at).is_not(None), col(Customer.last_contact_at)),
        "updated": (col(Customer.updated_at).desc(),),
    }[sort]
    page = paging.of_query(ctx, q.order_by(*order, col(Customer.id)))
    if not page.items:
        ctx.say("No customers match.")
        return
    lines = [f"#{c.id} {esc(c.name)} · {c.grade} · " + (
        ctx.t("last contact {d}", d=day(c.last_contact_at.astimezone(ctx.tz).date(), ctx.lang))
        if c.last_contact_at else ctx.t("never contacted")) for c in page.items]
    paging.show(ctx, page, ctx.t("Customers:"), lines, f"/customers {args}".strip())


@command("contact", "/contact add CUSTOMER NAME [title] [phone] [email] | /contact edit CUSTOMER NAME [field value|remove] | "
         "/contact CUSTOMER NAME birthday DATE | /contact CUSTOMER NAME date LABEL DATE",
         "add, correct or remove a contact; remember their birthday and key dates",
         roles=SELLERS)
def contact(ctx: Ctx, args: str) -> None:
    """Add a contact to a customer, or remember a contact's birthday or key date."""
    head, _, rest = args.strip().partition(" ")
    if head.lower() in edits.EDIT_WORDS:
        edits.contact(ctx, rest)
        return
    if head.lower() not in ("add", "new", "添加", "新建") and care_cmd.is_key_date(args.split()):
        care_cmd.key_date(ctx, args)
        return
    if head.lower() not in ("add", "new", "添加", "新建"):
        usage(ctx, "contact")
        return
    force = rest.rstrip().endswith("--force")
    rest = rest.replace("--force", "").strip()
    named = lookup.leading_customer(ctx, rest, "/contact add", N_("Add a contact to which customer?"))
    if named is None:
        return
    c, tail = named
    got = read_contact(tail, ctx.settings.phone_region)
    if got.problem is not None:
        raise RuleError(got.problem, phone=got.part, email=got.part)
    if got.name is None:
        ctx.say("The contact's name? Add title, phone, email if you like.")
        ctx.ask("complete", {"prefix": f"/contact add #{c.id} {tail}".rstrip()})
        return
    try:
        p = customers.add_contact(ctx.session, by=ctx.me, customer=c, name=got.name, title=got.title,
                                  phone=got.phone, email=got.email, now=ctx.now, force=force)
    except DuplicateFound as dup:
        shown = [m.name for m in dup.matches if _contact_visible(ctx, m.id)]
        ctx.say("A contact with that phone or email exists: {m}. Add anyway?",
                m="、".join(esc(n) for n in shown) or ctx.t("(at a customer you can't see)"),
                buttons=((ctx.button(ctx.t("Add anyway"), f"say:/contact add #{c.id} {tail} --force"),),))
        return
    details = " · ".join(esc(x) for x in (p.title, p.phone, p.email) if x)
    if details:
        ctx.say("Added {p} ({d}) to {c}.", c=esc(c.name), p=esc(p.name), d=details)
    else:
        ctx.say("Added {p} to {c}.", c=esc(c.name), p=esc(p.name))


def _contact_visible(ctx: Ctx, contact_id: int) -> bool:
    p = ctx.session.get(Contact, contact_id)
    return p is not None and can_see_customer(ctx.session, ctx.me, p.customer_id)


@command("grade", "/grade CUSTOMER A|B|C", "set a customer's grade", roles=SELLERS)
def grade(ctx: Ctx, args: str) -> None:
    """Set a customer's grade."""
    parts = args.split()
    if len(parts) >= 2 and parts[-1].upper() in customers.GRADES:
        name, g = " ".join(parts[:-1]), parts[-1]
    elif parts:
        name = " ".join(parts)
        ctx.say("Which grade?", buttons=(tuple(
            ctx.button(x, f"say:/grade {name} {x}") for x in customers.GRADES),))
        return
    else:
        usage(ctx, "grade")
        return
    c = lookup.customer(ctx, name, lambda ref: f"/grade {ref} {g}")
    if c is None:
        return
    customers.set_grade(ctx.session, by=ctx.me, customer=c, grade=g, now=ctx.now)
    ctx.say("{c} is now grade {g}.", c=esc(c.name), g=c.grade)


@command("tag", "/tag CUSTOMER #tag [#tag…]", "tag a customer", roles=SELLERS)
def tag(ctx: Ctx, args: str) -> None:
    """Add tags to a customer."""
    words = args.split()
    named = words[:1] if words and as_id(words[0]) is not None else []  # /tag #12 #vip: #12 is the customer
    tags = [w for w in words[len(named):] if w.startswith("#") and len(w) > 1]
    name = " ".join(named + [w for w in words[len(named):] if w not in tags])
    if not name or not tags:
        usage(ctx, "tag")
        return
    c = lookup.customer(ctx, name, lambda ref: f"/tag {ref} {' '.join(tags)}")
    if c is None:
        return
    all_tags = customers.add_tags(ctx.session, by=ctx.me, customer=c, tags=tags, now=ctx.now)
    ctx.say("{c} tags: {t}", c=esc(c.name), t=" ".join(f"\\#{esc(t)}" for t in all_tags))
