"""`salesbot chat` on the frozen clock of SALESBOT_NOW, as `salesbot clock` already is."""

from __future__ import annotations

from tests.processes.test_cli import _run, env  # noqa: F401  (env is a fixture)

NOW = "2026-12-02T15:00:00+08:00"  # a Wednesday afternoon in Shanghai


def test_tomorrow_in_the_chat_is_the_day_after_salesbot_now(env: dict[str, str]) -> None:  # noqa: F811
    frozen = {**env, "SALESBOT_NOW": NOW}
    code = _run(["invite", "--role", "admin", "--name", "Carol"], frozen)
    assert code.returncode == 0, code.stderr
    chat = _run(["chat"], frozen, f"@carol: /join {code.stdout.strip()}\n"
                                  "@carol: /customer add Atlas Air grade B\n"
                                  "@carol: /call Atlas Air talked budget, follow up tomorrow 10am\n"
                                  "@carol: /visit Atlas Air 见了张总，明天下午3点再跟进\n")
    assert chat.returncode == 0, chat.stderr
    assert "Welcome, Carol!" in chat.stdout  # the code made on the frozen clock has not expired on it
    assert "Next follow-up: Thu 2026-12-03 10:00" in chat.stdout, chat.stdout
    assert "Next follow-up: Thu 2026-12-03 15:00" in chat.stdout, chat.stdout


def test_a_salesbot_now_without_its_offset_is_refused(env: dict[str, str]) -> None:  # noqa: F811
    chat = _run(["chat"], {**env, "SALESBOT_NOW": "2026-12-02T15:00:00"}, "@carol: /help\n")
    assert chat.returncode == 2
    assert "is not a time with its UTC offset" in chat.stderr and "Traceback" not in chat.stderr
