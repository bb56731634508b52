"""The people half of the REST client: signing in as a person, who is asking, the server's
people, and sharing a document with them (mixed into CollabClient)."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

import httpx

from collab.api.models import people as shapes
from collab.client.wire import parse, room_path


class _Transport(Protocol):
    csrf_token: str | None

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...


class PeopleCalls:
    """Signing in and sharing; needs the client's `_request` and `csrf_token`."""

    async def sign_in(self: _Transport, email: str, password: str) -> shapes.Me:
        """Sign in with a built-in account: later calls act as that person (their session
        cookie, and its CSRF token on every change)."""
        body = {"email": email, "password": password}
        me = parse(shapes.Me, await self._request("POST", "/api/session", json=body))
        self.csrf_token = me.csrf_token
        return me

    async def sign_out(self: _Transport) -> None:
        """End the person's session."""
        await self._request("DELETE", "/api/session")
        self.csrf_token = None

    async def me(self: _Transport) -> shapes.Me:
        """Who the server sees, and how one signs in there."""
        return parse(shapes.Me, await self._request("GET", "/api/me"))

    async def people(
        self: _Transport, search: str = "", limit: int = 20
    ) -> list[shapes.PersonItem]:
        """People of the server whose name or email holds `search`, by name."""
        params: dict[str, str | int] = {"q": search, "limit": limit}
        page = parse(shapes.PeoplePage, await self._request("GET", "/api/people", params=params))
        return page.items

    async def change_person(
        self: _Transport, person_id: str, *, active: bool | None = None, admin: bool | None = None
    ) -> shapes.PersonItem:
        """Deactivate, reactivate, make or unmake a server admin (server admins only)."""
        body = {k: v for k, v in (("active", active), ("admin", admin)) if v is not None}
        response = await self._request("PATCH", f"/api/people/{_quote(person_id)}", json=body)
        return parse(shapes.PersonItem, response)

    async def access(self: _Transport, room: str) -> shapes.Access:
        """Who has access to `room` and how."""
        return parse(shapes.Access, await self._request("GET", room_path(room, "access")))

    async def share(self: _Transport, room: str, email: str, role: str) -> shapes.Access:
        """Share `room` with the person of `email` as "viewer", "commenter", "editor" or "admin"."""
        body = {"email": email, "role": role}
        response = await self._request("POST", room_path(room, "access"), json=body)
        return parse(shapes.Access, response)

    async def change_share(self: _Transport, room: str, person_id: str, role: str) -> shapes.Access:
        """Change the role of a person `room` is shared with."""
        path = room_path(room, "access", _quote(person_id))
        return parse(shapes.Access, await self._request("PATCH", path, json={"role": role}))

    async def unshare(self: _Transport, room: str, person_id: str) -> shapes.Access:
        """Remove a person's access to `room` (their open editors close)."""
        path = room_path(room, "access", _quote(person_id))
        return parse(shapes.Access, await self._request("DELETE", path))

    async def set_organisation_role(self: _Transport, room: str, role: str | None) -> shapes.Access:
        """The role of everyone signed in who has the link: "viewer", "commenter", "editor" or
        None."""
        response = await self._request("PUT", room_path(room, "organisation"), json={"role": role})
        return parse(shapes.Access, response)

    async def transfer_ownership(self: _Transport, room: str, person_id: str) -> shapes.Access:
        """Give `room` to another person; the previous owner stays an editor."""
        body = {"person_id": person_id}
        return parse(
            shapes.Access, await self._request("POST", room_path(room, "owner"), json=body)
        )


def _quote(part: str) -> str:
    return quote(part, safe="")
