"""Files the adapters refuse before downloading them: the answer, in the words and language of the core."""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, col, select

from handlers.core import Core
from handlers.trust import too_large_text
from handlers.types import Incoming, Reply
from storage.models import ChatIdentity, User


def too_large(limit: int, lang: str) -> Reply:
    """The answer to a file over `limit` bytes: the text of the core's own check (handlers.trust.gate)."""
    return Reply(text=too_large_text(limit, lang))


def speaker_lang(core: Core, incoming: Incoming) -> str:
    """The language the core answers this speaker in: their own choice, else the core's guess from the locale."""
    chat = incoming.chat
    try:
        with Session(core.engine) as session:
            chosen = session.exec(select(User.lang).join(ChatIdentity, col(ChatIdentity.user_id) == col(User.id))
                                  .where(col(ChatIdentity.platform) == chat.platform,
                                         col(ChatIdentity.workspace) == chat.workspace,
                                         col(ChatIdentity.external_id) == incoming.user)).first()
    except (OperationalError, InterfaceError):
        chosen = None  # the refusal still goes out, in the platform's language
    return chosen or core.guess_lang(incoming)
