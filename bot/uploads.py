"""Files the adapters refuse before downloading them: the answer, in the words and language of the core."""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, col, select

from handlers.core import Core
from handlers.types import Incoming, Reply
from storage.models import ChatIdentity, User

MIB = 1024 * 1024


def too_large(limit: int, lang: str) -> Reply:
    """The answer to a file over `limit` bytes: the text of the core's own check (handlers.trust.gate)."""
    zh, en = "文件太大了（最多 {m} MB），没有读取。", "That file is too large (at most {m} MB); it was not read."
    return Reply(text=(zh if lang == "zh" else en).format(m=round(limit / MIB, 1)))


def speaker_lang(core: Core, incoming: Incoming) -> str:
    """The language the core answers this speaker in: their own choice, else their locale, else the default."""
    chat = incoming.chat
    try:
        with Session(core.engine) as session:
            chosen = session.exec(select(User.lang).join(ChatIdentity, col(ChatIdentity.user_id) == col(User.id))
                                  .where(col(ChatIdentity.platform) == chat.platform,
                                         col(ChatIdentity.workspace) == chat.workspace,
                                         col(ChatIdentity.external_id) == incoming.user)).first()
    except (OperationalError, InterfaceError):
        chosen = None  # the refusal still goes out, in the platform's language
    if chosen:
        return chosen
    return "zh" if (incoming.locale or core.settings.default_lang).lower().startswith("zh") else "en"
