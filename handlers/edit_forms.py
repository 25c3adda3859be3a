"""Corrections as forms (a Slack modal for `/deal edit N`, `/customer edit NAME`, `/contact edit CUSTOMER NAME`):
which record a line names and its fields now, the checks of a submission, and the one-line edits
(handlers/commands/edits.py) a valid submission stands for, one per changed field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlmodel import Session, col, select

from handlers.amounts import money_arg
from handlers.commands import edits
from handlers.core import Core
from handlers.errors import refusal
from handlers.i18n import N_, tr
from sales.access import SELLERS, customer_scope, deal_scope
from sales.customers import GRADES, normalize_phone, valid_email
from sales.errors import RuleError
from sales.names.directory import find_customers
from sales.names.index import resolve
from sales.refs import as_id
from sales.sources import label as source_label
from storage.models import Contact, Customer, Deal, User

DEAL = "edit.deal"
CUSTOMER = "edit.customer"
CONTACT = "edit.contact"
FIELDS = {
    DEAL: ("title", "amount", "close"),
    CUSTOMER: ("name", "grade", "status", "industry", "size", "source", "needs", "tags"),
    CONTACT: ("name", "title", "phone", "email"),
}
LABELS = {"title": N_("Title"), "amount": N_("Amount"), "close": N_("Expected close"), "name": N_("Name"),
          "grade": N_("Grade"), "status": N_("Status"), "industry": N_("Industry"), "size": N_("Size"),
          "source": N_("Source"), "needs": N_("Needs"), "tags": N_("Tags"), "phone": N_("Phone"),
          "email": N_("Email")}
STATUSES = (("active", N_("active")), ("dormant", N_("dormant")), ("churned", N_("churned")))
TITLES = {DEAL: N_("Edit deal #{n}"), CUSTOMER: N_("Edit customer"), CONTACT: N_("Edit contact")}
_REQUIRED = frozenset({("edit.deal", "title"), ("edit.customer", "name"), ("edit.contact", "name"),
                       ("edit.customer", "grade"), ("edit.customer", "status")})
_KEPT = frozenset({"title", "amount", "name", "grade", "status"})  # a field a form never empties (contacts' title aside)
_LINE = re.compile(r"^/?(deal|customer|contact)\s+(?:edit|修改|编辑|改)\s+(.+)$", re.I | re.S)
Kind = Literal["text", "long", "date", "choice"]


@dataclass(frozen=True)
class Field:
    """One input of the form: its name, label (in the person's language), current value, kind and choices."""

    name: str
    label: str
    value: str
    kind: Kind = "text"
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    optional: bool = True


@dataclass(frozen=True)
class EditForm:
    """The form for one record: which (`form`, `record`), its title, its fields, the language it is shown in."""

    form: str
    record: int
    title: str
    fields: tuple[Field, ...]
    lang: str

    def initial(self) -> dict[str, str]:
        """The fields' values as shown, to tell a changed field on submission."""
        return {f.name: f.value for f in self.fields}


def edit_form(core: Core, platform: str, workspace: str, user: str, line: str) -> EditForm | None:
    """The form for an edit line naming one record the person may change and no field; None when the line is
    anything else (the core then answers it as typed: asks which record, or refuses)."""
    m = _LINE.match(line.strip())
    person = core.who(platform, workspace, user)
    if m is None or person is None or person.role not in SELLERS:
        return None
    kind, ref = m.group(1).lower(), " ".join(m.group(2).split())
    table = {"deal": edits.DEAL_WORDS, "customer": edits.CUSTOMER_WORDS, "contact": edits.CONTACT_WORDS}[kind]
    if any(w.casefold().rstrip(":：") in table for w in ref.split()[1:]) or "--force" in ref:
        return None  # a field is named: the one-line edit
    lang = core.lang_for(platform, workspace, user)
    with Session(core.engine) as s:
        me = s.get(User, person.user_id)
        if me is None:
            return None
        if kind == "deal":
            num = as_id(ref)
            d = s.exec(select(Deal).where(col(Deal.id) == num, deal_scope(me))).first() if num else None
            return None if d is None or d.stage in ("won", "lost") else _deal_form(d, lang)
        if kind == "customer":
            c = _customer(s, me, ref)
            return None if c is None else _customer_form(c, lang)
        return _contact_form(s, me, ref, lang)


def _customer(s: Session, me: User, ref: str) -> Customer | None:
    pick = resolve(find_customers(s, user=me, query=ref, limit=5))
    if pick is None:
        return None
    return s.exec(select(Customer).where(col(Customer.id) == pick.id, customer_scope(me))).first()


def _deal_form(d: Deal, lang: str) -> EditForm:
    amount = f"{d.amount.normalize():f} {d.currency}" if d.amount is not None else ""
    close = d.expected_close.isoformat() if d.expected_close else ""
    fields = (Field("title", tr(lang, N_("Deal title")), d.title, optional=False),
              Field("amount", tr(lang, LABELS["amount"]), amount),
              Field("close", tr(lang, LABELS["close"]), close, kind="date"))
    return EditForm(DEAL, d.id or 0, tr(lang, TITLES[DEAL], n=d.id), fields, lang)


def _customer_form(c: Customer, lang: str) -> EditForm:
    grades = tuple((g, g) for g in GRADES)
    statuses = tuple((k, tr(lang, v)) for k, v in STATUSES)
    fields = (Field("name", tr(lang, N_("Company name")), c.name, optional=False),
              Field("grade", tr(lang, LABELS["grade"]), c.grade, kind="choice", choices=grades, optional=False),
              Field("status", tr(lang, LABELS["status"]), c.status, kind="choice", choices=statuses,
                    optional=False),
              Field("industry", tr(lang, LABELS["industry"]), c.industry or ""),
              Field("size", tr(lang, LABELS["size"]), c.size or ""),
              Field("source", tr(lang, LABELS["source"]), source_label(c.source, lang) or ""),
              Field("needs", tr(lang, LABELS["needs"]), c.needs or "", kind="long"),
              Field("tags", tr(lang, LABELS["tags"]), " ".join(f"#{t}" for t in c.tags.split())))
    return EditForm(CUSTOMER, c.id or 0, tr(lang, TITLES[CUSTOMER]), fields, lang)


def _contact_form(s: Session, me: User, ref: str, lang: str) -> EditForm | None:
    words = ref.split()
    for n in range(min(4, len(words) - 1), 0, -1):  # the customer is the first words, the contact the rest
        c = _customer(s, me, " ".join(words[:n]))
        if c is None:
            continue
        want = " ".join(words[n:]).casefold()
        people = s.exec(select(Contact).where(col(Contact.customer_id) == c.id)).all()
        hits = [p for p in people if p.name.casefold() == want] or \
            [p for p in people if p.name.casefold().startswith(want)]
        if len(hits) != 1:
            return None
        return _contact_fields(hits[0], lang)
    return None


def _contact_fields(p: Contact, lang: str) -> EditForm:
    fields = (Field("name", tr(lang, LABELS["name"]), p.name, optional=False),
              Field("title", tr(lang, LABELS["title"]), p.title or ""),
              Field("phone", tr(lang, LABELS["phone"]), p.phone or ""),
              Field("email", tr(lang, LABELS["email"]), p.email or ""))
    return EditForm(CONTACT, p.id or 0, tr(lang, TITLES[CONTACT]), fields, lang)


def check(form: str, fields: Mapping[str, str], lang: str, region: str = "CN") -> dict[str, str]:
    """What a submission gets wrong, per field, in the person's language."""
    errors: dict[str, str] = {}
    for name in FIELDS.get(form, ()):
        value = fields.get(name, "").strip()
        if not value:
            if (form, name) in _REQUIRED:
                errors[name] = tr(lang, "The value cannot be empty.")
            continue
        try:
            if name == "amount":
                money_arg(value)
            elif name == "close":
                date.fromisoformat(value)
            elif name == "grade" and value.upper() not in GRADES:
                raise RuleError("bad_grade", grade=value)
            elif name == "phone" and normalize_phone(value, region) is None:
                raise RuleError("bad_phone", phone=value)
            elif name == "email" and valid_email(value) is None:
                raise RuleError("bad_email", email=value)
        except RuleError as err:
            errors[name] = refusal(err, lang)
        except ValueError:
            errors[name] = tr(lang, "I can't read a date in “{v}”. E.g. 2027-01-31 or end of month", v=value)
    return errors


def command_lines(form: str, record: int, fields: Mapping[str, str], initial: Mapping[str, str],
                  contact_of: tuple[int, str] | None = None) -> list[str]:
    """The edits a checked submission stands for: one line per changed field (an emptied one cleared with -);
    a contact's are named by its customer's number and its name (`contact_of`), the name changed last."""
    changed = [n for n in FIELDS.get(form, ()) if " ".join(fields.get(n, "").split()) != " ".join(
        initial.get(n, "").split())]
    if form == CONTACT and "name" in changed:
        changed = [n for n in changed if n != "name"] + ["name"]
    lines = []
    for name in changed:
        value = " ".join(fields.get(name, "").split())
        if not value and name in _KEPT and not (form == CONTACT and name == "title"):
            continue  # an amount, a name, a grade is corrected, never emptied
        value = value or "-"
        if form == DEAL:
            lines.append(f"/deal edit {record} {name} {value}")
        elif form == CUSTOMER:
            lines.append(f"/customer edit #{record} {name} {value}")
        elif contact_of is not None:
            lines.append(f"/contact edit #{contact_of[0]} {contact_of[1]} {name} {value}")
    return lines


def submitted_lines(core: Core, platform: str, workspace: str, user: str, form: str, record: int,
                    fields: Mapping[str, str]) -> list[str]:
    """The edit lines of a checked submission, against the record as it is now (none when it is gone or no longer
    the person's to change: the lines would be refused anyway)."""
    person = core.who(platform, workspace, user)
    if person is None:
        return []
    lang = core.lang_for(platform, workspace, user)
    with Session(core.engine) as s:
        me = s.get(User, person.user_id)
        if me is None:
            return []
        now: EditForm | None = None
        contact_of = None
        if form == DEAL:
            d = s.exec(select(Deal).where(col(Deal.id) == record, deal_scope(me))).first()
            now = _deal_form(d, lang) if d is not None else None
        elif form == CUSTOMER:
            c = s.exec(select(Customer).where(col(Customer.id) == record, customer_scope(me))).first()
            now = _customer_form(c, lang) if c is not None else None
        elif form == CONTACT:
            p = s.get(Contact, record)
            c = s.exec(select(Customer).where(col(Customer.id) == p.customer_id, customer_scope(me))).first() \
                if p is not None else None
            if p is not None and c is not None:
                now, contact_of = _contact_fields(p, lang), (c.id or 0, p.name)
        return [] if now is None else command_lines(form, record, fields, now.initial(), contact_of)
