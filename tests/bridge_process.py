"""A real ``bridge serve`` child process on a loopback port, for tests that kill, pause or
restart it (stopped by PID; the environment's BRIDGE_* variables are not passed on)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
from builders import REPO, WEBHOOK_TOKEN, write_config
from polling import WaitTimeout, until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BridgeProcess:
    """``python -m bridge serve`` on a loopback port, stopped by PID."""

    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.config, self.port, self.log = config, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bridge", "serve", "-c", str(self.config)],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
            )

    async def wait_ready(self) -> None:
        """Wait (20 s at most) until ``/readyz`` answers 200; fail at once if the process exits."""
        async with aiohttp.ClientSession() as session:

            async def ready() -> bool:
                assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
                try:
                    async with session.get(self.url + "/readyz") as r:
                        return r.status == 200
                except aiohttp.ClientError:
                    return False

            try:
                await until(ready, "the bridge to be ready", seconds=20)
            except WaitTimeout:
                raise AssertionError("bridge not ready:\n" + self.log.read_text()[-3000:]) from None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def replica(
    root: Path, name: str, store: str, smtp_config: dict[str, Any], tick_ms: int, lease_ms: int
) -> BridgeProcess:
    """One replica of a bridge pair on a shared ``store``: its own folder, port and archive, the
    replica id ``name``, evaluation every ``tick_ms``, a lease of ``lease_ms``, quick sync and
    outbox, one approver token (``Bearer replica-approver``)."""
    folder = root / name
    folder.mkdir()
    port = free_port()
    config = write_config(
        folder,
        store=store,
        extra={
            "server": {"listen": f"127.0.0.1:{port}"},
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [
                    {"name": "boss", "token": "replica-approver", "roles": ["approver"]}
                ],
            },
            "smtp": smtp_config,
            "evaluation": {"interval": f"{tick_ms}ms"},
            "replication": {
                "replica_id": name,
                "sync_interval": "200ms",
                "lease_ttl": f"{lease_ms}ms",
            },
            "notices": {
                "archive_dir": str(folder / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "200ms",
            },
        },
    )
    return BridgeProcess(config, port, folder / "bridge.log")
