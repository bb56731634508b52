"""Committing an append on the event loop's own thread, when SQLite can take it at once.

An append handed to the writer's thread (collab/store/sqlite_writer.py) costs a thread wake-up
each way and, while the event loop is busy, the GIL: the thread takes it back after each of
the transaction's SQLite calls, waiting each time for the loop's thread to let it go (up to
the interpreter's switch interval), and the loop's thread waits in turn when it is made to let
it go. On a busy two-core machine a commit that takes 0.16 ms of SQLite's time took 1-10 ms
of wall time that way (p90-max), and the loop's thread spent 13-28 ms of every 50 hand-overs
(about one burst of 1,600 edits of benchmarks/compare.py's (c)) blocked in them.

In write-ahead-log mode with `synchronous` NORMAL (collab's default) or OFF, a commit writes
its pages to the log and does not sync: it costs about what the hand-over does. So an append
runs here, on the calling thread, when:

- the database does not sync at every commit (`synchronous` FULL or EXTRA: the thread);
- SQLite's write lock is free at once: this connection's busy timeout is 0, and an append that
  finds the lock taken (a compaction or a REST write on the engine's connections) is handed to
  the thread, which waits for it as before. Waiting here would block the very loop whose
  other transactions hold the lock;
- it writes at most `LARGEST` bytes of updates (more goes to the thread, and the loop runs
  while SQLite copies them);
- it never syncs: it does not checkpoint by itself (`wal_autocheckpoint` 0; copying the log
  into the database file syncs it), so after every `CHECKPOINT_EVERY` appends made here (or
  `CHECKPOINT_BYTES` of updates) a PASSIVE checkpoint is handed to the thread, which does not
  hold up writers; and while it runs, and for one append after it if it copied the whole log,
  appends go to the thread too: the first commit after such a checkpoint starts the log over
  and syncs the log's new header;
- it opens without waiting for any lock: sqlite3's `timeout` 0, busy timeout 0 first, and no
  setting that reads the file (not the journal mode, which the engine's connections already
  set and the file keeps).

Nothing about what is committed changes: the same transaction, committed before anyone is told.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from collab.store.sqlite_writer import Connect, SqliteWriter

T = TypeVar("T")

log = logging.getLogger(__name__)

# Appends made here, or bytes of updates, between two checkpoints handed to the thread: an
# append of small edits writes a few pages to the log, so either is about SQLite's own default
# of a checkpoint per 1,000 pages (4 MiB).
CHECKPOINT_EVERY = 250
CHECKPOINT_BYTES = 4 * 1024 * 1024
# The most bytes of updates an append made here may write: a larger one (a pasted book, a
# seeding) goes to the thread, which lets the loop run while SQLite copies it to the log.
LARGEST = 1024 * 1024
# SQLite's primary result code for a lock held by another connection (extended codes keep it
# in their low byte).
_SQLITE_BUSY = 5


class Busy:
    """Not committed here (the write lock was taken, or the append is the thread's: see the
    module's list): nothing was written; the append goes to the thread."""


BUSY = Busy()


def loop_settings(settings: dict[str, object]) -> dict[str, object]:
    """The settings of the loop's connection, from the engine's (as SQLite reports them): no
    wait for a lock, set first; no checkpoint of its own; and not the journal mode, which
    reads the file (the engine's connections have set it already, and it is kept in the file)."""
    kept = {k: v for k, v in settings.items() if k not in ("journal_mode", "busy_timeout")}
    return {"busy_timeout": 0, **kept, "wal_autocheckpoint": 0}


def takes_appends(settings: dict[str, object]) -> bool:
    """Whether a connection with these settings (as SQLite reports them) may commit on the
    loop: write-ahead log, and no sync at each commit (synchronous OFF = 0 or NORMAL = 1)."""
    mode = str(settings.get("journal_mode", "")).lower()
    synchronous = settings.get("synchronous")
    return mode == "wal" and isinstance(synchronous, int) and synchronous <= 1


def is_busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds the lock."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == _SQLITE_BUSY


class InlineCommits:
    """One sqlite3 connection of the loop's thread (opened by `connect`, with `loop_settings`,
    at the first attempt), and the writer's thread for checkpoints."""

    def __init__(
        self,
        connect: Connect,
        writer: SqliteWriter,
        *,
        checkpoint_every: int = CHECKPOINT_EVERY,
        checkpoint_bytes: int = CHECKPOINT_BYTES,
    ) -> None:
        self._connect = connect
        self._writer = writer
        self._checkpoint_every = checkpoint_every
        self._checkpoint_bytes = checkpoint_bytes
        self._db: sqlite3.Connection | None = None
        self._since_checkpoint = 0
        self._bytes_since_checkpoint = 0
        self._checkpoint: asyncio.Task[None] | None = None
        self._log_copied = False  # the last checkpoint copied the whole log
        # The last checkpoint's (busy, frames in the log, frames copied into the database).
        self.last_checkpoint: tuple[int, int, int] | None = None

    def attempt(self, transaction: Callable[[sqlite3.Connection], T], *, size: int = 0) -> T | Busy:
        """Run `transaction` (which begins and commits or rolls back itself; `size`: the bytes
        it writes, about) here, or BUSY if the write lock was taken; any other error is raised,
        the connection closed (the next attempt opens another, as the thread does). BUSY too,
        without being tried: an append of more than `LARGEST` bytes, and one while a
        checkpoint runs or the first after one that copied the whole log."""
        if size > LARGEST or self._checkpoint is not None:
            return BUSY  # while a checkpoint runs, the log may be copied whole at any moment
        if self._log_copied:
            self._log_copied = False  # the thread's commit starts the log over
            return BUSY
        db = self._db if self._db is not None else self._open()
        try:
            result = transaction(db)
        except sqlite3.OperationalError as error:
            if is_busy(error) and not db.in_transaction:
                return BUSY
            self.close()
            raise
        except (sqlite3.IntegrityError, sqlite3.DataError):
            if db.in_transaction:  # the transaction rolls itself back; if not, start afresh
                self.close()
            raise  # refused: the connection is as it was
        except Exception:
            self.close()
            raise
        self._since_checkpoint += 1
        self._bytes_since_checkpoint += size
        due = (
            self._since_checkpoint >= self._checkpoint_every
            or self._bytes_since_checkpoint >= self._checkpoint_bytes
        )
        if due:  # none is running: an append during one is BUSY, above
            self._since_checkpoint = self._bytes_since_checkpoint = 0
            self._checkpoint = asyncio.get_running_loop().create_task(
                self._checkpoint_in_thread(), name="sqlite checkpoint"
            )
        return result

    async def wait_checkpoint(self) -> None:
        """Wait for the checkpoint under way, if any."""
        if self._checkpoint is not None:
            await asyncio.shield(self._checkpoint)

    def close(self) -> None:
        """Close the connection (a checkpoint under way goes on in the thread)."""
        db, self._db = self._db, None
        if db is not None:
            db.close()

    def _open(self) -> sqlite3.Connection:
        self._db = self._connect()
        return self._db

    async def _checkpoint_in_thread(self) -> None:
        try:
            self.last_checkpoint = busy, frames, copied = await self._writer.call(_checkpoint)
            self._log_copied = busy == 0 and copied == frames
        except Exception as error:  # the next one may succeed; commits are not affected
            log.warning("a checkpoint of the SQLite log failed: %s", error)
        finally:
            self._checkpoint = None


def _checkpoint(db: sqlite3.Connection) -> tuple[int, int, int]:
    """Copy what the log holds into the database file, as far as readers allow, without
    holding up writers; SQLite's answer (busy, frames in the log, frames copied)."""
    busy, frames, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(frames), int(copied)
