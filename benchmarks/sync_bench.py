"""Benchmark the sync core against a real server process with real WebSocket clients.

    python benchmarks/sync_bench.py [--seconds 10] [--database-url URL]

(a) fan-out latency: 1 writer, 50 readers, 50 updates/s; time from the writer's send to each
    reader's receipt (includes the commit that precedes every broadcast).
(b) sustained throughput: 4 writers in one room sending as fast as acknowledgements allow
    (at most 64 unacknowledged updates each), persistence on; counts committed updates.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from pycrdt import Doc, Text  # noqa: E402

from collab.protocol.encoding import Reader  # noqa: E402
from collab.protocol.messages import (  # noqa: E402
    MessageType,
    SyncType,
    encode_sync_step1,
    encode_update,
)
from tests.server import ServerProcess  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _handshake(ws: websockets.ClientConnection) -> None:
    await ws.send(encode_sync_step1(b"\x00"))


async def fanout(server: ServerProcess, seconds: float, readers: int = 50, rate: int = 50) -> dict:
    sent_at: dict[bytes, float] = {}
    latencies: list[float] = []
    room = "fanout"

    async def read(ws: websockets.ClientConnection) -> None:
        async for frame in ws:
            assert isinstance(frame, bytes)
            reader = Reader(frame)
            if reader.read_var_uint() != MessageType.SYNC:
                continue
            if reader.read_var_uint() != SyncType.UPDATE:
                continue
            update = reader.read_var_bytes()
            started = sent_at.get(update)
            if started is not None:
                latencies.append(time.perf_counter() - started)

    sockets = [await websockets.connect(f"{server.ws_url}/{room}") for _ in range(readers)]
    tasks = [asyncio.create_task(read(ws)) for ws in sockets]
    for ws in sockets:
        await _handshake(ws)
    writer = await websockets.connect(f"{server.ws_url}/{room}")
    doc: Doc = Doc()
    text = doc.get("content", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    count = int(seconds * rate)
    start = time.perf_counter()
    for i in range(count):
        text += f"update {i} "
        update = updates.pop()
        sent_at[update] = time.perf_counter()
        await writer.send(encode_update(update))
        await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
    await asyncio.sleep(1.0)
    for task in tasks:
        task.cancel()
    for ws in [*sockets, writer]:
        await ws.close()
    ms = [value * 1000 for value in latencies]
    return {
        "deliveries": f"{len(ms)} / {count * readers}",
        "p50 ms": percentile(ms, 0.50),
        "p95 ms": percentile(ms, 0.95),
        "p99 ms": percentile(ms, 0.99),
        "max ms": max(ms),
        "mean ms": statistics.fmean(ms),
    }


async def throughput(server: ServerProcess, seconds: float, writers: int = 4) -> dict:
    window = 64
    room = "throughput"
    acked_total = [0] * writers

    async def write(index: int) -> None:
        ws = await websockets.connect(f"{server.ws_url}/{room}?ack=1")
        doc: Doc = Doc()
        text = doc.get("content", type=Text)
        updates: list[bytes] = []
        doc.observe(lambda event: updates.append(event.update))
        sent = 0
        acked = 0
        ack_event = asyncio.Event()

        async def read_acks() -> None:
            nonlocal acked
            async for frame in ws:
                assert isinstance(frame, bytes)
                reader = Reader(frame)
                if reader.read_var_uint() == MessageType.DURABLE:
                    acked = reader.read_var_uint()
                    acked_total[index] = acked
                    ack_event.set()

        reader_task = asyncio.create_task(read_acks())
        reader_task.add_done_callback(lambda _: ack_event.set())
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline and not reader_task.done():
            while sent - acked >= window and not reader_task.done():
                ack_event.clear()
                await ack_event.wait()
            text += "x"
            await ws.send(encode_update(updates.pop()))
            sent += 1
        reader_task.cancel()
        await ws.close()

    start = time.perf_counter()
    await asyncio.gather(*(write(i) for i in range(writers)))
    elapsed = time.perf_counter() - start
    total = sum(acked_total)
    return {"writers": writers, "committed updates": total, "updates/s": total / elapsed}


def table(title: str, rows: dict) -> str:
    width = max(len(key) for key in rows)
    lines = [title, "-" * len(title)]
    for key, value in rows.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        lines.append(f"{key:<{width}}  {shown:>14}")
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        # Measure the core, not the per-connection rate limit (4429 above 300 messages/s).
        env = {
            "COLLAB_LOG_LEVEL": "warning",
            "COLLAB_RATE_MESSAGES_PER_SECOND": "1e6",
            "COLLAB_RATE_MESSAGE_BURST": "1000000",
        }
        server = ServerProcess(url, Path(tmp) / "server.log", env)
        await server.start()
        try:
            print(f"database: {url.split('://')[0]}, {args.seconds:.0f} s per scenario\n")
            print(
                table(
                    "(a) fan-out, 1 writer -> 50 readers at 50 updates/s",
                    await fanout(server, args.seconds),
                )
            )
            print()
            print(
                table(
                    "(b) sustained commits, 4 writers in one room",
                    await throughput(server, args.seconds),
                )
            )
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
