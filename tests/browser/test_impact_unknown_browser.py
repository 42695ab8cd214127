"""An incident whose impact is unknown in a real browser (Debian's chromium, a real ``bridge
serve``): an alert on an element the inventory lacks shows *impact unknown* (amber) on the
board and the incident page, never a green *not reportable* (issue 19, item 6). Screenshot:
tests/artifacts/screenshots/impact-unknown.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, expect
from test_console_browser import new_page, shot, sign_in
from test_noc_browser import post

USERS = {"vera": ["viewer"]}
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
    assert pills.first.evaluate("e => getComputedStyle(e).color") == AMBER
    expect(row).not_to_contain_text("not reportable")
    shot(page, "impact-unknown")
    page.goto(f"/incidents/{ghost}")
    page.wait_for_selector("#incident[data-loaded]")
    expect(page.locator(".verdict .pill").first).to_have_text("impact unknown")
    expect(page.locator("#main")).not_to_contain_text("not reportable")
