"""Presence across processes: what a client on one process announces is seen on every other,
changes and leaves with it however it leaves, reaches newcomers on any process, and goes when its
process stops (Bye) or dies (its liveness mark lapses). Real processes, Redis and PostgreSQL;
the fake nodes below speak the bus's wire format straight to Redis."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis

from collab.auth import issue_token
from collab.protocol.awareness import AwarenessEntry, decode_awareness, encode_awareness_entries
from collab.pubsub import wire
from collab.rooms.cluster.remote_presence import NodeLiveness
from collab.rooms.presence import Presence, PresenceLimits
from tests.cluster.conftest import ClusterFactory
from tests.cluster.test_fanout import kill_pubsub_connections
from tests.server import ServerProcess
from tests.yclient import YClient

SECRET = "presence-cluster-secret-0123456789abcdef"
# Short enough for a test of a few seconds: marks live 1.5 s (renewed every 0.5 s), checked
# every 0.5 s, so a dead node's presence goes within about 2.5 s of its death.
FAST_LIVENESS = {"COLLAB_PRESENCE_NODE_TTL": "1.5", "COLLAB_PRESENCE_CHECK_INTERVAL": "0.5"}


def state_of(client: YClient, other: YClient) -> object:
    """What `client` holds of `other`'s presence (None: nothing)."""
    raw = client.awareness.get(other.doc.client_id)
    return None if raw is None else json.loads(raw)


async def shows(client: YClient, other: YClient, state: object, timeout: float = 10.0) -> None:
    """Wait until `client` holds `state` for `other` (None: until it holds nothing)."""
    try:
        await client.wait_for(lambda: state_of(client, other) == state, timeout)
    except TimeoutError:
        raise AssertionError(
            f"client sees {state_of(client, other)!r} for {other.doc.client_id}, not {state!r}"
        ) from None


async def joined(server: ServerProcess, room: str) -> YClient:
    client = YClient(server.ws_url, room)
    await client.connect()
    await client.synced.wait()
    return client


async def test_presence_reaches_every_process_changes_and_goes_however_its_client_leaves(
    start_cluster: ClusterFactory,
):
    servers = await start_cluster(3)
    ada, bob, cy = [await joined(server, "lobby") for server in servers]
    await ada.send_raw(ada.set_awareness(1, {"user": {"name": "Ada"}}))
    await shows(bob, ada, {"user": {"name": "Ada"}})
    await shows(cy, ada, {"user": {"name": "Ada"}})
    await ada.send_raw(ada.set_awareness(2, {"user": {"name": "Ada"}, "cursor": 7}))
    await shows(bob, ada, {"user": {"name": "Ada"}, "cursor": 7})
    await shows(cy, ada, {"user": {"name": "Ada"}, "cursor": 7})
    await ada.close()  # a clean close: no null state from the client itself
    await shows(bob, ada, None)
    await shows(cy, ada, None)

    dan = await joined(servers[0], "lobby")
    await dan.send_raw(dan.set_awareness(1, {"user": {"name": "Dan"}}))
    await shows(cy, dan, {"user": {"name": "Dan"}})
    dan.abort()  # the socket dies without a close handshake
    await shows(bob, dan, None)
    await shows(cy, dan, None)
    await bob.close()
    await cy.close()


async def test_a_newcomer_on_any_process_gets_every_present_user(start_cluster: ClusterFactory):
    first, second, third = await start_cluster(3)
    ada, bob = await joined(first, "crowd"), await joined(second, "crowd")
    await ada.send_raw(ada.set_awareness(1, {"user": {"name": "Ada"}}))
    await bob.send_raw(bob.set_awareness(1, {"user": {"name": "Bob"}}))
    await shows(bob, ada, {"user": {"name": "Ada"}})
    await shows(ada, bob, {"user": {"name": "Bob"}})
    # The third process never had the room: it loads it, asks, and the others answer.
    cy = await joined(third, "crowd")
    await shows(cy, ada, {"user": {"name": "Ada"}})
    await shows(cy, bob, {"user": {"name": "Bob"}})
    # A newcomer where the room is live gets the other processes' presence on joining.
    dan = await joined(second, "crowd")
    await shows(dan, ada, {"user": {"name": "Ada"}})
    await shows(dan, bob, {"user": {"name": "Bob"}})
    for client in (ada, bob, cy, dan):
        await client.close()


async def test_the_presence_of_a_killed_process_goes_once_its_liveness_mark_lapses(
    start_cluster: ClusterFactory,
):
    doomed, survivor = await start_cluster(2, **FAST_LIVENESS)
    ada, bob = await joined(doomed, "wake"), await joined(survivor, "wake")
    await ada.send_raw(ada.set_awareness(1, {"user": {"name": "Ada"}}))
    await shows(bob, ada, {"user": {"name": "Ada"}})
    await doomed.kill()  # SIGKILL: no Bye, no removal
    # TTL 1.5 s + two checks 0.5 s apart, with room for a slow machine; entries would
    # otherwise stay for their 30 s timeout.
    await shows(bob, ada, None, timeout=8.0)
    presence = (await survivor.health())["cluster"]["presence"]
    assert presence == {"remote_entries": 0, "nodes_dead": 1, "expired": 0}
    await bob.close()


async def test_a_stopping_process_says_bye_and_its_presence_goes_at_once(
    start_cluster: ClusterFactory, redis_url: str, bus_prefix: str
):
    stopping, staying = await start_cluster(2)  # liveness at its defaults: 15 s, 5 s
    ada, bob = await joined(stopping, "farewell"), await joined(staying, "farewell")
    await ada.send_raw(ada.set_awareness(1, {"user": {"name": "Ada"}}))
    await shows(bob, ada, {"user": {"name": "Ada"}})
    node = (await stopping.health())["cluster"]["node"]
    async with cluster_channel(redis_url, bus_prefix) as heard:
        assert await stopping.stop() in (0, -15)  # SIGTERM: a graceful stop (uvicorn re-raises)
        await shows(bob, ada, None, timeout=10.0)  # its liveness mark lives on for 15 s
        await asyncio.wait_for(wait_for_message(heard, wire.Bye(node)), 5.0)
    await bob.close()


async def test_bye_drops_a_nodes_presence_at_once(
    start_cluster: ClusterFactory, redis_url: str, bus_prefix: str
):
    (server,) = await start_cluster(1, **FAST_LIVENESS)
    async with fake_node(redis_url, bus_prefix) as ghost:
        watcher = await joined(server, "haunted")
        await ghost.say(wire.Presence("haunted", ghost.node, entries((77, 1, {"g": 1})), (None,)))
        await watcher.wait_for(lambda: 77 in watcher.awareness)
        await ghost.say(wire.Bye(ghost.node))
        # The ghost stays alive and its entry would stay for 30 s (the presence timeout).
        await watcher.wait_for(lambda: 77 not in watcher.awareness, timeout=10.0)
        await watcher.close()


async def test_entries_another_process_stops_renewing_expire(
    start_cluster: ClusterFactory, redis_url: str, bus_prefix: str
):
    # Entries expire 3 s after their last renewal; renewed every 0.75 s, this one stays.
    (server,) = await start_cluster(1, COLLAB_PRESENCE_TIMEOUT="3", **FAST_LIVENESS)
    async with fake_node(redis_url, bus_prefix) as ghost:  # alive throughout
        watcher = await joined(server, "stale")
        await ghost.say(wire.Presence("stale", ghost.node, entries((88, 1, {"g": 1})), (None,)))
        await watcher.wait_for(lambda: 88 in watcher.awareness)
        for clock in (2, 3, 4, 5):  # renewed (a newer clock, as y-protocols clients do): stays
            await asyncio.sleep(0.75)
            await ghost.say(
                wire.Presence("stale", ghost.node, entries((88, clock, {"g": 1})), (None,))
            )
        await asyncio.sleep(0.75)
        assert 88 in watcher.awareness  # 3.75 s after it came: past the timeout but renewed
        await watcher.wait_for(lambda: 88 not in watcher.awareness, timeout=10.0)
        await watcher.close()


async def test_only_the_same_person_takes_over_their_id_from_another_process(
    start_cluster: ClusterFactory, redis_url: str, bus_prefix: str
):
    """Alice's client id 55 is held by another process (her old socket there died unnoticed):
    Mallory cannot take it over here; Alice, reconnecting here with a newer clock, can, and
    this process then speaks for her id, saying whose it is."""
    (server,) = await start_cluster(1, COLLAB_SECRET=SECRET)
    server_node = (await server.health())["cluster"]["node"]
    token = {
        who: issue_token(SECRET, user=who, name=who, grants={"*": "editor"}, ttl_seconds=600)
        for who in ("alice", "mallory", "watcher")
    }
    async with (
        fake_node(redis_url, bus_prefix) as ghost,
        cluster_channel(redis_url, bus_prefix, "owned") as heard,
    ):
        watcher = YClient(server.ws_url, "owned", token=token["watcher"])
        await watcher.connect()
        await watcher.synced.wait()
        old = entries((55, 1, {"user": {"name": "Alice (old)"}}))
        await ghost.say(wire.Presence("owned", ghost.node, old, ("alice",)))
        await watcher.wait_for(lambda: 55 in watcher.awareness)
        async with YClient(server.ws_url, "owned", token=token["mallory"], client_id=55) as mallory:
            await mallory.send_raw(mallory.set_awareness(9, {"user": {"name": "Mallory"}}))
            await mallory.send_raw(mallory.set_awareness(10, None))
            await mallory.send_raw(mallory.set_awareness(11, {"user": {"name": "Mallory"}}))
            async with YClient(server.ws_url, "owned", token=token["alice"], client_id=55) as alice:
                await alice.send_raw(alice.set_awareness(2, {"user": {"name": "Alice"}}))
                await watcher.wait_for(lambda: '"Alice"' in watcher.awareness.get(55, ""))
                published = await asyncio.wait_for(presence_of(heard, server_node, 55), 5.0)
                assert published == ('{"user": {"name": "Alice"}}', "alice")
                assert "Mallory" not in watcher.awareness[55]
        await watcher.close()


async def test_a_process_whose_subscription_was_lost_sends_its_presence_again_and_asks(
    start_cluster: ClusterFactory, redis_url: str, bus_prefix: str
):
    """What was published while a subscription was down is lost: on reconnecting, a process
    sends its own presence again and asks the others for theirs."""
    (server,) = await start_cluster(1)
    node = (await server.health())["cluster"]["node"]
    async with cluster_channel(redis_url, bus_prefix, "flaky") as heard:
        ada = await joined(server, "flaky")  # its load asks (heard before the first send)
        await ada.send_raw(ada.set_awareness(1, {"user": {"name": "Ada"}}))
        await asyncio.wait_for(presence_of(heard, node, ada.doc.client_id), 5.0)
        assert await kill_pubsub_connections(redis_url, bus_prefix) >= 1
        query = wire.PresenceQuery("flaky", node)
        heard_query, states = False, list[str]()
        async with asyncio.timeout(5.0):
            while not (heard_query and states):
                message = await next_message(heard)
                heard_query = heard_query or message == query
                if isinstance(message, wire.Presence) and message.node == node:
                    states += [e.state_json for e in decode_awareness(message.payload)]
        assert [json.loads(state) for state in states] == [{"user": {"name": "Ada"}}]
        await ada.close()


async def test_a_burst_of_presence_changes_goes_out_coalesced_the_latest_last(
    start_cluster: ClusterFactory, redis_url: str, bus_prefix: str
):
    """At most one message per room per 50 ms, holding each client's latest entry: a cursor
    moving fast costs the others a few messages, not one per move."""
    (server,) = await start_cluster(1, COLLAB_AWARENESS_PER_SECOND="1000")
    node = (await server.health())["cluster"]["node"]
    async with cluster_channel(redis_url, bus_prefix, "busy") as heard:
        ada = await joined(server, "busy")
        for clock in range(1, 201):
            await ada.send_raw(ada.set_awareness(clock, {"cursor": clock}))
        await ada.wait_for(lambda: ada.awareness.get(ada.doc.client_id) == '{"cursor": 200}')
        clocks: list[int] = []
        async with asyncio.timeout(5.0):
            while 200 not in clocks:
                message = await next_message(heard)
                if isinstance(message, wire.Presence) and message.node == node:
                    clocks += [e.clock for e in decode_awareness(message.payload)]
        assert clocks[-1] == 200 and len(clocks) <= 10, clocks
        await ada.close()


# -- the rules, without processes ------------------------------------------------------------


def entry(client_id: int, clock: int, state: object) -> AwarenessEntry:
    return AwarenessEntry(client_id, clock, json.dumps(state))


def test_another_processes_entries_follow_the_clock_and_only_it_removes_them():
    presence = Presence(PresenceLimits(ids_per_room=3))
    assert presence.apply_remote("a", [(entry(1, 1, {"n": 1}), None)], 0.0) == [
        entry(1, 1, {"n": 1})
    ]
    assert presence.apply_remote("a", [(entry(1, 1, {"n": 1}), None)], 5.0) == []  # resent: renews
    assert presence.apply_remote("a", [(entry(1, 0, {"n": 0}), None)], 5.0) == []  # older
    assert presence.apply_remote("b", [(entry(1, 9, None), None)], 5.0) == []  # not b's to remove
    assert presence.apply_remote("b", [(entry(1, 9, {"n": 9}), None)], 5.0) == []  # nor to take
    assert presence.expire(before=4.0) == []  # renewed at 5.0
    assert presence.apply_remote("a", [(entry(1, 2, None), None)], 6.0) == [entry(1, 2, None)]
    assert presence.remote_nodes() == set()  # the removal freed the id
    assert presence.apply_remote("b", [(entry(1, 3, {"n": 3}), None)], 6.0) == [
        entry(1, 3, {"n": 3})
    ]
    # The room's cap counts every process's ids: a connection here gets what is left.
    presence.apply_remote("b", [(entry(2, 1, {}), None)], 6.0)
    assert presence.apply(7, [entry(3, 1, {}), entry(4, 1, {})]) == [entry(3, 1, {})]
    assert presence.apply_remote("c", [(entry(5, 1, {}), None)], 6.0) == []  # the room is full
    assert presence.dropped == 3
    # Removed at the clocks they had, as y-websocket's server removes a departed client.
    assert presence.remove_node("b") == [entry(1, 3, None), entry(2, 1, None)]
    assert presence.states() == [entry(3, 1, {})]
    assert presence.local_states() == [(entry(3, 1, {}), None)]


def test_a_process_is_taken_for_dead_after_two_missed_checks_never_just_after_connecting():
    liveness = NodeLiveness(ttl=15.0, now=0.0)
    assert liveness.verdict({"a"}, set(), now=5.0) == set()  # within a TTL of starting
    assert liveness.verdict({"a"}, set(), now=10.0) == set()
    assert liveness.verdict({"a"}, set(), now=16.0) == set()  # missing once
    assert liveness.verdict({"a"}, {"a"}, now=21.0) == set()  # back: the count starts over
    assert liveness.verdict({"a"}, set(), now=26.0) == set()
    assert liveness.verdict({"a"}, set(), now=31.0) == {"a"}
    assert liveness.verdict({"b"}, set(), now=36.0) == set()
    liveness.reconnected(now=37.0)  # every mark may be gone (a Redis restart)
    assert liveness.verdict({"b"}, set(), now=41.0) == set()
    assert liveness.verdict({"b"}, set(), now=46.0) == set()
    assert liveness.verdict({"b"}, None, now=53.0) == set()  # the bus cannot tell
    assert liveness.verdict({"b"}, set(), now=58.0) == set()  # answering again: as a reconnect
    assert liveness.verdict({"b"}, set(), now=74.0) == set()
    assert liveness.verdict({"b"}, set(), now=79.0) == {"b"}


# -- a fake node: publishes to this test's cluster on Redis, its liveness mark kept ----------


def entries(*items: tuple[int, int, object]) -> bytes:
    return encode_awareness_entries([AwarenessEntry(c, k, json.dumps(s)) for c, k, s in items])


class FakeNode:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.node = uuid.uuid4().hex
        self._client = client
        self._prefix = prefix

    async def say(self, message: wire.BusMessage) -> None:
        room = getattr(message, "room", None)
        channel = f"{self._prefix}:cluster" if room is None else f"{self._prefix}:room:{room}"
        await self._client.publish(channel, wire.encode(message))

    async def keep_alive(self) -> None:
        while True:
            await self._client.set(f"{self._prefix}:node:{self.node}", b"1", px=60_000)
            await asyncio.sleep(1.0)


@asynccontextmanager
async def fake_node(redis_url: str, prefix: str) -> AsyncIterator[FakeNode]:
    client = redis.Redis.from_url(redis_url)
    node = FakeNode(client, prefix)
    beating = asyncio.create_task(node.keep_alive())
    try:
        yield node
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
        await client.aclose()


@asynccontextmanager
async def cluster_channel(
    redis_url: str, prefix: str, room: str | None = None
) -> AsyncIterator[redis.client.PubSub]:
    """Listen to the cluster's channel (or a room's) on Redis."""
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(f"{prefix}:cluster" if room is None else f"{prefix}:room:{room}")
    try:
        yield pubsub
    finally:
        await pubsub.aclose()
        await client.aclose()


async def next_message(pubsub: redis.client.PubSub) -> wire.BusMessage:
    """The next message on the channels `pubsub` listens to."""
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if message is not None:
            return wire.decode(message["data"])


async def presence_of(
    pubsub: redis.client.PubSub, node: str, client_id: int
) -> tuple[str, str | None]:
    """The first state (and its person) `node` publishes for `client_id`."""
    while True:
        message = await next_message(pubsub)
        if isinstance(message, wire.Presence) and message.node == node:
            found = decode_awareness(message.payload)
            for entry, principal in zip(found, message.principals, strict=True):
                if entry.client_id == client_id and not entry.removed:
                    return entry.state_json, principal


async def wait_for_message(pubsub: redis.client.PubSub, expected: wire.BusMessage) -> None:
    while await next_message(pubsub) != expected:
        pass
