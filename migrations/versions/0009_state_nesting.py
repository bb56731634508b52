"""The nesting levels of a compacted state's items, stored with it.

- `room_states.nesting`: what `TypeNesting.encode` makes of the state (protocol/nesting.py), so
  that loading a room walks only the log after its state instead of the whole document. Written
  by every compaction; NULL for states written before (those are walked, as before, and get
  their levels at their next compaction).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("room_states", sa.Column("nesting", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("room_states") as batch:
        batch.drop_column("nesting")
