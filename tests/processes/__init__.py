"""Running salesbot processes in tests: free ports, SIGTERM at the end, waiting for health."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import Engine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def salesbot() -> list[str]:
    exe = Path(sys.executable).parent / "salesbot"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]


@pytest.fixture
def pg(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("several processes against one database: PostgreSQL's case")
    return engine


class Procs:
    """The salesbot processes of one test, stopped with SIGTERM at the end."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.procs.append(subprocess.Popen(salesbot() + args, env=env, stdout=log.open("w"),
                                           stderr=subprocess.STDOUT, text=True))

    def stop(self) -> list[int | None]:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=30))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(None)
        return codes


@pytest.fixture
def procs() -> Iterator[Procs]:
    running = Procs()
    yield running
    running.stop()


async def wait_healthy(http: aiohttp.ClientSession, port: int, procs: Procs, logs: list[Path]) -> None:
    for _ in range(1200):
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if any(p.poll() is not None for p in procs.procs):
            pytest.fail("a process died:\n" + "\n".join(p.read_text() for p in logs))
        await asyncio.sleep(0.1)
    pytest.fail(f"no /healthz on {port}")


async def until(check: Callable[[], bool], seconds: float = 40.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.2)
    return check()
