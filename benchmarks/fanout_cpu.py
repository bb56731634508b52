"""The server's CPU time per frame it fans out, with the clients costing as little as they can.

    .venv/bin/python benchmarks/fanout_cpu.py [--readers 500] [--updates 1000] [--rate 100]
        [--rounds 3] [--against OTHER_CHECKOUT]

One `collab serve` (SQLite in a temporary folder, the per-connection limits lifted as in
compare.py) and one room: `--readers` raw sockets that only read (one asyncio process; each
looks for the last update's marker in the bytes it receives, parsing nothing), and one writer
that sends `--updates` one-character Yjs updates at `--rate` a second, then one that inserts the
marker. The server's CPU time (utime + stime from /proc/PID/stat) is taken from the first
update until every reader has seen the marker, and given per 1,000 data frames the server wrote
meanwhile (its own count, `collab_ws_frames_written_total`: the group commit may send several
updates as one frame, so the frames are counted, and their number per update and reader is
shown beside): what one peer of a broadcast costs the server, the commit of each update
included. The server runs without WebSocket pings (the readers answer none).
compare.py's (g) is this with stock clients and presence.

`--against DIR` runs another checkout of collab (its `python -m collab`, by PYTHONPATH) in
rotation with this one, `--rounds` times each, and shows the medians side by side: the way to
see a change to the fan-out path, whose effect is smaller than (g)'s run-to-run spread.
Progress goes to stderr, one Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from pycrdt import Doc, Text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.compare import LIFTED, free_port  # noqa: E402
from collab.protocol.messages import encode_update  # noqa: E402
from tests.serving.raw import masked, raw_socket_at  # noqa: E402

BINARY = 0x2

MARKER = "fan-out-marker-2f9c"
_TICK = os.sysconf("SC_CLK_TCK")


def updates(count: int) -> list[bytes]:
    """`count` sync Update messages of one character each, then one inserting MARKER."""
    doc: Doc = Doc()
    text = doc.get("text", type=Text)
    messages = []
    for i in range(count + 1):
        before = doc.get_state()
        text += MARKER if i == count else "x"
        messages.append(encode_update(doc.get_update(before)))
    return messages


async def _read_until_marker(reader: asyncio.StreamReader, seen: asyncio.Event) -> None:
    marker, tail = MARKER.encode(), b""
    while True:
        data = await reader.read(1 << 16)
        if not data:
            raise RuntimeError("a reader's connection closed")
        window = tail + data
        if marker in window:
            seen.set()
            return
        tail = window[-(len(marker) - 1) :]  # a marker split over reads is found whole


def frames_written(port: int) -> float:
    """The server's count of WebSocket data frames written (every path)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("collab_ws_frames_written_total{")
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


async def measure(
    port: int, pid: int, readers: int, messages: list[bytes], rate: float
) -> tuple[float, float]:
    """Server CPU seconds from the first update until every reader saw the marker, and the
    data frames the server wrote meanwhile (the group commit may send several updates as one
    frame, so they are counted, not assumed)."""
    room = f"fanout-{time.monotonic_ns()}"
    sockets = [await raw_socket_at(port, room) for _ in range(readers)]
    events = [asyncio.Event() for _ in sockets]
    # Whatever the joins sent (the sync, nothing else in an empty room) is read by now.
    tasks = [
        asyncio.create_task(_read_until_marker(r, e))
        for (r, _), e in zip(sockets, events, strict=True)
    ]
    _, writer = await raw_socket_at(port, room)
    await asyncio.sleep(1.0)  # the joins' frames written and read before the clock starts
    frames_before = await asyncio.to_thread(frames_written, port)
    start = cpu_seconds(pid)
    interval, began = 1.0 / rate, time.monotonic()
    for index, message in enumerate(messages):
        writer.write(masked(BINARY, message))
        delay = began + (index + 1) * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    async with asyncio.timeout(120):
        await asyncio.gather(*tasks)
    spent = cpu_seconds(pid) - start
    frames = await asyncio.to_thread(frames_written, port) - frames_before
    for _, w in [*sockets, (None, writer)]:
        w.close()
    return spent, frames


def start_server(source: Path, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        **LIFTED,
        "COLLAB_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'fanout.db'}",
        "PYTHONPATH": str(source),
        "COLLAB_PING_INTERVAL": "0",  # the raw readers answer no pings
    }
    log = (folder / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "collab", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited; see {folder / 'server.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def one_round(source: Path, args: argparse.Namespace, messages: list[bytes]) -> tuple[float, float]:
    """CPU milliseconds per 1,000 frames written, and frames written per update and reader,
    in a fresh server of `source`."""
    with tempfile.TemporaryDirectory() as folder:
        process, port = start_server(source, Path(folder))
        try:
            spent, frames = asyncio.run(
                measure(port, process.pid, args.readers, messages, args.rate)
            )
        finally:
            process.terminate()
            process.wait(timeout=30)
    return spent * 1000 / (frames / 1000), frames / (len(messages) * args.readers)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="updates a second")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout, run in rotation")
    args = parser.parse_args()
    messages = updates(args.updates)
    sources = {"this checkout": ROOT}
    if args.against is not None:
        sources[f"{args.against}"] = args.against.resolve()
    figures: dict[str, list[float]] = {name: [] for name in sources}
    shares: dict[str, list[float]] = {name: [] for name in sources}
    for round_ in range(args.rounds):
        for name, source in sources.items():
            figure, share = one_round(source, args, messages)
            figures[name].append(figure)
            shares[name].append(share)
            print(
                f"round {round_ + 1}, {name}: {figure:.1f} ms per 1,000 frames, "
                f"{share:.3f} frames per update and reader",
                file=sys.stderr,
            )
    load = os.getloadavg()[0]
    print(
        f"\n{args.readers} readers, {len(messages)} updates at {args.rate:g}/s, "
        f"{args.rounds} rounds, load average {load:.1f} at the end\n"
    )
    print(
        "| collab | server CPU per 1,000 frames written (ms), median | rounds "
        "| frames per update and reader |"
    )
    print("|---|---|---|---|")
    for name, values in figures.items():
        rounds = ", ".join(f"{v:.1f}" for v in values)
        share = ", ".join(f"{v:.3f}" for v in shares[name])
        print(f"| {name} | {statistics.median(values):.1f} | {rounds} | {share} |")


if __name__ == "__main__":
    main()
