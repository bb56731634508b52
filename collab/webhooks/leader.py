"""Which process of a cluster delivers webhooks: the one holding the outbox's lock.

On PostgreSQL the lock is a session advisory lock, held by one connection kept for as long as
this process delivers; every write of a delivery goes through that connection, so a process
whose session ended can write nothing more, and the lock passes to another process as soon as
the database sees the session end: at once when the process dies, within about 25 s when its
host vanishes (keepalive probes), after `IDLE_TIMEOUT` when it is paused. On SQLite, which a
cluster never shares, the one process always delivers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import BigInteger, func, literal, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# The advisory lock's key: "collabwh" as a signed 64-bit integer.
LOCK_KEY = int.from_bytes(b"collabwh", "big", signed=True)
# The database ends the lock's session after this long unused (PostgreSQL 14 and later).
IDLE_TIMEOUT = "15s"


class LeadershipLost(Exception):
    """The connection holding the outbox's lock is gone: another process may deliver now."""


class Leadership:
    """This process's claim on delivering webhooks."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._shared = engine.dialect.name == "postgresql"
        self._session: AsyncConnection | None = None
        self._turn = asyncio.Lock()  # one statement at a time on the held connection

    @property
    def held(self) -> bool:
        """Whether this process delivers now."""
        return not self._shared or self._session is not None

    async def acquire(self) -> bool:
        """Take the lock if nobody holds it; whether this process holds it now."""
        if self.held:
            return True
        conn = await self._engine.connect()
        try:
            taken = await conn.scalar(
                select(func.pg_try_advisory_lock(literal(LOCK_KEY, BigInteger)))
            )
            if taken:
                await _watched(conn)
            await conn.commit()  # the lock is the session's: it outlives the transaction
        except BaseException:
            await _end(conn)
            raise
        if not taken:
            await conn.close()
            return False
        self._session = conn
        return True

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A transaction of the process that delivers (LeadershipLost if it no longer does)."""
        if not self._shared:
            async with self._engine.begin() as conn:
                yield conn
            return
        async with self._turn:
            held = self._session
            if held is None:
                raise LeadershipLost("this process no longer holds the webhook outbox's lock")
            try:
                async with held.begin():
                    yield held
            except DBAPIError as error:
                if error.connection_invalidated or held.invalidated:
                    await self._drop()
                    raise LeadershipLost(
                        "the connection holding the outbox's lock broke"
                    ) from error
                raise

    async def release(self) -> None:
        """Give the lock up (closing its connection ends the session, and the lock with it)."""
        async with self._turn:
            await self._drop()

    async def _drop(self) -> None:
        conn, self._session = self._session, None
        if conn is not None:
            await _end(conn)


async def _watched(conn: AsyncConnection) -> None:
    """Let the database end this session, and so pass the lock on, when its process cannot use
    it: a peer silent to keepalive probes (its host died) within about 25 s, and (PostgreSQL
    14 and later) a session idle for `IDLE_TIMEOUT` (its process is paused or stuck; the
    deliverer reads the outbox at least every second)."""
    settings = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5"}
    settings["tcp_keepalives_count"] = "3"
    if (conn.dialect.server_version_info or (0,)) >= (14,):
        settings["idle_session_timeout"] = IDLE_TIMEOUT
    for name, value in settings.items():
        await conn.execute(select(func.set_config(name, value, False)))


async def _end(conn: AsyncConnection) -> None:
    """Close a connection that may hold the lock: never back into the pool, where the lock
    would stay held by a session nobody uses."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
