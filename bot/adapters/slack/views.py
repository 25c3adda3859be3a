"""Modals (log a visit, build a quote, request an invoice) and the App Home, as Block Kit views."""

from __future__ import annotations

import json
from typing import Any

from bot.adapters.slack.render import MAX_VIEW_BLOCKS, to_blocks
from handlers import forms
from handlers.i18n import N_, tr
from handlers.types import Reply

VISIT = "visit_modal"
QUOTE = "quote_modal"
INVOICE = "invoice_modal"
OPEN_VISIT = "open.visit"
OPEN_QUOTE = "open.quote"
OPEN_INVOICE = "open.invoice"
CUSTOMER_PICKER = forms.CUSTOMERS
DEAL_PICKER = forms.DEALS
ORDER_PICKER = forms.ORDERS
MAX_INPUT = 3000
# Each modal's form (handlers/forms.py) and its fields as (block_id = the form's field, action_id).
FORMS = {VISIT: forms.VISIT, QUOTE: forms.QUOTE, INVOICE: forms.INVOICE}
FIELDS = {
    VISIT: (("customer", CUSTOMER_PICKER), ("kind", "kind"), ("text", "text"), ("followup", "date")),
    QUOTE: (("deal", DEAL_PICKER), ("lines", "lines"), ("discount", "discount")),
    INVOICE: (("order", ORDER_PICKER), ("installment", "installment"), ("amount", "amount"), ("title", "title"),
              ("tax", "tax")),
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


def visit_modal(lang: str, *, text: str = "", kind: str = "visit", meta: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """Log a visit, call or note: customer picker, what happened, next follow-up date."""
    kinds = [("visit", _t(lang, "Visit")), ("call", _t(lang, "Call")), ("note", _t(lang, "Note"))]
    kind_options = [option(label, value) for value, label in kinds]
    initial = next((o for o in kind_options if o["value"] == kind), kind_options[0])
    text_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "text", "multiline": True,
                               "max_length": MAX_INPUT,
                               "placeholder": _plain(_t(lang, "Met Mr Zhang, wants a quote for 50 units"))}
    if text:
        text_el["initial_value"] = text[:MAX_INPUT]
    return {
        "type": "modal", "callback_id": VISIT, "private_metadata": _meta(lang, meta),
        "title": _plain(_t(lang, "Log a visit")),
        "submit": _plain(_t(lang, "Save")), "close": _plain(_t(lang, "Cancel")),
        "blocks": [
            _input("customer", _t(lang, "Customer"),
                   {"type": "external_select", "action_id": CUSTOMER_PICKER, "min_query_length": 1,
                    "placeholder": _plain(_t(lang, "Type a customer's name"))}),
            _input("kind", _t(lang, "Kind"),
                   {"type": "static_select", "action_id": "kind", "options": kind_options,
                    "initial_option": initial}),
            _input("text", _t(lang, "What happened"), text_el),
            _input("followup", _t(lang, "Next follow-up"),
                   {"type": "datepicker", "action_id": "date"}, optional=True,
                   hint=_t(lang, "A time in the text (e.g. “Friday 3pm”) is picked up too.")),
        ],
    }


def quote_modal(lang: str, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build a quote: deal picker, one line per item, discount."""
    return {
        "type": "modal", "callback_id": QUOTE, "private_metadata": _meta(lang, meta),
        "title": _plain(_t(lang, "New quote")),
        "submit": _plain(_t(lang, "Submit")), "close": _plain(_t(lang, "Cancel")),
        "blocks": [
            _input("deal", _t(lang, "Deal"),
                   {"type": "external_select", "action_id": DEAL_PICKER, "min_query_length": 0,
                    "placeholder": _plain(_t(lang, "Deal number or customer"))}),
            _input("lines", _t(lang, "Lines"),
                   {"type": "plain_text_input", "action_id": "lines", "multiline": True, "max_length": MAX_INPUT,
                    "placeholder": _plain(_t(lang, "ITEM QTY UNIT_PRICE, one per line"))},
                   hint=_t(lang, "E.g.: CNC lathe 50 6000")),
            _input("discount", _t(lang, "Discount"),
                   {"type": "plain_text_input", "action_id": "discount",
                    "placeholder": _plain(_t(lang, "15% or 85折"))}, optional=True),
        ],
    }


def invoice_modal(lang: str, *, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ask finance for an invoice: order picker, installment or amount, the buyer's title and tax number."""

    def text(action: str, placeholder: str) -> dict[str, Any]:
        return {"type": "plain_text_input", "action_id": action, "max_length": 200,
                "placeholder": _plain(_t(lang, placeholder))}

    return {
        "type": "modal", "callback_id": INVOICE, "private_metadata": _meta(lang, meta),
        "title": _plain(_t(lang, "Request an invoice")),
        "submit": _plain(_t(lang, "Submit")), "close": _plain(_t(lang, "Cancel")),
        "blocks": [
            _input("order", _t(lang, "Order"),
                   {"type": "external_select", "action_id": ORDER_PICKER, "min_query_length": 0,
                    "placeholder": _plain(_t(lang, "Order number or customer"))}),
            _input("installment", _t(lang, "Installment"), text("installment", N_("E.g. 2")), optional=True,
                   hint=_t(lang, "Empty: all that is not invoiced yet.")),
            _input("amount", _t(lang, "Amount"), text("amount", N_("E.g. 30000")), optional=True),
            _input("title", _t(lang, "Buyer's title"), text("title", N_("The company's full name")), optional=True,
                   hint=_t(lang, "Empty: the customer's last one.")),
            _input("tax", _t(lang, "Tax number"), text("tax", N_("E.g. 91310000MA1FL8XQ3X")), optional=True),
        ],
    }


def home_view(lang: str, sections: list[tuple[str, list[Reply]]], *, can_log: bool, can_quote: bool,
              can_invoice: bool = False) -> dict[str, Any]:
    """The App Home: each section's replies with their buttons, and buttons to open the modals."""
    buttons: list[dict[str, Any]] = []
    if can_log:
        buttons.append({"type": "button", "action_id": OPEN_VISIT, "style": "primary",
                        "text": _plain(_t(lang, "Log a visit")), "value": "visit"})
    if can_quote:
        buttons.append({"type": "button", "action_id": OPEN_QUOTE, "text": _plain(_t(lang, "New quote")),
                        "value": "quote"})
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
