"""Does one flooding client slow the others? Fan-out latency with and without a flood.

    python benchmarks/flood_bench.py [--seconds 8]

One writer sends 20 updates/s to 10 readers in a room; in the second run another client of the
same room floods tiny updates as fast as it can (until the server's rate limit closes it, then it
reconnects and floods again). Prints p50/p95/p99 for both runs.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from pycrdt import Doc, Text  # noqa: E402

from benchmarks.sync_bench import percentile, table  # noqa: E402
from collab.protocol.encoding import Reader  # noqa: E402
from collab.protocol.messages import MessageType, SyncType, encode_update  # noqa: E402
from tests.server import ServerProcess  # noqa: E402


async def measure(server: ServerProcess, room: str, seconds: float, flood: bool) -> dict:
    sent_at: dict[bytes, float] = {}
    latencies: list[float] = []

    async def read(ws: websockets.ClientConnection) -> None:
        async for frame in ws:
            assert isinstance(frame, bytes)
            reader = Reader(frame)
            if (
                reader.read_var_uint() == MessageType.SYNC
                and reader.read_var_uint() == SyncType.UPDATE
            ):
                started = sent_at.get(reader.read_var_bytes())
                if started is not None:
                    latencies.append(time.perf_counter() - started)

    readers = [await websockets.connect(f"{server.ws_url}/{room}") for _ in range(10)]
    tasks = [asyncio.create_task(read(ws)) for ws in readers]
    # The flooder runs in its own process, so it cannot delay this process's measurements.
    flood_process = None
    if flood:
        flood_process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--flood",
            f"{server.ws_url}/{room}",
            stdout=asyncio.subprocess.PIPE,
        )
        await asyncio.sleep(0.5)
    writer = await websockets.connect(f"{server.ws_url}/{room}")
    doc: Doc = Doc()
    text = doc.get("content", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    rate = 20
    start = time.perf_counter()
    for i in range(int(seconds * rate)):
        text += f"u{i} "
        update = updates.pop()
        sent_at[update] = time.perf_counter()
        await writer.send(encode_update(update))
        await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
    await asyncio.sleep(1.0)
    flood_stats: dict[str, int] = {}
    if flood_process is not None:
        flood_process.terminate()
        output, _ = await flood_process.communicate()
        sent, closes = (int(n) for n in output.decode().split())
        flood_stats = {"flood messages": sent, "flooder closes": closes}
    for task in tasks:
        task.cancel()
    for ws in [*readers, writer]:
        await ws.close()
    ms = [value * 1000 for value in latencies]
    row = {
        "p50 ms": percentile(ms, 0.5),
        "p95 ms": percentile(ms, 0.95),
        "p99 ms": percentile(ms, 0.99),
    }
    return {**row, **flood_stats}


async def flood(url: str) -> None:
    """Send tiny updates as fast as possible; reconnect 0.2 s after each close. On SIGTERM,
    print how many were sent and how often the server closed the connection."""
    frame = encode_update(b"\x00\x00")
    counts = [0, 0]
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, done.set)

    async def run() -> None:
        while True:
            try:
                async with websockets.connect(url) as ws:
                    while True:
                        await ws.send(frame)
                        counts[0] += 1
                        if counts[0] % 100 == 0:
                            await asyncio.sleep(0)  # let the client notice the server's close
            except (websockets.ConnectionClosed, OSError):
                counts[1] += 1
                await asyncio.sleep(0.2)

    task = asyncio.create_task(run())
    await done.wait()
    task.cancel()
    print(counts[0], counts[1], flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--flood", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood:
        await flood(args.flood)
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(
            f"sqlite+aiosqlite:///{tmp}/b.db", Path(tmp) / "log", {"COLLAB_LOG_LEVEL": "warning"}
        )
        await server.start()
        try:
            print(
                table(
                    "baseline: 1 writer -> 10 readers, 20 updates/s",
                    await measure(server, "a", args.seconds, False),
                )
            )
            print()
            print(
                table(
                    "same, with a flooding client in the room",
                    await measure(server, "b", args.seconds, True),
                )
            )
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
