"""Presence the server holds for agents, set over REST (PUT /api/rooms/{room}/presence): one
awareness state per agent session and room, with the agent's name marked `agent: true`, its
status and its selection as Yjs relative positions (the JSON y-codemirror and y-prosemirror
read as `cursor: {anchor, head}`). Each expires on its own after its ttl (a loop timer), and
the room stays loaded while it stands."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Assoc, Doc, StickyIndex, Text

from collab.content.export import RICH, content_kind
from collab.content.passages import joined, node_string, point_nodes, text_nodes
from collab.content.roots import content_root
from collab.errors import CollabError
from collab.protocol.awareness import AwarenessEntry
from collab.rooms.manager import RoomManager
from collab.rooms.room import Room

# Agents' colour in editors' presence lists (a state's `user.color`).
AGENT_COLOR = "#6b5bd2"


@dataclass(slots=True)
class _Held:
    room: Room
    client_id: int
    clock: int = 0
    timer: asyncio.TimerHandle | None = field(default=None)
    name: str = ""


# Told (room, session, the agent's name, "cleared" or "expired") when a state goes.
Ended = Callable[[str, str, str, str], None]


def client_id_of(session: str) -> int:
    """The Yjs client id an agent session's presence uses (stable, 30 bits)."""
    return int.from_bytes(hashlib.sha256(session.encode()).digest()[:4], "big") & 0x3FFF_FFFF


class AgentPresence:
    """The agents' presence states of this process, each with its expiry timer."""

    def __init__(self, rooms: RoomManager, ended: Ended | None = None) -> None:
        self._rooms = rooms
        self._held: dict[tuple[str, str], _Held] = {}
        self._ended = ended

    async def set(
        self,
        room_name: str,
        session: str,
        principal: str,
        user: dict[str, Any],
        selection: tuple[int, int] | None,
        ttl: float,
    ) -> None:
        """Set the agent's state (the room loaded and kept while it stands) for `ttl` seconds."""
        key = (room_name, session)
        held = self._held.get(key)
        if held is None:
            room = await self._rooms.acquire(room_name)
            held = self._held.setdefault(key, _Held(room, client_id_of(session)))
            if held.room is not room:
                self._rooms.release(room)
        held.name = str(user.get("name", ""))
        state: dict[str, Any] = {"user": user}
        if selection is not None and (cursor := _cursor(held.room, *selection)) is not None:
            state["cursor"] = cursor
        held.clock += 1
        entry = AwarenessEntry(held.client_id, held.clock, json.dumps(state))
        held.room.hold_presence(-held.client_id - 1, principal, entry)
        if held.timer is not None:
            held.timer.cancel()
        loop = asyncio.get_running_loop()
        held.timer = loop.call_later(ttl, self.remove, room_name, session, principal, "expired")

    def remove(
        self, room_name: str, session: str, principal: str, reason: str | None = "cleared"
    ) -> bool:
        """Remove the agent's state (relayed as a removal); whether there was one. With a
        `reason` ("cleared", "expired"), the `ended` callback hears of it."""
        held = self._held.pop((room_name, session), None)
        if held is None:
            return False
        if held.timer is not None:
            held.timer.cancel()
        removal = AwarenessEntry(held.client_id, held.clock + 1, "null")
        held.room.hold_presence(-held.client_id - 1, principal, removal)
        self._rooms.release(held.room)
        if reason is not None and self._ended is not None:
            self._ended(room_name, session, held.name, reason)
        return True

    def clear(self) -> None:
        """Drop every state (the server stops: no session is said to end)."""
        for room_name, session in list(self._held):
            self.remove(room_name, session, "", None)


def _cursor(room: Room, index: int, length: int) -> dict[str, Any] | None:
    """The `cursor: {anchor, head}` editors draw for a selection: Yjs relative positions as
    JSON, in the `content` Y.Text (y-codemirror) or in the text nodes of rich text
    (y-prosemirror, which maps a position in a Y.XmlText to its place in the editor)."""
    doc = room.doc
    if content_kind(doc) == RICH:
        return _rich_cursor(doc, index, length)
    text = doc.get(content_root(doc), type=Text)
    size = len(text)
    return {
        "anchor": _position(text, min(index, size), size),
        "head": _position(text, min(index + length, size), size),
    }


def _rich_cursor(doc: Doc[Any], index: int, length: int) -> dict[str, Any] | None:
    """A rich-text selection's ends as the points suggestions use (content/passages.py: on the
    character before, or a text node's start); None in a document with no text node yet."""
    size = len(joined([node_string(node) for node in text_nodes(doc)]))
    try:
        anchor = point_nodes(doc, min(index, size))
        head = point_nodes(doc, min(index + length, size))
    except CollabError:
        return None
    return {
        "anchor": StickyIndex.decode(anchor).to_json(),
        "head": StickyIndex.decode(head).to_json(),
    }


def _position(text: Text, index: int, size: int) -> dict[str, Any]:
    """Yjs RelativePosition JSON at `index` (the end is "before" the last character)."""
    if size == 0:
        return {"tname": "content", "item": None, "assoc": 0}
    if index >= size:
        found: dict[str, Any] = text.sticky_index(size, Assoc.BEFORE).to_json()
        return found
    found = text.sticky_index(index, Assoc.AFTER).to_json()
    return found
