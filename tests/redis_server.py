"""Real ``redis-server`` processes for the tests: on a free loopback port, in a temp dir.

A test that needs Redis FAILS (never skips) when ``redis-server`` is missing: ``./scripts/test``
installs the Debian package, so a missing binary is a broken machine, not an optional feature.

- :class:`RedisServer` starts one server (durable settings by default: AOF with
  ``appendfsync always``, ``noeviction``, no RDB snapshots), waits until it answers PING, stops
  it by PID (SIGTERM, then SIGKILL), can ``kill()`` it with SIGKILL and ``start()`` it again on
  the same port and directory (the AOF is replayed).
- :func:`shared_server` is one server per test session (the store contract suite), started on
  first use and stopped by :func:`stop_shared_server` or at interpreter exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlencode

LOOPBACK = "127.0.0.1"
DURABLE = ("--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction")
UNSAFE = ("--appendonly", "no", "--appendfsync", "everysec", "--maxmemory-policy", "allkeys-lru")


class RedisServerError(RuntimeError):
    """redis-server is missing, did not start or did not stop."""


def find_redis_server() -> str:
    """The redis-server binary; raises (the test fails) with what to install when missing."""
    binary = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)),
        None,
    )
    if binary is None:
        raise RedisServerError(
            "redis-server is not installed: the Redis store tests need a real server. "
            "Install the Debian package redis-server (./scripts/test does this when missing)."
        )
    return binary


def free_port() -> int:
    """A currently free TCP port on loopback (racy by nature; fine on a test machine)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """One redis-server child process; see the module docstring."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        settings: Sequence[str] = DURABLE,
        extra: Sequence[str] = (),
    ) -> None:
        self._own_folder = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="redis-test-")) if folder is None else folder
        self.port = free_port()
        self.settings = tuple(settings)
        self.extra = tuple(extra)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / "redis.log"

    def url(self, db: int = 0, **params: str | int) -> str:
        query = f"?{urlencode(params)}" if params else ""
        return f"redis://{LOOPBACK}:{self.port}/{db}{query}"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def command(self) -> list[str]:
        return [
            find_redis_server(),
            "--port",
            str(self.port),
            "--bind",
            LOOPBACK,
            "--dir",
            str(self.folder),
            "--logfile",
            str(self.log_path),
            "--daemonize",
            "no",
            "--save",
            "",
            *self.settings,
            *self.extra,
        ]

    def start(self, timeout: float = 15.0) -> Self:
        """Start (or start again, same port and directory) and wait until PING answers."""
        if self._proc is not None and self._proc.poll() is None:
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C of pytest does not reach it before stop()
        )
        # its own bounded wait, not polling.until_sync: bench/ loads this file by path, without
        # tests/ on sys.path
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RedisServerError(f"redis-server exited at start:\n{self.log_tail()}")
            if self.answers_ping():
                return self
            time.sleep(0.02)
        self.stop()
        raise RedisServerError(f"redis-server did not answer PING in {timeout}s")

    def answers_ping(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith((b"+PONG", b"-NOAUTH"))  # up, perhaps with a password
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (Redis flushes and exits), SIGKILL after ``timeout``; by PID only.

        SIGTERM is repeated: Redis ignores one that arrives while it writes its first AOF."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(0.5)
                return
            except subprocess.TimeoutExpired:
                continue
        proc.kill()
        proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: a crash, no shutdown work (what ``kill -9`` does)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def cleanup(self) -> None:
        """Stop and remove the directory if this object created it."""
        self.stop()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


_shared: RedisServer | None = None


def shared_server() -> RedisServer:
    """One durable server for the whole session; tests keep apart by key prefix."""
    global _shared
    if _shared is None:
        server = RedisServer()
        try:
            server.start()
        except BaseException:
            server.cleanup()
            raise
        _shared = server
        atexit.register(stop_shared_server)
    return _shared


def stop_shared_server() -> None:
    global _shared
    server, _shared = _shared, None
    if server is not None:
        server.cleanup()
