"""`collab token` prints tokens and share links the server accepts."""

from __future__ import annotations

import os
import subprocess

import jwt
import pytest

from tests.auth.test_websocket_auth import SECRET
from tests.launcher import run_collab_text


def _token(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    plain = {k: v for k, v in os.environ.items() if not k.startswith("COLLAB_")}
    return run_collab_text(["token", *args], env={**plain, **env}, timeout=30)


def test_token_carries_user_name_grants_and_expiry():
    result = _token(
        "--user",
        "u1",
        "--name",
        "Ada",
        "--room",
        "team-*",
        "--role",
        "viewer",
        "--ttl",
        "2h",
        "--secret",
        SECRET,
    )
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "u1" and claims["name"] == "Ada"
    assert claims["rooms"] == {"team-*": "viewer"}
    assert claims["exp"] - claims["iat"] == 7200


def test_link_puts_the_token_in_the_fragment():
    result = _token(
        "--user",
        "u1",
        "--room",
        "notes",
        "--secret",
        SECRET,
        "--link",
        "--base-url",
        "https://docs.example",
    )
    link = result.stdout.strip()
    assert link.startswith("https://docs.example/d/notes#token=")
    claims = jwt.decode(link.split("#token=")[1], SECRET, algorithms=["HS256"])
    assert claims["rooms"] == {"notes": "editor"}


@pytest.mark.parametrize(
    ("env", "start"),
    [
        ({"COLLAB_PUBLIC_URL": "https://docs.example/"}, "https://docs.example/d/notes#token="),
        ({"COLLAB_HOST": "10.1.2.3", "COLLAB_PORT": "9123"}, "http://10.1.2.3:9123/d/notes#"),
        ({"COLLAB_HOST": "0.0.0.0"}, "http://127.0.0.1:8000/d/notes#token="),
        ({"COLLAB_HOST": "::1", "COLLAB_PORT": "8001"}, "http://[::1]:8001/d/notes#token="),
        ({}, "http://127.0.0.1:8000/d/notes#token="),
    ],
)
def test_a_link_without_base_url_is_absolute(env: dict[str, str], start: str):
    result = _token("--user", "u1", "--room", "notes", "--secret", SECRET, "--link", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(start), result.stdout
    jwt.decode(result.stdout.strip().split("#token=")[1], SECRET, algorithms=["HS256"])


def test_a_public_url_that_is_not_http_is_refused():
    result = _token(
        "--user", "u", "--room", "r", "--secret", SECRET, "--link", COLLAB_PUBLIC_URL="docs.example"
    )
    assert result.returncode == 3
    assert result.stderr.strip() == (
        "collab: COLLAB_PUBLIC_URL='docs.example': use http://... or https://..."
    )


def test_token_needs_a_secret_and_a_valid_ttl():
    assert _token("--user", "u", "--room", "r").returncode == 3  # configuration
    bad = _token("--user", "u", "--room", "r", "--secret", SECRET, "--ttl", "forever")
    assert bad.returncode == 2 and "--ttl" in bad.stderr


def test_short_secrets_are_refused_by_token_and_serve():
    short = _token("--user", "u", "--room", "r", "--secret", "too-short")
    assert short.returncode == 3 and "at least 32 bytes" in short.stderr
    serve = run_collab_text(["serve", "--secret", "too-short", "--port", "1"], timeout=30)
    assert serve.returncode == 3 and "at least 32 bytes" in serve.stderr


def test_a_link_needs_a_room_name_not_a_pattern():
    result = _token("--user", "u", "--room", "budget-*", "--secret", SECRET, "--link")
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "collab: --link needs one room name (--room 'budget-*' is a pattern); "
        "add --room NAME for the document the link opens"
    )


def test_a_link_opens_the_first_room_name_and_the_token_keeps_every_grant():
    result = _token(
        "--user",
        "u",
        "--room",
        "budget-*",
        "--room",
        "budget 2027/q3",
        "--secret",
        SECRET,
        "--link",
        "--base-url",
        "https://docs.example",
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith("https://docs.example/d/budget%202027%2Fq3#token="), link
    claims = jwt.decode(link.split("#token=")[1], SECRET, algorithms=["HS256"])
    assert claims["rooms"] == {"budget-*": "editor", "budget 2027/q3": "editor"}
