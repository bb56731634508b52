"""A thread of collab's own owning one sqlite3 connection: functions run on it one at a time.

The standard library's `sqlite3` blocks, so the event loop hands each function to this thread
through a queue and is given the result back with `loop.call_soon_threadsafe`: one trip per
function, however many statements it runs. Nothing here touches aiosqlite or SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

Connect = Callable[[], sqlite3.Connection]
_Held = sqlite3.Connection | None
# How many functions may wait for the thread at once; a caller past that waits its turn.
DEPTH = 64


@dataclass(frozen=True, slots=True)
class _Job(Generic[T]):
    """A function for the thread, and where its outcome goes (None: stop, the connection
    closed, and then the future settled)."""

    function: Callable[[sqlite3.Connection], T] | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]

    def settle(self, result: Any, error: BaseException | None) -> None:
        """From the thread: hand the outcome to the waiting coroutine's loop."""
        with contextlib.suppress(RuntimeError):  # the loop was closed: nobody is waiting
            self.loop.call_soon_threadsafe(_settle, self.future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class SqliteWriter:
    """One thread and one sqlite3 connection made by `connect`, both started by the first
    `call` and ended by `close` (a later call starts new ones, with a queue of their own). A
    function that raises leaves its connection closed; the next call opens another."""

    def __init__(self, connect: Connect, *, name: str = "collab sqlite writer") -> None:
        self._connect = connect
        self._name = name
        self._slots = asyncio.Semaphore(DEPTH)
        self._jobs: queue.SimpleQueue[_Job[Any]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    async def call(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Run `function(connection)` in the thread, after every function called before it.
        If the caller is cancelled meanwhile, the function still runs (its result is let go)."""
        async with self._slots:
            if self._thread is None:  # not started yet, or closed while this call waited
                self._jobs = queue.SimpleQueue()
                self._thread = threading.Thread(
                    target=self._serve, args=(self._jobs,), name=self._name, daemon=True
                )
                self._thread.start()
            loop = asyncio.get_running_loop()
            future: asyncio.Future[T] = loop.create_future()
            self._jobs.put(_Job(function, loop, future))
            return await future

    async def close(self) -> None:
        """Let the functions called so far run, then close the connection and end the thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        loop = asyncio.get_running_loop()
        stop: _Job[None] = _Job(None, loop, loop.create_future())
        self._jobs.put(stop)
        await stop.future
        thread.join()  # it has settled the future: all it has left is to return

    def _serve(self, jobs: queue.SimpleQueue[_Job[Any]]) -> None:
        """The thread: run each job of its queue in turn until told to stop."""
        db: sqlite3.Connection | None = None
        try:
            while (function := (job := jobs.get()).function) is not None:
                db = self._run(function, job, db)
        finally:
            if db is not None:
                db.close()
        job.settle(None, None)

    def _run(
        self, function: Callable[[sqlite3.Connection], Any], job: _Job[Any], db: _Held
    ) -> _Held:
        """One job; the connection for the next (None after an error: it is closed)."""
        try:
            db = db if db is not None else self._connect()
            result = function(db)
        except Exception as error:
            if db is not None:
                db.close()
            job.settle(None, error)
            return None
        job.settle(result, None)
        return db
