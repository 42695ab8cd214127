"""Nkom's hendelsesrapport in the console, in Debian's chromium against a real ``bridge serve``:
an editor records Nkom's request (Nkom's deadline and reference) on a Norwegian incident's page
through its dialog; the page then lists the request, the hendelsesrapport is owed by that
deadline and its draft is open. A viewer sees no such button. Screenshots go to
tests/artifacts/screenshots/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, expect
from test_console_browser import new_page, shot, sign_in

USERS = {"erik": ["editor"], "olga": ["viewer"]}
BRIDGE_EXTRA = {"console": {"time_zone": "Europe/Oslo"}}


def post(bridge: Bridge, body: dict[str, Any]) -> str:
    [incident] = bridge.deliver(body)
    return incident


def test_an_editor_records_nkoms_request_and_the_report_is_owed(
    browser: Browser, bridge: Bridge
) -> None:
    incident_id = post(
        bridge,
        webhook(
            alert(
                "fp-ulle-h",
                datetime.now(UTC) - timedelta(minutes=20),
                element="no-cell-ullevaal",
                severity="major",
                incident="hendelse",
            )
        ),
    )
    viewer = new_page(browser, bridge)
    sign_in(viewer, bridge, "olga")
    viewer.goto(f"/incidents/{incident_id}")
    viewer.wait_for_selector("#incident[data-loaded]")
    expect(viewer.locator("#record-nkom-request")).to_have_count(0)

    page = new_page(browser, bridge)
    sign_in(page, bridge, "erik")
    page.goto(f"/incidents/{incident_id}")
    page.wait_for_selector("#incident[data-loaded]")
    expect(page.locator("#report-requests")).to_contain_text("Nkom may ask")
    page.click("#record-nkom-request")
    dialog = page.locator("#request-dialog")
    expect(dialog).to_be_visible()
    # typed as the console zone's wall time (console.time_zone), not the browser's
    deadline = (datetime.now(UTC) + timedelta(days=14)).astimezone(ZoneInfo("Europe/Oslo"))
    page.fill("#request-deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#request-reference", "2026/04117")
    shot(page, "hendelsesrapport-request-dialog")
    page.click("#request-yes")
    requests = page.locator("#report-requests li")
    expect(requests).to_have_count(1)
    expect(requests.first).to_contain_text("hendelsesrapport")
    expect(requests.first).to_contain_text("2026/04117")
    expect(requests.first).to_contain_text("erik")
    owed = page.locator("table.obligations tbody tr", has_text="hendelsesrapport")
    expect(owed).to_have_count(1)
    shot(page, "hendelsesrapport-requested")
