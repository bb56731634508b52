"""Document titles, apart from their URL names.

- `rooms.title`: the free-form title a person gave the document (any Unicode, kept exactly as
  typed); NULL: none, the name shows instead.
- `rooms.title_key`: what searching and sorting by title read: the title (or the name, when
  there is none) case-folded in Python, so both databases compare it alike (SQLite's lower()
  folds ASCII only). Filled from the name for the rooms that exist.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rooms", sa.Column("title", sa.String(256), nullable=True))
    op.add_column("rooms", sa.Column("title_key", sa.String(1024), nullable=True))
    op.execute("UPDATE rooms SET title_key = lower(name)")


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("title_key")
        batch.drop_column("title")
