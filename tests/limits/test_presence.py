"""Presence cannot make a room unjoinable, and nobody can take over another person's presence."""

from __future__ import annotations

import json
from functools import partial

from collab.auth import issue_token
from collab.protocol.awareness import AwarenessEntry, encode_awareness_entries
from collab.protocol.messages import encode_awareness
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.test_metrics import scrape
from tests.yclient import YClient

SECRET = "presence-test-secret-0123456789abcdef"


def _shows(client: YClient, client_id: int, state: object) -> bool:
    return bool(json.loads(client.awareness.get(client_id, "null")) == state)


def _holds_states(client: YClient, count: int) -> bool:
    return len(client.awareness) == count


def _entries(*entries: tuple[int, int, object]) -> bytes:
    return encode_awareness(
        encode_awareness_entries([AwarenessEntry(c, k, json.dumps(s)) for c, k, s in entries])
    )


def _lacks(client: YClient, client_id: int) -> bool:
    return client_id not in client.awareness


async def _old_tab(
    server: ServerProcess, room: str, token: str, client_id: int, watcher: YClient
) -> YClient:
    """A connection of the person `token` names, showing "Ada (old tab)" under `client_id` once
    `watcher` sees it: the socket a reconnecting provider leaves behind (abort it to end it)."""
    stale = YClient(server.ws_url, room, token=token, client_id=client_id)
    await stale.connect()
    await stale.send_raw(stale.set_awareness(1, {"user": {"name": "Ada (old tab)"}}))
    await watcher.wait_for(lambda: "old tab" in watcher.awareness.get(client_id, ""))
    return stale


async def _come_and_go(url: str, room: str, client_id: int, *watchers: YClient) -> None:
    """A client announces itself as Cy (clock 1), leaves once every watcher has its state, and
    is gone for every watcher when this returns."""
    leaver = YClient(url, room, client_id=client_id)
    await leaver.connect()
    state = {"user": {"name": "Cy"}}
    await leaver.send_raw(leaver.set_awareness(1, state))
    for watcher in watchers:
        await watcher.wait_for(partial(_shows, watcher, client_id, state))
    await leaver.close()
    for watcher in watchers:
        await watcher.wait_for(partial(_lacks, watcher, client_id))


async def test_ids_and_bytes_are_capped_per_connection_and_per_room(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(
        sqlite_url,
        COLLAB_AWARENESS_IDS_PER_CONNECTION="3",
        COLLAB_AWARENESS_BYTES_PER_ROOM="20000",
    )
    await server.start()
    async with YClient(server.ws_url, "capped") as watcher, YClient(server.ws_url, "capped") as hog:
        await hog.send_raw(_entries(*((1000 + i, 1, {"n": i}) for i in range(20))))
        await watcher.wait_for(lambda: len(watcher.awareness) == 3)
        big = {"pad": "x" * 9000}
        async with YClient(server.ws_url, "capped") as other:
            await other.send_raw(_entries((2000, 1, big), (2001, 1, big), (2002, 1, big)))
            await watcher.wait_for(lambda: 2001 in watcher.awareness)
            await other.send_raw(_entries((2003, 1, {"small": True})))
            await watcher.wait_for(lambda: 2003 in watcher.awareness)
            assert 2002 not in watcher.awareness  # the room's bytes were spent
        health = await server.health()
        assert health["awareness_dropped"] >= 17 + 1
        # The dropped ones did not make the room unjoinable, and what was kept reaches newcomers.
        async with YClient(server.ws_url, "capped") as newcomer:
            await newcomer.wait_for(lambda: {1000, 1001, 1002} <= set(newcomer.awareness))
            assert not newcomer.closed.is_set()


async def test_a_connection_cannot_change_or_remove_another_connections_presence(
    server: ServerProcess,
):
    async with (
        YClient(server.ws_url, "mine") as alice,
        YClient(server.ws_url, "mine") as mallory,
        YClient(server.ws_url, "mine") as bob,
    ):
        own = alice.doc.client_id
        await alice.send_raw(alice.set_awareness(1, {"user": {"name": "Alice"}}))
        await bob.wait_for(lambda: "Alice" in bob.awareness.get(own, ""))
        await mallory.send_raw(_entries((own, 50, {"user": {"name": "Mallory"}})))
        await mallory.send_raw(_entries((own, 60, None)))  # and try to erase her
        await mallory.send_raw(mallory.set_awareness(1, {"user": {"name": "M"}}))
        await bob.wait_for(lambda: mallory.doc.client_id in bob.awareness)
        assert "Alice" in bob.awareness[own]
        await alice.send_raw(alice.set_awareness(2, {"user": {"name": "Alice 2"}}))
        await bob.wait_for(lambda: "Alice 2" in bob.awareness.get(own, ""))
        assert (await server.health())["awareness_dropped"] >= 2


async def test_the_same_person_takes_over_their_own_id_after_a_silent_disconnect(
    make_server: ServerFactory, sqlite_url: str
):
    """y-websocket keeps its client id across reconnects; if the old socket died unnoticed,
    the same authenticated user may replace that presence (nobody else can)."""
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada = issue_token(SECRET, user="ada", name="Ada", grants={"*": "editor"}, ttl_seconds=600)
    eve = issue_token(SECRET, user="eve", name="Eve", grants={"*": "editor"}, ttl_seconds=600)
    async with YClient(server.ws_url, "back", token=ada) as watcher:
        stale = await _old_tab(server, "back", ada, 4242, watcher)
        async with YClient(server.ws_url, "back", token=eve) as intruder:
            await intruder.send_raw(_entries((4242, 9, {"user": {"name": "Eve"}})))
            async with YClient(server.ws_url, "back", token=ada, client_id=4242) as again:
                await again.send_raw(again.set_awareness(2, {"user": {"name": "Ada"}}))
                await watcher.wait_for(lambda: '"Ada"' in watcher.awareness.get(4242, ""))
                assert "Eve" not in watcher.awareness[4242]
                stale.abort()


async def test_a_client_back_after_a_leave_is_seen_though_others_echoed_its_removal(
    server: ServerProcess,
):
    """Stock clients send back every awareness change they receive, removals included, and a
    leaver's removal comes back after the server has forgotten its id. That echo took the id
    for the echoing connection, so the leaver coming back with the same id (y-websocket keeps
    it across reconnects) had its presence refused for as long as the echoer stayed."""
    async with (
        YClient(server.ws_url, "back-again") as ada,
        YClient(server.ws_url, "back-again") as bo,
    ):
        await _come_and_go(server.ws_url, "back-again", 4343, ada, bo)
        frames_before = ada.awareness_frames
        removal_clock = bo.awareness_clocks[4343]
        assert removal_clock == 1  # the clock it had, as y-websocket's own server removes
        await bo.send_raw(_entries((4343, removal_clock, None)))  # y-protocols' echo
        # Bo's next change is read after the echo: once Ada has it, the echo was handled.
        await bo.send_raw(bo.set_awareness(1, {"user": {"name": "Bo"}}))
        await ada.wait_for(lambda: "Bo" in ada.awareness.get(bo.doc.client_id, ""))
        assert ada.awareness_frames - frames_before == 1  # the echo was not relayed again
        async with YClient(server.ws_url, "back-again", client_id=4343) as back:
            await back.send_raw(back.set_awareness(removal_clock + 1, {"user": {"name": "Cy"}}))
            await ada.wait_for(lambda: "Cy" in ada.awareness.get(4343, ""))
        assert (await server.health())["awareness_dropped"] == 0


async def test_a_leavers_last_change_echoed_after_it_left_is_not_shown_to_newcomers(
    server: ServerProcess,
):
    """A client that leaves while its last change is on its way to the others gets that change
    echoed back after the server forgot its id: taken as the echoer's, it was a state of
    someone gone shown to everyone who joined later, for as long as the echoer stayed."""
    async with (
        YClient(server.ws_url, "ghost") as ada,
        YClient(server.ws_url, "ghost") as bo,
    ):
        await _come_and_go(server.ws_url, "ghost", 4444, ada, bo)
        await bo.send_raw(_entries((4444, 1, {"user": {"name": "Cy"}})))  # the late echo
        await bo.send_raw(bo.set_awareness(1, {"user": {"name": "Bo"}}))
        await ada.wait_for(lambda: "Bo" in ada.awareness.get(bo.doc.client_id, ""))
        assert 4444 not in ada.awareness
        async with YClient(server.ws_url, "ghost") as newcomer:
            await newcomer.wait_for(lambda: bo.doc.client_id in newcomer.awareness)
            assert 4444 not in newcomer.awareness, newcomer.awareness


async def test_the_same_persons_removal_after_taking_over_their_id_is_relayed(
    make_server: ServerFactory, sqlite_url: str
):
    """The same person's new connection takes over their id from an old one the server has
    not noticed is dead, with a removal as its first word (a tab closed at once): the removal
    goes to the others like any."""
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada = issue_token(SECRET, user="ada", name="Ada", grants={"*": "editor"}, ttl_seconds=600)
    async with YClient(server.ws_url, "taken-over", token=ada) as watcher:
        stale = await _old_tab(server, "taken-over", ada, 4545, watcher)
        async with YClient(server.ws_url, "taken-over", token=ada, client_id=4545) as again:
            await again.send_raw(again.set_awareness(2, None))
            await watcher.wait_for(lambda: 4545 not in watcher.awareness)
            assert watcher.awareness_clocks[4545] == 2
        stale.abort()
        assert (await server.health())["awareness_dropped"] == 0


async def test_a_newcomers_first_messages_are_written_at_once_past_the_queue_limit(
    make_server: ServerFactory, sqlite_url: str
):
    """The handshake's frames (SyncStep1, then everyone's presence) are written straight to a
    new socket, which takes them: the send queue's byte limit, meant for peers that fell
    behind, never refuses a newcomer (before, 48 KB of presence over a 30 KB queue closed
    every newcomer with 1013)."""
    server = make_server(
        sqlite_url,
        COLLAB_SEND_QUEUE_BYTES="30000",
        COLLAB_AWARENESS_BYTES_PER_CONNECTION="200000",
    )
    await server.start()
    async with YClient(server.ws_url, "crowded") as host:
        pad = {"pad": "x" * 12000}
        for index in range(4):  # one at a time: each echo fits the host's queue
            await host.send_raw(_entries((3000 + index, 1, pad)))
            await host.wait_for(partial(_holds_states, host, index + 1))
        async with YClient(server.ws_url, "crowded") as newcomer:
            await newcomer.wait_for(partial(_holds_states, newcomer, 4))
            await newcomer.synced.wait()
            assert not newcomer.closed.is_set() and not host.closed.is_set()


async def test_echoed_states_cost_nothing_so_a_busy_room_keeps_everyone_s_own_updates(
    make_server: ServerFactory, sqlite_url: str
):
    """Stock y-websocket clients send every awareness change they receive back to the server.
    Those echoes (another connection's client, at a known clock) are dropped before parsing and
    are not charged to the sender's awareness allowance: its own cursor moves still go out."""
    server = make_server(sqlite_url, COLLAB_AWARENESS_PER_SECOND="5")
    await server.start()
    async with (
        YClient(server.ws_url, "busy-room") as ada,
        YClient(server.ws_url, "busy-room") as bo,
    ):
        await ada.send_raw(ada.set_awareness(1, {"user": {"name": "Ada"}}))
        await bo.wait_for(lambda: ada.doc.client_id in bo.awareness)
        echo = _entries((ada.doc.client_id, 1, {"user": {"name": "Ada"}}))
        for _ in range(200):  # forty times Bo's allowance of 5 per second (burst 10)
            await bo.send_raw(echo)
        for clock in range(1, 4):
            state = {"user": {"name": "Bo"}, "cursor": clock}
            await bo.send_raw(bo.set_awareness(clock, state))
            await ada.wait_for(partial(_shows, ada, bo.doc.client_id, state))
        assert (await server.health())["awareness_dropped"] == 0  # echoes are not drops


async def test_a_stock_client_echoing_a_room_of_more_than_64_people_stays_connected(
    make_server: ServerFactory, sqlite_url: str
):
    """A newcomer gets everyone's presence in one message, and y-websocket sends all of it
    back at once: that echo is not a flood (it used to close the newcomer with 1007 in rooms of
    more than 64 people). More than 64 entries that are news in one message still are."""
    server = make_server(sqlite_url)
    await server.start()
    hosts = [YClient(server.ws_url, "crowd") for _ in range(9)]
    for index, host in enumerate(hosts):  # 9 connections holding 8 ids each: 72 people
        await host.connect()
        states = [
            (10_000 + 8 * index + k, 1, {"user": {"name": f"u{index}.{k}"}}) for k in range(8)
        ]
        await host.send_raw(_entries(*states))
    async with YClient(server.ws_url, "crowd") as newcomer:
        await newcomer.wait_for(partial(_holds_states, newcomer, 72))
        echo = _entries(*((cid, 1, json.loads(s)) for cid, s in newcomer.awareness.items()))
        await newcomer.send_raw(echo)
        await newcomer.send_raw(newcomer.set_awareness(1, {"user": {"name": "new"}}))
        await hosts[0].wait_for(lambda: newcomer.doc.client_id in hosts[0].awareness)
        assert not newcomer.closed.is_set()
        flood = _entries(*((50_000 + k, 1, {"n": k}) for k in range(65)))
        await newcomer.send_raw(flood)
        code, reason = await newcomer.wait_closed()
        assert "65 entries that are not echoes" in reason, (code, reason)
    for host in hosts:
        await host.close()


async def test_echoes_dropped_as_they_are_read_are_still_counted_and_held_to_the_allowance(
    make_server: ServerFactory, sqlite_url: str
):
    """Echoes are dropped as soon as the server reads them, before they reach the room; they
    still count in /metrics and against the message allowance: a client sending nothing but
    echoes, faster than it may, is throttled like any other, and its own change arrives
    after them."""
    server = make_server(
        sqlite_url, COLLAB_RATE_MESSAGES_PER_SECOND="20", COLLAB_RATE_MESSAGE_BURST="10"
    )
    await server.start()
    async with (
        YClient(server.ws_url, "echo-read") as ada,
        YClient(server.ws_url, "echo-read") as bo,
    ):
        await ada.send_raw(ada.set_awareness(1, {"user": {"name": "Ada"}}))
        await bo.wait_for(lambda: ada.doc.client_id in bo.awareness)
        before = await scrape(server)
        echo = _entries((ada.doc.client_id, 1, {"user": {"name": "Ada"}}))
        for _ in range(40):
            await bo.send_raw(echo)
        state = {"user": {"name": "Bo"}}
        await bo.send_raw(bo.set_awareness(1, state))
        await ada.wait_for(partial(_shows, ada, bo.doc.client_id, state))
        after = await scrape(server)
    received = ("collab_messages_received_total", "type=awareness")
    assert after[received] - before[received] == 41
    pauses = ("collab_throttle_pauses_total", "")
    assert after[pauses] - before.get(pauses, 0) >= 1
    assert (await server.health())["awareness_dropped"] == 0
