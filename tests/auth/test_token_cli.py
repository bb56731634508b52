"""`collab token` prints tokens and share links the server accepts."""

from __future__ import annotations

import subprocess
import sys

import jwt

from tests.auth.test_websocket_auth import SECRET


def _token(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collab", "token", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


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


def test_token_needs_a_secret_and_a_valid_ttl():
    assert _token("--user", "u", "--room", "r").returncode == 3  # configuration
    bad = _token("--user", "u", "--room", "r", "--secret", SECRET, "--ttl", "forever")
    assert bad.returncode == 2 and "--ttl" in bad.stderr


def test_short_secrets_are_refused_by_token_and_serve():
    short = _token("--user", "u", "--room", "r", "--secret", "too-short")
    assert short.returncode == 3 and "at least 32 bytes" in short.stderr
    serve = subprocess.run(
        [sys.executable, "-m", "collab", "serve", "--secret", "too-short", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert serve.returncode == 3 and "at least 32 bytes" in serve.stderr
