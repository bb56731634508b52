"""Python WebSocket stacks side by side: uvicorn's three implementations, its event loops, granian.

    cd benchmarks && npm ci && cd ..
    .venv/bin/pip install wsproto granian   # the rows whose package is missing are skipped
    .venv/bin/python benchmarks/ws_stack.py [--quick] [--rounds N] [--only NAME,NAME]

Serves one minimal pure-ASGI app (no collab code, no Starlette): a single room where every
binary message a client sends is sent to every other connected client, awaiting each send in
turn. Each stack runs it in its own server process on a free 127.0.0.1 port:

  uvicorn with ws="websockets" (the legacy websockets protocol), "websockets-sansio" (on the
  same websockets sans-I/O layer as `collab serve`'s own protocol) and "wsproto", each on
  uvloop and on the asyncio loop, permessage-deflate off (ws_per_message_deflate=False, as
  collab runs);
  uvicorn with its defaults (ws="auto", which is websockets-sansio, loop "auto", which is
  uvloop when installed, permessage-deflate on); granian (ASGI interface, one worker, its
  own Rust WebSocket implementation without compression) on uvloop and on asyncio; and, for
  scale, the same app on Node's `ws` package.

`ws_stack_driver.mjs` drives every server with the same plain `ws` clients (which offer
permessage-deflate; the "deflate" column is what was negotiated) and 100-byte messages:

  fixed rate  1 writer at 100 messages/s for 5 s to 20 readers: delivery latency p50/p99
  saturated   4 writers, each keeping 32 messages in flight (sent, not yet seen by one reader),
              20 readers; every message any socket receives in 5 s (after 1 s of warm-up),
              per second

plus the server's CPU time (utime + stime from /proc/PID/stat, summed over the server process
and its children, as granian serves from a worker process) per 1,000 messages delivered in
each measured window, and the driver's own CPU use (near 100 % means the client, not the
server, may be the limit; the CPU figures are in clock ticks of 10 ms, so the fixed-rate
ones, about 20 ticks, are coarse). On a shared machine the saturated rate moves with the
other load; CPU per message moves less. collab's serve uses uvicorn with its own protocol on
websockets' sans-I/O layer, loop "auto" (uvloop here) and permessage-deflate off: the "vs
collab's stack" column compares each row's saturated rate with "uvicorn websockets-sansio + uvloop".

--rounds N runs every stack N times in rotation and shows the median. Progress goes to stderr,
one Markdown table to stdout. A benchmark, not a test: the machine's other load shows in the
numbers (the load average is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "ws_stack_driver.mjs"
VENV_BIN = HERE.parent / ".venv" / "bin"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Result = dict[str, Any]

# The room: one send callable per connected client.
PEERS: dict[int, Send] = {}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The broadcast app, plain ASGI 3."""
    if scope["type"] == "lifespan":
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    if scope["type"] != "websocket":
        return
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    me = id(send)
    PEERS[me] = send
    try:
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return
            data = event.get("bytes")
            if data is None:
                continue
            out = {"type": "websocket.send", "bytes": data}
            for key, peer in list(PEERS.items()):
                if key == me:
                    continue
                try:
                    await peer(out)
                except Exception:  # that peer has gone; its own loop removes it
                    PEERS.pop(key, None)
    finally:
        PEERS.pop(me, None)


@dataclass(frozen=True)
class Stack:
    """One server configuration."""

    name: str
    server: str  # "uvicorn", "granian" or "node"
    ws: str = ""
    loop: str = ""
    deflate: bool = False

    def available(self) -> str | None:
        """Why this stack cannot run here, or None."""
        needed = {"wsproto": "wsproto", "granian": "granian"}
        for key, module in needed.items():
            if key in (self.ws, self.server) and not importable(module):
                return f"{module} is not installed"
        if self.loop == "uvloop" and not importable("uvloop"):
            return "uvloop is not installed"
        return None


STACKS = [
    Stack("uvicorn websockets-sansio + uvloop", "uvicorn", "websockets-sansio", "uvloop"),
    Stack("uvicorn websockets + uvloop", "uvicorn", "websockets", "uvloop"),
    Stack("uvicorn wsproto + uvloop", "uvicorn", "wsproto", "uvloop"),
    Stack("uvicorn websockets-sansio + asyncio", "uvicorn", "websockets-sansio", "asyncio"),
    Stack("uvicorn websockets + asyncio", "uvicorn", "websockets", "asyncio"),
    Stack("uvicorn wsproto + asyncio", "uvicorn", "wsproto", "asyncio"),
    Stack("uvicorn defaults (auto, deflate on)", "uvicorn", "auto", "auto", deflate=True),
    Stack("granian + uvloop", "granian", "granian", "uvloop"),
    Stack("granian + asyncio", "granian", "granian", "asyncio"),
    Stack("node ws (for scale)", "node", "ws", "node"),
]
COLLAB_STACK = STACKS[0].name

SIZES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "latency": (
        {"readers": 20, "rate": 100, "seconds": 5},
        {"readers": 20, "rate": 100, "seconds": 1},
    ),
    "saturate": (
        {"readers": 20, "writers": 4, "window": 32, "seconds": 5, "warmup": 1},
        {"readers": 20, "writers": 4, "window": 32, "seconds": 1, "warmup": 0.5},
    ),
}


def importable(module: str) -> bool:
    done = subprocess.run(
        [str(VENV_BIN / "python"), "-c", f"import {module}"], capture_output=True, check=False
    )
    return done.returncode == 0


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(name: str, port: int) -> None:
    """Runs one uvicorn stack in this process (granian and node run as their own commands)."""
    stack = next(s for s in STACKS if s.name == name)
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        ws=stack.ws,
        loop=stack.loop,
        ws_per_message_deflate=stack.deflate,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


def command(stack: Stack, port: int) -> list[str]:
    if stack.server == "uvicorn":
        return [str(VENV_BIN / "python"), str(Path(__file__)), "--serve", stack.name, str(port)]
    if stack.server == "granian":
        return [
            str(VENV_BIN / "granian"),
            *("--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", "1", "--loop", stack.loop, "--log-level", "warning"),
            *("--working-dir", str(HERE), "ws_stack:app"),
        ]
    return ["node", str(DRIVER), "serve", str(port)]


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and all its descendants, in seconds."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, p in parents.items() if p == parent and child not in family]
        family.update(children)
        frontier.extend(children)
    ticks = 0
    for member in family:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / CLOCK_TICKS


@contextlib.contextmanager
def running(stack: Stack, logs: Path) -> Iterator[tuple[int, str]]:
    """The server's PID and WebSocket URL while it runs."""
    port = free_port()
    log_path = logs / f"{stack.server}-{stack.ws}-{stack.loop}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command(stack, port), stdout=log, stderr=subprocess.STDOUT, cwd=HERE
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{stack.name} exited; see {log_path}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{stack.name} did not start; see {log_path}")
            time.sleep(0.1)
        yield process.pid, f"ws://127.0.0.1:{port}/"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def drive(mode: str, pid: int, url: str, options: dict[str, Any]) -> Result:
    """One driver run; the server's CPU seconds over the driver's measured window."""
    arguments = json.dumps({**options, "deadline": 90000})
    driver = subprocess.Popen(
        ["node", str(DRIVER), mode, url, arguments],
        cwd=HERE,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    marks: dict[str, float] = {}
    result: Result = {}
    try:
        for line in driver.stdout or []:
            message = json.loads(line)
            if "phase" in message:
                marks[message["phase"]] = tree_cpu_seconds(pid)
            else:
                result = message
        driver.wait(timeout=30)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    if driver.returncode != 0 or not result or len(marks) != 2:
        raise RuntimeError(f"driver {mode} failed with exit code {driver.returncode}")
    result["server_cpu_s"] = marks["end"] - marks["start"]
    delivered = result["delivered"]
    result["cpu_ms_per_1000"] = 1e6 * result["server_cpu_s"] / delivered if delivered else None
    return result


def measure(stack: Stack, logs: Path, quick: bool) -> Result:
    size = 1 if quick else 0
    with running(stack, logs) as (pid, url):
        latency = drive("latency", pid, url, SIZES["latency"][size])
        saturated = drive("saturate", pid, url, SIZES["saturate"][size])
    return {
        "deflate": latency["extensions"] or "off",
        "p50_ms": latency["p50_ms"],
        "p99_ms": latency["p99_ms"],
        "delivered_pct": 100 * latency["delivered"] / latency["expected"],
        "cpu_fixed": latency["cpu_ms_per_1000"],
        "per_s": saturated["delivered_per_s"],
        "cpu_saturated": saturated["cpu_ms_per_1000"],
        "driver_cpu_pct": saturated["driver_cpu_pct"],
    }


def median(values: list[Any]) -> Any:
    numbers = [v for v in values if isinstance(v, int | float)]
    return statistics.median(numbers) if numbers else None


def number(value: Any, digits: int = 2) -> str:
    if not isinstance(value, int | float):
        return "failed" if value is None else str(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.{digits}f}"


COLUMNS = [
    ("fixed rate p50 (ms)", "p50_ms"),
    ("fixed rate p99 (ms)", "p99_ms"),
    ("fixed rate delivered (%)", "delivered_pct"),
    ("server CPU ms / 1,000 msgs, fixed rate", "cpu_fixed"),
    ("saturated delivered/s", "per_s"),
    ("server CPU ms / 1,000 msgs, saturated", "cpu_saturated"),
    ("driver CPU, saturated (%)", "driver_cpu_pct"),
]


def table(results: dict[str, list[Result]]) -> str:
    head = ["stack", "deflate", *(label for label, _ in COLUMNS)]
    head[head.index("saturated delivered/s") + 1 : 0] = ["saturated, min-max of rounds"]
    head.append("vs collab's stack")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = {
        name: {key: median([r.get(key) for r in runs]) for _, key in COLUMNS}
        for name, runs in results.items()
    }
    base = rows.get(COLLAB_STACK, {}).get("per_s")
    for name, runs in results.items():
        row = rows[name]
        deflate = ", ".join(sorted({str(r.get("deflate", "failed")) for r in runs}))
        relative = f"{row['per_s'] / base:.2f}x" if row["per_s"] and base else "n/a"
        rates = [r["per_s"] for r in runs if isinstance(r.get("per_s"), int | float)]
        spread = f"{number(min(rates))}-{number(max(rates))}" if rates else "failed"
        cells = [name, deflate, *(number(row[key]) for _, key in COLUMNS), relative]
        cells[head.index("saturated, min-max of rounds") : 0] = [spread]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 s windows: a smoke run")
    parser.add_argument("--rounds", type=int, default=1, help="runs per stack (median shown)")
    parser.add_argument(
        "--window", type=int, help="saturated run: messages in flight per writer (default 32)"
    )
    parser.add_argument("--only", help="comma-separated parts of stack names, e.g. granian")
    parser.add_argument("--logs", help="keep the servers' logs in this folder")
    parser.add_argument("--serve", nargs=2, metavar=("STACK", "PORT"), help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the servers
    if not (HERE / "node_modules" / "ws").is_dir():
        sys.exit("run `npm ci` in benchmarks/ first")
    wanted = [w.strip() for w in args.only.split(",")] if args.only else None
    stacks = [s for s in STACKS if not wanted or any(w in s.name for w in wanted)]
    if args.window:
        for size in SIZES["saturate"]:
            size["window"] = args.window
    skipped = {s.name: why for s in stacks if (why := s.available())}
    stacks = [s for s in stacks if s.name not in skipped]
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="ws-stack-"))
    logs.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[Result]] = {s.name: [] for s in stacks}
    loads = [os.getloadavg()[0]]
    started = time.monotonic()
    try:
        for round_ in range(max(1, args.rounds)):
            for stack in stacks:
                progress(f"round {round_ + 1}: {stack.name} (load average {loads[-1]:.1f})")
                try:
                    results[stack.name].append(measure(stack, logs, args.quick))
                except Exception as error:
                    progress(f"{stack.name} failed: {error}")
                    results[stack.name].append({"error": str(error)})
                loads.append(os.getloadavg()[0])
        versions = subprocess.run(
            [str(VENV_BIN / "python"), "-c", VERSIONS], capture_output=True, text=True
        ).stdout.strip()
        print(
            f"{versions}; {'quick' if args.quick else 'full'} run, {args.rounds} round(s),", end=" "
        )
        print(f"{time.monotonic() - started:.0f} s, {os.cpu_count()} cores,", end=" ")
        print(f"1-min load average {min(loads):.1f} to {max(loads):.1f}\n")
        print(table(results))
        found = [f"{name}: skipped: {why}" for name, why in skipped.items()]
        found += [
            f"{name}: failed: {r['error']}"
            for name, runs in results.items()
            for r in runs
            if "error" in r
        ]
        for path in sorted(logs.glob("*.log")):
            bad = [line for line in path.read_text(errors="replace").splitlines() if is_bad(line)]
            if bad:
                found.append(f"{path.name}: {len(bad)} warning/error lines, first: {bad[0][:200]}")
        if found:
            print("\nNotes:\n" + "\n".join(f"- {line}" for line in found))
    finally:
        if not args.logs:
            shutil.rmtree(logs, ignore_errors=True)


VERSIONS = """
from importlib.metadata import version, PackageNotFoundError
out = []
for name in ("uvicorn", "websockets", "wsproto", "uvloop", "granian"):
    try:
        out.append(f"{name} {version(name)}")
    except PackageNotFoundError:
        pass
print(", ".join(out))
"""


def is_bad(line: str) -> bool:
    return any(word in line for word in ("ERROR", "Traceback", "Error:", "Exception"))


if __name__ == "__main__":
    main()
