"""The server's CPU time per frame it fans out, with the clients costing as little as they can.

    .venv/bin/python benchmarks/fanout_cpu.py [--readers 500] [--updates 1000] [--rate 100]
        [--rounds 3] [--against OTHER_CHECKOUT]

One `collab serve` (SQLite in a temporary folder, the per-connection limits lifted as in
compare.py) and one room: `--readers` raw sockets that only read (one asyncio process; each
looks for the last update's marker in the bytes it receives, parsing nothing), and one writer
that sends `--updates` one-character Yjs updates at `--rate` a second, then one that inserts the
marker. The server's CPU time (utime + stime from /proc/PID/stat) is taken from the first
update until every reader has seen the marker, and given per 1,000 frames delivered (updates x
readers): what one peer of a broadcast costs the server, the commit of each update included
(the same for every reader count). compare.py's (g) is this with stock clients and presence.

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
        if marker in tail + data:
            seen.set()
            return
        tail = data[-len(marker) :]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


async def measure(port: int, pid: int, readers: int, messages: list[bytes], rate: float) -> float:
    """Server CPU seconds from the first update until every reader saw the marker."""
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
    for _, w in [*sockets, (None, writer)]:
        w.close()
    return spent


def start_server(source: Path, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        **LIFTED,
        "COLLAB_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'fanout.db'}",
        "PYTHONPATH": str(source),
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


def one_round(source: Path, args: argparse.Namespace, messages: list[bytes]) -> float:
    """CPU milliseconds per 1,000 frames delivered, in a fresh server of `source`."""
    with tempfile.TemporaryDirectory() as folder:
        process, port = start_server(source, Path(folder))
        try:
            spent = asyncio.run(measure(port, process.pid, args.readers, messages, args.rate))
        finally:
            process.terminate()
            process.wait(timeout=30)
    return spent * 1000 / (len(messages) * args.readers / 1000)


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
    for round_ in range(args.rounds):
        for name, source in sources.items():
            figure = one_round(source, args, messages)
            figures[name].append(figure)
            print(f"round {round_ + 1}, {name}: {figure:.1f} ms per 1,000", file=sys.stderr)
    load = os.getloadavg()[0]
    print(
        f"\n{args.readers} readers, {len(messages)} updates at {args.rate:g}/s, "
        f"{args.rounds} rounds, load average {load:.1f} at the end\n"
    )
    print("| collab | server CPU per 1,000 frames delivered (ms), median | rounds |")
    print("|---|---|---|")
    for name, values in figures.items():
        rounds = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {name} | {statistics.median(values):.1f} | {rounds} |")


if __name__ == "__main__":
    main()
