"""One event, one incident, and people's merges and splits, through the app's factory with a
real SMTP server (aiosmtpd on loopback) and an injected clock. A site's cell goes down and its
Nkom varsel is approved and e-mailed; then the core router above that site and another one goes
down. The router's alert does not open a second incident beside the site's: one incident covers
the event, the site's id points to it, the varsel already sent counts as the covering
incident's (never drafted nor e-mailed again: the next Nkom notice is the updated varsel), and
every figure counts each connection once. A person merges two incidents (the absorbed one's
unsent varsel withdrawn, the sent one kept) and splits an alert out; both audited, both kept
across a rebuild."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, alert_details, notice_sections, token_auth, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person
from smtp_server import SmtpServer

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}
EDITOR = {"Authorization": "Bearer test-token-for-editor"}
AUDITOR = {"Authorization": "Bearer test-token-for-auditor"}
pytestmark = pytest.mark.manual_outbox  # the tests run the outbox themselves (deliver())

# A core router in Trondheim above two sites, each with a societal cell with 112 (a cell going
# down is reportable to Nkom at once).
INVENTORY = """
regions:
  NO-5001: Trondheim
elements:
  - {id: no-core-trd, parent: null, kind: core, jurisdiction: "NO", region: NO-5001}
  - {id: no-site-heimdal, parent: no-core-trd, kind: site, jurisdiction: "NO", region: NO-5001}
  - {id: no-cell-heimdal, parent: no-site-heimdal, kind: cell, jurisdiction: "NO",
     region: NO-5001, connections: {mobile: 5000}, societal: true, emergency_112: true}
  - {id: no-olt-heimdal, parent: no-site-heimdal, kind: olt, jurisdiction: "NO",
     region: NO-5001, connections: {internet: 40}}
  - {id: no-site-lade, parent: no-core-trd, kind: site, jurisdiction: "NO", region: NO-5001}
  - {id: no-cell-lade, parent: no-site-lade, kind: cell, jurisdiction: "NO",
     region: NO-5001, connections: {mobile: 8000}, societal: true, emergency_112: true}
"""


@pytest.fixture
def config_path(tmp_path: Path, smtp: SmtpServer) -> Path:
    return make_config(tmp_path, smtp)


def make_config(tmp_path: Path, smtp: SmtpServer, **evaluation: str) -> Path:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    return write_config(
        tmp_path,
        inventory=inventory,
        extra={
            "evaluation": evaluation,
            "regulators": {"nkom": {"rule_set": "nkom-varsel"}},
            "auth": token_auth(
                {"viewer": ["viewer"], "editor": ["editor"], "auditor": ["viewer", "auditor"]},
                session={"cookie_secure": False},
            ),
            "operator": {
                "name": "Exempel Nett AS",
                "org_number": "999 000 000",
                "contact": {"name": "NOC", "phone": "+47 22 00 00 00", "email": "noc@example.net"},
            },
            **notice_sections(smtp.smtp_config(), tmp_path),
        },
    )


async def post(client: TestClient[Any, Any], *alerts: dict[str, Any]) -> list[str]:
    r = await client.post("/api/v1/alertmanager", json=make_webhook(*alerts), headers=HOOK)
    assert r.status == 200, await r.text()
    return list((await r.json())["incidents"])


async def get(client: TestClient[Any, Any], path: str) -> Any:
    r = await client.get(path, headers=VIEWER)
    assert r.status == 200, await r.text()
    return await r.json()


async def deliver(client: TestClient[Any, Any]) -> list[Any]:
    app = client.server.app
    assert app is not None
    return await app[SERVICE].outbox.deliver_due()


async def send_first_varsel(client: TestClient[Any, Any], clock: FakeClock, incident: str) -> None:
    varsel_id = f"{incident}.nkom_varsel"
    varsel = await get(client, f"/api/v1/drafts/{varsel_id}")
    unknown = [f["key"] for f in varsel["latest"]["fields"] if f["to_complete"]]
    r = await client.post(
        f"/api/v1/drafts/{varsel_id}/approve",
        json={"version": varsel["version"], "send_unknown": unknown},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    assert len(await deliver(client)) == 1


async def test_a_router_alert_covers_the_site_incident_and_its_sent_varsel_is_not_sent_again(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    start = clock.now() - timedelta(minutes=5)
    [site_id] = await post(client, alert("fp-heimdal", start, element="no-cell-heimdal"))
    varsel_id = f"{site_id}.nkom_varsel"
    await send_first_varsel(client, clock, site_id)
    assert len(smtp.mailbox.received) == 1

    clock.advance(timedelta(minutes=3))
    [cover_id] = await post(
        client,
        alert("fp-core", clock.now(), element="no-core-trd"),
        alert("fp-lade", clock.now(), element="no-cell-lade"),
    )
    assert cover_id != site_id

    site = await get(client, f"/api/v1/incidents/{site_id}")
    assert site["merged_into"] == cover_id
    cover = await get(client, f"/api/v1/incidents/{cover_id}")
    cover_alerts = await alert_details(client, cover_id, VIEWER)
    assert sorted(a["fingerprint"] for a in cover_alerts) == [
        "fp-core",
        "fp-heimdal",
        "fp-lade",
    ]
    assert cover["absorbed"] == [site_id]
    assert cover["impact"]["current"] == 13_000  # each cell once, under the router once
    # The varsel sent for the site is the covering incident's first varsel: listed there,
    # not owed again; the next Nkom notice is an update (round 2), never a second first.
    listed = {(d["id"], d["state"]) for d in cover["drafts"]}
    assert (varsel_id, "sent") in listed
    nkom = [o for o in cover["obligations"] if o["kind"] == "nkom_varsel"]
    assert all(o["state"] != "drafted" for o in nkom), nkom
    assert not any(d["id"] == f"{cover_id}.nkom_varsel" for d in cover["drafts"])
    await deliver(client)
    assert len(smtp.mailbox.received) == 1  # nothing went out twice
    # the next Nkom notice is the update, following the varsel the site incident sent
    update = await get(client, f"/api/v1/drafts/{cover_id}.nkom_update")
    changes = {f["key"]: f["value"] for f in update["latest"]["fields"]}["changes"]
    assert changes.startswith("Forrige varsel ble sendt") and "5 000 → 13 000" in changes

    # the deadline queue lists the event once (the covering incident), never the site's
    queue = await get(client, "/api/v1/queue")
    assert not [item for item in queue["items"] if item["case"] == site_id]
    assert not [
        item
        for item in queue["items"]
        if item["kind"] == "nkom_varsel" and item.get("draft") == f"{cover_id}.nkom_varsel"
    ]

    # the figures count each connection once
    r = await client.get("/metrics")
    text = await r.text()
    mobile = [
        line
        for line in text.splitlines()
        if line.startswith("bridge_affected_connections{") and 'service="mobile"' in line
    ]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in mobile) == 13_000


async def test_a_person_merges_two_incidents_into_one_and_nothing_is_sent_twice(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """Two sites' incidents a person knows are one event: bad input is named and changes
    nothing; merged, the absorbed one points to the other, its unsent varsel is withdrawn,
    the varsel already sent stays the merged incident's first (never a second first), the
    merge and its reason are audited, and a rebuild from the store keeps it all."""
    start = clock.now() - timedelta(minutes=5)
    [host] = await post(client, alert("fp-heimdal", start, element="no-cell-heimdal"))
    await send_first_varsel(client, clock, host)
    clock.advance(timedelta(hours=2))
    [absorbed] = await post(client, alert("fp-lade", clock.now(), element="no-cell-lade"))
    assert absorbed != host
    assert (await get(client, f"/api/v1/drafts/{absorbed}.nkom_varsel"))["state"] == "draft"

    url = f"/api/v1/incidents/{absorbed}/merge"
    good = {"into": host, "reason": "Same fibre cut: Lade hangs off the Heimdal ring."}
    r = await client.post(url, json=good, headers=VIEWER)
    assert r.status == 403
    for body, field in (
        ({"into": host}, "reason"),
        ({**good, "reason": "  "}, "reason"),
        ({**good, "into": absorbed}, "into"),
        ({**good, "into": "inc-nope"}, "into"),
        ({"reason": "x"}, "into"),
        ({**good, "colour": "red"}, "colour"),
    ):
        r = await client.post(url, json=body, headers=EDITOR)
        assert r.status == 400, (body, await r.text())
        assert field in (await r.json())["detail"], body
    assert (await get(client, f"/api/v1/incidents/{absorbed}"))["merged_into"] is None

    r = await client.post(url, json=good, headers=EDITOR)
    assert r.status == 200, await r.text()
    assert await r.json() == {"merged": absorbed, "into": host}
    merged = await get(client, f"/api/v1/incidents/{absorbed}")
    assert merged["merged_into"] == host
    doc = await get(client, f"/api/v1/incidents/{host}")
    host_alerts = await alert_details(client, host, VIEWER)
    assert sorted(a["fingerprint"] for a in host_alerts) == ["fp-heimdal", "fp-lade"]
    assert doc["absorbed"] == [absorbed]
    states = {d["id"]: d["state"] for d in doc["drafts"]}
    assert states[f"{host}.nkom_varsel"] == "sent"
    assert (await get(client, f"/api/v1/drafts/{absorbed}.nkom_varsel"))["state"] == "withdrawn"
    await deliver(client)
    assert len(smtp.mailbox.received) == 1  # the one varsel, once

    r = await client.post(url, json=good, headers=EDITOR)  # again: merged already
    assert r.status == 409, await r.text()

    log = await get_as(client, "/api/v1/audit", AUDITOR)
    [entry] = [e for e in log["entries"] if e["action"] == "incident.merged"]
    assert entry["actor"] == "token:editor" and entry["target"] == f"incident:{absorbed}"
    assert entry["detail"]["into"] == host and entry["detail"]["reason"] == good["reason"]

    app = client.server.app
    assert app is not None
    await app[SERVICE]._rebuild()
    assert (await get(client, f"/api/v1/incidents/{absorbed}"))["merged_into"] == host
    clock.advance(timedelta(minutes=1))
    [joined] = await post(client, alert("fp-lade-2", clock.now(), element="no-cell-lade"))
    assert joined == host  # what later joins the absorbed site's incident joins the merged one


async def merged_past_the_horizon(
    client_for: Any, smtp: SmtpServer, clock: FakeClock, tmp_path: Path
) -> tuple[Path, TestClient[Any, Any], str, str, set[str]]:
    """B sends its Nkom varsel, A opens, a person merges B into A (memory_horizon 1h); the
    clock then lies past the horizon from B's start, before A's update falls due, A still
    open. The config, the client, A, B and the drafts there were once merged."""
    config = make_config(tmp_path, smtp, memory_horizon="1h")
    client = await client_for(config, manual_outbox=True)
    start = clock.now() - timedelta(minutes=5)
    [b] = await post(client, alert("fp-lade", start, element="no-cell-lade"))
    await send_first_varsel(client, clock, b)
    clock.advance(timedelta(minutes=10))
    [a] = await post(client, alert("fp-heimdal", clock.now(), element="no-cell-heimdal"))
    assert a != b
    r = await client.post(
        f"/api/v1/incidents/{b}/merge",
        json={"into": a, "reason": "Same fibre cut."},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()
    await deliver(client)
    drafts = await merged_as_before(client, a, b)
    clock.advance(timedelta(minutes=50))
    return config, client, a, b, drafts


async def merged_as_before(client: TestClient[Any, Any], a: str, b: str) -> set[str]:
    """A holds B, B's sent varsel is A's, nothing overdue; the ids of every draft."""
    doc = await get(client, f"/api/v1/incidents/{a}")
    assert doc["state"] == "open" and doc.get("absorbed") == [b], doc.get("absorbed")
    assert (f"{b}.nkom_varsel", "sent") in {(d["id"], d["state"]) for d in doc["drafts"]}
    varsel = [o for o in doc["obligations"] if o["kind"] == "nkom_varsel"]
    assert varsel and all(o["state"] == "sent" for o in varsel), varsel
    assert not [o for o in doc["obligations"] if o["state"] == "overdue"], doc["obligations"]
    assert (await get(client, f"/api/v1/incidents/{b}"))["merged_into"] == a
    queue = await get(client, "/api/v1/queue")
    assert not [i for i in queue["items"] if i["case"] == b or i["state"] == "overdue"]
    return {d["id"] for d in (await get(client, "/api/v1/drafts"))["drafts"]}


async def test_a_merged_away_incident_stays_in_memory_while_its_host_is_live(
    client_for: Any, smtp: SmtpServer, clock: FakeClock, tmp_path: Path
) -> None:
    """Past the memory horizon from B's start, with A live, a tick keeps B in memory, merged
    into A: A's varsel still counts as sent, nothing turns overdue, nothing is drafted."""
    _, client, a, b, drafts = await merged_past_the_horizon(client_for, smtp, clock, tmp_path)
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    assert await merged_as_before(client, a, b) == drafts
    assert b in app[SERVICE].engine.incidents
    assert len(await deliver(client)) == 0
    assert len(smtp.mailbox.received) == 1  # the one varsel, once


async def test_a_restart_brings_a_merged_incident_back_whole_past_the_memory_horizon(
    client_for: Any, smtp: SmtpServer, clock: FakeClock, tmp_path: Path
) -> None:
    """Past the memory horizon from B's start, with A live, the app restarts on the same
    store: the same merged incident, B's sent varsel counted as A's, no draft opened anew."""
    config, client, a, b, drafts = await merged_past_the_horizon(client_for, smtp, clock, tmp_path)
    await client.close()
    again = await client_for(config, manual_outbox=True)
    assert await merged_as_before(again, a, b) == drafts
    app = again.server.app
    assert app is not None
    await app[SERVICE].tick()
    assert await merged_as_before(again, a, b) == drafts
    assert len(await deliver(again)) == 0
    assert len(smtp.mailbox.received) == 1  # the one varsel, once


async def test_a_person_splits_an_alert_out_of_an_incident(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """An OLT alert that was a separate event from the cell's at the same site: split out,
    it forms an incident of its own (named in the answer), the cell's stays; bad input is
    named and changes nothing; the split is audited and survives a rebuild."""
    start = clock.now() - timedelta(minutes=5)
    [incident] = await post(
        client,
        alert("fp-cell", start, element="no-cell-heimdal"),
        alert("fp-olt", start, element="no-olt-heimdal"),
    )
    url = f"/api/v1/incidents/{incident}/split"
    good = {"alerts": ["fp-olt"], "reason": "The OLT was in planned maintenance."}
    for body, field in (
        ({"alerts": ["fp-olt"]}, "reason"),
        ({**good, "alerts": "fp-olt"}, "alerts"),
        ({**good, "alerts": ["fp-nope"]}, "alerts"),
        ({**good, "alerts": ["fp-olt", "fp-cell"]}, "alerts"),
        ({**good, "alerts": []}, "alerts"),
    ):
        r = await client.post(url, json=body, headers=EDITOR)
        assert r.status == 400, (body, await r.text())
        assert field in (await r.json())["detail"], body
    r = await client.post(url, json=good, headers=EDITOR)
    assert r.status == 200, await r.text()
    taken = (await r.json())["split_into"]
    assert taken != incident
    left = await alert_details(client, incident, VIEWER)
    assert [a["fingerprint"] for a in left] == ["fp-cell"]
    split_off = await alert_details(client, taken, VIEWER)
    assert [a["fingerprint"] for a in split_off] == ["fp-olt"]
    log = await get_as(client, "/api/v1/audit", AUDITOR)
    [entry] = [e for e in log["entries"] if e["action"] == "incident.split"]
    assert entry["detail"]["alerts"] == ["fp-olt"] and entry["target"] == f"incident:{incident}"

    app = client.server.app
    assert app is not None
    await app[SERVICE]._rebuild()
    again = await alert_details(client, taken, VIEWER)
    assert [a["fingerprint"] for a in again] == ["fp-olt"]


async def get_as(client: TestClient[Any, Any], path: str, headers: dict[str, str]) -> Any:
    r = await client.get(path, headers=headers)
    assert r.status == 200, await r.text()
    return await r.json()


async def test_a_person_merges_into_an_incident_by_the_number_everyone_sees(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The console shows incidents by number (#2): "into" takes ``#2`` or ``2`` as well as the
    id; a number no incident in memory carries is a 400 naming ``into`` and the number."""
    start = clock.now() - timedelta(minutes=5)
    [host] = await post(client, alert("fp-heimdal", start, element="no-cell-heimdal"))
    clock.advance(timedelta(minutes=10))
    [absorbed] = await post(client, alert("fp-lade", clock.now(), element="no-cell-lade"))
    number = (await get(client, f"/api/v1/incidents/{host}"))["number"]
    url = f"/api/v1/incidents/{absorbed}/merge"
    r = await client.post(url, json={"into": "#999", "reason": "same cut"}, headers=EDITOR)
    assert r.status == 400, await r.text()
    detail = (await r.json())["detail"]
    assert "into" in detail and "#999" in detail
    for odd in ("#²", "#" + "9" * 5000):  # a digit int() refuses; more digits than it takes
        r = await client.post(url, json={"into": odd, "reason": "same cut"}, headers=EDITOR)
        assert r.status == 400, await r.text()
        assert "into" in (await r.json())["detail"]
    r = await client.post(url, json={"into": f"#{number}", "reason": "same cut"}, headers=EDITOR)
    assert r.status == 200, await r.text()
    assert await r.json() == {"merged": absorbed, "into": host}
