"""Warming a serving process: what the first chart, the first fuzzy name lookup and the first note would
otherwise pay for (importing matplotlib and loading the CJK font; reading every customer name into this
process's index; importing the free-text readers) is done by a background thread as the process starts
(`bot.run.serve`), so the first person does not wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial

from sqlalchemy import Engine

log = logging.getLogger("salesbot.warm")


def warm_charts() -> None:
    """Import matplotlib, load the CJK font and draw one tiny chart."""
    from handlers.reporting import charts

    charts.bars("预热 warm-up", [charts.Bar("一", 1.0), charts.Bar("二", 2.0)], "zh")


def warm_names(engine: Engine) -> None:
    """Build this process's customer name index, and compile a lookup's statements for each role's scope."""
    from datetime import UTC, datetime

    from sales.names.directory import exact_customer_rows, find_customers, warm
    from storage.db import session_factory
    from storage.models import User

    with session_factory(engine)() as session:
        warm(session)
        # Statements are compiled once per process and shape (a scope is a shape per role, its ids bound values):
        # their answers are dropped.
        for role in ("admin", "manager", "rep"):
            nobody = User(id=0, team_id=0, name="", role=role, created_at=datetime(2026, 1, 1, tzinfo=UTC))
            find_customers(session, user=nobody, query="预热 warm-up")
            exact_customer_rows(session, user=nobody, names=["预热", "预热 warm-up"])  # a /visit's first lookup


def warm_parsing() -> None:
    """Import the readers of notes, times and plans (handlers/parsing imports them at their first use)."""
    from datetime import UTC, datetime

    from handlers import parsing

    parsing.read_note("预热 warm-up", datetime(2026, 1, 1, tzinfo=UTC), "CNY")
    parsing.read_plan("30% now", datetime(2026, 1, 1, tzinfo=UTC))
    parsing.find_discount("九折")


def warm(engine: Engine, stop: threading.Event | None = None) -> None:
    """Warm everything, logging what each part took; never raises (a cold start is only slower); stops between
    parts once `stop` is set."""
    steps: list[tuple[str, Callable[[], None]]] = [("parsing", warm_parsing), ("names", partial(warm_names, engine)),
                                               ("charts", warm_charts)]
    for name, step in steps:
        if stop is not None and stop.is_set():
            return
        started = time.perf_counter()
        try:
            step()
        except Exception:  # warming is an optimization: the real request will say what is wrong
            log.warning("warming failed", extra={"part": name}, exc_info=True)
            continue
        log.info("warmed", extra={"part": name, "seconds": round(time.perf_counter() - started, 3)})


class Warming(threading.Thread):
    """The warm-up's thread: `finish` asks it to stop after the part in hand and waits for that part."""

    def __init__(self, engine: Engine) -> None:
        self.stopping = threading.Event()
        super().__init__(target=warm, args=(engine, self.stopping), name="salesbot-warm", daemon=True)

    def finish(self, timeout: float = 60.0) -> None:
        """Stop after the part in hand and wait for it: a process that exits while a C++ extension (matplotlib,
        the OCR model) is being imported by this thread aborts ("terminate called without an active exception")."""
        self.stopping.set()
        self.join(timeout)


def start(engine: Engine) -> Warming:
    """Warm in a thread of its own (it never holds up the start of the process; `Warming.finish` at the stop)."""
    thread = Warming(engine)
    thread.start()
    return thread
