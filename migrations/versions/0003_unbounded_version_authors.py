"""Unbounded version authors.

A version's list of authors is text without a length: a version many people wrote could
outgrow VARCHAR(4096), and PostgreSQL would then refuse every commit of its batch.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite does not enforce VARCHAR lengths; only PostgreSQL needs the change.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("versions", "authors", type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("versions", "authors", type_=sa.String(4096), existing_nullable=False)
