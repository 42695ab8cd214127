"""End to end, the whole product: real Alertmanager → webhook → incident → reportable to PTS →
drafts → a person approves through the API → the outbox (its own background loop) delivers the
e-mail to a real SMTP server (aiosmtpd on loopback). The clock is injected: the test moves it to
the instant the incident becomes reportable; nothing sleeps for a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from builders import WEBHOOK_TOKEN, write_config
from fakes import FakeClock
from prometheus_client import CollectorRegistry
from smtp_server import SmtpServer

from bridge.config import load_config
from bridge.web.app import create_app

try:
    from .alertmanager import AlertmanagerProcess, free_port
    from .test_alertmanager_to_reportable import DEADLINE_S, require_alertmanager
except ImportError:
    from alertmanager import AlertmanagerProcess, free_port  # type: ignore[no-redef]
    from test_alertmanager_to_reportable import (  # type: ignore[no-redef]
        DEADLINE_S,
        require_alertmanager,
    )

pytestmark = pytest.mark.e2e
APPROVER = {"Authorization": "Bearer e2e-approver"}


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path, "starttls", login=("bridge", "relay-secret")).start()
    yield server
    server.stop()


@pytest.fixture
async def bridge(tmp_path: Path, smtp: SmtpServer) -> AsyncIterator[tuple[str, FakeClock]]:
    require_alertmanager()
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    path = write_config(
        tmp_path,
        extra={
            "evaluation": {"interval": "100ms", "stale_after": "2h"},
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [{"name": "noc", "token": "e2e-approver", "roles": ["approver"]}],
            },
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
            },
            "smtp": smtp.smtp_config(),
            "notices": {
                "archive_dir": str(tmp_path / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "200ms",
            },
        },
    )
    app = create_app(load_config(path, env={}), clock=clock, registry=CollectorRegistry())
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", clock
    finally:
        await runner.cleanup()


async def poll(session: aiohttp.ClientSession, url: str, pick: Any, what: str) -> Any:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        async with session.get(url, headers=APPROVER) as r:
            assert r.status == 200, await r.text()
            value = pick(await r.json())
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_alertmanager_to_approved_email_at_the_regulator(
    bridge: tuple[str, FakeClock], smtp: SmtpServer
) -> None:
    url, clock = bridge
    start = clock.now() - timedelta(hours=1, minutes=50)
    reportable_at = start + timedelta(hours=2)
    async with (
        AlertmanagerProcess(
            f"{url}/api/v1/alertmanager", bearer_token=WEBHOOK_TOKEN, group_by=["alertname"]
        ) as am,
        aiohttp.ClientSession() as session,
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
        async with session.post(
            f"{url}/api/v1/drafts/{draft['id']}/approve",
            json={"version": draft["version"], "incomplete_ok": True, "comment": "e2e"},
            headers=APPROVER,
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
    assert mail.rcpt_tos == ["incidentrapport@pts.se"]
    msg = mail.message
    assert msg["Message-ID"] == approved["message_id"]
    assert msg["Subject"] == approved["latest"]["subject"]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Fiberavbrott vid grävarbete i Östersund" in text
    assert "11 500" in text  # the affected internet connections
    assert approved["latest"]["fields"][-1]["value"] in text  # the reference number
    assert next(a.get_filename() for a in msg.iter_attachments()).endswith(".docx")  # type: ignore[union-attr]
    states = {o["kind"]: o["state"] for o in incident["obligations"] if o["regulator"] == "pts"}
    assert states["pts_initial"] == "sent"
