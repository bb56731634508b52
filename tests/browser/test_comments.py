"""Comments on plain-text and rich-text documents in real Chromium pages against a real collab
server with a secret: a commenter starts a thread on a passage, the writer sees it at once and
replies, a third person edits around and inside the passage, the writer resolves it; a signed-in
writer mentions a teammate with the @ list, and the teammate sees "@Name" (issue 23); a page
that was offline catches up when back; Make a copy takes the comments when asked."""

from pathlib import Path
from typing import Any

import pytest

from collab.auth import issue_token
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario
from tests.people.accounts import PASSWORD, add_person, sign_in

SCRIPT = Path(__file__).with_name("comments_e2e.mjs")
SECRET = "test-secret-for-the-browser-tests-0123456789"
ROOM = "comments-room"
RICH_ROOM = "rich-comments-room"

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


def _token(user: str, name: str, role: str, room: str = ROOM) -> str:
    return issue_token(SECRET, user=user, name=name, grants={room: role}, ttl_seconds=3600)


async def test_a_reviewer_comments_and_the_writer_replies_and_resolves(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {
        "writer": _token("u-wren", "Wren", "editor"),
        "reviewer": _token("u-rita", "Rita", "commenter"),
        "third": _token("u-theo", "Theo", "editor"),
        "viewer": _token("u-vic", "Vic", "viewer"),
    }
    await run_scenario(server, "comment-thread", tokens, script=SCRIPT)


async def test_a_thread_after_an_emoji_highlights_its_passage(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {"writer": _token("u-wren", "Wren", "editor")}
    await run_scenario(server, "comment-astral", tokens, script=SCRIPT)


# A teammate's name as hostile as a name can be: markup, a script, a right-to-left override.
HOSTILE = "<img src=x onerror=alert(1)> \u202eevil\u202c"


async def test_a_writer_mentions_a_teammate_who_sees_their_name(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "ada@example.org", "Ada Lovelace")
    await add_person(sqlite_url, "grace@example.org", "Grace Hopper")
    await add_person(sqlite_url, "mallory@example.org", HOSTILE)
    ada = await sign_in(server, "ada@example.org")
    try:
        made = await ada.http.post(
            "/api/rooms", json={"title": "Launch notes", "kind": "text"}, headers=ada.changes()
        )
        assert made.status_code == 201, made.text
        room = made.json()["name"]
        text = {"text": "The quick brown fox jumps over the lazy dog."}
        wrote = await ada.http.patch(f"/api/rooms/{room}/text", json=text, headers=ada.changes())
        assert wrote.status_code == 200, wrote.text
        for email, role in (("grace@example.org", "editor"), ("mallory@example.org", "viewer")):
            shared = await ada.http.post(
                f"/api/rooms/{room}/access",
                json={"email": email, "role": role},
                headers=ada.changes(),
            )
            assert shared.status_code == 200, shared.text
    finally:
        await ada.close()
    people = {
        "room": room,
        "password": PASSWORD,
        "ada": "ada@example.org",
        "grace": "grace@example.org",
        "hostile": HOSTILE,
    }
    await run_scenario(server, "comment-mention", people, script=SCRIPT)


async def test_a_passage_put_back_by_an_undo_or_a_restore_is_highlighted_again(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {
        "writer": _token("u-wren", "Wren", "editor"),
        "reviewer": _token("u-rita", "Rita", "commenter"),
        "owner": _token("u-olga", "Olga", "admin"),
    }
    await run_scenario(server, "comment-revived", tokens, script=SCRIPT)


async def test_rich_text_a_reviewer_comments_and_the_writer_replies_and_resolves(
    make_server: Any, sqlite_url: str
) -> None:
    """On a rich document of some three screens: highlights that follow others' typing, a thread
    over two paragraphs, one whose passage is deleted, a commenter who cannot change the text, a
    viewer who opens a thread from its highlight."""
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {
        "writer": _token("u-wren", "Wren", "editor", RICH_ROOM),
        "reviewer": _token("u-rita", "Rita", "commenter", RICH_ROOM),
        "third": _token("u-theo", "Theo", "editor", RICH_ROOM),
        "viewer": _token("u-vic", "Vic", "viewer", RICH_ROOM),
    }
    await run_scenario(server, "rich-comment-thread", tokens, script=SCRIPT)


async def test_a_page_that_was_offline_shows_what_changed_meanwhile(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {
        "writer": _token("u-wren", "Wren", "editor"),
        "reviewer": _token("u-rita", "Rita", "commenter"),
        "third": _token("u-theo", "Theo", "editor"),
    }
    await run_scenario(server, "comment-offline", tokens, script=SCRIPT)


async def test_make_a_copy_takes_the_comments_when_asked(make_server: Any, sqlite_url: str) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    # The copy is named after its title: the writer may make and open it.
    grants = {ROOM: "admin", "reviewed-copy": "admin"}
    writer = issue_token(SECRET, user="u-wren", name="Wren", grants=grants, ttl_seconds=3600)
    await run_scenario(server, "comment-copy", {"writer": writer}, script=SCRIPT)
