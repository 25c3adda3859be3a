"""A person's home screen (Slack's App Home): the sections their role sees, each answered by the core, in their
language, and the forms they may open from it."""

from __future__ import annotations

from dataclasses import dataclass

from handlers import forms
from handlers.core import Core
from handlers.i18n import tr
from handlers.types import ChatRef, Incoming, Platform, Reply
from sales.access import MANAGERS, SELLERS


@dataclass(frozen=True)
class Home:
    """What a home screen shows: titled sections of the core's replies, and buttons for the forms."""

    lang: str
    sections: list[tuple[str, list[Reply]]]
    forms: tuple[str, ...]


def home_sections(core: Core, platform: Platform, workspace: str, user: str) -> Home:
    """Today's and overdue follow-ups (sellers), approvals waiting (managers), invoices to issue (finance, admins),
    overdue receivables; a stranger's
    or a deactivated user's home is what the core answers them."""
    person = core.who(platform, workspace, user)
    lang = person.lang if person is not None else core.lang_for(platform, workspace, user)
    chat = ChatRef(platform=platform, workspace=workspace, chat=f"home:{user}")

    def run(text: str) -> list[Reply]:
        return core.handle(Incoming(chat=chat, user=user, text=text, private=True))

    def t(msgid: str) -> str:
        return tr(lang, msgid)

    sections: list[tuple[str, list[Reply]]] = []
    if person is None:
        sections.append(("salesbot", run("/start")))
    else:
        if person.role in SELLERS:
            sections.append((t("Today's and overdue follow-ups"), run("/today")))
        if person.role in MANAGERS:
            sections.append((t("Waiting for my approval"), run("/approvals")))
        if person.role in ("finance", "admin"):
            sections.append((t("Invoices to issue"), run("/invoices")))
        sections.append((t("Overdue receivables"), run("/receivables overdue")))
    return Home(lang=lang, sections=sections, forms=forms.may_open(person))
