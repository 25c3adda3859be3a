"""Forms a platform shows instead of a typed command (Slack's modals): who may open them, the choices of their
pickers, the checks of a submission, and the command a valid submission stands for."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, select

from handlers.amounts import money_arg
from handlers.commands.quotes import parse_lines, read_discount
from handlers.core import Core
from handlers.errors import refusal
from handlers.fmt import money
from handlers.i18n import tr
from handlers.types import ChatRef, Incoming, Person
from sales import invoices, tickets
from sales.access import SELLERS, order_scope
from sales.errors import RuleError
from sales.names.directory import find_customers
from sales.pipeline import open_deals
from sales.refs import as_id
from storage.models import Customer, SalesOrder, User

VISIT = "visit"  # fields: customer (a CUSTOMERS choice), kind (one of KINDS), text, followup (YYYY-MM-DD)
QUOTE = "quote"  # fields: deal (a DEALS choice), lines (one per line), discount
TICKET = "ticket"  # fields: customer (a CUSTOMERS choice), priority (P1|P2|P3), problem
INVOICE = "invoice"  # fields: order (an ORDERS choice), installment, amount, title, tax (all but order optional)
CUSTOMERS = "customer"  # the picker of customers this person may see
DEALS = "deal"  # the picker of their open deals
ORDERS = "order"  # the picker of orders they may see with something not yet invoiced
KINDS = ("visit", "call", "note")


def may_open(person: Person | None) -> tuple[str, ...]:
    """The forms a person may open; a stranger or a deactivated user none (the core answers them instead)."""
    return (VISIT, QUOTE, TICKET, INVOICE) if person is not None and person.role in SELLERS else ()


def picker_options(core: Core, platform: str, workspace: str, user: str, picker: str, typed: str
                   ) -> list[tuple[str, str]]:
    """A picker's choices as (label, value): customers whose name matches the typing, or open deals by number
    or by customer; within what the person may see, and none for someone the core does not serve."""
    person = core.who(platform, workspace, user)
    if person is None:
        return []
    with Session(core.engine) as s:
        me = s.get(User, person.user_id)
        if me is None:
            return []
        if picker == CUSTOMERS:
            return [(c.name, str(c.id)) for c in find_customers(s, user=me, query=typed, limit=20)]
        if picker == ORDERS:
            return _orders(s, me, typed)
        if picker != DEALS:
            return []
        num = as_id(typed)
        if num is not None:
            rows = open_deals(s, user=me, deal_id=num)
        elif typed.strip():
            ids = [c.id for c in find_customers(s, user=me, query=typed, limit=20)]
            rows = open_deals(s, user=me, customer_ids=ids)
        else:
            rows = open_deals(s, user=me)
        return [(f"#{d.id} {name} · {d.title}", str(d.id)) for d, name in rows]


def _orders(s: Session, me: User, typed: str) -> list[tuple[str, str]]:
    """Orders to invoice: by number, or by customer, else the latest; only those with something not invoiced."""
    q = select(SalesOrder, Customer.name).join(Customer, col(Customer.id) == col(SalesOrder.customer_id)).where(
        order_scope(me))
    num = as_id(typed)
    if num is not None:
        q = q.where(col(SalesOrder.id) == num)
    elif typed.strip():
        q = q.where(col(SalesOrder.customer_id).in_([c.id for c in find_customers(s, user=me, query=typed, limit=20)]))
    out = []
    for o, name in s.exec(q.order_by(col(SalesOrder.id).desc()).limit(40)).all():
        if invoices.totals(s, o).not_invoiced > 0:
            out.append((f"#{o.id} {name} · {money(o.amount, o.currency)}", str(o.id)))
    return out[:20]


def check(form: str, fields: Mapping[str, str], lang: str) -> dict[str, str]:
    """What a submission lacks or gets wrong, per field, in the person's language ("zh" or "en")."""
    errors: dict[str, str] = {}

    def t(msgid: str) -> str:
        return tr(lang, msgid)

    if form == VISIT:
        if not fields.get("customer", "").isdigit():
            errors["customer"] = t("Choose a customer.")
        if not fields.get("text", "").strip():
            errors["text"] = t("Please write what happened.")
    elif form == QUOTE:
        if not fields.get("deal", "").isdigit():
            errors["deal"] = t("Choose a deal.")
        try:
            parse_lines(fields.get("lines", ""))
        except RuleError as err:
            errors["lines"] = refusal(err, lang)
        discount = fields.get("discount", "").strip()
        if discount:
            try:
                if not 0 <= read_discount(discount) < 100:
                    raise RuleError("bad_discount", value=discount)
            except RuleError as err:
                errors["discount"] = refusal(err, lang)
    elif form == TICKET:
        if not fields.get("customer", "").isdigit():
            errors["customer"] = t("Choose a customer.")
        if fields.get("priority", "").upper() not in tickets.PRIORITIES:
            errors["priority"] = t("The priority is P1, P2 or P3.")
        problem = fields.get("problem", "").strip()
        if not problem:
            errors["problem"] = t("What is the problem?")
        elif len(problem) > tickets.MAX_PROBLEM:
            errors["problem"] = tr(lang, "That is too long (at most {limit} characters).", limit=tickets.MAX_PROBLEM)
    elif form == INVOICE:
        if not fields.get("order", "").isdigit():
            errors["order"] = t("Choose an order.")
        inst = fields.get("installment", "").strip()
        if inst and as_id(inst) is None:
            errors["installment"] = t("An installment's number, e.g. 2.")
        for name, rule in (("amount", money_arg), ("tax", invoices.clean_tax_no)):
            value = fields.get(name, "").strip()
            if value:
                try:
                    rule(value)
                except RuleError as err:
                    errors[name] = refusal(err, lang)
    return errors


def command_line(form: str, fields: Mapping[str, str]) -> str | None:
    """The command a checked submission stands for, as the person would have typed it."""
    if form == VISIT:
        kind = fields.get("kind") or VISIT
        kind = kind if kind in KINDS else VISIT
        date = fields.get("followup", "")
        return f"/{kind} #{fields.get('customer', '')} {fields.get('text', '')}" + (f"\n→ {date}" if date else "")
    if form == QUOTE:
        lines = "; ".join(x.strip() for x in fields.get("lines", "").splitlines() if x.strip())
        discount = fields.get("discount", "")
        return f"/quote new #{fields.get('deal', '')} {lines}" + (f" discount {discount}" if discount else "")
    if form == TICKET:
        problem = " ".join(fields.get("problem", "").split())
        return f"/ticket new #{fields.get('customer', '')} {fields.get('priority', 'P3').upper()} {problem}"
    if form == INVOICE:
        parts = [f"/invoice request {fields.get('order', '')}"]
        for name, word in (("installment", "installment"), ("amount", ""), ("tax", "tax"), ("title", "title")):
            value = " ".join(fields.get(name, "").split())
            if value:
                parts.append(f"{word} {value}".strip())
        return " ".join(parts)
    return None


def submitted(form: str, fields: Mapping[str, str], *, chat: ChatRef, user: str, event_id: str) -> Incoming | None:
    """A checked submission as the input the core runs: its command, answered privately in `chat`."""
    line = command_line(form, fields)
    if line is None:
        return None
    return Incoming(chat=chat, user=user, text=line, event_id=event_id, private=True)
