"""SALESBOT_MAX_FILE_BYTES is the limit both adapters refuse files over before download (Telegram at most
20 MB), and both say why, in the core's words and the person's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine

from handlers.context import Settings
from handlers.core import Core
from handlers.types import Incoming, Reply
from sales.demo import load_demo
from sales.names import directory
from tests.conftest import FakeClock
from tests.standins.slack import DEMO_USERS, SlackAPI, SlackSide, bind_demo, dm_of, running
from tests.standins.telegram import ApiError, BotApiStandIn, Fault, bind_demo_team, expect, standing
from tests.standins.telegram import running as tg_running

MIB = 1024 * 1024
ALICE, CAROL = DEMO_USERS["alice"], DEMO_USERS["carol"]  # alice reads Chinese, carol English


def spied(engine: Engine, clock: FakeClock, max_file_bytes: int) -> tuple[Core, list[Incoming]]:
    """The demo team's core with the given limit, keeping every Incoming it handles."""
    load_demo(engine, customers=5, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", max_file_bytes=max_file_bytes))
    seen: list[Incoming] = []
    handle = core.handle

    def spy(incoming: Incoming, **kw: Any) -> list[Reply]:
        seen.append(incoming)
        return handle(incoming, **kw)

    core.handle = spy  # type: ignore[method-assign]
    return core, seen


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    directory._cache.clear()
    async with standing() as stand_in:
        yield stand_in


# --- Telegram -------------------------------------------------------------------------------------------


async def test_telegram_refuses_a_file_over_a_lowered_limit_in_the_persons_language(
        engine: Engine, clock: FakeClock, api: BotApiStandIn) -> None:
    core, seen = spied(engine, clock, max_file_bytes=MIB)
    people = bind_demo_team(engine, api, clock)
    alice = {**people["alice"], "language_code": "en"}  # her app speaks English; she chose Chinese (/lang)
    async with tg_running(api, core, "polling", {alice["id"]: "alice"}) as tg:
        big = await tg.step(api.document(alice, "big.csv", b"x" * (MIB + 1), "text/csv", caption="/import"))
        expect(big, "→ alice: 文件太大了（最多 1.0 MB），没有读取。")
        assert seen[-1].file is None
        assert not [c for c in api.calls if c[1] == "getFile"], "refused before download"
        small = await tg.step(api.document(alice, "small.csv", b"name\nx\n", "text/csv", caption="/import"))
    assert "太大" not in small.text()
    assert seen[-1].file is not None and seen[-1].file.data == b"name\nx\n"


async def test_telegram_caps_a_raised_limit_at_what_the_bot_api_serves(
        engine: Engine, clock: FakeClock, api: BotApiStandIn) -> None:
    core, seen = spied(engine, clock, max_file_bytes=100 * MIB)
    carol = bind_demo_team(engine, api, clock)["carol"]
    body = api.document(carol, "huge.csv", b"x" * 10, "text/csv", caption="/import")
    body["message"]["document"]["file_size"] = 25 * MIB  # as Telegram announces it
    async with tg_running(api, core, "polling", {carol["id"]: "carol"}) as tg:
        refused = await tg.step(body)
    expect(refused, "→ carol: That file is too large (at most 20.0 MB); it was not read.")
    assert seen[-1].file is None and not [c for c in api.calls if c[1] == "getFile"]


async def test_telegram_refuses_a_file_without_a_size_that_getfile_will_not_serve(
        engine: Engine, clock: FakeClock, api: BotApiStandIn) -> None:
    core, seen = spied(engine, clock, max_file_bytes=20 * MIB)
    carol = bind_demo_team(engine, api, clock)["carol"]
    body = api.document(carol, "huge.csv", b"x" * 10, "text/csv", caption="/import")
    del body["message"]["document"]["file_size"]
    api.faults.append(Fault("getFile", ApiError(400, "Bad Request: file is too big")))
    async with tg_running(api, core, "polling", {carol["id"]: "carol"}) as tg:
        refused = await tg.step(body)
    expect(refused, "→ carol: That file is too large (at most 20.0 MB); it was not read.")
    assert seen[-1].file is None


# --- Slack ----------------------------------------------------------------------------------------------


def _share(side: SlackSide, api: SlackAPI, user: str, file_id: str, data: bytes, size: int) -> dict[str, Any]:
    api.files[file_id] = data
    url = f"{api.url}/files/{file_id}"
    return side.dm_event(user, "", subtype="file_share", files=[{
        "id": file_id, "name": "customers.csv", "mimetype": "text/csv", "size": size,
        "url_private": url, "url_private_download": url}])


async def test_slack_tells_why_a_file_over_the_limit_was_not_read(engine: Engine, clock: FakeClock) -> None:
    core, seen = spied(engine, clock, max_file_bytes=MIB)
    bind_demo(engine, clock())
    async with running(core) as r:
        side, api = r.side, r.api
        await r.ok(await side.event(_share(side, api, ALICE, "F0BIG", b"x" * 10, size=2 * MIB)))
        assert "文件太大了（最多 1.0 MB），没有读取。" in api.last(dm_of(ALICE)).plain()
        assert seen[-1].file is None
        await r.ok(await side.event(_share(side, api, CAROL, "F0BIG2", b"x" * 10, size=2 * MIB)))
        assert "That file is too large (at most 1.0 MB); it was not read." in api.last(dm_of(CAROL)).plain()
        # Slack said 10 bytes, and sent more: what arrives is cut one byte over the limit, the core refuses it
        await r.ok(await side.event(_share(side, api, CAROL, "F0LIE", b"y" * (2 * MIB), size=10)))
        assert seen[-1].file is not None and len(seen[-1].file.data) == MIB + 1
        assert "That file is too large (at most 1.0 MB)" in api.last(dm_of(CAROL)).plain()


async def test_slack_downloads_a_whole_file_under_a_raised_limit(engine: Engine, clock: FakeClock) -> None:
    core, seen = spied(engine, clock, max_file_bytes=30 * MIB)
    bind_demo(engine, clock())
    data = bytes(range(256)) * (3 * MIB // 256)  # several chunks on the wire
    async with running(core) as r:
        await r.ok(await r.side.event(_share(r.side, r.api, CAROL, "F0MID", data, size=25 * MIB)))
    assert seen[-1].file is not None and seen[-1].file.data == data
