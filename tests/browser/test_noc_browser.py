"""The NOC's working day in a real browser (Debian's chromium through Playwright, a real
``bridge serve``): the board as a deadline queue, incidents with numbers and names, who is on
it, notes and one timeline with its chart (docs/console.md "Handling an incident").

Four incidents arrive by webhook: a hospital cell in Oslo down for three hours (its Nkom varsel
overdue), a newer Oslo OLT whose alert carries a summary (its varsel due within the hour), a
Swedish hospital cell carrying 112 (owing PTS its initial report) and a Swedish cell that is not
reportable. Times shown are in ``console.time_zone`` (Europe/Oslo here). Screenshots go to
tests/artifacts/screenshots/ (noc-*.png). Times move only in the browser (``page.clock``); the
tests wait on what the page shows, never on the wall clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, Page, expect
from test_console_browser import new_page, shot, sign_in

USERS = {
    "erik": ["editor"],  # on duty: renames, acknowledges, assigns, writes notes
    "olga": ["viewer"],  # reads only; assignable
}
BRIDGE_EXTRA = {"console": {"time_zone": "Europe/Oslo"}}
RED = "rgb(176, 0, 32)"  # --bad of the light theme


@dataclass(frozen=True)
class Four:
    overdue: str  # NO hospital cell, 3 h: Nkom varsel overdue
    soon: str  # NO OLT, 10 min, alert summary: varsel due within the hour
    sweden: str  # SE hospital cell with 112, 40 min: PTS initial report
    quiet: str  # SE cell, minor: not reportable


def post(bridge: Bridge, body: dict[str, Any]) -> str:
    [incident] = bridge.deliver(body)
    return incident


@pytest.fixture(scope="module")
def four(bridge: Bridge) -> Four:
    now = datetime.now(UTC)
    return Four(
        post(
            bridge,
            webhook(
                alert(
                    "fp-ulle",
                    now - timedelta(hours=3),
                    element="no-cell-ullevaal",
                    severity="major",
                    incident="ullevaal",
                )
            ),
        ),
        post(
            bridge,
            webhook(
                alert(
                    "fp-olt",
                    now - timedelta(minutes=10),
                    element="no-olt-oslo-1",
                    severity="major",
                    incident="olt",
                    annotations={"summary": "Fiberbrudd Oslo sentrum"},
                )
            ),
        ),
        post(
            bridge,
            webhook(
                alert(
                    "fp-sjukhus", now - timedelta(minutes=40), element="se-cell-ostersund-sjukhus"
                )
            ),
        ),
        post(
            bridge,
            webhook(
                alert(
                    "fp-berg",
                    now - timedelta(minutes=5),
                    element="se-cell-berg-1",
                    severity="minor",
                )
            ),
        ),
    )


@pytest.fixture(scope="module")
def erik(browser: Browser, bridge: Bridge, four: Four) -> Page:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "erik")
    page.wait_for_selector("#queue[data-loaded]")
    return page


def board(page: Page) -> None:
    page.goto("/")
    page.wait_for_selector("#queue[data-loaded]")
    page.wait_for_selector("#board[data-loaded]")


def incident_page(page: Page, incident: str) -> None:
    page.goto(f"/incidents/{incident}")
    page.wait_for_selector("#incident[data-loaded]")


def test_board_is_a_deadline_queue(erik: Page, four: Four) -> None:
    """One queue, nearest due first: the overdue Nkom varsel on top in red, then the one due
    within the hour, then PTS's initial report; reports in plain words with their country;
    every time in the one configured zone, labelled; no internal codes; each incident shows only
    the regulators of its country, each with the one criterion that decided it; compact."""
    board(erik)
    rows = erik.locator("#queue-table tbody tr")
    first, second = rows.nth(0), rows.nth(1)
    expect(first).to_have_attribute("data-case", four.overdue)
    expect(first).to_have_attribute("data-kind", "nkom_varsel")
    expect(first).to_have_class(re.compile(r"\boverdue\b"))
    expect(first.locator(".countdown")).to_contain_text("overdue by")
    expect(first.locator("td").first).to_have_css("color", RED)  # retried: rows re-render
    expect(first).to_contain_text("Nkom – første varsel")
    expect(first).to_contain_text("NO")
    expect(second).to_have_attribute("data-case", four.soon)
    expect(second.locator(".countdown")).to_contain_text("in 0:")
    expect(second).to_contain_text("Fiberbrudd Oslo sentrum")
    pts = erik.locator(f'#queue-table tr[data-case="{four.sweden}"][data-kind="pts_initial"]')
    expect(pts).to_contain_text("PTS – inledande rapport")
    expect(pts).to_contain_text("SE")
    dues = [d for d in rows.evaluate_all("rs => rs.map(r => r.dataset.due)") if d]
    assert dues == sorted(dues) and len(dues) >= 3
    expect(erik.locator("#queue-table thead")).to_contain_text("Due (Europe/Oslo)")
    text = erik.inner_text("#main")
    for code in ("nkom_varsel", "pts_initial", "initial_sent", "significant_change", "waiting for"):
        assert code not in text, code
    assert " UTC" not in text
    swedish = erik.locator(f"#incident-{four.sweden}")
    # PTS's outage rules were repealed before this incident: met, but owed to no regulator
    expect(swedish.locator('.verdict[data-regulator="pts"] .pill')).to_have_text(
        "met: internal, owed to no regulator"
    )
    expect(swedish.locator('.verdict[data-regulator="nkom"]')).to_have_count(0)
    norwegian = erik.locator(f"#incident-{four.overdue}")
    expect(norwegian.locator('.verdict[data-regulator="pts"]')).to_have_count(0)
    expect(norwegian.locator(".verdict .criterion")).to_have_count(1)
    quiet = erik.locator(f"#incident-{four.quiet}")
    expect(quiet.locator(".verdict .pill")).to_have_text("not reportable")
    height = int(erik.evaluate("document.documentElement.scrollHeight"))
    assert height < 1800, height  # four incidents, their queue and the banner
    shot(erik, "noc-board")


def test_incidents_have_numbers_and_names(erik: Page, four: Four) -> None:
    """Each incident shows its short number beside its stable id and a name from its alert's
    summary or its top element; a person renames one and the board shows the new name."""
    board(erik)
    soon = erik.locator(f"#incident-{four.soon}")
    expect(soon.locator("a.title")).to_have_text("Fiberbrudd Oslo sentrum")
    expect(soon.locator("td.num").first).to_have_text(re.compile(r"^#\d+$"))
    expect(soon).to_contain_text(four.soon)
    numbers = erik.locator("#incidents tbody td.num:first-child").all_inner_texts()
    assert len(set(numbers)) == 4, numbers
    incident_page(erik, four.overdue)
    expect(erik.locator("#incident h1")).to_contain_text("cell no-cell-ullevaal, Oslo")
    erik.fill("#title-input", "Ullevål sykehus uten mobil")
    erik.click("#rename")
    expect(erik.locator("#incident h1")).to_contain_text("Ullevål sykehus uten mobil")
    expect(erik.locator("#incident h1")).to_contain_text(re.compile(r"#\d+ "))
    expect(erik.locator("#incident-id")).to_have_text(four.overdue)
    expect(erik.locator("#timeline")).to_contain_text("renamed to “Ullevål sykehus uten mobil”")
    board(erik)
    expect(erik.locator(f"#incident-{four.overdue} a.title")).to_have_text(
        "Ullevål sykehus uten mobil"
    )
    expect(erik.locator("#queue-table tbody tr").first).to_contain_text("Ullevål sykehus")
    shot(erik, "noc-named")


def test_acknowledge_and_assign_show_who_is_on_it(
    erik: Page, browser: Browser, bridge: Bridge, four: Four
) -> None:
    """The editor acknowledges from the board and assigns to a viewer on the incident page;
    the board's queue and incident row say who is on it; the viewer gets no buttons."""
    board(erik)
    row = erik.locator(f"#incident-{four.overdue}")
    expect(row).to_contain_text("nobody yet")
    row.locator("button.ack").click()
    expect(row).to_contain_text("acknowledged by erik")
    incident_page(erik, four.overdue)
    erik.fill("#assignee-input", "olga")
    erik.click("#assign")
    expect(erik.locator("#on-it")).to_contain_text("olga")
    board(erik)
    queue_row = erik.locator(f'#queue-table tr[data-case="{four.overdue}"]').first
    expect(queue_row).to_contain_text("olga")
    expect(erik.locator(f"#incident-{four.soon}")).to_contain_text("nobody yet")
    shot(erik, "noc-on-it")
    olga = new_page(browser, bridge)
    sign_in(olga, bridge, "olga")
    olga.wait_for_selector("#board[data-loaded]")
    expect(olga.locator(f"#incident-{four.overdue}")).to_contain_text("olga")
    expect(olga.locator("button.ack, button.take")).to_have_count(0)
    olga.context.close()


def test_notes_and_one_timeline_with_its_chart(erik: Page, four: Four) -> None:
    """A note appears under Notes and in the one timeline beside the alert, the verdict, the
    obligation, the draft, the acknowledgement and the assignment; the chart draws the
    connections per service and the instant it became reportable to Nkom (and, for a Swedish
    incident since PTS's outage rules were repealed, the internal threshold, owed to no
    regulator, never "reportable to"); the CSV export holds the note."""
    incident_page(erik, four.overdue)
    erik.fill("#note-text", "Ringte Telenor: graver har kuttet fiber ved Ullevål")
    erik.click("#add-note")
    expect(erik.locator("#notes")).to_contain_text("graver har kuttet fiber")
    timeline = erik.locator("#timeline")
    expect(timeline.locator('tr[data-kind="note"]')).to_contain_text("graver har kuttet fiber")
    for kind in (
        "alert",
        "impact",
        "reportable",
        "obligation",
        "draft",
        "acknowledged",
        "assigned",
    ):
        expect(timeline.locator(f'tr[data-kind="{kind}"]').first).to_be_visible()
    expect(timeline.locator('tr[data-kind="reportable"]')).to_contain_text("reportable to Nkom")
    expect(timeline.locator("thead")).to_contain_text("When (Europe/Oslo)")
    chart = erik.locator("#impact-chart")
    expect(chart.locator('path.series[data-service="mobile"]')).to_have_count(1)
    expect(chart.locator('line.reportable-at[data-regulator="nkom"]')).to_have_count(1)
    csv_text = erik.evaluate(
        "async (url) => (await fetch(url)).text()",
        f"/api/v1/incidents/{four.overdue}/timeline?format=csv",
    )
    assert csv_text.startswith("at,kind,actor,regulator,summary")
    assert "graver har kuttet fiber" in csv_text
    expect(erik.locator("#export-json")).to_have_attribute(
        "href", f"/api/v1/incidents/{four.overdue}/timeline"
    )
    assert " UTC" not in erik.inner_text("#incident")  # reasons shown in the console's zone
    shot(erik, "noc-timeline")
    incident_page(erik, four.sweden)  # 3 000 mobile: PTS's 1 000-connection line is drawn
    swedish = erik.locator("#impact-chart")
    expect(swedish.locator('line.threshold[data-criterion="conn-1k-8h"]')).to_have_count(1)
    expect(swedish.locator('line.reportable-at[data-regulator="pts"]')).to_have_count(1)
    expect(swedish.locator('line.reportable-at[data-regulator="nkom"]')).to_have_count(0)
    # PTS's outage rules were repealed before this incident (2026-01-15): its mark and its
    # timeline line say the internal threshold, owed to no regulator, never "reportable to"
    internal = "pts-outage met: internal threshold (repealed 2026-01-15), owed to no regulator"
    expect(swedish.locator('line.reportable-at[data-regulator="pts"]')).to_have_attribute(
        "data-binding", "false"
    )
    expect(swedish).to_contain_text(internal)
    expect(swedish).not_to_contain_text("reportable to")
    se_line = erik.locator('#timeline tr[data-kind="reportable"]')
    expect(se_line).to_contain_text(internal)
    expect(se_line).not_to_contain_text("reportable to")
    expect(erik.locator('.verdict[data-regulator="nkom"]')).to_have_count(0)
    shot(erik, "noc-timeline-se")


def test_who_is_on_it_reaches_an_open_board_without_reload(
    erik: Page, browser: Browser, bridge: Bridge, four: Four
) -> None:
    """With the viewer's board open and live, the editor takes an incident ("Take it"): the
    viewer's board shows him on it, in the queue and the incident's row, without a reload."""
    olga = new_page(browser, bridge)
    sign_in(olga, bridge, "olga")
    board(olga)
    expect(olga.locator("#live")).to_have_attribute("data-state", "live")
    olga.evaluate("window.__notReloaded = true")
    row = olga.locator(f"#incident-{four.soon}")
    expect(row).to_contain_text("nobody yet")
    board(erik)
    erik.locator(f"#incident-{four.soon} button.take").click()
    expect(erik.locator(f"#incident-{four.soon}")).to_contain_text("erik")
    expect(row).to_contain_text("erik")
    expect(olga.locator(f'#queue-table tr[data-case="{four.soon}"]').first).to_contain_text("erik")
    assert olga.evaluate("window.__notReloaded") is True
    shot(olga, "noc-live-on-it")
    olga.context.close()
