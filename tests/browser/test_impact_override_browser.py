"""Overriding an incident's impact in a real browser (Debian's chromium through Playwright, a
real ``bridge serve``; docs/console.md "Overriding the impact").

An alert arrives on a street cabinet in Oslo the inventory does not know: its impact is
unknown, and the incident page says so (never "not reportable"). A viewer reads that and gets
no form; the editor on duty states the impact (5 000 mobile connections serving a hospital: a
societal function) with a reason: Nkom's varsel is owed at once, the page shows who overrode it,
why and that the inventory cannot say; a save without a reason is refused naming the field.
The board marks its figure as stated by a person. Lifting it, with a reason, brings *impact
unknown* back. Screenshots go to
tests/artifacts/screenshots/ (override-*.png).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, Page, expect
from test_console_browser import new_page, shot, sign_in

USERS = {
    "erik": ["editor"],  # on duty: overrides the impact
    "olga": ["viewer"],  # reads only
}
BRIDGE_EXTRA = {"console": {"time_zone": "Europe/Oslo"}}
REASON = "Field team: cabinet 9 feeds Ullevål hospital, missing from the inventory"


@pytest.fixture(scope="module")
def cabinet(bridge: Bridge) -> str:
    start = datetime.now(UTC) - timedelta(minutes=10)
    [incident] = bridge.deliver(
        webhook(alert("fp-cab9", start, element="no-cabinet-9", region="NO-0301"))
    )
    return incident


def incident_page(page: Page, incident: str) -> None:
    page.goto(f"/incidents/{incident}")
    page.wait_for_selector("#incident[data-loaded]")


def test_a_viewer_reads_impact_unknown_and_gets_no_form(
    browser: Browser, bridge: Bridge, cabinet: str
) -> None:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "olga")
    incident_page(page, cabinet)
    expect(page.locator("#override-standing")).to_contain_text("Impact unknown")
    expect(page.locator(".verdict .pill").first).to_have_text("impact unknown")
    expect(page.locator("#override-form")).to_have_count(0)
    page.context.close()


def test_the_editor_overrides_the_impact_and_lifts_it(
    browser: Browser, bridge: Bridge, cabinet: str
) -> None:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "erik")
    incident_page(page, cabinet)
    form = page.locator("#override-form")
    expect(form).to_have_attribute("open", "")  # open at once: the impact is unknown
    row = page.locator("#override-impacts tr.ov-row").first
    row.locator(".ov-service").select_option("mobile")
    row.locator(".ov-region").fill("NO-0301")
    row.locator(".ov-connections").fill("5000")
    row.locator(".ov-societal").check()

    shot(page, "override-form")
    page.click("#override-save")  # no reason yet: refused, naming the field
    expect(page.locator("#override-error")).to_contain_text("reason")
    expect(page.locator("#override-standing")).to_contain_text("Impact unknown")

    page.fill("#override-reason-input", REASON)
    page.click("#override-save")
    standing = page.locator("#override-standing")
    expect(standing).to_contain_text("Impact overridden by erik")
    expect(page.locator("#override-reason")).to_have_text(REASON)
    expect(page.locator("#inventory-figure")).to_contain_text("The inventory cannot say")
    nkom = page.locator('.verdict[data-regulator="nkom"] .pill')
    expect(nkom).to_have_text("REPORTABLE")
    expect(page.locator('table.obligations tr[data-kind="nkom_varsel"]')).to_contain_text(
        "Nkom – første varsel"
    )
    expect(page.locator('#timeline tr[data-kind="impact_override"]')).to_contain_text(REASON)
    # the form shows the override standing, for a change
    expect(page.locator("#override-impacts tr.ov-row .ov-connections").first).to_have_value("5000")
    shot(page, "override-incident")

    page.goto("/")  # the board says whose figure it is
    page.wait_for_selector("#board[data-loaded]")
    expect(page.locator(f"#incident-{cabinet} .overridden")).to_have_text("stated by a person")
    incident_page(page, cabinet)

    if not page.locator("#override-form[open]").count():
        page.locator("#override-form summary").click()
    page.fill("#override-reason-input", "Cabinet 9 added to the inventory")
    page.click("#override-lift")
    expect(page.locator("#override-standing")).to_contain_text("Impact unknown")
    expect(page.locator('.verdict[data-regulator="nkom"] .pill')).to_have_text("impact unknown")
    expect(page.locator('#timeline tr[data-kind="impact_override"]')).to_have_count(2)
    shot(page, "override-lifted")
    page.context.close()


CORRECTION = "Kabinett 9 betjener ikke Ullevål sykehus; riktig er 5 000 mobilkunder i Oslo."


def test_the_editor_states_a_correction_for_the_regulator_with_the_override(
    browser: Browser, bridge: Bridge, cabinet: str
) -> None:
    """The form's correction field goes with the override: the page shows it standing, and
    the form offers it again for a change (so a change of the figures keeps it)."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "erik")
    incident_page(page, cabinet)
    if not page.locator("#override-form[open]").count():
        page.locator("#override-form summary").click()
    row = page.locator("#override-impacts tr.ov-row").first
    row.locator(".ov-service").select_option("mobile")
    row.locator(".ov-region").fill("NO-0301")
    row.locator(".ov-connections").fill("5000")
    page.fill("#override-reason-input", REASON)
    expect(page.locator("#override-form")).to_contain_text("Correction for the regulator")
    page.fill("#override-correction-input", CORRECTION)
    page.click("#override-save")
    expect(page.locator("#override-correction")).to_contain_text(CORRECTION)
    expect(page.locator('#timeline tr[data-kind="impact_override"]').last).to_contain_text(
        CORRECTION
    )
    if not page.locator("#override-form[open]").count():
        page.locator("#override-form summary").click()
    expect(page.locator("#override-correction-input")).to_have_value(CORRECTION)
    shot(page, "override-correction")
    page.context.close()
