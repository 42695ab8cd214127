"""Retention in the running service (bridge/retention/task.py), through the app's factory with
the injected clock: the leader's background pass removes the alerts of an old, settled incident
and keeps those of an incident as old that still owes its report; the metrics count both the
stored and the pruned records, and the audit says what went."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from polling import until

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        extra={
            # the task's cadence is the event loop's; the cut-offs follow the injected clock
            "retention": {"interval": "100ms", "count_interval": "100ms"},
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "NOC", "phone": "+47 22 00 00 00", "email": "noc@example.net"},
            },
            "notices": {"archive_dir": str(tmp_path / "sent"), "poll_interval": "1h"},
        },
    )


async def post(client: TestClient[Any, Any], *alerts: dict[str, Any]) -> list[str]:
    r = await client.post("/api/v1/alertmanager", json=webhook(*alerts), headers=HOOK)
    assert r.status == 200, await r.text()
    return list((await r.json())["incidents"])


def metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_background_pruning_keeps_an_incident_that_still_owes_a_report(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    service = client.app[SERVICE]
    start = clock.now() - timedelta(minutes=5)
    # a hospital cell in Oslo: reportable to Nkom at once; its varsel waits as a draft
    owing = alert("fp-owing", start, element="no-cell-ullevaal", severity="major")
    # an OLT in Östersund for a few minutes: below every criterion, owes nothing
    settled = alert("fp-settled", start, element="se-olt-ostersund-2")
    [owing_id] = await post(client, owing)
    [settled_id] = await post(client, settled)
    end = clock.now()
    await post(
        client,
        {**owing, "status": "resolved", "endsAt": end.isoformat()},
        {**settled, "status": "resolved", "endsAt": end.isoformat()},
    )
    clock.advance(timedelta(hours=1))  # past the quiet period: both close
    await service.tick()
    await service.flush()
    store = service.store
    records = {r.id: r for r in await store.load_incidents()}
    assert (records[owing_id].state, records[settled_id].state) == ("closed", "closed")
    waiting = [(d.id, d.state) for d in await store.list_drafts(owing_id)]
    assert waiting and {state for _, state in waiting} == {"draft"}
    assert await store.list_drafts(settled_id) == []

    # 500 days on: past the alerts' 400 days, within the documents' five years
    passes = service.retention.passes
    clock.advance(timedelta(days=500))
    # the evaluation timer lets the settled incident leave memory (a pass keeps whole an
    # incident memory still holds: what the API lists stays stored)
    await service.tick()
    assert settled_id not in service.evaluator.engine.incidents
    # two passes: the second surely started after the clock moved
    await until(lambda: service.retention.passes >= passes + 2, "two pruning passes")

    episodes = sorted(ep.fingerprint for ep in await store.load_episodes())
    assert episodes == ["fp-owing"], "only the settled incident's alert went"
    assert {r.id for r in await store.load_incidents()} == {owing_id, settled_id}
    assert [(d.id, d.state) for d in await store.list_drafts(owing_id)] == waiting
    # the deliveries before the owing incident started stay with it (there are none here;
    # every delivery is from its time on)
    assert (await store.count_records())["deliveries"] == 3

    text = await (await client.get("/metrics")).text()
    assert metric(text, 'bridge_pruned_records_total{kind="alerts"}') == 1.0
    assert metric(text, 'bridge_pruned_records_total{kind="incidents"}') == 0.0

    async def stored_alerts() -> bool:
        text = await (await client.get("/metrics")).text()
        return metric(text, 'bridge_store_records{kind="alerts"}') == 1.0

    await until(stored_alerts, "bridge_store_records{kind=alerts} refreshed")
    audit = [e for e in await store.audit_log() if e.action == "retention.pruned"]
    assert len(audit) == 1, "a pass that removes nothing writes no entry"
    assert audit[0].actor == "retention" and audit[0].detail["by"] == "service"
    assert audit[0].detail["counts"]["alerts"] == 1
