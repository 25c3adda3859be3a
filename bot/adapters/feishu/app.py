"""The Feishu adapter: events (from the long connection or the HTTP callback) through Core.handle, replies shown
where they belong, cards updated in place, and the outbox sender with deal cards and approval cards."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from bot.adapters.feishu import parse, render
from bot.adapters.feishu.api import NETWORK, FeishuApi, FeishuError, Profile, classify
from bot.delivery import AsyncSender, RetryAfter, Undeliverable, deliver_due_async
from bot.inbox import Inbox, Later
from handlers import outbox
from handlers.core import Core, Unavailable
from handlers.deal_news import deal_of_thread
from handlers.links import approval_key, keys_of
from handlers.registry import COMMANDS
from handlers.types import Attachment, ChatRef, Incoming, Reply
from storage.db import make_engine, session_factory, transaction
from storage.threads import claim_root, deal_thread, link, linked, root_of, set_root

log = logging.getLogger("salesbot.feishu")
_RUNNING: dict[str, Feishu] = {}  # app id → this process's started adapter: the outbox sender uses it
PROFILE_TTL = 3600.0  # seconds a person's name and language are taken as known
CHAT_PACE = 0.2  # seconds between two messages to one chat: Feishu takes 5 a second per person or group
T = TypeVar("T")


class Unsent(Exception):
    """A reply Feishu took only in part (a long text's first pieces, say) before refusing the rest: `rest` is
    what is left to send, `cause` why it was refused, `posted` the ids of the messages that went out."""

    def __init__(self, rest: Reply, cause: Exception, posted: list[str]) -> None:
        super().__init__(str(cause))
        self.rest, self.cause, self.posted = rest, cause, posted


class NotStored(Exception):
    """An event could not be kept in the inbox: the SDK answers Feishu 500, and Feishu sends it again."""


class Feishu:
    """One Feishu app: turns events into Core.handle calls and shows the replies; sends outbox rows."""

    def __init__(self, core: Core, api: FeishuApi, *, deliver_after_turn: bool = True) -> None:
        self.core = core
        self.api = api
        self.workspace = api.app_id  # open_ids are per app: the app is Feishu's workspace in ChatRef
        self.deliver_after_turn = deliver_after_turn
        self.sessions = session_factory(core.engine)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.bot_open_id: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.inbox: Inbox | None = None  # events are stored here before Feishu is told they arrived
        self._profiles: dict[str, tuple[float, Profile]] = {}
        self._modes: dict[str, bool] = {}  # chat id → whether it is a private chat
        self._deliver_lock = asyncio.Lock()
        self._paced: dict[str, float] = {}  # chat → when the next message to it may go (loop time)
        self._stops: list[Callable[[], Awaitable[None]]] = []

    # --- running ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Learn the bot's own id (a wrong app id or secret fails here) and take events from now on: each is
        stored in the durable inbox before it is acknowledged, and handled by the inbox's pump."""
        self.loop = asyncio.get_running_loop()
        try:
            self.bot_open_id = await self.api.bot_open_id()
        except NETWORK as exc:  # Feishu unreachable for now: group mentions are told apart without the id
            log.warning("feishu bot info unavailable", extra={"error": type(exc).__name__})
        if self.inbox is None:
            self.inbox = Inbox(self.core.engine)
            self.inbox.register("feishu", self.handle_stored)
        self.inbox.start()
        _RUNNING[self.workspace] = self

    def on_stop(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Something to stop with the adapter (the long connection), before the work in hand is finished."""
        self._stops.append(fn)

    async def stop(self) -> None:
        """Stop taking events, finish the turns in hand, give back the stored events not yet handled."""
        if _RUNNING.get(self.workspace) is self:
            del _RUNNING[self.workspace]
        for fn in reversed(self._stops):
            await fn()
        self._stops.clear()
        if self.inbox is not None:
            await self.inbox.stop()
        await self.drain()

    async def drain(self) -> None:
        """Wait until every event stored so far is handled and every turn started is done."""
        if self.inbox is not None:
            await self.inbox.idle()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Blocking database work, off the event loop."""
        return await asyncio.to_thread(fn, *args)

    # --- events -------------------------------------------------------------------------------------

    def hand_over(self, body: dict[str, Any]) -> None:
        """An event from the SDK's dispatcher (the long connection's thread): stored in the inbox and committed
        before this returns, so the SDK acknowledges it only then; a database error propagates, the SDK answers
        Feishu 500 and Feishu sends the event again."""
        if self.inbox is None:
            log.warning("feishu event before the adapter started: dropped")
            return
        try:
            self.inbox.put_blocking("feishu", *parse.inbox_keys(body), json.dumps(body))
        except Exception as exc:  # the SDK logs what this raises: the name of the error, nothing of the event
            log.warning("feishu event not stored: database unavailable", extra={"error": type(exc).__name__})
            raise NotStored(type(exc).__name__) from None

    async def keep(self, body: dict[str, Any]) -> None:
        """An event from the HTTP callback, stored and committed before the endpoint answers 200."""
        if self.inbox is None:
            raise RuntimeError("the Feishu adapter is not started")
        await self.inbox.put("feishu", *parse.inbox_keys(body), json.dumps(body))

    async def handle_stored(self, payload: str) -> None:
        """One event from the inbox, handled to its end (`Later` when the database went away meanwhile)."""
        try:
            await self.event(json.loads(payload), stored=True)
        except Unavailable as exc:
            raise Later() from exc

    async def event(self, body: dict[str, Any], *, stored: bool = False) -> None:
        """One event: a message or a card's button, through the core."""
        kind = parse.event_type(body)
        p: parse.Parsed | None = None
        if kind == parse.MESSAGE:
            p = parse.from_message(body, workspace=self.workspace, bot_open_id=self.bot_open_id,
                                   commands=set(COMMANDS))
            if p is not None:
                self._modes[p.incoming.chat.chat] = p.incoming.private
        elif kind == parse.CARD_ACTION:
            chat = parse.chat_of_action(body)
            p = parse.from_action(body, workspace=self.workspace, private=await self.is_private(chat or ""))
        if p is not None:
            await self.turn(p, stored=stored)

    async def turn(self, p: parse.Parsed, *, stored: bool = False) -> None:
        """The core's turn, its replies, then whatever it queued for others on Feishu (`stored`: from the
        inbox, where a database gone away mid-turn raises Unavailable and the event is tried again)."""
        profile = await self.profile(p.open_id)
        inc = replace(p.incoming, locale=profile.locale,
                      display_name=profile.name if p.incoming.text.lower().startswith("/join") else None)
        if p.file is not None:
            inc = await self._with_file(inc, p.file)
        replies = await asyncio.to_thread(partial(self.core.handle, inc, raise_unavailable=stored))
        for reply in replies:
            await self.answer(p, inc, reply)
        if self.deliver_after_turn:
            try:
                await self.deliver()
            except Exception as exc:  # the rows stay queued for the delivery loop
                log.warning("delivery after a turn skipped", extra={"error": type(exc).__name__})

    async def _with_file(self, inc: Incoming, ref: parse.FileRef) -> Incoming:
        try:
            data, name, mime = await self.api.download(ref.message_id, ref.key, ref.kind)
        except (FeishuError, *NETWORK) as exc:
            log.warning("feishu file not fetched", extra={"error": type(exc).__name__})
            return inc
        name = name or ref.name
        if ref.kind == "image":  # a photo: the same neutral document as a picture sent as a file elsewhere
            mime = mime if mime.startswith("image/") else (parse.sniff_image(data) or mime)
            name = f"{ref.key}{parse.IMAGE_SUFFIX.get(mime, '')}" if name == ref.name or "." not in name else name
        # One over the setting is refused by the core's own check (handlers.door.gate), in the person's words.
        return replace(inc, file=Attachment(name=name, mime=mime, data=data))

    async def profile(self, open_id: str) -> Profile:
        """A person's name and language from contact/v3 (kept a while); nothing when Feishu does not say."""
        now = time.monotonic()
        known = self._profiles.get(open_id)
        if known is not None and now - known[0] < PROFILE_TTL:
            return known[1]
        try:
            found = await self.api.profile(open_id)
        except (FeishuError, *NETWORK) as exc:  # no contact scope, a guest: the core's default language
            log.info("feishu profile unavailable", extra={"error": type(exc).__name__})
            found = Profile(name=None, locale=None)
        self._profiles[open_id] = (now, found)
        return found

    async def is_private(self, chat: str) -> bool:
        """Whether a chat is a private one with the bot (a card's click does not say)."""
        if chat not in self._modes:
            try:
                self._modes[chat] = await self.api.chat_mode(chat) == "p2p"
            except (FeishuError, *NETWORK):
                return False  # as if in a group: personal answers then go to the person privately
        return self._modes[chat]

    # --- answers ------------------------------------------------------------------------------------

    async def answer(self, p: parse.Parsed, inc: Incoming, reply: Reply) -> None:
        """Show one direct reply: the clicked card updated, an answer in a group quoting its message, or a new
        message; what cannot go out now is parked in the outbox for delivery to retry."""
        target = reply.to or inc.chat
        if target.platform != "feishu":
            log.warning("reply for another platform dropped", extra={"platform": target.platform})
            return
        if reply.edit == "this" and reply.to is None and p.clicked:
            reply = replace(reply, edit=p.clicked)  # parked, it still updates the card that was clicked
        try:
            try:
                await self._answer(p, inc, reply, target)
            except Unsent as part:  # the pieces Feishu took stay; only the rest waits
                reply = part.rest
                raise part.cause from part
        except FeishuError as exc:
            wait = classify(exc)
            if isinstance(wait, RetryAfter):
                await self.db(self._park, target, reply, str(exc), wait.seconds)
            else:
                log.warning("reply refused", extra={"chat": target.chat, "error": str(exc.code)})
        except NETWORK as exc:
            await self.db(self._park, target, reply, repr(exc), 5.0)

    async def _answer(self, p: parse.Parsed, inc: Incoming, reply: Reply, target: ChatRef) -> None:
        if p.clicked and reply.edit == p.clicked:
            await self.edit(target, p.clicked, reply)
            key = approval_key(inc.action or "")
            if key is not None:
                await self.update_linked(key, reply, skip=p.clicked)
        elif reply.edit and reply.edit.startswith("om_"):
            await self.edit(target, reply.edit, reply)
        elif reply.to is None and p.message_id and not inc.private:
            await self.show(target, reply, quote=p.message_id)
        else:
            await self.show(target, reply)

    def _park(self, to: ChatRef, reply: Reply, error: str, wait: float) -> None:
        with transaction(self.sessions) as session:
            edit = reply.edit if reply.edit and reply.edit.startswith("om_") else None  # a card's id: still updated
            outbox.put(session, to, replace(reply, edit=edit), now=self.core.clock(), delay=timedelta(seconds=wait),
                       error=error)

    async def show(self, to: ChatRef, reply: Reply, *, quote: str | None = None, as_card: bool = False) -> list[str]:
        """Post a reply (split at Feishu's limits) and its image or file; the ids of the messages posted.
        In a thread (to.thread is its first message) or quoting a message, as replies to it."""
        pieces = render.messages(reply, as_card=as_card)
        posted: list[str] = []
        try:
            for message in pieces:
                posted.append(await self._post(to, message, quote))
            if posted:
                await self.link(to, reply, posted[-1])
            if reply.image is not None:
                await self._post(to, await self.api.upload(reply.image), quote)
        except (FeishuError, *NETWORK) as exc:
            if not posted:
                raise
            left = pieces[len(posted):]
            rest = replace(reply, text="\n".join(m.source for m in left), buttons=reply.buttons if left else (),
                           edit=None)
            raise Unsent(rest, exc, posted) from exc
        return posted

    async def _pace(self, chat: str) -> None:
        """Keep to Feishu's pace for one chat (a long reply's pieces, a burst of outbox rows to one group), so
        that its frequency limit (230020) is seldom met; when it is, the wait it asks for is honoured."""
        now = asyncio.get_running_loop().time()
        if len(self._paced) > 1000:
            self._paced = {c: t for c, t in self._paced.items() if t > now}
        at = max(now, self._paced.get(chat, 0.0))
        self._paced[chat] = at + CHAT_PACE
        if at > now:
            await asyncio.sleep(at - now)

    async def _post(self, to: ChatRef, message: render.Outgoing | tuple[str, str], quote: str | None) -> str:
        await self._pace(to.chat)
        if quote:
            return await self.api.reply(quote, message, in_thread=bool(to.thread))
        if to.thread and to.thread.startswith("om_"):
            return await self.api.reply(to.thread, message, in_thread=True)
        return await self.api.send(to.chat, message)

    async def edit(self, to: ChatRef, message_id: str, reply: Reply) -> None:
        """Update a card in place (the rest of a long reply follows as new messages); a card that can no
        longer be updated is answered with a new message instead."""
        first, *rest = render.messages(replace(reply, image=None), as_card=True)
        try:
            await self.api.patch(message_id, first)
        except FeishuError as exc:
            if isinstance(classify(exc), RetryAfter):
                raise
            log.info("card not updated, sent anew", extra={"error": str(exc.code)})
            await self.show(to, reply)
            return
        for message in rest:
            await self._post(to, message, None)
        if reply.image is not None:
            await self._post(to, await self.api.upload(reply.image), None)

    async def link(self, to: ChatRef, reply: Reply, message_id: str) -> None:
        """Remember a posted approval request, so that deciding it elsewhere updates it too."""
        keys = keys_of(reply)
        if keys:
            await self.db(self._link, to.chat, keys, message_id)

    def _link(self, chat: str, keys: set[str], message_id: str) -> None:
        with transaction(self.sessions) as s:
            link(session=s, platform="feishu", workspace=self.workspace, keys=keys, chat=chat, channel=chat,
                 message_id=message_id, now=self.core.clock())

    async def update_linked(self, key: str, reply: Reply, skip: str | None = None) -> None:
        """Update every card that stands for `key` (the approver's, the deal thread's)."""
        card = render.messages(replace(reply, image=None), as_card=True)[0]
        for message_id in await self.db(self._linked, key):
            if message_id == skip:
                continue
            try:
                await self.api.patch(message_id, card)
            except FeishuError as exc:
                log.warning("linked card not updated", extra={"error": str(exc.code)})

    def _linked(self, key: str) -> list[str]:
        with self.sessions() as s:
            return [m.ts for m in linked(session=s, platform="feishu", workspace=self.workspace, key=key)]

    # --- the outbox sender --------------------------------------------------------------------------

    async def send(self, to: ChatRef, reply: Reply) -> None:
        """Deliver one outbox row; raises RetryAfter (a rate limit) or Undeliverable (a refusal for good).
        A thread `deal:N` is the deal's card in a group: posted once, then updated (reply.edit) or answered
        in its thread; any other thread is the id of the message whose thread the row goes to."""
        try:
            deal_id = deal_of_thread(to.thread)
            if deal_id is not None:
                await self._deal_card(to, deal_id, reply)
            elif reply.edit and reply.edit.startswith("om_"):
                await self.edit(to, reply.edit, reply)
            else:
                await self.show(to, reply)
        except Unsent as part:  # delivered in part: the row is done, what is left becomes a row of its own
            wait = classify(part.cause)
            if isinstance(wait, Undeliverable):
                log.warning("rest of a message refused", extra={"chat": to.chat, "error": str(wait)})
                return
            seconds = wait.seconds if isinstance(wait, RetryAfter) else 5.0
            await self.db(self._park, to, part.rest, str(part.cause), seconds)
        except FeishuError as exc:
            raise classify(exc) from exc

    async def _deal_card(self, to: ChatRef, deal_id: int, reply: Reply) -> None:
        state = await self.db(self._thread_state, to, deal_id)
        here = replace(to, thread=None)
        if state is None:  # no deal card kept for this chat: a plain post
            await self.show(here, reply)
            return
        thread_id, root = state
        if root is not None:
            if not reply.edit:
                await self.show(replace(to, thread=root), reply)
                return
            card = render.messages(replace(reply, image=None), as_card=True)[0]
            try:
                await self.api.patch(root, card)
                return
            except FeishuError as exc:
                if isinstance(classify(exc), RetryAfter):
                    raise
                # Feishu updates a message for 14 days only (or it was deleted): the deal gets a new card,
                # which later moves update.
                log.info("deal card not updated, posted anew", extra={"error": str(exc.code)})
            posted = await self.show(here, reply, as_card=True)
            await self.db(self._set_root, thread_id, to.chat, posted[0] if posted else root)
            return
        # The deal's first message becomes its card (a card, so that it can be updated); one sender posts it.
        if not await self.db(self._claim, thread_id):
            raise RetryAfter(2)
        try:
            posted = await self.show(here, reply, as_card=True)
        except Unsent as part:  # the card went out (its rest has not): it is the deal's card
            await self.db(self._set_root, thread_id, to.chat, part.posted[0])
            raise
        except BaseException:
            await self.db(self._set_root, thread_id, None, None)
            raise
        await self.db(self._set_root, thread_id, to.chat, posted[0] if posted else None)

    def _thread_state(self, to: ChatRef, deal_id: int) -> tuple[int, str | None] | None:
        with self.sessions() as s:
            row = deal_thread(session=s, deal_id=deal_id, platform="feishu", workspace=to.workspace, channel=to.chat)
            if row is None:
                return None
            root = root_of(row)
            return row.id or 0, root[1] if root else None

    def _claim(self, thread_id: int) -> bool:
        with transaction(self.sessions) as s:
            return claim_root(session=s, thread_id=thread_id, now=self.core.clock())

    def _set_root(self, thread_id: int, chat: str | None, message_id: str | None) -> None:
        with transaction(self.sessions) as s:
            set_root(session=s, thread_id=thread_id, channel=chat if message_id else None, message_id=message_id)

    async def deliver(self) -> int:
        """Send what the outbox holds for Feishu now (the process's delivery loop does the same)."""
        sent = 0
        async with self._deliver_lock:
            while True:
                n = await deliver_due_async(self.core.engine, {"feishu": self.send}, self.core.clock())
                sent += n
                if n == 0:
                    return sent


def from_config(cfg: Any, core: Core | None = None, *, deliver_after_turn: bool = True) -> Feishu:
    """The adapter FEISHU_APP_ID, FEISHU_APP_SECRET and FEISHU_API_BASE_URL describe (with a core of its own
    on DATABASE_URL when only sending)."""
    if not cfg.feishu_on:
        raise ValueError("FEISHU_APP_ID and FEISHU_APP_SECRET are not set")
    api = FeishuApi(cfg.feishu_app_id, cfg.feishu_app_secret.get_secret_value(), cfg.feishu_api_base_url)
    core = core or Core(make_engine(cfg.database_url), settings=cfg.core())
    return Feishu(core, api, deliver_after_turn=deliver_after_turn)


def sender(cfg: Any) -> AsyncSender:
    """The outbox sender: through this process's started adapter, else one of its own that only sends."""
    own: list[Feishu] = []

    async def send(to: ChatRef, reply: Reply) -> None:
        feishu = _RUNNING.get(str(cfg.feishu_app_id))
        if feishu is None:
            if not own:
                own.append(from_config(cfg, deliver_after_turn=False))
            feishu = own[0]
        await feishu.send(to, reply)

    return send
