"""The serve-start warm-up builds the name index, draws a chart and imports the note readers, so the first person
pays for none of them."""

from __future__ import annotations

import sys

from sqlalchemy import Engine

from handlers import warm
from sales.demo import load_demo
from sales.names import directory
from tests.conftest import FakeClock


def test_warming_builds_the_name_index_and_loads_the_chart_machinery(engine: Engine, clock: FakeClock) -> None:
    load_demo(engine, customers=30, now=clock())
    directory.forget()
    thread = warm.start(engine)
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert str(engine.url) in directory._cache  # the first fuzzy lookup finds the index built
    assert "matplotlib.backends.backend_agg" in sys.modules
    assert {"handlers.parsing.notes", "handlers.parsing.plans", "handlers.parsing.when"} <= set(sys.modules)


def test_warming_never_raises(tmp_path: object) -> None:
    from storage.db import make_engine

    broken = make_engine("sqlite:////no/such/folder/x.db")
    warm.warm(broken)  # logged, not raised: a cold start is only slower


def test_a_stopping_process_waits_for_the_part_in_hand_and_skips_the_rest(engine: Engine) -> None:
    thread = warm.start(engine)
    thread.finish()  # as `serve` does on its way out: no exit while a C++ extension is half imported
    assert not thread.is_alive()
