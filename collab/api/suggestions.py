"""REST endpoints for suggestions (issue 26): comment threads carrying a proposed edit of their
passage (docs/suggestions.md). Nothing of a suggestion is in the document until an editor
accepts it: then it is applied where its point or passage stands now, as a forward edit of the
live document credited to the suggester (history and blame show them), the approver recorded
on the thread. Commenters and above suggest; editors and above accept or reject; the author of
an open suggestion changes or withdraws it (and may reject it). Each change is announced to the
room's open editors (EVENT `suggestion.*`) and, for created, accepted and rejected, to webhooks
(suggestion.*, through the outbox in the change's own transaction)."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc
from starlette.responses import Response

from collab.api import mentions
from collab.api.comments import (
    anchor_bytes,
    author_of,
    checked_text,
    now,
    placed_threads,
    shown_thread,
    take_turn,
    thread_of,
)
from collab.api.models.comments import PassageQuote, ThreadOut, is_author
from collab.api.models.suggestions import (
    AcceptedAll,
    ByAuthor,
    NewSuggestion,
    PassagePoint,
    RejectedAll,
    SuggestionPage,
    SuggestionParams,
    SuggestionPatch,
)
from collab.api.operations import JsonBody, Operation, Query, Reply, RoomCall, reply, resource
from collab.auth import DEVELOPMENT, Role, is_agent_user
from collab.content.anchors import Passage, anchor, anchor_given, anchor_quote
from collab.content.export import RICH, content_kind
from collab.content.passages import locate_points, point_nodes
from collab.content.suggestions import FORMAT_MARKS, Proposal, apply_proposal
from collab.content.textops import utf8_size
from collab.errors import (
    CollabError,
    Forbidden,
    InvalidRequest,
    SuggestionConflict,
    ThreadNotFound,
)
from collab.rooms.events import suggestion_event
from collab.store import comments as stored
from collab.store.comments import Author, Suggestion, Thread
from collab.types import LocalOrigin

_RATE = "Too many comment changes in the last minute (COLLAB_COMMENTS_PER_MINUTE)"
_NOT_OPEN = "The suggestion is no longer open (accepted or rejected already)"

_LIST = Query(SuggestionParams)
LIST_SUGGESTIONS = Operation(
    "listSuggestions",
    "The document's suggestions, each with where it stands now",
    {200: Reply("The suggestions' threads", SuggestionPage)},
    description="Open ones by default (`status=accepted`, `rejected` or `all` for the others), "
    "in document order, those whose passage is gone last. Each is the comment thread carrying "
    "it, with its `suggestion`.",
    role=Role.VIEWER,
    query=_LIST,
)


@LIST_SUGGESTIONS.on_room
async def list_suggestions(call: RoomCall[SuggestionParams, None]) -> Response:
    """GET /api/rooms/{room}/suggestions?status=open|accepted|rejected|all."""
    state, room = call.state, call.room
    await state.documents.info(room)
    threads = await state.store.comments.list_suggestions(room, call.query.status)
    doc = await state.documents.current(room) if threads else None
    names = await mentions.names_in(call, threads)
    placed = await placed_threads(call, doc, threads) if doc is not None else []
    shown = [ThreadOut.of(t, at, call.identity, names) for t, at in placed]
    shown.sort(key=lambda t: (t.range is None, t.range.index if t.range else 0))
    return reply(SuggestionPage(items=shown))


_NEW = JsonBody(NewSuggestion)
CREATE_SUGGESTION = Operation(
    "createSuggestion",
    "Suggest an edit: an insertion at a point, or deleting, replacing or formatting a passage",
    {201: Reply("The suggestion's thread", ThreadOut)},
    description="Placed one way: `at` (insert) or `anchor` (delete, replace, format) as an "
    "editor's Yjs relative positions, which the server checks (an insertion's point may name "
    "a character, a text node, or an empty paragraph's element); or `passage` by index and "
    "length (`length` 0 for an insertion's point) or by its text. A format suggestion (rich "
    "text) gives `marks` to add (true) or remove (false). The document does not change: the "
    "suggestion follows its place through every edit until someone accepts or rejects it.",
    role=Role.COMMENTER,
    body=_NEW,
    problems={429: _RATE},
)


@CREATE_SUGGESTION.on_room
async def create_suggestion(call: RoomCall[None, NewSuggestion]) -> Response:
    """POST /api/rooms/{room}/suggestions."""
    state, room, body = call.state, call.room, call.body
    if body.kind == "format":
        text = _checked_marks(body.marks, body.text)
    elif body.marks is not None:
        raise InvalidRequest("marks: only a format suggestion has marks")
    else:
        text = _checked_proposal(body.kind, body.text)
    first = checked_text(state, body.body) if body.body else ""
    mentioned = await mentions.checked(call, first) if first else ()
    take_turn(state, call.identity)
    doc = await state.documents.current(room)
    if body.kind == "format" and content_kind(doc) != RICH:
        raise InvalidRequest("kind: a plain-text document has no formatting to suggest")
    start, end, quote, at = _place(doc, body)
    suggestion = Suggestion(body.kind, text, at, session=call.identity.agent_session)
    new = stored.NewThread(
        room,
        start,
        end,
        text if body.kind == "insert" else quote,
        author_of(call),
        first,
        mentioned,
        suggestion,
    )
    thread = await state.store.comments.create_thread(
        new, now(), max_threads=state.settings.threads_per_document
    )
    shown = await shown_thread(call, thread, doc, mentions.names(mentioned))
    _announce(call, "suggestion.created", thread.id)
    if thread.comments and mentioned:
        mentions.tell(call, thread.comments[0], mentioned)
    return reply(shown, 201)


_PATCH = JsonBody(SuggestionPatch)
CHANGE_SUGGESTION = Operation(
    "changeSuggestion",
    "Change one's own open suggestion: its text, its passage or its point",
    {200: Reply("The suggestion's thread", ThreadOut)},
    description="As its author keeps typing: an insertion grows, a deletion's passage widens.",
    role=Role.COMMENTER,
    body=_PATCH,
    problems={409: _NOT_OPEN, 429: _RATE},
)


@CHANGE_SUGGESTION.on_room
async def change_suggestion(call: RoomCall[None, SuggestionPatch]) -> Response:
    """PATCH /api/rooms/{room}/suggestions/{thread}."""
    state, room, body = call.state, call.room, call.body
    thread, suggestion = await _own_open(call)
    if body.text is None and body.anchor is None and body.at is None:
        raise InvalidRequest(
            "give what changes: `text`, `anchor` (delete, replace) or `at` (insert)"
        )
    if body.at is not None and suggestion.kind != "insert":
        raise InvalidRequest(f"at: a {suggestion.kind} has a passage (`anchor`), not a point")
    if body.anchor is not None and suggestion.kind == "insert":
        raise InvalidRequest("anchor: an insertion has a point (`at`), not a passage")
    if body.text is not None and suggestion.kind == "format":
        raise InvalidRequest(
            "text: a format suggestion changes marks, not text (withdraw it and suggest again "
            "for other marks)"
        )
    text = None if body.text is None else _checked_proposal(suggestion.kind, body.text)
    take_turn(state, call.identity)
    doc = await state.documents.current(room)
    passage = None
    if body.anchor is not None:
        given = anchor_given(
            doc, anchor_bytes(body.anchor.start, "start"), anchor_bytes(body.anchor.end, "end")
        )
        passage = (given.start, given.end, given.quote)
    at = None if body.at is None else _checked_point(doc, anchor_bytes(body.at, "at"))
    changed = await state.store.comments.change_suggestion(
        room, thread.id, author_of(call), now(), text=text, passage=passage, at=at
    )
    if changed is None:
        raise SuggestionConflict("this suggestion is no longer open: it cannot be changed")
    _announce(call, "suggestion.changed", thread.id)
    names = await mentions.names_in(call, [changed])
    return reply(await shown_thread(call, changed, doc, names))


WITHDRAW_SUGGESTION = Operation(
    "withdrawSuggestion",
    "Withdraw one's own open suggestion: it and its thread are gone",
    {204: Reply("Withdrawn")},
    role=Role.COMMENTER,
    problems={409: _NOT_OPEN, 429: _RATE},
)


@WITHDRAW_SUGGESTION.on_room
async def withdraw_suggestion(call: RoomCall[None, None]) -> Response:
    """DELETE /api/rooms/{room}/suggestions/{thread}."""
    thread, _ = await _own_open(call)
    take_turn(call.state, call.identity)
    gone = await call.state.store.comments.withdraw_suggestion(
        call.room, thread.id, author_of(call), now()
    )
    if not gone:
        raise SuggestionConflict("this suggestion is no longer open: it cannot be withdrawn")
    _announce(call, "suggestion.withdrawn", thread.id)
    return Response(status_code=204)


ACCEPT_SUGGESTION = Operation(
    "acceptSuggestion",
    "Accept a suggestion: its edit is applied to the document, credited to its author",
    {200: Reply("The suggestion's thread, accepted (and resolved)", ThreadOut)},
    description="Applied where its point or passage stands in the current text (others' "
    "edits since are kept), as a live edit everyone sees at once; history and blame show the "
    "suggester as its author, the thread the caller as who accepted it.",
    role=Role.EDITOR,
    problems={
        409: "It can no longer apply (its whole passage was deleted, its point's paragraph "
        "removed), or is no longer open"
    },
)


@ACCEPT_SUGGESTION.on_room
async def accept_suggestion(call: RoomCall[None, None]) -> Response:
    """POST /api/rooms/{room}/suggestions/{thread}/accept."""
    thread = await _suggestion_thread(call)
    accepted = await _accept(call, thread)
    doc = await call.state.documents.current(call.room)
    names = await mentions.names_in(call, [accepted])
    return reply(await shown_thread(call, accepted, doc, names))


REJECT_SUGGESTION = Operation(
    "rejectSuggestion",
    "Reject a suggestion (an editor, or its author): the document stays as it is",
    {200: Reply("The suggestion's thread, rejected (and resolved)", ThreadOut)},
    role=Role.COMMENTER,
    problems={409: _NOT_OPEN},
)


@REJECT_SUGGESTION.on_room
async def reject_suggestion(call: RoomCall[None, None]) -> Response:
    """POST /api/rooms/{room}/suggestions/{thread}/reject."""
    thread = await _suggestion_thread(call)
    assert thread.suggestion is not None
    if not is_author(thread.created_by, call.identity):
        await _need_editor(call, "reject another's suggestion")
    rejected = await _reject(call, thread)
    doc = await call.state.documents.current(call.room)
    names = await mentions.names_in(call, [rejected])
    return reply(await shown_thread(call, rejected, doc, names))


_BY_AUTHOR = JsonBody(ByAuthor)
ACCEPT_ALL = Operation(
    "acceptAllSuggestions",
    "Accept every open suggestion of one author",
    {200: Reply("How many were applied", AcceptedAll)},
    description="Each as POST .../accept does; those that can no longer apply stay open.",
    role=Role.EDITOR,
    body=_BY_AUTHOR,
)


@ACCEPT_ALL.on_room
async def accept_all(call: RoomCall[None, ByAuthor]) -> Response:
    """POST /api/rooms/{room}/suggestions/accept-all {"author"}."""
    count = 0
    for thread in await _open_by(call, call.body.author):
        try:
            await _accept(call, thread)
        except SuggestionConflict:
            continue
        count += 1
    return reply(AcceptedAll(accepted=count))


REJECT_ALL = Operation(
    "rejectAllSuggestions",
    "Reject every open suggestion of one author",
    {200: Reply("How many were rejected", RejectedAll)},
    role=Role.EDITOR,
    body=_BY_AUTHOR,
)


@REJECT_ALL.on_room
async def reject_all(call: RoomCall[None, ByAuthor]) -> Response:
    """POST /api/rooms/{room}/suggestions/reject-all {"author"}."""
    count = 0
    for thread in await _open_by(call, call.body.author):
        try:
            await _reject(call, thread)
        except SuggestionConflict:
            continue
        count += 1
    return reply(RejectedAll(rejected=count))


async def _accept(call: RoomCall[Any, Any], thread: Thread) -> Thread:
    """Claim the suggestion, apply it as its author's edit, record the caller as approver; the
    claim is given back when it cannot apply (409), so nothing is half done."""
    state, room, by = call.state, call.room, author_of(call)
    suggestion = thread.suggestion
    assert suggestion is not None
    comments = state.store.comments
    if not await comments.claim_suggestion(room, thread.id, by, now()):
        raise SuggestionConflict(
            "this suggestion is not open: it was accepted or rejected already, or someone is "
            "accepting it right now"
        )
    proposal = Proposal(
        suggestion.kind,
        suggestion.text,
        thread.start,
        thread.end,
        suggestion.at,
        thread.quote,
        suggestion.marks,
    )
    suggester = thread.created_by
    # An agent's suggestion is its session's edit once accepted (a revert of it undoes it).
    origin = LocalOrigin("suggestion", suggester.display, agent_session=suggestion.session)
    applied: list[bool] = []

    def change(doc: Doc[Any]) -> None:
        apply_proposal(doc, proposal)
        applied.append(True)

    try:
        await state.documents.apply_edit(
            room, change, origin, adds_bytes=0 if proposal.marks else utf8_size(suggestion.text)
        )
    except BaseException:
        # Refused before it changed anything: open again. Applied but not yet committed (the
        # database is down: it is saved once it is back): the claim stays, so that nobody
        # applies it twice.
        if not applied:
            await comments.release_suggestion(room, thread.id)
        raise
    accepted = await comments.decide_suggestion(room, thread.id, by, now(), "accepted")
    if accepted is None:  # pragma: no cover - the claim is ours until this records it
        raise SuggestionConflict("this suggestion changed while it was being accepted")
    _announce(call, "suggestion.accepted", thread.id)
    return accepted


async def _reject(call: RoomCall[Any, Any], thread: Thread) -> Thread:
    rejected = await call.state.store.comments.decide_suggestion(
        call.room, thread.id, author_of(call), now(), "rejected"
    )
    if rejected is None:
        raise SuggestionConflict(
            "this suggestion is not open: it was accepted or rejected already, or is being "
            "accepted right now"
        )
    _announce(call, "suggestion.rejected", thread.id)
    return rejected


async def _open_by(call: RoomCall[Any, Any], who: str) -> list[Thread]:
    """The room's open suggestions whose author is the person of that id (the person's own,
    not their agents'), or shows that name (an agent: "AGENT (for PERSON)")."""
    found = await call.state.store.comments.list_suggestions(call.room, "open")
    return [t for t in found if who == t.created_by.display or _personally(t.created_by, who)]


def _personally(author: Author, person: str) -> bool:
    """Whether `author` is the person `person` themselves (an agent acting for them is not)."""
    return author.person == person and not is_agent_user(author.user)


async def _suggestion_thread(call: RoomCall[Any, Any]) -> Thread:
    """The thread in the path, which must carry a suggestion (404 otherwise)."""
    thread = await thread_of(call)
    if thread.suggestion is None:
        raise ThreadNotFound(f"thread {thread.id!r} is a comment thread, not a suggestion")
    return thread


async def _own_open(call: RoomCall[Any, Any]) -> tuple[Thread, Suggestion]:
    """The suggestion in the path, once the caller is its author (403) and it is open (409)."""
    thread = await _suggestion_thread(call)
    suggestion = thread.suggestion
    assert suggestion is not None
    if not is_author(thread.created_by, call.identity):
        raise Forbidden("only its author may change or withdraw a suggestion")
    if suggestion.status != "open":
        raise SuggestionConflict(
            f"this suggestion is {suggestion.status.replace('applying', 'being accepted')}: "
            "only an open one may be changed or withdrawn"
        )
    return thread, suggestion


async def _need_editor(call: RoomCall[Any, Any], what: str) -> None:
    role = await call.state.admission.role(call.identity, call.room, None)
    if role is None or role < Role.EDITOR:
        raise Forbidden(f"an editor of the document (or above) is needed to {what}")


def _checked_proposal(kind: str, text: str) -> str:
    """The suggestion's text, once it suits its kind (422 otherwise)."""
    if kind == "delete" and text:
        raise InvalidRequest('text: a delete puts nothing in the passage\'s place: send "" or none')
    if kind != "delete" and not text:
        raise InvalidRequest(f"text: a {kind} needs the text it would put in")
    if "\x00" in text:
        raise InvalidRequest("text: a suggestion cannot hold the NUL character (U+0000)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidRequest(
            f"text: a lone surrogate (U+{ord(text[error.start]):04X}) at {error.start}; send "
            "valid Unicode"
        ) from None
    return text


def _checked_marks(marks: dict[str, bool] | None, text: str) -> str:
    """A format suggestion's marks, as its text stores them, once they are marks it may change
    (422 otherwise)."""
    if text:
        raise InvalidRequest('text: a format suggestion puts no text in: send "" or none')
    if not marks:
        raise InvalidRequest('marks: say which marks to add or remove, as {"bold": true}')
    unknown = sorted(set(marks) - set(FORMAT_MARKS))
    if unknown:
        raise InvalidRequest(
            f"marks: {unknown[0]!r} cannot be suggested; the marks are {', '.join(FORMAT_MARKS)}"
        )
    return stored.marks_text(marks)


def _place(doc: Doc[Any], body: NewSuggestion) -> tuple[bytes, bytes, str, bytes | None]:
    """Where the new suggestion goes: (start, end, quote, point); an insertion's start and end
    are its point. Given exactly one way, fitting its kind (422 otherwise)."""
    ways = [w for w in ("at", "anchor", "passage") if getattr(body, w) is not None]
    if len(ways) != 1:
        raise InvalidRequest(
            "place the suggestion one way: `at` (insert: a Yjs relative position), `anchor` "
            "(delete, replace: {start, end}) or `passage` ({index, length} or {text})"
        )
    insert = body.kind == "insert"
    if body.at is not None:
        if not insert:
            raise InvalidRequest(f"at: a {body.kind} needs a passage (`anchor`), not a point")
        point = _checked_point(doc, anchor_bytes(body.at, "at"))
        return point, point, "", point
    if body.anchor is not None:
        if insert:
            raise InvalidRequest("anchor: an insertion needs a point (`at`), not a passage")
        given = anchor_given(
            doc, anchor_bytes(body.anchor.start, "start"), anchor_bytes(body.anchor.end, "end")
        )
        return given.start, given.end, given.quote, None
    passage = body.passage
    if isinstance(passage, PassagePoint):
        if insert:
            if passage.length:
                raise InvalidRequest("passage.length: an insertion's point has length 0")
            point = point_nodes(doc, passage.index)
            return point, point, "", point
        made: Passage = anchor(doc, passage.index, passage.length)
        return made.start, made.end, made.quote, None
    assert isinstance(passage, PassageQuote)
    if insert:
        raise InvalidRequest(
            "passage: an insertion goes at a point: give {index, length: 0} (or `at`)"
        )
    made = anchor_quote(doc, passage.text, passage.occurrence)
    return made.start, made.end, made.quote, None


def _checked_point(doc: Doc[Any], point: bytes) -> bytes:
    """An insertion's point from an editor, once it names a character of the document's text
    (422 otherwise)."""
    try:
        [where] = locate_points(doc, [point])
    except CollabError:
        where = None
    if where is None:
        raise InvalidRequest(
            "at: it names no character of this document's text, nor a text node or a "
            "paragraph of it (make it with Y.createRelativePositionFromTypeIndex on the text "
            "node holding the point, or on the empty paragraph)"
        )
    return point


def _announce(call: RoomCall[Any, Any], kind: str, thread: str) -> None:
    """Tell the room's open editors, on every process (they fetch the suggestions again)."""
    identity = call.identity
    author = None if identity is DEVELOPMENT else identity.display
    call.state.rooms.announce(call.room, suggestion_event(kind, thread, author))


routes = [
    resource("/api/rooms/{room}/suggestions", get=list_suggestions, post=create_suggestion),
    resource("/api/rooms/{room}/suggestions/accept-all", post=accept_all),
    resource("/api/rooms/{room}/suggestions/reject-all", post=reject_all),
    resource(
        "/api/rooms/{room}/suggestions/{thread}",
        patch=change_suggestion,
        delete=withdraw_suggestion,
    ),
    resource("/api/rooms/{room}/suggestions/{thread}/accept", post=accept_suggestion),
    resource("/api/rooms/{room}/suggestions/{thread}/reject", post=reject_suggestion),
]
