"""What was sent, months later, through the API: the archived ``.eml`` copies of a draft
(``GET /api/v1/drafts/{id}/sent``, ``…/sent/{file}``: the exact bytes handed to the relay,
each read audited), an auditor reading what was sent and its history read-only on the tracks
it audits, and a diff that says which version, who (a person or the bridge) and when changed
each field. A real SMTP server, the app's factory, the store on SQLite and on Redis."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, token_auth, write_config
from builders import bearer_for as as_
from builders import webhook as make_webhook
from fakes import FakeClock
from http_answers import ok
from persons import person
from redis_server import RedisServer
from smtp_server import SmtpServer
from test_privacy_flow import report_breach

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
ROLES = {
    "viewer": ["viewer"],
    "editor": ["editor"],
    "auditor": ["auditor"],
    "auditor-privacy": ["auditor:privacy"],
    "auditor-all": ["auditor:all"],
    "p-editor": ["editor:privacy"],
    "p-viewer": ["viewer:privacy"],
}
ClientFor = Any
pytestmark = pytest.mark.manual_outbox


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis")
        return server.url()
    return f"sqlite:///{tmp_path / 'bridge.sqlite3'}"


def config(tmp_path: Path, smtp: SmtpServer, store: str | None = None, **notices: Any) -> Path:
    return write_config(
        tmp_path,
        store=store,
        extra={
            "auth": token_auth(ROLES, session={"cookie_secure": False}),
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "Vakt", "phone": "+47 22 00 00 00", "email": "noc@ex.net"},
            },
            "smtp": smtp.smtp_config(),
            "notices": {
                "archive_dir": str(tmp_path / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "1h",
                **notices,
            },
            "privacy": {
                "alert_label": {"incident_type": "privacy"},
                "subscriber_notice_recipient": "kund@example.net",
            },
        },
    )


async def deliver(client: TestClient[Any, Any]) -> list[Any]:
    app = client.server.app
    assert app is not None
    return await app[SERVICE].outbox.deliver_due()


async def audit(client: TestClient[Any, Any], action: str) -> list[dict[str, Any]]:
    body = await ok(
        await client.get(
            "/api/v1/audit", params={"limit": "1000", "action": action}, headers=as_("auditor-all")
        )
    )
    return [e for e in reversed(body["entries"]) if e["action"] == action]


def ullevaal(clock: FakeClock, fingerprint: str = "fp-ullevaal", **labels: str) -> dict[str, Any]:
    return alert(
        fingerprint,
        clock.now() - timedelta(minutes=5),
        element="no-cell-ullevaal",
        severity="major",
        annotations={"cause": "Fiberbrudd ved Ullevål", "expected_resolution": "2 timer"},
        **labels,
    )


async def outage_draft(client: TestClient[Any, Any], clock: FakeClock) -> dict[str, Any]:
    r = await client.post("/api/v1/alertmanager", json=make_webhook(ullevaal(clock)), headers=HOOK)
    assert r.status == 200, await r.text()
    [draft] = (await ok(await client.get("/api/v1/drafts", headers=as_("viewer"))))["drafts"]
    return dict(draft)


async def approve(client: TestClient[Any, Any], clock: FakeClock, draft: dict[str, Any]) -> None:
    who = "petra" if draft["track"] == "privacy" else "olga"
    role = "approver:privacy" if draft["track"] == "privacy" else "approver"
    await ok(
        await client.post(
            f"/api/v1/drafts/{draft['id']}/approve",
            json={"version": draft["version"], "send_unknown": draft["to_complete"]},
            headers=await person(client, clock.now, who, [role]),
        )
    )


async def test_the_exact_bytes_sent_are_listed_and_served_and_every_read_is_audited(
    store_url: str, tmp_path: Path, client_for: ClientFor, smtp: SmtpServer, clock: FakeClock
) -> None:
    """Before the hand-over nothing is archived (an empty list; the file is 404). After it the
    list names the copy (file, version, time, recipient, Message-ID, size, SHA-256) and the file
    is the very bytes the relay received, as ``message/rfc822`` to download. An auditor alone
    reads them; each read is audited (``notice.read_sent``, the file and its hash). Only a name
    the archive lists for this draft is served: another draft's, the sidecar, the witness, a
    path out of the folder are 404, never read."""
    client = await client_for(config(tmp_path, smtp, store_url))
    draft = await outage_draft(client, clock)
    url = f"/api/v1/drafts/{draft['id']}/sent"
    nothing = await ok(await client.get(url, headers=as_("auditor")))
    assert nothing == {"draft": draft["id"], "sent": []}
    name = f"{draft['id']}.v1.eml"
    r = await client.get(f"{url}/{name}", headers=as_("auditor"))
    assert r.status == 404 and "not archived" in await r.text()

    await approve(client, clock, draft)
    clock.advance(timedelta(minutes=1))
    [done] = await deliver(client)
    assert done.state == "sent"
    [mail] = smtp.mailbox.received
    raw = (tmp_path / "sent" / name).read_bytes()

    listed = await ok(await client.get(url, headers=as_("auditor")))
    [copy] = listed["sent"]
    assert copy["file"] == name and copy["version"] == 1
    assert copy["recipient"] == "ekomvarsling@nkom.no"
    assert copy["message_id"] == mail.message["Message-ID"]
    assert copy["size"] == len(raw) and copy["sha256"] == hashlib.sha256(raw).hexdigest()
    assert copy["handed_over_at"] is not None and copy["sent_at"] is not None
    assert copy["approved_by"] == "olga"

    r = await client.get(f"{url}/{name}", headers=as_("auditor"))
    assert r.status == 200, await r.text()
    assert r.content_type == "message/rfc822"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert name in r.headers["Content-Disposition"]
    body = await r.read()
    assert body == raw
    assert body.replace(b"\r\n", b"\n") == mail.raw.replace(b"\r\n", b"\n")

    # only names the archive lists for this draft: nothing else in the folder is reachable
    (tmp_path / "sent" / "other.nkom_varsel.v1.eml").write_bytes(b"Message-ID: <x@y>\r\n\r\nx")
    for bad in (
        "other.nkom_varsel.v1.eml",
        name + ".json",
        ".handovers",
        f"{draft['id']}.v2.eml",
        "..%2Fbridge.sqlite3",
        "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    ):
        r = await client.get(f"{url}/{bad}", headers=as_("auditor"))
        assert r.status == 404, (bad, r.status)
    client.session.cookie_jar.clear()  # olga's session, who approved
    r = await client.get(f"{url}/{name}")
    assert r.status == 401  # who asks is known before anything is looked at
    for who in ("auditor-privacy", "p-editor"):  # no role on the outage track
        r = await client.get(f"{url}/{name}", headers=as_(who))
        assert r.status == 403, who

    reads = await audit(client, "notice.read_sent")
    read_by = ("token:auditor", f"draft:{draft['id']}")
    assert [(e["actor"], e["target"]) for e in reads] == [read_by] * 3
    assert [e["detail"].get("file") for e in reads] == [None, None, name]
    assert reads[2]["detail"]["sha256"] == copy["sha256"]
    # nothing was read for the names refused: no entry names them
    assert all(e["detail"].get("file") in (None, name) for e in reads)


async def test_an_auditor_reads_what_was_sent_and_its_history_read_only_on_its_tracks(
    tmp_path: Path, client_for: ClientFor, smtp: SmtpServer, clock: FakeClock
) -> None:
    """``auditor`` alone reads an outage draft, its versions and diff, the incident and its
    timeline; it changes nothing (403 on an edit); a privacy draft is not its track (403, the
    refusal audited). No audit grant reads a privacy draft's content (personal data stays
    with privacy viewers: ``auditor:privacy`` and ``auditor:all`` get 403, audited), nor does
    ``auditor:privacy`` read an outage draft."""
    client = await client_for(config(tmp_path, smtp))
    draft = await outage_draft(client, clock)
    d, incident = draft["id"], draft["incident"]
    for path in (
        f"/api/v1/drafts/{d}",
        f"/api/v1/drafts/{d}/versions/1",
        f"/api/v1/drafts/{d}/diff",
        f"/api/v1/incidents/{incident}",
        f"/api/v1/incidents/{incident}/timeline",
        "/api/v1/incidents",
    ):
        r = await client.get(path, headers=as_("auditor"))
        assert r.status == 200, (path, await r.text())
    listed = await ok(await client.get("/api/v1/drafts", headers=as_("auditor")))
    assert [x["id"] for x in listed["drafts"]] == [d]
    r = await client.patch(
        f"/api/v1/drafts/{d}", json={"version": 1, "fields": {"cause": "x"}}, headers=as_("auditor")
    )
    assert r.status == 403
    r = await client.get(f"/api/v1/drafts/{d}", headers=as_("auditor-privacy"))
    assert r.status == 403

    case = await report_breach(client, clock)
    [initial, *_] = sorted(
        (x for x in case["drafts"] if x["kind"] == "privacy_initial"), key=lambda x: x["id"]
    )
    p = initial["id"]
    r = await client.get(f"/api/v1/drafts/{p}", headers=as_("auditor"))
    assert r.status == 403
    for who in ("auditor-privacy", "auditor-all"):
        for path in (f"/api/v1/drafts/{p}", f"/api/v1/drafts/{p}/versions/1"):
            r = await client.get(path, headers=as_(who))
            assert r.status == 403, (who, path)
    refused = await audit(client, "privacy.refused")
    assert sorted(e["actor"] for e in refused if e["target"] == f"draft:{p}") == sorted(
        ["token:auditor"] + ["token:auditor-privacy"] * 2 + ["token:auditor-all"] * 2
    )
    reads = [e for e in await audit(client, "privacy.read") if e["target"] == f"draft:{p}"]
    assert reads == []


async def test_a_privacy_notice_s_copy_is_for_privacy_roles_only_and_read_as_privacy_data(
    store_url: str, tmp_path: Path, client_for: ClientFor, smtp: SmtpServer, clock: FakeClock
) -> None:
    """The archived copy of a privacy notice holds personal data: an outage role gets 403 (the
    refusal audited), and so does an audit grant of the privacy track (``auditor:privacy``:
    personal data stays with privacy viewers); ``viewer:privacy`` reads the list and the bytes,
    each read audited as ``privacy.read`` like every other read of privacy data."""
    client = await client_for(config(tmp_path, smtp, store_url))
    case = await report_breach(client, clock)
    initial = next(x for x in case["drafts"] if x["kind"] == "privacy_initial")
    await approve(client, clock, initial)
    clock.advance(timedelta(minutes=1))
    [done] = await deliver(client)
    assert done.state == "sent"
    url = f"/api/v1/drafts/{initial['id']}/sent"
    for who in ("viewer", "auditor", "auditor-privacy"):
        r = await client.get(url, headers=as_(who))
        assert r.status == 403, who
    [copy] = (await ok(await client.get(url, headers=as_("p-viewer"))))["sent"]
    r = await client.get(f"{url}/{copy['file']}", headers=as_("p-viewer"))
    assert r.status == 200 and r.content_type == "message/rfc822"
    assert await r.read() == (tmp_path / "sent" / copy["file"]).read_bytes()
    target = f"draft:{initial['id']}"
    refused = [e for e in await audit(client, "privacy.refused") if e["target"] == target]
    assert [e["actor"] for e in refused] == [
        "token:viewer",
        "token:auditor",
        "token:auditor-privacy",
    ]
    reads = [
        e
        for e in await audit(client, "privacy.read")
        if e["target"] == target and "/sent" in e["detail"]["path"]
    ]
    assert [e["actor"] for e in reads] == ["token:p-viewer"] * 2
    assert reads[1]["detail"]["file"] == copy["file"]
    assert await audit(client, "notice.read_sent") == []  # privacy reads are privacy.read


async def test_a_diff_says_per_field_which_version_who_and_when(
    tmp_path: Path, client_for: ClientFor, smtp: SmtpServer, clock: FakeClock
) -> None:
    """The incident changes while the draft waits (no refresh yet); an editor then edits one
    field: version 2, "edited by token:editor", also carries the bridge's refresh. The diff
    names the editor for the field the editor wrote, and the bridge for the fields it
    refreshed, each with the version that introduced it and when; a later bridge refresh of a
    field shows as the bridge's in a diff across both versions."""
    client = await client_for(config(tmp_path, smtp, refresh_interval="1h"))
    draft = await outage_draft(client, clock)
    opened_at = clock.now()
    clock.advance(timedelta(minutes=2))
    more = alert(
        "fp-olt", clock.now(), element="no-olt-oslo-1", severity="critical", alertname="OltDown"
    )
    r = await client.post(
        "/api/v1/alertmanager", json=make_webhook(ullevaal(clock), more), headers=HOOK
    )
    assert r.status == 200, await r.text()
    assert (await ok(await client.get(f"/api/v1/drafts/{draft['id']}", headers=as_("viewer"))))[
        "version"
    ] == 1
    clock.advance(timedelta(minutes=3))
    edited_at = clock.now()
    changed = await ok(
        await client.patch(
            f"/api/v1/drafts/{draft['id']}",
            json={"version": 1, "fields": {"scope_life_health": "Nei, reservesamband."}},
            headers=as_("editor"),
        )
    )
    assert changed["version"] == 2
    diff = await ok(
        await client.get(
            f"/api/v1/drafts/{draft['id']}/diff",
            params={"from": "1", "to": "2"},
            headers=as_("auditor"),
        )
    )
    by_key = {f["key"]: f for f in diff["fields"]}
    mine = by_key.pop("scope_life_health")
    assert (mine["version"], mine["by"]) == (2, "token:editor")
    assert mine["at"] == rfc3339(edited_at)
    assert by_key, "the bridge's refresh in version 2 shows beside the editor's field"
    for key, field in by_key.items():
        assert (field["version"], field["by"]) == (2, "bridge"), key
    assert [v["number"] for v in diff["versions"]] == [1, 2]
    assert diff["versions"][0]["author"] == "bridge"
    assert diff["versions"][0]["created_at"] == rfc3339(opened_at)
    assert diff["versions"][1]["author"] == "token:editor"
