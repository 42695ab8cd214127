"""Memory follows live work (bridge.core.liveness): incidents that closed and owe nothing leave
memory ``evaluation.memory_horizon`` after they closed; the API still lists and shows them from
the store, a late re-delivery of their alerts opens nothing, and a restart loads only what is
live."""

from __future__ import annotations

import gc
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, alert_details, webhook, write_config
from fakes import FakeClock
from http_answers import ok

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}


INVENTORY = """
elements:
  - {id: se-core, parent: null, kind: core, jurisdiction: SE, region: SE-2380}
  - {id: se-site-a, parent: se-core, kind: site, jurisdiction: SE, region: SE-2380}
  - {id: se-olt-small, parent: se-site-a, kind: olt, jurisdiction: SE, region: SE-2380,
     connections: {internet: 20}}
  - {id: se-site-b, parent: se-core, kind: site, jurisdiction: SE, region: SE-2380}
  - {id: se-olt-big, parent: se-site-b, kind: olt, jurisdiction: SE, region: SE-2380,
     connections: {internet: 6000}}
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    return write_config(
        tmp_path, inventory=inventory, extra={"evaluation": {"memory_horizon": "7d"}}
    )


async def post(client: TestClient[Any, Any], body: dict[str, Any]) -> None:
    await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))


def flap(n: int, clock: FakeClock) -> dict[str, Any]:
    """A ten-minute outage of a small OLT, hours apart: one small closed incident each."""
    start = clock.now() - timedelta(hours=3 * (n + 1))
    return alert(
        f"flap{n}",
        start,
        status="resolved",
        ends_at=start + timedelta(minutes=10),
        element="se-olt-small",
    )


async def listing(client: TestClient[Any, Any], limit: int = 1000) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"state": "all", "limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        body = await ok(await client.get("/api/v1/incidents", params=params, headers=API))
        items += body["incidents"]
        cursor = body.get("next")
        if cursor is None:
            return items


async def test_settled_incidents_leave_memory_and_are_still_served(
    client: TestClient[Any, Any], clock: FakeClock, client_for: Any, config_path: Path
) -> None:
    service = client.server.app[SERVICE]
    flapped = [flap(n, clock) for n in range(3)]
    for body in flapped:
        await post(client, webhook(body))
    up = alert("up", clock.now() - timedelta(minutes=5), element="se-olt-big")
    await post(client, webhook(up))
    before = await listing(client)
    assert len(before) == 4
    flaps = [i for i in before if i["alerts"][0].startswith("flap")]
    assert all(not any(i["reportable"].values()) for i in flaps)  # owes nothing
    details = {
        i["id"]: await ok(await client.get(f"/api/v1/incidents/{i['id']}", headers=API))
        for i in flaps
    }

    # within the horizon nothing leaves; past it the three flaps do, the open one stays
    clock.advance(timedelta(days=6))
    await service.tick()
    assert len(service.engine.incidents) == 4
    clock.advance(timedelta(days=2))
    await service.tick()
    (open_id,) = service.engine.incidents
    assert open_id not in {i["id"] for i in flaps}
    assert all(ek[0] == "up" for ek in service.engine.episodes)

    # the API still lists them, in the same order, whole or page by page, and shows each
    after = await listing(client)
    assert [i["id"] for i in after] == [i["id"] for i in before]
    assert [i["id"] for i in await listing(client, limit=1)] == [i["id"] for i in before]
    for inc in flaps:
        doc = await ok(await client.get(f"/api/v1/incidents/{inc['id']}", headers=API))
        assert doc["archived"] is True
        assert doc["state"] == "closed"
        was = details[inc["id"]]
        assert doc["impact"]["timeline"] == was["impact"]["timeline"]
        stored = await alert_details(client, inc["id"], API)
        assert sorted(a["fingerprint"] for a in stored) == inc["alerts"]
        assert doc["alert_counts"]["total"] == len(stored)
        assert doc["impact"]["peak"] == was["impact"]["peak"] > 0
        # the evidence stays readable: its timeline (JSON and CSV) and its number
        line = await ok(await client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=API))
        assert any(e["kind"] == "alert" for e in line["events"]), line["events"]
        assert line["number"] == doc["number"] is not None
        csv = await client.get(f"/api/v1/incidents/{inc['id']}/timeline?format=csv", headers=API)
        assert csv.status == 200 and "Down on se-olt-small resolved" in await csv.text()
        grouped = await ok(
            await client.get(f"/api/v1/incidents/{inc['id']}/timeline?view=grouped", headers=API)
        )  # the page's view reads the alerts from the store
        assert [(e["summary"], e["count"]) for e in grouped["events"] if e["kind"] == "alert"] == [
            (e["summary"], 1) for e in line["events"] if e["kind"] == "alert"
        ]
    closed = await ok(await client.get("/api/v1/incidents?state=closed", headers=API))
    assert {i["id"] for i in closed["incidents"]} == {i["id"] for i in flaps}

    # a late re-delivery of a flap that left memory opens no duplicate
    await post(client, webhook(flapped[0]))
    assert len(await listing(client)) == 4
    assert set(service.engine.incidents) == {open_id}

    # a restart loads only what is live
    again = await client_for(config_path)
    restarted = again.server.app[SERVICE]
    assert set(restarted.engine.incidents) == {open_id}
    assert [i["id"] for i in await listing(again)] == [i["id"] for i in before]


async def test_the_inventory_is_frozen_out_of_the_collector_while_the_service_runs(
    client_for: Any, tmp_path: Path
) -> None:
    """The inventory and what else exists at start live as long as the service: started, it
    has them frozen out of the cycle collector's walks (each of the inventory's elements
    among them); stopped, it thaws them, so another start in this process begins afresh."""
    gc.unfreeze()
    client = await client_for(write_config(tmp_path))
    service = client.server.app[SERVICE]
    elements = list(service.topology.elements.values())
    walked = {id(o) for o in gc.get_objects()}
    assert elements and not any(id(e) in walked for e in elements)
    assert gc.get_freeze_count() >= len(elements)
    await client.close()
    assert gc.get_freeze_count() == 0
    walked = {id(o) for o in gc.get_objects()}
    assert all(id(e) in walked for e in elements)
