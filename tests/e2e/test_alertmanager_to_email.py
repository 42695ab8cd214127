"""End to end, the whole product: real Alertmanager → webhook → incident → reportable under PTS's
outage rules → drafts → a person approves through the API → the outbox (its own background loop)
delivers the e-mail to a real SMTP server (aiosmtpd on loopback). The clock is injected: the test
moves it to the instant the incident becomes reportable; nothing sleeps for a deadline.

Real Alertmanager stamps its alerts with today's time, after PTS's outage reporting duty was
repealed (2026-01-15): the report is the operator's internal threshold, so it goes to the
configured internal recipient and never to PTS (``regulators.pts.internal_recipient``)."""

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

RELAY = {"security": "starttls", "login": ("bridge", "relay-secret")}  # the smtp fixture's
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.parametrize("smtp", [RELAY], ids=["starttls-auth"], indirect=True),
]
APPROVER = {"Authorization": "Bearer e2e-viewer-token"}  # reads; only a signed-in person approves
INTERNAL = "noc-rapporter@example.net"


@pytest.fixture
def bridge_extra(tmp_path: Path, smtp: SmtpServer) -> dict[str, Any]:
    return {
        "auth": {
            "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
            "api_tokens": [{"name": "noc", "token": "e2e-viewer-token", "roles": ["viewer"]}],
        },
        "operator": {
            "name": "Exempel Nät AB",
            "org_number": "556000-0000",
            "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
        },
        "regulators": {
            "pts": {
                "rule_set": "pts-outage",
                "recipient": "incidentrapport@pts.se",
                "internal_recipient": INTERNAL,
            },
            "nkom": {"rule_set": "nkom-varsel", "recipient": "ekomvarsling@nkom.no"},
        },
        **notice_sections(smtp.smtp_config(), tmp_path),
    }


async def poll(session: aiohttp.ClientSession, url: str, pick: Any, what: str) -> Any:
    return await poll_json(session, url, APPROVER, pick, what, DEADLINE_S)


async def test_alertmanager_to_approved_email_at_the_internal_recipient(
    bridge: RunningBridge, smtp: SmtpServer
) -> None:
    """Alerts through Alertmanager make an incident that crosses PTS's (repealed) outage threshold
    when the clock reaches it; the approved initial report reaches the relay (STARTTLS, AUTH) once,
    addressed to the operator's internal recipient only, with the facts, the repeal statement and
    the Word document."""
    url, clock = bridge.url, bridge.clock
    start = clock.now() - timedelta(hours=1, minutes=50)
    reportable_at = start + timedelta(hours=2)
    async with (
        AlertmanagerProcess(
            f"{url}/api/v1/alertmanager", bearer_token=WEBHOOK_TOKEN, group_by=["alertname"]
        ) as am,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
    ):
        far = datetime.now(UTC) + timedelta(hours=6)
        await am.post_alerts(
            [
                {
                    "labels": {"alertname": "OltDown", "element": element, "severity": "major"},
                    "annotations": {"cause": "Fiberavbrott vid grävarbete i Östersund"},
                    "startsAt": start,
                    "endsAt": far,
                }
                for element in ("se-olt-ostersund-1", "se-olt-ostersund-2")
            ]
        )
        await poll(
            session,
            f"{url}/api/v1/incidents?state=all",
            lambda body: any(len(i["alerts"]) == 2 for i in body["incidents"]),
            "the incident",
        )
        async with session.get(f"{url}/api/v1/drafts?regulator=pts", headers=APPROVER) as r:
            assert (await r.json())["drafts"] == []  # not reportable yet: nothing to send
        clock.set(reportable_at)
        draft = await poll(
            session,
            f"{url}/api/v1/drafts?regulator=pts",
            lambda body: next((d for d in body["drafts"] if d["kind"] == "pts_initial"), None),
            "the PTS initial report draft",
        )
        assert bridge.app is not None
        await add_user(bridge.app[SERVICE].store, "olga", ["approver"])
        person = await sign_in(session, "olga", clock.now(), base=url)
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
            approved = await r.json()
        await poll(
            session,
            f"{url}/api/v1/drafts/{draft['id']}",
            lambda body: body["state"] == "sent",
            "the outbox to deliver",
        )
        incident = await poll(
            session,
            f"{url}/api/v1/incidents/{draft['incident']}",
            lambda body: body,
            "the incident",
        )
    [mail] = smtp.mailbox.received
    assert mail.rcpt_tos == [INTERNAL]  # never PTS: the duty was repealed

    msg = mail.message
    assert msg["Message-ID"] == approved["message_id"]
    assert msg["Subject"] == approved["latest"]["subject"]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert msg["Subject"].startswith("Ingen rapport till PTS")
    assert "SFS 2025:1511" in text  # the repeal, said first
    assert "Fiberavbrott vid grävarbete i Östersund" in text
    assert "11 500" in text  # the affected internet connections
    assert approved["latest"]["fields"][-1]["value"] in text  # the reference number
    assert next(a.get_filename() for a in msg.iter_attachments()).endswith(".docx")  # type: ignore[union-attr]
    states = {o["kind"]: o["state"] for o in incident["obligations"] if o["regulator"] == "pts"}
    assert states["pts_initial"] == "sent"
