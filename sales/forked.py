"""Pure work done in a forked child process while this one goes on (the second core during a large import)."""

from __future__ import annotations

import os
import pickle
import signal
import warnings
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
ENABLED = hasattr(os, "fork") and os.environ.get("SALESBOT_FORK", "1") != "0"
BACKGROUND_FROM = 20_000  # items from which a piece of work is worth a child process


def later(fn: Callable[[], T], items: int) -> Callable[[], T]:
    """How to get fn(): from a child process started now when it works on `items` ≥ BACKGROUND_FROM, else here."""
    return Forked(fn).result if items >= BACKGROUND_FROM else fn


class Forked(Generic[T]):
    """`fn()` computed in a child process; `result()` waits for it (inline where fork is unavailable).

    `fn` must be pure: it sees a copy of this process's memory and must not touch files, sockets or locks that
    other threads may hold (no database, no logging, no imports).
    """

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._pid = 0
        self._fd = -1
        self._done: tuple[T] | None = None
        if not ENABLED:
            return
        read, write = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork of a threaded process
            pid = os.fork()
        if pid == 0:
            _child(fn, read, write)
        os.close(write)
        self._pid, self._fd = pid, read
        self._reap = weakref.finalize(self, _reap, pid, read)

    def result(self) -> T:
        """The child's value; computed here if the child failed (its error is then raised here, as usual)."""
        if self._done is not None:
            return self._done[0]
        if self._pid:
            chunks = []
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
            self._reap.detach()
            os.close(self._fd)
            os.waitpid(self._pid, 0)
            self._pid = 0
            payload = b"".join(chunks)
            if payload:
                self._done = (pickle.loads(payload),)
                return self._done[0]
        self._done = (self._fn(),)  # no fork, or the child died: the same work, here
        return self._done[0]


def _child(fn: Callable[[], T], read: int, write: int) -> None:
    """Run in the child: send fn()'s value back, then leave without running any of the parent's cleanup."""
    status = 1
    try:
        os.close(read)
        data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write, view):]
        status = 0
    finally:
        os._exit(status)  # an error sends nothing: the parent then does the work itself and sees the error


def _reap(pid: int, fd: int) -> None:
    """Close the pipe and collect a child whose result was never wanted."""
    os.close(fd)
    try:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass
