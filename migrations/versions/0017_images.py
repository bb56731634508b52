"""Images (issue 25): the pictures of rich documents, stored with the document in the database,
so every process of a cluster serves them without a shared folder.

- `images`: room and a random id (the key: a copy keeps the ids in its own room), the content
  type the bytes were checked to be (PNG, JPEG, GIF, WebP), the bytes and their size, when and
  by whom it was uploaded.

Deleting a room deletes its images (store/images.py `forget_room`, in the delete's transaction;
the foreign key cascades as well).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column(
            "room",
            sa.String(128),
            sa.ForeignKey("rooms.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(256), nullable=False),
    )
    op.create_index("ix_images_room", "images", ["room", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_images_room", table_name="images")
    op.drop_table("images")
