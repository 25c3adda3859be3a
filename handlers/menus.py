"""Command menus (Telegram's setMyCommands): per language, and per role in each person's private chat."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from handlers.i18n import lang_of, languages, tr
from handlers.registry import COMMANDS
from storage.models import ChatIdentity, User

NAME = re.compile(r"^[a-z0-9_]{1,32}$")  # what Telegram accepts as a command name
MAX_COMMANDS = 100
MAX_DESCRIPTION = 256
FIRST = ("today", "followups", "visit", "call", "note", "customer", "customers", "deal", "deals", "advance",
         "quote", "approvals", "plan", "paid", "receivables", "lead", "leads", "digest", "report", "pipeline")
MAX_PEOPLE = 500  # private chats given their own role's menu at one start


@dataclass(frozen=True)
class Menu:
    """One menu: its commands with their descriptions, for one language (None: anyone's language not listed)
    or for one person's private chat (their role's commands in their language)."""

    commands: tuple[tuple[str, str], ...]
    lang: str | None = None
    chat: str | None = None


def commands_for(role: str | None, lang: str) -> tuple[tuple[str, str], ...]:
    """The commands a role may use (None: someone who has not joined), most used first, described in `lang`."""
    mine = [c for name, c in COMMANDS.items() if name == c.name and NAME.match(name)
            and (c.public if role is None else role in c.roles)]
    order = {name: i for i, name in enumerate(FIRST)}
    mine.sort(key=lambda c: (order.get(c.name, len(FIRST)), c.name))
    return tuple((c.name, tr(lang, c.about)[:MAX_DESCRIPTION] or c.name) for c in mine[:MAX_COMMANDS])


def menus(session: Session, *, platform: str, workspace: str, default_lang: str) -> list[Menu]:
    """Everyone's menu per language (what a stranger may use), then each bound person's role menu in their
    private chat, in the language they read."""
    out = [Menu(commands=commands_for(None, lang_of(default_lang)))]
    out += [Menu(commands=commands_for(None, lang), lang=lang) for lang in languages()]
    rows = session.exec(select(ChatIdentity.chat, User.role, User.lang)
                        .join(User, col(User.id) == col(ChatIdentity.user_id))
                        .where(col(ChatIdentity.platform) == platform, col(ChatIdentity.workspace) == workspace,
                               col(User.active).is_(True))
                        .order_by(col(ChatIdentity.id)).limit(MAX_PEOPLE)).all()
    for chat, role, lang in rows:
        if chat and not str(chat).startswith("-"):  # a private chat (group ids are negative)
            out.append(Menu(commands=commands_for(role, lang_of(lang, lang_of(default_lang))), chat=str(chat)))
    return out
