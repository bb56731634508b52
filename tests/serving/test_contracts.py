"""What collab.serving relies on in uvicorn and websockets, by name: a release that changes any
of it fails here, saying what changed and where collab uses it, before it breaks every
WebSocket of a fresh install.

uvicorn: its documented Config options (collab passes its own `http` and `ws` protocol classes),
what a loaded Config holds for protocol classes (`loaded_app`, `http_protocol_class`, the `ws_*`
settings), the server state each protocol joins (`connections`, `tasks`, `default_headers`),
how it builds a WebSocket protocol (`config`, `server_state`, `app_state`), runs it
(`connection_made`, `data_received` with the upgrade request) and stops it (`shutdown()`), and
the two methods DrainingServer overrides (`handle_exit`, `startup`).

websockets: the documented sans-I/O API (ServerProtocol, Frame, Opcode, Close, State, Request,
Response, Headers, permessage-deflate) and, optional, its C mask."""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
from typing import Any

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.datastructures import Headers
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol

from collab.api.ws import TRANSPORT_KEY
from collab.serving import frames
from collab.serving.http import default_http_protocol, http_protocol
from collab.serving.protocol import WebSocketProtocol, websocket_protocol
from collab.serving.server import DrainingServer
from tests.inprocess import running


async def _no_app(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app that is never called."""


def _missing(names: set[str], present: Any) -> list[str]:
    return sorted(names - set(present))


def test_uvicorn_config_takes_what_collab_serve_passes() -> None:
    passed = {
        "host",
        "port",
        "log_level",
        "log_config",
        "http",
        "ws",
        "ws_max_size",
        "ws_per_message_deflate",
        "ws_ping_interval",
        "ws_ping_timeout",
        "timeout_graceful_shutdown",
        "lifespan",
    }
    missing = _missing(passed, inspect.signature(uvicorn.Config).parameters)
    assert not missing, f"uvicorn.Config no longer takes {missing} (collab/serving/server.py)"


def test_a_loaded_uvicorn_config_holds_what_the_protocols_read() -> None:
    http, ws = http_protocol(10.0), websocket_protocol()
    config = uvicorn.Config(
        _no_app,
        http=http,
        ws=ws,
        log_config=None,
        ws_max_size=12345,
        ws_per_message_deflate=False,
        ws_ping_interval=7.0,
        ws_ping_timeout=8.0,
    )
    config.load()
    read = {
        "http_protocol_class": http,
        "ws_protocol_class": ws,
        "root_path": "",
        "ws_max_size": 12345,
        "ws_per_message_deflate": False,
        "ws_ping_interval": 7.0,
        "ws_ping_timeout": 8.0,
    }
    changed = [name for name, value in read.items() if getattr(config, name, None) != value]
    assert not changed, (
        f"a loaded uvicorn.Config no longer holds {changed} as it was given: "
        "collab/serving/http.py and protocol.py read them"
    )
    assert callable(getattr(config, "loaded_app", None)), (
        "a loaded uvicorn.Config has no callable `loaded_app`: collab/serving/protocol.py "
        "calls the app through it"
    )
    default = default_http_protocol()
    assert inspect.isclass(default) and issubclass(default, asyncio.Protocol), (
        f"uvicorn's default HTTP protocol ({default!r}) is not an asyncio.Protocol class: "
        "collab/serving/http.py wraps it"
    )


def test_uvicorn_server_has_the_state_and_methods_collab_uses() -> None:
    server = uvicorn.Server(uvicorn.Config(_no_app, log_config=None))
    state = server.server_state
    kinds = {"connections": set, "tasks": set, "default_headers": list}
    wrong = [name for name, kind in kinds.items() if not isinstance(getattr(state, name), kind)]
    assert not wrong, f"uvicorn's ServerState changed {wrong}: collab/serving/protocol.py uses them"
    for name in ("should_exit", "started"):
        assert getattr(server, name) is False, f"uvicorn.Server has no flag {name!r}"
    # As uvicorn ships it: in this process another test may have imported the MCP SDK, whose
    # sse-starlette wraps uvicorn.Server.handle_exit in a (*args, **kwargs) function that calls
    # the original (collab's override still reaches uvicorn's through it).
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import inspect, uvicorn; "
            "print(*inspect.signature(uvicorn.Server.handle_exit).parameters)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    handle_exit = shown.stdout.split()
    assert handle_exit == ["self", "sig", "frame"], (
        f"uvicorn.Server.handle_exit is now {handle_exit}: DrainingServer overrides it "
        "(collab/serving/server.py)"
    )
    startup = uvicorn.Server.startup
    assert (
        inspect.iscoroutinefunction(startup) and "sockets" in inspect.signature(startup).parameters
    ), (
        "uvicorn.Server.startup(sockets=...) changed: DrainingServer overrides it "
        "(collab/serving/server.py)"
    )
    assert DrainingServer.handle_exit is not uvicorn.Server.handle_exit


def _held_open() -> tuple[Starlette, asyncio.Queue[Any]]:
    """An app that accepts, reports its scope's transport control, and waits for the end."""
    seen: asyncio.Queue[Any] = asyncio.Queue()

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        seen.put_nowait(websocket.scope.get(TRANSPORT_KEY))
        try:
            await websocket.receive_bytes()
        except WebSocketDisconnect as gone:
            seen.put_nowait(gone.code)

    return Starlette(routes=[WebSocketRoute("/held", endpoint)]), seen


async def test_uvicorn_builds_runs_and_shuts_down_collabs_websocket_protocol() -> None:
    """The upgrade reaches collab's protocol (the app sees its transport control), which joins
    uvicorn's connections and tasks while open, and closes with 1012 when uvicorn shuts down."""
    app, seen = _held_open()
    async with running(app) as server:
        url = f"ws://127.0.0.1:{server.config.port}/held"
        async with websockets.connect(url) as ws:
            async with asyncio.timeout(10):
                control = await seen.get()
            assert control is not None, "the upgrade did not reach collab's WebSocket protocol"
            state = server.server_state
            ours = [c for c in state.connections if isinstance(c, WebSocketProtocol)]
            assert len(ours) == 1, f"uvicorn's connections hold {state.connections}"
            assert len(state.tasks) == 1, f"uvicorn's tasks hold {state.tasks}"
            server.should_exit = True  # what SIGINT does: shutdown() on every connection
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 1012
            async with asyncio.timeout(10):
                assert await seen.get() == 1012
    assert not server.server_state.connections


def test_websockets_sans_io_api_is_what_collab_uses() -> None:
    methods = {
        "accept",
        "reject",
        "send_response",
        "receive_data",
        "receive_eof",
        "events_received",
        "data_to_send",
        "send_binary",
        "send_text",
        "send_close",
        "send_ping",
        "fail",
    }
    missing = _missing(methods, dir(ServerProtocol))
    assert not missing, f"websockets' ServerProtocol lost {missing} (collab/serving/protocol.py)"
    arguments = _missing(
        {"extensions", "max_size", "logger"}, inspect.signature(ServerProtocol).parameters
    )
    assert not arguments, f"websockets' ServerProtocol no longer takes {arguments}"
    protocol = ServerProtocol()
    assert protocol.state is State.CONNECTING and protocol.handshake_exc is None
    assert isinstance(inspect.getattr_static(ServerProtocol, "close_exc"), property)
    opcodes = {"CONT", "TEXT", "BINARY", "CLOSE", "PING", "PONG"}
    assert not _missing(opcodes, Opcode.__members__), "websockets' Opcode changed"
    assert not _missing({"CONNECTING", "OPEN", "CLOSING", "CLOSED"}, State.__members__)
    assert Close.parse(Close(4000, "done").serialize()) == Close(4000, "done")
    assert {"opcode", "data", "fin"} <= set(inspect.signature(Frame).parameters)
    assert {"path", "headers"} <= set(inspect.signature(Request).parameters)
    response = Response(418, "I'm a teapot", Headers([("Content-Length", "0")]), b"")
    assert response.serialize().startswith(b"HTTP/1.1 418 ")
    headers = Headers([("A", "1"), ("a", "2")])
    assert headers.get_all("a") == ["1", "2"]
    headers.clear()  # the parsed request's headers are let go once the scope has a copy
    assert list(headers.raw_items()) == [] and headers.get_all("a") == []
    deflate = set(inspect.signature(ServerPerMessageDeflateFactory).parameters)
    assert {"server_max_window_bits", "client_max_window_bits", "compress_settings"} <= deflate


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 125, 70_000])
def test_collabs_unmasking_is_rfc_6455s_xor(size: int) -> None:
    """The frame reader unmasks on its own (websockets' C helper is not public API)."""
    payload, mask = os.urandom(size), os.urandom(4)
    expected = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    assert frames.unmask(payload, mask) == expected
    assert frames.xor_mask(frames.xor_mask(payload, mask), mask) == payload
