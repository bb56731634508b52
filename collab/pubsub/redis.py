"""The Redis bus: pub/sub through redis.asyncio, one channel per room (SUBSCRIBE, never
PSUBSCRIBE, so no room name widens a pattern) and one for the cluster.

Redis pub/sub keeps nothing: a message published while a subscriber is away is lost, and
redis-py reconnects a killed subscription silently. Both are expected: every reconnect is
reported (the cluster then checks every live room against the database), and publishing drops
rather than waits when Redis is slow or down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection
from typing import Any

import redis.asyncio as redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from collab.pubsub.base import Deliver

log = logging.getLogger(__name__)

_PUBLISH_BATCH = 256
_FLUSH_ON_CLOSE = 1.0
# Longest a liveness write or read may take: a stalled Redis (CLIENT PAUSE) misses a beat, or
# answers "cannot tell", instead of holding the loop that asked.
_LIVENESS_WAIT = 2.0


class _ReportingPubSub(PubSub):
    """redis-py's PubSub, reporting each reconnect (on_connect runs on every connection but the
    first, which `start` makes)."""

    reconnected: Callable[[], None] | None = None

    async def on_connect(self, connection: Any) -> None:
        await super().on_connect(connection)
        if self.reconnected is not None:
            self.reconnected()


class RedisBus:
    """A Bus over one Redis server (or a Sentinel/Cluster proxy) at `url`."""

    def __init__(
        self, url: str, prefix: str = "collab", *, node_id: str = "", queue_size: int = 10_000
    ) -> None:
        # Named, so an operator sees whose connections these are (CLIENT LIST).
        name = f"{prefix}:{node_id}" if node_id else prefix
        self._client: redis.Redis = redis.Redis.from_url(
            url, client_name=name, socket_connect_timeout=5
        )
        self._prefix = prefix
        self._cluster_channel = f"{prefix}:cluster".encode()
        self._room_prefix = f"{prefix}:room:".encode()
        self._node_prefix = f"{prefix}:node:"
        self._queue: asyncio.Queue[tuple[bytes, bytes]] = asyncio.Queue(queue_size)
        self._pubsub: _ReportingPubSub | None = None
        self._rooms: set[str] = set()
        self._unsynced: set[str] = set()  # subscriptions to (re)send once Redis answers
        self._deliver: Deliver | None = None
        self._on_reconnect: Callable[[], None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = False
        self.dropped = 0
        self._publish_failing = False
        self.reconnects = 0

    def _channel(self, room: str | None) -> bytes:
        return self._cluster_channel if room is None else self._room_prefix + room.encode()

    async def start(self, deliver: Deliver, on_reconnect: Callable[[], None]) -> None:
        """Subscribe to the cluster channel and start reading and publishing. A Redis that
        does not answer yet is retried in the background (the cluster runs on the database)."""
        self._deliver, self._on_reconnect = deliver, on_reconnect
        self._pubsub = _ReportingPubSub(self._client.connection_pool)
        try:
            await self._pubsub.subscribe(self._cluster_channel)
            self.connected = True
        except (RedisError, OSError) as error:
            log.warning("Redis does not answer (%s); retrying in the background", error)
        self._pubsub.reconnected = self._reconnected
        self._tasks = [
            asyncio.create_task(self._read(), name="collab bus reader"),
            asyncio.create_task(self._publish_loop(), name="collab bus publisher"),
        ]

    def _reconnected(self) -> None:
        self.reconnects += 1
        self.connected = True
        log.warning("Redis subscription reconnected; checking every room against the database")
        if self._on_reconnect is not None:
            self._on_reconnect()

    async def subscribe(self, room: str) -> None:
        """Receive the room's channel (sent now, or as soon as Redis answers)."""
        self._rooms.add(room)
        await self._send_subscription(room)

    async def unsubscribe(self, room: str) -> None:
        """Stop receiving the room's channel."""
        self._rooms.discard(room)
        self._unsynced.discard(room)
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(self._channel(room))

    async def _send_subscription(self, room: str) -> None:
        if self._pubsub is None:
            self._unsynced.add(room)
            return
        try:
            await self._pubsub.subscribe(self._channel(room))
            self._unsynced.discard(room)
        except (RedisError, OSError):
            self._unsynced.add(room)

    def publish(self, room: str | None, payload: bytes) -> None:
        """Queue for sending; dropped (and counted) when the queue is full."""
        try:
            self._queue.put_nowait((self._channel(room), payload))
        except asyncio.QueueFull:
            self.dropped += 1

    async def heartbeat(self, node: str, ttl: float) -> None:
        """SET {prefix}:node:{node} with a TTL; a failure is logged and the beat missed."""
        try:
            key = self._node_prefix + node
            await asyncio.wait_for(self._client.set(key, b"1", px=int(ttl * 1000)), _LIVENESS_WAIT)
        except (RedisError, OSError, TimeoutError) as error:
            log.info("this node's liveness key could not be renewed (%s)", error)

    async def alive(self, nodes: Collection[str]) -> set[str] | None:
        """The nodes whose liveness key exists (one MGET); None if Redis does not answer."""
        names = list(nodes)
        if not names:
            return set()
        keys = [self._node_prefix + node for node in names]
        try:
            values = await asyncio.wait_for(self._client.mget(keys), _LIVENESS_WAIT)
        except (RedisError, OSError, TimeoutError) as error:
            log.info("other nodes' liveness could not be read (%s)", error)
            return None
        return {node for node, value in zip(names, values, strict=True) if value is not None}

    async def _publish_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _PUBLISH_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    for channel, payload in batch:
                        pipe.publish(channel, payload)
                    await pipe.execute()
                self._publish_failing = False
            except (RedisError, OSError) as error:
                # Lost, as the bus allows: the others' checks find the rows in the database.
                # `connected` follows the subscription, which notices an outage by itself.
                self.dropped += len(batch)
                if not self._publish_failing:
                    log.warning("publishing to Redis failed (%s); dropping until it works", error)
                self._publish_failing = True
                await asyncio.sleep(0.25)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _read(self) -> None:
        delay = 0.1
        while True:
            try:
                await self._retry_subscriptions()
                message = await self._next_message()
                delay = 0.1
            except (RedisError, OSError) as error:
                if self.connected:
                    log.warning("Redis subscription lost (%s); retrying", error)
                self.connected = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            if message is not None:
                self._dispatch(message)

    async def _retry_subscriptions(self) -> None:
        if self._pubsub is not None and not self._pubsub.subscribed:
            await self._pubsub.subscribe(self._cluster_channel)
            self._unsynced.update(self._rooms)
            self._reconnected()
        for room in list(self._unsynced):
            if room in self._rooms:
                await self._send_subscription(room)

    async def _next_message(self) -> dict[str, Any] | None:
        if self._pubsub is None:
            await asyncio.sleep(1.0)
            return None
        message: dict[str, Any] | None = await self._pubsub.get_message(
            ignore_subscribe_messages=True, timeout=1.0
        )
        return message

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel, data = message.get("channel"), message.get("data")
        if not isinstance(channel, bytes) or not isinstance(data, bytes):
            return
        room = None
        if channel != self._cluster_channel:
            if not channel.startswith(self._room_prefix):
                return
            room = channel[len(self._room_prefix) :].decode("utf-8", "replace")
        if self._deliver is not None:
            try:
                self._deliver(room, data)
            except Exception:  # one bad message never stops the reader (yhub#61)
                log.exception("a bus message for room %s could not be handled", room)

    async def close(self) -> None:
        """Give queued messages a moment to go, then stop and disconnect."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), _FLUSH_ON_CLOSE)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()
        with contextlib.suppress(RedisError, OSError):
            await self._client.aclose()
