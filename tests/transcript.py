"""The one dialogue harness: people talking to one core, read as a transcript.

`t.say("@alice: /visit 华东 …")` is a line of the terminal chat and returns what the terminal prints (numbered
buttons, messages delivered to other people); `t.say("alice", "/visit …", group=True)` speaks straight to the
core, in a group chat, with a file or a click, and returns the plain text of the answers; `t.press("bob",
"Approve")` clicks a button of what bob was last answered.
"""

from __future__ import annotations

import io
import itertools
from typing import overload

from bot.adapters.console.chat import ConsoleChat
from handlers.core import Core
from handlers.markup import to_plain
from handlers.types import Attachment, ChatRef, Incoming, Reply

_events = itertools.count(1)


def text_of(replies: list[Reply]) -> str:
    """Everything a person reads in these replies, as plain text."""
    return "\n".join(to_plain(r.text) for r in replies)


class Transcript:
    """A terminal chat whose output of each turn is captured, and direct turns of the core."""

    def __init__(self, core: Core, *, group: str = "#team") -> None:
        self.core = core
        self.group = group
        self.out = io.StringIO()
        self.chat = ConsoleChat(core, out=self.out)
        self.last: dict[str, list[Reply]] = {}

    @overload
    def say(self, line: str) -> str: ...

    @overload
    def say(self, line: str, text: str, *, action: str | None = ..., group: bool = ...,
            file: Attachment | None = ..., event: str | None = ...) -> str: ...

    @overload
    def say(self, line: str, *, action: str, group: bool = ..., file: Attachment | None = ...,
            event: str | None = ...) -> str: ...

    def say(self, line: str, text: str | None = None, *, action: str | None = None, group: bool = False,
            file: Attachment | None = None, event: str | None = None) -> str:
        """A terminal line ("@who: text"), or `who` saying `text` (or clicking `action`) to the core."""
        if text is None and action is None and file is None and not group and event is None:
            return self._line(line)
        return text_of(self.turn(line, text or "", action=action, group=group, file=file, event=event))

    def _line(self, line: str) -> str:
        start = self.out.tell()
        self.chat.say(line)
        self.out.seek(start)
        printed = self.out.read()
        self.out.seek(0, io.SEEK_END)
        return printed

    def incoming(self, who: str, text: str = "", *, action: str | None = None, group: bool = False,
                 file: Attachment | None = None, event: str | None = None) -> Incoming:
        """What `who` saying `text` in their private chat (or the group) is, as the core receives it."""
        chat = ChatRef("console", "local", self.group if group else who)
        return Incoming(chat=chat, user=who, text=text, action=action, private=not group, file=file,
                        event_id=event or f"e{next(_events)}")

    def turn(self, who: str, text: str = "", *, action: str | None = None, group: bool = False,
             file: Attachment | None = None, event: str | None = None) -> list[Reply]:
        """One turn of the core for `who`; its replies."""
        replies = self.core.handle(self.incoming(who, text, action=action, group=group, file=file, event=event))
        self.last[who] = replies
        return replies

    def press(self, who: str, label: str) -> str:
        """Click the button labelled `label` in what `who` was last answered (directly)."""
        for r in self.last.get(who, []):
            for row in r.buttons:
                for b in row:
                    if label.casefold() in b.label.casefold():
                        return self.say(who, action=b.action)
        raise AssertionError(f"no button {label!r} for {who}: {self.last.get(who)}")


def assert_dialog(t: Transcript, steps: list[tuple[str, str | list[str]]]) -> list[str]:
    """Each line is said in turn and its output must contain every expected fragment."""
    outputs = []
    for line, expect in steps:
        got = t.say(line)
        outputs.append(got)
        for frag in [expect] if isinstance(expect, str) else expect:
            assert frag in got, f"after {line!r} expected {frag!r} in:\n{got}"
    return outputs
