"""Nkom's hendelsesrapport on request through the app's factory, with a real SMTP server
(aiosmtpd on loopback) and an injected clock: an editor records Nkom's request (received,
Nkom's deadline, Nkom's reference) on an incident, reportable or not, open or closed; the
report is then owed by that deadline and drafted in bokmål with every section of Nkom's template,
prefilled from the incident and the notices already sent; a person writes the measures and
lessons, a signed-in approver with a fresh TOTP approves it, and it is e-mailed to Nkom like
the varsel. Bad input is a 400 naming the field and changes nothing; the request is audited and
survives a rebuild from the store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person
from smtp_server import SmtpServer

from bridge.core import hendelsesrapport
from bridge.core.drafts import local_time
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
TOKENS = {
    "viewer": "test-token-for-viewer",
    "editor": "test-token-for-editor",
    "auditor": "test-token-for-auditor",
}
ROLES = {"viewer": ["viewer"], "editor": ["editor"], "auditor": ["viewer", "auditor"]}
KIND = "nkom_hendelsesrapport"
pytestmark = pytest.mark.manual_outbox  # the tests run the outbox themselves (deliver())

# Two OLTs in Trondheim: the small one going down reaches no Nkom criterion (not societal, no
# 112, no wholesale, far under half the kommune's connections), so it is not reportable.
INVENTORY = """
regions:
  NO-5001: Trondheim
elements:
  - {id: no-site-heimdal, parent: null, kind: site, jurisdiction: "NO", region: NO-5001}
  - {id: no-olt-heimdal-1, parent: no-site-heimdal, kind: olt, jurisdiction: "NO",
     region: NO-5001, connections: {internet: 300}}
  - {id: no-olt-heimdal-2, parent: no-site-heimdal, kind: olt, jurisdiction: "NO",
     region: NO-5001, connections: {internet: 9000}}
  - {id: no-cell-st-olav, parent: no-site-heimdal, kind: cell, jurisdiction: "NO",
     region: NO-5001, connections: {mobile: 5000}, societal: true, emergency_112: true}
"""


def as_(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


@pytest.fixture
def config_path(tmp_path: Path, smtp: SmtpServer) -> Path:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    return write_config(
        tmp_path,
        inventory=inventory,
        extra={
            "regulators": {"nkom": {"rule_set": "nkom-varsel"}},
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [
                    {"name": who, "token": TOKENS[who], "roles": ROLES[who]} for who in TOKENS
                ],
                "session": {"cookie_secure": False},
            },
            "operator": {
                "name": "Exempel Nett AS",
                "org_number": "999 000 000",
                "contact": {
                    "name": "Vakthavende NOC",
                    "phone": "+47 22 00 00 00",
                    "email": "noc@example.net",
                },
            },
            "notices": {
                "archive_dir": str(tmp_path / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "1h",
            },
            "smtp": smtp.smtp_config(),
        },
    )


async def post_alerts(client: TestClient[Any, Any], *alerts: dict[str, Any]) -> list[str]:
    r = await client.post("/api/v1/alertmanager", json=make_webhook(*alerts), headers=HOOK)
    assert r.status == 200, await r.text()
    return list((await r.json())["incidents"])


async def incident(client: TestClient[Any, Any], incident_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/incidents/{incident_id}", headers=as_("viewer"))
    assert r.status == 200, await r.text()
    return dict(await r.json())


async def draft(client: TestClient[Any, Any], draft_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/drafts/{draft_id}", headers=as_("viewer"))
    assert r.status == 200, await r.text()
    return dict(await r.json())


async def tick(client: TestClient[Any, Any]) -> None:
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()


async def deliver(client: TestClient[Any, Any]) -> list[Any]:
    app = client.server.app
    assert app is not None
    return await app[SERVICE].outbox.deliver_due()


def owed(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in doc["obligations"]}


async def test_nkom_asks_after_a_closed_incident_that_was_never_reportable(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Not reportable, closed: nothing owed until an editor records Nkom's request; bad input
    is named and changes nothing; then the hendelsesrapport is owed by Nkom's deadline and
    drafted, its request and the facts prefilled, and the request is audited."""
    start = clock.now() - timedelta(minutes=10)
    [incident_id] = await post_alerts(client, alert("fp-1", start, element="no-olt-heimdal-1"))
    clock.advance(timedelta(minutes=20))
    end = clock.now()
    await post_alerts(
        client,
        alert("fp-1", start, status="resolved", ends_at=end, element="no-olt-heimdal-1"),
    )
    clock.advance(timedelta(hours=1))  # past the quiet period: closed
    await tick(client)
    doc = await incident(client, incident_id)
    assert doc["state"] == "closed"
    assert not any(a["reportable"] for a in doc["assessments"])
    assert owed(doc) == {} and doc["drafts"] == []

    url = f"/api/v1/incidents/{incident_id}/report-requests"
    deadline = clock.now() + timedelta(days=14)
    good = {
        "kind": KIND,
        "received_at": rfc3339(clock.now() - timedelta(hours=1)),
        "deadline": rfc3339(deadline),
        "reference": "2026/04117",
    }
    r = await client.post(url, json=good, headers=as_("viewer"))
    assert r.status == 403
    for body, field in (
        ({**good, "kind": "nkom_varsel"}, "kind"),
        ({**good, "kind": 7}, "kind"),
        ({**good, "deadline": "in two weeks"}, "deadline"),
        ({**good, "deadline": rfc3339(clock.now() - timedelta(hours=2))}, "deadline"),
        ({**good, "received_at": rfc3339(clock.now() + timedelta(hours=1))}, "received_at"),
        ({**good, "reference": "a\nb"}, "reference"),
        ({**good, "colour": "red"}, "colour"),
    ):
        r = await client.post(url, json=body, headers=as_("editor"))
        assert r.status == 400, (body, await r.text())
        assert field in (await r.json())["detail"], body
    assert owed(await incident(client, incident_id)) == {}

    r = await client.post(url, json=good, headers=as_("editor"))
    assert r.status == 200, await r.text()
    doc = await r.json()
    obligation = owed(doc)[KIND]
    assert obligation["due_at"] == rfc3339(deadline) and obligation["state"] == "drafted"
    assert doc["report_requests"][0]["reference"] == "2026/04117"
    assert "declaration" not in doc  # no one declared anything: Nkom needs no declaration
    [summary] = [d for d in doc["drafts"] if d["kind"] == KIND]
    assert summary["recipient"] == "ekomvarsling@nkom.no"
    fields = {f["key"]: f for f in (await draft(client, summary["id"]))["latest"]["fields"]}
    assert list(fields) == list(hendelsesrapport.FIELD_KEYS)
    assert "Nkoms referanse: 2026/04117" in fields["request"]["value"]
    # where the fault was is a person's; the customers' kommune is the geography's
    assert fields["where"]["value"] == "" and fields["where"]["to_complete"]
    assert "Trondheim" in fields["geography"]["value"]
    assert fields["duration"]["value"].startswith("30 minutter: fra ")
    assert fields["notices_sent"]["value"] == (
        "Det er ikke sendt varsel om hendelsen til myndigheter."
    )
    assert {k for k, f in fields.items() if f["to_complete"]} >= set(hendelsesrapport.PERSON)
    # the console shows Nkom's own labels, and for every answer left to a person what to write
    assert {k: f["label"] for k, f in fields.items()} == dict(hendelsesrapport.LABELS)
    for key, f in fields.items():
        if f["to_complete"]:
            assert f["hint"] == hendelsesrapport.TO_ADD[key], key

    # a rebuild from the store (as at a restart): the request and its obligation are still there
    app = client.server.app
    assert app is not None
    await app[SERVICE]._rebuild()
    rebuilt = await incident(client, incident_id)
    assert owed(rebuilt)[KIND]["due_at"] == rfc3339(deadline)
    assert rebuilt["report_requests"] == doc["report_requests"]

    log = await (await client.get("/api/v1/audit", headers=as_("auditor"))).json()
    [entry] = [e for e in log["entries"] if e["action"] == "incident.report_requested"]
    assert entry["actor"] == "token:editor" and entry["detail"]["kind"] == KIND
    assert entry["target"] == f"incident:{incident_id}"


async def test_requested_after_the_varsel_was_sent_drafted_approved_and_emailed(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """A reportable incident whose varsel was e-mailed: Nkom's request opens a hendelsesrapport
    listing that varsel (when, to whom, how); a person writes the measures and lessons, an
    approver with a fresh TOTP approves naming what is still unknown, and Nkom receives it by
    e-mail with every section of its template."""
    [incident_id] = await post_alerts(
        client,
        alert(
            "fp-st-olav",
            clock.now() - timedelta(minutes=5),
            element="no-cell-st-olav",
            severity="major",
            annotations={"cause": "Fiberbrudd ved Heimdal etter gravearbeid."},
        ),
    )
    varsel_id = f"{incident_id}.nkom_varsel"
    varsel = await draft(client, varsel_id)
    unknown = [f["key"] for f in varsel["latest"]["fields"] if f["to_complete"]]
    r = await client.post(
        f"/api/v1/drafts/{varsel_id}/approve",
        json={"version": varsel["version"], "send_unknown": unknown},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    [done] = await deliver(client)
    varsel_sent_at = done.sent_at
    assert len(smtp.mailbox.received) == 1

    clock.advance(timedelta(days=1))
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/report-requests",
        json={
            "kind": KIND,
            "deadline": rfc3339(clock.now() + timedelta(days=7)),
            "reference": "2026/05001",
        },
        headers=as_("editor"),
    )
    assert r.status == 200, await r.text()
    report_id = f"{incident_id}.{KIND}"
    report = await draft(client, report_id)
    fields = {f["key"]: f for f in report["latest"]["fields"]}
    assert fields["notices_sent"]["value"] == (
        "Varsler sendt til myndigheter:\n"
        f"- {local_time(varsel_sent_at, 'nkom')}: Nkom – første varsel til "
        "ekomvarsling@nkom.no (e-post)."
    )
    assert fields["cause"]["value"] == "Fiberbrudd ved Heimdal etter gravearbeid."
    assert "Samfunnsviktige funksjoner er berørt" in fields["societal"]["value"]

    written = {
        "mitigation": "Kl. 10.20 ble mobiltrafikken rutet om via radiolinje; det virket.",
        "lessons_recurrence": "Redundant trasé sør for Trondheim.",
    }
    r = await client.patch(
        f"/api/v1/drafts/{report_id}",
        json={"version": report["version"], "fields": written},
        headers=as_("editor"),
    )
    assert r.status == 200, await r.text()
    edited = await r.json()
    r = await client.post(
        f"/api/v1/drafts/{report_id}/approve",
        json={"version": edited["version"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 400 and "send_unknown" in (await r.json())["detail"]
    r = await client.post(
        f"/api/v1/drafts/{report_id}/approve",
        json={"version": edited["version"], "send_unknown": edited["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    approved = await r.json()
    [done] = await deliver(client)
    assert done.state == "sent"
    mail = smtp.mailbox.received[-1]
    assert mail.rcpt_tos == ["ekomvarsling@nkom.no"]
    msg = mail.message
    assert msg["Subject"] == approved["latest"]["subject"]
    # Nkom's own reference first, so its case handler can file it; then ours
    assert msg["Subject"].startswith("Hendelsesrapport – Nkoms ref. 2026/05001 – Exempel Nett AS")
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for heading, _ in hendelsesrapport.SECTIONS:
        assert heading in text, heading
    for value in written.values():
        assert value in text
    assert "Nkoms referanse: 2026/05001" in text
    assert "Ikke kjent ennå" in text  # what the approver named as still unknown
    for key in hendelsesrapport.FIELD_KEYS:
        if "_" in key:
            assert key not in text, key
    doc = await incident(client, incident_id)
    assert owed(doc)[KIND]["state"] == "sent"


def due_metric(metrics: str, incident_id: str) -> dict[str, float]:
    """``state`` → the due time /metrics gives the incident's hendelsesrapport (Unix time)."""
    found: dict[str, float] = {}
    prefix = f'bridge_obligation_due_timestamp_seconds{{binding="true",incident="{incident_id}",'
    for line in metrics.splitlines():
        if line.startswith(prefix) and f'kind="{KIND}"' in line:
            state = line.split('state="', 1)[1].split('"', 1)[0]
            found[state] = float(line.rsplit(" ", 1)[1])
    return found


async def test_due_by_the_earliest_deadline_the_next_report_must_answer(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """Nkom asks under A by day 9, then under B by day 19: the report is due on day 9 in the
    incident, on the deadline queue and in the due metric (not day 19 while A is unanswered).
    Nkom extends A to day 24: due on day 19 (B's). The report sent answers both; Nkom then
    asks under C by day 12: a new report is owed by then, naming C alone."""
    [incident_id] = await post_alerts(
        client, alert("fp-heimdal", clock.now() - timedelta(minutes=5), element="no-olt-heimdal-1")
    )
    start = clock.now()
    a, b = start + timedelta(days=9), start + timedelta(days=19)

    async def ask(reference: str, deadline: Any) -> dict[str, Any]:
        r = await client.post(
            f"/api/v1/incidents/{incident_id}/report-requests",
            json={"kind": KIND, "deadline": rfc3339(deadline), "reference": reference},
            headers=as_("editor"),
        )
        assert r.status == 200, await r.text()
        return dict(await r.json())

    async def shown(state: str) -> tuple[str, str, dict[str, float]]:
        """The obligation's due time, the queue's, and the metric's, as the app shows them."""
        doc = await incident(client, incident_id)
        assert owed(doc)[KIND]["state"] == state
        r = await client.get("/api/v1/queue", headers=as_("viewer"))
        [item] = [i for i in (await r.json())["items"] if i["case"] == incident_id]
        assert item["kind"] == KIND
        metrics = await (await client.get("/metrics")).text()
        return owed(doc)[KIND]["due_at"], item["due_at"], due_metric(metrics, incident_id)

    await ask("2026/0100", a)
    clock.advance(timedelta(hours=1))
    await ask("2026/0200", b)
    assert await shown("drafted") == (rfc3339(a), rfc3339(a), {"drafted": a.timestamp()})

    clock.advance(timedelta(hours=1))
    extended = start + timedelta(days=24)
    await ask("2026/0100", extended)
    assert await shown("drafted") == (rfc3339(b), rfc3339(b), {"drafted": b.timestamp()})

    # the report answers both, as it says, and is sent
    report_id = f"{incident_id}.{KIND}"
    report = await draft(client, report_id)
    request = {f["key"]: f["value"] for f in report["latest"]["fields"]}["request"]
    assert "2026/0100" in request and "2026/0200" in request, request
    assert local_time(extended, "nkom") in request and local_time(b, "nkom") in request
    r = await client.post(
        f"/api/v1/drafts/{report_id}/approve",
        json={"version": report["version"], "send_unknown": report["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    [done] = await deliver(client)
    assert done.state == "sent"
    assert owed(await incident(client, incident_id))[KIND]["state"] == "sent"
    r = await client.get("/api/v1/queue", headers=as_("viewer"))
    assert [i for i in (await r.json())["items"] if i["case"] == incident_id] == []

    # Nkom asks again, under C: a new report is owed by C's deadline, naming C alone
    clock.advance(timedelta(days=2))
    c = start + timedelta(days=12)
    doc = await ask("2026/0300", c)
    drafts = {d["id"]: d["state"] for d in doc["drafts"] if d["kind"] == KIND}
    assert drafts == {report_id: "sent", f"{report_id}.2": "draft"}
    assert await shown("drafted") == (rfc3339(c), rfc3339(c), {"drafted": c.timestamp()})
    again = await draft(client, f"{report_id}.2")
    request = {f["key"]: f["value"] for f in again["latest"]["fields"]}["request"]
    assert "2026/0300" in request and local_time(c, "nkom") in request, request
    assert "2026/0100" not in request and "2026/0200" not in request, request
