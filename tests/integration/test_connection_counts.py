"""Counts no store can keep never disable the bridge (the app through its factory).

An alert's ``affected_connections`` of ``inf`` (a 500 on every retry, once) or ``1e20`` (its
incident never saved, the evaluation task dead, once) is kept and shown *unmapped* with the
reason; an incident opened by hand with 2**64 connections, or an impact override with it, is a
400 naming the field with nothing written; ``truncatedAlerts`` beyond 2**63 - 1 is a 400 naming
it. Each time another alert is still evaluated and saved, and the bridge restarts on the same
store, also on a store that already holds such an alert. One incident the store cannot take is
reported and the others are saved.
"""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, token_auth, webhook, write_config
from fakes import FakeClock
from http_answers import ok
from polling import until

from bridge.core import engine as engine_module
from bridge.core import incident_state
from bridge.core.alerts import parse_webhook
from bridge.store import make_store
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}
EDITOR = {"Authorization": "Bearer test-token-for-editor"}
Client = TestClient[Any, Any]


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(
        tmp_path, extra={"auth": token_auth({"editor": ["viewer", "editor"], "viewer": ["viewer"]})}
    )


def rows(config_path: Path) -> dict[str, int]:
    """Rows per table that input writes, read by a separate connection."""
    with sqlite3.connect(config_path.parent / "bridge.sqlite3") as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("alerts", "deliveries", "incidents", "audit")
        }


def saved(config_path: Path, incident_id: str) -> bool:
    """The incident is in the store (written by the evaluation task: no read asked for it)."""
    with sqlite3.connect(config_path.parent / "bridge.sqlite3") as conn:
        return (
            conn.execute("SELECT 1 FROM incidents WHERE id=?", (incident_id,)).fetchone()
            is not None
        )


async def hook(client: Client, body: Any) -> Any:
    data = io.BytesIO(json.dumps(body).encode())
    return await client.post("/api/v1/alertmanager", data=data, headers=HOOK)


def described(clock: FakeClock, fingerprint: str, count: str) -> dict[str, Any]:
    """An alert describing its own impact (no inventory element)."""
    return alert(
        fingerprint,
        clock.now() - timedelta(minutes=5),
        alertname="AccessDown",
        service="internet",
        region="SE-2380",
        affected_connections=count,
    )


async def another_is_evaluated_and_saved(
    client: Client, clock: FakeClock, config_path: Path, element: str = "se-olt-ostersund-1"
) -> str:
    """A plain alert on an inventory element, sent after: evaluated and saved in the background."""
    body = webhook(
        alert(f"fp-on-{element}", clock.now(), alertname="OltDown", element=element),
        group_key="{}:{alertname=OltDown}",
    )
    (incident_id,) = (await ok(await hook(client, body)))["incidents"]
    await until(lambda: saved(config_path, incident_id), f"{incident_id} saved")
    return incident_id


async def errors(client: Client) -> str:
    text = await (await client.get("/metrics")).text()
    return "\n".join(line for line in text.splitlines() if "bridge_evaluation_errors" in line)


@pytest.mark.parametrize("count", ["inf", "1e20", "18446744073709551616", "1000000001", "2.5"])
async def test_an_alert_with_a_count_no_store_can_keep_is_kept_unmapped_and_nothing_stops(
    client_for: Any, config_path: Path, clock: FakeClock, count: str
) -> None:
    client = await client_for(config_path)
    body = webhook(described(clock, "fp-bad", count), group_key="{}:{alertname=AccessDown}")
    (bad,) = (await ok(await hook(client, body)))["incidents"]
    await until(lambda: saved(config_path, bad), f"{bad} saved")
    assert (await ok(await hook(client, body)))["incidents"] == [bad]  # a retry: the same
    other = await another_is_evaluated_and_saved(client, clock, config_path)
    doc = await ok(await client.get(f"/api/v1/incidents/{bad}", headers=VIEWER))
    reason = doc["unmapped_alerts"]["fp-bad"]
    assert f"affected_connections={count!r}" in reason
    assert doc["impact"]["current"] == 0 and doc["impact_known"] is False
    assert 'stage="evaluate"} 0.0' in await errors(client)
    assert 'stage="persist"} 0.0' in await errors(client)
    await client.close()

    again = await client_for(config_path)
    doc = await ok(await again.get(f"/api/v1/incidents/{bad}", headers=VIEWER))
    assert doc["unmapped_alerts"]["fp-bad"] == reason
    await ok(await again.get(f"/api/v1/incidents/{other}", headers=VIEWER))
    await another_is_evaluated_and_saved(again, clock, config_path)


@pytest.mark.parametrize("count", ["inf", "1e20"])
async def test_a_store_already_holding_such_an_alert_starts_and_shows_it_unmapped(
    client_for: Any, config_path: Path, clock: FakeClock, count: str
) -> None:
    """The alert as an earlier version left it: stored (acknowledged or not), never in an
    incident. The bridge starts on that store (it did not: the restore raised, or its save)."""
    store = make_store(f"sqlite:///{config_path.parent / 'bridge.sqlite3'}")
    await store.open()
    body = webhook(described(clock, "fp-bad", count), group_key="{}:{alertname=AccessDown}")
    await store.ingest(parse_webhook(body, clock.now()), clock.now())
    await store.close()

    client = await client_for(config_path)
    listed = await ok(await client.get("/api/v1/incidents?state=all", headers=VIEWER))
    (bad,) = [i["id"] for i in listed["incidents"] if "fp-bad" in i["alerts"]]
    doc = await ok(await client.get(f"/api/v1/incidents/{bad}", headers=VIEWER))
    assert f"affected_connections={count!r}" in doc["unmapped_alerts"]["fp-bad"]
    await another_is_evaluated_and_saved(client, clock, config_path)
    assert saved(config_path, bad)


def by_hand(clock: FakeClock, title: str, connections: int) -> dict[str, Any]:
    return {
        "title": title,
        "started_at": rfc3339(clock.now() - timedelta(minutes=20)),
        "impacts": [{"service": "internet", "region": "SE-2380", "connections": connections}],
    }


@pytest.mark.parametrize("connections", [2**64, 2**63, 10**9 + 1])
async def test_an_incident_opened_by_hand_with_too_many_connections_is_refused(
    client_for: Any, config_path: Path, clock: FakeClock, connections: int
) -> None:
    """400 naming impacts[0].connections, nothing written (it wrote the alerts, answered 500
    and killed the evaluation task); a good one after is opened, saved and survives a
    restart."""
    client = await client_for(config_path)
    before = rows(config_path)
    r = await client.post(
        "/api/v1/incidents", json=by_hand(clock, "Huge", connections), headers=EDITOR
    )
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith("impacts[0].connections")
    assert rows(config_path) == before
    good = await ok(
        await client.post("/api/v1/incidents", json=by_hand(clock, "Cut", 10**9), headers=EDITOR),
        201,
    )
    assert good["impact"]["current"] == 10**9
    await until(lambda: saved(config_path, good["id"]), "the good incident saved")
    await another_is_evaluated_and_saved(client, clock, config_path)
    await client.close()

    again = await client_for(config_path)
    doc = await ok(await again.get(f"/api/v1/incidents/{good['id']}", headers=VIEWER))
    assert doc["impact"]["current"] == 10**9


async def test_an_impact_override_with_too_many_connections_is_refused(
    client: Client, clock: FakeClock, config_path: Path
) -> None:
    body = webhook(alert("cab9", clock.now(), element="no-cabinet-9", region="SE-2380"))
    (incident_id,) = (await ok(await hook(client, body)))["incidents"]
    await until(lambda: saved(config_path, incident_id), "the incident saved")
    before = rows(config_path)
    stated = {
        "impacts": [{"service": "internet", "region": "SE-2380", "connections": 2**64}],
        "reason": "stated by the field team",
    }
    r = await client.put(
        f"/api/v1/incidents/{incident_id}/impact-override", json=stated, headers=EDITOR
    )
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith("impacts[0].connections")
    assert rows(config_path) == before
    await another_is_evaluated_and_saved(client, clock, config_path)


@pytest.mark.parametrize("truncated", [2**63, 2**64 - 1])
async def test_truncated_alerts_beyond_what_the_store_keeps_is_400_and_stores_nothing(
    client_for: Any, config_path: Path, clock: FakeClock, truncated: int
) -> None:
    """It was a 500 (SQLite's OverflowError) that Alertmanager retried forever."""
    client = await client_for(config_path)
    before = rows(config_path)
    body = webhook(alert("fp1", clock.now(), element="se-olt-ostersund-1"), truncated=truncated)
    r = await hook(client, body)
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith("truncatedAlerts")
    assert rows(config_path) == before
    body["truncatedAlerts"] = 2**63 - 1  # the most the store keeps
    await ok(await hook(client, body))
    await another_is_evaluated_and_saved(client, clock, config_path)
    await client.close()
    again = await client_for(config_path)
    await ok(await again.get("/api/v1/incidents?state=all", headers=VIEWER))


async def test_an_incident_the_store_cannot_take_is_reported_and_the_others_are_saved(
    client: Client, clock: FakeClock, config_path: Path
) -> None:
    """Whatever else makes one incident unsavable (a bug; orjson's TypeError here): the
    incidents saved with it in one write are saved one by one, the failure is counted, and
    the evaluation task goes on."""
    service = client.server.app[SERVICE]
    real = service.store.save_incidents
    poisoned: set[str] = set()

    async def save_incidents(records: Any, fence: int | None = None) -> None:
        if poisoned & {r.id for r in records}:
            raise TypeError("Integer exceeds 64-bit range")
        await real(records, fence=fence)

    service.store.save_incidents = save_incidents
    first = webhook(alert("fp-1", clock.now(), element="se-olt-ostersund-1"))
    (bad,) = (await ok(await hook(client, first)))["incidents"]
    await until(lambda: saved(config_path, bad), "the first incident saved")
    poisoned.add(bad)
    # one delivery: an alert joining the poisoned incident (same site) and one opening another
    body = webhook(
        alert("fp-2", clock.now(), element="se-olt-ostersund-2"),
        alert("fp-3", clock.now(), element="no-olt-oslo-1"),
    )
    placed = set((await ok(await hook(client, body)))["incidents"])
    assert bad in placed and len(placed) == 2
    (good,) = placed - {bad}
    await until(lambda: saved(config_path, good), "the other incident saved")
    assert 'stage="persist"} 1.0' in await errors(client)
    await another_is_evaluated_and_saved(client, clock, config_path, "se-cell-berg-1")
    await service.tick()  # the timer's flush too


async def test_a_restart_comes_back_when_one_key_cannot_be_evaluated(
    client_for: Any, config_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever else makes one key's evaluation raise (a bug) at start: the bridge starts with
    the other incidents, the failure counted; the key is evaluated when it changes again."""
    store = make_store(f"sqlite:///{config_path.parent / 'bridge.sqlite3'}")
    await store.open()
    body = webhook(
        alert("fp-ost", clock.now(), element="se-olt-ostersund-1"),
        alert("fp-osl", clock.now(), element="no-olt-oslo-1"),
    )
    await store.ingest(parse_webhook(body, clock.now()), clock.now())
    await store.close()

    def raising(plan: Any, *args: Any) -> Any:
        if any(t.element == "no-olt-oslo-1" for part in plan.intervals for _, _, t in part):
            raise OverflowError("cannot convert float infinity to integer")
        return incident_state.compute(plan, *args)

    monkeypatch.setattr(engine_module, "compute", raising)
    client = await client_for(config_path)
    listed = await ok(await client.get("/api/v1/incidents?state=all", headers=VIEWER))
    assert [i["alerts"] for i in listed["incidents"]] == [["fp-ost"]]
    assert 'stage="evaluate"} 1.0' in await errors(client)
    monkeypatch.undo()
    clock.advance(timedelta(minutes=1))
    later = webhook(alert("fp-osl-2", clock.now(), element="no-olt-oslo-1"))
    (oslo,) = (await ok(await hook(client, later)))["incidents"]
    await until(lambda: saved(config_path, oslo), "the Oslo incident saved")
    doc = await ok(await client.get(f"/api/v1/incidents/{oslo}", headers=VIEWER))
    assert sorted(doc["alerts"]) == ["fp-osl", "fp-osl-2"]
