"""The Swedish cybersecurity act through the app's factory: an incident the se-cyber criteria
mark potentially significant shows what it would owe; a signed-in approver with a fresh TOTP
declares it significant (awareness now, or earlier; never later or in the future), and only
then the early warning and the notification are owed and drafted, in Swedish, with what only a
person can answer left to complete. Bad input is a 400 naming the field and changes nothing;
every declaration is audited; declaring survives a restart."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
APPROVER_TOKEN = {"Authorization": "Bearer test-token-for-approver"}
RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "bridge-rules.yml"
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}
AUDITOR = {"Authorization": "Bearer test-token-for-auditor"}


def cyber_auth() -> dict[str, Any]:
    return {
        "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
        "api_tokens": [
            {"name": "viewer", "token": "test-token-for-viewer", "roles": ["viewer"]},
            {"name": "approver", "token": "test-token-for-approver", "roles": ["approver"]},
            {"name": "auditor", "token": "test-token-for-auditor", "roles": ["auditor"]},
            {"name": "editor", "token": "test-token-for-editor", "roles": ["editor"]},
        ],
        "session": {"cookie_secure": False},
    }


def cyber_config(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        extra={
            "regulators": {
                "pts": {"rule_set": "pts-outage", "recipient": "incidentrapport@pts.se"},
                "csirt": {"rule_set": "se-cyber"},
            },
            "auth": cyber_auth(),
            "notices": {
                "refresh_interval": "0s",
                "poll_interval": "1h",
                "receipt_max_bytes": 2048,
            },
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
            },
        },
    )


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return cyber_config(tmp_path)


async def hospital_cell_down(client: TestClient[Any, Any], clock: FakeClock) -> str:
    """The cell serving Östersund's hospital (112, societal) goes down: potentially
    significant under se-cyber at once (operator's criteria e112, societal)."""
    body = make_webhook(
        alert("fp-sjukhus", clock.now() - timedelta(minutes=3), element="se-cell-ostersund-sjukhus")
    )
    r = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
    assert r.status == 200, await r.text()
    [incident_id] = (await r.json())["incidents"]
    return str(incident_id)


async def incident(client: TestClient[Any, Any], incident_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/incidents/{incident_id}", headers=VIEWER)
    assert r.status == 200, await r.text()
    return dict(await r.json())


def cyber_kinds(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in doc["obligations"] if o["kind"].startswith("se_cyber_")}


async def test_declared_significant_starts_the_clocks_and_drafts_the_early_warning(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    incident_id = await hospital_cell_down(client, clock)
    doc = await incident(client, incident_id)
    [board] = doc["cyber"]
    assert board["potentially_significant"] and board["declaration"] is None
    assert board["reasons"]  # the criteria that mark it, with their figures
    preview = {o["kind"]: o for o in board["if_declared_now"]}
    assert (
        preview["se_cyber_early_warning"]["due_at"]
        == (clock.now() + timedelta(hours=24)).isoformat()
    )
    assert cyber_kinds(doc) == {}  # nothing owed before a person declares
    assert not [d for d in doc["drafts"] if d["kind"].startswith("se_cyber_")]

    url = f"/api/v1/incidents/{incident_id}/declaration"
    # an API token cannot declare, even an approver's: a person with a second factor decides
    r = await client.post(url, json={"significant": True}, headers=APPROVER_TOKEN)
    assert r.status == 403
    headers = await person(client, clock.now, "anna", ["approver"])
    # bad input: named, nothing changes
    for body, field in (
        ({"significant": "yes"}, "significant"),
        ({"significant": True, "aware_at": "yesterday"}, "aware_at"),
        ({"significant": True, "aware_at": "2026-11-23T10:00:00"}, "aware_at"),
        ({"significant": True, "aware_at": rfc3339(clock.now() + timedelta(hours=1))}, "aware_at"),
        ({"significant": False}, "reason"),
        ({"significant": True, "colour": "red"}, "colour"),
    ):
        r = await client.post(url, json={**body}, headers=headers)
        assert r.status == 400, (body, await r.text())
        assert field in (await r.json())["detail"], body
    assert (await incident(client, incident_id))["cyber"][0]["declaration"] is None

    aware = clock.now() - timedelta(minutes=2)
    r = await client.post(
        url,
        json={"significant": True, "aware_at": rfc3339(aware)},
        headers=headers,
    )
    assert r.status == 200, await r.text()
    doc = await r.json()
    assert doc["declaration"]["by"] == "anna"
    assert doc["cyber"][0]["if_declared_now"] == []
    owed = cyber_kinds(doc)
    assert owed["se_cyber_early_warning"]["due_at"] == rfc3339(aware + timedelta(hours=24))
    assert owed["se_cyber_notification"]["due_at"] == rfc3339(aware + timedelta(hours=72))
    drafts = {d["kind"]: d for d in doc["drafts"]}
    warning = drafts["se_cyber_early_warning"]
    assert warning["regulator"] == "csirt" and warning["state"] == "draft"
    assert set(warning["to_complete"]) == {"suspected_malicious", "cross_border"}
    detail = await (await client.get(f"/api/v1/drafts/{warning['id']}", headers=VIEWER)).json()
    fields = {f["key"]: f for f in detail["latest"]["fields"]}
    assert fields["suspected_malicious"]["label"].startswith("Misstänks incidenten")
    assert fields["suspected_malicious"]["hint"]  # guidance for staff, never sent
    assert "Tidig varning om betydande incident" in detail["latest"]["text"]

    # audited, with the second factor
    log = await (await client.get("/api/v1/audit", headers=AUDITOR)).json()
    [entry] = [e for e in log["entries"] if e["action"] == "incident.declared"]
    assert entry["actor"] == "anna" and entry["detail"]["second_factor"] == "totp"
    assert entry["detail"]["aware_at"] == aware.isoformat()

    # the clock cannot be stopped or delayed afterwards
    headers = await person(client, clock.now, "anna", ["approver"])
    r = await client.post(
        url,
        json={"significant": False, "reason": "no"},
        headers=headers,
    )
    assert r.status == 409, await r.text()

    # a restart rebuilds from the store: the declaration and its clocks are still there
    app = client.server.app
    assert app is not None
    service = app[SERVICE]
    await service._rebuild()
    doc = await incident(client, incident_id)
    assert cyber_kinds(doc)["se_cyber_early_warning"]["due_at"] == rfc3339(
        aware + timedelta(hours=24)
    )


async def test_declared_not_significant_owes_nothing_and_says_why(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    incident_id = await hospital_cell_down(client, clock)
    headers = await person(client, clock.now, "anna", ["approver"])
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={
            "significant": False,
            "reason": "Planerat arbete; sjukhuset har reservsamband.",
        },
        headers=headers,
    )
    assert r.status == 200, await r.text()
    doc = await r.json()
    assert doc["declaration"]["significant"] is False
    assert doc["declaration"]["reason"].startswith("Planerat arbete")
    assert cyber_kinds(doc) == {}
    assert doc["cyber"][0]["if_declared_now"]  # still shown: it may yet be declared


async def test_the_timeline_tells_the_declaration_and_the_submission_with_who_and_when(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The declaration (``incident.declared``) and the early warning's submission on the
    portal (``draft.submitted``) were in the audit but not on the incident's timeline: "when
    did you submit the early warning?" had no answer there. Both are now, in both views and
    the CSV: who, when (the submission at the instant it was submitted, with the portal's
    reference and when it was recorded), the declaration's decision, awareness and reason."""
    incident_id = await hospital_cell_down(client, clock)
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={"significant": True, "reason": "112 ur drift vid sjukhuset"},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    aware = clock.now()
    warning = (await cyber_drafts(client, incident_id))["se_cyber_early_warning"]
    await approve(client, clock, warning)
    submitted = clock.now()
    clock.advance(timedelta(hours=2))  # recorded two hours after submitting it
    r = await client.post(
        f"/api/v1/drafts/{warning['id']}/submission",
        json={"reference": "CP-2026-0042", "submitted_at": rfc3339(submitted)},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    url = f"/api/v1/incidents/{incident_id}/timeline"
    for view in ("all", "grouped"):
        r = await client.get(url, params={"view": view}, headers=VIEWER)
        assert r.status == 200, await r.text()
        events = (await r.json())["events"]
        [declared] = [e for e in events if e["kind"] == "declared"]
        assert declared["actor"] == "anna"
        assert declared["summary"] == (
            "declared significant under the cybersecurity act by anna, aware at "
            f"{rfc3339(aware)}: 112 ur drift vid sjukhuset"
        )
        [sub] = [e for e in events if "submitted on the portal" in e["summary"]]
        assert sub["at"] == rfc3339(submitted) and sub["actor"] == "anna"
        assert sub["summary"].startswith("MCF CSIRT – tidig varning: submitted on the portal by")
        assert "the portal's reference CP-2026-0042 (recorded " in sub["summary"]
        assert sub["draft"] == warning["id"]
    r = await client.get(url, params={"format": "csv"}, headers=VIEWER)
    text = await r.text()
    assert "declared significant under the cybersecurity act by anna" in text
    assert "submitted on the portal by anna" in text


async def test_unknown_incident_is_404(client: TestClient[Any, Any], clock: FakeClock) -> None:
    headers = await person(client, clock.now, "anna", ["approver"])
    r = await client.post(
        "/api/v1/incidents/inc-nope/declaration",
        json={"significant": True},
        headers=headers,
    )
    assert r.status == 404


async def approve(
    client: TestClient[Any, Any], clock: FakeClock, draft: dict[str, Any]
) -> dict[str, Any]:
    """Approve the draft's latest version as a person, sending what only a person can answer
    as not yet known."""
    r = await client.post(
        f"/api/v1/drafts/{draft['id']}/approve",
        json={"version": draft["version"], "send_unknown": draft["to_complete"]},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    return dict(await r.json())


async def cyber_drafts(client: TestClient[Any, Any], incident_id: str) -> dict[str, Any]:
    doc = await incident(client, incident_id)
    return {d["kind"]: d for d in doc["drafts"] if d["kind"].startswith("se_cyber_")}


async def test_portal_reports_are_met_only_once_a_submission_is_recorded(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The CSIRT's reports go by its portal: approved, the outbox never sends them; the
    deadline is met only when a person records the submission (time, the portal's reference,
    optionally the receipt); approved but not recorded, it is late once due. The notification's
    recorded submission starts the final report's month."""
    incident_id = await hospital_cell_down(client, clock)
    headers = await person(client, clock.now, "anna", ["approver"])
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={"significant": True},
        headers=headers,
    )
    assert r.status == 200, await r.text()
    aware = clock.now()
    warning = (await cyber_drafts(client, incident_id))["se_cyber_early_warning"]
    assert warning["channel"] == "portal"
    approved = await approve(client, clock, warning)
    assert approved["state"] == "approved" and approved["delivery"]["next_attempt_at"] is None
    app = client.server.app
    assert app is not None
    assert await app[SERVICE].outbox.deliver_due() == []  # nothing is e-mailed
    # the copy-ready document: the approved report as HTML
    r = await client.get(f"/api/v1/drafts/{warning['id']}/attachment", headers=VIEWER)
    assert r.status == 200 and r.content_type == "text/html"
    assert "Tidig varning om betydande incident" in await r.text()

    # approved but not submitted when the 24 h pass: late
    clock.advance(timedelta(hours=24, minutes=1))
    await app[SERVICE].tick()  # the timer's work, now
    owed = cyber_kinds(await incident(client, incident_id))
    assert owed["se_cyber_early_warning"]["state"] == "overdue"

    url = f"/api/v1/drafts/{warning['id']}/submission"
    headers = await person(client, clock.now, "anna", ["approver"])
    r = await client.post(url, json={"reference": "CP-1"}, headers=APPROVER_TOKEN)
    assert r.status == 403  # a token never attests a submission
    receipt = {"name": "kvitto.pdf", "media_type": "application/pdf", "content_base64": "JVBERi0x"}
    for body, status, field in (
        ({}, 400, "reference"),
        ({"reference": "CP-1", "submitted_at": "soon"}, 400, "submitted_at"),
        (
            {"reference": "CP-1", "submitted_at": rfc3339(clock.now() + timedelta(hours=1))},
            400,
            "submitted_at",
        ),
        (
            {"reference": "CP-1", "submitted_at": rfc3339(aware - timedelta(hours=1))},
            400,
            "submitted_at",
        ),
        (
            {"reference": "CP-1", "receipt": {**receipt, "content_base64": "%%"}},
            400,
            "receipt.content_base64",
        ),
        (
            {"reference": "CP-1", "receipt": {**receipt, "media_type": "pdf"}},
            400,
            "receipt.media_type",
        ),
        (
            {"reference": "CP-1", "receipt": {**receipt, "content_base64": "A" * 4000}},
            413,
            "receipt.content_base64",
        ),
        ({"reference": "CP-1", "colour": "red"}, 400, "colour"),
    ):
        r = await client.post(url, json=body, headers=headers)
        assert r.status == status, (body, await r.text())
        assert field in (await r.json())["detail"], body
    assert (await cyber_drafts(client, incident_id))["se_cyber_early_warning"]["state"] == (
        "approved"
    )

    submitted = aware + timedelta(hours=23)  # submitted in time, recorded late
    r = await client.post(
        url,
        json={"reference": "CP-2026-0042", "submitted_at": rfc3339(submitted), "receipt": receipt},
        headers=headers,
    )
    assert r.status == 200, await r.text()
    sent = await r.json()
    assert sent["state"] == "sent" and sent["sent_at"] == rfc3339(submitted)
    assert sent["submission"]["reference"] == "CP-2026-0042"
    assert sent["submission"]["receipt"]["size"] == 6
    r = await client.get(f"/api/v1/drafts/{warning['id']}/receipt", headers=VIEWER)
    assert r.status == 200 and await r.read() == base64.b64decode("JVBERi0x")
    owed = cyber_kinds(await incident(client, incident_id))
    assert owed["se_cyber_early_warning"]["state"] == "sent"
    r = await client.post(url, json={"reference": "again"}, headers=headers)
    assert r.status == 409

    # the notification: approved, submitted; the final report is due a month after that
    notification = (await cyber_drafts(client, incident_id))["se_cyber_notification"]
    await approve(client, clock, notification)
    notified = clock.now()
    r = await client.post(
        f"/api/v1/drafts/{notification['id']}/submission",
        json={"reference": "CP-2026-0043"},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    owed = cyber_kinds(await incident(client, incident_id))
    assert owed["se_cyber_notification"]["state"] == "sent"
    assert owed["se_cyber_progress"]["due_at"] == rfc3339(notified + timedelta(days=30))  # Dec
    assert owed["se_cyber_final"]["waiting_for"] == "remedied"  # still ongoing

    log = await (await client.get("/api/v1/audit", headers=AUDITOR)).json()
    [entry, _] = [e for e in log["entries"] if e["action"] == "draft.submitted"]
    assert entry["detail"]["reference"] == "CP-2026-0043"
    assert entry["detail"]["second_factor"] == "totp"


async def test_an_approved_portal_report_not_yet_submitted_is_paged_before_its_deadline(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Approved, the early warning waits for a person to submit it on the CSIRT's portal: its
    obligation is ``approved_to_submit`` (not ``approved``, which ObligationDueSoon leaves out
    as on its way by e-mail) on the incident, the queue and the due-time series the paging
    rule reads; submitted, it is sent and the series goes."""
    incident_id = await hospital_cell_down(client, clock)
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={"significant": True},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    warning = (await cyber_drafts(client, incident_id))["se_cyber_early_warning"]
    await approve(client, clock, warning)
    app = client.server.app
    assert app is not None
    clock.advance(timedelta(hours=23, minutes=45))  # due in 15 minutes
    await app[SERVICE].tick()
    owed = cyber_kinds(await incident(client, incident_id))
    assert owed["se_cyber_early_warning"]["state"] == "approved_to_submit"
    r = await client.get(f"/api/v1/queue?cases={incident_id}", headers=VIEWER)
    items = {i["kind"]: i for i in (await r.json())["items"]}
    assert items["se_cyber_early_warning"]["state"] == "approved_to_submit"
    scrape = await (await client.get("/metrics")).text()
    [series] = [
        line
        for line in scrape.splitlines()
        if line.startswith("bridge_obligation_due_timestamp_seconds{")
        and 'kind="se_cyber_early_warning"' in line
    ]
    assert 'state="approved_to_submit"' in series, series
    # the paging rule's selector leaves out none of it (it leaves out state="approved")
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    [due_soon] = [
        r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "ObligationDueSoon"
    ]
    left_out = set(re.findall(r'state!="([^"]+)"', due_soon["expr"]))
    assert left_out == {"approved"} and "approved_to_submit" not in left_out

    r = await client.post(
        f"/api/v1/drafts/{warning['id']}/submission",
        json={"reference": "CP-2026-0042"},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    await app[SERVICE].tick()
    owed = cyber_kinds(await incident(client, incident_id))
    assert owed["se_cyber_early_warning"]["state"] == "sent"
    scrape = await (await client.get("/metrics")).text()
    assert 'kind="se_cyber_early_warning"' not in scrape


EDITOR = {"Authorization": "Bearer test-token-for-editor"}


async def test_the_csirts_request_makes_the_intermediate_report_owed_by_its_deadline(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Recorded by an editor on a declared-significant incident (409 before), bad input named:
    the intermediate report is then owed by the deadline the CSIRT set, and drafted."""
    incident_id = await hospital_cell_down(client, clock)
    url = f"/api/v1/incidents/{incident_id}/report-requests"
    deadline = clock.now() + timedelta(days=2)
    r = await client.post(url, json={"deadline": rfc3339(deadline)}, headers=EDITOR)
    assert r.status == 409, await r.text()  # not declared significant
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={"significant": True},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    r = await client.post(url, json={"deadline": rfc3339(deadline)}, headers=VIEWER)
    assert r.status == 403
    for body, field in (
        ({}, "deadline"),
        ({"deadline": "Friday"}, "deadline"),
        ({"deadline": rfc3339(clock.now() - timedelta(hours=1))}, "deadline"),
        (
            {
                "deadline": rfc3339(deadline),
                "received_at": rfc3339(clock.now() + timedelta(hours=1)),
            },
            "received_at",
        ),
        ({"deadline": rfc3339(deadline), "reference": "a\nb"}, "reference"),
    ):
        r = await client.post(url, json=body, headers=EDITOR)
        assert r.status == 400, (body, await r.text())
        assert field in (await r.json())["detail"], body
    r = await client.post(
        url, json={"deadline": rfc3339(deadline), "reference": "CERT-SE 2026-117"}, headers=EDITOR
    )
    assert r.status == 200, await r.text()
    doc = await r.json()
    assert cyber_kinds(doc)["se_cyber_intermediate"]["due_at"] == rfc3339(deadline)
    assert doc["declaration"]["requests"][0]["reference"] == "CERT-SE 2026-117"
    assert "se_cyber_intermediate" in {d["kind"] for d in doc["drafts"]}
    log = await (await client.get("/api/v1/audit", headers=AUDITOR)).json()
    assert [e["actor"] for e in log["entries"] if e["action"] == "incident.report_requested"] == [
        "token:editor"
    ]


async def test_without_a_cybersecurity_rule_set_there_is_nothing_to_declare(
    client_for: Any, clock: FakeClock, tmp_path: Path
) -> None:
    """No regulator with a track-cyber rule set: a declaration is a 409 saying so, and the
    incident shows no cybersecurity block."""
    made = await client_for(write_config(tmp_path, extra={"auth": cyber_auth()}))
    incident_id = await hospital_cell_down(made, clock)
    r = await made.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={"significant": True},
        headers=await person(made, clock.now, "anna", ["approver"]),
    )
    assert r.status == 409 and "no cybersecurity rule set" in (await r.json())["detail"]
    assert (await incident(made, incident_id))["cyber"] == []
