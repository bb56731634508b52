"""The REST API for documents against a real server, with live WebSocket clients watching."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pycrdt import Assoc, Doc, Map, Text

from tests.server import ServerProcess
from tests.yclient import YClient

PROBLEM = "application/problem+json"


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as client:
        yield client


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


YJS_BODY = {"Content-Type": "application/octet-stream"}


def _assert_problem(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and fragment in body["detail"], body


async def _write(server: ServerProcess, room: str, text: str) -> YClient:
    client = YClient(server.ws_url, room, ack=True)
    await client.connect()
    client.append(text)
    await client.wait_for(lambda: client.acked == client.sent_updates == 2)
    return client


# -- documents -------------------------------------------------------------------------------


async def test_create_is_idempotent_and_metadata_reports_clients(http, server):
    first = await http.put("/rooms/plan")
    assert first.status_code == 201 and first.json()["name"] == "plan"
    again = await http.put("/rooms/plan")
    assert again.status_code == 200 and again.json()["created_at"] == first.json()["created_at"]
    client = await _write(server, "plan", "abc")
    meta = (await http.get("/rooms/plan")).json()
    assert meta["clients"] == 1 and meta["size_bytes"] > 0
    await client.close()


async def test_list_paginates_with_cursor_and_filters_by_prefix(http, server):
    for name in ["team-a", "team-b", "team-c", "other"]:
        await (await _write(server, name, name)).close()
    # Most recently changed first; two rooms written within one tick of the clock tie, and
    # then go by name: the pages must follow the one listing, whatever its order.
    listed = (await http.get("/rooms", params={"prefix": "team-"})).json()["items"]
    order = [r["name"] for r in listed]
    assert sorted(order) == ["team-a", "team-b", "team-c"]
    page = (await http.get("/rooms", params={"limit": 2, "prefix": "team-"})).json()
    assert [r["name"] for r in page["items"]] == order[:2]
    rest = (
        await http.get(
            "/rooms", params={"limit": 2, "prefix": "team-", "cursor": page["next_cursor"]}
        )
    ).json()
    assert [r["name"] for r in rest["items"]] == order[2:] and rest["next_cursor"] is None
    everything = (await http.get("/rooms")).json()["items"]
    assert {r["name"] for r in everything} == {"team-a", "team-b", "team-c", "other"}
    _assert_problem(await http.get("/rooms", params={"cursor": "!!"}), 422, "cursor")
    _assert_problem(await http.get("/rooms", params={"limit": 0}), 422, "limit")


async def test_recording_a_version_is_not_an_edit(any_server):
    """`updated_at` is the last edit: a version (here named; the same goes for the one taken
    when the last client leaves) leaves it, and so the listing's "edited" order, as it was."""
    async with httpx.AsyncClient(timeout=30, base_url=f"{any_server.http_url}/api") as http:
        client = await _write(any_server, "kept", "words")
        edited = (await http.get("/rooms/kept")).json()["updated_at"]
        version = await http.post("/rooms/kept/versions", json={"label": "Draft"})
        assert version.status_code == 201, version.text
        assert (await http.get("/rooms/kept")).json()["updated_at"] == edited
        client.append(" more")
        await client.wait_for(lambda: client.acked == client.sent_updates == 3)
        assert (await http.get("/rooms/kept")).json()["updated_at"] > edited
        await client.close()


async def test_delete_closes_clients_and_removes_everything(http, server):
    client = await _write(server, "doomed", "bye")
    response = await http.delete("/rooms/doomed")
    assert response.status_code == 204
    code, reason = await client.wait_closed()
    assert code == 4410 and "deleted" in reason
    _assert_problem(await http.get("/rooms/doomed"), 404, "does not exist")
    _assert_problem(await http.delete("/rooms/doomed"), 404, "does not exist")
    async with YClient(server.ws_url, "doomed") as fresh:
        await fresh.synced.wait()
        assert fresh.text == ""


async def test_copy_makes_an_independent_room(http, server):
    await (await _write(server, "source", "original")).close()
    response = await http.post("/rooms/source/copy", json={"to": "duplicate"})
    assert response.status_code == 201 and response.json()["name"] == "duplicate"
    assert (
        await http.get("/rooms/duplicate/snapshot", headers={"Accept": "text/plain"})
    ).text == "original"
    _assert_problem(await http.post("/rooms/source/copy", json={"to": "duplicate"}), 409, "exists")
    _assert_problem(await http.post("/rooms/source/copy", json={"to": ".bad"}), 422, "room name")


# -- snapshots -------------------------------------------------------------------------------


async def test_snapshot_formats(http, server):
    client = await _write(server, "formats", "hello")
    meta = client.doc.get("meta", type=Map)
    meta["title"] = "Greeting"
    await client.wait_for(lambda: client.acked == 3)
    text = await http.get("/rooms/formats/snapshot", headers={"Accept": "text/plain"})
    assert text.text == "hello" and text.headers["content-type"].startswith("text/plain")
    as_json = await http.get("/rooms/formats/snapshot", headers={"Accept": "application/json"})
    assert as_json.json() == {"content": "hello", "meta": {"title": "Greeting"}}
    binary = await http.get(
        "/rooms/formats/snapshot", headers={"Accept": "application/octet-stream"}
    )
    fresh: Doc[Any] = Doc()
    fresh.apply_update(binary.content)
    assert str(fresh.get("content", type=Text)) == "hello"
    assert (await http.get("/rooms/formats/snapshot", params={"format": "text"})).text == "hello"
    _assert_problem(
        await http.get("/rooms/formats/snapshot", headers={"Accept": "image/png"}),
        406,
        "text/plain",
    )
    await client.close()


async def test_etag_and_if_none_match(http, server):
    client = await _write(server, "etags", "one")
    first = await http.get("/rooms/etags/snapshot", headers={"Accept": "text/plain"})
    etag = first.headers["etag"]
    assert etag.startswith('"')
    cached = await http.get(
        "/rooms/etags/snapshot", headers={"Accept": "text/plain", "If-None-Match": etag}
    )
    assert cached.status_code == 304 and cached.content == b""
    other_format = await http.get("/rooms/etags/snapshot", headers={"Accept": "application/json"})
    assert other_format.headers["etag"] != etag
    client.append(" two")
    await client.wait_for(lambda: client.acked == 3)
    changed = await http.get(
        "/rooms/etags/snapshot", headers={"Accept": "text/plain", "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.text == "one two"
    await client.close()


async def test_since_returns_only_what_the_caller_lacks(http, server):
    client = await _write(server, "since", "base")
    follower: Doc[Any] = Doc()
    follower.apply_update(
        (await http.get("/rooms/since/snapshot", params={"format": "yjs"})).content
    )
    client.append(" and more")
    await client.wait_for(lambda: client.acked == 3)
    diff = await http.get("/rooms/since/snapshot", params={"since": _b64(follower.get_state())})
    assert diff.headers["content-type"] == "application/octet-stream"
    full = await http.get("/rooms/since/snapshot", params={"format": "yjs"})
    assert len(diff.content) < len(full.content)
    follower.apply_update(diff.content)
    assert str(follower.get("content", type=Text)) == "base and more"
    _assert_problem(
        await http.get("/rooms/since/snapshot", params={"since": "%%%"}), 422, "base64url"
    )
    _assert_problem(
        await http.get("/rooms/since/snapshot", params={"since": _b64(b"\x00"), "format": "text"}),
        422,
        "octet-stream",
    )
    await client.close()


async def test_snapshot_of_unloaded_room_does_not_load_it(http, server):
    await (await _write(server, "cold", "stored text")).close()
    await server.wait_health(rooms=0)
    loads = (await server.health())["room_loads"]
    assert (await http.get("/rooms/cold/snapshot", params={"format": "text"})).text == "stored text"
    health = await server.health()
    assert health["rooms"] == 0 and health["room_loads"] == loads


# -- edits -----------------------------------------------------------------------------------


async def test_posted_update_reaches_connected_client_live(http, server):
    watcher = await _write(server, "live", "start")
    remote: Doc[Any] = Doc()
    remote.apply_update((await http.get("/rooms/live/snapshot", params={"format": "yjs"})).content)
    before = remote.get_state()
    remote.get("content", type=Text).insert(5, " + http")
    update = remote.get_update(before)
    response = await http.post(
        "/rooms/live/updates", content=update, headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 200 and "state_vector" in response.json()
    await watcher.wait_text("start + http")
    await watcher.close()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [(b"\xff\xfe\xfd garbage", "not a valid"), (b"", "binary Yjs update")],
)
async def test_malformed_update_is_refused_and_changes_nothing(http, server, body, fragment):
    watcher = await _write(server, "guarded", "intact")
    before = (await http.get("/rooms/guarded/snapshot", params={"format": "yjs"})).content
    _assert_problem(
        await http.post("/rooms/guarded/updates", content=body, headers=YJS_BODY), 422, ""
    )
    assert (await http.get("/rooms/guarded/snapshot", params={"format": "yjs"})).content == before
    assert watcher.closed.is_set() is False
    await watcher.close()


async def test_truncated_update_is_refused(http, server):
    watcher = await _write(server, "trunc", "intact")
    doc: Doc[Any] = Doc()
    doc.get("content", type=Text).insert(0, "a longer insertion that will be cut")
    _assert_problem(
        await http.post("/rooms/trunc/updates", content=doc.get_update()[:-6], headers=YJS_BODY),
        422,
        "refused update",
    )
    assert (await http.get("/rooms/trunc/snapshot", params={"format": "text"})).text == "intact"
    await watcher.close()


async def test_huge_body_gets_413_and_unknown_room_404(http, server):
    _assert_problem(
        await http.post(
            "/rooms/any/updates", content=b"\x00" * (9 * 1024 * 1024), headers=YJS_BODY
        ),
        413,
        "limit",
    )
    doc: Doc[Any] = Doc()
    doc.get("content", type=Text).insert(0, "x")
    _assert_problem(
        await http.post("/rooms/nobody-here/updates", content=doc.get_update(), headers=YJS_BODY),
        404,
        "does not exist",
    )
    _assert_problem(await http.get("/rooms/nobody-here/snapshot"), 404, "does not exist")
    _assert_problem(
        await http.patch("/rooms/nobody-here/text", json={"text": "x"}), 404, "does not exist"
    )
    _assert_problem(await http.get("/nothing"), 404, "no endpoint")


async def test_text_ops_apply_in_order_and_bad_ops_change_nothing(http, server):
    watcher = await _write(server, "ops", "hello world")
    ops = [
        {"op": "delete", "index": 0, "length": 5},
        {"op": "insert", "index": 0, "text": "goodbye"},
    ]
    response = await http.patch("/rooms/ops/text", json={"ops": ops})
    assert response.status_code == 200
    await watcher.wait_text("goodbye world")
    bad = [{"op": "insert", "index": 0, "text": "X"}, {"op": "delete", "index": 50, "length": 1}]
    _assert_problem(await http.patch("/rooms/ops/text", json={"ops": bad}), 422, "outside the text")
    _assert_problem(
        await http.patch("/rooms/ops/text", json={"ops": [{"op": "move"}]}), 422, "index"
    )
    _assert_problem(
        await http.patch(
            "/rooms/ops/text", content=b"{", headers={"Content-Type": "application/json"}
        ),
        422,
        "JSON",
    )
    assert (
        await http.get("/rooms/ops/snapshot", params={"format": "text"})
    ).text == "goodbye world"
    await watcher.close()


async def test_full_replacement_is_a_minimal_diff_that_keeps_cursors(http, server):
    watcher = await _write(server, "diff", "The quick brown fox jumps over the lazy dog")
    cursor = watcher.content.sticky_index(watcher.text.index("jumps"), Assoc.AFTER)
    new_text = "The quick red fox jumps over the lazy cat"
    response = await http.patch("/rooms/diff/text", json={"text": new_text})
    assert response.status_code == 200
    await watcher.wait_text(new_text)
    assert cursor.get_index() == new_text.index("jumps")
    await watcher.close()


async def test_concurrent_http_and_websocket_edits_converge(http, server):
    watcher = await _write(server, "mixed", "|")

    async def typist() -> None:
        for i in range(30):
            watcher.append(f"w{i};")
            await asyncio.sleep(0.003)

    async def rest() -> None:
        for i in range(30):
            response = await http.patch(
                "/rooms/mixed/text", json={"ops": [{"op": "insert", "index": 0, "text": f"h{i};"}]}
            )
            assert response.status_code == 200

    await asyncio.gather(typist(), rest())
    await watcher.wait_for(lambda: watcher.text.count("h") == 30 and watcher.text.count("w") == 30)
    await watcher.wait_for(lambda: watcher.acked == watcher.sent_updates)
    served = (await http.get("/rooms/mixed/snapshot", params={"format": "text"})).text
    assert served == watcher.text
    await watcher.close()


async def test_text_positions_count_characters_not_bytes(http, server):
    # pycrdt counts UTF-8 bytes; the API counts characters, as Python and JSON do.
    watcher = await _write(server, "unicode", "héllo wörld 😀 end")
    ops = [
        {"op": "delete", "index": 6, "length": 5},
        {"op": "insert", "index": 6, "text": "wörld ☃"},
        {"op": "insert", "index": 15, "text": "!"},
    ]
    response = await http.patch("/rooms/unicode/text", json={"ops": ops})
    assert response.status_code == 200, response.text
    await watcher.wait_text("héllo wörld ☃ 😀! end")
    for new_text in ["héllo world 😀😀 end", "😀 héllo", ""]:
        response = await http.patch("/rooms/unicode/text", json={"text": new_text})
        assert response.status_code == 200, response.text
        await watcher.wait_text(new_text)
    watcher.append("ça va 😀")
    await watcher.wait_for(lambda: watcher.acked == watcher.sent_updates)
    too_far = [{"op": "delete", "index": 0, "length": 8}]  # 7 characters, 10 bytes
    _assert_problem(
        await http.patch("/rooms/unicode/text", json={"ops": too_far}), 422, "outside the text"
    )
    # JSON may carry a lone surrogate ("\ud800"), which UTF-8 and so the document cannot.
    bodies = ['{"ops": [{"op": "insert", "index": 0, "text": "x\\ud800"}]}', '{"text": "\\udfff"}']
    for body in bodies:
        response = await http.patch(
            "/rooms/unicode/text", content=body, headers={"Content-Type": "application/json"}
        )
        _assert_problem(response, 422, "surrogate")
    await watcher.close()
    await server.restart()
    served = await http.get("/rooms/unicode/snapshot", params={"format": "text"})
    assert served.text == "ça va 😀"


async def test_http_edits_respect_the_document_size_limit(make_server, sqlite_url):
    server = make_server(sqlite_url, COLLAB_MAX_DOCUMENT_BYTES="3000")
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as http:
        assert (await http.put("/rooms/small")).status_code in (200, 201)
        assert (await http.patch("/rooms/small/text", json={"text": "a" * 1500})).status_code == 200
        grow = [{"op": "insert", "index": 0, "text": "b" * 1600}]
        _assert_problem(await http.patch("/rooms/small/text", json={"ops": grow}), 413, "exceed")
        _assert_problem(
            await http.patch("/rooms/small/text", json={"text": "c" * 3100}), 413, "exceed"
        )
        served = await http.get("/rooms/small/snapshot", params={"format": "text"})
        assert served.text == "a" * 1500


async def test_non_ascii_digits_in_query_parameters_are_refused(http, server):
    for limit in ("²", "١٢", "-1", "1e3"):
        _assert_problem(await http.get("/rooms", params={"limit": limit}), 422, "limit")


async def test_etag_changes_when_text_is_only_deleted(http, server):
    # A deletion leaves the state vector as it was; the ETag must change all the same.
    assert (await http.put("/rooms/shrink")).status_code in (200, 201)
    assert (await http.patch("/rooms/shrink/text", json={"text": "hello world"})).status_code == 200
    first = await http.get("/rooms/shrink/snapshot", params={"format": "text"})
    etag = first.headers["etag"]
    vector = first.headers["x-state-vector"]
    cut = [{"op": "delete", "index": 0, "length": 6}]
    assert (await http.patch("/rooms/shrink/text", json={"ops": cut})).status_code == 200
    again = await http.get(
        "/rooms/shrink/snapshot", params={"format": "text"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 200 and again.text == "world"
    assert again.headers["etag"] != etag and again.headers["x-state-vector"] == vector


async def test_hostile_numbers_and_json_get_422_not_500(http, server):
    await (await _write(server, "hostile", "x")).close()
    huge = "9" * 5000
    for path, params in (
        ("/rooms", {"limit": huge}),
        ("/rooms/hostile/versions", {"limit": huge}),
        (f"/rooms/hostile/versions/{huge}", {}),
        ("/rooms/hostile/snapshot", {"version": huge}),
    ):
        response = await http.get(path, params=params)
        assert response.status_code == 422, (path, response.status_code, response.text[:200])
    deep = "[" * 100_000 + "]" * 100_000
    for method, path in (("PATCH", "/rooms/hostile/text"), ("POST", "/rooms/hostile/copy")):
        response = await http.request(
            method, path, content=deep, headers={"Content-Type": "application/json"}
        )
        _assert_problem(response, 422, "JSON")
    deep_cursor = _b64(b"[" * 5_000)
    _assert_problem(await http.get("/rooms", params={"cursor": deep_cursor}), 422, "cursor")


async def test_accept_with_q_zero_refuses_that_type(http, server):
    await (await _write(server, "negotiate", "plain words")).close()
    refused_json = await http.get(
        "/rooms/negotiate/snapshot", headers={"Accept": "application/json;q=0, */*"}
    )
    assert refused_json.status_code == 200
    assert refused_json.headers["content-type"].startswith("text/plain")
    only_refusals = await http.get(
        "/rooms/negotiate/snapshot", headers={"Accept": "*/*;q=0, text/plain;q=0"}
    )
    _assert_problem(only_refusals, 406, "can produce only")


async def test_an_http_edit_relays_only_its_own_change(http, server):
    """The update an HTTP edit broadcasts and stores is that edit's transaction, not the
    document's state since a vector (which would carry the whole delete set every time)."""
    watcher = await _write(server, "deletions", "x" * 400)
    for i in range(0, 390, 2):  # 195 separate deletions: a delete set of many ranges
        watcher.content.__delitem__(slice(i // 2 + 1, i // 2 + 2))
    await watcher.wait_for(lambda: watcher.acked == watcher.sent_updates)
    before = len(watcher.received_updates)
    response = await http.patch(
        "/rooms/deletions/text", json={"ops": [{"op": "insert", "index": 0, "text": "Y"}]}
    )
    assert response.status_code == 200
    await watcher.wait_for(lambda: len(watcher.received_updates) > before)
    relayed = watcher.received_updates[-1]
    whole = watcher.doc.get_update(watcher.doc.get_state())  # the delete set alone
    assert len(whole) > 300 and len(relayed) < 60, (len(whole), len(relayed))
    assert watcher.text.startswith("Yx")
