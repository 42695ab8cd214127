"""What a person enters on an incident that reaches a regulator: the cybersecurity act's
declaration (its awareness instant) and a regulator's request for a report (received, deadline,
reference). Bad input is a 400 naming the field and changes nothing (no record, no audit
entry, no draft; an incident brought back from the store for it leaves memory again,
unwritten); the same request sent again (a double click, a proxy's retry) is answered the same
and changes nothing: nothing stored or audited twice, nothing new told to the regulator. Each
on a live incident and on one that left memory long ago (brought back: bridge.evaluation.recall).
Real SQLite store, injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, bearer_for, rfc3339, token_auth, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from http_answers import ok
from persons import person

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
ROLES = {
    "viewer": ["viewer"],
    "editor": ["editor"],
    "approver": ["approver"],
    "auditor": ["viewer", "auditor"],
}
pytestmark = pytest.mark.manual_outbox

# The hospital's cell in Östersund (se-cyber marks it potentially significant at once) and a
# small Norwegian OLT (of two) that reaches no criterion: each outage below lasts 20 minutes and
# owes nothing until a person acts, so once closed it leaves memory a horizon later.
INVENTORY = """
regions:
  SE-2380: Östersund
  NO-5001: Trondheim
elements:
  - {id: se-site-ostersund, parent: null, kind: site, jurisdiction: SE, region: SE-2380}
  - {id: se-cell-ostersund-sjukhus, parent: se-site-ostersund, kind: cell, jurisdiction: SE,
     region: SE-2380, connections: {mobile: 3000}, emergency_112: true, societal: true}
  - {id: no-site-heimdal, parent: null, kind: site, jurisdiction: "NO", region: NO-5001}
  - {id: no-olt-heimdal-1, parent: no-site-heimdal, kind: olt, jurisdiction: "NO",
     region: NO-5001, connections: {internet: 300}}
  - {id: no-olt-heimdal-2, parent: no-site-heimdal, kind: olt, jurisdiction: "NO",
     region: NO-5001, connections: {internet: 9000}}
"""
CELL, OLT = "se-cell-ostersund-sjukhus", "no-olt-heimdal-1"
HENDELSESRAPPORT = "nkom_hendelsesrapport"
WARNING = "se_cyber_early_warning"
LIVE_OR_LATE = pytest.mark.parametrize("late", [False, True], ids=["live", "late"])


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    return write_config(
        tmp_path,
        inventory=inventory,
        extra={
            "regulators": {
                "nkom": {"rule_set": "nkom-varsel", "recipient": "ekomvarsling@nkom.no"},
                "csirt": {"rule_set": "se-cyber"},
            },
            "evaluation": {"memory_horizon": "7d"},
            "auth": token_auth(ROLES, session={"cookie_secure": False}),
            "notices": {"refresh_interval": "0s", "poll_interval": "1h"},
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
            },
        },
    )


async def outage(client: TestClient[Any, Any], clock: FakeClock, element: str, late: bool) -> str:
    """A 20-minute outage of ``element`` that began at 09:57:37 (seconds past the minute, as
    monitoring's times are) and closed; ``late``: it then left memory (8 days on)."""
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=2, seconds=23)
    body = make_webhook(alert(f"fp-{element}", start, element=element))
    [incident_id] = (await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK)))[
        "incidents"
    ]
    clock.advance(timedelta(minutes=20))
    body = make_webhook(
        alert(f"fp-{element}", start, status="resolved", ends_at=clock.now(), element=element)
    )
    await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))
    clock.advance(timedelta(hours=1))
    await service.tick()
    doc = await incident(client, incident_id)
    assert doc["state"] == "closed" and doc["obligations"] == []
    assert doc["started_at"] == rfc3339(start)
    if late:
        clock.advance(timedelta(days=8))
        await service.tick()
        assert incident_id not in service.engine.incidents
    return str(incident_id)


async def incident(client: TestClient[Any, Any], incident_id: str) -> dict[str, Any]:
    return dict(
        await ok(await client.get(f"/api/v1/incidents/{incident_id}", headers=bearer_for("viewer")))
    )


async def audited(client: TestClient[Any, Any], action: str) -> list[dict[str, Any]]:
    log = await ok(await client.get("/api/v1/audit", headers=bearer_for("auditor")))
    return [e for e in log["entries"] if e["action"] == action]


async def declare(
    client: TestClient[Any, Any], clock: FakeClock, incident_id: str, body: dict[str, Any]
) -> Any:
    return await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json=body,
        headers=await person(client, clock.now, "anna", ["approver"]),
    )


async def ask(client: TestClient[Any, Any], incident_id: str, body: dict[str, Any]) -> Any:
    return await client.post(
        f"/api/v1/incidents/{incident_id}/report-requests",
        json={"kind": HENDELSESRAPPORT, **body},
        headers=bearer_for("editor"),
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def detail_of(answer: dict[str, Any]) -> str:
    return str(answer["detail"])


async def unchanged(
    client: TestClient[Any, Any], incident_id: str, late: bool, stored: Any, action: str
) -> None:
    """Nothing was recorded: no audit entry of ``action``, no declaration or request, no
    draft; one that had left memory is out of it again, its stored record as it was."""
    service = client.server.app[SERVICE]
    assert await audited(client, action) == []
    doc = await incident(client, incident_id)
    assert "declaration" not in doc and doc.get("report_requests", []) == []
    assert doc["drafts"] == [] and doc["obligations"] == []
    if late:
        assert incident_id not in service.engine.incidents
        assert await service.store.get_incident(incident_id) == stored


@LIVE_OR_LATE
async def test_an_awareness_before_the_incident_began_is_refused_and_changes_nothing(
    client: TestClient[Any, Any], clock: FakeClock, late: bool
) -> None:
    """The audit's case: a typo in the year (2020 for an incident of 2026) made the early
    warning and notification overdue for good and told the CSIRT so. Awareness cannot precede
    the incident: the minute it began (as its documents show it) is the earliest taken."""
    service = client.server.app[SERVICE]
    incident_id = await outage(client, clock, CELL, late)
    stored = await service.store.get_incident(incident_id)
    began = datetime.fromisoformat((await incident(client, incident_id))["started_at"])

    for typed in ("2020-01-01T00:00:00Z", rfc3339(began.replace(second=0) - timedelta(seconds=1))):
        r = await declare(client, clock, incident_id, {"significant": True, "aware_at": typed})
        detail = detail_of(await ok(r, 400))
        assert detail.startswith("aware_at: ") and "before the incident began" in detail
        assert began.isoformat() in detail, detail  # says when it began
    await unchanged(client, incident_id, late, stored, "incident.declared")

    # the minute it began, as its documents show it, is taken
    aware = began.replace(second=0)
    doc = await ok(
        await declare(client, clock, incident_id, {"significant": True, "aware_at": rfc3339(aware)})
    )
    assert doc["declaration"]["aware_at"] == aware.isoformat()
    owed = {o["kind"]: o for o in doc["obligations"]}
    assert owed[WARNING]["due_at"] == rfc3339(aware + timedelta(hours=24))

    # typed an hour too early: it cannot be moved later (no one pushes the act's deadlines out),
    # and the answer says what to do instead
    r = await declare(
        client,
        clock,
        incident_id,
        {"significant": True, "aware_at": rfc3339(aware + timedelta(hours=1))},
    )
    detail = detail_of(await ok(r, 409))
    assert "may be moved earlier, never later" in detail
    assert "aware_at" in detail and "draft" in detail, detail  # where to correct the text
    assert len(await audited(client, "incident.declared")) == 1


@LIVE_OR_LATE
async def test_a_request_received_before_the_incident_began_is_refused(
    client: TestClient[Any, Any], clock: FakeClock, late: bool
) -> None:
    service = client.server.app[SERVICE]
    incident_id = await outage(client, clock, OLT, late)
    stored = await service.store.get_incident(incident_id)
    deadline = rfc3339(clock.now() + timedelta(days=14))
    r = await ask(
        client,
        incident_id,
        {"received_at": "2020-01-01T00:00:00Z", "deadline": deadline, "reference": "2026/0999"},
    )
    detail = detail_of(await ok(r, 400))
    assert detail.startswith("received_at: ") and "before the incident began" in detail
    await unchanged(client, incident_id, late, stored, "incident.report_requested")


BAD_REFERENCES = [
    ("ref\u0000\u001b[31m", "U+0000"),  # the audit's: NUL and an ANSI escape
    ("ref\u001b[31m", "U+001B"),
    ("re\u0085f", "U+0085"),  # C1: next line
    ("ref\u007f", "U+007F"),
    ("2026/\u202e9990", "U+202E"),  # shown to Nkom as 2026/0999
    ("2026/\u20660999", "U+2066"),
    ("a\nb", "U+000A"),
    ("x" * 5000, "at most 100 characters"),
    ("x" * 101, "at most 100 characters"),
]


@LIVE_OR_LATE
async def test_a_reference_nkom_cannot_read_is_refused_and_changes_nothing(
    client: TestClient[Any, Any], clock: FakeClock, late: bool
) -> None:
    """A reference goes to Nkom verbatim (the hendelsesrapport's first section, its e-mail's
    text and HTML): one short line, no control or bidirectional characters."""
    service = client.server.app[SERVICE]
    incident_id = await outage(client, clock, OLT, late)
    stored = await service.store.get_incident(incident_id)
    deadline = rfc3339(clock.now() + timedelta(days=14))
    for reference, named in BAD_REFERENCES:
        r = await ask(client, incident_id, {"deadline": deadline, "reference": reference})
        assert r.status == 400, (reference[:20], await r.text())
        detail = detail_of(await r.json())
        assert detail.startswith("reference: ") and named in detail, (reference[:20], detail)
        assert len(detail) < 200  # names the character, never echoes the text
    await unchanged(client, incident_id, late, stored, "incident.report_requested")

    doc = await ok(
        await ask(client, incident_id, {"deadline": deadline, "reference": " 2026/0999 "})
    )
    assert [r["reference"] for r in doc["report_requests"]] == ["2026/0999"]
    r = await ask(client, incident_id, {"deadline": deadline, "reference": "x" * 100})
    assert [q["reference"] for q in (await ok(r))["report_requests"]][-1] == "x" * 100


async def request_text(client: TestClient[Any, Any], incident_id: str) -> tuple[int, str]:
    """The hendelsesrapport draft's version and what it tells Nkom of Nkom's requests."""
    draft_id = f"{incident_id}.{HENDELSESRAPPORT}"
    found = await ok(await client.get(f"/api/v1/drafts/{draft_id}", headers=bearer_for("viewer")))
    fields = {f["key"]: f["value"] for f in found["latest"]["fields"]}
    return int(found["latest"]["number"]), str(fields["request"])


@LIVE_OR_LATE
async def test_the_same_request_again_is_answered_the_same_and_changes_nothing(
    client: TestClient[Any, Any], clock: FakeClock, late: bool
) -> None:
    """The audit's case: the same request posted three times (same reference and deadline, no
    received_at: each defaulting to its own now) was stored three times and Nkom was told it
    had sent two requests under one reference. Without received_at a retry is compared without
    it; with it, with it."""
    service = client.server.app[SERVICE]
    incident_id = await outage(client, clock, OLT, late)
    deadline = rfc3339(clock.now() + timedelta(days=14))
    body = {"deadline": deadline, "reference": "2026/0999"}
    first = await ok(await ask(client, incident_id, body))
    version, text = await request_text(client, incident_id)
    assert text.startswith("Anmodningen ble mottatt ") and "2026/0999" in text

    for _ in range(2):
        clock.advance(timedelta(seconds=1))
        again = await ok(await ask(client, incident_id, body))
        assert again["report_requests"] == first["report_requests"]
        assert again["obligations"] == first["obligations"]
    received = first["report_requests"][0]["received_at"]
    again = await ok(await ask(client, incident_id, {**body, "received_at": received}))
    assert again["report_requests"] == first["report_requests"]
    assert len(await audited(client, "incident.report_requested")) == 1
    assert await request_text(client, incident_id) == (version, text)  # nothing new for Nkom

    if late:  # settled and gone from memory again, a retry weeks later changes nothing either
        r = await client.post(
            f"/api/v1/drafts/{incident_id}.{HENDELSESRAPPORT}/reject",
            json={"reason": "answered by phone"},
            headers=bearer_for("approver"),
        )
        await ok(r)
        await service.tick()
        assert incident_id not in service.engine.incidents
        stored = await service.store.get_incident(incident_id)
        record = await service.store.get_declaration(incident_id)
        clock.advance(timedelta(days=20))
        again = await ok(await ask(client, incident_id, body))
        assert again["report_requests"] == first["report_requests"]
        assert len(await audited(client, "incident.report_requested")) == 1
        assert incident_id not in service.engine.incidents
        assert await service.store.get_incident(incident_id) == stored
        assert await service.store.get_declaration(incident_id) == record


@LIVE_OR_LATE
async def test_nkom_moving_its_deadline_updates_the_request_it_names(
    client: TestClient[Any, Any], clock: FakeClock, late: bool
) -> None:
    """The same reference with another deadline is Nkom moving the deadline of that request:
    the request is updated (its receipt kept unless given), audited with what it replaced, and
    Nkom is told of one request with the new deadline. Another reference is another request."""
    incident_id = await outage(client, clock, OLT, late)
    first = rfc3339(clock.now() + timedelta(days=14))
    moved = rfc3339(clock.now() + timedelta(days=21))
    asked = await ok(await ask(client, incident_id, {"deadline": first, "reference": "2026/0999"}))
    clock.advance(timedelta(days=2))
    doc = await ok(await ask(client, incident_id, {"deadline": moved, "reference": "2026/0999"}))
    [request] = doc["report_requests"]
    received = asked["report_requests"][0]["received_at"]
    assert at(request["deadline"]) == at(moved) and request["received_at"] == received
    assert {o["kind"]: o for o in doc["obligations"]}[HENDELSESRAPPORT]["due_at"] == moved
    entries = await audited(client, "incident.report_requested")
    assert len(entries) == 2
    [replaced] = [e["detail"]["replaced"] for e in entries if "replaced" in e["detail"]]
    assert at(replaced["deadline"]) == at(first) and replaced["received_at"] == received
    _, text = await request_text(client, incident_id)
    assert text.startswith("Anmodningen ble mottatt ") and "Nkom har sendt" not in text

    doc = await ok(await ask(client, incident_id, {"deadline": moved, "reference": "2026/1234"}))
    assert [r["reference"] for r in doc["report_requests"]] == ["2026/0999", "2026/1234"]
    _, text = await request_text(client, incident_id)
    assert text.startswith("Nkom har sendt 2 anmodninger: ")


async def test_the_same_declaration_again_is_answered_the_same_and_changes_nothing(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """A double click on *Declare significant* (awareness now, the default): the second is
    answered with the first declaration, not a 409 for moving awareness later, and nothing is
    written or audited again. Another person declaring later is still a 409."""
    incident_id = await outage(client, clock, CELL, late=False)
    first = await ok(await declare(client, clock, incident_id, {"significant": True}))
    clock.advance(timedelta(seconds=2))
    again = await ok(await declare(client, clock, incident_id, {"significant": True}))
    assert again["declaration"] == first["declaration"]
    assert again["obligations"] == first["obligations"]
    assert len(await audited(client, "incident.declared")) == 1
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={"significant": True},
        headers=await person(client, clock.now, "bo", ["approver"]),
    )
    assert "may be moved earlier, never later" in detail_of(await ok(r, 409))


async def test_draft_text_with_control_characters_is_refused(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """What a person writes in a draft goes to the regulator as written: lines and tabs, but
    no control or bidirectional characters; the draft is left as it was."""
    incident_id = await outage(client, clock, OLT, late=False)
    deadline = rfc3339(clock.now() + timedelta(days=14))
    await ok(await ask(client, incident_id, {"deadline": deadline, "reference": "2026/0999"}))
    url = f"/api/v1/drafts/{incident_id}.{HENDELSESRAPPORT}"
    version = (await ok(await client.get(url, headers=bearer_for("viewer"))))["latest"]["number"]
    for text, named in (
        ("Omruting\u001b[31m", "U+001B"),
        ("Omruting\u0085", "U+0085"),
        ("Omruting \u202eav trafikk", "U+202E"),
        ("Omruting\u0000", "U+0000"),
    ):
        r = await client.patch(
            url,
            json={"version": version, "fields": {"mitigation": text}},
            headers=bearer_for("editor"),
        )
        detail = detail_of(await ok(r, 400))
        assert detail.startswith("fields.mitigation: ") and named in detail, detail
    assert (await ok(await client.get(url, headers=bearer_for("viewer"))))["latest"][
        "number"
    ] == version
    written = "Kl. 10.20 ble trafikken rutet om.\n\tDet virket.\r\nFerdig."
    r = await client.patch(
        url,
        json={"version": version, "fields": {"mitigation": written}},
        headers=bearer_for("editor"),
    )
    assert (await ok(r))["latest"]["number"] == version + 1
