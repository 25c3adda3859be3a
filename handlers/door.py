"""The door every input passes before a command runs: the rate limit, deactivated users, upload size."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Ctx
from handlers.i18n import tr
from handlers.types import Reply
from sales import limits


def throttle(ctx: Ctx) -> list[Reply] | None:
    """The rate limit, first at the door: None lets the input in; one "slow down" over the limit, then nothing."""
    inc, s = ctx.incoming, ctx.settings
    verdict = limits.admit(ctx.session, key=f"{inc.chat.platform}:{inc.chat.workspace}:{inc.user}", now=ctx.now,
                           limit=s.rate_limit, window=timedelta(seconds=s.rate_window_s))
    if verdict == "drop":
        return []
    if verdict == "warn":
        return [Reply(text=ctx.t("Slow down: more than {n} messages in {w} seconds. What you send in the next few seconds is ignored; please send it again in a moment.",
                                 n=s.rate_limit, w=s.rate_window_s))]
    return None


def gate(ctx: Ctx) -> list[Reply] | None:
    """What the door says to an input the rate limit let in: None lets it in, a list answers it instead."""
    inc, s = ctx.incoming, ctx.settings
    if ctx.user is not None and not ctx.user.active:
        ctx.user = None
        return [Reply(text=ctx.t("This account has been deactivated and can no longer be used. Ask your admin if this is a mistake."))]
    if inc.file is not None and len(inc.file.data) > s.max_file_bytes:
        return [Reply(text=too_large_text(s.max_file_bytes, ctx.lang))]
    return None


def too_large_text(limit_bytes: int, lang: str) -> str:
    """The refusal of a file over `limit_bytes`, here and in the adapters that refuse before downloading."""
    return tr(lang, "That file is too large (at most {m} MB); it was not read.", m=round(limit_bytes / 1024 / 1024, 1))
