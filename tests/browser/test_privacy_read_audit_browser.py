"""How many audit entries an open /privacy page writes, in a real browser (Debian's chromium
through Playwright) against a real ``bridge serve``: a privacy officer who also views the
outage track keeps the list open while outage incidents change (a storm of webhooks) and while
a privacy case changes.

- An outage-only change is told to the page (the live badge counts it) and the page does not
  read its list again: nothing is audited for it.
- A privacy change makes the page read its list once, and that read is ONE ``privacy.read``
  entry naming every case the list showed (``privacy:<id>``: the first its target, the others
  its ``also``), found by an audit search for any one of those cases.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bridge_process import Bridge
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook
from playwright.sync_api import Browser, Page, expect
from polling import until_sync
from test_console_browser import new_page, sign_in

USERS = {"olga": ["viewer", "viewer:privacy"]}  # both tracks: told of every outage change
EDITOR_TOKEN = "privacy-editor-token"
AUDITOR_TOKEN = "privacy-auditor-token"
BRIDGE_EXTRA = {
    "auth": {
        "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
        "api_tokens": [
            {"name": "viewer", "token": API_TOKEN, "roles": ["viewer"]},
            {"name": "p-editor", "token": EDITOR_TOKEN, "roles": ["editor:privacy"]},
            {"name": "p-auditor", "token": AUDITOR_TOKEN, "roles": ["auditor:privacy"]},
        ],
    },
    "privacy": {"subscriber_notice_recipient": "kundkommunikation@example.net"},
}  # config sections of the module's bridge (browser/conftest.py)
CASES = 5  # open privacy cases on the page
STORM = 20  # webhooks, each changing an outage incident


def call(bridge: Bridge, method: str, path: str, token: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        bridge.url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def report(bridge: Bridge, n: int) -> str:
    now = datetime.now(UTC).replace(microsecond=0)
    body = {
        "detected_at": (now - timedelta(minutes=20)).isoformat(),
        "occurred_at": (now - timedelta(hours=14)).isoformat(),
        "jurisdictions": ["SE"],
        "circumstances": ["theft"],
        "data_categories": ["subscriber"],
        "description": f"Laptop {n} stolen",
        "affected": 10 + n,
    }
    return str(call(bridge, "POST", "/api/v1/privacy/cases", EDITOR_TOKEN, body)["id"])


def olga_reads(bridge: Bridge) -> list[dict[str, Any]]:
    """olga's ``privacy.read`` entries, newest first."""
    query = urllib.parse.urlencode({"actor": "olga", "action": "privacy.read", "limit": "1000"})
    return list(call(bridge, "GET", f"/api/v1/audit?{query}", AUDITOR_TOKEN)["entries"])


def privacy_rows(page: Page) -> int:
    """How many privacy cases the board's queue shows."""
    return int(
        page.eval_on_selector_all(
            "#queue [data-case^='priv-']", "els => new Set(els.map((e) => e.dataset.case)).size"
        )
    )


def counter(page: Page, selector: str, name: str) -> int:
    return int(page.eval_on_selector(selector, f"e => Number(e.dataset.{name} || 0)"))


@pytest.fixture(scope="module")
def cases(bridge: Bridge) -> list[str]:
    return sorted(report(bridge, n) for n in range(CASES))


@pytest.fixture(scope="module")
def olga(browser: Browser, bridge: Bridge, cases: list[str]) -> Page:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "olga")
    page.goto("/privacy")
    page.wait_for_selector("#privacy[data-loaded]")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("#open-cases tbody tr")).to_have_count(CASES)
    return page


def test_an_outage_storm_is_told_to_the_privacy_page_which_reads_nothing_again(
    olga: Page, bridge: Bridge
) -> None:
    """Webhooks change outage incidents: the page is told (its live badge counts the changes)
    and reads its list no more, so no audit entry is written for them."""
    until_sync(lambda: counter(olga, "#privacy", "reads") >= 1, "the first read")
    reads, told, entries = (
        counter(olga, "#privacy", "reads"),
        counter(olga, "#live", "changes"),
        len(olga_reads(bridge)),
    )
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(STORM):
        bridge.deliver(webhook(alert(f"fp-storm-{n}", now, element="se-olt-ostersund-1")))
    until_sync(lambda: counter(olga, "#live", "changes") > told, "the storm told to the page")
    assert counter(olga, "#privacy", "reads") == reads
    assert len(olga_reads(bridge)) == entries


def test_a_privacy_change_is_one_read_audited_in_one_entry_naming_every_case(
    olga: Page, bridge: Bridge, cases: list[str]
) -> None:
    """A case changes: the page reads its list once, audited in ONE entry naming each case it
    shows; a search for any of them finds that entry."""
    reads, before = counter(olga, "#privacy", "reads"), len(olga_reads(bridge))
    case = call(bridge, "GET", f"/api/v1/privacy/cases/{cases[0]}", EDITOR_TOKEN)
    body = {"revision": case["revision"], "fields": {"measures_planned": "Encrypt disks"}}
    call(bridge, "PATCH", f"/api/v1/privacy/cases/{cases[0]}", EDITOR_TOKEN, body)
    until_sync(lambda: counter(olga, "#privacy", "reads") == reads + 1, "one read again")
    until_sync(lambda: len(olga_reads(bridge)) > before, "the read audited")
    written = olga_reads(bridge)[: len(olga_reads(bridge)) - before]
    assert len(written) == 1, [(e["target"], e["detail"]) for e in written]
    (entry,) = written
    assert entry["detail"]["path"] == "/api/v1/privacy/cases"
    assert [entry["target"], *entry["also"]] == [f"privacy:{c}" for c in cases]
    for c in (cases[0], cases[-1]):
        query = urllib.parse.urlencode({"incident": c, "actor": "olga", "limit": "1"})
        found = call(bridge, "GET", f"/api/v1/audit?{query}", AUDITOR_TOKEN)["entries"]
        assert [e["seq"] for e in found] == [entry["seq"]]


def test_the_board_reads_no_privacy_item_again_for_a_storm_of_outage_incidents(
    browser: Browser, bridge: Bridge, olga: Page
) -> None:
    """A privacy officer's board (she views both tracks: privacy cases are on her queue) through
    a storm: one webhook opens more incidents than a change's patch read takes (100), so the
    board reads its queue whole again; it reads the outage track's items only, since the change
    named no privacy case: nothing is audited."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "olga")
    page.goto("/")
    page.wait_for_selector("#board[data-loaded]")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    until_sync(lambda: counter(page, "#board", "refreshes") >= 1, "the first read")
    assert privacy_rows(page) == CASES
    entries = len(olga_reads(bridge))
    now = datetime.now(UTC).replace(microsecond=0)
    storm = [
        alert(f"fp-wide-{n}", now, element="se-olt-ostersund-1", incident=f"wide-{n}")
        for n in range(101)
    ]
    assert len(set(bridge.deliver(webhook(*storm)))) == 101
    expect(page.locator("#incidents tbody tr")).to_have_count(102)  # and the first storm's
    until_sync(lambda: counter(page, "#board", "pending") == 0, "the board's refresh done")
    assert privacy_rows(page) == CASES
    assert len(olga_reads(bridge)) == entries
