"""Presence across the processes of a cluster (docs/protocol.md, "Awareness across processes").

Each room's own presence changes (entries its connections made, removals when they left) go
out on the room's bus channel, coalesced: at most one message per room per `coalesce` seconds,
holding the latest entry per client id, encoded once. Entries from other processes go into the
room's Presence under their node (rooms/presence.py: the same ownership, clock and cap rules)
and to the room's peers here; they are never published again, so nothing loops.

A process that loads a room asks the others (PresenceQuery); each answers with its own entries
for the room, at most once per `answer_gap` seconds per room however many ask. A process that
stops says Bye, and the others drop its entries at once. One that dies says nothing: every
process renews a liveness mark on the bus (`node_ttl`), and the others drop the entries of a
node whose mark was missing at two checks running, but never in the first `node_ttl` after they
(re)connected to the bus themselves (a Redis restart loses every mark until its owner renews
it). Entries not renewed for `timeout` seconds expire, as y-protocols clients expire them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from collab.config import Settings, from_setting, view_of
from collab.errors import MalformedMessage
from collab.protocol.awareness import (
    MAX_ENTRIES_PER_UPDATE,
    AwarenessEntry,
    decode_awareness,
    encode_awareness_entries,
)
from collab.pubsub import wire
from collab.pubsub.base import Bus
from collab.rooms.room import Room

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PresenceTimings:
    """Seconds: liveness mark lifetime (renewed every third of it), between liveness checks,
    before an unrenewed entry expires, between a room's messages, and between its answers."""

    node_ttl: float = from_setting("presence_node_ttl")
    check_interval: float = from_setting("presence_check_interval")
    timeout: float = from_setting("presence_timeout")
    coalesce: float = 0.05
    answer_gap: float = 0.1

    @classmethod
    def from_settings(cls, settings: Settings) -> PresenceTimings:
        """The timings `settings` configures."""
        return view_of(cls, settings)


class NodeLiveness:
    """Which other nodes count as dead: those whose mark was missing at two checks running,
    never within one TTL after this process (re)connected to the bus, nor while it cannot
    tell."""

    def __init__(self, ttl: float, now: float) -> None:
        self._ttl = ttl
        self._quiet_until = now + ttl  # the process just connected
        self._missing: dict[str, int] = {}
        self._blind = False

    def reconnected(self, now: float) -> None:
        """This process (re)connected: marks may be missing until their owners renew them."""
        self._quiet_until = now + self._ttl
        self._missing.clear()

    def forget(self, node: str) -> None:
        """The node is gone (it said Bye)."""
        self._missing.pop(node, None)

    def verdict(self, nodes: set[str], alive: set[str] | None, now: float) -> set[str]:
        """The dead among `nodes`, given which of them are marked `alive` (None: unknown)."""
        if alive is None:
            self._blind = True
            return set()
        if self._blind:  # the bus answers again: as good as a reconnect
            self._blind = False
            self.reconnected(now)
        if now < self._quiet_until:
            return set()
        self._missing = {n: self._missing.get(n, 0) + 1 for n in nodes if n not in alive}
        dead = {node for node, count in self._missing.items() if count >= 2}
        for node in dead:
            del self._missing[node]
        return dead


@dataclass(slots=True)
class _Outbox:
    """A room's presence waiting to go out: the latest entry per client id, or everything."""

    pending: dict[int, AwarenessEntry] = field(default_factory=dict)
    everything: bool = False
    answered: float = -math.inf
    timer: asyncio.TimerHandle | None = None


class PresenceRelay:
    """This process's presence to the others and theirs to it, for the live rooms in `rooms`."""

    def __init__(
        self, bus: Bus, node_id: str, rooms: Mapping[str, Room], timings: PresenceTimings
    ) -> None:
        self._bus = bus
        self._node_id = node_id
        self._rooms = rooms
        self.timings = timings
        self._outboxes: dict[str, _Outbox] = {}
        self.liveness = NodeLiveness(timings.node_ttl, time.monotonic())
        self._closed = False
        self.nodes_dead = 0  # nodes whose presence was dropped for a lapsed mark
        self.expired = 0  # entries dropped for not being renewed

    def status(self) -> dict[str, int]:
        """For /healthz: other processes' entries held here, and how many went unrenewed."""
        remote = sum(room.presence.remote_count() for room in self._rooms.values())
        return {"remote_entries": remote, "nodes_dead": self.nodes_dead, "expired": self.expired}

    # -- this process's presence -----------------------------------------------------------

    def loaded(self, room: Room) -> None:
        """Ask the others for the room's presence (its changes reach `changed` through the
        room's listener, rooms/wiring.py)."""
        self._bus.publish(room.name, wire.encode(wire.PresenceQuery(room.name, self._node_id)))

    def unloaded(self, room: Room) -> None:
        """The room left memory. Usually its last peer left and that removal went out; when it
        was dropped with peers still here (a refused write), their entries go now, as
        removals, since the room no longer tells anyone when they leave."""
        box = self._outboxes.pop(room.name, None) or _Outbox()
        if box.timer is not None:
            box.timer.cancel()
        for entry, _ in room.presence.local_states():
            box.pending[entry.client_id] = AwarenessEntry(entry.client_id, entry.clock, "null")
        self._publish(room.name, [(entry, None) for entry in box.pending.values() if entry.removed])

    def changed(self, room: Room, entries: list[AwarenessEntry]) -> None:
        """Entries of the room's own connections were accepted or removed: send them soon."""
        box = self._outbox(room.name)
        for entry in entries:
            box.pending[entry.client_id] = entry
        self._schedule(room.name, box, self.timings.coalesce)

    def asked(self, name: str) -> None:
        """Another process asked for the room's presence: send every entry held here."""
        if name in self._rooms:
            box = self._outbox(name)
            box.everything = True
            self._schedule(name, box, 0.0)

    def reconnected(self) -> None:
        """The bus reconnected (what was published meanwhile is lost): send every room's
        presence again and ask for the others'."""
        self.liveness.reconnected(time.monotonic())
        for name in list(self._rooms):
            self.asked(name)
            self._bus.publish(name, wire.encode(wire.PresenceQuery(name, self._node_id)))

    def _outbox(self, name: str) -> _Outbox:
        box = self._outboxes.get(name)
        if box is None:
            box = self._outboxes[name] = _Outbox()
        return box

    def _schedule(self, name: str, box: _Outbox, delay: float) -> None:
        if box.timer is None and not self._closed:
            box.timer = asyncio.get_running_loop().call_later(delay, self._flush, name)

    def _flush(self, name: str) -> None:
        box, room = self._outboxes.get(name), self._rooms.get(name)
        if box is None or room is None:
            self._outboxes.pop(name, None)
            return
        box.timer = None
        now = time.monotonic()
        if box.everything and now < box.answered + self.timings.answer_gap:
            self._schedule(name, box, box.answered + self.timings.answer_gap - now)
            return
        outgoing = _outgoing(room, box)
        box.pending.clear()
        if box.everything:
            box.everything, box.answered = False, now
        self._publish(name, outgoing)

    def _publish(self, name: str, outgoing: list[tuple[AwarenessEntry, str | None]]) -> None:
        """As few messages as the receivers' decoder allows (MAX_ENTRIES_PER_UPDATE each)."""
        for start in range(0, len(outgoing), MAX_ENTRIES_PER_UPDATE):
            chunk = outgoing[start : start + MAX_ENTRIES_PER_UPDATE]
            payload = encode_awareness_entries([entry for entry, _ in chunk])
            message = wire.Presence(name, self._node_id, payload, tuple(p for _, p in chunk))
            self._bus.publish(name, wire.encode(message))

    # -- the other processes' presence -----------------------------------------------------

    def received(self, message: wire.Presence) -> None:
        """Apply another process's entries to the room (if live here) and send the news to
        its peers. MalformedMessage if the payload does not decode."""
        room = self._rooms.get(message.room)
        if room is None:
            return
        # Their states were checked where they were made; only the framing is checked here.
        entries = decode_awareness(message.payload, check_json=False)
        if len(entries) != len(message.principals):
            raise MalformedMessage("presence entries and their principals do not match")
        pairs = list(zip(entries, message.principals, strict=True))
        _send(room, room.presence.apply_remote(message.node, pairs, time.monotonic()))

    def node_left(self, node: str) -> None:
        """The node said Bye, or was found dead: drop its entries everywhere, now."""
        self.liveness.forget(node)
        for room in list(self._rooms.values()):
            _send(room, room.presence.remove_node(node))

    async def check(self) -> None:
        """Expire unrenewed entries, then drop those of nodes found dead."""
        now = time.monotonic()
        for room in list(self._rooms.values()):
            removals = room.presence.expire(now - self.timings.timeout)
            self.expired += len(removals)
            _send(room, removals)
        nodes = set().union(*(room.presence.remote_nodes() for room in self._rooms.values()))
        alive = await self._bus.alive(nodes)
        for node in self.liveness.verdict(nodes, alive, time.monotonic()):
            log.warning("node %s stopped renewing its liveness mark; dropping its presence", node)
            self.nodes_dead += 1
            self.node_left(node)

    # -- tasks (owned by the cluster) ------------------------------------------------------

    async def heartbeats(self) -> None:
        """Renew this process's liveness mark, every third of its lifetime."""
        while True:
            await self._bus.heartbeat(self._node_id, self.timings.node_ttl)
            await asyncio.sleep(self.timings.node_ttl / 3)

    async def checks(self) -> None:
        """Run `check` every `check_interval` seconds."""
        while True:
            await asyncio.sleep(self.timings.check_interval)
            try:
                await self.check()
            except Exception:
                log.exception("checking other nodes' presence failed")

    def close(self) -> None:
        """Stop every pending send (the Bye this process sends covers them)."""
        self._closed = True
        for box in self._outboxes.values():
            if box.timer is not None:
                box.timer.cancel()
        self._outboxes.clear()


def _outgoing(room: Room, box: _Outbox) -> list[tuple[AwarenessEntry, str | None]]:
    """What the room sends: removals as they were, other entries as they are now (if still
    held here: a reconnect elsewhere may have taken one over), each with its person."""
    chosen: dict[int, tuple[AwarenessEntry, str | None]] = {}
    if box.everything:
        chosen = {entry.client_id: (entry, p) for entry, p in room.presence.local_states()}
    for client_id, entry in box.pending.items():
        if entry.removed:
            chosen[client_id] = (entry, None)
        elif (held := room.presence.local_state(client_id)) is not None:
            chosen[client_id] = held
    return list(chosen.values())


def _send(room: Room, entries: list[AwarenessEntry]) -> None:
    """Tell the room's peers here, in one message."""
    room.relay_awareness(entries)
