"""A real ``bridge serve`` child process on a loopback port, for tests that kill, pause or
restart it (stopped by PID; the environment's BRIDGE_* variables are not passed on); the same
with people and a console for the browser tests (:func:`start_bridge`); the app served in this
process (:class:`RunningBridge`); reading /metrics (:func:`metric_value`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from builders import API_TOKEN, PASSWORD, REPO, WEBHOOK_TOKEN, write_config
from polling import WaitTimeout, until, until_sync
from smtp_server import SmtpServer

from bridge.config import load_config
from bridge.people.directory import Directory
from bridge.store import make_store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: how many evaluation timer ticks have run (the evaluation histogram's count)
TIMER_TICKS = 'bridge_evaluation_duration_seconds_count{trigger="timer"}'
#: how many outbox rounds have run (only the leader runs them)
OUTBOX_ROUNDS = "bridge_outbox_rounds_total"


def metric_value(text: str, series: str) -> float | None:
    """The value of ``series`` (name with its labels, as exposed) in a /metrics text."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


class _Metrics:
    """/metrics of a bridge at ``self.url``: a series' value, and waiting for timer ticks."""

    url: str

    async def metric(self, series: str) -> float | None:
        """The value of ``series`` on /metrics now (see :func:`metric_value`)."""
        async with aiohttp.ClientSession() as s, s.get(self.url + "/metrics") as r:
            assert r.status == 200, await r.text()
            return metric_value(await r.text(), series)

    async def ticks_after(self, count: int, seconds: float = 20) -> None:
        """Wait until ``count`` more evaluation timer ticks have run than have now (the
        evaluation histogram's count: a tick that stalls fails the wait)."""
        await self.grows_by(TIMER_TICKS, count, "evaluation timer ticks", seconds)

    async def grows_by(self, series: str, count: int, what: str, seconds: float = 20) -> None:
        """Wait until the counter ``series`` has grown by ``count`` from its value now."""
        before = await self.metric(series) or 0

        async def done() -> bool:
            return (await self.metric(series) or 0) >= before + count

        await until(done, f"{count} {what} on {self.url}", seconds)


class RunningBridge(_Metrics):
    """The app served in this process on a real loopback port (the ``bridge`` fixture of
    tests/e2e), with its injected ``clock``; :meth:`get` reads the API with the viewer token."""

    def __init__(self, url: str, clock: Any, app: Any) -> None:
        self.url = url
        self.clock = clock
        self.app = app

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        auth = headers or {"Authorization": f"Bearer {API_TOKEN}"}
        async with aiohttp.ClientSession() as s, s.get(self.url + path, headers=auth) as r:
            assert r.status == 200, await r.text()
            if r.content_type == "application/json":
                return await r.json()
            return await r.text()

    async def wait_for(self, predicate: Any, what: str, seconds: float = 20) -> Any:
        """Poll the incidents API until ``predicate(incidents)`` gives a truthy value."""

        async def check() -> Any:
            return predicate((await self.get("/api/v1/incidents?state=all"))["incidents"])

        return await until(check, what, seconds, every=0.1)


class BridgeProcess(_Metrics):
    """``python -m bridge serve`` on a loopback port, stopped by PID; ``token``: an API token
    its configuration holds (:meth:`readiness` reads ``/readyz`` with it)."""

    def __init__(self, config: Path, port: int, log: Path, token: str = API_TOKEN) -> None:
        self.config, self.port, self.log = config, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.auth = {"Authorization": f"Bearer {token}"}
        self.proc: subprocess.Popen[bytes] | None = None

    async def readiness(self) -> dict[str, Any]:
        """``/readyz``'s whole answer (200), read with :attr:`auth`: an anonymous caller is
        told the status only, a credential's holder the store, replica and leadership."""
        async with (
            aiohttp.ClientSession() as s,
            s.get(self.url + "/readyz", headers=self.auth) as r,
        ):
            assert r.status == 200, await r.text()
            body: dict[str, Any] = await r.json()
            return body

    def start(self, umask: int = -1, flags: Sequence[str] = ()) -> None:
        """Start it (``umask``: the child's, e.g. ``0o000``; -1 keeps this process's;
        ``flags``: more of ``bridge serve``'s arguments)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bridge", "serve", "-c", str(self.config), *flags],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
                umask=umask,
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


#: the one API token of :func:`replica`'s configuration (an approver)
REPLICA_TOKEN = "replica-approver"


def replica(
    root: Path,
    name: str,
    store: str,
    smtp_config: dict[str, Any],
    tick_ms: int,
    lease_ms: int,
    extra: dict[str, Any] | None = None,
) -> BridgeProcess:
    """One replica of a bridge pair on a shared ``store``: its own folder, port and archive, the
    replica id ``name``, evaluation every ``tick_ms``, a lease of ``lease_ms``, quick sync and
    outbox, one approver token (``Bearer replica-approver``); ``extra`` sections over those."""
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
                "api_tokens": [{"name": "boss", "token": REPLICA_TOKEN, "roles": ["approver"]}],
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
            **(extra or {}),
        },
    )
    return BridgeProcess(config, port, folder / "bridge.log", REPLICA_TOKEN)


@contextlib.contextmanager
def replica_pair(
    root: Path,
    store: str,
    smtp_config: dict[str, Any],
    tick_ms: int,
    lease_ms: int,
    extra: dict[str, Any] | None = None,
) -> Iterator[list[BridgeProcess]]:
    """Replicas ``a`` and ``b`` (:func:`replica`, not yet started), stopped afterwards (one a
    test left stopped with SIGSTOP is continued first)."""
    bridges = [
        replica(root, name, store, smtp_config, tick_ms, lease_ms, extra) for name in ("a", "b")
    ]
    try:
        yield bridges
    finally:
        for b in bridges:
            if b.proc is not None and b.proc.poll() is None:
                b.proc.send_signal(signal.SIGCONT)
            b.stop()


# ---- a bridge with people, for the browser tests ----------------------------------------


@dataclass
class Bridge:
    url: str
    folder: Path
    proc: subprocess.Popen[bytes]
    log: Path
    secrets: dict[str, str] = field(default_factory=dict)  # user → TOTP key from enrolment

    def api(self, path: str, token: str = API_TOKEN) -> Any:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())

    def deliver(self, body: dict[str, Any]) -> list[str]:
        """POST a webhook body as Alertmanager would; the incident ids the answer names."""
        request = urllib.request.Request(
            self.url + "/api/v1/alertmanager",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {WEBHOOK_TOKEN}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            return list(json.loads(r.read())["incidents"])


def bridge_cli(config: Path, *args: str, stdin: str = "") -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bridge", *args, "-c", str(config)],
        input=stdin.encode(),
        capture_output=True,
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode() + done.stdout.decode()


def add_users(config: Path, users: dict[str, list[str]]) -> None:
    """What ``bridge users add NAME --role … --password-file -`` (password PASSWORD) does for
    each of ``users``, in this process: the directory of the configured store adds them,
    audited (the command itself: test_cli_people; each run of it costs a start-up). In a thread
    of its own: a caller's thread may be running an event loop (Playwright's)."""

    async def add() -> None:
        loaded = load_config(config, env={})
        store = make_store(loaded.store_url())
        directory = Directory(store, lambda: datetime.now(UTC))
        await store.open()
        try:
            for name, roles in users.items():
                await directory.accounts.add_user(name, roles, PASSWORD, "cli:tests")
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, add()).result()


@contextlib.contextmanager
def start_bridge(
    folder: Path,
    smtp: SmtpServer,
    users: dict[str, list[str]],
    extra: dict[str, Any] | None = None,
) -> Iterator[Bridge]:
    """``bridge serve`` on a free port with these ``users`` (password PASSWORD) and config
    sections ``extra`` over the common ones (operator, SMTP, a fast outbox)."""
    port = free_port()
    config = write_config(
        folder,
        extra={
            "server": {"listen": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}"},
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "Vakthavande", "phone": "+47 22 00 00 00", "email": "n@ex.net"},
            },
            "smtp": smtp.smtp_config(),
            "notices": {
                "archive_dir": str(folder / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "200ms",
            },
            **(extra or {}),
        },
    )
    add_users(config, users)
    log = folder / "bridge.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", "serve", "-c", str(config)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        )
    running = Bridge(f"http://127.0.0.1:{port}", folder, proc, log)

    def ready() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(running.url + "/readyz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    try:
        until_sync(ready, "the bridge to be ready", 30)
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
