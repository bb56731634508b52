"""The browser pages: document list at /, editor at /d/{room}, hashed assets, service worker."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from collab.state import CollabState
from collab.store.base import RoomInfo
from collab.types import is_valid_room_name

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"


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
        self._service_worker = (dist / "sw.js").read_bytes()

    async def home(self, request: Request) -> HTMLResponse:
        """Documents, most recently edited first, and a form to open or create one."""
        state: CollabState = request.app.state.collab
        if state.auth.development:
            rooms = await state.store.list_rooms(limit=200)
            items = "\n".join(_room_item(room) for room in rooms) or _EMPTY_LIST
            banner = _DEV_BANNER
        else:
            items, banner = _PRIVATE_LIST, ""
        page = self._home.replace("{{ROOM_ITEMS}}", items).replace("{{DEV_BANNER}}", banner)
        return HTMLResponse(page, headers={"Cache-Control": _REVALIDATE})

    async def new(self, request: Request) -> Response:
        """GET /new?room=NAME: redirect to the editor of NAME."""
        room = request.query_params.get("room", "").strip()
        if not is_valid_room_name(room):
            message = "Room names are 1-128 letters, digits and . _ ~ : @ + - (no leading dot)."
            return HTMLResponse(f"<p>{html.escape(message)}</p>", status_code=422)
        return RedirectResponse(f"/d/{room}", status_code=303)

    async def editor(self, request: Request) -> HTMLResponse:
        """The editor page of one room."""
        room = request.path_params["room"]
        if not is_valid_room_name(room):
            return HTMLResponse("<p>No such document name.</p>", status_code=404)
        development = request.app.state.collab.auth.development
        config = {"room": room, "wsBase": "/ws", "devMode": development}
        page = self._editor.replace("{{ROOM_HTML}}", html.escape(room)).replace(
            "{{CONFIG_JSON}}", _script_json(config)
        )
        return HTMLResponse(page, headers={"Cache-Control": _REVALIDATE})

    async def service_worker(self, request: Request) -> Response:
        """The offline service worker; revalidated on every load so updates roll out."""
        headers = {"Cache-Control": _REVALIDATE, "Service-Worker-Allowed": "/d/"}
        return Response(self._service_worker, media_type="text/javascript", headers=headers)

    def routes(self) -> list[BaseRoute]:
        """The page routes, plus /assets for the hashed bundle."""
        return [
            Route("/", self.home, name="home"),
            Route("/new", self.new),
            Route("/d/{room}", self.editor, name="editor"),
            Route("/sw.js", self.service_worker),
            Mount("/assets", ImmutableStaticFiles(directory=self.dist / "assets"), name="assets"),
        ]


_DEV_BANNER = (
    '<div class="dev-banner">Development mode: no secret is configured, so anyone who can reach '
    "this server can read, edit and delete every document. Set COLLAB_SECRET to require tokens."
    "</div>"
)
_PRIVATE_LIST = (
    '<li class="room-empty">Documents are private on this server: open one with the share link '
    "you were given.</li>"
)
_EMPTY_LIST = '<li class="room-empty">No documents yet. Name one above to start writing.</li>'


def _room_item(room: RoomInfo) -> str:
    name = html.escape(room.name)
    edited = room.updated_at.astimezone(UTC)
    return (
        f'<li class="room-item"><a class="room-name" href="/d/{name}">{name}</a>'
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
