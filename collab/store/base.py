"""The storage interface the room code depends on, and its value types."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from collab.protocol.yupdate import DEFAULT_MAX_DEPTH

if TYPE_CHECKING:
    from collab.store.access import SqlAccess
    from collab.store.agent_sessions import SqlAgentSessions
    from collab.store.attempts import SqlSignInAttempts
    from collab.store.blame import SqlBlame
    from collab.store.comments import SqlComments
    from collab.store.images import ImageStore
    from collab.store.people import SqlPeople
    from collab.store.trash import SqlTrash


@dataclass(frozen=True, slots=True)
class NewUpdate:
    """An update to append to a room's log, with who made it."""

    room: str
    data: bytes
    author: str | None = None
    # The room's epoch when it was loaded: the append is refused (WriteFenced) if the room was
    # deleted since. None (offline tools) creates the room if need be and is not fenced.
    epoch: int | None = None
    # The agent session that made it (types.origin_session), stored to revert the session.
    session: str | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    """One process's claim on one kind of once-per-room work (store/leases.py). A write fenced
    by it commits only while `owner` holds the room's lease of `kind`."""

    kind: str
    owner: str


@dataclass(frozen=True, slots=True)
class NewVersion:
    """A version to record, committed in order with the updates queued before it."""

    room: str
    state: bytes
    fingerprint: str
    kind: str
    label: str | None = None
    author: str | None = None
    epoch: int | None = None
    # Once-per-room work (automatic versions): refused (LeaseLost) unless this lease is held
    # when the version commits. None: not fenced.
    lease: Lease | None = None
    # The room's last sequence number before this batch, if the state holds every row up to
    # it: refused (VersionBehind) if the log stands elsewhere, so a version never names an
    # author whose edit it lacks. None: not checked.
    expect_seq: int | None = None


@dataclass(frozen=True, slots=True)
class Appended:
    """What one append committed: the versions (in order), and per room the sequence numbers
    its new log rows got (first, last), in commit order within the room."""

    versions: list[VersionResult]
    seqs: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class RoomHead:
    """Where a room's log stands: its last sequence number and epoch, and whether it is deleted."""

    seq: int
    epoch: int
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What a process that applied a room's log up to some sequence number lacks: the compacted
    state when rows it lacks were folded into it, then the rows after, up to `head.seq`."""

    head: RoomHead
    state: bytes | None
    log: list[bytes]

    @property
    def parts(self) -> list[bytes]:
        """Everything to apply, in order."""
        return ([self.state] if self.state else []) + self.log


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """A recorded version's metadata."""

    id: int
    room: str
    created_at: datetime
    kind: str
    label: str | None
    author: str | None
    authors: list[str]
    size_bytes: int

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of a version (REST responses, events, the batch ledger alike)."""
        return {
            "id": self.id,
            "room": self.room,
            "created_at": self.created_at.isoformat(),
            "kind": self.kind,
            "label": self.label,
            "author": self.author,
            "authors": self.authors,
            "size_bytes": self.size_bytes,
        }


@dataclass(frozen=True, slots=True)
class VersionResult:
    """The version holding a recorded state, and whether recording created it."""

    info: VersionInfo
    created: bool


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Keep every version younger than `keep_all`, then one auto version per hour until
    `hourly_until`, then one per day. Named and restore versions are never deleted."""

    keep_all: timedelta = timedelta(days=1)
    hourly_until: timedelta = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class StoredRoom:
    """What a room's storage holds: a compacted state (maybe none) and the log after it."""

    state: bytes | None
    log: list[bytes]
    # Set when the room is quarantined: why its data is refused.
    quarantined: str | None = None
    # The log's last sequence number when it was read (the document holds every row up to
    # it), and the room's epoch.
    seq: int = 0
    epoch: int = 1
    # The nesting levels of the state's items, stored by the compaction that wrote it.
    nesting: bytes | None = None

    @property
    def parts(self) -> list[bytes]:
        """Everything to apply, in order, to rebuild the document."""
        return ([self.state] if self.state else []) + self.log

    @property
    def log_bytes(self) -> int:
        """Size of the uncompacted log."""
        return sum(len(update) for update in self.log)


@dataclass(frozen=True, slots=True)
class Compaction:
    """What one compaction folded into the stored state."""

    updates: int
    bytes: int
    state_bytes: int = 0
    # The log left after the compaction (rows committed meanwhile), as the database counts it.
    log_count: int | None = None
    log_bytes: int | None = None
    # Rows (and their bytes) left in the log because an agent session in them may still be
    # reverted (`RevertHold`): the next compaction is due once as many more are written.
    held: int = 0
    held_bytes: int = 0


@dataclass(frozen=True, slots=True)
class RevertHold:
    """What compaction keeps so that agent sessions can be reverted: the log from the first
    edit of every session edited within `window` (and not reverted yet), unless that is more
    than `most_rows` rows (then it all folds, and such a session can no longer be reverted)."""

    window: timedelta
    most_rows: int


# How a listing is ordered: "edited" (most recent edit first), "title" (A to Z, the name
# standing in for a missing title) or "created" (newest first); ties by name.
RoomSort = Literal["edited", "title", "created"]


def title_key(title: str | None, name: str) -> str:
    """What search and the title sort compare: the title (or the name) case-folded in Python,
    so SQLite and PostgreSQL order and match it alike."""
    return (title or name).casefold()


@dataclass(frozen=True, slots=True)
class RoomInfo:
    """A stored room as listings show it."""

    name: str
    created_at: datetime
    updated_at: datetime
    size_bytes: int
    # The kind chosen at creation ("text" or "rich"), None when nobody chose one.
    kind: str | None = None
    # The title a person gave it, exactly as typed; None: the name shows instead.
    title: str | None = None
    # The person who owns it (people.id), None when nobody does.
    owner_id: str | None = None

    def cursor(self, sort: RoomSort) -> RoomCursor:
        """Where a page in `sort` order that ends with this room ended."""
        if sort == "title":
            return RoomCursor(title_key(self.title, self.name), self.name)
        return RoomCursor(self.created_at if sort == "created" else self.updated_at, self.name)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A room the server refuses to load, and why."""

    name: str
    reason: str
    since: datetime


@dataclass(frozen=True, slots=True)
class RoomCursor:
    """Where a page of the room listing ended: the last room's sort key (its last edit, its
    title key or its creation, as the listing is sorted) and its name."""

    key: datetime | str
    name: str


@dataclass(frozen=True, slots=True)
class ShareLink:
    """A stored share link (store/links.py): `role` ("viewer", "commenter" or "editor") on
    `room`."""

    id: str
    room: str
    role: str
    label: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        """ "revoked", "expired" or "live"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "live"


class LinkStore(Protocol):
    """Share links, each one transaction. Only links of a room's current epoch exist here: a
    room deleted (and maybe made again) has no links."""

    async def create_link(
        self,
        room: str,
        role: str,
        *,
        created_by: str,
        expires_at: datetime | None,
        label: str | None,
    ) -> ShareLink:
        """Store a new link with a random id; RoomNotFound unless the room exists."""
        ...

    async def list_links(self, room: str) -> list[ShareLink]:
        """The room's links, newest first, revoked and expired ones included."""
        ...

    async def find_links(self, ids: Collection[str]) -> dict[str, ShareLink]:
        """The links with these ids, by id (unknown ones, and a deleted room's, left out)."""
        ...

    async def revoke_link(self, room: str, link: str, now: datetime) -> ShareLink | None:
        """Mark the room's link revoked at `now` (kept as it is if it already was); None if
        the room has no such link."""
        ...


class RoomLog(Protocol):
    """A room's update log and its compacted state: what live rooms load, commit and catch up with.
    Every method is one transaction."""

    async def load(self, room: str) -> StoredRoom:
        """The room's stored state and log; an unknown (or deleted) room is created empty."""
        ...

    async def append(
        self,
        items: Sequence[NewUpdate | NewVersion],
        *,
        batch: str | None = None,
        fresh: bool = False,
    ) -> Appended:
        """Commit updates and versions (possibly of several rooms) in one transaction, in order.
        Returns, for each NewVersion in order, the version holding that state: a new one, or the
        latest one when it already holds the same state (a version is never recorded twice);
        and the sequence numbers each room's new rows got. Raises WriteRejected when the
        database refuses the batch for good (retrying cannot help), WriteFenced when a room of
        it was deleted since its epoch; any other exception is taken for an outage and the
        batch is retried. `batch` names the batch: appending a name already committed (a
        retry whose first reply was lost) returns what that commit did, storing nothing.
        `fresh` says the name was never used (a first attempt): nothing is looked up."""
        ...

    async def room_heads(self, rooms: Sequence[str]) -> dict[str, RoomHead]:
        """Where each of these rooms' logs stands (rooms never stored are left out)."""
        ...

    async def read_since(self, room: str, seq: int) -> CatchUp:
        """What a copy of the room holding every row up to `seq` lacks."""
        ...

    async def compact(
        self,
        room: str,
        *,
        lease: Lease | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
        hold: RevertHold | None = None,
    ) -> Compaction | None:
        """Merge the room's log into its stored state, with the nesting levels of its items
        (checked against `max_depth`); None if there was nothing to do (or someone else
        compacted meanwhile). With `lease`, the write commits only while it is held (LeaseLost
        otherwise). With `hold`, the rows agent sessions that may still be reverted need stay
        in the log."""
        ...


class VersionStore(Protocol):
    """Versions of rooms: named and automatic snapshots of their state.
    Every method is one transaction."""

    async def list_versions(
        self, room: str, limit: int = 50, *, before: int | None = None
    ) -> list[VersionInfo]:
        """Versions of a room, newest first, with ids below `before`."""
        ...

    async def get_version(self, room: str, version_id: int) -> tuple[VersionInfo, bytes] | None:
        """A version and its state (a Yjs update), or None."""
        ...

    async def thin_versions(
        self, room: str, policy: RetentionPolicy, now: datetime, *, lease: Lease | None = None
    ) -> int:
        """Apply the retention policy to a room's auto versions; return how many were deleted.
        With `lease`, only while it is held (LeaseLost otherwise, deleting nothing)."""
        ...


class LeaseStore(Protocol):
    """Leases on once-per-room work, so that one process of a cluster does it.
    Every method is one transaction."""

    async def take_leases(self, rooms: Sequence[str], lease: Lease, ttl: float) -> set[str]:
        """Take or renew `lease` on each room for `ttl` seconds by the database's clock, where
        it is free, expired or the owner's already; the rooms whose lease the owner holds now."""
        ...

    async def release_leases(self, rooms: Sequence[str], lease: Lease) -> None:
        """Give up `lease` on these rooms (where the owner still holds it)."""
        ...


class Catalog(Protocol):
    """The rooms themselves: which exist, their names, titles, kinds and quarantine.
    Every method is one transaction."""

    async def list_rooms(
        self,
        limit: int = 100,
        *,
        after: RoomCursor | None = None,
        prefix: str = "",
        patterns: Sequence[str] | None = None,
        search: str = "",
        sort: RoomSort = "edited",
        person: tuple[str, str] | None = None,
    ) -> list[RoomInfo]:
        """Stored rooms in `sort` order (ties by name), after a cursor of that order, whose
        names start with `prefix`, (unless None) match one of `patterns` (a name, or
        "prefix*"), whose title or name holds `search`, ignoring case, and (unless None) that
        a person may open, in a scope (`person`: their id and "all", "mine", "shared" or
        "recent")."""
        ...

    async def editors(self, rooms: Sequence[str]) -> dict[str, list[str]]:
        """Who edited each of these rooms lately: the authors of its edits no version records
        yet, then those of its latest version; rooms without any are left out."""
        ...

    async def set_title(self, room: str, title: str | None) -> bool:
        """Give an existing room a title (None: none, its name shows); False if no such room."""
        ...

    async def count_rooms(self) -> int:
        """How many rooms are stored (deleted ones left out)."""
        ...

    async def room_info(self, room: str) -> RoomInfo | None:
        """One stored room, or None."""
        ...

    async def create_room(
        self, room: str, kind: str | None = None, title: str | None = None
    ) -> bool:
        """Create an empty room of `kind` ("text", "rich" or None: not chosen) with `title`;
        False if it already existed (its kind and title are left as they are)."""
        ...

    async def set_kind(self, room: str, kind: str) -> bool:
        """Record the kind of an existing room; False if no such room."""
        ...

    async def delete_room(self, room: str) -> RoomHead | None:
        """Delete everything stored for a room, leaving a tombstone with a new epoch (which
        fences every later append to the old one); None if there was no such room."""
        ...

    async def set_quarantine(self, room: str, reason: str | None) -> bool:
        """Quarantine a room with `reason`, or release it (None); False if no such room."""
        ...

    async def list_quarantined(self) -> list[Quarantined]:
        """Every quarantined room, oldest first."""
        ...


class Store(RoomLog, VersionStore, LeaseStore, Catalog, Protocol):
    """Durable storage of rooms: the four parts above, share links, and the connections to
    close. A part of collab that needs one concern takes that protocol alone."""

    @property
    def links(self) -> LinkStore:
        """The share links of rooms."""
        ...

    @property
    def people(self) -> SqlPeople:
        """People who sign in, and their sessions."""
        ...

    @property
    def attempts(self) -> SqlSignInAttempts:
        """Sign-in attempts, for the throttle every process shares."""
        ...

    @property
    def access(self) -> SqlAccess:
        """Documents' owners, the people they are shared with, and visits."""
        ...

    @property
    def comments(self) -> SqlComments:
        """Comment threads on passages of documents, and their comments."""
        ...

    @property
    def trash(self) -> SqlTrash:
        """Deleted documents kept until they are restored or purged."""
        ...

    @property
    def images(self) -> ImageStore:
        """The images of rich documents."""
        ...

    @property
    def blame(self) -> SqlBlame:
        """Who wrote which clocks of a room's documents, through compactions."""
        ...

    @property
    def agent_sessions(self) -> SqlAgentSessions:
        """Agent sessions' updates, for reverting them."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
