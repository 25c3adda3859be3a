"""The terminal chat (issue 17): a number presses the button it was printed with, the console is one local person
(not rate limited, a piped script never loses a line), and `/file PATH [caption]` sends a file or a photo."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import sales.cards
from bot.adapters.console.chat import run
from sales.cards import CardFields, CardReading, NotACard
from tests.transcript import Transcript, assert_dialog


def _buttons(printed: str) -> list[tuple[int, str]]:
    return [(int(n), label) for n, label in re.findall(r"\[(\d+)\] ([^\[\n]+?)(?=\s{2}\[|\s*$)", printed, re.M)]


def test_every_button_of_a_session_has_its_own_number(demo: Transcript) -> None:
    today = demo.say("@alice: /today")
    shown = _buttons(today)
    numbers = [n for n, _ in shown]
    assert len(numbers) >= 4 and numbers == sorted(set(numbers)), today  # no number printed twice
    done = [(n, label.split()[-1]) for n, label in shown if label.startswith("✓")]
    assert len(done) >= 2, today
    (first, a), (second, b) = done[0], done[1]
    demo.say(f"@alice: {first}")
    again = demo.say("@alice: /today")
    assert f"\n    {a}. " not in again and f"\n    {b}. " in again, again
    assert min(n for n, _ in _buttons(again)) > max(numbers)  # the new buttons have new numbers
    demo.say(f"@alice: {second}")  # a number printed earlier still presses its own button
    last = demo.say("@alice: /today")
    assert f"\n    {b}. " not in last, last


def test_the_console_is_not_rate_limited_and_a_piped_script_loses_nothing(demo: Transcript) -> None:
    assert demo.core.settings.rate_limit > 0  # the platforms' turns are limited
    lines = ["@dave: /customers mine"] * 45
    out = io.StringIO()
    assert run(demo.core, lines, out=out) == 0
    printed = out.getvalue()
    assert printed.count("→ dave: ") == 45, printed[-500:]
    assert "Slow down" not in printed


def test_file_sends_a_spreadsheet_and_says_when_it_cannot(demo: Transcript, tmp_path: Path) -> None:
    sheet = tmp_path / "客户.csv"
    sheet.write_text("客户名称,等级\n文件测试科技有限公司,A\n", encoding="utf-8")
    assert_dialog(demo, [
        (f"@bob: /file {sheet}", "Confirm import"),
        (f"@bob: /file {tmp_path / 'missing.csv'}", ["Cannot read", "missing.csv"]),
        ("@bob: /file", "/file PATH [caption]"),
    ])


def test_file_sends_a_photo_of_a_business_card(demo: Transcript, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def read(image: bytes, region: str = "CN") -> CardReading | NotACard:
        assert image == b"\xff\xd8 card photo"
        return CardReading(fields=CardFields(company="终端测试有限公司", person="赵敏", mobile="+8613700001111"),
                           lines=(), confidence=0.9)

    monkeypatch.setattr(sales.cards, "read_card", read)
    photo = tmp_path / "my card.jpg"
    photo.write_bytes(b"\xff\xd8 card photo")
    shown = demo.say(f'@dave: /file "{photo}"')
    assert "Business card:" in shown and "Name: 赵敏" in shown, shown
    save = next(n for n, label in _buttons(shown) if label == "Save")
    assert "new customer 终端测试有限公司" in demo.say(f"@dave: {save}")
    group = demo.say(f'@dave: /file "{photo}" /card')  # a caption is the message's text
    assert "Business card:" in group
