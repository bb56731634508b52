"""Versions of rooms, and the authors not yet recorded in a version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "room", sa.String(128), sa.ForeignKey("rooms.name", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(256), nullable=True),
        sa.Column("author", sa.String(256), nullable=True),
        sa.Column("authors", sa.String(4096), nullable=False, server_default="[]"),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_versions_room_id", "versions", ["room", "id"])
    op.create_table(
        "room_authors",
        sa.Column(
            "room",
            sa.String(128),
            sa.ForeignKey("rooms.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("author", sa.String(256), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("room_authors")
    op.drop_index("ix_versions_room_id", table_name="versions")
    op.drop_table("versions")
