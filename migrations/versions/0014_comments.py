"""Comments (issue 23): threads on a passage of a document, and the comments in them.

- `comment_threads`: the passage as two Yjs relative positions (`anchor_start`, `anchor_end`),
  the text it quoted, who made it and when, and whether (by whom, when) it was resolved.
- `comments`: a thread's comments, by the identity that posted them.

Deleting a room deletes its threads (store/comments.py `forget_room`, in the delete's
transaction; the foreign keys cascade as well).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "comment_threads",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "room",
            sa.String(128),
            sa.ForeignKey("rooms.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("anchor_start", sa.LargeBinary, nullable=False),
        sa.Column("anchor_end", sa.LargeBinary, nullable=False),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("created_by_user", sa.String(256), nullable=False),
        sa.Column("created_by_person", sa.String(32), nullable=True),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("resolved_by", sa.String(256), nullable=True),
        sa.Column("resolved_at", _MOMENT, nullable=True),
    )
    op.create_index("ix_comment_threads_room", "comment_threads", ["room", "created_at"])
    op.create_table(
        "comments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "thread_id",
            sa.String(32),
            sa.ForeignKey("comment_threads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author", sa.String(256), nullable=False),
        sa.Column("author_user", sa.String(256), nullable=False),
        sa.Column("author_person", sa.String(32), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("edited_at", _MOMENT, nullable=True),
    )
    op.create_index("ix_comments_thread", "comments", ["thread_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_comments_thread", table_name="comments")
    op.drop_table("comments")
    op.drop_index("ix_comment_threads_room", table_name="comment_threads")
    op.drop_table("comment_threads")
