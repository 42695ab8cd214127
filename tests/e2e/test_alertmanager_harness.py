"""Prove that the real-Alertmanager harness in ``alertmanager.py`` works.

A tiny aiohttp webhook receiver records what Alertmanager sends; the tests
post alerts through the API v2 and check the webhook payloads (version 4).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from polling import WaitTimeout, until

# Work both when tests/e2e is a plain directory (rootdir-relative imports,
# pytest's default) and when someone turns it into a package.
try:
    from .alertmanager import AlertmanagerProcess, find_alertmanager, rfc3339
except ImportError:
    from alertmanager import AlertmanagerProcess, find_alertmanager, rfc3339  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e

TOKEN = "harness-token-123"
GO_ZERO_TIME = "0001-01-01T00:00:00Z"
WEBHOOK_DEADLINE_S = 15.0


def require_alertmanager() -> str:
    """Return the Alertmanager binary path; skip locally, but fail when CI is set, if missing."""
    binary = find_alertmanager()
    if binary is None:
        reason = (
            "Alertmanager binary not found (prometheus-alertmanager / alertmanager "
            "on PATH); install the Debian package prometheus-alertmanager"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason} - required when CI is set")
        pytest.skip(reason)
    return binary


@dataclass
class Receiver:
    """Records webhook bodies and Authorization headers POSTed to it."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str | None] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.auth_headers.append(request.headers.get("Authorization"))
        self.bodies.append(await request.json())
        return web.Response(text="ok")

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], what: str
    ) -> dict[str, Any]:
        """Return the first recorded body matching ``predicate``, polling up to 15 s."""
        try:
            found: dict[str, Any] = await until(
                lambda: next((body for body in self.bodies if predicate(body)), None),
                f"a webhook with {what}",
                WEBHOOK_DEADLINE_S,
                every=0.1,
            )
        except WaitTimeout:
            raise AssertionError(
                f"no webhook with {what} within {WEBHOOK_DEADLINE_S:.0f}s; got {self.bodies!r}"
            ) from None
        return found


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Receiver]:
    """Run a Receiver on 127.0.0.1 on a free port for the duration of the block."""
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/webhook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        receiver.url = f"http://{host}:{port}/webhook"
        yield receiver
    finally:
        await runner.cleanup()


def _by_instance(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["labels"]["instance"]: a for a in body["alerts"]}


async def test_firing_then_resolved_webhooks() -> None:
    """Posted alerts arrive as v4 firing alerts with the bearer token; a resolve arrives too."""
    alertmanager_binary = require_alertmanager()
    now = datetime.now(UTC).replace(microsecond=0)
    starts = now - timedelta(minutes=10)
    ends = now + timedelta(hours=1)
    alerts = [
        {
            "labels": {"alertname": "HarnessTest", "instance": inst, "severity": "critical"},
            "annotations": {"summary": f"{inst} is down"},
            "startsAt": starts,
            "endsAt": ends,
            "generatorURL": "http://prometheus.example/graph",
        }
        for inst in ("node-a", "node-b")
    ]

    async with (
        webhook_receiver() as receiver,
        AlertmanagerProcess(
            receiver.url,
            bearer_token=TOKEN,
            group_by=["alertname"],
            binary=alertmanager_binary,
        ) as am,
    ):
        assert "SUCCESS" in am.check_config()
        await am.post_alerts(alerts)

        body = await receiver.wait_for(lambda b: len(b["alerts"]) == 2, "both alerts")
        assert body["version"] == "4"
        assert body["status"] == "firing"
        assert body["truncatedAlerts"] == 0
        assert body["commonLabels"] == {"alertname": "HarnessTest", "severity": "critical"}
        got = _by_instance(body)
        assert set(got) == {"node-a", "node-b"}
        for inst, alert in got.items():
            assert alert["status"] == "firing"
            assert alert["startsAt"] == rfc3339(starts)
            # A future endsAt is not forwarded for firing alerts: Go zero time.
            assert alert["endsAt"] == GO_ZERO_TIME
            assert alert["annotations"] == {"summary": f"{inst} is down"}
            assert alert["generatorURL"] == "http://prometheus.example/graph"
        assert receiver.auth_headers[0] == f"Bearer {TOKEN}"

        resolved_at = now - timedelta(seconds=5)
        await am.post_alerts([{**alerts[0], "endsAt": resolved_at}])

        body = await receiver.wait_for(
            lambda b: any(a["status"] == "resolved" for a in b["alerts"]), "a resolved alert"
        )
        got = _by_instance(body)
        assert got["node-a"]["status"] == "resolved"
        assert got["node-a"]["endsAt"] == rfc3339(resolved_at)
        assert got["node-a"]["startsAt"] == rfc3339(starts)
        # The group still contains the other, still-firing alert.
        assert got["node-b"]["status"] == "firing"
        assert body["status"] == "firing"
        assert all(h == f"Bearer {TOKEN}" for h in receiver.auth_headers)


async def test_max_alerts_truncates_webhook() -> None:
    """With max_alerts=1 a two-alert group is delivered with one alert and truncatedAlerts 1."""
    # max_alerts exists in webhook_config since Alertmanager 0.22; 0.25's strict
    # config parser accepts it (amtool check-config below would reject unknown keys).
    alertmanager_binary = require_alertmanager()
    now = datetime.now(UTC)
    alerts = [
        {
            "labels": {"alertname": "HarnessTruncate", "instance": inst},
            "startsAt": now - timedelta(minutes=10),
            "endsAt": now + timedelta(hours=1),
        }
        for inst in ("node-a", "node-b")
    ]

    async with (
        webhook_receiver() as receiver,
        AlertmanagerProcess(
            receiver.url,
            bearer_token=TOKEN,
            max_alerts=1,
            group_by=["alertname"],
            binary=alertmanager_binary,
        ) as am,
    ):
        assert "SUCCESS" in am.check_config()
        await am.post_alerts(alerts)

        body = await receiver.wait_for(lambda b: b["truncatedAlerts"] > 0, "truncatedAlerts")
        assert body["version"] == "4"
        assert body["truncatedAlerts"] == 1
        assert len(body["alerts"]) == 1
        assert body["alerts"][0]["status"] == "firing"
        assert body["alerts"][0]["startsAt"] == rfc3339(alerts[0]["startsAt"])
