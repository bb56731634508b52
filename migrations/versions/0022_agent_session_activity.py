"""Agent sessions, continued:

- they end when idle: `agent_session_marks` gains the agent's credited name and
  `active_until`, the time past which a session with no edit and no presence is ended
  (agent.session.ended, reason "idle") by the process that delivers webhooks;
- `comment_threads.suggest_session`: the agent session an agent's suggestion was made in, so
  that accepting it is that session's edit, which reverting the session undoes.

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
    op.add_column("comment_threads", sa.Column("suggest_session", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comment_threads") as table:
        table.drop_column("suggest_session")
    with op.batch_alter_table("agent_session_marks") as table:
        table.drop_column("active_until")
        table.drop_column("agent")
