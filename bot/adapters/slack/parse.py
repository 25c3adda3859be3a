"""Slack payloads → Incoming: slash commands, block_actions, view_submission, messages, mentions, file shares.

Pure functions over the JSON Slack sends; a payload with a missing field or one of the wrong type raises
ParseError, which the web front answers with 400 and the listeners log without a traceback to Slack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

from handlers.types import ChatRef, Incoming

Kind = Literal["command", "message", "mention", "action", "view", "shortcut", "options", "home", "ignore"]
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


class ParseError(ValueError):
    """A payload Slack would never send: refused without touching anything."""


@dataclass(frozen=True)
class FileRef:
    """A shared file, still to be downloaded with the bot token."""

    id: str
    name: str
    mime: str
    url: str
    size: int


@dataclass(frozen=True)
class Parsed:
    """What a payload means for us: the Incoming and where and how to answer it."""

    kind: Kind
    incoming: Incoming | None = None
    team: str = ""
    user: str = ""
    channel: str | None = None  # where the message or click happened
    thread_ts: str | None = None  # the thread to answer in
    message_ts: str | None = None  # the clicked message, or the message an event is
    ephemeral: bool = False  # the clicked message is ephemeral (edit it through response_url)
    response_url: str | None = None
    trigger_id: str | None = None
    surface: str | None = None  # "home" or "modal" when a click came from a view
    file: FileRef | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- helpers -------------------------------------------------------------------------------------


def _str(obj: Mapping[str, Any], key: str, *, required: bool = True, empty: bool = False) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (not empty and not value):
        raise ParseError(f"{key}: expected a string")
    return value


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(f"{key}: expected a string")
    return value


def _dict(obj: Mapping[str, Any], key: str, *, required: bool = True) -> dict[str, Any]:
    value = obj.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ParseError(f"{key}: expected an object")
    return value


def _list(obj: Mapping[str, Any], key: str, *, required: bool = True) -> list[Any]:
    value = obj.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{key}: expected a list")
    return value


def is_private(channel: str | None, channel_type: str | None = None) -> bool:
    """A direct message with the bot (an IM), not a channel or a group DM."""
    return channel_type == "im" or channel_type == "directmessage" or bool(channel and channel.startswith("D"))


def clean_text(text: str, bot_user: str | None = None) -> str:
    """Slack's message markup as typed text: mentions, channels, links, and &amp; &lt; &gt; entities."""
    text = text.strip()
    if bot_user:
        text = re.sub(rf"^(?:\s*<@{re.escape(bot_user)}(?:\|[^>]*)?>[\s:,，]*)+", "", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}|{m.group(2)}" if m.group(2) else f"#{m.group(1)}", text)
    text = _MENTION.sub(lambda m: f"@{m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:").removeprefix("tel:"), text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def as_command(text: str, commands: Collection[str]) -> str:
    """Text without a slash that starts with a command word becomes that command: `visit X …` → `/visit X …`."""
    text = text.strip()
    if text.startswith("/"):
        return text
    head = text.split(maxsplit=1)[0].lower() if text else ""
    return f"/{text}" if head and head in commands else text


def chat_ref(team: str, channel: str, thread_ts: str | None = None) -> ChatRef:
    """The neutral reference of a Slack conversation."""
    return ChatRef(platform="slack", workspace=team, chat=channel, thread=thread_ts)


# --- whole bodies ----------------------------------------------------------------------------------


def body_from_http(raw: str, content_type: str | None) -> dict[str, Any]:
    """The request body as Bolt will read it; ParseError when it is not what Slack sends."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    try:
        if ctype == "application/json" or raw.lstrip().startswith("{"):
            body = json.loads(raw)
        else:
            form = dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw)))
            body = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, KeyError, RecursionError) as exc:  # RecursionError: JSON nested past Python's limit
        raise ParseError("the body is neither JSON nor a form") from exc
    if not isinstance(body, dict):
        raise ParseError("the body is not an object")
    check(body)
    return body


def check(body: Mapping[str, Any]) -> None:
    """Refuse a payload of a kind we handle when a field we read is missing or of the wrong type."""
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        raise ParseError("type: expected a string")
    if "command" in body and kind is None:
        slash(body, ())
    elif kind == "event_callback":
        event(body, ())
    elif kind == "block_actions":
        action(body)
    elif kind == "view_submission":
        submission(body)
    elif kind == "message_action":
        shortcut(body)
    elif kind == "block_suggestion":
        suggestion(body)
    elif kind == "url_verification":
        _str(body, "challenge")


def _team(body: Mapping[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, dict) and isinstance(team.get("id"), str) and team["id"]:
        return str(team["id"])
    user = _dict(body, "user")
    return _str(user, "team_id")


def slash(body: Mapping[str, Any], commands: Collection[str]) -> Parsed:
    """`/crm visit 华东 …` → the core's `/visit 华东 …`; bare `/crm` is `/help`."""
    team, user, channel = _str(body, "team_id"), _str(body, "user_id"), _str(body, "channel_id")
    text = clean_text(_str(body, "text", empty=True))
    trigger = _str(body, "trigger_id")
    response_url = _str(body, "response_url")
    _str(body, "command")
    line = text.lstrip("/").strip() or "help"
    private = is_private(channel, _opt_str(body, "channel_name"))
    incoming = Incoming(chat=chat_ref(team, channel), user=user, text=f"/{line}", event_id=f"cmd:{trigger}",
                        private=private, display_name=_opt_str(body, "user_name"))
    return Parsed(kind="command", incoming=incoming, team=team, user=user, channel=channel,
                  response_url=response_url, trigger_id=trigger, extra={"line": line})


def event(body: Mapping[str, Any], commands: Collection[str], bot_user: str | None = None) -> Parsed:
    """A message in a DM with the bot, or a mention in a channel; anything else is ignored."""
    team, event_id = _str(body, "team_id"), _str(body, "event_id")
    ev = _dict(body, "event")
    etype = _str(ev, "type")
    if etype == "app_home_opened":
        user = _str(ev, "user")
        return Parsed(kind="home" if ev.get("tab", "home") == "home" else "ignore", team=team, user=user)
    if etype not in ("message", "app_mention"):
        return Parsed(kind="ignore", team=team)
    subtype = _opt_str(ev, "subtype")
    if ev.get("bot_id") or subtype not in (None, "file_share", "thread_broadcast"):
        return Parsed(kind="ignore", team=team)
    channel = _str(ev, "channel")
    channel_type = _opt_str(ev, "channel_type")
    if etype == "message" and not is_private(channel, channel_type):
        return Parsed(kind="ignore", team=team)  # in channels we answer mentions only
    user, ts = _str(ev, "user"), _str(ev, "ts")
    thread_ts = _opt_str(ev, "thread_ts")
    text = clean_text(_str(ev, "text", required=False, empty=True), bot_user)
    file = None
    files = _list(ev, "files", required=False)
    if files:
        f = files[0]
        if not isinstance(f, dict):
            raise ParseError("files: expected objects")
        url = _opt_str(f, "url_private_download") or _str(f, "url_private")
        size = f.get("size", 0)
        if not isinstance(size, int):
            raise ParseError("size: expected a number")
        file = FileRef(id=_str(f, "id"), name=_opt_str(f, "name") or "file", url=url, size=size,
                       mime=_opt_str(f, "mimetype") or "application/octet-stream")
    private = is_private(channel, channel_type)
    incoming = Incoming(chat=chat_ref(team, channel, thread_ts), user=user, text=as_command(text, commands),
                        event_id=f"ev:{event_id}", private=private)
    kind: Kind = "mention" if etype == "app_mention" else "message"
    return Parsed(kind=kind, incoming=incoming, team=team, user=user, channel=channel,
                  thread_ts=thread_ts or (ts if kind == "mention" else None), message_ts=ts, file=file)


def action(body: Mapping[str, Any]) -> Parsed:
    """A button click: its value is the core's payload; the container says where it was."""
    user_obj = _dict(body, "user")
    user = _str(user_obj, "id")
    team = _team(body)
    acts = _list(body, "actions")
    if not acts or not isinstance(acts[0], dict):
        raise ParseError("actions: expected a click")
    act = acts[0]
    action_id = _str(act, "action_id")
    value = _opt_str(act, "value") or ""
    container = _dict(body, "container", required=False)
    trigger = _opt_str(body, "trigger_id")
    action_ts = _opt_str(act, "action_ts") or ""
    channel_obj = _dict(body, "channel", required=False)
    channel = _opt_str(channel_obj, "id") if channel_obj else _opt_str(container, "channel_id")
    message = _dict(body, "message", required=False)
    message_ts = _opt_str(container, "message_ts") or (_opt_str(message, "ts") if message else None)
    thread_ts = _opt_str(message, "thread_ts") if message else None
    ephemeral = container.get("is_ephemeral") is True
    view = _dict(body, "view", required=False)
    surface = None
    if container.get("type") == "view" or (view and not channel):
        surface = "home" if view.get("type") == "home" else "modal"
    key = trigger or f"{user}:{action_ts}"
    incoming = None
    if channel or surface:
        incoming = Incoming(chat=chat_ref(team, channel or "", thread_ts), user=user, action=value,
                            event_id=f"act:{key}", private=is_private(channel) if channel else True)
    return Parsed(kind="action", incoming=incoming, team=team, user=user, channel=channel, thread_ts=thread_ts,
                  message_ts=message_ts, ephemeral=ephemeral, response_url=_opt_str(body, "response_url"),
                  trigger_id=trigger, surface=surface, extra={"action_id": action_id, "value": value})


def submission(body: Mapping[str, Any]) -> Parsed:
    """A modal's submission: which modal, its values, and its private metadata."""
    user = _str(_dict(body, "user"), "id")
    team = _team(body)
    view = _dict(body, "view")
    callback = _str(view, "callback_id")
    view_id = _str(view, "id")
    values = _dict(_dict(view, "state"), "values")
    for block in values.values():
        if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
            raise ParseError("state.values: expected objects")
    meta_raw = _opt_str(view, "private_metadata") or ""
    try:
        meta = json.loads(meta_raw) if meta_raw else {}
    except ValueError as exc:
        raise ParseError("private_metadata: expected JSON") from exc
    if not isinstance(meta, dict):
        raise ParseError("private_metadata: expected an object")
    return Parsed(kind="view", team=team, user=user, trigger_id=_opt_str(body, "trigger_id"),
                  extra={"callback_id": callback, "view_id": view_id, "values": values, "meta": meta})


def shortcut(body: Mapping[str, Any]) -> Parsed:
    """The message shortcut ("Log as visit"): the message's text and where it was."""
    user = _str(_dict(body, "user"), "id")
    team = _team(body)
    message = _dict(body, "message")
    channel = _str(_dict(body, "channel"), "id")
    text = clean_text(_str(message, "text", required=False, empty=True))
    return Parsed(kind="shortcut", team=team, user=user, channel=channel, trigger_id=_str(body, "trigger_id"),
                  message_ts=_opt_str(message, "ts"), response_url=_opt_str(body, "response_url"),
                  extra={"callback_id": _str(body, "callback_id"), "text": text})


def suggestion(body: Mapping[str, Any]) -> Parsed:
    """A type-ahead of an external select: what was typed in which picker."""
    user = _str(_dict(body, "user"), "id")
    return Parsed(kind="options", team=_team(body), user=user,
                  extra={"action_id": _str(body, "action_id"), "value": _str(body, "value", empty=True)})


# --- modal values -----------------------------------------------------------------------------------


def value_of(values: Mapping[str, Any], block: str, action_id: str) -> str:
    """A submitted input's value as text ("" when empty): text inputs, selects and date pickers."""
    el = values.get(block, {}).get(action_id)
    if not isinstance(el, dict):
        return ""
    for key in ("value", "selected_date"):
        got = el.get(key)
        if isinstance(got, str):
            return got.strip()
    opt = el.get("selected_option")
    if isinstance(opt, dict) and isinstance(opt.get("value"), str):
        return str(opt["value"])
    return ""
