"""Schema migrations carry existing data: a room written under revision 0003 (its compacted
state in the `rooms` row, updates in its log) keeps everything through 0004 and 0005 (the state
moves to `room_states`), and loads the same document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic import command
from pycrdt import Doc, Text
from sqlalchemy import Connection, text

from collab.store import migrate
from collab.store.db import create_engine
from collab.store.sql import SqlStore


def _to(connection: Connection, revision: str, url: str) -> None:
    config = migrate.alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_a_compacted_state_survives_the_move_to_its_own_table(database_url: str):
    doc: Doc[Any] = Doc()
    doc.get("content", type=Text).insert(0, "compacted before 0005")
    state = doc.get_update()
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_to, "0003", database_url)
            now = datetime.now(UTC)
            await conn.execute(
                text(
                    "INSERT INTO rooms (name, created_at, updated_at, state, compacted_upto, "
                    "log_count, log_bytes) VALUES ('old', :now, :now, :state, 7, 1, 2)"
                ),
                {"now": now, "state": state},
            )
            await conn.execute(
                text(
                    "INSERT INTO updates (room, data, author, created_at) "
                    "VALUES ('old', :data, 'ada', :now)"
                ),
                {"now": now, "data": b"\x00\x00"},
            )
        await migrate.upgrade(engine)
        store = SqlStore(engine)
        loaded = await store.load("old")
        assert loaded.state == state and loaded.log == [b"\x00\x00"]
        info = await store.room_info("old")
        assert info is not None and info.size_bytes == len(state) + 2
        assert await store.delete_room("old")
        assert (await store.load("old")).state is None
    finally:
        await engine.dispose()


def test_the_newest_script_is_alembics_one_head():
    """migrate.head_revision reads the scripts' numbers (so start-up need not load Alembic): it
    must name the single head Alembic itself finds."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert scripts.get_heads() == [migrate.head_revision()]
