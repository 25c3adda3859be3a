"""Outbound pace for Telegram: PTB's AIORateLimiter plus Telegram's per-chat limit, one request at a time per chat."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter
from telegram.warnings import PTBDeprecationWarning

JSON = bool | dict[str, Any] | list[dict[str, Any]]
Callback = Callable[..., Coroutine[Any, Any, JSON]]


def retry_seconds(exc: RetryAfter) -> float:
    """A 429's retry_after in seconds, whichever type this PTB version gives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(frozen=True)
class Limits:
    """Telegram's flood limits as (messages, seconds), and how often a 429 is waited out before giving up."""

    overall: tuple[float, float] = (30, 1.0)  # the whole bot: AIORateLimiter's overall limiter
    group: tuple[float, float] = (20, 60.0)  # one group or supergroup: AIORateLimiter's group limiter
    chat: tuple[float, float] = (1, 1.0)  # one chat: requests one at a time, T/N seconds apart
    max_retries: int = 5


@dataclass
class _Chat:
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float = float("-inf")  # when its last request was answered


class ChatRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (overall and per group, waiting out 429s) behind a queue per chat.

    Requests to one chat go one at a time and at least T/N seconds after the previous one was answered:
    they keep their order, the chat never sees more than N in T, and while one waits out a 429 the
    chat's next ones wait behind it. The wait happens before AIORateLimiter's, so its pacing is kept."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(overall_max_rate=limits.overall[0], overall_time_period=limits.overall[1],
                         group_max_rate=limits.group[0], group_time_period=limits.group[1],
                         max_retries=limits.max_retries)
        rate, period = limits.chat
        self._gap = period / rate if rate and period else 0.0
        self._chats: dict[int | str, _Chat] = {}

    def _chat(self, chat_id: int | str, now: float) -> _Chat:
        if len(self._chats) > 1024:  # forget idle chats, as AIORateLimiter does with its groups
            for key, chat in list(self._chats.items()):
                if key != chat_id and not chat.turn.locked() and chat.last + self._gap < now:
                    del self._chats[key]
        return self._chats.setdefault(chat_id, _Chat())

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        """Wait for the chat's turn and gap, then for AIORateLimiter's overall and group limiters."""
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str):
            with contextlib.suppress(ValueError):  # "@channel" stays a name; "-100…" is the same chat as the number
                chat_id = int(chat_id)
        if not isinstance(chat_id, int | str):
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        loop = asyncio.get_running_loop()
        chat = self._chat(chat_id, loop.time())
        async with chat.turn:
            await asyncio.sleep(max(0.0, chat.last + self._gap - loop.time()))
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            finally:
                chat.last = loop.time()
