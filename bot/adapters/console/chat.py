"""The terminal chat: several people in one terminal, talking to the same core."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from bot.delivery import deliver_due
from handlers.core import Core
from handlers.markup import to_plain
from handlers.types import Button, ChatRef, Incoming, Reply

_PREFIX = re.compile(r"^@([\w.\-]+):?\s*(.*)$", re.S)


class ConsoleChat:
    """Turns `@handle: text` lines into Incoming and prints what the core answers and delivers."""

    def __init__(self, core: Core, out: TextIO = sys.stdout, image_dir: Path | None = None,
                 default_handle: str = "alice") -> None:
        self.core = core
        self.out = out
        self.handle = default_handle
        self.image_dir = image_dir or Path.cwd() / "charts"
        self.buttons: dict[str, list[Button]] = {}
        self.seq = 0

    def say(self, line: str) -> None:
        """One input line: speak as its handle (or the last one) and print the results."""
        m = _PREFIX.match(line.strip())
        if m:
            self.handle, text = m.group(1), m.group(2)
        else:
            text = line.strip()
        if not text:
            return
        self.seq += 1
        chat = ChatRef(platform="console", workspace="local", chat=self.handle)
        incoming = Incoming(chat=chat, user=self.handle, text=text, event_id=None)
        action = self._pressed(text)
        if action is not None:
            incoming = Incoming(chat=chat, user=self.handle, action=action)
        for reply in self.core.handle(incoming):
            self._print(self.handle, reply)
        self.deliver()

    def deliver(self) -> None:
        """Print messages the core queued for people in this terminal."""
        def send(to: ChatRef, reply: Reply) -> None:
            self._print(to.chat, reply)

        while deliver_due(self.core.engine, {"console": send}, self.core.clock()):
            pass

    def _pressed(self, text: str) -> str | None:
        shown = self.buttons.get(self.handle) or []
        if text.isdigit() and 1 <= int(text) <= len(shown):
            return shown[int(text) - 1].action
        for b in shown:
            if text.casefold() == b.label.casefold():
                return b.action
        return None

    def _print(self, handle: str, reply: Reply) -> None:
        body = to_plain(reply.text).replace("\n", "\n    ")
        print(f"→ {handle}: {body}", file=self.out)
        flat = [b for row in reply.buttons for b in row]
        if flat:
            self.buttons[handle] = flat
            print("    " + "  ".join(f"[{i}] {b.label}" for i, b in enumerate(flat, 1)), file=self.out)
        if reply.image is not None:
            self.image_dir.mkdir(parents=True, exist_ok=True)
            path = self.image_dir / reply.image.name
            path.write_bytes(reply.image.data)
            print(f"    🖼  {path}", file=self.out)


def run(core: Core, lines: Iterable[str] | None = None, *, interactive: bool | None = None,
        out: TextIO = sys.stdout, read: Callable[[str], str] = input) -> int:
    """Run the chat over stdin (a transcript when piped) until its end."""
    chat = ConsoleChat(core, out=out)
    interactive = sys.stdin.isatty() if interactive is None else interactive
    if lines is None and interactive:
        print("salesbot terminal chat. Speak as someone with `@alice: /today` "
              "(a line without @ speaks as the last person). Ctrl-D to quit.", file=out)
        while True:
            try:
                line = read(f"{chat.handle}> ")
            except (EOFError, KeyboardInterrupt):
                print(file=out)
                return 0
            chat.say(line)
    for line in lines if lines is not None else sys.stdin:
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        print(line, file=out)
        chat.say(line)
    return 0
