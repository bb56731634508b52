"""The browser pages: document list at /, editor at /d/{room}, sign-in at /signin, the server
admins' People page at /people, hashed assets, service worker."""

from __future__ import annotations

import asyncio
import html
import json
import logging
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from collab.api.access import request_info
from collab.content.export import DOCUMENT_KINDS, TEXT
from collab.documents.titles import MAX_TITLE, create_titled
from collab.errors import CollabError, RoomNotFound
from collab.state import CollabState
from collab.store.base import RoomInfo
from collab.types import is_valid_room_name

log = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"
# The cookie of a signed-in browser (its session is checked by the API the page calls).
_SESSION_COOKIE = "collab_session"


def web_dist() -> Path:
    """The built editor: collab/_web when installed, web/dist in a checkout."""
    for candidate in (_PACKAGE_DIR / "_web", _PACKAGE_DIR.parent / "web" / "dist"):
        if (candidate / "editor.html").is_file():
            return candidate
    raise FileNotFoundError("the built editor (web/dist) is missing from this installation")


class ImmutableStaticFiles(StaticFiles):
    """Static files whose names carry a content hash, so browsers may cache them forever."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = _IMMUTABLE
        return response


class Pages:
    """Renders the templates emitted by the web build (see web/README.md)."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist
        self._editor = (dist / "editor.html").read_text()
        self._home = (dist / "home.html").read_text()
        self._signin = (dist / "signin.html").read_text()
        self._people = (dist / "people.html").read_text()
        self._service_worker = (dist / "sw.js").read_bytes()

    async def home(self, request: Request) -> HTMLResponse:
        """Documents, most recently edited first, and a form to open or create one."""
        state: CollabState = request.app.state.collab
        if state.auth.development:
            rooms = await state.store.list_rooms(limit=200)
            kinds = [state.documents.listed_kind(room) for room in rooms]
            items = "\n".join(map(_room_item, rooms, kinds)) or _EMPTY_LIST
            banner = _DEV_BANNER
        else:
            items, banner = "", ""
        # "private": no list and no form (nobody could open what they create), but how to get in.
        # "session": a session cookie came; the page asks /api/me whether it still signs someone
        # in (their documents) or not (the way in).
        if state.auth.development:
            mode = "open"
        else:
            mode = "session" if request.cookies.get(_SESSION_COOKIE) else "private"
        page = (
            self._home.replace("{{ROOM_ITEMS}}", items)
            .replace("{{DEV_BANNER}}", banner)
            .replace("{{HOME_MODE}}", mode)
        )
        return HTMLResponse(page, headers={"Cache-Control": _REVALIDATE})

    async def new(self, request: Request) -> Response:
        """GET /new?title=TITLE[&kind=text|rich] (the home page's form without JavaScript):
        create a document named after the title and open it. GET /new?room=NAME: redirect to
        the editor of NAME (which creates the document when it does not exist yet)."""
        kind = request.query_params.get("kind")
        if "title" in request.query_params and "room" not in request.query_params:
            return await self._new_titled(request, kind if kind in DOCUMENT_KINDS else None)
        room = request.query_params.get("room", "").strip()
        if not is_valid_room_name(room):
            message = "Document names are 1-128 letters, digits and . _ ~ : @ + - (no leading dot)."
            return error_page(422, message, title="That name cannot be used")
        query = f"?kind={kind}" if kind in DOCUMENT_KINDS else ""
        return RedirectResponse(f"/d/{room}{query}", status_code=303)

    async def _new_titled(self, request: Request, kind: str | None) -> Response:
        state: CollabState = request.app.state.collab
        title = " ".join(request.query_params["title"].split())
        if not title or len(title) > MAX_TITLE:
            message = f"A title is 1-{MAX_TITLE} characters, any language. Go back and type one."
            return error_page(422, message, title="That title cannot be used")
        if not state.auth.development:
            return error_page(
                403, "Sign in, then create documents from the home page (it needs JavaScript)."
            )
        name = await create_titled(state.store, title, kind, _anyone)
        return RedirectResponse(f"/d/{name}", status_code=303)

    async def editor(self, request: Request) -> HTMLResponse:
        """The editor page of one room."""
        room = request.path_params["room"]
        if not is_valid_room_name(room):
            message = "Document names are 1-128 letters, digits and . _ ~ : @ + - (no leading dot)."
            return error_page(404, message, title="There is no document with this name")
        state: CollabState = request.app.state.collab
        kind, exists, title = await _document_meta(state, room)
        if not state.auth.development:
            kind, exists, title = await _shown_meta(request, room, (kind, exists, title))
        asked = request.query_params.get("kind")
        config = {
            "room": room,
            "wsBase": "/ws",
            "devMode": state.auth.development,
            # The editor to open: what the document is, or for a new one what was asked for.
            "kind": kind or (asked if asked in DOCUMENT_KINDS else TEXT),
            # False: a new document, which the page creates with that kind before connecting.
            "exists": exists,
            # The title as typed (None: none yet, the name shows).
            "title": title,
            # Days a deleted document stays in the trash (0: a delete erases it at once).
            "trashDays": state.trash.days,
        }
        page = self._editor.replace("{{TITLE_HTML}}", html.escape(title or room)).replace(
            "{{CONFIG_JSON}}", _script_json(config)
        )
        return HTMLResponse(page, headers={"Cache-Control": _REVALIDATE})

    async def signin(self, request: Request) -> HTMLResponse:
        """The sign-in page (its script reads `?next=` and `?error=`)."""
        return HTMLResponse(self._signin, headers={"Cache-Control": _REVALIDATE})

    async def people(self, request: Request) -> HTMLResponse:
        """The People page of server admins (its script asks /api/people, which checks)."""
        return HTMLResponse(self._people, headers={"Cache-Control": _REVALIDATE})

    async def service_worker(self, request: Request) -> Response:
        """The offline service worker; revalidated on every load so updates roll out."""
        headers = {"Cache-Control": _REVALIDATE, "Service-Worker-Allowed": "/d/"}
        return Response(self._service_worker, media_type="text/javascript", headers=headers)

    def routes(self) -> list[BaseRoute]:
        """The page routes, plus /assets for the hashed bundle."""
        return [
            Route("/", self.home, name="home"),
            Route("/new", self.new),
            Route("/signin", self.signin, name="signin"),
            Route("/people", self.people, name="people"),
            Route("/d/{room}", self.editor, name="editor"),
            Route("/sw.js", self.service_worker),
            Mount("/assets", ImmutableStaticFiles(directory=self.dist / "assets"), name="assets"),
        ]


# How long an editor page waits for the document's kind before opening without it.
_KIND_WAIT = 3.0
_DEV_BANNER = (
    '<div class="dev-banner">Development mode: no secret is configured, so anyone who can reach '
    "this server can read, edit and delete every document. Set COLLAB_SECRET to require tokens."
    "</div>"
)
_EMPTY_LIST = (
    '<li class="room-empty">No documents yet. Give one a title above to start writing.</li>'
)


async def _document_meta(
    state: CollabState, room: str
) -> tuple[str | None, bool | None, str | None]:
    """(kind, exists, title) of a room for its editor page; (None, None, None) when the lookup
    fails (the store is down or slow: the page still opens, from the browser's copy, and the
    editor checks the kind against the content it syncs)."""
    try:
        async with asyncio.timeout(_KIND_WAIT):
            kind = await state.documents.kind(room)
            return kind, True, (await state.documents.info(room)).title
    except RoomNotFound:
        return None, False, None
    except Exception as error:  # the page must open whatever the store does
        log.info("editor page of %r: no document kind (%s)", room, error)
        return None, None, None


async def _shown_meta(
    request: Request, room: str, meta: tuple[str | None, bool | None, str | None]
) -> tuple[str | None, bool | None, str | None]:
    """What the editor page of a server with a secret may say about the room: its kind and title
    only to whom the request shows may read it (a session cookie, the host's hook), that no
    document has the name only to someone identified (who would own it by opening it); nothing
    to anyone else (a token travels in the page's fragment, which the server never sees: the
    page asks the REST API with it)."""
    state: CollabState = request.app.state.collab
    info = request_info(request, "http")
    try:
        identity, _ = await state.admission.identify(info, None)
    except CollabError:
        return None, None, None
    if meta[1] is False:
        return meta
    try:
        role = await state.admission.role(identity, room, info)
    except CollabError:
        role = None
    return meta if role is not None else (None, None, None)


async def _anyone(name: str) -> None:
    """Anyone may create any name (development mode: everyone is admin)."""


# What an error page says when the caller has nothing more specific.
_ERROR_TITLES = {
    404: "Page not found",
    500: "Something went wrong",
    503: "The server is busy",
}


_PLAIN_ERROR = (
    "<!doctype html><title>{{TITLE_HTML}}</title><h1>{{TITLE_HTML}}</h1>"
    "<p>{{MESSAGE_HTML}}</p><p><a href='/'>All documents</a></p>"
)


@cache
def _error_template() -> str:
    try:
        return (web_dist() / "error.html").read_text()
    except OSError:  # an installation without the built pages still answers
        return _PLAIN_ERROR


def error_page(status: int, message: str, *, title: str | None = None) -> HTMLResponse:
    """A styled HTML error page (same look as the app, a way back home) for browsers."""
    heading = title or _ERROR_TITLES.get(status) or HTTPStatus(status).phrase
    page = (
        _error_template()
        .replace("{{STATUS}}", str(status))
        .replace("{{TITLE_HTML}}", html.escape(heading))
        .replace("{{MESSAGE_HTML}}", html.escape(message))
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": _REVALIDATE})


def _room_item(room: RoomInfo, kind: str) -> str:
    name = html.escape(room.name)
    title = html.escape(room.title or room.name)
    edited = room.updated_at.astimezone(UTC)
    label = "Rich text" if kind == "rich" else "Plain text"
    return (
        f'<li class="room-item" data-kind="{kind}" data-room="{name}">'
        f'<span class="room-main"><a class="room-name" href="/d/{name}">{title}</a>'
        f'<span class="room-sub">{name}</span></span>'
        f'<span class="room-kind">{label}</span>'
        f'<time class="room-time" datetime="{edited.isoformat()}">{_ago(edited)}</time></li>'
    )


def _ago(moment: datetime) -> str:
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


def _script_json(value: object) -> str:
    """JSON safe to embed in a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
