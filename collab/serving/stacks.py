"""What a stuck server is doing: SIGUSR1 writes the stack of every thread, then of every asyncio
task, to standard error (`kill -USR1 PID`; a stop that hangs is diagnosed this way).

The threads' stacks come from faulthandler, written by the signal handler itself, so they are
written even when the event loop is blocked; the tasks' are written by the loop, when it runs."""

from __future__ import annotations

import asyncio
import faulthandler
import signal
import sys
from types import FrameType


def dump_on_signal(loop: asyncio.AbstractEventLoop) -> None:
    """From now on, SIGUSR1 writes every thread's and every task's stack to standard error."""
    if not hasattr(signal, "SIGUSR1"):  # not on Windows
        return
    try:
        loop.add_signal_handler(signal.SIGUSR1, _write_tasks)
    except (RuntimeError, ValueError):  # not the main thread: signals are not this loop's
        return
    # Registered after the loop's handler: faulthandler writes the threads' stacks in the
    # signal handler itself, then chains to the loop's, which schedules the tasks' dump.
    faulthandler.register(signal.SIGUSR1, all_threads=True, chain=True)


def _write_tasks() -> None:
    tasks = asyncio.all_tasks()
    lines = [f"{len(tasks)} asyncio tasks, each from its outermost call to what it awaits:"]
    for task in tasks:
        lines.append(f"Task {task.get_name()!r}:")
        lines.extend(f"  {where}" for where in _awaiting(task.get_coro()))
    print("\n".join(lines), file=sys.stderr, flush=True)


def _awaiting(awaitable: object) -> list[str]:
    """Where each coroutine in the chain `awaitable` awaits stands, outermost first."""
    places = []
    for _ in range(100):  # a chain is never this deep; a cycle must not loop forever
        frame: FrameType | None = getattr(awaitable, "cr_frame", None) or getattr(
            awaitable, "gi_frame", None
        )
        if frame is None:
            if awaitable is not None:
                places.append(f"awaiting {awaitable!r}"[:300])
            break
        code = frame.f_code
        places.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return places
