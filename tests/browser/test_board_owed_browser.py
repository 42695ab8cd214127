"""What the board shows as owed, in Debian's chromium against a real ``bridge serve`` (the
wall clock: after PTS's outage duty was repealed on 2026-01-15). A Norwegian varsel overdue is
red; PTS's initial report of a Swedish incident since the repeal is the operator's internal
threshold: muted, labelled *internal, owed to no regulator*, never red, and so is PTS's verdict;
the incident the se-cyber criteria mark potentially significant has an amber row of its own,
*decide: significant under the cybersecurity act?*, with no countdown and what it would owe if
declared now; once an approver declares it, that row goes and the early warning is queued as a
legal deadline. An incident none of whose alerts the inventory can place says its country is
unknown, on its row and on its queue items. Screenshots go to tests/artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from bridge_process import Bridge
from builders import PASSWORD, alert, webhook
from playwright.sync_api import Browser, Page, expect

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "tests" / "artifacts" / "screenshots"
USERS = {"anna": ["approver"]}
BRIDGE_EXTRA = {
    "regulators": {
        "pts": {"rule_set": "pts-outage", "recipient": "incidentrapport@pts.se"},
        "csirt": {"rule_set": "se-cyber"},
        "enisa": {"rule_set": "enisa-matrix"},
    }
}
WAIT_MS = 15_000
RED = "rgb(176, 0, 32)"  # --bad of the light theme
INTERNAL = "internal, owed to no regulator"


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


def board(page: Page) -> None:
    page.goto("/")
    page.wait_for_selector("#queue[data-loaded]")
    page.wait_for_selector("#board[data-loaded]")


def test_the_board_tells_what_binds_from_what_does_not(anna: Page, bridge: Bridge) -> None:
    now = datetime.now(UTC)
    [sweden] = bridge.deliver(
        webhook(
            alert("fp-sjukhus", now - timedelta(minutes=40), element="se-cell-ostersund-sjukhus")
        )
    )
    [norway] = bridge.deliver(
        webhook(
            alert(
                "fp-ulle",
                now - timedelta(hours=3),
                element="no-cell-ullevaal",
                severity="major",
                incident="ullevaal",
            )
        )
    )
    [unplaced] = bridge.deliver(
        webhook(
            alert("fp-xx", now - timedelta(minutes=20), element="xx-rtr-9", severity="critical")
        )
    )
    page = anna
    board(page)

    # Nkom's varsel, overdue: a legal duty, in red
    varsel = page.locator(f'#queue-table tr[data-case="{norway}"][data-kind="nkom_varsel"]')
    expect(varsel).to_have_class(re.compile(r"\boverdue\b"))
    expect(varsel.locator("td").first).to_have_css("color", RED)
    expect(varsel.locator(".pill.internal")).to_have_count(0)

    # PTS's initial report since the repeal: muted and labelled, never red
    pts = page.locator(f'#queue-table tr[data-case="{sweden}"][data-kind="pts_initial"]')
    expect(pts).to_have_attribute("data-binding", "false")
    expect(pts).to_have_class(re.compile(r"\binternal\b"))
    expect(pts.locator(".pill.internal")).to_have_text(INTERNAL)
    expect(pts.locator(".pill.internal")).to_have_attribute("title", re.compile("2026-01-15"))
    expect(pts.locator("td").first).not_to_have_css("color", RED)

    # its verdict: not REPORTABLE in red, but met as an internal threshold
    row = page.locator(f"#incident-{sweden}")
    pts_verdict = row.locator('.verdict[data-regulator="pts"] .pill')
    expect(pts_verdict).to_have_text(f"met: {INTERNAL}")
    expect(pts_verdict).not_to_have_css("color", RED)
    csirt = row.locator('.verdict[data-regulator="csirt"] .pill')
    expect(csirt).to_have_text("POTENTIALLY SIGNIFICANT: a person decides")
    expect(csirt).not_to_have_css("color", RED)

    # the decision: a row of its own, amber, no countdown, what it would owe if declared now
    decide = page.locator(
        f'#queue-decide-table tr[data-case="{sweden}"][data-kind="significance_decision"]'
    )
    expect(decide).to_be_visible()
    expect(page.locator("#queue-decide h3")).to_contain_text(
        "To decide: significant under the cybersecurity act?"
    )
    expect(decide).to_contain_text("Decide: significant under the cybersecurity act?")
    expect(decide).to_contain_text("no deadline runs until declared")
    expect(decide.locator(".if-declared")).to_contain_text("MCF CSIRT – tidig varning due")
    expect(decide.locator(".countdown")).to_have_count(0)
    expect(decide).not_to_have_class(re.compile(r"\boverdue\b"))
    expect(decide.locator("td").nth(2)).not_to_have_css("color", RED)
    expect(page.locator('#queue-table tr[data-kind="significance_decision"]')).to_have_count(0)

    # the incident no alert of which could be placed: its country unknown, said so
    expect(page.locator(f"#incident-{unplaced} .country-unknown")).to_have_text("country unknown")
    for item in page.locator(f'#queue tr[data-case="{unplaced}"]').all():
        expect(item.locator(".attention")).to_contain_text("country unknown")
    expect(page.locator(f'#queue tr[data-case="{unplaced}"]').first).to_be_visible()
    shot(page, "board-binding-and-decisions")

    # an approver declares it significant: the decision row goes, the early warning is owed
    page.goto(f"/incidents/{sweden}")
    page.wait_for_selector("#incident[data-loaded]")
    page.click("#declare-significant")
    expect(page.locator("#declare-dialog")).to_be_visible()
    page.click("#declare-yes")
    expect(page.locator('.verdict[data-regulator="csirt"]')).to_contain_text("DECLARED SIGNIFICANT")
    board(page)
    warning = page.locator(
        f'#queue-table tr[data-case="{sweden}"][data-kind="se_cyber_early_warning"]'
    )
    expect(warning).to_have_attribute("data-binding", "true")
    expect(warning.locator(".countdown")).to_contain_text("in ")
    expect(
        page.locator(f'#queue tr[data-case="{sweden}"][data-kind="significance_decision"]')
    ).to_have_count(0)
    shot(page, "board-after-declaring")
