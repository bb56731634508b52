"""The opening handshake in ASGI terms: the scope an upgrade request makes, and the app's answer
to it (an accept with its headers, a refusal, or its own HTTP response), each with its log
line."""

from __future__ import annotations

import asyncio
import email.utils
import enum
import http
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol

# uvicorn's own logger: the "[accepted]" and refusal lines read like its other lines, go
# where its log config sends them, and pass the token-redacting filter collab.logs puts there.
SERVER_LOG = logging.getLogger("uvicorn.error")


def latin1(value: str) -> bytes:
    """A header value back to its bytes (websockets 17 decodes them as ISO-8859-1; earlier
    versions as ASCII with surrogate escapes)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("ascii", "surrogateescape")


def scope_of(
    request: Request, transport: asyncio.Transport, root_path: str, app_state: dict[str, Any]
) -> dict[str, Any]:
    """The ASGI websocket scope of an upgrade request (spec 2.4, with the denial extension)."""
    raw_path, _, query = request.path.partition("?")
    subprotocols = [
        token.strip()
        for header in request.headers.get_all("Sec-WebSocket-Protocol")
        for token in header.split(",")
        if token.strip()
    ]
    headers = [(k.lower().encode("latin-1"), latin1(v)) for k, v in request.headers.raw_items()]
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "wss" if transport.get_extra_info("sslcontext") else "ws",
        "server": _address(transport.get_extra_info("sockname")),
        "client": _address(transport.get_extra_info("peername")),
        "root_path": root_path,
        "path": root_path + unquote(raw_path),
        "raw_path": (root_path + raw_path).encode("ascii"),
        "query_string": query.encode("ascii"),
        "headers": headers,
        "subprotocols": subprotocols,
        "state": app_state.copy(),
        "extensions": {"websocket.http.response": {}},
    }


def _address(info: Any) -> tuple[str, int] | None:
    if isinstance(info, tuple | list) and len(info) >= 2:
        return str(info[0]), int(info[1])
    return None


class Answer(enum.Enum):
    """Where the app's answer to an upgrade request stands."""

    ACCEPTED = enum.auto()
    REFUSED = enum.auto()  # a 403, a 500 or the app's own HTTP response, sent
    PENDING = enum.auto()  # the app's own HTTP response, not all of it sent yet


class Upgrade:
    """An upgrade request websockets found valid and the app has not answered yet: its scope,
    the 101 response websockets prepared, and the app's own HTTP response while it comes."""

    __slots__ = ("_denial", "_response", "_sansio", "plain", "scope")

    def __init__(self, conn: ServerProtocol, response: Response, scope: dict[str, Any]) -> None:
        self._sansio = conn
        self._response = response
        self.scope = scope
        self._denial: tuple[int, list[tuple[bytes, bytes]], list[bytes]] | None = None
        # Once accepted: whether frames are as they look (no extension was negotiated).
        self.plain = False

    def answer(self, message: dict[str, Any], defaults: Iterable[tuple[bytes, bytes]]) -> Answer:
        """Carry out the app's ASGI answer (`defaults`: the server's headers for a 101)."""
        kind = message["type"]
        if self._denial is not None:
            return self._add_denial_body(message)
        if kind == "websocket.accept":
            response = self._response
            add_accept_headers(response, defaults, message)
            self._sansio.send_response(response)
            log_outcome(self.scope, "[accepted]")
            self.plain = "Sec-WebSocket-Extensions" not in response.headers
            return Answer.ACCEPTED
        if kind == "websocket.close":  # before accepting: HTTP 403
            log_outcome(self.scope, "403")
            self._sansio.send_response(self._sansio.reject(403, ""))
            return Answer.REFUSED
        if kind == "websocket.http.response.start":
            self._start_denial(message)
            return Answer.PENDING
        raise RuntimeError(
            "Expected ASGI message 'websocket.accept', 'websocket.close' or "
            f"'websocket.http.response.start' but got '{kind}'."
        )

    def fail(self) -> None:
        """The app failed, or ended, without answering: HTTP 500."""
        self._sansio.send_response(self._sansio.reject(500, "Internal Server Error"))

    def _start_denial(self, message: dict[str, Any]) -> None:
        status = message["status"]
        if not 100 <= status < 600:
            raise RuntimeError(f"Invalid HTTP status code '{status}' in response.")
        self._denial = (status, list(message.get("headers", [])), [])

    def _add_denial_body(self, message: dict[str, Any]) -> Answer:
        if message["type"] != "websocket.http.response.body":
            raise RuntimeError(f"Expected 'websocket.http.response.body', got {message['type']!r}.")
        assert self._denial is not None
        status, headers, body = self._denial
        body.append(message.get("body", b""))
        if message.get("more_body", False):
            return Answer.PENDING
        log_outcome(self.scope, str(status))
        self._sansio.send_response(denial(status, headers, b"".join(body)))
        return Answer.REFUSED


def unreadable(conn: ServerProtocol) -> list[bytes]:
    """The answer to an upgrade request websockets could not read: its own (414, 431), or 400."""
    answer = [data for data in conn.data_to_send() if data]
    if not answer:
        answer = [conn.reject(400, "Failed to open a WebSocket connection.\n").serialize()]
    return answer


def add_accept_headers(
    response: Response,
    defaults: Iterable[tuple[bytes, bytes]],
    message: dict[str, Any],
) -> None:
    """The server's default headers (Date, Server), the app's headers and its subprotocol, on
    the 101 response of `websocket.accept`."""
    headers = [
        (name.decode("latin-1").lower(), value.decode("latin-1"))
        for name, value in [*defaults, *message.get("headers", [])]
    ]
    subprotocol = message.get("subprotocol")
    if subprotocol:
        headers.append(("Sec-WebSocket-Protocol", subprotocol))
    if any(name == "date" for name, _ in headers) and "Date" in response.headers:
        del response.headers["Date"]
    for name, value in headers:
        response.headers[name] = value


def denial(status: int, raw_headers: Iterable[tuple[bytes, bytes]], body: bytes) -> Response:
    """The HTTP response of a `websocket.http.response.*` denial."""
    headers = Headers(
        [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw_headers]
    )
    headers.setdefault("Date", email.utils.formatdate(usegmt=True))
    headers.setdefault("Connection", "close")
    headers.setdefault("Content-Length", str(len(body)))
    headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return Response(status, phrase, headers, body)


def log_outcome(scope: dict[str, Any], outcome: str) -> None:
    """One line per handshake, as uvicorn writes it: `ADDRESS - "WebSocket PATH" OUTCOME`."""
    client = scope.get("client")
    address = f"{client[0]}:{client[1]}" if client else ""
    path = scope["raw_path"].decode("latin-1")
    if scope["query_string"]:
        path += "?" + scope["query_string"].decode("ascii")
    SERVER_LOG.info('%s - "WebSocket %s" %s', address, path.replace('"', "%22"), outcome)
