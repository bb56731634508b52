"""`collab serve` processes forked from one that has already imported collab.

Starting `python -m collab serve` spends about half a second of CPU importing collab and its
dependencies before it serves anything; the suite starts some 400 servers. A launcher process
(one per pytest worker) imports all of that once and forks a child per server: each test still
gets a real `collab serve` process of its own (collab.cli.main with the test's arguments and
environment, its output in the test's log file), only without the imports.
tests/conftest.py turns it on (COLLAB_TEST_FORK=1) unless COLLAB_TEST_FORK is set already: with
COLLAB_TEST_FORK=0 every server is started with `python -m collab`, as the benchmarks start them.

The launcher reads one JSON request a line on stdin ({"argv", "env", "cwd", "log"}) and answers
{"pid": N} on stdout; when a child exits it writes {"exit": pid, "code": returncode}.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

# What `collab serve` imports, so that no child imports it again.
PRELOAD = ("collab.cli", "collab.app", "collab.server", "uvicorn", "aiosqlite", "asyncpg")


# -- the launcher process ------------------------------------------------------------------


def _child(request: dict[str, Any], wakeup: tuple[int, int]) -> None:
    """In the forked child: become `python -m collab ARGV` with the request's environment and
    output, run it, and exit with its code. Never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in wakeup:
            os.close(fd)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, 65536)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [sys.executable, *request["argv"]]
        from collab.cli import main

        code = main(request["argv"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _say({"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _say(message: dict[str, Any]) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


def _serve() -> None:
    """The launcher's loop: fork a child per request, report every child's exit."""
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:  # an optional driver: the child imports what it needs
            pass
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    gc.freeze()  # the imported modules stay shared with every child
    pending = b""
    _say({"ready": True})
    while True:
        try:
            readable, _, _ = select.select([0, wake_read], [], [])
        except InterruptedError:
            continue
        if wake_read in readable:
            os.read(wake_read, 4096)
            _reap()
        if 0 not in readable:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            return  # the test process went away; its servers are its own to stop
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            pid = os.fork()
            if pid == 0:
                _child(json.loads(line), (wake_read, wake_write))
            _say({"pid": pid})


# -- the test process's side ---------------------------------------------------------------


class ForkedProcess:
    """A server forked by the launcher, with the part of subprocess.Popen the tests use."""

    def __init__(self, launcher: Launcher, pid: int) -> None:
        self.launcher = launcher
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        self.returncode = self.launcher.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self.returncode = self.launcher.wait_exit(self.pid, timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Launcher:
    """The launcher process of this pytest process, and what it has said so far."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[1],
        )
        self._lock = threading.Condition()
        self._pids: list[int] = []
        self._exits: dict[int, int] = {}
        self._ready = False
        self._gone = False
        self._listener = threading.Thread(target=self._listen, name="launcher", daemon=True)
        self._listener.start()
        with self._lock:
            if not self._lock.wait_for(lambda: self._ready or self._gone, timeout=60):
                raise RuntimeError("the server launcher did not start")
            if self._gone:
                raise RuntimeError("the server launcher exited at start")

    def alive(self) -> bool:
        return not self._gone

    def close(self) -> None:
        """End the launcher (the servers it forked are their tests' to stop)."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._listener.join(timeout=10)  # it reads up to the launcher's end of the pipe
        self._process.stdout.close()

    def _listen(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            message = json.loads(line)
            with self._lock:
                if "pid" in message:
                    self._pids.append(message["pid"])
                elif "exit" in message:
                    self._exits[message["exit"]] = message["code"]
                else:
                    self._ready = True
                self._lock.notify_all()
        with self._lock:
            self._gone = True
            self._lock.notify_all()

    def spawn(self, argv: list[str], env: dict[str, str], log: Path) -> ForkedProcess:
        """Fork `python -m collab ARGV` with `env`, its output appended to `log`."""
        request = {"argv": argv, "env": env, "cwd": os.getcwd(), "log": str(log)}
        assert self._process.stdin is not None
        with self._lock:  # one request at a time: the answers come back in order
            self._process.stdin.write((json.dumps(request) + "\n").encode())
            self._process.stdin.flush()
            if not self._lock.wait_for(lambda: bool(self._pids) or self._gone, timeout=30):
                raise RuntimeError("the server launcher did not answer")
            if not self._pids:
                raise RuntimeError("the server launcher exited")
            return ForkedProcess(self, self._pids.pop(0))

    def exit_code(self, pid: int) -> int | None:
        with self._lock:
            return self._exits.get(pid)

    def wait_exit(self, pid: int, timeout: float | None) -> int:
        with self._lock:
            if not self._lock.wait_for(lambda: pid in self._exits or self._gone, timeout):
                raise subprocess.TimeoutExpired(f"collab server {pid}", timeout or 0)
            if pid not in self._exits:
                raise RuntimeError("the server launcher exited before its server")
            return self._exits[pid]


_launcher: Launcher | None = None
_launcher_lock = threading.Lock()


def launcher() -> Launcher:
    """This process's launcher, started on first use (and again if it died)."""
    global _launcher
    with _launcher_lock:
        if _launcher is None or not _launcher.alive():
            _launcher = Launcher()
        return _launcher


def shutdown() -> None:
    """End this process's launcher, if it started one."""
    global _launcher
    with _launcher_lock:
        if _launcher is not None:
            _launcher.close()
            _launcher = None


if __name__ == "__main__":
    _serve()
