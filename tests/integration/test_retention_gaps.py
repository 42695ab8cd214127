"""Retention leaves nothing behind that the bridge stored, and never prunes what memory still
lists (docs/retention.md), through the app's factory with the injected clock:

- resolved alerts that had ended more than ``evaluation.memory_horizon`` before they arrived
  are acknowledged (200) and stored but never form an incident; the service's retention pass
  prunes them once the alerts' period has passed since they were received (a privacy alert
  among them stays: it opened a privacy case, the register's evidence);
- a pass that comes before memory let a settled incident go keeps that incident whole, so what
  ``GET /api/v1/incidents`` lists is still in the store.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from http_answers import ok

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}
LATE = 100  # late resolved alerts sent (the audit sent 1,000; the rule is the same)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        extra={
            "evaluation": {"memory_horizon": "7d"},
            "retention": {
                "alerts": "7d",
                "drafts": "7d",
                "incidents": "7d",
                "notices": "7d",
                "interval": "1h",
            },
            "privacy": {"alert_label": {"category": "privacy"}},
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "NOC", "phone": "+46 8 00 00 00", "email": "noc@example.net"},
            },
            "notices": {"archive_dir": str(tmp_path / "sent"), "poll_interval": "1h"},
        },
    )


async def listing(client: TestClient[Any, Any]) -> list[str]:
    body = await ok(await client.get("/api/v1/incidents", params={"state": "all"}, headers=API))
    return [i["id"] for i in body["incidents"]]


async def test_late_resolved_alerts_are_pruned_from_when_they_were_received(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    service = client.app[SERVICE]
    store = service.store
    start = clock.now() - timedelta(days=30)
    end = start + timedelta(minutes=20)  # ended 30 days before it arrives: history
    late = [
        alert(f"late{n}", start, status="resolved", ends_at=end, element="se-olt-ostersund-2")
        for n in range(LATE)
    ]
    privacy = alert(
        "leak1", start, status="resolved", ends_at=end, category="privacy", country="SE"
    )
    r = await client.post("/api/v1/alertmanager", json=webhook(*late, privacy), headers=HOOK)
    assert r.status == 200, await r.text()
    assert (await store.count_records())["alerts"] == LATE + 1, "acknowledged: stored"
    assert await listing(client) == [], "a late resolved alert of history forms no incident"
    assert len(await store.list_privacy_cases()) == 1

    # six days on: the alerts' period (7d) has not passed since they were received
    clock.advance(timedelta(days=6))
    report = await service.retention.pruner.run(dry_run=True)
    assert report.counts["alerts"] == 0
    # eight days on: it has; a dry run counts them, the service's pass removes them
    clock.advance(timedelta(days=2))
    report = await service.retention.pruner.run(dry_run=True)
    assert report.counts["alerts"] == LATE
    report = await service.retention.prune()
    assert report.counts["alerts"] == LATE
    remaining = [ep.fingerprint for ep in await store.load_episodes()]
    assert remaining == ["leak1"], "the privacy alert is the register's evidence: it stays"
    again = await service.retention.pruner.run(dry_run=True)
    assert again.counts["alerts"] == 0


async def test_a_pass_before_memory_lets_an_incident_go_keeps_it_in_the_store(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    service = client.app[SERVICE]
    store = service.store
    start = clock.now() - timedelta(minutes=30)
    # an OLT in Östersund for ten minutes: below every criterion, owes nothing
    a = alert(
        "fp-small",
        start,
        status="resolved",
        ends_at=start + timedelta(minutes=10),
        element="se-olt-ostersund-2",
    )
    await ok(await client.post("/api/v1/alertmanager", json=webhook(a), headers=HOOK))
    clock.advance(timedelta(hours=1))  # past the quiet period: it closes, owing nothing
    await service.tick()
    await service.flush()
    [listed] = await listing(client)
    assert (await store.get_incident(listed)) is not None

    # exactly the period (= memory_horizon) after it settled: memory has not swept yet
    clock.advance(timedelta(days=7))
    assert listed in service.evaluator.engine.incidents
    await service.retention.prune()
    assert await listing(client) == [listed]
    assert await store.get_incident(listed) is not None, "what the API lists is stored"
    assert [ep.fingerprint for ep in await store.load_episodes()] == ["fp-small"]
