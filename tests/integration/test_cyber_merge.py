"""A declaration of significance (the Swedish cybersecurity act) and a regulator's request
follow the incident they were made on into the incident it is merged into, through the app's
factory with an injected clock. A site incident declared significant and then covered by a
core router's alert: the covering incident owes the early warning and the notification by the
same deadlines (aware at the site's instant), drafted there, and keeps them across a restart.
A person merges a declared incident whose early warning was submitted into one declared not
significant: the host is significant from the earliest awareness, the submitted early warning
is its own (never drafted again), the CSIRT's request stands, its own later declaration cannot
delay or stop the clock, and splitting the alert out again leaves the duties where they run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from builders import alert, rfc3339
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person
from test_cyber_declaration import (
    AUDITOR,
    EDITOR,
    HOOK,
    VIEWER,
    approve,
    cyber_config,
    cyber_drafts,
    cyber_kinds,
    hospital_cell_down,
    incident,
)

from bridge.web.keys import SERVICE


async def declare(
    client: TestClient[Any, Any], clock: FakeClock, incident_id: str, **body: Any
) -> Any:
    return await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json=body,
        headers=await person(client, clock.now, "anna", ["approver"]),
    )


async def queue_cyber(client: TestClient[Any, Any]) -> dict[tuple[str, str], str | None]:
    r = await client.get("/api/v1/queue", headers=VIEWER)
    assert r.status == 200, await r.text()
    return {
        (i["case"], i["kind"]): i.get("due_at")
        for i in (await r.json())["items"]
        if i["kind"].startswith("se_cyber_")
    }


async def test_a_covered_site_incidents_declaration_carries_to_the_covering_incident(
    client_for: Any, clock: FakeClock, tmp_path: Path
) -> None:
    config = cyber_config(tmp_path)
    client = await client_for(config)
    site = await hospital_cell_down(client, clock)
    aware = clock.now() - timedelta(minutes=2)
    r = await declare(client, clock, site, significant=True, aware_at=rfc3339(aware))
    assert r.status == 200, await r.text()
    site_warning = (await cyber_drafts(client, site))["se_cyber_early_warning"]
    written = "Nej, strömavbrott i Östersund."
    r = await client.patch(
        f"/api/v1/drafts/{site_warning['id']}",
        json={"version": site_warning["version"], "fields": {"suspected_malicious": written}},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()

    clock.advance(timedelta(minutes=3))
    body = make_webhook(
        alert("fp-core", clock.now(), element="se-core-sto"),
        alert("fp-berg", clock.now(), element="se-cell-berg-1"),
    )
    r = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
    assert r.status == 200, await r.text()
    cover = (await incident(client, site))["merged_into"]
    assert cover and cover != site

    async def owed_by_the_cover(client: TestClient[Any, Any]) -> None:
        doc = await incident(client, cover)
        owed = cyber_kinds(doc)
        assert owed["se_cyber_early_warning"]["due_at"] == rfc3339(aware + timedelta(hours=24))
        assert owed["se_cyber_notification"]["due_at"] == rfc3339(aware + timedelta(hours=72))
        declared = doc["declaration"]
        assert declared["significant"] and declared["aware_at"] == aware.isoformat()
        assert declared["incident"] == site and declared["by"] == "anna"  # who, on which
        assert doc["cyber"][0]["declaration"]["significant"]
        drafts = {d["kind"]: d for d in doc["drafts"] if d["id"].startswith(cover)}
        assert drafts["se_cyber_early_warning"]["state"] == "draft"
        assert drafts["se_cyber_notification"]["state"] == "draft"
        queued = await queue_cyber(client)
        assert queued[(cover, "se_cyber_early_warning")] == rfc3339(aware + timedelta(hours=24))
        assert not [k for k in queued if k[0] == site]

    await owed_by_the_cover(client)
    # the site's unsent draft gives way to the cover's, saying where the duty went; what a
    # person wrote in it is where the report is now
    r = await client.get(f"/api/v1/drafts/{site_warning['id']}", headers=VIEWER)
    gone = await r.json()
    assert gone["state"] == "withdrawn" and cover in gone["flag"], gone
    r = await client.get(f"/api/v1/drafts/{cover}.se_cyber_early_warning", headers=VIEWER)
    fields = {f["key"]: f for f in (await r.json())["latest"]["fields"]}
    assert fields["suspected_malicious"]["value"] == written
    assert not fields["suspected_malicious"]["to_complete"]

    app = client.server.app
    assert app is not None
    await app[SERVICE]._rebuild()
    await owed_by_the_cover(client)
    await client.close()
    again = await client_for(config)  # a restart on the same store
    await owed_by_the_cover(again)


async def test_a_person_merges_a_declared_incident_into_one_declared_not_significant(
    client_for: Any, clock: FakeClock, tmp_path: Path
) -> None:
    client = await client_for(cyber_config(tmp_path))
    declared = await hospital_cell_down(client, clock)
    aware = clock.now() - timedelta(minutes=2)  # the cell went down a minute before
    r = await declare(client, clock, declared, significant=True, aware_at=rfc3339(aware))
    assert r.status == 200, await r.text()
    warning = (await cyber_drafts(client, declared))["se_cyber_early_warning"]
    await approve(client, clock, warning)
    r = await client.post(
        f"/api/v1/drafts/{warning['id']}/submission",
        json={"reference": "CP-1"},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    deadline = clock.now() + timedelta(days=3)
    r = await client.post(
        f"/api/v1/incidents/{declared}/report-requests",
        json={"deadline": rfc3339(deadline), "reference": "CERT-SE 1"},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()

    clock.advance(timedelta(minutes=5))
    body = make_webhook(alert("fp-berg", clock.now(), element="se-cell-berg-1"))
    [host] = (await (await client.post("/api/v1/alertmanager", json=body, headers=HOOK)).json())[
        "incidents"
    ]
    assert host != declared
    r = await client.post(
        f"/api/v1/incidents/{host}/declaration",
        json={"significant": False, "reason": "Berg's cell has a fallback."},
        headers=await person(client, clock.now, "bob", ["approver"]),
    )
    assert r.status == 200, await r.text()
    assert cyber_kinds(await r.json()) == {}

    r = await client.post(
        f"/api/v1/incidents/{declared}/merge",
        json={"into": host, "reason": "One power cut in Jämtland."},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()

    async def owed_by_the_host(client: TestClient[Any, Any]) -> dict[str, Any]:
        doc = await incident(client, host)
        assert doc["declaration"]["significant"] and doc["declaration"]["by"] == "anna"
        assert doc["declaration"]["aware_at"] == aware.isoformat()
        said = {(d["incident"], d["by"], d["significant"]) for d in doc["declarations"]}
        assert said == {(declared, "anna", True), (host, "bob", False)}  # who declared what
        owed = cyber_kinds(doc)
        assert owed["se_cyber_early_warning"]["state"] == "sent"  # the merged one's
        assert owed["se_cyber_notification"]["due_at"] == rfc3339(aware + timedelta(hours=72))
        assert owed["se_cyber_intermediate"]["due_at"] == rfc3339(deadline)
        assert [q["reference"] for q in doc["report_requests"]] == ["CERT-SE 1"]
        kinds = {(d["id"], d["state"]) for d in doc["drafts"]}
        assert (warning["id"], "sent") in kinds
        assert not [d for d in doc["drafts"] if d["id"] == f"{host}.se_cyber_early_warning"]
        assert (f"{host}.se_cyber_notification", "draft") in kinds
        return doc

    await owed_by_the_host(client)
    # the host's own declaration can neither stop nor delay the clock; earlier, it may
    r = await client.post(
        f"/api/v1/incidents/{host}/declaration",
        json={"significant": False, "reason": "still no"},
        headers=await person(client, clock.now, "bob", ["approver"]),
    )
    assert r.status == 409 and declared in (await r.json())["detail"]
    r = await declare(client, clock, host, significant=True)  # aware now: later
    assert r.status == 409, await r.text()
    # nor is anything declared on the merged-away incident: the host is named
    r = await declare(client, clock, declared, significant=True, aware_at=rfc3339(aware))
    assert r.status == 409 and host in (await r.json())["detail"]
    log = await (await client.get("/api/v1/audit", headers=AUDITOR)).json()
    assert len([e for e in log["entries"] if e["action"] == "incident.declared"]) == 2

    app = client.server.app
    assert app is not None
    await app[SERVICE]._rebuild()
    await owed_by_the_host(client)

    # a person splits the declared incident's alert out again: the host's clocks run on (once
    # significant, never stopped); the alert's new incident is for a person to declare
    r = await client.post(
        f"/api/v1/incidents/{host}/split",
        json={"alerts": ["fp-sjukhus"], "reason": "Separate after all."},
        headers=EDITOR,
    )
    assert r.status == 200, await r.text()
    taken = (await r.json())["split_into"]
    doc = await incident(client, host)
    assert cyber_kinds(doc)["se_cyber_notification"]["due_at"] == rfc3339(
        aware + timedelta(hours=72)
    )
    split_off = await incident(client, taken)
    assert cyber_kinds(split_off) == {} and split_off["cyber"][0]["declaration"] is None
