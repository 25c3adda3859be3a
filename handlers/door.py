"""The door every input passes before a command runs: the rate limit, deactivated users, upload size."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Ctx
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
        return [Reply(text=ctx.t("慢一点：{w} 秒内超过 {n} 条消息。接下来几秒收到的消息会被忽略，请稍后再发。",
                                 "Slow down: more than {n} messages in {w} seconds. What you send in the next few "
                                 "seconds is ignored; please send it again in a moment.",
                                 n=s.rate_limit, w=s.rate_window_s))]
    return None


def gate(ctx: Ctx) -> list[Reply] | None:
    """What the door says to an input the rate limit let in: None lets it in, a list answers it instead."""
    inc, s = ctx.incoming, ctx.settings
    if ctx.user is not None and not ctx.user.active:
        ctx.user = None
        return [Reply(text=ctx.t("这个账号已停用，不能再使用。如有疑问请联系管理员。",
                                 "This account has been deactivated and can no longer be used. Ask your admin "
                                 "if this is a mistake."))]
    if inc.file is not None and len(inc.file.data) > s.max_file_bytes:
        return [Reply(text=too_large_text(s.max_file_bytes, ctx.lang))]
    return None


def too_large_text(limit_bytes: int, lang: str) -> str:
    """The refusal of a file over `limit_bytes`, here and in the adapters that refuse before downloading."""
    zh, en = "文件太大了（最多 {m} MB），没有读取。", "That file is too large (at most {m} MB); it was not read."
    return (zh if lang == "zh" else en).format(m=round(limit_bytes / 1024 / 1024, 1))
