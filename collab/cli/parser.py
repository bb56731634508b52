"""The `collab` command line: its commands and options, and the errors about them."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from typing import Any, Protocol

from collab.cli.options import add_setting_options
from collab.config import package_version


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that keeps the option strings added to it (`flags`), for the "did you
    mean" of an unknown one: argparse offers no public way to list them. Subcommands' parsers
    are of this class too (`add_subparsers` makes them of the parent's class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.flags: list[str] = []  # before argparse's own __init__ adds --help
        super().__init__(*args, **kwargs)

    def add_argument(self, *name_or_flags: str, **kwargs: Any) -> argparse.Action:
        """Add an argument as argparse does, and keep its option strings."""
        action = super().add_argument(*name_or_flags, **kwargs)
        self.flags.extend(action.option_strings)
        return action


class Commands(Protocol):
    """The subcommands of a parser (what `add_subparsers` returns), as used here."""

    def add_parser(self, name: str, **kwargs: Any) -> Parser:
        """A new subcommand's parser."""
        ...


_SERVE_USAGE = "%(prog)s [OPTION ...]   (every option: collab serve --help)"


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The parsed command line. An argument the (sub)command does not take exits with code 2,
    that command's usage and a one-line error: argparse leaves a subcommand's unknown arguments
    to the top-level parser, whose usage says nothing about the subcommand."""
    parser = Parser(prog="collab", description="Real-time collaborative documents.")
    parser.add_argument("--version", action="version", version=f"collab {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    owners = {"": parser, "serve": _add_serve(commands), "token": _add_token(commands)}
    owners |= _add_transfer(commands)
    owners |= _add_quarantine(commands)
    owners |= _add_db(commands)
    owners |= _add_users(commands)
    owners["mcp"] = _add_mcp(commands)
    owners["settings"] = commands.add_parser(
        "settings", help="print every setting as a markdown table (the README's)"
    )
    words = list(sys.argv[1:] if argv is None else argv)
    args, extras = parser.parse_known_args(words)
    if extras:
        before_command = words.index(extras[0]) < words.index(args.command)
        owner = parser if before_command else owners.get(_command_of(args), parser)
        owner.error(_unrecognized(owner, extras))
    if args.command == "users" and args.subcommand is None:
        owners["users"].print_help()
        owners["users"].exit(0)
    return args


def _command_of(args: argparse.Namespace) -> str:
    words = (args.command, getattr(args, "subcommand", None))
    return " ".join(word for word in words if word)


def _unrecognized(parser: Parser, extras: list[str]) -> str:
    known = parser.flags
    message = f"unrecognized arguments: {' '.join(extras)}"
    for extra in extras:
        close = difflib.get_close_matches(extra.split("=")[0], known, n=1)
        if extra.startswith("--") and close:
            return f"{message} (did you mean {close[0]}?)"
    return message


def _add_serve(commands: Commands) -> Parser:
    serve = commands.add_parser(
        "serve",
        help="run the server",
        usage=_SERVE_USAGE,
        description="Run the server. Each option can be set by its environment variable "
        "instead; an option given wins.",
    )
    add_setting_options(serve)
    return serve


def _add_token(commands: Commands) -> Parser:
    token = commands.add_parser("token", help="print a signed access token")
    token.add_argument("--user", help="user id (the token's subject; not with --agent)")
    token.add_argument("--agent", help="an agent's token: the agent's name (needs --for)")
    token.add_argument(
        "--for",
        dest="for_person",
        help="the person (email or id) an --agent acts for: its role is capped by theirs",
    )
    token.add_argument("--session", help="the agent session id (default: a new one)")
    token.add_argument("--name", help="display name")
    token.add_argument(
        "--room",
        action="append",
        required=True,
        help="room name, or a prefix pattern ending in '*' (repeatable)",
    )
    token.add_argument(
        "--role", choices=["viewer", "commenter", "editor", "admin"], default="editor"
    )
    token.add_argument("--ttl", default="1h", help="lifetime: 90s, 30m, 12h, 7d (default 1h)")
    add_setting_options(token, ["secret", "database_url"])
    token.add_argument(
        "--link",
        action="store_true",
        help="print a link to the first --room that names a room (not a pattern), carrying the "
        "token (not stored: it expires but cannot be revoked; POST /api/rooms/{room}/links "
        "makes revocable ones)",
    )
    token.add_argument(
        "--base-url",
        default="",
        help="start of the --link, e.g. https://docs.example (default: COLLAB_PUBLIC_URL, "
        "else http://COLLAB_HOST:COLLAB_PORT)",
    )
    return token


def _add_transfer(commands: Commands) -> dict[str, Parser]:
    export = commands.add_parser("export", help="write a room to stdout or a file")
    export.add_argument("room")
    export.add_argument(
        "--format",
        choices=["text", "json", "yjs", "collab", "pdf", "docx"],
        default="text",
        help="collab: the document with its comment threads, for `collab import`; pdf, docx: to "
        "print or edit elsewhere (default: text)",
    )
    export.add_argument("--output", "-o", help="file to write (default: stdout)")
    export.add_argument("--version", type=int, help="export this version instead of the latest")
    imported = commands.add_parser(
        "import", help="load a text, Markdown, JSON, Yjs or collab file into a room"
    )
    imported.add_argument("room")
    imported.add_argument(
        "file",
        help="UTF-8 text, Markdown (a rich-text document; as text into a plain-text room), JSON "
        "as `export --format json` writes it, a Yjs update, or a document with its comment "
        "threads as `export --format collab` writes it",
    )
    imported.add_argument(
        "--format",
        choices=["text", "markdown", "json", "yjs", "collab"],
        help="default: from the extension (.collab; .md/.markdown; .json; .yjs/.bin; anything "
        "else is text)",
    )
    for parser in (export, imported):
        add_setting_options(parser, ["database_url"])
    return {"export": export, "import": imported}


def _add_quarantine(commands: Commands) -> dict[str, Parser]:
    quarantine = commands.add_parser(
        "quarantine", help="rooms whose stored data the server refuses to load"
    )
    sub = quarantine.add_subparsers(dest="subcommand", required=True)
    parsers = {
        "list": sub.add_parser("list", help="list quarantined rooms and why"),
        "export": sub.add_parser(
            "export", help="write a room's stored parts, undecoded, as JSON (base64 each)"
        ),
        "release": sub.add_parser(
            "release", help="let a repaired room load again (it is checked again on load)"
        ),
        "scan": sub.add_parser("scan", help="check every stored room now; quarantine bad ones"),
    }
    for name in ("export", "release"):
        parsers[name].add_argument("room")
    parsers["export"].add_argument("--output", "-o", help="file to write (default: stdout)")
    for parser in parsers.values():
        add_setting_options(parser, ["database_url"])
    return {"quarantine": quarantine} | {f"quarantine {k}": v for k, v in parsers.items()}


def _add_db(commands: Commands) -> dict[str, Parser]:
    db = commands.add_parser("db", help="database maintenance")
    sub = db.add_subparsers(dest="subcommand", required=True)
    upgrade = sub.add_parser("upgrade", help="migrate the schema to the latest")
    add_setting_options(upgrade, ["database_url"])
    return {"db": db, "db upgrade": upgrade}


def _add_mcp(commands: Commands) -> Parser:
    mcp = commands.add_parser(
        "mcp",
        help="serve agents over MCP (stdio), through a running server's REST API",
        description="Answer the Model Context Protocol on stdin/stdout for an agent (Claude "
        "Desktop and the like): list, read, edit and comment on documents, list versions, "
        "through the REST API of the server at --server-url, so edits reach open editors live.",
    )
    mcp.add_argument("--server-url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    mcp.add_argument(
        "--token",
        default=os.environ.get("COLLAB_TOKEN"),
        help="access token the tools act with (default: COLLAB_TOKEN; none: a server "
        "without authentication)",
    )
    return mcp


_PASSWORD_INPUT = (
    "The password is read as one line from standard input when it is not a terminal "
    "(`printf '%s\\n' \"$PASSWORD\" | collab users ...`), else asked for twice."
)


def _add_users(commands: Commands) -> dict[str, Parser]:
    users = commands.add_parser(
        "users",
        help="people who sign in: add, list, deactivate, set passwords, make admins",
        description="People who sign in to this server. " + _PASSWORD_INPUT,
    )
    sub = users.add_subparsers(dest="subcommand", metavar="COMMAND")
    add = sub.add_parser(
        "add",
        help="add an account (with a password, or --no-password for the provider only)",
        description="Add an account. " + _PASSWORD_INPUT,
    )
    add.add_argument("email", metavar="EMAIL")
    add.add_argument("--name", required=True, help="display name (at most 256 characters)")
    add.add_argument("--admin", action="store_true", help="an organisation admin")
    add.add_argument(
        "--no-password",
        dest="no_password",
        action="store_true",
        help="no password: signs in only through the OpenID Connect provider (linked by this "
        "email at the first sign-in)",
    )
    listed = sub.add_parser("list", help="every account: email, name, roles, sign-in, documents")
    listed.add_argument("--json", action="store_true", help="a JSON list, for scripts")
    parsers = {
        "add": add,
        "list": listed,
        "deactivate": sub.add_parser(
            "deactivate",
            help="stop an account signing in and end its sessions (open editors close at the "
            "server's next re-check)",
        ),
        "activate": sub.add_parser("activate", help="let a deactivated account sign in again"),
        "set-password": sub.add_parser(
            "set-password",
            help="set an account's password and end its sessions",
            description="Set an account's password and end its sessions. " + _PASSWORD_INPUT,
        ),
        "make-admin": sub.add_parser(
            "make-admin", help="make an account an organisation admin (--revoke: no longer one)"
        ),
    }
    parsers["make-admin"].add_argument(
        "--revoke", action="store_true", help="take the admin role away instead"
    )
    for name in ("deactivate", "activate", "set-password", "make-admin"):
        parsers[name].add_argument("email", metavar="EMAIL")
    for parser in parsers.values():
        add_setting_options(parser, ["database_url"])
    return {"users": users} | {f"users {k}": v for k, v in parsers.items()}
