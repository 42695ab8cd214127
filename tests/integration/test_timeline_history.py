"""The timeline as a compliance officer reads it months later (docs/api.md "Handling an
incident"), through the app's factory with the injected clock: when the bridge first learned of
the incident (its first alert's receipt, apart from its start), kept in the incident's record
once its alerts are pruned (400 days), and the rejection of a draft still on it once the
rejected draft itself is pruned (the audit keeps it, found by incident)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, token_auth, webhook, write_config
from builders import bearer_for as as_
from fakes import FakeClock
from http_answers import ok
from polling import until

from bridge.core.alerts import format_time
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        extra={
            "auth": token_auth({"viewer": ["viewer"], "approver": ["approver"]}),
            # the task's cadence is the event loop's; the cut-offs follow the injected clock
            "retention": {"interval": "100ms", "count_interval": "100ms"},
            "notices": {"poll_interval": "1h"},
        },
    )


async def test_the_timeline_keeps_when_the_bridge_learned_of_it_and_rejections_after_pruning(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    service = client.app[SERVICE]
    start = clock.now() - timedelta(minutes=20)  # it reached the bridge 20 minutes late
    fired = alert("fp-late", start, element="no-cell-ullevaal", severity="major")
    r = await client.post("/api/v1/alertmanager", json=webhook(fired), headers=HOOK)
    [incident_id] = (await ok(r))["incidents"]
    received = format_time(clock.now())
    url = f"/api/v1/incidents/{incident_id}/timeline"

    def aware(body: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(e["at"], e["actor"], e["summary"]) for e in body["events"] if e["kind"] == "aware"]

    expected = [
        (
            received,
            "alertmanager",
            f"first known to the bridge: its first alert received, 20m after it started "
            f"({format_time(start)})",
        )
    ]
    body = await ok(await client.get(url, headers=as_("viewer")))
    assert aware(body) == expected
    reportable = next(e for e in body["events"] if e["kind"] == "reportable")
    assert reportable["at"] == format_time(start), "reportable from its start, as before"

    # a person rejects the varsel; the alert resolves and the incident closes, settled
    [draft] = (await ok(await client.get("/api/v1/drafts", headers=as_("viewer"))))["drafts"]
    r = await client.post(
        f"/api/v1/drafts/{draft['id']}/reject",
        json={"reason": "a test cell, not in service"},
        headers=as_("approver"),
    )
    assert (await ok(r))["state"] == "rejected"
    end = clock.now()
    resolved = {**fired, "status": "resolved", "endsAt": end.isoformat()}
    await ok(await client.post("/api/v1/alertmanager", json=webhook(resolved), headers=HOOK))
    clock.advance(timedelta(hours=1))  # past the quiet period: it closes
    await service.tick()
    await service.flush()
    # the report owed once it closed: rejected too (what retention waits for)
    for other in (await ok(await client.get("/api/v1/drafts", headers=as_("viewer"))))["drafts"]:
        if other["state"] == "draft":
            r = await client.post(
                f"/api/v1/drafts/{other['id']}/reject",
                json={"reason": "nothing was reported"},
                headers=as_("approver"),
            )
            await ok(r)
    await service.tick()
    await service.flush()

    # 500 days on: its alerts (400 days) and its rejected draft (400 days) are pruned; the
    # incident document (five years) and the audit (for ever) stay
    passes = service.retention.passes
    clock.advance(timedelta(days=500))
    await service.tick()
    inc = service.evaluator.engine.incidents.get(incident_id)
    assert inc is None, (inc.state, inc.obligations)
    await until(lambda: service.retention.passes >= passes + 2, "two pruning passes")
    store = service.store
    assert await store.load_episodes() == []
    assert await store.list_drafts(incident_id) == []
    assert incident_id in {r.id for r in await store.load_incidents()}

    for view in ("all", "grouped"):
        body = await ok(await client.get(f"{url}?view={view}", headers=as_("viewer")))
        assert aware(body) == expected, view
        rejected = [
            e for e in body["events"] if e["kind"] == "draft" and "første varsel" in e["summary"]
        ]
        assert [(e["actor"], e["summary"]) for e in rejected] == [
            ("bridge", "Nkom – første varsel: draft opened (version 1)"),
            (
                "token:approver",
                "Nkom – første varsel: rejected (version 1): a test cell, not in service",
            ),
        ], view
