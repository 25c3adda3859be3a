"""Who may see and hold what: /share, /unshare, /reassign, /deactivate, /reactivate and /audit."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select

from handlers import lookup
from handlers.audit_text import ENTITIES, Words
from handlers.context import Ctx
from handlers.fmt import moment
from handlers.i18n import N_
from handlers.markup import esc
from handlers.registry import command, usage
from sales import access, sharing
from sales.access import ADMINS, MANAGERS, SELLERS
from storage.models import AuditLog, Contact, Customer, Deal, Invoice, Quote, SalesOrder, Stage, User

HISTORY = 20


def any_user(ctx: Ctx, ref: str, redo: lookup.Redo | None = None) -> User | None:
    """A user of the company, active or not, by `#id`, `@handle` or name; a choice when several match."""
    return lookup.user(ctx, ref, redo, active_only=False)


def _customer_and_user(ctx: Ctx, args: str, name: str) -> tuple[Customer, User] | None:
    words = lookup.words(args)
    if len(words) < 2:
        usage(ctx, name)
        return None
    rest = " ".join(words[:-1])
    who = lookup.user(ctx, words[-1], lambda ref: f"/{name} {rest} {ref}")
    if who is None:
        return None
    c = lookup.customer(ctx, rest, lambda ref: f"/{name} {ref} {words[-1]}")
    return (c, who) if c is not None else None


@command("share", "/share CUSTOMER USER", "share a customer with a colleague (its owner, the manager, an admin)", roles=SELLERS)
def share_cmd(ctx: Ctx, args: str) -> None:
    """Share a customer with a colleague, who then sees it and works on it too."""
    got = _customer_and_user(ctx, args, "share")
    if got is None:
        return
    c, who = got
    if sharing.share(ctx.session, customer=c, with_user=who, by=ctx.me, now=ctx.now):
        ctx.notify(who, "{b} shared the customer {c} with you: /customer {c}",
                   b=esc(ctx.me.name), c=esc(c.name))
        ctx.say("{c} is now shared with {u}.", c=esc(c.name), u=esc(who.name))
    else:
        ctx.say("{u} can already see {c}.", c=esc(c.name), u=esc(who.name))


@command("unshare", "/unshare CUSTOMER USER", "stop sharing a customer", roles=SELLERS)
def unshare_cmd(ctx: Ctx, args: str) -> None:
    """Stop sharing a customer with a colleague."""
    got = _customer_and_user(ctx, args, "unshare")
    if got is None:
        return
    c, who = got
    if sharing.unshare(ctx.session, customer=c, with_user=who, by=ctx.me, now=ctx.now):
        ctx.say("{c} is no longer shared with {u}.", c=esc(c.name), u=esc(who.name))
    else:
        ctx.say("{c} was not shared with {u}.", c=esc(c.name), u=esc(who.name))


@command("reassign", "/reassign FROM TO", "hand someone's customers, deals, leads and follow-ups to someone else (managers, admins)", roles=MANAGERS)
def reassign_cmd(ctx: Ctx, args: str) -> None:
    """Move everything open of one person to another, audited record by record."""
    words = lookup.words(args)
    if len(words) != 2:
        usage(ctx, "reassign")
        return
    source = any_user(ctx, words[0], lambda ref: f"/reassign {ref} {words[1]}")
    target = lookup.user(ctx, words[1], lambda ref: f"/reassign #{source.id} {ref}") if source is not None else None
    if source is None or target is None:
        return
    _reassign(ctx, source, target)


def _reassign(ctx: Ctx, source: User, target: User) -> None:
    moved = sharing.reassign(ctx.session, source=source, target=target, by=ctx.me, now=ctx.now)
    parts = ctx.t(", ").join(f"{ctx.t(ENTITIES.get(k, k))} {v}" for k, v in sorted(moved.items()) if v) \
        or ctx.t("nothing")
    ctx.say("Handed {a}'s records to {b}: {p}.", a=esc(source.name),
            b=esc(target.name), p=parts)
    if any(moved.values()):
        ctx.notify(target, "{m} handed you {a}'s customers and deals ({p}). See /customers mine.",
                   m=esc(ctx.me.name), a=esc(source.name), p=parts)


@command("deactivate", "/deactivate USER [to USER2]", "deactivate a user: their chat accounts stop at once (optionally hand their records to USER2)",
         roles=ADMINS)
def deactivate_cmd(ctx: Ctx, args: str) -> None:
    """Deactivate a user; with `to USER2`, their records go to USER2 in the same step."""
    words = lookup.words(args)
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() not in ("to", "给", "→")):
        usage(ctx, "deactivate")
        return
    tail = " ".join(words[1:])
    user = any_user(ctx, words[0], lambda ref: f"/deactivate {ref} {tail}".rstrip())
    target = (lookup.user(ctx, words[2], lambda ref: f"/deactivate #{user.id} {words[1]} {ref}")
              if len(words) == 3 and user is not None else None)
    if user is None or (len(words) == 3 and target is None):
        return
    sharing.deactivate(ctx.session, user=user, by=ctx.me, now=ctx.now)
    ctx.say("{u} is deactivated: their chat accounts stop working now.",
            u=esc(user.name))
    if target is not None:
        _reassign(ctx, user, target)
    else:
        left = sharing.open_records(ctx.session, user)
        if left:
            ctx.say("{u} still owns {n} open records; hand them over: /reassign {u} COLLEAGUE", u=esc(user.name), n=left)


@command("reactivate", "/reactivate USER", "let a deactivated user in again", roles=ADMINS)
def reactivate_cmd(ctx: Ctx, args: str) -> None:
    """Reactivate a user."""
    user = any_user(ctx, args, lambda ref: f"/reactivate {ref}") if args.strip() else None
    if user is None:
        if not args.strip():
            usage(ctx, "reactivate")
        return
    sharing.reactivate(ctx.session, user=user, by=ctx.me, now=ctx.now)
    ctx.say("{u} is active again.", u=esc(user.name))


@command("audit", "/audit CUSTOMER | /audit deal N", "a customer's or a deal's history",
         usage_by={"finance": N_("/audit CUSTOMER")})
def audit_cmd(ctx: Ctx, args: str) -> None:
    """The history of a record the asker may see: who changed what, when, from what to what."""
    words = args.split()
    if not words:
        usage(ctx, "audit")
        return
    head = words[0].lower()
    if head in ("deal", "商机"):  # a number alone, with or without #, is a customer's (/audit CUSTOMER)
        ref = " ".join(words[1:])
        d = lookup.deal(ctx, ref, lambda r: f"/audit deal {r}", open_only=False) if ref else None
        if d is None:
            if not ref:
                usage(ctx, "audit")
            return
        quotes = list(ctx.session.exec(select(Quote.id).where(col(Quote.deal_id) == d.id)).all())
        orders = list(ctx.session.exec(select(SalesOrder.id).where(col(SalesOrder.deal_id) == d.id)).all())
        where = or_(and_(col(AuditLog.entity) == "deal", col(AuditLog.entity_id) == d.id),
                    and_(col(AuditLog.entity) == "quote", col(AuditLog.entity_id).in_(quotes)),
                    and_(col(AuditLog.entity) == "order", col(AuditLog.entity_id).in_(orders)),
                    and_(col(AuditLog.entity) == "invoice", col(AuditLog.entity_id).in_(
                        select(col(Invoice.id)).where(col(Invoice.order_id).in_(orders)))))
        _show(ctx, where, f"#{d.id} {d.title}")
        return
    if head in ("customer", "客户"):
        words = words[1:]
    c = lookup.customer(ctx, " ".join(words), lambda r: f"/audit customer {r}")
    if c is None:
        return
    contacts = list(ctx.session.exec(select(Contact.id).where(col(Contact.customer_id) == c.id)).all())
    deals = list(ctx.session.exec(select(Deal.id).where(col(Deal.customer_id) == c.id,
                                                        access.deal_scope(ctx.me))).all())
    where = or_(and_(col(AuditLog.entity) == "customer", col(AuditLog.entity_id) == c.id),
                and_(col(AuditLog.entity) == "contact", col(AuditLog.entity_id).in_(contacts)),
                and_(col(AuditLog.entity) == "deal", col(AuditLog.entity_id).in_(deals)))
    _show(ctx, where, c.name)


def _show(ctx: Ctx, where: ColumnElement[bool], title: str) -> None:
    rows = ctx.session.exec(select(AuditLog).where(where).order_by(col(AuditLog.id).desc())
                            .limit(HISTORY)).all()
    if not rows:
        ctx.say("{t} has no recorded changes.", t=esc(title), private=True)
        return
    names = {u.id or 0: u.name for u in ctx.session.exec(select(User)).all()}
    stages = {st.key: st for st in ctx.session.exec(select(Stage)).all()}
    words = Words(ctx.lang, ctx.tz, names, stages)
    lines = [f"*{esc(title)}*"]
    for r in reversed(rows):
        lines.append(f"{moment(r.at, ctx.tz, ctx.lang)} · {words.sentence(r)}")
    ctx.say("{b}", b="\n".join(lines), private=True)
