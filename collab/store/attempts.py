"""SQL for sign-in attempts, so that every process of a cluster throttles the same account and
address: an attempt is stored (one row per key it counts against) and committed before the
others of its key are counted, so of attempts sent together to several processes at most `limit`
of each key pass (the last of any `limit + 1` to commit sees the others); a refused attempt is
taken back (it does not count, as in one process's memory)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.store.models import SignInAttemptRow
from collab.store.outage import translates_outages

_attempts = cast(Table, SignInAttemptRow.__table__)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@translates_outages
class SqlSignInAttempts:
    """Attempts per key within a window, one transaction per step."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def attempt(self, limits: Mapping[str, int], window: float) -> tuple[float, list[int]]:
        """Count an attempt against each key of `limits` (key: most attempts in `window`
        seconds). Returns (0, the ids of its rows) when every key is within its limit, else
        (seconds until the first key that is over may try again, []) with the attempt taken
        back. Attempts older than the window are forgotten on the way."""
        now = datetime.now(UTC)
        cutoff = now - timedelta(seconds=window)
        ids: dict[str, int] = {}
        async with self._engine.begin() as conn:
            await conn.execute(delete(_attempts).where(_attempts.c.at <= cutoff))
            for key in limits:
                inserted = await conn.execute(_attempts.insert().values(key=key, at=now))
                primary = inserted.inserted_primary_key
                assert primary is not None
                ids[key] = int(primary[0])
        wait = 0.0
        async with self._engine.connect() as conn:
            for key, limit in limits.items():
                earlier = (
                    select(_attempts.c.at)
                    .where(
                        _attempts.c.key == key,
                        _attempts.c.id != ids[key],
                        _attempts.c.at > cutoff,
                    )
                    .order_by(_attempts.c.id.desc())
                    .limit(limit)
                )
                ats = [_utc(at) for at in (await conn.scalars(earlier)).all()]
                if len(ats) >= limit:
                    oldest = ats[-1]
                    wait = max(wait, (oldest - now).total_seconds() + window, 1.0)
        if wait > 0:
            await self.take_back(list(ids.values()))
            return wait, []
        return 0.0, list(ids.values())

    async def take_back(self, ids: list[int]) -> None:
        """Forget the attempt rows `ids`."""
        if ids:
            async with self._engine.begin() as conn:
                await conn.execute(delete(_attempts).where(_attempts.c.id.in_(ids)))

    async def clear(self, key: str) -> None:
        """Forget every attempt of `key` (an account that signed in starts afresh)."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(_attempts).where(_attempts.c.key == key))

    async def count(self, key: str) -> int:
        """Attempts of `key` stored (for tests and diagnostics)."""
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(func.count()).where(_attempts.c.key == key))
        return int(found or 0)
