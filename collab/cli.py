"""The `collab` command: serve, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from collab import preflight
from collab.config import Settings, package_version
from collab.preflight import CONFIGURATION

if TYPE_CHECKING:
    from collab.rooms.transfer import Format
    from collab.store.sql import SqlStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collab", description="Real-time collaborative documents."
    )
    parser.add_argument("--version", action="version", version=f"collab {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="interface to bind (COLLAB_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (COLLAB_PORT, default 8000)")
    _add_database_url(serve)
    serve.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="logging level (COLLAB_LOG_LEVEL, default info)",
    )
    serve.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="text lines, or one JSON object per line (COLLAB_LOG_FORMAT, default text)",
    )
    serve.add_argument(
        "--metrics-token",
        help="bearer token that may read /metrics (COLLAB_METRICS_TOKEN); admins always may",
    )
    export = commands.add_parser("export", help="write a room to stdout or a file")
    export.add_argument("room")
    export.add_argument("--format", choices=["text", "json", "yjs"], default="text")
    export.add_argument("--output", "-o", help="file to write (default: stdout)")
    export.add_argument("--version", type=int, help="export this version instead of the latest")
    _add_database_url(export)
    imported = commands.add_parser("import", help="load a text, JSON or Yjs file into a room")
    imported.add_argument("room")
    imported.add_argument(
        "file", help="UTF-8 text, JSON as `export --format json` writes it, or a Yjs update"
    )
    imported.add_argument(
        "--format",
        choices=["text", "json", "yjs"],
        help="default: from the extension (.json; .yjs/.bin; anything else is text)",
    )
    _add_database_url(imported)
    serve.add_argument(
        "--secret", help="HS256 token secret (COLLAB_SECRET); none: development mode"
    )
    serve.add_argument(
        "--public-key", help="PEM file to verify RS256/ES256 tokens (COLLAB_PUBLIC_KEY)"
    )
    serve.add_argument(
        "--redis-url",
        help="cluster with the other processes on this Redis (COLLAB_REDIS_URL); needs PostgreSQL",
    )
    serve.add_argument(
        "--allowed-origins", help="comma-separated browser origins allowed (COLLAB_ALLOWED_ORIGINS)"
    )
    token = commands.add_parser("token", help="print a signed access token")
    token.add_argument("--user", required=True, help="user id (the token's subject)")
    token.add_argument("--name", help="display name")
    token.add_argument(
        "--room",
        action="append",
        required=True,
        help="room name, or a prefix pattern ending in '*' (repeatable)",
    )
    token.add_argument("--role", choices=["viewer", "editor", "admin"], default="editor")
    token.add_argument("--ttl", default="1h", help="lifetime: 90s, 30m, 12h, 7d (default 1h)")
    token.add_argument("--secret", help="HS256 secret (COLLAB_SECRET)")
    token.add_argument("--link", action="store_true", help="print a share link for the first room")
    token.add_argument(
        "--base-url", default="", help="prefix for --link, e.g. https://docs.example"
    )
    quarantine = commands.add_parser(
        "quarantine", help="rooms whose stored data the server refuses to load"
    )
    q_commands = quarantine.add_subparsers(dest="quarantine_command", required=True)
    _add_database_url(q_commands.add_parser("list", help="list quarantined rooms and why"))
    q_export = q_commands.add_parser(
        "export", help="write a room's stored parts, undecoded, as JSON (base64 each)"
    )
    q_export.add_argument("room")
    q_export.add_argument("--output", "-o", help="file to write (default: stdout)")
    _add_database_url(q_export)
    q_release = q_commands.add_parser(
        "release", help="let a repaired room load again (it is checked again on load)"
    )
    q_release.add_argument("room")
    _add_database_url(q_release)
    _add_database_url(
        q_commands.add_parser("scan", help="check every stored room now; quarantine bad ones")
    )
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    _add_database_url(db_commands.add_parser("upgrade", help="migrate the schema to the latest"))
    return parser


def _add_database_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy async URL (COLLAB_DATABASE_URL, default sqlite+aiosqlite:///./collab.db)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            database_url=getattr(args, "database_url", None),
            log_level=getattr(args, "log_level", None),
            secret=getattr(args, "secret", None),
            public_key=getattr(args, "public_key", None),
            allowed_origins=getattr(args, "allowed_origins", None),
            redis_url=getattr(args, "redis_url", None),
            log_format=getattr(args, "log_format", None),
            metrics_token=getattr(args, "metrics_token", None),
        )
        if args.command == "serve":
            settings.check()
    except ValueError as error:
        print(f"collab: {error}", file=sys.stderr)
        return CONFIGURATION
    from collab.logs import configure

    configure(settings.log_level, settings.log_format)
    if args.command == "serve":
        return _serve(settings)
    if args.command == "token":
        return _token(args, settings)
    if args.command in ("export", "import"):
        return _transfer(args, settings)
    if args.command == "quarantine":
        return _quarantine(args, settings)
    return _upgrade(settings)


def _token(args: argparse.Namespace, settings: Settings) -> int:
    from collab.auth import issue_token

    if not settings.secret:
        print("collab: a secret is needed: --secret or COLLAB_SECRET", file=sys.stderr)
        return CONFIGURATION
    try:
        ttl = _seconds(args.ttl)
    except ValueError as error:
        print(f"collab: {error}", file=sys.stderr)
        return 2
    grants = {room: args.role for room in args.room}
    try:
        token = issue_token(
            settings.secret, user=args.user, name=args.name, grants=grants, ttl_seconds=ttl
        )
    except ValueError as error:
        print(f"collab: {error}", file=sys.stderr)
        return CONFIGURATION
    if args.link:
        room = args.room[0].rstrip("*")
        print(f"{args.base_url.rstrip('/')}/d/{room}#token={token}")
    else:
        print(token)
    return 0


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.replace(".", "", 1).isdigit():
        raise ValueError(f"--ttl {text!r}: use a number with s, m, h or d, like 90s or 12h")
    return float(number) * units[unit]


def _serve(settings: Settings) -> int:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from collab.app import create_app
    from collab.auth import check_secret
    from collab.logs import redact_tokens_in_server_logs, uvicorn_log_config
    from collab.server import DrainingServer, http_protocol, websocket_protocol

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
    redact_tokens_in_server_logs()

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        ws_max_size=settings.max_message_bytes,
        ws_per_message_deflate=settings.ws_compression,
        ws_ping_interval=settings.ping_interval,
        ws_ping_timeout=settings.ping_timeout,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_timeout)),
        http=http_protocol(settings.header_timeout),
        ws=websocket_protocol(),
        log_config=uvicorn_log_config(settings.log_format) or LOGGING_CONFIG,
    )
    DrainingServer(config, app, settings.drain_delay).run(sockets=[sock])
    return 0


def _upgrade(settings: Settings) -> int:
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


def _transfer(args: argparse.Namespace, settings: Settings) -> int:
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


def _quarantine(args: argparse.Namespace, settings: Settings) -> int:
    from collab.errors import CollabError

    try:
        output, message = asyncio.run(_run_quarantine(args, settings))
    except CollabError as error:
        print(f"collab: {error.detail}", file=sys.stderr)
        return 1
    if args.quarantine_command == "export":
        _write(args.output, output)
    else:
        sys.stdout.write(output.decode())
    if message:
        print(f"collab: {message}", file=sys.stderr)
    return 0


async def _run_quarantine(args: argparse.Namespace, settings: Settings) -> tuple[bytes, str]:
    from collab.errors import RoomNotFound
    from collab.rooms import quarantine

    command = args.quarantine_command
    async with _store(settings) as store:
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
    if path.suffix == ".json":
        return "json"
    return "yjs" if path.suffix in {".yjs", ".bin"} else "text"


async def _export(settings: Settings, room: str, fmt: Format, version: int | None) -> bytes:
    from collab.rooms import transfer

    async with _store(settings) as store:
        return await transfer.export_room(store, room, fmt, version)


async def _import(settings: Settings, room: str, data: bytes, fmt: Format) -> None:
    from collab.rooms import transfer

    async with _store(settings) as store:
        await transfer.import_room(store, room, data, fmt, author="import")


@contextlib.asynccontextmanager
async def _store(settings: Settings) -> AsyncIterator[SqlStore]:
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
