"""Business cards: a photo sent privately (or with the caption /card in a group) is read, shown with Save, Edit
and Not a card; Save finds or creates the customer and adds the contact, the photo kept with it.

The OCR runs before the turn's transaction (`read_before_turn`, called by handlers/core.py outside it): a turn
only sees the reading, in `ctx.prepared`.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import Any

from handlers.context import Ctx
from handlers.errors import explain
from handlers.i18n import N_
from handlers.markup import esc
from handlers.registry import click, command, flow
from handlers.types import Attachment, Button, Incoming, Reply
from sales import cards
from sales.access import SELLERS, can_see_customer
from sales.cards import FIELD_NAMES, CardReading, NotACard, saving
from sales.customers import DuplicateFound
from sales.errors import RuleError
from sales.refs import as_id
from storage.cards import CardScan
from storage.models import Contact, Customer, User

log = logging.getLogger("salesbot.cards")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
LABELS: dict[str, str] = {
    "company": N_("Company"), "person": N_("Name"), "title": N_("Title"), "mobile": N_("Mobile"),
    "phone": N_("Phone"), "email": N_("Email"), "address": N_("Address"),
}
WHY: dict[str, str] = {
    "not_an_image": N_("it is not a picture I can open"), "no_text": N_("there is no text on it"),
    "too_much_text": N_("it holds too much text"), "receipt": N_("it looks like a receipt"),
    "prose": N_("it reads like a document"), "no_contact": N_("it shows no phone or email"),
    "no_name": N_("it shows no person's name"), "unreadable": N_("it could not be read"),
}


def is_image(file: Attachment | None) -> bool:
    """Whether a sent file is a picture (a photo, or an image sent as a file)."""
    if file is None:
        return False
    return file.mime.lower().startswith("image/") or PurePosixPath(file.name.lower()).suffix in IMAGE_SUFFIXES


def _asks_card(incoming: Incoming) -> bool:
    text = incoming.text.strip()
    head = text.split(maxsplit=1)[0].lower() if text else ""
    return head in ("/card", "/名片") or (incoming.private and not text.startswith("/"))


def wants_reading(incoming: Incoming) -> bool:
    """Whether this input is a picture to read as a card: sent privately, or in a group with the caption /card."""
    return is_image(incoming.file) and _asks_card(incoming)


def read_before_turn(incoming: Incoming, region: str) -> CardReading | NotACard:
    """Read the card in the input's picture: the slow part, run outside any transaction (and never logged)."""
    assert incoming.file is not None
    try:
        return cards.read_card(incoming.file.data, region)
    except Exception as exc:  # a broken model file or an image library error: say so, create nothing
        log.error("card reading failed", extra={"error": type(exc).__name__})
        return NotACard("unreadable")


@command("card", "/card (as the caption of a photo of a business card)",
         "read a business card from a photo into a customer and a contact", roles=SELLERS, personal=True,
         aliases=("名片",))
def card_cmd(ctx: Ctx, args: str) -> None:
    """/card with a photo reads it; without one, says how."""
    if is_image(ctx.incoming.file):
        received(ctx)
        return
    ctx.say("Send a photo of a business card: in a private chat as it is, in a group with the caption /card.")


def received(ctx: Ctx) -> None:
    """A picture that was read before the turn: a card to show with Save, Edit and Not a card, or a refusal."""
    file = ctx.incoming.file
    reading = ctx.prepared
    if ctx.me.role not in SELLERS:
        ctx.say("Only reps and managers save business cards.")
        return
    if file is None or not isinstance(reading, CardReading | NotACard):
        ctx.say("I couldn't read that picture; please send it again.")
        return
    if isinstance(reading, NotACard):
        ctx.say("That doesn't look like a business card ({why}), so nothing was saved.",
                why=ctx.t(WHY.get(reading.reason, WHY["unreadable"])))
        return
    c = ctx.incoming.chat
    scan = saving.new_scan(ctx.session, by=ctx.me, platform=c.platform, workspace=c.workspace, chat=c.chat,
                           reading=reading, image=file.data, mime=file.mime, now=ctx.now)
    show(ctx, scan)


def show(ctx: Ctx, scan: CardScan) -> None:
    """What the card reads as (its fields, one a line) with Save, Edit and Not a card."""
    fields = saving.fields_of(scan)
    lines = [ctx.t("Business card:")]
    lines += [f"{ctx.t(LABELS[name])}: {esc(value)}" for name in FIELD_NAMES if (value := fields[name])]
    visible = [m for m in saving.customer_matches(ctx.session, scan=scan)
               if can_see_customer(ctx.session, ctx.me, m.id)]
    if visible:
        lines.append(ctx.t("Customer {n} exists: Save adds the contact to it or makes a new customer, as you choose.",
                           n=esc(visible[0].name)))
    n = scan.id
    buttons = ((ctx.button(ctx.t("Save"), f"card.save:{n}", "primary"), ctx.button(ctx.t("Edit"), f"card.edit:{n}"),
                ctx.button(ctx.t("Not a card"), f"card.no:{n}", "danger")),)
    ctx.replies.append(Reply(text="\n".join(lines), buttons=buttons, private=True))


def _scan(ctx: Ctx, arg: str) -> CardScan:
    return saving.open_scan(ctx.session, scan_id=as_id(arg.split(":", 1)[0]) or 0, by=ctx.me)


@click("card.save", personal=True)
def save_click(ctx: Ctx, arg: str) -> None:
    """Save: the card's company found (asked which) or created, then the contact added."""
    scan = _scan(ctx, arg)
    if _missing(ctx, scan, ("person", "company")):
        return
    fields = saving.fields_of(scan)
    matches = saving.customer_matches(ctx.session, scan=scan)
    if not matches:
        _save(ctx, scan, None, new=False)
        return
    visible = [m for m in matches if can_see_customer(ctx.session, ctx.me, m.id)]
    new = ctx.button(ctx.t("New customer"), f"card.new:{scan.id}")
    if visible:
        rows = tuple((ctx.button(ctx.t("Add to {n}", n=m.name), f"card.to:{scan.id}:{m.id}", "primary"),)
                     for m in visible[:3])
        ctx.say("Customer {n} already exists. Add {p} to it, or make a new customer?",
                n=esc(visible[0].name), p=esc(fields["person"] or ""), buttons=(*rows, (new,)), private=True)
        return
    owners = []
    for m in matches:
        c = ctx.session.get(Customer, m.id)
        owner = ctx.session.get(User, c.owner_id) if c else None
        owners.append(owner.name if owner else "?")
    ctx.say("A similar customer belongs to another rep ({h}); ask your manager to share it, or make a new customer.",
            h=esc("、".join(dict.fromkeys(owners))), buttons=((new,),), private=True)


@click("card.to", personal=True)
def save_to_click(ctx: Ctx, arg: str) -> None:
    """Add the card's contact to an existing customer the speaker can see."""
    scan = _scan(ctx, arg)
    customer = ctx.session.get(Customer, as_id(arg.partition(":")[2]) or 0)
    if customer is None or not can_see_customer(ctx.session, ctx.me, customer.id or 0):
        raise RuleError("not_found")
    _save(ctx, scan, customer, new=False)


@click("card.new", personal=True)
def save_new_click(ctx: Ctx, arg: str) -> None:
    """Save the card as a new customer, though one like it exists."""
    _save(ctx, _scan(ctx, arg), None, new=True)


@click("card.force", personal=True)
def save_anyway_click(ctx: Ctx, arg: str) -> None:
    """Add the contact though one with the same phone or email exists (`ID:CUSTOMER` or `ID:new`)."""
    scan = _scan(ctx, arg)
    target = arg.partition(":")[2]
    customer = ctx.session.get(Customer, as_id(target) or 0) if target != "new" else None
    if target != "new" and (customer is None or not can_see_customer(ctx.session, ctx.me, customer.id or 0)):
        raise RuleError("not_found")
    _save(ctx, scan, customer, new=True, force=True)


def _missing(ctx: Ctx, scan: CardScan, needed: tuple[str, ...]) -> bool:
    """Ask for the first of `needed` the card lacks; whether one was asked for."""
    fields = saving.fields_of(scan)
    for name in needed:
        if not fields[name]:
            _ask_value(ctx, scan, name, missing=True)
            return True
    return False


def _save(ctx: Ctx, scan: CardScan, customer: Customer | None, *, new: bool, force: bool = False) -> None:
    if _missing(ctx, scan, ("person",) if customer is not None else ("person", "company")):
        return
    ctx.dialog = None  # an edit left open ends with the save
    try:
        with ctx.session.begin_nested():
            done = saving.save(ctx.session, by=ctx.me, scan=scan, now=ctx.now, region=ctx.settings.phone_region,
                               customer=customer, new_customer=new, force_contact=force)
    except saving.ContactExists as dup:
        shown = [m.name for m in dup.matches if _contact_visible(ctx, m.id)]
        target = customer.id if customer is not None else "new"
        ctx.say("A contact with that phone or email exists: {m}. Add anyway?",
                m="、".join(esc(n) for n in shown) or ctx.t("(at a customer you can't see)"),
                buttons=((ctx.button(ctx.t("Add anyway"), f"card.force:{scan.id}:{target}"),),), private=True)
        return
    except DuplicateFound:  # a customer like it appeared since the card was shown: ask again
        save_click(ctx, str(scan.id))
        return
    if done.new_customer:
        text = ctx.t("Saved: new customer *{c}* (#{id}) with contact {p}.", c=esc(done.customer.name),
                     id=done.customer.id, p=esc(done.contact.name))
    else:
        text = ctx.t("Saved: {p} added to *{c}* (#{id}).", c=esc(done.customer.name), id=done.customer.id,
                     p=esc(done.contact.name))
    ctx.replies.append(Reply(text=text, private=True, edit="this"))  # the pressed message loses its buttons


def _contact_visible(ctx: Ctx, contact_id: int) -> bool:
    p = ctx.session.get(Contact, contact_id)
    return p is not None and can_see_customer(ctx.session, ctx.me, p.customer_id)


@click("card.no", personal=False)
def dismiss_click(ctx: Ctx, arg: str) -> None:
    """Not a card: the photo and its reading are dropped."""
    saving.dismiss(ctx.session, scan=_scan(ctx, arg), now=ctx.now)
    ctx.dialog = None
    ctx.replies.append(Reply(text=ctx.t("OK: not a card. The photo was dropped and nothing was saved."), edit="this"))


@click("card.edit", personal=True)
def edit_click(ctx: Ctx, arg: str) -> None:
    """Edit: pick the field to fix (a button, its number or its name)."""
    scan = _scan(ctx, arg)
    _pick(ctx, scan)


def _pick(ctx: Ctx, scan: CardScan) -> None:
    names = list(FIELD_NAMES)
    row: list[Button] = []
    rows: list[tuple[Button, ...]] = []
    for name in names:
        row.append(ctx.button(ctx.t(LABELS[name]), f"card.field:{scan.id}:{name}"))
        if len(row) == 4:
            rows.append(tuple(row))
            row = []
    rows.append((*row, ctx.button(ctx.t("Done"), f"card.show:{scan.id}")))
    ctx.say("Which field? Press it, or send its name.", buttons=tuple(rows), private=True)
    ctx.ask("card.pick", {"scan": scan.id})


@click("card.show", personal=True)
def show_click(ctx: Ctx, arg: str) -> None:
    """Back to the card with its buttons."""
    ctx.dialog = None
    show(ctx, _scan(ctx, arg))


@click("card.field", personal=True)
def field_click(ctx: Ctx, arg: str) -> None:
    """A field picked: ask for its value."""
    scan = _scan(ctx, arg)
    field = arg.partition(":")[2]
    if field not in FIELD_NAMES:
        raise RuleError("unknown_field", field=field)
    _ask_value(ctx, scan, field)


def _field_named(ctx: Ctx, text: str) -> str | None:
    word = text.strip().casefold()
    for name in FIELD_NAMES:
        if word in (name, ctx.t(LABELS[name]).casefold(), LABELS[name].casefold()):
            return name
    return None


def _flow_scan(ctx: Ctx, data: dict[str, Any]) -> CardScan | None:
    """The scan an open dialogue is about; None (said, and the dialogue closed) when it is no longer waiting."""
    try:
        return saving.open_scan(ctx.session, scan_id=int(data.get("scan", 0)), by=ctx.me)
    except RuleError as err:
        explain(ctx, err)
        return None


@flow("card.pick", personal=True)
def pick_flow(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The field typed by name after Edit."""
    scan = _flow_scan(ctx, data)
    if scan is None:
        return
    field = _field_named(ctx, text)
    if field is None:
        ctx.say("Which field? Press it, or send its name.", private=True)
        ctx.ask("card.pick", data)
        return
    _ask_value(ctx, scan, field)


def _ask_value(ctx: Ctx, scan: CardScan, field: str, *, missing: bool = False) -> None:
    label = ctx.t(LABELS[field])
    now = saving.fields_of(scan)[field]
    if missing:
        ctx.say("The card shows no {f}. Send it, then press Save again.", f=label, private=True)
    elif now:
        ctx.say("Send the new {f} (now: {v}), or - to clear it.", f=label, v=esc(now), private=True)
    else:
        ctx.say("Send the {f}.", f=label, private=True)
    ctx.ask("card.value", {"scan": scan.id, "field": field})


@flow("card.value", personal=True)
def value_flow(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The new value of the field picked; the card is shown again."""
    scan = _flow_scan(ctx, data)
    if scan is None:
        return
    saving.set_field(ctx.session, scan=scan, field=str(data.get("field")), value=text,
                     region=ctx.settings.phone_region)
    show(ctx, scan)
