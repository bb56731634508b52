"""A real collab server in a subprocess on 127.0.0.1, for end-to-end tests and benchmarks."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """`collab serve` as a child process; start, stop (SIGTERM), kill (SIGKILL), restart."""

    def __init__(
        self, database_url: str, log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.log_path = log_path
        self.env = {"COLLAB_UNLOAD_GRACE": "0.5", **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        """Start the server and wait until /healthz answers."""
        assert self.process is None, "server already running"
        env = {**os.environ, **self.env}
        command = [sys.executable, "-m", "collab", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--database-url", self.database_url]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited early; log:\n{self.log_text()}")
                try:
                    if (await client.get(f"{self.http_url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"server did not become ready; log:\n{self.log_text()}")

    async def stop(self) -> int:
        """SIGTERM and wait for a graceful exit; return the exit code."""
        return await self._end(signal.SIGTERM)

    async def kill(self) -> int:
        """SIGKILL: no chance to flush anything."""
        return await self._end(signal.SIGKILL)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def _end(self, sig: signal.Signals) -> int:
        process, self.process = self.process, None
        if process is None:
            return 0
        process.send_signal(sig)
        return await asyncio.to_thread(process.wait, 30)

    async def health(self) -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            data: dict[str, Any] = (await client.get(f"{self.http_url}/healthz")).json()
            return data

    async def wait_health(self, timeout: float = 15.0, **expected: object) -> None:
        """Wait until /healthz reports every `expected` figure (rooms=0, connections=2, ...)."""
        async with asyncio.timeout(timeout):
            while True:
                health = await self.health()
                if all(health[key] == value for key, value in expected.items()):
                    return
                await asyncio.sleep(0.05)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
