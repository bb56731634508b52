"""REST endpoint for blame (issue 26): who wrote each part of a document's text, and when.

Readers of a document see who wrote it (viewer role), as version history shows authors. The
text is counted as the comments API counts passages: plain text as GET .../text shows it, rich
text the characters of its paragraphs with one newline between two (content/blame.py)."""

from __future__ import annotations

from starlette.responses import Response

from collab.api.models.blame import BlameOut, BlameParams
from collab.api.operations import Operation, Query, Reply, RoomCall, reply, resource
from collab.auth import Role
from collab.documents.blame import MAX_BLAME_CHARS, blame_of

GET_BLAME = Operation(
    "getBlame",
    "Who wrote each part of the text, and when",
    {200: Reply("The passage as runs, each with its author and time", BlameOut)},
    description="The `length` characters from `index` (default: the whole text, at most "
    f"{MAX_BLAME_CHARS} characters a request) as runs of consecutive characters written by one "
    "author, with the time of the latest of their writes. Text deleted and typed again is "
    "credited to who typed it again. Kept through compactions of the update log.",
    role=Role.VIEWER,
    query=Query(BlameParams),
)


@GET_BLAME.on_room
async def get_blame(call: RoomCall[BlameParams, None]) -> Response:
    """GET /api/rooms/{room}/blame?index=&length=."""
    found = await blame_of(call.state.documents, call.room, call.query.index, call.query.length)
    return reply(BlameOut.of(found))


routes = [resource("/api/rooms/{room}/blame", get=get_blame)]
