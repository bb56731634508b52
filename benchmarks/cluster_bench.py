"""What clustering costs and what it buys: one process, then three, in one run.

    cd benchmarks && npm ci && cd ..
    .venv/bin/python benchmarks/cluster_bench.py [--quick] [--postgres URL]

Needs PostgreSQL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test: a fresh database
is created in it and dropped after) and Debian's redis-server: the benchmark starts a Redis of
its own on a free port, so it can stop and restart it. Clients are stock y-websocket 3.x
providers under Node (cluster_driver.mjs), spread over the processes. Prints one Markdown
table: the single process (no Redis) beside the 3-process cluster, with the extra cost.

Rows: client-to-client latency (writer and reader on one process, and on different ones); one
room's committed updates/s with writers on every process; updates/s across 100 rooms; fan-out
to 300 readers spread over the processes; delivery while the subscriber's Redis connection is
killed (a missed message) and while Redis is down and restarted. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "cluster_driver.mjs"
COLLAB = [sys.executable, "-m", "collab", "serve"]
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

Result = dict[str, Any]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Redis:
    """A redis-server of the benchmark's own, stopped and started at will."""

    def __init__(self, logs: Path) -> None:
        self.port = free_port()
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        with (self.logs / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(100):
            if self.cli("PING").strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


class Collab:
    """One `collab serve` process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> None:
        env = {**os.environ, **self.env}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*COLLAB, "--port", str(self.port)], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"collab did not start; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def drive(workload: str, options: dict[str, Any], timeout: float = 240) -> Result:
    command = ["node", str(DRIVER), workload, json.dumps({**options, "deadline": timeout * 1000})]
    done = subprocess.run(
        command, cwd=HERE, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, timeout=timeout + 10
    )
    lines = done.stdout.decode().strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"driver {workload} failed with exit code {done.returncode}")
    result: Result = json.loads(lines[-1])
    return result


def outage(options: dict[str, Any], brk: list[str], mend: list[str], redis: Redis) -> Result:
    """Drive the outage workload: break the bus after 2 s, mend it after `hold` s more."""
    command = ["node", str(DRIVER), "outage", json.dumps(options)]
    driver = subprocess.Popen(
        command, cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert driver.stdin is not None and driver.stdout is not None
    time.sleep(2)
    run_step(brk, redis)
    time.sleep(options.get("hold", 3))
    run_step(mend, redis)
    driver.stdin.write("mend\n")
    driver.stdin.flush()
    out = driver.stdout.read()
    driver.wait(timeout=60)
    lines = out.strip().splitlines()
    if driver.returncode != 0 or not lines:
        raise RuntimeError(f"driver outage failed with exit code {driver.returncode}")
    result: Result = json.loads(lines[-1])
    return result


def run_step(step: list[str], redis: Redis) -> None:
    match step:
        case ["kill-subscribers", prefix]:
            for line in redis.cli("CLIENT", "LIST", "TYPE", "pubsub").splitlines():
                fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
                if fields.get("name", "").startswith(prefix):
                    redis.cli("CLIENT", "KILL", "ID", fields["id"])
        case ["stop-redis"]:
            redis.stop()
        case ["start-redis"]:
            redis.start()
        case []:
            pass


@contextlib.contextmanager
def cluster(count: int, env: dict[str, str], logs: Path, name: str) -> Iterator[list[Collab]]:
    servers = [Collab(env, logs / f"{name}-{i}.log") for i in range(count)]
    try:
        for server in servers:  # one at a time: the first migrates the schema
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def _database(base: str, create: bool, name: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(url)
    try:
        if create:
            await conn.execute(f'CREATE DATABASE "{name}"')
        else:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def sizes(quick: bool) -> dict[str, dict[str, Any]]:
    seconds = 2 if quick else 5
    return {
        "latency": {"readersPer": 5, "rate": 100, "seconds": seconds},
        "one_room": {"rooms": 1, "writers": 3, "window": 16, "seconds": seconds},
        "rooms": {"rooms": 20 if quick else 100, "writers": 1, "window": 4, "seconds": seconds},
        "fanout": {"readers": 300, "rate": 20, "seconds": seconds},
    }


def measure(servers: list[Collab], quick: bool, tag: str) -> dict[str, Result]:
    urls = [server.url for server in servers]
    results: dict[str, Result] = {}
    for key, options in sizes(quick).items():
        progress(f"{tag}: {key} (load average {os.getloadavg()[0]:.1f})")
        workload = "throughput" if key in ("one_room", "rooms") else "latency"
        chosen = dict(options)
        if "readers" in chosen:  # spread over the processes
            chosen["readersPer"] = chosen.pop("readers") // len(urls)
        try:
            results[key] = drive(workload, {**chosen, "urls": urls, "prefix": f"{tag}-{key}"})
        except Exception as error:
            progress(f"{tag}: {key} failed: {error}")
            results[key] = {"error": str(error)}
    return results


ROWS = [
    ("latency", "writer and reader on one process: p50 (ms)", "same_p50_ms"),
    ("latency", "writer and reader on one process: p99 (ms)", "same_p99_ms"),
    ("latency", "writer and reader on different processes: p50 (ms)", "other_p50_ms"),
    ("latency", "writer and reader on different processes: p99 (ms)", "other_p99_ms"),
    ("one_room", "one room, writers on every process: updates/s", "updates_per_s"),
    ("rooms", "across the rooms, one writer each: updates/s", "updates_per_s"),
    ("fanout", "fan-out to the readers: p50 (ms)", "all_p50_ms"),
    ("fanout", "fan-out to the readers: p99 (ms)", "all_p99_ms"),
    ("fanout", "fan-out delivered (fraction)", "delivered"),
]


def number(value: Any) -> str:
    if not isinstance(value, int | float):
        return "n/a" if value is None else str(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def table(single: dict[str, Result], multi: dict[str, Result], repairs: dict[str, Result]) -> str:
    lines = [
        "| measure | 1 process | 3 processes | 3 minus 1 |",
        "|---|---|---|---|",
    ]
    for key, label, metric in ROWS:
        one, three = single.get(key, {}).get(metric), multi.get(key, {}).get(metric)
        if metric.startswith("other") and one is None:
            one = single.get(key, {}).get(metric.replace("other", "same"))
        diff = (
            three - one if isinstance(one, int | float) and isinstance(three, int | float) else None
        )
        lines.append(f"| {label} | {number(one)} | {number(three)} | {number(diff)} |")
    for key, label in (
        ("missed", "subscriber's Redis connection killed"),
        ("restart", "Redis down 3 s, restarted"),
    ):
        result = repairs.get(key, {})
        lines.append(
            f"| {label}: longest delivery delay (ms) | | {number(result.get('max_delay_ms'))} | |"
        )
        lines.append(
            f"| {label}: after it is mended, all delivered in (ms) | | "
            f"{number(result.get('after_mend_ms'))} | |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short workloads: a smoke run")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL to create a db in")
    parser.add_argument("--logs", help="keep the servers' logs in this folder")
    args = parser.parse_args()
    if not (HERE / "node_modules").is_dir():
        sys.exit("run `npm ci` in benchmarks/ first")
    if shutil.which("redis-server") is None:
        sys.exit("needs redis-server (Debian: apt-get install redis-server)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logs = Path(args.logs or tempfile.mkdtemp(prefix="collab-cluster-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    name = f"collab_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_database(args.postgres, True, name))
    database_url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    redis = Redis(logs)
    started = time.monotonic()
    try:
        redis.start()
        base = {"COLLAB_DATABASE_URL": database_url, "COLLAB_LOG_LEVEL": "warning"}
        with cluster(1, base, logs, "single") as servers:
            single = measure(servers, args.quick, "single")
        prefix = f"bench{uuid.uuid4().hex[:6]}"
        env = {**base, "COLLAB_REDIS_URL": redis.url, "COLLAB_BUS_PREFIX": prefix}
        with cluster(3, env, logs, "cluster") as servers:
            multi = measure(servers, args.quick, "cluster")
            urls = [s.url for s in servers]
            repairs = {}
            progress("cluster: a missed message (subscriptions killed)")
            repairs["missed"] = outage(
                {"urls": urls, "hold": 0.5, "prefix": "missed"},
                ["kill-subscribers", prefix],
                [],
                redis,
            )
            progress("cluster: Redis down and restarted")
            repairs["restart"] = outage(
                {"urls": urls, "hold": 3, "prefix": "restart"},
                ["stop-redis"],
                ["start-redis"],
                redis,
            )
    finally:
        redis.stop()
        asyncio.run(_database(args.postgres, False, name))
        if not args.logs:
            shutil.rmtree(logs, ignore_errors=True)
    kind = "quick" if args.quick else "full"
    print(f"cluster_bench, {kind} run, {time.monotonic() - started:.0f} s,")
    print(f"{os.cpu_count()} cores (all processes, Redis, PostgreSQL and the clients share them)\n")
    print(table(single, multi, repairs))


if __name__ == "__main__":
    main()
