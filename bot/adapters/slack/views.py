"""Modals (log a visit, build a quote, open a ticket, request an invoice, edit a record) and the App Home, as Block
Kit views."""

from __future__ import annotations

import json
from typing import Any

from bot.adapters.slack.render import MAX_VIEW_BLOCKS, to_blocks
from handlers import edit_forms, forms
from handlers.i18n import N_, tr
from handlers.types import Reply

VISIT = "visit_modal"
QUOTE = "quote_modal"
TICKET = "ticket_modal"
INVOICE = "invoice_modal"
OPEN_VISIT = "open.visit"
OPEN_QUOTE = "open.quote"
OPEN_TICKET = "open.ticket"
OPEN_INVOICE = "open.invoice"
CUSTOMER_PICKER = forms.CUSTOMERS
DEAL_PICKER = forms.DEALS
ORDER_PICKER = forms.ORDERS
MAX_INPUT = 3000
EDITS = {edit_forms.DEAL: "edit_deal_modal", edit_forms.CUSTOMER: "edit_customer_modal",
         edit_forms.CONTACT: "edit_contact_modal"}
# Each modal's form (handlers/forms.py, handlers/edit_forms.py) and its fields as (block_id = the form's field,
# action_id).
FORMS = {VISIT: forms.VISIT, QUOTE: forms.QUOTE, TICKET: forms.TICKET, INVOICE: forms.INVOICE,
         **{cb: form for form, cb in EDITS.items()}}
FIELDS = {
    VISIT: (("customer", CUSTOMER_PICKER), ("kind", "kind"), ("text", "text"), ("followup", "date")),
    QUOTE: (("deal", DEAL_PICKER), ("lines", "lines"), ("discount", "discount")),
    TICKET: (("customer", CUSTOMER_PICKER), ("priority", "priority"), ("problem", "problem")),
    INVOICE: (("order", ORDER_PICKER), ("installment", "installment"), ("amount", "amount"), ("title", "title"),
              ("tax", "tax")),
    **{cb: tuple((name, name) for name in edit_forms.FIELDS[form]) for form, cb in EDITS.items()},
}


def _t(lang: str, msgid: str) -> str:
    return tr(lang, msgid)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _meta(lang: str, meta: dict[str, Any] | None) -> str:
    # The modal's language travels with it: its errors are answered within the ack, without a database read.
    return json.dumps({**(meta or {}), "lang": lang})[:3000]


def option(label: str, value: str) -> dict[str, Any]:
    """One option of a select: a label (at most 75 characters) and its value."""
    return {"text": _plain(label[:75] or "·"), "value": value[:150]}


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = False,
           hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": _plain(label), "element": element,
                             "optional": optional}
    if hint:
        block["hint"] = _plain(hint)
    return block


def _modal(lang: str, callback_id: str, title: str, submit: str, blocks: list[dict[str, Any]],
           meta: dict[str, Any] | None) -> dict[str, Any]:
    """A modal with its title, submit and Cancel buttons; its language travels with `meta`."""
    return {
        "type": "modal", "callback_id": callback_id, "private_metadata": _meta(lang, meta),
        "title": _plain(title), "submit": _plain(submit), "close": _plain(_t(lang, "Cancel")),
        "blocks": blocks,
    }


def _picker(block_id: str, label: str, action_id: str, placeholder: str, min_query_length: int = 0
            ) -> dict[str, Any]:
    """An input whose options are looked up as the user types (customers, deals, orders)."""
    return _input(block_id, label, {"type": "external_select", "action_id": action_id,
                                    "min_query_length": min_query_length, "placeholder": _plain(placeholder)})


def _customer_picker(lang: str) -> dict[str, Any]:
    """The customer input: a picker that waits for the first letter typed."""
    return _picker("customer", _t(lang, "Customer"), CUSTOMER_PICKER, _t(lang, "Type a customer's name"), 1)


def _select(action_id: str, options: list[dict[str, Any]], initial: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """A select of fixed options, one of them chosen already when `initial` is given."""
    el: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    if initial is not None:
        el["initial_option"] = initial
    return el


def _long_text(action_id: str, placeholder: str) -> dict[str, Any]:
    """A multi-line text input of at most MAX_INPUT characters."""
    return {"type": "plain_text_input", "action_id": action_id, "multiline": True, "max_length": MAX_INPUT,
            "placeholder": _plain(placeholder)}


def visit_modal(lang: str, *, text: str = "", kind: str = "visit", meta: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """Log a visit, call or note: customer picker, what happened, next follow-up date."""
    kinds = [("visit", _t(lang, "Visit")), ("call", _t(lang, "Call")), ("note", _t(lang, "Note"))]
    kind_options = [option(label, value) for value, label in kinds]
    initial = next((o for o in kind_options if o["value"] == kind), kind_options[0])
    text_el = _long_text("text", _t(lang, "Met Mr Zhang, wants a quote for 50 units"))
    if text:
        text_el["initial_value"] = text[:MAX_INPUT]
    return _modal(lang, VISIT, _t(lang, "Log a visit"), _t(lang, "Save"), [
        _customer_picker(lang),
        _input("kind", _t(lang, "Kind"), _select("kind", kind_options, initial)),
        _input("text", _t(lang, "What happened"), text_el),
        _input("followup", _t(lang, "Next follow-up"),
               {"type": "datepicker", "action_id": "date"}, optional=True,
               hint=_t(lang, "A time in the text (e.g. “Friday 3pm”) is picked up too.")),
    ], meta)


def quote_modal(lang: str, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build a quote: deal picker, one line per item, discount."""
    return _modal(lang, QUOTE, _t(lang, "New quote"), _t(lang, "Submit"), [
        _picker("deal", _t(lang, "Deal"), DEAL_PICKER, _t(lang, "Deal number or customer")),
        _input("lines", _t(lang, "Lines"), _long_text("lines", _t(lang, "ITEM QTY UNIT_PRICE, one per line")),
               hint=_t(lang, "E.g.: CNC lathe 50 6000")),
        _input("discount", _t(lang, "Discount"),
               {"type": "plain_text_input", "action_id": "discount",
                "placeholder": _plain(_t(lang, "15% or 85折"))}, optional=True),
    ], meta)


def ticket_modal(lang: str, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Open a service ticket: customer picker, priority, the problem."""
    labels = {"P1": _t(lang, "P1 urgent"), "P2": _t(lang, "P2 high"), "P3": _t(lang, "P3 normal")}
    priorities = [option(label, value) for value, label in labels.items()]
    return _modal(lang, TICKET, _t(lang, "New ticket"), _t(lang, "Open ticket"), [
        _customer_picker(lang),
        _input("priority", _t(lang, "Priority"), _select("priority", priorities, priorities[2]),
               hint=_t(lang, "First response: P1 2 working hours, P2 8, P3 one working day.")),
        _input("problem", _t(lang, "Problem"),
               _long_text("problem", _t(lang, "What is wrong, since when, who reported it"))),
    ], meta)


def invoice_modal(lang: str, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ask finance for an invoice: order picker, installment or amount, the buyer's title and tax number."""

    def text(action: str, placeholder: str) -> dict[str, Any]:
        return {"type": "plain_text_input", "action_id": action, "max_length": 200,
                "placeholder": _plain(_t(lang, placeholder))}

    return _modal(lang, INVOICE, _t(lang, "Request an invoice"), _t(lang, "Submit"), [
        _picker("order", _t(lang, "Order"), ORDER_PICKER, _t(lang, "Order number or customer")),
        _input("installment", _t(lang, "Installment"), text("installment", N_("E.g. 2")), optional=True,
               hint=_t(lang, "Empty: all that is not invoiced yet.")),
        _input("amount", _t(lang, "Amount"), text("amount", N_("E.g. 30000")), optional=True),
        _input("title", _t(lang, "Buyer's title"), text("title", N_("The company's full name")), optional=True,
               hint=_t(lang, "Empty: the customer's last one.")),
        _input("tax", _t(lang, "Tax number"), text("tax", N_("E.g. 91310000MA1FL8XQ3X")), optional=True),
    ], meta)


def edit_modal(form: edit_forms.EditForm, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Correct a deal, a customer or a contact: its fields as they are now, changed in place."""
    blocks = []
    for f in form.fields:
        el: dict[str, Any]
        if f.kind == "date":
            el = {"type": "datepicker", "action_id": f.name}
            if f.value:
                el["initial_date"] = f.value
        elif f.kind == "choice":
            opts = [option(label, value) for value, label in f.choices]
            el = _select(f.name, opts, next((o for o in opts if o["value"] == f.value), None))
        else:
            el = {"type": "plain_text_input", "action_id": f.name, "multiline": f.kind == "long",
                  "max_length": MAX_INPUT}
            if f.value:
                el["initial_value"] = f.value[:MAX_INPUT]
        blocks.append(_input(f.name, f.label, el, optional=f.optional))
    return _modal(form.lang, EDITS[form.form], form.title[:24], _t(form.lang, "Save"), blocks,
                  {**(meta or {}), "id": form.record})


def home_view(lang: str, sections: list[tuple[str, list[Reply]]], *, can_log: bool, can_quote: bool,
              can_ticket: bool = False, can_invoice: bool = False) -> dict[str, Any]:
    """The App Home: each section's replies with their buttons, and buttons to open the modals."""
    buttons: list[dict[str, Any]] = []
    if can_log:
        buttons.append({"type": "button", "action_id": OPEN_VISIT, "style": "primary",
                        "text": _plain(_t(lang, "Log a visit")), "value": "visit"})
    if can_quote:
        buttons.append({"type": "button", "action_id": OPEN_QUOTE, "text": _plain(_t(lang, "New quote")),
                        "value": "quote"})
    if can_ticket:
        buttons.append({"type": "button", "action_id": OPEN_TICKET, "text": _plain(_t(lang, "New ticket")),
                        "value": "ticket"})
    if can_invoice:
        buttons.append({"type": "button", "action_id": OPEN_INVOICE, "text": _plain(_t(lang, "Request an invoice")),
                        "value": "invoice"})
    blocks: list[dict[str, Any]] = [{"type": "actions", "block_id": "home.open", "elements": buttons}] if buttons else []
    for n, (title, replies) in enumerate(sections):
        if len(blocks) >= MAX_VIEW_BLOCKS - 4:
            break
        blocks.append({"type": "header", "block_id": f"h{n}", "text": _plain(title[:150])})
        for i, reply in enumerate(replies):
            more = to_blocks(reply, block_prefix=f"h{n}r{i}.")
            if len(blocks) + len(more) + 1 > MAX_VIEW_BLOCKS - 1:
                blocks.append({"type": "context", "block_id": f"h{n}more",
                               "elements": [{"type": "mrkdwn", "text": _t(lang, "…more with /crm today")}]})
                break
            blocks.extend(more)
        blocks.append({"type": "divider", "block_id": f"h{n}end"})
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
