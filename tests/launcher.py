"""`collab` processes forked from one that has already imported collab.

Starting `python -m collab` spends about half a second of CPU importing collab and its
dependencies before it does anything; the suite starts some 400 servers and runs the CLI some
100 times. A launcher process (one per pytest worker) imports all of that once and forks a child
per command: each test still gets a real process of its own (collab.cli.main with the test's
arguments, environment and working directory, its output in files the test reads), only
without the imports. tests/conftest.py turns this on (COLLAB_TEST_FORK=1) unless
COLLAB_TEST_FORK is set already: with COLLAB_TEST_FORK=0 every command runs as
`python -m collab`, as the benchmarks start servers.

The launcher reads one JSON request a line on stdin ({"argv", "env", "cwd", "stdout", "stderr"},
the last two file paths to append to, and optionally "stdin", a file to read as standard input
instead of /dev/null) and answers {"pid": N} on stdout; when a child exits it
writes {"exit": pid, "code": returncode}.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# "1": collab commands are forked from the launcher (tests/conftest.py sets it unless it is set
# already); otherwise they run as `python -m collab` (as the benchmarks run servers).
FORK_ENV = "COLLAB_TEST_FORK"
# What `collab serve` imports, so that no child imports it again; and the REST API, which a
# server imports with its first request for it (collab/api/deferred.py): nearly every test asks
# for it, so each child would import it again. A child still defers it (and logs loading it).
PRELOAD = (
    "collab.cli",
    "collab.app",
    "collab.serving.server",
    "uvicorn",
    "aiosqlite",
    "collab.api.rest",
)
OPTIONAL = ("asyncpg",)  # the PostgreSQL driver, when installed


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
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        os.dup2(os.open(request.get("stdin") or os.devnull, os.O_RDONLY), 0)
        os.dup2(os.open(request["stdout"], flags, 0o644), 1)
        os.dup2(os.open(request["stderr"], flags, 0o644), 2)
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
        __import__(name)
    for name in OPTIONAL:
        try:
            __import__(name)
        except ImportError:
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
                    # PIDs are reused (pid_max is often 32768, and a run forks thousands): an
                    # exit recorded for an earlier child with this PID is not this one's. Its
                    # own exit can only come later on this stream.
                    self._exits.pop(message["pid"], None)
                    self._pids.append(message["pid"])
                elif "exit" in message:
                    self._exits[message["exit"]] = message["code"]
                else:
                    self._ready = True
                self._lock.notify_all()
        with self._lock:
            self._gone = True
            self._lock.notify_all()

    def spawn(
        self,
        argv: list[str],
        env: dict[str, str],
        stdout: Path,
        stderr: Path | None = None,
        cwd: Path | None = None,
        stdin: Path | None = None,
    ) -> ForkedProcess:
        """Fork `python -m collab ARGV` with `env` in `cwd`, its output appended to `stdout`
        (and its errors to `stderr`, by default the same file), reading `stdin` (by default
        /dev/null)."""
        request = {
            "argv": argv,
            "env": env,
            "cwd": str(cwd or os.getcwd()),
            "stdout": str(stdout),
            "stderr": str(stderr or stdout),
            "stdin": str(stdin) if stdin else None,
        }
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


def forking() -> bool:
    """Whether collab commands are forked from the launcher."""
    return os.environ.get(FORK_ENV) == "1"


def run_collab(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
    input: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """`python -m collab ARGS` run to its end with its output captured, as subprocess.run with
    capture_output=True would (`env`: all of it, os.environ by default; `input`: its standard
    input, else none): forked from the launcher when COLLAB_TEST_FORK is "1"."""
    full_env = dict(os.environ if env is None else env)
    if not forking():
        command = [sys.executable, "-m", "collab", *args]
        return subprocess.run(
            command,
            env=full_env,
            cwd=cwd,
            capture_output=True,
            timeout=timeout,
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
        )
    with tempfile.TemporaryDirectory() as output:
        out, err = Path(output, "stdout"), Path(output, "stderr")
        given = None
        if input is not None:
            given = Path(output, "stdin")
            given.write_bytes(input)
        child = launcher().spawn(list(args), full_env, out, err, cwd, given)
        try:
            code = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise
        captured = out.read_bytes() if out.exists() else b""
        errors = err.read_bytes() if err.exists() else b""
    return subprocess.CompletedProcess(["collab", *args], code, captured, errors)


def run_collab_text(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """run_collab with the input encoded and the output decoded (as text=True would)."""
    encoded = None if input is None else input.encode()
    done = run_collab(args, env=env, cwd=cwd, timeout=timeout, input=encoded)
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def shutdown() -> None:
    """End this process's launcher, if it started one."""
    global _launcher
    with _launcher_lock:
        if _launcher is not None:
            _launcher.close()
            _launcher = None


if __name__ == "__main__":
    _serve()
