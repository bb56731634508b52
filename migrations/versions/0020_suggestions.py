"""Suggestions (issue 26): a comment thread may carry a proposed edit of its passage.

- `comment_threads.suggest_kind`: "insert", "delete" or "replace" (NULL: an ordinary thread).
- `suggest_text`: the text to insert, or to put in the passage's place ("" for a delete).
- `suggest_at`: an insertion's point, one encoded Yjs relative position (NULL otherwise; an
  insertion's `anchor_start` and `anchor_end` hold the same point).
- `suggest_status`: "open", "applying" (an accept under way), "accepted" or "rejected".
- `decided_by`, `decided_by_user`, `decided_by_person`, `decided_at`: who accepted or rejected it
  (the approver of an accepted one, whose edit is credited to the suggester), and when.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("suggest_kind", sa.String(16)),
    ("suggest_text", sa.Text()),
    ("suggest_at", sa.LargeBinary()),
    ("suggest_status", sa.String(16)),
    ("decided_by", sa.String(256)),
    ("decided_by_user", sa.String(256)),
    ("decided_by_person", sa.String(32)),
    ("decided_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    for name, kind in _COLUMNS:
        op.add_column("comment_threads", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comment_threads") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
