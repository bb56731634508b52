"""A real collab server in a subprocess on 127.0.0.1, for end-to-end tests and benchmarks."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.launcher import ForkedProcess, forking, launcher

# The servers speak plain HTTP; a client given this context skips loading the CA bundle, which
# costs ~20 ms of CPU per client (and wait_health makes many).
_TLS = ssl.create_default_context()


def free_port() -> int:
    """A TCP port nobody listens on right now (one the kernel picked at random: processes
    running tests side by side rarely meet; ServerProcess.start copes when they do)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _PortTaken(Exception):
    """Someone else bound the server's port between free_port() and the server's bind."""


def _listens(pid: int, port: int) -> bool:
    """Whether process `pid` itself listens on `port` (not another test's server)."""
    try:
        sockets = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(s.status == psutil.CONN_LISTEN and s.laddr.port == port for s in sockets)


class ServerProcess:
    """`collab serve` as a child process; start, stop (SIGTERM), kill (SIGKILL), restart."""

    def __init__(
        self, database_url: str, log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.log_path = log_path
        # Deletes erase at once unless a test asks for the trash (tests/api/test_trash.py):
        # the tests written before it check what an erasing delete frees.
        self.env = {"COLLAB_UNLOAD_GRACE": "0.5", "COLLAB_TRASH_DAYS": "0", **(env or {})}
        self.process: subprocess.Popen[bytes] | ForkedProcess | None = None
        self._started = False  # once started, restarts keep the port: clients come back to it

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        """Start the server and wait until /healthz answers; on another port if the first
        one was taken in the meantime (never on a restart)."""
        assert self.process is None, "server already running"
        for _ in range(5):
            try:
                await self._start_once()
                self._started = True
                return
            except _PortTaken:
                if self._started:
                    raise RuntimeError(f"port {self.port} was taken during a restart") from None
                self.port = free_port()
        raise RuntimeError("no free port after 5 tries")

    async def _start_once(self) -> None:
        env = {**os.environ, **self.env}
        argv = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        argv += ["--database-url", self.database_url]
        logged = self.log_path.stat().st_size if self.log_path.exists() else 0
        if forking():
            self.process = launcher().spawn(argv, env, stdout=self.log_path)
        else:
            with self.log_path.open("ab") as log:
                command = [sys.executable, "-m", "collab", *argv]
                self.process = subprocess.Popen(
                    command, env=env, stdout=log, stderr=subprocess.STDOUT
                )
        await self._wait_ready(logged)

    async def _wait_ready(self, logged: int = 0) -> None:
        """Wait for /healthz from this process; `logged`: the log's size before it started."""
        async with httpx.AsyncClient(timeout=30, verify=_TLS) as client:
            for _ in range(300):
                assert self.process is not None
                code = self.process.poll()
                if code is not None:
                    self.process = None
                    if b"in use" in self._log_bytes()[logged:]:
                        raise _PortTaken
                    raise RuntimeError(f"server exited early with {code}; log:\n{self.log_text()}")
                try:
                    answer = await client.get(f"{self.http_url}/healthz")
                    if answer.status_code == 200 and _listens(self.process.pid, self.port):
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
        try:
            return await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGUSR1)  # what it is stuck on (collab.serving.stacks)
            await self.wait_log("asyncio tasks", timeout=5, quiet=True)
            process.kill()  # not left running for the tests after this one
            await asyncio.to_thread(process.wait, 30)
            tail = self.log_text()[-12000:]
            message = f"server did not exit within 30 s of {sig.name}; log:\n{tail}"
            raise RuntimeError(message) from None

    async def wait_log(self, text: str, timeout: float = 10.0, *, quiet: bool = False) -> None:
        """Wait until the server's log holds `text` (TimeoutError, unless `quiet`)."""
        try:
            async with asyncio.timeout(timeout):
                while text not in self.log_text():
                    await asyncio.sleep(0.05)
        except TimeoutError:
            if not quiet:
                raise

    async def health(self, client: httpx.AsyncClient | None = None) -> dict[str, Any]:
        if client is None:
            async with httpx.AsyncClient(timeout=30, verify=_TLS) as client:
                return await self.health(client)
        data: dict[str, Any] = (await client.get(f"{self.http_url}/healthz")).json()
        return data

    async def wait_health(self, timeout: float = 15.0, **expected: object) -> None:
        """Wait until /healthz reports every `expected` figure (rooms=0, connections=2, ...)."""
        async with httpx.AsyncClient(verify=_TLS) as client, asyncio.timeout(timeout):
            while True:
                health = await self.health(client)
                if all(health[key] == value for key, value in expected.items()):
                    return
                await asyncio.sleep(0.05)

    def _log_bytes(self) -> bytes:
        return self.log_path.read_bytes() if self.log_path.exists() else b""

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
