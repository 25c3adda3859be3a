"""`/customer merge KEEP GONE`: two records of one company become one, after a confirmation."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from handlers import lookup
from handlers.context import Ctx
from handlers.markup import esc
from handlers.registry import usage
from sales.access import may_merge
from sales.names import dedupe
from storage.models import Activity, Contact, Customer, Deal, FollowUp, SalesOrder

_COUNTED = ((Contact.customer_id, "联系人", "contacts"), (Deal.customer_id, "商机", "deals"),
            (Activity.customer_id, "记录", "activities"), (FollowUp.customer_id, "跟进", "follow-ups"),
            (SalesOrder.customer_id, "订单", "orders"))


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
    ctx.say("Merged *{g}* into *{k}* (#{id}): {c} contacts{x}, {d} deals, {a} activities, {f} follow-ups, {o} orders, {l} leads. The audit log has the details.",
            g=esc(gone.name), k=esc(keep.name), id=keep.id, c=moved.contacts + moved.contacts_joined, x=folded,
            d=moved.deals, a=moved.activities, f=moved.followups, o=moved.orders, l=moved.leads)


def _ask(ctx: Ctx, keep: Customer, gone: Customer) -> None:
    counts = []
    for column, zh, en in _COUNTED:
        n = ctx.session.exec(select(func.count()).where(col(column) == gone.id)).one()
        counts.append(f"{n} {zh if ctx.lang == 'zh' else en}")
    ctx.say("Merge *{g}* (#{gid}) into *{k}* (#{kid})? {g}'s {c} move to {k}, then {g} is deleted. This cannot be undone.",
            g=esc(gone.name), gid=gone.id, k=esc(keep.name), kid=keep.id, c="、".join(counts) if ctx.lang == "zh"
            else ", ".join(counts),
            buttons=((ctx.button(ctx.t("Merge"), f"say:/customer merge #{keep.id} #{gone.id} confirm",
                                 "danger"),
                      ctx.button(ctx.t("Cancel"), "say:/cancel")),))
