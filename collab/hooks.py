"""Hooks: how a host application takes part in collab's lifecycle. Subclass `Hooks`, override
the methods you need and pass an instance to `create_app(settings, hooks=...)`.

Every hook is awaited with a bound (`Settings.hook_timeout`); one that raises or hangs is logged
and the room goes on (README, "Hooks", says what each failure means). Each runs on the process
that serves the request, connection or commit it is about; none is called for what another
process of a cluster did.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pycrdt import Doc

from collab.auth import Identity, Role
from collab.errors import CollabError, HookFailed
from collab.store.base import VersionInfo

# Part of CommentMentioned, so importable from here.
from collab.store.comments import Mentioned as Mentioned

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What a WebSocket upgrade or an HTTP request carried (names of headers are lowercase)."""

    kind: Literal["websocket", "http"]
    path: str
    headers: Mapping[str, str]
    cookies: Mapping[str, str]
    query: Mapping[str, str]
    client: str | None
    method: str = "GET"
    # The token a Hocuspocus provider sent in its Auth message for one document (None
    # elsewhere): a host's on_authenticate hook checks it as it would a header.
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Authenticate:
    """A request or connection to identify."""

    request: RequestInfo


@dataclass(frozen=True, slots=True)
class Authorize:
    """May `identity` use `room`? `request` is None for a re-check of an open connection."""

    identity: Identity
    room: str
    request: RequestInfo | None
    recheck: bool = False


@dataclass(frozen=True, slots=True)
class CreateDocument:
    """A room with nothing stored is being loaded; `doc` is an empty document to fill."""

    room: str
    doc: Doc[Any]


@dataclass(frozen=True, slots=True)
class Change:
    """This process committed updates of `room` (one call per room per transaction)."""

    room: str
    authors: tuple[str, ...]
    # The live document's state vector right after the commit (None when it is not loaded
    # here); it may include updates applied and still being committed.
    state_vector: bytes | None
    first_seq: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class Connect:
    """A WebSocket joined `room` with `role`."""

    room: str
    identity: Identity
    role: Role
    connection_id: int


@dataclass(frozen=True, slots=True)
class Disconnect:
    """A WebSocket left `room`; `close_code` is what it was closed with (1000: normally)."""

    room: str
    identity: Identity
    connection_id: int
    close_code: int


@dataclass(frozen=True, slots=True)
class AwarenessState:
    """An awareness state a connection announced, before it is stored and relayed."""

    room: str
    connection_id: int
    user_id: str | None
    client_id: int
    clock: int
    state: Any  # the parsed JSON state (usually a dict)


@dataclass(frozen=True, slots=True)
class VersionRecorded:
    """This process committed a version of `room` (`created` False: an existing one named)."""

    room: str
    version: VersionInfo
    created: bool


@dataclass(frozen=True, slots=True)
class StatelessMessage:
    """A Hocuspocus provider on `room` sent `payload` (its `sendStateless`, conventionally
    JSON) over its connection `connection_id`."""

    room: str
    identity: Identity
    role: Role
    connection_id: int
    payload: str


@dataclass(frozen=True, slots=True)
class AccessChanged:
    """Who has access to `room` changed on this process: `person_id` (None for "everyone in the
    organisation") now has `role` ("owner", "admin", "editor", "commenter", "viewer"; None: no
    access), as `by` (the display name of who changed it) did."""

    room: str
    person_id: str | None
    role: str | None
    by: str


@dataclass(frozen=True, slots=True)
class CommentMentioned:
    """A comment of `room` mentions people, through this process: when it was posted, or when
    an edit mentioned someone it did not before (`edited`; `mentioned` is then only the people
    new to it). `author` wrote the comment (`author_person_id`: their person, None for a
    token's identity), `by` made this change (an admin may edit another's comment), `body` is
    its text as stored (each mention a `<@ID>` token). Each of `mentioned` has the person's id,
    name and email."""

    room: str
    thread: str
    comment: str
    author: str
    author_person_id: str | None
    body: str
    mentioned: tuple[Mentioned, ...]
    edited: bool
    by: str


class Hooks:
    """No-op defaults; override what the host needs. See README "Hooks" for each one's when,
    where and what it may return or raise."""

    async def on_authenticate(self, event: Authenticate) -> Identity | None:
        """Identify a WebSocket upgrade or an HTTP request (a session cookie, an API key).
        None: fall back to tokens. Raise a CollabError (errors.Unauthorized) to refuse."""
        return None

    async def on_authorize(self, event: Authorize) -> Role | None:
        """The role `identity` has on `room`, None for none (refused with 4403/403). Also
        called every `authorize_recheck` seconds for each open connection."""
        return event.identity.role_for(event.room)

    async def on_create_document(self, event: CreateDocument) -> bytes | None:
        """Initial content of a room that has nothing stored: return a Yjs update, or edit
        `event.doc` and return None."""
        return None

    async def on_change(self, event: Change) -> None:
        """After a commit of this process's updates of a room."""

    async def on_connect(self, event: Connect) -> None:
        """After a WebSocket joined a room."""

    async def on_disconnect(self, event: Disconnect) -> None:
        """After a WebSocket left a room."""

    async def on_awareness(self, event: AwarenessState) -> Any:
        """The state to store and relay instead of `event.state`; None drops it."""
        return event.state

    async def on_version(self, event: VersionRecorded) -> None:
        """After a version of a room was committed by this process."""

    async def on_stateless(self, event: StatelessMessage) -> str | None:
        """A Hocuspocus provider's stateless message. A string returned goes back to that
        provider as a stateless message (its `stateless` event); None sends nothing."""
        return None

    async def on_access_change(self, event: AccessChanged) -> None:
        """After a document was shared, its sharing changed or removed, or its owner changed,
        through this process."""

    async def on_comment_mentioned(self, event: CommentMentioned) -> None:
        """After a comment mentioning people was stored through this process (posted, or
        edited to mention someone new): tell them, as the host app tells people things."""


class HookRunner:
    """Calls the host's hooks with a time bound, logs their failures, owns their tasks."""

    def __init__(self, hooks: Hooks | None = None, timeout: float = 5.0) -> None:
        self.hooks = hooks or Hooks()
        self._timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()
        self.failures = 0

    def overrides(self, name: str) -> bool:
        """Whether the host overrode hook `name` (the defaults are skipped on hot paths)."""
        return getattr(type(self.hooks), name) is not getattr(Hooks, name)

    async def call(self, name: str, call: Coroutine[Any, Any, T]) -> T:
        """Await a hook within the timeout. A CollabError it raises is the host's answer and
        passes through; anything else, or the timeout, is logged and becomes HookFailed."""
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except CollabError:
            raise
        except TimeoutError:
            self.failures += 1
            log.error("hook %s did not return within %.1fs", name, self._timeout)
            raise HookFailed(f"the {name} hook timed out") from None
        except Exception:
            self.failures += 1
            log.exception("hook %s failed", name)
            raise HookFailed(f"the {name} hook failed") from None

    def spawn(self, name: str, call: Coroutine[Any, Any, None]) -> None:
        """Run a notification hook in the background (bounded and logged like `call`)."""

        async def run() -> None:
            try:
                await self.call(name, call)
            except CollabError as error:
                log.info("hook %s: %s", name, error.detail)

        task = asyncio.create_task(run(), name=f"hook {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Cancel notification hooks still running."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
