"""REST endpoints for comment threads on passages of a document (issue 23): list, start a
thread, reply, edit, delete, resolve, reopen.

A thread anchors to a passage by Yjs relative positions the server makes from an index and a
length into the current text (content/anchors.py), so the document is never touched: a
commenter, who cannot write the text, comments. Everything is authored by the identity of the
request. Viewers read threads; commenters and above write them; a comment is edited or deleted
by its author, or by an admin of the room. Each change is announced to the room's editors on
every process of a cluster that has the room loaded (EVENT `comment`, docs/protocol.md
"Events")."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pycrdt import Doc
from starlette.responses import Response

from collab.api import mentions
from collab.api.models.comments import (
    CommentOut,
    CommentText,
    Deleted,
    NewThread,
    PassageIndex,
    ThreadOut,
    ThreadPage,
    ThreadParams,
    is_author,
)
from collab.api.operations import JsonBody, Operation, Query, Reply, RoomCall, reply, resource
from collab.auth import DEVELOPMENT, Identity, Role
from collab.content.anchors import (
    Located,
    Passage,
    anchor,
    anchor_given,
    anchor_quote,
    locate_all,
)
from collab.content.passages import locate_points
from collab.errors import CommentLimit, Forbidden, InvalidRequest, RateLimited, ThreadNotFound
from collab.rooms.events import comment_event
from collab.state import CollabState
from collab.store import comments as stored
from collab.store.comments import Author, Thread

_LIMIT = "A limit: the comment's length, the thread's comments or the document's threads"
_RATE = "Too many comment changes in the last minute (COLLAB_COMMENTS_PER_MINUTE)"

_LIST_QUERY = Query(ThreadParams)
LIST_THREADS = Operation(
    "listThreads",
    "The document's comment threads, each with where its passage stands now",
    {200: Reply("The threads", ThreadPage)},
    description="Open threads by default (`status=resolved` or `all` for the others), in "
    "document order, detached ones (their whole passage deleted) last; with `index` (and "
    "`length`), only those on a passage overlapping those characters.",
    role=Role.VIEWER,
    query=_LIST_QUERY,
)


@LIST_THREADS.on_room
async def list_threads(call: RoomCall[ThreadParams, None]) -> Response:
    """GET /api/rooms/{room}/threads?status=open|resolved|all&index=&length=."""
    state, room = call.state, call.room
    await state.documents.info(room)
    threads = await state.store.comments.list_threads(room, call.query.status)
    doc = await state.documents.current(room) if threads else None
    names = await mentions.names_in(call, threads)
    placed = await placed_threads(call, doc, threads) if doc is not None else []
    caller, query = call.identity, call.query
    shown = [ThreadOut.of(t, at, caller, names) for t, at in placed if query.overlaps(at)]
    shown.sort(key=lambda t: (t.range is None, t.range.index if t.range else 0))
    return reply(ThreadPage(items=shown))


GET_THREAD = Operation(
    "getThread",
    "One comment thread, with where its passage stands now",
    {200: Reply("The thread", ThreadOut)},
    role=Role.VIEWER,
)


@GET_THREAD.on_room
async def get_thread(call: RoomCall[None, None]) -> Response:
    """GET /api/rooms/{room}/threads/{thread}."""
    thread = await thread_of(call)
    doc = await call.state.documents.current(call.room)
    names = await mentions.names_in(call, [thread])
    return reply(await shown_thread(call, thread, doc, names))


_NEW_THREAD = JsonBody(NewThread)
CREATE_THREAD = Operation(
    "createThread",
    "Start a comment thread on a passage of the text",
    {201: Reply("The thread, with its first comment", ThreadOut)},
    description="The passage is given one way: `passage` as `length` characters from `index` "
    "of the document's text (plain text as GET .../text shows it; rich text counts the "
    "characters of its paragraphs, one newline between two), `passage` as `text` (and which "
    "`occurrence`), or `anchor` as an editor's Yjs relative positions, which the server "
    "checks. The thread follows its passage through every later edit.",
    role=Role.COMMENTER,
    body=_NEW_THREAD,
    problems={429: _RATE},
)


@CREATE_THREAD.on_room
async def create_thread(call: RoomCall[None, NewThread]) -> Response:
    """POST /api/rooms/{room}/threads {"passage": {"index", "length"}, "body"}."""
    state, room, body = call.state, call.room, call.body
    text = checked_text(state, body.body)
    mentioned = await mentions.checked(call, text)
    take_turn(state, call.identity)
    doc = await state.documents.current(room)
    passage = _passage(doc, body)
    new = stored.NewThread(room, passage.start, passage.end, passage.quote, author_of(call), text)
    thread = await state.store.comments.create_thread(
        replace(new, mentioned=mentioned), now(), max_threads=state.settings.threads_per_document
    )
    shown = await shown_thread(call, thread, doc, mentions.names(mentioned))
    _announce(call, "created", thread.id, thread.comments[0].id)
    mentions.tell(call, thread.comments[0], mentioned)
    return reply(shown, 201)


_REPLY = JsonBody(CommentText)
REPLY = Operation(
    "replyToThread",
    "Add a comment to a thread",
    {201: Reply("The comment", CommentOut)},
    role=Role.COMMENTER,
    body=_REPLY,
    problems={429: _RATE},
)


@REPLY.on_room
async def reply_to_thread(call: RoomCall[None, CommentText]) -> Response:
    """POST /api/rooms/{room}/threads/{thread}/comments {"body"}."""
    state, room = call.state, call.room
    text = checked_text(state, call.body.body)
    mentioned = await mentions.checked(call, text)
    take_turn(state, call.identity)
    thread_id = call.request.path_params["thread"]
    comment = await state.store.comments.reply(
        room,
        thread_id,
        author_of(call),
        text,
        now(),
        limit=state.settings.comments_per_thread,
        mentioned=mentioned,
    )
    if comment is None:
        raise ThreadNotFound(f"room {room!r} has no thread {thread_id!r}")
    _announce(call, "created", thread_id, comment.id)
    mentions.tell(call, comment, mentioned)
    return reply(CommentOut.of(comment, call.identity, mentions.names(mentioned)), 201)


_EDIT = JsonBody(CommentText)
EDIT_COMMENT = Operation(
    "editComment",
    "Change a comment's text: one's own, or any as an admin of the room",
    {200: Reply("The comment, edited", CommentOut)},
    role=Role.COMMENTER,
    body=_EDIT,
    problems={429: _RATE},
)


@EDIT_COMMENT.on_room
async def edit_comment(call: RoomCall[None, CommentText]) -> Response:
    """PATCH /api/rooms/{room}/threads/{thread}/comments/{comment} {"body"}."""
    state, room = call.state, call.room
    text = checked_text(state, call.body.body)
    thread_id, comment_id, before = await _own_comment(call)
    mentioned = await mentions.checked(call, text, before=before)
    take_turn(state, call.identity)
    edited = await state.store.comments.edit_comment(
        room, thread_id, comment_id, text, author_of(call), now(), mentioned=mentioned
    )
    if edited is None:
        raise ThreadNotFound(f"thread {thread_id!r} has no comment {comment_id!r}")
    _announce(call, "edited", thread_id, comment_id)
    already = set(stored.mentioned_ids(before))
    mentions.tell(call, edited, tuple(m for m in mentioned if m.person_id not in already))
    names = await mentions.comment_names(call, [edited])
    return reply(CommentOut.of(edited, call.identity, names))


DELETE_COMMENT = Operation(
    "deleteComment",
    "Delete a comment (its whole thread when it is the first): one's own, or any as an admin",
    {200: Reply("What was deleted", Deleted)},
    role=Role.COMMENTER,
    problems={429: _RATE},
)


@DELETE_COMMENT.on_room
async def delete_comment(call: RoomCall[None, None]) -> Response:
    """DELETE /api/rooms/{room}/threads/{thread}/comments/{comment}."""
    thread_id, comment_id, _ = await _own_comment(call)
    take_turn(call.state, call.identity)
    gone = await call.state.store.comments.delete_comment(
        call.room, thread_id, comment_id, author_of(call), now()
    )
    if gone is None:
        raise ThreadNotFound(f"thread {thread_id!r} has no comment {comment_id!r}")
    _announce(call, "deleted", thread_id, comment_id)
    return reply(Deleted(deleted=gone, thread=thread_id, comment=comment_id))


RESOLVE_THREAD = Operation(
    "resolveThread",
    "Mark a thread resolved (resolving one already resolved changes nothing)",
    {200: Reply("The thread", ThreadOut)},
    role=Role.COMMENTER,
    problems={429: _RATE},
)


@RESOLVE_THREAD.on_room
async def resolve_thread(call: RoomCall[None, None]) -> Response:
    """POST /api/rooms/{room}/threads/{thread}/resolve."""
    return await _set_resolved(call, resolved=True)


REOPEN_THREAD = Operation(
    "reopenThread",
    "Reopen a resolved thread (reopening an open one changes nothing)",
    {200: Reply("The thread", ThreadOut)},
    role=Role.COMMENTER,
    problems={429: _RATE},
)


@REOPEN_THREAD.on_room
async def reopen_thread(call: RoomCall[None, None]) -> Response:
    """POST /api/rooms/{room}/threads/{thread}/reopen."""
    return await _set_resolved(call, resolved=False)


async def _set_resolved(call: RoomCall[None, None], *, resolved: bool) -> Response:
    state, room = call.state, call.room
    take_turn(state, call.identity)
    thread_id = call.request.path_params["thread"]
    thread = await state.store.comments.set_resolved(
        room, thread_id, author_of(call), now(), resolved=resolved
    )
    if thread is None:
        raise ThreadNotFound(f"room {room!r} has no thread {thread_id!r}")
    _announce(call, "resolved" if resolved else "reopened", thread_id, None)
    doc = await state.documents.current(room)
    names = await mentions.names_in(call, [thread])
    return reply(await shown_thread(call, thread, doc, names))


async def shown_thread(
    call: RoomCall[Any, Any], thread: Thread, doc: Doc[Any], names: dict[str, str]
) -> ThreadOut:
    [(placed, where)] = await placed_threads(call, doc, [thread])
    return ThreadOut.of(placed, where, call.identity, names)


async def placed_threads(
    call: RoomCall[Any, Any], doc: Doc[Any], threads: list[Thread]
) -> list[tuple[Thread, Located | None]]:
    """Each thread with where its passage stands in `doc`. A thread's quote is kept as the
    text its passage last stood for (what a detached thread shows, and what finds it again).
    A detached thread found again by its quote (an undo, a paragraph re-created) is anchored
    anew on the text standing there, and stored so, so that it follows that text from now on."""
    places = locate_all(doc, [(t.start, t.end) for t in threads], [_findable(t) for t in threads])
    inserts = [n for n, t in enumerate(threads) if _point(t) is not None]
    points = locate_points(doc, [_point(threads[n]) or b"" for n in inserts]) if inserts else []
    for n, point in zip(inserts, points, strict=True):
        places[n] = None if point is None else Located(point, 0, "")
    placed: list[tuple[Thread, Located | None]] = []
    for thread, where in zip(threads, places, strict=True):
        comments = call.state.store.comments
        if _point(thread) is not None:
            placed.append((thread, where))
            continue
        if where is not None and not where.revived and where.text != thread.quote:
            await comments.update_quote(call.room, thread.id, where.text)
            thread = replace(thread, quote=where.text)
        if where is not None and where.revived:
            try:
                made = anchor(doc, where.index, where.length)
            except InvalidRequest:  # its ends fall on a paragraph break: shown, not kept
                placed.append((thread, where))
                continue
            if await comments.update_anchor(call.room, thread.id, made.start, made.end):
                thread = replace(thread, start=made.start, end=made.end)
        placed.append((thread, where))
    return placed


def _point(thread: Thread) -> bytes | None:
    """An insertion's point (its thread has no passage)."""
    suggestion = thread.suggestion
    if suggestion is None or suggestion.kind != "insert":
        return None
    return suggestion.at or thread.start


def _findable(thread: Thread) -> str:
    """The quote a deleted passage is found again by: none for a decided suggestion (its
    passage went with its accept, or no longer matters) or an insertion (no passage)."""
    suggestion = thread.suggestion
    if suggestion is not None and (suggestion.kind == "insert" or not suggestion.is_open):
        return ""
    return thread.quote


def _passage(doc: Doc[Any], body: NewThread) -> Passage:
    """The passage the new thread is on, given one way (422 for none, or more than one)."""
    if (body.passage is None) == (body.anchor is None):
        raise InvalidRequest(
            "give the passage one way: `passage` ({index, length} or {text}) or `anchor` "
            "({start, end}: Yjs relative positions)"
        )
    if body.anchor is not None:
        return anchor_given(
            doc, anchor_bytes(body.anchor.start, "start"), anchor_bytes(body.anchor.end, "end")
        )
    if isinstance(body.passage, PassageIndex):
        return anchor(doc, body.passage.index, body.passage.length)
    assert body.passage is not None
    return anchor_quote(doc, body.passage.text, body.passage.occurrence)


def anchor_bytes(text: str, what: str) -> bytes:
    """A base64url value (padding optional) as bytes; 422 when it is not one."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        raise InvalidRequest(f"anchor.{what}: not base64url") from None


async def thread_of(call: RoomCall[Any, Any]) -> Thread:
    thread_id = call.request.path_params["thread"]
    thread = await call.state.store.comments.get_thread(call.room, thread_id)
    if thread is None:
        raise ThreadNotFound(f"room {call.room!r} has no thread {thread_id!r}")
    return thread


async def _own_comment(call: RoomCall[Any, Any]) -> tuple[str, str, str]:
    """The thread's and comment's ids in the path, and the comment's body, once the caller may
    change that comment: its author, or an admin of the room (403 otherwise, 404 when there is
    no such comment)."""
    thread = await thread_of(call)
    comment_id = call.request.path_params["comment"]
    found = next((c for c in thread.comments if c.id == comment_id), None)
    if found is None:
        raise ThreadNotFound(f"thread {thread.id!r} has no comment {comment_id!r}")
    if not is_author(found.author, call.identity):
        role = await call.state.admission.role(call.identity, call.room, None)
        if role is None or role < Role.ADMIN:
            raise Forbidden("only its author, or an admin of the room, may change a comment")
    return thread.id, comment_id, found.body


def checked_text(state: CollabState, text: str) -> str:
    """The comment's text, kept exactly as sent, once it fits: 422 when too long, blank, or
    holding what the database cannot store (NUL, a lone surrogate)."""
    most = state.settings.comment_max_chars
    if len(text) > most:
        raise CommentLimit(f"a comment holds at most {most} characters, not {len(text)}")
    if not text.strip():
        raise InvalidRequest("body: a comment needs some text")
    if "\x00" in text:
        raise InvalidRequest("body: a comment cannot hold the NUL character (U+0000)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidRequest(
            f"body: a lone surrogate (U+{ord(text[error.start]):04X}) at {error.start}; "
            "send valid Unicode"
        ) from None
    return text


def take_turn(state: CollabState, identity: Identity) -> None:
    """One comment change of `identity`'s budget (COLLAB_COMMENTS_PER_MINUTE); 429 when spent."""
    if not state.comment_rate.get(identity.user_id).take():
        raise RateLimited(
            f"at most {state.settings.comments_per_minute} comment changes a minute: wait a "
            "little and try again"
        )


def author_of(call: RoomCall[Any, Any]) -> Author:
    identity = call.identity
    return Author(identity.display, identity.user_id, identity.person)


def now() -> datetime:
    return datetime.now(UTC)


def _announce(call: RoomCall[Any, Any], action: str, thread: str, comment: str | None) -> None:
    """Tell the room's open editors, on every process (they fetch the thread again)."""
    identity = call.identity
    author = None if identity is DEVELOPMENT else identity.display
    call.state.rooms.announce(call.room, comment_event(action, thread, comment, author))


routes = [
    resource("/api/rooms/{room}/threads", get=list_threads, post=create_thread),
    resource("/api/rooms/{room}/threads/{thread}", get=get_thread),
    resource("/api/rooms/{room}/threads/{thread}/comments", post=reply_to_thread),
    resource(
        "/api/rooms/{room}/threads/{thread}/comments/{comment}",
        patch=edit_comment,
        delete=delete_comment,
    ),
    resource("/api/rooms/{room}/threads/{thread}/resolve", post=resolve_thread),
    resource("/api/rooms/{room}/threads/{thread}/reopen", post=reopen_thread),
]
