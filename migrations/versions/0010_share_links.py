"""Share links (issue 14, item 2).

- `share_links`: a viewer or editor grant on one room, named by the `lnk` claim of the token a
  share link carries; live until `expires_at` (NULL: never) or `revoked_at`, and only while the
  room's epoch is still `epoch` (a deleted room's links stay dead if it is made again).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_links",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("room", sa.String(128), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("label", sa.String(256), nullable=True),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["room"], ["rooms.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_share_links_room", "share_links", ["room", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_share_links_room", table_name="share_links")
    op.drop_table("share_links")
