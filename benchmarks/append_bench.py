"""Time of one `SqlStore.append` of one update, in-process, on a SQLite file.

    python benchmarks/append_bench.py [--appends 2000] [--database-url sqlite+aiosqlite:///x.db]

Two paths: updates naming their room's epoch, as the live writer sends them (on a SQLite file,
the one-trip append, collab/store/sqlite_writer.py), and updates naming none, as offline tools
write them (SQLAlchemy's path). Each append is awaited before the next; percentiles in
microseconds. Without --database-url a fresh file in a temporary directory is used.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pycrdt import Doc, Text

from collab.store import migrate
from collab.store.base import NewUpdate
from collab.store.db import create_engine
from collab.store.sql import SqlStore


def _updates(count: int) -> list[bytes]:
    """`count` small edits of one text, each a Yjs update of a few dozen bytes."""
    doc: Doc[Any] = Doc(client_id=1)
    text = doc.get("content", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for i in range(count):
        text.insert(len(text), f"{i % 10}")
    return updates


async def _time(store: SqlStore, room: str, epoch: int | None, updates: list[bytes]) -> list[float]:
    spent = []
    for update in updates:
        started = time.perf_counter()
        await store.append([NewUpdate(room, update, author="bench", epoch=epoch)])
        spent.append(time.perf_counter() - started)
    return spent


async def run(url: str, appends: int) -> dict[str, list[float]]:
    """Per path, the time of each append (seconds), after a warm-up of 100 appends."""
    engine = create_engine(url)
    await migrate.upgrade(engine)
    store = SqlStore(engine)
    try:
        updates = _updates(appends + 100)
        results = {}
        for path, room in (("epoch named (one trip)", "fast"), ("no epoch (SQLAlchemy)", "slow")):
            epoch = (await store.load(room)).epoch if room == "fast" else None
            await _time(store, room, epoch, updates[:100])
            results[path] = await _time(store, room, epoch, updates[100:])
        return results
    finally:
        await store.close()


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        results = asyncio.run(run(url, args.appends))
    print(f"one append of one update, {args.appends} appends per path (microseconds)")
    print(f"{'path':<24} {'p50':>8} {'p90':>8} {'p99':>8} {'mean':>8}")
    for path, samples in results.items():
        figures = [_percentile(samples, f) for f in (0.5, 0.9, 0.99)]
        figures.append(statistics.fmean(samples))
        print(f"{path:<24} " + " ".join(f"{f * 1e6:>8.0f}" for f in figures))


if __name__ == "__main__":
    main()
