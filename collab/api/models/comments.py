"""Comment threads and comments as the REST API takes and shows them (api/comments.py)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from collab.api.models.common import Body, Params, QueryInt, RoomName, Timestamp
from collab.api.models.people import PersonRef
from collab.auth import Identity, is_agent_user
from collab.content.anchors import Located
from collab.store.comments import Author, Comment, Suggestion, Thread, mentioned_ids

MAX_MENTIONS = 20
# Who a mention names when its person is not on this server (any more).
SOMEONE = "Someone"

_AUTHOR_EXAMPLE: JsonDict = {"name": "Ada", "person_id": None, "yours": True}
_COMMENT_EXAMPLE: JsonDict = {
    "id": "tQ0s1vBn4Kx2Lq9A",
    "thread": "Yk3pX7rT2mW9cQ4e",
    "author": _AUTHOR_EXAMPLE,
    "body": "Is this figure from the March report? <@5f1c0a9e2b7d4e8f9a0b1c2d>",
    "mentions": [{"person_id": "5f1c0a9e2b7d4e8f9a0b1c2d", "name": "Grace Hopper"}],
    "created_at": "2026-03-02T10:42:17.250000+00:00",
    "edited_at": None,
}
_THREAD_EXAMPLE: JsonDict = {
    "id": "Yk3pX7rT2mW9cQ4e",
    "room": "notes",
    "quote": "revenue grew 12%",
    "detached": False,
    "range": {"index": 120, "length": 16, "text": "revenue grew 12%"},
    "anchor": {"start": "AKqC9Y0FCAA", "end": "AKqC9Y0FF_8B"},
    "created_by": _AUTHOR_EXAMPLE,
    "created_at": "2026-03-02T10:42:17.250000+00:00",
    "resolved": False,
    "resolved_by": None,
    "resolved_at": None,
    "comments": [_COMMENT_EXAMPLE],
    "suggestion": None,
}
_SUGGESTION_EXAMPLE: JsonDict = {
    "kind": "replace",
    "text": "revenue grew 14%",
    "at": None,
    "status": "open",
    "decided_by": None,
    "decided_at": None,
    "range": {"index": 120, "length": 16, "text": "revenue grew 12%"},
    "author_colour": None,
}
_SUGGESTION_THREAD_EXAMPLE: JsonDict = {
    **_THREAD_EXAMPLE,
    "comments": [],
    "suggestion": _SUGGESTION_EXAMPLE,
}


class PassageIndex(Body):
    """A passage of the document's text: `length` characters (Unicode code points, as the text
    edits count them) from `index`. Rich text counts the characters of its paragraphs (each
    run of inline text), one newline between two."""

    index: int = Field(ge=0, description="where the passage starts in the current text")
    length: int = Field(ge=1, description="how many characters it holds (at least 1)")


class PassageQuote(Body):
    """A passage given by its text: the `occurrence`-th place (from 1) it stands in the
    document's text now."""

    text: str = Field(min_length=1, max_length=10_000, description="the passage's text, exactly")
    occurrence: int = Field(1, ge=1, le=100_000, description="which place it stands in (1: first)")


class AnchorIn(Body):
    """A passage as an editor holds it: two Yjs relative positions (`Y.encodeRelativePosition`,
    then base64url), the start naming its first character (`assoc` 0) and the end its last
    (`assoc` -1), as `Y.createRelativePositionFromTypeIndex(text, index, assoc)` makes them in
    the Y.Text or Y.XmlText holding each."""

    start: str = Field(min_length=2, max_length=200)
    end: str = Field(min_length=2, max_length=200)


class CommentText(Body):
    """A comment's text, stored and shown exactly as sent (never rendered as markup)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"body": "Is this figure from the March report?"}]}
    )

    body: str = Field(
        min_length=1,
        description="the comment, as plain text (at most COLLAB_COMMENT_MAX_CHARS characters). "
        "`<@ID>` mentions the person of that id (GET /api/rooms/{room}/people lists who may be "
        "mentioned: people who can read the document); the body keeps the token, and the "
        f"comment's `mentions` give each one's name to show. At most {MAX_MENTIONS} people a "
        "comment; 422 for a person who cannot read the document (share it with them first), "
        "is deactivated or unknown. Each comment mentioning people (and each edit mentioning "
        "someone new) sends the `comment.mentioned` webhook.",
    )


class NewThread(CommentText):
    """POST /api/rooms/{room}/threads: a passage of the document, and the first comment on it.
    The passage is given one way: by index, by its text, or by an editor's anchor."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"passage": {"index": 120, "length": 16}, "body": "Is this from March?"},
                {"passage": {"text": "revenue grew 12%"}, "body": "Is this from March?"},
            ]
        }
    )

    passage: PassageIndex | PassageQuote | None = Field(
        None, description="by index and length, or by its text (and which occurrence)"
    )
    anchor: AnchorIn | None = Field(None, description="by an editor's relative positions")


class ThreadParams(Params):
    """GET /api/rooms/{room}/threads?status=...&index=...&length=..."""

    status: Literal["open", "resolved", "all"] = Field(
        "open", description="open threads (the default), resolved ones, or all"
    )
    index: int | None = Field(
        None,
        ge=0,
        description="only threads whose passage overlaps the `length` characters from here "
        "(as `range` counts them); detached threads are left out",
    )
    length: int = Field(1, ge=1, description="with `index`: how many characters (default 1)")

    def overlaps(self, where: Located | None) -> bool:
        """Whether a passage standing at `where` is one the query asks for."""
        if self.index is None:
            return True
        if where is None:
            return False
        return where.index < self.index + self.length and self.index < where.index + where.length


class AuthorOut(BaseModel):
    """Who wrote it: the name shown, the person's id (null: not a signed-in person), and
    whether the caller wrote it (and so may edit and delete it)."""

    name: str
    person_id: str | None
    yours: bool
    agent: bool = Field(
        False,
        description="an agent wrote it (`person_id` is then the person it acts for, and "
        '`name` says both: "AGENT (for PERSON)")',
    )

    @classmethod
    def of(cls, author: Author, caller: Identity) -> AuthorOut:
        """`author` as `caller` sees them."""
        return cls(
            name=author.display,
            person_id=author.person,
            yours=is_author(author, caller),
            agent=is_agent_user(author.user),
        )


def is_author(author: Author, caller: Identity) -> bool:
    """Whether `caller` is who wrote something (same user id, same person)."""
    return author.user == caller.user_id and author.person == caller.person


class MentionOut(BaseModel):
    """A person a comment mentions (`<@person_id>` in its body): show them as "@name"."""

    person_id: str
    name: str = Field(description=f'their name now ("{SOMEONE}" for a person not on the server)')


def mentions_of(body: str, names: Mapping[str, str]) -> list[MentionOut]:
    """The people `body` mentions, with their names from `names` (id -> name)."""
    return [MentionOut(person_id=i, name=names.get(i, SOMEONE)) for i in mentioned_ids(body)]


class CommentOut(BaseModel):
    """A comment."""

    model_config = ConfigDict(json_schema_extra={"examples": [_COMMENT_EXAMPLE]})

    id: str
    thread: str = Field(description="the id of its thread")
    author: AuthorOut
    body: str = Field(
        description="exactly as written: show it as text, never as markup (each `<@ID>` in it "
        'as "@" and the name `mentions` gives that id)'
    )
    mentions: list[MentionOut] = Field(
        description="the people the body mentions, in the order they first appear"
    )
    created_at: Timestamp
    edited_at: Timestamp | None = Field(description="its last edit; null: never edited")

    @classmethod
    def of(cls, comment: Comment, caller: Identity, names: Mapping[str, str]) -> CommentOut:
        """The stored comment, as `caller` sees it; `names` of the people it mentions."""
        return cls(
            id=comment.id,
            thread=comment.thread,
            author=AuthorOut.of(comment.author, caller),
            body=comment.body,
            mentions=mentions_of(comment.body, names),
            created_at=comment.created_at,
            edited_at=comment.edited_at,
        )


class Range(BaseModel):
    """Where the passage stands in the current text (code points), and its text now."""

    index: int
    length: int
    text: str

    @classmethod
    def of(cls, where: Located) -> Range:
        """The range `where` a passage is."""
        return cls(index=where.index, length=where.length, text=where.text)


class Anchor(BaseModel):
    """The passage's start and end as Yjs relative positions (base64url): what an editor
    resolves against its own copy of the document to highlight it."""

    start: str
    end: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class SuggestionOut(BaseModel):
    """The edit a thread proposes (docs/suggestions.md): insert `text` at the point `at`, or
    delete the thread's passage (`anchor`), or replace it by `text`, or add or remove `marks`
    over it. Nothing of it is in the
    document until someone accepts it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUGGESTION_EXAMPLE]})

    kind: Literal["insert", "delete", "replace", "format"]
    text: str = Field(
        description='the text to insert, or to put in the passage\'s place ("" to delete or format)'
    )
    marks: dict[str, bool] | None = Field(
        None,
        description="format: the marks it adds (true) or removes (false) over the passage; "
        "null for the other kinds",
    )
    at: str | None = Field(
        description="an insertion's point: a Yjs relative position (base64url), made on the "
        "character before it (assoc -1), or at the start of a text node on its first character "
        "(assoc 0); null for delete and replace"
    )
    status: Literal["open", "accepted", "rejected"]
    decided_by: AuthorOut | None = Field(description="who accepted or rejected it")
    decided_at: Timestamp | None
    range: Range | None = Field(
        description="where it stands now in the current text (an insertion: its point, length "
        "0); null when its passage (or its point's paragraph) is gone"
    )
    author_colour: str | None = Field(None, description="reserved for the editor (always null)")

    @classmethod
    def of(cls, suggestion: Suggestion, where: Located | None, caller: Identity) -> SuggestionOut:
        """The stored suggestion, standing at `where` now, as `caller` sees it."""
        decided = suggestion.decided_by if suggestion.status in ("accepted", "rejected") else None
        return cls(
            kind=suggestion.kind,
            text="" if suggestion.kind == "format" else suggestion.text,
            marks=suggestion.marks,
            at=None if suggestion.at is None else _b64(suggestion.at),
            status="open" if suggestion.is_open else suggestion.status,  # type: ignore[arg-type]
            decided_by=None if decided is None else AuthorOut.of(decided, caller),
            decided_at=suggestion.decided_at if decided is not None else None,
            range=None if where is None else Range.of(where),
            author_colour=None,
        )


class ThreadOut(BaseModel):
    """A thread on a passage, with its comments (oldest first; the first one opened it); a
    suggestion is a thread carrying a proposed edit (`suggestion`)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [_THREAD_EXAMPLE, _SUGGESTION_THREAD_EXAMPLE]}
    )

    id: str
    room: RoomName
    quote: str = Field(
        description="the passage's text as it last stood: when the thread was made, then as "
        "edits changed it, and kept once the whole passage is deleted"
    )
    detached: bool = Field(description="true when all of the passage has been deleted")
    range: Range | None = Field(description="where the passage is now; null when detached")
    anchor: Anchor | None = Field(description="the passage; null for an insertion's thread")
    created_by: AuthorOut
    created_at: Timestamp
    resolved: bool
    resolved_by: str | None
    resolved_at: Timestamp | None
    comments: list[CommentOut]
    suggestion: SuggestionOut | None = Field(
        None, description="the edit it proposes; null for an ordinary comment thread"
    )

    @classmethod
    def of(
        cls, thread: Thread, where: Located | None, caller: Identity, names: Mapping[str, str]
    ) -> ThreadOut:
        """The stored thread, where its passage is now (None: gone), as `caller` sees it;
        `names` of the people its comments mention."""
        suggestion = thread.suggestion
        return cls(
            id=thread.id,
            room=thread.room,
            quote=thread.quote,
            detached=where is None,
            range=None
            if where is None
            else Range(index=where.index, length=where.length, text=where.text),
            anchor=None
            if suggestion is not None and suggestion.kind == "insert"
            else Anchor(start=_b64(thread.start), end=_b64(thread.end)),
            created_by=AuthorOut.of(thread.created_by, caller),
            created_at=thread.created_at,
            resolved=thread.resolved,
            resolved_by=thread.resolved_by,
            resolved_at=thread.resolved_at,
            comments=[CommentOut.of(c, caller, names) for c in thread.comments],
            suggestion=None if suggestion is None else SuggestionOut.of(suggestion, where, caller),
        )


class ThreadPage(BaseModel):
    """A room's threads, open ones in document order (detached ones last), then by age."""

    items: list[ThreadOut]


class Deleted(BaseModel):
    """What a delete removed: the comment, or its whole thread (deleting the first comment of a
    thread deletes the thread)."""

    deleted: Literal["comment", "thread"]
    thread: str
    comment: str


class MentionParams(Params):
    """GET /api/rooms/{room}/people?q=..."""

    q: str = Field("", max_length=200, description="only people whose name or email holds this")
    limit: QueryInt = Field(8, ge=1, le=50, description="at most this many, by name")


class Mentionable(BaseModel):
    """People who may be mentioned in the document's comments (who can read it), by name."""

    items: list[PersonRef]
