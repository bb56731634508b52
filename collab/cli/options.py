"""Settings as command-line options and as the README's table, both from `describe_settings()`."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from collab.config import SettingInfo, describe_settings

_METAVARS = {"str": "TEXT", "int": "INT", "float": "NUMBER"}
TABLE_HEAD = "| flag / variable | default | meaning |\n|---|---|---|\n"


def add_setting_options(
    parser: argparse.ArgumentParser, names: Iterable[str] | None = None
) -> None:
    """One option per setting (or per setting in `names`): `--port`, `--auto-migrate` and
    `--no-auto-migrate`, each saying its environment variable and default. Unset options stay
    None, so the environment, then the default, decide."""
    wanted = None if names is None else set(names)
    for setting in describe_settings():
        if wanted is None or setting.name in wanted:
            _add_option(parser, setting)


def _add_option(parser: argparse.ArgumentParser, setting: SettingInfo) -> None:
    text = f"{setting.help.text} ({setting.env}, default {setting.default_text()})"
    # dest is the field's name: a command's own options must not reuse a setting's name.
    common: dict[str, Any] = {"dest": setting.name, "default": None, "help": _escape(plain(text))}
    if setting.kind == "bool":
        parser.add_argument(setting.flag, action=argparse.BooleanOptionalAction, **common)
        return
    metavar = "|".join(setting.help.choices) or _METAVARS[setting.kind]
    parser.add_argument(setting.flag, type=_converter(setting), metavar=metavar, **common)


def _escape(text: str) -> str:
    return text.replace("%", "%%")  # argparse formats help with %


def _converter(setting: SettingInfo) -> Any:
    def convert(raw: str) -> Any:
        try:
            return setting.parse(raw, where=repr(raw))
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = setting.kind  # argparse names the type in its fallback message
    return convert


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as options on this command line (None: not given)."""
    return {s.name: getattr(args, s.name, None) for s in describe_settings()}


def settings_table() -> str:
    """The README's settings table, in markdown: flag and variable, default, meaning."""
    rows = [TABLE_HEAD]
    for setting in describe_settings():
        flags = f"`{setting.flag}`"
        if setting.kind == "bool":
            flags += f", `--no-{setting.flag[2:]}`"
        meaning = setting.help.text.replace("|", "\\|")
        rows.append(f"| {flags} / `{setting.env}` | {setting.default_text()} | {meaning} |\n")
    return "".join(rows)


def plain(markdown: str) -> str:
    """`markdown` without its code marks, for a terminal."""
    return markdown.replace("`", "")
