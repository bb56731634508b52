"""An automatic version names exactly the authors whose edits it holds, even when another
process commits between the version's catch-up and its commit."""

from __future__ import annotations

from functools import partial

import pytest
from pycrdt import Text

from collab.errors import VersionBehind
from tests.cluster.conftest import all_acked
from tests.cluster.test_single_runner import (
    authors,
    database,
    deaf_and_hearing,
    version_text,
    versions_of,
)
from tests.inprocess import serving
from tests.yclient import YClient


async def test_a_version_lacking_a_row_committed_elsewhere_is_taken_again(
    postgres_url: str, redis_url: str, bus_prefix: str
):
    deaf, hearing = deaf_and_hearing(postgres_url, redis_url, bus_prefix)
    async with (
        serving(deaf) as one,
        serving(hearing) as two,
        database(postgres_url) as conn,
        YClient(one, "exact", ack=True, name="al") as al,
        YClient(two, "exact", ack=True, name="bea") as bea,
    ):
        await al.synced.wait()
        await bea.synced.wait()
        al.append("<from A>")
        await al.wait_for(partial(all_acked, al))
        bea.append("<from B>")  # committed by B; A never hears of it
        await bea.wait_for(partial(all_acked, bea))
        rooms = deaf.state.collab.rooms
        room = rooms.rooms["exact"]
        lease = rooms.upkeep.leases.lease
        assert await rooms.upkeep.leases.hold("exact")
        assert "<from B>" not in str(room.doc.get("content", type=Text))
        # As if B's row had landed between A's catch-up and A's version: refused, not
        # recorded with bea named and bea's edit missing.
        with pytest.raises(VersionBehind):
            await room.record_version("auto", lease=lease, exact=True)
        assert await versions_of(conn, "exact") == []
        await rooms.upkeep.record_auto_version(room)  # catches up, then records
        (version,) = await versions_of(conn, "exact")
    text = version_text(version["state"])
    assert "<from A>" in text and "<from B>" in text
    assert authors(version) == {"al", "bea"}
