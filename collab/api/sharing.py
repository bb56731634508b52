"""REST endpoints of sharing with people: who has access to a document and how, sharing it
with a person by email, changing or removing their role, the role of everyone signed in who
has the link, and handing the document to a new owner. Share links are links.py's."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from collab.api.models.people import (
    Access,
    NewOwner,
    OrganisationRole,
    PersonRef,
    RoleChange,
    Share,
    SharedWith,
)
from collab.api.operations import JsonBody, Operation, Reply, RoomCall, reply, resource
from collab.auth import Role
from collab.errors import Forbidden, InvalidRequest, PersonNotFound, SignInUnavailable
from collab.hooks import AccessChanged
from collab.state import CollabState
from collab.store.people import Person

_NO_PEOPLE = "This server has no people (development mode)"

GET_ACCESS = Operation(
    "getAccess",
    "Who has access to the document and how: its owner, people, and the organisation",
    {200: Reply("Who has access", Access)},
    role=Role.VIEWER,
)


@GET_ACCESS.on_room
async def get_access(call: RoomCall[None, None]) -> Response:
    """GET /api/rooms/{room}/access."""
    await call.state.documents.info(call.room)
    return reply(await _access(call))


async def _access(call: RoomCall[Any, Any]) -> Access:
    """Who has access; a caller who is neither a person signed in nor an admin of the room (a
    share link's visitor, a viewer's token) sees names only."""
    state, room = call.state, call.room
    role = await state.admission.role(call.identity, room, None)
    reveal = call.identity.person is not None or role == Role.ADMIN
    members = await state.store.access.members(room)
    people = await state.store.people.find([m.person_id for m in members])
    owner = None
    shared: list[SharedWith] = []
    for member in members:
        person = people.get(member.person_id)
        if person is None:
            continue
        shown = PersonRef.of(person) if reveal else PersonRef(id="", name=person.name, email="")
        if member.role == "owner":
            owner = shown
        else:
            shared.append(SharedWith.model_validate({"person": shown, "role": member.role}))
    org = (await state.store.access.head(room)).org_role
    return Access.model_validate(
        {"owner": owner, "people": shared, "organisation": org, "can_manage": role == Role.ADMIN}
    )


_SHARE = JsonBody(Share)
SHARE = Operation(
    "shareWithPerson",
    "Share the document with a person, by email, as viewer, commenter, editor or admin",
    {200: Reply("Who has access now", Access)},
    description="The person must have an account here (a built-in one, or once signed in "
    "through the organisation's provider). Sharing again changes their role.",
    role=Role.ADMIN,
    body=_SHARE,
    problems={409: _NO_PEOPLE},
)


@SHARE.on_room
async def share(call: RoomCall[None, Share]) -> Response:
    """POST /api/rooms/{room}/access {"email", "role"}."""
    state, room, body = call.state, call.room, call.body
    _people_on(state)
    await state.documents.info(room)
    found = await state.store.people.by_email(body.email)
    if found is None or not found[0].active:
        raise PersonNotFound(
            f"nobody with the email {body.email} can sign in here: an admin adds people with "
            "`collab users add`, and people of the organisation's provider appear once they "
            "have signed in"
        )
    person = found[0]
    await _set_role(call, person, body.role)
    return reply(await _access(call))


async def _set_role(call: RoomCall[Any, Any], person: Person, role: str) -> None:
    state, room = call.state, call.room
    owner = (await state.store.access.access(room, person.id)).owner_id
    if owner == person.id:
        raise InvalidRequest(f"{person.name} owns this document")
    await state.store.access.set_member(room, person.id, role)
    # A lower role than before: their open editors reconnect with it.
    await state.access.recheck(room=room, user_id=f"person:{person.id}")
    state.rooms.access_changed(room, f"person:{person.id}")
    _announce(call, person.id, role)


_ROLE = JsonBody(RoleChange)
CHANGE_ROLE = Operation(
    "changeSharedRole",
    "Change the role of a person the document is shared with",
    {200: Reply("Who has access now", Access)},
    description="A lower role closes their open editors (4403); they reconnect with the new one.",
    role=Role.ADMIN,
    body=_ROLE,
    problems={409: _NO_PEOPLE},
)


@CHANGE_ROLE.on_room
async def change_role(call: RoomCall[None, RoleChange]) -> Response:
    """PATCH /api/rooms/{room}/access/{person}."""
    _people_on(call.state)
    person = await _shared_person(call)
    await _set_role(call, person, call.body.role)
    return reply(await _access(call))


UNSHARE = Operation(
    "unshareWithPerson",
    "Remove a person's access to the document",
    {200: Reply("Who has access now", Access)},
    description="Their open editors of it close at once with 4403 (the access-removed screen) "
    "on this process, and within COLLAB_AUTHORIZE_RECHECK seconds on the others.",
    role=Role.ADMIN,
    problems={409: _NO_PEOPLE},
)


@UNSHARE.on_room
async def unshare(call: RoomCall[None, None]) -> Response:
    """DELETE /api/rooms/{room}/access/{person}."""
    state, room = call.state, call.room
    _people_on(state)
    person = await _shared_person(call)
    await state.store.access.remove_member(room, person.id)
    await state.access.recheck(room=room, user_id=f"person:{person.id}")
    state.rooms.access_changed(room, f"person:{person.id}")
    _announce(call, person.id, None)
    return reply(await _access(call))


async def _shared_person(call: RoomCall[Any, Any]) -> Person:
    person_id = call.request.path_params["person"]
    person = await call.state.store.people.get(person_id)
    access = await call.state.store.access.access(call.room, person_id)
    if person is None or access.member_role is None:
        raise PersonNotFound(f"room {call.room!r} is not shared with person {person_id!r}")
    return person


_ORG = JsonBody(OrganisationRole)
SET_ORG = Operation(
    "setOrganisationRole",
    "The role of everyone signed in who has the document's link (null: none)",
    {200: Reply("Who has access now", Access)},
    role=Role.ADMIN,
    body=_ORG,
    problems={409: _NO_PEOPLE},
)


@SET_ORG.on_room
async def set_organisation(call: RoomCall[None, OrganisationRole]) -> Response:
    """PUT /api/rooms/{room}/organisation {"role": "viewer"|"commenter"|"editor"|null}."""
    state, room = call.state, call.room
    _people_on(state)
    await state.documents.info(room)
    await state.store.access.set_org_role(room, call.body.role)
    await state.access.recheck(room=room)
    state.rooms.access_changed(room, None)
    _announce(call, None, call.body.role)
    return reply(await _access(call))


_OWNER = JsonBody(NewOwner)
TRANSFER = Operation(
    "transferOwnership",
    "Give the document to another person; the previous owner stays an editor",
    {200: Reply("Who has access now", Access)},
    description="Only its owner or a server admin may.",
    role=Role.ADMIN,
    body=_OWNER,
    problems={409: _NO_PEOPLE},
)


@TRANSFER.on_room
async def transfer(call: RoomCall[None, NewOwner]) -> Response:
    """POST /api/rooms/{room}/owner {"person_id"}."""
    state, room, identity = call.state, call.room, call.identity
    _people_on(state)
    await state.documents.info(room)
    owner = (await state.store.access.head(room)).owner_id
    if not (identity.server_admin or (owner is not None and owner == identity.person)):
        raise Forbidden("only the document's owner or a server admin hands it to someone else")
    person = await state.store.people.get(call.body.person_id)
    if person is None or not person.active:
        raise PersonNotFound(f"no active person {call.body.person_id!r} on this server")
    previous = await state.store.access.set_owner(room, person.id)
    _announce(call, person.id, "owner")
    if previous is not None and previous != person.id:
        _announce(call, previous, "editor")
        await state.access.recheck(room=room, user_id=f"person:{previous}")
        state.rooms.access_changed(room, f"person:{previous}")
    return reply(await _access(call))


def _people_on(state: CollabState) -> None:
    if state.sessions is None:
        raise SignInUnavailable(
            "this server has no people to share with: it runs in development mode (no "
            "COLLAB_SECRET); use share links"
        )


def _announce(call: RoomCall[Any, Any], person_id: str | None, role: str | None) -> None:
    hooks = call.state.hooks
    if hooks.overrides("on_access_change"):
        event = AccessChanged(call.room, person_id, role, call.identity.display)
        hooks.spawn("on_access_change", hooks.hooks.on_access_change(event))


routes = [
    resource("/api/rooms/{room}/access", get=get_access, post=share),
    resource("/api/rooms/{room}/access/{person}", patch=change_role, delete=unshare),
    resource("/api/rooms/{room}/organisation", put=set_organisation),
    resource("/api/rooms/{room}/owner", post=transfer),
]
