"""SQL for comment threads and their comments (`comment_threads`, `comments`): a thread anchors
to a passage by two Yjs relative positions the store keeps as bytes (collab/content/anchors.py
makes and reads them); comments are authored by the identity of the request. A deleted room
keeps none (SqlStore.delete_room clears them in its transaction: `forget_room`)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import Table, and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.errors import CommentLimit, RoomNotFound
from collab.store import roomlog
from collab.store.models import CommentRow, RoomRow, ThreadRow
from collab.store.outage import translates_outages

_rooms = cast(Table, RoomRow.__table__)
_threads = cast(Table, ThreadRow.__table__)
_comments = cast(Table, CommentRow.__table__)

ThreadStatus = Literal["open", "resolved", "all"]
Action = Literal[
    "created",
    "edited",
    "deleted",
    "resolved",
    "reopened",
    "suggestion.created",
    "suggestion.changed",
    "suggestion.withdrawn",
    "suggestion.accepted",
    "suggestion.rejected",
]
SuggestionKind = Literal["insert", "delete", "replace", "format"]
# "applying": an accept is under way (claimed, its edit not yet committed); shown as open.
SuggestionStatus = Literal["open", "applying", "accepted", "rejected"]
# How long an accept may hold its claim before the suggestion may be rejected: a process that
# died mid-accept (or whose edit waits for the database) leaves "applying".
CLAIM_SECONDS = 60

# A mention in a comment's body: `<@ID>`, ID a person's id (people.id). The body keeps the
# token; whoever shows it shows the person's name instead (the API lists them: `mentions`).
MENTION = re.compile(r"<@([A-Za-z0-9_-]{1,64})>")


def mentioned_ids(body: str) -> list[str]:
    """The ids of the people `body` mentions, each once, in the order they first appear."""
    return list(dict.fromkeys(MENTION.findall(body)))


@dataclass(frozen=True, slots=True)
class Mentioned:
    """A person a comment mentions, as they were when it was written: their id, name, email."""

    person_id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote something: the name shown, the identity's user id, and the person signed in
    (people.id) when there was one."""

    display: str
    user: str
    person: str | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment of a thread; `edited_at` is None until it is edited."""

    id: str
    thread: str
    author: Author
    body: str
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The edit a thread proposes: insert `text` at the point `at` (an encoded Yjs relative
    position), or delete or replace (by `text`) the thread's passage; whether it is still open,
    and who accepted or rejected it, when."""

    kind: SuggestionKind
    text: str
    at: bytes | None = None
    status: SuggestionStatus = "open"
    decided_by: Author | None = None
    decided_at: datetime | None = None
    # The agent session its author made it in (an agent's suggestion), whose edit accepting
    # it is: reverting that session undoes it with the rest of the agent's work.
    session: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether it may still be changed, accepted or rejected (an accept under way counts)."""
        return self.status in ("open", "applying")

    @property
    def marks(self) -> dict[str, bool] | None:
        """A format suggestion's marks (name -> True to add it, False to remove it), which its
        `text` holds as JSON; None for the other kinds."""
        return stored_marks(self.text) if self.kind == "format" else None


def stored_marks(text: str) -> dict[str, bool]:
    """Marks as a format suggestion's text holds them: a JSON object of booleans (anything
    else, which nothing here writes, reads as no marks)."""
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): v for k, v in found.items() if isinstance(v, bool)}


def marks_text(marks: dict[str, bool]) -> str:
    """The text a format suggestion stores for its marks (`stored_marks` reads it back)."""
    return json.dumps(dict(sorted(marks.items())), separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Thread:
    """A thread on a passage: `start` and `end` are encoded Yjs relative positions, `quote`
    the passage's text when the thread was made; comments oldest first (the first opened it)."""

    id: str
    room: str
    start: bytes
    end: bytes
    quote: str
    created_by: Author
    created_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    comments: tuple[Comment, ...]
    # The edit it proposes; None for an ordinary comment thread.
    suggestion: Suggestion | None = None

    @property
    def resolved(self) -> bool:
        """Whether someone resolved it (and nobody reopened it since)."""
        return self.resolved_at is not None


@dataclass(frozen=True, slots=True)
class NewThread:
    """A thread to store, with the comment that opens it."""

    room: str
    start: bytes
    end: bytes
    quote: str
    author: Author
    body: str
    # The people the first comment mentions (looked up, and allowed, by the caller).
    mentioned: tuple[Mentioned, ...] = ()
    # The edit it proposes (a suggestion; its body may be "", then it opens with no comment).
    suggestion: Suggestion | None = None


@dataclass(frozen=True, slots=True)
class CommentChange:
    """A change to a room's threads, told to the store's observers inside its transaction:
    `comment` is the one created, edited or deleted (None: the thread was resolved or
    reopened), `by` who made the change, `thread_deleted` whether a delete took the thread,
    `mentioned` the people a created comment mentions, or an edit newly mentions (not those
    its comment mentioned before)."""

    action: Action
    room: str
    thread: str
    comment: Comment | None
    by: Author
    at: datetime
    thread_deleted: bool = False
    mentioned: tuple[Mentioned, ...] = ()
    # The thread's suggestion as the change left it, and who suggested it (suggestion.*).
    suggestion: Suggestion | None = None
    suggested_by: Author | None = None


# Called inside the transaction of each change (a failure rolls the change back): the webhook
# outbox queues its events there, so a comment stored is a comment announced.
ChangeObserver = Callable[[AsyncConnection, CommentChange], Awaitable[None]]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _maybe_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


def _new_id() -> str:
    return secrets.token_urlsafe(12)


def _comment(row: Any) -> Comment:
    author = Author(row.author, row.author_user, row.author_person)
    return Comment(
        row.id, row.thread_id, author, row.body, _utc(row.created_at), _maybe_utc(row.edited_at)
    )


def _suggestion(row: Any) -> Suggestion | None:
    if row.suggest_kind is None:
        return None
    decided = None
    if row.decided_by is not None:
        decided = Author(row.decided_by, row.decided_by_user or "", row.decided_by_person)
    return Suggestion(
        row.suggest_kind,
        row.suggest_text or "",
        None if row.suggest_at is None else bytes(row.suggest_at),
        row.suggest_status or "open",
        decided,
        _maybe_utc(row.decided_at),
        row.suggest_session,
    )


def _suggestion_values(suggestion: Suggestion | None) -> dict[str, Any]:
    """The columns of a thread's suggestion (none for an ordinary thread)."""
    if suggestion is None:
        return {}
    decided = suggestion.decided_by
    return {
        "suggest_kind": suggestion.kind,
        "suggest_text": suggestion.text,
        "suggest_at": suggestion.at,
        "suggest_status": suggestion.status,
        "decided_by": None if decided is None else decided.display,
        "decided_by_user": None if decided is None else decided.user,
        "decided_by_person": None if decided is None else decided.person,
        "decided_at": suggestion.decided_at,
        "suggest_session": suggestion.session,
    }


def _thread(row: Any, comments: tuple[Comment, ...]) -> Thread:
    author = Author(row.created_by, row.created_by_user, row.created_by_person)
    return Thread(
        row.id,
        row.room,
        bytes(row.anchor_start),
        bytes(row.anchor_end),
        row.quote,
        author,
        _utc(row.created_at),
        row.resolved_by,
        _maybe_utc(row.resolved_at),
        comments,
        _suggestion(row),
    )


async def forget_room(conn: AsyncConnection, room: str) -> None:
    """A room's threads and their comments, deleted as the room is (inside that transaction)."""
    ids = select(_threads.c.id).where(_threads.c.room == room).scalar_subquery()
    await conn.execute(delete(_comments).where(_comments.c.thread_id.in_(ids)))
    await conn.execute(delete(_threads).where(_threads.c.room == room))


@translates_outages
class SqlComments:
    """Threads and comments of rooms; one transaction per call. Counting limits are checked
    under the room row's lock (roomlog.lock), so two posts at once cannot both pass the last
    place."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.observers: list[ChangeObserver] = []

    async def _changed(self, conn: AsyncConnection, change: CommentChange) -> None:
        for observer in self.observers:
            await observer(conn, change)

    async def create_thread(self, new: NewThread, now: datetime, *, max_threads: int) -> Thread:
        """Store a thread and its first comment; RoomNotFound unless the room exists,
        CommentLimit when it has `max_threads` threads already."""
        async with self._engine.begin() as conn:
            await roomlog.lock(conn, new.room)
            live = await conn.scalar(
                select(_rooms.c.name).where(
                    _rooms.c.name == new.room, _rooms.c.deleted_at.is_(None)
                )
            )
            if live is None:
                raise RoomNotFound(f"room {new.room!r} does not exist")
            count = await conn.scalar(
                select(func.count()).select_from(_threads).where(_threads.c.room == new.room)
            )
            if int(count or 0) >= max_threads:
                raise CommentLimit(
                    f"this document has {max_threads} threads, the most it may have: delete "
                    "some before starting another"
                )
            thread_id = _new_id()
            await conn.execute(
                _threads.insert().values(
                    id=thread_id,
                    room=new.room,
                    anchor_start=new.start,
                    anchor_end=new.end,
                    quote=new.quote,
                    created_by=new.author.display,
                    created_by_user=new.author.user,
                    created_by_person=new.author.person,
                    created_at=now,
                    **_suggestion_values(new.suggestion),
                )
            )
            first = None
            if new.body or new.suggestion is None:
                first = await _insert_comment(conn, thread_id, new.author, new.body, now)
            action: Action = "created" if new.suggestion is None else "suggestion.created"
            change = CommentChange(
                action,
                new.room,
                thread_id,
                first,
                new.author,
                now,
                mentioned=new.mentioned,
                suggestion=new.suggestion,
                suggested_by=new.author,
            )
            await self._changed(conn, change)
        return Thread(
            thread_id,
            new.room,
            new.start,
            new.end,
            new.quote,
            new.author,
            now,
            None,
            None,
            () if first is None else (first,),
            new.suggestion,
        )

    async def carry_threads(
        self, room: str, threads: Sequence[Thread], *, keep_ids: bool
    ) -> list[Thread]:
        """Store threads made elsewhere (an import, a copy) in `room` as they were: anchors,
        quotes, authors, times, resolved state and comments; nothing is announced (no comment
        is new). With `keep_ids` (an import) they are merged into the room's: a thread the room
        has already (by id, or the same one carried in before under another id: same anchors,
        creator and time) stays as the room has it and is not stored again, and an id another
        room uses is replaced by a new one; without (a copy), every thread and comment gets a
        new id. The threads stored, as stored; RoomNotFound unless the room exists."""
        carried: list[Thread] = []
        async with self._engine.begin() as conn:
            await roomlog.lock(conn, room)
            live = await conn.scalar(
                select(_rooms.c.name).where(_rooms.c.name == room, _rooms.c.deleted_at.is_(None))
            )
            if live is None:
                raise RoomNotFound(f"room {room!r} does not exist")
            held = await conn.execute(select(_threads).where(_threads.c.room == room))
            rows = list(held)
            have = {row.id for row in rows} | {_same(_thread(row, ())) for row in rows}
            for thread in threads:
                if keep_ids and (thread.id in have or _same(thread) in have):
                    continue
                thread_id = await _free_id(conn, _threads, thread.id if keep_ids else None)
                await conn.execute(
                    _threads.insert().values(
                        id=thread_id,
                        room=room,
                        anchor_start=thread.start,
                        anchor_end=thread.end,
                        quote=thread.quote,
                        created_by=thread.created_by.display,
                        created_by_user=thread.created_by.user,
                        created_by_person=thread.created_by.person,
                        created_at=thread.created_at,
                        resolved_by=thread.resolved_by,
                        resolved_at=thread.resolved_at,
                        **_suggestion_values(thread.suggestion),
                    )
                )
                comments = []
                for comment in thread.comments:
                    comment_id = await _free_id(conn, _comments, comment.id if keep_ids else None)
                    await conn.execute(
                        _comments.insert().values(
                            id=comment_id,
                            thread_id=thread_id,
                            author=comment.author.display,
                            author_user=comment.author.user,
                            author_person=comment.author.person,
                            body=comment.body,
                            created_at=comment.created_at,
                            edited_at=comment.edited_at,
                        )
                    )
                    comments.append(
                        Comment(
                            comment_id,
                            thread_id,
                            comment.author,
                            comment.body,
                            comment.created_at,
                            comment.edited_at,
                        )
                    )
                carried.append(
                    Thread(
                        thread_id,
                        room,
                        thread.start,
                        thread.end,
                        thread.quote,
                        thread.created_by,
                        thread.created_at,
                        thread.resolved_by,
                        thread.resolved_at,
                        tuple(comments),
                        thread.suggestion,
                    )
                )
        return carried

    async def update_anchor(self, room: str, thread_id: str, start: bytes, end: bytes) -> bool:
        """Anchor the room's thread anew (a restore brought its passage back); False if the
        room has no such thread."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_threads)
                .where(_threads.c.id == thread_id, _threads.c.room == room)
                .values(anchor_start=start, anchor_end=end)
            )
        return bool(result.rowcount == 1)

    async def update_quote(self, room: str, thread_id: str, quote: str) -> None:
        """Keep the text the thread's passage stands for now (shown once it is deleted, and
        what finds it again should its characters be written anew)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(_threads)
                .where(_threads.c.id == thread_id, _threads.c.room == room)
                .values(quote=quote)
            )

    async def list_threads(self, room: str, status: ThreadStatus = "all") -> list[Thread]:
        """The room's threads, oldest first, with their comments oldest first."""
        query = select(_threads).where(_threads.c.room == room)
        if status == "open":
            query = query.where(_threads.c.resolved_at.is_(None))
        elif status == "resolved":
            query = query.where(_threads.c.resolved_at.is_not(None))
        query = query.order_by(_threads.c.created_at, _threads.c.id)
        async with self._engine.connect() as conn:
            rows = list(await conn.execute(query))
            comments = await _comments_of(conn, [row.id for row in rows])
        return [_thread(row, tuple(comments.get(row.id, ()))) for row in rows]

    async def list_suggestions(
        self, room: str, status: Literal["open", "accepted", "rejected", "all"] = "open"
    ) -> list[Thread]:
        """The room's threads carrying a suggestion of that status (open ones include those
        being accepted now), oldest first, with their comments."""
        query = select(_threads).where(
            _threads.c.room == room, _threads.c.suggest_kind.is_not(None)
        )
        if status == "open":
            query = query.where(_threads.c.suggest_status.in_(("open", "applying")))
        elif status != "all":
            query = query.where(_threads.c.suggest_status == status)
        query = query.order_by(_threads.c.created_at, _threads.c.id)
        async with self._engine.connect() as conn:
            rows = list(await conn.execute(query))
            comments = await _comments_of(conn, [row.id for row in rows])
        return [_thread(row, tuple(comments.get(row.id, ()))) for row in rows]

    async def get_thread(self, room: str, thread_id: str) -> Thread | None:
        """The room's thread of that id, with its comments; None if it has none."""
        async with self._engine.connect() as conn:
            return await _one(conn, room, thread_id)

    async def reply(
        self,
        room: str,
        thread_id: str,
        author: Author,
        body: str,
        now: datetime,
        *,
        limit: int,
        mentioned: tuple[Mentioned, ...] = (),
    ) -> Comment | None:
        """Add a comment (mentioning `mentioned`) to the thread; None if the room has no such
        thread, CommentLimit when it holds `limit` comments already."""
        async with self._engine.begin() as conn:
            await roomlog.lock(conn, room)
            if await _thread_row(conn, room, thread_id) is None:
                return None
            count = await conn.scalar(
                select(func.count())
                .select_from(_comments)
                .where(_comments.c.thread_id == thread_id)
            )
            if int(count or 0) >= limit:
                raise CommentLimit(
                    f"this thread has {limit} comments, the most a thread may have: start "
                    "another thread"
                )
            comment = await _insert_comment(conn, thread_id, author, body, now)
            change = CommentChange(
                "created", room, thread_id, comment, author, now, mentioned=mentioned
            )
            await self._changed(conn, change)
            return comment

    async def edit_comment(
        self,
        room: str,
        thread_id: str,
        comment_id: str,
        body: str,
        by: Author,
        now: datetime,
        *,
        mentioned: tuple[Mentioned, ...] = (),
    ) -> Comment | None:
        """Replace a comment's body (`by` someone); None if the room's thread has no such
        comment. Of `mentioned` (the people the new body mentions), those the body it replaces
        did not mention are told to the observers as newly mentioned."""
        async with self._engine.begin() as conn:
            if await _thread_row(conn, room, thread_id) is None:
                return None
            before = await conn.scalar(
                select(_comments.c.body)
                .where(_comments.c.id == comment_id, _comments.c.thread_id == thread_id)
                .with_for_update()
            )
            if before is None:
                return None
            already = set(mentioned_ids(before))
            newly = tuple(m for m in mentioned if m.person_id not in already)
            await conn.execute(
                update(_comments)
                .where(_comments.c.id == comment_id, _comments.c.thread_id == thread_id)
                .values(body=body, edited_at=now)
            )
            row = (
                await conn.execute(
                    select(_comments).where(
                        _comments.c.id == comment_id, _comments.c.thread_id == thread_id
                    )
                )
            ).first()
            if row is None:
                return None
            edited = _comment(row)
            change = CommentChange("edited", room, thread_id, edited, by, now, mentioned=newly)
            await self._changed(conn, change)
        return edited

    async def delete_comment(
        self, room: str, thread_id: str, comment_id: str, by: Author, now: datetime
    ) -> Literal["comment", "thread"] | None:
        """Delete a comment: its whole thread when it is the first one (which opened it), as in
        shared office documents. What went ("comment" or "thread"); None if there was none."""
        async with self._engine.begin() as conn:
            found = await _one(conn, room, thread_id)
            gone = next((c for c in found.comments if c.id == comment_id), None) if found else None
            if found is None or gone is None:
                return None
            whole = found.comments[0].id == comment_id
            if whole:
                await conn.execute(delete(_comments).where(_comments.c.thread_id == thread_id))
                await conn.execute(delete(_threads).where(_threads.c.id == thread_id))
            else:
                await conn.execute(delete(_comments).where(_comments.c.id == comment_id))
            change = CommentChange("deleted", room, thread_id, gone, by, now, thread_deleted=whole)
            await self._changed(conn, change)
            return "thread" if whole else "comment"

    async def set_resolved(
        self, room: str, thread_id: str, by: Author, now: datetime, *, resolved: bool
    ) -> Thread | None:
        """Resolve the thread as `by` at `now`, or reopen it; a thread already so stays as it
        was (and nothing is told). None if the room has no such thread."""
        values = {
            "resolved_by": by.display if resolved else None,
            "resolved_at": now if resolved else None,
        }
        was = _threads.c.resolved_at
        async with self._engine.begin() as conn:
            query = update(_threads).where(
                _threads.c.id == thread_id,
                _threads.c.room == room,
                was.is_(None) if resolved else was.is_not(None),
            )
            result = await conn.execute(query.values(**values))
            if result.rowcount:
                action: Action = "resolved" if resolved else "reopened"
                await self._changed(conn, CommentChange(action, room, thread_id, None, by, now))
            return await _one(conn, room, thread_id)

    async def change_suggestion(
        self,
        room: str,
        thread_id: str,
        by: Author,
        now: datetime,
        *,
        text: str | None = None,
        passage: tuple[bytes, bytes, str] | None = None,
        at: bytes | None = None,
    ) -> Thread | None:
        """Change an open suggestion's text (an insertion's quote with it), passage (start, end,
        quote) or point: what is not None. None if the room has no such thread, or it is no
        longer open."""
        values: dict[str, Any] = {}
        if text is not None:
            is_insert = _threads.c.suggest_kind == "insert"
            values["suggest_text"] = text
            values["quote"] = case((is_insert, text), else_=_threads.c.quote)
        if passage is not None:
            values.update(anchor_start=passage[0], anchor_end=passage[1], quote=passage[2])
        if at is not None:
            values.update(suggest_at=at, anchor_start=at, anchor_end=at)
        async with self._engine.begin() as conn:
            query = update(_threads).where(
                _threads.c.id == thread_id,
                _threads.c.room == room,
                _threads.c.suggest_status == "open",
            )
            result = await conn.execute(query.values(**values))
            if not result.rowcount:
                return None
            found = await _one(conn, room, thread_id)
            if found is None or found.suggestion is None:
                return None
            change = CommentChange(
                "suggestion.changed",
                room,
                thread_id,
                None,
                by,
                now,
                suggestion=found.suggestion,
                suggested_by=found.created_by,
            )
            await self._changed(conn, change)
            return found

    async def claim_suggestion(self, room: str, thread_id: str, by: Author, now: datetime) -> bool:
        """Mark an open suggestion as being accepted by `by` (status "applying"), so that no one
        else accepts or rejects it meanwhile. False when it is not open (decided, or being
        accepted now). A claim is never taken over: an accept that died holding it may have
        applied its edit, and applying it twice would be worse than a suggestion that can only
        be rejected (`decide_suggestion` lets a claim older than CLAIM_SECONDS be rejected)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_threads)
                .where(
                    _threads.c.id == thread_id,
                    _threads.c.room == room,
                    _threads.c.suggest_status == "open",
                )
                .values(
                    suggest_status="applying",
                    decided_by=by.display,
                    decided_by_user=by.user,
                    decided_by_person=by.person,
                    decided_at=now,
                )
            )
        return bool(result.rowcount == 1)

    async def release_suggestion(self, room: str, thread_id: str) -> None:
        """Give a claim back (the accept failed: nothing was applied): the suggestion is open."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(_threads)
                .where(
                    _threads.c.id == thread_id,
                    _threads.c.room == room,
                    _threads.c.suggest_status == "applying",
                )
                .values(
                    suggest_status="open",
                    decided_by=None,
                    decided_by_user=None,
                    decided_by_person=None,
                    decided_at=None,
                )
            )

    async def decide_suggestion(
        self,
        room: str,
        thread_id: str,
        by: Author,
        now: datetime,
        status: Literal["accepted", "rejected"],
    ) -> Thread | None:
        """Record that `by` accepted (once its edit is applied: it holds the claim) or rejected
        (open, or claimed by an accept that has not finished for CLAIM_SECONDS) the suggestion
        at `now`; the thread is resolved with it. None if the room has no
        such thread, or it is not in the state that allows it."""
        state = _threads.c.suggest_status
        if status == "accepted":
            was = state == "applying"
        else:  # open, or claimed by an accept that has not finished for CLAIM_SECONDS
            stale = now - timedelta(seconds=CLAIM_SECONDS)
            was = or_(state == "open", and_(state == "applying", _threads.c.decided_at < stale))
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_threads)
                .where(_threads.c.id == thread_id, _threads.c.room == room, was)
                .values(
                    suggest_status=status,
                    decided_by=by.display,
                    decided_by_user=by.user,
                    decided_by_person=by.person,
                    decided_at=now,
                    resolved_by=by.display,
                    resolved_at=now,
                )
            )
            if not result.rowcount:
                return None
            found = await _one(conn, room, thread_id)
            if found is None:
                return None
            action: Action = f"suggestion.{status}"  # type: ignore[assignment]
            change = CommentChange(
                action,
                room,
                thread_id,
                None,
                by,
                now,
                suggestion=found.suggestion,
                suggested_by=found.created_by,
            )
            await self._changed(conn, change)
            return found

    async def withdraw_suggestion(
        self, room: str, thread_id: str, by: Author, now: datetime
    ) -> bool:
        """Delete an open suggestion and its thread (its author withdrew it); False if the room
        has no such open suggestion."""
        async with self._engine.begin() as conn:
            found = await _one(conn, room, thread_id)
            if found is None or found.suggestion is None or found.suggestion.status != "open":
                return False
            await conn.execute(delete(_comments).where(_comments.c.thread_id == thread_id))
            await conn.execute(delete(_threads).where(_threads.c.id == thread_id))
            change = CommentChange(
                "suggestion.withdrawn",
                room,
                thread_id,
                None,
                by,
                now,
                thread_deleted=True,
                suggestion=found.suggestion,
                suggested_by=found.created_by,
            )
            await self._changed(conn, change)
            return True


async def _insert_comment(
    conn: AsyncConnection, thread_id: str, author: Author, body: str, now: datetime
) -> Comment:
    comment = Comment(_new_id(), thread_id, author, body, now, None)
    await conn.execute(
        _comments.insert().values(
            id=comment.id,
            thread_id=thread_id,
            author=author.display,
            author_user=author.user,
            author_person=author.person,
            body=body,
            created_at=now,
        )
    )
    return comment


def _same(thread: Thread) -> str:
    """What tells a thread carried in twice under different ids: its anchors, creator, time."""
    moment = _utc(thread.created_at).timestamp()
    return f"{thread.start.hex()}:{thread.end.hex()}:{thread.created_by.user}:{moment:.6f}"


async def _free_id(conn: AsyncConnection, table: Table, wanted: str | None) -> str:
    """`wanted` when no row of `table` has that id, else a new id."""
    if wanted is not None:
        taken = await conn.scalar(select(table.c.id).where(table.c.id == wanted))
        if taken is None:
            return wanted
    return _new_id()


async def _thread_row(conn: AsyncConnection, room: str, thread_id: str) -> Any:
    query = select(_threads).where(_threads.c.id == thread_id, _threads.c.room == room)
    return (await conn.execute(query)).first()


async def _comments_of(conn: AsyncConnection, threads: list[str]) -> dict[str, list[Comment]]:
    found: dict[str, list[Comment]] = {}
    for start in range(0, len(threads), 500):
        chunk = threads[start : start + 500]
        query = (
            select(_comments)
            .where(_comments.c.thread_id.in_(chunk))
            .order_by(_comments.c.created_at, _comments.c.id)
        )
        for row in await conn.execute(query):
            found.setdefault(row.thread_id, []).append(_comment(row))
    return found


async def _one(conn: AsyncConnection, room: str, thread_id: str) -> Thread | None:
    row = await _thread_row(conn, room, thread_id)
    if row is None:
        return None
    comments = await _comments_of(conn, [thread_id])
    return _thread(row, tuple(comments.get(thread_id, ())))
