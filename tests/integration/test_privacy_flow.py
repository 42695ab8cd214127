"""Privacy incidents through the app's factory, a real SMTP server (aiosmtpd on loopback) and an
injected clock: a person reports a breach, drafts open for what it owes (PTS reports, subscriber
notices and the copy to PTS), approvers with the privacy role approve them, the outbox delivers,
every read and refusal is audited, the register exports, and none of the test's personal data
reaches the bridge's log or /metrics."""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
import yaml
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, write_config
from builders import bearer_for as as_
from builders import webhook as make_webhook
from fakes import FakeClock
from http_answers import ok
from persons import person
from prometheus_client.parser import text_string_to_metric_families
from smtp_server import SmtpServer

from bridge.web.api import privacy as privacy_api
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
ROLES = {
    "p-viewer": ["viewer:privacy"],
    "p-editor": ["editor:privacy"],
    "p-approver": ["approver:privacy"],
    "outage-approver": ["approver:outage"],
    "auditor": ["viewer", "auditor:all"],
}
#: the people who approve (only a signed-in person with a fresh second factor sends)
PEOPLE = {"p-approver": ("petra", ["approver:privacy"]), "outage-approver": ("otto", ["approver"])}
SUBSCRIBERS = "kundkommunikation@example.net"
# Personal data the test writes into the case: none of it may show in logs or /metrics.
MARKERS = (
    "Kalle Markörsson",
    "070-1234567",
    "kalle.markorsson@example.se",
    "ZQX-LAPTOP-4711",
    "Vasagatan 99",
)
DESCRIPTION = (
    f"Laptop {MARKERS[3]} with call-detail records was stolen from a car at {MARKERS[4]}; "
    f"it held {MARKERS[0]}'s ({MARKERS[1]}, {MARKERS[2]}) records among others."
)
ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
pytestmark = pytest.mark.manual_outbox  # the client's outbox runs when a test calls deliver()


def config(tmp_path: Path, smtp: SmtpServer) -> Path:
    return write_config(
        tmp_path,
        extra={
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [
                    {"name": who, "token": f"test-token-for-{who}", "roles": roles}
                    for who, roles in ROLES.items()
                ],
                "session": {"cookie_secure": False},  # the test client speaks plain http
            },
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {
                    "name": "Dataskydd",
                    "phone": "+46 10 000 00 00",
                    "email": "dpo@ex.net",
                },
            },
            "smtp": smtp.smtp_config(),
            "notices": {
                "archive_dir": str(tmp_path / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "1h",  # the tests run the outbox themselves
            },
            "privacy": {
                "alert_label": {"incident_type": "privacy"},
                "subscriber_notice_recipient": SUBSCRIBERS,
            },
            "log_level": "debug",
        },
    )


@pytest.fixture
def config_path(tmp_path: Path, smtp: SmtpServer) -> Path:
    return config(tmp_path, smtp)


async def deliver(client: TestClient[Any, Any]) -> list[Any]:
    app = client.server.app
    assert app is not None
    return await app[SERVICE].outbox.deliver_due()


async def report_breach(client: TestClient[Any, Any], clock: FakeClock, **over: Any) -> Any:
    body = {
        "detected_at": rfc3339(clock.now() - timedelta(minutes=20)),
        "occurred_at": rfc3339(clock.now() - timedelta(hours=14)),
        "occurred_estimated": True,
        "jurisdictions": ["SE"],
        "circumstances": ["theft"],
        "data_categories": ["subscriber", "traffic"],
        "data_description": f"Call-detail records incl. {MARKERS[1]}",
        "description": DESCRIPTION,
        "affected": 1200,
        "consequences": "Risk of identity fraud for the subscribers concerned.",
        "measures_taken": "Remote wipe ordered, police report filed.",
        "measures_planned": "Full-disk encryption on every laptop by 2027.",
        "recommended_actions": "Var uppmärksam på samtal som ber om koder.",
        "unreadable": False,
        **over,
    }
    return await ok(
        await client.post("/api/v1/privacy/cases", json=body, headers=as_("p-editor")), 201
    )


async def alert_opens_swedish_case(
    client: TestClient[Any, Any], clock: FakeClock, fingerprint: str, description: str
) -> dict[str, Any]:
    """A privacy alert in SE (``fingerprint``, begun 2 minutes before now, ``description`` as
    its description annotation) posted to the webhook: asserts it was accepted and opened the
    only privacy case; that case as the case list shows it."""
    leak = alert(
        fingerprint,
        clock.now() - timedelta(minutes=2),
        incident_type="privacy",
        jurisdiction="SE",
        annotations={"description": description},
    )
    r = await client.post("/api/v1/alertmanager", json=make_webhook(leak), headers=HOOK)
    assert (await ok(r))["accepted"] == 1
    listed = await ok(await client.get("/api/v1/privacy/cases", headers=as_("p-viewer")))
    [case] = listed["cases"]
    return dict(case)


async def drafts_of(client: TestClient[Any, Any], case_id: str) -> dict[str, Any]:
    case = await ok(await client.get(f"/api/v1/privacy/cases/{case_id}", headers=as_("p-viewer")))
    return {d["kind"]: d for d in case["drafts"]}


async def as_person(client: TestClient[Any, Any], who: str) -> dict[str, str]:
    """The headers of ``who``'s person (PEOPLE), signed in with a fresh code."""
    app = client.server.app
    assert app is not None
    name, roles = PEOPLE[who]
    return await person(client, app[SERVICE].clock.now, name, roles)


async def approve(client: TestClient[Any, Any], draft: dict[str, Any], who: str) -> Any:
    return await client.post(
        f"/api/v1/drafts/{draft['id']}/approve",
        json={"version": draft["version"], "send_unknown": draft["to_complete"]},
        headers=await as_person(client, who),
    )


async def audit(client: TestClient[Any, Any], target: str | None = None) -> list[dict[str, Any]]:
    params = {"limit": "1000", **({"target": target} if target else {})}
    body = await ok(await client.get("/api/v1/audit", params=params, headers=as_("auditor")))
    return list(reversed(body["entries"]))


async def test_manual_report_to_approved_emails_with_audit_and_no_personal_data_leaked(
    client: TestClient[Any, Any],
    smtp: SmtpServer,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A manually reported breach owes the initial report and subscriber notice within 24 h; the
    privacy approver's approval e-mails the facts to PTS, sending starts the supplementary report's
    clock, and no personal data reaches logs or metrics."""
    caplog.set_level(logging.DEBUG)
    scrapes: list[str] = []

    async def scrape() -> None:
        scrapes.append(await (await client.get("/metrics")).text())

    case = await report_breach(client, clock)
    case_id = case["id"]
    assert case_id.startswith("priv-20261123-") and case["revision"] == 1
    owed = {o["kind"]: o for o in case["obligations"]}
    detected = clock.now() - timedelta(minutes=20)
    assert owed["privacy_initial"]["due_at"] == rfc3339(detected + timedelta(hours=24))
    assert owed["subscriber_notice"]["due_at"] == rfc3339(detected + timedelta(hours=24))
    assert owed["privacy_supplementary"]["waiting_for"] == "initial_sent"
    drafts = await drafts_of(client, case_id)
    assert set(drafts) == {"privacy_initial", "subscriber_notice"}
    assert all(d["track"] == "privacy" for d in drafts.values())
    await scrape()

    # the PTS initial report: the Annex I facts; an outage approver may not approve it
    initial = drafts["privacy_initial"]
    assert initial["recipient"] == "incidentrapport@pts.se"
    r = await approve(client, initial, "outage-approver")
    assert r.status == 403
    approved = await ok(await approve(client, initial, "p-approver"))
    assert approved["approved"]["by"] == "petra"
    clock.advance(timedelta(minutes=3))
    [sent] = await deliver(client)
    assert sent.state == "sent"
    [mail] = smtp.mailbox.received
    assert mail.rcpt_tos == ["incidentrapport@pts.se"]
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert MARKERS[3] in text  # the facts reach the regulator…
    assert "Stöld" in text and "1 200 abonnenter eller användare" in text
    assert "Första anmälan" in text and "(uppskattad)" in text
    await scrape()

    # sending it starts the supplementary report's 3 days
    case = await ok(await client.get(f"/api/v1/privacy/cases/{case_id}", headers=as_("p-viewer")))
    owed = {o["kind"]: o for o in case["obligations"]}
    assert owed["privacy_initial"]["state"] == "sent"
    assert owed["privacy_supplementary"]["due_at"] == rfc3339(clock.now() + timedelta(days=3))
    assert "privacy_supplementary" in {d["kind"] for d in case["drafts"]}

    # the subscriber notice: plain Swedish, completed by an editor, approved, sent to the
    # operator's distribution address; then its copy to PTS opens
    notice = (await drafts_of(client, case_id))["subscriber_notice"]
    assert notice["recipient"] == SUBSCRIBERS
    edited = await ok(
        await client.patch(
            f"/api/v1/drafts/{notice['id']}",
            json={
                "version": notice["version"],
                "fields": {"what_you_can_do": "Var uppmärksam på bedrägeriförsök."},
            },
            headers=as_("p-editor"),
        )
    )
    await ok(await approve(client, edited, "p-approver"))
    [told] = await deliver(client)
    assert told.state == "sent"
    notice_mail = smtp.mailbox.received[1]
    assert notice_mail.rcpt_tos == [SUBSCRIBERS]
    notice_text = notice_mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Vad kan du göra?" in notice_text and "bedrägeriförsök" in notice_text
    assert not list(notice_mail.message.iter_attachments())  # no PTS document for subscribers
    assert "vem du har ringt" in notice_text
    copy = (await drafts_of(client, case_id))["privacy_subscriber_copy"]
    assert copy["recipient"] == "incidentrapport@pts.se"
    await ok(await approve(client, copy, "p-approver"))
    [copied] = await deliver(client)
    assert copied.state == "sent"
    copy_text = smtp.mailbox.received[2].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "bedrägeriförsök" in copy_text  # the notice itself, as sent
    await scrape()

    # audit: opening, approvals and sends, reads; no personal data in any entry
    entries = await audit(client)
    actions = [e["action"] for e in entries]
    assert "privacy.opened" in actions and actions.count("outbox.sent") == 3
    assert "privacy.read" in actions
    refused = [e for e in entries if e["action"] == "privacy.refused"]
    assert refused and refused[0]["actor"] == "otto"
    assert refused[0]["target"] == f"draft:{initial['id']}"

    # nothing personal in the bridge's log (its own loggers and aiohttp's access log; not the
    # test's SMTP server, which logs what it receives) or the metrics, while the data did flow
    log_text = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if r.name.startswith(("bridge", "aiohttp"))
    )
    assert "privacy case" in log_text and case_id in log_text  # the log did cover the flow
    assert "bridge_privacy_cases" in scrapes[-1]
    for marker in MARKERS:
        assert marker not in log_text, marker
        assert all(marker not in s for s in scrapes), marker
        assert marker not in repr(entries), marker


async def test_a_token_without_the_privacy_scope_gets_403_and_each_refusal_is_audited(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Tokens without the privacy scope get 403 on every privacy endpoint (each refusal audited), a
    privacy viewer cannot change a case, and draft lists show each token only its own track."""
    case = await report_breach(client, clock)
    url = f"/api/v1/privacy/cases/{case['id']}"
    attempts = [
        ("GET", "/api/v1/privacy/cases"),
        ("GET", url),
        ("GET", url + "/revisions"),
        ("GET", "/api/v1/privacy/register.csv"),
        ("GET", "/api/v1/privacy/register.xlsx"),
        ("PATCH", url),
    ]
    for method, path in attempts:
        r = await client.request(method, path, headers=as_("outage-approver"), json={})
        assert r.status == 403, (method, path, await r.text())
    r = await client.get(url)
    assert r.status == 401
    # a privacy viewer may read but not change; an editor may not record an exemption
    r = await client.patch(
        url, json={"revision": 1, "fields": {"affected": 3}}, headers=as_("p-viewer")
    )
    assert r.status == 403
    r = await client.post(
        url + "/exemption",
        json={"revision": 1, "reason": "no_adverse_effect"},
        headers=as_("p-editor"),
    )
    assert r.status == 403
    refusals = [e for e in await audit(client) if e["action"] == "privacy.refused"]
    assert [(e["actor"], e["detail"]["method"], e["detail"]["path"]) for e in refusals] == [
        ("token:outage-approver", m, p) for m, p in attempts
    ] + [("token:p-viewer", "PATCH", url), ("token:p-editor", "POST", url + "/exemption")]
    assert refusals[1]["target"] == f"privacy:{case['id']}"
    # the drafts list shows an outage-only token no privacy draft at all, a privacy-only
    # token only the privacy ones
    listed = await ok(await client.get("/api/v1/drafts", headers=as_("outage-approver")))
    assert listed["drafts"] == []
    listed = await ok(await client.get("/api/v1/drafts", headers=as_("p-viewer")))
    assert {d["track"] for d in listed["drafts"]} == {"privacy"}


async def test_reads_are_audited_and_edits_make_revisions(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Case reads are audited; an edit needs the current revision and valid fields, makes a new
    revision the drafts follow, and a stale revision is 409."""
    case = await report_breach(client, clock)
    url = f"/api/v1/privacy/cases/{case['id']}"
    r = await client.patch(url, json={"fields": {"affected": 3}}, headers=as_("p-editor"))
    assert r.status == 400 and "revision" in (await r.json())["detail"]
    r = await client.patch(
        url, json={"revision": 1, "fields": {"affected": "lots"}}, headers=as_("p-editor")
    )
    assert r.status == 400 and "fields.affected" in (await r.json())["detail"]
    edited = await ok(
        await client.patch(
            url, json={"revision": 1, "fields": {"affected": 1500}}, headers=as_("p-editor")
        )
    )
    assert edited["revision"] == 2
    r = await client.patch(
        url, json={"revision": 1, "fields": {"affected": 1600}}, headers=as_("p-editor")
    )
    assert r.status == 409
    # the drafts follow the facts
    initial = (await drafts_of(client, case["id"]))["privacy_initial"]
    detail = await ok(await client.get(f"/api/v1/drafts/{initial['id']}", headers=as_("p-viewer")))
    fields = {f["key"]: f["value"] for f in detail["latest"]["fields"]}
    assert fields["affected"] == "1 500 abonnenter eller användare"
    revisions = await ok(await client.get(url + "/revisions", headers=as_("p-viewer")))
    assert [r["affected"] for r in revisions["revisions"]] == [1200, 1500]
    entries = await audit(client, target=f"privacy:{case['id']}")
    edits = [e for e in entries if e["action"] == "privacy.edited"]
    assert [e["detail"]["fields"] for e in edits] == [["affected"]]
    reads = [e for e in entries if e["action"] == "privacy.read"]
    assert {e["actor"] for e in reads} == {"token:p-viewer"} and len(reads) >= 2
    draft_reads = await audit(client, target=f"draft:{initial['id']}")
    assert [e["action"] for e in draft_reads if e["actor"] == "token:p-viewer"] == ["privacy.read"]


async def test_personal_data_answers_are_not_kept_by_the_browser(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Every API answer that can hold personal data says no-store (a shared NOC workstation's
    browser cache must not keep a privacy case after sign-out) and nosniff; Alertmanager's
    webhook answer is left as it was."""
    case = await report_breach(client, clock)
    for url in (
        f"/api/v1/privacy/cases/{case['id']}",
        "/api/v1/privacy/cases",
        f"/api/v1/incidents/{case['id']}",
        "/api/v1/audit",
    ):
        r = await client.get(url, headers=as_("p-viewer"))
        assert r.status in (200, 403), (url, r.status)
        assert r.headers.get("Cache-Control") == "no-store", url
        assert r.headers.get("X-Content-Type-Options") == "nosniff", url
    r = await client.get("/api/v1/privacy/cases/no-such-case", headers=as_("p-viewer"))
    assert r.status == 404 and r.headers.get("Cache-Control") == "no-store"  # errors too
    r = await client.post("/api/v1/alertmanager", data=b"{}", headers=HOOK)
    assert r.status == 400 and "Cache-Control" not in r.headers


async def test_deadlines_follow_the_injected_clock(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Deadlines of a Swedish and Norwegian case follow the injected clock: the Nkom varsel is due
    in 1 h and overdue after it, and the metrics count overdue obligations."""
    case = await report_breach(client, clock, jurisdictions=["SE", "NO"])
    url = f"/api/v1/privacy/cases/{case['id']}"
    owed = {o["kind"]: o for o in case["obligations"]}
    detected = clock.now() - timedelta(minutes=20)
    assert owed["nkom_privacy_varsel"]["due_at"] == rfc3339(detected + timedelta(hours=1))
    assert owed["nkom_privacy_subscriber"]["due_at"] == rfc3339(detected + timedelta(hours=24))
    assert owed["nkom_privacy_varsel"]["state"] == "drafted"
    clock.advance(timedelta(minutes=40))
    case = await ok(await client.get(url, headers=as_("p-viewer")))
    assert case["overdue"] == ["nkom_privacy_varsel"]
    clock.advance(timedelta(hours=23))
    case = await ok(await client.get(url, headers=as_("p-viewer")))
    assert case["overdue"] == [
        "nkom_privacy_subscriber",
        "nkom_privacy_varsel",
        "privacy_initial",
        "subscriber_notice",
    ]
    scrape = await (await client.get("/metrics")).text()
    assert 'bridge_privacy_obligations{state="overdue"} 4.0' in scrape
    assert 'bridge_privacy_cases{state="open"} 1.0' in scrape


async def test_no_one_pushes_the_privacy_deadlines_out_by_the_detection_time(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """A detection in the future is refused (400 naming detected_at, nothing opened), and so
    is moving a case's detection later (400 naming fields.detected_at: the reports' deadlines
    and a missed one's overdue stand, nothing audited); moving it earlier is an edit."""
    r = await client.post(
        "/api/v1/privacy/cases",
        json={
            "detected_at": rfc3339(clock.now() + timedelta(days=5 * 365)),
            "jurisdictions": ["SE"],
        },
        headers=as_("p-editor"),
    )
    assert r.status == 400
    assert (await r.json())["detail"].startswith("detected_at: "), await r.text()
    listed = await ok(await client.get("/api/v1/privacy/cases", headers=as_("p-viewer")))
    assert listed["cases"] == []

    detected = clock.now() - timedelta(hours=46)
    case = await report_breach(client, clock, detected_at=rfc3339(detected))
    url = f"/api/v1/privacy/cases/{case['id']}"
    assert (await ok(await client.get(url, headers=as_("p-viewer"))))["overdue"] == [
        "privacy_initial",
        "subscriber_notice",
    ]
    for when in (clock.now() - timedelta(minutes=1), clock.now() + timedelta(hours=1)):
        r = await client.patch(
            url,
            json={"revision": 1, "fields": {"detected_at": rfc3339(when)}},
            headers=as_("p-editor"),
        )
        assert r.status == 400, await r.text()
        assert (await r.json())["detail"].startswith("fields.detected_at: "), await r.text()
    after = await ok(await client.get(url, headers=as_("p-viewer")))
    assert after["revision"] == 1
    assert datetime.fromisoformat(after["case"]["detected_at"]) == detected
    assert after["overdue"] == ["privacy_initial", "subscriber_notice"]
    owed = {o["kind"]: o for o in after["obligations"]}
    assert owed["privacy_initial"]["due_at"] == rfc3339(detected + timedelta(hours=24))
    assert [e for e in await audit(client) if e["action"] == "privacy.edited"] == []

    earlier = detected - timedelta(hours=1)
    edited = await ok(
        await client.patch(
            url,
            json={"revision": 1, "fields": {"detected_at": rfc3339(earlier)}},
            headers=as_("p-editor"),
        )
    )
    assert edited["revision"] == 2
    owed = {o["kind"]: o for o in edited["obligations"]}
    assert owed["privacy_initial"]["due_at"] == rfc3339(earlier + timedelta(hours=24))
    edits = [e for e in await audit(client) if e["action"] == "privacy.edited"]
    assert [e["detail"]["fields"] for e in edits] == [["detected_at"]]


RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "bridge-rules.yml"
RULE_METRIC = re.compile(r"\bbridge_[a-z_]+")
RULE_LABEL = re.compile(r"\$labels\.(\w+)")


async def test_privacy_deadlines_are_on_metrics_the_paging_rules_read(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """A privacy case's deadlines reach /metrics as the series PrivacyObligationDueSoon and
    PrivacyObligationOverdue read (deploy/prometheus/bridge-rules.yml): the soonest due time
    per regulator and kind of what still needs a person, with exactly the labels the rules'
    text names, and no case id. Once the Nkom varsel is past due it stays there (overdue)."""
    case = await report_breach(client, clock, jurisdictions=["SE", "NO"])
    owed = [o for o in case["obligations"] if o["due_at"] is not None]
    assert {o["state"] for o in owed} <= {"open", "drafted"}  # none approved yet
    scrape = await (await client.get("/metrics")).text()
    families = {f.name: f for f in text_string_to_metric_families(scrape)}
    rules = {
        r["alert"]: r
        for g in yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
        for r in g["rules"]
        if r.get("alert", "").startswith("PrivacyObligation")
    }
    assert set(rules) == {"PrivacyObligationDueSoon", "PrivacyObligationOverdue"}
    for name, rule in rules.items():
        [metric] = set(RULE_METRIC.findall(rule["expr"]))
        samples = families[metric].samples
        assert samples, (name, metric)
        named = set(RULE_LABEL.findall(yaml.safe_dump(rule["annotations"])))
        for sample in samples:
            assert set(sample.labels) == {"regulator", "kind"}
            assert named <= set(sample.labels), (name, named)
    due = {
        (s.labels["regulator"], s.labels["kind"]): s.value
        for s in families["bridge_privacy_obligation_next_due_timestamp_seconds"].samples
    }
    assert due == {(o["regulator"], o["kind"]): parse_time(o["due_at"]) for o in owed}
    assert ("nkom", "nkom_privacy_varsel") in due and ("pts", "privacy_initial") in due
    assert case["id"] not in scrape
    clock.advance(timedelta(hours=1))
    scrape = await (await client.get("/metrics")).text()
    varsel = 'bridge_privacy_obligation_next_due_timestamp_seconds{kind="nkom_privacy_varsel"'
    assert varsel in scrape  # overdue now: still there for PrivacyObligationOverdue


def parse_time(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


async def test_an_exemption_withdraws_the_subscriber_notices(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """An exemption (data_unreadable refused for this case) withdraws the Swedish subscriber
    notice (the EU exemption is Sweden's; Norway's rule has none, so the Norwegian notice stays),
    the reports say they are not notified, and it is audited without personal data."""
    case = await report_breach(client, clock, jurisdictions=["SE", "NO"])
    url = f"/api/v1/privacy/cases/{case['id']}"
    assert {"subscriber_notice", "nkom_privacy_subscriber"} <= set(
        await drafts_of(client, case["id"])
    )
    r = await client.post(
        url + "/exemption",
        json={"revision": 1, "reason": "data_unreadable"},
        headers=await as_person(client, "p-approver"),
    )
    assert r.status == 400 and "unreadable" in (await r.json())["detail"]
    exempt = await ok(
        await client.post(
            url + "/exemption",
            json={"revision": 1, "reason": "no_adverse_effect", "comment": "only test numbers"},
            headers=await as_person(client, "p-approver"),
        )
    )
    assert exempt["exemption"] == "no_adverse_effect"
    assert {o["kind"] for o in exempt["obligations"]} == {
        "privacy_initial",
        "privacy_supplementary",
        "nkom_privacy_varsel",
        "nkom_privacy_subscriber",
        "nkom_privacy_update",
        "nkom_privacy_normalised",
    }
    drafts = await drafts_of(client, case["id"])
    assert drafts["subscriber_notice"]["state"] == "withdrawn"
    assert drafts["nkom_privacy_subscriber"]["state"] == "draft"
    report = await ok(
        await client.get(
            f"/api/v1/drafts/{drafts['privacy_initial']['id']}", headers=as_("p-viewer")
        )
    )
    fields = {f["key"]: f["value"] for f in report["latest"]["fields"]}
    assert "underrättas inte" in fields["subscriber_notification"]
    [entry] = [e for e in await audit(client) if e["action"] == "privacy.exemption_recorded"]
    assert entry["actor"] == "petra" and entry["detail"]["reason"] == "no_adverse_effect"
    assert entry["detail"]["second_factor"] == "totp"
    assert "only test numbers" not in repr(entry)


async def test_the_register_exports_every_case_as_csv_and_xlsx(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The register exports every case, closed ones too, as CSV (formulas neutralised) and XLSX with
    each case's reports, and each export is audited."""
    first = await report_breach(client, clock)
    second = await report_breach(client, clock, description='=HYPERLINK("http://evil")')
    closed = await ok(
        await client.post(
            f"/api/v1/privacy/cases/{first['id']}/state",
            json={"revision": 1, "state": "closed", "outcome": "handled", "reason": "Reported"},
            headers=as_("p-editor"),
        )
    )
    assert closed["state"] == "closed"
    r = await client.get("/api/v1/privacy/register.csv", headers=as_("p-viewer"))
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    text = (await r.read()).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("id,state,nature,jurisdictions")
    assert len(lines) == 3
    assert any(first["id"] in line and ",closed," in line for line in lines)
    assert "'=HYPERLINK" in text  # a formula is shown as text, not run
    r = await client.get("/api/v1/privacy/register.xlsx", headers=as_("p-viewer"))
    assert r.status == 200
    book = openpyxl.load_workbook(io.BytesIO(await r.read()))
    rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "id" and {row[0] for row in rows[1:]} == {first["id"], second["id"]}
    reports = rows[0].index("reports")
    assert all("privacy_initial: drafted" in str(row[reports]) for row in rows[1:])
    exported = [e for e in await audit(client) if e["action"] == "privacy.exported"]
    assert [e["detail"]["path"] for e in exported] == [
        "/api/v1/privacy/register.csv",
        "/api/v1/privacy/register.xlsx",
    ]


async def test_closing_a_case_needs_a_reason_kept_in_the_audit_and_the_register(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """``{"state": "closed", "reason": "not a breach"}`` was taken and the reason dropped: the
    audit said only ``state`` and the register no outcome. A close without a reason (or an
    outcome) is a 400 naming it and changes nothing; a close with both keeps them in the audit
    entry, on the case, in its list row (the outcome) and in the register (CSV and XLSX)."""
    case = await report_breach(client, clock)
    url = f"/api/v1/privacy/cases/{case['id']}/state"
    for body, field in (
        ({"state": "closed"}, "reason"),
        ({"state": "closed", "reason": " ", "outcome": "not_a_breach"}, "reason"),
        ({"state": "closed", "reason": "not a breach"}, "outcome"),
        ({"state": "closed", "reason": "not a breach", "outcome": "gone"}, "outcome"),
    ):
        r = await client.post(url, json={"revision": 1, **body}, headers=as_("p-editor"))
        assert r.status == 400, await r.text()
        assert (await r.json())["detail"].startswith(f"{field}: "), body
    why = "Not a breach: the laptop was found in the office, still locked"
    closed = await ok(
        await client.post(
            url,
            json={"revision": 1, "state": "closed", "reason": why, "outcome": "not_a_breach"},
            headers=as_("p-editor"),
        )
    )
    assert closed["revision"] == 2 and closed["outcome"] == "not_a_breach"
    assert closed["case"]["closure"]["reason"] == why
    assert closed["case"]["closure"]["by"] == "token:p-editor"
    [entry] = [e for e in await audit(client) if e["action"] == "privacy.closed"]
    assert entry["detail"]["reason"] == why and entry["detail"]["outcome"] == "not_a_breach"
    listed = await ok(
        await client.get("/api/v1/privacy/cases?state=closed", headers=as_("p-viewer"))
    )
    assert [c["outcome"] for c in listed["cases"]] == ["not_a_breach"]
    r = await client.get("/api/v1/privacy/register.csv", headers=as_("p-viewer"))
    text = (await r.read()).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert cells["state"] == "closed" and cells["outcome"] == "not_a_breach"
    assert cells["closure"].startswith(f"{why} (token:p-editor, ")
    r = await client.get("/api/v1/privacy/register.xlsx", headers=as_("p-viewer"))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(await r.read())).active.iter_rows(values_only=True)
    )  # type: ignore[union-attr]
    assert rows[1][rows[0].index("outcome")] == "not_a_breach"


async def test_a_case_that_turns_out_a_risk_has_its_norwegian_notices_say_so(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """A Norwegian case reported as a breach, then found to be a particular risk (``nature``
    edited): both Nkom drafts get a new version saying risk in subject and text. The
    subscriber notice's fields do not change with the nature (only its title, first sentence
    and a heading do), so its draft was not brought up to date and kept telling a breach."""
    case = await report_breach(client, clock, jurisdictions=["NO"])
    before = await drafts_of(client, case["id"])
    for kind in ("nkom_privacy_varsel", "nkom_privacy_subscriber"):
        draft = await ok(
            await client.get(f"/api/v1/drafts/{before[kind]['id']}", headers=as_("p-viewer"))
        )
        assert "brudd på personvernet" in draft["latest"]["subject"]
    await ok(
        await client.patch(
            f"/api/v1/privacy/cases/{case['id']}",
            json={"revision": 1, "fields": {"nature": "risk"}},
            headers=as_("p-editor"),
        )
    )
    after = await drafts_of(client, case["id"])
    for kind in ("nkom_privacy_varsel", "nkom_privacy_subscriber"):
        draft = await ok(
            await client.get(f"/api/v1/drafts/{after[kind]['id']}", headers=as_("p-viewer"))
        )
        latest = draft["latest"]
        assert latest["number"] == 2, kind
        assert "særlig risiko for brudd på sikkerheten" in latest["subject"], kind
        assert "brudd på personvernet" not in latest["subject"] + latest["text"], kind


async def test_an_alert_with_a_control_character_exports_as_xlsx_and_logs_none_of_it(
    client: TestClient[Any, Any], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Alertmanager's text is kept as sent, control characters included (the webhook drops no
    alert); the XLSX register still exports, showing the character as U+FFFD, the export is
    audited, and nothing of the case reaches any log record."""
    caplog.set_level(logging.DEBUG)
    text = f"Export of {MARKERS[0]}\x0b{MARKERS[1]} found on a public bucket"
    listed = await alert_opens_swedish_case(client, clock, "fp-ctrl", text)
    full = await ok(
        await client.get(f"/api/v1/privacy/cases/{listed['id']}", headers=as_("p-viewer"))
    )
    assert full["case"]["description"] == text  # stored as sent
    r = await client.get("/api/v1/privacy/register.xlsx", headers=as_("p-viewer"))
    assert r.status == 200, await r.text()
    book = openpyxl.load_workbook(io.BytesIO(await r.read()))
    rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    description = rows[0].index("description")
    assert rows[1][description] == text.replace("\x0b", "\N{REPLACEMENT CHARACTER}")
    exported = [e for e in await audit(client) if e["action"] == "privacy.exported"]
    assert [e["detail"]["path"] for e in exported] == ["/api/v1/privacy/register.xlsx"]
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "/api/v1/privacy/register.xlsx" in logged  # the log did cover the export
    for marker in MARKERS[:2]:
        assert marker not in logged, marker


async def test_an_alert_with_control_characters_drafts_a_pts_report_whose_docx_builds(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """An alert's text is kept as sent in the case, control characters included; the PTS
    initial report drafted from it carries it without them (a vertical tab a space), as a
    person's text would be: the draft previews, its Word document downloads and the approved
    report is e-mailed with it, none of those characters in the text or the document."""
    text = "Export found\x0bon a \x1b[31mpublic\x1b[0m bucket\x00"
    listed = await alert_opens_swedish_case(client, clock, "fp-ctrl-docx", text)
    initial = (await drafts_of(client, listed["id"]))["privacy_initial"]
    url = f"/api/v1/drafts/{initial['id']}"
    preview = await ok(await client.get(url, headers=as_("p-viewer")))
    fields = {f["key"]: f["value"] for f in preview["latest"]["fields"]}
    expected = "Export found on a [31mpublic[0m bucket"
    assert fields["summary"] == expected
    assert not any(c in preview["latest"]["text"] for c in "\x0b\x1b\x00")

    def paragraphs(body: bytes) -> list[str]:
        return [p.text for p in docx.Document(io.BytesIO(body)).paragraphs]

    download = await client.get(url + "/attachment", headers=as_("p-viewer"))
    assert download.status == 200, await download.text()
    assert expected in paragraphs(await download.read())
    await ok(await approve(client, initial, "p-approver"))
    [sent] = await deliver(client)
    assert sent.state == "sent"
    [mail] = smtp.mailbox.received
    [attached] = list(mail.message.iter_attachments())
    assert expected in paragraphs(attached.get_content())  # type: ignore[union-attr]


async def test_an_export_that_fails_is_not_audited_and_its_message_is_not_logged(
    client: TestClient[Any, Any],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If making the file fails, the caller gets a 500 naming an error id, no audit entry claims
    the register was exported, and the error's message (which may quote a cell) is not logged."""
    caplog.set_level(logging.DEBUG)
    await report_breach(client, clock)

    def broken(rows: list[list[str]], author: str = "") -> bytes:
        raise ValueError(f"cannot write {rows[0][10]!r}")  # the description, as openpyxl would

    monkeypatch.setattr(privacy_api, "to_xlsx", broken)
    r = await client.get("/api/v1/privacy/register.xlsx", headers=as_("p-viewer"))
    assert r.status == 500
    assert (await r.json())["detail"].startswith("see the bridge's log (error id ")
    assert [e for e in await audit(client) if e["action"] == "privacy.exported"] == []
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "unhandled error on GET /api/v1/privacy/register.xlsx" in logged
    assert "ValueError" in logged and "in broken" in logged
    for marker in MARKERS:
        assert marker not in logged, marker


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "Kund Kalle Markörsson\x0b070-1234567"),
        ("measures_taken", "Remote wipe\x00ordered"),
        ("texts", {"sv": {"causes": "Stöld\x1b ur bil"}}),
    ],
)
async def test_a_control_character_in_a_persons_text_is_refused_naming_the_field(
    client: TestClient[Any, Any], clock: FakeClock, field: str, value: Any
) -> None:
    """A case opened or edited through the API with a control character (other than line breaks
    and tabs) in its text is a 400 naming the field, and nothing is stored or changed."""
    r = await client.post(
        "/api/v1/privacy/cases",
        json={"detected_at": rfc3339(clock.now()), "jurisdictions": ["SE"], field: value},
        headers=as_("p-editor"),
    )
    assert r.status == 400
    detail = (await r.json())["detail"]
    named = field if field != "texts" else "texts.sv.causes"
    assert detail.startswith(f"{named}: control character U+"), detail
    assert "Markörsson" not in detail and "Stöld" not in detail  # the value is not echoed
    listed = await ok(await client.get("/api/v1/privacy/cases", headers=as_("p-viewer")))
    assert listed["cases"] == []

    case = await report_breach(client, clock, description="Line one\r\n\tline two")
    assert case["case"]["description"] == "Line one\r\n\tline two"
    url = f"/api/v1/privacy/cases/{case['id']}"
    r = await client.patch(
        url, json={"revision": 1, "fields": {field: value}}, headers=as_("p-editor")
    )
    assert r.status == 400
    assert (await r.json())["detail"].startswith(f"fields.{named}: control character U+")
    after = await ok(await client.get(url, headers=as_("p-viewer")))
    assert after["revision"] == 1 and after["case"] == case["case"]
    edited = [e for e in await audit(client) if e["action"] == "privacy.edited"]
    assert edited == []


async def test_a_labelled_alert_opens_a_privacy_case_not_an_outage_incident(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """An alert with the privacy label opens one privacy case (a re-delivery finds the same case)
    with its drafts, and no outage incident."""
    started = clock.now() - timedelta(minutes=2)
    leak = alert(
        "fp-leak",
        started,
        incident_type="privacy",
        element="no-cell-ullevaal",
        jurisdiction="NO",
        annotations={"summary": "Unencrypted CDR export found on a public bucket"},
    )
    for _ in range(2):  # a re-delivery finds the same case
        r = await client.post("/api/v1/alertmanager", json=make_webhook(leak), headers=HOOK)
        body = await ok(r)
        assert body == {"accepted": 1, "incidents": []}
    incidents = await ok(await client.get("/api/v1/incidents?state=all", headers=as_("auditor")))
    assert incidents["incidents"] == []
    listed = await ok(await client.get("/api/v1/privacy/cases", headers=as_("p-viewer")))
    [case] = listed["cases"]
    assert case["source"] == "alert" and case["jurisdictions"] == ["NO"]
    assert case["detected_at"] == rfc3339(started)
    full = await ok(
        await client.get(f"/api/v1/privacy/cases/{case['id']}", headers=as_("p-viewer"))
    )
    assert full["case"]["description"] == "Unencrypted CDR export found on a public bucket"
    assert {d["kind"] for d in full["drafts"]} == {"nkom_privacy_varsel", "nkom_privacy_subscriber"}


ALERT_WORDS = "Unusual bulk export from crm-prod-02 by svc_batch, 41k rows"
PERSONS_WORDS = "Någon har obehörigt hämtat ut kunduppgifter ur vårt kundregister."
#: What a subscriber notice must also state (its consequences, measures, advice), in a case.
RISKS = {
    "consequences": "Någon kan försöka lura dig med hjälp av uppgifterna.",
    "measures_taken": "Vi har stängt åtkomsten.",
    "recommended_actions": "Var uppmärksam på samtal som ber om koder.",
}


async def draft_detail(client: TestClient[Any, Any], draft_id: str) -> dict[str, Any]:
    return dict(await ok(await client.get(f"/api/v1/drafts/{draft_id}", headers=as_("p-viewer"))))


def by_key(detail: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in detail["latest"]["fields"]}


async def test_a_subscriber_notice_from_an_alert_waits_for_a_person_s_words(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """A case opened from an alert drafts the subscriber notice without the alert's text: "what
    happened" is to complete, its hint saying why, while the PTS report starts from the alert's
    text. Once a person saves the case's description, the notice as sent carries their words."""
    listed = await alert_opens_swedish_case(client, clock, "fp-words", ALERT_WORDS)
    url = f"/api/v1/privacy/cases/{listed['id']}"
    case = await ok(await client.get(url, headers=as_("p-viewer")))
    drafts = {d["kind"]: d for d in case["drafts"]}
    notice = await draft_detail(client, drafts["subscriber_notice"]["id"])
    what = by_key(notice)["what_happened"]
    assert what["value"] == "" and what["to_complete"] and "what_happened" in notice["to_complete"]
    assert "alert" in what["hint"] and ALERT_WORDS not in what["hint"]
    assert ALERT_WORDS not in notice["latest"]["text"] + notice["latest"]["html"]
    initial = await draft_detail(client, drafts["privacy_initial"]["id"])
    assert by_key(initial)["summary"]["value"] == ALERT_WORDS  # a starting point for PTS
    assert case["alert_texts"] == ["description"]  # the console says why

    changed = await ok(
        await client.patch(
            url,
            json={"revision": case["revision"], "fields": {"description": PERSONS_WORDS, **RISKS}},
            headers=as_("p-editor"),
        )
    )
    assert changed["alert_texts"] == []
    notice = await draft_detail(client, drafts["subscriber_notice"]["id"])
    what = by_key(notice)["what_happened"]
    assert what["value"] == PERSONS_WORDS and not what["to_complete"]
    assert PERSONS_WORDS in notice["latest"]["text"]
    await ok(await approve(client, notice, "p-approver"))
    [sent] = await deliver(client)
    assert sent.state == "sent"
    [mail] = smtp.mailbox.received
    assert mail.rcpt_tos == [SUBSCRIBERS]
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert PERSONS_WORDS in text and ALERT_WORDS not in text


async def test_a_subscriber_notice_is_not_approved_with_a_required_element_unknown(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """An approver who names every empty field of a subscriber notice in send_unknown (TOTP and
    all) is refused (400) naming the required elements still empty and saying a notice to
    subscribers must state them: the draft stays a draft, nothing is approved or sent. Once
    people write them (in the case and in the draft), the notice is approved with only the
    optional "which data" sent as not yet known, and subscribers read it exactly once."""
    listed = await alert_opens_swedish_case(client, clock, "fp-required", ALERT_WORDS)
    url = f"/api/v1/privacy/cases/{listed['id']}"
    drafts = await drafts_of(client, listed["id"])
    notice = await draft_detail(client, drafts["subscriber_notice"]["id"])
    required = ["what_happened", "what_it_means", "what_we_do", "what_you_can_do"]
    assert set(required) <= set(notice["to_complete"])
    r = await approve(client, notice, "p-approver")
    assert r.status == 400
    detail = (await r.json())["detail"]
    assert "subscribers must state" in detail and "write them in the draft" in detail
    assert all(key in detail for key in required) and "your_data" not in detail
    after = await draft_detail(client, notice["id"])
    assert after["state"] == "draft" and after["approved"] is None
    assert after["latest"] == notice["latest"]
    assert "draft.approved" not in [e["action"] for e in await audit(client)]
    assert await deliver(client) == [] and smtp.mailbox.received == []

    case = await ok(await client.get(url, headers=as_("p-viewer")))
    words = {
        "description": PERSONS_WORDS,
        "consequences": "Någon kan försöka lura dig med hjälp av uppgifterna.",
        "recommended_actions": "Var uppmärksam på samtal och meddelanden som ber om koder.",
    }
    await ok(
        await client.patch(
            url, json={"revision": case["revision"], "fields": words}, headers=as_("p-editor")
        )
    )
    notice = await draft_detail(client, notice["id"])
    edited = await ok(
        await client.patch(
            f"/api/v1/drafts/{notice['id']}",
            json={
                "version": notice["latest"]["number"],
                "fields": {"what_we_do": "Vi har stängt exporten och ändrat alla lösenord."},
            },
            headers=as_("p-editor"),
        )
    )
    assert edited["to_complete"] == ["your_data"]
    approved = await ok(await approve(client, edited, "p-approver"))
    assert approved["state"] == "approved"
    [sent] = await deliver(client)
    assert sent.state == "sent"
    [mail] = smtp.mailbox.received
    body = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    text = body.replace("\r\n", "\n")
    assert "Vilka uppgifter om dig berörs?\nÄnnu inte känt" in text
    assert text.count("Ännu inte känt") == 1 and "lösenord" in text and "lura dig" in text


async def test_a_draft_says_which_fields_must_be_written_before_approval(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """GET /api/v1/drafts/{id} says, of the fields still to complete, which must be written
    before approval (``must_complete``; each field's ``required``) and which may be sent as not
    yet known: a subscriber notice's required elements must, its "which data" may; the
    approval's refusal names exactly ``must_complete``. The PTS report has none (every field
    may be sent as not yet known), and neither does the notice once they are written. The case's
    list of drafts says the same."""
    listed = await alert_opens_swedish_case(client, clock, "fp-must", ALERT_WORDS)
    drafts = await drafts_of(client, listed["id"])
    notice = await draft_detail(client, drafts["subscriber_notice"]["id"])
    must = ["what_happened", "what_it_means", "what_we_do", "what_you_can_do"]
    assert notice["must_complete"] == must and drafts["subscriber_notice"]["must_complete"] == must
    assert set(notice["to_complete"]) == {*must, "your_data"}
    fields = by_key(notice)
    assert [k for k, f in fields.items() if f["required"]] == [
        "when", "what_happened", "what_it_means", "what_we_do", "what_you_can_do", "contact_us"
    ]  # fmt: skip
    assert fields["your_data"]["to_complete"] and not fields["your_data"]["required"]
    assert fields["when"]["required"] and not fields["when"]["to_complete"]  # written: no block
    r = await approve(client, notice, "p-approver")
    assert r.status == 400
    assert f"must state {', '.join(notice['must_complete'])}:" in (await r.json())["detail"]

    initial = await draft_detail(client, drafts["privacy_initial"]["id"])
    assert initial["to_complete"] and initial["must_complete"] == []
    assert not any(f["required"] for f in initial["latest"]["fields"])

    written = {
        "what_happened": PERSONS_WORDS,
        "what_it_means": "Någon kan försöka lura dig med hjälp av uppgifterna.",
        "what_we_do": "Vi har stängt exporten.",
        "what_you_can_do": "Var uppmärksam på samtal som ber om koder.",
    }
    edited = await ok(
        await client.patch(
            f"/api/v1/drafts/{notice['id']}",
            json={"version": notice["latest"]["number"], "fields": written},
            headers=as_("p-editor"),
        )
    )
    assert edited["to_complete"] == ["your_data"] and edited["must_complete"] == []
    assert (await draft_detail(client, notice["id"]))["must_complete"] == []


async def test_a_person_who_saves_the_alert_s_text_unchanged_chooses_it_for_subscribers(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Saving the alert's description as it is makes a revision naming the field, by that
    person: the subscriber notice then says it (a person chose those words)."""
    listed = await alert_opens_swedish_case(client, clock, "fp-same", ALERT_WORDS)
    url = f"/api/v1/privacy/cases/{listed['id']}"
    saved = await ok(
        await client.patch(
            url,
            json={"revision": 1, "fields": {"description": ALERT_WORDS}},
            headers=as_("p-editor"),
        )
    )
    assert saved["revision"] == 2 and saved["alert_texts"] == []
    assert saved["case"]["history"][-1]["fields"] == ["description"]
    assert saved["case"]["history"][-1]["actor"] == "token:p-editor"
    notice = await draft_detail(
        client, (await drafts_of(client, listed["id"]))["subscriber_notice"]["id"]
    )
    assert by_key(notice)["what_happened"]["value"] == ALERT_WORDS


async def test_cases_and_their_drafts_survive_a_restart(
    client_for: ClientFactory, config_path: Path, clock: FakeClock
) -> None:
    """A case and its drafts read the same from a second app on the same store after the first one
    closed."""
    first = await client_for(config_path)
    case = await report_breach(first, clock)
    drafts = await drafts_of(first, case["id"])
    await first.close()
    second = await client_for(config_path)
    again = await ok(
        await second.get(f"/api/v1/privacy/cases/{case['id']}", headers=as_("p-viewer"))
    )
    assert again["case"] == case["case"]
    assert {k: d["id"] for k, d in (await drafts_of(second, case["id"])).items()} == {
        k: d["id"] for k, d in drafts.items()
    }


async def test_a_privacy_notice_asks_for_replies_at_the_privacy_officer_an_outage_one_at_the_noc(
    tmp_path: Path, client_for: ClientFactory, smtp: SmtpServer, clock: FakeClock
) -> None:
    """Delivered through the relay: Nkom's privacy varsel and the PTS privacy report say
    Reply-To the privacy contact point (the country's own, else the operator's), the Swedish
    subscriber notice the subscriber channel, while the Nkom varsel of an outage says the
    Norwegian NOC. A case handler's answer about a personal-data breach may quote personal
    data: it reaches the privacy officer, not the NOC."""
    path = config(tmp_path, smtp)
    doc = yaml.safe_load(path.read_text())
    doc["operator"]["contact"] = {"name": "NOC", "email": "noc@example.net"}
    doc["operator"]["contacts"] = {
        "privacy": {"name": "Dataskyddsombud", "email": "dpo@example.net"},
        "subscriber": {"name": "Kundtjänst", "email": "kundtjanst@example.net"},
    }
    doc["operator"]["jurisdictions"] = {
        "NO": {
            "name": "Exempel Nett AS",
            "org_number": "312 345 676",
            "reply_to": "noc-no@example.net",
            "contacts": {"privacy": {"name": "Personvernombud", "email": "pvo@example.no"}},
        },
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    client = await client_for(path)
    # a Norwegian breach (by alert), a Swedish one (reported by hand) and a Norwegian outage
    leak = alert(
        "fp-leak",
        clock.now() - timedelta(minutes=2),
        incident_type="privacy",
        jurisdiction="NO",
        annotations={"summary": "Unencrypted CDR export found on a public bucket"},
    )
    await ok(await client.post("/api/v1/alertmanager", json=make_webhook(leak), headers=HOOK))
    swedish = await report_breach(client, clock)
    outage = alert(
        "fp-ullevaal",
        clock.now() - timedelta(minutes=5),
        element="no-cell-ullevaal",
        severity="major",
    )
    await ok(await client.post("/api/v1/alertmanager", json=make_webhook(outage), headers=HOOK))
    cases = await ok(await client.get("/api/v1/privacy/cases", headers=as_("p-viewer")))
    [norwegian] = [c for c in cases["cases"] if c["id"] != swedish["id"]]
    for case_id, kind in (
        (norwegian["id"], "nkom_privacy_varsel"),
        (swedish["id"], "privacy_initial"),
        (swedish["id"], "subscriber_notice"),
    ):
        await ok(await approve(client, (await drafts_of(client, case_id))[kind], "p-approver"))
    drafts = await ok(await client.get("/api/v1/drafts", headers=as_("auditor")))
    [varsel] = [d for d in drafts["drafts"] if d["kind"] == "nkom_varsel"]
    await ok(await approve(client, varsel, "outage-approver"))
    clock.advance(timedelta(minutes=3))
    assert {d.state for d in await deliver(client)} == {"sent"}
    replies = {
        str(m.message["X-Incident-Bridge-Draft"]).split(";")[0].rsplit(".", 1)[-1]: m.message[
            "Reply-To"
        ]
        for m in smtp.mailbox.received
    }
    assert replies == {
        "nkom_privacy_varsel": "pvo@example.no",  # the Norwegian privacy contact
        "privacy_initial": "dpo@example.net",  # the operator's privacy contact
        "subscriber_notice": "kundtjanst@example.net",  # the subscriber channel
        "nkom_varsel": "noc-no@example.net",  # the Norwegian NOC (reply_to)
    }


async def test_a_retry_after_the_privacy_e_mail_is_set_replies_there_and_keeps_both_copies(
    tmp_path: Path, client_for: ClientFactory, smtp: SmtpServer, clock: FakeClock
) -> None:
    """No contact names an e-mail of its own, so the subscriber notice and the PTS privacy
    report reply to operator.contact.email (the NOC). Both are approved; the relay refuses
    them for now (451). The operator sets operator.contacts.privacy.email (check-config's
    advice) and restarts. The report shows its contact point, so it changed: it is held for a
    new approval, never sent stale. The subscriber notice's text did not change: its retry is
    the same approved message (Message-ID, Date; nobody approves again) with the Reply-To of
    the configuration now, the privacy contact; the archive keeps both copies, the first never
    replaced."""
    path = config(tmp_path, smtp)
    doc = yaml.safe_load(path.read_text())
    doc["operator"]["contact"] = {"name": "NOC", "email": "noc@example.net"}
    doc["operator"]["contacts"] = {
        "privacy": {"name": "Dataskyddsombud", "phone": "+46 10 000 00 10"},
        "subscriber": {"name": "Kundtjänst", "phone": "+46 771 00 00 00"},
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    first = await client_for(path)
    case = await report_breach(first, clock)
    drafts = await drafts_of(first, case["id"])
    for kind in ("privacy_initial", "subscriber_notice"):
        await ok(await approve(first, drafts[kind], "p-approver"))
    smtp.mailbox.mode = "tempfail"
    await deliver(first)
    assert smtp.mailbox.received == []
    for kind in ("privacy_initial", "subscriber_notice"):
        after = (await drafts_of(first, case["id"]))[kind]
        assert after["state"] == "approved" and "451" in after["flag"], after
    [eml] = list((tmp_path / "sent").glob("*subscriber_notice*.eml"))
    assert b"Reply-To: noc@example.net" in eml.read_bytes()
    await first.close()

    doc["operator"]["contacts"]["privacy"]["email"] = "dpo@example.net"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    second = await client_for(path)
    smtp.mailbox.mode = "accept"
    clock.advance(timedelta(hours=1))  # past the retry's backoff
    [sent] = await deliver(second)
    assert sent.kind == "subscriber_notice" and sent.state == "sent"
    assert (await drafts_of(second, case["id"]))["privacy_initial"]["state"] == "held"
    [mail] = smtp.mailbox.received
    assert mail.message["Reply-To"] == "dpo@example.net"
    copies = [eml, eml.with_name(eml.name.replace(".eml", ".2.eml"))]
    assert set((tmp_path / "sent").glob("*subscriber_notice*.eml")) == set(copies)
    assert b"Reply-To: noc@example.net" in copies[0].read_bytes()  # never replaced
    assert copies[1].read_bytes() == mail.raw
    before, after = _headers(copies[0].read_bytes()), _headers(mail.raw)
    assert ("Reply-To", "noc@example.net") in before and ("Reply-To", "dpo@example.net") in after
    assert [h for h in before if h[0] != "Reply-To"] == [h for h in after if h[0] != "Reply-To"]


def _headers(raw: bytes) -> list[tuple[str, str]]:
    """A message's headers as (name, value), in order."""
    parsed = message_from_bytes(raw, policy=email_policy)
    return [(k, str(v)) for k, v in parsed.items()]


# ---- an alert's jurisdiction label -----------------------------------------------------------


async def privacy_alert(
    client: TestClient[Any, Any], clock: FakeClock, fingerprint: str, **labels: str
) -> dict[str, Any]:
    """A privacy alert (``labels`` besides the privacy label) posted to the webhook: asserts it
    was accepted; the case it opened (or found) as the case list shows it."""
    before = await ok(await client.get("/api/v1/privacy/cases", headers=as_("p-viewer")))
    leak = alert(fingerprint, clock.now() - timedelta(minutes=2), incident_type="privacy", **labels)
    r = await client.post("/api/v1/alertmanager", json=make_webhook(leak), headers=HOOK)
    assert (await ok(r))["accepted"] == 1
    after = await ok(await client.get("/api/v1/privacy/cases", headers=as_("p-viewer")))
    known = {c["id"] for c in before["cases"]}
    new = [c for c in after["cases"] if c["id"] not in known]
    return dict(new[0] if new else after["cases"][0])


@pytest.mark.parametrize(("label", "country"), [("no", "NO"), (" No ", "NO"), ("se", "SE")])
async def test_a_lower_case_jurisdiction_label_is_that_country(
    client: TestClient[Any, Any], clock: FakeClock, label: str, country: str
) -> None:
    """`jurisdiction: no` is Norway, as the person who wrote the alert rule meant: Nkom's
    varsel is owed within the hour (it became a Swedish case before, owing PTS only)."""
    case = await privacy_alert(client, clock, "fp-lower", jurisdiction=label)
    assert case["jurisdictions"] == [country] and case["attention"] is None
    kinds = {o["kind"] for o in case["obligations"]}
    assert ("nkom_privacy_varsel" in kinds) == (country == "NO")
    assert ("privacy_initial" in kinds) == (country == "SE")


@pytest.mark.parametrize("label", ["Norge", "see ticket 4711 (Oslo office)"])
async def test_an_unknown_jurisdiction_label_owes_every_country_until_a_person_sets_it(
    client: TestClient[Any, Any],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    label: str,
) -> None:
    """A label naming no jurisdiction the bridge knows never picks one silently: the alert is
    taken (Alertmanager would retry a refusal for ever), the case is owed under every
    jurisdiction the privacy rule sets cover (Nkom's varsel within the hour among them), the
    case, its list row and its queue items say so, one WARNING names the case (never the
    value) and a counter without a case id counts it; a re-delivery adds neither. A person
    then sets the jurisdictions (PATCH) and the flag goes."""
    caplog.set_level(logging.INFO)
    case = await privacy_alert(client, clock, "fp-unknown", jurisdiction=label)
    case_id = case["id"]
    assert case["jurisdictions"] == ["SE", "NO"]
    assert case["attention"] and "jurisdiction" in case["attention"]
    owed = {o["kind"]: o for o in case["obligations"]}
    detected = clock.now() - timedelta(minutes=2)
    assert owed["nkom_privacy_varsel"]["due_at"] == rfc3339(detected + timedelta(hours=1))
    assert "privacy_initial" in owed
    url = f"/api/v1/privacy/cases/{case_id}"
    full = await ok(await client.get(url, headers=as_("p-viewer")))
    assert full["case"]["jurisdiction_unrecognised"] == label
    assert full["attention"] == case["attention"]
    queue = await ok(await client.get(f"/api/v1/queue?cases={case_id}", headers=as_("p-viewer")))
    assert queue["items"] and {i["attention"] for i in queue["items"]} == {case["attention"]}
    assert label not in str(queue)
    # again: a re-delivery finds the case and says nothing more
    again = await privacy_alert(client, clock, "fp-unknown", jurisdiction=label)
    assert again["id"] == case_id
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.name for r in warned] == ["bridge.privacy"]
    assert case_id in warned[0].getMessage() and label not in warned[0].getMessage()
    scrape = await (await client.get("/metrics")).text()
    assert "bridge_privacy_jurisdiction_unrecognised_total 1.0" in scrape
    assert case_id not in scrape and label not in scrape
    # a person sets Norway: the flag goes, PTS is owed nothing
    set_no = {"revision": full["revision"], "fields": {"jurisdictions": ["NO"]}}
    edited = await ok(await client.patch(url, json=set_no, headers=as_("p-editor")))
    assert edited["jurisdictions"] == ["NO"] and edited["attention"] is None
    assert edited["case"]["jurisdiction_unrecognised"] is None
    assert {o["regulator"] for o in edited["obligations"]} == {"nkom"}
    queue = await ok(await client.get(f"/api/v1/queue?cases={case_id}", headers=as_("p-viewer")))
    assert {i["attention"] for i in queue["items"]} == {None}


async def test_confirming_both_countries_clears_the_flag(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Setting the same jurisdictions the bridge chose is a person's confirmation, a revision
    of its own, not "nothing to change"."""
    case = await privacy_alert(client, clock, "fp-both", jurisdiction="Skandinavia")
    url = f"/api/v1/privacy/cases/{case['id']}"
    body = {"revision": case["revision"], "fields": {"jurisdictions": ["SE", "NO"]}}
    confirmed = await ok(await client.patch(url, json=body, headers=as_("p-editor")))
    assert confirmed["revision"] == case["revision"] + 1 and confirmed["attention"] is None
    assert confirmed["jurisdictions"] == ["SE", "NO"]


async def test_an_alert_without_a_jurisdiction_label_is_the_configured_default(
    client: TestClient[Any, Any], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """No label at all: the case is of `inventory.default_jurisdiction` (SE here), as
    documented and as outage alerts are; nothing is flagged or warned."""
    caplog.set_level(logging.INFO)
    case = await privacy_alert(client, clock, "fp-none")
    assert case["jurisdictions"] == ["SE"] and case["attention"] is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---- list reads name each case they show in the audit ------------------------------------------


async def test_a_list_read_is_one_audit_entry_found_by_a_search_for_each_case_it_showed(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The drafts list, the queue and the case list, narrowed to a case or not, audit ONE
    `privacy.read` per read however many privacy cases it shows (the route's path; the first
    case shown, `privacy:<id>`, as its target, the others as `also`), so
    `GET /api/v1/audit?incident=priv-…` and `?target=privacy:priv-…` find every read of that
    case; a read narrowed to one case is not found under another; no entry carries the case's
    contents."""
    first = (await report_breach(client, clock))["id"]
    second = (await report_breach(client, clock, jurisdictions=["NO"]))["id"]

    async def entries(**params: str) -> list[dict[str, Any]]:
        params |= {"action": "privacy.read", "actor": "token:p-viewer", "limit": "1000"}
        body = await ok(await client.get("/api/v1/audit", params=params, headers=as_("auditor")))
        assert not any(m in str(body) for m in MARKERS)
        return list(body["entries"])

    async def reads_of(case_id: str) -> list[tuple[str, str]]:
        found = await entries(incident=case_id)
        assert [e["seq"] for e in found] == [
            e["seq"] for e in await entries(target=f"privacy:{case_id}")
        ]
        assert all(f"privacy:{case_id}" in [e["target"], *e["also"]] for e in found)
        return sorted((e["detail"]["path"], e["detail"]["method"]) for e in found)

    narrowed = [f"/api/v1/drafts?incident={first}", f"/api/v1/queue?cases={first}"]
    for path in narrowed:
        await ok(await client.get(path, headers=as_("p-viewer")))
    assert await reads_of(first) == [("/api/v1/drafts", "GET"), ("/api/v1/queue", "GET")]
    assert await reads_of(second) == []
    for path in ("/api/v1/drafts", "/api/v1/queue", "/api/v1/privacy/cases"):
        await ok(await client.get(path, headers=as_("p-viewer")))
    whole = [("/api/v1/drafts", "GET"), ("/api/v1/privacy/cases", "GET"), ("/api/v1/queue", "GET")]
    assert await reads_of(second) == whole
    assert await reads_of(first) == sorted(
        [*whole, ("/api/v1/drafts", "GET"), ("/api/v1/queue", "GET")]
    )
    # five reads, five entries: the narrowed ones name the one case, the whole ones both (in id
    # order: the first the target)
    named = sorted([e["target"], *e["also"]] for e in await entries())
    both = [f"privacy:{c}" for c in sorted([first, second])]
    assert named == sorted([[f"privacy:{first}"]] * 2 + [both] * 3)


# ---- what the office documents say about themselves ------------------------------------------

#: what a library or a template writes into a document unless told otherwise
BOILERPLATE = ("python-docx", "openpyxl", "Microsoft", "Normal.dotm", "incident-bridge")
FIXED = datetime(2000, 1, 1, tzinfo=UTC)  # the documents' created and modified time


def package_text(body: bytes) -> str:
    """What an Office document says about itself (its properties, the parts they belong to),
    as one text; its members' times are fixed and it has no thumbnail."""
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in z.namelist()  # the template's picture of a page
        parts = [n for n in z.namelist() if n.startswith("docProps/") or n == "_rels/.rels"]
        return "\n".join(z.read(n).decode("utf-8") for n in parts)


async def test_the_pts_docx_and_the_register_xlsx_name_the_operator_not_the_library(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The PTS privacy report's Word document and the register's workbook, as the API serves
    them, carry the operator as author, a title that says what they are, no comment, and the
    fixed times of their ZIP members: no library's or template's name or build time."""
    case = await report_breach(client, clock)
    initial = (await drafts_of(client, case["id"]))["privacy_initial"]
    r = await client.get(f"/api/v1/drafts/{initial['id']}/attachment", headers=as_("p-viewer"))
    assert r.status == 200, await r.text()
    body = await r.read()
    props = docx.Document(io.BytesIO(body)).core_properties
    assert (props.author, props.title) == (
        "Exempel Nät AB",
        "Anmälan av integritetsincident – inledande rapport",
    )
    assert (props.comments, props.last_modified_by, props.keywords, props.subject) == ("",) * 4
    assert props.created == props.modified == FIXED  # python-docx reads them aware
    text = package_text(body)
    assert not [b for b in BOILERPLATE if b in text], text
    r = await client.get("/api/v1/privacy/register.xlsx", headers=as_("p-viewer"))
    body = await r.read()
    book = openpyxl.load_workbook(io.BytesIO(body)).properties
    assert (book.creator, book.title) == (
        "Exempel Nät AB",
        "Förteckning över integritetsincidenter",
    )
    assert book.description is None and book.lastModifiedBy is None
    assert book.created == book.modified == FIXED.replace(tzinfo=None)  # openpyxl: naive UTC
    text = package_text(body)
    assert not [b for b in BOILERPLATE if b in text], text


# ---- Nkom's updated varsel (seed 003 "Oppdatert varsel underveis") ---------------------------
def mail_text(mail: Any) -> str:
    return str(mail.message.get_body(("plain",)).get_content())


async def send_nkom_varsel(
    client: TestClient[Any, Any], smtp: SmtpServer, case_id: str, kind: str
) -> str:
    """Approve the case's draft of ``kind`` (its unknown fields sent as not yet known) and
    deliver it; the text Nkom received."""
    draft = (await drafts_of(client, case_id))[kind]
    await ok(await approve(client, draft, "p-approver"))
    [sent] = await deliver(client)
    assert sent.state == "sent" and sent.kind == kind
    mail = smtp.mailbox.received[-1]
    assert mail.rcpt_tos == ["ekomvarsling@nkom.no"]
    return f"Subject: {mail.message['Subject']}\n{mail_text(mail)}"


async def edit_case(client: TestClient[Any, Any], case_id: str, **fields: Any) -> Any:
    url = f"/api/v1/privacy/cases/{case_id}"
    case = await ok(await client.get(url, headers=as_("p-viewer")))
    body = {"revision": case["revision"], "fields": fields}
    return await ok(await client.patch(url, json=body, headers=as_("p-editor")))


async def close_case(client: TestClient[Any, Any], case_id: str) -> Any:
    url = f"/api/v1/privacy/cases/{case_id}"
    case = await ok(await client.get(url, headers=as_("p-viewer")))
    # an outcome and a reason (a close may require them: the updated varsel never sends the
    # reason, the operator's own record)
    body = {
        "revision": case["revision"],
        "state": "closed",
        "outcome": "handled",
        "reason": "Anmeldt; abonnentene er varslet",
    }
    return await ok(await client.post(url + "/state", json=body, headers=as_("p-editor")))


async def test_a_norwegian_case_owes_nkom_an_updated_varsel_when_it_changes_and_when_closed(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """Seed 003: "Tilbyder må sende oppdatert varsel dersom det skjer vesentlige endringer
    underveis i hendelsen, og når hendelsen er normalisert." Nothing is owed before the varsel
    was sent (a change then is in the varsel itself); once it was, a change of the facts the
    varsel states opens an updated varsel listing them old → new, due 1 h later (the target
    Nkom's outage update has), under the varsel's reference; closing the case opens the
    closing update, due 1 h after the close."""
    case = await report_breach(client, clock, jurisdictions=["NO"])
    case_id = case["id"]
    owed = {o["kind"]: o for o in case["obligations"]}
    assert owed["nkom_privacy_update"]["due_at"] is None
    assert owed["nkom_privacy_update"]["waiting_for"] == "significant_change"
    assert owed["nkom_privacy_normalised"]["due_at"] is None
    assert owed["nkom_privacy_normalised"]["waiting_for"] == "normalised"

    # changed before the varsel was sent: the varsel says it, no update is owed
    await edit_case(client, case_id, affected=1500)
    drafts = await drafts_of(client, case_id)
    assert set(drafts) == {"nkom_privacy_varsel", "nkom_privacy_subscriber"}
    varsel = await send_nkom_varsel(client, smtp, case_id, "nkom_privacy_varsel")
    assert "1 500 abonnenter/brukere" in varsel
    reference = re.search(r"ref\. (\S+)", varsel)
    assert reference is not None
    case = await ok(await client.get(f"/api/v1/privacy/cases/{case_id}", headers=as_("p-viewer")))
    assert "nkom_privacy_update" not in {d["kind"] for d in case["drafts"]}

    # after it was sent: the number affected and the categories of data change
    clock.advance(timedelta(hours=2))
    changed_at = clock.now()
    await edit_case(client, case_id, affected=2000, data_categories=["subscriber", "location"])
    case = await ok(await client.get(f"/api/v1/privacy/cases/{case_id}", headers=as_("p-viewer")))
    owed = {o["kind"]: o for o in case["obligations"]}
    assert owed["nkom_privacy_update"]["due_at"] == rfc3339(changed_at + timedelta(hours=1))
    assert owed["nkom_privacy_normalised"]["due_at"] is None
    update = (await drafts_of(client, case_id))["nkom_privacy_update"]
    assert update["track"] == "privacy" and update["recipient"] == "ekomvarsling@nkom.no"
    sent = await send_nkom_varsel(client, smtp, case_id, "nkom_privacy_update")
    assert f"Oppdatert varsel om brudd på personvernet – Exempel Nät AB – ref. {reference[1]}" in (
        sent
    )
    assert "Forrige varsel ble sendt" in sent
    assert "- Omfang – berørte kunder: 1 500 abonnenter/brukere → 2 000 abonnenter/brukere" in (
        sent
    )
    assert "- Berørte opplysninger: Abonnementsopplysninger, trafikkdata → " in sent
    assert "Abonnementsopplysninger, lokasjonsdata" in sent
    # a second look changes nothing: no further round while the facts are those sent
    case = await ok(await client.get(f"/api/v1/privacy/cases/{case_id}", headers=as_("p-viewer")))
    assert [d["kind"] for d in case["drafts"]].count("nkom_privacy_update") == 1

    # closed as handled: the closing update, due 1 h after the close
    clock.advance(timedelta(days=1))
    closed_at = clock.now()
    await close_case(client, case_id)
    case = await ok(await client.get(f"/api/v1/privacy/cases/{case_id}", headers=as_("p-viewer")))
    owed = {o["kind"]: o for o in case["obligations"]}
    assert owed["nkom_privacy_normalised"]["due_at"] == rfc3339(closed_at + timedelta(hours=1))
    closing = await send_nkom_varsel(client, smtp, case_id, "nkom_privacy_normalised")
    assert f"– ref. {reference[1]}" in closing
    assert "Hendelsen vi har varslet om, er normalisert: saken er avsluttet." in closing
    assert "Saken ble avsluttet 24.11.2026 kl. 13.00 norsk tid." in closing
    assert "Anmeldt" not in closing  # the close reason is the operator's, not Nkom's
    assert "Ingen opplysninger er endret eller kommet til siden da." in closing
    entries = await audit(client, target=f"privacy:{case_id}")
    assert entries  # the case's changes are audited as every privacy change


async def test_a_case_closed_before_its_varsel_was_sent_owes_the_closing_update_after_it(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """Closed before the varsel went: nothing is owed Nkom beyond the varsel until it is sent;
    then the closing update is due 1 h after the varsel was sent."""
    case = await report_breach(client, clock, jurisdictions=["NO"])
    await close_case(client, case["id"])
    case = await ok(
        await client.get(f"/api/v1/privacy/cases/{case['id']}", headers=as_("p-viewer"))
    )
    owed = {o["kind"]: o for o in case["obligations"]}
    assert owed["nkom_privacy_normalised"]["due_at"] is None
    assert set(await drafts_of(client, case["id"])) == {
        "nkom_privacy_varsel",
        "nkom_privacy_subscriber",
    }
    clock.advance(timedelta(minutes=10))
    await send_nkom_varsel(client, smtp, case["id"], "nkom_privacy_varsel")
    case = await ok(
        await client.get(f"/api/v1/privacy/cases/{case['id']}", headers=as_("p-viewer"))
    )
    owed = {o["kind"]: o for o in case["obligations"]}
    assert owed["nkom_privacy_normalised"]["due_at"] == rfc3339(clock.now() + timedelta(hours=1))
    assert "nkom_privacy_normalised" in {d["kind"] for d in case["drafts"]}


async def test_a_swedish_case_owes_nkom_no_updated_varsel(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """Nkom's updated varsel is Norway's: a Swedish case that changes after its initial report
    and is closed owes none of it (its follow-up is PTS's supplementary report)."""
    case = await report_breach(client, clock, jurisdictions=["SE"])
    owed = {o["kind"] for o in case["obligations"]}
    assert not owed & {"nkom_privacy_update", "nkom_privacy_normalised"}
    draft = (await drafts_of(client, case["id"]))["privacy_initial"]
    await ok(await approve(client, draft, "p-approver"))
    await deliver(client)
    await edit_case(client, case["id"], affected=2000)
    await close_case(client, case["id"])
    case = await ok(
        await client.get(f"/api/v1/privacy/cases/{case['id']}", headers=as_("p-viewer"))
    )
    kinds = {o["kind"] for o in case["obligations"]} | {d["kind"] for d in case["drafts"]}
    assert not kinds & {"nkom_privacy_update", "nkom_privacy_normalised"}
    assert "privacy_supplementary" in kinds
