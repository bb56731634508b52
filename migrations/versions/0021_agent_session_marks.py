"""Agents (issue 26), continued:

- `agent_session_marks`: which agent sessions were announced started in which room, and
  whether ended since, so agent.session.started and .ended are each queued once, whichever
  process sees the edit or the presence.
- `agent_authors`: the names edits are credited to that are agents' ("Scribe (for Ada)"),
  with the agent's and the person's names, so history marks them as agents after the log
  rows that said so are compacted away.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
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
    op.create_table(
        "agent_authors",
        sa.Column("author", sa.String(256), primary_key=True),
        sa.Column("agent", sa.String(256), nullable=False),
        sa.Column("person", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agent_authors")
    op.drop_table("agent_session_marks")
