"""Webhooks against a real HTTP receiver in the test and a real `collab serve` process."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from collab.config import Settings
from collab.protocol.yupdate import parse_state_vector
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient

SECRET = "webhook-test-secret"


@dataclass
class Received:
    """One request the receiver got, and the status it answered."""

    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def event(self) -> str:
        return self.headers["collab-event"]


@dataclass
class Receiver:
    """A minimal HTTP/1.1 server on 127.0.0.1 recording every POST. `status(request)` picks the
    answer; `hang` set: requests are read, recorded, and never answered."""

    status: Callable[[Received], int] = lambda _: 200
    hang: bool = False
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self, event: str | None = None) -> list[Received]:
        """Requests answered 2xx, in arrival order (of one event type)."""
        return [
            r
            for r in self.requests
            if 200 <= r.status < 300 and (event is None or r.event == event)
        ]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._arrived.clear()
                await self._arrived.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                received = Received(headers, body, 0)
                if self.hang:
                    self.requests.append(received)
                    self._arrived.set()
                    await self._release.wait()
                    return
                received.status = self.status(received)
                self.requests.append(received)
                self._arrived.set()
                writer.write(
                    f"HTTP/1.1 {received.status} X\r\nContent-Length: 2\r\n\r\nok".encode()
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    """Serve `receiver` on its port (a free one if it has none yet)."""
    server = await asyncio.start_server(receiver._serve, "127.0.0.1", receiver.port)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        receiver._release.set()
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await server.wait_closed()


def webhook_server(
    make_server: ServerFactory, database_url: str, receiver: Receiver, **env: str
) -> ServerProcess:
    settings = {
        "COLLAB_WEBHOOK_URLS": receiver.url,
        "COLLAB_WEBHOOK_SECRET": SECRET,
        "COLLAB_WEBHOOK_DEBOUNCE": "1.0",
        "COLLAB_WEBHOOK_BACKOFF": "0.1",
        "COLLAB_UNLOAD_GRACE": "30",
    }
    return make_server(database_url, **{**settings, **env})


def verified(request: Received) -> bool:
    """What a receiver does: recompute the HMAC over "{timestamp}.{body}"."""
    timestamp = request.headers["collab-timestamp"]
    expected = hmac.new(
        SECRET.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(request.headers["collab-signature"], "sha256=" + expected)


def test_urls_without_a_secret_are_refused():
    with pytest.raises(ValueError, match="COLLAB_WEBHOOK_SECRET"):
        Settings(webhook_urls="http://127.0.0.1:9/hook").check()
    Settings(webhook_urls="http://127.0.0.1:9/hook", webhook_secret="s").check()


async def test_edits_within_the_window_become_one_signed_changed_event(
    make_server: ServerFactory, sqlite_url: str
):
    async with receiving(Receiver()) as receiver:
        server = webhook_server(make_server, sqlite_url, receiver)
        await server.start()
        async with (
            YClient(server.ws_url, "notes", name="alice", ack=True) as alice,
            YClient(server.ws_url, "notes", name="bob", ack=True) as bob,
        ):
            await alice.synced.wait()
            await bob.synced.wait()
            for i in range(3):
                alice.append(f"a{i} ")
                bob.append(f"b{i} ")
                await asyncio.sleep(0.05)
            await alice.wait_for(lambda: alice.acked == alice.sent_updates)
            await bob.wait_for(lambda: bob.acked == bob.sent_updates)
            await receiver.wait(lambda: bool(receiver.delivered("document.changed")))
            await asyncio.sleep(1.5)  # a second window would have closed by now
            changed = receiver.delivered("document.changed")
            assert len(changed) == 1, [r.json for r in changed]
            event = changed[0]
            body = event.json
            assert body["event"] == "document.changed" and body["room"] == "notes"
            assert sorted(body["authors"]) == ["alice", "bob"]
            assert 1 <= body["first_seq"] <= body["last_seq"]
            assert body["last_seq"] - body["first_seq"] >= 1  # several commits coalesced
            padded = body["state_vector"] + "=" * (-len(body["state_vector"]) % 4)
            # As maps: yrs encodes a state vector's clients in no fixed order.
            sent = parse_state_vector(base64.urlsafe_b64decode(padded))
            assert sent == parse_state_vector(alice.doc.get_state())
            assert event.headers["collab-delivery"] == body["id"]
            assert abs(int(event.headers["collab-timestamp"]) - time.time()) < 30
            assert verified(event)
            tampered = Received(event.headers, event.body.replace(b"alice", b"mallo"), 200)
            assert not verified(tampered)


async def test_events_of_a_room_arrive_in_order_through_retries(
    make_server: ServerFactory, sqlite_url: str
):
    failures = 3

    def status(request: Received) -> int:
        failed = sum(1 for r in receiver.requests if r.status == 500)
        return 500 if failed < failures else 200

    async with receiving(Receiver(status=status)) as receiver:
        server = webhook_server(make_server, sqlite_url, receiver, COLLAB_WEBHOOK_DEBOUNCE="0.3")
        await server.start()
        async with YClient(server.ws_url, "doc", name="ada", ack=True) as ada:
            await ada.synced.wait()
            ada.append("hello")
            await ada.wait_for(lambda: ada.acked == ada.sent_updates)
            async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
                await asyncio.sleep(0.5)  # the change window closes; its delivery fails
                response = await http.post("/api/rooms/doc/versions", json={"label": "Draft"})
                assert response.status_code == 201, response.text
                version = response.json()
                response = await http.delete("/api/rooms/doc")
                assert response.status_code in (200, 204), response.text
        await receiver.wait(lambda: bool(receiver.delivered("room.deleted")))
        failed = [r for r in receiver.requests if r.status == 500]
        assert [r.event for r in failed] == ["document.changed"] * failures
        assert [r.headers["collab-attempt"] for r in failed] == ["1", "2", "3"]
        delivered = receiver.delivered()
        assert [r.event for r in delivered] == [
            "document.changed",
            "version.recorded",
            "room.deleted",
        ]
        assert delivered[0].headers["collab-delivery"] == failed[0].headers["collab-delivery"]
        assert delivered[0].headers["collab-attempt"] == "4"
        assert all(verified(r) for r in receiver.requests)
        recorded = delivered[1].json
        assert recorded["room"] == "doc" and recorded["version_id"] == version["id"]
        assert recorded["kind"] == "named" and recorded["label"] == "Draft"
        assert recorded["authors"] == version["authors"]
        assert delivered[2].json["room"] == "doc"


async def test_a_failing_room_does_not_hold_other_rooms(
    make_server: ServerFactory, sqlite_url: str
):
    def status(request: Received) -> int:
        return 500 if request.json["room"] == "stuck" else 200

    async with receiving(Receiver(status=status)) as receiver:
        server = webhook_server(
            make_server,
            sqlite_url,
            receiver,
            COLLAB_WEBHOOK_DEBOUNCE="0.2",
            COLLAB_WEBHOOK_ATTEMPTS="1000",  # "stuck" is retried for as long as the test runs
        )
        await server.start()
        async with (
            YClient(server.ws_url, "stuck", ack=True) as stuck,
            YClient(server.ws_url, "free", ack=True) as free,
        ):
            stuck.append("x")
            await stuck.wait_for(lambda: stuck.acked == stuck.sent_updates)
            await receiver.wait(lambda: any(r.status == 500 for r in receiver.requests))
            free.append("y")
            await receiver.wait(lambda: bool(receiver.delivered("document.changed")))
            assert receiver.delivered()[0].json["room"] == "free"


async def test_commits_are_acknowledged_while_the_receiver_hangs(
    make_server: ServerFactory, sqlite_url: str
):
    async with receiving(Receiver(hang=True)) as receiver:
        server = webhook_server(
            make_server,
            sqlite_url,
            receiver,
            COLLAB_WEBHOOK_DEBOUNCE="0.1",
            COLLAB_WEBHOOK_TIMEOUT="60",
        )
        await server.start()
        async with YClient(server.ws_url, "busy", name="ada", ack=True) as ada:
            await ada.synced.wait()
            ada.append("first")
            await ada.wait_for(lambda: ada.acked == ada.sent_updates)
            await receiver.wait(lambda: bool(receiver.requests))  # a delivery now hangs
            for i in range(20):
                ada.append(f"{i},")
                await asyncio.sleep(0.02)
            # Acknowledged long before the hanging delivery's 60 s timeout: not behind it.
            await ada.wait_for(lambda: ada.acked == ada.sent_updates, timeout=20)
            assert len(receiver.requests) == 1  # the room's later events wait behind it
