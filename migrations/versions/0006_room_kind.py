"""Document kinds.

A room is created as plain text (a Y.Text at `content`, the CodeMirror editor) or as rich text
(an XmlFragment at `content`, the Tiptap editor). The kind chosen at creation is kept here; NULL
for rooms created before this revision, or by a client that just connected, whose kind is read
off their content.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (no batch rebuild of `rooms`; see 0004).
    op.add_column("rooms", sa.Column("kind", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("rooms", "kind")
