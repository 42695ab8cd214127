"""Run a real Prometheus Alertmanager binary for end-to-end tests.

This is a helper module, not a test module. It starts the Alertmanager that
Debian ships as ``/usr/bin/prometheus-alertmanager`` (upstream name
``alertmanager``) on free loopback ports, with a generated configuration
that routes every alert to a single webhook receiver, and offers a few small
helpers to talk to its HTTP API v2.

Typical use::

    async with AlertmanagerProcess(webhook_url, bearer_token="s3cret") as am:
        await am.post_alerts([
            {"labels": {"alertname": "LinkDown"}, "startsAt": started, "endsAt": ends},
        ])
        ...  # wait for the receiver to get the webhook

Everything the process writes (``alertmanager.yml``, the ``--storage.path``
data directory and ``alertmanager.log`` with stdout+stderr) lives in a private
temporary directory that :meth:`AlertmanagerProcess.stop` removes. Every start
failure raises :class:`AlertmanagerError` with the tail of that log, so a
failing test shows what Alertmanager complained about.

Behaviour of Alertmanager 0.25 worth knowing when writing assertions:

* Firing alerts reach the webhook with ``endsAt == "0001-01-01T00:00:00Z"``
  (Go's zero time) even when an ``endsAt`` in the future was posted; only
  resolved alerts carry a real ``endsAt``.
* Timestamps come back in Go's RFC3339Nano form (trailing zeros of the
  fraction dropped, no fraction at all for whole seconds). :func:`rfc3339`
  produces exactly that form, so posted and received strings compare equal.
* ``max_alerts`` (webhook_config) is supported; the payload then holds at most
  that many alerts and ``truncatedAlerts`` counts the rest.
* A resolve is delivered at the next ``group_interval`` tick after the
  alert's ``endsAt`` has passed.
* With clustering enabled, nothing is notified until gossip has "settled"
  (four polls of ``10 * --cluster.gossip-interval``, bounded by
  ``--cluster.settle-timeout``), and the n-th peer of a cluster waits
  ``n * --cluster.peer-timeout`` before notifying. ``/-/ready`` does not wait
  for the settling. The defaults chosen here keep both short.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
import pytest
import yaml
from polling import WaitTimeout, until

__all__ = [
    "AlertmanagerError",
    "AlertmanagerProcess",
    "find_alertmanager",
    "find_amtool",
    "free_port",
    "rfc3339",
]

LOOPBACK = "127.0.0.1"


class AlertmanagerError(RuntimeError):
    """Alertmanager could not be configured, started or talked to."""


def find_alertmanager() -> str | None:
    """Return the path of the Alertmanager binary, or ``None`` if not installed."""
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def find_amtool() -> str | None:
    """Return the path of ``amtool``, or ``None`` if not installed."""
    return shutil.which("amtool")


def free_port(*, udp: bool = False) -> int:
    """Return a currently free TCP port on 127.0.0.1.

    With ``udp=True`` the port is also free for UDP (Alertmanager's cluster
    gossip listens on both TCP and UDP on the same port). There is an
    unavoidable race between closing the probe socket and the process binding
    the port; on a test machine that is good enough.
    """
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port: int = tcp.getsockname()[1]
            if not udp:
                return port
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind((LOOPBACK, port))
                except OSError:
                    continue
                return port
    raise AlertmanagerError("could not find a free loopback port")


def rfc3339(value: datetime | str) -> str:
    """Format an aware datetime as RFC3339 in UTC with a ``Z`` suffix.

    The fraction follows Go's ``time.RFC3339Nano`` (trailing zeros dropped,
    omitted for whole seconds), which is how Alertmanager echoes timestamps,
    so ``rfc3339(dt)`` equals the string Alertmanager later sends. Strings
    are passed through unchanged; naive datetimes are rejected.
    """
    if isinstance(value, str):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: use an aware datetime (e.g. UTC)")
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _go_duration(value: str | timedelta) -> str:
    """Turn a timedelta into a Prometheus duration string (``"1500ms"``)."""
    if isinstance(value, str):
        return value
    ms = round(value.total_seconds() * 1000)
    if ms <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return f"{ms}ms"


def _alert_to_api(alert: Mapping[str, Any]) -> dict[str, Any]:
    """Build one API v2 ``postableAlert`` from a loose dict."""
    if "labels" not in alert or not alert["labels"]:
        raise ValueError(f"alert needs non-empty 'labels': {alert!r}")
    unknown = set(alert) - {"labels", "annotations", "startsAt", "endsAt", "generatorURL"}
    if unknown:
        raise ValueError(f"unknown alert keys {sorted(unknown)}")
    out: dict[str, Any] = {
        "labels": {str(k): str(v) for k, v in alert["labels"].items()},
        "annotations": {str(k): str(v) for k, v in (alert.get("annotations") or {}).items()},
    }
    for key in ("startsAt", "endsAt"):
        if alert.get(key) is not None:
            out[key] = rfc3339(alert[key])
    if alert.get("generatorURL"):
        out["generatorURL"] = str(alert["generatorURL"])
    return out


class AlertmanagerProcess:
    """One real Alertmanager process with a single webhook receiver.

    Use as ``async with AlertmanagerProcess(...) as am:`` (start, wait until
    ready, stop on exit), or call :meth:`start`, ``await``
    :meth:`wait_ready` and :meth:`stop` yourself.

    Constructor arguments:

    ``webhook_url``
        URL of the single webhook receiver every alert is routed to.
    ``bearer_token``
        Sent as ``Authorization: Bearer <token>`` via
        ``http_config.authorization``; ``None`` omits http_config.
    ``max_alerts``
        webhook_config ``max_alerts``; 0 means unlimited.
    ``send_resolved``
        webhook_config ``send_resolved`` (default ``True``).
    ``group_by``
        Route ``group_by``; the default ``["..."]`` makes every alert
        (label set) its own group, i.e. its own webhook.
    ``group_wait`` / ``group_interval`` / ``repeat_interval``
        Route timing, as Prometheus duration strings or timedeltas. The
        defaults (1s / 1s / 1h) are fast enough for tests.
    ``cluster_listen`` / ``peers``
        Off by default: clustering is disabled with an empty
        ``--cluster.listen-address``. With ``cluster_listen=True`` or any
        ``peers`` (``"127.0.0.1:port"`` strings, e.g. another instance's
        :attr:`cluster_address`) the process gossips on a free loopback port.
    ``gossip_interval`` / ``settle_timeout`` / ``peer_timeout``
        Cluster timing flags, shortened from Alertmanager's defaults
        (200ms / 1m / 15s) so clustered tests stay quick.
    ``log_level``
        ``--log.level`` (debug, info, warn, error).
    ``extra_args``
        Further command-line flags appended verbatim.
    ``binary``
        Alertmanager binary; defaults to :func:`find_alertmanager`.

    Attributes available right after construction: ``workdir``,
    ``config_path``, ``storage_path``, ``log_path``, ``port``, ``base_url``,
    ``cluster_address`` (``None`` when clustering is off).
    """

    def __init__(
        self,
        webhook_url: str,
        *,
        bearer_token: str | None = "e2e-test-token",
        max_alerts: int = 0,
        send_resolved: bool = True,
        group_by: Sequence[str] = ("...",),
        group_wait: str | timedelta = "1s",
        group_interval: str | timedelta = "1s",
        repeat_interval: str | timedelta = "1h",
        cluster_listen: bool = False,
        peers: Sequence[str] = (),
        gossip_interval: str = "50ms",
        settle_timeout: str = "5s",
        peer_timeout: str = "2s",
        log_level: str = "debug",
        extra_args: Sequence[str] = (),
        binary: str | None = None,
    ) -> None:
        self.webhook_url = webhook_url
        self.bearer_token = bearer_token
        self.max_alerts = max_alerts
        self.send_resolved = send_resolved
        self.group_by = list(group_by)
        self.group_wait = _go_duration(group_wait)
        self.group_interval = _go_duration(group_interval)
        self.repeat_interval = _go_duration(repeat_interval)
        self.peers = list(peers)
        self.gossip_interval = gossip_interval
        self.settle_timeout = settle_timeout
        self.peer_timeout = peer_timeout
        self.log_level = log_level
        self.extra_args = list(extra_args)
        self.binary = binary or find_alertmanager()

        self.workdir = Path(tempfile.mkdtemp(prefix="alertmanager-e2e-"))
        self.config_path = self.workdir / "alertmanager.yml"
        self.storage_path = self.workdir / "data"
        self.log_path = self.workdir / "alertmanager.log"

        self.port = free_port()
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        self.cluster_address: str | None = None
        if cluster_listen or self.peers:
            self.cluster_address = f"{LOOPBACK}:{free_port(udp=True)}"

        self._proc: subprocess.Popen[bytes] | None = None
        self.write_config()

    # ------------------------------------------------------------------ config

    def config(self) -> dict[str, Any]:
        """Return the Alertmanager configuration as a dict."""
        webhook: dict[str, Any] = {
            "url": self.webhook_url,
            "send_resolved": self.send_resolved,
            "max_alerts": self.max_alerts,
        }
        if self.bearer_token is not None:
            webhook["http_config"] = {
                "authorization": {"type": "Bearer", "credentials": self.bearer_token}
            }
        return {
            "route": {
                "receiver": "webhook",
                "group_by": self.group_by,
                "group_wait": self.group_wait,
                "group_interval": self.group_interval,
                "repeat_interval": self.repeat_interval,
            },
            "receivers": [{"name": "webhook", "webhook_configs": [webhook]}],
        }

    def write_config(self) -> Path:
        """(Re)write ``alertmanager.yml`` from the current settings; return its path."""
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        return self.config_path

    def check_config(self) -> str:
        """Validate the config with ``amtool check-config``; return its output.

        Raises :class:`AlertmanagerError` if amtool is missing or rejects it.
        """
        amtool = find_amtool()
        if amtool is None:
            raise AlertmanagerError("amtool not found on PATH")
        res = subprocess.run(
            [amtool, "check-config", str(self.config_path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        output = res.stdout + res.stderr
        if res.returncode != 0:
            raise AlertmanagerError(f"amtool check-config failed:\n{output}")
        return output

    # --------------------------------------------------------------- lifecycle

    def command(self) -> list[str]:
        """Return the full command line used to start Alertmanager."""
        if self.binary is None:
            raise AlertmanagerError(
                "Alertmanager binary not found (looked for prometheus-alertmanager "
                "and alertmanager on PATH)"
            )
        args = [
            self.binary,
            f"--config.file={self.config_path}",
            f"--storage.path={self.storage_path}",
            f"--web.listen-address={LOOPBACK}:{self.port}",
            f"--web.external-url={self.base_url}",
            f"--log.level={self.log_level}",
        ]
        if self.cluster_address is None:
            args.append("--cluster.listen-address=")
        else:
            args += [
                f"--cluster.listen-address={self.cluster_address}",
                f"--cluster.advertise-address={self.cluster_address}",
                f"--cluster.gossip-interval={self.gossip_interval}",
                f"--cluster.settle-timeout={self.settle_timeout}",
                f"--cluster.peer-timeout={self.peer_timeout}",
            ]
            args += [f"--cluster.peer={peer}" for peer in self.peers]
        return args + self.extra_args

    @property
    def pid(self) -> int | None:
        """PID of the running process, or ``None`` if not started."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """Whether the process has been started and has not exited."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Spawn Alertmanager (does not wait for readiness; see :meth:`wait_ready`)."""
        if self._proc is not None:
            raise AlertmanagerError("Alertmanager already started")
        cmd = self.command()
        self.storage_path.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(("$ " + " ".join(cmd) + "\n").encode())
            log.flush()
            try:
                self._proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.workdir,
                    start_new_session=True,  # keep terminal Ctrl-C away from it
                )
            except OSError as exc:
                raise AlertmanagerError(f"cannot start {cmd[0]}: {exc}") from exc

    async def wait_ready(self, timeout: float = 20.0) -> None:
        """Poll ``GET /-/ready`` until it answers 200.

        Raises :class:`AlertmanagerError` with the log tail if the process
        exits or is not ready within ``timeout`` seconds.
        """
        proc = self._proc
        if proc is None:
            raise AlertmanagerError("wait_ready() called before start()")
        last_error = "no attempt made"
        client_timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=client_timeout) as session:

            async def ready() -> bool:
                nonlocal last_error
                code = proc.poll()
                if code is not None:
                    raise AlertmanagerError(
                        f"Alertmanager exited with code {code} before becoming ready\n"
                        f"{self._describe()}"
                    )
                try:
                    async with session.get(f"{self.base_url}/-/ready") as resp:
                        if resp.status == 200:
                            return True
                        last_error = f"HTTP {resp.status}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    last_error = repr(exc)
                return False

            try:
                await until(ready, "Alertmanager to be ready", seconds=timeout)
            except WaitTimeout:
                raise AlertmanagerError(
                    f"Alertmanager not ready after {timeout:.0f}s (last error: {last_error})\n"
                    f"{self._describe()}"
                ) from None

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the process (SIGKILL after ``timeout`` s) and remove the temp dir."""
        proc, self._proc = self._proc, None
        try:
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=timeout)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    async def __aenter__(self) -> Self:
        try:
            self.start()
            await self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -------------------------------------------------------------------- logs

    def log_tail(self, lines: int = 40) -> str:
        """Return the last ``lines`` lines of the Alertmanager log ("" if none yet)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _describe(self) -> str:
        """Log tail for error messages, plus error lines that scrolled out of it."""
        tail = self.log_tail()
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            lines = []
        errors = [ln for ln in lines if "level=error" in ln and ln not in tail]
        text = f"--- tail of {self.log_path} ---\n{tail}\n--- end of log ---"
        if errors:
            text = "--- earlier error lines ---\n" + "\n".join(errors[-10:]) + "\n" + text
        return text

    # --------------------------------------------------------------------- API

    async def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """POST alerts to ``/api/v2/alerts``.

        Each alert is a dict with ``labels`` (required), and optionally
        ``annotations``, ``startsAt``, ``endsAt`` (aware datetimes or RFC3339
        strings) and ``generatorURL``. Raises :class:`AlertmanagerError` on a
        non-200 answer.
        """
        body = [_alert_to_api(a) for a in alerts]
        await self._request("POST", "/api/v2/alerts", json=body)

    async def get_alerts(self) -> list[dict[str, Any]]:
        """Return ``GET /api/v2/alerts`` (the alerts Alertmanager currently holds)."""
        result: list[dict[str, Any]] = await self._request("GET", "/api/v2/alerts")
        return result

    async def status(self) -> dict[str, Any]:
        """Return ``GET /api/v2/status`` (version, config, cluster peers...)."""
        result: dict[str, Any] = await self._request("GET", "/api/v2/status")
        return result

    async def _request(self, method: str, path: str, json: Any = None) -> Any:
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.request(method, self.base_url + path, json=json) as resp,
            ):
                text = await resp.text()
                if resp.status != 200:
                    raise AlertmanagerError(
                        f"{method} {path} -> HTTP {resp.status}: {text}\n{self._describe()}"
                    )
                return await resp.json(content_type=None) if text.strip() else None
        except aiohttp.ClientError as exc:
            raise AlertmanagerError(f"{method} {path} failed: {exc!r}\n{self._describe()}") from exc


#: bound on waiting for real processes in the end-to-end tests, not for a regulatory deadline
DEADLINE_S = 20.0


def require_alertmanager() -> None:
    """Skip the test when the Alertmanager binary is missing (fail instead when ``CI`` is set)."""
    if find_alertmanager() is None:
        reason = "Alertmanager binary missing: install Debian package prometheus-alertmanager"
        if os.environ.get("CI"):
            pytest.fail(reason + " (required in CI)")
        pytest.skip(reason)
