"""End to end, Nkom's hendelsesrapport: real Alertmanager → webhook → incident in Norway →
an editor records Nkom's request (Nkom's deadline and reference) through the API → the report
is owed by that deadline and drafted in Nkom's template → a signed-in person approves it with a
fresh TOTP → the outbox (its own background loop) e-mails it to Nkom on a real SMTP server
(aiosmtpd on loopback). The clock is injected; nothing sleeps for a deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bridge_process import RunningBridge
from builders import WEBHOOK_TOKEN, add_user, notice_sections, rfc3339
from persons import sign_in
from polling import poll_json
from smtp_server import SmtpServer

from bridge.core import hendelsesrapport
from bridge.web.keys import SERVICE

try:
    from .alertmanager import DEADLINE_S, AlertmanagerProcess
except ImportError:
    from alertmanager import DEADLINE_S, AlertmanagerProcess  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e
VIEWER = {"Authorization": "Bearer e2e-viewer-token"}
EDITOR = {"Authorization": "Bearer e2e-editor-token"}
KIND = "nkom_hendelsesrapport"


@pytest.fixture
def bridge_extra(tmp_path: Path, smtp: SmtpServer) -> dict[str, Any]:
    return {
        "auth": {
            "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
            "api_tokens": [
                {"name": "noc", "token": "e2e-viewer-token", "roles": ["viewer"]},
                {"name": "duty", "token": "e2e-editor-token", "roles": ["editor"]},
            ],
        },
        "operator": {
            "name": "Exempel Nett AS",
            "org_number": "999 000 000",
            "contact": {"name": "NOC", "phone": "+47 22 00 00 00", "email": "noc@example.net"},
        },
        **notice_sections(smtp.smtp_config(), tmp_path),
    }


async def poll(session: aiohttp.ClientSession, url: str, pick: Any, what: str) -> Any:
    return await poll_json(session, url, VIEWER, pick, what, DEADLINE_S)


async def test_alertmanager_to_nkoms_hendelsesrapport_in_the_mailbox(
    bridge: RunningBridge, smtp: SmtpServer
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
                    "labels": {
                        "alertname": "CellDown",
                        "element": "no-cell-ullevaal",
                        "severity": "major",
                    },
                    "annotations": {"cause": "Fiberbrudd ved Ullevål etter gravearbeid."},
                    "startsAt": clock.now() - timedelta(minutes=10),
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
        incident_id = incident["id"]
        deadline = clock.now() + timedelta(days=14)
        async with session.post(
            f"{url}/api/v1/incidents/{incident_id}/report-requests",
            json={"kind": KIND, "deadline": rfc3339(deadline), "reference": "2026/07001"},
            headers=EDITOR,
        ) as r:
            assert r.status == 200, await r.text()
            doc = await r.json()
        [owed] = [o for o in doc["obligations"] if o["kind"] == KIND]
        assert owed["due_at"] == rfc3339(deadline)
        draft = await poll(
            session,
            f"{url}/api/v1/drafts?regulator=nkom",
            lambda body: next((d for d in body["drafts"] if d["kind"] == KIND), None),
            "the hendelsesrapport draft",
        )
        assert bridge.app is not None
        await add_user(bridge.app[SERVICE].store, "olga", ["approver"])
        person = await sign_in(session, "olga", clock.now(), base=url)
        async with session.post(
            f"{url}/api/v1/drafts/{draft['id']}/approve",
            json={"version": draft["version"], "send_unknown": draft["to_complete"]},
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
    [mail] = smtp.mailbox.received
    assert mail.rcpt_tos == ["ekomvarsling@nkom.no"]
    msg = mail.message
    assert msg["Message-ID"].strip() == approved["message_id"]  # folded: a long id
    assert msg["Subject"] == approved["latest"]["subject"]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for heading, _ in hendelsesrapport.SECTIONS:
        assert heading in text, heading
    assert "Nkoms referanse: 2026/07001" in text
    assert "Fiberbrudd ved Ullevål etter gravearbeid." in text
    assert "Oslo: inntil " in text  # the customers' area, as what it is (where: a person's)
    assert "Hendelsen rammet kunder i Oslo." not in text
    assert "Ikke kjent ennå" in text  # the measures and lessons the approver named unknown
