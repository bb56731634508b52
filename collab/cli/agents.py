"""`collab token --agent NAME --for PERSON`: an agent's token, acting for a person found in the
database by email or id (its role on each document is capped by the person's when used)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from collab.cli.commands import open_store
from collab.config import Settings
from collab.preflight import CONFIGURATION, USAGE


def agent_token(args: argparse.Namespace, settings: Settings, ttl: float) -> int:
    """Print an agent's token (and, on stderr, its session id); 1 when no such person."""
    from collab.auth import issue_agent_token

    assert settings.secret is not None
    found = asyncio.run(_person(settings, args.for_person))
    if found is None:
        print(f"collab: no account has the email address or id {args.for_person}", file=sys.stderr)
        return 1
    person_id, name = found
    grants = {room: args.role for room in args.room}
    try:
        signed, session = issue_agent_token(
            settings.secret,
            agent=args.agent,
            person=person_id,
            person_name=name,
            grants=grants,
            ttl_seconds=ttl,
            session=args.session,
        )
    except ValueError as error:
        print(f"collab: {error}", file=sys.stderr)
        return CONFIGURATION if "secret" in str(error) else USAGE
    print(signed)
    print(f"collab: agent session {session}", file=sys.stderr)
    return 0


async def _person(settings: Settings, key: str) -> tuple[str, str] | None:
    """The (id, name) of the person with that email address or id."""
    async with open_store(settings) as store:
        found = await store.people.by_email(key) if "@" in key else None
        person = found[0] if found is not None else await store.people.get(key)
    return None if person is None else (person.id, person.name)
