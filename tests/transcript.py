"""Transcript tests: lines said in the terminal chat, and what each must print."""

from __future__ import annotations

import io

from bot.adapters.console.chat import ConsoleChat
from handlers.core import Core


class Transcript:
    """A terminal chat whose output of each turn is captured."""

    def __init__(self, core: Core) -> None:
        self.out = io.StringIO()
        self.chat = ConsoleChat(core, out=self.out)

    def say(self, line: str) -> str:
        """Say one line; the printed result of that turn."""
        start = self.out.tell()
        self.chat.say(line)
        self.out.seek(start)
        printed = self.out.read()
        self.out.seek(0, io.SEEK_END)
        return printed


def assert_dialog(t: Transcript, steps: list[tuple[str, str | list[str]]]) -> list[str]:
    """Each line is said in turn and its output must contain every expected fragment."""
    outputs = []
    for line, expect in steps:
        got = t.say(line)
        outputs.append(got)
        for frag in [expect] if isinstance(expect, str) else expect:
            assert frag in got, f"after {line!r} expected {frag!r} in:\n{got}"
    return outputs
