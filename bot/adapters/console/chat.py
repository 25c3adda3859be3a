"""The terminal chat: several people in one terminal, talking to the same core.

One local person types for everyone, so the console is not rate limited (its own copy of the core has the limit
off) and a piped script is never cut short. Every button printed in a session gets a number of its own: typing
that number presses that button, whichever message it came with. `/file PATH [caption]` sends a file or a photo
as the platforms do (a spreadsheet to import, a business card to read).
"""

from __future__ import annotations

import copy
import dataclasses
import mimetypes
import re
import shlex
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from bot.delivery import deliver_due
from handlers.core import Core
from handlers.i18n import tr
from handlers.markup import esc, to_plain
from handlers.types import Attachment, Button, ChatRef, Incoming, Reply

_PREFIX = re.compile(r"^@([\w.\-]+):?\s*(.*)$", re.S)
_FILE = re.compile(r"^/file(?:\s+(.*))?$", re.S | re.I)


def unlimited(core: Core) -> Core:
    """The core as the console uses it: the same database, clock and settings, without the rate limit."""
    if core.settings.rate_limit == 0:
        return core
    mine = copy.copy(core)
    mine.settings = dataclasses.replace(core.settings, rate_limit=0)
    return mine


class ConsoleChat:
    """Turns `@handle: text` lines into Incoming and prints what the core answers and delivers."""

    def __init__(self, core: Core, out: TextIO = sys.stdout, image_dir: Path | None = None,
                 default_handle: str = "alice") -> None:
        self.core = unlimited(core)
        self.out = out
        self.handle = default_handle
        self.image_dir = image_dir or Path.cwd() / "charts"
        self.buttons: dict[str, list[Button]] = {}  # each person's last buttons, pressed by label
        self.numbered: dict[int, Button] = {}  # every button printed in this session, by its number
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
        elif (f := _FILE.match(text)) is not None:
            sent = self._file(incoming, f.group(1) or "")
            if sent is None:
                return
            incoming = sent
        for reply in self.core.handle(incoming):
            self._print(self.handle, reply)
        self.deliver()

    def _file(self, incoming: Incoming, rest: str) -> Incoming | None:
        """`/file PATH [caption]`: the file's bytes with the caption as the message's text; None (said) when the
        file cannot be read."""
        try:
            words = shlex.split(rest)
        except ValueError:
            words = rest.split()
        if not words:
            self._local(tr(self._lang(), "Send a file with /file PATH [caption]."))
            return None
        path = Path(words[0]).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._local(tr(self._lang(), "Cannot read {f}: {why}", f=esc(str(path)), why=exc.strerror or type(exc).__name__))
            return None
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return dataclasses.replace(incoming, text=" ".join(words[1:]),
                                   file=Attachment(name=path.name, mime=mime, data=data))

    def _lang(self) -> str:
        return self.core.lang_for("console", "local", self.handle)

    def _local(self, text: str) -> None:
        """A line the terminal itself answers (the core never saw the input)."""
        print(f"→ {self.handle}: {to_plain(text)}", file=self.out)

    def deliver(self) -> None:
        """Print messages the core queued for people in this terminal."""
        def send(to: ChatRef, reply: Reply) -> None:
            self._print(to.chat, reply)

        while deliver_due(self.core.engine, {"console": send}, self.core.clock()):
            pass

    def _pressed(self, text: str) -> str | None:
        if text.isdigit():
            button = self.numbered.get(int(text))
            return button.action if button is not None else None
        for b in self.buttons.get(self.handle) or []:
            if text.casefold() == b.label.casefold():
                return b.action
        return None

    def _print(self, handle: str, reply: Reply) -> None:
        body = to_plain(reply.text).replace("\n", "\n    ")
        print(f"→ {handle}: {body}", file=self.out)
        flat = [b for row in reply.buttons for b in row]
        if flat:
            self.buttons[handle] = flat
            shown = []
            for b in flat:
                n = len(self.numbered) + 1
                self.numbered[n] = b
                shown.append(f"[{n}] {b.label}")
            print("    " + "  ".join(shown), file=self.out)
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
              "(a line without @ speaks as the last person; a number presses the button printed with it; "
              "/file PATH sends a file or a photo). Ctrl-D to quit.", file=out)
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
        try:
            chat.say(line)
        except Exception as exc:  # a script goes on to its next line, whatever one line did
            print(f"→ {chat.handle}: ✗ {type(exc).__name__}", file=out)
    return 0
