"""The `collab` command: serve, token, export, import, quarantine, db upgrade, users, settings,
mcp."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from collab.cli import commands, users
from collab.cli.options import overrides, settings_table
from collab.cli.parser import parse
from collab.config import Settings
from collab.preflight import CONFIGURATION

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = parse(argv)
    if args.command == "settings":
        sys.stdout.write(settings_table())
        return 0
    if args.command == "mcp":
        return commands.mcp(args)
    try:
        settings = Settings.from_env(**overrides(args))
        if args.command == "serve":
            settings.check()
    except ValueError as error:
        print(f"collab: {error}", file=sys.stderr)
        return CONFIGURATION
    from collab.logs import configure

    configure(settings.log_level, settings.log_format)
    if args.command == "serve":
        return commands.serve(settings)
    if args.command == "token":
        return commands.token(args, settings)
    if args.command in ("export", "import"):
        return commands.transfer(args, settings)
    if args.command == "quarantine":
        return commands.quarantine(args, settings)
    if args.command == "users":
        return users.run(args, settings)
    return commands.upgrade(settings)
