"""Incidents opened by hand through the API (POST /api/v1/incidents, …/end): an editor opens
an outage monitoring never saw; it is evaluated, owes reports and gets drafts like any other;
the same entry again is the same incident; a bad field is a 400 naming it with nothing
written; the act is audited; ending it closes it after the quiet period."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import (
    EDITOR_VIEWER_AUDITOR,
    WEBHOOK_TOKEN,
    alert,
    alert_details,
    rfc3339,
    token_config,
    webhook,
)
from fakes import FakeClock
from http_answers import ok

from bridge.web.access import BODY_DEPTH
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
EDITOR = {"Authorization": "Bearer test-token-for-editor"}
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}
AUDITOR = {"Authorization": "Bearer test-token-for-auditor"}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return token_config(tmp_path, EDITOR_VIEWER_AUDITOR)


def entry(clock: FakeClock, **changes: Any) -> dict[str, Any]:
    """Ullevål hospital's cell down since 20 minutes ago, reported by phone."""
    base: dict[str, Any] = {
        "title": "Ullevål cell down, reported by the hospital",
        "description": "Switchboard called at 09:55; no alarm seen.",
        "started_at": rfc3339(clock.now() - timedelta(minutes=20)),
        "impacts": [
            {"service": "mobile", "region": "NO-0301", "connections": 5000, "societal": True}
        ],
    }
    return {**base, **changes}


async def test_an_incident_opened_by_hand_is_evaluated_owes_and_is_audited(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    service = client.server.app[SERVICE]
    doc = await ok(await client.post("/api/v1/incidents", json=entry(clock), headers=EDITOR), 201)
    incident_id = doc["id"]
    assert doc["state"] == "open"
    assert doc["impact"]["current"] == 5000
    assert doc["reportable"]["nkom"] is True  # a societally important function (seed 003)
    assert any(o["kind"] == "nkom_varsel" for o in doc["obligations"])
    assert "alert_details" not in doc  # paged: GET …/alerts
    (by_hand,) = await alert_details(client, incident_id, VIEWER)
    assert by_hand["annotations"]["reported_by"] == "token:editor"
    drafts = await ok(await client.get(f"/api/v1/drafts?incident={incident_id}", headers=VIEWER))
    assert any(d["kind"] == "nkom_varsel" for d in drafts["drafts"])
    # the same entry again (a retry): the same incident, still one
    again = await ok(await client.post("/api/v1/incidents", json=entry(clock), headers=EDITOR), 201)
    assert again["id"] == incident_id
    assert len([i for i in service.engine.incidents.values() if i.key.startswith("label:")]) == 1
    audit = await ok(
        await client.get(f"/api/v1/audit?target=incident:{incident_id}", headers=AUDITOR)
    )
    opened = [e for e in audit["entries"] if e["action"] == "incident.opened_by_hand"]
    assert opened and opened[0]["actor"] == "token:editor"
    assert opened[0]["detail"]["impacts"][0]["connections"] == 5000

    # ended by hand: closed once the quiet period has passed
    ended = await ok(
        await client.post(f"/api/v1/incidents/{incident_id}/end", json={}, headers=EDITOR)
    )
    assert ended["closes_at"] is not None
    clock.advance(timedelta(minutes=31))
    await service.tick()
    closed = await ok(await client.get(f"/api/v1/incidents/{incident_id}", headers=VIEWER))
    assert closed["state"] == "closed"


async def test_the_timeline_says_who_opened_it_by_hand_and_when_apart_from_its_start(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Entered 3 hours after the outage began: the timeline says who opened it and when (the
    bridge knew from then), while its verdicts still count from the start."""
    started = clock.now() - timedelta(hours=3)
    body = entry(clock, started_at=rfc3339(started))
    doc = await ok(await client.post("/api/v1/incidents", json=body, headers=EDITOR), 201)
    assert doc["first_received_at"] == rfc3339(clock.now())
    url = f"/api/v1/incidents/{doc['id']}/timeline"
    for view in ("all", "grouped"):
        events = (await ok(await client.get(f"{url}?view={view}", headers=VIEWER)))["events"]
        aware = [(e["at"], e["actor"], e["summary"]) for e in events if e["kind"] == "aware"]
        assert aware == [
            (
                rfc3339(clock.now()),
                "token:editor",
                "first known to the bridge: opened by hand by token:editor, 3h after it "
                f"started ({rfc3339(started)})",
            )
        ], view
        reportable = next(e for e in events if e["kind"] == "reportable")
        assert reportable["at"] == rfc3339(started)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        (
            {"impacts": [{"service": "fax", "region": "NO-0301", "connections": 1}]},
            "impacts[0].service",
        ),
        ({"elements": ["no-such-element"], "impacts": []}, "elements[0]"),
        ({"started_at": "soon"}, "started_at"),
    ],
)
async def test_a_bad_field_is_a_400_naming_it_and_writes_nothing(
    client: TestClient[Any, Any], clock: FakeClock, changes: dict[str, Any], field: str
) -> None:
    store = client.server.app[SERVICE].store
    before = len(await store.recent_deliveries(100))
    r = await client.post("/api/v1/incidents", json=entry(clock, **changes), headers=EDITOR)
    assert r.status == 400, await r.text()
    assert field in (await r.json())["detail"]
    assert len(await store.recent_deliveries(100)) == before


@pytest.mark.parametrize(
    ("raw", "content_type", "named"),
    [
        (b"[" * 100_000, "application/json", "body:"),  # once a RecursionError decoding it
        (b'{"a":' * 3000 + b"1" + b"}" * 3000, "application/json", "body:"),
        (b"{}", "application/json; charset=x-bogus", "Content-Type:"),  # once a LookupError
        (b"{}", "application/json; charset=base64", "Content-Type:"),  # not a text encoding
    ],
)
async def test_a_body_that_cannot_be_decoded_is_a_400_naming_why_and_writes_nothing(
    client: TestClient[Any, Any], raw: bytes, content_type: str, named: str
) -> None:
    store = client.server.app[SERVICE].store
    before = len(await store.recent_deliveries(100)), len(await store.audit_log(1000))
    headers = {**EDITOR, "Content-Type": content_type}
    r = await client.post("/api/v1/incidents", data=raw, headers=headers)
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith(named)
    assert (len(await store.recent_deliveries(100)), len(await store.audit_log(1000))) == before


async def test_a_body_nested_deeper_than_any_this_api_takes_is_refused_whole(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Past ``BODY_DEPTH`` levels (well short of where decoding recursed too deep) a body is
    a 400 naming ``body``, whatever field holds the nesting; at the limit the fields decide."""
    store = client.server.app[SERVICE].store
    before = len(await store.recent_deliveries(100))
    for levels, named in ((BODY_DEPTH, "description:"), (BODY_DEPTH + 1, "body:")):
        nested: Any = "x"
        for _ in range(levels - 1):  # the body itself is the first level
            nested = [nested]
        r = await client.post(
            "/api/v1/incidents", json=entry(clock, description=nested), headers=EDITOR
        )
        assert r.status == 400, await r.text()
        assert (await r.json())["detail"].startswith(named)
    assert len(await store.recent_deliveries(100)) == before


async def test_viewers_may_not_and_monitoring_incidents_are_not_ended_by_hand(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    r = await client.post("/api/v1/incidents", json=entry(clock), headers=VIEWER)
    assert r.status == 403
    start = clock.now() - timedelta(minutes=5)
    body = await ok(
        await client.post(
            "/api/v1/alertmanager",
            json=webhook(alert("m1", start, element="se-olt-ostersund-1")),
            headers=HOOK,
        )
    )
    (monitored,) = body["incidents"]
    r = await client.post(f"/api/v1/incidents/{monitored}/end", json={}, headers=EDITOR)
    assert r.status == 409, await r.text()
    r = await client.post("/api/v1/incidents/inc-none/end", json={}, headers=EDITOR)
    assert r.status == 404
