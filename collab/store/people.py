"""SQL for people and their sessions: built-in accounts, people of the organisation's OpenID
Connect provider, and the signed-in browsers of each (by the SHA-256 of their cookie's token)."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.errors import PersonExists
from collab.store.models import PersonRow, RoomRow, SessionRow
from collab.store.outage import translates_outages

_people = cast(Table, PersonRow.__table__)
_sessions = cast(Table, SessionRow.__table__)
_rooms = cast(Table, RoomRow.__table__)
# A session's and a person's "last seen" is written at most this often.
_TOUCH_EVERY = timedelta(seconds=60)
_CHUNK = 500


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def normal_email(email: str) -> str:
    """How an email address is stored and compared: trimmed and lowercased."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who signs in to this server."""

    id: str
    email: str
    name: str
    is_admin: bool
    active: bool
    created_at: datetime
    last_seen_at: datetime | None
    has_password: bool
    oidc: bool


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser's session and whose it is."""

    id: str
    person: Person
    csrf: str
    created_at: datetime
    expires_at: datetime


def matching(query: Select[Any], text: str) -> Select[Any]:
    """`query` of people narrowed to those whose name or email holds `text` (any when blank)."""
    if not text.strip():
        return query
    escaped = text.strip().lower().replace("\\", "\\\\")
    pattern = "%" + escaped.replace("%", "\\%").replace("_", "\\_") + "%"
    return query.where(
        or_(
            func.lower(_people.c.name).like(pattern, escape="\\"),
            _people.c.email.like(pattern, escape="\\"),
        )
    )


def person_of(row: Any) -> Person:
    """The person of a row of `people`."""
    last = row.last_seen_at
    return Person(
        row.id,
        row.email,
        row.name,
        bool(row.is_admin),
        bool(row.active),
        _utc(row.created_at),
        None if last is None else _utc(last),
        row.password_hash is not None,
        row.oidc_subject is not None,
    )


def _columns() -> Select[Any]:
    return select(_people)


@translates_outages
class SqlPeople:
    """People and sessions, one transaction per call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(
        self,
        email: str,
        name: str,
        *,
        password_hash: str | None = None,
        is_admin: bool = False,
        oidc: tuple[str, str] | None = None,
    ) -> Person:
        """A new person (PersonExists if the email is taken)."""
        row = {
            "id": secrets.token_hex(12),
            "email": normal_email(email),
            "name": name.strip(),
            "password_hash": password_hash,
            "is_admin": is_admin,
            "active": True,
            "oidc_issuer": oidc[0] if oidc else None,
            "oidc_subject": oidc[1] if oidc else None,
            "created_at": datetime.now(UTC),
            "last_seen_at": None,
        }
        try:
            async with self._engine.begin() as conn:
                await conn.execute(_people.insert().values(row))
        except IntegrityError:
            raise PersonExists(f"someone already has the email address {row['email']}") from None
        found = await self.get(str(row["id"]))
        assert found is not None
        return found

    async def get(self, person_id: str) -> Person | None:
        """The person of that id, or None."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(_columns().where(_people.c.id == person_id))).first()
        return None if row is None else person_of(row)

    async def find(self, ids: Collection[str]) -> dict[str, Person]:
        """The people of these ids, by id (unknown ids left out)."""
        wanted = sorted(set(ids))
        found: dict[str, Person] = {}
        async with self._engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                rows = await conn.execute(_columns().where(_people.c.id.in_(chunk)))
                found.update((row.id, person_of(row)) for row in rows)
        return found

    async def by_email(self, email: str) -> tuple[Person, str | None] | None:
        """The person with that email and their password hash (None: no password), or None."""
        query = _columns().where(_people.c.email == normal_email(email))
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (person_of(row), row.password_hash)

    async def search(self, text: str, limit: int, *, active_only: bool) -> list[Person]:
        """People whose name or email holds `text` (all when empty), by name."""
        query = matching(_columns(), text)
        query = query.order_by(func.lower(_people.c.name), _people.c.email).limit(limit)
        if active_only:
            query = query.where(_people.c.active.is_(True))
        async with self._engine.connect() as conn:
            return [person_of(row) for row in await conn.execute(query)]

    async def owned_counts(self, ids: Collection[str]) -> dict[str, int]:
        """How many documents each of these people owns."""
        if not ids:
            return {}
        query = (
            select(_rooms.c.owner_id, func.count())
            .where(_rooms.c.owner_id.in_(sorted(set(ids))), _rooms.c.deleted_at.is_(None))
            .group_by(_rooms.c.owner_id)
        )
        async with self._engine.connect() as conn:
            return {row[0]: int(row[1]) for row in await conn.execute(query)}

    async def update(self, person_id: str, **values: Any) -> Person | None:
        """Change `name`, `password_hash`, `is_admin` or `active`; None if no such person.
        Deactivating a person ends their sessions in the same transaction."""
        allowed = {"name", "password_hash", "is_admin", "active"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_people).where(_people.c.id == person_id).values(**values)
            )
            if result.rowcount != 1:
                return None
            if values.get("active") is False:
                await conn.execute(delete(_sessions).where(_sessions.c.person_id == person_id))
        return await self.get(person_id)

    async def from_provider(
        self, issuer: str, subject: str, email: str, name: str, *, email_verified: bool
    ) -> Person:
        """The person the provider names: by issuer and subject, else an account with that
        verified email not yet linked to the provider (linked now), else a new person. Their
        name and email follow the provider's."""
        email = normal_email(email)
        async with self._engine.begin() as conn:
            query = _columns().where(
                _people.c.oidc_issuer == issuer, _people.c.oidc_subject == subject
            )
            row = (await conn.execute(query)).first()
            if row is None and email_verified:
                query = _columns().where(_people.c.email == email, _people.c.oidc_subject.is_(None))
                row = (await conn.execute(query)).first()
            if row is not None:
                values: dict[str, Any] = {"oidc_issuer": issuer, "oidc_subject": subject}
                values["name"] = name or row.name
                if email_verified and email != row.email:
                    taken = await conn.scalar(select(_people.c.id).where(_people.c.email == email))
                    if taken is None:
                        values["email"] = email
                await conn.execute(update(_people).where(_people.c.id == row.id).values(values))
                person_id = str(row.id)
        if row is None:
            return await self.add(email, name or email, oidc=(issuer, subject))
        found = await self.get(person_id)
        assert found is not None
        return found

    # Sessions

    async def start_session(self, token_hash: str, person_id: str, ttl: float) -> Session:
        """Store a new session for `person_id`, with a fresh CSRF token."""
        now = datetime.now(UTC)
        row = {
            "id": token_hash,
            "person_id": person_id,
            "csrf": secrets.token_urlsafe(24),
            "created_at": now,
            "expires_at": now + timedelta(seconds=ttl),
            "last_seen_at": now,
        }
        async with self._engine.begin() as conn:
            await conn.execute(_sessions.insert().values(row))
            await conn.execute(
                update(_people).where(_people.c.id == person_id).values(last_seen_at=now)
            )
        found = await self.session(token_hash)
        assert found is not None
        return found

    async def session(self, token_hash: str) -> Session | None:
        """The live session of that hash (not expired, its person active), or None; its last
        seen moment (and its person's) is brought forward at most once a minute."""
        now = datetime.now(UTC)
        joined = _sessions.join(_people, _people.c.id == _sessions.c.person_id)
        query = (
            select(
                _people,
                _sessions.c.id.label("session_id"),
                _sessions.c.csrf,
                _sessions.c.created_at.label("session_created_at"),
                _sessions.c.expires_at,
                _sessions.c.last_seen_at.label("session_seen_at"),
            )
            .select_from(joined)
            .where(_sessions.c.id == token_hash)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None or not row.active or _utc(row.expires_at) <= now:
            return None
        if now - _utc(row.session_seen_at) >= _TOUCH_EVERY:
            await self._touch(token_hash, str(row.id), now)
        return Session(
            row.session_id,
            person_of(row),
            row.csrf,
            _utc(row.session_created_at),
            _utc(row.expires_at),
        )

    async def expired(self, token_hash: str) -> bool:
        """Whether the session of that hash is still stored but past its expiry."""
        query = select(_sessions.c.expires_at).where(_sessions.c.id == token_hash)
        async with self._engine.connect() as conn:
            until = await conn.scalar(query)
        return until is not None and _utc(until) <= datetime.now(UTC)

    async def _touch(self, token_hash: str, person_id: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(_sessions).where(_sessions.c.id == token_hash).values(last_seen_at=now)
            )
            await conn.execute(
                update(_people).where(_people.c.id == person_id).values(last_seen_at=now)
            )

    async def end_session(self, token_hash: str) -> bool:
        """Sign a session out; False if there was none."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(_sessions).where(_sessions.c.id == token_hash))
        return bool(result.rowcount == 1)

    async def end_sessions(self, person_id: str) -> int:
        """Sign every session of a person out; how many."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(_sessions).where(_sessions.c.person_id == person_id))
        return int(result.rowcount or 0)

    async def purge_sessions(self, now: datetime) -> int:
        """Delete expired sessions; how many."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(_sessions).where(_sessions.c.expires_at <= now))
        return int(result.rowcount or 0)

    async def live(self, person_ids: Collection[str]) -> set[str]:
        """Which of these people are active."""
        found = await self.find(person_ids)
        return {pid for pid, person in found.items() if person.active}
