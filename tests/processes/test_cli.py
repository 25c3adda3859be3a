"""The `salesbot` program as a newcomer runs it: demo, then a piped terminal chat, on SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """@alice: /lang en
@alice: /customer add 华东精密机械有限公司 grade A
@alice: /visit 华东精密 见了采购总监张总，要50台报价，预算30万，下周三下午3点再跟进
@alice: /deal new 华东精密 数控机床采购 300000
@alice: /quote new 华东精密 数控机床 50 6000 discount 15%
@bob: 7
@alice: /won 华东精密
@alice: 预算30万；决策人张总；时间 月底
@alice: /plan 华东精密 30% now, 70% 2027-01-15
@fay: /paid 华东精密 90000
@dave: /customer 华东精密
@nobody: /customers
"""


def _salesbot() -> list[str]:
    exe = Path(sys.executable).parent / "salesbot"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(_salesbot() + args, input=stdin, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SALESBOT_DEFAULT_LANG": "en"}


def test_demo_then_a_piped_chat_gives_a_readable_transcript(env: dict[str, str]) -> None:
    demo = _run(["demo"], env)
    assert demo.returncode == 0, demo.stderr
    assert "200 customers" in demo.stdout
    again = _run(["demo"], env)
    assert "already loaded" in again.stdout
    chat = _run(["chat"], env, SCRIPT)
    assert chat.returncode == 0, chat.stderr
    out = chat.stdout
    assert "@alice: /customer add 华东精密机械有限公司 grade A" in out  # input echoed
    for fragment in ("Created customer 华东精密机械有限公司", "Next follow-up: Wed", "15:00",
                     "sent to bob for approval", "→ bob: alice 申请折扣审批", "[7] 批准  [8] 拒绝",
                     "→ alice: ✅ bob approved", "Order #", "→ fay: 已登记", "¥76,500",
                     "→ dave: No customer “华东精密” found", "→ nobody: Hi! Please bind your account"):
        assert fragment in out, f"{fragment!r} missing from:\n{out}"
    assert "Traceback" not in chat.stderr


def test_invite_prints_a_code_that_joins(env: dict[str, str]) -> None:
    code = _run(["invite", "--role", "admin", "--name", "Carol"], env)
    assert code.returncode == 0, code.stderr
    chat = _run(["chat"], env, f"@carol: /join {code.stdout.strip()}\n@carol: /help\n")
    assert "Welcome, Carol! Your role is admin" in chat.stdout
    assert "/invite ROLE [name]" in chat.stdout


@pytest.mark.parametrize("columns", [40, 60, 79, 80, 100, 200])
def test_the_quick_help_is_typers_help(columns: int, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    # `salesbot --help` is written without importing typer (bot.cli.help_text): it must be what typer writes
    import typer

    from bot.cli import help_text
    from bot.cli.app import app

    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit):
        typer.main.get_command(app).main(["--help"], prog_name="salesbot", standalone_mode=True)
    assert capsys.readouterr().out == help_text() + "\n"
