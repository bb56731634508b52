"""A room's awareness states, who holds which client id, caps, and removal when a holder goes.

A holder is a connection of this process, or another process of the cluster (its node id):
one table, so the ownership and clock rules and the room's caps are the same for both
(docs/protocol.md, Awareness and "Awareness across processes")."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from collab.config import Settings, from_setting, view_of
from collab.protocol.awareness import AwarenessEntry
from collab.types import clean_name

# A connection id of this process (int), or the node id of another process (str).
Holder = int | str


@dataclass(frozen=True, slots=True)
class PresenceLimits:
    """How many awareness client ids, and bytes of their states, one connection and one room may
    hold. The room's bytes stay far below a send queue, so a newcomer's first presence message
    always fits (past 32 MiB of presence it used to overflow before the newcomer could read).
    Entries of other processes count toward the room's caps (they were held to the per-connection
    ones where their connection is)."""

    ids_per_connection: int = from_setting("awareness_ids_per_connection")
    bytes_per_connection: int = from_setting("awareness_bytes_per_connection")
    ids_per_room: int = from_setting("awareness_ids_per_room")
    bytes_per_room: int = from_setting("awareness_bytes_per_room")

    @classmethod
    def from_settings(cls, settings: Settings) -> PresenceLimits:
        """The caps `settings` configures."""
        return view_of(cls, settings)


@dataclass(slots=True)
class _Owner:
    holder: Holder
    principal: str | None
    # Another process's entry: when that process last sent it (time.monotonic()).
    renewed: float = 0.0


class Presence:
    """Awareness entries of one room, keyed by Yjs client id. An id belongs to the holder that
    introduced it: others cannot change or remove it (docs/protocol.md), except the same
    authenticated person taking over their own id with a newer clock (a reconnect, to this process
    or another, before the server noticed the old socket died). Entries past the caps are dropped
    and counted."""

    def __init__(self, limits: PresenceLimits | None = None) -> None:
        self.limits = limits or PresenceLimits()
        self._entries: dict[int, AwarenessEntry] = {}
        self._owners: dict[int, _Owner] = {}
        self._ids: dict[Holder, int] = {}  # holder -> client ids owned
        self._bytes: dict[Holder, int] = {}  # holder -> bytes of live states
        # Ids removed here, with the clock of the removal (see `is_echo`): the newest
        # `limits.ids_per_room` of them.
        self._gone: dict[int, int] = {}
        self.total_bytes = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)

    def apply(
        self, connection_id: int, entries: list[AwarenessEntry], principal: str | None = None
    ) -> list[AwarenessEntry]:
        """Accept the entries this connection may make; return them. A removal of an id
        nobody holds removes nothing (it is neither accepted nor counted as dropped)."""
        accepted = []
        for entry in entries:
            if entry.removed and entry.client_id not in self._owners:
                continue
            if self._accept(connection_id, principal, entry):
                accepted.append(entry)
            else:
                self.dropped += 1
        return accepted

    def apply_remote(
        self, node: str, entries: list[tuple[AwarenessEntry, str | None]], now: float
    ) -> list[AwarenessEntry]:
        """Accept the entries (each with its person) another process holds; return those that
        are news here. One that node sent before renews it (see `expire`); a removal frees the
        id; a removal of an id someone else holds, or nobody, is ignored."""
        accepted = []
        for entry, principal in entries:
            owner = self._owners.get(entry.client_id)
            if owner is not None and owner.holder == node and not self._is_news(entry):
                owner.renewed = now
            elif owner is None and entry.removed:
                continue
            elif self._accept(node, principal, entry):
                accepted.append(entry)
                if entry.removed:
                    self._forget(entry.client_id)  # it left that process: the id is free
                else:
                    self._owners[entry.client_id].renewed = now
            elif not entry.removed:
                self.dropped += 1
        return accepted

    def renews(self, entry: AwarenessEntry) -> bool:
        """Whether the entry only renews its client's known state: a newer clock, the same
        state (stock clients send theirs again every 15 s so that peers keep it)."""
        current = self._entries.get(entry.client_id)
        return (
            current is not None
            and entry.clock > current.clock
            and entry.state_json == current.state_json
            and not entry.removed
        )

    def _is_news(self, entry: AwarenessEntry) -> bool:
        """Whether the entry changes what is known of its client (a newer clock, or another
        state at the same clock): a process answering a query sends what it sent before."""
        current = self._entries.get(entry.client_id)
        if current is None or entry.clock > current.clock:
            return True
        return entry.clock == current.clock and entry.state_json != current.state_json

    def is_echo(self, connection_id: int, entry: AwarenessEntry) -> bool:
        """An entry this connection did not make and that is not news: another holder's
        client at a clock already known. Stock y-websocket clients send every awareness change
        they receive back to the server, so in a room of n people each change comes back n - 1
        times; these are dropped before their JSON is read and cost no allowance.

        The echoes of a client that has left arrive after its id was forgotten: its removal,
        and its last change if the client left while that was on its way. Taken as the echoer's
        own, they made the echoer hold the id (a departed person's state shown to everyone who
        joined later, and the id refused to its owner coming back). So an entry of an id nobody
        holds is an echo if it is a removal, or if its clock is not past the removal's (which
        y-protocols peers ignore too)."""
        owner = self._owners.get(entry.client_id)
        if owner is None:
            gone = self._gone.get(entry.client_id)
            return entry.removed or (gone is not None and entry.clock <= gone)
        if owner.holder == connection_id:
            return False
        current = self._entries.get(entry.client_id)
        return current is None or entry.clock <= current.clock

    def all_echoes(self, connection_id: int, clocks: list[tuple[int, int]]) -> bool:
        """Whether every (client id, clock) is an echo (see `is_echo`): a message of nothing
        else can be dropped as soon as it is read."""
        owners, entries, gone = self._owners, self._entries, self._gone
        for client_id, clock in clocks:
            owner = owners.get(client_id)
            if owner is None:
                removed_at = gone.get(client_id)
                if removed_at is None or clock > removed_at:
                    return False
                continue
            if owner.holder == connection_id:
                return False
            current = entries.get(client_id)
            if current is not None and clock > current.clock:
                return False
        return bool(clocks)

    def _accept(self, holder: Holder, principal: str | None, entry: AwarenessEntry) -> bool:
        owner = self._owners.get(entry.client_id)
        current = self._entries.get(entry.client_id)
        if owner is not None and owner.holder != holder:
            newer = current is None or entry.clock > current.clock
            if principal is None or owner.principal != principal or not newer:
                return False
            self._forget(entry.client_id)  # the same person, reconnected
            owner = current = None
        elif current is not None and entry.clock < current.clock:
            return False
        if owner is None and not self._room_for_id(holder):
            return False
        old = len(current.state_json) if current is not None else 0
        new = 0 if entry.removed else len(entry.state_json)
        if new > old and not self._room_for_bytes(holder, new - old):
            return False
        if owner is None:
            self._owners[entry.client_id] = _Owner(holder, principal)
            self._ids[holder] = self._ids.get(holder, 0) + 1
            self._gone.pop(entry.client_id, None)
        self._bytes[holder] = self._bytes.get(holder, 0) + new - old
        self.total_bytes += new - old
        if entry.removed:
            self._entries.pop(entry.client_id, None)  # may repeat in one message
            self._bury(entry.client_id, entry.clock)
        else:
            self._entries[entry.client_id] = entry
        return True

    def _room_for_id(self, holder: Holder) -> bool:
        """The room's cap, and a connection's own (another process applied it to its own)."""
        limits = self.limits
        if len(self._owners) >= limits.ids_per_room:
            return False
        return isinstance(holder, str) or self._ids.get(holder, 0) < limits.ids_per_connection

    def _room_for_bytes(self, holder: Holder, extra: int) -> bool:
        limits = self.limits
        if self.total_bytes + extra > limits.bytes_per_room:
            return False
        mine = self._bytes.get(holder, 0) + extra
        return isinstance(holder, str) or mine <= limits.bytes_per_connection

    def _forget(self, client_id: int) -> AwarenessEntry | None:
        """Drop a client id and its state from the counts; return the state it had."""
        owner = self._owners.pop(client_id)
        entry = self._entries.pop(client_id, None)
        size = len(entry.state_json) if entry is not None else 0
        self._ids[owner.holder] -= 1
        self._bytes[owner.holder] = self._bytes.get(owner.holder, 0) - size
        self.total_bytes -= size
        if not self._ids[owner.holder]:
            del self._ids[owner.holder]
            self._bytes.pop(owner.holder, None)
        return entry

    def states(self) -> list[AwarenessEntry]:
        """Every live entry, this process's and the others'."""
        return list(self._entries.values())

    def local_state(self, client_id: int) -> tuple[AwarenessEntry, str | None] | None:
        """The live entry of a client id a connection here holds, with its person."""
        owner = self._owners.get(client_id)
        entry = self._entries.get(client_id)
        if owner is None or entry is None or isinstance(owner.holder, str):
            return None
        return entry, owner.principal

    def local_states(self) -> list[tuple[AwarenessEntry, str | None]]:
        """Every live entry a connection here holds, with its person."""
        return [
            (entry, owner.principal)
            for client_id, entry in self._entries.items()
            if isinstance((owner := self._owners[client_id]).holder, int)
        ]

    def remote_count(self) -> int:
        """How many live entries other processes hold."""
        return sum(count for holder, count in self._ids.items() if isinstance(holder, str))

    def remote_nodes(self) -> set[str]:
        """The other processes holding entries here."""
        return {holder for holder in self._ids if isinstance(holder, str)}

    def remove_connection(self, connection_id: int) -> list[AwarenessEntry]:
        """Forget a connection's client ids; return the removal entries to broadcast."""
        return self._remove(lambda owner: owner.holder == connection_id)

    def remove_node(self, node: str) -> list[AwarenessEntry]:
        """Forget every entry another process holds (it left or died); return the removals."""
        return self._remove(lambda owner: owner.holder == node)

    def expire(self, before: float) -> list[AwarenessEntry]:
        """Forget other processes' entries last sent before `before` (y-protocols drops a state
        not renewed for 30 s; clients renew every 15 s); return the removals."""
        return self._remove(lambda owner: isinstance(owner.holder, str) and owner.renewed < before)

    def _remove(self, which: Callable[[_Owner], bool]) -> list[AwarenessEntry]:
        """Forget the ids of the holders `which` picks; return their removals, each at the clock
        its state had, as y-websocket's own server sends them: y-protocols peers take a null
        state at the clock they have as a removal, and the client's next change, back on a new
        connection, is then news to them."""
        owned = [client_id for client_id, owner in self._owners.items() if which(owner)]
        removals = []
        for client_id in owned:
            entry = self._forget(client_id)
            if entry is not None:
                removals.append(AwarenessEntry(client_id, entry.clock, "null"))
                self._bury(client_id, entry.clock)
        return removals

    def _bury(self, client_id: int, clock: int) -> None:
        """Remember that `client_id` was removed at `clock` (see `is_echo`)."""
        gone = self._gone
        gone.pop(client_id, None)
        gone[client_id] = clock
        if len(gone) > self.limits.ids_per_room:
            del gone[next(iter(gone))]


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
