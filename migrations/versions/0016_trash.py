"""The trash: a deleted document is kept, restorable, until it is purged.

- `rooms.trashed_at`: when the document was moved to the trash (NULL: it is not in the
  trash). A trashed room is also a tombstone (`deleted_at` set, its epoch bumped), so every
  query that leaves deleted rooms out leaves it out, and writes loaded before stay fenced;
  unlike a plain tombstone it keeps its updates, versions, comments, grants and links until
  it is restored or purged.
- `rooms.trashed_by`: who moved it there, as the server displayed them (a person's name or a
  token's subject); NULL when nobody is known.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rooms", sa.Column("trashed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("rooms", sa.Column("trashed_by", sa.String(256), nullable=True))
    op.create_index("ix_rooms_trashed_at", "rooms", ["trashed_at"])


def downgrade() -> None:
    op.drop_index("ix_rooms_trashed_at", table_name="rooms")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("trashed_by")
        batch.drop_column("trashed_at")
