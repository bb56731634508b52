"""/ws's guarantees on /hocuspocus, byte by byte over raw WebSockets against an in-process app:
quarantine, limits, presence ownership, the per-socket document cap, QueryAwareness and the
connect, change and disconnect hooks, for documents that share one socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import websockets
from pycrdt import Doc, Text

import collab
from collab.api.hocuspocus import MAX_DOCUMENTS, QUEUED_PER_DOCUMENT
from collab.auth import Grant, Identity, Role
from collab.hooks import Authenticate, Authorize, Change, Connect, Disconnect, Hooks
from collab.protocol.awareness import AwarenessEntry, decode_awareness, encode_awareness_entries
from collab.protocol.encoding import Reader, write_var_bytes
from collab.protocol.messages import (
    SyncStep2,
    decode_message,
    encode_awareness,
    encode_sync_step1,
    encode_update,
)
from collab.store.base import NewUpdate
from collab.store.db import create_engine
from collab.store.sql import SqlStore
from tests.inprocess import serving_on_port
from tests.protocol.test_hocuspocus_wire import auth, name, parse, update_frame
from tests.protocol.yupdates import deep_any_update

SECRET = "test-secret-with-enough-entropy-0123456789"
V4 = "4.8.0"
# Tokens the hooks below accept: each names a person and their role on every room.
PEOPLE = {
    "ada": ("ada", "Ada", Role.EDITOR),
    "mal": ("mal", "Mallory", Role.EDITOR),
    "vic": ("vic", "Victor", Role.VIEWER),
}

Seen = tuple[str, int, bytes]


class People(Hooks):
    """Tokens are people's keys (PEOPLE); connects, changes and disconnects are recorded."""

    def __init__(self) -> None:
        self.events: list[Connect | Disconnect | Change] = []
        self._changed = asyncio.Event()

    async def on_authenticate(self, event: Authenticate) -> Identity | None:
        person = PEOPLE.get(event.request.token or "")
        if person is None:
            return None
        user, display, role = person
        return Identity(user, display, (Grant("*", role),))

    def _record(self, event: Connect | Disconnect | Change) -> None:
        self.events.append(event)
        self._changed.set()

    async def on_connect(self, event: Connect) -> None:
        self._record(event)

    async def on_disconnect(self, event: Disconnect) -> None:
        self._record(event)

    async def on_change(self, event: Change) -> None:
        self._record(event)

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(10):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def app(
    tmp_path: Path, hooks: Hooks | None = None, **settings: Any
) -> AsyncIterator[tuple[str, str]]:
    """Serve collab with `hooks` (People by default) and `settings`; the /hocuspocus URL and
    the database URL."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'hp.db'}"
    config = collab.Settings(database_url=database_url, secret=SECRET, **settings)
    async with serving_on_port(collab.create_app(config, hooks=hooks or People())) as port:
        yield f"ws://127.0.0.1:{port}/hocuspocus", database_url


class Socket:
    """A raw /hocuspocus socket and every frame it has received, decoded as (key, type,
    payload)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seen: list[Seen] = []
        # Received and not yet matched by `expect`, in order.
        self._unmatched: list[Seen] = []

    async def send(self, *frames: bytes) -> None:
        for frame in frames:
            await self.ws.send(frame)

    async def expect(self, predicate: Callable[[str, int, bytes], bool]) -> Seen:
        """The first frame not matched before that matches `predicate`, waiting for it
        (failing after 10 s without one)."""
        for index, frame in enumerate(self._unmatched):
            if predicate(*frame):
                del self._unmatched[index]
                return frame
        async with asyncio.timeout(10):
            while True:
                frame = parse(await self.ws.recv())
                self.seen.append(frame)
                if predicate(*frame):
                    return frame
                self._unmatched.append(frame)

    async def opened(self, key: str, scope: bytes = b"read-write") -> None:
        """Until `key` is answered Authenticated(scope) and its room's SyncStep1."""
        answer = await self.expect(lambda k, t, b: k == key and t == 2)
        assert answer[2] == b"\x02" + write_var_bytes(scope), answer
        await self.expect(lambda k, t, b: k == key and t == 0 and b[:1] == b"\x00")

    async def stored(self, key: str, text: str) -> None:
        """Write `text` into `key`'s document and wait until it is committed (SyncStatus 1)."""
        await self.send(update_frame(key, text))
        status = await self.expect(lambda k, t, b: k == key and t == 8)
        assert status[2] == b"\x01", status

    async def text(self, key: str) -> str:
        """What `key`'s document holds: the answer to a SyncStep1 with no state."""
        await self.send(name(key) + encode_sync_step1(b"\x00"))
        answer = await self.expect(lambda k, t, b: k == key and t == 0 and b[:1] == b"\x01")
        step2 = decode_message(b"\x00" + answer[2])
        assert isinstance(step2, SyncStep2)
        doc: Doc[Any] = Doc()
        doc.apply_update(step2.update)
        return str(doc.get("content", type=Text))

    def presence(self, key: str) -> dict[int, Any]:
        """The awareness states `key` was sent, as a provider keeps them (null: removed)."""
        states: dict[int, Any] = {}
        for frame_key, kind, body in self.seen:
            if frame_key == key and kind == 1:
                for entry in decode_awareness(Reader(body).read_var_bytes()):
                    state = json.loads(entry.state_json)
                    if state is None:
                        states.pop(entry.client_id, None)
                    else:
                        states[entry.client_id] = state
        return states

    async def presence_until(
        self, key: str, predicate: Callable[[dict[int, Any]], bool]
    ) -> dict[int, Any]:
        """`key`'s awareness states once they satisfy `predicate`."""
        states = self.presence(key)
        while not predicate(states):
            await self.expect(lambda k, t, b: k == key and t == 1)
            states = self.presence(key)
        return states

    async def closed(self) -> int:
        """The close code the server closes the socket with."""
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                while True:
                    self.seen.append(parse(await self.ws.recv()))
        assert closed.value.rcvd is not None, "closed without a close frame from the server"
        return closed.value.rcvd.code


@asynccontextmanager
async def connect(url: str) -> AsyncIterator[Socket]:
    async with websockets.connect(url, max_size=None) as ws:
        yield Socket(ws)


def awareness(key: str, *entries: tuple[int, int, object]) -> bytes:
    """An awareness frame for `key` holding (client id, clock, state) entries."""
    payload = encode_awareness_entries([AwarenessEntry(c, k, json.dumps(s)) for c, k, s in entries])
    return name(key) + encode_awareness(payload)


def user(states: dict[int, Any], client_id: int) -> str | None:
    state = states.get(client_id)
    return state["user"]["name"] if state is not None else None


# -- 1. quarantine -----------------------------------------------------------------------------


async def test_a_quarantined_room_is_refused_in_band_and_never_sent(tmp_path: Path):
    """A room whose stored data is refused (nested deeper than the limit) is quarantined on
    loading, as on /ws: the document is refused with PermissionDenied (4423), not a byte of
    it reaches the provider, asking again is refused again, and the socket's other document
    goes on."""
    async with app(tmp_path) as (url, database_url):
        good: Doc[Any] = Doc()
        good["content"] = Text("precious")
        store = SqlStore(create_engine(database_url))
        try:
            await store.append(
                [
                    NewUpdate("poisoned", good.get_update()),
                    NewUpdate("poisoned", deep_any_update(200, client=99)),
                ]
            )
        finally:
            await store.close()
        async with connect(url) as socket:
            await socket.send(auth("poisoned", "ada", V4), auth("healthy", "ada", V4))
            for attempt in range(2):
                if attempt:
                    await socket.send(auth("poisoned", "ada", V4))  # asked again: refused again
                denied = await socket.expect(lambda k, t, b: k == "poisoned" and t == 2)
                assert denied[2][:1] == b"\x01", denied  # PermissionDenied, for a v4 provider too
                assert b"quarantined" in denied[2], denied
            await socket.stored("healthy", "fine")
            assert not [f for f in socket.seen if f[0] == "poisoned" and f[1] != 2]
        store = SqlStore(create_engine(database_url))
        try:
            assert [row.name for row in await store.list_quarantined()] == ["poisoned"]
        finally:
            await store.close()


# -- 2. limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [V4, None])
async def test_a_document_over_the_size_limit_closes_only_that_document(
    tmp_path: Path, version: str | None
):
    """The update that would take a document past COLLAB_MAX_DOCUMENT_BYTES is refused and
    not stored: the document is closed in-band (CLOSE for a v4 provider, PermissionDenied for
    one that does not say its version), its room keeps what it had, the socket's other
    document goes on, and the document opens again on a new Auth message."""
    async with app(tmp_path, max_document_bytes=20_000) as (url, _):
        async with connect(url) as socket:
            await socket.send(auth("cap", "ada", version), auth("other", "ada", version))
            await socket.opened("cap")
            await socket.opened("other")
            await socket.stored("cap", "small text")
            await socket.send(update_frame("cap", "y" * 30_000))
            closed = await socket.expect(lambda k, t, b: k == "cap" and t in (2, 7, 8))
            if version is None:
                assert closed[1] == 2 and closed[2][:1] == b"\x01", closed  # PermissionDenied
            else:
                assert closed[1] == 7, closed  # CLOSE
            assert b"exceed" in closed[2], closed
            await socket.stored("other", "unharmed")
            await socket.send(auth("cap", "ada", version))
            await socket.opened("cap")
            assert await socket.text("cap") == "small text"


async def test_an_awareness_state_over_the_limit_closes_only_that_document(tmp_path: Path):
    async with app(tmp_path) as (url, _):
        async with connect(url) as socket:
            await socket.send(auth("big", "ada", V4), auth("other", "ada", V4))
            await socket.opened("big")
            await socket.opened("other")
            await socket.send(awareness("big", (7, 1, {"user": {"name": "x" * 20_000}})))
            closed = await socket.expect(lambda k, t, b: k == "big" and t in (2, 7))
            assert closed[1] == 7 and b"awareness" in closed[2], closed
            await socket.stored("other", "unharmed")


async def test_awareness_ids_are_capped_per_document_not_per_socket(tmp_path: Path):
    """Each document on the socket is a connection of its own to the presence caps: one
    document announcing more client ids than allowed keeps the first ones, and another
    document of the same room on the same socket still gets its own."""
    async with app(tmp_path, awareness_ids_per_connection=3) as (url, _):
        async with connect(url) as watcher, connect(url) as socket:
            await socket.send(auth("room", "ada", V4), auth("room\x00tab", "mal", V4))
            await socket.opened("room")
            await socket.opened("room\x00tab")
            await watcher.send(auth("room", "vic"))
            await watcher.opened("room", b"readonly")
            await socket.send(awareness("room", *((100 + i, 1, {"n": i}) for i in range(10))))
            await watcher.presence_until("room", lambda s: {100, 101, 102} <= set(s))
            await socket.send(awareness("room\x00tab", *((200 + i, 1, {"n": i}) for i in range(3))))
            states = await watcher.presence_until("room", lambda s: 202 in s)
            assert set(states) == {100, 101, 102, 200, 201, 202}


async def test_a_frame_over_the_message_limit_closes_the_socket_with_1009(tmp_path: Path):
    """A frame over COLLAB_MAX_MESSAGE_BYTES cannot be read for its document: the socket
    closes with /ws's code, and the room's other sockets go on."""
    async with app(tmp_path, max_message_bytes=65_536) as (url, _):
        async with connect(url) as other, connect(url) as socket:
            await other.send(auth("room", "ada"))
            await other.opened("room")
            await socket.send(auth("room", "mal"))
            await socket.opened("room")
            await socket.send(update_frame("room", "z" * 100_000))
            assert await socket.closed() == 1009
            await other.stored("room", "unharmed")
            assert await other.text("room") == "unharmed"


async def test_a_full_room_and_the_connection_limit_close_with_1013(tmp_path: Path):
    """A document that would take its room past COLLAB_MAX_CONNECTIONS_PER_ROOM is a refusal
    the provider should retry: the socket closes with 1013, as /ws closes; a socket past
    COLLAB_MAX_CONNECTIONS is closed with 1013 at once."""
    async with app(tmp_path, max_connections_per_room=2, max_connections=2) as (url, _):
        async with connect(url) as first, connect(url) as second:
            await first.send(auth("full", "ada"), auth("full\x00two", "ada"))
            await first.opened("full")
            await first.opened("full\x00two")
            async with connect(url) as third:
                assert await third.closed() == 1013
            await second.send(auth("full", "mal"))
            assert await second.closed() == 1013
            await first.stored("full", "the room's own stay")


# -- 3. presence ownership ---------------------------------------------------------------------


async def test_a_document_cannot_change_or_remove_another_documents_presence(tmp_path: Path):
    """Ada's awareness client id is owned by her document's connection: Mallory cannot
    overwrite or remove it, neither from another document on Ada's own socket nor from
    another socket; Ada still can, and it goes when her document closes."""
    async with app(tmp_path) as (url, _):
        async with (
            connect(url) as watcher,
            connect(url) as shared,
            connect(url) as mallory,
        ):
            await shared.send(auth("mine", "ada", V4), auth("mine\x00m", "mal", V4))
            await shared.opened("mine")
            await shared.opened("mine\x00m")
            await watcher.send(auth("mine", "vic"))
            await watcher.opened("mine", b"readonly")
            await mallory.send(auth("mine", "mal", V4))
            await mallory.opened("mine")
            await shared.send(awareness("mine", (1001, 1, {"user": {"name": "Ada"}})))
            await watcher.presence_until("mine", lambda s: user(s, 1001) == "Ada")
            for socket, key in ((shared, "mine\x00m"), (mallory, "mine")):
                await socket.send(
                    awareness(key, (1001, 50, {"user": {"name": "Mallory"}})),
                    awareness(key, (1001, 60, None)),  # and try to erase her
                )
            await mallory.send(awareness("mine", (2002, 1, {"user": {"name": "M"}})))
            states = await watcher.presence_until("mine", lambda s: 2002 in s)
            assert user(states, 1001) == "Ada"
            # Every frame of the watcher so far: none ever carried Mallory's version of 1001.
            assert not [
                e
                for k, t, b in watcher.seen
                if t == 1
                for e in decode_awareness(Reader(b).read_var_bytes())
                if e.client_id == 1001 and e.clock >= 50
            ]
            await shared.send(awareness("mine", (1001, 2, {"user": {"name": "Ada 2"}})))
            await watcher.presence_until("mine", lambda s: user(s, 1001) == "Ada 2")
            await shared.send(name("mine") + bytes([7]))  # Ada's provider detaches
            states = await watcher.presence_until("mine", lambda s: 1001 not in s)
            assert user(states, 2002) == "M"


# -- 4. the per-socket document cap --------------------------------------------------------------


async def test_the_hundred_and_first_document_is_refused_in_band_and_the_others_go_on(
    tmp_path: Path,
):
    rooms = [f"cap-{i}" for i in range(100)]
    async with app(tmp_path) as (url, _):
        async with connect(url) as socket, connect(url) as reader:
            await socket.send(*(auth(room, "ada") for room in rooms))
            for room in rooms:
                await socket.opened(room)
            await socket.send(auth("one-too-many", "ada"))
            denied = await socket.expect(lambda k, t, b: k == "one-too-many")
            assert denied[1:3] == (
                2,
                b"\x01" + write_var_bytes(b"too many documents on one socket (limit 100)"),
            )
            # Its frames are not a way in either (a provider with no token opens by syncing).
            await socket.send(update_frame("one-too-many", "sneaked in"))
            for room in (rooms[0], rooms[-1]):
                await socket.stored(room, f"still {room}")
            assert {f for f in socket.seen if f[0] == "one-too-many"} == {denied}
            await reader.send(auth(rooms[-1], "vic"))
            await reader.opened(rooms[-1], b"readonly")
            assert await reader.text(rooms[-1]) == f"still {rooms[-1]}"


async def test_a_refused_document_asked_for_again_at_the_cap_is_opened(tmp_path: Path):
    """A document refused (a bad token) holds its place under the cap until it is asked for
    again; asked for again, its place is the one it takes: 99 open, the 100th opens."""
    rooms = [f"cap-{i}" for i in range(MAX_DOCUMENTS - 1)]
    async with app(tmp_path) as (url, _):
        async with connect(url) as socket:
            await socket.send(*(auth(room, "ada") for room in rooms), auth("late", "nobody"))
            for room in rooms:
                await socket.opened(room)
            denied = await socket.expect(lambda k, t, b: k == "late" and t == 2)
            assert denied[2][:1] == b"\x01"
            await socket.send(auth("late", "ada"))
            await socket.opened("late")
            await socket.stored("late", "in")


async def test_a_detached_document_frees_its_place_under_the_cap(tmp_path: Path):
    """A provider that detaches documents and attaches others over one long-lived socket (an
    app moving between documents) is not refused once it has detached 100: a detached
    document is not held open or refused. Frames of it still on their way are ignored."""
    rooms = [f"cap-{i}" for i in range(100)]
    async with app(tmp_path) as (url, _):
        async with connect(url) as socket:
            await socket.send(*(auth(room, "ada") for room in rooms))
            for room in rooms:
                await socket.opened(room)
            for index in range(3):
                closed = rooms[index]
                await socket.send(name(closed) + bytes([7]))  # detached
                await socket.send(update_frame(closed, "late"))  # on its way meanwhile
                await socket.send(auth(f"next-{index}", "ada"))
                await socket.opened(f"next-{index}")
                await socket.stored(f"next-{index}", "opened")
            for room in rooms[:3]:  # opened once (Authenticated, SyncStep1), nothing since
                assert sorted(f[1] for f in socket.seen if f[0] == room) == [0, 2], room


async def test_a_document_detached_and_attached_again_at_once_is_open_again(tmp_path: Path):
    """CLOSE then Auth for one document, back to back (a provider detached and attached
    again): the Auth is not lost to the close still being settled."""
    async with app(tmp_path) as (url, _):
        async with connect(url) as socket:
            await socket.send(auth("again", "ada", V4))
            await socket.opened("again")
            await socket.send(name("again") + bytes([7]), auth("again", "ada", V4))
            await socket.opened("again")
            await socket.stored("again", "back")


# -- 5. QueryAwareness ---------------------------------------------------------------------------


async def test_query_awareness_is_answered_with_every_state_of_the_room(tmp_path: Path):
    async with app(tmp_path) as (url, _):
        async with connect(url) as ada, connect(url) as asker:
            await ada.send(auth("room", "ada"))
            await ada.opened("room")
            await ada.send(awareness("room", (1001, 1, {"user": {"name": "Ada"}})))
            await ada.presence_until("room", lambda s: 1001 in s)  # relayed: the room has it
            await asker.send(auth("room", "vic"))
            await asker.opened("room", b"readonly")
            await asker.presence_until("room", lambda s: 1001 in s)  # the room's greeting
            # Then nothing comes unasked. Frames of one socket are answered in order and a
            # QueryAwareness at once, so its answer comes before the later update's status.
            start = len(asker.seen)
            await asker.send(name("room") + bytes([3]), update_frame("room", ""))
            await asker.expect(lambda k, t, b: k == "room" and t == 8)
            answers = [f for f in asker.seen[start:] if f[1] == 1]
            assert len(answers) == 1, asker.seen[start:]
            [entry] = decode_awareness(Reader(answers[0][2]).read_var_bytes())
            assert entry.client_id == 1001 and json.loads(entry.state_json)["user"]["name"] == "Ada"


# -- 6. hooks ------------------------------------------------------------------------------------


async def test_connect_change_and_disconnect_hooks_fire_for_each_document(tmp_path: Path):
    """Each document on the socket is a connection to the hooks: on_connect with its
    identity, role and own connection id, on_change with its author after the commit,
    on_disconnect when it detaches (1000), when it is closed for a bad message (its close
    code) and when the socket closes."""
    hooks = People()
    async with app(tmp_path, hooks) as (url, _):
        async with connect(url) as socket:
            await socket.send(
                auth("hooked", "ada", V4), auth("hooked\x00v", "vic", V4), auth("bad", "mal", V4)
            )
            for key, scope in (("hooked", b"read-write"), ("hooked\x00v", b"readonly")):
                await socket.opened(key, scope)
            await socket.opened("bad")
            await hooks.wait_for(lambda: len(hooks.events) == 3)
            connects = [e for e in hooks.events if isinstance(e, Connect)]
            assert sorted((c.room, c.identity.user_id, c.role) for c in connects) == [
                ("bad", "mal", Role.EDITOR),
                ("hooked", "ada", Role.EDITOR),
                ("hooked", "vic", Role.VIEWER),
            ]
            ids = {c.identity.user_id: c.connection_id for c in connects}
            assert len(set(ids.values())) == 3
            await socket.stored("hooked", "abc")
            await hooks.wait_for(lambda: any(isinstance(e, Change) for e in hooks.events))
            [change] = [e for e in hooks.events if isinstance(e, Change)]
            assert (change.room, change.authors) == ("hooked", ("Ada",))
            await socket.send(name("hooked") + bytes([7]))  # Ada detaches
            await socket.send(name("bad") + bytes([0, 9, 0]))  # an unknown sync message
            await socket.expect(lambda k, t, b: k == "bad" and t == 7)

            def disconnects() -> dict[str, tuple[int, int]]:
                return {
                    e.identity.user_id: (e.connection_id, e.close_code)
                    for e in hooks.events
                    if isinstance(e, Disconnect)
                }

            await hooks.wait_for(lambda: len(disconnects()) == 2)
            assert disconnects() == {"ada": (ids["ada"], 1000), "mal": (ids["mal"], 1002)}
        await hooks.wait_for(lambda: len(disconnects()) == 3)
        assert disconnects()["vic"] == (ids["vic"], 1000)


# -- 7. documents opened side by side ------------------------------------------------------------


class HeldOpen(People):
    """People whose access to the rooms in `held` is decided only once `release` is set:
    opening those documents takes as long as the test wants (a slow host hook, or a room
    slow to load)."""

    def __init__(self, *held: str) -> None:
        super().__init__()
        self.held = set(held)
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def on_authorize(self, event: Authorize) -> Role | None:
        if event.room in self.held and not event.recheck:
            self.asked.set()
            await self.release.wait()
        return await super().on_authorize(event)


def growing_text(count: int) -> list[bytes]:
    """`count` updates of one client to "content", each appending a digit to the last."""
    doc: Doc[Any] = Doc()
    text = doc.get("content", type=Text)
    updates = []
    for index in range(count):
        before = doc.get_state()
        text.insert(len(text), str(index % 10))
        updates.append(doc.get_update(before))
    return updates


async def test_a_document_slow_to_open_holds_up_only_itself(tmp_path: Path):
    """While one document of the socket waits to be opened, the socket's other documents
    open and are written; the waiting document's frames, sent behind its Auth, are handled
    in order once it is open."""
    hooks = HeldOpen("slow")
    async with app(tmp_path, hooks) as (url, _):
        async with connect(url) as socket:
            await socket.send(auth("slow", "ada"), update_frame("slow", "queued"))
            await socket.send(auth("fast", "ada"))
            async with asyncio.timeout(10):
                await hooks.asked.wait()
            await socket.opened("fast")
            await socket.stored("fast", "went on")
            assert [frame for frame in socket.seen if frame[0] == "slow"] == []
            hooks.release.set()
            await socket.opened("slow")
            status = await socket.expect(lambda k, t, b: k == "slow" and t == 8)
            assert status[2] == b"\x01"  # the update queued behind the Auth, committed
            assert await socket.text("slow") == "queued"


async def test_frames_past_the_queue_of_a_document_being_opened_are_all_handled(
    tmp_path: Path,
):
    """More frames behind a document being opened than it may queue: the socket waits for
    the document instead of queuing more, and none is lost."""
    count = QUEUED_PER_DOCUMENT * 2
    hooks = HeldOpen("slow")
    async with app(tmp_path, hooks) as (url, _):
        async with connect(url) as socket:
            await socket.send(auth("slow", "ada"))
            await socket.send(*(name("slow") + encode_update(u) for u in growing_text(count)))
            async with asyncio.timeout(10):
                await hooks.asked.wait()
            hooks.release.set()
            await socket.opened("slow")
            for _ in range(count):
                status = await socket.expect(lambda k, t, b: k == "slow" and t == 8)
                assert status[2] == b"\x01"
            expected = "".join(str(index % 10) for index in range(count))
            assert await socket.text("slow") == expected


async def test_a_socket_closed_while_a_document_opens_leaves_nothing_in_the_room(
    tmp_path: Path,
):
    """The socket closes while a document of it waits to be opened: the document does not
    stay in its room (every connect the hooks saw is matched by a disconnect)."""
    hooks = HeldOpen("slow")
    async with app(tmp_path, hooks) as (url, _):
        async with connect(url) as socket:
            await socket.send(auth("slow", "ada"), auth("other", "ada"))
            async with asyncio.timeout(10):
                await hooks.asked.wait()
            await socket.opened("other")
        hooks.held.clear()
        hooks.release.set()
        async with connect(url) as again:
            await again.send(auth("slow", "mal"))
            await again.opened("slow")
            await again.stored("slow", "after")

        def balance(room: str) -> tuple[int, int]:
            connects = sum(isinstance(e, Connect) and e.room == room for e in hooks.events)
            disconnects = sum(isinstance(e, Disconnect) and e.room == room for e in hooks.events)
            return connects, disconnects

        await hooks.wait_for(lambda: balance("slow") == (1, 1) and balance("other") == (1, 1))


async def test_a_token_refresh_waiting_on_the_hooks_holds_up_only_its_document(tmp_path: Path):
    """A fresh token for an open document (Hocuspocus' token sync) is checked by the host's
    hooks, which may take their time: meanwhile the socket's other documents are written, and
    the refreshed document goes on once its check is done."""
    hooks = HeldOpen()
    async with app(tmp_path, hooks) as (url, _):
        async with connect(url) as socket:
            await socket.send(auth("kept", "ada"), auth("other", "ada"))
            await socket.opened("kept")
            await socket.opened("other")
            hooks.held.add("kept")
            await socket.send(auth("kept", "ada"))
            async with asyncio.timeout(10):
                await hooks.asked.wait()
            await socket.stored("other", "went on")
            hooks.release.set()
            await socket.stored("kept", "still open")
            # Answered once, when it opened: the refresh with the same role changes nothing.
            assert [f[2] for f in socket.seen if f[:2] == ("kept", 2)] == [
                b"\x02" + write_var_bytes(b"read-write")
            ]
