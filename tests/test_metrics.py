"""GET /metrics from a real server: values move with real traffic; no room names; auth."""

from __future__ import annotations

import asyncio
import secrets

import httpx
from prometheus_client.parser import text_string_to_metric_families

from collab.auth import issue_token
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient

ROOM = "metrics-room-zq7"


async def scrape(server: ServerProcess, token: str | None = None) -> dict[tuple[str, str], float]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{server.http_url}/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert ROOM not in response.text
    values: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[(sample.name, labels)] = sample.value
    return values


async def test_metrics_move_with_traffic(server: ServerProcess) -> None:
    before = await scrape(server)
    assert before[("collab_build_info", _build_labels(before))] == 1
    assert before[("collab_connections", "role=admin")] == 0
    async with YClient(server.ws_url, ROOM, ack=True) as one, YClient(server.ws_url, ROOM) as two:
        await one.wait_for(lambda: one.acked >= 1)
        one.append("hello")
        await two.wait_text("hello")
        await one.send_raw(one.set_awareness(1, {"user": {"name": "Ann"}}))
        await one.wait_for(lambda: one.acked >= 2)
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                f"{server.http_url}/api/rooms/{ROOM}/versions", json={"label": "v1"}
            )
            assert response.status_code == 201
            # The same state again: the version that holds it answers, and none is counted.
            again = await client.post(
                f"{server.http_url}/api/rooms/{ROOM}/versions", json={"label": "v1 again"}
            )
            assert again.is_success and again.json()["id"] == response.json()["id"]
        during = await scrape(server)
        assert during[("collab_connections", "role=admin")] == 2  # development: everyone admin
        assert during[("collab_rooms_loaded", "")] == 1
        assert during[("collab_awareness_states", "")] == 1
    await server.wait_health(connections=0)
    after = await scrape(server)
    assert after[("collab_connections", "role=admin")] == 0
    assert after[("collab_connection_closes_total", "code=1000")] == 2
    for name in ("collab_messages_received_total", "collab_received_bytes_total"):
        assert after[(name, "type=update")] > 0
        assert after[(name, "type=sync_step1")] >= 2
        assert after[(name, "type=awareness")] >= 1
    for name in ("collab_messages_sent_total", "collab_sent_bytes_total"):
        assert after[(name, "type=update")] > 0  # the edit, broadcast to the other client
        assert after[(name, "type=ack")] >= 2
        assert after[(name, "type=awareness")] >= 1
    assert after[("collab_messages_received_total", "type=awareness")] == 1
    assert after[("collab_room_loads_total", "result=ok")] == 1
    assert after[("collab_room_load_seconds_count", "")] == 1
    assert after[("collab_commit_seconds_count", "")] >= 2
    assert after[("collab_commit_batch_size_sum", "")] >= 2
    assert after[("collab_ack_seconds_count", "")] >= 2
    assert after[("collab_versions_total", "kind=named")] == 1
    assert after[("collab_writer_queue_depth", "")] == 0
    assert after[("collab_commit_retries_total", "")] == 0
    assert after[("collab_event_loop_lag_seconds_count", "")] >= 0
    assert ("collab_slow_consumer_drops_total", "") in after
    assert ("collab_rate_limited_connections_total", "") in after
    assert ("collab_compactions_total", "") in after


async def test_edits_are_appended_on_the_fast_path(any_server: ServerProcess) -> None:
    """Every acknowledged edit moves the count of appends committed on the event loop on a
    SQLite file (the server's default, synchronous NORMAL, and nothing else writing), and the
    one-statement append's on PostgreSQL (so this fails the day that path stops being taken);
    the other database's stay at 0."""
    sqlite = any_server.database_url.startswith("sqlite")
    fast = "path=event_loop" if sqlite else "path=one_statement"
    counts = []
    async with YClient(any_server.ws_url, ROOM, ack=True) as client:
        await client.synced.wait()
        for word in ("one", " two", " three"):
            client.append(word)
            await client.wait_for(lambda: client.acked == client.sent_updates)
            counts.append(await scrape(any_server))
    # On SQLite an append that finds the write lock taken (the server's own upkeep) goes to
    # collab's SQLite thread instead (one_trip): counted with the loop's, which must move.
    along = ["path=one_trip"] if sqlite else []
    moved = [
        sum(values[("collab_store_appends_total", p)] for p in [fast, *along]) for values in counts
    ]
    assert 0 < moved[0] < moved[1] < moved[2], moved
    # Nothing else writes meanwhile (the room was created before the client synced; versions,
    # compactions and leases come much later), so the loop's path took them.
    assert counts[-1][("collab_store_appends_total", fast)] > 0
    others = ["path=one_statement"] if sqlite else ["path=event_loop", "path=one_trip"]
    assert {values[("collab_store_appends_total", o)] for values in counts for o in others} == {0}


def _build_labels(values: dict[tuple[str, str], float]) -> str:
    return next(labels for name, labels in values if name == "collab_build_info")


async def test_event_loop_lag_is_sampled(server: ServerProcess) -> None:
    async with asyncio.timeout(10):
        while (await scrape(server))[("collab_event_loop_lag_seconds_count", "")] < 2:
            await asyncio.sleep(0.2)


async def test_metrics_need_a_token_with_a_secret(
    make_server: ServerFactory, sqlite_url: str
) -> None:
    secret = secrets.token_urlsafe(32)
    server = make_server(sqlite_url, COLLAB_SECRET=secret, COLLAB_METRICS_TOKEN="scrape-me")
    await server.start()
    url = f"{server.http_url}/metrics"
    editor = issue_token(secret, user="ed", grants={ROOM: "editor"}, ttl_seconds=60, name=None)
    room_admin = issue_token(secret, user="ra", grants={ROOM: "admin"}, ttl_seconds=60, name=None)
    admin = issue_token(secret, user="ad", grants={"*": "admin"}, ttl_seconds=60, name=None)
    async with httpx.AsyncClient(timeout=30) as client:
        assert (await client.get(url)).status_code == 401
        wrong = {"authorization": "Bearer scrape-me-not"}
        assert (await client.get(url, headers=wrong)).status_code == 401
        for token in (editor, room_admin):
            response = await client.get(url, headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 403
    assert ("collab_rooms_loaded", "") in await scrape(server, "scrape-me")
    assert ("collab_rooms_loaded", "") in await scrape(server, admin)
