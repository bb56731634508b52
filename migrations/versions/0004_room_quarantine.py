"""Quarantined rooms.

A room whose stored state the server refuses to load (it holds data that could crash yrs, such
as values nested thousands of levels deep, written before updates were checked) is marked here
with the reason, so every process refuses it at once instead of walking it again, and an
operator can list, export and release it with `collab quarantine`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN: never a batch rebuild of `rooms`, which on SQLite (foreign
    # keys on) would cascade to every room's updates and versions.
    op.add_column("rooms", sa.Column("quarantined", sa.Text(), nullable=True))
    op.add_column("rooms", sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("rooms", "quarantined_at")
    op.drop_column("rooms", "quarantined")
