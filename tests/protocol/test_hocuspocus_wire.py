"""The Hocuspocus wire protocol byte by byte: the codec, and /hocuspocus over a raw WebSocket
against an app with hooks (the Auth message's token reaching on_authenticate, on_stateless
answering), served in-process with collab's own WebSocket protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import websockets
from pycrdt import Doc, Text

import collab
from collab.auth import Grant, Identity, Role
from collab.errors import MalformedMessage
from collab.hooks import Authenticate, Hooks, StatelessMessage
from collab.protocol import hocuspocus
from collab.protocol.encoding import Reader, write_var_bytes
from collab.protocol.hocuspocus import Auth, Detach, Frame, Invalid, Pong, Stateless
from collab.protocol.messages import SyncStep1, encode_sync_step1, encode_update
from tests.conftest import ServerFactory
from tests.inprocess import serving_on_port
from tests.people.accounts import add_person, sign_in
from tests.protocol.yupdates import deep_any_update

SECRET = "test-secret-with-enough-entropy-0123456789"


def name(key: str) -> bytes:
    return write_var_bytes(key.encode())


def auth(key: str, token: str, version: str | None = None) -> bytes:
    frame = name(key) + bytes([2, 0]) + write_var_bytes(token.encode())
    return frame + (write_var_bytes(version.encode()) if version is not None else b"")


def update_frame(key: str, text: str) -> bytes:
    doc: Doc[Any] = Doc()
    doc["content"] = Text(text)
    return name(key) + encode_update(doc.get_update())


def test_decoding_frames():
    assert hocuspocus.decode_frame(auth("doc", "t")) == Frame("doc", Auth("t"), 4)
    assert hocuspocus.decode_frame(auth("doc", "t", "4.8.0")) == Frame("doc", Auth("t", "4.8.0"), 4)
    assert hocuspocus.decode_frame(bytes([10])) == Pong()
    step1 = hocuspocus.decode_frame(name("d\x00s1") + encode_sync_step1(b"\x00"))
    assert isinstance(step1, Frame) and step1.message == SyncStep1(b"\x00")
    assert step1.key == "d\x00s1" and step1.document == "d"
    stateless = hocuspocus.decode_frame(name("d") + bytes([5]) + write_var_bytes(b"{}"))
    assert isinstance(stateless, Frame) and stateless.message == Stateless("{}")
    detach = hocuspocus.decode_frame(name("d") + bytes([7]))
    assert isinstance(detach, Frame) and detach.message == Detach()
    for body in (bytes([6]), bytes([0, 9, 0]), bytes([2, 1]) + write_var_bytes(b"x")):
        broken = hocuspocus.decode_frame(name("d") + body)
        assert isinstance(broken, Frame) and isinstance(broken.message, Invalid), body
    with pytest.raises(MalformedMessage):
        hocuspocus.decode_frame(bytes([40, 1, 2]))  # a name longer than the frame


def test_encoding_frames():
    assert hocuspocus.authenticated("d", read_only=True) == name("d") + b"\x02\x02\x08readonly"
    assert hocuspocus.permission_denied("d", "no") == name("d") + b"\x02\x01\x02no"
    assert hocuspocus.sync_status("d", applied=False) == name("d") + b"\x08\x00"
    assert hocuspocus.sync_status("d", applied=True) == name("d") + b"\x08\x01"
    assert hocuspocus.stateless("d", "{}") == name("d") + b"\x05\x02{}"
    assert hocuspocus.close("d", "bye") == name("d") + b"\x07\x03bye"


class KeyHooks(Hooks):
    """API keys in the Auth message's token; stateless messages answered."""

    def __init__(self) -> None:
        self.stateless: list[StatelessMessage] = []

    async def on_authenticate(self, event: Authenticate) -> Identity | None:
        keys = {"key-ed": Role.EDITOR, "key-vi": Role.VIEWER}
        role = keys.get(event.request.token or "")
        if role is None:
            return None  # then the token is checked as a JWT
        return Identity(f"user-{role.name}", role.name.title(), (Grant("*", role),))

    async def on_stateless(self, event: StatelessMessage) -> str | None:
        self.stateless.append(event)
        return f"echo {event.payload} from {event.identity.name} on {event.room}"


@pytest.fixture
async def hooks_url(tmp_path: Path) -> AsyncIterator[tuple[str, KeyHooks]]:
    hooks = KeyHooks()
    settings = collab.Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hp.db'}", secret=SECRET
    )
    async with serving_on_port(collab.create_app(settings, hooks=hooks)) as port:
        yield f"ws://127.0.0.1:{port}/hocuspocus", hooks


def parse(frame: bytes) -> tuple[str, int, bytes]:
    reader = Reader(frame)
    key = reader.read_var_string()
    kind = reader.read_var_uint()
    return key, kind, frame[reader.pos :]


class Frames(list[tuple[str, int, bytes]]):
    """Every frame a socket received, and which of them `expect` has matched."""

    def __init__(self) -> None:
        super().__init__()
        self.matched: set[int] = set()


async def expect(
    ws: Any, predicate: Callable[[str, int, bytes], bool], seen: Frames
) -> tuple[str, int, bytes]:
    """The first frame not matched before that matches `predicate`, received already or
    waited for: one document's frames come in order, different documents' in any."""
    for index, frame in enumerate(seen):
        if index not in seen.matched and predicate(*frame):
            seen.matched.add(index)
            return frame
    while True:
        frame = parse(await ws.recv())
        seen.append(frame)
        if predicate(*frame):
            seen.matched.add(len(seen) - 1)
            return frame


async def test_documents_on_one_socket_each_with_its_own_auth_role_and_close(
    hooks_url: tuple[str, KeyHooks],
):
    url, hooks = hooks_url
    seen = Frames()
    async with websockets.connect(url) as ws:
        await ws.send(auth("a", "key-ed"))
        await ws.send(auth("b", "key-vi"))
        await ws.send(auth("c", "not-a-key"))
        assert (await expect(ws, lambda k, t, b: k == "a", seen))[1:] == (
            2,
            b"\x02" + write_var_bytes(b"read-write"),
        )
        key, kind, body = await expect(ws, lambda k, t, b: k == "a", seen)
        assert (key, kind, body[:1]) == ("a", 0, b"\x00")  # then the room's SyncStep1
        denied = await expect(ws, lambda k, t, b: k == "c", seen)
        assert denied[1] == 2 and denied[2][:1] == b"\x01"  # PermissionDenied
        b_answer = await expect(ws, lambda k, t, b: k == "b", seen)
        assert b_answer[1] == 2 and b_answer[2][:1] == b"\x01"  # room "b" is not found
        await ws.send(update_frame("a", "hello"))
        assert (await expect(ws, lambda k, t, b: k == "a" and t == 8, seen))[2] == b"\x01"
        await ws.send(name("a") + bytes([5]) + write_var_bytes(b"ping"))
        reply = await expect(ws, lambda k, t, b: t == 5, seen)
        assert reply == ("a", 5, write_var_bytes(b"echo ping from Editor on a"))
        assert hooks.stateless[0].role == Role.EDITOR
        # The viewer opens "a" under another key (a v4 session suffix) on the same socket.
        await ws.send(auth("a\x00viewer", "key-vi", "4.8.0"))
        scope = await expect(ws, lambda k, t, b: k == "a\x00viewer" and t == 2, seen)
        assert scope[2] == b"\x02" + write_var_bytes(b"readonly")
        await ws.send(update_frame("a\x00viewer", "not allowed"))
        refused = await expect(ws, lambda k, t, b: k == "a\x00viewer" and t == 8, seen)
        assert refused[2] == b"\x00"  # SyncStatus(0): not applied, the document stays open
        # A malformed message closes its document only (CLOSE: a v4 provider said so).
        await ws.send(name("a\x00viewer") + bytes([0, 9, 0]))
        closed = await expect(ws, lambda k, t, b: k == "a\x00viewer" and t in (2, 7), seen)
        assert closed[1] == 7
        await ws.send(update_frame("a", " again"))
        assert (await expect(ws, lambda k, t, b: k == "a" and t == 8, seen))[2] == b"\x01"
        # A new token for an open document with another role reopens it with that role.
        await ws.send(auth("a", "key-vi"))
        reopened = await expect(ws, lambda k, t, b: k == "a" and t == 2, seen)
        assert reopened[2] == b"\x02" + write_var_bytes(b"readonly")
        await ws.send(update_frame("a", " as a viewer"))
        assert (await expect(ws, lambda k, t, b: k == "a" and t == 8, seen))[2] == b"\x00"
        # A token refused for an open document closes it in-band.
        await ws.send(auth("a", "forged"))
        denied_a = await expect(ws, lambda k, t, b: k == "a" and t == 2, seen)
        assert denied_a[2][:1] == b"\x01"
        # A frame whose document name cannot be read closes the socket.
        await ws.send(bytes([40, 1, 2]))
        with pytest.raises(websockets.ConnectionClosed) as closed_socket:
            while True:
                await ws.recv()
        assert closed_socket.value.rcvd is not None
        assert closed_socket.value.rcvd.code == 1007


async def test_a_person_signed_in_opens_documents_with_the_session_cookie(
    make_server: ServerFactory, sqlite_url: str
):
    """A provider with no token (an empty Auth token, as 3.x and 4.x send) in a page of this
    server is the person its session cookie names, per document, as on /ws."""
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    await add_person(sqlite_url, "bo@example.com", "Bo")
    ada, bo = await sign_in(server, "ada@example.com"), await sign_in(server, "bo@example.com")
    seen = Frames()
    url = f"ws://127.0.0.1:{server.port}/hocuspocus"
    try:
        bo_headers = {"Cookie": f"collab_session={bo.cookie}"}
        async with websockets.connect(url, additional_headers=bo_headers) as ws:
            await ws.send(auth("bos-notes", ""))  # Bo opens it first: Bo's own
            await expect(ws, lambda k, t, b: k == "bos-notes" and t == 0, seen)
        headers = {"Cookie": f"collab_session={ada.cookie}"}
        async with websockets.connect(url, additional_headers=headers) as ws:
            seen = Frames()  # this socket's
            await ws.send(auth("adas-plan", ""))
            await ws.send(auth("bos-notes", ""))
            opened = await expect(ws, lambda k, t, b: k == "adas-plan" and t == 2, seen)
            assert opened[2] == b"\x02" + write_var_bytes(b"read-write")
            denied = await expect(ws, lambda k, t, b: k == "bos-notes" and t == 2, seen)
            assert denied[2][:1] == b"\x01"
            await ws.send(update_frame("adas-plan", "Ada's"))
            assert (await expect(ws, lambda k, t, b: t == 8, seen))[:3] == ("adas-plan", 8, b"\x01")
        async with websockets.connect(url) as ws:  # no cookie, no token
            seen = Frames()
            await ws.send(auth("adas-plan", ""))
            refused = await expect(ws, lambda k, t, b: k == "adas-plan" and t == 2, seen)
            assert refused[2] == b"\x01" + write_var_bytes(
                b"not signed in: sign in at /signin, or send a token"
            )
    finally:
        await ada.close()
        await bo.close()


async def test_a_hostile_update_is_refused_before_pycrdt_and_closes_only_its_document(
    hooks_url: tuple[str, KeyHooks],
):
    url, _ = hooks_url
    seen = Frames()
    async with websockets.connect(url) as ws:
        await ws.send(auth("deep", "key-ed", "4.8.0"))
        await ws.send(auth("calm", "key-ed", "4.8.0"))
        await expect(ws, lambda k, t, b: k == "deep" and t == 2, seen)
        await expect(ws, lambda k, t, b: k == "calm" and t == 0, seen)
        await ws.send(name("deep") + encode_update(deep_any_update(10_000)))
        closed = await expect(ws, lambda k, t, b: k == "deep" and t == 7, seen)
        assert b"deep" in closed[2] or b"nest" in closed[2], closed
        await ws.send(update_frame("calm", "fine"))
        assert (await expect(ws, lambda k, t, b: t == 8, seen))[:3] == ("calm", 8, b"\x01")
        # The closed document's frames are ignored until it authenticates again.
        await ws.send(auth("deep", "key-ed", "4.8.0"))
        reopened = await expect(ws, lambda k, t, b: k == "deep" and t == 2, seen)
        assert reopened[2] == b"\x02" + write_var_bytes(b"read-write")
