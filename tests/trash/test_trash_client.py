"""CollabClient's trash calls against a real server keeping deleted documents 30 days."""

from __future__ import annotations

import pytest

from collab.client import CollabAPIError, CollabClient
from tests.conftest import ServerFactory


async def test_the_client_lists_restores_and_deletes_forever(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_TRASH_DAYS="30")
    await server.start()
    async with CollabClient(server.http_url) as client:
        for name in ("kept", "dropped"):
            await client.create_room(name)
            await client.replace_text(name, f"text of {name}")
            await client.delete_room(name)
        trash = await client.trash()
        assert trash.days == 30 and {d.name for d in trash.items} == {"kept", "dropped"}
        with pytest.raises(CollabAPIError) as gone:
            await client.get_room("kept")
        assert gone.value.status == 410 and "in the trash" in gone.value.detail
        with pytest.raises(CollabAPIError) as taken:
            await client.create_room("kept")
        assert taken.value.status == 409 and "in the trash" in taken.value.detail

        restored = await client.restore_from_trash("kept")
        assert restored.name == "kept" and await client.snapshot_text("kept") == "text of kept"
        await client.delete_forever("dropped")
        assert [d.name for d in (await client.trash()).items] == []
        with pytest.raises(CollabAPIError) as missing:
            await client.restore_from_trash("dropped")
        assert missing.value.status == 404
        _, created = await client.create_room("dropped")
        assert created and await client.snapshot_text("dropped") == ""
