"""Corrections in chat: `/deal edit N [field value]`, `/customer edit NAME [field value]`, `/contact edit CUSTOMER
CONTACT [field value|remove]`. Without a field, a picker (buttons); without a value, a question (a dialogue)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from handlers import lookup
from handlers.amounts import money_arg
from handlers.context import Ctx
from handlers.fmt import day, money, stage_name
from handlers.i18n import N_
from handlers.markup import esc
from handlers.parsing import find_date
from handlers.registry import click, flow, usage
from sales import edits, pipeline
from sales.access import MANAGERS, customer_scope, deal_scope
from sales.customers import DuplicateFound
from sales.refs import as_id
from storage.models import Contact, Customer, Deal, Stage, User

EDIT_WORDS = frozenset({"edit", "修改", "编辑", "改"})

DEAL_WORDS = {"amount": "amount", "金额": "amount", "title": "title", "标题": "title", "名称": "title",
              "close": "close", "expected": "close", "预计成交": "close", "成交日期": "close",
              "owner": "owner", "负责人": "owner", "stage": "stage", "阶段": "stage", "reopen": "reopen",
              "重开": "reopen"}
CUSTOMER_WORDS = {"name": "name", "名称": "name", "名字": "name", "industry": "industry", "行业": "industry",
                  "size": "size", "规模": "size", "source": "source", "来源": "source", "needs": "needs",
                  "需求": "needs", "status": "status", "状态": "status", "grade": "grade", "等级": "grade",
                  "级别": "grade", "tags": "tags", "tag": "tags", "标签": "tags"}
CONTACT_WORDS = {"name": "name", "姓名": "name", "名字": "name", "title": "title", "职位": "title", "职务": "title",
                 "phone": "phone", "电话": "phone", "手机": "phone", "email": "email", "邮箱": "email",
                 "remove": "remove", "delete": "remove", "删除": "remove"}

LABELS = {
    "amount": N_("Amount"), "title": N_("Title"), "close": N_("Expected close"), "owner": N_("Owner"),
    "stage": N_("Stage back"), "reopen": N_("Reopen"), "name": N_("Name"), "industry": N_("Industry"),
    "size": N_("Size"), "source": N_("Source"), "needs": N_("Needs"), "status": N_("Status"),
    "grade": N_("Grade"), "tags": N_("Tags"), "phone": N_("Phone"), "email": N_("Email"),
    "remove": N_("Remove"),
}
KIND_LABELS = {("deal", "title"): N_("Deal title"), ("customer", "name"): N_("Company name")}
PROMPTS = {
    "amount": N_("The new amount? E.g. 128000"),
    "title": N_("The new title?"),
    "close": N_("The expected close date? E.g. 2027-01-31 or end of month (- clears it)"),
    "owner": N_("Hand it to whom? (a colleague's name)"),
    "reopen": N_("Why is it reopened?"),
    "name": N_("The new name?"),
    "industry": N_("The industry? (- clears it)"),
    "size": N_("The size? (- clears it)"),
    "source": N_("The source? (- clears it)"),
    "needs": N_("The needs? (- clears it)"),
    "status": N_("The status: active, dormant or churned?"),
    "grade": N_("The grade: A, B or C?"),
    "tags": N_("The tags, e.g. #key #east (- clears them)"),
    "phone": N_("The phone number? (- clears it)"),
    "email": N_("The email address? (- clears it)"),
}


def _split(words: list[str], table: dict[str, str]) -> tuple[str, str | None, str]:
    """(what the edit names, the field, the value) from `REF… [field value…]`: the first field word after the
    first word splits them."""
    for i in range(1, len(words)):
        f = table.get(words[i].casefold().rstrip(":："))
        if f is not None:
            return " ".join(words[:i]), f, " ".join(words[i + 1:])
    return " ".join(words), None, ""


def names_field(text: str, table: dict[str, str]) -> bool:
    """Whether `text` starts with a field word of `table` (`/deal 71 amount 128000` is an edit)."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    return first.casefold().rstrip(":：") in table


def _shown(value: Any, lang: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, date):
        return day(value, lang)
    return esc(str(value))


STATUS_LABELS = {"active": N_("active"), "dormant": N_("dormant"), "churned": N_("churned")}


def _label(ctx: Ctx, kind: str, field: str) -> str:
    return ctx.t(KIND_LABELS.get((kind, field), LABELS[field]))


def _done(ctx: Ctx, what: str, field: str, before: Any, after: Any, kind: str = "contact") -> None:
    if field == "status":
        before, after = (ctx.t(STATUS_LABELS[v]) if v in STATUS_LABELS else v for v in (before, after))
    elif field in ("stage", "reopen"):
        before, after = (stage_name(ctx.session.get(Stage, v), ctx.lang, v) for v in (before, after))
    ctx.say("{obj} · {f}: {a} → {b}", obj=what, f=_label(ctx, kind, field), a=_shown(before, ctx.lang),
            b=_shown(after, ctx.lang))


# Deals ---------------------------------------------------------------------------------------------------------

def deal(ctx: Ctx, args: str) -> None:
    """`/deal edit N [field value]`."""
    words = args.split()
    if not words:
        usage(ctx, "deal")
        return
    ref, field, value = _split(words, DEAL_WORDS)
    d = lookup.deal(ctx, ref, lambda r: f"/deal edit {r} {field or ''} {value}".strip(), open_only=False)
    if d is None:
        return
    if field is None:
        _deal_picker(ctx, d)
    elif not value.strip():
        _ask_deal(ctx, d, field)
    else:
        _apply_deal(ctx, d, field, value)


def _deal_picker(ctx: Ctx, d: Deal) -> None:
    closed = d.stage in ("won", "lost")
    fields = (["reopen"] if ctx.me.role in MANAGERS else []) if closed else \
        ["amount", "title", "close"] + (["stage"] if _earlier(ctx, d) else []) \
        + (["owner"] if ctx.me.role in MANAGERS else [])
    if not fields:
        ctx.say("This deal is closed ({stage}); it can't change.", stage=d.stage)
        return
    rows = tuple((ctx.button(_label(ctx, "deal", f), f"ed.deal:{d.id}:{f}"),) for f in fields)
    ctx.say("Deal #{id} {t}: what do you want to change?", id=d.id, t=esc(d.title), buttons=rows)


@click("ed.deal", personal=True)
def deal_click(ctx: Ctx, arg: str) -> None:
    """A field of the deal picker: ask for its new value."""
    num, _, field = arg.partition(":")
    d = ctx.session.exec(select(Deal).where(col(Deal.id) == (as_id(num) or 0), deal_scope(ctx.me))).first()
    if d is None or field not in edits.DEAL_FIELDS:
        ctx.say("No deal {n} found.", n=esc(num))
        return
    _ask_deal(ctx, d, field)


def _earlier(ctx: Ctx, d: Deal) -> list[Stage]:
    all_ = pipeline.stages(ctx.session)
    here = next((s for s in all_ if s.key == d.stage), None)
    return [s for s in all_ if here is not None and not s.closed and s.position < here.position]


def _ask_deal(ctx: Ctx, d: Deal, field: str) -> None:
    if field == "stage":
        back = _earlier(ctx, d)
        if not back:
            ctx.say("Deal #{id} is at its first stage: there is nowhere back to go.", id=d.id)
            return
        ctx.say("Back to which stage?", buttons=(tuple(
            ctx.button(stage_name(s, ctx.lang), f"say:/deal edit {d.id} stage {s.key}") for s in back),))
        return
    ctx.say(PROMPTS[field])
    ctx.ask("edit.value", {"kind": "deal", "id": d.id, "field": field})


def _apply_deal(ctx: Ctx, d: Deal, field: str, value: str, reason: str | None = None) -> None:
    what = ctx.t("Deal #{id}", id=d.id)
    s, by, now = ctx.session, ctx.me, ctx.now
    if field == "amount":
        before: Any = d.amount
        typed = money_arg(value)  # 12万8, $20,000, 1.2M USD: one reading of money
        shown_before = money(d.amount, d.currency)
        edits.deal_amount(s, by=by, deal=d, amount=typed.amount, now=now, currency=typed.currency)
        _done(ctx, what, field, shown_before, money(d.amount, d.currency), "deal")
    elif field == "title":
        before = d.title
        edits.deal_title(s, by=by, deal=d, title=value, now=now)
        _done(ctx, what, field, before, d.title, "deal")
    elif field == "close":
        before = d.expected_close
        cleared = value.strip().casefold() in edits.CLEAR
        when = None if cleared else (find_date(value, ctx.local_now) or find_date(value, ctx.local_now, "past"))
        if when is None and not cleared:
            ctx.say("I can't read a date in “{v}”. E.g. 2027-01-31 or end of month", v=esc(value[:40]))
            ctx.ask("edit.value", {"kind": "deal", "id": d.id, "field": field})
            return
        edits.deal_close(s, by=by, deal=d, day=when, today=ctx.local_now.date(), now=now)
        _done(ctx, what, field, before, d.expected_close, "deal")
    elif field == "owner":
        who = lookup.user(ctx, value, lambda r: f"/deal edit {d.id} owner {r}")
        if who is None:
            return
        old = s.get(User, d.owner_id)
        edits.deal_owner(s, by=by, deal=d, owner=who, now=now)
        _done(ctx, what, field, old.name if old else "?", who.name, "deal")
    elif field == "stage":
        key, _, why = value.strip().partition(" ")
        st = pipeline.stage_by_name(s, key)
        if st is None:
            ctx.say("There is no stage “{w}”. Stages: {n}", w=esc(key),
                    n=", ".join(f"{x.key}（{x.name_zh}）" for x in pipeline.stages(s)))
            return
        why = why.strip() or (reason or "")
        if not why:
            ctx.say("Why does it go back to {s}?", s=stage_name(st, ctx.lang))
            ctx.ask("edit.value", {"kind": "deal", "id": d.id, "field": "stage", "stage": st.key})
            return
        before = d.stage
        edits.deal_back(s, by=by, deal=d, to=st, reason=why, now=now)
        _done(ctx, what, "stage", before, st.key, "deal")
    elif field == "reopen":
        before = d.stage
        st = edits.deal_reopen(s, by=by, deal=d, reason=value, now=now)
        _done(ctx, what, "reopen", before, st.key, "deal")


# Customers -----------------------------------------------------------------------------------------------------

def customer(ctx: Ctx, args: str) -> None:
    """`/customer edit NAME [field value] [--force]`."""
    words = args.split()
    force = "--force" in words
    words = [w for w in words if w != "--force"]
    if not words:
        usage(ctx, "customer")
        return
    ref, field, value = _split(words, CUSTOMER_WORDS)
    c = lookup.customer(ctx, ref, lambda r: f"/customer edit {r} {field or ''} {value}".strip())
    if c is None:
        return
    if field is None:
        rows = tuple((ctx.button(_label(ctx, "customer", f), f"ed.cu:{c.id}:{f}"),) for f in edits.CUSTOMER_FIELDS)
        ctx.say("{c}: what do you want to change?", c=esc(c.name), buttons=rows)
    elif not value.strip():
        _ask(ctx, "customer", c.id or 0, field)
    else:
        _apply_customer(ctx, c, field, value, force=force)


def _ask(ctx: Ctx, kind: str, num: int, field: str) -> None:
    ctx.say(PROMPTS[field])
    ctx.ask("edit.value", {"kind": kind, "id": num, "field": field})


@click("ed.cu", personal=True)
def customer_click(ctx: Ctx, arg: str) -> None:
    """A field of the customer picker: ask for its new value."""
    num, _, field = arg.partition(":")
    c = _visible_customer(ctx, as_id(num) or 0)
    if c is None or field not in edits.CUSTOMER_FIELDS:
        ctx.say("No customer “{q}” found. Create one with /customer add NAME.", q=esc(num))
        return
    _ask(ctx, "customer", c.id or 0, field)


def _visible_customer(ctx: Ctx, num: int) -> Customer | None:
    return ctx.session.exec(select(Customer).where(col(Customer.id) == num, customer_scope(ctx.me))).first()


def _apply_customer(ctx: Ctx, c: Customer, field: str, value: str, *, force: bool = False) -> None:
    before = getattr(c, field)
    try:
        after = edits.customer_field(ctx.session, by=ctx.me, customer=c, field=field, value=value, now=ctx.now,
                                     force=force)
    except DuplicateFound as dup:
        ctx.say("A similar customer exists: {m}. Rename anyway?", m="、".join(esc(m.name) for m in dup.matches),
                buttons=((ctx.button(ctx.t("Rename anyway"), f"say:/customer edit #{c.id} name {value} --force"),),))
        return
    _done(ctx, esc(c.name), field, before, after, "customer")


# Contacts ------------------------------------------------------------------------------------------------------

def contact(ctx: Ctx, args: str) -> None:
    """`/contact edit CUSTOMER CONTACT [field value | remove]`."""
    words = args.split()
    if not words:
        usage(ctx, "contact")
        return
    ref, field, value = _split(words, CONTACT_WORDS)
    cname, person = lookup.split_name(ctx, ref)
    c = lookup.customer(ctx, cname, lambda r: f"/contact edit {r} {person} {field or ''} {value}".strip())
    if c is None:
        return
    people = list(ctx.session.exec(select(Contact).where(col(Contact.customer_id) == c.id)
                                   .order_by(col(Contact.id))).all())
    want = " ".join(person.split()).casefold()
    hits = [p for p in people if p.name.casefold() == want] or \
        [p for p in people if want and p.name.casefold().startswith(want)]
    if len(hits) != 1:
        if not people:
            ctx.say("{c} has no contacts. Add one with /contact add.", c=esc(c.name))
            return
        ctx.say("Which contact of {c}?", c=esc(c.name), buttons=tuple(
            (ctx.button(f"{p.name} {p.title or ''}".strip(), f"ed.ct:{p.id}"),) for p in (hits or people)[:8]))
        return
    p = hits[0]
    if field is None:
        _contact_picker(ctx, p)
    elif field == "remove":
        _remove(ctx, c, p)
    elif not value.strip():
        _ask(ctx, "contact", p.id or 0, field)
    else:
        _apply_contact(ctx, c, p, field, value)


def _contact_picker(ctx: Ctx, p: Contact) -> None:
    rows = tuple((ctx.button(ctx.t(LABELS[f]), f"ed.ctf:{p.id}:{f}", style="danger" if f == "remove" else None),)
                 for f in edits.CONTACT_FIELDS)
    ctx.say("{p}: what do you want to change?", p=esc(p.name), buttons=rows)


def _visible_contact(ctx: Ctx, num: int) -> tuple[Customer, Contact] | None:
    p = ctx.session.get(Contact, num)
    c = _visible_customer(ctx, p.customer_id) if p is not None else None
    return (c, p) if c is not None and p is not None else None


@click("ed.ct", personal=True)
def contact_click(ctx: Ctx, arg: str) -> None:
    """A contact chosen for editing: the field picker."""
    found = _visible_contact(ctx, as_id(arg) or 0)
    if found is None:
        ctx.say("That contact is gone.")
        return
    _contact_picker(ctx, found[1])


@click("ed.ctf", personal=True)
def contact_field_click(ctx: Ctx, arg: str) -> None:
    """A field of the contact picker: ask for its value, or confirm the removal."""
    num, _, field = arg.partition(":")
    found = _visible_contact(ctx, as_id(num) or 0)
    if found is None or field not in edits.CONTACT_FIELDS:
        ctx.say("That contact is gone.")
        return
    if field == "remove":
        ctx.say("Remove {p} from {c}?", p=esc(found[1].name), c=esc(found[0].name),
                buttons=((ctx.button(ctx.t("Remove"), f"ed.ctrm:{num}", style="danger"),),))
        return
    _ask(ctx, "contact", found[1].id or 0, field)


@click("ed.ctrm", personal=True)
def contact_remove_click(ctx: Ctx, arg: str) -> None:
    """The confirmed removal of a contact."""
    found = _visible_contact(ctx, as_id(arg) or 0)
    if found is None:
        ctx.say("That contact is gone.")
        return
    _remove(ctx, *found)


def _remove(ctx: Ctx, c: Customer, p: Contact) -> None:
    name = p.name
    edits.remove_contact(ctx.session, by=ctx.me, customer=c, contact=p, now=ctx.now)
    ctx.say("Removed {p} from {c}.", p=esc(name), c=esc(c.name))


def _apply_contact(ctx: Ctx, c: Customer, p: Contact, field: str, value: str) -> None:
    before = getattr(p, field)
    after = edits.contact_field(ctx.session, by=ctx.me, customer=c, contact=p, field=field, value=value,
                                now=ctx.now, region=ctx.settings.phone_region)
    _done(ctx, esc(p.name), field, before, after)


# The typed value -----------------------------------------------------------------------------------------------

@flow("edit.value", personal=True)
def value_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The new value of the field the picker chose."""
    kind, num, field = str(data["kind"]), int(data["id"]), str(data["field"])
    if kind == "deal":
        d = ctx.session.exec(select(Deal).where(col(Deal.id) == num, deal_scope(ctx.me))).first()
        if d is None:
            ctx.say("No deal {n} found.", n=num)
        elif field == "stage":
            _apply_deal(ctx, d, "stage", f"{data['stage']} {text}")
        else:
            _apply_deal(ctx, d, field, text)
    elif kind == "customer":
        c = _visible_customer(ctx, num)
        if c is None:
            ctx.say("No customer “{q}” found. Create one with /customer add NAME.", q=num)
        else:
            _apply_customer(ctx, c, field, text)
    else:
        found = _visible_contact(ctx, num)
        if found is None:
            ctx.say("That contact is gone.")
        else:
            _apply_contact(ctx, found[0], found[1], field, text)
