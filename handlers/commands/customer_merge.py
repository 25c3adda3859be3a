"""`/customer merge KEEP GONE`: two records of one company become one, after a confirmation."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from handlers import lookup
from handlers.context import Ctx
from handlers.i18n import NP_
from handlers.markup import esc
from handlers.registry import usage
from sales.access import may_merge
from sales.names import dedupe
from storage.models import Activity, Contact, Customer, Deal, FollowUp, SalesOrder

_COUNTED = ((Contact.customer_id, NP_("{n} contact", "{n} contacts")), (Deal.customer_id, NP_("{n} deal", "{n} deals")),
            (Activity.customer_id, NP_("{n} activity", "{n} activities")),
            (FollowUp.customer_id, NP_("{n} follow-up", "{n} follow-ups")),
            (SalesOrder.customer_id, NP_("{n} order", "{n} orders")))


def merge(ctx: Ctx, args: str) -> None:
    """Merge GONE into KEEP: ask first (showing what moves), then move everything and delete GONE."""
    words = args.split()
    confirmed = bool(words) and words[-1].lower() in lookup.CONFIRM
    if confirmed:
        args = " ".join(words[:-1])
    first, rest = lookup.split_name(ctx, args)
    if not first or not rest:
        usage(ctx, "customer")
        return
    keep = lookup.customer(ctx, first, lambda ref: f"/customer merge {ref} {rest}")
    if keep is None:
        return
    gone = lookup.customer(ctx, rest, lambda ref: f"/customer merge #{keep.id} {ref}")
    if gone is None:
        return
    if keep.id == gone.id:
        ctx.say("That is the same customer.")
        return
    if not may_merge(ctx.me, keep, gone):
        ctx.say("Only the owner of both customers, their team's manager or an admin can merge them.")
        return
    exact = first == f"#{keep.id}" and rest == f"#{gone.id}"  # a confirmation names both records by number
    if not (confirmed and exact):
        _ask(ctx, keep, gone)
        return
    moved = dedupe.merge_customers(ctx.session, keep=keep, gone=gone, by=ctx.me, now=ctx.now)
    folded = ctx.t(" ({j} of them already there, folded in)",
                   j=moved.contacts_joined) if moved.contacts_joined else ""
    counts = [ctx.tn("{n} contact", "{n} contacts", moved.contacts + moved.contacts_joined) + folded,
              ctx.tn("{n} deal", "{n} deals", moved.deals), ctx.tn("{n} activity", "{n} activities", moved.activities),
              ctx.tn("{n} follow-up", "{n} follow-ups", moved.followups), ctx.tn("{n} order", "{n} orders", moved.orders),
              ctx.tn("{n} lead", "{n} leads", moved.leads)]
    ctx.say("Merged *{g}* into *{k}* (#{id}): {c}. The audit log has the details.",
            g=esc(gone.name), k=esc(keep.name), id=keep.id, c=ctx.t(", ").join(counts))


def _ask(ctx: Ctx, keep: Customer, gone: Customer) -> None:
    counts = []
    for column, (one, many) in _COUNTED:
        n = ctx.session.exec(select(func.count()).where(col(column) == gone.id)).one()
        counts.append(ctx.tn(one, many, n))
    ctx.say("Merge *{g}* (#{gid}) into *{k}* (#{kid})? {g}'s {c} move to {k}, then {g} is deleted. This cannot be undone.",
            g=esc(gone.name), gid=gone.id, k=esc(keep.name), kid=keep.id, c=ctx.t(", ").join(counts),
            buttons=((ctx.button(ctx.t("Merge"), f"say:/customer merge #{keep.id} #{gone.id} confirm",
                                 "danger"),
                      ctx.button(ctx.t("Cancel"), "say:/cancel")),))
