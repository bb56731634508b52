"""Once-per-room work of the live rooms: compaction, automatic versions and their thinning.

Several processes may hold one room live; this work runs only on the one holding the room's
lease (rooms/upkeep/leases.py), and its final write is fenced by that lease. Every process tracks
the room's edits all the same, committed here or elsewhere (the room's log position tells of
both), so whichever process the lease comes to does what fell due. Alone on its database a
process always gets the lease: nothing changes for it but a few statements.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Container, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collab.errors import CollabError, LeaseLost, VersionBehind
from collab.rooms.room import Room
from collab.rooms.upkeep.autoversions import AutoVersions, VersionPolicy
from collab.rooms.upkeep.leases import RoomLeases
from collab.store.base import Lease, RetentionPolicy, RevertHold, Store, VersionResult

log = logging.getLogger(__name__)

# Attempts at an automatic version that holds every row before it (see _exact_version).
_EXACT_TRIES = 8
# At a graceful stop, a room's log is folded into its state when it holds this many bytes or
# rows (not counting those kept for agent sessions): enough that applying it row by row at the
# next load costs more than the fold (a compacted state loads several times faster than the
# rows it came from); a few rows apply in well under a millisecond.
STOP_COMPACT_BYTES = 64 * 1024
STOP_COMPACT_ROWS = 100

Spawn = Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]]


@dataclass(frozen=True, slots=True)
class UpkeepPolicy:
    """When to compact a room's log, when to record versions and which to keep, and the lease
    that keeps the work on one process (seconds, renewed every `lease_renew_seconds`)."""

    compact_max_updates: int
    compact_max_bytes: int
    versions: VersionPolicy
    retention: RetentionPolicy
    lease_seconds: float = 30.0
    lease_renew_seconds: float = 10.0
    # What compaction keeps for agent sessions to be reverted (None: nothing).
    revert_hold: RevertHold | None = None
    # Seconds a graceful stop may spend compacting the live rooms' logs (0: none).
    stop_compact_seconds: float = 0.0


class RoomUpkeep:
    """Compacts and versions the live rooms this process holds the lease of."""

    def __init__(
        self,
        store: Store,
        rooms: Mapping[str, Room],
        spawn: Spawn,
        policy: UpkeepPolicy,
        lease: Lease,
        *,
        deleting: Container[str] = frozenset(),
        clustered: bool = True,
        catch_up: Callable[[Room], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._rooms = rooms
        self._spawn = spawn
        self._policy = policy
        self._deleting = deleting
        # Whether other processes may commit to the rooms: then a version must hold every row
        # before it, and `catch_up` (Cluster.catch_up) applies what they committed first.
        self._clustered = clustered
        self._catch_up = catch_up
        self.leases = RoomLeases(
            store,
            lease,
            ttl=policy.lease_seconds,
            renew_every=policy.lease_renew_seconds,
            live=rooms.__contains__,
            on_taken=self._lease_taken,
        )
        self._renewing: asyncio.Task[None] | None = None
        self._compacting: dict[str, asyncio.Task[None]] = {}
        # Compactions done by this process (for /metrics).
        self.compactions = 0
        self._versioning: dict[str, asyncio.Task[None]] = {}
        # Each live room's count towards its next automatic version.
        self._auto: dict[str, AutoVersions] = {}

    def attach(self, room: Room) -> None:
        """Track a room being loaded: its commits here, and rows committed elsewhere."""
        self._auto[room.name] = AutoVersions(
            self._policy.versions, lambda: self._versioning_of(room)
        )
        if self._renewing is None:
            self._renewing = self._spawn(self.leases.run(), "collab room leases")

    def detach(self, room: Room) -> None:
        """The room left the live set: stop tracking it and give its lease up. Its version
        timer refers back to the room, and would keep the whole document in memory."""
        versions = self._auto.pop(room.name, None)
        if versions is not None:
            versions.cancel()
        if self.leases.drop(room.name):
            self._spawn(self.leases.give_back([room.name]), f"release {room.name}")

    def compaction(self, name: str) -> asyncio.Task[None] | None:
        """The compaction of the room in flight, if any."""
        return self._compacting.get(name)

    async def close(self) -> None:
        """Give up every lease held (background tasks are the spawner's to cancel)."""
        await self.leases.close()

    def dirty(self, room: Room) -> bool:
        """Whether the room was edited since its last version was started."""
        versions = self._auto.get(room.name)
        return versions is not None and versions.dirty

    def committed(self, room: Room, *, edited: bool) -> None:
        """A batch of the room's writes committed here."""
        if edited and (versions := self._auto.get(room.name)) is not None:
            versions.on_edit()
        self.maybe_compact(room)

    def rows_added(self, room: Room) -> None:
        """Rows of the room were committed, here or on another process."""
        if (versions := self._auto.get(room.name)) is not None:
            versions.on_edit()
        self.maybe_compact(room)

    def versioning(self, room: Room) -> None:
        """A version of the room is being recorded from its current state."""
        if (versions := self._auto.get(room.name)) is not None:
            versions.started()

    def idle(self, room: Room) -> None:
        """The room's last peer left: record a version now if anything changed."""
        if (versions := self._auto.get(room.name)) is not None:
            versions.on_idle()

    def _lease_taken(self, name: str) -> None:
        """This process took over the room's lease: do the work that fell due meanwhile."""
        room = self._rooms.get(name)
        if room is None:
            return
        versions = self._auto.get(name)
        if versions is not None and versions.dirty:
            versions.fire()
        self.maybe_compact(room)

    # -- automatic versions ------------------------------------------------------------------

    async def record_auto_version(self, room: Room) -> None:
        """Record an automatic version of `room` and thin its old ones, if this process holds
        the room's lease; failures are logged. The version holds every update committed to
        the room, on any process, before it. One attempt per room at a time: a call while one
        runs waits for it."""
        await asyncio.shield(self._versioning_of(room))

    def _versioning_of(self, room: Room) -> asyncio.Task[None]:
        """The attempt at recording the room's version, started now unless one runs. (Edits
        that arrive while it takes the lease and catches up would otherwise each start one.)"""
        task = self._versioning.get(room.name)
        if task is None or task.done():
            task = self._spawn(self._record_auto_version(room), f"version {room.name}")
            self._versioning[room.name] = task
            task.add_done_callback(lambda done: self._versioning_done(room.name, done))
        return task

    def _versioning_done(self, name: str, task: asyncio.Task[None]) -> None:
        if self._versioning.get(name) is task:
            del self._versioning[name]

    async def _record_auto_version(self, room: Room) -> None:
        versions = self._auto.get(room.name)
        if versions is None:
            return
        try:
            if not await self.leases.hold(room.name):
                versions.deferred()
                return
            result = await self._exact_version(room, versions)
            if result.created:
                await self._thin(room.name)
        except LeaseLost as error:
            self.leases.lost_lease(room.name)
            if self._auto.get(room.name) is versions:
                versions.on_edit()  # still not in a version recorded here
            log.info("room %s: no auto version (%s)", room.name, error.detail)
        except CollabError as error:
            log.info("room %s: no auto version (%s)", room.name, error.detail)
        except Exception:
            log.exception("room %s: recording an auto version failed", room.name)

    async def _thin(self, name: str) -> None:
        """Apply the retention policy to the room's versions, fenced by this process's lease
        (a process paused past it must not delete what the new holder keeps)."""
        retention = self._policy.retention
        try:
            await self._store.thin_versions(
                name, retention, datetime.now(UTC), lease=self.leases.lease
            )
        except LeaseLost as error:
            self.leases.lost_lease(name)
            log.info("room %s: thinning abandoned (%s)", name, error.detail)

    async def _exact_version(self, room: Room, versions: AutoVersions) -> VersionResult:
        """Catch up, then record a version that must hold every row committed before it (on
        any process); when another process commits in between (VersionBehind), again. Under
        constant typing on several processes that can keep failing: after a few tries the
        version is recorded all the same, its authors possibly one edit ahead of its state."""
        lease = self.leases.lease
        for _ in range(_EXACT_TRIES):
            if self._catch_up is not None:
                await self._catch_up(room)
            versions.cancel()  # the catch-up restarted it; this version holds what it applied
            try:
                return await room.record_version("auto", lease=lease, exact=self._clustered)
            except VersionBehind:
                continue
        log.info("room %s: auto version recorded though rows kept arriving", room.name)
        return await room.record_version("auto", lease=lease)

    # -- compaction --------------------------------------------------------------------------

    def maybe_compact(self, room: Room) -> None:
        """Compact the room's log if it has grown enough (and nobody else does it)."""
        size = room.log_size
        policy = self._policy
        # Rows the last compaction kept for agent sessions to be reverted do not count: the
        # next one is due once as many more are written (else every commit would read the log).
        count, written = size.foldable
        over = count >= policy.compact_max_updates or written >= policy.compact_max_bytes
        # Merging costs the whole state: wait for the log to reach an eighth of it, so the work
        # stays proportional to what was written however large the document grows.
        over = over and size.bytes * 8 >= size.state_bytes
        # Another process holding the lease compacts; this one asks again with the renewal.
        idle = room.name not in self._compacting and not self.leases.waiting(room.name)
        if over and idle and room.name not in self._deleting:
            self._compacting[room.name] = self._spawn(self._compact(room), f"compact {room.name}")

    async def compact_at_stop(self) -> int:
        """At a graceful stop (every commit made): fold the logs of the live rooms that hold at
        least STOP_COMPACT_BYTES or STOP_COMPACT_ROWS uncompacted, largest first, for at most
        `stop_compact_seconds` in all, so that they open quickly at the next start (a load
        then applies one state instead of walking and applying each row). A compaction that
        runs out of time is abandoned (its transaction rolls back; the log is as it was).
        Returns how many rooms were compacted."""
        budget = self._policy.stop_compact_seconds
        due = [room for room in self._rooms.values() if _worth_folding_at_stop(room)]
        if budget <= 0 or not due:
            return 0
        due.sort(key=lambda room: room.log_size.foldable[1], reverse=True)
        started = time.monotonic()
        before = self.compactions
        for room in due:
            left = budget - (time.monotonic() - started)
            if left <= 0 or room.name in self._deleting:
                continue
            try:
                async with asyncio.timeout(left):
                    running = self._compacting.get(room.name)
                    if running is not None:
                        await asyncio.shield(running)
                    if _worth_folding_at_stop(room):
                        await self._compact(room)
            except TimeoutError:
                log.info("room %s: compaction at stop abandoned: out of time", room.name)
        done = self.compactions - before
        if done:
            log.info(
                "compacted %d of %d rooms at stop (%.2f s)",
                done,
                len(due),
                time.monotonic() - started,
            )
        return done

    async def _compact(self, room: Room) -> None:
        try:
            if not await self.leases.hold(room.name):
                return
            done = await self._store.compact(
                room.name,
                lease=self.leases.lease,
                max_depth=room.limits.max_nesting_depth,
                hold=self._policy.revert_hold,
            )
            if done is not None and not done.updates:  # all of it kept for agent sessions
                room.log_size.held, room.log_size.held_bytes = done.held, done.held_bytes
                log.info(
                    "room %s: nothing compacted; kept %d for agent sessions to be reverted",
                    room.name,
                    done.held,
                )
            elif done is not None:
                self.compactions += 1
                # The database's count of what is left, in rows as the room counts them (a
                # commit's run of one author's updates is one); else what the compaction took.
                room.log_size.count = max(0, room.log_size.count - done.updates)
                room.log_size.bytes = max(0, room.log_size.bytes - done.bytes)
                if done.log_count is not None and done.log_bytes is not None:
                    room.log_size.count = done.log_count
                    room.log_size.bytes = done.log_bytes
                room.log_size.state_bytes = done.state_bytes
                room.log_size.held, room.log_size.held_bytes = done.held, done.held_bytes
                log.info(
                    "room %s: compacted %d updates (%d bytes)%s",
                    room.name,
                    done.updates,
                    done.bytes,
                    f"; kept {done.held} for agent sessions to be reverted" if done.held else "",
                )
        except LeaseLost as error:
            self.leases.lost_lease(room.name)
            log.info("room %s: compaction abandoned (%s)", room.name, error.detail)
        except Exception:
            log.exception("compaction of room %s failed; will retry on the next commit", room.name)
        finally:
            self._compacting.pop(room.name, None)


def _worth_folding_at_stop(room: Room) -> bool:
    """Whether the room's uncompacted log is large enough to fold at a graceful stop."""
    count, written = room.log_size.foldable
    return count >= STOP_COMPACT_ROWS or written >= STOP_COMPACT_BYTES
