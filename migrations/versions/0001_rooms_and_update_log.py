"""Rooms and their append-only update log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rooms",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=True),
        sa.Column("compacted_upto", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("log_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("log_bytes", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "updates",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "room",
            sa.String(128),
            sa.ForeignKey("rooms.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("author", sa.String(256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # Never reuse ids on SQLite: compaction deletes exactly the ids it merged.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_updates_room_id", "updates", ["room", "id"])


def downgrade() -> None:
    op.drop_index("ix_updates_room_id", table_name="updates")
    op.drop_table("updates")
    op.drop_table("rooms")
