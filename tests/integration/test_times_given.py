"""Times people give through the API, end to end (bridge/core/instants.py): one UTC cannot hold,
or outside the plausible window, is a 400 naming the field and nothing is stored or audited.
And a store an older bridge wrote such a time into (written here through the store's API)
still starts, drafts every other case and answers every read."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import rfc3339, token_config
from fakes import FakeClock
from http_answers import ok

from bridge.core import awareness, privacy
from bridge.store.records import DeclarationRecord, PrivacyCaseRecord
from bridge.web.keys import SERVICE

ClientFor = Any
EDITOR = {"Authorization": "Bearer test-token-for-editor"}
PRIVACY = {"Authorization": "Bearer test-token-for-p-editor"}
KIND = "nkom_hendelsesrapport"
YEAR_ONE = "0001-01-01T00:30:00+01:00"  # 0000-12-31T23:30:00Z: before UTC's first day
YEAR_10000 = "9999-12-31T23:30:00-01:00"  # 10000-01-01T00:30:00Z: after its last


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return token_config(
        tmp_path,
        {"editor": ["editor", "auditor"], "p-editor": ["editor:privacy", "viewer:privacy"]},
        session={"cookie_secure": False},
        notices={
            "archive_dir": str(tmp_path / "sent"),
            "refresh_interval": "0s",
            "poll_interval": "1h",
        },
        privacy={
            "alert_label": {"incident_type": "privacy"},
            "subscriber_notice_recipient": "kunder@example.net",
        },
    )


async def refused(response: Any, field: str) -> None:
    """A 400 whose detail starts with the field's name."""
    assert response.status == 400, await response.text()
    assert (await response.json())["detail"].startswith(f"{field}: ")


async def open_incident(
    client: TestClient[Any, Any], started_at: str, region: str = "SE-2380", title: str = "Cut"
) -> str:
    body = {
        "title": title,
        "started_at": started_at,
        "impacts": [{"service": "internet", "region": region, "connections": 60000}],
    }
    doc = await ok(await client.post("/api/v1/incidents", json=body, headers=EDITOR), 201)
    return str(doc["id"])


def breach(clock: FakeClock, **over: Any) -> dict[str, Any]:
    return {
        "detected_at": rfc3339(clock.now() - timedelta(minutes=20)),
        "jurisdictions": ["SE", "NO"],
        "circumstances": ["theft"],
        "description": "a laptop was stolen",
        **over,
    }


async def stored(client: TestClient[Any, Any]) -> tuple[Any, ...]:
    """What the store holds of declarations, privacy cases and the audit log."""
    app = client.app
    assert app is not None
    store = app[SERVICE].store
    return (
        [(r.id, r.revision, r.document) for r in await store.list_declarations()],
        [(r.id, r.revision, r.document) for r in await store.list_privacy_cases()],
        [(e.action, e.target) for e in await store.audit_log(1000)],
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"deadline": "2026-12-01T00:00:00Z", "received_at": YEAR_ONE}, "received_at"),
        ({"deadline": YEAR_10000}, "deadline"),
        ({"deadline": "2026-12-01T00:00:00Z", "received_at": "1999-12-31T23:59Z"}, "received_at"),
        ({"deadline": "2037-01-01T00:00:00+01:00"}, "deadline"),  # over ten years ahead
    ],
)
async def test_a_report_request_with_an_implausible_time_is_refused_and_nothing_is_written(
    client: TestClient[Any, Any], body: dict[str, Any], field: str
) -> None:
    """The regulator's deadline or the request's receipt out of range: 400 naming the field,
    no declaration written, nothing audited, the incident reads as before."""
    incident_id = await open_incident(client, "2026-11-23T08:00:00Z", region="NO-5001")
    before = await stored(client)
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/report-requests",
        json={"kind": KIND, **body},
        headers=EDITOR,
    )
    await refused(r, field)
    assert await stored(client) == before
    doc = await ok(await client.get(f"/api/v1/incidents/{incident_id}", headers=EDITOR))
    assert KIND not in {o["kind"] for o in doc["obligations"]}
    await ok(await client.get("/api/v1/queue", headers=EDITOR))


async def test_a_report_request_takes_any_offset_and_keeps_the_instant_in_utc(
    client: TestClient[Any, Any],
) -> None:
    incident_id = await open_incident(client, "2026-11-23T08:00:00Z", region="NO-5001")
    body = {"kind": KIND, "deadline": "2026-12-01T10:00:00+01:00"}
    doc = await ok(
        await client.post(
            f"/api/v1/incidents/{incident_id}/report-requests", json=body, headers=EDITOR
        )
    )
    assert doc["report_requests"][0]["deadline"] == "2026-12-01T09:00:00+00:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"detected_at": YEAR_ONE}, "detected_at"),
        ({"detected_at": "1999-12-31T23:00:00Z"}, "detected_at"),
        ({"occurred_at": YEAR_10000}, "occurred_at"),
    ],
)
async def test_a_privacy_case_with_an_implausible_time_is_refused_and_nothing_is_written(
    client: TestClient[Any, Any], clock: FakeClock, body: dict[str, Any], field: str
) -> None:
    """Opening a case or changing its times: 400 naming the field, no case nor revision
    written, nothing audited; the list, the queue and the drafts read as before."""
    before = await stored(client)
    await refused(
        await client.post("/api/v1/privacy/cases", json=breach(clock, **body), headers=PRIVACY),
        field,
    )
    assert await stored(client) == before
    case = await ok(
        await client.post("/api/v1/privacy/cases", json=breach(clock), headers=PRIVACY), 201
    )
    before = await stored(client)
    r = await client.patch(
        f"/api/v1/privacy/cases/{case['id']}",
        json={"revision": case["revision"], "fields": body},
        headers=PRIVACY,
    )
    await refused(r, f"fields.{field}")
    assert await stored(client) == before
    for path in ("/api/v1/privacy/cases", "/api/v1/queue", "/api/v1/drafts"):
        await ok(await client.get(path, headers=PRIVACY))


@pytest.mark.parametrize("started_at", ["0001-01-02T00:00:00Z", "1999-12-31T23:59:59+00:00"])
async def test_an_incident_opened_by_hand_long_ago_is_refused(
    client: TestClient[Any, Any], started_at: str
) -> None:
    before = await stored(client)
    body = {
        "title": "Cut",
        "started_at": started_at,
        "impacts": [{"service": "internet", "region": "SE-2380", "connections": 600}],
    }
    await refused(await client.post("/api/v1/incidents", json=body, headers=EDITOR), "started_at")
    assert await stored(client) == before
    listed = await ok(await client.get("/api/v1/incidents?state=all", headers=EDITOR))
    assert listed["incidents"] == []


@pytest.mark.parametrize("at", [YEAR_ONE, YEAR_10000])
async def test_a_cursor_utc_cannot_hold_is_refused(client: TestClient[Any, Any], at: str) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps([at, "inc-x"]).encode()).decode().rstrip("=")
    r = await client.get(f"/api/v1/incidents?state=all&cursor={cursor}", headers=EDITOR)
    await refused(r, "cursor")


async def poison(client: TestClient[Any, Any], clock: FakeClock, bad: str, kind: str) -> str:
    """Write what an older bridge let through, straight into the store: a request for Nkom's
    report of incident ``bad`` received or due at a time UTC cannot hold, or a privacy case
    detected then. The id of what must still read and draft (a privacy case's, or ``bad``)."""
    app = client.app
    assert app is not None
    store, now = app[SERVICE].store, clock.now()
    if kind == "detected_at":
        values = privacy.parse_values({"detected_at": rfc3339(now), "jurisdictions": ["SE"]}, now)
        case, _ = privacy.open_case(values, "token:old", now, "priv-00010101-0badc0de")
        case = replace(case, detected_at=datetime.fromisoformat(YEAR_ONE))
        record = PrivacyCaseRecord(case.id, case.state, 1, now, privacy.to_dict(case))
        await store.put_privacy_case(record, None, [])
        return case.id
    request = awareness.ReportRequest(
        received_at=datetime.fromisoformat(YEAR_ONE) if kind == "received_at" else now,
        deadline=datetime.fromisoformat(YEAR_10000) if kind == "deadline" else now,
        reference="2026/1",
        by="token:old",
        at=now,
        kind=KIND,
    )
    declaration = awareness.Declaration(bad, None, None, "", "token:old", now, 1, (request,))
    document = awareness.to_document(declaration)
    await store.put_declaration(DeclarationRecord(bad, 1, now, document), None, [])
    return bad


@pytest.mark.parametrize("kind", ["received_at", "deadline", "detected_at"])
async def test_a_store_holding_a_time_utc_cannot_hold_restarts_drafts_the_others_and_reads(
    client_for: ClientFor, config_path: Path, clock: FakeClock, kind: str
) -> None:
    """The old bridge's store: a restart comes back; incidents (and privacy cases) whose ids
    sort after the bad one are drafted; every read of the bad one, the queue, the drafts and
    the privacy list answers 200."""
    first = await client_for(config_path, manual_outbox=True)
    # yesterday's incident: its id sorts before today's, which are drafted after it
    bad = await open_incident(first, "2026-11-22T20:00:00Z", region="NO-5001", title="Old")
    odd = await poison(first, clock, bad, kind)
    await first.close()

    client = await client_for(config_path, manual_outbox=True)  # the restart comes back
    clock.advance(timedelta(minutes=1))
    others = [await open_incident(client, "2026-11-23T07:00:00Z", title=f"New {i}") for i in (1, 2)]
    later_case = await ok(
        await client.post("/api/v1/privacy/cases", json=breach(clock), headers=PRIVACY), 201
    )
    app = client.app
    assert app is not None
    await app[SERVICE].tick()
    drafted = {d.id for d in app[SERVICE].book.drafts.values()}
    assert {f"{i}.pts_initial" for i in others} <= drafted
    assert f"{later_case['id']}.privacy_initial" in drafted
    assert any(d.startswith(odd) for d in drafted)  # the bad one is drafted too, as it can be

    reads = [
        (f"/api/v1/incidents/{bad}", EDITOR),
        (f"/api/v1/incidents/{others[0]}", EDITOR),
        ("/api/v1/incidents?state=all", EDITOR),
        ("/api/v1/queue", EDITOR),
        ("/api/v1/queue", PRIVACY),
        ("/api/v1/drafts?state=all", EDITOR),
        ("/api/v1/drafts?state=all", PRIVACY),
        ("/api/v1/privacy/cases", PRIVACY),
        ("/api/v1/privacy/register.csv", PRIVACY),
    ]
    drafts = sorted(d for d in drafted if d.startswith(odd))
    track = PRIVACY if kind == "detected_at" else EDITOR
    reads += [(f"/api/v1/drafts/{d}", track) for d in drafts]
    if kind == "detected_at":
        reads.append((f"/api/v1/privacy/cases/{odd}", PRIVACY))
    for path, headers in reads:
        r = await client.get(path, headers=headers)
        assert r.status == 200, (path, await r.text())
    metrics = await (await client.get("/metrics")).text()
    assert "bridge_drafting_errors_total 0.0" in metrics  # nothing left that fails to draft
