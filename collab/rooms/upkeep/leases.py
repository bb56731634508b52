"""This process's leases on once-per-room work (compaction, automatic versions and thinning).

Several processes may hold one room live; its once-per-room work runs on one of them at a time:
the one holding the room's lease in the database (store/leases.py). A process takes the lease
when work falls due, renews it while the room is live here, and releases it when the room
unloads. A room whose work is due while another process holds its lease is *wanted*. Every
`renew_every` seconds one statement renews every lease held, and another asks for every one
wanted: it is taken once its holder lets it go or stops renewing (it died, or is paused), and
`on_taken` then runs the work that fell due.

One kind of lease, "maintenance", covers all of a room's work: it is all triggered by the
room's edits and needs the same catch-up, and one lease is half the rows and renewals of two.
The lease only keeps the work in one place; the final write of each job is fenced by it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from collab.errors import StoreUnavailable
from collab.store.base import Lease, LeaseStore

log = logging.getLogger(__name__)

MAINTENANCE = "maintenance"


class RoomLeases:
    """Which rooms' work this process holds (and until when, by its own monotonic clock, a
    little before the database's `until`), and which it waits for."""

    def __init__(
        self,
        store: LeaseStore,
        lease: Lease,
        *,
        ttl: float,
        renew_every: float,
        live: Callable[[str], bool],
        on_taken: Callable[[str], None],
    ) -> None:
        self._store = store
        self.lease = lease
        self._ttl = ttl
        self._renew_every = renew_every
        # Whether a room is live on this process (a lease taken for a room gone meanwhile is
        # given back), and what to do once a wanted room's lease is taken.
        self._live = live
        self._on_taken = on_taken
        self._held: dict[str, float] = {}  # room -> monotonic deadline
        self._wanted: set[str] = set()

    def holds(self, room: str) -> bool:
        """Whether this process holds the room's lease now."""
        deadline = self._held.get(room)
        return deadline is not None and time.monotonic() < deadline

    def waiting(self, room: str) -> bool:
        """Whether another process held the room's lease when this one last asked."""
        return room in self._wanted

    async def hold(self, room: str) -> bool:
        """Whether this process holds the room's lease, taking it if it is free. A room whose
        lease another process holds is asked for again with every renewal, not here."""
        if self.holds(room):
            return True
        if room in self._wanted:
            return False
        return room in await self._take([room])

    def lost_lease(self, room: str) -> None:
        """A fenced write found the lease taken over: wait for it like any other."""
        if self._held.pop(room, None) is not None:
            log.info("room %s: another process took its maintenance lease", room)
        self._wanted.add(room)

    def drop(self, room: str) -> bool:
        """The room left this process: forget its lease; True if it was held (then `give_back`
        it, so that another process need not wait for it to expire)."""
        self._wanted.discard(room)
        return self._held.pop(room, None) is not None

    async def give_back(self, rooms: list[str]) -> None:
        """Release these rooms' leases in the database."""
        await self._store.release_leases(rooms, self.lease)

    async def run(self) -> None:
        """Renew the leases held, then ask for the ones wanted, until cancelled. Apart: only
        this process locks the rows of its leases, while a wanted lease's row may be locked
        by its holder's write in flight (paused, even), which must not hold up the renewals."""
        while True:
            await asyncio.sleep(self._renew_every)
            await self._renew(sorted(self._held))
            wanted = sorted(self._wanted)
            for room in sorted(await self._renew(wanted)):
                self._on_taken(room)

    async def _renew(self, rooms: list[str]) -> set[str]:
        if not rooms:
            return set()
        try:
            return await self._take(rooms)
        except StoreUnavailable as error:
            log.warning("renewing %d room leases failed (%s)", len(rooms), error.cause)
        except Exception:
            log.exception("renewing %d room leases failed", len(rooms))
        return set()

    async def close(self) -> None:
        """Give up every lease held (at shutdown)."""
        held = sorted(self._held)
        self._held.clear()
        self._wanted.clear()
        await self.give_back(held)

    async def _take(self, rooms: list[str]) -> set[str]:
        started = time.monotonic()
        taken = await self._store.take_leases(rooms, self.lease, self._ttl)
        gone = sorted(room for room in taken if not self._live(room))
        if gone:
            await self.give_back(gone)
        for room in rooms:
            if room in taken and self._live(room):
                if room not in self._held:
                    log.info("room %s: maintenance lease taken by %s", room, self.lease.owner)
                self._held[room] = started + self._ttl
                self._wanted.discard(room)
            elif room not in taken:
                if room in self._held:
                    self.lost_lease(room)
                elif self._live(room):
                    self._wanted.add(room)
        return taken - set(gone)
