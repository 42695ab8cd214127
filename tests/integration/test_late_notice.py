"""A notice approved after its due time (docs/notices.md "A late notice"), through the API with
real SQLite, a real SMTP server and the injected clock: approving it asks why it is late (a 400
naming ``late_reason`` without one, nothing changed); with the reason, the approval's audit
entry keeps it, the send's says how late it left, the obligation ends ``sent`` with ``late_by``
and the timeline says it was late, by how much and why."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from http_answers import ok
from persons import person
from polling import until
from smtp_server import SmtpServer

from bridge.core.alerts import format_time
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}
REASON = "the on-call phone was dead; the NOC learned of it at 11:50"


@pytest.fixture
def config_path(tmp_path: Path, smtp: SmtpServer) -> Path:
    return write_config(
        tmp_path,
        extra={
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [
                    {"name": "viewer", "token": "test-token-for-viewer", "roles": ["viewer"]}
                ],
                "session": {"cookie_secure": False},
            },
            "smtp": smtp.smtp_config(),
            "notices": {
                "archive_dir": str(tmp_path / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "1h",  # rounds run when an approval wakes the outbox
            },
            "replication": {"lease_ttl": "1h"},
        },
    )


async def test_a_late_notice_says_why_and_by_how_much(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=5)
    fired = alert("fp-ullevaal", start, element="no-cell-ullevaal", severity="major")
    r = await client.post("/api/v1/alertmanager", json=webhook(fired), headers=HOOK)
    [incident_id] = (await ok(r))["incidents"]
    url = f"/api/v1/incidents/{incident_id}"

    def varsel(doc: dict[str, Any]) -> dict[str, Any]:
        return next(o for o in doc["obligations"] if o["kind"] == "nkom_varsel")

    due = varsel(await ok(await client.get(url, headers=VIEWER)))["due_at"]
    clock.advance(timedelta(hours=3))  # two hours past its due time
    await service.tick()
    assert varsel(await ok(await client.get(url, headers=VIEWER)))["state"] == "overdue"
    [draft] = (await ok(await client.get("/api/v1/drafts", headers=VIEWER)))["drafts"]
    draft = await ok(await client.get(f"/api/v1/drafts/{draft['id']}", headers=VIEWER))
    approve = f"/api/v1/drafts/{draft['id']}/approve"
    body = {"version": draft["version"], "send_unknown": draft["to_complete"]}
    headers = await person(client, clock.now)

    for missing in ({}, {"late_reason": "  "}):
        r = await client.post(approve, json={**body, **missing}, headers=headers)
        assert r.status == 400, await r.text()
        assert "late_reason" in (await r.json())["detail"]
    after = await ok(await client.get(f"/api/v1/drafts/{draft['id']}", headers=VIEWER))
    assert after["state"] == "draft"
    r = await client.post(approve, json={**body, "late_reason": 5}, headers=headers)
    assert r.status == 400 and "late_reason" in (await r.json())["detail"]

    r = await client.post(approve, json={**body, "late_reason": REASON}, headers=headers)
    assert (await ok(r))["approved"]["late_reason"] == REASON

    async def sent() -> bool:
        got = await ok(await client.get(f"/api/v1/drafts/{draft['id']}", headers=VIEWER))
        return bool(got["state"] == "sent")

    await until(sent, "the late varsel sent")
    await service.tick()
    # due an hour after it became reportable (its start, 5 minutes before it arrived), sent
    # 3 hours after it arrived: 2 h 5 min late
    assert due == format_time(start + timedelta(hours=1))
    late_by = 2 * 3600 + 5 * 60
    obligation = varsel(await ok(await client.get(url, headers=VIEWER)))
    assert (obligation["state"], obligation["due_at"]) == ("sent", due)
    assert obligation["late_by"] == late_by

    entries = await service.store.audit_log(target=f"draft:{draft['id']}")
    [approved] = [e for e in entries if e.action == "draft.approved"]
    assert approved.detail["late_reason"] == REASON
    assert approved.detail["late_by"] == late_by
    [left] = [e for e in entries if e.action == "outbox.sent"]
    assert (left.detail["late_by"], left.detail["due_at"]) == (late_by, approved.detail["due_at"])

    events = (await ok(await client.get(f"{url}/timeline", headers=VIEWER)))["events"]
    words = [
        (e["at"], e["kind"], e["summary"]) for e in events if e["at"] >= format_time(clock.now())
    ]
    assert (
        format_time(clock.now()),
        "draft",
        f"Nkom – første varsel: approved (version {draft['version']}); reason for the delay: "
        f"{REASON}",
    ) in words
    assert (
        format_time(clock.now()),
        "late",
        f"Nkom – første varsel: sent 2h5m late (it was due {due})",
    ) in words
