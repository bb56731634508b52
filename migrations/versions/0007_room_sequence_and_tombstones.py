"""Per-room sequence numbers, epochs and tombstones (several processes on one database).

- `rooms.seq`: the last sequence number given to a row of the room's log, assigned in commit
  order under the room row's lock; `updates.seq` is each row's, unique per room. The global
  `updates.id` is drawn before that lock, so across processes its order is not commit order.
- `rooms.compacted_seq`: the highest sequence number folded into the compacted state.
- `rooms.epoch`: bumped when the room is deleted; every append names the epoch it was loaded
  at, so no late write can bring a deleted room back.
- `rooms.deleted_at`: the tombstone a delete leaves (the row stays, with its epoch).
- `commit_batches`: the batches committed in the last hour, by the key their writer gave them,
  with what the commit returned, so a commit retried after its reply was lost is not stored
  twice.

Existing log rows are numbered 1, 2, ... per room in id order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (no batch rebuild of `rooms`; see 0004).
    op.add_column("rooms", sa.Column("seq", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column(
        "rooms", sa.Column("compacted_seq", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.add_column("rooms", sa.Column("epoch", sa.BigInteger(), nullable=False, server_default="1"))
    op.add_column("rooms", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("updates", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE updates SET seq = numbered.n FROM ("
        " SELECT id, row_number() OVER (PARTITION BY room ORDER BY id) AS n FROM updates"
        ") AS numbered WHERE updates.id = numbered.id"
    )
    op.execute(
        "UPDATE rooms SET seq = (SELECT coalesce(max(u.seq), 0) FROM updates u"
        " WHERE u.room = rooms.name)"
    )
    op.create_index("ux_updates_room_seq", "updates", ["room", "seq"], unique=True)
    op.create_table(
        "commit_batches",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
    )
    op.create_index("ix_commit_batches_created_at", "commit_batches", ["created_at"])


def downgrade() -> None:
    op.drop_table("commit_batches")
    op.drop_index("ux_updates_room_seq", table_name="updates")
    op.drop_column("updates", "seq")
    op.drop_column("rooms", "deleted_at")
    op.drop_column("rooms", "epoch")
    op.drop_column("rooms", "compacted_seq")
    op.drop_column("rooms", "seq")
