"""Blame (issue 26): who wrote which characters, kept through compaction.

- `blame_ranges`: room, a Yjs client id and a range of its clocks [clock_start, clock_end),
  who wrote them (the update row's author, as history shows it) and when. A compaction records
  the ranges of the log rows it folds, in its transaction (store/blame.py); rows not folded yet
  are read from the log itself. Rooms compacted before this revision have no ranges for what
  was folded then: that text shows no author.

Deleting a room deletes its ranges (store/blame.py `forget_room`; the foreign key cascades).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blame_ranges",
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
        sa.Column("client", sa.BigInteger, nullable=False),
        sa.Column("clock_start", sa.BigInteger, nullable=False),
        sa.Column("clock_end", sa.BigInteger, nullable=False),
        sa.Column("author", sa.String(256), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_blame_ranges_room_client", "blame_ranges", ["room", "client", "clock_start"]
    )


def downgrade() -> None:
    op.drop_index("ix_blame_ranges_room_client", table_name="blame_ranges")
    op.drop_table("blame_ranges")
