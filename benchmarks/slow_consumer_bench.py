"""Does a client that stops reading cost the server memory for good? RSS across cycles.

    python benchmarks/slow_consumer_bench.py [--cycles 5] [--megabytes 16]

Each cycle opens a room with one client that completes the handshake and then never reads, and
one writer that streams `--megabytes` of edits (16 KiB each) past it. The server (send queue
limited to 4 MiB here, so the stall shows within the stream) drops the stalled client once its
queue is full (the stream must outgrow that queue plus the kernel's socket buffers, several
MB: below about 12 MB the client is never dropped and the cycle times out); the writer leaves
and the room unloads. The table shows the
server's RSS before the stream, at its peak, and once the room is gone: if the stalled clients'
queues leaked, the "after" column would climb cycle after cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from tests.server import ServerProcess  # noqa: E402
from tests.yclient import YClient, open_stalled_client  # noqa: E402

CHUNK = 16_384


async def cycle(
    server: ServerProcess, process: psutil.Process, room: str, megabytes: int, stall: bool = True
) -> dict[str, float]:
    before = process.memory_info().rss
    peak = before
    stalled = (await open_stalled_client(server.port, room))[1] if stall else None
    chunks = megabytes * 1024 * 1024 // CHUNK
    started = time.perf_counter()
    async with YClient(server.ws_url, room, ack=True) as writer:
        await writer.synced.wait()
        for i in range(1, chunks + 1):
            writer.append("z" * CHUNK)
            if i % 16 == 0:
                await writer.wait_for(lambda: writer.acked == writer.sent_updates, timeout=60)
                peak = max(peak, process.memory_info().rss)
        await writer.wait_for(lambda: writer.acked == writer.sent_updates, timeout=60)
        await server.wait_health(60, connections=1)  # the stalled client (if any) was dropped
        peak = max(peak, process.memory_info().rss)
    if stalled is not None:
        stalled.close()
    await server.wait_health(60, connections=0, rooms=0)
    seconds = time.perf_counter() - started
    after = process.memory_info().rss
    mb = 1024 * 1024
    return {"before MB": before / mb, "peak MB": peak / mb, "after MB": after / mb, "s": seconds}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--megabytes", type=int, default=16)
    parser.add_argument(
        "--no-stall", action="store_true", help="control run: the same stream, nobody stalled"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "COLLAB_LOG_LEVEL": "info",  # the slow-consumer drops are logged at info
            "COLLAB_UNLOAD_GRACE": "0.2",
            "COLLAB_SEND_QUEUE_BYTES": str(4 * 1024 * 1024),
            "COLLAB_RATE_BYTES_PER_SECOND": "1e9",
            "COLLAB_RATE_BYTE_BURST": "1000000000",
            "COLLAB_RATE_MESSAGES_PER_SECOND": "1e6",
            "COLLAB_RATE_MESSAGE_BURST": "1000000",
        }
        server = ServerProcess(f"sqlite+aiosqlite:///{tmp}/b.db", Path(tmp) / "log", env)
        await server.start()
        assert server.process is not None
        process = psutil.Process(server.process.pid)
        try:
            who = "nobody stalled (control)" if args.no_stall else "a stalled client"
            title = f"{args.megabytes} MB streamed, {who}, per cycle (server RSS)"
            print(title)
            print("-" * len(title))
            print(
                f"{'cycle':>5}  {'before MB':>10}  {'peak MB':>10}"
                f"  {'after MB':>10}  {'seconds':>8}"
            )
            for n in range(1, args.cycles + 1):
                row = await cycle(
                    server, process, f"slow-{n}", args.megabytes, stall=not args.no_stall
                )
                print(
                    f"{n:>5}  {row['before MB']:>10.1f}  {row['peak MB']:>10.1f}"
                    f"  {row['after MB']:>10.1f}  {row['s']:>8.1f}"
                )
            log = server.log_text()
            print(f"\nstalled clients dropped as slow consumers: {log.count(' behind')}")
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
