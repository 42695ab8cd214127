"""Nkom asks for a hendelsesrapport weeks after the incident, when it has long left memory
(``evaluation.memory_horizon``, bridge.core.liveness): recording the request brings the stored
incident back into memory, so the report is owed by Nkom's deadline, drafted with the
incident's facts, on the deadline queue and in the due metric, and a restart keeps it; once the
report is settled the incident may leave memory again. Real SQLite store, injected clock."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from http_answers import ok

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
TOKENS = {
    "viewer": "test-token-for-viewer",
    "editor": "test-token-for-editor",
    "approver": "test-token-for-approver",
}
ROLES = {"viewer": ["viewer"], "editor": ["editor"], "approver": ["approver"]}
KIND = "nkom_hendelsesrapport"
pytestmark = pytest.mark.manual_outbox

# A small OLT in Trondheim (of two): its outage reaches no Nkom criterion, so it owes nothing
# and, once closed, leaves memory a horizon later. The cell is societal (Nkom: reportable).
INVENTORY = """
regions:
  NO-5001: Trondheim
elements:
  - {id: no-site-heimdal, parent: null, kind: site, jurisdiction: "NO", region: NO-5001}
  - {id: no-olt-heimdal-1, parent: no-site-heimdal, kind: olt, jurisdiction: "NO",
     region: NO-5001, connections: {internet: 300}}
  - {id: no-olt-heimdal-2, parent: no-site-heimdal, kind: olt, jurisdiction: "NO",
     region: NO-5001, connections: {internet: 9000}}
  - {id: no-cell-st-olav, parent: no-site-heimdal, kind: cell, jurisdiction: "NO",
     region: NO-5001, connections: {mobile: 5000}, societal: true, emergency_112: true}
"""


def as_(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    return write_config(
        tmp_path,
        inventory=inventory,
        extra={
            "regulators": {"nkom": {"rule_set": "nkom-varsel"}},
            "evaluation": {"memory_horizon": "7d"},
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [
                    {"name": who, "token": TOKENS[who], "roles": ROLES[who]} for who in TOKENS
                ],
                "session": {"cookie_secure": False},
            },
            "notices": {"refresh_interval": "0s", "poll_interval": "1h"},
        },
    )


async def incident(client: TestClient[Any, Any], incident_id: str) -> dict[str, Any]:
    return dict(
        await ok(await client.get(f"/api/v1/incidents/{incident_id}", headers=as_("viewer")))
    )


def owed(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in doc["obligations"]}


async def closed_long_ago(client: TestClient[Any, Any], clock: FakeClock) -> str:
    """A 30-minute outage that closed 8 days ago and left memory."""
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=10)
    body = make_webhook(alert("fp-1", start, element="no-olt-heimdal-1"))
    [incident_id] = (await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK)))[
        "incidents"
    ]
    clock.advance(timedelta(minutes=20))
    end = clock.now()
    body = make_webhook(
        alert("fp-1", start, status="resolved", ends_at=end, element="no-olt-heimdal-1")
    )
    await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))
    clock.advance(timedelta(hours=1))
    await service.tick()
    assert (await incident(client, incident_id))["state"] == "closed"
    clock.advance(timedelta(days=8))
    await service.tick()
    assert incident_id not in service.engine.incidents  # settled and gone from memory
    return incident_id


async def test_nkom_asks_weeks_later_the_stored_incident_owes_the_report(
    client: TestClient[Any, Any], clock: FakeClock, client_for: Any, config_path: Path
) -> None:
    service = client.server.app[SERVICE]
    incident_id = await closed_long_ago(client, clock)
    clock.advance(timedelta(days=20))  # Nkom asks four weeks after the outage
    await service.tick()

    deadline = clock.now() + timedelta(days=14)
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/report-requests",
        json={"kind": KIND, "deadline": rfc3339(deadline), "reference": "2026/09001"},
        headers=as_("editor"),
    )
    doc = await ok(r)
    obligation = owed(doc)[KIND]
    assert obligation["due_at"] == rfc3339(deadline) and obligation["state"] == "drafted"
    assert doc["report_requests"][0]["reference"] == "2026/09001"
    assert incident_id in service.engine.incidents  # back in memory while it owes

    # drafted with the incident's facts (its area and duration come from its alerts; where the
    # fault was is a person's)
    [summary] = [d for d in doc["drafts"] if d["kind"] == KIND]
    drafted = await ok(await client.get(f"/api/v1/drafts/{summary['id']}", headers=as_("viewer")))
    fields = {f["key"]: f["value"] for f in drafted["latest"]["fields"]}
    assert "Nkoms referanse: 2026/09001" in fields["request"]
    assert fields["where"] == "" and "Trondheim" in fields["geography"]
    assert fields["duration"].startswith("30 minutter: fra ")

    # on the deadline queue and in the due metric
    board = await ok(await client.get("/api/v1/queue", headers=as_("viewer")))
    [item] = [i for i in board["items"] if i["case"] == incident_id]
    assert item["kind"] == KIND and item["due_at"] == rfc3339(deadline)
    metrics = await (await client.get("/metrics")).text()
    assert (
        f'bridge_obligation_due_timestamp_seconds{{binding="true",incident="{incident_id}",'
        f'kind="{KIND}",regulator="nkom",state="drafted"}}'
    ) in metrics

    # a timer tick does not let it go while it owes, and a restart keeps it
    clock.advance(timedelta(hours=1))
    await service.tick()
    assert incident_id in service.engine.incidents
    await client.close()  # stopped: the restarted service leads
    again = await client_for(config_path, manual_outbox=True)
    restarted = again.server.app[SERVICE]
    assert incident_id in restarted.engine.incidents
    rebuilt = await incident(again, incident_id)
    assert owed(rebuilt)[KIND]["due_at"] == rfc3339(deadline)
    assert [d["id"] for d in rebuilt["drafts"] if d["kind"] == KIND] == [summary["id"]]

    # settled (here: rejected by an approver), it leaves memory again a tick later
    r = await again.post(
        f"/api/v1/drafts/{summary['id']}/reject",
        json={"reason": "Nkom withdrew the request"},
        headers=as_("approver"),
    )
    assert (await ok(r))["state"] == "rejected"
    await restarted.tick()
    assert incident_id not in restarted.engine.incidents
    assert owed(await incident(again, incident_id))[KIND]["state"] == "rejected"


async def test_what_it_reported_before_it_left_memory_is_not_owed_again(
    client: TestClient[Any, Any], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A reportable outage whose varsel and normalised notice were settled (rejected here)
    before it left memory: brought back for Nkom's request, it owes the hendelsesrapport only,
    nothing is drafted a second time, and the lifecycle log does not open it again."""
    caplog.set_level(logging.INFO, logger="bridge.lifecycle")
    caplog.set_level(logging.INFO, logger="bridge.notices")
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=5)
    body = make_webhook(alert("fp-olav", start, element="no-cell-st-olav", severity="major"))
    [incident_id] = (await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK)))[
        "incidents"
    ]
    clock.advance(timedelta(hours=2))
    body = make_webhook(
        alert(
            "fp-olav",
            start,
            status="resolved",
            ends_at=clock.now(),
            element="no-cell-st-olav",
            severity="major",
        )
    )
    await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))
    clock.advance(timedelta(hours=1))
    await service.tick()
    doc = await incident(client, incident_id)
    assert doc["state"] == "closed"
    before = {d["id"] for d in doc["drafts"]}
    assert {d["kind"] for d in doc["drafts"]} == {"nkom_varsel", "nkom_normalised"}
    for draft_id in sorted(before):
        r = await client.post(
            f"/api/v1/drafts/{draft_id}/reject",
            json={"reason": "reported by phone"},
            headers=as_("approver"),
        )
        await ok(r)
    clock.advance(timedelta(days=8))
    await service.tick()
    assert incident_id not in service.engine.incidents

    deadline = clock.now() + timedelta(days=14)
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/report-requests",
        json={"kind": KIND, "deadline": rfc3339(deadline)},
        headers=as_("editor"),
    )
    doc = await ok(r)
    states = {o["kind"]: o["state"] for o in doc["obligations"]}
    assert states == {
        "nkom_varsel": "rejected",
        "nkom_update": "open",
        "nkom_normalised": "rejected",
        KIND: "drafted",
    }
    await service.tick()
    listed = await ok(
        await client.get(
            "/api/v1/drafts",
            params={"state": "all", "incident": incident_id},
            headers=as_("viewer"),
        )
    )
    by_id = {d["id"]: d["state"] for d in listed["drafts"]}
    assert by_id == {**dict.fromkeys(before, "rejected"), f"{incident_id}.{KIND}": "draft"}
    # its settled drafts were known before it was evaluated again: no draft of theirs was
    # opened again and refused by the store
    assert not [r for r in caplog.records if "changed meanwhile" in r.getMessage()]
    lines = [r.getMessage() for r in caplog.records if r.name == "bridge.lifecycle"]
    assert lines.count(f"incident opened: {incident_id}") == 1
    assert lines.count(f"incident {incident_id} became reportable to nkom") == 1
    assert lines[-2:] == [
        f"obligation opened: {incident_id} owes nkom {KIND}",
        f"draft opened: {incident_id}.{KIND} (nkom {KIND}, version 1) for {incident_id}",
    ]


async def test_a_request_on_an_incident_the_store_does_not_hold_is_404(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    r = await client.post(
        "/api/v1/incidents/inc-20261123-00000000/report-requests",
        json={"kind": KIND, "deadline": rfc3339(clock.now() + timedelta(days=14))},
        headers=as_("editor"),
    )
    assert r.status == 404


async def test_nkom_asking_again_after_the_report_was_settled_owes_a_new_one(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The first report was settled (rejected here: a person decided it is not sent) and the
    incident left memory; weeks later Nkom asks under another reference. The settled report
    did not answer it: a new report is owed by its deadline (drafted as the next round, naming
    only the new request), on the deadline queue and in the due metric; the first stays as
    it was."""
    service = client.server.app[SERVICE]
    incident_id = await closed_long_ago(client, clock)
    first = clock.now() + timedelta(days=14)
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/report-requests",
        json={"kind": KIND, "deadline": rfc3339(first), "reference": "2026/09001"},
        headers=as_("editor"),
    )
    await ok(r)
    r = await client.post(
        f"/api/v1/drafts/{incident_id}.{KIND}/reject",
        json={"reason": "answered by phone"},
        headers=as_("approver"),
    )
    assert (await ok(r))["state"] == "rejected"
    clock.advance(timedelta(days=8))
    await service.tick()
    assert incident_id not in service.engine.incidents

    clock.advance(timedelta(days=20))  # past the first deadline: it is answered, not overdue
    deadline = clock.now() + timedelta(days=10)
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/report-requests",
        json={"kind": KIND, "deadline": rfc3339(deadline), "reference": "2026/09777"},
        headers=as_("editor"),
    )
    doc = await ok(r)
    assert owed(doc)[KIND]["due_at"] == rfc3339(deadline)
    assert owed(doc)[KIND]["state"] == "drafted"
    assert {d["id"]: d["state"] for d in doc["drafts"] if d["kind"] == KIND} == {
        f"{incident_id}.{KIND}": "rejected",
        f"{incident_id}.{KIND}.2": "draft",
    }
    drafted = await ok(
        await client.get(f"/api/v1/drafts/{incident_id}.{KIND}.2", headers=as_("viewer"))
    )
    request = {f["key"]: f["value"] for f in drafted["latest"]["fields"]}["request"]
    assert "Nkoms referanse: 2026/09777" in request and "2026/09001" not in request, request

    board = await ok(await client.get("/api/v1/queue", headers=as_("viewer")))
    [item] = [i for i in board["items"] if i["case"] == incident_id]
    assert item["kind"] == KIND and item["due_at"] == rfc3339(deadline)
    metrics = await (await client.get("/metrics")).text()
    label = (
        f'bridge_obligation_due_timestamp_seconds{{binding="true",incident="{incident_id}",'
        f'kind="{KIND}",regulator="nkom",state="drafted"}} '
    )
    [value] = [line.removeprefix(label) for line in metrics.splitlines() if line.startswith(label)]
    assert float(value) == deadline.timestamp()
    await service.tick()
    assert incident_id in service.engine.incidents  # it owes: it stays
