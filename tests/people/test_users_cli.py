"""`collab users`: the real command against a real SQLite file (and PostgreSQL where configured),
each account read back through SqlStore."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from collab.people.passwords import verify_password
from collab.store import migrate
from collab.store.db import create_engine
from collab.store.people import Person
from collab.store.sql import SqlStore
from tests.launcher import run_collab_text

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[2]


def users(url: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    """`collab users ARGS --database-url URL`, `password` (if any) as one line of its input."""
    given = None if password is None else password + "\n"
    return run_collab_text(["users", *args, "--database-url", url], input=given)


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[SqlStore]:
    """The migrated SQLite file the commands write, read through SqlStore."""
    engine = create_engine(sqlite_url)
    await migrate.upgrade(engine)
    opened = SqlStore(engine)
    yield opened
    await opened.close()


async def account(store: SqlStore, email: str) -> tuple[Person, str | None]:
    found = await store.people.by_email(email)
    assert found is not None, f"no account {email}"
    return found


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr
    return done


def failed(done: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert done.returncode == code, done.stderr
    assert words in done.stderr
    assert "Traceback" not in done.stderr


async def test_add_reads_one_line_of_input_and_stores_a_hash_of_exactly_it(database_url: str):
    typed = f"  {PASSWORD} "  # spaces are the password's own: only the line break goes
    done = users(database_url, "add", "Ada@Example.com", "--name", " Ada L ", password=typed)
    assert done.returncode == 0, done.stderr
    assert "added ada@example.com (Ada L), a member; signs in with a password" in done.stderr
    engine = create_engine(database_url)
    store = SqlStore(engine)
    try:
        person, hashed = await account(store, "ada@example.com")
    finally:
        await store.close()
    assert (person.name, person.is_admin, person.active, person.oidc) == (
        "Ada L",
        False,
        True,
        False,
    )
    assert hashed is not None and hashed.startswith("$argon2id$")
    assert verify_password(hashed, typed)
    assert not verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, typed + "\n")


async def test_list_deactivate_and_activate_on_each_database(database_url: str):
    ok(users(database_url, "add", "ann@example.com", "--name", "Ann", password=PASSWORD))
    ok(users(database_url, "add", "bo@example.com", "--name", "Bo", "--no-password"))
    engine = create_engine(database_url)
    store = SqlStore(engine)
    try:
        ann, _ = await account(store, "ann@example.com")
        await store.people.start_session("a" * 64, ann.id, 3600)
        done = users(database_url, "deactivate", "ann@example.com")
        assert done.returncode == 0, done.stderr
        assert await store.people.session("a" * 64) is None
        assert not (await account(store, "ann@example.com"))[0].active
        listed = json.loads(users(database_url, "list", "--json").stdout)
        assert [(p["email"], p["active"], p["sign_in"]) for p in listed] == [
            ("ann@example.com", False, "password"),
            ("bo@example.com", True, "provider"),
        ]
        assert users(database_url, "activate", "ann@example.com").returncode == 0
        assert (await account(store, "ann@example.com"))[0].active
    finally:
        await store.close()


async def test_a_short_password_is_refused_and_nothing_is_made(store: SqlStore, sqlite_url: str):
    done = users(sqlite_url, "add", "ann@example.com", "--name", "Ann", password="too short")
    failed(done, 2, "a password needs at least 10 characters")
    assert await store.people.by_email("ann@example.com") is None
    failed(users(sqlite_url, "add", "ann@example.com", "--name", "Ann"), 2, "no password on")
    assert await store.people.by_email("ann@example.com") is None


async def test_a_taken_email_is_refused_whatever_its_case(store: SqlStore, sqlite_url: str):
    ok(users(sqlite_url, "add", "ann@example.com", "--name", "Ann", password=PASSWORD))
    done = users(sqlite_url, "add", " ANN@example.com", "--name", "Other", password=PASSWORD)
    failed(done, 1, "someone already has the email address ann@example.com")
    assert (await account(store, "ann@example.com"))[0].name == "Ann"


@pytest.mark.parametrize(
    ("email", "name", "words"),
    [
        ("ann.example.com", "Ann", "'ann.example.com' is not an email address"),
        ("ann smith@example.com", "Ann", "is not an email address"),
        ("ann@home@example.com", "Ann", "is not an email address"),
        ("@example.com", "Ann", "is not an email address"),
        ("ann@", "Ann", "is not an email address"),
        ("ann@example.com", "   ", "a name is needed"),
        ("ann@example.com", "A" * 257, "a name may have at most 256 characters"),
        ("ann@example.com", "Ann\nSmith", "control characters"),
    ],
)
async def test_a_malformed_email_or_name_is_refused(
    store: SqlStore, sqlite_url: str, email: str, name: str, words: str
):
    failed(users(sqlite_url, "add", email, "--name", name, password=PASSWORD), 2, words)
    assert await store.people.search("", 10, active_only=False) == []


async def test_list_says_how_each_signs_in_when_last_seen_and_what_they_own(
    store: SqlStore, sqlite_url: str
):
    ok(users(sqlite_url, "add", "zed@example.com", "--name", "Zed", password=PASSWORD))
    ok(users(sqlite_url, "add", "amy@example.com", "--name", "Amy", "--admin", "--no-password"))
    amy, _ = await account(store, "amy@example.com")
    assert await store.access.claim("plans", amy.id)
    assert await store.access.claim("notes", amy.id)
    session = await store.people.start_session("b" * 64, amy.id, 3600)
    rows = json.loads(users(sqlite_url, "list", "--json").stdout)
    assert [row["email"] for row in rows] == ["amy@example.com", "zed@example.com"]
    assert rows[0] | {"created_at": None} == {
        "id": amy.id,
        "email": "amy@example.com",
        "name": "Amy",
        "admin": True,
        "active": True,
        "sign_in": "provider",
        "has_password": False,
        "provider_linked": False,
        "created_at": None,
        "last_seen_at": session.created_at.isoformat(),
        "documents_owned": 2,
    }
    assert (rows[1]["sign_in"], rows[1]["last_seen_at"], rows[1]["documents_owned"]) == (
        "password",
        None,
        0,
    )
    done = users(sqlite_url, "list")
    assert done.returncode == 0 and "2 account(s), 2 active" in done.stderr
    table = [line.split() for line in done.stdout.splitlines()]
    seen = session.created_at.strftime("%Y-%m-%d %H:%M").split()
    header = ["email", "name", "admin", "active", "sign-in", "last", "seen", "(UTC)", "documents"]
    assert table[0] == header
    assert table[1] == ["amy@example.com", "Amy", "yes", "yes", "provider", *seen, "2"]
    assert table[2] == ["zed@example.com", "Zed", "no", "yes", "password", "never", "0"]


async def test_deactivating_ends_sessions_and_says_open_editors_close_at_the_recheck(
    store: SqlStore, sqlite_url: str
):
    ok(users(sqlite_url, "add", "ann@example.com", "--name", "Ann", password=PASSWORD))
    ann, _ = await account(store, "ann@example.com")
    await store.people.start_session("c" * 64, ann.id, 3600)
    await store.people.start_session("d" * 64, ann.id, 3600)
    done = users(sqlite_url, "deactivate", "ANN@example.com")
    assert done.returncode == 0, done.stderr
    assert "deactivated ann@example.com" in done.stderr
    assert "re-check interval (COLLAB_AUTHORIZE_RECHECK)" in done.stderr
    assert not (await account(store, "ann@example.com"))[0].active
    assert await store.people.end_sessions(ann.id) == 0  # none was left
    again = users(sqlite_url, "deactivate", "ann@example.com")
    assert again.returncode == 0 and "(already deactivated)" in again.stderr
    done = users(sqlite_url, "activate", "ann@example.com")
    assert done.returncode == 0 and "they can sign in again" in done.stderr
    assert (await account(store, "ann@example.com"))[0].active
    assert await store.people.session("c" * 64) is None  # an ended session stays ended


async def test_set_password_replaces_the_hash_and_ends_sessions(store: SqlStore, sqlite_url: str):
    ok(users(sqlite_url, "add", "ann@example.com", "--name", "Ann", password=PASSWORD))
    ok(users(sqlite_url, "add", "bo@example.com", "--name", "Bo", "--no-password"))
    ann, _ = await account(store, "ann@example.com")
    await store.people.start_session("e" * 64, ann.id, 3600)
    failed(users(sqlite_url, "set-password", "ann@example.com", password="short"), 2, "at least")
    assert verify_password((await account(store, "ann@example.com"))[1], PASSWORD)
    done = users(sqlite_url, "set-password", "ann@example.com", password="a new passphrase")
    assert done.returncode == 0, done.stderr
    assert "set a new password for ann@example.com; 1 session ended" in done.stderr
    _, hashed = await account(store, "ann@example.com")
    assert verify_password(hashed, "a new passphrase")
    assert not verify_password(hashed, PASSWORD)
    assert await store.people.session("e" * 64) is None
    # A provider-only account given a password can sign in either way.
    assert users(sqlite_url, "set-password", "bo@example.com", password=PASSWORD).returncode == 0
    bo, hashed = await account(store, "bo@example.com")
    assert bo.has_password and verify_password(hashed, PASSWORD)


async def test_make_admin_and_revoke(store: SqlStore, sqlite_url: str):
    ok(users(sqlite_url, "add", "ann@example.com", "--name", "Ann", password=PASSWORD))
    done = users(sqlite_url, "make-admin", "ann@example.com")
    assert done.returncode == 0 and "ann@example.com is an organisation admin" in done.stderr
    assert (await account(store, "ann@example.com"))[0].is_admin
    done = users(sqlite_url, "make-admin", "ann@example.com", "--revoke")
    assert done.returncode == 0 and "is no longer an organisation admin" in done.stderr
    assert not (await account(store, "ann@example.com"))[0].is_admin


@pytest.mark.parametrize(
    "command",
    [
        ["deactivate"],
        ["activate"],
        ["set-password"],
        ["make-admin"],
        ["make-admin", "--revoke"],
    ],
)
async def test_an_unknown_email_fails_clearly(store: SqlStore, sqlite_url: str, command: list[str]):
    ok(users(sqlite_url, "add", "ann@example.com", "--name", "Ann", password=PASSWORD))
    done = users(sqlite_url, *command, "nobody@example.com", password=PASSWORD)
    failed(done, 1, "no account has the email address nobody@example.com")
    failed(users(sqlite_url, *command, "no-at-sign", password=PASSWORD), 2, "not an email")
    assert [p.email for p in await store.people.search("", 10, active_only=False)] == [
        "ann@example.com"
    ]


def test_the_family_alone_prints_its_help(tmp_path: Path):
    done = run_collab_text(["users"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for command in ("add", "list", "deactivate", "activate", "set-password", "make-admin"):
        assert command in done.stdout
    assert "--revoke" in done.stdout
    assert not (tmp_path / "collab.db").exists()


# -- typed at a terminal -------------------------------------------------------------------


def _at_terminal(args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run `python -m collab ARGS` with a pseudo-terminal as its input and output, typing each
    answer once its password prompt has appeared (earlier input would be flushed as getpass
    turns echo off); its exit code and everything it wrote."""
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "collab", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=ROOT,
        start_new_session=True,  # no other controlling terminal: getpass uses this one
    )
    os.close(terminal)
    written = b""
    try:
        for number, answer in enumerate(answers, start=1):
            while written.lower().count(b"password: ") < number:
                chunk = _read(main)
                assert chunk, f"the command ended before prompt {number}: {written!r}"
                written += chunk
            os.write(main, answer.encode() + b"\n")
        while chunk := _read(main):
            written += chunk
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    return code, written.decode(errors="replace")


def _read(fd: int) -> bytes:
    """What the command wrote next, b"" once it has closed the terminal."""
    ready, _, _ = select.select([fd], [], [], 60)  # a guard against a hang, not a wait
    assert ready, "the command wrote nothing for 60 seconds"
    try:
        return os.read(fd, 4096)
    except OSError:  # EIO: every copy of the terminal's other end is closed
        return b""


async def test_typed_passwords_must_match_and_are_not_echoed(store: SqlStore, sqlite_url: str):
    args = ["users", "add", "ann@example.com", "--name", "Ann", "--database-url", sqlite_url]
    code, written = _at_terminal(args, ["first passphrase", "other passphrase", PASSWORD, PASSWORD])
    assert code == 0, written
    assert "the two passwords differ; try again" in written
    assert "added ann@example.com" in written
    assert PASSWORD not in written and "passphrase" not in written
    _, hashed = await account(store, "ann@example.com")
    assert verify_password(hashed, PASSWORD)


async def test_three_bad_tries_at_the_terminal_change_nothing(store: SqlStore, sqlite_url: str):
    ok(users(sqlite_url, "add", "ann@example.com", "--name", "Ann", password=PASSWORD))
    args = ["users", "set-password", "ann@example.com", "--database-url", sqlite_url]
    code, written = _at_terminal(args, ["short", "a new passphrase", "differs!!!!", "x"])
    assert code == 2, written
    assert "a password needs at least 10 characters; try again" in written
    assert "no acceptable password after 3 tries; nothing was changed" in written
    assert verify_password((await account(store, "ann@example.com"))[1], PASSWORD)
