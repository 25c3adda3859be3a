"""The process's web app (bot/web.py) served as `salesbot run` serves it: uvicorn, here on 127.0.0.1 and a free
port, so the stand-ins reach the adapters by the same endpoints as the platforms do in production."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp


class _Server(uvicorn.Server):
    """uvicorn leaving the test process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Served:
    """An ASGI app being served; `url` is its base URL."""

    def __init__(self, app: ASGIApp) -> None:
        self.server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False,
                                             lifespan="off"))
        self.task: asyncio.Task[None] | None = None
        self.url = ""

    async def start(self) -> str:
        """Serve until close(); returns the base URL."""
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        """Stop taking requests and let those in hand finish."""
        self.server.should_exit = True
        if self.task is not None:
            await self.task
