"""A person overrides an incident's impact over HTTP (PUT/DELETE
/api/v1/incidents/{id}/impact-override): an alert on an element the inventory lacks is
*impact unknown* until an editor states its impact with a reason; then rules, obligations and
drafts follow, the document shows who overrode it, why and the inventory's own figure; lifting
it (with a reason) brings the unknown back; every change is audited; a bad body is a 400
naming the field with nothing written; a viewer gets 403; a restart gives the same verdicts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import EDITOR_VIEWER_AUDITOR, WEBHOOK_TOKEN, alert, rfc3339, token_config, webhook
from fakes import FakeClock
from http_answers import ok

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
EDITOR = {"Authorization": "Bearer test-token-for-editor"}
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}
AUDITOR = {"Authorization": "Bearer test-token-for-auditor"}
REASON = "Field team: the new cabinet serves Ullevål hospital; the inventory lacks it"
STATED = {
    "impacts": [{"service": "mobile", "region": "NO-0301", "connections": 5000, "societal": True}],
    "reason": REASON,
}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return token_config(tmp_path, EDITOR_VIEWER_AUDITOR)


async def unknown_incident(client: TestClient[Any, Any], clock: FakeClock) -> str:
    """An alert on a cabinet the inventory does not know, in Oslo, firing for 10 minutes."""
    start = clock.now() - timedelta(minutes=10)
    body = await ok(
        await client.post(
            "/api/v1/alertmanager",
            json=webhook(alert("cab9", start, element="no-cabinet-9", region="NO-0301")),
            headers=HOOK,
        )
    )
    (incident_id,) = body["incidents"]
    doc = await ok(await client.get(f"/api/v1/incidents/{incident_id}", headers=VIEWER))
    assert doc["verdicts"]["nkom"] == "impact_unknown"
    assert doc["impact_known"] is False and doc["impact_overridden"] is False
    assert doc["obligations"] == [] and doc["impact_override"] is None
    return incident_id


async def audit_of(client: TestClient[Any, Any], incident_id: str) -> list[dict[str, Any]]:
    got = await ok(
        await client.get(f"/api/v1/audit?target=incident:{incident_id}", headers=AUDITOR)
    )
    return [e for e in got["entries"] if e["action"].startswith("incident.impact_overrid")]


async def test_an_override_makes_an_unknown_impact_reportable_drafted_and_audited(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    incident_id = await unknown_incident(client, clock)
    path = f"/api/v1/incidents/{incident_id}/impact-override"
    doc = await ok(await client.put(path, json=STATED, headers=EDITOR))
    assert doc["verdicts"]["nkom"] == "reportable"
    assert doc["impact_known"] is True and doc["impact_overridden"] is True
    assert doc["impact"]["current"] == 5000
    assert doc["impact"]["overridden"] is True
    assert doc["impact"]["inventory"] == {
        "current": 0,
        "peak": 0,
        "peak_at": None,
        "by_service": {},
        "known": False,
    }
    assert doc["jurisdictions"] == ["NO"]
    assert any(o["kind"] == "nkom_varsel" for o in doc["obligations"])
    override = doc["impact_override"]
    assert override["by"] == "token:editor" and override["reason"] == REASON
    assert override["impacts"] == STATED["impacts"]

    drafts = await ok(await client.get(f"/api/v1/drafts?incident={incident_id}", headers=VIEWER))
    (varsel,) = [d for d in drafts["drafts"] if d["kind"] == "nkom_varsel"]
    full = await ok(await client.get(f"/api/v1/drafts/{varsel['id']}", headers=VIEWER))
    text = " ".join(str(f["value"]) for f in full["latest"]["fields"])
    assert "5000" in text.replace(" ", "").replace("\u00a0", "")  # the draft's impact figure

    (entry,) = await audit_of(client, incident_id)
    assert entry["action"] == "incident.impact_overridden"
    assert entry["actor"] == "token:editor"
    assert entry["detail"]["reason"] == REASON and entry["detail"]["before"] is None
    assert entry["detail"]["impacts"] == STATED["impacts"]
    seen = entry["detail"]["impact_before"]  # what the person saw when overriding
    assert seen["known"] is False and seen["current"] == 0 and seen["overridden"] is False
    assert seen["verdicts"]["nkom"] == "impact_unknown"

    events = await ok(await client.get(f"/api/v1/incidents/{incident_id}/timeline", headers=VIEWER))
    assert any(e["kind"] == "impact_override" and REASON in e["summary"] for e in events["events"])

    # lifted with a reason: impact unknown again, audited with what it replaced
    r = await client.delete(path, json={}, headers=EDITOR)
    assert r.status == 400 and "reason" in (await r.json())["detail"]
    lifted = await ok(
        await client.delete(path, json={"reason": "cabinet added to the inventory"}, headers=EDITOR)
    )
    assert lifted["verdicts"]["nkom"] == "impact_unknown"
    assert lifted["impact_override"] is None and lifted["impact_overridden"] is False
    entries = await audit_of(client, incident_id)
    assert [e["action"] for e in entries] == [  # newest first
        "incident.impact_override_lifted",
        "incident.impact_overridden",
    ]
    (lift,) = [e for e in entries if e["action"] == "incident.impact_override_lifted"]
    assert lift["detail"]["before"]["reason"] == REASON
    assert lift["detail"]["impact_before"]["verdicts"]["nkom"] == "reportable"
    assert lift["detail"]["impact_before"]["current"] == 5000
    # lifting again changes nothing and writes nothing
    await ok(await client.delete(path, json={"reason": "again"}, headers=EDITOR))
    assert len(await audit_of(client, incident_id)) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"impacts": STATED["impacts"]}, "reason"),
        ({**STATED, "reason": "x" * 1001}, "reason"),
        ({"reason": REASON}, "impacts"),
        (
            {**STATED, "impacts": [{"service": "fax", "region": "NO-0301", "connections": 1}]},
            "impacts[0].service",
        ),
        (
            {
                **STATED,
                "impacts": [{"service": "mobile", "region": "NO-0301", "connections": "many"}],
            },
            "impacts[0].connections",
        ),
        ({**STATED, "from": "in a while"}, "from"),
        ({**STATED, "jurisdiction": "DK"}, "jurisdiction"),
        ({**STATED, "severity": "critical"}, "severity"),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field_and_writes_nothing(
    client: TestClient[Any, Any], clock: FakeClock, body: dict[str, Any], field: str
) -> None:
    incident_id = await unknown_incident(client, clock)
    r = await client.put(
        f"/api/v1/incidents/{incident_id}/impact-override", json=body, headers=EDITOR
    )
    assert r.status == 400, await r.text()
    assert field in (await r.json())["detail"]
    assert await audit_of(client, incident_id) == []
    doc = await ok(await client.get(f"/api/v1/incidents/{incident_id}", headers=VIEWER))
    assert doc["impact_override"] is None and doc["verdicts"]["nkom"] == "impact_unknown"


async def test_viewers_may_not_and_unknown_incidents_are_404(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    incident_id = await unknown_incident(client, clock)
    path = f"/api/v1/incidents/{incident_id}/impact-override"
    assert (await client.put(path, json=STATED, headers=VIEWER)).status == 403
    assert (await client.delete(path, json={"reason": "x"}, headers=VIEWER)).status == 403
    assert await audit_of(client, incident_id) == []
    r = await client.put("/api/v1/incidents/inc-none/impact-override", json=STATED, headers=EDITOR)
    assert r.status == 404


async def test_a_restart_gives_the_same_verdicts(
    client_for: Any, config_path: Path, clock: FakeClock
) -> None:
    client = await client_for(config_path)
    incident_id = await unknown_incident(client, clock)
    await ok(
        await client.put(
            f"/api/v1/incidents/{incident_id}/impact-override", json=STATED, headers=EDITOR
        )
    )
    before = await ok(await client.get(f"/api/v1/incidents/{incident_id}", headers=VIEWER))
    await client.close()

    clock.advance(timedelta(minutes=1))
    again = await client_for(config_path)
    after = await ok(await again.get(f"/api/v1/incidents/{incident_id}", headers=VIEWER))
    for name in ("verdicts", "impact_known", "impact_overridden", "obligations", "impact_override"):
        assert after[name] == before[name], name
    assert after["impact"]["current"] == 5000
    assert after["impact"]["inventory"] == before["impact"]["inventory"]
    engine = again.server.app[SERVICE].engine
    assert engine.override_of(incident_id) is not None


async def test_an_incident_that_left_memory_keeps_its_overridden_timeline_and_refuses_more(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """A small outage on an unknown cabinet, stated as 300 internet connections (owing nothing),
    ends and leaves memory: read from the store, its timeline is the stated one; it can no
    longer be overridden (409, nothing written)."""
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=10)
    cabinet = {"element": "se-cabinet-9", "region": "SE-2380"}
    body = await ok(
        await client.post(
            "/api/v1/alertmanager", json=webhook(alert("cab9", start, **cabinet)), headers=HOOK
        )
    )
    (incident_id,) = body["incidents"]
    path = f"/api/v1/incidents/{incident_id}/impact-override"
    small = {"impacts": [{"service": "internet", "region": "SE-2380", "connections": 300}]}
    doc = await ok(await client.put(path, json={**small, "reason": REASON}, headers=EDITOR))
    assert doc["obligations"] == [] and doc["impact"]["current"] == 300
    resolved = alert("cab9", start, status="resolved", ends_at=clock.now(), **cabinet)
    await ok(await client.post("/api/v1/alertmanager", json=webhook(resolved), headers=HOOK))
    # a stated impact that would begin after the end is refused, naming the field
    late = {**small, "reason": REASON, "from": rfc3339(clock.now() + timedelta(minutes=1))}
    r = await client.put(path, json=late, headers=EDITOR)
    assert r.status == 400 and "from" in (await r.json())["detail"], await r.text()
    clock.advance(timedelta(days=8))
    await service.tick()
    assert incident_id not in service.engine.incidents  # left memory

    archived = await ok(await client.get(f"/api/v1/incidents/{incident_id}", headers=VIEWER))
    assert archived["archived"] is True and archived["impact_overridden"] is True
    assert [p["services"] for p in archived["impact"]["timeline"]] == [{"internet": 300}, {}]
    again = {**small, "reason": "too late"}
    r = await client.put(path, json=again, headers=EDITOR)
    assert r.status == 409, await r.text()
    assert len(await audit_of(client, incident_id)) == 1
