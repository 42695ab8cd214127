"""The Swedish cybersecurity act applies from 2026-01-15 (se-cyber's ``in_force_from``), through
the app's factory: the hospital cell going down at 23.47 on 14 January 2026 (Stockholm) falls
under the LEK rules then in force (PTS owed, binding), is not marked potentially significant,
owes the CSIRT nothing and cannot be declared (409 naming the day, nothing written, nothing
audited); the same outage beginning just after midnight is marked and declared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import alert
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person
from test_cyber_declaration import (  # noqa: F401  (config_path: the fixture it provides)
    AUDITOR,
    HOOK,
    config_path,
    cyber_kinds,
    hospital_cell_down,
    incident,
)

from bridge.web.keys import SERVICE

OLT = "se-olt-ostersund-1"  # under the same site as the hospital's cell


@pytest.fixture
def clock() -> FakeClock:
    """23.50 on 14 January 2026 in Stockholm: ten minutes before the act applies."""
    return FakeClock(datetime(2026, 1, 14, 22, 50, tzinfo=UTC))


async def declare(
    client: TestClient[Any, Any], clock: FakeClock, incident_id: str, body: Any
) -> Any:
    return await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json=body,
        headers=await person(client, clock.now, "anna", ["approver"]),
    )


async def test_an_incident_before_the_act_applies_is_not_marked_and_cannot_be_declared(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    before = await hospital_cell_down(client, clock)  # began 23.47 Stockholm, 14 January
    clock.advance(timedelta(minutes=35))  # 00.25 on 15 January: e112-30m met for PTS
    await client.app[SERVICE].tick()  # the timer's work, now
    doc = await incident(client, before)
    [board] = doc["cyber"]
    assert board["in_force_from"] == "2026-01-15"
    assert board["potentially_significant"] is False and board["if_declared_now"] == []
    [csirt] = [a for a in doc["assessments"] if a["regulator"] == "csirt"]
    assert csirt["reportable"] is False and csirt["in_force_from"] == "2026-01-15"
    assert csirt["verdict"] == "not_reportable" and csirt["forecast_at"] is None
    pts = [o for o in doc["obligations"] if o["regulator"] == "pts"]
    assert pts and all(o["binding"] for o in pts)  # LEK 8 kap. still applies to it
    for body in ({"significant": True}, {"significant": False, "reason": "n/a"}):
        r = await declare(client, clock, before, body)
        assert r.status == 409, await r.text()
        detail = (await r.json())["detail"]
        assert "se-cyber (SE) from 2026-01-15" in detail and "before the law applies" in detail
    doc = await incident(client, before)
    assert cyber_kinds(doc) == {} and "declaration" not in doc
    assert not [d for d in doc["drafts"] if d["regulator"] == "csirt"]
    log = await (await client.get("/api/v1/audit", headers=AUDITOR)).json()
    assert not [e for e in log["entries"] if e["action"] == "incident.declared"]


async def test_the_same_outage_after_midnight_is_marked_and_declared(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    clock.advance(timedelta(minutes=35))
    after = await hospital_cell_down(client, clock)  # began 00.22 on 15 January
    doc = await incident(client, after)
    [board] = doc["cyber"]
    assert board["in_force_from"] is None and board["potentially_significant"] is True
    r = await declare(client, clock, after, {"significant": True})
    assert r.status == 200, await r.text()
    assert "se_cyber_early_warning" in cyber_kinds(await incident(client, after))
    pts = [o for o in (await incident(client, after))["obligations"] if o["regulator"] == "pts"]
    assert all(not o["binding"] for o in pts)  # since the repeal: an internal threshold


async def test_a_declaration_stands_when_an_earlier_alert_moves_the_start_before_the_act(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Declared at 00.25 on 15 January; then an alert of the same site that began at 23.50 on
    the 14th joins the incident, whose start moves before the act applies: the CSIRT's
    reports a person started stay owed (a person rejects one on its draft, with the reason),
    the console keeps showing the declaration."""
    clock.advance(timedelta(minutes=35))
    declared = await hospital_cell_down(client, clock)  # began 00.22 on 15 January
    r = await declare(client, clock, declared, {"significant": True})
    assert r.status == 200, await r.text()
    earlier = make_webhook(alert("fp-olt", clock.now() - timedelta(minutes=35), element=OLT))
    r = await client.post("/api/v1/alertmanager", json=earlier, headers=HOOK)
    assert r.status == 200, await r.text()
    doc = await incident(client, declared)
    assert doc["started_at"] == "2026-01-14T22:50:00Z"  # 23.50 Stockholm, the 14th
    assert "se_cyber_early_warning" in cyber_kinds(doc)
    [board] = doc["cyber"]
    assert board["declaration"]["significant"] is True
    assert board["in_force_from"] == "2026-01-15"  # said, yet the declaration stands
