"""People who sign in, their sessions, and who documents are shared with.

- `people`: built-in accounts (argon2 `password_hash`) and people of the organisation's OpenID
  Connect provider (`oidc_issuer`, `oidc_subject`); `is_admin` manages the server's people.
- `sessions`: signed-in browsers, by the SHA-256 of their cookie's token.
- `rooms.owner_id`, `rooms.org_role`: the document's owner, and the role everyone signed in gets
  with its link (NULL: none).
- `room_members`: a role on a document for one person; `room_visits`: their "Recent" list.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("oidc_issuer", sa.String(512), nullable=True),
        sa.Column("oidc_subject", sa.String(256), nullable=True),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("last_seen_at", _MOMENT, nullable=True),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject", name="ux_people_oidc"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "person_id",
            sa.String(32),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("expires_at", _MOMENT, nullable=False),
        sa.Column("last_seen_at", _MOMENT, nullable=False),
    )
    op.create_index("ix_sessions_person", "sessions", ["person_id"])
    op.add_column("rooms", sa.Column("owner_id", sa.String(32), nullable=True))
    op.add_column("rooms", sa.Column("org_role", sa.String(16), nullable=True))
    op.create_index("ix_rooms_owner_id", "rooms", ["owner_id"])
    op.create_table(
        "room_members",
        sa.Column(
            "room",
            sa.String(128),
            sa.ForeignKey("rooms.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "person_id",
            sa.String(32),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_at", _MOMENT, nullable=False),
    )
    op.create_index("ix_room_members_person", "room_members", ["person_id"])
    op.create_table(
        "room_visits",
        sa.Column(
            "person_id",
            sa.String(32),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "room",
            sa.String(128),
            sa.ForeignKey("rooms.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("visited_at", _MOMENT, nullable=False),
    )
    op.create_index("ix_room_visits_person", "room_visits", ["person_id", "visited_at"])


def downgrade() -> None:
    op.drop_table("room_visits")
    op.drop_table("room_members")
    op.drop_index("ix_rooms_owner_id", "rooms")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("org_role")
        batch.drop_column("owner_id")
    op.drop_table("sessions")
    op.drop_table("people")
