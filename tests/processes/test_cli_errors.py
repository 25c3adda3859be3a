"""Every error a person can cause on the command line is one line in their language and exit 2 (usage) or 1
(failure), never a traceback: real `salesbot` processes, English and Chinese."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.processes import salesbot

CJK = "\u4e00-\u9fff"


def _free_port_one() -> str:
    return "postgresql://salesbot:secret@127.0.0.1:1/salesbot"  # port 1: nothing listens there


# (name, arguments, extra environment, exit code, a fragment of the English line, a fragment of the Chinese one)
CASES: list[tuple[str, list[str], dict[str, str], int, str, str]] = [
    ("unknown role", ["invite", "--role", "boss"], {}, 2, "There is no role “boss”", "没有“boss”这个角色"),
    ("unknown option", ["invite", "--rol", "rep"], {}, 2, "there is no option --rol", "没有 --rol 这个选项"),
    ("unknown command", ["frobnicate"], {}, 2, "there is no command frobnicate", "没有 frobnicate 这个命令"),
    ("missing argument", ["restore"], {}, 2, "PATH is missing", "缺少 PATH"),
    ("bad number", ["demo", "--customers", "many"], {}, 2, "--customers:", "--customers："),
    ("bad database URL", ["migrate"], {"DATABASE_URL": "mysql+nodriver://x/y"}, 2,
     "DATABASE_URL is not a database address", "DATABASE_URL 不是"),
    ("not a URL at all", ["invite"], {"DATABASE_URL": "nonsense"}, 2, "DATABASE_URL is not a database address",
     "DATABASE_URL 不是"),
    ("missing folder", ["migrate"], {"DATABASE_URL": "sqlite:////no/such/folder/salesbot.db"}, 1,
     "The folder /no/such/folder of DATABASE_URL does not exist", "文件夹 /no/such/folder 不存在"),
    ("unreachable PostgreSQL", ["migrate"], {"DATABASE_URL": _free_port_one()}, 1,
     "Cannot reach the database server at postgresql://salesbot:***@127.0.0.1:1/salesbot", "连不上数据库服务器"),
    ("bad setting", ["migrate"], {"PORT": "eighty"}, 2, "The setting PORT is not valid", "设置 PORT 无效"),
    ("bad setting in the chat", ["chat"], {"PORT": "eighty"}, 2, "The setting PORT is not valid", "设置 PORT 无效"),
    ("bad database URL in the chat", ["chat"], {"DATABASE_URL": "nonsense"}, 2,
     "DATABASE_URL is not a database address", "DATABASE_URL 不是"),
    ("bad frozen clock", ["invite"], {"SALESBOT_NOW": "tomorrow"}, 2, "is not a time with its UTC offset",
     "不是带时区偏移的时间"),
    ("import of a missing file", ["import", "{tmp}/nothing.xlsx"], {}, 2, "nothing.xlsx: no such file", "文件不存在"),
    ("import of an unreadable file", ["import", "{tmp}"], {}, 1, "is a folder, not a file", "是文件夹，不是文件"),
    ("unknown export kind", ["export", "salaries"], {}, 2, "Unknown export “salaries”", "没有“salaries”这种导出"),
    ("unknown export format", ["export", "customers", "--format", "pdf"], {}, 2, "Unknown export “pdf”",
     "没有“pdf”这种导出"),
    ("unknown run role", ["run", "--role", "boss"], {}, 2, "--role must be one of all, web, worker",
     "--role 只能是 all, web, worker 之一"),
    ("restore of a missing backup", ["restore", "{tmp}/gone.db", "--yes"], {}, 2, "gone.db: no such file",
     "文件不存在"),
    ("restore of a file that is no backup", ["restore", "{tmp}/notes.txt", "--yes"], {}, 1,
     "is not a salesbot backup", "不是 salesbot 的 SQLite 数据库备份"),
    ("restore without a terminal", ["restore", "{tmp}/copy.db"], {}, 2, "add --yes", "加上 --yes"),
    ("backup over a file", ["backup", "{tmp}/notes.txt"], {}, 2, "notes.txt already exists", "notes.txt 已存在"),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("cli-errors")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "SALESBOT_")) and k != "LANG"}
    env |= {"DATABASE_URL": f"sqlite:///{tmp / 'cli.db'}", "LANG": "C.UTF-8"}
    (tmp / "notes.txt").write_text("not a database")
    made = subprocess.run([*salesbot(), "backup", str(tmp / "copy.db")], env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert made.returncode == 0, made.stderr
    return tmp, env


def _run(case: tuple[str, list[str], dict[str, str], int, str, str], tmp: Path, env: dict[str, str],
         lang: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [a.replace("{tmp}", str(tmp)) for a in case[1]]
    return subprocess.run([*salesbot(), *args], env=env | case[2] | lang, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_mistake_is_one_line_in_the_persons_language(base: tuple[Path, dict[str, str]], lang: str) -> None:
    tmp, env = base
    # English from LANG=C (the default); Chinese from LANG, or --lang for half of the cases
    def speak(i: int) -> dict[str, str]:
        return {"LANG": "zh_CN.UTF-8"} if lang == "zh" and i % 2 == 0 else {}

    def args(i: int) -> tuple[str, list[str], dict[str, str], int, str, str]:
        case = CASES[i]
        if lang == "zh" and i % 2 == 1:
            return (case[0], ["--lang", "zh", *case[1]], *case[2:])  # type: ignore[return-value]
        return case

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda i: _run(args(i), tmp, env, speak(i)), range(len(CASES))))
    failures = []
    for case, done in zip(CASES, results, strict=True):
        name, _, _, code, english, chinese = case
        lines = done.stderr.strip().splitlines()
        expected = chinese if lang == "zh" else english
        problems = []
        if done.returncode != code:
            problems.append(f"exit {done.returncode}, not {code}")
        if len(lines) != 1:
            problems.append(f"{len(lines)} lines")
        if "Traceback" in done.stderr or "Error:" in done.stderr:
            problems.append("a traceback or a raw exception")
        if expected not in done.stderr:
            problems.append(f"no {expected!r}")
        if lang == "zh" and not any("\u4e00" <= ch <= "\u9fff" for ch in done.stderr):
            problems.append("no Chinese")
        if problems:
            failures.append(f"{name}: {', '.join(problems)}: {done.stderr.strip()[:300]!r}")
    assert not failures, "\n".join(failures)
    assert len(CASES) >= 12


def test_help_answers_without_a_database(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    for args in ([], ["--lang", "zh"], ["--help"], ["import", "--help"], ["backup", "--help"]):
        done = subprocess.run([*salesbot(), *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "Usage: salesbot" in done.stdout, done.stderr
    # nothing heavy is imported to print the list of commands, not even typer (bot.cli.help_text)
    probe = ("import sys; from bot.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'pypinyin', 'cn2an', 'matplotlib', 'handlers.core', "
             "'typer') "
             "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
