"""The console at scale, in a real browser (Debian's chromium, a real ``bridge serve``): the
board draws every open incident from the list's summaries and never fetches an incident's full
document; an incident's page shows its alerts a page at a time, with their counts, and fetches
more on request (docs/console.md). The tests watch the page's own requests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, Request, expect
from test_console_browser import new_page, sign_in
from test_noc_browser import post

USERS = {"vera": ["viewer"], "ed": ["editor"]}
MANY = 250  # alerts of one incident: three pages of 100
FULL_DOCUMENT = re.compile(r"/api/v1/incidents/[^/?]+$")  # one incident's whole document


@pytest.fixture(scope="module")
def incidents(bridge: Bridge) -> dict[str, str]:
    now = datetime.now(UTC)
    many = [
        alert(
            f"fp-port-{n:03d}",
            now - timedelta(minutes=30) + timedelta(seconds=n),
            element="se-olt-ostersund-1",
            port=str(n),
        )
        for n in range(MANY)
    ]
    return {
        "storm": post(bridge, webhook(*many)),
        "oslo": post(
            bridge, webhook(alert("fp-oslo", now - timedelta(minutes=20), element="no-olt-oslo-1"))
        ),
        "berg": post(
            bridge, webhook(alert("fp-berg", now - timedelta(minutes=5), element="se-cell-berg-1"))
        ),
    }


def test_the_board_draws_from_summaries_without_fetching_documents(
    browser: Browser, bridge: Bridge, incidents: dict[str, str]
) -> None:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "ed")
    asked: list[str] = []

    def watch(request: Request) -> None:
        if "/api/v1/" in request.url:
            asked.append(request.url.split("?")[0])

    page.on("request", watch)
    page.goto("/")
    page.wait_for_selector("#board[data-loaded]")
    for incident in incidents.values():
        row = page.locator(f"#incident-{incident}")
        expect(row).to_be_visible()
        expect(row.locator(".verdict").first).to_be_visible()  # a verdict per regulator
        expect(row.locator(".criterion").first).not_to_be_empty()  # with its deciding criterion
    expect(page.locator(f"#incident-{incidents['oslo']} .verdict")).to_have_attribute(
        "data-regulator", "nkom"
    )
    # acting from the board draws it again, from the summaries again
    page.locator(f"#incident-{incidents['berg']} button.ack").click()
    expect(page.locator(f"#incident-{incidents['berg']}")).to_contain_text("acknowledged by ed")
    assert any(u.endswith("/api/v1/incidents") for u in asked), asked
    assert [u for u in asked if FULL_DOCUMENT.search(u)] == []


def test_the_incident_page_shows_its_alerts_a_page_at_a_time(
    browser: Browser, bridge: Bridge, incidents: dict[str, str]
) -> None:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "vera")
    storm = incidents["storm"]
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"/incidents/{storm}")
    page.wait_for_selector("#incident[data-loaded]")
    expect(page.locator("#alert-counts")).to_contain_text(
        f"{MANY} alerts ({MANY} firing, 0 resolved"
    )
    expect(page.locator("#alerts-shown")).to_have_text(f"showing the newest 100 of {MANY}")
    rows = page.locator("#alerts tbody tr")
    expect(rows).to_have_count(100)
    newest = f"fp-port-{MANY - 1:03d}"
    expect(rows.first).to_have_attribute("data-fingerprint", newest)
    page.click("#more-alerts")
    expect(rows).to_have_count(200)
    expect(page.locator("#alerts-shown")).to_have_text(f"showing the newest 200 of {MANY}")
    page.click("#more-alerts")
    expect(rows).to_have_count(MANY)
    expect(page.locator("#more-alerts")).to_have_count(0)
    expect(rows.last).to_have_attribute("data-fingerprint", "fp-port-000")
    alerts = [u.split("/api/v1/")[1] for u in asked if f"/api/v1/incidents/{storm}/alerts" in u]
    # the first 100 on load (a live refresh may read them again), then two pages by cursor
    assert alerts[0].endswith("/alerts?limit=100"), alerts
    by_cursor = [u for u in alerts if "cursor=" in u]
    assert len(by_cursor) == 2 and all("limit=100&" in u for u in by_cursor), alerts


def test_the_incident_page_groups_a_storms_alerts_in_its_timeline_and_exports_every_one(
    browser: Browser, bridge: Bridge, incidents: dict[str, str]
) -> None:
    """The page reads the grouped timeline: the storm's 250 alerts (over about four minutes)
    are a few rows, each saying how many it stands for, and a person's note is a row of its
    own; *Export JSON* still gives one event per alert."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "ed")
    storm = incidents["storm"]
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"/incidents/{storm}")
    page.wait_for_selector("#incident[data-loaded]")
    page.fill("#note-text", "Fibre cut north of Östersund")
    page.click("#add-note")
    timeline = page.locator("#timeline")
    expect(timeline.locator('tr[data-kind="note"]')).to_contain_text("Fibre cut north")
    rows = timeline.locator('tr[data-kind="alert"]')
    expect(
        rows.filter(has_text="alerts firing (olt): Down on se-olt-ostersund-1")
    ).not_to_have_count(0)
    shown = rows.evaluate_all(
        "rows => rows.map((r) => [Number(r.dataset.count || 1), r.getAttribute('title')])"
    )
    # five minutes at most, and a verdict's instant may split one
    assert sum(n for n, _ in shown) == MANY and len(shown) <= 10, shown
    # a row lists its first five fingerprints on hover, "…" when it stands for more
    several = [(n, title) for n, title in shown if n > 1]  # one alert alone has no title
    assert several and all(title.count(",") == min(n, 5) - 1 for n, title in several), shown
    assert all(title.endswith(" …") == (n > 5) for n, title in several), shown
    assert any(u.endswith(f"/api/v1/incidents/{storm}/timeline?view=grouped") for u in asked)
    export = page.locator("#export-json").get_attribute("href")
    assert export == f"/api/v1/incidents/{storm}/timeline"
    every = page.evaluate("async (url) => (await fetch(url)).json()", export)
    firing = [e for e in every["events"] if e["kind"] == "alert"]
    assert len(firing) == MANY and all("count" not in e for e in firing)
