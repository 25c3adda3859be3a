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


@contextlib.contextmanager
def in_thread(app: ASGIApp) -> Iterator[str]:
    """The app served by uvicorn in a thread of its own (its own event loop) on a free port; yields the base URL.
    For tests whose client is synchronous: a browser, threads racing each other."""
    import threading

    served = Served(app)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    url: list[str] = []

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def main() -> None:
            url.append(await served.start())
            started.set()
            if served.task is not None:
                await served.task

        loop.run_until_complete(main())

    thread = threading.Thread(target=run, name="uvicorn", daemon=True)
    thread.start()
    if not started.wait(30):
        raise RuntimeError("uvicorn did not start")
    try:
        yield url[0]
    finally:
        served.server.should_exit = True
        thread.join(30)
        loop.close()
