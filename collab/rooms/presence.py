"""A room's awareness states, who owns which client id, and removal on disconnect."""

from __future__ import annotations

from collab.protocol.awareness import AwarenessEntry


class Presence:
    """Awareness entries of one room, keyed by Yjs client id, each owned by one connection."""

    def __init__(self) -> None:
        self._entries: dict[int, AwarenessEntry] = {}
        self._owner: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def apply(self, connection_id: int, entries: list[AwarenessEntry]) -> list[AwarenessEntry]:
        """Accept the entries that are newer; return them. A client id belongs to the connection
        that last announced it: another connection takes it over only with a strictly newer
        clock (a client reconnecting before the server noticed its old socket died)."""
        accepted = []
        for entry in entries:
            owner = self._owner.get(entry.client_id)
            current = self._entries.get(entry.client_id)
            if current is not None and entry.clock < current.clock:
                continue
            if owner not in (None, connection_id) and current is not None:
                if entry.clock == current.clock:
                    continue
            self._owner[entry.client_id] = connection_id
            self._entries[entry.client_id] = entry
            accepted.append(entry)
        self._drop_removed(accepted)
        return accepted

    def _drop_removed(self, accepted: list[AwarenessEntry]) -> None:
        for entry in accepted:
            if entry.removed:
                self._entries.pop(entry.client_id, None)  # may repeat in one message

    def states(self) -> list[AwarenessEntry]:
        """Every live entry."""
        return list(self._entries.values())

    def remove_connection(self, connection_id: int) -> list[AwarenessEntry]:
        """Forget a connection's client ids; return the removal entries to broadcast."""
        owned = [cid for cid, owner in self._owner.items() if owner == connection_id]
        removals = []
        for client_id in owned:
            del self._owner[client_id]
            entry = self._entries.pop(client_id, None)
            if entry is not None:
                removals.append(AwarenessEntry(client_id, entry.clock + 1, "null"))
        return removals
