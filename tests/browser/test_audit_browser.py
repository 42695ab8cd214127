"""The console's audit search in a real browser (Debian's chromium through Playwright) against a
real ``bridge serve`` whose SQLite log was filled beforehand through the store (entries at
chosen times: around the night Europe/Stockholm goes from CET to CEST, and thousands of
sign-ins between the drafts, so the store's bounded walk answers short pages).

An auditor (outage track) filters by actor and by a time range typed in the console's zone
(the browser itself runs in New York: a page reading the range in the browser's zone, or with
one fixed offset across the change, gets other rows); the filters go into the page's URL and
survive a reload; the export links carry them and the CSV holds exactly the rows shown, and
the export is then in the log; "Load more" follows ``next`` through short pages with a bounded
number of requests per click, saying it is searching older entries; a range the API refuses
shows the API's message at the field it names. The wall-time conversion of zoned.js is checked
against Python's zoneinfo at every kind of time (once, twice, never) in zones with odd offsets.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from bridge_process import Bridge, start_bridge
from builders import PASSWORD
from playwright.sync_api import Browser, Page, expect
from smtp_server import SmtpServer
from test_console_browser import shot

from bridge.core.calendar import local_instant
from bridge.store.records import AuditEntry
from bridge.store.sqlite import SqliteStore

USERS = {"carl": ["auditor"]}  # reads the outage track's audit entries; no second factor
WAIT_MS = 15_000
STOCKHOLM = ZoneInfo("Europe/Stockholm")  # console.time_zone by default
#: the night of 2026-03-29: 02:00 CET (01:00Z) became 03:00 CEST
DST = {
    "dst-0020": datetime(2026, 3, 29, 0, 20, tzinfo=UTC),  # 01:20 CET: before the range
    "dst-0040": datetime(2026, 3, 29, 0, 40, tzinfo=UTC),  # 01:40 CET: in it
    "dst-0120": datetime(2026, 3, 29, 1, 20, tzinfo=UTC),  # 03:20 CEST: in it
    "dst-0140": datetime(2026, 3, 29, 1, 40, tzinfo=UTC),  # 03:40 CEST: after it
}
EARLY_DRAFTS, SIGN_INS_BETWEEN, DRAFTS, SIGN_INS_AFTER = 40, 6000, 150, 1500


def history() -> list[AuditEntry]:
    """kari's trail, oldest first (appended in time order, as a live log is): 40 draft edits,
    6000 sign-ins, 150 approvals, 1500 sign-ins, then the night of the clock change (with
    someone else's entry and a privacy entry inside the range)."""
    out: list[AuditEntry] = []

    def add(at: datetime, action: str, target: str, actor: str = "kari") -> None:
        out.append(AuditEntry(at, actor, action, target, {"n": len(out)}))

    for i in range(EARLY_DRAFTS):
        at = datetime(2026, 1, 10, 8, tzinfo=UTC) + timedelta(minutes=i)
        add(at, "draft.edited", f"draft:inc-20260110-e{i:03}.nkom_varsel")
    for i in range(SIGN_INS_BETWEEN):
        add(datetime(2026, 2, 1, tzinfo=UTC) + timedelta(minutes=i), "login.success", "user:kari")
    for i in range(DRAFTS):
        at = datetime(2026, 3, 5, tzinfo=UTC) + timedelta(minutes=i)
        add(at, "draft.approved", f"draft:inc-20260305-a{i:03}.nkom_varsel")
    for i in range(SIGN_INS_AFTER):
        add(datetime(2026, 3, 10, tzinfo=UTC) + timedelta(minutes=i), "login.success", "user:kari")
    for name, at in DST.items():
        add(at, "incident.acknowledged", f"incident:inc-20260328-{name}")
        if name == "dst-0040":
            add(at + timedelta(minutes=5), "privacy.read", "privacy:priv-20260328-aaaa")
            add(at + timedelta(minutes=6), "incident.acknowledged", "incident:inc-x", actor="ola")
    return out


async def seed(path: Path) -> None:
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        await store.append_audit(history())
    finally:
        await store.close()


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[Bridge]:
    """This module's bridge: the log filled through the store before ``bridge serve`` starts."""
    folder = tmp_path_factory.mktemp("bridge")
    # the file write_config names; in a thread of its own (Playwright's loop runs in this one)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, seed(folder / "bridge.sqlite3")).result()
    with start_bridge(folder, smtp, USERS) as running:
        yield running


@pytest.fixture(scope="module")
def carl(browser: Browser, bridge: Bridge) -> Page:
    """The auditor, signed in, in a browser whose own zone is not the console's."""
    context = browser.new_context(
        base_url=bridge.url,
        viewport={"width": 1280, "height": 900},
        timezone_id="America/New_York",
        accept_downloads=True,
    )
    # what the status line said, in order (the "searching older entries…" between requests)
    context.add_init_script(
        """window.__statuses = [];
        new MutationObserver(() => {
          const s = document.getElementById("audit-status");
          if (s && s.textContent && window.__statuses.at(-1) !== s.textContent)
            window.__statuses.push(s.textContent);
        }).observe(document, { subtree: true, childList: true, characterData: true });"""
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto("/login")
    page.fill("#username", "carl")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("header.top .who")).to_have_text("carl")
    return page


def searched(page: Page) -> None:
    """Wait until the page's search (or Load more) has answered."""
    page.wait_for_selector('#audit[data-state="done"]')


def shown(page: Page) -> list[str]:
    """The targets of the rows shown, top to bottom."""
    return page.locator("#audit-table tbody tr td:nth-child(5)").all_inner_texts()


def test_actor_and_a_range_in_the_console_zone_shared_reloaded_and_exported(
    carl: Page, tmp_path: Path
) -> None:
    """kari between 01:30 and 03:30 Stockholm time on the night of the change to summer time
    (00:30Z to 01:30Z) is exactly two entries, shown in CET and CEST; the URL holds the
    filters with the zone's offsets and a reload gives the same search; the CSV export link
    carries the filters and downloads those two rows; the export is audited."""
    page = carl
    page.goto("/audit")
    searched(page)
    expect(page.locator("#audit-scope")).to_contain_text("Times in Europe/Stockholm")
    # the live stream needs viewer: an auditor-only page does not knock there every few seconds
    expect(page.locator("#live")).to_be_hidden()
    options = page.locator("#audit-actions option").evaluate_all("os => os.map(o => o.value)")
    assert "draft." in options and "login." in options
    assert "privacy." not in options  # an outage auditor finds no privacy entry
    page.fill("#audit-actor", "kari")
    page.fill("#audit-from", "2026-03-29T01:30")
    page.fill("#audit-to", "2026-03-29T03:30")
    expect(page.locator("#audit-to-hint")).to_contain_text("03:30:00 CEST")
    page.click("#audit-search")
    searched(page)
    expected = ["incident:inc-20260328-dst-0120", "incident:inc-20260328-dst-0040"]
    assert shown(page) == expected  # not ola's, not the privacy entry, nothing outside
    times = page.locator("#audit-table tbody tr td:nth-child(2)").all_inner_texts()
    assert times == ["29 Mar 2026, 03:20:00 CEST", "29 Mar 2026, 01:40:00 CET"]
    expect(page.locator("#audit-table thead")).to_contain_text("When (Europe/Stockholm)")
    expect(page.locator("#audit-more")).to_be_hidden()
    shot(page, "audit-search")

    query = parse_qs(urlsplit(page.url).query)
    assert query == {
        "actor": ["kari"],
        "from": ["2026-03-29T01:30:00+01:00"],
        "to": ["2026-03-29T03:30:00+02:00"],
    }
    page.reload()
    searched(page)
    assert shown(page) == expected
    assert page.input_value("#audit-actor") == "kari"
    assert page.input_value("#audit-from").startswith("2026-03-29T01:30")
    assert page.input_value("#audit-to").startswith("2026-03-29T03:30")

    href = page.get_attribute("#audit-export-csv", "href")
    assert href is not None and href.startswith("/api/v1/audit/export?")
    assert parse_qs(urlsplit(href).query) == {**query, "format": ["csv"]}
    jsonl = page.get_attribute("#audit-export-jsonl", "href") or ""
    assert parse_qs(urlsplit(jsonl).query) == {**query, "format": ["jsonl"]}
    expect(page.locator("#audit-export-note")).to_contain_text("recorded in the audit log")
    with page.expect_download() as download:
        page.click("#audit-export-csv")
    saved = tmp_path / "audit.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert [r["target"] for r in rows] == expected
    assert [r["at (Europe/Stockholm)"] for r in rows] == [
        "2026-03-29T03:20:00+02:00",
        "2026-03-29T01:40:00+01:00",
    ]

    page.goto("/audit?action=audit.exported")
    searched(page)
    first = page.locator("#audit-table tbody tr").first
    expect(first).to_contain_text("carl")
    expect(first).to_contain_text("kari")  # the filters it was made with


def test_load_more_follows_short_pages_with_a_bound_per_click(carl: Page) -> None:
    """kari's drafts lie among thousands of her sign-ins: the store looks at 1000 entries per
    request, so pages come back short or empty with ``next``. A search fills its 100 rows over
    several requests; a Load more stops after 5 requests with what it found (50) and says
    older entries remain; the next one reaches the end (all 190). It says it is searching
    older entries meanwhile."""
    page = carl
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/audit?" in r.url else None)
    page.goto("/audit?actor=kari&action=draft.")
    searched(page)
    assert page.locator("#audit-table tbody tr").count() == 100
    assert len(asked) > 1  # the first answer was short: followed
    assert all("cursor=" in u for u in asked[1:])
    expect(page.locator("#audit-more")).to_be_visible()

    asked.clear()
    page.evaluate("window.__statuses = []")
    page.click("#audit-more")
    searched(page)
    assert len(asked) == 5  # a bounded number of follow-ups, the end not reached
    assert page.locator("#audit-table tbody tr").count() == DRAFTS
    expect(page.locator("#audit-more")).to_be_visible()
    expect(page.locator("#audit-status")).to_contain_text("older entries remain")
    assert "Searching older entries…" in page.evaluate("window.__statuses")

    asked.clear()
    page.click("#audit-more")
    searched(page)
    assert 0 < len(asked) <= 5
    targets = shown(page)
    assert len(targets) == DRAFTS + EARLY_DRAFTS == len(set(targets))
    assert targets[0] == f"draft:inc-20260305-a{DRAFTS - 1:03}.nkom_varsel"
    assert targets[-1] == "draft:inc-20260110-e000.nkom_varsel"
    expect(page.locator("#audit-more")).to_be_hidden()
    expect(page.locator("#audit-status")).to_contain_text(f"All {len(targets)} matching")


def test_a_refused_filter_is_shown_at_its_field(carl: Page) -> None:
    """A range whose end is before its start, and an incident number no incident has: the
    API's 400 message under the field it names, no rows and no export links."""
    page = carl
    page.goto("/audit")
    searched(page)
    page.fill("#audit-from", "2026-03-30T10:00")
    page.fill("#audit-to", "2026-03-29T10:00")
    page.click("#audit-search")
    searched(page)
    expect(page.locator("#audit-to-error")).to_have_text("to: must be later than from")
    expect(page.locator("#audit-to")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#audit-from-error")).to_be_empty()
    expect(page.locator("#audit-table")).to_have_count(0)
    expect(page.locator("#audit-export-csv")).to_have_count(0)
    shot(page, "audit-refused")

    page.fill("#audit-to", "")
    page.fill("#audit-incident", "#999")
    page.click("#audit-search")
    searched(page)
    expect(page.locator("#audit-incident-error")).to_have_text(
        "incident: no incident has the number 999"
    )
    expect(page.locator("#audit-to-error")).to_be_empty()


#: (zone, wall time): once, twice (clocks back) and never (clocks forward), in zones whose
#: offsets are whole hours, half hours, and change by half an hour (Lord Howe)
WALLS = [
    ("Europe/Stockholm", "2026-01-15T12:00:00"),
    ("Europe/Stockholm", "2026-07-15T12:00:00"),
    ("Europe/Stockholm", "2026-03-29T02:30:00"),
    ("Europe/Stockholm", "2026-10-25T02:30:00"),
    ("Europe/Stockholm", "2026-10-25T03:00:00"),
    ("Europe/Oslo", "2026-03-29T01:59:59"),
    ("Europe/Oslo", "2026-03-29T03:00:00"),
    ("America/St_Johns", "2026-03-08T02:30:00"),
    ("America/St_Johns", "2026-11-01T01:30:00"),
    ("Asia/Kolkata", "2026-06-01T00:00:00"),
    ("Australia/Lord_Howe", "2026-04-05T01:45:00"),
    ("Australia/Lord_Howe", "2026-10-04T02:15:00"),
    ("UTC", "2026-03-29T02:30:00"),
]


def expected_instant(zone: str, wall: str, pick: str) -> tuple[str, str]:
    """What zoneinfo says: the instant (UTC) and whether the wall time happens once, twice or
    never; a time that never happens is read as the core reads a wall time
    (:func:`bridge.core.calendar.local_instant`): its earlier reading, the offset after the
    change, so a deadline counted from it never comes out later than the core's."""
    naive = datetime.fromisoformat(wall)
    first, second = (naive.replace(tzinfo=ZoneInfo(zone), fold=f) for f in (0, 1))
    utc = [d.astimezone(UTC) for d in (first, second)]
    back = [u.astimezone(ZoneInfo(zone)).replace(tzinfo=None) for u in utc]
    if back[0] != naive:
        kind, at = "skipped", local_instant(naive.date(), naive.time(), ZoneInfo(zone))
    elif utc[0] != utc[1]:
        kind, at = "twice", utc[1] if pick == "later" else utc[0]
    else:
        kind, at = "exact", utc[0]
    return at.isoformat().replace("+00:00", "Z"), kind


def test_wall_times_in_a_zone_agree_with_zoneinfo(carl: Page) -> None:
    """zoned.js's instantIn and rfc3339 (what the form sends) against Python's zoneinfo, in a
    browser whose own zone is New York."""
    page = carl
    page.goto("/audit")
    got = page.evaluate(
        """async (walls) => {
          const z = await import("/static/zoned.js");
          return walls.flatMap(([zone, wall]) => ["earlier", "later"].map((pick) => {
            const r = z.instantIn(wall, zone, pick);
            return [new Date(r.ms).toISOString().replace(".000Z", "Z"), r.kind,
                    Date.parse(z.rfc3339(r.ms, zone)) === r.ms, z.wallTime(r.ms, zone)];
          }));
        }""",
        WALLS,
    )
    walls = [(zone, wall, pick) for zone, wall in WALLS for pick in ("earlier", "later")]
    assert [(at, kind) for at, kind, _, _ in got] == [expected_instant(*w) for w in walls]
    assert all(same for _, _, same, _ in got)  # the offset written is the zone's at that instant
    for (zone, wall, _), (at, kind, _, back) in zip(walls, got, strict=True):
        if kind != "skipped":  # the wall time comes back (a skipped one is another)
            assert back == wall, (zone, wall, at)
    bad = "async () => (await import('/static/zoned.js')).instantIn('2026-02-30T10:00', 'UTC')"
    assert page.evaluate(bad) is None  # 30 February is no wall time
