"""Finding what a person names: customers, deals, orders and users; asking when it is ambiguous."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from sqlmodel import col, select

from handlers.context import Ctx
from handlers.markup import esc
from sales.access import can_see_order, deal_scope, order_scope
from sales.names.directory import closest_customers, exact_customer_rows, find_customers
from sales.names.index import resolve
from sales.refs import as_id
from storage.models import ChatIdentity, Customer, Deal, SalesOrder, User

CONFIRM = frozenset({"confirm", "确认"})  # the last word that confirms a command that cannot be undone
_EXACT = "lookup.exact"  # Session.info: split_name's exact matches, by the words it tried
Redo = Callable[[str], str]  # the command text again, with the ambiguous name replaced by a reference


def split_name(ctx: Ctx, args: str) -> tuple[str, str]:
    """Split `NAME rest…` where NAME may be quoted or span several words of an exact customer name."""
    args = args.strip()
    if args and args[0] in "\"“'":
        closing = {"\"": "\"", "“": "”", "'": "'"}[args[0]]
        end = args.find(closing, 1)
        if end > 0:
            return args[1:end].strip(), args[end + 1:].strip()
    words = args.split()
    if not words:
        return "", ""
    # One statement for every way to split (the first 4, 3, 2 words, or 1), its rows kept for customer() below.
    names = {n: " ".join(words[:n]) for n in range(min(4, len(words)), 0, -1)
             if n == 1 or any(ch.isalnum() for ch in words[n - 1])}
    found = exact_customer_rows(ctx.session, user=ctx.me, names=list(names.values()))
    ctx.session.info[_EXACT] = found
    for n in range(min(4, len(words)), 1, -1):
        if found.get(names.get(n, "")):
            return names[n], " ".join(words[n:])
    return words[0], " ".join(words[1:])


def customer(ctx: Ctx, query: str, redo: Redo) -> Customer | None:
    """The one visible customer `query` names, or None after asking or saying it was not found."""
    exact: list[Customer] | None = ctx.session.info.pop(_EXACT, {}).get(query)  # split_name's lookup, this turn
    if exact is not None and len(exact) == 1:
        return exact[0]
    cands = find_customers(ctx.session, user=ctx.me, query=query, limit=5)
    pick = resolve(cands)
    if pick is not None:
        return ctx.session.get(Customer, pick.id)
    if not cands:
        near = closest_customers(ctx.session, user=ctx.me, query=query)
        if ctx.resuming is not None:
            ctx.dialog = ctx.resuming  # inside a dialogue: the question stays open for another name
        if near:
            ctx.say("No customer “{q}” found. The closest:", q=esc(query),
                    buttons=tuple((ctx.button(c.name, "say:" + redo(f"#{c.id}")),) for c in near))
        else:
            ctx.say("No customer “{q}” found. Create one with /customer add NAME.", q=esc(query))
        return None
    rows = tuple((ctx.button(c.name, "say:" + redo(f"#{c.id}")),) for c in cands)
    if len(cands) == 1:
        ctx.say("Did you mean “{n}”?", n=esc(cands[0].name), buttons=rows)
    else:
        ctx.say("“{q}” matches several customers. Which one?", q=esc(query),
                buttons=rows)
    return None


def leading_customer(ctx: Ctx, args: str, prefix: str, question: str) -> tuple[Customer, str] | None:
    """The customer `CUSTOMER rest…` begins with, and the rest; None after asking `question` (the answer completes
    `prefix`) or after customer() asked or said it was not found."""
    cname, rest = split_name(ctx, args)
    if not cname:
        ctx.say(question)
        ctx.ask("complete", {"prefix": prefix})
        return None
    c = customer(ctx, cname, lambda ref: f"{prefix} {ref} {rest}")
    return None if c is None else (c, rest)


def deal(ctx: Ctx, ref: str, redo: Redo, *, open_only: bool = True) -> Deal | None:
    """The deal named by its number, or by its customer when that customer has only one open deal."""
    ref = ref.strip()
    if ref.lstrip("#").isdigit():
        num = as_id(ref)
        d = ctx.session.exec(select(Deal).where(col(Deal.id) == num, deal_scope(ctx.me))).first() if num else None
        if d is None:
            ctx.say("No deal {n} found.", n=esc(ref[:20]))
        return d
    cust = customer(ctx, ref, redo)
    if cust is None:
        return None
    q = select(Deal).where(col(Deal.customer_id) == cust.id, deal_scope(ctx.me))
    if open_only:
        q = q.where(col(Deal.stage).not_in(("won", "lost")))
    deals = ctx.session.exec(q.order_by(col(Deal.id).desc()).limit(6)).all()
    if len(deals) == 1:
        return deals[0]
    if not deals:
        ctx.say("“{c}” has no open deal. Open one with /deal new {c} TITLE AMOUNT.", c=esc(cust.name))
        return None
    rows = tuple((ctx.button(f"#{d.id} {d.title}", "say:" + redo(str(d.id))),) for d in deals)
    ctx.say("“{c}” has several deals. Which one?", c=esc(cust.name), buttons=rows)
    return None


def order(ctx: Ctx, ref: str, redo: Redo, *, open_when: Callable[[SalesOrder], bool] | None = None
          ) -> SalesOrder | None:
    """The order named by its number (with or without #), or by its customer when that customer has only one open
    (`open_when`; default: money still to collect)."""
    ref = ref.strip()
    if ref.lstrip("#").isdigit():
        num = as_id(ref)
        o = ctx.session.get(SalesOrder, num) if num else None
        if o is None or not can_see_order(ctx.session, ctx.me, o.id or 0):
            ctx.say("No order {n} found.", n=esc(ref[:20]))
            return None
        return o
    cands = find_customers(ctx.session, user=ctx.me, query=ref, limit=5)
    pick = resolve(cands)
    if pick is None:
        if not cands:
            ctx.say("No order found for “{q}”.", q=esc(ref))
            return None
        rows2 = tuple((ctx.button(c.name, "say:" + redo(f"#{c.id}")),) for c in cands)
        ctx.say("Which customer?", buttons=rows2)
        return None
    orders = ctx.session.exec(select(SalesOrder).where(col(SalesOrder.customer_id) == pick.id,
                                                       order_scope(ctx.me)).order_by(col(SalesOrder.id).desc())).all()
    is_open = open_when or (lambda o: o.paid < o.amount)
    open_ = [o for o in orders if is_open(o)] or list(orders)
    if len(open_) == 1:
        return open_[0]
    if not open_:
        ctx.say("“{c}” has no order yet (winning a deal makes one).",
                c=esc(pick.name))
        return None
    rows3 = tuple((ctx.button(f"#{o.id}", "say:" + redo(str(o.id))),) for o in open_[:6])
    ctx.say("Several orders. Which one?", buttons=rows3)
    return None


def user(ctx: Ctx, ref: str, redo: Redo | None = None, *, active_only: bool = True) -> User | None:
    """A user of the company (active ones only unless told) by `#id`, `@handle` (a chat account, this platform's
    first) or name (case-insensitive); when several match, the choice is offered (with `redo`) and None returned."""
    ref = ref.strip()
    found = people(ctx, ref, active_only=active_only)
    if len(found) == 1:
        return found[0]
    shown = esc(ref.lstrip("@")[:40])
    if not found:
        ctx.say("No user “{n}” found.", n=shown)
        return None
    rows = tuple((ctx.button(f"#{u.id} {u.name} · {u.role}", "say:" + redo(f"#{u.id}")),) for u in found[:6]) \
        if redo is not None else ()
    ctx.say("Several people match “{n}”: {l}. Which one? Name them by #id.", n=shown,
            l=", ".join(f"#{u.id} {esc(u.name)} ({u.role})" for u in found[:6]), buttons=rows)
    return None


def people(ctx: Ctx, ref: str, *, active_only: bool = True) -> list[User]:
    """Every user `ref` may mean: `#id` one; `@handle` the users behind that chat account (this platform's
    first), else those of that name; a name, those of that name."""
    def ok(u: User | None) -> bool:
        return u is not None and (u.active or not active_only)

    if ref.startswith("#") and (num := as_id(ref)) is not None:
        u = ctx.session.get(User, num)
        return [u] if u is not None and ok(u) else []
    name = ref.lstrip("@").strip()
    if ref.startswith("@") and name:
        idents = ctx.session.exec(select(ChatIdentity).where(col(ChatIdentity.external_id) == name)).all()
        here = [i for i in idents if i.platform == ctx.incoming.chat.platform] or list(idents)
        users = {i.user_id: ctx.session.get(User, i.user_id) for i in here}
        hits = [u for u in users.values() if u is not None and ok(u)]
        if hits:
            return sorted(hits, key=lambda u: u.id or 0)
    want = " ".join(name.split()).casefold()
    q = select(User).where(col(User.active)) if active_only else select(User)
    return [u for u in ctx.session.exec(q.order_by(col(User.id))).all()
            if " ".join(u.name.split()).casefold() == want]


def words(args: str) -> list[str]:
    """Arguments split like a shell would, tolerating unbalanced quotes."""
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()
