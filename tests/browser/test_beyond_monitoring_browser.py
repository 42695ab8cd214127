"""Incidents outside what monitoring knows, in a real browser (Debian's chromium, a real
``bridge serve``): an alert on an element the inventory lacks shows *impact unknown* (amber)
on the board and the incident page, never a green *not reportable* (issue 19, item 6); an
editor reports an outage monitoring never saw through the console's form and lands on its
incident (item 5). Screenshots: tests/artifacts/screenshots/impact-unknown.png,
report-outage.png, reported-outage.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, expect
from test_console_browser import new_page, shot, sign_in
from test_noc_browser import post

STOCKHOLM = ZoneInfo("Europe/Stockholm")  # console.time_zone by default

USERS = {"vera": ["viewer"], "edda": ["editor"]}
AMBER = "rgb(122, 74, 0)"  # --warn of the light theme


def test_an_alert_the_inventory_lacks_shows_impact_unknown(
    browser: Browser, bridge: Bridge
) -> None:
    now = datetime.now(UTC)
    ghost = post(
        bridge, webhook(alert("fp-ghost", now - timedelta(minutes=15), element="se-olt-nowhere-9"))
    )
    page = new_page(browser, bridge)
    sign_in(page, bridge, "vera")
    page.goto("/")
    page.wait_for_selector("#board[data-loaded]")
    row = page.locator(f"#incident-{ghost}")
    pills = row.locator(".verdict .pill")
    expect(pills.first).to_have_text("impact unknown")
    assert all(text == "impact unknown" for text in pills.all_inner_texts())
    expect(pills.first).to_have_css("color", AMBER)  # retried: rows re-render
    expect(row).not_to_contain_text("not reportable")
    shot(page, "impact-unknown")
    page.goto(f"/incidents/{ghost}")
    page.wait_for_selector("#incident[data-loaded]")
    expect(page.locator(".verdict .pill").first).to_have_text("impact unknown")
    expect(page.locator("#main")).not_to_contain_text("not reportable")


def test_an_editor_reports_an_outage_monitoring_never_saw(browser: Browser, bridge: Bridge) -> None:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "edda")
    page.goto("/")
    page.click("nav >> text=Report an outage")
    page.wait_for_selector("#outage-form")
    # the form takes the console zone's wall time (console.time_zone), not the browser's
    started = (datetime.now(STOCKHOLM) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#title", "Ullevål hospital reports no mobile coverage")
    page.fill("#description", "The switchboard called; no alarm in monitoring.")
    page.fill("#started_at", started)
    page.select_option("#service", "mobile")
    page.fill("#region", "NO-0301")
    page.fill("#connections", "5000")
    page.check("#societal")
    shot(page, "report-outage")
    page.click("#report-submit")
    page.wait_for_selector("#incident[data-loaded]")
    expect(page.locator("#main")).to_contain_text("Ullevål hospital reports no mobile coverage")
    expect(page.locator('.verdict[data-regulator="nkom"] .pill').first).to_have_text("REPORTABLE")
    shot(page, "reported-outage")
    # a bad field is named where the person typed it
    page.goto("/report-outage")
    page.wait_for_selector("#outage-form")
    page.fill("#title", "No start given")
    page.click("#report-submit")
    expect(page.locator("#report-error")).to_contain_text("started_at")


def test_a_viewer_gets_no_report_form(browser: Browser, bridge: Bridge) -> None:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "vera")
    expect(page.locator("nav")).not_to_contain_text("Report an outage")
    response = page.goto("/report-outage")
    assert response is not None and response.status == 403
