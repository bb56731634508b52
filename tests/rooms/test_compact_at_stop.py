"""A graceful stop folds the long logs of the rooms it holds into their states, so that they
open at the next start by applying one state instead of walking and applying every row; short
logs are left as they are, and `COLLAB_STOP_COMPACT_SECONDS=0` folds none. A real server on
each backend, stopped with SIGTERM while its clients are connected; the database is read back
with the store after."""

from __future__ import annotations

import asyncio

import pytest

from collab.rooms.upkeep.work import STOP_COMPACT_BYTES
from collab.store.base import StoredRoom
from collab.store.db import create_engine
from collab.store.sql import SqlStore
from tests.conftest import ServerFactory
from tests.yclient import YClient

LONG = "".join(f"line {i}\n" for i in range(STOP_COMPACT_BYTES // 8 + 100))
SHORT = "a few words"


async def _stored(database_url: str, *rooms: str) -> list[StoredRoom]:
    store = SqlStore(create_engine(database_url))
    try:
        return [await store.load(room) for room in rooms]
    finally:
        await store.close()


@pytest.mark.parametrize("seconds", ["5", "0"])
async def test_a_graceful_stop_folds_long_logs_and_leaves_short_ones(
    make_server: ServerFactory, database_url: str, seconds: str
) -> None:
    server = make_server(database_url, COLLAB_STOP_COMPACT_SECONDS=seconds)
    await server.start()
    async with (
        YClient(server.ws_url, "long-log", ack=True) as long,
        YClient(server.ws_url, "short-log", ack=True) as short,
    ):
        await asyncio.gather(long.synced.wait(), short.synced.wait())
        long.append(LONG)
        short.append(SHORT)
        await long.wait_for(lambda: long.acked == long.sent_updates)
        await short.wait_for(lambda: short.acked == short.sent_updates)
        # Stopped while both rooms are live: their clients are closed first, then the rooms.
        stopping = asyncio.create_task(server.stop())
        await long.wait_closed()
        await stopping

    long_stored, short_stored = await _stored(database_url, "long-log", "short-log")
    assert len(short_stored.log) == 1 and short_stored.state is None
    if seconds == "0":
        assert len(long_stored.log) == 1 and long_stored.state is None
        assert "at stop" not in server.log_text()
    else:
        assert long_stored.log == [] and long_stored.state is not None
        assert "compacted 1 of 1 rooms at stop" in server.log_text()

    await server.start()
    async with (
        YClient(server.ws_url, "long-log") as fresh,
        YClient(server.ws_url, "short-log") as other,
    ):
        await fresh.wait_text(LONG)
        await other.wait_text(SHORT)
