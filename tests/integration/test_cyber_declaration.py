"""The Swedish cybersecurity act through the app's factory: an incident the se-cyber criteria
mark potentially significant shows what it would owe; a signed-in approver with a fresh TOTP
declares it significant (awareness now, or earlier; never later or in the future), and only
then the early warning and the notification are owed and drafted, in Swedish, with what only a
person can answer left to complete. Bad input is a 400 naming the field and changes nothing;
every declaration is audited; declaring survives a restart."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
APPROVER_TOKEN = {"Authorization": "Bearer t-approver"}
VIEWER = {"Authorization": "Bearer t-viewer"}
AUDITOR = {"Authorization": "Bearer t-auditor"}


def cyber_config(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        extra={
            "regulators": {
                "pts": {"rule_set": "pts-outage", "recipient": "incidentrapport@pts.se"},
                "csirt": {"rule_set": "se-cyber"},
            },
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [
                    {"name": "viewer", "token": "t-viewer", "roles": ["viewer"]},
                    {"name": "approver", "token": "t-approver", "roles": ["approver"]},
                    {"name": "auditor", "token": "t-auditor", "roles": ["auditor"]},
                ],
                "session": {"cookie_secure": False},
            },
            "notices": {"refresh_interval": "0s", "poll_interval": "1h"},
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
            },
        },
    )


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return cyber_config(tmp_path)


async def hospital_cell_down(client: TestClient[Any, Any], clock: FakeClock) -> str:
    """The cell serving Östersund's hospital (112, societal) goes down: potentially
    significant under se-cyber at once (operator's criteria e112, societal)."""
    body = make_webhook(
        alert("fp-sjukhus", clock.now() - timedelta(minutes=3), element="se-cell-ostersund-sjukhus")
    )
    r = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
    assert r.status == 200, await r.text()
    [incident_id] = (await r.json())["incidents"]
    return str(incident_id)


async def incident(client: TestClient[Any, Any], incident_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/incidents/{incident_id}", headers=VIEWER)
    assert r.status == 200, await r.text()
    return dict(await r.json())


def cyber_kinds(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in doc["obligations"] if o["kind"].startswith("se_cyber_")}


async def test_declared_significant_starts_the_clocks_and_drafts_the_early_warning(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    incident_id = await hospital_cell_down(client, clock)
    doc = await incident(client, incident_id)
    [board] = doc["cyber"]
    assert board["potentially_significant"] and board["declaration"] is None
    assert board["reasons"]  # the criteria that mark it, with their figures
    preview = {o["kind"]: o for o in board["if_declared_now"]}
    assert (
        preview["se_cyber_early_warning"]["due_at"]
        == (clock.now() + timedelta(hours=24)).isoformat()
    )
    assert cyber_kinds(doc) == {}  # nothing owed before a person declares
    assert not [d for d in doc["drafts"] if d["kind"].startswith("se_cyber_")]

    url = f"/api/v1/incidents/{incident_id}/declaration"
    # an API token cannot declare, even an approver's: a person with a second factor decides
    r = await client.post(url, json={"significant": True}, headers=APPROVER_TOKEN)
    assert r.status == 403
    headers = await person(client, clock.now, "anna", ["approver"])
    # bad input: named, nothing changes
    for body, field in (
        ({"significant": "yes"}, "significant"),
        ({"significant": True, "aware_at": "yesterday"}, "aware_at"),
        ({"significant": True, "aware_at": "2026-11-23T10:00:00"}, "aware_at"),
        ({"significant": True, "aware_at": rfc3339(clock.now() + timedelta(hours=1))}, "aware_at"),
        ({"significant": False}, "reason"),
        ({"significant": True, "colour": "red"}, "colour"),
    ):
        r = await client.post(url, json={**body}, headers=headers)
        assert r.status == 400, (body, await r.text())
        assert field in (await r.json())["detail"], body
    assert (await incident(client, incident_id))["cyber"][0]["declaration"] is None

    aware = clock.now() - timedelta(minutes=2)
    r = await client.post(
        url,
        json={"significant": True, "aware_at": rfc3339(aware)},
        headers=headers,
    )
    assert r.status == 200, await r.text()
    doc = await r.json()
    assert doc["declaration"]["by"] == "anna"
    assert doc["cyber"][0]["if_declared_now"] == []
    owed = cyber_kinds(doc)
    assert owed["se_cyber_early_warning"]["due_at"] == rfc3339(aware + timedelta(hours=24))
    assert owed["se_cyber_notification"]["due_at"] == rfc3339(aware + timedelta(hours=72))
    drafts = {d["kind"]: d for d in doc["drafts"]}
    warning = drafts["se_cyber_early_warning"]
    assert warning["regulator"] == "csirt" and warning["state"] == "draft"
    assert set(warning["to_complete"]) == {"suspected_malicious", "cross_border"}
    detail = await (await client.get(f"/api/v1/drafts/{warning['id']}", headers=VIEWER)).json()
    fields = {f["key"]: f for f in detail["latest"]["fields"]}
    assert fields["suspected_malicious"]["label"].startswith("Misstänks incidenten")
    assert fields["suspected_malicious"]["hint"]  # guidance for staff, never sent
    assert "Tidig varning om betydande incident" in detail["latest"]["text"]

    # audited, with the second factor
    log = await (await client.get("/api/v1/audit", headers=AUDITOR)).json()
    [entry] = [e for e in log["entries"] if e["action"] == "incident.declared"]
    assert entry["actor"] == "anna" and entry["detail"]["second_factor"] == "totp"
    assert entry["detail"]["aware_at"] == aware.isoformat()

    # the clock cannot be stopped or delayed afterwards
    headers = await person(client, clock.now, "anna", ["approver"])
    r = await client.post(
        url,
        json={"significant": False, "reason": "no"},
        headers=headers,
    )
    assert r.status == 409, await r.text()

    # a restart rebuilds from the store: the declaration and its clocks are still there
    app = client.server.app
    assert app is not None
    service = app[SERVICE]
    await service._rebuild()
    doc = await incident(client, incident_id)
    assert cyber_kinds(doc)["se_cyber_early_warning"]["due_at"] == rfc3339(
        aware + timedelta(hours=24)
    )


async def test_declared_not_significant_owes_nothing_and_says_why(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    incident_id = await hospital_cell_down(client, clock)
    headers = await person(client, clock.now, "anna", ["approver"])
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={
            "significant": False,
            "reason": "Planerat arbete; sjukhuset har reservsamband.",
        },
        headers=headers,
    )
    assert r.status == 200, await r.text()
    doc = await r.json()
    assert doc["declaration"]["significant"] is False
    assert doc["declaration"]["reason"].startswith("Planerat arbete")
    assert cyber_kinds(doc) == {}
    assert doc["cyber"][0]["if_declared_now"]  # still shown: it may yet be declared


async def test_unknown_incident_is_404(client: TestClient[Any, Any], clock: FakeClock) -> None:
    headers = await person(client, clock.now, "anna", ["approver"])
    r = await client.post(
        "/api/v1/incidents/inc-nope/declaration",
        json={"significant": True},
        headers=headers,
    )
    assert r.status == 404
