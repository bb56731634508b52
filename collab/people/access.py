"""A person's role on a document: a server admin's, the owner's, the role it was shared with,
or the organisation's (everyone signed in, with its link). A name nobody has stored yet is
theirs to create: opening it to edit makes them its owner."""

from __future__ import annotations

from collab.auth import Grant, Identity, Role
from collab.store.access import RoomAccess, SqlAccess
from collab.store.people import SqlPeople


def role_from(access: RoomAccess, person_id: str) -> Role | None:
    """The highest role `access` gives `person_id` on an existing room."""
    if access.owner_id == person_id:
        return Role.ADMIN
    roles = [Role.parse(r) for r in (access.member_role, access.org_role) if r is not None]
    return max(roles) if roles else None


class PersonAccess:
    """Roles of people on rooms, from the store (one query per question)."""

    def __init__(self, access: SqlAccess, people: SqlPeople | None = None) -> None:
        self.store = access
        self._people = people

    async def role(self, identity: Identity, room: str, *, claim: bool) -> Role | None:
        """`identity`'s role on `room` (see `person_role`); an agent's is capped by what its
        person holds there now (none once the person is deactivated or loses access)."""
        if identity.agent is None:
            return await self.person_role(identity, room, claim=claim)
        granted = identity.role_for(room)
        if granted is None or identity.person is None or self._people is None:
            return None
        person = await self._people.get(identity.person)
        if person is None or not person.active:
            return None
        grants = (Grant("*", Role.ADMIN),) if person.is_admin else ()
        acting = Identity(identity.person, person.name, grants, person=person.id)
        held = await self.person_role(acting, room, claim=False)
        return None if held is None else min(granted, held)

    async def person_role(self, identity: Identity, room: str, *, claim: bool) -> Role | None:
        """`identity`'s role on `room`: its grants (a server admin holds every room) or what
        the store gives its person; a room that does not exist is theirs to create (claimed,
        making them its owner, when `claim`)."""
        granted = identity.role_for(room)
        person = identity.person
        if person is None:
            return granted
        access = await self.store.access(room, person)
        if not access.exists:
            if claim and not await self.store.claim(room, person):
                return await self.person_role(identity, room, claim=False)
            return Role.ADMIN
        stored = role_from(access, person)
        found = [r for r in (granted, stored) if r is not None]
        return max(found) if found else None
