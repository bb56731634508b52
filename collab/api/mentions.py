"""Mentions in comments (issue 23): `<@ID>` in a comment's body names the person of that id.
Who may be mentioned (people who can read the document, GET /api/rooms/{room}/people), the check
of a body's mentions before it is stored, the names comments show for them, and the host's
on_comment_mentioned hook. The comment.mentioned webhook is queued by the store's observer, in
the comment's own transaction (webhooks/events.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.responses import Response

from collab.api.models.comments import MAX_MENTIONS, Mentionable, MentionParams
from collab.api.models.people import PersonRef
from collab.api.operations import Operation, Query, Reply, RoomCall, reply, resource
from collab.auth import Role
from collab.errors import InvalidRequest
from collab.hooks import CommentMentioned
from collab.store.comments import Comment, Mentioned, Thread, mentioned_ids

_QUERY = Query(MentionParams)
LIST_MENTIONABLE = Operation(
    "listMentionable",
    "People who may be mentioned in the document's comments: those who can read it",
    {200: Reply("People, by name", Mentionable)},
    description="Active people the document is readable by: its owner, the people it is shared "
    "with, server admins, and everyone signed in when the organisation has a role on it. Their "
    "emails are empty for a caller who is neither a person signed in nor an admin of the room "
    "(a share link's visitor). Empty on a server without people (development mode).",
    role=Role.COMMENTER,
    query=_QUERY,
)


@LIST_MENTIONABLE.on_room
async def list_mentionable(call: RoomCall[MentionParams, None]) -> Response:
    """GET /api/rooms/{room}/people?q=&limit=."""
    state, room, query = call.state, call.room, call.query
    await state.documents.info(room)
    people = await state.store.access.readers(room, text=query.q, limit=query.limit)
    reveal = call.identity.person is not None
    if not reveal:
        reveal = await state.admission.role(call.identity, room, None) == Role.ADMIN
    items = [
        PersonRef.of(p) if reveal else PersonRef(id=p.id, name=p.name, email="") for p in people
    ]
    return reply(Mentionable(items=items))


async def checked(
    call: RoomCall[Any, Any], body: str, *, before: str = ""
) -> tuple[Mentioned, ...]:
    """The people `body` mentions, once each may be: 422 past MAX_MENTIONS people, or for one
    who cannot read the room, is deactivated or unknown. `before` is the body an edit replaces:
    the people it mentioned already pass (one who lost access since does not make the comment
    impossible to edit)."""
    ids = mentioned_ids(body)
    if not ids:
        return ()
    if len(ids) > MAX_MENTIONS:
        raise InvalidRequest(
            f"body: a comment mentions at most {MAX_MENTIONS} people, not {len(ids)}"
        )
    state = call.state
    readers = {
        p.id: p for p in await state.store.access.readers(call.room, ids=ids, limit=len(ids))
    }
    others = [i for i in ids if i not in readers]
    found = await state.store.people.find(others) if others else {}
    already = set(mentioned_ids(before))
    for person_id in others:
        if person_id in already:
            continue
        person = found.get(person_id)
        if person is None:
            raise InvalidRequest(
                f"body: there is nobody to mention with the id {person_id!r} (<@{person_id}>) "
                "on this server"
            )
        if not person.active:
            raise InvalidRequest(
                f"body: {person.name} cannot be mentioned: their account is deactivated"
            )
        raise InvalidRequest(
            f"body: {person.name} cannot read this document: share it with them first"
        )
    people = {**found, **readers}
    return tuple(Mentioned(i, people[i].name, people[i].email) for i in ids if i in people)


def names(mentioned: Iterable[Mentioned]) -> dict[str, str]:
    """Id -> name of these people."""
    return {m.person_id: m.name for m in mentioned}


async def names_in(call: RoomCall[Any, Any], threads: Iterable[Thread]) -> dict[str, str]:
    """Id -> current name of the people the comments of `threads` mention (one query)."""
    return await comment_names(call, (c for t in threads for c in t.comments))


async def comment_names(call: RoomCall[Any, Any], comments: Iterable[Comment]) -> dict[str, str]:
    """Id -> current name of the people `comments` mention (one query; none when none)."""
    ids = {i for c in comments for i in mentioned_ids(c.body)}
    if not ids:
        return {}
    return {i: p.name for i, p in (await call.state.store.people.find(ids)).items()}


def tell(call: RoomCall[Any, Any], comment: Comment, mentioned: tuple[Mentioned, ...]) -> None:
    """The host's on_comment_mentioned hook, in the background, for `mentioned` (none: no call)."""
    hooks = call.state.hooks
    if not mentioned or not hooks.overrides("on_comment_mentioned"):
        return
    author = comment.author
    event = CommentMentioned(
        room=call.room,
        thread=comment.thread,
        comment=comment.id,
        author=author.display,
        author_person_id=author.person,
        body=comment.body,
        mentioned=mentioned,
        edited=comment.edited_at is not None,
        by=call.identity.display,
    )
    hooks.spawn("on_comment_mentioned", hooks.hooks.on_comment_mentioned(event))


routes = [resource("/api/rooms/{room}/people", get=list_mentionable)]
