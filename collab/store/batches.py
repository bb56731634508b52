"""Commits that are never stored twice.

A commit whose reply is lost (the connection dropped after COMMIT was sent) looks like a
failure to the writer, which retries it. Each batch carries a key its writer made; the
transaction that stores the batch also records the key with what the commit returned, so the
retry finds it and returns that instead of storing the rows (and numbering them) again. Keys
older than an hour are deleted now and then: no retry waits that long.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.store.base import Appended, VersionInfo, VersionResult
from collab.store.models import CommitBatchRow

batches = cast(Table, CommitBatchRow.__table__)
_KEEP = timedelta(hours=1)
_SWEEP_EVERY = 512


def _version_json(result: VersionResult) -> dict[str, Any]:
    return {**result.info.to_json(), "created": result.created}


def _version(data: dict[str, Any]) -> VersionResult:
    info = VersionInfo(
        data["id"],
        data["room"],
        datetime.fromisoformat(data["created_at"]),
        data["kind"],
        data["label"],
        data["author"],
        list(data["authors"]),
        data["size_bytes"],
    )
    return VersionResult(info, created=bool(data["created"]))


class BatchLedger:
    """Records and finds committed batches by key."""

    def __init__(self) -> None:
        self._recorded = 0

    async def find(self, conn: AsyncConnection, key: str) -> Appended | None:
        """What the batch `key` returned when it was committed, or None if it was not."""
        text = await conn.scalar(select(batches.c.result).where(batches.c.id == key))
        if text is None:
            return None
        data = json.loads(text)
        seqs = {room: (int(first), int(last)) for room, (first, last) in data["seqs"].items()}
        return Appended([_version(v) for v in data["versions"]], seqs)

    async def record(
        self, conn: AsyncConnection, key: str, appended: Appended, now: datetime
    ) -> None:
        """Record the batch in the transaction that stores it; sweep old keys now and then."""
        await conn.execute(
            batches.insert().values(id=key, created_at=now, result=result_text(appended))
        )
        if self.sweeps_next():
            await conn.execute(delete(batches).where(batches.c.created_at < swept_before(now)))
        self.counted()

    def sweeps_next(self) -> bool:
        """Whether the next batch recorded sweeps the old keys: the first, then one in
        `_SWEEP_EVERY`."""
        return self._recorded % _SWEEP_EVERY == 0

    def counted(self) -> None:
        """Count a batch recorded (by `record`, or by a statement of its own that swept when
        `sweeps_next` said so: collab/store/postgres_append.py)."""
        self._recorded += 1


def result_text(appended: Appended) -> str:
    """What the ledger stores of a batch: the JSON text `BatchLedger.find` reads back."""
    result = {
        "seqs": {room: list(pair) for room, pair in appended.seqs.items()},
        "versions": [_version_json(v) for v in appended.versions],
    }
    return json.dumps(result)


def result_parts(room: str) -> tuple[str, str, str]:
    """`result_text` of a batch of updates to one room, around its sequence numbers: the text
    is head + str(first) + middle + str(last) + tail, so a statement can write it with the
    numbers it assigns."""
    text = result_text(Appended([], {room: (0, 0)}))
    # The pair is the last "[0, 0]": the room's name, before it, may hold one too.
    head, _, tail = text.rpartition("[0, 0]")
    return head + "[", ", ", "]" + tail


def swept_before(now: datetime) -> datetime:
    """Keys recorded before this moment are old enough to sweep."""
    return now - _KEEP
