"""Every setting is a `collab serve` option, an environment variable and a README row, all from
one description in collab/config.py, so none of them can drift from the others."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path

import pytest

from collab.cli.options import overrides, settings_table
from collab.cli.parser import parse
from collab.config import Settings
from tests.launcher import run_collab_text

README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- settings table from `collab settings`; tests/test_settings_docs.py checks it -->\n"
END = "<!-- end of settings table -->\n"


def collab(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_collab_text(args, env={**os.environ, **env}, timeout=30)


def serve_settings(*args: str, env: dict[str, str] | None = None) -> Settings:
    return Settings.from_env(env or {}, **overrides(parse(["serve", *args])))


def test_the_readme_table_is_what_collab_settings_prints():
    readme = README.read_text()
    table = readme.split(START, 1)[1].split(END, 1)[0]
    printed = collab("settings")
    assert printed.returncode == 0, printed.stderr
    assert table == printed.stdout == settings_table(), (
        "README's settings table is stale: replace it with the output of `collab settings`"
    )


def test_every_setting_is_an_option_with_its_variable_and_default():
    shown = " ".join(collab("serve", "--help", COLUMNS="400").stdout.split())
    table = settings_table()
    for field in dataclasses.fields(Settings):
        flag, env = "--" + field.name.replace("_", "-"), f"COLLAB_{field.name.upper()}"
        assert re.search(re.escape(flag) + "[ ,]", shown), f"collab serve has no {flag}"
        assert f"({env}, default " in shown, f"--help does not name {env}"
        assert f"`{flag}`" in table and f"`{env}`" in table
    assert "(COLLAB_PORT, default 8000)" in shown
    assert "(COLLAB_LOG_FORMAT, default text)" in shown


def test_no_secret_is_printed_by_help_or_the_table():
    values = {
        "COLLAB_SECRET": "s3cret-value-that-is-long-enough-for-hs256",
        "COLLAB_METRICS_TOKEN": "scraper-t0ken",
        "COLLAB_WEBHOOK_SECRET": "hook-s3cret",
        "COLLAB_REDIS_URL": "redis://:redis-passw0rd@127.0.0.1:6379/0",
    }
    help_text = collab("serve", "--help", **values).stdout
    table = collab("settings", **values).stdout
    assert "(COLLAB_SECRET, default none)" in " ".join(help_text.split())
    for value in values.values():
        assert value not in help_text and value not in table


def test_options_win_over_the_environment_and_booleans_take_no():
    env = {"COLLAB_AUTO_MIGRATE": "false", "COLLAB_PORT": "9001", "COLLAB_WS_COMPRESSION": "1"}
    settings = serve_settings("--auto-migrate", "--no-ws-compression", env=env)
    assert (settings.auto_migrate, settings.ws_compression, settings.port) == (True, False, 9001)
    assert serve_settings("--no-auto-migrate").auto_migrate is False
    assert serve_settings().auto_migrate is True


@pytest.mark.parametrize(
    ("args", "field", "value"),
    [
        (["--host", "0.0.0.0"], "host", "0.0.0.0"),
        (["--port", "8123"], "port", 8123),
        (
            ["--database-url", "sqlite+aiosqlite:///x.db"],
            "database_url",
            "sqlite+aiosqlite:///x.db",
        ),
        (["--log-level", "debug"], "log_level", "debug"),
        (["--log-format", "json"], "log_format", "json"),
        (["--metrics-token", "m"], "metrics_token", "m"),
        (["--secret", "s"], "secret", "s"),
        (["--public-key", "key.pem"], "public_key", "key.pem"),
        (["--redis-url", "redis://r"], "redis_url", "redis://r"),
        (["--allowed-origins", "*"], "allowed_origins", "*"),
        (["--unload-grace", "0.5"], "unload_grace", 0.5),
        (["--webhook-attempts", "3"], "webhook_attempts", 3),
        (["--sqlite-synchronous", "full"], "sqlite_synchronous", "FULL"),
    ],
)
def test_flags_set_their_settings(args: list[str], field: str, value: object):
    assert getattr(serve_settings(*args), field) == value


def test_the_environment_is_read_from_the_same_descriptions():
    env = {"COLLAB_SQLITE_SYNCHRONOUS": "extra", "COLLAB_LOG_LEVEL": "WARNING"}
    settings = Settings.from_env(env)
    assert (settings.sqlite_synchronous, settings.log_level) == ("EXTRA", "warning")
    with pytest.raises(ValueError, match="COLLAB_LOG_FORMAT='yaml' is not one of text, json"):
        Settings.from_env({"COLLAB_LOG_FORMAT": "yaml"})
    with pytest.raises(ValueError, match="COLLAB_WS_COMPRESSION='maybe' is not a valid bool"):
        Settings.from_env({"COLLAB_WS_COMPRESSION": "maybe"})


def test_a_bad_option_value_is_a_usage_error_of_serve():
    done = collab("serve", "--log-level", "loud")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: collab serve")
    assert "argument --log-level: 'loud' is not one of critical, error" in done.stderr
    bad_env = collab("serve", COLLAB_PORT="eighty")
    assert bad_env.returncode == 3
    assert bad_env.stderr.strip() == "collab: COLLAB_PORT='eighty' is not a valid int"
