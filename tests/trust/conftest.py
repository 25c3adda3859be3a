"""The trust suite prints its figures at the end of the run, whether or not output is captured."""

from __future__ import annotations

import pytest

from tests.trust.chat import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("trust figures")
        for name, text in FIGURES.items():
            terminalreporter.write_line(f"{name}: {text}")
