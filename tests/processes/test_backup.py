"""`salesbot backup` while turns are being answered, then `salesbot restore`: every turn acknowledged before the
backup began is there, nothing after it is, on SQLite (online backup API) and PostgreSQL (pg_dump)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from handlers.context import Settings
from handlers.core import Core
from handlers.types import ChatRef, Incoming
from sales.demo import load_demo
from tests.conftest import FakeClock
from tests.processes import salesbot


def _cli(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "LANG": "C.UTF-8"}
    return subprocess.run([*salesbot(), *args], env=env, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def test_a_backup_taken_under_load_restores_every_turn_acknowledged_before_it(
        engine: Engine, clock: FakeClock, tmp_path: Path) -> None:
    if engine.dialect.name == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed: the README's recipe is the way there")
    load_demo(engine, customers=5, now=clock())
    with engine.connect() as conn:
        target = conn.execute(text("SELECT id FROM customer ORDER BY id LIMIT 1")).scalar_one()
    core = Core(engine, clock=clock, settings=Settings(rate_limit=0))
    chat = ChatRef("console", "local", "carol")  # the admin, reading English
    acked: list[tuple[int, float]] = []
    stop = threading.Event()
    failures: list[str] = []

    def load() -> None:
        i = 0
        while not stop.is_set():
            replies = core.handle(Incoming(chat=chat, user="carol", text=f"/note #{target} loadmark{i}x",
                                           event_id=f"load-{i}"))
            if replies and "Logged note" in replies[0].text:
                acked.append((i, time.monotonic()))
            else:
                failures.append(replies[0].text if replies else "no reply")
            i += 1

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    try:
        while len(acked) < 20 and worker.is_alive() and not failures:
            time.sleep(0.05)
        began = time.monotonic()
        url = engine.url.render_as_string(hide_password=False)
        made = _cli(["backup", str(tmp_path / "copy.bak")], url)
        ended = time.monotonic()
        during = len([1 for _, t in acked if began <= t <= ended])
        time.sleep(0.3)
    finally:
        stop.set()
        worker.join(timeout=60)
    assert made.returncode == 0, made.stderr
    assert not failures, failures[:3]
    before = {i for i, t in acked if t < began}
    after = {i for i, t in acked if t > ended}
    assert len(before) >= 20 and after, (len(before), len(after))
    engine.dispose()  # the restore replaces the database under this process's pool

    restored = _cli(["restore", str(tmp_path / "copy.bak"), "--yes"], url)
    assert restored.returncode == 0, restored.stderr
    with engine.connect() as conn:
        notes = {r[0] for r in conn.execute(text("SELECT summary FROM activity WHERE summary LIKE 'loadmark%'"))}
    present = {int(s.removeprefix("loadmark").removesuffix("x")) for s in notes}
    missing = sorted(before - present)
    assert not missing, f"acknowledged before the backup began but not restored: {missing[:10]}"
    assert not (after & present), "turns answered after the backup ended came back: the restore did not replace"
    print(f"{engine.dialect.name}: {len(before)} turns before the backup, {during} during it, {len(after)} after; "
          f"{len(present)} restored")
