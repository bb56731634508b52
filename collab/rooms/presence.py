"""A room's awareness states, who owns which client id, caps, and removal on disconnect."""

from __future__ import annotations

import json
from dataclasses import dataclass

from collab.protocol.awareness import AwarenessEntry
from collab.types import clean_name


@dataclass(frozen=True, slots=True)
class PresenceLimits:
    """How many awareness client ids, and bytes of their states, one connection and one room may
    hold. The room's bytes stay far below a send queue, so a newcomer's first presence message
    always fits (past 32 MiB of presence it used to overflow before the newcomer could read)."""

    ids_per_connection: int = 8
    bytes_per_connection: int = 65_536
    ids_per_room: int = 1_000
    bytes_per_room: int = 4_194_304


@dataclass(slots=True)
class _Owner:
    connection_id: int
    principal: str | None


class Presence:
    """Awareness entries of one room, keyed by Yjs client id. An id belongs to the connection
    that introduced it: others cannot change or remove it (docs/protocol.md), except the same
    authenticated person taking over their own id with a newer clock (a reconnect before the
    server noticed the old socket died). Entries past the caps are dropped and counted."""

    def __init__(self, limits: PresenceLimits | None = None) -> None:
        self.limits = limits or PresenceLimits()
        self._entries: dict[int, AwarenessEntry] = {}
        self._owners: dict[int, _Owner] = {}
        self._ids: dict[int, int] = {}  # connection id -> client ids owned
        self._bytes: dict[int, int] = {}  # connection id -> bytes of live states
        self.total_bytes = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)

    def apply(
        self, connection_id: int, entries: list[AwarenessEntry], principal: str | None = None
    ) -> list[AwarenessEntry]:
        """Accept the entries this connection may make; return them."""
        accepted = []
        for entry in entries:
            if self._accept(connection_id, principal, entry):
                accepted.append(entry)
            else:
                self.dropped += 1
        return accepted

    def is_echo(self, connection_id: int, entry: AwarenessEntry) -> bool:
        """An entry this connection did not make and that is not news: another connection's
        client at a clock already known. Stock y-websocket clients send every awareness change
        they receive back to the server, so in a room of n people each change comes back n - 1
        times; these are dropped before their JSON is read and cost no allowance."""
        owner = self._owners.get(entry.client_id)
        if owner is None or owner.connection_id == connection_id:
            return False
        current = self._entries.get(entry.client_id)
        return current is None or entry.clock <= current.clock

    def _accept(self, connection_id: int, principal: str | None, entry: AwarenessEntry) -> bool:
        owner = self._owners.get(entry.client_id)
        current = self._entries.get(entry.client_id)
        if owner is not None and owner.connection_id != connection_id:
            newer = current is None or entry.clock > current.clock
            if principal is None or owner.principal != principal or not newer:
                return False
            self._forget(entry.client_id)  # the same person, reconnected
            owner = current = None
        elif current is not None and entry.clock < current.clock:
            return False
        if owner is None and not self._room_for_id(connection_id):
            return False
        old = len(current.state_json) if current is not None else 0
        new = 0 if entry.removed else len(entry.state_json)
        if new > old and not self._room_for_bytes(connection_id, new - old):
            return False
        if owner is None:
            self._owners[entry.client_id] = _Owner(connection_id, principal)
            self._ids[connection_id] = self._ids.get(connection_id, 0) + 1
        self._bytes[connection_id] = self._bytes.get(connection_id, 0) + new - old
        self.total_bytes += new - old
        if entry.removed:
            self._entries.pop(entry.client_id, None)  # may repeat in one message
        else:
            self._entries[entry.client_id] = entry
        return True

    def _room_for_id(self, connection_id: int) -> bool:
        limits = self.limits
        return (
            self._ids.get(connection_id, 0) < limits.ids_per_connection
            and len(self._owners) < limits.ids_per_room
        )

    def _room_for_bytes(self, connection_id: int, extra: int) -> bool:
        limits = self.limits
        return (
            self._bytes.get(connection_id, 0) + extra <= limits.bytes_per_connection
            and self.total_bytes + extra <= limits.bytes_per_room
        )

    def _forget(self, client_id: int) -> AwarenessEntry | None:
        """Drop a client id and its state from the counts; return the state it had."""
        owner = self._owners.pop(client_id)
        entry = self._entries.pop(client_id, None)
        size = len(entry.state_json) if entry is not None else 0
        self._ids[owner.connection_id] -= 1
        self._bytes[owner.connection_id] = self._bytes.get(owner.connection_id, 0) - size
        self.total_bytes -= size
        if not self._ids[owner.connection_id]:
            del self._ids[owner.connection_id]
            self._bytes.pop(owner.connection_id, None)
        return entry

    def states(self) -> list[AwarenessEntry]:
        """Every live entry."""
        return list(self._entries.values())

    def remove_connection(self, connection_id: int) -> list[AwarenessEntry]:
        """Forget a connection's client ids; return the removal entries to broadcast."""
        owned = [cid for cid, owner in self._owners.items() if owner.connection_id == connection_id]
        removals = []
        for client_id in owned:
            entry = self._forget(client_id)
            if entry is not None:
                removals.append(AwarenessEntry(client_id, entry.clock + 1, "null"))
        return removals


def announced_name(entries: list[AwarenessEntry]) -> str | None:
    """The display name the last of these states gives as `user.name` (what y-codemirror,
    y-prosemirror and the bundled editor publish), cleaned like `?name=`; None if none does."""
    for entry in reversed(entries):
        if entry.removed or '"user"' not in entry.state_json:
            continue
        state = json.loads(entry.state_json)
        user = state.get("user") if isinstance(state, dict) else None
        name = clean_name(user.get("name")) if isinstance(user, dict) else None
        if name is not None:
            return name
    return None
