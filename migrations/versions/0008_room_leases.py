"""Leases on once-per-room work (several processes on one database).

- `room_leases`: which process may do a kind of once-per-room work (compaction, automatic
  versions and their thinning) on a room, and until when by the database's clock. A process
  takes a lease that is free, expired or its own, renews it while the room is live on it, and
  deletes it when the room unloads; the final write of the work checks that its process still
  holds the lease, so a process paused past `until` loses what it was doing.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_leases",
        sa.Column("room", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room"], ["rooms.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("room", "kind"),
    )


def downgrade() -> None:
    op.drop_table("room_leases")
