"""The webhook outbox: events survive a crash or a restart until they are delivered.

- `webhook_marks`: per room, how far its committed changes (log sequence number, epoch,
  versions) are announced; events are made from what is committed past the mark.
- `webhook_events`: the events waiting for delivery, one row per URL, delivered in `id` order
  per room and URL, each with the idempotency key all its attempts carry.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_marks",
        sa.Column("room", sa.String(128), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("epoch", sa.BigInteger, nullable=False),
        sa.Column("version_id", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("room", sa.String(128), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_events_queue", "webhook_events", ["url", "room", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_queue", table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_table("webhook_marks")
