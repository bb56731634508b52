"""What each `collab` command does, given its parsed arguments and the settings."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from collab import preflight
from collab.config import Settings
from collab.preflight import CONFIGURATION

if TYPE_CHECKING:
    from collab.documents.transfer import ExportFormat, Format
    from collab.store.sql import SqlStore


def token(args: argparse.Namespace, settings: Settings) -> int:
    """`collab token`: a signed token, or a share link carrying one."""
    from collab.auth import issue_token

    if not settings.secret:
        print("collab: a secret is needed: --secret or COLLAB_SECRET", file=sys.stderr)
        return CONFIGURATION
    try:
        ttl = _seconds(args.ttl)
    except ValueError as error:
        print(f"collab: {error}", file=sys.stderr)
        return 2
    if args.agent or args.for_person:
        return _agent_token(args, settings, ttl)
    if not args.user:
        print("collab: --user is needed (or --agent NAME --for PERSON)", file=sys.stderr)
        return 2
    grants = {room: args.role for room in args.room}
    # A link opens one document: the first --room that names one (a pattern names none).
    linked = next((room for room in args.room if not room.endswith("*")), None)
    if args.link and linked is None:
        print(
            f"collab: --link needs one room name (--room {args.room[0]!r} is a pattern); "
            "add --room NAME for the document the link opens",
            file=sys.stderr,
        )
        return 2
    try:
        signed = issue_token(
            settings.secret, user=args.user, name=args.name, grants=grants, ttl_seconds=ttl
        )
        base = args.base_url.rstrip("/") or settings.public_base_url()
    except ValueError as error:
        print(f"collab: {error}", file=sys.stderr)
        return CONFIGURATION
    if args.link:
        print(f"{base}/d/{quote(str(linked), safe='')}#token={signed}")
    else:
        print(signed)
    return 0


def mcp(args: argparse.Namespace) -> int:
    """`collab mcp`: MCP over stdio, through the REST API of the server at --server-url."""
    from collab.mcp.stdio import serve as run

    asyncio.run(run(args.server_url, args.token))
    return 0


def _agent_token(args: argparse.Namespace, settings: Settings, ttl: float) -> int:
    from collab.cli.agents import agent_token

    if not (args.agent and args.for_person) or args.user or args.link:
        needs = "collab: an agent's token needs --agent and --for (not --user, --link)"
        print(needs, file=sys.stderr)
        return 2
    return agent_token(args, settings, ttl)


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.replace(".", "", 1).isdigit():
        raise ValueError(f"--ttl {text!r}: use a number with s, m, h or d, like 90s or 12h")
    return float(number) * units[unit]


def serve(settings: Settings) -> int:
    """`collab serve`: check what a newcomer can get wrong, bind, then run until stopped."""
    from collab.app import create_app
    from collab.auth import check_secret
    from collab.serving.server import serve as run

    if settings.secret and not settings.public_key:
        try:
            check_secret(settings.secret)
        except ValueError as error:
            print(f"collab: {error}", file=sys.stderr)
            return CONFIGURATION
    try:  # each failure a newcomer can meet, in one line, before anything is migrated
        preflight.check_database_url(settings.database_url)
        preflight.check_reachable(settings.database_url)
        sock = preflight.bind(settings.host, settings.port)
    except preflight.PreflightError as error:
        print(f"collab: {error}", file=sys.stderr)
        return error.code
    run(create_app(settings), settings, sock)
    return 0


def upgrade(settings: Settings) -> int:
    """`collab db upgrade`: migrate the schema to the latest revision."""
    from collab.store import migrate
    from collab.store.db import create_engine

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print(f"collab: database {settings.database_url} is at the latest schema")
    return 0


def transfer(args: argparse.Namespace, settings: Settings) -> int:
    """`collab export` and `collab import`."""
    from collab.errors import CollabError

    try:
        if args.command == "export":
            data = asyncio.run(_export(settings, args.room, args.format, args.version))
            _write(args.output, data)
            return 0
        fmt: Format = args.format or _format_of(Path(args.file))
        data = Path(args.file).read_bytes()
        asyncio.run(_import(settings, args.room, data, fmt))
    except CollabError as error:
        print(f"collab: {error.detail}", file=sys.stderr)
        return 1
    print(f"collab: imported {args.file} into room {args.room!r}", file=sys.stderr)
    return 0


def quarantine(args: argparse.Namespace, settings: Settings) -> int:
    """`collab quarantine list|export|release|scan`."""
    from collab.errors import CollabError

    try:
        output, message = asyncio.run(_run_quarantine(args, settings))
    except CollabError as error:
        print(f"collab: {error.detail}", file=sys.stderr)
        return 1
    if args.subcommand == "export":
        _write(args.output, output)
    else:
        sys.stdout.write(output.decode())
    if message:
        print(f"collab: {message}", file=sys.stderr)
    return 0


async def _run_quarantine(args: argparse.Namespace, settings: Settings) -> tuple[bytes, str]:
    from collab.errors import RoomNotFound
    from collab.rooms import quarantine

    command = args.subcommand
    async with open_store(settings) as store:
        if command == "export":
            return await quarantine.export_raw(store, args.room), ""
        if command == "release":
            if not await store.set_quarantine(args.room, None):
                raise RoomNotFound(f"room {args.room!r} does not exist")
            return b"", f"room {args.room!r} released; it is checked again when it next loads"
        if command == "scan":
            found = await quarantine.scan(store, settings.max_nesting_depth)
            lines = "".join(f"{room}\t{reason}\n" for room, reason in found)
            return lines.encode(), f"{len(found)} room(s) quarantined"
        rows = await store.list_quarantined()
        lines = "".join(f"{q.name}\t{q.since.isoformat()}\t{q.reason}\n" for q in rows)
        return lines.encode(), f"{len(rows)} room(s) quarantined"


def _format_of(path: Path) -> Format:
    if path.suffix == ".collab":
        return "collab"
    if path.suffix in {".md", ".markdown"}:
        return "markdown"
    if path.suffix == ".json":
        return "json"
    return "yjs" if path.suffix in {".yjs", ".bin"} else "text"


async def _export(settings: Settings, room: str, fmt: ExportFormat, version: int | None) -> bytes:
    from collab.documents import transfer

    async with open_store(settings) as store:
        return await transfer.export_room(store, room, fmt, version)


async def _import(settings: Settings, room: str, data: bytes, fmt: Format) -> None:
    from collab.documents import transfer

    async with open_store(settings) as store:
        await transfer.import_room(store, room, data, fmt, author="import")


@contextlib.asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[SqlStore]:
    """The store at the settings' database, migrated to the latest schema, closed after."""
    from collab.store import migrate
    from collab.store.db import create_engine
    from collab.store.sql import SqlStore

    engine = create_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    store = SqlStore(engine)
    try:
        await migrate.upgrade(engine)
        yield store
    finally:
        await store.close()


def _write(output: str | None, data: bytes) -> None:
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
