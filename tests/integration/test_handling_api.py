"""The deadline queue and people's handling of incidents over HTTP (bridge/web/api/queue.py,
bridge/web/api/handling.py): the queue's order and plain words, the incidents' numbers and
titles, acknowledging, assigning, notes, the one timeline (JSON and CSV); bad input a 400
naming the field with nothing written; roles as docs/security.md says."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import WEBHOOK_TOKEN, add_user, alert, token_auth, webhook, write_config
from builders import bearer_for as as_
from http_answers import ok

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
ROLES = {
    "viewer": ["viewer"],
    "editor": ["editor"],
    "p-editor": ["editor:privacy"],
    "p-viewer": ["viewer:privacy"],
}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        extra={
            "auth": token_auth(ROLES),
            "console": {"time_zone": "Europe/Oslo"},
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "Dataskydd", "phone": "+46 10 000 00 00", "email": "d@ex.net"},
            },
            "privacy": {"subscriber_notice_recipient": "kund@example.net"},
        },
    )


async def bad(response: Any, field: str, status: int = 400) -> None:
    assert response.status == status, await response.text()
    body = await response.json()
    assert field in body["detail"] or body.get("field") == field, body


async def incidents(client: Any, clock: Any) -> tuple[str, str]:
    """Two reportable Oslo incidents (apart by their ``incident`` label): a hospital cell down
    for 2 h (its varsel overdue) and, newer, an OLT with an alert summary (its varsel due in
    55 min)."""
    old = clock.now() - timedelta(hours=2)
    new = clock.now() - timedelta(minutes=5)
    await ok(
        await client.post(
            "/api/v1/alertmanager",
            json=webhook(
                alert("fp-old", old, element="no-cell-ullevaal", severity="major", incident="a")
            ),
            headers=HOOK,
        )
    )
    summary = {"summary": "Fiberbrudd Oslo sentrum"}
    await ok(
        await client.post(
            "/api/v1/alertmanager",
            json=webhook(
                alert(
                    "fp-new",
                    new,
                    element="no-olt-oslo-1",
                    severity="major",
                    incident="b",
                    annotations=summary,
                )
            ),
            headers=HOOK,
        )
    )
    listed = await ok(await client.get("/api/v1/incidents", headers=as_("viewer")))
    by_alert = {i["alerts"][0]: i["id"] for i in listed["incidents"]}
    return by_alert["fp-old"], by_alert["fp-new"]


async def test_queue_is_nearest_due_first_overdue_on_top_in_plain_words(client, clock):
    """The queue lists the overdue varsel first, then the one due soon, then what waits for
    an event; each in plain words, only regulators that apply to Norway."""
    old, new = await incidents(client, clock)
    body = await ok(await client.get("/api/v1/queue", headers=as_("viewer")))
    items = body["items"]
    dated = [i for i in items if i["due_at"]]
    assert [(i["case"], i["kind"]) for i in dated[:2]] == [
        (old, "nkom_varsel"),
        (new, "nkom_varsel"),
    ]
    assert dated[0]["overdue"] is True and dated[0]["seconds_left"] < 0
    assert dated[1]["overdue"] is False and 0 < dated[1]["seconds_left"] <= 3600
    assert dated[0]["report"] == "Nkom – første varsel"
    assert dated[0]["country"] == "NO" and dated[0]["regulator_name"] == "Nkom"
    assert {i["regulator"] for i in items} == {"nkom"}  # no PTS, no ENISA for Norway
    waiting = [i for i in items if not i["due_at"]]
    assert waiting and all(i["waiting_for"] and "_" not in i["waiting_for"] for i in waiting)
    assert dated[0]["draft"]["state"] == "draft"
    assert dated[1]["title"] == "Fiberbrudd Oslo sentrum"
    dues = [i["due_at"] for i in dated]
    assert dues == sorted(dues)


async def test_incidents_are_numbered_in_start_order_and_named(client, clock):
    """The first listing numbers the incidents oldest first; the titles come from the alert
    summary, else the top element; the numbers stay."""
    old, new = await incidents(client, clock)
    listed = await ok(await client.get("/api/v1/incidents", headers=as_("viewer")))
    by_id = {i["id"]: i for i in listed["incidents"]}
    assert (by_id[old]["number"], by_id[new]["number"]) == (1, 2)
    assert by_id[new]["title"] == "Fiberbrudd Oslo sentrum"
    assert by_id[new]["title_source"] == "alerts"
    assert by_id[old]["title_source"] == "element" and "Oslo" in by_id[old]["title"]
    doc = await ok(await client.get(f"/api/v1/incidents/{old}", headers=as_("viewer")))
    assert doc["number"] == 1 and doc["notes"] == [] and doc["applies"] == ["nkom"]


async def test_rename_ack_assign_and_note_are_audited(client, clock):
    """An editor token renames, acknowledges, assigns and notes; each change is one audit
    entry under its name; the incident and the queue show them; empty title goes back."""
    store = client.server.app[SERVICE].store
    await add_user(store, "olga", ["viewer"])
    old, _ = await incidents(client, clock)
    url = f"/api/v1/incidents/{old}"
    got = await ok(
        await client.post(f"{url}/title", json={"title": "Ullevål"}, headers=as_("editor"))
    )
    assert got["title"] == "Ullevål" and got["title_source"] == "person"
    got = await ok(await client.post(f"{url}/ack", json={}, headers=as_("editor")))
    assert got["acknowledged"]["by"] == "token:editor"
    again = await ok(await client.post(f"{url}/ack", json={}, headers=as_("editor")))
    assert again["acknowledged"] == got["acknowledged"]
    got = await ok(
        await client.post(f"{url}/assign", json={"assignee": "olga"}, headers=as_("editor"))
    )
    assert got["assignee"]["name"] == "olga"
    got = await ok(
        await client.post(f"{url}/notes", json={"text": "Ringte Telenor"}, headers=as_("editor")),
        201,
    )
    assert [n["text"] for n in got["notes"]] == ["Ringte Telenor"]
    doc = await ok(await client.get(url, headers=as_("viewer")))
    assert doc["title"] == "Ullevål" and doc["assignee"]["name"] == "olga"
    queue = await ok(await client.get("/api/v1/queue", headers=as_("viewer")))
    mine = [i for i in queue["items"] if i["case"] == old]
    assert mine[0]["assignee"]["name"] == "olga" and mine[0]["title"] == "Ullevål"
    log = await store.audit_log(target=f"incident:{old}")
    assert [e.action for e in log] == [
        "incident.noted",
        "incident.assigned",
        "incident.acknowledged",
        "incident.renamed",
    ]
    assert {e.actor for e in log} == {"token:editor"}
    assert "Ringte" not in str(log[0].detail)  # the note's text is in the casebook only
    back = await ok(await client.post(f"{url}/title", json={"title": ""}, headers=as_("editor")))
    assert back["title_source"] == "element"
    gone = await ok(
        await client.post(f"{url}/assign", json={"assignee": None}, headers=as_("editor"))
    )
    assert gone["assignee"] is None


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("title", {"title": "x" * 121}, "title"),
        ("title", {"title": "a\x07b"}, "title"),
        ("title", {}, "title"),
        ("title", {"title": 5}, "title"),
        ("assign", {"assignee": "nobody"}, "assignee"),
        ("assign", {"assignee": 3}, "assignee"),
        ("assign", {}, "assignee"),
        ("notes", {"text": "   "}, "text"),
        ("notes", {"text": "y" * 4001}, "text"),
        ("notes", {}, "text"),
        ("notes", [], "body"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(client, clock, path, body, field):
    """A bad field is a 400 naming it; nothing is written (no casebook record, no audit)."""
    old, _ = await incidents(client, clock)
    store = client.server.app[SERVICE].store
    before = await store.get_casebook(old)
    response = await client.post(
        f"/api/v1/incidents/{old}/{path}", json=body, headers=as_("editor")
    )
    await bad(response, field)
    assert await store.get_casebook(old) == before
    assert await store.audit_log(target=f"incident:{old}") == []


async def test_roles_and_unknown_incidents(client, clock):
    """A viewer may not change; an unknown incident is a 404; a privacy id is refused to an
    outage role (403) and has no casebook for a privacy role (404)."""
    old, _ = await incidents(client, clock)
    response = await client.post(f"/api/v1/incidents/{old}/ack", json={}, headers=as_("viewer"))
    assert response.status == 403
    response = await client.post("/api/v1/incidents/nope/ack", json={}, headers=as_("editor"))
    assert response.status == 404
    priv = "/api/v1/incidents/priv-20261123-abc/notes"
    assert (await client.post(priv, json={"text": "x"}, headers=as_("editor"))).status == 403
    assert (await client.post(priv, json={"text": "x"}, headers=as_("p-editor"))).status == 404


async def test_timeline_merges_alerts_bridge_and_people_and_exports_csv(client, clock):
    """The timeline holds the alert, the verdict, the obligation, the draft opened, the note,
    the acknowledgement and the assignment, in time order; CSV has the same events."""
    store = client.server.app[SERVICE].store
    await add_user(store, "olga", ["viewer"])
    old, _ = await incidents(client, clock)
    url = f"/api/v1/incidents/{old}"
    await ok(await client.post(f"{url}/ack", json={}, headers=as_("editor")))
    await ok(await client.post(f"{url}/assign", json={"assignee": "olga"}, headers=as_("editor")))
    await ok(await client.post(f"{url}/notes", json={"text": "=cmd()"}, headers=as_("editor")), 201)
    body = await ok(await client.get(f"{url}/timeline", headers=as_("viewer")))
    kinds = [e["kind"] for e in body["events"]]
    for kind in ("alert", "reportable", "obligation", "draft", "note", "acknowledged", "assigned"):
        assert kind in kinds, (kind, kinds)
    ats = [e["at"] for e in body["events"]]
    assert ats == sorted(ats)
    reportable = [e for e in body["events"] if e["kind"] == "reportable"]
    assert [e["summary"] for e in reportable] == ["reportable to Nkom"]
    obligation = [e["summary"] for e in body["events"] if e["kind"] == "obligation"]
    assert "Nkom – første varsel: owed" in obligation
    assert "Nkom – oppdatering: owed once the impact changes significantly" in obligation
    chart = body["chart"]
    assert chart["reportable"][0]["regulator"] == "nkom"
    assert {t["regulator"] for t in chart["thresholds"]} <= {"nkom"}
    assert chart["points"] and chart["services"]
    response = await client.get(f"{url}/timeline?format=csv", headers=as_("viewer"))
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0] == ["at", "kind", "actor", "regulator", "summary"]
    assert len(rows) == len(body["events"]) + 1
    assert [r[4] for r in rows if r[1] == "note"] == ["'=cmd()"]
    await bad(await client.get(f"{url}/timeline?format=xml", headers=as_("viewer")), "format")


async def test_queue_shows_each_caller_its_own_tracks_and_audits_privacy(client, clock):
    """A privacy case's reports are in the queue of a privacy viewer (its id and what is owed,
    no contents; the read audited), never in an outage viewer's; the outage incidents are not
    in the privacy viewer's."""
    await incidents(client, clock)
    body = {
        "detected_at": (clock.now() - timedelta(minutes=20)).isoformat().replace("+00:00", "Z"),
        "jurisdictions": ["SE"],
        "description": "Stolen laptop with call-detail records of Karin Svensson",
        "affected": 12,
    }
    case = await ok(
        await client.post("/api/v1/privacy/cases", json=body, headers=as_("p-editor")), 201
    )
    outage = await ok(await client.get("/api/v1/queue", headers=as_("viewer")))
    assert {i["track"] for i in outage["items"]} == {"outage"}
    privacy = await ok(await client.get("/api/v1/queue", headers=as_("p-viewer")))
    assert {i["track"] for i in privacy["items"]} == {"privacy"}
    assert {i["case"] for i in privacy["items"]} == {case["id"]}
    assert "Karin" not in str(privacy)
    first = privacy["items"][0]
    assert first["due_at"] and first["report"].startswith("PTS – ")
    store = client.server.app[SERVICE].store
    reads = await store.audit_log(target=f"privacy:{case['id']}")
    read = [(e.action, e.actor, e.detail["path"]) for e in reads if e.action == "privacy.read"]
    assert read == [("privacy.read", "token:p-viewer", "/api/v1/queue")]


async def test_the_grouped_timeline_stands_for_every_alert_and_the_default_lists_each(
    client, clock
):
    """``?view=grouped`` (the incident page's): 30 alerts on an OLT within half a minute are two
    events (the verdict at the first one's instant splits them), the other events as in the
    default view, which
    (with its CSV, the export) still lists every alert; a bad ``view`` is a 400 naming it."""
    start = (clock.now() - timedelta(minutes=10)).replace(second=0, microsecond=0)
    many = [
        alert(f"fp-{n:02d}", start + timedelta(seconds=n), element="no-olt-oslo-1", port=str(n))
        for n in range(30)
    ]
    await ok(await client.post("/api/v1/alertmanager", json=webhook(*many), headers=HOOK))
    (listed,) = (await ok(await client.get("/api/v1/incidents", headers=as_("viewer"))))[
        "incidents"
    ]
    url = f"/api/v1/incidents/{listed['id']}"
    await ok(await client.post(f"{url}/notes", json={"text": "on it"}, headers=as_("editor")), 201)
    every = (await ok(await client.get(f"{url}/timeline", headers=as_("viewer"))))["events"]
    body = await ok(await client.get(f"{url}/timeline?view=grouped", headers=as_("viewer")))
    grouped = body["events"]
    # the first alert made it reportable at once: the verdict's events split it off
    alone, group = [e for e in grouped if e["kind"] == "alert"]
    assert (alone["count"], alone["summary"]) == (1, "Down on no-olt-oslo-1 firing")
    assert group["count"] == 29 and group["fingerprints"] == [f"fp-{n:02d}" for n in range(1, 6)]
    assert group["summary"] == "29 alerts firing (olt): Down on no-olt-oslo-1"
    each = [e["at"] for e in every if e["kind"] == "alert"]
    assert len(each) == 30
    assert (group["at"], group["until"]) == (each[1], each[29])
    kinds = [e["kind"] for e in grouped]
    assert kinds.index("reportable") < kinds.index("alert", 1)
    rest = [e for e in every if e["kind"] not in ("alert", "impact")]
    assert rest and rest == [e for e in grouped if e["kind"] not in ("alert", "impact")]
    assert body["chart"]["points"]
    response = await client.get(f"{url}/timeline?view=grouped&format=csv", headers=as_("viewer"))
    assert len(list(csv.reader(io.StringIO(await response.text())))) == len(grouped) + 1
    await bad(await client.get(f"{url}/timeline?view=short", headers=as_("viewer")), "view")
