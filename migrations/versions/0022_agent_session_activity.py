"""Agent sessions end when idle: `agent_session_marks` gains the agent's credited name and
`active_until`, the time past which a session with no edit and no presence is ended
(agent.session.ended, reason "idle") by the process that delivers webhooks.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent_session_marks") as table:
        table.add_column(sa.Column("agent", sa.String(256), nullable=True))
        table.add_column(sa.Column("active_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agent_session_marks") as table:
        table.drop_column("active_until")
        table.drop_column("agent")
