"""Group commit: updates from every room queue here and are committed together, in order."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import groupby
from typing import TYPE_CHECKING, Protocol

from collab.content import crdt
from collab.errors import LeaseLost, StoreUnavailable, VersionBehind, WriteRejected
from collab.metrics import Metrics
from collab.store.base import Appended, NewUpdate, NewVersion, RoomLog, VersionResult
from collab.types import Origin, origin_session, origin_user

if TYPE_CHECKING:
    from collab.rooms.peer import Peer

log = logging.getLogger(__name__)

# Seconds a commit may wait on the database before /healthz calls saving delayed.
_DELAYED_AFTER = 1.0


class CommitListener(Protocol):
    """Told, in order, which of its writes are durable."""

    # The epoch of the room the writes go to (fences them against a delete); None: unfenced.
    epoch: int | None

    def on_committed(self, writes: list[PendingWrite]) -> None:
        """Called once per batch with this listener's committed writes (a write the database
        refused for good comes with `rejected` set and nothing to store)."""
        ...


@dataclass(slots=True)
class PendingWrite:
    """An update applied in memory and waiting for its commit. `data` None stores nothing
    (an empty update), but still keeps its place in the acknowledgement order."""

    room: str
    data: bytes | None
    origin: Origin
    listener: CommitListener
    seq: int = 0
    ack_count: int = 0
    peer: Peer | None = None
    # A version to record at this point of the room's history, and where its result goes.
    version: NewVersion | None = None
    version_result: asyncio.Future[VersionResult] | None = None
    # For a version that must hold every row before it (an automatic one): the room's log
    # position when its state was taken, and the writer's count of the room's rows then.
    basis: tuple[int, int] | None = None
    # Set when the database refused this write for good (it is then neither stored nor sent).
    rejected: WriteRejected | None = None
    # Stored as a row of its own (see SeparateUpdate).
    separate: bool = False
    # Set by the commit: the merged row this write's run was stored as (on the run's first
    # write), or True when an earlier write's row holds this one's update. The broadcast sends
    # what was stored instead of merging the same updates again.
    row: bytes | None = None
    in_earlier_row: bool = False
    # When it was queued (for the acknowledgement latency metric).
    queued_at: float = 0.0

    def item(self) -> NewUpdate | NewVersion | None:
        """What this write stores, if anything."""
        if self.version is not None:
            return self.version
        if self.data is not None:
            kind = SeparateUpdate if self.separate else NewUpdate
            user, session = origin_user(self.origin), origin_session(self.origin)
            return kind(self.room, self.data, user, self.listener.epoch, session)
        return None


@dataclass(frozen=True, slots=True)
class SeparateUpdate(NewUpdate):
    """An update never merged with its neighbours: yrs must apply it in a transaction of its
    own (a surrogate pair's repair, content/surrogates.py, deletes before what follows builds)."""


class UpdateWriter:
    """One task drains the queue; each batch is one transaction. A failed commit is retried with
    backoff and nothing in it is acknowledged or broadcast until it succeeds."""

    def __init__(
        self,
        store: RoomLog,
        *,
        batch_max: int,
        queue_size: int = 8192,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._batch_max = batch_max
        self._queue: asyncio.Queue[PendingWrite] = asyncio.Queue(queue_size)
        self._space = asyncio.Event()
        self._space.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.commits = 0
        self.failures = 0
        # While commits fail (the database is down or full): since when, and the last error;
        # and since when the commit in flight has been waiting on the database.
        self.failing_since: float | None = None
        self.last_error: str | None = None
        self.committing_since: float | None = None
        # Called after each committed transaction with the rows it stored and their sequence
        # numbers (the cluster publishes them), before any listener hears of the commit.
        self.observers: list[Callable[[list[NewUpdate | NewVersion], Appended], None]] = []
        # Log rows committed per room by this writer (automatic versions check against it).
        self.rows_committed: dict[str, int] = {}

    def has_space(self) -> bool:
        """True when `put` would not block."""
        return not self._queue.full()

    async def wait_for_space(self, slots: int = 1) -> None:
        """Backpressure: wait until the queue can take `slots` more writes."""
        while self._queue.maxsize - self._queue.qsize() < slots:
            self._space.clear()
            await self._space.wait()

    def put(self, write: PendingWrite) -> None:
        """Queue a write; call `wait_for_space` first."""
        write.queued_at = time.monotonic()
        self._queue.put_nowait(write)
        self._idle.clear()

    async def drain(self) -> None:
        """Wait until every queued write is committed (used at shutdown)."""
        while not self._idle.is_set():
            await self._idle.wait()

    def pending(self) -> int:
        """Writes queued and not yet taken by a batch."""
        return self._queue.qsize()

    def status(self) -> dict[str, object]:
        """For /healthz: "ok"; or "delayed" while commits fail or one has waited on the database
        for over a second (acknowledgements pause; nothing is lost)."""
        since = self.failing_since or self.committing_since
        waited = time.monotonic() - since if since is not None else 0.0
        if waited <= _DELAYED_AFTER and self.failing_since is None:
            return {"state": "ok", "pending": self.pending()}
        return {
            "state": "delayed",
            "pending": self.pending(),
            "waiting_for": round(waited, 1),
            "last_error": self.last_error,
        }

    async def run(self) -> None:
        """Commit batches until cancelled."""
        while True:
            batch = [await self._queue.get()]
            # Let the tasks this turn of the loop has already woken (other sockets' messages)
            # queue their updates first: one commit for them all, not one for the first.
            await asyncio.sleep(0)
            while len(batch) < self._batch_max and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._space.set()
            await self._commit(batch)
            _notify(batch)
            if self._metrics is not None:
                _observe_acks(self._metrics, batch)
            batch.clear()  # while waiting for the next batch, keep no room of this one alive
            if self._queue.empty():
                self._idle.set()

    async def _commit(self, batch: list[PendingWrite]) -> None:
        """Commit the batch; if the database refuses it for good, commit its writes one by one
        so that only the refused ones fail, instead of every room waiting on them forever."""
        try:
            await self._commit_with_retry(batch)
            return
        except WriteRejected as error:
            if len(batch) == 1:
                _reject(batch[0], error)
                return
        for write in batch:
            try:
                await self._commit_with_retry([write])
            except WriteRejected as error:
                _reject(write, error)

    async def _commit_with_retry(self, batch: list[PendingWrite]) -> None:
        self._expect_seqs(batch)
        rows = _store_rows(batch)
        key = uuid.uuid4().hex  # the same on every retry: a lost reply is not stored twice
        delay = 0.05
        fresh = True  # the first attempt: no commit can have used the key yet
        while True:
            started = self.committing_since = time.monotonic()
            try:
                appended = await self._store.append(rows, batch=key, fresh=fresh)
                self.commits += 1
                if self._metrics is not None:
                    _observe_commit(self._metrics, started, batch, rows, appended.versions)
                self.failing_since = self.last_error = self.committing_since = None
                self._observe(rows, appended)
                for room, (first, last) in appended.seqs.items():
                    self.rows_committed[room] = self.rows_committed.get(room, 0) + last - first + 1
                results = iter(appended.versions)
                for write in batch:
                    if write.version is None:
                        continue
                    result = next(results)
                    if write.version_result is not None and not write.version_result.done():
                        write.version_result.set_result(result)
                return
            except WriteRejected:
                self.failures += 1
                if self._metrics is not None:
                    self._metrics.commit_refusals.inc()
                self.committing_since = None  # refused, not waiting: the database answers
                raise
            except Exception as error:
                fresh = False  # its COMMIT may have landed with the reply lost
                self._failed(error, len(rows), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _failed(self, error: Exception, count: int, delay: float) -> None:
        """Count and log a commit to retry: an outage on one line (what the database said),
        anything else with its traceback."""
        self.failures += 1
        if self.failing_since is None:
            self.failing_since = self.committing_since
        self.committing_since = None
        if self._metrics is not None:
            self._metrics.commit_retries.inc()
        if isinstance(error, StoreUnavailable):
            self.last_error = type(error.__cause__ or error).__name__
            log.warning(
                "commit of %d updates failed (%s); retrying in %.2fs", count, error.cause, delay
            )
            return
        self.last_error = type(error).__name__
        log.exception("commit of %d updates failed; retrying in %.2fs", count, delay)

    def _expect_seqs(self, batch: list[PendingWrite]) -> None:
        """Where a version's room log must stand before its batch: where it stood when the
        state was taken, plus this writer's own rows of the room committed since (they were
        queued before the version, so its state holds them). Any other row means a process
        committed one the state lacks."""
        for write in batch:
            if write.basis is not None and write.version is not None:
                position, count = write.basis
                since = self.rows_committed.get(write.room, 0) - count
                write.version = replace(write.version, expect_seq=position + since)

    def _observe(self, rows: list[NewUpdate | NewVersion], appended: Appended) -> None:
        for observer in self.observers:
            try:
                observer(rows, appended)
            except Exception:
                log.exception("commit observer failed")


# Updates up to this size are merged with their neighbours into one log row; larger ones are
# stored as they came (merging copies them, on the event loop).
MERGE_MAX_BYTES = 65536


def merged_rows(items: list[NewUpdate | NewVersion]) -> list[NewUpdate | NewVersion]:
    """The rows a batch stores: each run of small updates to one room by one author becomes
    one update (yrs merges them; the document they make is the same), so a busy room costs a
    row per batch instead of a row per keystroke. Versions and large updates keep their place
    and break runs, so the log's order is the order the room applied them in."""
    return [row for row, _ in _rows(items)]


def _store_rows(batch: list[PendingWrite]) -> list[NewUpdate | NewVersion]:
    """The rows of a batch, each write told which merged row holds it (`row`, `in_earlier_row`)."""
    stores = [(write, item) for write in batch if (item := write.item()) is not None]
    for write in batch:
        write.row, write.in_earlier_row = None, False
    stored = _rows([item for _, item in stores])
    for row, members in stored:
        if len(members) > 1 and isinstance(row, NewUpdate):
            stores[members[0]][0].row = row.data
            for member in members[1:]:
                stores[member][0].in_earlier_row = True
    return [row for row, _ in stored]


def _rows(items: list[NewUpdate | NewVersion]) -> list[tuple[NewUpdate | NewVersion, list[int]]]:
    """Each row with the indexes of the items it holds."""
    rows: list[tuple[NewUpdate | NewVersion, list[int]]] = []
    run: list[tuple[int, NewUpdate]] = []

    def flush() -> None:
        data = crdt.merged([update.data for _, update in run]) if len(run) > 1 else None
        if data is not None:
            first = run[0][1]
            merged = NewUpdate(first.room, data, first.author, first.epoch, first.session)
            rows.append((merged, [i for i, _ in run]))
        else:
            rows.extend((update, [i]) for i, update in run)
        run.clear()

    for index, item in enumerate(items):
        if isinstance(item, NewUpdate) and len(item.data) <= MERGE_MAX_BYTES:
            if run and not _same_row(run[0][1], item):
                flush()
            run.append((index, item))
        else:
            flush()
            rows.append((item, [index]))
    flush()
    return rows


def _same_row(first: NewUpdate, item: NewUpdate | NewVersion) -> bool:
    if isinstance(first, SeparateUpdate) or isinstance(item, SeparateUpdate):
        return False
    key = (first.room, first.author, first.session)
    return isinstance(item, NewUpdate) and (item.room, item.author, item.session) == key


def _reject(write: PendingWrite, error: WriteRejected) -> None:
    if isinstance(error, LeaseLost | VersionBehind):
        log.info("room %s: %s", write.room, error.detail)
    else:
        log.error("room %s: the database refused a write: %s", write.room, error.__cause__ or error)
    write.rejected = error
    write.data = None
    if write.version_result is not None and not write.version_result.done():
        write.version_result.set_exception(error)


def _notify(batch: list[PendingWrite]) -> None:
    key: Callable[[PendingWrite], int] = lambda w: id(w.listener)  # noqa: E731
    for _, group in groupby(batch, key=key):
        writes = list(group)
        try:
            writes[0].listener.on_committed(writes)
        except Exception:
            log.exception("commit listener of room %s failed", writes[0].room)


def _observe_commit(
    metrics: Metrics,
    started: float,
    batch: list[PendingWrite],
    rows: list[NewUpdate | NewVersion],
    results: list[VersionResult],
) -> None:
    """Time the commit; count the versions it recorded (not those the latest one already
    held: the store answers with that one, created=False)."""
    metrics.commit_seconds.observe(time.monotonic() - started)
    metrics.commit_batch.observe(len(batch))
    versions = [row for row in rows if isinstance(row, NewVersion)]
    for row, result in zip(versions, results, strict=False):
        if result.created:
            metrics.versions.labels(row.kind).inc()


def _observe_acks(metrics: Metrics, batch: list[PendingWrite]) -> None:
    """Time from queueing to the commit's notification, for each write a peer made."""
    now = time.monotonic()
    observe = metrics.ack_seconds.observe
    for write in batch:
        if write.peer is not None and write.rejected is None:
            observe(now - write.queued_at)
