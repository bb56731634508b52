"""This process's part in a cluster: publish its commits, apply the others', repair every loss.

PostgreSQL is the only truth; the bus (pubsub/) is a lossy shortcut. Every committed row has a
per-room sequence number (store/roomlog.py). Each live room tracks which rows its copy holds
(rooms/replica.py): its own commits and what arrives over the bus. A row it lacks is read from
the database when

- a later row arrived and the one before it did not within `gap_wait` (a lost message),
- a message was too large to carry its updates,
- a periodic check of every live room's head (one query for all) finds the room behind twice
  running (a lost last message, which no later row reveals), or
- the bus reconnected (whatever was published meanwhile is lost): every room is checked now.

The same check finds rooms deleted elsewhere whose notice was lost. Updates from the bus are
applied and sent to local peers; they are never queued for commit nor published again, so
nothing loops between processes. Presence travels on the same channels, never stored
(rooms/cluster/remote_presence.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from collab.errors import MalformedMessage, RoomDeleted, StoreUnavailable
from collab.pubsub import wire
from collab.pubsub.base import Bus
from collab.rooms.cluster.remote_presence import PresenceRelay, PresenceTimings
from collab.rooms.room import Room
from collab.store.base import Appended, NewUpdate, NewVersion, RoomHead, Store

log = logging.getLogger(__name__)

# Messages kept for a room while it loads; past this, the load is followed by a catch-up.
_BUFFER_MAX = 1000


class Cluster:
    """Fan-out and repair between the processes sharing one database."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        *,
        node_id: str,
        check_interval: float | None = 1.0,
        gap_wait: float = 0.15,
        max_inline_bytes: int = 262_144,
        presence: PresenceTimings | None = None,
    ) -> None:
        self.bus = bus
        self.node_id = node_id
        self._store = store
        self._check_interval = check_interval
        self._gap_wait = gap_wait
        self._max_inline = max_inline_bytes
        self.rooms: dict[str, Room] = {}
        # Presence across processes (None: presence stays on this process).
        self.presence = (
            None if presence is None else PresenceRelay(bus, node_id, self.rooms, presence)
        )
        self._loading: dict[str, list[wire.Committed]] = {}
        self._overflowed: set[str] = set()
        self._suspect: dict[str, int] = {}
        self._gap_timers: dict[str, asyncio.TimerHandle] = {}
        # Re-checks the open connections to a room (and of a user) when another process says
        # who may open it changed (set by create_app: AccessWatch.recheck).
        self.on_access_changed: Callable[[str, str | None], Coroutine[Any, Any, object]] | None = (
            None
        )
        self._catching_up: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # Called with a room's name when it was deleted elsewhere (the manager closes it).
        self.on_deleted: Callable[[str], None] = lambda name: None
        self.gaps = 0
        self.catch_ups = 0
        self.decode_errors = 0

    # -- lifetime ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start receiving, and the periodic check when clustered; renew this node's liveness
        mark and check the others' when presence crosses processes."""
        await self.bus.start(self._deliver, self._reconnected)
        if self._check_interval is not None:
            self._spawn(self._check_forever(self._check_interval), "collab cluster check")
        if self.presence is not None:
            self._spawn(self.presence.heartbeats(), "collab presence heartbeat")
            self._spawn(self.presence.checks(), "collab presence check")

    async def close(self) -> None:
        """Stop the check and the bus; tell the others this node is gone."""
        self.bus.publish(None, wire.encode(wire.Bye(self.node_id)))
        if self.presence is not None:
            self.presence.close()
        for handle in self._gap_timers.values():
            handle.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.bus.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def status(self) -> dict[str, object]:
        """For /healthz: this node, the bus, and how often losses were repaired."""
        return {
            "node": self.node_id,
            "clustered": self._check_interval is not None,
            "bus_connected": self.bus.connected,
            "bus_dropped": self.bus.dropped,
            "gaps": self.gaps,
            "catch_ups": self.catch_ups,
            "decode_errors": self.decode_errors,
            "presence": None if self.presence is None else self.presence.status(),
        }

    # -- rooms coming and going (called by the room manager) --------------------------------

    async def loading(self, name: str) -> None:
        """Subscribe before the room is read, keeping what arrives until it is live."""
        self._loading[name] = []
        await self.bus.subscribe(name)

    def loaded(self, room: Room) -> None:
        """The room is live: apply what arrived while it loaded and the read did not hold."""
        self.rooms[room.name] = room
        for message in self._loading.pop(room.name, []):
            self._apply(room, message)
        if self.presence is not None:
            self.presence.loaded(room)
        if room.name in self._overflowed:
            self._overflowed.discard(room.name)
            self._start_catch_up(room)

    def unloaded(self, name: str) -> None:
        """The room left memory (unloaded, deleted, or its load failed): unsubscribe."""
        self._loading.pop(name, None)
        room = self.rooms.pop(name, None)
        if room is not None and self.presence is not None:
            self.presence.unloaded(room)
        self._suspect.pop(name, None)
        if (handle := self._gap_timers.pop(name, None)) is not None:
            handle.cancel()
        self._spawn(self.bus.unsubscribe(name), f"unsubscribe {name}")

    def announce(self, name: str, event: dict[str, Any]) -> None:
        """Send an EVENT to the room's clients on the other processes (those with it loaded
        hear it; the bus keeps nothing, so a process that is away misses it)."""
        message = wire.RoomEvent(name, self.node_id, json.dumps(event, ensure_ascii=False))
        self.bus.publish(name, wire.encode(message))

    def access_changed(self, name: str, user: str | None) -> None:
        """Who may open the room changed here: the others re-check their connections to it now
        (not at their next periodic re-check)."""
        self.bus.publish(name, wire.encode(wire.AccessChanged(name, self.node_id, user)))

    def deleted(self, name: str, tombstone: RoomHead) -> None:
        """This process deleted the room: the others close their copies."""
        self.bus.publish(name, wire.encode(wire.Deleted(name, tombstone.epoch, self.node_id)))

    # -- commits of this process (a writer observer) ----------------------------------------

    def committed(self, rows: list[NewUpdate | NewVersion], appended: Appended) -> None:
        """Mark this process's new rows held, and publish them."""
        per_room: dict[str, list[NewUpdate]] = {}
        for row in rows:  # one pass: a batch can hold hundreds of rooms
            if isinstance(row, NewUpdate):
                per_room.setdefault(row.room, []).append(row)
        for name, (first, last) in appended.seqs.items():
            updates = per_room.get(name, [])
            room = self.rooms.get(name)
            if room is not None:
                room.position.add(first, last)
            epoch = updates[0].epoch if updates and updates[0].epoch is not None else 0
            data = tuple(row.data for row in updates)
            if sum(len(d) for d in data) > self._max_inline:
                data = ()  # too large to carry: the others read it from the database
            message = wire.Committed(name, epoch, first, last, self.node_id, data)
            self.bus.publish(name, wire.encode(message))

    # -- what arrives over the bus ----------------------------------------------------------

    def _deliver(self, channel: str | None, payload: bytes) -> None:
        try:
            self._dispatch(wire.decode(payload))
        except MalformedMessage as error:
            self.decode_errors += 1
            log.warning("a bus message on %s was dropped: %s", channel or "the cluster", error)

    def _dispatch(self, message: wire.BusMessage) -> None:
        if message.node == self.node_id:
            return  # this node's own, back from the bus
        match message:
            case wire.Committed():
                self._on_committed(message)
            case wire.Deleted():
                self._on_deleted(message)
            case wire.Presence() if self.presence is not None:
                self.presence.received(message)
            case wire.PresenceQuery() if self.presence is not None:
                self.presence.asked(message.room)
            case wire.Bye() if self.presence is not None:
                self.presence.node_left(message.node)
            case wire.RoomEvent():
                self._on_event(message)
            case wire.AccessChanged():
                self._on_access_changed(message)

    def _on_access_changed(self, message: wire.AccessChanged) -> None:
        recheck = self.on_access_changed
        if recheck is not None and message.room in self.rooms:
            self._spawn(recheck(message.room, message.user), f"access re-check {message.room}")

    def _on_event(self, message: wire.RoomEvent) -> None:
        room = self.rooms.get(message.room)
        if room is None:
            return
        try:
            event = json.loads(message.event)
        except ValueError:
            self.decode_errors += 1
            return
        if isinstance(event, dict):
            room.announce(event)

    def _on_committed(self, message: wire.Committed) -> None:
        buffered = self._loading.get(message.room)
        if buffered is not None:
            if len(buffered) < _BUFFER_MAX:
                buffered.append(message)
            else:
                self._overflowed.add(message.room)
            return
        room = self.rooms.get(message.room)
        if room is not None:
            self._apply(room, message)

    def _apply(self, room: Room, message: wire.Committed) -> None:
        if room.epoch is not None and message.epoch != room.epoch:
            if message.epoch > room.epoch:
                self._start_catch_up(room)  # deleted and created again: the check closes it
            return
        if room.position.holds(message.last):
            return
        if not message.updates:
            self._start_catch_up(room)
            return
        room.apply_committed_elsewhere(list(message.updates))
        room.position.add(message.first, message.last)
        if room.position.has_gap and room.name not in self._gap_timers:
            loop = asyncio.get_running_loop()
            self._gap_timers[room.name] = loop.call_later(self._gap_wait, self._gap_due, room)

    def _gap_due(self, room: Room) -> None:
        self._gap_timers.pop(room.name, None)
        if room.position.has_gap and self.rooms.get(room.name) is room:
            self.gaps += 1
            self._start_catch_up(room)

    def _on_deleted(self, message: wire.Deleted) -> None:
        room = self.rooms.get(message.room)
        if room is not None and (room.epoch is None or room.epoch < message.epoch):
            self.on_deleted(message.room)

    def _reconnected(self) -> None:
        self._spawn(self.check(everything=True), "collab cluster check after reconnect")
        if self.presence is not None:
            self.presence.reconnected()

    # -- repair from the database -----------------------------------------------------------

    def _start_catch_up(self, room: Room) -> None:
        if room.name not in self._catching_up:
            task = self._spawn(self._catch_up_quietly(room), f"catch up {room.name}")
            self._catching_up[room.name] = task
            task.add_done_callback(lambda _: self._catching_up.pop(room.name, None))

    async def _catch_up_quietly(self, room: Room) -> None:
        """`catch_up` in the background: a failure is logged, and the next check or gap
        tries again."""
        try:
            await self.catch_up(room)
        except RoomDeleted:
            pass
        except StoreUnavailable as error:
            log.warning("room %s: the rows it lacks could not be read (%s)", room.name, error.cause)
        except Exception:
            log.exception("room %s: reading the rows this process lacks failed", room.name)

    async def catch_up(self, room: Room) -> None:
        """Read and apply now what the database holds of the room beyond this copy (rows
        another process, or an offline tool, committed and the bus has not brought), as before
        a version is taken of it. RoomDeleted if the room was deleted meanwhile (it is closed
        here); a failed read raises (StoreUnavailable)."""
        found = await self._store.read_since(room.name, room.position.hwm)
        if self.rooms.get(room.name) is not room:
            return
        if _gone(room, found.head):
            self.on_deleted(room.name)
            raise RoomDeleted(f"room {room.name!r} was deleted")
        self.catch_ups += 1
        room.apply_committed_elsewhere(found.log, state=found.state)
        room.position.add(1, found.head.seq)

    async def check(self, *, everything: bool = False) -> None:
        """Compare every live room with its head in the database (one query): catch up rooms
        behind since the last check (all of them, with `everything`), close deleted ones."""
        names = list(self.rooms)
        if not names:
            return
        heads = await self._store.room_heads(names)
        for name in names:
            room = self.rooms.get(name)
            if room is None:
                continue
            head = heads.get(name)
            if head is None or _gone(room, head):
                self.on_deleted(name)
                continue
            if room.position.holds(head.seq):
                self._suspect.pop(name, None)
                continue
            seen = self._suspect.get(name)
            if everything or (seen is not None and not room.position.holds(seen)):
                self._start_catch_up(room)
            self._suspect[name] = head.seq

    async def _check_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval if self.bus.connected else interval / 4)
            try:
                await self.check(everything=not self.bus.connected)
            except StoreUnavailable as error:
                log.warning("checking live rooms against the database failed (%s)", error.cause)
            except Exception:
                log.exception("checking live rooms against the database failed")


def _gone(room: Room, head: RoomHead) -> bool:
    """The room this copy was loaded from was deleted (and maybe created again since)."""
    return head.deleted or (room.epoch is not None and head.epoch != room.epoch)
