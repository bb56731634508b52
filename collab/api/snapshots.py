"""GET /api/rooms/{room}/snapshot: the committed document as text, Markdown, HTML, JSON, a Yjs
update, a collab file (with its comment threads), a PDF or a DOCX file, by Accept or ?format=,
with a strong ETag."""

from __future__ import annotations

import asyncio
import re
import weakref
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collab.api.http import (
    b64url,
    etag_matches,
    from_b64url,
    negotiate,
    state_of,
    strong_etag,
)
from collab.api.models.rooms import SnapshotParams
from collab.api.operations import YJS, Header, Operation, Query, Reply, RoomCall
from collab.auth import Role
from collab.content import crdt
from collab.content.export import content_kind, doc_from_update, doc_to_json, render_content
from collab.content.html_page import html_page, page_language
from collab.content.pictures import stored_image_id
from collab.content.printed import DOCX, ENDINGS, PDF, printed_file, printed_images
from collab.documents import bundle
from collab.documents.service import Snapshot
from collab.errors import InvalidRequest
from collab.store.comments import Thread

TEXT, JSON = "text/plain", "application/json"
MARKDOWN, HTML = "text/markdown", "text/html"
COLLAB = "application/vnd.collab.document+json"
_FORMATS = {
    "text": TEXT,
    "json": JSON,
    "yjs": YJS,
    "markdown": MARKDOWN,
    "html": HTML,
    "collab": COLLAB,
    "pdf": PDF,
    "docx": DOCX,
}
_RENDERED = {TEXT: "text", MARKDOWN: "markdown", HTML: "html"}

_CONTENT = {
    JSON: {"schema": {"type": "object", "description": "every root type as JSON"}},
    TEXT: {
        "schema": {"type": "string", "description": "`content` as text (rich: a line per block)"}
    },
    MARKDOWN: {"schema": {"type": "string", "description": "`content` as Markdown"}},
    HTML: {
        "schema": {
            "type": "string",
            "description": "`content` as an HTML fragment (plain text: a <pre>); with "
            "?standalone=true a whole page",
        }
    },
    YJS: {"schema": {"type": "string", "contentEncoding": "binary", "description": "Yjs update"}},
    PDF: {
        "schema": {
            "type": "string",
            "contentEncoding": "binary",
            "description": "`content` as a PDF to print (A4; rich text keeps its structure; "
            "the title in its metadata)",
        }
    },
    DOCX: {
        "schema": {
            "type": "string",
            "contentEncoding": "binary",
            "description": "`content` as a Word (DOCX) file, the title in its properties",
        }
    },
    COLLAB: {
        "schema": {
            "type": "object",
            "description": "the document with its comment threads, as `collab export --format "
            'collab` writes it: {"collab": "document", "version": 1, "kind", "title", "update" '
            '(base64), "threads"}',
        }
    },
}

_QUERY = Query(SnapshotParams)
IF_NONE_MATCH = Header("If-None-Match", "an ETag this endpoint sent: 304 while it still holds")
GET_SNAPSHOT = Operation(
    "getSnapshot",
    "The committed document as text, Markdown, HTML, JSON, a Yjs update, a collab file, a PDF "
    "or a DOCX file",
    {
        200: Reply(
            "The snapshot, by Accept or ?format=",
            content=_CONTENT,
            headers={
                "ETag": "strong, over the whole encoded state (a deletion changes it)",
                "X-State-Vector": "the document's state vector, base64url",
                "Content-Disposition": "PDF and DOCX only: an attachment named after the "
                "document's title",
            },
        ),
        304: Reply("Not modified since the ETag in If-None-Match"),
    },
    description="A room that is not loaded is read from the database without loading it. The "
    "collab format carries the comment threads too (every one, as they are now, also with "
    "?version=), for POST /api/imports?format=collab or `collab import`. PDF and DOCX keep a "
    "rich document's headings, lists, task lists, quotes, code, rules, tables, links and marks; "
    "they embed the document's own stored images only (others show their alt text: the server "
    "fetches no outside address).",
    role=Role.VIEWER,
    query=_QUERY,
    headers=(IF_NONE_MATCH,),
    problems={
        400: "The state vector in ?since= cannot be decoded",
        406: "No format the Accept header allows",
    },
)


@GET_SNAPSHOT.on_room
async def get_snapshot(call: RoomCall[SnapshotParams, None]) -> Response:
    """GET /api/rooms/{room}/snapshot: text, JSON or Yjs by Accept (or ?format=)."""
    request, room, query = call.request, call.room, call.query
    media = _snapshot_media(request, query)
    # Threads first: the state read after holds every item their anchors name.
    threads = await state_of(request).store.comments.list_threads(room) if media == COLLAB else []
    snapshot = await _snapshot_or_version(request, room, query.version)
    since = from_b64url(query.since, "since") if query.since is not None else None
    carried = await _collab_file(request, room, snapshot, threads) if media == COLLAB else b""
    page = await _page(request, room) if media == HTML and query.standalone else None
    # A printed file carries the title (its metadata, its name): a rename changes it.
    title = await _title(request, room) if media in ENDINGS else ""
    # Over the whole encoded state: a deletion leaves the state vector as it was.
    framing = "\n".join(page).encode() if page is not None else title.encode()
    etag = strong_etag(media.encode(), snapshot.update, since or b"", carried, framing)
    vary = "Accept, Accept-Language" if page is not None else "Accept"
    headers = {"ETag": etag, "Vary": vary, "Cache-Control": "no-cache"}
    headers["X-State-Vector"] = b64url(snapshot.state_vector)
    if etag_matches(IF_NONE_MATCH.read(request), etag):
        return Response(status_code=304, headers=headers)
    if since is not None:
        body = crdt.missing_since(snapshot.doc(), since)
        return Response(body, media_type=YJS, headers=headers)
    if media == YJS:
        return Response(snapshot.update, media_type=YJS, headers=headers)
    if media == COLLAB:
        return Response(carried, media_type=COLLAB, headers=headers)
    if media in ENDINGS:
        images = await _stored_images(request, room, printed_images(snapshot.update))
        async with _printer():
            body = await asyncio.to_thread(printed_file, snapshot.update, media, title, images.get)
        headers["Content-Disposition"] = attachment(title, ENDINGS[media])
        return Response(body, media_type=media, headers=headers)
    if media in _RENDERED:
        rendered = render_content(snapshot.doc(), _RENDERED[media])
        if page is not None:
            rendered = html_page(rendered, *page)
        return Response(rendered, media_type=f"{media}; charset=utf-8", headers=headers)
    return JSONResponse(doc_to_json(snapshot.update), headers=headers)


async def _page(request: Request, room: str) -> tuple[str, str]:
    """The title and language of the room's HTML as a page of its own: its title (or name), in
    the reader's language."""
    info = await state_of(request).documents.info(room)
    return info.title or room, page_language(request.headers.get("accept-language"))


# Printing is CPU work in worker threads (a long document takes seconds): a few at a time, so
# that downloads leave the default thread pool to the rest of the server.
PRINTS_AT_ONCE = 2
_printers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _printer() -> asyncio.Semaphore:
    """This event loop's limit on PDF and DOCX files made at once."""
    return _printers.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(PRINTS_AT_ONCE))


async def _title(request: Request, room: str) -> str:
    """The document's title, or its name when it has none."""
    return (await state_of(request).documents.info(room)).title or room


def attachment(title: str, ending: str) -> str:
    """A Content-Disposition naming the file after the title (what file systems refuse becomes
    "-", as the web app names its downloads), with an ASCII fallback for old clients."""
    base = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "-", title)
    base = re.sub(r"^[\s.-]+|[\s.]+$", "", base)[:120] or "document"
    name = f"{base}.{ending}"
    fallback = re.sub(r"[^A-Za-z0-9 ._()-]+", "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _stored_images(request: Request, room: str, sources: list[str]) -> dict[str, bytes]:
    """The bytes of the images this room stores among `sources` (/api/rooms/ROOM/images/ID, read
    from this room whatever ROOM says), by src. Outside addresses are left out: nothing is
    fetched."""
    found: dict[str, bytes] = {}
    for src in dict.fromkeys(sources):
        image_id = stored_image_id(src)
        data = await _image_bytes(request, room, image_id) if image_id is not None else None
        if data is not None:
            found[src] = data
    return found


async def _image_bytes(request: Request, room: str, image_id: str) -> bytes | None:
    """One stored image's bytes (of this room only), or None."""
    image = await state_of(request).store.images.get(room, image_id)
    return image.data if image is not None else None


async def _collab_file(
    request: Request, room: str, snapshot: Snapshot, threads: list[Thread]
) -> bytes:
    """The collab file of the state (documents/bundle.py)."""
    info = await state_of(request).documents.info(room)
    kind = content_kind(snapshot.doc()) or info.kind
    return bundle.encode(snapshot.update, kind, info.title, threads)


async def _snapshot_or_version(request: Request, room: str, version: int | None) -> Snapshot:
    state = state_of(request)
    if version is None:
        return await state.documents.snapshot(room)
    _, update = await state.versions.get(room, version)
    return Snapshot(update, doc_from_update(update).get_state())


def _snapshot_media(request: Request, query: SnapshotParams) -> str:
    has_since = query.since is not None
    if query.format is not None:
        media = _FORMATS[query.format]
    elif has_since:
        media = negotiate(request.headers.get("accept"), [YJS])
    else:
        offers = [JSON, TEXT, YJS, MARKDOWN, HTML, COLLAB, PDF, DOCX]
        media = negotiate(request.headers.get("accept"), offers)
    if has_since and media != YJS:
        raise InvalidRequest("since= returns a Yjs update: ask for application/octet-stream")
    return media
