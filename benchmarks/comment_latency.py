"""How soon an open page hears of a comment: the time from a REST comment change being sent
to the EVENT `comment` reaching every open connection of the room, on one process (SQLite) and,
with --postgres and --redis, across two processes of a cluster.

    .venv/bin/python benchmarks/comment_latency.py [--rounds 50] [--pages 10]
    .venv/bin/python benchmarks/comment_latency.py --postgres postgresql+asyncpg://... \\
        --redis redis://127.0.0.1:6379/0

Pages are WebSocket connections with `events=1` (as the web app opens them), half on each
process when there are two; each round creates a thread, replies, edits, resolves and deletes
over REST on the first process and waits for every page to hear of it. Prints one Markdown
table of latencies per kind of change (p50, p95, max over all pages). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from collab.auth import issue_token
from collab.protocol.encoding import Reader

SECRET = "benchmark-secret-0123456789-0123456789"
ROOM = "bench-comments"
EVENT = 101


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(database_url: str, redis_url: str | None, logs: Path) -> tuple[Any, int]:
    port = free_port()
    env = {
        **os.environ,
        "COLLAB_SECRET": SECRET,
        "COLLAB_DATABASE_URL": database_url,
        "COLLAB_PORT": str(port),
        "COLLAB_COMMENTS_PER_MINUTE": "100000",
        "COLLAB_LOG_LEVEL": "warning",
    }
    if redis_url:
        env["COLLAB_REDIS_URL"] = redis_url
    log = (logs / f"collab-{port}.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "collab", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"collab did not start (see {logs})")


def token(role: str) -> str:
    return issue_token(
        SECRET, user=f"bench-{role}", name=role, grants={ROOM: role}, ttl_seconds=3600
    )


async def page(port: int, heard: asyncio.Queue[tuple[int, float]], n: int) -> ClientConnection:
    url = f"ws://127.0.0.1:{port}/ws/{ROOM}?events=1&token={token('viewer')}"
    ws = await connect(url, max_size=None)

    async def listen() -> None:
        async for frame in ws:
            if isinstance(frame, bytes) and frame and frame[0] == EVENT:
                event = json.loads(Reader(frame[1:]).read_var_string())
                if event.get("type") == "comment":
                    heard.put_nowait((n, time.perf_counter()))

    asyncio.get_running_loop().create_task(listen())
    return ws


async def run(args: argparse.Namespace) -> None:
    logs = Path(tempfile.mkdtemp(prefix="comment-bench-"))
    database = args.postgres or f"sqlite+aiosqlite:///{logs / 'bench.db'}"
    servers = [start_server(database, args.redis, logs)]
    if args.redis:
        servers.append(start_server(database, args.redis, logs))
    ports = [port for _, port in servers]
    try:
        admin = {"Authorization": f"Bearer {token('admin')}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[0]}/api/rooms") as http:
            await http.put(f"/{ROOM}", headers=admin)
            text = "The quick brown fox jumps over the lazy dog. " * 20
            await http.patch(f"/{ROOM}/text", json={"text": text}, headers=admin)
            heard: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
            pages = [await page(ports[n % len(ports)], heard, n) for n in range(args.pages)]
            await asyncio.sleep(0.5)  # every page joined the room
            latencies: dict[str, list[float]] = {}

            async def timed(kind: str, method: str, path: str, body: Any = None) -> Any:
                sent = time.perf_counter()
                response = await http.request(method, f"/{ROOM}{path}", json=body, headers=admin)
                response.raise_for_status()
                for _ in range(args.pages):
                    _, at = await asyncio.wait_for(heard.get(), 10)
                    latencies.setdefault(kind, []).append((at - sent) * 1000)
                return response.json()

            for n in range(args.rounds):
                passage = {"index": (n * 7) % 800, "length": 5}
                thread = await timed(
                    "create", "POST", "/threads", {"passage": passage, "body": "?"}
                )
                reply = await timed(
                    "reply", "POST", f"/threads/{thread['id']}/comments", {"body": "!"}
                )
                await timed(
                    "edit",
                    "PATCH",
                    f"/threads/{thread['id']}/comments/{reply['id']}",
                    {"body": "!!"},
                )
                await timed("resolve", "POST", f"/threads/{thread['id']}/resolve")
                first = thread["comments"][0]["id"]
                await timed("delete", "DELETE", f"/threads/{thread['id']}/comments/{first}")
            for ws in pages:
                await ws.close()
        where = "two processes (PostgreSQL + Redis)" if args.redis else "one process (SQLite)"
        print(
            f"\nComment change to EVENT on every open page: {args.pages} pages, {where}, "
            f"{args.rounds} rounds (ms, from the REST call's start)\n"
        )
        print("| change | p50 | p95 | max |")
        print("|---|---|---|---|")
        for kind, values in latencies.items():
            values.sort()
            p95 = values[int(len(values) * 0.95) - 1]
            print(f"| {kind} | {statistics.median(values):.1f} | {p95:.1f} | {values[-1]:.1f} |")
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--postgres", help="a PostgreSQL URL (a cluster needs one)")
    parser.add_argument("--redis", help="a Redis URL: runs two processes")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
