"""The console's privacy pages in a real browser (Debian's chromium through Playwright) against a
real ``bridge serve`` with the privacy track on and a real SMTP server on loopback.

A privacy editor reports a breach through the form and it appears in a privacy approver's open
list through the live stream (no reload); the editor changes a fact on the case page, and a
change made meanwhile by someone else makes her save a 409 that reloads the page; the approver
opens the PTS initial report from the case, approves it and the e-mail reaches the SMTP server;
the approver records the exemption through a confirmation; the register downloads as CSV; an
outage-only approver gets no Privacy link and a 403 page. Screenshots of the list and the case
go to tests/artifacts/screenshots/.
"""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest
from bridge_process import Bridge
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook
from playwright.sync_api import Browser, Page, expect
from polling import until_sync
from smtp_server import Received, SmtpServer
from test_console_browser import new_page, shot, sign_in

USERS = {
    "petra": ["editor:privacy"],  # reports and edits privacy cases; no second factor
    "pelle": ["approver:privacy"],  # approves privacy notices, records exemptions; TOTP
    "otto": ["approver:outage"],  # outage only; TOTP
}
EDITOR_TOKEN = "privacy-editor-token"
READER_TOKEN = "privacy-reader-token"  # the unscoped viewer token reads the outage track only
BRIDGE_EXTRA = {
    "auth": {
        "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
        "api_tokens": [
            {"name": "viewer", "token": API_TOKEN, "roles": ["viewer"]},
            {"name": "p-editor", "token": EDITOR_TOKEN, "roles": ["editor:privacy"]},
            {"name": "p-reader", "token": READER_TOKEN, "roles": ["viewer:privacy"]},
        ],
    },
    "privacy": {
        "subscriber_notice_recipient": "kundkommunikation@example.net",
        "alert_label": {"incident_type": "privacy"},
    },
}  # config sections of the module's bridge (browser/conftest.py)
MARKER = "Laptop ZQX-4711 med samtalsdata stulen ur bil"


def patch_case(bridge: Bridge, case_id: str, revision: int, fields: dict[str, Any]) -> Any:
    """Someone else (an editor's API token) changes the case."""
    request = urllib.request.Request(
        f"{bridge.url}/api/v1/privacy/cases/{case_id}",
        data=json.dumps({"revision": revision, "fields": fields}).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {EDITOR_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def local_input(page: Page, at: datetime) -> str:
    """``at`` as the datetime-local value a person types: the console zone's wall time
    (console.time_zone, Europe/Stockholm by default), whatever the browser's own zone."""
    return at.astimezone(ZoneInfo("Europe/Stockholm")).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture(scope="module")
def petra(browser: Browser, bridge: Bridge) -> Page:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "petra")
    return page


@pytest.fixture(scope="module")
def pelle(browser: Browser, bridge: Bridge) -> Page:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "pelle")
    return page


@pytest.fixture(scope="module")
def detected() -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=20)).replace(microsecond=0)


@pytest.fixture(scope="module")
def reported(petra: Page, pelle: Page, bridge: Bridge, detected: datetime) -> str:
    """With pelle's privacy list open and live, petra reports a breach through the form."""
    pelle.goto("/privacy")
    pelle.wait_for_selector("#privacy[data-loaded]")
    expect(pelle.locator("#live")).to_have_attribute("data-state", "live")
    pelle.evaluate("window.__notReloaded = true")

    page = petra
    page.goto("/")
    page.click('header.top nav a[href="/privacy"]')
    page.wait_for_selector("#privacy[data-loaded]")
    page.fill("#new-detected_at", local_input(page, detected))
    page.fill("#new-occurred_at", local_input(page, detected - timedelta(hours=14)))
    page.check("#new-occurred_estimated")
    page.select_option("#new-nature", "breach")
    page.check("#new-jurisdictions-SE")
    page.check("#new-circumstances-theft")
    page.fill("#new-circumstances_text", "Inbrott i tjänstebil")
    page.fill("#new-description", MARKER)
    page.fill("#new-location", "Parkeringshus, Göteborg; bärbar dator")
    page.fill("#new-causes", "Datorn lämnades i bilen")
    page.fill("#new-consequences", "Risk för bedrägeriförsök")
    page.check("#new-data_categories-subscriber")
    page.check("#new-data_categories-traffic")
    page.fill("#new-data_description", "Samtalsdata för 1 200 abonnenter")
    page.fill("#new-affected", "1200")
    page.fill("#new-measures_taken", "Fjärradering beställd, polisanmälan gjord")
    page.fill("#new-measures_planned", "Diskkryptering på alla datorer")
    page.fill("#new-other_providers", "Ingen")
    page.fill("#new-cross_border", "Inga")
    page.select_option("#new-unreadable", "no")
    page.click("#report-submit")
    return page.inner_text("#reported-case").strip()


def test_editor_reports_a_case_through_the_form(
    petra: Page, pelle: Page, bridge: Bridge, reported: str, detected: datetime
) -> None:
    """The form's values arrive as typed (times in the console's zone, lists, numbers,
    flags); the case is listed on petra's page and appears on pelle's open list through the
    live stream, counting down to its next deadline."""
    doc = bridge.api(f"/api/v1/privacy/cases/{reported}", READER_TOKEN)
    case = doc["case"]
    assert datetime.fromisoformat(case["detected_at"]) == detected
    assert datetime.fromisoformat(case["occurred_at"]) == detected - timedelta(hours=14)
    assert case["occurred_estimated"] is True and case["unreadable"] is False
    assert case["circumstances"] == ["theft"] and case["jurisdictions"] == ["SE"]
    assert case["data_categories"] == ["subscriber", "traffic"] and case["affected"] == 1200
    assert case["description"] == MARKER and case["created_by"] == "petra"
    assert case["cross_border"] == "Inga" and case["other_providers"] == "Ingen"

    row = petra.locator(f'#open-cases tr[data-case="{reported}"]')
    expect(row).to_contain_text("breach")
    expect(row.locator(".countdown")).to_contain_text("in ")
    live_row = pelle.locator(f'#open-cases tr[data-case="{reported}"]')
    expect(live_row).to_be_visible()
    assert pelle.evaluate("window.__notReloaded") is True
    shot(petra, "privacy-list")


def test_case_page_saves_facts_and_a_conflict_reloads(
    petra: Page, bridge: Bridge, reported: str
) -> None:
    """petra changes the number affected (revision 2, named in the history); while she edits
    again someone else changes the case: her save is refused (409), the page says so and
    reloads with their change."""
    page = petra
    page.click(f'#open-cases tr[data-case="{reported}"] a')
    page.wait_for_selector("#case[data-loaded]")
    expect(page.locator('.obligations tr[data-kind="privacy_initial"] .countdown')).to_contain_text(
        "in "
    )
    page.fill("#fact-affected", "1500")
    page.click("#save-facts")
    page.wait_for_selector('#case[data-revision="2"]')
    expect(page.locator("#history-table tbody tr").first).to_contain_text("petra")
    expect(page.locator("#history-table tbody tr").first).to_contain_text("affected")
    assert bridge.api(f"/api/v1/privacy/cases/{reported}", READER_TOKEN)["case"]["affected"] == 1500

    page.fill("#fact-measures_planned", "Kryptering och utbildning")
    patch_case(bridge, reported, 2, {"measures_planned": "Kryptering senast 2027"})
    expect(page.locator("#case")).to_contain_text("changed meanwhile")  # the live stream
    page.click("#save-facts")
    expect(page.locator("#case-message")).to_contain_text("Someone changed this case")
    page.wait_for_selector('#case[data-revision="3"]')
    expect(page.locator("#fact-measures_planned")).to_have_value("Kryptering senast 2027")
    shot(page, "privacy-case")


def test_privacy_approver_approves_the_pts_initial_report(
    petra: Page,
    pelle: Page,
    bridge: Bridge,
    reported: str,
    smtp: SmtpServer,
) -> None:
    """An editor may not approve a privacy notice (the button disabled with the reason); from
    the case page pelle opens the PTS initial report in the draft editor; approving with an empty
    field unticked is refused naming what PTS would read; ticking it, the approval goes through
    and the e-mail reaches the SMTP server with "Ännu inte känt" for that field."""
    initial = next(
        d
        for d in bridge.api(f"/api/v1/privacy/cases/{reported}", READER_TOKEN)["drafts"]
        if d["kind"] == "privacy_initial"
    )
    petra.goto(f"/drafts/{initial['id']}")
    petra.wait_for_selector("#draft[data-loaded]")
    expect(petra.locator("#approve")).to_be_disabled()
    expect(petra.locator("#approve-why")).to_contain_text("approver on the privacy track")
    page = pelle
    page.goto(f"/privacy/{reported}")
    page.wait_for_selector("#case[data-loaded]")
    page.click('#case-drafts tr[data-kind="privacy_initial"] a')
    page.wait_for_selector("#draft[data-loaded]")
    expect(page.locator("#back")).to_have_text(f"← Privacy case {reported}")
    page.click("#approve")
    expect(page.locator("#confirm-recipient")).to_have_text("incidentrapport@pts.se")
    expect(page.locator("#confirm-incomplete")).to_contain_text("Ännu inte känt")
    page.click("#confirm-approve-yes")  # nothing ticked: refused
    expect(page.locator("#message")).to_contain_text("Ännu inte känt")
    page.click("#approve")
    for box in page.locator("#confirm-incomplete input[type=checkbox]").all():
        box.check()
    page.click("#confirm-approve-yes")
    expect(page.locator("#message")).to_contain_text("Approved version")
    mail: Received = until_sync(
        lambda: [m for m in smtp.mailbox.received if "incidentrapport@pts.se" in m.rcpt_tos],
        "the PTS initial report",
        15,
    )[0]
    text = mail.message.get_body(("plain",))
    assert text is not None and MARKER in text.get_content()
    assert "Ännu inte känt" in text.get_content() and "[fyll" not in text.get_content()
    expect(page.locator("#draft-state")).to_have_text("sent")


def test_privacy_approver_records_the_exemption_after_confirming(
    pelle: Page, bridge: Bridge, reported: str
) -> None:
    """Recording the exemption asks first; once confirmed the subscriber notice is no longer
    owed."""
    page = pelle
    page.goto(f"/privacy/{reported}")
    page.wait_for_selector("#case[data-loaded]")
    expect(page.locator('.obligations tr[data-kind="subscriber_notice"]')).to_have_count(1)
    page.select_option("#exemption-reason", "no_adverse_effect")
    page.fill("#exemption-comment", "Endast testnummer berörda")
    page.click("#record-exemption")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.click("#confirm-yes")
    expect(page.locator("#exemption-current")).to_contain_text("no adverse effect")
    expect(page.locator('.obligations tr[data-kind="subscriber_notice"]')).to_have_count(0)
    assert (
        bridge.api(f"/api/v1/privacy/cases/{reported}", READER_TOKEN)["exemption"]
        == "no_adverse_effect"
    )


def test_register_downloads_as_csv(petra: Page, reported: str) -> None:
    """The register button downloads the CSV, one row per case."""
    petra.goto("/privacy")
    petra.wait_for_selector("#privacy[data-loaded]")
    with petra.expect_download() as info:
        petra.click("#register-csv")
    download = info.value
    assert download.suggested_filename == "privacy-register.csv"
    text = download.path().read_text(encoding="utf-8-sig")
    assert reported in text


def open_case(bridge: Bridge, body: dict[str, Any]) -> Any:
    """An editor's API token reports a case."""
    request = urllib.request.Request(
        f"{bridge.url}/api/v1/privacy/cases",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {EDITOR_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def test_closing_a_case_asks_for_the_outcome_and_the_reason_and_shows_them(
    petra: Page, bridge: Bridge
) -> None:
    """The close control sent only ``state`` (the API now refuses a close without a reason):
    its dialog asks for the outcome and the reason, refuses to close without a reason, and the
    case page then shows what was decided, by whom; reopening clears it."""
    detected = datetime.now(UTC) - timedelta(minutes=5)
    case = open_case(
        bridge,
        {"detected_at": detected.isoformat(), "jurisdictions": ["SE"], "description": "Lost"},
    )
    page = petra
    page.goto(f"/privacy/{case['id']}")
    page.wait_for_selector("#case[data-loaded]")
    page.click("#set-state")
    expect(page.locator("#close-dialog")).to_be_visible()
    page.select_option("#close-outcome", "not_a_breach")
    page.click("#close-yes")  # no reason: the form refuses, nothing is sent
    expect(page.locator("#close-dialog")).to_be_visible()
    assert bridge.api(f"/api/v1/privacy/cases/{case['id']}", READER_TOKEN)["state"] == "open"
    why = "Datorn hittades på kontoret, fortfarande låst"
    page.fill("#close-reason", why)
    page.click("#close-yes")
    expect(page.locator("#case-state")).to_have_text("closed")
    expect(page.locator("#case-closure")).to_contain_text("not a breach")
    expect(page.locator("#case-closure")).to_contain_text(why)
    expect(page.locator("#case-closure")).to_contain_text("petra")
    doc = bridge.api(f"/api/v1/privacy/cases/{case['id']}", READER_TOKEN)
    assert doc["outcome"] == "not_a_breach" and doc["case"]["closure"]["reason"] == why
    page.click("#set-state")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.click("#confirm-yes")
    expect(page.locator("#case-state")).to_have_text("open")
    expect(page.locator("#case-closure")).to_have_count(0)


def test_a_case_of_an_unknown_jurisdiction_says_so_until_a_person_keeps_its_countries(
    petra: Page, bridge: Bridge
) -> None:
    """A privacy alert labelled `jurisdiction: Norge` opens a case owed to both countries: the
    privacy list and the board's queue say its jurisdictions are to be set, the case page
    says what the alert said, and petra keeps both countries (after a confirmation): the
    notice goes, the case is at revision 2."""
    started = datetime.now(UTC) - timedelta(minutes=3)
    leak = alert("fp-norge", started, incident_type="privacy", jurisdiction="Norge")
    bridge.deliver(webhook(leak))
    listed = until_sync(
        lambda: [
            c for c in bridge.api("/api/v1/privacy/cases", READER_TOKEN)["cases"] if c["attention"]
        ],
        "the case of the alert",
    )
    [case] = listed
    assert case["jurisdictions"] == ["SE", "NO"]
    page = petra
    page.goto("/privacy")
    page.wait_for_selector("#privacy[data-loaded]")
    expect(page.locator(f'#open-cases tr[data-case="{case["id"]}"] .attention')).to_be_visible()
    page.goto("/")
    rows = page.locator(f'#queue tr[data-case="{case["id"]}"] .attention')
    expect(rows.first).to_contain_text("jurisdictions to be set")
    page.goto(f"/privacy/{case['id']}")
    page.wait_for_selector("#case[data-loaded]")
    expect(page.locator("#case-attention")).to_contain_text("“Norge”")
    shot(page, "privacy-case-jurisdiction")
    page.click("#keep-jurisdictions")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.click("#confirm-yes")
    page.wait_for_selector('#case[data-revision="2"]')
    expect(page.locator("#case-attention")).to_have_count(0)
    after = bridge.api(f"/api/v1/privacy/cases/{case['id']}", READER_TOKEN)
    assert after["attention"] is None and after["jurisdictions"] == ["SE", "NO"]


def test_outage_only_approver_has_no_privacy_pages(browser: Browser, bridge: Bridge) -> None:
    """No Privacy link, and the page answers 403."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "otto")
    expect(page.locator('header.top nav a[href="/privacy"]')).to_have_count(0)
    response = page.goto("/privacy")
    assert response is not None and response.status == 403
    expect(page.locator("#forbidden")).to_contain_text("privacy viewer role")
    page.context.close()


ALERT_WORDS = "Unusual bulk export from crm-prod-02 by svc_batch, 41k rows"
PERSONS_WORDS = "Någon har obehörigt hämtat ut kunduppgifter ur vårt kundregister."


def test_a_case_from_an_alert_keeps_the_alert_s_text_from_subscribers(
    petra: Page, bridge: Bridge
) -> None:
    """An alert opens a case: its page says the alert's text is kept from subscribers, and the
    subscriber notice's "Vad har hänt?" waits to be completed, its hint saying why; once petra
    writes her own words on the case page, the note goes and the notice says them."""
    started = datetime.now(UTC) - timedelta(minutes=2)
    leak = alert(
        "fp-browser-words",
        started,
        incident_type="privacy",
        jurisdiction="SE",
        annotations={"summary": ALERT_WORDS},
    )
    known = {c["id"] for c in bridge.api("/api/v1/privacy/cases?state=all", READER_TOKEN)["cases"]}
    bridge.deliver(webhook(leak))
    listed = bridge.api("/api/v1/privacy/cases?state=all", READER_TOKEN)["cases"]
    # the module's other alert cases (an unknown jurisdiction's) are not this one
    [case_id] = [c["id"] for c in listed if c["source"] == "alert" and c["id"] not in known]
    page = petra
    page.goto(f"/privacy/{case_id}")
    page.wait_for_selector("#case[data-loaded]")
    expect(page.locator("#alert-text")).to_contain_text("subscribers leave it out")
    notice = next(
        d
        for d in bridge.api(f"/api/v1/privacy/cases/{case_id}", READER_TOKEN)["drafts"]
        if d["kind"] == "subscriber_notice"
    )
    page.goto(f"/drafts/{notice['id']}")
    page.wait_for_selector("#draft[data-loaded]")
    what = page.locator(".field", has=page.locator("#field-what_happened"))
    expect(what).to_have_class("field to-complete")
    expect(what).to_contain_text("An alert's own text is never shown to subscribers")
    expect(page.locator("#field-what_happened")).to_have_value("")

    page.goto(f"/privacy/{case_id}")
    page.wait_for_selector("#case[data-loaded]")
    page.fill("#fact-description", PERSONS_WORDS)
    page.click("#save-facts")
    page.wait_for_selector('#case[data-revision="2"]')
    expect(page.locator("#alert-text")).to_have_count(0)
    page.goto(f"/drafts/{notice['id']}")
    page.wait_for_selector("#draft[data-loaded]")
    expect(page.locator("#field-what_happened")).to_have_value(PERSONS_WORDS)


def test_the_approve_dialog_of_a_subscriber_notice_asks_for_its_required_elements_first(
    petra: Page, pelle: Page, bridge: Bridge
) -> None:
    """An alert opens a case whose subscriber notice still lacks what happened, what it means,
    what we do and what subscribers can do (required: a notice to subscribers must state them)
    and which data (optional). On pelle's draft page the required fields are marked and the page
    says they must be written before approval, beside the approve button too; the dialog lists
    them without a tick box (never "send as unknown"), offers one for which data only, and its
    approve button is disabled, saying what to write. Once petra writes them in the draft,
    pelle's page follows (live) and he approves with which data sent as "Ännu inte känt"."""
    started = datetime.now(UTC) - timedelta(minutes=2)
    leak = alert(
        "fp-browser-required",
        started,
        incident_type="privacy",
        jurisdiction="SE",
        annotations={"summary": "Bulk export from crm-prod-07"},
    )
    known = {c["id"] for c in bridge.api("/api/v1/privacy/cases?state=all", READER_TOKEN)["cases"]}
    bridge.deliver(webhook(leak))
    listed = bridge.api("/api/v1/privacy/cases?state=all", READER_TOKEN)["cases"]
    [case_id] = [c["id"] for c in listed if c["id"] not in known]
    notice = next(
        d
        for d in bridge.api(f"/api/v1/privacy/cases/{case_id}", READER_TOKEN)["drafts"]
        if d["kind"] == "subscriber_notice"
    )
    must = ["what_happened", "what_it_means", "what_we_do", "what_you_can_do"]
    assert notice["must_complete"] == must and set(notice["to_complete"]) == {*must, "your_data"}

    page = pelle
    page.goto(f"/drafts/{notice['id']}")
    page.wait_for_selector("#draft[data-loaded]")
    what = page.locator(".field", has=page.locator("#field-what_happened"))
    expect(what.locator(".tag.required")).to_have_text("required: write it before approval")
    data = page.locator(".field", has=page.locator("#field-your_data"))
    expect(data.locator(".tag")).to_have_text("to complete")
    expect(page.locator("#must-complete")).to_contain_text("Vad har hänt?")
    expect(page.locator("#must-complete")).not_to_contain_text("Vilka uppgifter")
    expect(page.locator("#approve-why")).to_contain_text("Vad kan du göra?")

    page.click("#approve")
    required = page.locator("#confirm-required")
    expect(required).to_contain_text("must be written before approval")
    for label in ("Vad har hänt?", "Vad kan det innebära för dig?", "Vad gör vi?"):
        expect(required).to_contain_text(label)
    expect(required.locator("input")).to_have_count(0)
    boxes = page.locator("#confirm-incomplete input[type=checkbox]")
    expect(boxes).to_have_count(1)
    expect(page.locator("#unknown-your_data")).to_be_visible()
    expect(page.locator("#unknown-what_happened")).to_have_count(0)
    expect(page.locator("#confirm-approve-yes")).to_be_disabled()
    expect(page.locator("#confirm-approve-why")).to_contain_text("Vad kan du göra?")
    # a notice to subscribers is not sent to a regulator: the dialog says to whom it goes
    expect(page.locator("#confirm-approve-title")).to_contain_text("to the subscribers")
    shot(page, "draft-approve-required")
    page.click("#confirm-approve-no")

    petra.goto(f"/drafts/{notice['id']}")
    petra.wait_for_selector("#draft[data-loaded]")
    petra.fill("#field-what_happened", PERSONS_WORDS)
    petra.fill("#field-what_it_means", "Någon kan försöka lura dig med hjälp av uppgifterna.")
    petra.fill("#field-what_we_do", "Vi har stängt exporten.")
    petra.fill("#field-what_you_can_do", "Var uppmärksam på samtal som ber om koder.")
    petra.click("#save")
    petra.wait_for_selector('#draft[data-version="2"]')

    page.wait_for_selector('#draft[data-version="2"]')  # the live stream
    expect(page.locator("#must-complete")).to_have_count(0)
    expect(page.locator("#approve-why")).to_have_count(0)
    page.click("#approve")
    expect(page.locator("#confirm-required")).to_be_hidden()
    expect(page.locator("#confirm-approve-yes")).to_be_enabled()
    page.check("#unknown-your_data")
    # the sign-in's code may be outside the step-up window: the authenticator's next one
    page.fill("#approve-totp", pyotp.TOTP(bridge.secrets["pelle"]).at(int(time.time()) + 30))
    page.click("#confirm-approve-yes")
    expect(page.locator("#message")).to_contain_text("Approved version 2")
    approved = bridge.api(f"/api/v1/drafts/{notice['id']}", READER_TOKEN)["approved"]
    assert approved["by"] == "pelle" and approved["version"] == 2


def test_a_privacy_drafts_typed_text_outlives_the_session_on_the_page_only(
    petra: Page, bridge: Bridge
) -> None:
    """Petra types in a subscriber notice (personal data) and her session ends in another tab:
    the page stays and keeps the text, and nothing of it is in the tab's storage (a privacy
    draft's edits are never stored); its sign-in link opens a new tab, and once petra signed in
    there, her save on this page goes through with the new session (its CSRF token) and keeps
    exactly what she typed."""
    leak = alert(
        "fp-browser-session",
        datetime.now(UTC) - timedelta(minutes=2),
        incident_type="privacy",
        jurisdiction="SE",
        annotations={"summary": "Export from crm-prod-09"},
    )
    known = {c["id"] for c in bridge.api("/api/v1/privacy/cases?state=all", READER_TOKEN)["cases"]}
    bridge.deliver(webhook(leak))
    listed = bridge.api("/api/v1/privacy/cases?state=all", READER_TOKEN)["cases"]
    [case_id] = [c["id"] for c in listed if c["id"] not in known]
    notice = next(
        d
        for d in bridge.api(f"/api/v1/privacy/cases/{case_id}", READER_TOKEN)["drafts"]
        if d["kind"] == "subscriber_notice"
    )
    page = petra.context.new_page()
    page.goto(f"/drafts/{notice['id']}")
    page.wait_for_selector("#draft[data-loaded]")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    typed = "Kund 4471 (Anna Berg) fick sina samtalsuppgifter exporterade."
    page.fill("#field-what_happened", typed)

    other = petra.context.new_page()
    other.goto("/")
    other.click("header.top form.logout button")
    other.wait_for_url("**/login")
    expect(page.locator("#session-ended")).to_be_visible()
    assert page.url.endswith(f"/drafts/{notice['id']}")
    expect(page.locator("#field-what_happened")).to_have_value(typed)
    stored = page.evaluate("JSON.stringify(Object.entries(sessionStorage))")
    assert "Anna Berg" not in stored and "draft-edits" not in stored
    expect(page.locator("#sign-in-again")).to_have_attribute("target", "_blank")

    sign_in(other, bridge, "petra")  # in the other tab, as the link would
    other.close()
    with page.expect_response(lambda r: r.request.method == "PATCH" and r.status == 200):
        page.click("#save")
    page.wait_for_selector('#draft[data-version="2"]')
    expect(page.locator("#session-ended")).to_have_count(0)
    saved = bridge.api(f"/api/v1/drafts/{notice['id']}", READER_TOKEN)["latest"]["fields"]
    assert {f["key"]: f["value"] for f in saved}["what_happened"] == typed
    page.close()


def test_moving_the_detection_later_is_refused_on_the_case_page(
    petra: Page, bridge: Bridge, reported: str, detected: datetime
) -> None:
    """petra moves the detection ten minutes later on the case page: refused at once (400
    naming fields.detected_at, it can only be moved earlier), said on the page; the case and
    its deadlines are as they were."""
    before = bridge.api(f"/api/v1/privacy/cases/{reported}", READER_TOKEN)
    page = petra
    page.goto(f"/privacy/{reported}")
    page.wait_for_selector("#case[data-loaded]")
    page.fill("#fact-detected_at", local_input(page, detected + timedelta(minutes=10)))
    page.click("#save-facts")
    message = page.locator("#case-message")
    expect(message).to_contain_text("Refused (400): fields.detected_at")
    expect(message).to_contain_text("can only be moved earlier")
    after = bridge.api(f"/api/v1/privacy/cases/{reported}", READER_TOKEN)
    assert after["revision"] == before["revision"]
    assert after["obligations"] == before["obligations"]
