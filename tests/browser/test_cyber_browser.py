"""The Swedish cybersecurity act in the console, in Debian's chromium against a real ``bridge
serve``: an incident the se-cyber criteria mark is shown as *potentially significant* with what
it would owe if declared now; an approver declares it significant through the incident page's
dialog; the early warning's draft says it goes by the CSIRT's portal, is approved, and the
approver records the submission with the portal's reference and a receipt file; the obligation
is then met. Screenshots go to tests/artifacts/screenshots/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest
from bridge_process import Bridge
from builders import PASSWORD, alert, webhook
from playwright.sync_api import Browser, Page, expect
from polling import until_sync

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "tests" / "artifacts" / "screenshots"
USERS = {"anna": ["approver"]}
BRIDGE_EXTRA = {
    "regulators": {
        "pts": {"rule_set": "pts-outage", "recipient": "incidentrapport@pts.se"},
        "csirt": {"rule_set": "se-cyber"},
    }
}
WAIT_MS = 15_000


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def anna(browser: Browser, bridge: Bridge) -> Page:
    context = browser.new_context(base_url=bridge.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto("/login")
    page.fill("#username", "anna")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
    bridge.secrets["anna"] = page.inner_text("#totp-secret").strip()
    page.fill("#code", pyotp.TOTP(bridge.secrets["anna"]).now())
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("header.top .who")).to_have_text("anna")
    return page


def post_webhook(bridge: Bridge, body: dict[str, Any]) -> list[str]:
    return bridge.deliver(body)


def test_declare_significant_then_record_the_portal_submission(
    anna: Page, bridge: Bridge, tmp_path: Path
) -> None:
    started = datetime.now(UTC) - timedelta(minutes=3)
    [incident_id] = post_webhook(
        bridge, webhook(alert("fp-sjukhus", started, element="se-cell-ostersund-sjukhus"))
    )
    page = anna
    page.goto(f"/incidents/{incident_id}")
    page.wait_for_selector("#incident[data-loaded]")
    csirt = page.locator('.verdict[data-regulator="csirt"]')
    expect(csirt).to_contain_text("POTENTIALLY SIGNIFICANT")
    expect(page.locator("#cyber .cyber-preview")).to_contain_text("tidig varning due")
    shot(page, "cyber-potentially-significant")
    page.click("#declare-significant")
    expect(page.locator("#declare-dialog")).to_be_visible()
    page.click("#declare-yes")  # aware now; the sign-in code is fresh
    expect(csirt).to_contain_text("DECLARED SIGNIFICANT")
    expect(page.locator("#declaration")).to_contain_text("Declared significant by anna")
    row = page.locator('table.obligations tr[data-kind="se_cyber_early_warning"]')
    expect(row).to_contain_text("MCF CSIRT")
    draft_id = f"{incident_id}.se_cyber_early_warning"
    until_sync(lambda: bridge.api(f"/api/v1/drafts/{draft_id}"), "the early warning draft", 15)

    page.goto(f"/drafts/{draft_id}")
    page.wait_for_selector("#draft[data-loaded]")
    expect(page.locator("#portal-note")).to_contain_text("portal")
    expect(page.locator("#preview-text")).to_contain_text("Tidig varning om betydande incident")
    page.fill("#field-suspected_malicious", "Nej, inget tyder på det.")
    page.fill("#field-cross_border", "Nej.")
    page.click("#save")
    page.wait_for_selector('#draft[data-version="2"]')
    page.click("#approve")
    page.click("#confirm-approve-yes")
    expect(page.locator("#draft-state")).to_have_text("approved")
    # approved is not submitted: the board's deadline says a person still submits it (the
    # obligation is approved_to_submit, which ObligationDueSoon pages), never "being sent"
    page.goto("/")
    page.wait_for_selector("#queue[data-loaded]")
    warning = page.locator(
        f'#queue-table tr[data-case="{incident_id}"][data-kind="se_cyber_early_warning"]'
    )
    expect(warning).to_contain_text("submit it on the regulator's portal")
    expect(warning).not_to_contain_text("being sent")
    page.goto(f"/drafts/{draft_id}")
    page.wait_for_selector("#draft[data-loaded]")
    receipt = tmp_path / "kvitto.pdf"
    receipt.write_bytes(b"%PDF-1.4 kvitto")
    page.click("#record-submission")
    page.fill("#submission-reference", "CP-2026-0042")
    page.set_input_files("#submission-receipt", str(receipt))
    page.click("#submission-yes")
    expect(page.locator("#draft-state")).to_have_text("sent")
    expect(page.locator("#submission")).to_contain_text("CP-2026-0042")
    shot(page, "cyber-submission-recorded")
    detail = bridge.api(f"/api/v1/drafts/{draft_id}")
    assert detail["submission"]["receipt"]["size"] == len(b"%PDF-1.4 kvitto")
    incident = bridge.api(f"/api/v1/incidents/{incident_id}")
    states = {o["kind"]: o["state"] for o in incident["obligations"]}
    assert states["se_cyber_early_warning"] == "sent"

    # the CSIRT asks for an intermediate report: recorded on the incident page
    page.goto(f"/incidents/{incident_id}")
    page.wait_for_selector("#incident[data-loaded]")
    page.click("#record-csirt-request")
    expect(page.locator("#request-dialog")).to_contain_text("the CSIRT's deadline")
    # the console zone's wall time (console.time_zone), not the browser's
    due = (datetime.now(ZoneInfo("Europe/Stockholm")) + timedelta(days=3)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    page.fill("#request-deadline", due)
    page.fill("#request-reference", "MCF-2026-117")
    page.click("#request-yes")
    expect(page.locator("#report-requests")).to_contain_text("MCF-2026-117")
    expect(page.locator('table.obligations tr[data-kind="se_cyber_intermediate"]')).to_have_count(1)
    shot(page, "cyber-intermediate-requested")


def test_a_norwegian_incident_offers_no_declaration_under_the_swedish_act(
    anna: Page, bridge: Bridge
) -> None:
    started = datetime.now(UTC) - timedelta(minutes=3)
    [incident_id] = post_webhook(
        bridge, webhook(alert("fp-ullevaal", started, element="no-cell-ullevaal"))
    )
    page = anna
    page.goto(f"/incidents/{incident_id}")
    page.wait_for_selector("#incident[data-loaded]")
    expect(page.locator("#cyber")).to_have_count(0)
    expect(page.locator("#declare-significant")).to_have_count(0)


def test_an_incident_before_the_act_applies_offers_no_declaration(
    anna: Page, bridge: Bridge
) -> None:
    """A cell carrying 112 traffic in Berg down since 23.47 on 14 January 2026 (Stockholm),
    before the act applies (se-cyber's in_force_from): the CSIRT's verdict reads "not in force
    for this incident", the section says why and offers no declaration."""
    started = datetime(2026, 1, 14, 22, 47, tzinfo=UTC)
    [incident_id] = post_webhook(
        bridge, webhook(alert("fp-berg-jan", started, element="se-cell-berg-1"))
    )
    page = anna
    page.goto(f"/incidents/{incident_id}")
    page.wait_for_selector("#incident[data-loaded]")
    csirt = page.locator('.verdict[data-regulator="csirt"]')
    expect(csirt).to_contain_text("not in force for this incident")
    expect(page.locator("#cyber")).to_contain_text("The act applies to incidents from 2026-01-15")
    expect(page.locator("#declare-significant")).to_have_count(0)
    expect(page.locator("#declare-not")).to_have_count(0)
    shot(page, "cyber-not-in-force")
