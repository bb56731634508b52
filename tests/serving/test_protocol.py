"""collab's WebSocket protocol keeps the WebSocket and ASGI contracts: text messages, close codes
and reasons both ways, an app's refusal before accepting (its own HTTP response, or 500 when it
fails), keepalive pings, the size limit across fragments, and an upgraded socket outliving the
header timeout; an app may hand the rest of a connection over and return. Against a real
collab server, or a real uvicorn serving a small Starlette app."""

from __future__ import annotations

import asyncio
import base64
import gc
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

import collab
from collab.api.ws import run_session
from collab.protocol.messages import encode_sync_step1
from tests.conftest import ServerFactory
from tests.inprocess import running, serving_on_port
from tests.serving.raw import close_code, masked, raw_socket, read_frame
from tests.yclient import YClient


class Recorder:
    """What the small app saw: the disconnect events it received."""

    def __init__(self) -> None:
        self.disconnects: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        self.returned: asyncio.Queue[str] = asyncio.Queue()  # paths whose app call returned


class _Returns:
    """Middleware: records each WebSocket path whose app call has returned."""

    def __init__(self, app: Any, recorder: Recorder) -> None:
        self.app, self.recorder = app, recorder

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "websocket":
                self.recorder.returned.put_nowait(scope["path"])


def _app(recorder: Recorder) -> Starlette:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await _echo(websocket)

    async def handed_off(websocket: WebSocket) -> None:
        await websocket.accept()
        await run_session(websocket, _echo(websocket))

    async def breaks_after_hand_off(websocket: WebSocket) -> None:
        async def broken() -> None:
            await websocket.send_text("about to break")
            raise ValueError("the session broke")

        await websocket.accept()
        await run_session(websocket, broken())

    async def _echo(websocket: WebSocket) -> None:
        try:
            while True:
                text = await websocket.receive_text()
                if text == "bye":
                    await websocket.close(4000, "done")
                    return
                await websocket.send_text(text.upper())
        except WebSocketDisconnect as gone:
            recorder.disconnects.put_nowait((gone.code, gone.reason))

    async def deny(websocket: WebSocket) -> None:
        await websocket.send_denial_response(PlainTextResponse("go away", status_code=418))

    async def fail(websocket: WebSocket) -> None:
        raise ValueError("the app broke before accepting")

    async def forget(websocket: WebSocket) -> None:
        return  # neither accepts nor refuses

    routes = [
        WebSocketRoute("/echo", echo),
        WebSocketRoute("/handed-off", handed_off),
        WebSocketRoute("/breaks", breaks_after_hand_off),
        WebSocketRoute("/deny", deny),
        WebSocketRoute("/fail", fail),
        WebSocketRoute("/forget", forget),
    ]
    return Starlette(routes=routes, middleware=[Middleware(_Returns, recorder=recorder)])


async def _say_bye(ws: websockets.ClientConnection) -> None:
    """The echo app's goodbye: it closes with its own code and reason."""
    await ws.send("bye")
    with pytest.raises(websockets.ConnectionClosedError):
        await ws.recv()
    assert (ws.close_code, ws.close_reason) == (4000, "done")


@pytest.fixture
async def small_app() -> AsyncIterator[tuple[str, Recorder]]:
    recorder = Recorder()
    async with serving_on_port(_app(recorder)) as port:
        yield f"ws://127.0.0.1:{port}", recorder


def _containers_holding(text: str) -> list[object]:
    """Lists, tuples and dicts holding a str that contains `text` (not `text` itself)."""

    def found(value: object) -> bool:
        # type(), not isinstance(): a dead weak proxy among the objects raises on __class__
        return type(value) is str and value is not text and text in value

    held: list[object] = []
    for thing in gc.get_objects():
        if type(thing) in (list, tuple) and any(found(item) for item in thing):
            held.append(thing)
        elif type(thing) is dict and any(found(item) for item in thing.values()):
            held.append(thing)
    return held


async def test_an_open_connection_keeps_no_parsed_copy_of_its_upgrade_headers(
    small_app: tuple[str, Recorder],
):
    """websockets' parser keeps the request it parsed while the connection is open; the scope
    has its own copy of the headers, so the parsed ones are let go (memory per connection)."""
    url, _ = small_app
    marker = "marker-" + uuid.uuid4().hex * 32
    reader, writer = await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"X-Marker: {marker}\r\n\r\n"
    )
    writer.write(request.encode())
    del request
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        writer.write(masked(0x1, b"hi"))
        assert await read_frame(reader) == (0x1, b"HI")  # open, and the app is serving it
        assert _containers_holding(marker) == []
    finally:
        writer.close()


async def test_text_messages_and_the_apps_close_code_and_reason(small_app: tuple[str, Recorder]):
    base, _ = small_app
    async with websockets.connect(f"{base}/echo") as ws:
        await ws.send("hello")
        assert await ws.recv() == "HELLO"
        await _say_bye(ws)


async def test_a_handed_off_session_serves_after_the_apps_call_returned(
    small_app: tuple[str, Recorder],
):
    """The middleware's call returns while the connection stays open and served; the session's
    close ends it. (An app that serves in its call returns only when the connection ends.)"""
    base, recorder = small_app
    async with websockets.connect(f"{base}/echo") as ws:
        await ws.send("hello")
        assert await ws.recv() == "HELLO"
        assert recorder.returned.empty()  # served in the app's call: it has not returned
    async with asyncio.timeout(10):
        assert await recorder.returned.get() == "/echo"
        async with websockets.connect(f"{base}/handed-off") as ws:
            assert await recorder.returned.get() == "/handed-off"
            await ws.send("still here")
            assert await ws.recv() == "STILL HERE"
            await _say_bye(ws)


async def test_a_handed_off_session_that_fails_ends_its_connection(
    small_app: tuple[str, Recorder],
):
    base, _ = small_app
    async with asyncio.timeout(10), websockets.connect(f"{base}/breaks") as ws:
        assert await ws.recv() == "about to break"
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()


async def test_a_clients_close_code_and_reason_reach_the_app(small_app: tuple[str, Recorder]):
    base, recorder = small_app
    async with websockets.connect(f"{base}/echo") as ws:
        await ws.send("ping")
        assert await ws.recv() == "PING"
        await ws.close(4001, "leaving")
    async with asyncio.timeout(10):
        assert await recorder.disconnects.get() == (4001, "leaving")


async def test_a_dropped_connection_reaches_the_app_as_1006(small_app: tuple[str, Recorder]):
    base, recorder = small_app
    ws = await websockets.connect(f"{base}/echo")
    await ws.send("ping")
    assert await ws.recv() == "PING"
    ws.transport.abort()  # no close frame
    async with asyncio.timeout(10):
        assert (await recorder.disconnects.get())[0] == 1006


async def test_an_apps_own_refusal_reaches_the_client(small_app: tuple[str, Recorder]):
    base, _ = small_app
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{base}/deny")
    assert refused.value.response.status_code == 418
    assert refused.value.response.body == b"go away"


@pytest.mark.parametrize("path", ["/fail", "/forget"])
async def test_an_app_that_neither_accepts_nor_refuses_answers_500(
    small_app: tuple[str, Recorder], path: str
):
    base, _ = small_app
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{base}{path}")
    assert refused.value.response.status_code == 500


async def test_a_fragmented_message_over_the_limit_closes_with_1009(
    make_server: ServerFactory, sqlite_url: str
):
    """Each piece is within the limit; the message is not."""
    server = make_server(sqlite_url, COLLAB_MAX_MESSAGE_BYTES="1000")
    await server.start()
    reader, writer = await raw_socket(server, "pieces")
    writer.write(masked(0x2, b"\x00" * 700, fin=False) + masked(0x0, b"\x00" * 700))
    await writer.drain()
    assert await close_code(reader) == 1009
    writer.close()


async def test_text_frames_close_with_1003_and_bad_utf8_with_1007(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url)
    await server.start()
    for payload, code in [(b"hello", 1003), (b"\xff\xfe", 1007)]:
        reader, writer = await raw_socket(server, "texts")
        writer.write(masked(0x1, payload))
        await writer.drain()
        assert await close_code(reader) == code, payload
        writer.close()


async def test_a_peer_that_does_not_answer_pings_is_closed_with_1011(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_PING_INTERVAL="0.3", COLLAB_PING_TIMEOUT="0.3")
    await server.start()
    reader, writer = await raw_socket(server, "silent")
    kinds: list[int] = []
    async with asyncio.timeout(10):
        while not kinds or kinds[-1] != 0x8:
            kind, payload = await read_frame(reader)
            kinds.append(kind)
    assert 0x9 in kinds  # pinged first
    assert int.from_bytes(payload[:2], "big") == 1011
    assert await reader.read() == b""  # then the socket is closed
    writer.close()


async def test_an_upgraded_socket_outlives_the_header_timeout(
    make_server: ServerFactory, sqlite_url: str
):
    """The header timeout bounds request heads, not WebSockets: a socket that answers its
    pings stays open over several timeouts, and is served."""
    server = make_server(
        sqlite_url, COLLAB_HEADER_TIMEOUT="1", COLLAB_PING_INTERVAL="0.4", COLLAB_PING_TIMEOUT="5"
    )
    await server.start()
    reader, writer = await raw_socket(server, "long")
    pings = 0
    async with asyncio.timeout(20):
        while pings < 6:  # 6 x 0.4 s: over two header timeouts
            kind, payload = await read_frame(reader)
            assert kind != 0x8, payload
            if kind == 0x9:
                pings += 1
                writer.write(masked(0xA, payload))
        writer.write(masked(0x2, encode_sync_step1(b"\x00")))
        while (await read_frame(reader))[0] != 0x2:
            pass  # the server's answer to SyncStep1
    writer.close()


async def test_collab_hands_off_its_room_and_hocuspocus_sessions(tmp_path: Path):
    """Once /ws and /hocuspocus connections are accepted, each is served by a session task
    of its own, and no call of the app (middleware, routing) stays open for them."""
    settings = collab.Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'handoff.db'}")
    async with running(collab.create_app(settings)) as server:
        base = f"ws://127.0.0.1:{server.config.port}"
        async with (
            YClient(f"{base}/ws", "handed-off") as client,
            websockets.connect(f"{base}/hocuspocus") as provider,
        ):
            await client.synced.wait()

            def tasks_of(name: str) -> list[asyncio.Task[Any]]:
                tasks = server.server_state.tasks
                return [t for t in tasks if getattr(t.get_coro(), "__qualname__", "") == name]

            # An app call still under way (it began before its accept) ends once it has
            # handed off: wait for that, not for time.
            calls = tasks_of("WebSocketProtocol._run_app")
            if calls:
                async with asyncio.timeout(10):
                    await asyncio.wait(calls)
            assert tasks_of("WebSocketProtocol._run_app") == []
            assert len(tasks_of("WebSocketProtocol._run_session")) == 2
            await provider.ping()  # both still served
            client.append("still served")
            async with YClient(f"{base}/ws", "handed-off") as other:
                await other.wait_text("still served")
