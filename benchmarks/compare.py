"""collab against the reference y-websocket server, driven by the same stock Yjs clients.

    cd benchmarks && npm ci && cd ..
    .venv/bin/python benchmarks/compare.py [--quick] [--only a,b] [--database-url URL] [--logs DIR]
    .venv/bin/python benchmarks/compare.py --hocuspocus [--quick] [--only a,n] ...

Starts `@y/websocket-server` (Node, keeps documents in memory only), then `collab serve` twice:
with default settings and with its per-connection rate limits and flow control lifted (COLLAB_*
env vars). Each server gets the same workloads from `compare_driver.mjs`, which runs y-websocket
3.x WebsocketProvider clients under Node (identical client code for every server):

  p  presence: 10 clients in a room, an 11th moves its cursor 25 times a second for 4 s and
     then leaves (destroy), and 9 more join and leave one after another; latency from each
     change to each of the 10 seeing it, and from each leave to each removing it (wall clock,
     as below)
  s  start-up: the server's RSS once it listens, before any client (a fresh start, 2 s after)
  a  fan-out: 1 writer at 50 updates/s, 20 readers in one room; delivery latency
  b  throughput: 4 writers, each keeping 32 updates in flight to an observing reader
  c  convergence: 8 clients x 200 random Y.Text edits; last edit sent to all documents equal,
     and first edit to all equal (the median of 7 rounds)
  d  5,000 connections over 100 rooms with awareness: server RSS per connection, time to sync
  e  cold join of a room holding 100,000 small updates (collab restarts first, so the room loads
     from the database; the reference keeps it in memory, its seeding client staying connected)
  f  reconnect storm: 1,000 clients over 10 rooms all close and reopen their sockets at once
  g  500 connections in one room (collab's default per-room limit): one writer joins, then 499
     readers with awareness (over 2 driver processes); the writer sends 20 updates/s for 5 s;
     server RSS, readers' time to sync, delivery latency to all readers
  h  a 10 MB document: one client seeds a room with 100 KB Y.Text inserts (collab's defaults
     allow it: 4 MiB per message, 32 MiB per document), 10 clients join at once, then the
     seeder makes small edits at 20/s for 5 s; server RSS, join time, edit delivery latency
  i  100 rooms with 50 readers each (as d, 90 s to connect), plus one writer in each of 10 of
     the rooms (joining first) sending 2 updates/s for 10 s once the readers are in; server
     RSS, time to sync, delivery latency to the 500 readers of those rooms
  j  10,000 connections in one server process: as i over 200 rooms (4 driver processes, 180 s
     to connect); server RSS and memory per connection, time to sync, delivery latency

g, h, i and j restart the server first, so its RSS is that of the scenario alone; "peak RSS" is
the server's VmHWM at the end of the workload. Delivery latencies between driver processes are
measured on the wall clock (performance.timeOrigin + performance.now()); a reader counts an
update once it observes it (an update it missed while reconnecting arrives merged with later
ones, so counts once), and waits up to 30 s after the last one. The drivers share the machine's
cores with the server: the CPU rows (100 % = one core) tell which side was busy while the writers
wrote; a stock client echoes every awareness change it receives, so 5,000 of them keep their
drivers busy too.

With --hocuspocus, the servers are instead `@hocuspocus/server` 3.x with its SQLite extension
(benchmarks/hocuspocus_server.mjs, store debounced as by default) and collab's `/hocuspocus`
endpoint (defaults, limits lifted), all driven by stock HocuspocusProvider 3.x clients
(`hocuspocus_driver.mjs`, the same code for every server) on workloads a, b, c and f above
(c also times until every provider's unsynced changes are 0: collab acknowledges an update
once committed, Hocuspocus once applied in memory), p, and:

  m  200 clients, each one socket with 10 documents on it (a provider per document sharing one
     HocuspocusProviderWebsocket; 200 documents, 10 clients each); one more socket writes to
     documents 0-9 2 times a second each for 10 s: server RSS, connect to all 10 synced,
     delivery latency
  n  as m with 1,000 clients (10,000 documents open over 1,000 sockets), 120 s to connect

The database is a temporary SQLite file unless --database-url is given (for example
postgresql+asyncpg://postgres@127.0.0.1:5432/test). Progress goes to stderr and one Markdown
table to stdout. A benchmark, not a test: the machine's other load shows in the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DRIVER = HERE / "compare_driver.mjs"
HOCUSPOCUS_DRIVER = HERE / "hocuspocus_driver.mjs"
HOCUSPOCUS_BIN = HERE / "hocuspocus_server.mjs"
REFERENCE_BIN = HERE / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"

BIG = str(10**9)
LIFTED = {
    "COLLAB_RATE_MESSAGES_PER_SECOND": BIG,
    "COLLAB_RATE_MESSAGE_BURST": BIG,
    "COLLAB_RATE_BYTES_PER_SECOND": str(10**12),
    "COLLAB_RATE_BYTE_BURST": str(10**12),
    "COLLAB_STATE_BYTES_PER_SECOND": str(10**12),
    "COLLAB_STATE_BYTE_BURST": str(10**12),
    "COLLAB_AWARENESS_PER_SECOND": BIG,
    "COLLAB_SEND_QUEUE_SIZE": BIG,
    "COLLAB_SEND_QUEUE_BYTES": str(10**12),
    "COLLAB_SEND_BUDGET_BYTES": str(10**12),
    "COLLAB_MAX_CONNECTIONS": BIG,
    "COLLAB_MAX_CONNECTIONS_PER_ROOM": BIG,
    "COLLAB_MAX_ROOMS": BIG,
    "COLLAB_AWARENESS_IDS_PER_ROOM": BIG,
}

# Driver options per workload: full run, then --quick.
SIZES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "p": ({"watchers": 10, "rate": 25, "seconds": 4}, {"watchers": 10, "rate": 25, "seconds": 1}),
    "a": ({"readers": 20, "rate": 50, "seconds": 10}, {"readers": 20, "rate": 50, "seconds": 2}),
    "b": (
        {"writers": 4, "window": 32, "seconds": 5},
        {"writers": 4, "window": 32, "seconds": 1, "warmup": 0.5},
    ),
    "c": ({"clients": 8, "edits": 200}, {"clients": 8, "edits": 50}),
    "d": (
        {"total": 5000, "rooms": 100, "procs": 4, "timeout": 90000},
        {"total": 200, "rooms": 4, "procs": 2, "settle": 500},
    ),
    "e": ({"updates": 100_000}, {"updates": 5_000}),
    "f": ({"clients": 1000, "rooms": 10}, {"clients": 100, "rooms": 10}),
    # total: readers over `rooms` rooms (up to 90 s to connect, as in d), procs: their driver
    # processes; writers: one each in rooms 0 .. writers - 1, joining before the readers.
    "g": (
        {
            "total": 499,
            "rooms": 1,
            "procs": 2,
            "writers": 1,
            "rate": 20,
            "seconds": 5,
            "timeout": 90000,
        },
        {
            "total": 99,
            "rooms": 1,
            "procs": 2,
            "writers": 1,
            "rate": 20,
            "seconds": 2,
            "settle": 500,
        },
    ),
    "h": (
        {"megabytes": 10, "chunk": 100_000, "joiners": 10, "rate": 20, "seconds": 5},
        {"megabytes": 1, "chunk": 100_000, "joiners": 4, "rate": 20, "seconds": 2},
    ),
    "i": (
        {
            "total": 5000,
            "rooms": 100,
            "procs": 4,
            "writers": 10,
            "rate": 2,
            "seconds": 10,
            "timeout": 90000,
        },
        {
            "total": 200,
            "rooms": 4,
            "procs": 2,
            "writers": 2,
            "rate": 2,
            "seconds": 2,
            "settle": 500,
        },
    ),
    "j": (
        {
            "total": 10000,
            "rooms": 200,
            "procs": 4,
            "writers": 10,
            "rate": 2,
            "seconds": 10,
            "timeout": 180000,
        },
        {
            "total": 400,
            "rooms": 8,
            "procs": 2,
            "writers": 2,
            "rate": 2,
            "seconds": 2,
            "settle": 500,
        },
    ),
}

# Workloads of --hocuspocus (full run, then --quick): a, b, c, f as above, m and n multiplexed.
HOCUSPOCUS_SIZES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    key: SIZES[key] for key in ("p", "a", "b", "c", "f")
}
for _key, _clients, _quick in (("m", 200, 50), ("n", 1000, 100)):
    HOCUSPOCUS_SIZES[_key] = (
        {
            "clients": _clients,
            "docs": 10,
            "procs": 2,
            "writers": 10,
            "rate": 2,
            "seconds": 10,
            "timeout": 120000,
        },
        {
            "clients": _quick,
            "docs": 10,
            "procs": 2,
            "writers": 10,
            "rate": 2,
            "seconds": 2,
            "settle": 500,
        },
    )

# (workload, label, result key, better): one table row each.
ROWS = [
    ("p", "presence: a change reaches the others p50 (ms)", "change_p50_ms", "lower"),
    ("p", "presence: a change reaches the others p99 (ms)", "change_p99_ms", "lower"),
    ("p", "presence: changes seen (%)", "changes_seen_pct", "higher"),
    ("p", "presence: graceful leave removed p50 (ms)", "leave_p50_ms", "lower"),
    ("p", "presence: graceful leave removed max (ms)", "leave_max_ms", "lower"),
    ("s", "server RSS before any client (MiB)", "idle_rss_mib", "lower"),
    ("a", "fan-out latency p50 (ms)", "p50_ms", "lower"),
    ("a", "fan-out latency p99 (ms)", "p99_ms", "lower"),
    ("a", "fan-out delivered (%)", "delivered_pct", "higher"),
    ("b", "throughput (updates/s)", "updates_per_s", "higher"),
    ("c", "convergence after last edit (ms)", "converge_ms", "lower"),
    ("c", "convergence, first edit to all equal (ms)", "total_ms", "lower"),
    ("d", "memory per connection (KiB)", "kib_per_connection", "lower"),
    ("d", "connect to synced p50 (ms)", "p50_ms", "lower"),
    ("d", "connect to synced p99 (ms)", "p99_ms", "lower"),
    ("d", "connections synced", "synced", "higher"),
    ("e", "cold join, connect to synced (ms)", "join_ms", "lower"),
    ("e", "cold join, bytes received", "bytes", "lower"),
    ("f", "reconnect storm, resync p50 (ms)", "p50_ms", "lower"),
    ("f", "reconnect storm, resync p99 (ms)", "p99_ms", "lower"),
    ("f", "reconnect storm, resync max (ms)", "max_ms", "lower"),
    ("f", "reconnect storm, clients resynced", "resynced", "higher"),
    ("g", "500 in a room: server RSS (MiB)", "rss_mib", "lower"),
    ("g", "500 in a room: peak RSS (MiB)", "peak_rss_mib", "lower"),
    ("g", "500 in a room: connect to synced p99 (ms)", "p99_ms", "lower"),
    ("g", "500 in a room: readers synced", "synced", "higher"),
    ("g", "500 in a room: update latency p50 (ms)", "latency_p50_ms", "lower"),
    ("g", "500 in a room: update latency p99 (ms)", "latency_p99_ms", "lower"),
    ("g", "500 in a room: delivered (%)", "delivered_pct", "higher"),
    ("g", "500 in a room: server CPU while writing (%)", "server_cpu_pct", "lower"),
    ("g", "500 in a room: reader drivers' CPU while writing (%)", "readers_cpu_pct", "lower"),
    ("h", "10 MB document: server RSS (MiB)", "rss_mib", "lower"),
    ("h", "10 MB document: peak RSS (MiB)", "peak_rss_mib", "lower"),
    ("h", "10 MB document: seeding (ms)", "seed_ms", "lower"),
    ("h", "10 MB document: join p50 (ms)", "join_p50_ms", "lower"),
    ("h", "10 MB document: join p99 (ms)", "join_p99_ms", "lower"),
    ("h", "10 MB document: edit latency p50 (ms)", "latency_p50_ms", "lower"),
    ("h", "10 MB document: edit latency p99 (ms)", "latency_p99_ms", "lower"),
    ("h", "10 MB document: delivered (%)", "delivered_pct", "higher"),
    ("i", "100 rooms x 50: server RSS (MiB)", "rss_mib", "lower"),
    ("i", "100 rooms x 50: peak RSS (MiB)", "peak_rss_mib", "lower"),
    ("i", "100 rooms x 50: connect to synced p99 (ms)", "p99_ms", "lower"),
    ("i", "100 rooms x 50: readers synced", "synced", "higher"),
    ("i", "100 rooms x 50: update latency p50 (ms)", "latency_p50_ms", "lower"),
    ("i", "100 rooms x 50: update latency p99 (ms)", "latency_p99_ms", "lower"),
    ("i", "100 rooms x 50: delivered (%)", "delivered_pct", "higher"),
    ("i", "100 rooms x 50: server CPU while writing (%)", "server_cpu_pct", "lower"),
    ("i", "100 rooms x 50: reader drivers' CPU while writing (%)", "readers_cpu_pct", "lower"),
    ("j", "10,000 connections: server RSS (MiB)", "rss_mib", "lower"),
    ("j", "10,000 connections: memory per connection (KiB)", "kib_per_connection", "lower"),
    ("j", "10,000 connections: connect to synced p99 (ms)", "p99_ms", "lower"),
    ("j", "10,000 connections: readers synced", "synced", "higher"),
    ("j", "10,000 connections: update latency p50 (ms)", "latency_p50_ms", "lower"),
    ("j", "10,000 connections: update latency p99 (ms)", "latency_p99_ms", "lower"),
    ("j", "10,000 connections: delivered (%)", "delivered_pct", "higher"),
    ("j", "10,000 connections: server CPU while writing (%)", "server_cpu_pct", "lower"),
]

HOCUSPOCUS_ROWS = [row for row in ROWS if row[0] in "spabcf"]
_ACKED = ("c", "all edits acknowledged after last edit (ms)", "acked_ms", "lower")
# After (c)'s first row, convergence after the last edit.
HOCUSPOCUS_ROWS.insert(
    next(n for n, row in enumerate(HOCUSPOCUS_ROWS) if row[0] == "c") + 1, _ACKED
)
for _key, _n in (("m", "200"), ("n", "1,000")):
    HOCUSPOCUS_ROWS += [
        (_key, f"{_n} x 10 docs/socket: server RSS (MiB)", "rss_mib", "lower"),
        (_key, f"{_n} x 10 docs/socket: RSS per client (KiB)", "kib_per_client", "lower"),
        (_key, f"{_n} x 10 docs/socket: connect to synced p50 (ms)", "p50_ms", "lower"),
        (_key, f"{_n} x 10 docs/socket: connect to synced p99 (ms)", "p99_ms", "lower"),
        (_key, f"{_n} x 10 docs/socket: clients synced", "synced", "higher"),
        (_key, f"{_n} x 10 docs/socket: documents synced", "synced_docs", "higher"),
        (_key, f"{_n} x 10 docs/socket: update latency p50 (ms)", "latency_p50_ms", "lower"),
        (_key, f"{_n} x 10 docs/socket: update latency p99 (ms)", "latency_p99_ms", "lower"),
        (_key, f"{_n} x 10 docs/socket: delivered (%)", "delivered_pct", "higher"),
        (_key, f"{_n} x 10 docs/socket: server CPU while writing (%)", "server_cpu_pct", "lower"),
        (
            _key,
            f"{_n} x 10 docs/socket: client drivers' CPU while writing (%)",
            "clients_cpu_pct",
            "lower",
        ),
    ]

Result = dict[str, Any]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """VmRSS (or another /proc/PID/status size, such as the peak VmHWM) of `pid`, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise ValueError(f"no {field} for {pid}")


@dataclass
class Server:
    """One server process: the Node reference (y-websocket's, or with `hocuspocus` Hocuspocus'),
    or `collab serve` with extra COLLAB_* env (with `hocuspocus`: at its /hocuspocus)."""

    name: str
    collab: bool
    env: dict[str, str]
    log_path: Path
    hocuspocus: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def slug(self) -> str:
        """The name as a room-name prefix."""
        return re.sub(r"[^a-z0-9]+", "-", self.name).strip("-")

    @property
    def url(self) -> str:
        path = ("/hocuspocus" if self.hocuspocus else "/ws") if self.collab else ""
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def driver(self) -> Path:
        return HOCUSPOCUS_DRIVER if self.hocuspocus else DRIVER

    @property
    def pid(self) -> int:
        if self.process is None:
            raise ValueError(f"{self.name} is not running")
        return self.process.pid

    def start(self) -> None:
        command = (
            [sys.executable, "-m", "collab", "serve", "--port", str(self.port)]
            if self.collab
            else ["node", str(HOCUSPOCUS_BIN if self.hocuspocus else REFERENCE_BIN)]
        )
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), **self.env}
        # This tree's collab (python -m collab, run from benchmarks/), whichever venv runs us.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=HERE
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        check = f"http://127.0.0.1:{self.port}" + ("/healthz" if self.collab else "/")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(check, timeout=2):
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class Run:
    """What the workloads of one benchmark run share."""

    quick: bool
    prefix: str
    database_url: str
    logs: Path
    seeded: Result | None = None  # collab's history room, written once for both collab columns
    sizes: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=lambda: SIZES)

    def size(self, workload: str) -> dict[str, Any]:
        return dict(self.sizes[workload][1 if self.quick else 0])


def drive(workload: str, server: Server, options: dict[str, Any], timeout: float = 240) -> Result:
    """Runs the Node driver once and returns its JSON result."""
    arguments = json.dumps({**options, "deadline": int(timeout * 1000)})
    command = ["node", str(server.driver), workload, server.url, arguments]
    done = subprocess.run(
        command, cwd=HERE, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, timeout=timeout + 10
    )
    lines = done.stdout.decode().strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"driver {workload} failed with exit code {done.returncode}")
    result: Result = json.loads(lines[-1])
    return result


def presence(server: Server, run: Run) -> Result:
    return drive("presence", server, {**run.size("p"), "prefix": f"{run.prefix}-{server.slug}"})


def fanout(server: Server, run: Run) -> Result:
    result = drive("fanout", server, {**run.size("a"), "prefix": f"{run.prefix}-{server.slug}"})
    result["delivered_pct"] = 100 * result["delivered"]
    return result


def throughput(server: Server, run: Run) -> Result:
    return drive("throughput", server, {**run.size("b"), "prefix": f"{run.prefix}-{server.slug}"})


CONVERGENCE_ROUNDS = 7


def convergence(server: Server, run: Run) -> Result:
    """The median of several rounds (one in a quick run), each in a room of its own: one round
    varies by a factor of ten with what else the two cores do in those few hundred ms.
    "After last edit" alone favours a server that holds its clients back: the edits go out
    slower when each arrives alone (the clients apply them one by one meanwhile), and the
    server has less left to do after the last one. So the time from the first edit to all
    documents equal is a row too."""
    rounds = 1 if run.quick else CONVERGENCE_ROUNDS
    results = [
        drive(
            "convergence",
            server,
            {**run.size("c"), "prefix": f"{run.prefix}-{server.slug}-{n}"},
        )
        for n in range(rounds)
    ]
    result = dict(results[-1])

    def median_of(key: str) -> float | None:
        values = [r[key] for r in results if r.get(key) is not None]
        return statistics.median(values) if len(values) == len(results) else None

    for key in ("converge_ms", "edit_phase_ms", "acknowledged_ms"):
        result[key] = median_of(key)
    totals = [
        r["edit_phase_ms"] + r["converge_ms"]
        for r in results
        if r.get("converge_ms") is not None and r.get("edit_phase_ms") is not None
    ]
    result["total_ms"] = statistics.median(totals) if len(totals) == len(results) else None
    result["acked_ms"] = result.get("acknowledged_ms")  # --hocuspocus only
    return result


def connections(server: Server, run: Run) -> Result:
    """Fresh server (so memory freed by earlier workloads is not reused), a few warm-up
    connections, then RSS before and after all connections are synced. The clients are split
    over a few Node processes."""
    server.restart()
    warm = {"count": 20, "rooms": 2, "settle": 0, "prefix": f"{run.prefix}-warm"}
    drive("connections", server, warm)
    time.sleep(1)
    size = run.size("d")
    procs, total = size.pop("procs"), size.pop("total")
    prefix = f"{run.prefix}-{server.slug}-conn"
    before = rss_kib(server.pid)
    with contextlib.ExitStack() as stack:
        drivers = []
        for k in range(procs):
            options = {**size, "first": k * total // procs, "prefix": prefix, "deadline": 240000}
            options["count"] = (k + 1) * total // procs - options["first"]
            drivers.append(stack.enter_context(spawn("connections", server, options)))
            stack.callback(stop_process, drivers[-1])
        ready = [json.loads(readline(driver) or "{}") for driver in drivers]
        after = rss_kib(server.pid)
        outputs = [finish(driver) for driver in drivers]
    if not all(r.get("ready") for r in ready) or not all(outputs):
        raise RuntimeError("driver connections failed")
    result = merge(outputs)
    connected = sum(r["connected"] for r in ready)
    result["kib_per_connection"] = (after - before) / connected if connected else None
    result["rss_before_mib"], result["rss_after_mib"] = before / 1024, after / 1024
    return result


def room_load(server: Server, run: Run, key: str, suffix: str) -> Result:
    """Workloads g and i: a fresh server; one writer each joins rooms 0 .. writers - 1 first,
    then reader drivers hold `total` clients (with awareness) over `rooms` rooms; the server's
    RSS is read once all are synced (or the drivers' time is up), then the writers send stamped
    updates that the readers time, while the server's CPU use is measured."""
    server.restart()
    size = run.size(key)
    procs, total, writers = size.pop("procs"), size.pop("total"), size.pop("writers")
    rate, seconds = size.pop("rate"), size.pop("seconds")
    rooms = size["rooms"]
    prefix = f"{run.prefix}-{server.slug}-{suffix}"
    before = rss_kib(server.pid)
    with contextlib.ExitStack() as stack:
        options = {"rooms": rooms, "writerRooms": writers, "rate": rate, "seconds": seconds}
        options.update(prefix=prefix, deadline=400000)
        writer = stack.enter_context(spawn("writers", server, options))
        stack.callback(stop_process, writer)
        if not json.loads(readline(writer) or "{}").get("ready"):
            raise RuntimeError("driver writers failed")
        drivers = []
        for k in range(procs):
            options = {**size, "first": k * total // procs, "prefix": prefix, "deadline": 400000}
            options.update(observe=True, writerRooms=writers, hold=180000, drain=30000)
            options["count"] = (k + 1) * total // procs - options["first"]
            drivers.append(stack.enter_context(spawn("connections", server, options)))
            stack.callback(stop_process, drivers[-1])
        ready = [json.loads(readline(driver) or "{}") for driver in drivers]
        after = rss_kib(server.pid)
        written: Result = {}
        try:
            if not all(r.get("ready") for r in ready):
                raise RuntimeError("driver connections failed")
            pids = [driver.pid for driver in drivers]
            cpu, started = cpu_seconds(server.pid), time.monotonic()
            readers_cpu = sum(map(cpu_seconds, pids))
            written = finish(writer)
            elapsed = time.monotonic() - started
            cpu_pct = 100 * (cpu_seconds(server.pid) - cpu) / elapsed
            readers_pct = 100 * (sum(map(cpu_seconds, pids)) - readers_cpu) / elapsed
            if not written:
                raise RuntimeError("driver writers failed")
        finally:  # the readers close their sockets either way
            outputs = finish_all(drivers, json.dumps({"sent": written.get("sent", [])}))
        peak = rss_kib(server.pid, "VmHWM")
    if not all(outputs):
        raise RuntimeError("driver connections failed")
    result = merge(outputs)
    for code, count in written["close_codes"].items():  # the writers' sockets too
        result["close_codes"][code] = result["close_codes"].get(code, 0) + count
    result["connect_errors"] += written["connect_errors"]
    latencies = sorted(float(t) for output in outputs for t in output["latencies"])
    delivered = sum(o["delivered"] for o in outputs)
    expected = sum(written["sent"]) * total // rooms
    result.update(
        latency_p50_ms=percentile(latencies, 50),
        latency_p99_ms=percentile(latencies, 99),
        latency_max_ms=latencies[-1] if latencies else None,
        delivered_pct=100 * delivered / expected if expected else None,
        server_cpu_pct=cpu_pct,
        readers_cpu_pct=readers_pct,
        writers_connected=written["writers_connected"],
        writer_sync_ms=written["sync_ms"],
        writer_late_ms=written["late_ms"],
        rss_before_mib=before / 1024,
        rss_mib=after / 1024,
        peak_rss_mib=peak / 1024,
    )
    return result


def multiplexed(server: Server, run: Run, key: str) -> Result:
    """Workloads m and n (--hocuspocus): a fresh server; a writer socket opens documents 0-9,
    then client drivers open `clients` sockets with `docs` documents each (client c: documents
    c * docs .. c * docs + docs - 1, modulo `clients`, so each has `docs` clients); the server's
    RSS is read once all are synced (or the drivers' time is up), then the writer sends stamped
    updates that the clients time, while the server's CPU use is measured."""
    server.restart()
    size = run.size(key)
    procs, clients, writers = size.pop("procs"), size.pop("clients"), size.pop("writers")
    rate, seconds = size.pop("rate"), size.pop("seconds")
    prefix = f"{run.prefix}-{server.slug}-{key}"
    before = rss_kib(server.pid)
    with contextlib.ExitStack() as stack:
        options = {"writerRooms": writers, "rate": rate, "seconds": seconds, "prefix": prefix}
        writer = stack.enter_context(spawn("multiWriters", server, {**options, "deadline": 400000}))
        stack.callback(stop_process, writer)
        if not json.loads(readline(writer) or "{}").get("ready"):
            raise RuntimeError("driver multiWriters failed")
        drivers = []
        for k in range(procs):
            options = {**size, "first": k * clients // procs, "rooms": clients, "prefix": prefix}
            options.update(observe=True, writerRooms=writers, hold=180000, drain=30000)
            options.update(count=(k + 1) * clients // procs - options["first"], deadline=400000)
            drivers.append(stack.enter_context(spawn("multiplex", server, options)))
            stack.callback(stop_process, drivers[-1])
        ready = [json.loads(readline(driver) or "{}") for driver in drivers]
        after = rss_kib(server.pid)
        written: Result = {}
        try:
            if not all(r.get("ready") for r in ready):
                raise RuntimeError("driver multiplex failed")
            pids = [driver.pid for driver in drivers]
            cpu, started = cpu_seconds(server.pid), time.monotonic()
            clients_cpu = sum(map(cpu_seconds, pids))
            written = finish(writer)
            elapsed = time.monotonic() - started
            cpu_pct = 100 * (cpu_seconds(server.pid) - cpu) / elapsed
            clients_pct = 100 * (sum(map(cpu_seconds, pids)) - clients_cpu) / elapsed
            if not written:
                raise RuntimeError("driver multiWriters failed")
        finally:  # the clients close their sockets either way
            outputs = finish_all(drivers, json.dumps({"sent": written.get("sent", [])}))
        peak = rss_kib(server.pid, "VmHWM")
    if not all(outputs):
        raise RuntimeError("driver multiplex failed")
    result = merge(outputs)
    for code, count in written["close_codes"].items():
        result["close_codes"][code] = result["close_codes"].get(code, 0) + count
    result["connect_errors"] += written["connect_errors"]
    latencies = sorted(float(t) for output in outputs for t in output["latencies"])
    delivered = sum(o["delivered"] for o in outputs)
    expected = sum(o["expected"] for o in outputs)
    connected = sum(r["connected"] for r in ready)
    result.update(
        synced_docs=sum(o["synced_docs"] for o in outputs),
        denied=sum(o["denied"] for o in outputs) + written["denied"],
        kib_per_client=(after - before) / connected if connected else None,
        latency_p50_ms=percentile(latencies, 50),
        latency_p99_ms=percentile(latencies, 99),
        delivered_pct=100 * delivered / expected if expected else None,
        server_cpu_pct=cpu_pct,
        clients_cpu_pct=clients_pct,
        writer_connected=written["writer_connected"],
        rss_before_mib=before / 1024,
        rss_mib=after / 1024,
        peak_rss_mib=peak / 1024,
    )
    return result


def cpu_seconds(pid: int) -> float:
    """utime + stime of process `pid` (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_room(server: Server, run: Run) -> Result:
    return room_load(server, run, "g", "room")


def many_rooms(server: Server, run: Run) -> Result:
    return room_load(server, run, "i", "rooms")


def ten_thousand(server: Server, run: Run) -> Result:
    """Workload j: 10,000 connections in one server process, as i over twice the rooms;
    memory per connection is the RSS they add over the fresh server's, per synced reader."""
    result = room_load(server, run, "j", "ten-thousand")
    connected = result.get("synced") or run.size("j")["total"]
    added = (result["rss_mib"] - result["rss_before_mib"]) * 1024
    result["kib_per_connection"] = added / connected
    return result


def big_document(server: Server, run: Run) -> Result:
    """Workload h: a fresh server, one driver run; the server's RSS is read once the joiners
    are synced, before the edits."""
    server.restart()
    before = rss_kib(server.pid)
    options = {**run.size("h"), "prefix": f"{run.prefix}-{server.slug}", "deadline": 300000}
    driver = spawn("bigDoc", server, options)
    try:
        ready = json.loads(readline(driver) or "{}")
        after = rss_kib(server.pid)
        result = finish(driver)
    finally:
        stop_process(driver)
    if not ready.get("ready") or not result:
        raise RuntimeError("driver bigDoc failed")
    result.update(
        delivered_pct=100 * result["delivered"],
        rss_before_mib=before / 1024,
        rss_mib=after / 1024,
        peak_rss_mib=rss_kib(server.pid, "VmHWM") / 1024,
    )
    return result


def spawn(workload: str, server: Server, options: dict[str, Any]) -> subprocess.Popen[str]:
    """A driver that talks over stdin and stdout while it runs."""
    command = ["node", str(server.driver), workload, server.url, json.dumps(options)]
    return subprocess.Popen(
        command, cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def readline(driver: subprocess.Popen[str]) -> str:
    return driver.stdout.readline() if driver.stdout else ""


def finish(driver: subprocess.Popen[str], line: str | None = "") -> Result:
    """Sends a waiting driver its line (a connections driver then closes its sockets; None:
    it was sent already); its result."""
    if driver.stdin is None or driver.stdout is None:
        return {}
    if line is not None:
        send_line(driver, line)
    lines = driver.stdout.read().strip().splitlines()
    driver.wait(timeout=60)
    return json.loads(lines[-1]) if lines else {}


def finish_all(drivers: list[subprocess.Popen[str]], line: str) -> list[Result]:
    """`finish` for several drivers, which all get their line before any is waited for."""
    for driver in drivers:
        send_line(driver, line)
    return [finish(driver, None) for driver in drivers]


def send_line(driver: subprocess.Popen[str], line: str) -> None:
    """Writes one line to a driver and closes its stdin (quietly if it has exited already, so
    that closing the pipe later does not raise either)."""
    if driver.stdin is None or driver.stdin.closed:
        return
    with contextlib.suppress(BrokenPipeError):
        driver.stdin.write(line + "\n")
        driver.stdin.flush()
    with contextlib.suppress(BrokenPipeError):
        driver.stdin.close()


def stop_process(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def merge(outputs: list[Result]) -> Result:
    """One result from several connections drivers."""
    times = sorted(t for output in outputs for t in output["times"])
    codes: dict[str, int] = {}
    for output in outputs:
        for code, count in output["close_codes"].items():
            codes[code] = codes.get(code, 0) + count
    return {
        "synced": sum(o["synced"] for o in outputs),
        "connected": sum(o["connected"] for o in outputs),
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "close_codes": codes,
        "connect_errors": sum(o["connect_errors"] for o in outputs),
        "errors": sorted({e for o in outputs for e in o["errors"]}),
    }


def percentile(ordered: list[float], p: float) -> float | None:
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else None


def cold_join(server: Server, run: Run) -> Result:
    """The reference seeds and joins in one driver run; collab is seeded once (limits lifted,
    so seeding is quick), then restarted so the join loads the room from the database."""
    size = run.size("e")
    if not server.collab:
        options = {**size, "phase": "both", "prefix": f"{run.prefix}-{server.slug}"}
        return drive("coldJoin", server, options, timeout=400)
    server.stop()
    if run.seeded is None:
        seeder = Server("collab-seed", True, collab_env(run, LIFTED), run.logs / "seed.log")
        try:
            seeder.start()
            options = {**size, "phase": "seed", "prefix": run.prefix}
            run.seeded = drive("coldJoin", seeder, options, timeout=400)
        finally:
            seeder.stop()
    server.start()
    options = {"phase": "join", "length": run.seeded["length"], "prefix": run.prefix}
    return {**drive("coldJoin", server, options), "seed_ms": run.seeded["seed_ms"]}


def idle(server: Server, run: Run) -> Result:
    """A fresh start: the server's RSS 2 s after it listens, before any client."""
    server.restart()
    time.sleep(2)
    return {"idle_rss_mib": rss_kib(server.pid) / 1024}


def reconnect(server: Server, run: Run) -> Result:
    return drive("reconnect", server, {**run.size("f"), "prefix": f"{run.prefix}-{server.slug}"})


WORKLOADS: dict[str, tuple[str, Callable[[Server, Run], Result]]] = {
    "s": ("start-up", idle),
    "p": ("presence", presence),
    "a": ("fan-out", fanout),
    "b": ("throughput", throughput),
    "c": ("convergence", convergence),
    "d": ("5,000 connections", connections),
    "e": ("cold join", cold_join),
    "f": ("reconnect storm", reconnect),
    "g": ("500 connections in one room", one_room),
    "h": ("10 MB document", big_document),
    "i": ("100 rooms x 50 clients with writers", many_rooms),
    "j": ("10,000 connections over 200 rooms with writers", ten_thousand),
}


HOCUSPOCUS_WORKLOADS: dict[str, tuple[str, Callable[[Server, Run], Result]]] = {
    **{key: WORKLOADS[key] for key in ("s", "p", "a", "b", "c", "f")},
    "m": ("200 clients x 10 documents over one socket", lambda s, r: multiplexed(s, r, "m")),
    "n": ("1,000 clients x 10 documents over one socket", lambda s, r: multiplexed(s, r, "n")),
}


def collab_env(run: Run, extra: dict[str, str]) -> dict[str, str]:
    return {"COLLAB_DATABASE_URL": run.database_url, **extra}


def bench(
    server: Server,
    run: Run,
    chosen: list[str],
    workloads: dict[str, tuple[str, Callable[[Server, Run], Result]]] = WORKLOADS,
) -> dict[str, Result]:
    """Every chosen workload against one server; a failed workload is recorded, not fatal."""
    results: dict[str, Result] = {}
    server.start()
    try:
        for key in chosen:
            title, workload = workloads[key]
            progress(f"{server.name}: {key} {title} (load average {os.getloadavg()[0]:.1f})")
            started = time.monotonic()
            try:
                results[key] = workload(server, run)
            except Exception as error:
                progress(f"{server.name}: {key} failed: {error}")
                results[key] = {"error": str(error)}
            progress(f"{server.name}: {key} done in {time.monotonic() - started:.0f} s")
    finally:
        server.stop()
    return results


def number(value: Any) -> str:
    if not isinstance(value, int | float):
        return "failed" if value is None else str(value)
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def ratio(value: Any, reference: Any) -> str:
    if not isinstance(value, int | float) or not isinstance(reference, int | float):
        return "n/a"
    return f"{value / reference:.2f}x" if reference else "n/a"


def table(
    names: list[str],
    results: dict[str, dict[str, Result]],
    chosen: list[str],
    rows: list[tuple[str, str, str, str]] = ROWS,
) -> str:
    collabs = names[1:]
    head = ["workload", "metric", "better", *names, *(f"{n} / {names[0]}" for n in collabs)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label, metric, better in rows:
        if key not in chosen:
            continue
        values = [results[name][key].get(metric) for name in names]
        ratios = [ratio(value, values[0]) for value in values[1:]]
        cells = [key, label, better, *map(number, values), *ratios]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(names: list[str], results: dict[str, dict[str, Result]], logs: Path) -> list[str]:
    """Failures, close codes the servers sent, and warnings in the servers' logs."""
    found = []
    for name in names:
        for key, result in results[name].items():
            if "error" in result:
                found.append(f"{name}, {key}: failed: {result['error']}")
            if result.get("close_codes") or result.get("connect_errors") or result.get("denied"):
                found.append(
                    f"{name}, {key}: server-closed sockets by code {result.get('close_codes')},"
                    f" connection errors {result.get('connect_errors')},"
                    f" documents refused {result.get('denied', 0)} {result.get('errors')}"
                )
    for path in sorted(logs.glob("*.log")):
        bad = [line for line in path.read_text(errors="replace").splitlines() if is_bad(line)]
        if bad:
            found.append(f"{path.name}: {len(bad)} warning/error lines, first: {bad[0][:200]}")
    return found


def is_bad(line: str) -> bool:
    if "DEVELOPMENT MODE" in line:  # expected: the benchmark runs without a secret
        return False
    return any(word in line for word in ("WARNING", "ERROR", "Traceback", "Error:"))


def raise_file_limit(needed: int) -> bool:
    """Raises this process's (and so its children's) open-file limit; False if it stays short."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else max(soft, min(hard, needed))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target >= needed


@contextlib.contextmanager
def workspace(keep: str | None) -> Iterator[Path]:
    path = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="collab-compare-"))
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workloads: a smoke run")
    parser.add_argument("--only", help="workloads to run, e.g. a,b (default: all)")
    parser.add_argument(
        "--hocuspocus",
        action="store_true",
        help="@hocuspocus/server against collab's /hocuspocus, HocuspocusProvider clients",
    )
    parser.add_argument("--database-url", help="collab's database (default: temp SQLite)")
    parser.add_argument("--logs", help="keep server logs (and the SQLite file) in this folder")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    workloads = HOCUSPOCUS_WORKLOADS if args.hocuspocus else WORKLOADS
    chosen = [key for key in workloads if args.only is None or key in args.only]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the servers
    if not DRIVER.with_name("node_modules").is_dir():
        sys.exit("run `npm ci` in benchmarks/ first")
    biggest = max(
        *(SIZES[key][0]["total"] // SIZES[key][0]["procs"] for key in ("d", "g", "i", "j")),
        SIZES["f"][0]["clients"],
        SIZES["j"][0]["total"],  # the server holds every connection of j
    )
    if args.hocuspocus:
        biggest = max(biggest, HOCUSPOCUS_SIZES["n"][0]["clients"])
    if not raise_file_limit(biggest + 1024):
        scale = resource.getrlimit(resource.RLIMIT_NOFILE)[0] / (biggest + 1024)
        for key in ("d", "f", "i", "j"):
            full = SIZES[key][0]
            count = "clients" if key == "f" else "total"
            full[count] = int(full[count] * scale) // full["rooms"] * full["rooms"]
        progress(f"note: open-file limit too low; d, f, i and j scaled down by {scale:.2f}")
    with workspace(args.logs) as logs:
        database_url = args.database_url or f"sqlite+aiosqlite:///{logs / 'collab.db'}"
        run = Run(args.quick, f"r{uuid.uuid4().hex[:8]}", database_url, logs)
        if args.hocuspocus:
            run.sizes = HOCUSPOCUS_SIZES
            hocuspocus_db = {"DATABASE": str(logs / "hocuspocus.db")}
            servers = [
                Server("@hocuspocus/server", False, hocuspocus_db, logs / "hocuspocus.log", True),
                Server(
                    "collab (defaults)", True, collab_env(run, {}), logs / "hp-defaults.log", True
                ),
                Server(
                    "collab (limits lifted)",
                    True,
                    collab_env(run, LIFTED),
                    logs / "hp-lifted.log",
                    True,
                ),
            ]
        else:
            servers = [
                Server("reference", False, {}, logs / "reference.log"),
                Server(
                    "collab (defaults)", True, collab_env(run, {}), logs / "collab-defaults.log"
                ),
                Server(
                    "collab (limits lifted)", True, collab_env(run, LIFTED), logs / "lifted.log"
                ),
            ]
        started = time.monotonic()
        results = {server.name: bench(server, run, chosen, workloads) for server in servers}
        names = [server.name for server in servers]
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        database = "PostgreSQL" if "postgresql" in database_url else "SQLite"
        print(f"collab {commit}, {database}, {'quick' if args.quick else 'full'} run,", end=" ")
        print(f"{time.monotonic() - started:.0f} s, {os.cpu_count()} cores,", end=" ")
        print(f"load average {os.getloadavg()[0]:.1f} at the end\n")
        print(table(names, results, chosen, HOCUSPOCUS_ROWS if args.hocuspocus else ROWS))
        found = notes(names, results, logs)
        if found:
            print("\nNotes:\n" + "\n".join(f"- {line}" for line in found))


if __name__ == "__main__":
    main()
