"""End to end, the Swedish cybersecurity act: real Alertmanager → webhook → incident → marked
*potentially significant* by the se-cyber criteria → a signed-in person declares it significant
→ the early warning is drafted (Swedish, for the CSIRT's portal), approved (person + TOTP), its
submission on the portal recorded → the notification is owed 72 h after awareness, and once its
submission is recorded the final report's month runs from that. The clock is injected; nothing
sleeps for a deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bridge_process import RunningBridge
from builders import WEBHOOK_TOKEN, add_user, rfc3339
from persons import sign_in
from polling import poll_json

from bridge.web.keys import SERVICE

try:
    from .alertmanager import DEADLINE_S, AlertmanagerProcess
except ImportError:
    from alertmanager import DEADLINE_S, AlertmanagerProcess  # type: ignore[no-redef]

pytestmark = [pytest.mark.e2e]
VIEWER = {"Authorization": "Bearer e2e-viewer-token"}


@pytest.fixture
def bridge_extra(tmp_path: Path) -> dict[str, Any]:
    return {
        "auth": {
            "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
            "api_tokens": [{"name": "noc", "token": "e2e-viewer-token", "roles": ["viewer"]}],
            "session": {"cookie_secure": False},
        },
        "regulators": {"csirt": {"rule_set": "se-cyber"}},
        "operator": {
            "name": "Exempel Nät AB",
            "org_number": "556000-0000",
            "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
        },
        "notices": {
            "archive_dir": str(tmp_path / "sent"),
            "refresh_interval": "0s",
            "poll_interval": "200ms",
        },
    }


async def poll(session: aiohttp.ClientSession, url: str, pick: Any, what: str) -> Any:
    return await poll_json(session, url, VIEWER, pick, what, DEADLINE_S)


def obligations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in doc["obligations"] if o["regulator"] == "csirt"}


async def test_alertmanager_to_declared_early_warning_submitted_on_the_portal(
    bridge: RunningBridge,
) -> None:
    url, clock = bridge.url, bridge.clock
    async with (
        AlertmanagerProcess(
            f"{url}/api/v1/alertmanager", bearer_token=WEBHOOK_TOKEN, group_by=["alertname"]
        ) as am,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
    ):
        await am.post_alerts(
            [
                {
                    "labels": {"alertname": "CellDown", "element": "se-cell-ostersund-sjukhus"},
                    "annotations": {"summary": "Basstationen vid Östersunds sjukhus är nere"},
                    "startsAt": clock.now() - timedelta(minutes=5),
                    "endsAt": datetime.now(UTC) + timedelta(hours=6),
                }
            ]
        )
        incident = await poll(
            session,
            f"{url}/api/v1/incidents?state=all",
            lambda body: next(iter(body["incidents"]), None),
            "the incident",
        )
        incident_url = f"{url}/api/v1/incidents/{incident['id']}"
        doc = await poll(
            session,
            incident_url,
            lambda body: body if body["cyber"][0]["potentially_significant"] else None,
            "potentially significant",
        )
        assert obligations(doc) == {}  # nothing owed before a person declares
        assert bridge.app is not None
        await add_user(bridge.app[SERVICE].store, "anna", ["approver"])
        person = await sign_in(session, "anna", clock.now(), base=url)
        async with session.post(
            f"{incident_url}/declaration", json={"significant": True}, headers=person
        ) as r:
            assert r.status == 200, await r.text()
        aware = clock.now()
        warning = await poll(
            session,
            f"{url}/api/v1/drafts?regulator=csirt",
            lambda body: next(
                (d for d in body["drafts"] if d["kind"] == "se_cyber_early_warning"), None
            ),
            "the early warning draft",
        )
        assert warning["channel"] == "portal"
        assert set(warning["to_complete"]) == {"suspected_malicious", "cross_border"}
        async with session.post(
            f"{url}/api/v1/drafts/{warning['id']}/approve",
            json={"version": warning["version"], "send_unknown": warning["to_complete"]},
            headers=person,
        ) as r:
            assert r.status == 200, await r.text()
            approved = await r.json()
        assert "Tidig varning om betydande incident" in approved["latest"]["text"]
        assert "Ännu inte känt" in approved["latest"]["text"]
        async with session.post(
            f"{url}/api/v1/drafts/{warning['id']}/submission",
            json={"reference": "CP-2026-0042", "submitted_at": rfc3339(clock.now())},
            headers=person,
        ) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["state"] == "sent"
        doc = await poll(
            session,
            incident_url,
            lambda body: (
                body
                if obligations(body).get("se_cyber_early_warning", {}).get("state") == "sent"
                else None
            ),
            "the early warning met",
        )
        owed = obligations(doc)
        assert owed["se_cyber_notification"]["due_at"] == rfc3339(aware + timedelta(hours=72))
        notification = await poll(
            session,
            f"{url}/api/v1/drafts?regulator=csirt",
            lambda body: next(
                (d for d in body["drafts"] if d["kind"] == "se_cyber_notification"), None
            ),
            "the notification draft",
        )
        async with session.post(
            f"{url}/api/v1/drafts/{notification['id']}/approve",
            json={"version": notification["version"], "send_unknown": notification["to_complete"]},
            headers=person,
        ) as r:
            assert r.status == 200, await r.text()
        clock.advance(timedelta(minutes=2))  # within the session and its second factor
        notified = clock.now()
        async with session.post(
            f"{url}/api/v1/drafts/{notification['id']}/submission",
            json={"reference": "CP-2026-0043"},
            headers=person,
        ) as r:
            assert r.status == 200, await r.text()
        doc = await poll(
            session,
            incident_url,
            lambda body: body if "se_cyber_progress" in obligations(body) else None,
            "the month after the notification",
        )
    owed = obligations(doc)
    assert owed["se_cyber_notification"]["state"] == "sent"
    month = owed["se_cyber_progress"]["due_at"]
    assert month is not None and datetime.fromisoformat(month) - notified >= timedelta(days=28)
    assert owed["se_cyber_final"]["waiting_for"] == "remedied"  # the cell is still down
