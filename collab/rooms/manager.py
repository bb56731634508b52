"""Load rooms once, keep them while held, unload them after a grace period once flushed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from collab.config import Settings
from collab.errors import (
    DocumentQuarantined,
    Overloaded,
    RoomDeleted,
    RoomNotFound,
    RoomTrashed,
    StoreUnavailable,
)
from collab.hooks import HookRunner
from collab.metrics import Metrics
from collab.rooms.cluster.replication import Cluster
from collab.rooms.events import Event
from collab.rooms.hooked import awareness_filter, create_initial_content
from collab.rooms.quarantine import load_room
from collab.rooms.room import LogSize, Room, RoomLimits
from collab.rooms.upkeep.autoversions import VersionPolicy
from collab.rooms.upkeep.leases import MAINTENANCE
from collab.rooms.upkeep.work import RoomUpkeep, UpkeepPolicy
from collab.rooms.wiring import RoomWiring
from collab.rooms.writer import UpdateWriter
from collab.store.base import Lease, RetentionPolicy, RevertHold, Store

log = logging.getLogger(__name__)


class RoomManager:
    """The live rooms of this process. `acquire` and `release` bracket every use of a room;
    their compaction and automatic versions are `upkeep`'s (on one process of a cluster)."""

    def __init__(
        self,
        store: Store,
        writer: UpdateWriter,
        *,
        unload_grace: float,
        compact_max_updates: int,
        compact_max_bytes: int,
        versions: VersionPolicy | None = None,
        retention: RetentionPolicy | None = None,
        limits: RoomLimits | None = None,
        max_rooms: int = 5000,
        cluster: Cluster | None = None,
        lease: Lease | None = None,
        lease_seconds: float = 30.0,
        lease_renew_seconds: float = 10.0,
        revert_hold: RevertHold | None = None,
        stop_compact_seconds: float = 0.0,
        hooks: HookRunner | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        # The host's hooks (initial content, awareness filter).
        self.hooks = hooks or HookRunner()
        self._metrics = metrics
        # This process's part in a cluster (its default, on an in-process bus, has no peers).
        self.cluster = cluster
        if cluster is not None:
            cluster.on_deleted = self._deleted_elsewhere
        self._writer = writer
        self._grace = unload_grace
        self._limits = limits or RoomLimits.from_settings(Settings())
        self._max_rooms = max_rooms
        self.rooms: dict[str, Room] = {}
        self._loading: dict[str, asyncio.Task[Room]] = {}
        self._unloads: dict[str, asyncio.TimerHandle] = {}
        self._deleting: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.loads = 0
        # Awareness entries dropped by rooms since unloaded (for /metrics: live rooms add theirs).
        self.awareness_dropped_unloaded = 0
        policy = UpkeepPolicy(
            compact_max_updates,
            compact_max_bytes,
            versions or VersionPolicy(),
            retention or RetentionPolicy(),
            lease_seconds,
            lease_renew_seconds,
            revert_hold,
            stop_compact_seconds,
        )
        self.upkeep = RoomUpkeep(
            store,
            self.rooms,
            self.spawn,
            policy,
            lease or Lease(MAINTENANCE, uuid.uuid4().hex),
            deleting=self._deleting,
            clustered=cluster is not None,
            catch_up=cluster.catch_up if cluster is not None else None,
        )
        # What every room loaded here tells the rest of the process (rooms/listener.py).
        self._wiring = RoomWiring(self.upkeep, cluster, self._drop_rejected)

    def announce(self, name: str, event: Event) -> None:
        """Send an EVENT to the room's clients that asked for events: those of this process
        now, and those of the other processes of a cluster that have it loaded."""
        room = self.rooms.get(name)
        if room is not None:
            room.announce(event)
        if self.cluster is not None:
            self.cluster.announce(name, event)

    def access_changed(self, name: str, user_id: str | None = None) -> None:
        """Who may open the room changed (this process re-checked its own connections): the
        other processes of a cluster re-check theirs now."""
        if self.cluster is not None:
            self.cluster.access_changed(name, user_id)

    async def acquire(self, name: str, *, create: bool = True) -> Room:
        """The live room `name`, loading it first if needed (one load however many callers).
        With `create` False (viewers), a room that does not exist is RoomNotFound."""
        self._refuse_if_deleting(name)
        room = self.rooms.get(name)
        if room is None:
            if not create and name not in self._loading:
                await self._require_stored(name)
            room = await self._load_once(name)
        self._refuse_if_deleting(name)
        room.ensure_open()
        room.holders += 1
        self._cancel_unload(name)
        return room

    async def _load_once(self, name: str) -> Room:
        task = self._loading.get(name)
        if task is None:
            await self._make_room_for_one_more()
            # Another caller may have started, or finished, this load while we waited.
            if (room := self.rooms.get(name)) is not None:
                return room
            task = self._loading.get(name)
            if task is None:
                self._refuse_if_deleting(name)
                task = asyncio.create_task(self._timed_load(name), name=f"load {name}")
                self._loading[name] = task
        return await asyncio.shield(task)

    async def _require_stored(self, name: str) -> None:
        if await self._store.room_info(name) is None:
            raise RoomNotFound(f"room {name!r} does not exist, and viewers cannot create it")

    def _refuse_if_deleting(self, name: str) -> None:
        if name in self._deleting:
            raise RoomDeleted(f"room {name!r} is being deleted")

    @contextlib.asynccontextmanager
    async def deleting(self, name: str) -> AsyncIterator[Room | None]:
        """Hold `name` while it is deleted: nobody may load it meanwhile. Waits for a load or a
        compaction in flight, then yields the live room (if any) for the caller to close."""
        if name in self._deleting:
            raise RoomDeleted(f"room {name!r} is being deleted")
        self._deleting.add(name)
        try:
            pending = [t for t in (self._loading.get(name), self.upkeep.compaction(name)) if t]
            if pending:
                await asyncio.wait(pending)
            yield self.rooms.get(name)
        finally:
            self._deleting.discard(name)

    def release(self, room: Room) -> None:
        """Drop one hold; the last one schedules the unload."""
        room.holders -= 1
        room.released_at = time.monotonic()
        if room.holders == 0 and self.rooms.get(room.name) is room:
            loop = asyncio.get_running_loop()
            self._unloads[room.name] = loop.call_later(self._grace, self._start_unload, room)

    async def _timed_load(self, name: str) -> Room:
        """`_load`, counted and timed by result."""
        metrics = self._metrics
        if metrics is None:
            return await self._load(name)
        started = time.monotonic()
        try:
            room = await self._load(name)
        except DocumentQuarantined:
            metrics.quarantined_load.inc()
            raise
        except BaseException:
            metrics.failed_load.inc()
            raise
        metrics.ok_load.inc()
        metrics.room_load_seconds.observe(time.monotonic() - started)
        return room

    async def _load(self, name: str) -> Room:
        """Subscribe to the room's bus channel, then read it (so nothing committed elsewhere
        in between is missed), then make it live."""
        self.loads += 1
        try:
            if self.cluster is not None:
                await self.cluster.loading(name)
            room = await self._build(name)
            self.rooms[name] = room
        except BaseException:
            if self.cluster is not None:
                self.cluster.unloaded(name)
            raise
        finally:
            self._loading.pop(name, None)
        if self.cluster is not None:
            self.cluster.loaded(room)
        self.upkeep.maybe_compact(room)
        return room

    async def _build(self, name: str) -> Room:
        """Read and check the room from storage. Data that could crash yrs quarantines the room
        (DocumentQuarantined), one in the trash is not loaded (RoomTrashed); any other failure
        becomes StoreUnavailable, never an empty doc."""
        try:
            loaded = await load_room(self._store, name, self._limits.max_nesting_depth)
        except (DocumentQuarantined, StoreUnavailable, RoomTrashed):
            raise
        except Exception:
            log.exception("loading room %s failed", name)
            raise StoreUnavailable(f"room {name!r} could not be loaded; retry later") from None
        stored, doc = loaded.stored, loaded.doc
        room = Room(
            name,
            doc,
            self._writer,
            LogSize(len(stored.log), stored.log_bytes, len(stored.state or b"")),
            self._limits,
            loaded.nesting,
            listener=self._wiring,
            awareness_filter=awareness_filter(self.hooks, name),
            epoch=stored.epoch,
            seq=stored.seq,
        )
        self.upkeep.attach(room)
        if stored.state is None and not stored.log and self.hooks.overrides("on_create_document"):
            await create_initial_content(room, self.hooks, self._store, stored.seq)
        return room

    async def record_auto_version(self, room: Room) -> None:
        """Record an automatic version of `room` (if this process does its versions)."""
        await self.upkeep.record_auto_version(room)

    async def record_dirty_versions(self) -> None:
        """Record a version of every room edited since its last one (used at shutdown)."""
        dirty = [room for room in self.rooms.values() if self.upkeep.dirty(room)]
        await asyncio.gather(*(self.record_auto_version(room) for room in dirty))

    async def _make_room_for_one_more(self) -> None:
        """At the room limit, unload idle rooms (least recently released first) or refuse."""
        if len(self.rooms) + len(self._loading) < self._max_rooms:
            return
        idle = sorted(
            (r for r in self.rooms.values() if r.holders == 0), key=lambda r: r.released_at
        )
        if not idle:
            raise Overloaded(f"this server has {self._max_rooms} documents open; retry later")
        victim = idle[0]
        self._cancel_unload(victim.name)
        await self._unload(victim)
        if len(self.rooms) + len(self._loading) >= self._max_rooms:
            raise Overloaded(f"this server has {self._max_rooms} documents open; retry later")

    def _drop_rejected(self, room: Room) -> None:
        """A room whose write the database refused holds what storage does not: once its other
        writes are committed, drop it, so the next connection loads what is stored."""

        async def drop() -> None:
            await room.wait_flushed()
            self.forget(room)

        self.spawn(drop(), f"drop {room.name}")

    def forget(self, room: Room) -> None:
        """Drop a room from the live set now (it was deleted, or a write of it refused)."""
        self._cancel_unload(room.name)
        if self.rooms.get(room.name) is room:
            self._remove(room)

    def _remove(self, room: Room) -> None:
        del self.rooms[room.name]
        self.awareness_dropped_unloaded += room.awareness_dropped + room.presence.dropped
        self.upkeep.detach(room)
        room.dispose()
        if self.cluster is not None:
            self.cluster.unloaded(room.name)

    async def catch_up(self, room: Room) -> None:
        """Apply what other processes committed to the room that this copy lacks (before a
        version is taken of it): Cluster.catch_up."""
        if self.cluster is not None:
            await self.cluster.catch_up(room)

    def _deleted_elsewhere(self, name: str) -> None:
        """Another process deleted the room: close its clients here and drop it."""
        room = self.rooms.get(name)
        if room is not None:
            log.info("room %s was deleted on another process", name)
            room.close(RoomDeleted(f"room {name!r} was deleted"))
            self.forget(room)

    def _cancel_unload(self, name: str) -> None:
        handle = self._unloads.pop(name, None)
        if handle is not None:
            handle.cancel()

    def _start_unload(self, room: Room) -> None:
        self._unloads.pop(room.name, None)
        self.spawn(self._unload(room), f"unload {room.name}")

    async def _unload(self, room: Room) -> None:
        if self.upkeep.dirty(room):
            await self.record_auto_version(room)
        await room.wait_flushed()
        if room.holders == 0 and self.rooms.get(room.name) is room and room.flushed:
            self._remove(room)
            log.debug("room %s unloaded", room.name)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a background task owned by the manager (cancelled by `close`)."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Cancel timers and background tasks; the writer flushes separately (before this, in
        `collab serve`: so the logs the stop compacts are complete)."""
        for handle in self._unloads.values():
            handle.cancel()
        self._unloads.clear()
        try:
            await self.upkeep.compact_at_stop()
        except Exception:
            log.exception("compacting the rooms at stop failed; their logs are as they were")
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            async with asyncio.timeout(5):
                await self.upkeep.close()
        except Exception:
            log.warning("room leases could not be released; they expire on their own")
