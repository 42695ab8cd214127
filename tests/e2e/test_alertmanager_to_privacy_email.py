"""End to end, the privacy track: a real Alertmanager delivers an alert labelled
``incident_type=privacy`` → the bridge opens a privacy case (not an outage incident) → a person
completes the facts through the API → an approver with the privacy role approves the Nkom varsel
→ the outbox (its own background loop) delivers it to a real SMTP server. The clock is injected;
nothing sleeps for a deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bridge_process import RunningBridge
from builders import WEBHOOK_TOKEN, add_user, notice_sections
from persons import sign_in
from polling import poll_json
from smtp_server import SmtpServer

from bridge.web.keys import SERVICE

try:
    from .alertmanager import DEADLINE_S, AlertmanagerProcess
except ImportError:
    from alertmanager import DEADLINE_S, AlertmanagerProcess  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e
EDITOR = {"Authorization": "Bearer e2e-privacy-editor"}
VIEWER = {"Authorization": "Bearer e2e-privacy-viewer"}  # reads; only a person approves
OUTAGE = {"Authorization": "Bearer e2e-outage-token"}


@pytest.fixture
def bridge_extra(tmp_path: Path, smtp: SmtpServer) -> dict[str, Any]:
    return {
        "auth": {
            "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
            "api_tokens": [
                {"name": "dpo", "token": "e2e-privacy-editor", "roles": ["editor:privacy"]},
                {"name": "ciso", "token": "e2e-privacy-viewer", "roles": ["viewer:privacy"]},
                {
                    "name": "noc",
                    "token": "e2e-outage-token",
                    "roles": ["approver:outage", "auditor:all"],
                },
            ],
        },
        "operator": {
            "name": "Eksempel Nett AS",
            "org_number": "999 000 000",
            "contact": {"name": "Personvern", "phone": "+47 22 00 00 00", "email": "dpo@ex.no"},
        },
        **notice_sections(smtp.smtp_config(), tmp_path),
        "privacy": {"alert_label": {"incident_type": "privacy"}},
    }


async def poll(session: aiohttp.ClientSession, url: str, pick: Any, what: str) -> Any:
    return await poll_json(session, url, VIEWER, pick, what, DEADLINE_S)


async def test_alertmanager_privacy_alert_to_approved_varsel_at_nkom(
    bridge: RunningBridge, smtp: SmtpServer
) -> None:
    """A privacy-labelled alert through Alertmanager opens a case hidden from the outage team; once
    its facts are completed, only a privacy approver can approve the Nkom varsel, which is e-mailed
    once and audited."""
    url, clock = bridge.url, bridge.clock
    start = clock.now() - timedelta(minutes=4)
    async with (
        AlertmanagerProcess(
            f"{url}/api/v1/alertmanager", bearer_token=WEBHOOK_TOKEN, group_by=["alertname"]
        ) as am,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
    ):
        await am.post_alerts(
            [
                {
                    "labels": {
                        "alertname": "CdrExportPublic",
                        "incident_type": "privacy",
                        "jurisdiction": "NO",
                    },
                    "annotations": {"summary": "CDR export readable from a public bucket"},
                    "startsAt": start,
                    "endsAt": datetime.now(UTC) + timedelta(hours=6),
                }
            ]
        )
        case = await poll(
            session,
            f"{url}/api/v1/privacy/cases",
            lambda body: next(iter(body["cases"]), None),
            "the privacy case",
        )
        assert case["source"] == "alert" and case["jurisdictions"] == ["NO"]
        async with session.get(f"{url}/api/v1/incidents?state=all", headers=OUTAGE) as r:
            assert (await r.json())["incidents"] == []  # not an outage incident
        async with session.get(f"{url}/api/v1/privacy/cases/{case['id']}", headers=OUTAGE) as r:
            assert r.status == 403  # the outage team does not see it
        async with session.patch(
            f"{url}/api/v1/privacy/cases/{case['id']}",
            json={
                "revision": case["revision"],
                "fields": {
                    "data_categories": ["traffic"],
                    "affected": 340,
                    "measures_taken": "Bucket made private, access logs secured.",
                },
            },
            headers=EDITOR,
        ) as r:
            assert r.status == 200, await r.text()
        draft = await poll(
            session,
            f"{url}/api/v1/privacy/cases/{case['id']}",
            lambda body: next(
                (
                    d
                    for d in body["drafts"]
                    if d["kind"] == "nkom_privacy_varsel" and d["version"] >= 2
                ),
                None,
            ),
            "the Nkom varsel with the completed facts",
        )
        async with session.post(
            f"{url}/api/v1/drafts/{draft['id']}/approve",
            json={"version": draft["version"], "send_unknown": draft["to_complete"]},
            headers=OUTAGE,
        ) as r:
            assert r.status == 403  # an outage approver cannot approve a privacy notice
        assert bridge.app is not None
        await add_user(bridge.app[SERVICE].store, "cecilia", ["approver:privacy"])
        person = await sign_in(session, "cecilia", bridge.clock.now(), base=url)
        async with session.post(
            f"{url}/api/v1/drafts/{draft['id']}/approve",
            json={
                "version": draft["version"],
                "send_unknown": draft["to_complete"],
                "comment": "e2e",
            },
            headers=person,
        ) as r:
            assert r.status == 200, await r.text()
        await poll(
            session,
            f"{url}/api/v1/drafts/{draft['id']}",
            lambda body: body["state"] == "sent",
            "the outbox to deliver",
        )
        async with session.get(f"{url}/api/v1/audit?limit=500", headers=OUTAGE) as r:
            entries = (await r.json())["entries"]
    [mail] = smtp.mailbox.received
    assert mail.rcpt_tos == ["ekomvarsling@nkom.no"]
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Sikkerhetsbrudd som har krenket personvernet" in text  # seed 003's words
    assert "CDR export readable from a public bucket" in text
    assert "340 abonnenter/brukere" in text and "Bucket made private" in text
    actions = {(e["actor"], e["action"]) for e in entries}
    assert ("cecilia", "draft.approved") in actions
    assert ("token:noc", "privacy.refused") in actions
    assert ("bridge", "privacy.opened") in actions
