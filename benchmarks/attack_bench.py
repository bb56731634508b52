"""Hostile clients against a real server, each beside a probe: does anyone else notice?

    python benchmarks/attack_bench.py [--seconds 6] [--megabytes 14] [--viewers 200]

One `collab serve` (with a secret, so viewers are real viewers) on a fresh SQLite file. A probe
pair in a room of its own measures the round trip of a one-character edit (writer to reader,
through the commit) 20 times a second. Each attack runs for `--seconds` against another room,
from a process of its own (so the attacker's work does not slow the probe's own event loop);
the table gives the probe's p50 / p99 round trip and the server's peak RSS during the attack,
the same with no attack first, and what the attack achieved. On a 2-core machine the attacker,
the probe and the server share the cores: a real attacker's work would be on another machine.
Not a test: figures depend on the machine.

Attacks (docs/protocol.md and README "Access control" say what each refusal looks like):
- deep-value: a fresh connection sends an update nested 25,000 levels deep (crashed the
  server with SIGSEGV before updates were checked), again and again.
- poison-room: a room stored with such a value by an older server; clients keep connecting.
- sync-step1: a viewer repeats SyncStep1 on a `--megabytes` document that an editor keeps
  changing (each answer had to encode the whole document).
- noop-updates: a viewer repeats a harmless update on that document (each used to cost a copy).
- stalled-viewers: `--viewers` viewers that ask for the whole document and never read.
- presence: one connection announces 500 awareness ids with 16 KiB states; a newcomer joins.
- burst: a writer sends 2,000 edits as fast as it can (throttled, never disconnected).
- idle-sockets: 1,000 TCP connections that never send a request head.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from collab.auth import issue_token  # noqa: E402
from collab.protocol.awareness import AwarenessEntry, encode_awareness_entries  # noqa: E402
from collab.protocol.messages import (  # noqa: E402
    encode_awareness,
    encode_sync_step1,
    encode_update,
)
from tests.protocol.yupdates import deep_any_update  # noqa: E402
from tests.server import ServerProcess  # noqa: E402
from tests.yclient import YClient, open_stalled_client  # noqa: E402

SECRET = "attack-bench-secret-0123456789abcdef"
MB = 1024 * 1024


def token(role: str = "editor", user: str = "bench") -> str:
    return issue_token(SECRET, user=user, name=user, grants={"*": role}, ttl_seconds=3600)


class Probe:
    """A writer and a reader in their own room; round trips of one-character edits."""

    def __init__(self, server: ServerProcess) -> None:
        self.writer = YClient(server.ws_url, "probe", token=token(user="probe-w"))
        self.reader = YClient(server.ws_url, "probe", token=token(user="probe-r"))

    async def __aenter__(self) -> Probe:
        await self.writer.connect()
        await self.reader.connect()
        await self.writer.synced.wait()
        await self.reader.synced.wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.writer.close()
        await self.reader.close()

    async def measure(self, seconds: float) -> list[float]:
        samples: list[float] = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            length = len(self.reader.text) + 1
            started = time.perf_counter()
            self.writer.append("p")
            try:
                await self.reader.wait_for(lambda n=length: len(self.reader.text) >= n, 10)
            except TimeoutError:
                samples.append(10.0)
                continue
            samples.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
        return samples


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run_attack(
    server: ServerProcess,
    probe: Probe,
    seconds: float,
    attack: Callable[[asyncio.Event], Awaitable[str]],
) -> dict[str, object]:
    assert server.process is not None
    process = psutil.Process(server.process.pid)
    peak = process.memory_info().rss
    stop = asyncio.Event()

    async def sample_rss() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, process.memory_info().rss)
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample_rss())
    attacker = asyncio.create_task(attack(stop))
    samples = await probe.measure(seconds)
    stop.set()
    outcome = await attacker
    await sampler
    return {
        "p50 ms": percentile(samples, 0.5) * 1000,
        "p99 ms": percentile(samples, 0.99) * 1000,
        "peak RSS MB": peak / MB,
        "outcome": outcome,
        "alive": server.process.poll() is None,
    }


async def large_document(server: ServerProcess, room: str, megabytes: int) -> None:
    async with YClient(server.ws_url, room, token=token(), ack=True) as writer:
        await writer.synced.wait()
        for index in range(megabytes):
            writer.append(chr(97 + index % 26) * MB)
        await writer.wait_for(lambda: writer.acked == writer.sent_updates, timeout=120)


def attacks(server: ServerProcess, megabytes: int, viewers: int) -> dict[str, Callable]:
    async def deep_value(stop: asyncio.Event) -> str:
        codes = []
        while not stop.is_set():
            client = YClient(server.ws_url, "target", token=token())
            await client.connect()
            await client.synced.wait()
            await client.send_raw(encode_update(deep_any_update(25_000)))
            codes.append((await client.wait_closed())[0])
        return f"{len(codes)} sent, closed with {sorted(set(codes))}"

    async def poison_room(stop: asyncio.Event) -> str:
        codes = []
        while not stop.is_set():
            client = YClient(server.ws_url, "poisoned", token=token())
            await client.connect()
            codes.append((await client.wait_closed())[0])
        return f"{len(codes)} joins, closed with {sorted(set(codes))}"

    async def sync_step1(stop: asyncio.Event) -> str:
        async with (
            YClient(server.ws_url, "big", token=token()) as editor,
            YClient(server.ws_url, "big", token=token("viewer", "viewer")) as viewer,
        ):
            await viewer.synced.wait()
            sent = 0
            answered = viewer.step2_count
            while not stop.is_set():
                editor.append("e")  # keeps the cached encoding stale
                await viewer.send_raw(encode_sync_step1(b"\x00"))
                sent += 1
                await asyncio.sleep(0.01)
            answers = viewer.step2_count - answered
        return f"{sent} SyncStep1 sent, {answers} answered within the attack"

    async def noop_updates(stop: asyncio.Event) -> str:
        async with YClient(server.ws_url, "big", token=token("viewer", "viewer")) as viewer:
            await viewer.synced.wait()
            known = encode_update(viewer.doc.get_update(viewer.doc.get_state()))
            sent = 0
            while not stop.is_set() and not viewer.closed.is_set():
                await viewer.send_raw(known)
                sent += 1
                await asyncio.sleep(0)
            closed = viewer.close_code if viewer.closed.is_set() else "no"
        return f"{sent} no-op updates queued by the client, closed during the attack: {closed}"

    async def stalled_viewers(stop: asyncio.Event) -> str:
        viewer = token("viewer", "stalled")
        sockets = [await open_stalled_client(server.port, "big", viewer) for _ in range(viewers)]
        await stop.wait()
        health = await server.health()
        for _, writer in sockets:
            writer.close()
        budget = health["send_budget"]
        return (
            f"{viewers} stalled; budget {budget['used'] // MB} MB used, {budget['dropped']} dropped"
        )

    async def presence(stop: asyncio.Event) -> str:
        async with YClient(server.ws_url, "crowd", token=token()) as hog:
            state = json.dumps({"pad": "x" * 16_000})
            entries = [AwarenessEntry(10_000 + i, 1, state) for i in range(500)]
            for start in range(0, 500, 50):
                await hog.send_raw(
                    encode_awareness(encode_awareness_entries(entries[start : start + 50]))
                )
            joins = []
            while not stop.is_set():
                started = time.perf_counter()
                async with YClient(server.ws_url, "crowd", token=token()) as newcomer:
                    await asyncio.wait_for(newcomer.synced.wait(), 10)
                    joins.append(time.perf_counter() - started)
                    held = len(newcomer.awareness)
        return f"newcomer synced in {statistics.median(joins) * 1000:.0f} ms, sees {held} ids"

    async def burst(stop: asyncio.Event) -> str:
        async with YClient(server.ws_url, "burst", token=token(), ack=True) as writer:
            await writer.synced.wait()
            for index in range(2000):
                writer.append(f"{index},")
            with contextlib.suppress(TimeoutError):
                await writer.wait_for(lambda: writer.acked == writer.sent_updates, timeout=60)
            stored = writer.acked
            closed = writer.close_code if writer.closed.is_set() else "no"
            await stop.wait()
        return f"2000 edits, {stored} update messages acknowledged, closed: {closed}"

    async def idle_sockets(stop: asyncio.Event) -> str:
        sockets = []
        for _ in range(1000):
            with contextlib.suppress(OSError):
                sockets.append(await asyncio.open_connection("127.0.0.1", server.port))
        await stop.wait()
        closed = 0
        for reader, writer in sockets:
            with contextlib.suppress(Exception):
                if await asyncio.wait_for(reader.read(1), 0.01) == b"":
                    closed += 1
            writer.close()
        return f"{len(sockets)} opened, {closed} closed by the server"

    return {
        "deep-value": deep_value,
        "poison-room": poison_room,
        "sync-step1": sync_step1,
        "noop-updates": noop_updates,
        "stalled-viewers": stalled_viewers,
        "presence": presence,
        "burst": burst,
        "idle-sockets": idle_sockets,
    }


async def poison(server: ServerProcess) -> None:
    from collab.store.base import NewUpdate
    from collab.store.db import create_engine
    from collab.store.sql import SqlStore

    store = SqlStore(create_engine(server.database_url))
    try:
        await store.append([NewUpdate("poisoned", deep_any_update(20_000, client=9))])
    finally:
        await store.close()


async def attack_in_child(port: int, name: str, seconds: float, viewers: int) -> str:
    """Run attack `name` in a process of its own for `seconds`; its outcome line."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--attack",
        name,
        "--port",
        str(port),
        "--seconds",
        str(seconds),
        "--viewers",
        str(viewers),
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await child.communicate()
    return (
        stdout.decode().strip().splitlines()[-1] if stdout.strip() else f"exit {child.returncode}"
    )


async def run_child(port: int, name: str, seconds: float, viewers: int) -> None:
    """The attacker's side: connect to the server on `port`, attack, print the outcome."""
    server = ServerProcess("", Path(tempfile.gettempdir()) / "attack-child.log")
    server.port = port
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    print(await attacks(server, 0, viewers)[name](stop))


async def main(seconds: float, megabytes: int, viewers: int, log: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/attack.db"
        env = {"COLLAB_SECRET": SECRET, "COLLAB_HEADER_TIMEOUT": str(max(1.0, seconds / 3))}
        server = ServerProcess(url, Path(log or Path(tmp) / "server.log"), env)
        await server.start()
        try:
            await large_document(server, "big", megabytes)
            await poison(server)
            rows = []
            async with Probe(server) as probe:
                idle = await probe.measure(seconds)
                baseline = (percentile(idle, 0.5) * 1000, percentile(idle, 0.99) * 1000)
                for name in attacks(server, megabytes, viewers):

                    async def attack(_stop: asyncio.Event, name: str = name) -> str:
                        return await attack_in_child(server.port, name, seconds, viewers)

                    rows.append((name, await run_attack(server, probe, seconds, attack)))
        finally:
            await server.kill()
    print(f"probe round trip with no attack: p50 {baseline[0]:.1f} ms, p99 {baseline[1]:.1f} ms")
    print(f"document under attack: {megabytes} MB; {seconds:.0f} s per attack\n")
    print("| attack | probe p50 ms | probe p99 ms | peak RSS MB | server alive | outcome |")
    print("|---|---|---|---|---|---|")
    for name, row in rows:
        print(
            f"| {name} | {row['p50 ms']:.1f} | {row['p99 ms']:.1f} | {row['peak RSS MB']:.0f} "
            f"| {'yes' if row['alive'] else 'NO'} | {row['outcome']} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--megabytes", type=int, default=14)
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--log", help="keep the server's log in this file")
    parser.add_argument("--attack", help=argparse.SUPPRESS)  # the child's side
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:
        asyncio.run(run_child(args.port, args.attack, args.seconds, args.viewers))
    else:
        asyncio.run(main(args.seconds, args.megabytes, args.viewers, args.log))
