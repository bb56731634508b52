"""Typed errors; each knows its WebSocket close code and HTTP status. What a close code means,
and whether clients reconnect after it, is defined once in collab.contract."""

from __future__ import annotations

from typing import ClassVar

# Close reasons a client may match on, defined with the close codes in collab.contract.
from collab.contract import LINK_EXPIRED as LINK_EXPIRED
from collab.contract import LINK_REVOKED as LINK_REVOKED
from collab.contract import TOKEN_EXPIRED as TOKEN_EXPIRED


class CollabError(Exception):
    """Base of every error collab raises on purpose."""

    close_code: ClassVar[int] = 1011
    http_status: ClassVar[int] = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def close_reason(self) -> str:
        """The detail cut to the 123 bytes a close frame allows."""
        return self.detail.encode()[:123].decode(errors="ignore")


class ProtocolError(CollabError):
    """A message of a type or shape the protocol does not allow."""

    close_code = 1002
    http_status = 400


class UnsupportedData(CollabError):
    """Data of a type the endpoint does not take: a text frame where the protocol only carries
    binary frames, or a request body that is neither JSON nor a Yjs update."""

    close_code = 1003
    http_status = 415


class MalformedMessage(CollabError):
    """A binary message that cannot be decoded (truncated varint, bad length prefix, bad JSON)."""

    close_code = 1007
    http_status = 400


class InvalidUpdate(CollabError):
    """A Yjs update refused before or by pycrdt: malformed, nested too deeply, or a panic inside
    yrs."""

    close_code = 1007
    http_status = 422


class MessageTooBig(CollabError):
    """A message or request body over the configured limit."""

    close_code = 1009
    http_status = 413


class InvalidRoomName(CollabError):
    """A room name outside the allowed alphabet or length."""

    close_code = 4400
    http_status = 422


class StoreUnavailable(CollabError):
    """The database could not load or save (or did not in time); the client should retry later
    (REST answers carry Retry-After)."""

    close_code = 1013
    http_status = 503

    @property
    def cause(self) -> str:
        """What the database (or the way to it) said, on one line: for the log, not clients."""
        cause = self.__cause__
        if cause is None:
            return self.detail
        said = str(cause).strip().splitlines()
        return f"{type(cause).__name__}: {said[0][:200] if said else 'no message'}"


class WriteRejected(CollabError):
    """The database refused a write for good (a constraint, a value it cannot hold): retrying
    cannot help. The room that made it is reloaded from what the database holds."""

    close_code = 1011
    http_status = 500


class SlowConsumer(CollabError):
    """A peer whose send queue is full, or that holds the most of the process's send budget
    when it runs out; it reconnects and resyncs."""

    close_code = 1013
    http_status = 503


class ServerShuttingDown(CollabError):
    """The server is restarting; the client should reconnect."""

    close_code = 1012
    http_status = 503


class RoomNotFound(CollabError):
    """No such room."""

    close_code = 4404
    http_status = 404


class RoomExists(CollabError):
    """The target room of a copy already exists."""

    close_code = 4409
    http_status = 409


class WrongDocumentKind(CollabError):
    """An operation for one kind of document on another: a plain-text edit of a room whose
    `content` is rich text (an XmlFragment, as ProseMirror and Tiptap keep it)."""

    close_code = 4409
    http_status = 409


class RoomDeleted(CollabError):
    """The room was deleted while the client was connected."""

    close_code = 4410
    http_status = 410


class RoomTrashed(RoomDeleted):
    """The room is in the trash: it cannot be opened until an owner or admin restores it."""


class NameInTrash(RoomExists):
    """A document of that name is in the trash: the name stays taken until it is purged."""


class WriteFenced(WriteRejected):
    """A write to a room deleted (and maybe created again) after the writer loaded it: the
    database refuses it, so no late write from any process brings a deleted room back."""

    close_code = 4410
    http_status = 410


class LeaseLost(WriteRejected):
    """The final write of once-per-room work (a compaction, an automatic version) found that
    its process no longer holds the room's lease: another process took the work over (this
    one was paused, or stalled, past the lease). Never shown to a client."""


class VersionBehind(WriteRejected):
    """An automatic version whose state lacks a row another process committed after the state
    was taken: recorded, it would name that row's author without holding their edit (and the
    next version would lack them). It is refused and taken again, after a catch-up."""


class InvalidRequest(CollabError):
    """A request whose body or parameters are not acceptable (bad JSON, out-of-range index)."""

    close_code = 1008
    http_status = 422


class MisdirectedRequest(CollabError):
    """A Host header naming no host this server answers to: a page whose name was pointed at
    this server's address (DNS rebinding) must not read or write its documents. A WebSocket so
    addressed is refused before its handshake completes (HTTP 403)."""

    close_code = 4403
    http_status = 421


class NotAcceptable(CollabError):
    """No representation matches the Accept header."""

    http_status = 406


class TokenMissing(CollabError):
    """No token where one is required."""

    close_code = 4401
    http_status = 401


class TokenInvalid(CollabError):
    """A token that is malformed, badly signed or otherwise unacceptable."""

    close_code = 4402
    http_status = 401


class TokenExpired(CollabError):
    """A token past its expiry (at connect, or while connected)."""

    close_code = 4419
    http_status = 401


class Forbidden(CollabError):
    """Valid identity, but no right to this room or this action (covers viewer writes)."""

    close_code = 4403
    http_status = 403


class LinkExpired(TokenExpired):
    """A share link past its expiry (at connect, or while connected): 4419 "link expired"."""

    def __init__(self, detail: str = LINK_EXPIRED) -> None:
        super().__init__(detail)


class LinkRevoked(Forbidden):
    """A share link an admin revoked (or whose room was deleted): 4403 "link revoked"."""

    def __init__(self, detail: str = LINK_REVOKED) -> None:
        super().__init__(detail)


class LinkNotFound(CollabError):
    """No share link of that id on that room."""

    close_code = 4404
    http_status = 404


class LinksUnavailable(CollabError):
    """This server cannot sign share links: no secret (development mode, or tokens verified
    with a public key only): the request cannot succeed on this server as configured."""

    close_code = 1008
    http_status = 409


class RateLimited(CollabError):
    """Too many requests too fast (REST); retry after backing off."""

    close_code = 1013
    http_status = 429


class SustainedFlood(CollabError):
    """A connection kept sending faster than its rate for a long time, although it was being
    throttled: closed with a code stock clients retry (y-websocket never retries 4400-4499)."""

    close_code = 1013
    http_status = 429


class DocumentQuarantined(CollabError):
    """A room whose stored state the server refuses to load or render (it holds data that could
    crash yrs); an operator can list and export it with `collab quarantine`."""

    close_code = 4423
    http_status = 423


class Overloaded(CollabError):
    """A connection or room limit of this process is reached; retry later."""

    close_code = 1013
    http_status = 503


class DocumentTooLarge(CollabError):
    """An update that would grow the document past the configured maximum."""

    close_code = 1009
    http_status = 413


class Unauthorized(CollabError):
    """A host's authentication hook refused the request (not signed in)."""

    close_code = 4401
    http_status = 401


class HookFailed(CollabError):
    """A host's hook raised or timed out: the server's error, not the client's (logged)."""

    close_code = 1011
    http_status = 500


class PersonExists(CollabError):
    """Someone already has that email address on this server."""

    close_code = 4409
    http_status = 409


class PersonNotFound(CollabError):
    """No person of that id or email on this server."""

    close_code = 4404
    http_status = 404


class SignInFailed(CollabError):
    """Wrong email or password (the same answer whichever was wrong, and for a deactivated
    account: nobody learns who has an account)."""

    close_code = 4401
    http_status = 401


class SignInThrottled(RateLimited):
    """Too many failed sign-ins for this account or from this address: 429 with Retry-After."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, round(retry_after))
        super().__init__(f"too many failed sign-ins; try again in {self.retry_after} seconds")


class SignInUnavailable(CollabError):
    """This server has no sign-in: development mode (no secret), where everyone is an admin."""

    close_code = 1008
    http_status = 409


class ProviderUnavailable(CollabError):
    """The sign-in provider (OpenID Connect) could not be reached, or answered something this
    server cannot use: neither the person's fault nor one they can fix; they try again later."""

    close_code = 1011
    http_status = 502


class ThreadNotFound(CollabError):
    """No comment thread (or no comment in it) of that id on that room."""

    close_code = 4404
    http_status = 404


class CommentLimit(CollabError):
    """A comment past a limit: its body's size, the comments of its thread, the threads of
    its document (COLLAB_COMMENT_* settings)."""

    close_code = 1008
    http_status = 422


class ImageNotFound(CollabError):
    """No image of that id in that room."""

    close_code = 4404
    http_status = 404


class AgentSessionNotFound(CollabError):
    """No update of that agent session in that room's log."""

    close_code = 4404
    http_status = 404


class AgentSessionCompacted(CollabError):
    """An agent session's updates were folded into the room's state: they cannot be reverted."""

    close_code = 4409
    http_status = 409


class AgentSessionReverted(CollabError):
    """An agent session that was reverted already (its text put back would be doubled)."""

    close_code = 4409
    http_status = 409


class ImageLimit(CollabError):
    """An image past a limit: its size (COLLAB_IMAGE_MAX_BYTES) or the document's total
    (COLLAB_IMAGES_MAX_BYTES_PER_DOCUMENT, COLLAB_IMAGES_PER_DOCUMENT)."""

    close_code = 1009
    http_status = 413


class SuggestionConflict(CollabError):
    """A suggestion that cannot be accepted (its passage is gone, it is decided already, or an
    accept of it is under way) or changed (it is no longer open)."""

    close_code = 1008
    http_status = 409


class PassageChanged(CollabError):
    """An edit conditional on the passage as it was read (If-Match, `base`), and the passage
    changed since: the edit would undo what others did."""

    close_code = 4409
    http_status = 409
