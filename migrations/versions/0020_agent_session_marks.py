"""Agent sessions' webhooks (issue 26): `agent_session_marks` says which agent sessions were
announced started in which room, and whether ended since, so agent.session.started and
.ended are each queued once, whichever process sees the edit or the presence.

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


def upgrade() -> None:
    op.create_table(
        "agent_session_marks",
        sa.Column("room", sa.String(128), primary_key=True),
        sa.Column("session", sa.String(32), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("agent_session_marks")
