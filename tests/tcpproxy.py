"""A TCP relay of the test's own on 127.0.0.1, in front of a real service (PostgreSQL, say):
a server pointed at the relay loses that service the moment the test cuts it, as it would if
the service went down, and the real one stays up for every other test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from types import TracebackType

# Fed each chunk of bytes a client sends through the relay, in order.
Watcher = Callable[[bytes], None]


class TcpProxy:
    """Relays connections from `port` to `target_host:target_port` until `cut()`. With `watch`,
    each relayed connection's client bytes are also fed to a watcher `watch()` makes for it."""

    def __init__(
        self, target_host: str, target_port: int, *, watch: Callable[[], Watcher] | None = None
    ) -> None:
        self.target = (target_host, target_port)
        self._watch = watch
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.cut()

    async def cut(self) -> None:
        """Stop listening (new connections are refused) and reset every relayed connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._writers:
            writer.transport.abort()
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        watcher = self._watch() if self._watch is not None else None
        for source, sink, seen in (
            (reader, upstream_writer, watcher),
            (upstream_reader, writer, None),
        ):
            pipe = asyncio.create_task(_pipe(source, sink, seen))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)


async def _pipe(
    source: asyncio.StreamReader, sink: asyncio.StreamWriter, seen: Watcher | None = None
) -> None:
    with contextlib.suppress(OSError):
        while data := await source.read(65536):
            if seen is not None:
                seen(data)
            sink.write(data)
            await sink.drain()
    sink.close()
