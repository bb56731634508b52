"""A host FastAPI app with its own users, a /login that sets a session cookie, and collab
mounted under /collab with hooks that read that cookie and the host's own permissions."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from pycrdt import Text

import collab
from collab.auth import Identity, Role
from collab.errors import Unauthorized
from collab.hooks import (
    Authenticate,
    Authorize,
    AwarenessState,
    Change,
    Connect,
    CreateDocument,
    Disconnect,
    Hooks,
    VersionRecorded,
)
from collab.state import CollabState

PASSWORDS = {"alice": "wonderland", "bob": "builder"}
NAMES = {"alice": "Alice", "bob": "Bob"}


@dataclass(frozen=True)
class Rechecked:
    """A re-check of an open connection's access (`Authorize.recheck`), and the host's answer."""

    user: str
    room: str
    role: Role | None


@dataclass
class Host:
    """The host's own database: sessions, who may do what where, and what the hooks saw."""

    sessions: dict[str, str] = field(default_factory=dict)
    roles: dict[tuple[str, str], Role] = field(default_factory=dict)
    seen: list[Any] = field(default_factory=list)
    # Hook names that hang forever, or raise.
    hang: set[str] = field(default_factory=set)
    crash: set[str] = field(default_factory=set)
    # Hanging hook calls that collab stopped waiting for (cancelled at its hook timeout).
    abandoned: Counter[str] = field(default_factory=Counter)
    collab: CollabState | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, event: Any) -> None:
        self.seen.append(event)
        self._changed.set()

    def events(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.seen if isinstance(event, kind)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def misbehave(self, name: str) -> None:
        if name in self.crash:
            raise ValueError(f"{name} is broken")
        if name in self.hang:
            try:
                await asyncio.Event().wait()
            finally:
                self.abandoned[name] += 1


class HostHooks(Hooks):
    """Identity from the host's session cookie; roles from its table; the rest recorded."""

    def __init__(self, host: Host) -> None:
        self.host = host

    async def on_authenticate(self, event: Authenticate) -> Identity | None:
        await self.host.misbehave("on_authenticate")
        user = self.host.sessions.get(event.request.cookies.get("session", ""))
        if user is None:
            if event.request.headers.get("authorization"):
                return None  # let a token speak for itself
            raise Unauthorized("sign in first")
        return Identity(user, NAMES[user], ())

    async def on_authorize(self, event: Authorize) -> Role | None:
        await self.host.misbehave("on_authorize")
        role = self.host.roles.get((event.identity.user_id, event.room))
        if event.recheck:
            self.host.record(Rechecked(event.identity.user_id, event.room, role))
        return role

    async def on_create_document(self, event: CreateDocument) -> bytes | None:
        self.host.record(event)
        await self.host.misbehave("on_create_document")
        event.doc.get("content", type=Text).insert(0, f"Welcome to {event.room}\n")
        return None

    async def on_change(self, event: Change) -> None:
        await self.host.misbehave("on_change")
        self.host.record(event)

    async def on_connect(self, event: Connect) -> None:
        await self.host.misbehave("on_connect")
        self.host.record(event)

    async def on_disconnect(self, event: Disconnect) -> None:
        self.host.record(event)

    async def on_awareness(self, event: AwarenessState) -> Any:
        await self.host.misbehave("on_awareness")
        state = dict(event.state)
        if "secret" in state:
            return None
        user = event.user_id or "?"
        state["user"] = {"name": NAMES.get(user, user), "verified": True}
        return state

    async def on_version(self, event: VersionRecorded) -> None:
        self.host.record(event)


def host_app(host: Host, settings: collab.Settings) -> FastAPI:
    """The host: /login, /logout, /grant and /revoke, and collab under /collab."""
    inner = collab.create_app(settings, hooks=HostHooks(host))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner.router.lifespan_context(inner):
            host.collab = inner.state.collab
            yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/login")
    async def login(body: dict[str, str], response: Response) -> dict[str, str]:
        user = body.get("user", "")
        if PASSWORDS.get(user) != body.get("password"):
            raise HTTPException(401, "wrong user or password")
        session = secrets.token_urlsafe(16)
        host.sessions[session] = user
        response.set_cookie("session", session, httponly=True, samesite="lax")
        return {"user": user}

    @app.post("/revoke/{room}/{user}")
    async def revoke(room: str, user: str, request: Request) -> dict[str, int]:
        host.roles.pop((user, room), None)
        closed = 0
        if request.query_params.get("now") and host.collab is not None:
            closed = await host.collab.recheck_access(room=room, user_id=user)
        return {"closed": closed}

    app.mount("/collab", inner)
    return app
