"""Database tables. Schema changes go through Alembic revisions in migrations/ only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of collab's tables."""


class RoomRow(Base):
    """A room: its compacted state and bookkeeping about its update log."""

    __tablename__ = "rooms"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Updates with id <= compacted_upto are folded into the room's RoomStateRow (state_bytes).
    compacted_upto: Mapped[int] = mapped_column(BigInteger, default=0)
    state_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # Updates in the log (not yet compacted) and their total size.
    log_count: Mapped[int] = mapped_column(Integer, default=0)
    log_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # Why the server refuses to load this room (its stored data could crash yrs), and since when.
    quarantined: Mapped[str | None] = mapped_column(Text, nullable=True)
    quarantined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The document kind chosen when the room was created ("text" or "rich"); None when nobody
    # chose one (a room made by its first update), so its content tells.
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The last sequence number given to a row of the log (in commit order, under this row's
    # lock), and the highest one folded into the compacted state.
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    compacted_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Bumped by a delete: every append names the epoch its room was loaded at, so a late write
    # cannot bring a deleted room back. `deleted_at` is the tombstone (the row stays).
    epoch: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The title a person gave the document, exactly as typed (None: the name shows instead),
    # and what search and the title sort compare: store/catalog.py `title_key`.
    title: Mapped[str | None] = mapped_column(String(256), nullable=True)
    title_key: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # The person who owns the document (people.id; None: made by a token or link, so only
    # grants and server admins reach it), and the role everyone signed in gets with its link.
    owner_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    org_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # When the document was moved to the trash (None: it is not in the trash), and who moved
    # it there as the server displayed them. A trashed room is a tombstone too (`deleted_at`),
    # which keeps its data until it is restored or purged (store/trash.py).
    trashed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True
    )
    trashed_by: Mapped[str | None] = mapped_column(String(256), nullable=True)


class RoomStateRow(Base):
    """A room's compacted state: every update up to `rooms.compacted_upto`, as one Yjs update.
    Apart from `rooms`, whose counters every commit updates (SQLite rewrites a whole record on
    any update, so a state in that row was rewritten by every commit)."""

    __tablename__ = "room_states"

    room: Mapped[str] = mapped_column(
        String(128), ForeignKey("rooms.name", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[bytes] = mapped_column(LargeBinary)
    # The nesting levels of the state's items (protocol/nesting.py `TypeNesting.encode`), so
    # that loading the room walks only the log after it; None: walk the state too.
    nesting: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class UpdateRow(Base):
    """One committed update in a room's append-only log."""

    __tablename__ = "updates"
    # AUTOINCREMENT on SQLite: ids are never reused, so compaction deletes exactly what it merged.
    __table_args__ = (
        Index("ix_updates_room_id", "room", "id"),
        Index("ux_updates_room_seq", "room", "seq", unique=True),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room: Mapped[str] = mapped_column(String(128), ForeignKey("rooms.name", ondelete="CASCADE"))
    # The row's place in its room's log (rooms.seq).
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    author: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # The agent session that made it (auth.Identity.agent_session), else None.
    agent_session: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BlameRangeRow(Base):
    """Who wrote a run of one Yjs client's clocks in a room, and when: recorded from the log
    rows a compaction folds (store/blame.py), so blame survives compaction."""

    __tablename__ = "blame_ranges"
    __table_args__ = (
        Index("ix_blame_ranges_room_client", "room", "client", "clock_start"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room: Mapped[str] = mapped_column(String(128), ForeignKey("rooms.name", ondelete="CASCADE"))
    client: Mapped[int] = mapped_column(BigInteger)
    clock_start: Mapped[int] = mapped_column(BigInteger)
    clock_end: Mapped[int] = mapped_column(BigInteger)
    author: Mapped[str | None] = mapped_column(String(256), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VersionRow(Base):
    """A recorded version: the full document state (zlib-compressed Yjs update) at one moment."""

    __tablename__ = "versions"
    __table_args__ = (Index("ix_versions_room_id", "room", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room: Mapped[str] = mapped_column(String(128), ForeignKey("rooms.name", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(256), nullable=True)
    author: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # JSON list of the people whose updates this version holds since the previous one.
    authors: Mapped[str] = mapped_column(Text, default="[]")
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)


class RoomAuthorRow(Base):
    """Someone whose committed updates no version of the room records yet."""

    __tablename__ = "room_authors"

    room: Mapped[str] = mapped_column(
        String(128), ForeignKey("rooms.name", ondelete="CASCADE"), primary_key=True
    )
    author: Mapped[str] = mapped_column(String(256), primary_key=True)


class CommitBatchRow(Base):
    """A batch committed in the last hour, by its writer's key, with what the commit returned
    (JSON): a commit retried after its reply was lost finds it and is not stored twice."""

    __tablename__ = "commit_batches"
    __table_args__ = (Index("ix_commit_batches_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    result: Mapped[str] = mapped_column(Text)


class RoomLeaseRow(Base):
    """Who may do one kind of once-per-room work on a room (compaction, automatic versions),
    and until when by the database's clock (store/leases.py)."""

    __tablename__ = "room_leases"

    room: Mapped[str] = mapped_column(
        String(128), ForeignKey("rooms.name", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ShareLinkRow(Base):
    """A share link: a viewer, commenter or editor grant on one room that a signed token names
    (its `lnk` claim), live until it expires or is revoked, and only for the room as it stood
    when the link was made (`epoch`: a room deleted and made again does not inherit its links)."""

    __tablename__ = "share_links"
    __table_args__ = (Index("ix_share_links_room", "room", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room: Mapped[str] = mapped_column(String(128), ForeignKey("rooms.name", ondelete="CASCADE"))
    epoch: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookMarkRow(Base):
    """How far a room's committed changes are announced as webhook events (webhooks/outbox.py):
    its log up to `seq`, its deletes up to `epoch`, its versions up to `version_id`. The row
    named `*` (no room's name) says the outbox began: rooms stored before it were marked
    where they stood, so enabling webhooks does not announce every room's history."""

    __tablename__ = "webhook_marks"

    room: Mapped[str] = mapped_column(String(128), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    epoch: Mapped[int] = mapped_column(BigInteger)
    version_id: Mapped[int] = mapped_column(BigInteger)


class AgentSessionMarkRow(Base):
    """An agent session's run in a room, for its webhooks: announced started at its first
    edit or presence there, ended when its presence is cleared or expires or it goes idle
    (ended_at; a later edit or presence starts it again)."""

    __tablename__ = "agent_session_marks"

    room: Mapped[str] = mapped_column(String(128), primary_key=True)
    session: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Migration 0022: the agent's credited name, and when the session ends unless it edits or
    # shows its presence again (agent.session.ended, "idle"); None on marks made before it.
    agent: Mapped[str | None] = mapped_column(String(256), nullable=True)
    active_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AgentAuthorRow(Base):
    """A name edits are credited to that is an agent's ("Scribe (for Ada)"): the agent's name
    and the person's it acts for (history marks it as an agent)."""

    __tablename__ = "agent_authors"

    author: Mapped[str] = mapped_column(String(256), primary_key=True)
    agent: Mapped[str] = mapped_column(String(256))
    person: Mapped[str] = mapped_column(String(256))


class WebhookEventRow(Base):
    """A webhook event waiting for delivery to one URL, in its room's order (`id`); deleted
    once delivered or given up. `key` is the idempotency key every attempt carries."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_queue", "url", "room", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048))
    room: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    # The event's fields besides `event`, `id` and `room`, as JSON.
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Attempts begun (counted before each request, so a crash mid-request still counts it).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonRow(Base):
    """Someone who signs in: with a password (built-in account) or through the organisation's
    OpenID Connect provider (`oidc_issuer` and `oidc_subject` name them there)."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="ux_people_oidc"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Lowercased; the one way to name a person when sharing.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    oidc_issuer: Mapped[str | None] = mapped_column(String(512), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SessionRow(Base):
    """A signed-in browser: the SHA-256 of its cookie's token (the token itself is never
    stored), whose it is, its CSRF token, and until when."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_person", "person_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(32), ForeignKey("people.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoomMemberRow(Base):
    """A person a document is shared with, and their role on it (the owner is `rooms.owner_id`)."""

    __tablename__ = "room_members"
    __table_args__ = (Index("ix_room_members_person", "person_id"),)

    room: Mapped[str] = mapped_column(
        String(128), ForeignKey("rooms.name", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoomVisitRow(Base):
    """When a person last opened a document: their "Recent" list."""

    __tablename__ = "room_visits"
    __table_args__ = (Index("ix_room_visits_person", "person_id", "visited_at"),)

    person_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    room: Mapped[str] = mapped_column(
        String(128), ForeignKey("rooms.name", ondelete="CASCADE"), primary_key=True
    )
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ThreadRow(Base):
    """A comment thread on a passage of a room's document: the passage's start and end as Yjs
    relative positions (pycrdt `StickyIndex`, encoded), and the text it quoted when made."""

    __tablename__ = "comment_threads"
    __table_args__ = (Index("ix_comment_threads_room", "room", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room: Mapped[str] = mapped_column(String(128), ForeignKey("rooms.name", ondelete="CASCADE"))
    anchor_start: Mapped[bytes] = mapped_column(LargeBinary)
    anchor_end: Mapped[bytes] = mapped_column(LargeBinary)
    quote: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(256))
    created_by_user: Mapped[str] = mapped_column(String(256))
    created_by_person: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A suggestion's proposal (all NULL for an ordinary thread; migration 0020).
    suggest_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    suggest_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    suggest_at: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    suggest_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The agent session an agent's suggestion was made in (migration 0022).
    suggest_session: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    decided_by_user: Mapped[str | None] = mapped_column(String(256), nullable=True)
    decided_by_person: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CommentRow(Base):
    """A comment in a thread, by the identity that posted it (its display name, user id and
    person id); `edited_at` is set by each edit."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_thread", "thread_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("comment_threads.id", ondelete="CASCADE")
    )
    author: Mapped[str] = mapped_column(String(256))
    author_user: Mapped[str] = mapped_column(String(256))
    author_person: Mapped[str | None] = mapped_column(String(32), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SignInAttemptRow(Base):
    """A sign-in attempt counted against one key (an account's or an address's), for the
    throttle every process of a cluster shares; kept for its window."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_key", "key", "id"),
        Index("ix_sign_in_attempts_at", "at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImageRow(Base):
    """An image of a room's rich document: its bytes and the content type they were checked
    to be, who uploaded it and when; `id` is random (unguessable); a copy of the document
    keeps the ids in its own room."""

    __tablename__ = "images"
    __table_args__ = (Index("ix_images_room", "room", "created_at"),)

    room: Mapped[str] = mapped_column(
        String(128), ForeignKey("rooms.name", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uploaded_by: Mapped[str] = mapped_column(String(256))
