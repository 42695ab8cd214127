"""The NOC console in a real browser: Playwright drives Debian's chromium (never a downloaded
browser) against a real ``bridge serve`` process with a real SMTP server on loopback.

People sign in with password and TOTP (codes computed by pyotp from the enrolment page's key); a
webhook makes a reportable incident appear on an open board without a reload; an approver edits
a draft, approves it through the confirmation and the edited text arrives by e-mail; a viewer
cannot approve (disabled button, and a forced POST is 403); no session leads to the login page;
a state-changing request without the CSRF token is 403; repeated wrong passwords lock an account.
Screenshots of the main pages go to tests/artifacts/screenshots/.

The tests of this module share one bridge, one browser and the incident the ``ullevaal``
fixture creates (a hospital cell in Oslo going down: reportable to Nkom at once).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pyotp
import pytest
from bridge_process import Bridge
from builders import PASSWORD, alert, webhook
from playwright.sync_api import Browser, Page, expect
from polling import until_sync
from smtp_server import Received, SmtpServer

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "tests" / "artifacts" / "screenshots"
USERS = {
    "anna": ["approver"],  # approves; needs TOTP
    "ada": ["admin", "auditor"],  # audit log and users; needs TOTP
    "victor": ["viewer"],  # reads only; no second factor
    "aud": ["auditor"],  # a compliance officer: the audit log and what was sent, read-only
    "lars": ["viewer"],  # gets locked out
}
BRIDGE_EXTRA = {"alertmanager": {"url": "http://alertmanager.example:9093"}}
WAIT_MS = 15_000


def new_page(browser: Browser, bridge: Bridge) -> Page:
    context = browser.new_context(base_url=bridge.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    return page


def shot(page: Page, name: str) -> None:
    """The whole page: the viewport grown to the page's height (a full-page capture leaves the
    sandboxed preview iframe blank in chromium)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 900}
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(size)


def sign_in(page: Page, bridge: Bridge, name: str, password: str = PASSWORD) -> None:
    """Password, then the TOTP step (enrolment the first time) when the roles need it."""
    page.goto("/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
    if page.url.split("?")[0].endswith("/enrol/totp"):
        bridge.secrets[name] = page.inner_text("#totp-secret").strip()
        shot(page, "enrol-totp")
        page.fill("#code", pyotp.TOTP(bridge.secrets[name]).now())
        page.click("#enrol-form button[type=submit]")
    elif page.url.split("?")[0].endswith("/login/totp"):
        page.fill("#code", pyotp.TOTP(bridge.secrets[name]).now())
        page.click("#totp-form button[type=submit]")
    expect(page.locator("header.top .who")).to_have_text(name)


@pytest.fixture(scope="module")
def anna(browser: Browser, bridge: Bridge) -> Page:
    """The approver, signed in with password and TOTP, looking at the board."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "anna")
    page.wait_for_selector("#board[data-loaded]")
    return page


@pytest.fixture(scope="module")
def ada(browser: Browser, bridge: Bridge) -> Page:
    """The admin and auditor, signed in once (a TOTP code is accepted only once per step)."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "ada")
    return page


@dataclass(frozen=True)
class Incident:
    id: str
    draft: str


@pytest.fixture(scope="module")
def ullevaal(anna: Page, bridge: Bridge) -> Incident:
    """With anna's board open and live, Alertmanager reports a hospital cell down in Oslo."""
    page = anna
    page.goto("/")
    page.wait_for_selector("#board[data-loaded]")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    page.evaluate("window.__notReloaded = true")
    started = datetime.now(UTC) - timedelta(minutes=5)
    body = webhook(
        alert(
            "fp-ullevaal",
            started,
            element="no-cell-ullevaal",
            severity="major",
            annotations={"cause": "Fiberbrudd ved Ullevål", "expected_resolution": "2 timer"},
        )
    )
    [incident_id] = post_webhook(bridge, body)
    drafts = until_sync(
        lambda: bridge.api(f"/api/v1/drafts?incident={incident_id}")["drafts"], "the draft", 15
    )
    return Incident(incident_id, drafts[0]["id"])


def test_no_session_leads_to_the_login_page(browser: Browser, bridge: Bridge) -> None:
    """A visitor without a session who opens a console page gets the sign-in form, and the
    JSON API answers 401."""
    page = new_page(browser, bridge)
    page.goto("/sent")
    assert page.url.startswith(bridge.url + "/login?next=")
    expect(page.locator("#login-form")).to_be_visible()
    shot(page, "login")
    status = page.evaluate("async () => (await fetch('/api/v1/incidents')).status")
    assert status == 401
    page.context.close()


def test_sign_in_with_password_and_totp(anna: Page, bridge: Bridge) -> None:
    """The approver signed in with password and a TOTP code (enrolled on the way) and the
    board's data comes from the API with the session cookie alone."""
    assert "anna" in bridge.secrets  # the enrolment page's key gave the code
    expect(anna.locator("header.top .who")).to_have_text("anna")
    csrf = anna.get_attribute('meta[name="csrf-token"]', "content")
    assert csrf
    status = anna.evaluate("async () => (await fetch('/api/v1/incidents')).status")
    assert status == 200


def varsel_due(bridge: Bridge, incident: Incident) -> datetime:
    doc = bridge.api(f"/api/v1/incidents/{incident.id}")
    [due] = [o["due_at"] for o in doc["obligations"] if o["kind"] == "nkom_varsel"]
    return datetime.fromisoformat(due)


def test_webhook_makes_the_incident_appear_without_reload(
    anna: Page, bridge: Bridge, ullevaal: Incident
) -> None:
    """The reportable incident appears on the open board through the live stream: same page
    (no reload), marked reportable to Nkom, its varsel in the deadline queue with its draft
    waiting for a person, counting down, its due time in the console's zone (CET)."""
    card = anna.locator(f"#incident-{ullevaal.id}")
    expect(card).to_be_visible()
    expect(card.locator('.verdict[data-regulator="nkom"] .pill')).to_have_text("REPORTABLE")
    assert anna.evaluate("window.__notReloaded") is True
    row = anna.locator(f'#queue-table tr[data-case="{ullevaal.id}"][data-kind="nkom_varsel"]')
    expect(row).to_contain_text("draft to review and approve")
    expect(row).to_contain_text("Nkom – første varsel")
    expect(row.locator(".countdown")).to_contain_text("in ")
    due = varsel_due(bridge, ullevaal)
    oslo = due.astimezone(ZoneInfo("Europe/Oslo"))
    expect(row).to_contain_text(f"{oslo:%H:%M} CET")  # console.time_zone in November
    shot(anna, "board")
    anna.goto(f"/incidents/{ullevaal.id}")
    anna.wait_for_selector("#incident[data-loaded]")
    expect(anna.locator("#incident")).to_contain_text("no-cell-ullevaal")
    shot(anna, "incident")


def test_each_alert_links_to_its_source_and_a_silence(anna: Page, ullevaal: Incident) -> None:
    """On the incident page each alert links to its generatorURL and to a new silence in the
    configured Alertmanager matching its labels."""
    anna.goto(f"/incidents/{ullevaal.id}")
    anna.wait_for_selector("#incident[data-loaded]")
    row = anna.locator('#alerts tr[data-fingerprint="fp-ullevaal"]')
    expect(row.locator("a.source")).to_have_attribute("href", "http://prometheus.example/graph")
    silence = row.locator("a.silence").get_attribute("href") or ""
    base, _, query = silence.partition("?filter=")
    assert base == "http://alertmanager.example:9093/#/silences/new"
    matchers = unquote(query)
    assert 'alertname="' in matchers and 'element="no-cell-ullevaal"' in matchers


def test_countdown_turns_red_once_overdue(
    browser: Browser, bridge: Bridge, ullevaal: Incident
) -> None:
    """Past an obligation's due time the board's countdown says "overdue by" in red, without
    a refetch (the browser's time runs ahead to 5 minutes past it, its wall clock and its
    monotonic clock alike; the bridge's does not: countdowns follow the bridge's clock as
    measured at its last answer). (Before the approval: the varsel must still be owed.)"""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "victor")  # no second factor: a second sign-in is allowed
    due = varsel_due(bridge, ullevaal)
    page.clock.install(time=datetime.now(UTC))
    page.goto("/")
    countdown = page.locator(
        f'#queue-table tr[data-case="{ullevaal.id}"][data-kind="nkom_varsel"] .countdown'
    )
    expect(countdown).to_contain_text("in ")
    ahead = due + timedelta(minutes=5) - datetime.now(UTC)
    page.clock.fast_forward(int(ahead.total_seconds() * 1000))
    page.clock.run_for(2000)
    expect(countdown).to_contain_text("overdue by 0:05:0")
    expect(countdown).to_have_class(re.compile(r"\boverdue\b"))
    # --bad of the light theme; retried: the board may re-render the row between finding the
    # element and reading its style (a detached element's computed color is "")
    expect(countdown).to_have_css("color", "rgb(176, 0, 32)")
    page.context.close()


def test_edit_then_approve_sends_the_edited_text(
    anna: Page, ullevaal: Incident, smtp: SmtpServer
) -> None:
    """An approver completes a field (version 2), sees the preview and the diff, approves
    version 2 after a confirmation naming regulator, recipient and version, and the e-mail the
    SMTP server receives carries the edited text."""
    page = anna
    page.goto(f"/drafts/{ullevaal.draft}")
    page.wait_for_selector("#draft[data-loaded]")
    edited = "Nei: sykehuset har reservesamband (bekreftet av vakthavende)."
    page.fill("#field-scope_life_health", edited)
    page.click("#save")
    page.wait_for_selector('#draft[data-version="2"]')
    expect(page.locator("#preview-text")).to_contain_text(edited)
    expect(page.frame_locator("#preview-html").locator("body")).to_contain_text(edited)
    page.click("#show-diff")
    expect(page.locator("#diff ins").first).to_contain_text(edited)
    # who changed it: anna, in version 2
    expect(page.locator("#diff td.changed-by").first).to_contain_text("v2 · anna")
    shot(page, "draft-editor")

    page.click("#approve")
    dialog = page.locator("#confirm-approve")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-regulator")).to_have_text("Nkom (NO)")
    expect(dialog.locator("#confirm-recipient")).to_have_text("ekomvarsling@nkom.no")
    expect(dialog.locator("#confirm-version")).to_have_text("version 2")
    shot(page, "draft-approve-confirmation")
    page.fill("#approve-comment", "checked with the field team")
    for box in dialog.locator("#confirm-incomplete input[type=checkbox]").all():
        box.check()  # each field still empty is sent as "Ikke kjent ennå", by name
    page.click("#confirm-approve-yes")
    expect(page.locator("#message")).to_contain_text("Approved version 2")

    mail: Received = until_sync(lambda: smtp.mailbox.received[:1], "the e-mail", 15)[0]
    assert mail.rcpt_tos == ["ekomvarsling@nkom.no"]
    text = mail.message.get_body(("plain",))
    assert text is not None and edited in text.get_content()
    expect(page.locator("#draft-state")).to_have_text("sent")  # the live stream told the page

    page.goto("/sent")
    row = page.locator(f'tr[data-draft="{ullevaal.draft}"]')
    expect(row).to_contain_text("anna")
    shot(page, "sent")
    # the exact bytes sent: the sent list links to the draft's archived copies, each a download
    row.locator("a.sent-copies").click()
    link = page.locator("#sent-copies-list a.sent-file")
    expect(link).to_have_text(f"{ullevaal.draft}.v2.eml")
    href = link.get_attribute("href")
    assert href is not None
    got = page.request.get(href)
    assert got.status == 200 and got.headers["content-type"].startswith("message/rfc822")
    assert got.body().replace(b"\r\n", b"\n") == mail.raw.replace(b"\r\n", b"\n")
    sha = page.locator("#sent-copies-list td code").last.inner_text()
    assert sha == hashlib.sha256(got.body()).hexdigest()
    shot(page, "draft-sent-copies")


def test_an_auditor_alone_reads_what_was_sent(
    browser: Browser, bridge: Bridge, ullevaal: Incident
) -> None:
    """A compliance officer holding only ``auditor``: the sent page lists the notice, its page
    shows the versions and the archived copy (the read audited), and nothing can be changed."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "aud")
    page.goto("/sent")
    page.locator(f'tr[data-draft="{ullevaal.draft}"] a.sent-copies').click()
    page.wait_for_selector("#draft[data-loaded]")
    expect(page.locator("#sent-copies-list a.sent-file")).to_have_text(f"{ullevaal.draft}.v2.eml")
    expect(page.locator("#versions")).to_contain_text("anna")
    expect(page.locator("#draft .error")).to_have_count(0)  # nothing refused on the way
    answer = page.request.get(
        f"/api/v1/audit?action=notice.read_sent&target=draft:{ullevaal.draft}"
    )
    assert answer.status == 200
    assert "aud" in [e["actor"] for e in answer.json()["entries"]]
    page.context.close()


def post_webhook(bridge: Bridge, body: dict[str, Any]) -> list[str]:
    return bridge.deliver(body)


def test_reject_needs_a_reason_and_pts_drafts_carry_the_report(anna: Page, bridge: Bridge) -> None:
    """A PTS draft links its DOCX report; rejecting asks for a reason and refuses without one,
    then records the rejection."""
    started = datetime.now(UTC) - timedelta(minutes=40)  # 112 affected for over 30 min
    body = webhook(alert("fp-sjukhus", started, element="se-cell-ostersund-sjukhus"))
    [incident_id] = post_webhook(bridge, body)
    drafts = until_sync(
        lambda: bridge.api(f"/api/v1/drafts?incident={incident_id}&regulator=pts")["drafts"],
        "the PTS draft",
        15,
    )
    page = anna
    page.goto(f"/drafts/{drafts[0]['id']}")
    page.wait_for_selector("#draft[data-loaded]")
    href = page.get_attribute("#attachment", "href")
    assert href is not None
    report = page.request.get(href)
    assert report.status == 200 and report.body()[:2] == b"PK"  # a DOCX is a zip
    page.click("#reject")
    dialog = page.locator("#confirm-reject")
    expect(dialog).to_be_visible()
    page.click("#confirm-reject-yes")  # no reason given
    expect(dialog).to_be_visible()
    assert bridge.api(f"/api/v1/drafts/{drafts[0]['id']}")["state"] == "draft"
    page.fill("#reject-reason", "duplicate of the report filed by phone")
    page.click("#confirm-reject-yes")
    expect(page.locator("#draft-state")).to_have_text("rejected")
    assert bridge.api(f"/api/v1/drafts/{drafts[0]['id']}")["state"] == "rejected"


def test_viewer_cannot_approve(browser: Browser, bridge: Bridge, ullevaal: Incident) -> None:
    """A viewer sees the approve button disabled with the reason, and a POST forced from the
    page (with a valid CSRF token) is refused with 403."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "victor")
    page.goto(f"/drafts/{ullevaal.draft}")
    page.wait_for_selector("#draft[data-loaded]")
    expect(page.locator("#approve")).to_be_disabled()
    expect(page.locator("#approve-why")).to_contain_text("approver")
    expect(page.locator("#save")).to_be_disabled()
    status = page.evaluate(
        """async (id) => (await fetch(`/api/v1/drafts/${id}/approve`, {
            method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json',
                      'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content},
            body: JSON.stringify({version: 1})})).status""",
        ullevaal.draft,
    )
    assert status == 403
    page.context.close()


def test_state_change_without_csrf_token_is_refused(
    anna: Page, bridge: Bridge, ullevaal: Incident
) -> None:
    """The approver's own session cannot change a draft from a request without the CSRF
    token (403), and nothing changed."""
    before = bridge.api(f"/api/v1/drafts/{ullevaal.draft}")
    status = anna.evaluate(
        """async (id) => (await fetch(`/api/v1/drafts/${id}/reject`, {
            method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({reason: 'no token'})})).status""",
        ullevaal.draft,
    )
    assert status == 403
    after = bridge.api(f"/api/v1/drafts/{ullevaal.draft}")
    assert (after["state"], after["version"]) == (before["state"], before["version"])


def test_audit_log_and_users_pages(ada: Page, ullevaal: Incident) -> None:
    """An admin-auditor sees the approval in the audit log and the people on the users page."""
    page = ada
    page.goto("/audit")
    page.wait_for_selector("#audit[data-loaded]")
    expect(page.locator("#audit-table")).to_contain_text("draft.approved")
    # console.time_zone (Europe/Stockholm by default), not the browser's own zone (UTC here)
    expect(page.locator("#audit")).to_contain_text("Times in Europe/Stockholm")
    expect(page.locator("#audit-table")).to_contain_text("CET")
    shot(page, "audit")
    page.goto("/users")
    page.wait_for_selector("#users[data-loaded]")
    for name in USERS:
        expect(page.locator(f'tr[data-user="{name}"]')).to_be_visible()
    shot(page, "users")


def test_admin_adds_a_person_who_then_signs_in(ada: Page, browser: Browser, bridge: Bridge) -> None:
    """The admin adds a viewer on the users page, with an authenticator code (the sign-in's
    may be older than the step-up window by now); the one-time password shown once lets that
    person sign in. Once the admin disables them (confirmed in a dialog that asks for a code,
    covered by the one just given), their open board goes to the sign-in page at its next
    refresh."""
    page = ada
    page.goto("/users")
    page.wait_for_selector("#users[data-loaded]")
    page.fill("#new-user-name", "olga")
    page.fill("#new-user-display", "Olga Nordmann")
    page.fill("#new-user-roles", "viewer")
    # the sign-in used a code of an earlier step, and a code is single use: the next one
    page.fill("#new-user-totp", pyotp.TOTP(bridge.secrets["ada"]).at(int(time.time()) + 30))
    page.click("#add-user button[type=submit]")
    password = page.inner_text("#one-time-password").strip()
    expect(page.locator('tr[data-user="olga"]')).to_contain_text("Olga Nordmann")
    olga = new_page(browser, bridge)
    sign_in(olga, bridge, "olga", password)
    olga.wait_for_selector("#board[data-loaded]")
    expect(olga.locator("#live")).to_have_attribute("data-state", "live")

    page.click('tr[data-user="olga"] button:text("Disable")')
    expect(page.locator("#confirm-dialog #confirm-totp")).to_be_visible()
    page.click("#confirm-yes")
    expect(page.locator('tr[data-user="olga"] .status')).to_have_text("disabled")
    started = datetime.now(UTC) - timedelta(minutes=1)
    post_webhook(bridge, webhook(alert("fp-olt", started, element="no-olt-oslo-1")))
    olga.wait_for_url("**/login?next=*")
    expect(olga.locator("#login-form")).to_be_visible()
    olga.context.close()


def test_admin_pages_refuse_other_roles(anna: Page) -> None:
    """An approver has no audit or users link, and the pages themselves answer 403."""
    anna.goto("/")
    expect(anna.locator('header.top nav a[href="/audit"]')).to_have_count(0)
    expect(anna.locator('header.top nav a[href="/users"]')).to_have_count(0)
    for path in ("/audit", "/users"):
        response = anna.goto(path)
        assert response is not None and response.status == 403
        expect(anna.locator("#forbidden")).to_be_visible()


def test_repeated_wrong_passwords_lock_the_account(browser: Browser, bridge: Bridge) -> None:
    """Five wrong passwords lock the account: the right password is then refused too."""
    page = new_page(browser, bridge)
    for _ in range(5):
        page.goto("/login")
        page.fill("#username", "lars")
        page.fill("#password", "not the password at all")
        page.click("#login-form button[type=submit]")
        expect(page.locator("#login-error")).to_be_visible()
    page.goto("/login")
    page.fill("#username", "lars")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("locked")
    assert page.url.split("?")[0].endswith("/login")
    shot(page, "login-locked")
    page.context.close()
