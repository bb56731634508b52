"""History that tells the truth, live (issue 10, item 6): a name picked after connecting credits
the edits made from then on, and opted-in clients hear of versions and restores as they happen,
a restore after its update (docs/protocol.md, Events and Names in the history)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from collab.auth import issue_token
from collab.protocol.awareness import AwarenessEntry
from collab.rooms.presence import announced_name
from collab.types import MAX_NAME_CHARS, clean_name
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient

SECRET = "s" * 40


async def _settled(client: YClient) -> None:
    await client.wait_for(lambda: client.acked == client.sent_updates)


async def _save(http: httpx.AsyncClient, room: str, label: str, **kw: Any) -> dict[str, Any]:
    response = await http.post(f"/{room}/versions", json={"label": label}, **kw)
    assert response.status_code == 201, response.text
    return _as_sent(response.json())


def _as_sent(version: dict[str, Any]) -> dict[str, Any]:
    """A version as REST answers it, in the shape events carry it (without `agents`, which
    REST adds from the store)."""
    return {key: value for key, value in version.items() if key != "agents"}


def _events(client: YClient, kind: str) -> list[dict[str, Any]]:
    return [event for event, _ in client.events if event["type"] == kind]


async def _wait_event(client: YClient, kind: str) -> None:
    await client.wait_for(lambda: bool(_events(client, kind)))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada", "Ada"),
        ("  Ada \n\t Lovelace ", "Ada Lovelace"),
        ("A\x00d\x1ba\u202e", "Ada"),
        ("x" * 100, "x" * MAX_NAME_CHARS),
        ("   ", None),
        ("", None),
        (7, None),
        (None, None),
        ({"name": "Ada"}, None),
    ],
)
def test_names_are_cleaned_and_capped(raw: object, expected: str | None):
    assert clean_name(raw) == expected


def test_the_last_state_that_names_someone_wins():
    def entry(state: str) -> AwarenessEntry:
        return AwarenessEntry(1, 1, state)

    named = entry('{"user": {"name": " Ada ", "color": "#f00"}}')
    assert announced_name([named]) == "Ada"
    assert announced_name([entry('{"user": {"name": "Bo"}}'), named]) == "Ada"
    for other in ('{"user": {"name": 5}}', '{"user": "Bo"}', '{"cursor": 1}', "null", "[1]"):
        assert announced_name([named, entry(other)]) == "Ada", other
        assert announced_name([entry(other)]) is None, other


async def test_a_name_picked_while_connected_credits_the_edits_after_it(server: ServerProcess):
    async with (
        httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http,
        YClient(server.ws_url, "named", ack=True, name="Jolly Fox") as editor,
    ):
        await editor.synced.wait()
        editor.append("typed before the prompt. ")
        await _settled(editor)
        before = await _save(http, "named", "before")
        assert before["authors"] == ["Jolly Fox"]
        await editor.send_raw(editor.set_awareness(1, {"user": {"name": "Ada", "id": "u1"}}))
        editor.append("typed after picking a name. ")
        await _settled(editor)
        after = await _save(http, "named", "after")
        assert after["authors"] == ["Ada"]
        # A state without a usable name changes nothing: the last name stays.
        await editor.send_raw(editor.set_awareness(2, {"user": {"name": "  "}, "cursor": 3}))
        await editor.send_raw(editor.set_awareness(3, {"user": {"name": 42}}))
        editor.append("and more.")
        await _settled(editor)
        later = await _save(http, "named", "later")
        assert later["authors"] == ["Ada"]
        listed = (await http.get("/named/versions")).json()["items"]
        assert [v["authors"] for v in listed] == [["Ada"], ["Ada"], ["Jolly Fox"]]


async def test_a_token_that_names_the_person_keeps_its_name(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    named = issue_token(SECRET, user="u-1", name="Tok", grants={"*": "editor"}, ttl_seconds=60)
    nameless = issue_token(SECRET, user="u-2", name=None, grants={"*": "editor"}, ttl_seconds=60)
    admin = issue_token(SECRET, user="adm", name="Admin", grants={"*": "admin"}, ttl_seconds=60)
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        for token, room, expected in ((named, "fixed", "Tok"), (nameless, "free", "Ada")):
            async with YClient(server.ws_url, room, ack=True, token=token) as editor:
                await editor.synced.wait()
                await editor.send_raw(editor.set_awareness(1, {"user": {"name": "Ada"}}))
                editor.append("words")
                await _settled(editor)
                version = await _save(http, room, "v", headers=headers)
            assert version["authors"] == [expected], room


async def test_versions_and_restores_reach_opted_in_clients_after_the_restored_text(
    server: ServerProcess,
):
    async with (
        httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http,
        YClient(server.ws_url, "live", ack=True, events=True, name="Ada") as ada,
        YClient(server.ws_url, "live", events=True) as bo,
        YClient(server.ws_url, "live") as plain,
    ):
        for client in (ada, bo, plain):
            await client.synced.wait()
        ada.append("first draft")
        await _settled(ada)
        draft = await _save(http, "live", "First draft")
        for client in (ada, bo):
            await _wait_event(client, "version")
            assert _events(client, "version") == [
                {"type": "version", "created": True, "version": draft}
            ]
        del ada.content[0 : len(ada.content)]
        ada.append("rewritten")
        await _settled(ada)
        await bo.wait_text("rewritten")
        response = await http.post(
            f"/live/versions/{draft['id']}/restore", headers={"X-Collab-Author": "Ada"}
        )
        assert response.status_code == 200, response.text
        outcome = {
            key: _as_sent(value) if isinstance(value, dict) else value
            for key, value in response.json().items()
        }
        for client in (ada, bo):
            await _wait_event(client, "restore")
            kinds = [event["type"] for event, _ in client.events]
            assert kinds == ["version", "version", "version", "restore"], kinds
            restore, text_then = client.events[-1]
            assert text_then == "first draft"  # the restored text came first, on this socket
            assert restore == {
                "type": "restore",
                "author": "Ada",
                "changed": True,
                "source": draft,
                "version": outcome["restored"],
                "safety": outcome["safety"],
            }
            recorded = [event["version"] for event, _ in client.events[1:3]]
            assert recorded == [outcome["safety"], outcome["restored"]]
        # Whatever the plain client would have been sent comes before this later edit.
        ada.append("!")
        await plain.wait_text("first draft!")
        assert plain.events == [] and not plain.closed.is_set()
