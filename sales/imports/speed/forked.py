"""Pure work done in a child process while this one goes on (the second core during a large import)."""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import struct
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

T = TypeVar("T")
ENABLED = hasattr(os, "fork") and os.environ.get("SALESBOT_FORK", "1") != "0"
BACKGROUND_FROM = 20_000  # items from which a piece of work is worth sending to the worker
_HEAD = struct.Struct("<Q")
_FAILED = b""  # the reply of a task that raised: the parent then does the work itself and sees the error
SEP = "\x1f"  # the unit separator: texts_out joins texts with it


class Worker:
    """A child process that runs functions on data sent to it, in order, and sends their values back.

    One per process, forked at the first large import while this process is small and kept for the next:
    no fork later, so this process's writes to its heap are never copied page by page for a child that
    shares them. Functions and values travel pickled; a function must be pure (no database, no logging,
    no locks that other threads may hold).
    """

    def __init__(self) -> None:
        self._pid = 0
        self._owner = os.getpid()
        self._unread: list[_Reply[Any]] = []
        self._lock = threading.Lock()  # imports in several threads share the worker: one talks to it at a time
        if not ENABLED:
            return
        ask_r, ask_w = os.pipe()
        tell_r, tell_w = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork of a threaded process
            pid = os.fork()
        if pid == 0:
            os.close(ask_w)
            os.close(tell_r)
            _serve(ask_r, tell_w)
        os.close(ask_r)
        os.close(tell_w)
        self._pid, self._ask, self._tell = pid, ask_w, tell_r
        self._reap = weakref.finalize(self, _reap, pid, ask_w, tell_r)

    @property
    def alive(self) -> bool:
        """Whether this process's worker is running (a forked copy of this process has none)."""
        return bool(self._pid) and self._owner == os.getpid()

    def run(self, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        """How to get fn(*args): computed by the worker now, or here if there is no worker or it failed."""
        reply: _Reply[T] = _Reply(self, fn, args)
        with self._lock:
            if not self.alive:
                reply.payload = _FAILED
                return reply.value
            for earlier in self._unread:  # a reply left in the pipe would block the worker and this request
                earlier.read()
            self._unread = [reply]
            try:
                request = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, AttributeError, TypeError):  # not a module-level function: done here
                self._unread = []
                reply.payload = _FAILED
                return reply.value
            try:
                _send(self._ask, request)
            except OSError:  # the worker is gone (killed?): this import works here, the next forks a new one
                self._gone()
                reply.payload = _FAILED
        return reply.value

    def stop(self) -> None:
        """End the worker without waiting for its work (a reply not read yet is redone here if wanted)."""
        with self._lock:
            self._gone()

    def _gone(self) -> None:
        """Forget the worker and collect it; the caller holds the lock."""
        self._unread = []
        if self._pid:
            self._pid = 0
            self._reap()


class _Reply(Generic[T]):
    """One task's value: read from the worker's pipe in turn, unpickled when wanted."""

    def __init__(self, worker: Worker | None, fn: Callable[..., T], args: tuple[Any, ...]) -> None:
        self.worker, self.fn, self.args = worker, fn, args
        self.payload: bytes | None = None if worker is not None and worker._pid else _FAILED
        self.done: tuple[T] | None = None

    def read(self) -> None:
        """Take this reply off the pipe, the worker's lock held (nothing to read if the worker stopped)."""
        if self.payload is not None:
            return
        if self.worker is None or not self.worker.alive:
            self.payload = _FAILED
            return
        try:
            self.payload = _receive(self.worker._tell)
        except (OSError, EOFError):  # the worker died mid-task
            self.payload = _FAILED
            self.worker._gone()

    def value(self) -> T:
        """The worker's value, or fn(*args) computed here."""
        if self.done is None:
            worker = self.worker
            if worker is not None and self.payload is None:
                with worker._lock:
                    if self in worker._unread:  # replies come back in turn: the earlier ones are read first
                        for earlier in worker._unread[: worker._unread.index(self) + 1]:
                            earlier.read()
                    else:
                        self.read()
            if self.payload:
                self.done = (pickle.loads(self.payload),)
            else:
                self.done = (self.fn(*self.args),)
            self.fn, self.args, self.payload = _gone, (), _FAILED  # the data can go (and is never read again)
        return self.done[0]


def _gone() -> Any:
    raise AssertionError("a reply's work is done once")


_shared: Worker | None = None
_shared_lock = threading.Lock()


@contextmanager
def worker_if(wanted: bool) -> Iterator[Worker | None]:
    """This process's worker for the duration, if wanted (and fork is available); it is kept for the next
    import, and stopped if this one fails (the work it was given is then not wanted)."""
    global _shared
    worker = None
    if wanted and ENABLED:
        with _shared_lock:
            if _shared is None or not _shared.alive:
                _shared = Worker()
            worker = _shared
    try:
        yield worker
    except BaseException:
        if worker is not None:
            shutdown()
        raise


def shutdown() -> None:
    """Stop this process's worker (at exit, and when an import fails)."""
    global _shared
    with _shared_lock:
        worker, _shared = _shared, None
    if worker is not None and worker.alive:
        worker.stop()


def _forget_after_fork() -> None:
    global _shared, _shared_lock
    _shared, _shared_lock = None, threading.Lock()  # the worker and its pipes belong to the parent


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(shutdown)


def later(worker: Worker | None, items: int, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    """How to get fn(*args): from the worker when there is one and the work is large, else here when asked."""
    if worker is not None and items >= BACKGROUND_FROM:
        return worker.run(fn, *args)
    return _Reply(None, fn, args).value


def texts_out(texts: Sequence[str]) -> str | list[str]:
    """Texts made cheap to send: one string (pickled in one piece) unless one of them holds the separator."""
    if not texts:
        return []
    out = SEP.join(texts)
    return out if out.count(SEP) == len(texts) - 1 else list(texts)


def texts_in(sent: str | list[str]) -> list[str]:
    """The texts as texts_out sent them."""
    return sent.split(SEP) if isinstance(sent, str) else sent


def _serve(ask: int, tell: int) -> None:
    """The worker's loop: a request in, its reply out, until the parent closes its end."""
    status = 1
    try:
        while True:
            try:
                request = _receive(ask)
            except EOFError:
                break
            try:
                fn, args = pickle.loads(request)
                reply = pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:  # the parent redoes the work and sees the error itself
                reply = _FAILED
            _send(tell, reply)
        status = 0
    finally:
        os._exit(status)  # never run the parent's cleanup (its database connections, its atexit hooks)


def _send(fd: int, data: bytes) -> None:
    view = memoryview(_HEAD.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> bytes:
    (size,) = _HEAD.unpack(_exactly(fd, _HEAD.size))
    return _exactly(fd, size)


def _exactly(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, min(left, 1 << 22))
        if not chunk:
            raise EOFError if left == size and not chunks else OSError("the worker ended mid-reply")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _reap(pid: int, ask: int, tell: int) -> None:
    """Close the pipes and collect the worker (stopped if it is still busy with work nobody wants)."""
    os.close(ask)  # an idle worker reads the end of its requests and leaves
    os.close(tell)
    try:
        for _ in range(100):
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                return
            time.sleep(0.002)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
