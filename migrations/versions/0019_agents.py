"""Agents (issue 26): each update records the agent session that made it, so a session's edits
can be found (and reverted) later.

- `updates.agent_session`: the session id an agent's token carries (auth.Identity
  .agent_session), else NULL for people's and the server's own updates.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("updates", sa.Column("agent_session", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("updates") as batch:
        batch.drop_column("agent_session")
