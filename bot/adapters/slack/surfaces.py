"""What Slack shows besides messages: the visit, quote, ticket, invoice and edit modals, the pickers' options, the App
Home."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from bot.adapters.slack import parse, views
from bot.adapters.slack.parse import Parsed
from handlers import edit_forms, forms
from handlers.home import home_sections
from handlers.i18n import languages
from handlers.types import Incoming

if TYPE_CHECKING:
    from bot.adapters.slack.adapter import Slack


class Modal(Protocol):
    """A modal of views.py in a language, carrying its metadata."""

    def __call__(self, lang: str, *, meta: dict[str, Any] | None = None) -> dict[str, Any]: ...


async def open_form(slack: Slack, p: Parsed, line: str, modal: Modal) -> None:
    """A form's modal, in the user's language; a stranger or a deactivated user gets the core's answer to `line`."""
    if await _not_served(slack, p, line):
        return
    lang = await language(slack, p.team, p.user)
    await slack.client.views_open(trigger_id=p.trigger_id or "", view=modal(lang, meta={"channel": p.channel or ""}))


async def open_visit(slack: Slack, p: Parsed, kind: str = "visit", text: str = "") -> None:
    """The visit modal (a slash command, a Home button, or the message shortcut)."""
    await open_form(slack, p, f"/{kind}", partial(views.visit_modal, text=text, kind=kind))


async def open_quote(slack: Slack, p: Parsed) -> None:
    """The quote modal."""
    await open_form(slack, p, "/quote new", views.quote_modal)


async def open_ticket(slack: Slack, p: Parsed) -> None:
    """The new-ticket modal."""
    await open_form(slack, p, "/ticket new", views.ticket_modal)


async def open_invoice(slack: Slack, p: Parsed) -> None:
    """The invoice request modal."""
    await open_form(slack, p, "/invoice request", views.invoice_modal)


async def open_edit(slack: Slack, p: Parsed) -> None:
    """The edit modal of the one record an edit line names (`/crm deal edit 12`); anything else (no record, several,
    a field already given) is the core's to answer as typed."""
    line = str(p.extra.get("line", ""))
    form = await slack.db(edit_forms.edit_form, slack.core, "slack", p.team, p.user, line, quick=True)
    if form is None:
        await slack.turn(p)
        return
    await slack.client.views_open(trigger_id=p.trigger_id or "",
                                  view=views.edit_modal(form, meta={"channel": p.channel or ""}))


async def _not_served(slack: Slack, p: Parsed, line: str) -> bool:
    """A stranger or a deactivated user gets no modal: the core answers the command, as it would in a chat."""
    if await slack.db(slack.who, p.team, p.user, quick=True) is not None:
        return False
    base = p.incoming or Incoming(chat=parse.chat_ref(p.team, p.channel or ""), user=p.user,
                                  event_id=f"act:{p.trigger_id}", private=parse.is_private(p.channel))
    await slack.turn(replace(p, incoming=replace(base, text=line, action=None)))
    return True


async def language(slack: Slack, team: str, user: str) -> str:
    """The language the core answers this account in (a deactivated user's own, as the core's refusal)."""
    return await slack.db(slack.core.lang_for, "slack", team, user, quick=True)


async def options(slack: Slack, p: Parsed) -> list[dict[str, Any]]:
    """Options for a picker: the customers or open deals this user may see that match the typing."""
    found = await slack.db(forms.picker_options, slack.core, "slack", p.team, p.user, str(p.extra["action_id"]),
                           str(p.extra["value"]), quick=True)
    return [views.option(label, value) for label, value in found]


def _form(p: Parsed) -> tuple[str, dict[str, str]] | None:
    """A submitted modal's form and its fields' values."""
    callback = p.extra["callback_id"]
    if callback not in views.FORMS:
        return None
    values = p.extra["values"]
    return views.FORMS[callback], {block: parse.value_of(values, block, action)
                                   for block, action in views.FIELDS[callback]}


async def check_modal(slack: Slack, p: Parsed) -> dict[str, str]:
    """What a submitted modal lacks, per block, in the language it was shown in (answered within the ack)."""
    form = _form(p)
    if form is None:
        return {}
    lang = p.extra["meta"].get("lang")
    if lang not in languages():
        lang = await language(slack, p.team, p.user)
    name, fields = form
    errors = edit_forms.check(name, fields, lang, slack.core.settings.phone_region) if name in edit_forms.FIELDS \
        else forms.check(name, fields, lang)
    return {block: text[:150] for block, text in errors.items()}  # Slack shows an input's error in one line


def submitted(p: Parsed) -> Parsed | None:
    """A checked modal's submission as the command it stands for, answered in the user's DM."""
    form = _form(p)
    channel = str(p.extra["meta"].get("channel") or "")
    inc = None if form is None else forms.submitted(*form, chat=parse.chat_ref(p.team, channel), user=p.user,
                                                    event_id=f"view:{p.extra['view_id']}")
    return None if inc is None else replace(p, incoming=inc, channel=None)


async def submitted_edits(slack: Slack, p: Parsed) -> list[Parsed]:
    """A checked edit modal's submission as its edit lines (one per changed field), answered in the user's DM."""
    form = _form(p)
    record = p.extra["meta"].get("id")
    if form is None or form[0] not in edit_forms.FIELDS or not isinstance(record, int):
        return []
    lines = await slack.db(edit_forms.submitted_lines, slack.core, "slack", p.team, p.user, form[0], record,
                           form[1])
    channel = str(p.extra["meta"].get("channel") or "")
    return [replace(p, channel=None, incoming=Incoming(chat=parse.chat_ref(p.team, channel), user=p.user, text=line,
                                                       event_id=f"view:{p.extra['view_id']}:{i}", private=True))
            for i, line in enumerate(lines)]


async def publish_home(slack: Slack, team: str, user: str) -> None:
    """The App Home: the sections handlers/home.py gives this person, and buttons for the forms they may open."""
    home = await slack.db(home_sections, slack.core, "slack", team, user)
    view = views.home_view(home.lang, home.sections, can_log=forms.VISIT in home.forms,
                           can_quote=forms.QUOTE in home.forms, can_ticket=forms.TICKET in home.forms,
                           can_invoice=forms.INVOICE in home.forms)
    await slack.client.views_publish(user_id=user, view=view)
