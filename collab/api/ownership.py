"""Documents' owners as the REST API shows them, and the owner a new document gets: the person
who created it (POST /api/rooms, PUT /api/rooms/{room}, imports, copies)."""

from __future__ import annotations

from collections.abc import Sequence

from collab.api.models.rooms import Room, RoomOwner
from collab.auth import Identity, Role
from collab.people.access import role_from
from collab.state import CollabState
from collab.store.base import RoomInfo


async def take_ownership(state: CollabState, identity: Identity, room: str) -> None:
    """Make the person behind `identity` the owner of `room`, just created (nothing when it is
    not a person, or when someone owns it already)."""
    if identity.person is not None and state.people is not None:
        await state.store.access.claim(room, identity.person)


async def owner_names(state: CollabState, rooms: Sequence[RoomInfo]) -> dict[str, str]:
    """The names of these rooms' owners, by person id."""
    ids = {info.owner_id for info in rooms if info.owner_id is not None}
    if not ids:
        return {}
    found = await state.store.people.find(ids)
    return {pid: person.name for pid, person in found.items()}


def with_owner(room: Room, info: RoomInfo, owners: dict[str, str], role: Role | None) -> Room:
    """`room` with its owner and the caller's role filled in."""
    owner = None
    if info.owner_id is not None and info.owner_id in owners:
        owner = RoomOwner(id=info.owner_id, name=owners[info.owner_id])
    shown = role.name.lower() if role is not None else None
    return room.model_copy(update={"owner": owner, "role": shown})


async def person_roles(
    state: CollabState, identity: Identity, rooms: Sequence[str]
) -> dict[str, Role | None]:
    """The role a person holds on each of these rooms (their grants, or what the store gives)."""
    granted = {room: identity.role_for(room) for room in rooms}
    if identity.person is None:
        return granted
    accesses = await state.store.access.accesses(list(rooms), identity.person)
    held: dict[str, Role | None] = {}
    for room in rooms:
        found = [r for r in (granted[room],) if r is not None]
        access = accesses.get(room)
        stored = role_from(access, identity.person) if access is not None else None
        if stored is not None:
            found.append(stored)
        held[room] = max(found) if found else None
    return held
