"""One WebSocket client: read loop, bounded send queue, and the close code it ends with."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Protocol, TypeVar

from starlette.websockets import WebSocket, WebSocketState

from collab.config import Settings, from_setting, view_of
from collab.content.crdt import CONTROL_FLOW
from collab.errors import (
    CollabError,
    MessageTooBig,
    SlowConsumer,
    SustainedFlood,
    UnsupportedData,
)
from collab.limits import SendBudget, TokenBucket
from collab.metrics import Metrics
from collab.protocol.messages import Message, SyncStep1, SyncStep2, Update, decode_message
from collab.rooms.room import Room
from collab.types import PeerOrigin

log = logging.getLogger(__name__)

M = TypeVar("M")

_YIELD_EVERY = 8
# A throttled connection that gets this long a break from throttling starts a new streak.
_FLOOD_GAP = 5.0
# How long closing a slow consumer may wait for its socket before the transport is aborted.
_SLOW_CLOSE_WAIT = 1.0
# How often bytes still in the transport's buffer are checked while nothing else is queued.
_FLUSH_CHECK = 0.1


class TransportControl(Protocol):
    """What `collab serve` exposes of a WebSocket's transport (absent under other servers)."""

    def buffered(self) -> int:
        """Bytes written and not yet handed to the kernel."""
        ...

    def watch_flush(self, callback: Callable[[int, int], None] | None) -> None:
        """Call `callback(written, left)` after each write of what `send_now` held: the bytes
        given to the transport, and what it holds of all it was given since (the kernel did
        not take). None: stop."""
        ...

    def screen(self, drop: Callable[[bytes], bool] | None) -> None:
        """Offer each binary message read to `drop` before it is queued for the app; one it
        returns True for is gone (None: stop)."""
        ...

    def abort(self) -> None:
        """Close at once, dropping what is buffered."""
        ...

    def closing(self) -> bool:
        """True once the connection is closing or closed."""
        ...

    def send_now(self, data: bytes, head: bytes = b"") -> bool:
        """Write one binary message, `head` then `data`, at the end of this event-loop turn,
        with the others this peer is sent in it; False when it cannot be written this way
        (handshake or close under way, or the kernel refused some of what was written: the
        peer is not reading), and the frame must take the ASGI path."""
        ...


class Inbound(Protocol[M]):
    """Where a connection's read loop hands the frames it reads: a room (`RoomInbound`, the
    y-websocket protocol of /ws) or a multiplexing protocol in front of several rooms."""

    def decode(self, frame: bytes) -> M:
        """The message a frame holds; raise a CollabError for one that is malformed."""
        ...

    def state_work(self, message: M) -> Sequence[TokenBucket]:
        """The full-state allowances `message` must wait for (empty: it costs none)."""
        ...

    async def handle(self, message: M) -> None:
        """Act on one message; a CollabError raised closes the connection."""
        ...

    def only_echoes(self, frame: bytes) -> bool:
        """Whether `frame` may be dropped as soon as it is read (an awareness echo); asked
        last, so True drops it (an inbound that counts its own traffic counts it then)."""
        ...


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Per-connection limits: a view of the settings, which hold their defaults and meaning."""

    max_message_bytes: int = from_setting("max_message_bytes")
    send_queue_size: int = from_setting("send_queue_size")
    send_queue_bytes: int = from_setting("send_queue_bytes")
    messages_per_second: float = from_setting("rate_messages_per_second")
    message_burst: int = from_setting("rate_message_burst")
    bytes_per_second: float = from_setting("rate_bytes_per_second")
    byte_burst: int = from_setting("rate_byte_burst")
    awareness_per_second: float = from_setting("awareness_per_second")
    rate_close_after: float = from_setting("rate_close_after")
    state_bytes_per_second: float = from_setting("state_bytes_per_second")
    state_byte_burst: int = from_setting("state_byte_burst")

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        """The limits `settings` configures (made once per settings object: every connection
        asks, and settings are frozen)."""
        last = _LAST_LIMITS.get(cls)
        if last is not None and last[0] is settings:
            return last[1]
        limits = view_of(cls, settings)
        _LAST_LIMITS[cls] = (settings, limits)
        return limits


_LAST_LIMITS: dict[type[ConnectionLimits], tuple[Settings, ConnectionLimits]] = {}


class Connection:
    """A peer of a room over a Starlette WebSocket. Implements rooms.peer.Peer."""

    # Slots: thousands of these live at once, and a __dict__ would cost each about 2 KiB.
    __slots__ = (
        "_awareness",
        "_budget",
        "_bytes",
        "_can_write",
        "_closed",
        "_drained",
        "_failure",
        "_finish_waiters",
        "_finished",
        "_flood_since",
        "_last_throttle",
        "_limits",
        "_live_name",
        "_max_message_bytes",
        "_messages",
        "_metrics",
        "_next",
        "_origin",
        "_queue",
        "_queued_bytes",
        "_reader",
        "_reading",
        "_released",
        "_sender",
        "_sending",
        "_settle_timer",
        "_state_buckets",
        "_traffic",
        "_transport",
        "_unflushed",
        "_wants_ack",
        "_wants_echo",
        "_wants_events",
        "expires_at",
        "role",
        "throttled",
        "websocket",
    )

    def __init__(
        self,
        websocket: WebSocket,
        origin: PeerOrigin,
        *,
        wants_ack: bool,
        wants_events: bool = False,
        wants_echo: bool = False,
        live_name: bool = False,
        can_write: bool = True,
        limits: ConnectionLimits | None = None,
        budget: SendBudget | None = None,
        shared_state_buckets: Sequence[TokenBucket] = (),
        transport: TransportControl | None = None,
        metrics: Metrics | None = None,
        count_traffic: bool = True,
    ) -> None:
        self.websocket = websocket
        self._metrics = metrics
        # False when what is sent and read is counted by message elsewhere (a multiplexed
        # socket counts each document's y-websocket frames, not its own framing).
        self._traffic = metrics if count_traffic else None
        # The role it was admitted with (labels /metrics); the endpoint sets it.
        self.role = "editor" if can_write else "viewer"
        self._origin = origin
        self._wants_ack = wants_ack
        self._wants_events = wants_events
        self._wants_echo = wants_echo
        self._live_name = live_name
        self._can_write = can_write
        self._limits = limits or ConnectionLimits.from_settings(Settings())
        self._max_message_bytes = self._limits.max_message_bytes
        self._messages = TokenBucket(self._limits.messages_per_second, self._limits.message_burst)
        self._bytes = TokenBucket(self._limits.bytes_per_second, self._limits.byte_burst)
        self._awareness = TokenBucket(
            self._limits.awareness_per_second, self._limits.awareness_per_second * 2
        )
        # Full-state work (encoding the document for this peer): its own allowance, and those it
        # shares with every connection of its user and its address.
        own = TokenBucket(self._limits.state_bytes_per_second, self._limits.state_byte_burst)
        self._state_buckets = (own, *shared_state_buckets)
        self._flood_since: float | None = None
        self._last_throttle = 0.0
        self.throttled = 0
        # Made at the first frame that has to queue (most connections never need one).
        self._queue: asyncio.Queue[bytes] | None = None
        self._queued_bytes = 0
        self._budget = budget or SendBudget(1 << 62)
        self._released = False
        self._transport = transport
        if transport is not None:
            transport.watch_flush(self._direct_flushed)
        self._next: asyncio.Future[Any] | None = None  # an event read while throttled
        # Bytes handed to the transport that it may still hold (a peer that stopped reading).
        self._unflushed = 0
        # A frame taken from the queue is being sent: later frames queue behind it.
        self._sending = False
        self._settle_timer: asyncio.TimerHandle | None = None
        # Started at the first frame that has to queue: a peer that keeps up never needs one;
        # never after the connection drained (what is queued then is not sent).
        self._sender: asyncio.Task[None] | None = None
        self._drained = False
        self._failure: CollabError | None = None
        self._reader: asyncio.Task[None] | None = None
        self._reading = False
        self._closed = False
        self.expires_at: float | None = None
        # Whether the connection is done, and who waits for it (no asyncio.Event: its deque
        # is most of a kilobyte on every connection, and only a shutdown waits).
        self._finished = False
        self._finish_waiters: list[asyncio.Future[None]] = []

    @property
    def origin(self) -> PeerOrigin:
        """Identity of this connection's updates."""
        return self._origin

    @property
    def wants_ack(self) -> bool:
        """Whether the client asked for DURABLE acknowledgements (?ack=1)."""
        return self._wants_ack

    @property
    def wants_events(self) -> bool:
        """Whether the client asked for EVENT messages (?events=1)."""
        return self._wants_events

    @property
    def wants_echo(self) -> bool:
        """Whether the client asked for its own updates back once committed (?echo=1)."""
        return self._wants_echo

    @property
    def can_write(self) -> bool:
        """False for viewers."""
        return self._can_write

    def rename(self, name: str) -> None:
        """Attribute this connection's next updates to `name` (a name its awareness state
        announced), unless its name is fixed (the token names the person). Updates received
        before keep the origin they were received with."""
        if self._live_name and name != self._origin.user:
            log.debug("connection %d is now %r", self._origin.connection_id, name)
            self._origin = replace(self._origin, user=name)

    def allow_awareness(self) -> bool:
        """Spend one awareness message from this connection's allowance."""
        return self._awareness.take()

    @property
    def queued_bytes(self) -> int:
        """Bytes waiting in the send queue."""
        return self._queued_bytes

    @property
    def failure(self) -> CollabError | None:
        """The error this connection was closed for, if any."""
        return self._failure

    def send(self, frame: bytes, head: bytes = b"") -> None:
        """Queue a frame, `head` then `frame` (a Hocuspocus document's name before a room's
        frame: written apart, a long frame is not copied for it); a full queue means the client
        fell behind and is dropped. Past the process-wide send budget, the connections holding
        the most are dropped until it fits."""
        if self._failure is not None:
            return
        if self._traffic is not None:
            if head:  # one message on the wire, counted as sent
                frame, head = head + frame, b""
            self._traffic.sent(frame)
        if self._send_directly(frame, head):
            return
        if head:
            frame = head + frame
        size = len(frame)
        if self._queued_bytes and self._queued_bytes + size > self._limits.send_queue_bytes:
            self.fail(SlowConsumer(f"client fell {self._queued_bytes} bytes behind"))
            return
        if self._queue is None:
            self._queue = asyncio.Queue(self._limits.send_queue_size)
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.fail(SlowConsumer(f"client fell {self._queue.maxsize} messages behind"))
            return
        self._queued_bytes += size
        if self._sender is None and not self._drained:
            self._sender = asyncio.create_task(self._send_loop(), name="collab sender")
        self._budget.add(self, size)
        self._keep_to_budget()

    def _keep_to_budget(self) -> None:
        """Past the process-wide send budget, drop the connections holding the most."""
        while self._budget.over():
            victim = self._budget.largest(besides=self)
            if not isinstance(victim, Connection):
                break
            self._budget.dropped += 1
            victim.evict()

    def _send_directly(self, frame: bytes, head: bytes) -> bool:
        """The fast path of a peer that keeps up: nothing queued or being sent and nothing
        backed up in the transport, so the frame is handed to the transport now, without a
        queue or a task hop (the handshake's frames too, before the read loop starts; never
        once the connection drained). The send budget counts what the kernel has not taken of
        it once the turn's writes are done (`_direct_flushed`)."""
        transport = self._transport
        return (
            transport is not None
            and not self._sending
            and not self._drained
            and self._nothing_queued()
            and transport.send_now(frame, head)
        )

    def _direct_flushed(self, written: int, left: int) -> None:
        """The transport wrote the `written` bytes `_send_directly` gave it this turn, and holds
        `left` bytes the kernel did not take: the send budget counts those, watched until the
        kernel takes them. For a peer that keeps up there are none, and the budget is not
        touched (once per peer per frame, that was an addition and a release for every peer of
        a broadcast)."""
        unflushed = min(self._unflushed + written, left)
        change, self._unflushed = unflushed - self._unflushed, unflushed
        if not change and not unflushed:  # the kernel took everything, as it had before
            return
        if change > 0 and not self._released:
            self._budget.add(self, change)
        elif change < 0 and not self._released:
            self._budget.release(self, -change)
        if unflushed:
            self._watch_flush()
            self._keep_to_budget()

    def _watch_flush(self) -> None:
        """Release from the budget, later, what the transport still held after a direct write
        (the sender task waits on the queue and does not look while nothing is queued)."""
        if self._settle_timer is not None:
            return

        def check() -> None:
            self._settle_timer = None
            self._settle()
            if self._unflushed and not self._released and self._nothing_queued():
                self._watch_flush()

        self._settle_timer = asyncio.get_running_loop().call_later(_FLUSH_CHECK, check)

    def evict(self) -> None:
        """Drop this connection to bring the process back under its send budget: its queue is
        dropped and its transport aborted at once (what the transport buffers is the memory the
        budget protects; a close frame could not get past it anyway)."""
        self.fail(SlowConsumer("the server's send buffers are full and this client held the most"))
        self._drop_queued()  # also when it had failed already for another reason
        if self._transport is not None:
            self._transport.abort()

    def charge_state_work(self, size: int) -> None:
        """Count `size` bytes of full-state work against this peer's allowances (its own, its
        user's and its address's); its next message waits until they are out of debt."""
        for bucket in self._state_buckets:
            bucket.charge(size)

    def failed_with(self, error: BaseException) -> None:
        """Close for an error raised while handling what the client sent (by the read loop, or
        by work it handed on): a CollabError with its own code, anything else, logged, as an
        internal error."""
        if isinstance(error, CollabError):
            self.fail(error)
            return
        log.error("connection %d failed", self._origin.connection_id, exc_info=error)
        self.fail(CollabError("internal error"))

    def fail(self, error: CollabError) -> None:
        """Stop reading and close with the error's code once the read loop unwinds. A slow
        consumer's queued frames are dropped at once (they are what holds the memory)."""
        if self._failure is None:
            self._failure = error
            if isinstance(error, SlowConsumer):
                if self._metrics is not None:
                    self._metrics.slow_consumer_drops.inc()
                self._drop_queued()
            if self._reading and self._reader is not asyncio.current_task():
                # Only the read loop is interrupted: draining and closing must run to the end.
                assert self._reader is not None
                self._reader.cancel()

    def _nothing_queued(self) -> bool:
        return self._queue is None or self._queue.empty()

    def _drop_queued(self) -> None:
        while self._queue is not None and not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
        self._queued_bytes = 0
        self._budget.release(self, self._budget.held(self))
        self._released = True

    @property
    def state_buckets(self) -> tuple[TokenBucket, ...]:
        """This connection's full-state allowances: its own, its user's and its address's."""
        return self._state_buckets

    async def serve(self, room: Room) -> None:
        """Pump messages between the socket and the room until either side ends."""
        await self.serve_inbound(RoomInbound(self, room))

    async def serve_inbound(self, inbound: Inbound[Any]) -> None:
        """Read frames into `inbound` (sending what is queued meanwhile) until either side
        ends, then close."""
        self._reader = asyncio.current_task()
        self._reading = True
        if self._transport is not None:
            self._transport.screen(partial(self._drop_echo, inbound))
        try:
            if self._failure is None:  # the handshake itself may have failed (queue overflow)
                await self._read_loop(inbound)
        except asyncio.CancelledError:
            if self._failure is None:
                raise
        except BaseException as error:
            if isinstance(error, CONTROL_FLOW):
                raise
            self.failed_with(error)
        finally:
            self._reading = False
            if self._transport is not None:
                self._transport.screen(None)
            await self._drain()
        await self.close()
        if self._settle_timer is not None:
            self._settle_timer.cancel()
        self._budget.release(self, self._budget.held(self))
        self._released = True
        if self._transport is not None:
            self._transport.watch_flush(None)
        self._finished = True
        for waiter in self._finish_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._finish_waiters.clear()

    async def wait_finished(self) -> None:
        """Wait until the connection is done: closed, its queue drained or dropped."""
        if not self._finished:
            waiter = asyncio.get_running_loop().create_future()
            self._finish_waiters.append(waiter)
            await waiter

    async def _drain(self) -> None:
        """Let queued frames (acknowledgements above all) go out before the close frame, briefly;
        a slow consumer gets nothing more."""
        self._drained = True
        sender = self._sender
        if sender is None or self._queue is None:
            return
        if not isinstance(self._failure, SlowConsumer) and not sender.done():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._queue.join()
        sender.cancel()
        with contextlib.suppress(BaseException):
            await sender

    async def _read_loop(self, inbound: Inbound[Any]) -> None:
        handled = 0
        try:
            while self._failure is None:
                handled += 1
                if handled % _YIELD_EVERY == 0:
                    # A receive from a full buffer does not yield; let other connections run.
                    await asyncio.sleep(0)
                event = await (self._next or self.websocket.receive())
                self._next = None
                if event["type"] == "websocket.disconnect":
                    return
                frame = event.get("bytes")
                if frame is None:
                    raise UnsupportedData("text frames are not part of the protocol; send binary")
                if len(frame) > self._max_message_bytes:
                    raise MessageTooBig(
                        f"message of {len(frame)} bytes exceeds {self._max_message_bytes}"
                    )
                if self._traffic is not None:
                    self._traffic.received(frame)
                message = inbound.decode(frame)
                if not await self._throttle(len(frame), inbound.state_work(message)):
                    return
                await inbound.handle(message)
        finally:
            if self._next is not None:
                self._next.cancel()

    def _drop_echo(self, inbound: Inbound[Any], message: bytes) -> bool:
        """Drop, as soon as it is read, an awareness message that only echoes others' states
        back (a stock client sends back everything it receives: in a room of n people, n - 1
        copies of each change), sparing it the trip through the app; it is counted, and charged
        to the allowances like any message. Only while the connection is within them and not
        paused: otherwise it queues like any message, and the read loop throttles."""
        size = len(message)
        if (
            self._failure is not None
            or self._next is not None
            or size > self._max_message_bytes
            or not self._messages.ready(1)
            or not self._bytes.ready(size)
            or not inbound.only_echoes(message)  # last: True drops it
        ):
            return False
        self._messages.spend(1)
        self._bytes.spend(size)
        if self._traffic is not None:
            self._traffic.received(message)
        return True

    async def _throttle(self, size: int, state_work: Sequence[TokenBucket]) -> bool:
        """Flow control instead of disconnects: over its message or byte allowance (or, for a
        request of full-state work, its full-state allowance), the connection is not read until
        the allowance refills (TCP then holds the client back); edits are never held back by
        the full-state allowance. Meanwhile one more event is read, so that a client leaving
        is noticed (False). Only a client throttled without a break for `rate_close_after`
        seconds is closed, with 1013, which stock clients retry."""
        if not state_work and self._messages.ready(1) and self._bytes.ready(size):
            # The usual case, in two looks at the clock: within both allowances.
            self._messages.spend(1)
            self._bytes.spend(size)
            return True
        # Checked again after each pause: others sharing an allowance may have spent it.
        while (delay := self._delay(size, state_work)) > 0:
            now = time.monotonic()
            if self._flood_since is None or now - self._last_throttle > _FLOOD_GAP:
                self._flood_since = now
            if now - self._flood_since > self._limits.rate_close_after:
                raise SustainedFlood("sent faster than allowed for too long; reconnect later")
            self.throttled += 1
            if self._metrics is not None:
                self._metrics.throttle_pauses.inc()
                if self.throttled == 1:
                    self._metrics.rate_limited.inc()
            if not await self._pause(delay):
                return False
            self._last_throttle = time.monotonic()
        # `_delay` just brought both buckets up to date.
        self._messages.spend(1)
        self._bytes.spend(size)
        return True

    def _delay(self, size: int, state_work: Sequence[TokenBucket]) -> float:
        state = [bucket.delay(0) for bucket in state_work]
        return max(self._messages.delay(1), self._bytes.delay(size), *state)

    async def _pause(self, delay: float) -> bool:
        """Wait `delay` seconds without reading more than one event ahead; False if the client
        left meanwhile (its disconnect is read, or its transport is seen closing)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        if self._next is None:
            self._next = asyncio.ensure_future(self.websocket.receive())
        await asyncio.wait({self._next}, timeout=delay)
        if self._next.done():
            if self._next.exception() is not None:
                return False  # the socket broke while we waited
            if self._next.result()["type"] == "websocket.disconnect":
                return False
        while (left := deadline - loop.time()) > 0:
            await asyncio.sleep(min(left, _FLUSH_CHECK * 5))
            if self._transport is not None and self._transport.closing():
                return False
        return True

    async def _send_loop(self) -> None:
        assert self._queue is not None
        try:
            while True:
                frame = await self._next_frame()
                self._queued_bytes -= len(frame)  # waiting bytes only: not the one being sent
                self._sending = True
                try:
                    await self.websocket.send_bytes(frame)
                finally:
                    self._sending = False
                    self._queue.task_done()
                self._unflushed += len(frame)
                self._settle()
        except Exception as error:
            self.fail(CollabError(f"send failed: {type(error).__name__}"))

    async def _next_frame(self) -> bytes:
        """The next queued frame; meanwhile, whatever the transport has flushed is released from
        the send budget (a frame written to a peer that does not read stays in the transport's
        buffer, and the budget must count that memory until it is gone)."""
        assert self._queue is not None
        while self._unflushed and self._queue.empty():
            try:
                async with asyncio.timeout(_FLUSH_CHECK):
                    return await self._queue.get()
            except TimeoutError:
                self._settle()
        return await self._queue.get()

    def _settle(self) -> None:
        """Release from the budget what the transport no longer holds."""
        buffered = self._transport.buffered() if self._transport is not None else 0
        flushed = self._unflushed - min(self._unflushed, buffered)
        if flushed:
            self._unflushed -= flushed
            if not self._released:
                self._budget.release(self, flushed)

    async def close(self) -> None:
        """Close the socket with the failure's code (or normally); ignore a socket already gone."""
        if self._closed:
            return
        self._closed = True
        if self.websocket.application_state != WebSocketState.CONNECTED:
            return
        if self.websocket.client_state != WebSocketState.CONNECTED:
            return
        code, reason = 1000, ""
        if self._failure is not None:
            code, reason = self._failure.close_code, self._failure.close_reason
            log.info("closing connection %d with %d: %s", self._origin.connection_id, code, reason)
        slow = isinstance(self._failure, SlowConsumer)
        try:
            async with asyncio.timeout(_SLOW_CLOSE_WAIT if slow else 5):
                await self.websocket.close(code, reason)
        except Exception:
            if slow and self._transport is not None:
                # A peer that does not read never lets the close frame out, and the server's
                # transport keeps everything written to it meanwhile: let go of it now.
                self._transport.abort()


def costs_state_work(message: Message, can_write: bool) -> bool:
    """SyncStep1 (answered with the whole document, or what the peer lacks) and a viewer's
    update (checked against the delete set) make the server encode document state."""
    if isinstance(message, SyncStep1):
        return True
    return not can_write and isinstance(message, SyncStep2 | Update)


class RoomInbound:
    """The y-websocket protocol of /ws: each frame one message for the connection's room."""

    __slots__ = ("_connection", "_room")

    def __init__(self, connection: Connection, room: Room) -> None:
        self._connection = connection
        self._room = room

    def decode(self, frame: bytes) -> Message:
        """One y-websocket message (protocol/messages.py)."""
        return decode_message(frame)

    def state_work(self, message: Message) -> Sequence[TokenBucket]:
        """The connection's full-state allowances, for a message that costs full-state work."""
        if costs_state_work(message, self._connection.can_write):
            return self._connection.state_buckets
        return ()

    async def handle(self, message: Message) -> None:
        """The room acts on it."""
        await self._room.handle(self._connection, message)

    def only_echoes(self, frame: bytes) -> bool:
        """An awareness message holding nothing but others' states echoed back."""
        return self._room.only_echoes(self._connection.origin.connection_id, frame)
