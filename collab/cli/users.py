"""`collab users`: the accounts of people who sign in, written straight to the database (a
running server sees them at its next look: a deactivated person's open editors close at its
next access re-check)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from datetime import UTC
from typing import TYPE_CHECKING, Any

from collab.cli.commands import open_store
from collab.config import Settings
from collab.preflight import USAGE

if TYPE_CHECKING:
    from collab.store.people import Person
    from collab.store.sql import SqlStore

# Typed passwords that differ, or that the rules refuse, before the command gives up.
PROMPT_ATTEMPTS = 3
_RECHECK = "within the server's re-check interval (COLLAB_AUTHORIZE_RECHECK)"


class BadInput(Exception):
    """What the person at the command line gave cannot be used (exit code 2)."""


def run(args: argparse.Namespace, settings: Settings) -> int:
    """`collab users add|list|deactivate|activate|set-password|make-admin`: 0 done, 1 the
    command failed (no such account, the email is taken, the database failed), 2 bad input."""
    from collab.errors import CollabError

    try:
        output, message = asyncio.run(_run(args, settings))
    except BadInput as error:
        print(f"collab: {error}", file=sys.stderr)
        return USAGE
    except CollabError as error:
        print(f"collab: {error.detail}", file=sys.stderr)
        return 1
    sys.stdout.write(output)
    sys.stdout.flush()
    if message:
        print(f"collab: {message}", file=sys.stderr)
    return 0


async def _run(args: argparse.Namespace, settings: Settings) -> tuple[str, str]:
    command = args.subcommand
    if command == "add":
        return "", await _add(args, settings)
    if command == "list":
        return await _list(args, settings)
    email = _email(args.email)
    async with open_store(settings) as store:
        person = await _person(store, email)
        if command == "set-password":
            hashed = _new_password_hash()
            await store.people.update(person.id, password_hash=hashed)
            ended = await store.people.end_sessions(person.id)
            return "", f"set a new password for {email}; {_sessions(ended)} ended"
        if command == "make-admin":
            await store.people.update(person.id, is_admin=not args.revoke)
            if args.revoke:
                was = "" if person.is_admin else " (they were not one)"
                return "", f"{email} is no longer an organisation admin{was}"
            was = " (they already were)" if person.is_admin else ""
            return "", f"{email} is an organisation admin{was}"
        active = command == "activate"
        await store.people.update(person.id, active=active)
    if active:
        was = " (already active)" if person.active else ""
        return "", f"activated {email}: they can sign in again{was}"
    was = " (already deactivated)" if not person.active else ""
    return "", (
        f"deactivated {email}{was}: they cannot sign in, their sessions are ended, and "
        f"editors they have open close {_RECHECK}"
    )


async def _add(args: argparse.Namespace, settings: Settings) -> str:
    from collab.errors import PersonExists
    from collab.people.identity import check_name

    email = _email(args.email)
    try:
        name = check_name(args.name)
    except ValueError as error:
        raise BadInput(str(error)) from None
    async with open_store(settings) as store:
        if await store.people.by_email(email) is not None:  # before asking for a password
            raise PersonExists(f"someone already has the email address {email}")
        hashed = None if args.no_password else _new_password_hash()
        await store.people.add(email, name, password_hash=hashed, is_admin=args.admin)
    role = "an organisation admin" if args.admin else "a member"
    way = (
        "signs in through the OpenID Connect provider only (linked by this email at the first "
        "sign-in)"
        if args.no_password
        else "signs in with a password"
    )
    return f"added {email} ({name}), {role}; {way}"


async def _list(args: argparse.Namespace, settings: Settings) -> tuple[str, str]:
    async with open_store(settings) as store:
        people = await store.people.search("", 2**31 - 1, active_only=False)
        owned = await store.people.owned_counts([person.id for person in people])
    rows = [_listed(person, owned.get(person.id, 0)) for person in people]
    if args.json:
        return json.dumps(rows, indent=2) + "\n", ""
    active = sum(1 for person in people if person.active)
    return _table(rows), f"{len(people)} account(s), {active} active"


def _listed(person: Person, owned: int) -> dict[str, Any]:
    seen = person.last_seen_at
    return {
        "id": person.id,
        "email": person.email,
        "name": person.name,
        "admin": person.is_admin,
        "active": person.active,
        "sign_in": _sign_in(person),
        "has_password": person.has_password,
        "provider_linked": person.oidc,
        "created_at": person.created_at.astimezone(UTC).isoformat(),
        "last_seen_at": None if seen is None else seen.astimezone(UTC).isoformat(),
        "documents_owned": owned,
    }


def _sign_in(person: Person) -> str:
    """password, provider (an account without a password signs in only through the provider,
    linked or not yet), or both."""
    if person.has_password:
        return "both" if person.oidc else "password"
    return "provider"


_COLUMNS = ("email", "name", "admin", "active", "sign-in", "last seen (UTC)", "documents")


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [list(_COLUMNS)]
    for row in rows:
        seen = row["last_seen_at"]
        lines.append(
            [
                row["email"],
                row["name"],
                "yes" if row["admin"] else "no",
                "yes" if row["active"] else "no",
                row["sign_in"],
                "never" if seen is None else seen[:16].replace("T", " "),
                str(row["documents_owned"]),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )


def _email(text: str) -> str:
    from collab.people.identity import check_email

    try:
        return check_email(text)
    except ValueError as error:
        raise BadInput(str(error)) from None


async def _person(store: SqlStore, email: str) -> Person:
    from collab.errors import PersonNotFound

    found = await store.people.by_email(email)
    if found is None:
        raise PersonNotFound(f"no account has the email address {email} (collab users list)")
    return found[0]


def _sessions(count: int) -> str:
    return "1 session" if count == 1 else f"{count} sessions"


def _new_password_hash() -> str:
    from collab.people.passwords import hash_password

    password = _read_password()
    try:
        return hash_password(password)
    except ValueError as error:
        raise BadInput(str(error)) from None


def _read_password() -> str:
    """The new password: one line of standard input when it is not a terminal (its line break
    taken off, nothing else), else typed twice at the terminal."""
    if sys.stdin is None:
        raise BadInput("no password on standard input (or --no-password)")
    if not sys.stdin.isatty():
        line = sys.stdin.buffer.readline()
        if not line:
            raise BadInput("no password on standard input: give it as one line (or --no-password)")
        try:
            text = line.decode()
        except UnicodeDecodeError:
            raise BadInput("the password on standard input is not UTF-8") from None
        return text.removesuffix("\n").removesuffix("\r")
    return _prompt_password()


def _prompt_password() -> str:
    from collab.people.passwords import check_new_password

    for _ in range(PROMPT_ATTEMPTS):
        first = getpass.getpass("New password: ")
        try:
            check_new_password(first)
        except ValueError as error:
            print(f"collab: {error}; try again", file=sys.stderr)
            continue
        if getpass.getpass("Repeat the password: ") == first:
            return first
        print("collab: the two passwords differ; try again", file=sys.stderr)
    raise BadInput(f"no acceptable password after {PROMPT_ATTEMPTS} tries; nothing was changed")
