"""A real y-websocket client built on pycrdt and websockets, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import websockets
from pycrdt import Doc, Text
from websockets.asyncio.client import ClientConnection

from collab.protocol.awareness import AwarenessEntry, decode_awareness, encode_awareness_entries
from collab.protocol.encoding import Reader
from collab.protocol.messages import (
    MessageType,
    SyncType,
    encode_awareness,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
)


class YClient:
    """Keeps a local Doc in sync with one room; records awareness, acks and the close code."""

    def __init__(
        self,
        base_url: str,
        room: str,
        *,
        ack: bool = False,
        events: bool = False,
        name: str | None = None,
        client_id: int | None = None,
        token: str | None = None,
        token_in_query: bool = False,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        params = (["ack=1"] if ack else []) + (
            [f"token={token}"] if token and token_in_query else []
        )
        params += (["events=1"] if events else []) + ([f"name={quote(name)}"] if name else [])
        self.url = f"{base_url}/{room}" + ("?" + "&".join(params) if params else "")
        self.subprotocols: list[Any] | None = None
        if token and not token_in_query:
            self.subprotocols = ["collab", f"collab.token.{token}"]
        self.origin: Any = origin
        self.headers = headers  # extra upgrade headers (a browser's Cookie)
        self.doc: Doc[Any] = Doc(client_id=client_id) if client_id is not None else Doc()
        self.content = self.doc.get("content", type=Text)
        self.awareness: dict[int, str] = {}
        self.awareness_frames = 0  # awareness messages received
        self.awareness_clocks: dict[int, int] = {}  # the last clock received of each client
        self.acked = 0
        # EVENT messages, each with the text of `content` when it arrived.
        self.events: list[tuple[dict[str, Any], str]] = []
        self.sent_updates = 0
        self.received_updates: list[bytes] = []
        self.step2_count = 0  # SyncStep2 answers received
        self.synced = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self._changed = asyncio.Event()
        self._applying = False
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscription = self.doc.observe(self._on_local_change)

    async def __aenter__(self) -> YClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        self._ws = await websockets.connect(
            self.url,
            max_size=None,
            subprotocols=self.subprotocols,
            origin=self.origin,
            additional_headers=self.headers,
        )
        self._reader = asyncio.create_task(self._read_loop())
        await self.send_raw(encode_sync_step1(self.doc.get_state()))

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await self._reader

    def abort(self) -> None:
        """Drop the TCP connection without a close handshake."""
        assert self._ws is not None
        self._ws.transport.abort()

    async def send_raw(self, frame: bytes | str) -> None:
        assert self._ws is not None
        with contextlib.suppress(websockets.ConnectionClosed):
            await self._ws.send(frame)

    # -- editing ---------------------------------------------------------------------------

    def insert(self, index: int, text: str) -> None:
        self.content.insert(index, text)

    def append(self, text: str) -> None:
        self.content += text

    @property
    def text(self) -> str:
        return str(self.content)

    def set_awareness(self, clock: int, state: dict[str, Any] | None) -> bytes:
        entry = AwarenessEntry(self.doc.client_id, clock, json.dumps(state))
        return encode_awareness(encode_awareness_entries([entry]))

    def _on_local_change(self, event: Any) -> None:
        if self._applying or self._ws is None:
            return
        self.sent_updates += 1
        frame = encode_update(event.update)
        asyncio.get_running_loop().create_task(self.send_raw(frame))

    # -- waiting ---------------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def wait_text(self, expected: str, timeout: float = 10.0) -> None:
        try:
            await self.wait_for(lambda: self.text == expected, timeout)
        except TimeoutError:
            raise AssertionError(f"text is {self.text!r}, expected {expected!r}") from None

    async def wait_closed(self, timeout: float = 10.0) -> tuple[int | None, str]:
        async with asyncio.timeout(timeout):
            await self.closed.wait()
        return self.close_code, self.close_reason

    # -- incoming --------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        assert self._ws is not None
        try:
            async for frame in self._ws:
                if isinstance(frame, bytes):
                    await self._on_frame(frame)
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self._ws.close_code
            self.close_reason = self._ws.close_reason or ""
            self.closed.set()
            self._changed.set()

    async def _on_frame(self, frame: bytes) -> None:
        reader = Reader(frame)
        kind = reader.read_var_uint()
        if kind == MessageType.SYNC:
            await self._on_sync(reader.read_var_uint(), reader.read_var_bytes())
        elif kind == MessageType.AWARENESS:
            self.awareness_frames += 1
            for entry in decode_awareness(reader.read_var_bytes(), max_entries=1_000_000):
                self.awareness_clocks[entry.client_id] = entry.clock
                if entry.removed:
                    self.awareness.pop(entry.client_id, None)
                else:
                    self.awareness[entry.client_id] = entry.state_json
        elif kind == MessageType.DURABLE:
            self.acked = reader.read_var_uint()
        elif kind == MessageType.EVENT:
            self.events.append((json.loads(reader.read_var_string()), self.text))

    async def _on_sync(self, sub_type: int, payload: bytes) -> None:
        if sub_type == SyncType.STEP1:
            self.sent_updates += 1
            await self.send_raw(encode_sync_step2(self.doc.get_update(payload)))
            return
        self._applying = True
        try:
            self.doc.apply_update(payload)
        finally:
            self._applying = False
        self.received_updates.append(payload)
        if sub_type == SyncType.STEP2:
            self.step2_count += 1
            self.synced.set()


async def open_stalled_client(
    port: int, room: str, token: str | None = None, receive_buffer: int | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw client that completes the WebSocket handshake, sends SyncStep1, and then never
    reads or answers a ping again (a slow consumer, or a peer whose network went away).

    `receive_buffer` (bytes) shrinks the socket's receive buffer before it connects, so the
    kernel holds little of what the server sends it and the server's own queue fills sooner."""
    if receive_buffer is None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        except BaseException:
            sock.close()
            raise
        # The stream reader's own buffer stays small too (it stops reading at twice its limit).
        reader, writer = await asyncio.open_connection(sock=sock, limit=receive_buffer)
    key = base64.b64encode(os.urandom(16)).decode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    writer.write(
        (
            f"GET /ws/{room} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"{auth}\r\n"
        ).encode()
    )
    await writer.drain()
    response = await reader.readuntil(b"\r\n\r\n")
    assert b" 101 " in response, response
    frame = encode_sync_step1(b"\x00")
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(frame))
    writer.write(bytes([0x82, 0x80 | len(frame)]) + mask + masked)
    await writer.drain()
    return reader, writer
