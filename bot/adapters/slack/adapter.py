"""The adapter behind the Slack listeners: turns off the event loop, replies where they belong, the outbox
sender with deal threads, and the messages that stand for an approval (updated wherever it is decided)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import uploads
from bot.adapters.slack import parse, render, surfaces
from bot.adapters.slack.parse import Parsed
from bot.delivery import RetryAfter, Undeliverable, deliver_due_async
from bot.inbox import Inbox
from handlers import outbox
from handlers.core import Core
from handlers.deal_news import deal_of_thread
from handlers.links import approval_key, keys_of
from handlers.registry import COMMANDS
from handlers.types import Attachment, ChatRef, Person, Reply
from storage import threads as deal_threads
from storage.db import session_factory, transaction

log = logging.getLogger("salesbot.slack")
# Errors that will not go away by trying again: the outbox row is given up.
PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "account_inactive", "user_not_found", "user_disabled",
    "cannot_dm_bot", "invalid_auth", "not_authed", "token_revoked", "restricted_action", "msg_too_long",
    "invalid_blocks", "no_text", "message_not_found", "cant_update_message", "team_access_not_granted",
})
T = TypeVar("T")


def classify(err: SlackApiError) -> Exception:
    """A Web API failure as the outbox understands it: RetryAfter (429), Undeliverable, or itself (back off)."""
    resp = err.response
    if resp.status_code == 429:
        headers = {k.lower(): v for k, v in (resp.headers or {}).items()}
        raw = headers.get("retry-after", "1")
        try:
            wait = float(raw[0] if isinstance(raw, list) else raw)
        except ValueError:
            wait = 1.0
        return RetryAfter(wait)
    code = str(resp.get("error", ""))
    if code in PERMANENT:
        return Undeliverable(code)
    return err


SLACK_FILE_HOSTS = ("files.slack.com",)


class Slack:
    """The adapter behind the listeners: runs turns off the event loop and delivers their replies."""

    def __init__(self, app: AsyncApp, core: Core, *, workers: int = 16, deliver_after_turn: bool = True) -> None:
        self.app = app
        self.core = core
        self.client: AsyncWebClient = app.client
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-core")
        self.quick = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-quick")
        self.deliver_after_turn = deliver_after_turn
        self.sessions = session_factory(core.engine)
        self._tasks: set[asyncio.Task[None]] = set()
        self._dms: dict[tuple[str, str], str] = {}
        self._deliver_lock = asyncio.Lock()
        self.socket: Any = None  # the Socket Mode handler; over HTTP, bot/web.py serves the listeners
        self.inbox: Inbox | None = None  # bot/web.py's durable inbox: events are stored before their 200

    # --- plumbing -----------------------------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work after the ack; its failure is logged, never sent to Slack as a traceback."""
        task = asyncio.create_task(self._guard(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception:
            log.exception("slack work failed")

    async def drain(self) -> None:
        """Wait until every piece of work started so far (and what it started) is done, stored events too."""
        if self.inbox is not None:
            await self.inbox.idle()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def db(self, fn: Callable[..., T], *args: Any, quick: bool = False) -> T:
        """Run blocking database work in a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.quick if quick else self.executor, partial(fn, *args))

    def commands(self) -> set[str]:
        """The core's command words (for text without a slash)."""
        return set(COMMANDS)

    def who(self, team: str, user: str) -> Person | None:
        """The active user behind a Slack account (Core.who), or None for a stranger or a deactivated user."""
        return self.core.who("slack", team, user)

    # --- turns --------------------------------------------------------------------------------------

    async def turn(self, p: Parsed, *, stored: bool = False) -> None:
        """One message, command or click through the core, and its replies back to Slack (`stored`: from the
        durable inbox, where a database gone away mid-turn raises Unavailable and the event is tried again)."""
        inc = p.incoming
        if inc is None:
            return
        if p.surface is not None or not p.channel:
            dm = await self.dm(p.team, p.user)
            inc = replace(inc, chat=replace(inc.chat, chat=dm, thread=None), private=True)
            p = replace(p, channel=dm, thread_ts=None, incoming=inc)
        who = await self.db(self.who, p.team, p.user)
        if who is None and inc.text.lower().startswith("/join") and not inc.display_name:
            inc = replace(inc, display_name=await self.display_name(p.user))
        limit = self.core.settings.max_file_bytes
        if p.file is not None and p.file.size > limit:
            lang = await self.db(self.core.lang_of, inc)
            await self.answer(p, [uploads.too_large(limit, lang)], stranger=who is None)
        elif p.file is not None:
            inc = replace(inc, file=await self.download(p.file))
        if stored:
            replies = await self.db(partial(self.core.handle, inc, raise_unavailable=True))
        else:
            replies = await self.db(self.core.handle, inc)
        await self.answer(p, replies, stranger=who is None)
        if p.surface == "home":
            await surfaces.publish_home(self, p.team, p.user)
        if self.deliver_after_turn:
            await self.deliver()

    async def answer(self, p: Parsed, replies: list[Reply], *, stranger: bool) -> None:
        """Show the core's replies where they belong: in place, ephemeral, in the DM or the thread."""
        inc = p.incoming
        assert inc is not None
        for reply in replies:
            try:
                if reply.to is not None and reply.to != inc.chat:
                    await self.send(reply.to, reply)
                elif reply.edit == "this" and p.kind == "action":
                    await self.edit_clicked(p, reply)
                elif stranger or (p.kind in ("command", "action") and not inc.private):
                    await self.ephemeral(p, reply)
                else:
                    await self.post_here(p, reply)
            except (RetryAfter, SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                if stranger:
                    log.warning("reply to a stranger failed: %s", exc)
                    continue
                # Try again later through the outbox, and only ever privately: never to a channel.
                log.warning("reply failed, queued for the person's DM: %s", exc)
                target = reply.to.chat if reply.to is not None else p.user
                await self.db(self._queue, p.team, target, replace(reply, edit=None, to=None))

    def _queue(self, team: str, chat: str, reply: Reply) -> None:
        now = self.core.clock()
        with transaction(self.sessions) as s:
            outbox.put(s, ChatRef(platform="slack", workspace=team, chat=chat), reply, now=now,
                       delay=timedelta(seconds=5))

    async def post_here(self, p: Parsed, reply: Reply) -> None:
        """A reply in the conversation it answers; a slash command in a DM without the bot falls back."""
        try:
            await self.post(p.team, p.channel or "", reply, thread_ts=p.thread_ts)
        except SlackApiError as err:
            if p.kind == "command" and err.response.get("error") in ("channel_not_found", "not_in_channel"):
                await self.ephemeral(p, reply)
            else:
                raise

    async def post(self, team: str, chat: str, reply: Reply, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """chat.postMessage (split at Slack's limits) and its image; returns the posted messages."""
        channel = await self.channel_id(team, chat)
        posted = []
        for body in render.to_messages(reply) if reply.text.strip() else []:
            resp = await self.client.chat_postMessage(channel=channel, text=body["text"], blocks=body["blocks"],
                                                      thread_ts=thread_ts, unfurl_links=False, unfurl_media=False)
            posted.append({"channel": str(resp["channel"]), "ts": str(resp["ts"])})
        if reply.image is not None:
            await self.upload(channel, reply.image, thread_ts)
        if posted:
            await self.link(team, chat, reply, posted[-1])
        return posted

    async def upload(self, channel: str, image: Attachment, thread_ts: str | None) -> None:
        """A chart or an export, through files.getUploadURLExternal / upload / files.completeUploadExternal."""
        kwargs: dict[str, Any] = {"channel": channel, "file": image.data, "filename": image.name, "title": image.name}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        await self.client.files_upload_v2(**kwargs)

    async def ephemeral(self, p: Parsed, reply: Reply) -> None:
        """Only the speaker sees it: through response_url for a slash command, else chat.postEphemeral
        (a chart or a file goes to the speaker's DM)."""
        if reply.image is not None:
            await self.upload(await self.dm(p.team, p.user), reply.image, None)
        for body in render.to_messages(reply) if reply.text.strip() else []:
            if p.kind == "command" and p.response_url:
                hook = AsyncWebhookClient(p.response_url)
                resp = await hook.send(text=body["text"], blocks=body["blocks"], response_type="ephemeral",
                                       replace_original=False)
                if resp.status_code >= 400:
                    raise aiohttp.ClientError(f"response_url answered {resp.status_code}")
            else:
                await self.client.chat_postEphemeral(channel=p.channel or "", user=p.user, text=body["text"],
                                                     blocks=body["blocks"], thread_ts=p.thread_ts)

    async def edit_clicked(self, p: Parsed, reply: Reply) -> None:
        """Replace the clicked message, and every other message that stands for the same approval."""
        body = render.to_messages(reply)[0]
        if p.surface == "home":
            pass  # the Home tab is published again after the turn
        elif p.ephemeral or not p.message_ts:
            if p.response_url:
                await AsyncWebhookClient(p.response_url).send(text=body["text"], blocks=body["blocks"],
                                                              replace_original=True)
        else:
            await self.client.chat_update(channel=p.channel or "", ts=p.message_ts, text=body["text"],
                                          blocks=body["blocks"])
        key = approval_key(str(p.extra.get("value", "")))
        if key is not None:
            await self.update_linked(p.team, key, reply, skip=(p.channel, p.message_ts))

    async def update_linked(self, team: str, key: str, reply: Reply, skip: tuple[str | None, str | None]) -> None:
        """chat.update every posted message linked to `key` (the thread's and the approvers' DMs)."""
        body = render.to_messages(reply)[0]
        for channel, ts in await self.db(self._links, team, key):
            if (channel, ts) == skip:
                continue
            try:
                await self.client.chat_update(channel=channel, ts=ts, text=body["text"], blocks=body["blocks"])
            except SlackApiError as err:
                log.warning("could not update %s %s: %s", channel, ts, err.response.get("error"))

    def _links(self, team: str, key: str) -> list[tuple[str, str]]:
        with self.sessions() as s:
            rows = deal_threads.linked(session=s, platform="slack", workspace=team, key=key)
            return [(r.channel, r.ts) for r in rows]

    async def link(self, team: str, chat: str, reply: Reply, posted: dict[str, Any]) -> None:
        """Remember a posted approval request, so that deciding elsewhere can update it."""
        keys = keys_of(reply)
        if keys:
            await self.db(self._add_links, team, chat, keys, posted["channel"], posted["ts"])

    def _add_links(self, team: str, chat: str, keys: set[str], channel: str, ts: str) -> None:
        with transaction(self.sessions) as s:
            deal_threads.link(session=s, platform="slack", workspace=team, keys=keys, chat=chat, channel=channel,
                              message_id=ts, now=self.core.clock())

    # --- the outbox sender --------------------------------------------------------------------------

    async def send(self, to: ChatRef, reply: Reply) -> None:
        """Deliver one outbox message; raises RetryAfter (429) or Undeliverable (a permanent refusal)."""
        try:
            deal_id = deal_of_thread(to.thread)
            if deal_id is not None:
                await self._to_deal_thread(to, deal_id, reply)
            else:
                await self.post(to.workspace, to.chat, reply, thread_ts=to.thread)
        except SlackApiError as err:
            raise classify(err) from err

    async def _to_deal_thread(self, to: ChatRef, deal_id: int, reply: Reply) -> None:
        state = await self.db(self._thread_state, to, deal_id)
        if state is None:
            await self.post(to.workspace, to.chat, reply)
            return
        row_id, root = state
        if root is not None:
            await self.post(to.workspace, root[0] or to.chat, reply, thread_ts=root[1])
            return
        # The first message of the thread becomes its root; one sender at a time may post it.
        if not await self.db(self._claim_root, row_id):
            raise RetryAfter(2)
        try:
            posted = await self.post(to.workspace, to.chat, reply)
        except BaseException:
            await self.db(self._set_root, row_id, None, None)
            raise
        if posted:
            await self.db(self._set_root, row_id, posted[0]["channel"], posted[0]["ts"])

    def _thread_state(self, to: ChatRef, deal_id: int) -> tuple[int, tuple[str | None, str] | None] | None:
        with self.sessions() as s:
            found = deal_threads.deal_thread(session=s, deal_id=deal_id, platform=to.platform,
                                             workspace=to.workspace, channel=to.chat)
            return None if found is None else (found.id or 0, deal_threads.root_of(found))

    def _claim_root(self, row_id: int) -> bool:
        with transaction(self.sessions) as s:
            return deal_threads.claim_root(session=s, thread_id=row_id, now=self.core.clock())

    def _set_root(self, row_id: int, channel: str | None, ts: str | None) -> None:
        with transaction(self.sessions) as s:
            deal_threads.set_root(session=s, thread_id=row_id, channel=channel, message_id=ts)

    async def deliver(self) -> int:
        """Send what the outbox holds for Slack now (the process's delivery loop does the same)."""
        sent = 0
        async with self._deliver_lock:
            while True:
                n = await deliver_due_async(self.core.engine, {"slack": self.send}, self.core.clock())
                sent += n
                if n == 0:
                    return sent

    # --- Slack lookups ------------------------------------------------------------------------------

    async def dm(self, team: str, user: str) -> str:
        """The IM channel between the bot and a user (conversations.open)."""
        key = (team, user)
        if key not in self._dms:
            resp = await self.client.conversations_open(users=user)
            self._dms[key] = str(resp["channel"]["id"])
        return self._dms[key]

    async def channel_id(self, team: str, chat: str) -> str:
        """A channel to post to: a user id is their DM with the bot."""
        return await self.dm(team, chat) if chat[:1] in ("U", "W") else chat

    async def display_name(self, user: str) -> str | None:
        """A user's name as Slack shows it (users.info), for /join."""
        try:
            resp = await self.client.users_info(user=user)
        except SlackApiError:
            return None
        info = resp.get("user") or {}
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("real_name") or info.get("name")
        return str(name) if name else None

    def slack_host(self, url: str) -> bool:
        """Whether a file URL is Slack's own (files.slack.com over https), or the configured API's host (a
        stand-in, an enterprise proxy): the only places the bot token is sent."""
        where, api = urlsplit(url), urlsplit(self.client.base_url)
        if where.scheme == "https" and where.hostname in SLACK_FILE_HOSTS and where.port in (None, 443):
            return True
        return bool(where.hostname) and (where.scheme, where.hostname, where.port) == (api.scheme, api.hostname,
                                                                                          api.port)

    async def download(self, ref: parse.FileRef) -> Attachment | None:
        """A shared file's bytes, fetched with the bot token (imports); None when gone."""
        # One byte over the limit at most: a file bigger than Slack said is then refused by the core's gate.
        limit = self.core.settings.max_file_bytes
        if not self.slack_host(ref.url):  # the bot token goes to Slack and nowhere else, whatever an event says
            log.warning("file download refused: not a Slack host")
            return None
        headers = {"Authorization": f"Bearer {self.client.token}"}
        timeout = aiohttp.ClientTimeout(total=60)
        chunks: list[bytes] = []
        size = 0
        async with aiohttp.ClientSession(timeout=timeout) as http, \
                http.get(ref.url, headers=headers, allow_redirects=False) as resp:
            if resp.status != 200:
                log.warning("file download failed: %s", resp.status)
                return None
            async for chunk in resp.content.iter_chunked(1 << 16):  # read(n) may stop at any chunk
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
        return Attachment(name=ref.name, mime=ref.mime, data=b"".join(chunks)[:limit + 1])


    # --- running ------------------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop the Socket Mode connection (if any), finish the work in flight, release the threads."""
        if self.inbox is not None:
            await self.inbox.stop()
        if self.socket is not None:
            await self.socket.close_async()
            self.socket = None
        await self.drain()
        self.executor.shutdown(wait=True)
        self.quick.shutdown(wait=True)

