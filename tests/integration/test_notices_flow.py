"""Notices through the app's factory, with a real SMTP server (aiosmtpd on loopback) and an
injected clock: drafts open when an incident becomes reportable, people edit and approve them
through the API with their roles checked, the outbox delivers exactly once, and everything is
in the audit log."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import zipfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person
from smtp_server import SmtpServer

from bridge.config import load_config
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
TOKENS = {
    "viewer": "test-token-for-viewer",
    "editor": "test-token-for-editor",
    "approver": "test-token-for-approver",
    "privacy-approver": "test-token-for-privacy",
    "auditor": "test-token-for-auditor",
}
ROLES = {
    "viewer": ["viewer"],
    "editor": ["editor"],
    "approver": ["approver"],
    "privacy-approver": ["approver:privacy"],
    "auditor": ["viewer", "auditor"],
}
ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
SMTP_WITH_LOGIN = {"security": "starttls", "login": ("bridge", "s3cret")}
pytestmark = pytest.mark.manual_outbox  # the tests run the outbox themselves (deliver())


def before_repeal() -> pytest.MarkDecorator:
    """The test's clock starts before PTS's outage duty was repealed (LEK 8 kap. 1–4 §§, on
    2026-01-15): a Monday, as the default clock's 2026-11-23. Its PTS outage reports are owed to
    PTS and e-mailed to it."""
    start = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)
    return pytest.mark.parametrize("clock", [FakeClock(start)], ids=["before-repeal"])


def as_(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def config(tmp_path: Path, smtp: SmtpServer | None, **notices: Any) -> Path:
    extra: dict[str, Any] = {
        "auth": {
            "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
            "api_tokens": [
                {"name": who, "token": TOKENS[who], "roles": ROLES[who]} for who in TOKENS
            ],
            "session": {"cookie_secure": False},  # the test client speaks plain http
        },
        "operator": {
            "name": "Exempel Nät AB",
            "org_number": "556000-0000",
            "contact": {
                "name": "Vakthavande",
                "phone": "+47 22 00 00 00",
                "email": "noc@example.net",
            },
        },
        "notices": {
            "archive_dir": str(tmp_path / "sent"),
            "refresh_interval": "0s",
            "poll_interval": "1h",  # the tests run the outbox themselves
            **notices,
        },
    }
    if smtp is not None:
        extra["smtp"] = smtp.smtp_config()
    return write_config(tmp_path, extra=extra)


@pytest.fixture
def config_path(tmp_path: Path, smtp: SmtpServer) -> Path:
    return config(tmp_path, smtp)


async def post_alerts(client: TestClient[Any, Any], *alerts: dict[str, Any]) -> Any:
    r = await client.post("/api/v1/alertmanager", json=make_webhook(*alerts), headers=HOOK)
    assert r.status == 200, await r.text()
    return await r.json()


def ullevaal(clock: FakeClock, **labels: str) -> dict[str, Any]:
    """A cell serving a hospital in Oslo goes down: reportable to Nkom at once (societal)."""
    return alert(
        "fp-ullevaal",
        clock.now() - timedelta(minutes=5),
        element="no-cell-ullevaal",
        severity="major",
        annotations={"cause": "Fiberbrudd ved Ullevål", "expected_resolution": "2 timer"},
        **labels,
    )


async def drafts(client: TestClient[Any, Any], **query: str) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/drafts", params=query, headers=as_("viewer"))
    assert r.status == 200, await r.text()
    return list((await r.json())["drafts"])


async def draft(client: TestClient[Any, Any], draft_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/drafts/{draft_id}", headers=as_("viewer"))
    assert r.status == 200, await r.text()
    return dict(await r.json())


async def deliver(client: TestClient[Any, Any]) -> list[Any]:
    app = client.server.app
    assert app is not None
    return await app[SERVICE].outbox.deliver_due()


async def metric(client: TestClient[Any, Any], name: str) -> float | None:
    text = await (await client.get("/metrics")).text()
    for line in text.splitlines():
        if line.startswith(name + " ") or line == name:
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_reportable_incident_drafted_edited_approved_and_delivered(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock, tmp_path: Path
) -> None:
    """A reportable incident gets a prefilled Nkom varsel draft; roles are checked on edit and
    approve, bad edits are named, an edit makes version 2 with a diff, the approved notice is
    e-mailed once and audited with nothing internal in it, and the next updated varsel starts
    from it (the person's text kept, what changed first)."""
    answer = await post_alerts(client, ullevaal(clock))
    [incident_id] = answer["incidents"]
    [listed] = await drafts(client)
    assert listed["kind"] == "nkom_varsel" and listed["state"] == "draft"
    assert (
        listed["id"] == f"{incident_id}.nkom_varsel"
        and listed["recipient"] == "ekomvarsling@nkom.no"
    )
    detail = await draft(client, listed["id"])
    fields = {f["key"]: f for f in detail["latest"]["fields"]}
    assert fields["cause"]["value"] == "Fiberbrudd ved Ullevål"
    assert fields["expected_duration"]["value"] == "2 timer"
    assert "Oslo" in fields["scope_geography"]["value"]
    assert fields["scope_life_health"]["to_complete"]
    incident = await (
        await client.get(f"/api/v1/incidents/{incident_id}", headers=as_("viewer"))
    ).json()
    varsel = next(o for o in incident["obligations"] if o["kind"] == "nkom_varsel")
    assert varsel["state"] == "drafted"
    assert varsel["due_at"] is not None
    assert [d["id"] for d in incident["drafts"]] == [listed["id"]]

    url = f"/api/v1/drafts/{listed['id']}"
    # roles: a viewer cannot edit, an editor cannot approve, nor can a privacy-only approver
    r = await client.patch(
        url, json={"version": 1, "fields": {"cause": "x"}}, headers=as_("viewer")
    )
    assert r.status == 403
    for who in ("viewer", "editor", "privacy-approver", "approver"):
        r = await client.post(url + "/approve", json={"version": 1}, headers=as_(who))
        assert r.status == 403, who
    assert "API token" in (await r.json())["detail"]  # an approver's token: no person, no factor
    r = await client.post(url + "/approve", json={"version": 1})
    assert r.status == 401
    # bad edits are named
    r = await client.patch(
        url, json={"version": 1, "fields": {"colour": "red"}}, headers=as_("editor")
    )
    assert r.status == 400 and "fields.colour" in (await r.json())["detail"]
    r = await client.patch(url, json={"fields": {"cause": "x"}}, headers=as_("editor"))
    assert r.status == 400 and "version" in (await r.json())["detail"]

    r = await client.patch(
        url,
        json={"version": 1, "fields": {"scope_life_health": "Nei, sykehuset har reservesamband."}},
        headers=as_("editor"),
    )
    assert r.status == 200, await r.text()
    edited = await r.json()
    assert edited["version"] == 2 and edited["latest"]["author"] == "token:editor"
    diff = await (await client.get(url + "/diff?from=1&to=2", headers=as_("viewer"))).json()
    assert [f["key"] for f in diff["fields"]] == ["scope_life_health"]
    assert "+" in diff["text"] and "reservesamband" in diff["text"]

    # approving the old version is refused; so is approving with fields still to complete
    r = await client.post(
        url + "/approve", json={"version": 1}, headers=await person(client, clock.now)
    )
    assert r.status == 409 and "not the latest" in (await r.json())["detail"]
    to_complete = edited["to_complete"]
    # what a person should add is shown in the console (hint), never put in the message
    hints = {f["key"]: f["hint"] for f in edited["latest"]["fields"] if f["to_complete"]}
    assert all(hints.values()) and set(hints) == set(to_complete)
    if to_complete:
        r = await client.post(
            url + "/approve", json={"version": 2}, headers=await person(client, clock.now)
        )
        detail = (await r.json())["detail"]
        assert r.status == 400 and "send_unknown" in detail and "Ikke kjent ennå" in detail
        r = await client.post(
            url + "/approve",
            json={"version": 2, "incomplete_ok": True},
            headers=await person(client, clock.now),
        )
        assert r.status == 400  # a blanket yes is not taken: each field is named
    r = await client.post(
        url + "/approve",
        json={"version": 2, "comment": "ok at 03:12", "send_unknown": to_complete},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    approved = await r.json()
    assert approved["state"] == "approved" and approved["approved"]["by"] == "olga"
    assert await metric(client, "bridge_outbox_pending") == 1

    [done] = await deliver(client)
    assert done.state == "sent"
    [mail] = smtp.mailbox.received
    assert mail.rcpt_tos == ["ekomvarsling@nkom.no"]
    assert mail.mail_from == "noc-reports@example.net"
    msg = mail.message
    assert msg["Subject"] == approved["latest"]["subject"]
    assert msg["Message-ID"] == approved["message_id"]
    assert msg["X-Incident-Bridge-Content-Hash"].strip() == approved["approved"]["content_hash"]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for f in approved["latest"]["fields"]:
        assert f["label"] in text, f["label"]
    assert "Nei, sykehuset har reservesamband." in text
    assert "Fiberbrudd ved Ullevål" in text
    assert "+47 22 00 00 00" in text
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "reservesamband" in html
    archived = tmp_path / "sent" / f"{listed['id']}.v2.eml"
    assert archived.read_bytes().replace(b"\r\n", b"\n") == mail.raw.replace(b"\r\n", b"\n")

    assert (await draft(client, listed["id"]))["state"] == "sent"
    incident = await (
        await client.get(f"/api/v1/incidents/{incident_id}", headers=as_("viewer"))
    ).json()
    assert next(o for o in incident["obligations"] if o["kind"] == "nkom_varsel")["state"] == "sent"
    assert await metric(client, "bridge_outbox_pending") == 0
    assert await metric(client, 'bridge_emails_sent_total{regulator="nkom",result="sent"}') == 1
    assert await metric(client, 'bridge_drafts{state="sent"}') == 1
    assert await deliver(client) == []  # never twice
    assert len(smtp.mailbox.received) == 1

    # the audit log: who approved which version with which content hash, and the send
    r = await client.get("/api/v1/audit", headers=as_("approver"))
    assert r.status == 403
    log = (await (await client.get("/api/v1/audit", headers=as_("auditor"))).json())["entries"]
    actions = [e["action"] for e in reversed(log) if e["target"].startswith("draft:")]
    assert actions == ["draft.opened", "draft.edited", "draft.approved", "outbox.sent"]
    approved_entry = next(e for e in log if e["action"] == "draft.approved")
    sent_entry = next(e for e in log if e["action"] == "outbox.sent")
    assert approved_entry["actor"] == "olga" and approved_entry["detail"]["version"] == 2
    assert approved_entry["detail"]["second_factor"] == "totp"
    assert approved_entry["detail"]["second_factor_at"] == rfc3339(clock.now())
    assert approved_entry["detail"]["comment"] == "ok at 03:12"
    assert sent_entry["detail"]["content_hash"] == msg["X-Incident-Bridge-Content-Hash"].strip()
    assert sent_entry["detail"]["message_id"] == msg["Message-ID"]
    assert sorted(approved_entry["detail"]["sent_as_unknown"]) == sorted(to_complete)
    # nothing internal reached Nkom; a field named unknown reads as Nkom should read it
    for part in (text, html):
        assert "[fyll" not in part and "Utkast" not in part and "før sending" not in part
    if to_complete:
        assert "Ikke kjent ennå" in text
    assert not any(hint in text for hint in hints.values())

    # the fibre OLT at the site goes down too: the next updated varsel starts from the one sent
    clock.advance(timedelta(minutes=5))
    await post_alerts(
        client,
        ullevaal(clock),
        alert("fp-olt", clock.now(), element="no-olt-oslo-1", severity="major"),
    )
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    [update] = [d for d in await drafts(client) if d["kind"] == "nkom_update"]
    fields = {f["key"]: f for f in (await draft(client, update["id"]))["latest"]["fields"]}
    assert fields["scope_life_health"]["value"] == "Nei, sykehuset har reservesamband."
    assert fields["scope_life_health"]["edited"]
    assert fields["changes"]["value"].startswith("Forrige varsel ble sendt ")
    assert (
        "- Nye " in fields["changes"]["value"] or "- Berørte kunder" in fields["changes"]["value"]
    )


@before_repeal()
async def test_pts_initial_with_upload_document_then_supplementary_due_two_weeks_after_sending(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """The PTS initial report of an incident before the repeal of PTS's outage duty opens once
    the incident becomes reportable, is e-mailed to PTS with the upload document (.docx, without
    the repeal statement), and sending it makes the supplementary report due 14 days later."""
    start = clock.now()
    berg = alert(
        "fp-berg", start, element="se-cell-berg-1", annotations={"summary": "Strömavbrott"}
    )
    await post_alerts(client, berg)
    assert await drafts(client, regulator="pts") == []  # not reportable yet: nothing drafted
    clock.advance(timedelta(minutes=31))  # 112 element out for 30 min: reportable (e112-30m)
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    [initial] = [d for d in await drafts(client) if d["regulator"] == "pts"]
    assert initial["kind"] == "pts_initial" and initial["recipient"] == "incidentrapport@pts.se"
    url = f"/api/v1/drafts/{initial['id']}"
    attachment = await client.get(url + "/attachment", headers=as_("viewer"))
    assert attachment.status == 200
    assert "wordprocessingml" in attachment.headers["Content-Type"]
    r = await client.post(
        url + "/approve",
        json={"version": 1, "send_unknown": initial["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    clock.advance(timedelta(minutes=2))
    await deliver(client)
    [mail] = smtp.mailbox.received
    assert mail.rcpt_tos == ["incidentrapport@pts.se"]
    [docx] = [p for p in mail.message.iter_attachments()]
    assert docx.get_filename().startswith("PTS-pts-initial-556000")  # type: ignore[union-attr]
    with zipfile.ZipFile(io.BytesIO(docx.get_content())) as z:
        body = z.read("word/document.xml").decode()
    assert "Inledande rapport" in body and "Strömavbrott" in body and "Referensnummer" in body
    assert "ingen rapport" not in body and "upphävd" not in mail.message["Subject"]
    sent_at = clock.now()
    await app[SERVICE].tick()
    incident = await (
        await client.get(f"/api/v1/incidents/{initial['incident']}", headers=as_("viewer"))
    ).json()
    obligations = {o["kind"]: o for o in incident["obligations"] if o["regulator"] == "pts"}
    assert obligations["pts_initial"]["state"] == "sent"
    supplementary = obligations["pts_supplementary"]
    assert supplementary["due_at"] == (sent_at + timedelta(days=14)).isoformat().replace(
        "+00:00", "Z"
    ).replace(".000000", "")
    assert supplementary["state"] == "drafted"
    kinds = {d["kind"] for d in await drafts(client, incident=initial["incident"])}
    assert "pts_supplementary" in kinds


async def _pts_initial_after_repeal(
    client: TestClient[Any, Any], clock: FakeClock
) -> dict[str, Any]:
    """An incident at Berg on the default clock (2026-11-23, after the repeal of PTS's outage
    duty on 2026-01-15) that became reportable under the pts-outage rule set: its initial
    report's draft."""
    await post_alerts(
        client,
        alert("fp-berg", clock.now(), element="se-cell-berg-1", annotations={"summary": "Ström"}),
    )
    clock.advance(timedelta(minutes=31))  # 112 element out for 30 min: the internal threshold
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    [initial] = [d for d in await drafts(client) if d["kind"] == "pts_initial"]
    return await draft(client, initial["id"])


async def test_a_pts_outage_report_after_the_repeal_is_kept_internally_and_never_mailed(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """PTS's outage duty was repealed on 2026-01-15: the initial report of a later incident is
    owed to no one, and without regulators.pts.internal_recipient it goes nowhere. Its draft
    has no recipient ("Till: ingen …"), a recipient cannot be given to it, approving keeps it
    (state kept, audited as kept internally, nothing handed to the relay), its obligation is an
    internal threshold settled as kept, and the supplementary report follows from it."""
    initial = await _pts_initial_after_repeal(client, clock)
    assert initial["channel"] == "internal" and initial["recipient"] == ""
    text = initial["latest"]["text"]
    assert "incidentrapport@pts.se" not in text + initial["latest"]["html"]
    assert "Till: ingen – rapporten skickas inte utan sparas internt hos operatören" in text
    assert initial["latest"]["repealed"].startswith("Detta är ingen rapport som ska lämnas")
    url = f"/api/v1/drafts/{initial['id']}"
    r = await client.patch(
        url,
        json={"version": 1, "fields": {"recipient": "incidentrapport@pts.se"}},
        headers=as_("editor"),
    )
    assert r.status == 400 and "fields.recipient" in (await r.json())["detail"]
    r = await client.post(
        url + "/approve",
        json={"version": 1, "send_unknown": initial["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    kept = await r.json()
    assert kept["state"] == "kept" and kept["sent_at"] is None
    assert "kept internally" in kept["flag"] and "not sent" in kept["flag"]
    approved_at = clock.now()
    clock.advance(timedelta(minutes=2))
    assert await deliver(client) == []
    assert smtp.mailbox.received == []  # nothing reached the relay, least of all PTS
    assert await metric(client, "bridge_outbox_pending") == 0
    log = (await (await client.get("/api/v1/audit", headers=as_("auditor"))).json())["entries"]
    mine = [e for e in log if e["target"] == f"draft:{initial['id']}"]
    actions = [e["action"] for e in mine]
    assert "draft.kept_internally" in actions and "outbox.sent" not in actions
    kept_entry = next(e for e in mine if e["action"] == "draft.kept_internally")
    assert kept_entry["detail"]["sent"] is False
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    incident = await (
        await client.get(f"/api/v1/incidents/{initial['incident']}", headers=as_("viewer"))
    ).json()
    owed = {o["kind"]: o for o in incident["obligations"] if o["regulator"] == "pts"}
    assert owed["pts_initial"]["state"] == "kept" and owed["pts_initial"]["binding"] is False
    supplementary = owed["pts_supplementary"]
    assert supplementary["binding"] is False
    assert supplementary["due_at"] == (approved_at + timedelta(days=14)).isoformat().replace(
        "+00:00", "Z"
    ).replace(".000000", "")
    [follow] = [
        d
        for d in await drafts(client, incident=initial["incident"])
        if d["kind"] == "pts_supplementary"
    ]
    assert follow["recipient"] == "" and follow["channel"] == "internal"


async def test_a_pts_outage_report_after_the_repeal_goes_to_the_internal_recipient_only(
    tmp_path: Path, client_for: ClientFactory, smtp: SmtpServer, clock: FakeClock
) -> None:
    """With regulators.pts.internal_recipient the report of an incident since the repeal is
    e-mailed there, and only there: never to PTS; its document opens with the repeal
    statement too."""
    path = config(tmp_path, smtp)
    doc = yaml.safe_load(path.read_text())
    doc["regulators"]["pts"]["internal_recipient"] = "noc-reports@example.net"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    client = await client_for(path, manual_outbox=True)
    initial = await _pts_initial_after_repeal(client, clock)
    assert initial["channel"] == "email" and initial["recipient"] == "noc-reports@example.net"
    assert "Till: noc-reports@example.net" in initial["latest"]["text"]
    r = await client.post(
        f"/api/v1/drafts/{initial['id']}/approve",
        json={"version": 1, "send_unknown": initial["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    clock.advance(timedelta(minutes=2))
    await deliver(client)
    [mail] = smtp.mailbox.received
    assert mail.rcpt_tos == ["noc-reports@example.net"]
    assert mail.message["Subject"].startswith("Ingen rapport till PTS (upphävd rapportplikt)")
    [docx] = list(mail.message.iter_attachments())
    with zipfile.ZipFile(io.BytesIO(docx.get_content())) as z:
        body = z.read("word/document.xml").decode()
    first = body.index("Detta är ingen rapport som ska lämnas till PTS")
    assert first < body.index("Referensnummer")


@before_repeal()
async def test_each_countrys_notices_carry_its_reply_address_and_the_relays_one_sender(
    tmp_path: Path, client_for: ClientFactory, smtp: SmtpServer, clock: FakeClock
) -> None:
    """With operator.jurisdictions.{NO,SE}.reply_to, the Nkom varsel delivered through the relay
    says Reply-To the Norwegian NOC and the PTS report the Swedish one: a case handler's answer
    reaches the country's own NOC. Both leave From (and MAIL FROM) the relay's one sender,
    named as the country's provider."""
    path = config(tmp_path, smtp)
    doc = yaml.safe_load(path.read_text())
    doc["operator"]["jurisdictions"] = {
        "NO": {
            "name": "Exempel Nett AS",
            "org_number": "312 345 676",
            "reply_to": "noc-no@example.net",
        },
        "SE": {"reply_to": "noc-se@example.net"},
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    client = await client_for(path, manual_outbox=True)
    await post_alerts(
        client,
        ullevaal(clock),
        alert("fp-berg", clock.now(), element="se-cell-berg-1", annotations={"summary": "Ström"}),
    )
    clock.advance(timedelta(minutes=31))  # the 112 element at Berg out for 30 min: PTS's too
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    for kind in ("nkom_varsel", "pts_initial"):
        [found] = [d for d in await drafts(client) if d["kind"] == kind]
        r = await client.post(
            f"/api/v1/drafts/{found['id']}/approve",
            json={"version": found["version"], "send_unknown": found["to_complete"]},
            headers=await person(client, clock.now),
        )
        assert r.status == 200, await r.text()
    await deliver(client)
    mails = {m.rcpt_tos[0]: m for m in smtp.mailbox.received}
    nkom, pts = mails["ekomvarsling@nkom.no"], mails["incidentrapport@pts.se"]
    assert nkom.message["Reply-To"] == "noc-no@example.net"
    assert pts.message["Reply-To"] == "noc-se@example.net"
    assert nkom.message["From"] == "Exempel Nett AS <noc-reports@example.net>"
    assert pts.message["From"] == "Exempel Nät AB <noc-reports@example.net>"
    assert nkom.mail_from == pts.mail_from == "noc-reports@example.net"


async def test_smtp_down_then_up_delivers_once_with_backoff(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """With the relay down the approved notice is retried with a doubling backoff (not before it is
    due), and once the relay is up it is delivered exactly once."""
    await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    smtp.stop()
    r = await client.post(
        f"/api/v1/drafts/{d['id']}/approve",
        json={"version": 1, "send_unknown": d["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200
    [failed] = await deliver(client)
    assert failed.state == "approved" and failed.next_attempt_at == clock.now() + timedelta(
        seconds=30
    )
    assert "retrying" in (failed.flag or "")
    assert await deliver(client) == []  # not due yet
    clock.advance(timedelta(seconds=30))
    [again] = await deliver(client)
    assert again.next_attempt_at == clock.now() + timedelta(minutes=1)  # backoff doubles
    assert (
        await metric(client, 'bridge_emails_sent_total{regulator="nkom",result="transient"}') == 2
    )
    smtp.start()
    clock.advance(timedelta(minutes=1))
    [sent] = await deliver(client)
    assert sent.state == "sent"
    clock.advance(timedelta(hours=1))
    assert await deliver(client) == []
    assert len(smtp.mailbox.received) == 1
    assert (await draft(client, d["id"]))["delivery"]["attempts"][-1]["outcome"] == "sent"


@pytest.mark.parametrize(("mode", "state"), [("tempfail", "approved"), ("reject", "failed")])
async def test_smtp_4xx_is_retried_and_5xx_fails_for_a_person(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock, mode: str, state: str
) -> None:
    """A 4xx answer from the relay keeps the notice approved for a retry; a 5xx fails it for a
    person, who edits and approves it again."""
    await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    smtp.mailbox.mode = mode
    await client.post(
        f"/api/v1/drafts/{d['id']}/approve",
        json={"version": 1, "send_unknown": d["to_complete"]},
        headers=await person(client, clock.now),
    )
    [out] = await deliver(client)
    assert out.state == state
    assert ("451" if mode == "tempfail" else "554") in (out.flag or "")
    if state == "failed":  # a person edits (new version) and approves again
        r = await client.patch(
            f"/api/v1/drafts/{d['id']}",
            json={"version": 1, "fields": {"recipient": "vakt@example.no"}},
            headers=as_("editor"),
        )
        assert r.status == 200 and (await r.json())["state"] == "draft"


async def test_approved_draft_is_held_when_the_incident_changes_before_sending(
    client_for: ClientFactory, tmp_path: Path, clock: FakeClock
) -> None:
    """An approved notice waiting in the outbox is held (new version, approval dropped, audited)
    when the incident changes before it is sent."""
    client = await client_for(config(tmp_path, None), manual_outbox=True)
    await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    r = await client.post(
        f"/api/v1/drafts/{d['id']}/approve",
        json={"version": 1, "send_unknown": d["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200
    assert await deliver(client) == []  # no relay configured: it waits in the outbox
    assert await metric(client, "bridge_outbox_pending") == 1
    # the fibre OLT at the same site goes down too: more connections affected
    await post_alerts(
        client,
        ullevaal(clock),
        alert("fp-olt", clock.now(), element="no-olt-oslo-1", severity="major"),
    )
    held = await draft(client, d["id"])
    assert held["state"] == "held" and held["version"] == 2 and held["approved"] is None
    assert "approve again" in held["flag"]
    assert await metric(client, "bridge_outbox_pending") == 0
    log = (await (await client.get("/api/v1/audit", headers=as_("auditor"))).json())["entries"]
    assert "draft.held" in [e["action"] for e in log]


async def test_approval_of_a_version_rendered_before_the_incident_changed_is_refused(
    client_for: ClientFactory, tmp_path: Path, clock: FakeClock
) -> None:
    """With drafts re-rendered at most every 10 minutes, approval still checks the facts now."""
    client = await client_for(config(tmp_path, None, refresh_interval="10m"), manual_outbox=True)
    await post_alerts(client, ullevaal(clock))
    await post_alerts(
        client, ullevaal(clock), alert("fp-olt", clock.now(), element="no-olt-oslo-1")
    )
    [d] = await drafts(client)
    assert d["version"] == 1  # not re-rendered yet (throttled)
    r = await client.post(
        f"/api/v1/drafts/{d['id']}/approve",
        json={"version": 1, "send_unknown": d["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 409 and "version 2" in (await r.json())["detail"]
    assert (await draft(client, d["id"]))["version"] == 2


async def test_rejecting_needs_a_reason_and_marks_the_obligation(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Rejecting a draft needs a reason and valid JSON, and marks the obligation rejected."""
    answer = await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    url = f"/api/v1/drafts/{d['id']}/reject"
    r = await client.post(url, json={}, headers=as_("approver"))
    assert r.status == 400 and "reason" in (await r.json())["detail"]
    r = await client.post(url, data=b"{nope", headers=as_("approver"))
    assert r.status == 400
    r = await client.post(
        url, json={"reason": "duplicate of the regional notice"}, headers=as_("approver")
    )
    assert r.status == 200 and (await r.json())["state"] == "rejected"
    incident = await (
        await client.get(f"/api/v1/incidents/{answer['incidents'][0]}", headers=as_("viewer"))
    ).json()
    assert (
        next(o for o in incident["obligations"] if o["kind"] == "nkom_varsel")["state"]
        == "rejected"
    )


async def test_unknown_draft_is_404_and_bad_state_filter_400(client: TestClient[Any, Any]) -> None:
    """An unknown draft is 404, an unknown state filter 400 naming it, and a read without a token
    401."""
    r = await client.get("/api/v1/drafts/nope", headers=as_("viewer"))
    assert r.status == 404
    r = await client.get("/api/v1/drafts?state=bogus", headers=as_("viewer"))
    assert r.status == 400 and "bogus" in (await r.json())["detail"]
    r = await client.get("/api/v1/drafts/nope")
    assert r.status == 401


@pytest.mark.parametrize(
    "smtp",
    [SMTP_WITH_LOGIN, {**SMTP_WITH_LOGIN, "security": "tls"}],
    ids=["starttls", "tls"],
    indirect=True,
)
async def test_delivery_over_starttls_and_implicit_tls_with_auth(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """The outbox delivers over STARTTLS and over implicit TLS with AUTH to a relay with its own
    CA."""
    await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    await client.post(
        f"/api/v1/drafts/{d['id']}/approve",
        json={"version": 1, "send_unknown": d["to_complete"]},
        headers=await person(client, clock.now),
    )
    [out] = await deliver(client)
    assert out.state == "sent", out.flag
    assert len(smtp.mailbox.received) == 1


@pytest.mark.parametrize("smtp", [SMTP_WITH_LOGIN], ids=["starttls"], indirect=True)
async def test_wrong_smtp_password_is_a_permanent_failure(
    client_for: ClientFactory, smtp: SmtpServer, tmp_path: Path, clock: FakeClock
) -> None:
    """A relay refusing the password (535) fails the notice permanently; nothing is delivered."""
    cfg = config(tmp_path, smtp)
    text = cfg.read_text().replace("s3cret", "wrong")
    cfg.write_text(text)
    client = await client_for(cfg, manual_outbox=True)
    await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    await client.post(
        f"/api/v1/drafts/{d['id']}/approve",
        json={"version": 1, "send_unknown": d["to_complete"]},
        headers=await person(client, clock.now),
    )
    [out] = await deliver(client)
    assert out.state == "failed" and "535" in (out.flag or "")
    assert smtp.mailbox.received == []


def test_config_json_is_plain(tmp_path: Path) -> None:
    """The test config carries the relay settings the bridge reads (guards the fixture)."""
    server = SmtpServer(tmp_path)
    cfg = load_config(config(tmp_path, server), env={}).config
    assert cfg.smtp is not None and cfg.smtp.port == server.port
    assert json.dumps(server.smtp_config())


async def test_normalised_incident_opens_the_nkom_normalised_notice(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Once a resolved incident's quiet period passes it is normalised and closed, and the Nkom
    normalised notice opens with when service was restored and the total duration."""
    firing = ullevaal(clock)
    answer = await post_alerts(client, firing)
    resolved_at = clock.now()
    await post_alerts(client, {**firing, "status": "resolved", "endsAt": rfc3339(resolved_at)})
    assert {d["kind"] for d in await drafts(client)} == {"nkom_varsel"}
    clock.advance(timedelta(minutes=31))  # the quiet period (30m) passes: normalised
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    normalised = [d for d in await drafts(client) if d["kind"] == "nkom_normalised"]
    assert len(normalised) == 1
    detail = await draft(client, normalised[0]["id"])
    fields = {f["key"]: f["value"] for f in detail["latest"]["fields"]}
    assert fields["normalised"].startswith("Tjenestene var normalisert ")
    assert "Samlet varighet: " in fields["normalised"]
    incident = await (
        await client.get(f"/api/v1/incidents/{answer['incidents'][0]}", headers=as_("viewer"))
    ).json()
    owed = {o["kind"]: o for o in incident["obligations"]}
    assert incident["state"] == "closed" and owed["nkom_normalised"]["state"] == "drafted"


async def test_the_normalised_notice_asks_to_review_what_a_person_wrote_while_it_was_ongoing(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """The varsel's "St. Olavs … er berørt" carried into the normalised notice is to review: the
    draft says so field by field, approval without confirming it is a 400 naming
    confirm_carried (nothing changes), a wrong shape is a 400 too, and confirming it by name
    approves, audited."""
    firing = ullevaal(clock)
    await post_alerts(client, firing)
    [varsel] = await drafts(client)
    url = f"/api/v1/drafts/{varsel['id']}"
    written = "Sykehuset er berørt, men drives videre over reserveforbindelsen."
    r = await client.patch(
        url, json={"version": 1, "fields": {"scope_life_health": written}}, headers=as_("editor")
    )
    edited = await r.json()
    r = await client.post(
        url + "/approve",
        json={"version": 2, "send_unknown": edited["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    [done] = await deliver(client)
    assert done.state == "sent"
    clock.advance(timedelta(minutes=10))
    await post_alerts(client, {**firing, "status": "resolved", "endsAt": rfc3339(clock.now())})
    clock.advance(timedelta(minutes=31))  # the quiet period passes: normalised
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    [summary] = [d for d in await drafts(client) if d["kind"] == "nkom_normalised"]
    detail = await draft(client, summary["id"])
    assert detail["to_review"] == ["scope_life_health"]
    fields = {f["key"]: f for f in detail["latest"]["fields"]}
    assert fields["scope_life_health"]["value"] == written
    assert fields["scope_life_health"]["to_review"]
    assert "written while the incident was ongoing" in fields["scope_life_health"]["review_note"]
    assert not fields["cause"]["to_review"] and fields["cause"]["review_note"] == ""
    url = f"/api/v1/drafts/{summary['id']}"
    body = {"version": detail["version"], "send_unknown": detail["to_complete"]}
    r = await client.post(url + "/approve", json=body, headers=await person(client, clock.now))
    assert r.status == 400
    assert "confirm_carried" in (answer := (await r.json())["detail"])
    assert "scope_life_health" in answer
    r = await client.post(
        url + "/approve",
        json={**body, "confirm_carried": "scope_life_health"},
        headers=await person(client, clock.now),
    )
    assert r.status == 400 and "confirm_carried" in (await r.json())["detail"]
    assert (await draft(client, summary["id"]))["state"] == "draft"  # nothing changed
    r = await client.post(
        url + "/approve",
        json={**body, "confirm_carried": ["scope_life_health"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    log = (await (await client.get("/api/v1/audit", headers=as_("auditor"))).json())["entries"]
    approved = next(
        e
        for e in log
        if e["action"] == "draft.approved" and e["target"] == f"draft:{summary['id']}"
    )
    assert approved["detail"]["confirmed_carried"] == ["scope_life_health"]


@before_repeal()
async def test_a_draft_whose_message_cannot_be_built_fails_alone_and_the_next_is_delivered(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """An approved draft whose recipient holds a line break (stored before edits were checked)
    fails with the reason on the board, in the audit and the metric; the draft approved after it,
    on another regulator, is still delivered in the same round."""
    app = client.server.app
    assert app is not None
    book = app[SERVICE].book
    await post_alerts(client, ullevaal(clock))
    berg = alert("fp-berg", clock.now(), element="se-cell-berg-1")
    await post_alerts(client, berg)
    [poisoned] = await drafts(client, regulator="nkom")
    stored = book.drafts[poisoned["id"]]
    bad = dataclasses.replace(stored.latest, recipient="ekomvarsling@nkom.no\nBcc: x@evil.example")
    await book.write(
        dataclasses.replace(stored, versions=(bad,), revision=stored.revision + 1),
        stored.revision,
        [],
    )
    r = await client.post(
        f"/api/v1/drafts/{poisoned['id']}/approve",
        json={"version": 1, "send_unknown": poisoned["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    clock.advance(timedelta(minutes=31))  # the PTS draft opens and is approved after the bad one
    await app[SERVICE].tick()
    [good] = await drafts(client, regulator="pts")
    r = await client.post(
        f"/api/v1/drafts/{good['id']}/approve",
        json={"version": 1, "send_unknown": good["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()

    done = {d.id: d for d in await deliver(client)}
    assert done[poisoned["id"]].state == "failed" and done[good["id"]].state == "sent"
    [mail] = smtp.mailbox.received
    assert mail.rcpt_tos == ["incidentrapport@pts.se"]
    board = await draft(client, poisoned["id"])
    assert board["state"] == "failed" and "could not be built" in board["flag"]
    assert "linefeed" in board["flag"]
    log = (await (await client.get("/api/v1/audit", headers=as_("auditor"))).json())["entries"]
    [failed] = [e for e in log if e["action"] == "outbox.failed"]
    assert failed["target"] == f"draft:{poisoned['id']}" and "linefeed" in failed["detail"]["error"]
    unsendable = 'bridge_emails_sent_total{regulator="nkom",result="unsendable"}'
    assert await metric(client, unsendable) == 1
    assert await deliver(client) == []  # never retried on its own


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("recipient", "ekomvarsling@nkom.no\nBcc: x@evil.example", "fields.recipient"),
        ("recipient", "not an address", "fields.recipient"),
        ("recipient", "a@example.no, nobody", "fields.recipient"),
        ("recipient", "", "fields.recipient"),
    ],
)
async def test_edits_with_a_bad_recipient_are_refused_naming_the_field(
    client: TestClient[Any, Any], clock: FakeClock, field: str, value: str, named: str
) -> None:
    """A recipient that is not a real address or holds a line break is a 400 naming the field,
    and no version is made."""
    await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    r = await client.patch(
        f"/api/v1/drafts/{d['id']}",
        json={"version": 1, "fields": {field: value}},
        headers=as_("editor"),
    )
    assert r.status == 400 and named in (await r.json())["detail"]
    assert (await draft(client, d["id"]))["version"] == 1


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/versions/%C2%B2", "n:"),  # '²': a digit to isdigit, not to int
        ("/versions/" + "9" * 5000, "n:"),  # past int's 4300 digits
        ("/diff?to=%C2%B2", "to:"),
        ("/diff?from=" + "9" * 5000, "from:"),
    ],
)
async def test_a_version_number_not_in_ascii_digits_is_a_400_naming_it(
    client: TestClient[Any, Any], clock: FakeClock, path: str, named: str
) -> None:
    """A version in the path or query is ASCII digits only: else a 400 naming the parameter
    (once a 500), and the draft and the audit log stay as they were."""
    await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    store = client.server.app[SERVICE].store
    before = await draft(client, d["id"]), await store.audit_log(1000)
    r = await client.get(f"/api/v1/drafts/{d['id']}{path}", headers=as_("viewer"))
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith(named)
    assert (await draft(client, d["id"]), await store.audit_log(1000)) == before


@before_repeal()
async def test_a_reference_with_a_line_break_is_refused_and_quotes_are_quoted_in_the_mime_part(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """The PTS reference refuses line breaks (400 naming it); a reference with quotes and a
    semicolon reaches the attachment's file name quoted, and the download header is RFC 6266."""
    app = client.server.app
    assert app is not None
    await post_alerts(client, alert("fp-berg", clock.now(), element="se-cell-berg-1"))
    clock.advance(timedelta(minutes=31))
    await app[SERVICE].tick()
    [d] = await drafts(client, regulator="pts")
    url = f"/api/v1/drafts/{d['id']}"
    r = await client.patch(
        url, json={"version": 1, "fields": {"reference": "R-1\r\nX: y"}}, headers=as_("editor")
    )
    assert r.status == 400 and "fields.reference" in (await r.json())["detail"]
    r = await client.patch(
        url, json={"version": 1, "fields": {"reference": 'R "1"; size=9 Ö'}}, headers=as_("editor")
    )
    assert r.status == 200, await r.text()
    edited = await r.json()
    download = await client.get(url + "/attachment", headers=as_("viewer"))
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="PTS-pts-initial-R -1-; size=9 _.docx";')
    assert "filename*=UTF-8''PTS-pts-initial-R%20-1-%3B%20size%3D9%20%C3%96.docx" in disposition
    r = await client.post(
        url + "/approve",
        json={"version": 2, "send_unknown": edited["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    [sent] = await deliver(client)
    assert sent.state == "sent"
    [mail] = smtp.mailbox.received
    [docx] = list(mail.message.iter_attachments())
    assert docx.get_filename() == "PTS-pts-initial-R -1-; size=9 Ö.docx"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"limit": "99999999999999999999"}, 400),  # beyond 1000: lists are paged
        ({"before": "99999999999999999999"}, 400),
        ({"before": "-1"}, 400),
        ({"before": "9" * 5000}, 400),
        ({"limit": "1e3"}, 400),
    ],
)
async def test_audit_query_numbers_out_of_range_are_4xx(
    client: TestClient[Any, Any], query: dict[str, str], status: int
) -> None:
    """Huge, negative or non-integer ``limit``/``before`` never reach the store as a 500."""
    r = await client.get("/api/v1/audit", params=query, headers=as_("auditor"))
    assert r.status == status, await r.text()


@before_repeal()
async def test_the_lifecycle_log_has_one_info_line_per_event_with_ids_only(
    client: TestClient[Any, Any],
    smtp: SmtpServer,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """bridge.lifecycle logs, at INFO, incident opened, reportable, obligation opened, draft
    opened, approved and sent (each once, with ids), and never the approving person's name."""
    caplog.set_level(logging.INFO, logger="bridge.lifecycle")
    app = client.server.app
    assert app is not None
    await post_alerts(client, alert("fp-berg", clock.now(), element="se-cell-berg-1"))
    clock.advance(timedelta(minutes=31))  # 112 element out for 30 min: reportable to PTS
    await app[SERVICE].tick()
    [initial] = [d for d in await drafts(client) if d["kind"] == "pts_initial"]
    headers = await person(client, clock.now)
    r = await client.post(
        f"/api/v1/drafts/{initial['id']}/approve",
        json={"version": 1, "send_unknown": initial["to_complete"]},
        headers=headers,
    )
    assert r.status == 200, await r.text()
    clock.advance(timedelta(minutes=2))
    await deliver(client)
    records = [r for r in caplog.records if r.name == "bridge.lifecycle"]
    assert {r.levelno for r in records} == {logging.INFO}
    events = [(getattr(r, "event", None), getattr(r, "kind", None)) for r in records]
    incident = initial["incident"]
    for expected in (
        ("incident.opened", None),
        ("incident.reportable", None),
        ("obligation.opened", "pts_initial"),
        ("obligation.opened", "pts_supplementary"),
        ("draft.opened", "pts_initial"),
        ("draft.approved", "pts_initial"),
        ("outbox.sent", "pts_initial"),
    ):
        assert events.count(expected) == 1, (expected, events)
    reportable = next(r for r in records if getattr(r, "event", None) == "incident.reportable")
    assert reportable.getMessage() == f"incident {incident} became reportable to pts"
    opened = next(r for r in records if getattr(r, "event", None) == "incident.opened")
    assert opened.getMessage() == f"incident opened: {incident}"
    sent = next(r for r in records if getattr(r, "event", None) == "outbox.sent")
    assert sent.getMessage() == (
        f"notice sent: {initial['id']} (pts pts_initial, version 1) for {incident}"
    )
    text = "\n".join(r.getMessage() for r in records)
    assert "person" not in text and "@" not in text and "Strömavbrott" not in text


async def test_a_settled_incident_that_left_memory_leaves_no_notices_behind(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Once a settled incident leaves memory, what the service kept of it for its notices
    (its lifecycle facts, what its drafts said, when it was last reconciled) goes too."""
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=5)
    (inc_id,) = (await post_alerts(client, ullevaal(clock)))["incidents"]
    ended = alert(
        "fp-ullevaal", start, status="resolved", ends_at=clock.now(), element="no-cell-ullevaal"
    )
    await post_alerts(client, ended)
    clock.advance(timedelta(hours=1))  # closed (after the quiet period): normalised
    for _ in range(3):  # every notice it owes (each drafted once the one before is done)
        await service.tick()
        for d in await drafts(client, state="draft"):
            url = f"/api/v1/drafts/{d['id']}/reject"
            r = await client.post(url, json={"reason": "test"}, headers=as_("approver"))
            assert r.status == 200, await r.text()
    await service.tick()
    kept = (service._facts, service.cases._notices, service.drafting._reconciled)
    assert [inc_id in held for held in kept] == [True, True, True]
    clock.advance(timedelta(days=30))
    await service.tick()
    assert inc_id not in service.engine.incidents
    assert [inc_id in held for held in kept] == [False, False, False]


async def test_an_edit_based_on_what_changed_since_is_refused_and_changes_nothing(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Two people edit one draft (optimistic concurrency, docs/api.md): an edit naming a version
    that is no longer the latest is 409 and makes no version; one naming the ``state`` it was
    begun in (optional) is 409 once the draft was approved meanwhile, and the approval stands;
    a ``state`` that is no draft state is a 400 naming it. Based on what is there, the edit is
    made and withdraws the approval, as it always did."""
    await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    url = f"/api/v1/drafts/{d['id']}"
    kari = {"version": 1, "fields": {"scope_life_health": "Ja: 112-dekning på Ullevål."}}
    r = await client.patch(url, json=kari, headers=as_("editor"))
    assert r.status == 200, await r.text()
    ola = {"version": 1, "fields": {"expected_duration": "Ca. 4 timer."}}
    r = await client.patch(url, json=ola, headers=as_("editor"))
    assert r.status == 409 and "based on version 1" in (await r.json())["detail"]
    now = await draft(client, d["id"])
    assert now["version"] == 2
    assert now["latest"]["author"] == "token:editor"

    r = await client.post(
        url + "/approve",
        json={"version": 2, "send_unknown": now["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    stale = {"version": 2, "state": "draft", "fields": {"expected_duration": "Ca. 6 timer."}}
    r = await client.patch(url, json=stale, headers=as_("editor"))
    assert r.status == 409, await r.text()
    assert "approved" in (await r.json())["detail"]
    kept = await draft(client, d["id"])
    assert (kept["state"], kept["version"]) == ("approved", 2)
    assert kept["approved"] is not None and kept["approved"]["version"] == 2

    r = await client.patch(url, json={**stale, "state": "open"}, headers=as_("editor"))
    assert r.status == 400 and (await r.json())["detail"].startswith("state:")
    r = await client.patch(url, json={**stale, "state": 3}, headers=as_("editor"))
    assert r.status == 400 and (await r.json())["detail"].startswith("state:")
    assert (await draft(client, d["id"]))["state"] == "approved"

    r = await client.patch(url, json={**stale, "state": "approved"}, headers=as_("editor"))
    assert r.status == 200, await r.text()
    edited = await r.json()
    assert (edited["state"], edited["version"], edited["approved"]) == ("draft", 3, None)


#: what an alert's annotations may carry that no reader of a notice or a title should get: NUL,
#: ESC (a terminal's escape sequence), BEL, a zero-width space, a bidirectional isolate and
#: override (reordering what the reader sees)
HOSTILE = ("\x00", "\x1b", "\x07", "\u200b", "\u2066", "\u202e")


async def test_control_bidi_and_zero_width_characters_of_alerts_reach_no_notice_nor_title(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """An alert's annotations are stored as sent, but what they bring into a notice or an
    incident's title is cleaned as a person's text would be refused: no control character
    (lines and tabs kept), no bidirectional control, no zero-width character reaches Nkom's
    e-mail, its text or its HTML, nor the title; an approver who saves the prefilled cause
    untouched is not refused for a character nobody can see. Homoglyphs are not touched."""
    dirty = "Fiber\x00brudd\x1b[2J ved\x07 Ull\u200bevål\u2066 2026/\u202e9990"
    hostile = alert(
        "fp-ullevaal",
        clock.now() - timedelta(minutes=5),
        element="no-cell-ullevaal",
        severity="major",
        annotations={
            "cause": dirty + "\nLinje to\tmed tab",
            "summary": dirty,
            "expected_resolution": "2\u200b timer\x1b",
        },
    )
    [incident_id] = (await post_alerts(client, hostile))["incidents"]
    incident = await (
        await client.get(f"/api/v1/incidents/{incident_id}", headers=as_("viewer"))
    ).json()
    assert incident["title"] == "Fiberbrudd[2J ved Ullevål 2026/9990"
    [listed] = await drafts(client)
    url = f"/api/v1/drafts/{listed['id']}"
    fields = {f["key"]: f for f in (await draft(client, listed["id"]))["latest"]["fields"]}
    cause = fields["cause"]["value"]
    assert cause == "Fiberbrudd[2J ved Ullevål 2026/9990\nLinje to\tmed tab"
    assert fields["expected_duration"]["value"] == "2 timer"
    # the approver saves the cause as it was prefilled: nothing invisible refuses it
    r = await client.patch(
        url, json={"version": 1, "fields": {"cause": cause}}, headers=as_("editor")
    )
    assert r.status == 200, await r.text()
    latest = (await r.json())["latest"]
    r = await client.post(
        url + "/approve",
        json={"version": latest["number"], "send_unknown": (await r.json())["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    [done] = await deliver(client)
    assert done.state == "sent"
    [mail] = smtp.mailbox.received
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Fiberbrudd[2J ved Ullevål" in text and "Fiberbrudd[2J ved Ullevål" in html
    for part in (text, html, mail.message["Subject"]):
        assert not [c for c in HOSTILE if c in part], [hex(ord(c)) for c in HOSTILE if c in part]
