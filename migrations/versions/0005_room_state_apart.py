"""A room's compacted state in a table of its own.

The state (the whole document, megabytes for a large one) sat in the `rooms` row whose counters
every commit updates; SQLite rewrites a whole record, overflow pages and all, on any update, so
each commit to a 14 MB document wrote 14 MB (about 15 ms of I/O per commit). The state now
lives in `room_states`, written only by compaction; `rooms.state_bytes` keeps its size for
listings. The old `rooms.state` column is emptied, not dropped: on SQLite, dropping a column
makes Alembic rebuild the table, and with foreign keys on, dropping the old `rooms` would cascade
to every room's updates and versions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_states",
        sa.Column(
            "room",
            sa.String(128),
            sa.ForeignKey("rooms.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("state", sa.LargeBinary(), nullable=False),
    )
    op.add_column(
        "rooms", sa.Column("state_bytes", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.execute(
        "INSERT INTO room_states (room, state) SELECT name, state FROM rooms "
        "WHERE state IS NOT NULL"
    )
    op.execute("UPDATE rooms SET state_bytes = COALESCE(LENGTH(state), 0), state = NULL")


def downgrade() -> None:
    op.execute(
        "UPDATE rooms SET state = "
        "(SELECT state FROM room_states WHERE room_states.room = rooms.name)"
    )
    op.drop_table("room_states")
    op.drop_column("rooms", "state_bytes")
