"""The service's background loops stay alive through what a long-running bridge meets: a lease
that lapsed while the event loop was held up, a takeover that fails half-way, a step of the
evaluation timer that raises. Real SQLite, a real SMTP server (aiosmtpd on loopback), the
injected clock."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person
from polling import until
from smtp_server import SmtpServer

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}


@pytest.fixture
def config_path(tmp_path: Path, smtp: SmtpServer) -> Path:
    return write_config(
        tmp_path,
        extra={
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [
                    {"name": "viewer", "token": "test-token-for-viewer", "roles": ["viewer"]}
                ],
                "session": {"cookie_secure": False},
            },
            "smtp": smtp.smtp_config(),
            "notices": {
                "archive_dir": str(tmp_path / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "1h",  # rounds run when an approval wakes the outbox
            },
            # renewed every 20 min: nothing but the test moves the lease
            "replication": {"lease_ttl": "1h"},
        },
    )


def service_of(client: TestClient[Any, Any]) -> Any:
    app = client.server.app
    assert app is not None
    return app[SERVICE]


async def a_draft(client: TestClient[Any, Any], clock: FakeClock) -> dict[str, Any]:
    """A cell serving a hospital in Oslo goes down: an Nkom varsel draft opens at once."""
    body = make_webhook(
        alert(
            "fp-ullevaal",
            clock.now() - timedelta(minutes=5),
            element="no-cell-ullevaal",
            severity="major",
        )
    )
    r = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
    assert r.status == 200, await r.text()
    r = await client.get("/api/v1/drafts", headers=VIEWER)
    [draft] = (await r.json())["drafts"]
    return dict(draft)


async def approve(client: TestClient[Any, Any], clock: FakeClock, draft: dict[str, Any]) -> None:
    r = await client.post(
        f"/api/v1/drafts/{draft['id']}/approve",
        json={"version": 1, "send_unknown": draft["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()


async def test_the_outbox_goes_on_after_a_lapsed_lease_is_taken_again(
    client: TestClient[Any, Any],
    smtp: SmtpServer,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The lease lapses (as when the event loop was held past its TTL) with nobody taking it: the
    outbox's fenced claim is refused, the leader takes the lease again under the same token and
    leads on, and so does the outbox: the notice approved after the lapse reaches the relay."""
    caplog.set_level(logging.INFO, logger="bridge")
    service = service_of(client)
    assert service.leading
    token = service.leadership.token
    draft = await a_draft(client, clock)
    await service.store.release_lease(service.leadership.holder)  # lapsed; same holder, same token
    clock.advance(timedelta(seconds=1))  # past the loops' start: a round after it shows
    await approve(client, clock, draft)  # wakes the outbox: its claim is refused (LeaseLost)
    await asyncio.to_thread(smtp.mailbox.data_started.wait, 20)
    assert smtp.mailbox.data_started.is_set(), "the approved notice never reached the relay"
    assert any("renewed its lapsed lease" in r.getMessage() for r in caplog.records)
    assert service.leading and service.leadership.token == token

    async def sent() -> bool:
        r = await client.get(f"/api/v1/drafts/{draft['id']}", headers=VIEWER)
        return (await r.json())["state"] == "sent"

    await until(sent, "the notice recorded as sent")
    assert len(smtp.mailbox.received) == 1
    metrics = service.metrics
    assert metrics.task_failures.labels(task="outbox")._value.get() == 1  # the refused round
    last = metrics.task_last_success.labels(task="outbox")._value

    # the round after it counts its success once it has ended (the draft reads "sent" a
    # moment before: the round records the hand-over, then finishes)
    await until(lambda: last.get() == clock.now().timestamp(), "the outbox's round succeeded")


async def test_a_failing_step_of_the_tick_does_not_stop_the_evaluation(
    client: TestClient[Any, Any], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reloading declarations raises (a bug, on every tick): the failure is counted per step,
    and the engine is still evaluated at the clock's now (an alert silent for
    evaluation.stale_after is marked stale) and flushed."""
    service = service_of(client)
    body = make_webhook(alert("fp1", clock.now(), element="se-olt-ostersund-1"))
    r = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
    [incident_id] = (await r.json())["incidents"]

    async def broken() -> set[str]:
        raise RuntimeError("a bug in reading declarations")

    monkeypatch.setattr(service.declarations, "load", broken)
    clock.advance(timedelta(hours=2, seconds=1))
    await service.tick()
    r = await client.get(f"/api/v1/incidents/{incident_id}", headers=VIEWER)
    assert (await r.json())["stale_alerts"] == ["fp1"]
    failures = service.metrics.task_failures
    assert failures.labels(task="tick.declarations")._value.get() == 1
    last = service.metrics.task_last_success.labels(task="evaluation-timer")._value.get()
    assert last == clock.now().timestamp()
    stored = await service.store.get_incident(incident_id)
    assert stored is not None and stored.document["stale_alerts"] == ["fp1"]
