"""The SQL implementation of Store (SQLite and PostgreSQL through SQLAlchemy's async API)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Insert,
    Table,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.errors import LeaseLost, NameInTrash, RoomTrashed, VersionBehind, WriteRejected
from collab.metrics import APPEND_PATHS, Metrics, store_appends
from collab.protocol.yupdate import DEFAULT_MAX_DEPTH
from collab.store import agent_sessions, blame, catalog, erase, leases, roomlog, versions
from collab.store.access import SqlAccess
from collab.store.agent_sessions import SqlAgentSessions
from collab.store.attempts import SqlSignInAttempts
from collab.store.base import (
    Appended,
    CatchUp,
    Compaction,
    Lease,
    NewUpdate,
    NewVersion,
    Quarantined,
    RetentionPolicy,
    RevertHold,
    RoomCursor,
    RoomHead,
    RoomInfo,
    RoomSort,
    StoredRoom,
    VersionInfo,
    VersionResult,
)
from collab.store.batches import BatchLedger
from collab.store.comments import SqlComments
from collab.store.images import SqlImages
from collab.store.links import SqlLinks
from collab.store.merge import fold
from collab.store.models import RoomRow, RoomStateRow, UpdateRow
from collab.store.opening import HeadReader, RoomOpener
from collab.store.outage import REFUSALS, translates_outages
from collab.store.people import SqlPeople
from collab.store.postgres_append import OneStatementAppend
from collab.store.sqlite_append import OneTripAppend
from collab.store.trash import SqlTrash

_rooms = cast(Table, RoomRow.__table__)
_states = cast(Table, RoomStateRow.__table__)
_updates = cast(Table, UpdateRow.__table__)
_INSERT_UPDATES = _updates.insert()
# What clients are told; the database's own message (with its SQL) goes to the log only.
_REFUSED = "the database refused the write"


@translates_outages
class SqlStore:
    """Store backed by an AsyncEngine; one transaction per call. An outage of the database
    raises StoreUnavailable (store/outage.py)."""

    def __init__(self, engine: AsyncEngine, *, metrics: Metrics | None = None) -> None:
        self.engine = engine
        # Batches by path (`collab_store_appends`): the one-trip append's on a SQLite file, the
        # one-statement append's on PostgreSQL, and SQLAlchemy's.
        counter = metrics.store_appends if metrics is not None else store_appends()
        self._counted = {path: counter.labels(path) for path in APPEND_PATHS}
        self._batches = BatchLedger()
        self.links = SqlLinks(engine)
        self.people = SqlPeople(engine)
        self.attempts = SqlSignInAttempts(engine)
        self.access = SqlAccess(engine)
        self.comments = SqlComments(engine)
        self.trash = SqlTrash(engine)
        self.images = SqlImages(engine)
        self.blame = blame.SqlBlame(engine)
        self.agent_sessions = SqlAgentSessions(engine)
        self._ignoring: dict[str, Insert] = {}
        self._heads = HeadReader(engine)
        self._opener = RoomOpener(engine)
        self._one_trip = (
            OneTripAppend(
                engine,
                roomlog.ADVANCE_FENCED,
                _INSERT_UPDATES,
                self._insert_ignore(versions.authors_table),
                count=lambda path: self._counted[path].inc(),
            )
            if _sqlite_file(engine)
            else None
        )
        self._one_statement = (
            OneStatementAppend(engine, self._batches)
            if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg"
            else None
        )

    async def load(self, room: str) -> StoredRoom:
        """Create the room if need be, then read its head first, the log next and the state
        last: a commit or a compaction in between can only make the parts hold more than the
        head's sequence number says (harmless, updates are idempotent), never less. A room
        this call made holds nothing yet: its head is all there is to read."""
        found = await self._heads.head(room)
        if found is None or found.deleted:
            found, made = await self._opener.open(room)
            if made:
                return StoredRoom(None, [], None, found.seq, found.epoch, None)
        async with self.engine.connect() as conn:
            log = await conn.execute(
                select(_updates.c.data).where(_updates.c.room == room).order_by(_updates.c.seq)
            )
            parts = [row[0] for row in log]
            state, nesting = await _state_of(conn, room)
            quarantined = await conn.scalar(
                select(_rooms.c.quarantined).where(_rooms.c.name == room)
            )
        return StoredRoom(state, parts, quarantined, found.seq, found.epoch, nesting)

    async def room_heads(self, rooms: Sequence[str]) -> dict[str, RoomHead]:
        """Where each of these rooms' logs stands."""
        async with self.engine.connect() as conn:
            return await roomlog.heads(conn, rooms)

    async def read_since(self, room: str, seq: int) -> CatchUp:
        """What a copy of the room holding every row up to `seq` lacks."""
        async with self.engine.connect() as conn:
            return await roomlog.read_since(conn, room, seq)

    async def set_quarantine(self, room: str, reason: str | None) -> bool:
        """Quarantine a room with `reason`, or release it (None); False if no such room."""
        moment = datetime.now(UTC) if reason is not None else None
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(_rooms)
                .where(_rooms.c.name == room)
                .values(quarantined=reason, quarantined_at=moment)
            )
        return bool(result.rowcount)

    async def list_quarantined(self) -> list[Quarantined]:
        """Every quarantined room, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(_rooms.c.name, _rooms.c.quarantined, _rooms.c.quarantined_at)
                .where(_rooms.c.quarantined.is_not(None))
                .order_by(_rooms.c.quarantined_at, _rooms.c.name)
            )
            return [Quarantined(r.name, r.quarantined, catalog.utc(r.quarantined_at)) for r in rows]

    async def append(
        self,
        items: Sequence[NewUpdate | NewVersion],
        *,
        batch: str | None = None,
        fresh: bool = False,
    ) -> Appended:
        """Lock and number each room's rows, insert them and record versions: one transaction.
        On PostgreSQL (over a network, where a reply can be lost after COMMIT) the batch key
        is recorded with the result, and an append of a key already committed returns that
        (looked up unless `fresh`: a key never used cannot have been committed; one round trip
        less per commit). The common batch, updates to loaded rooms, takes one trip: to
        collab's own thread on a SQLite file (store/sqlite_append.py), or, on PostgreSQL, one
        statement when it holds one room's (store/postgres_append.py)."""
        if not items:
            return Appended([], {})
        now = datetime.now(UTC)
        updates = [item for item in items if isinstance(item, NewUpdate)]
        ledger = batch if self.engine.dialect.name == "postgresql" else None
        try:
            if self._one_trip is not None and OneTripAppend.applies(items):
                seqs = await self._one_trip.append(updates, now)
                return Appended([], {r: s for r, s in seqs.items() if s[1] >= s[0]})
            if self._one_statement is not None and OneStatementAppend.applies(items, ledger, fresh):
                self._counted["one_statement"].inc()
                pair = await self._one_statement.append(updates, now, ledger)
                return Appended([], {updates[0].room: pair})
            self._counted["sqlalchemy"].inc()
            async with self.engine.begin() as conn:
                if ledger and not fresh:
                    # An attempt whose reply was lost may still be running on the server: it
                    # holds the rooms' rows until it ends, so take them (in name order, as an
                    # append does) before looking its key up.
                    for room in sorted({item.room for item in items}):
                        await roomlog.lock(conn, room)
                    if (earlier := await self._batches.find(conn, ledger)) is not None:
                        return earlier
                seqs = await roomlog.advance(conn, items, now)
                if updates:
                    rows = roomlog.numbered_rows(updates, seqs, now)
                    await conn.execute(_INSERT_UPDATES, rows)
                before = {room: first - 1 for room, (first, _) in seqs.items()}
                results = await self._record_versions(conn, items, now, before)
                appended = Appended(results, {r: s for r, s in seqs.items() if s[1] >= s[0]})
                if ledger:
                    await self._batches.record(conn, ledger, appended, now)
            return appended
        except WriteRejected:
            raise
        except REFUSALS as error:
            raise WriteRejected(_REFUSED) from error
        except StatementError as error:
            if isinstance(error, DBAPIError):
                raise  # an outage (connection, lock, timeout): StoreUnavailable, worth retrying
            raise WriteRejected(_REFUSED) from error

    async def _record_versions(
        self,
        conn: AsyncConnection,
        items: Sequence[NewUpdate | NewVersion],
        now: datetime,
        before: dict[str, int],
    ) -> list[VersionResult]:
        """Versions take the authors of the updates before them; the rest stay pending.
        `before`: each room's last sequence number before this batch."""
        pending: dict[str, set[str]] = defaultdict(set)
        results = []
        for item in items:
            if isinstance(item, NewUpdate):
                if item.author:
                    pending[item.room].add(item.author)
                continue
            if item.lease is not None and not await leases.holds(conn, item.room, item.lease):
                raise LeaseLost(f"room {item.room!r}: the lease on its versions was lost")
            if item.expect_seq is not None and before.get(item.room) != item.expect_seq:
                raise VersionBehind(f"room {item.room!r}: rows arrived after the version's state")
            result, consumed = await versions.record(conn, item, pending[item.room], now)
            if consumed:
                pending[item.room].clear()
            results.append(result)
        rows = [{"room": r, "author": a} for r, authors in pending.items() for a in authors]
        if rows:
            await conn.execute(self._insert_ignore(versions.authors_table), rows)
        return results

    def _insert_ignore(self, table: Table) -> Insert:
        """INSERT ... ON CONFLICT DO NOTHING, one statement per table, executed with many
        parameter sets: SQLAlchemy compiles it once, whatever the number of rows."""
        statement = self._ignoring.get(table.name)
        if statement is None:
            module: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
            statement = self._ignoring[table.name] = module.insert(table).on_conflict_do_nothing()
        return statement

    async def compact(
        self,
        room: str,
        *,
        lease: Lease | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
        hold: RevertHold | None = None,
    ) -> Compaction | None:
        """Fold the log into the stored state. The merge runs off the event loop; the write is
        conditional on nobody having compacted meanwhile (and on `lease` being held still),
        and deletes exactly the rows merged. With `hold`, the rows from the first edit of an
        agent session that may still be reverted stay (agent_sessions.held_from)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        _updates.c.id,
                        _updates.c.seq,
                        _updates.c.data,
                        _updates.c.author,
                        _updates.c.created_at,
                        _updates.c.agent_session,
                    )
                    .where(_updates.c.room == room)
                    .order_by(_updates.c.seq)
                )
            ).all()
            head = (
                await conn.execute(
                    select(_rooms.c.compacted_upto, _rooms.c.epoch).where(
                        _rooms.c.name == room, _rooms.c.deleted_at.is_(None)
                    )
                )
            ).first()
            state, nesting = await _state_of(conn, room)
        if not rows or head is None:
            return None
        if hold is not None:
            sessions = [(int(r.seq), r.agent_session, catalog.utc(r.created_at)) for r in rows]
            boundary = agent_sessions.held_from(sessions, datetime.now(UTC), hold)
            if boundary is not None:
                kept = [r for r in rows if r.seq >= boundary]
                rows = [r for r in rows if r.seq < boundary]
                held, held_bytes = len(kept), sum(len(r.data) for r in kept)
                if not rows:
                    state_bytes = len(state) if state else 0
                    return Compaction(0, 0, state_bytes, held=held, held_bytes=held_bytes)
                done = await self._fold(room, rows, state, nesting, head, lease, max_depth)
                return None if done is None else replace(done, held=held, held_bytes=held_bytes)
        return await self._fold(room, rows, state, nesting, head, lease, max_depth)

    async def _fold(
        self,
        room: str,
        rows: Sequence[Any],
        state: bytes | None,
        nesting: bytes | None,
        head: Any,
        lease: Lease | None,
        max_depth: int,
    ) -> Compaction | None:
        """Fold `rows` (the log's first, in order) into the stored state."""
        datas = [row.data for row in rows]
        merged, levels = await asyncio.to_thread(fold, state, nesting, datas, max_depth)
        logged = [blame.LogRow(r.data, r.author, catalog.utc(r.created_at)) for r in rows]
        authored = await asyncio.to_thread(blame.ranges_of, logged, max_depth)
        fence = (head.compacted_upto, head.epoch)
        return await self._swap_in(room, (merged, levels), fence, rows, lease, authored)

    async def _swap_in(
        self,
        room: str,
        folded: tuple[bytes, bytes | None],
        fence: tuple[int, int],
        rows: Sequence[Any],
        lease: Lease | None = None,
        authored: Sequence[blame.Authored] = (),
    ) -> Compaction | None:
        """Fenced by the compaction point (nobody compacted meanwhile), the epoch (nobody
        deleted the room meanwhile) and the lease (this process still does the room's
        compactions: checked once the room row is locked, LeaseLost if not). Who wrote the
        folded rows' clocks (`authored`) is recorded in the same transaction."""
        ids = [row.id for row in rows]
        size = sum(len(row.data) for row in rows)
        upto, epoch = fence
        merged, levels = folded
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(_rooms)
                .where(
                    _rooms.c.name == room,
                    _rooms.c.compacted_upto == upto,
                    _rooms.c.epoch == epoch,
                    _rooms.c.deleted_at.is_(None),
                )
                .values(
                    compacted_upto=max(ids),
                    compacted_seq=max(int(row.seq) for row in rows),
                    state_bytes=len(merged),
                    log_count=_rooms.c.log_count - len(ids),
                    log_bytes=_rooms.c.log_bytes - size,
                )
            )
            if result.rowcount != 1:
                await conn.rollback()
                return None
            if lease is not None and not await leases.holds(conn, room, lease):
                raise LeaseLost(f"room {room!r}: the lease on its compactions was lost")
            await conn.execute(delete(_states).where(_states.c.room == room))
            await conn.execute(_states.insert().values(room=room, state=merged, nesting=levels))
            await blame.record(conn, room, authored)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                await conn.execute(delete(_updates).where(_updates.c.id.in_(chunk)))
            left = (
                await conn.execute(
                    select(_rooms.c.log_count, _rooms.c.log_bytes).where(_rooms.c.name == room)
                )
            ).one()
        return Compaction(
            updates=len(ids),
            bytes=size,
            state_bytes=len(merged),
            log_count=int(left.log_count),
            log_bytes=int(left.log_bytes),
        )

    async def take_leases(self, rooms: Sequence[str], lease: Lease, ttl: float) -> set[str]:
        """Take or renew `lease` on each room for `ttl` seconds; the rooms it holds now."""
        if not rooms:
            return set()
        async with self.engine.begin() as conn:
            return await leases.take(conn, rooms, lease, ttl)

    async def release_leases(self, rooms: Sequence[str], lease: Lease) -> None:
        """Give up `lease` on these rooms."""
        if rooms:
            async with self.engine.begin() as conn:
                await leases.release(conn, rooms, lease)

    async def list_rooms(
        self,
        limit: int = 100,
        *,
        after: RoomCursor | None = None,
        prefix: str = "",
        patterns: Sequence[str] | None = None,
        search: str = "",
        sort: RoomSort = "edited",
        person: tuple[str, str] | None = None,
    ) -> list[RoomInfo]:
        """Stored rooms in `sort` order (ties by name), after a cursor, filtered by a name
        prefix, by grant patterns (a name, or "prefix*"), by a search of titles and names and
        by what a person may open (catalog.people_scope)."""
        filters = (prefix, patterns, search)
        async with self.engine.connect() as conn:
            return await catalog.list_rooms(conn, limit, after, filters, sort, person)

    async def editors(self, rooms: Sequence[str]) -> dict[str, list[str]]:
        """Who edited each of these rooms lately (store/catalog.py `editors`)."""
        if not rooms:
            return {}
        async with self.engine.connect() as conn:
            return await catalog.editors(conn, rooms)

    async def set_title(self, room: str, title: str | None) -> bool:
        """Give an existing room a title (None: its name shows); False if no such room."""
        async with self.engine.begin() as conn:
            return await catalog.set_title(conn, room, title)

    async def count_rooms(self) -> int:
        """How many rooms are stored (deleted ones left out)."""
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(_rooms).where(_rooms.c.deleted_at.is_(None))
            )
        return int(count or 0)

    async def room_info(self, room: str) -> RoomInfo | None:
        """One stored room, or None."""
        async with self.engine.connect() as conn:
            query = catalog.room_info_query().where(_rooms.c.name == room)
            row = (await conn.execute(query)).first()
        return None if row is None else catalog.room_info(row)

    async def create_room(
        self, room: str, kind: str | None = None, title: str | None = None
    ) -> bool:
        """Create an empty room of `kind` with `title` (again, if it was deleted); False if it
        existed. NameInTrash if a room of that name is in the trash."""
        try:
            async with self.engine.begin() as conn:
                _, made = await roomlog.open_room(conn, room, datetime.now(UTC), kind, title)
        except RoomTrashed:
            raise NameInTrash(
                f"a document named {room!r} is in the trash: restore it, or delete it forever "
                "to use its name again"
            ) from None
        return made

    async def set_kind(self, room: str, kind: str) -> bool:
        """Record the kind of an existing room; False if no such room."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(_rooms).where(_rooms.c.name == room).values(kind=kind)
            )
        return bool(result.rowcount == 1)

    async def delete_room(self, room: str) -> RoomHead | None:
        """Delete everything stored for a room and leave a tombstone with a new epoch: appends
        naming the old one are refused from then on, on every process."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(_rooms)
                .where(_rooms.c.name == room, _rooms.c.deleted_at.is_(None))
                .values(
                    deleted_at=datetime.now(UTC),
                    epoch=_rooms.c.epoch + 1,
                    **erase.tombstone_values(room),
                )
                .returning(_rooms.c.seq, _rooms.c.epoch)
            )
            tombstone = result.first()
            if tombstone is None:
                return None
            await erase.erase_rows(conn, room)
        return RoomHead(int(tombstone.seq), int(tombstone.epoch), deleted=True)

    async def list_versions(
        self, room: str, limit: int = 50, *, before: int | None = None
    ) -> list[VersionInfo]:
        """Versions of a room, newest first, with ids below `before`."""
        async with self.engine.connect() as conn:
            return await versions.list_versions(conn, room, limit, before)

    async def get_version(self, room: str, version_id: int) -> tuple[VersionInfo, bytes] | None:
        """A version and its state (a Yjs update), or None."""
        async with self.engine.connect() as conn:
            return await versions.get_version(conn, room, version_id)

    async def thin_versions(
        self, room: str, policy: RetentionPolicy, now: datetime, *, lease: Lease | None = None
    ) -> int:
        """Apply the retention policy to a room's auto versions. Fenced by `lease` as a
        compaction is: the room row is locked, then the lease checked (LeaseLost if lost)."""
        async with self.engine.begin() as conn:
            if lease is not None:
                await roomlog.lock(conn, room)
                if not await leases.holds(conn, room, lease):
                    raise LeaseLost(f"room {room!r}: the lease on its versions was lost")
            return await versions.thin(conn, room, policy, now)

    async def close(self) -> None:
        """Dispose of the engine's pool."""
        if self._one_trip is not None:
            await self._one_trip.close()
        if self._one_statement is not None:
            await self._one_statement.close()
        await self.engine.dispose()


def _sqlite_file(engine: AsyncEngine) -> bool:
    """A SQLite file over aiosqlite (so one the standard library's sqlite3 opens too): not an
    in-memory database, which another connection (the one-trip append's own) would not see."""
    database = engine.url.database or ""
    in_memory = database in ("", ":memory:") or ":memory:" in database
    in_memory = in_memory or "mode=memory" in str(engine.url)
    return (
        engine.dialect.name == "sqlite" and engine.dialect.driver == "aiosqlite" and not in_memory
    )


async def _state_of(conn: AsyncConnection, room: str) -> tuple[bytes | None, bytes | None]:
    """A room's compacted state and the nesting levels stored with it."""
    found = (
        await conn.execute(select(_states.c.state, _states.c.nesting).where(_states.c.room == room))
    ).first()
    return (found.state, found.nesting) if found is not None else (None, None)
