"""An incident's alerts, a page at a time (``GET /api/v1/incidents/{id}/alerts``), and what the
board draws from: the list's summaries (docs/api.md). The incident's document leaves the alert
details out and says how many there are."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, token_auth, webhook, write_config
from builders import bearer_for as as_
from fakes import FakeClock

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
ROLES = {
    "viewer": ["viewer"],
    "privacy-viewer": ["viewer:privacy"],
    "auditor": ["auditor"],
}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path, extra={"auth": token_auth(ROLES)})


async def ok(response: Any) -> Any:
    assert response.status == 200, await response.text()
    return await response.json()


async def seven_alerts(client: TestClient[Any, Any], clock: FakeClock) -> str:
    """One incident of seven alerts on one OLT, started a minute apart (one resolved)."""
    t0 = clock.now() - timedelta(minutes=30)
    alerts = [
        alert(f"fp{n}", t0 + timedelta(minutes=n), element="se-olt-ostersund-1", port=str(n))
        for n in range(6)
    ]
    alerts.append(
        alert(
            "fp6",
            t0 + timedelta(minutes=2),
            status="resolved",
            ends_at=t0 + timedelta(minutes=9),
            element="se-olt-ostersund-1",
        )
    )
    r = await client.post("/api/v1/alertmanager", json=webhook(*alerts), headers=HOOK)
    assert r.status == 200, await r.text()
    (incident,) = (await r.json())["incidents"]
    return str(incident)


async def test_alerts_page_by_page_give_every_alert_once_newest_first(client, clock):
    """limit=3: three pages with ``next`` on all but the last, ``total`` on each; together every
    alert once, newest first by start (then fingerprint), as one page of them all gives."""
    incident = await seven_alerts(client, clock)
    path = f"/api/v1/incidents/{incident}/alerts"
    whole = await ok(await client.get(path, headers=as_("viewer")))
    assert "next" not in whole and whole["total"] == 7
    seen: list[Any] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        body = await ok(await client.get(path, params=params, headers=as_("viewer")))
        pages += 1
        assert len(body["alerts"]) <= 3 and body["total"] == 7
        seen += body["alerts"]
        cursor = body.get("next")
        if cursor is None:
            break
    assert pages == 3
    assert seen == whole["alerts"]
    keys = [(a["starts_at"], a["fingerprint"]) for a in seen]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == 7
    assert seen[0]["fingerprint"] == "fp5"
    resolved = next(a for a in seen if a["fingerprint"] == "fp6")
    assert resolved["status"] == "resolved" and resolved["ends_at"]
    assert {"labels", "annotations", "generator_url", "stale", "unmapped"} <= set(resolved)


async def test_the_incident_leaves_its_alert_details_out_and_counts_them(client, clock):
    """The document keeps ``alerts`` (the fingerprints, docs/design.md) and says how many
    episodes there are, firing and resolved; the details are the alerts endpoint's."""
    incident = await seven_alerts(client, clock)
    doc = await ok(await client.get(f"/api/v1/incidents/{incident}", headers=as_("viewer")))
    assert "alert_details" not in doc
    assert doc["alerts"] == [f"fp{n}" for n in range(7)]
    assert doc["alert_counts"] == {
        "total": 7,
        "firing": 6,
        "resolved": 1,
        "stale": 0,
        "unmapped": 0,
    }


async def test_a_summary_carries_what_the_board_draws(client, clock):
    """Each summary has the verdicts with the criterion that decided each, the regulators that
    apply, the alert count and the cyber block: the board needs no incident's document."""
    incident = await seven_alerts(client, clock)
    listing = await ok(await client.get("/api/v1/incidents", headers=as_("viewer")))
    (summary,) = [s for s in listing["incidents"] if s["id"] == incident]
    doc = await ok(await client.get(f"/api/v1/incidents/{incident}", headers=as_("viewer")))
    assert summary["applies"] == doc["applies"] == ["pts"]
    assert summary["alert_count"] == 7
    assert summary["cyber"] == doc["cyber"]
    full = {a["regulator"]: a for a in doc["assessments"]}
    for brief in summary["assessments"]:
        whole = full[brief["regulator"]]
        for field in ("rule_set", "reportable", "verdict", "since", "forecast_at", "track"):
            assert brief[field] == whole[field], field
        assert "criteria" not in brief and "seconds_to_reportable" not in brief
        assert brief["deciding"] in whole["criteria"]
        assert brief["deciding"]["reason"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"cursor": "!!not-base64!!"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'["only-one"]').decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(json.dumps([1, 2]).encode()).decode()}, "cursor"),
    ],
)
async def test_a_bad_limit_or_cursor_is_a_400_naming_it(client, clock, query, field):
    incident = await seven_alerts(client, clock)
    r = await client.get(
        f"/api/v1/incidents/{incident}/alerts", params=query, headers=as_("viewer")
    )
    assert r.status == 400, await r.text()
    assert field in (await r.json())["detail"]


async def test_unknown_incident_is_a_404_and_roles_are_the_incidents(client, clock):
    """404 for an id no incident has; an outage incident's alerts need viewer or auditor on the
    outage track (a privacy viewer gets 403, as for the incident; an auditor reads what it
    audits, docs/security.md); a privacy case's id
    is the privacy track's: 403 for an outage viewer, 404 for a privacy viewer (no alerts
    listed there)."""
    incident = await seven_alerts(client, clock)
    r = await client.get("/api/v1/incidents/inc-nothing/alerts", headers=as_("viewer"))
    assert r.status == 404, await r.text()
    for who, status in (("privacy-viewer", 403), ("auditor", 200)):
        for path in (f"/api/v1/incidents/{incident}", f"/api/v1/incidents/{incident}/alerts"):
            r = await client.get(path, headers=as_(who))
            assert r.status == status, (who, path, await r.text())
    r = await client.get("/api/v1/incidents/priv-2026-0001/alerts", headers=as_("viewer"))
    assert r.status == 403, await r.text()
    r = await client.get("/api/v1/incidents/priv-2026-0001/alerts", headers=as_("privacy-viewer"))
    assert r.status == 404, await r.text()
    r = await client.get(f"/api/v1/incidents/{incident}/alerts")
    assert r.status == 401, await r.text()
