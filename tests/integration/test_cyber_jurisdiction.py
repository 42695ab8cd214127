"""A person's declaration under the Swedish cybersecurity act, and a regulator's request for a
report, apply to incidents of the regulator's jurisdiction only, through the app's factory: a
Norwegian incident cannot be declared significant under the Swedish act, nor Nkom's
hendelsesrapport requested on a Swedish one (409 naming the jurisdictions, nothing changed,
nothing audited; the console's block is not offered). An incident that gains Sweden (a person
merges a Swedish one into it) is declared then; one that loses Sweden after it was declared
keeps the act's duties (the clock is never stopped: a person rejects a report on its draft)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import alert, rfc3339, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person
from test_cyber_declaration import (
    AUDITOR,
    EDITOR,
    HOOK,
    VIEWER,
    cyber_auth,
    cyber_kinds,
    hospital_cell_down,
    incident,
)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        extra={
            "regulators": {
                "pts": {"rule_set": "pts-outage", "recipient": "incidentrapport@pts.se"},
                "nkom": {"rule_set": "nkom-varsel", "recipient": "ekomvarsling@nkom.no"},
                "csirt": {"rule_set": "se-cyber"},
            },
            "auth": cyber_auth(),
            "notices": {"refresh_interval": "0s", "poll_interval": "1h"},
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
            },
        },
    )


async def ullevaal_down(client: TestClient[Any, Any], clock: FakeClock) -> str:
    body = make_webhook(
        alert("fp-no", clock.now() - timedelta(minutes=3), element="no-cell-ullevaal")
    )
    r = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
    assert r.status == 200, await r.text()
    [incident_id] = (await r.json())["incidents"]
    return str(incident_id)


async def audited(client: TestClient[Any, Any], action: str) -> list[dict[str, Any]]:
    log = await (await client.get("/api/v1/audit", headers=AUDITOR)).json()
    return [e for e in log["entries"] if e["action"] == action]


async def declare(client: TestClient[Any, Any], clock: FakeClock, incident_id: str) -> Any:
    return await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={"significant": True},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )


async def test_a_norwegian_incident_cannot_be_declared_under_the_swedish_act(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    norwegian = await ullevaal_down(client, clock)
    doc = await incident(client, norwegian)
    assert doc["jurisdictions"] == ["NO"] and doc["cyber"] == []  # the console offers nothing
    for body in ({"significant": True}, {"significant": False, "reason": "n/a"}):
        r = await client.post(
            f"/api/v1/incidents/{norwegian}/declaration",
            json=body,
            headers=await person(client, clock.now, "anna", ["approver"]),
        )
        assert r.status == 409, await r.text()
        assert "jurisdictions" in (await r.json())["detail"]
    doc = await incident(client, norwegian)
    assert cyber_kinds(doc) == {} and "declaration" not in doc
    assert not [d for d in doc["drafts"] if d["regulator"] == "csirt"]
    assert await audited(client, "incident.declared") == []
    # Nkom's request on the Norwegian incident is Nkom's to make
    r = await client.post(
        f"/api/v1/incidents/{norwegian}/report-requests",
        json={
            "kind": "nkom_hendelsesrapport",
            "deadline": rfc3339(clock.now() + timedelta(days=7)),
        },
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()


async def test_nkoms_hendelsesrapport_cannot_be_requested_on_a_swedish_incident(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    swedish = await hospital_cell_down(client, clock)
    r = await client.post(
        f"/api/v1/incidents/{swedish}/report-requests",
        json={
            "kind": "nkom_hendelsesrapport",
            "deadline": rfc3339(clock.now() + timedelta(days=7)),
        },
        headers=EDITOR,
    )
    assert r.status == 409, await r.text()
    assert "jurisdictions" in (await r.json())["detail"]
    doc = await incident(client, swedish)
    assert not [o for o in doc["obligations"] if o["regulator"] == "nkom"]
    assert doc["report_requests"] == []
    assert await audited(client, "incident.report_requested") == []


async def test_gaining_sweden_it_is_declared_and_losing_it_the_duties_stand(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    norwegian = await ullevaal_down(client, clock)
    r = await declare(client, clock, norwegian)
    assert r.status == 409, await r.text()
    swedish = await hospital_cell_down(client, clock)
    r = await client.post(
        f"/api/v1/incidents/{swedish}/merge",
        json={"into": norwegian, "reason": "One cross-border fibre cut."},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()
    assert (await incident(client, norwegian))["jurisdictions"] == ["NO", "SE"]
    r = await declare(client, clock, norwegian)  # a person declares again: now it applies
    assert r.status == 200, await r.text()
    aware = clock.now()
    owed = cyber_kinds(await r.json())
    assert owed["se_cyber_early_warning"]["due_at"] == rfc3339(aware + timedelta(hours=24))

    # the Swedish alert split out again: the incident is Norwegian only, and the duties the
    # declaration started stand (a person rejects a report on its draft, with the reason)
    r = await client.post(
        f"/api/v1/incidents/{norwegian}/split",
        json={"alerts": ["fp-sjukhus"], "reason": "Separate after all."},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()
    doc = await incident(client, norwegian)
    assert doc["jurisdictions"] == ["NO"]
    owed = cyber_kinds(doc)
    assert owed["se_cyber_early_warning"]["due_at"] == rfc3339(aware + timedelta(hours=24))
    assert owed["se_cyber_notification"]["due_at"] == rfc3339(aware + timedelta(hours=72))
    assert doc["cyber"][0]["declaration"]["significant"]  # still shown, as declared
    drafts = {d["kind"]: d["state"] for d in doc["drafts"] if d["regulator"] == "csirt"}
    assert drafts["se_cyber_early_warning"] == "draft"


async def queue_of(client: TestClient[Any, Any], incident_id: str) -> dict[str, dict[str, Any]]:
    """The deadline queue's items of one incident by kind, as the board reads them."""
    r = await client.get(f"/api/v1/queue?cases={incident_id}", headers=VIEWER)
    assert r.status == 200, await r.text()
    return {i["kind"]: i for i in (await r.json())["items"]}


async def test_the_queue_shows_the_duties_that_stand_after_the_jurisdiction_is_lost(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    # declared while Swedish, then the Swedish alert split out: the incident document owes
    # the act's reports (above); the queue (the board's deadlines) must show them too, dated
    # and turning overdue, not as an undated draft with no deadline
    norwegian = await ullevaal_down(client, clock)
    swedish = await hospital_cell_down(client, clock)
    r = await client.post(
        f"/api/v1/incidents/{swedish}/merge",
        json={"into": norwegian, "reason": "One cross-border fibre cut."},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()
    r = await declare(client, clock, norwegian)
    assert r.status == 200, await r.text()
    aware = clock.now()
    r = await client.post(
        f"/api/v1/incidents/{norwegian}/split",
        json={"alerts": ["fp-sjukhus"], "reason": "Separate after all."},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()
    assert (await incident(client, norwegian))["jurisdictions"] == ["NO"]
    items = await queue_of(client, norwegian)
    warning = items["se_cyber_early_warning"]
    assert warning["regulator"] == "csirt"
    assert warning["due_at"] == rfc3339(aware + timedelta(hours=24))
    assert not warning["overdue"] and warning["draft"]["state"] == "draft"
    assert items["se_cyber_notification"]["due_at"] == rfc3339(aware + timedelta(hours=72))
    clock.advance(timedelta(hours=25))
    warning = (await queue_of(client, norwegian))["se_cyber_early_warning"]
    assert warning["overdue"] and warning["seconds_left"] < 0


async def test_the_queue_shows_nkoms_requested_report_after_norway_is_lost(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    swedish = await hospital_cell_down(client, clock)
    norwegian = await ullevaal_down(client, clock)
    r = await client.post(
        f"/api/v1/incidents/{norwegian}/merge",
        json={"into": swedish, "reason": "One cross-border fibre cut."},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()
    deadline = clock.now() + timedelta(days=7)
    r = await client.post(
        f"/api/v1/incidents/{swedish}/report-requests",
        json={"kind": "nkom_hendelsesrapport", "deadline": rfc3339(deadline)},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()
    r = await client.post(
        f"/api/v1/incidents/{swedish}/split",
        json={"alerts": ["fp-no"], "reason": "Separate after all."},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()
    doc = await incident(client, swedish)
    assert doc["jurisdictions"] == ["SE"]
    owed = {o["kind"]: o for o in doc["obligations"] if o["regulator"] == "nkom"}
    assert owed["nkom_hendelsesrapport"]["due_at"] == rfc3339(deadline)
    report = (await queue_of(client, swedish))["nkom_hendelsesrapport"]
    assert report["regulator"] == "nkom" and report["due_at"] == rfc3339(deadline)
    clock.set(deadline)
    assert (await queue_of(client, swedish))["nkom_hendelsesrapport"]["overdue"]
