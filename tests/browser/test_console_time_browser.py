"""Time in the console, in Debian's chromium against a real ``bridge serve`` whose
``console.time_zone`` is Europe/Stockholm, from browsers that are elsewhere and whose clocks are
wrong (Playwright's ``timezone_id`` and its clock API; the bridge's clock is the machine's).

Times typed into the console are wall times in the console's zone, never the browser's: Nkom's
deadline typed "12:00" in a browser set to UTC (or New York) is 12:00 in Stockholm, and the
dialog says so before anything is sent ("Recorded as 3 Dec 2026 12:00 CET (UTC+1)"); the same
for the request's receipt, the impact override's *From*, the declaration's *Aware since*, a
portal submission's time and the privacy form's times. A wall time the autumn night repeats is
offered as both instants and nothing is sent until one is chosen.

Countdowns follow the bridge's clock, measured from its answers (``X-Bridge-Time``), not the
PC's: with the PC's clock 25 minutes slow an overdue varsel says "overdue by", with it 25
minutes fast a varsel not yet due counts down what the bridge says is left; the page says the
PC's clock is off; a PC clock set meanwhile changes nothing shown but the warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, BrowserContext, Page, expect
from polling import until_sync
from test_console_browser import shot, sign_in

from bridge.core.calendar import local_instant

USERS = {
    "ada": ["approver", "editor:privacy"],  # every dialog; TOTP
    "ed": ["editor"],  # records a request; no second factor
    "vic": ["viewer"],  # watches the board; no second factor
}
PRIVACY_READER = "privacy-viewer-token"  # builders.write_config's viewer:privacy token
BRIDGE_EXTRA = {
    "console": {"time_zone": "Europe/Stockholm"},
    "regulators": {"csirt": {"rule_set": "se-cyber"}},
    "privacy": {
        "subscriber_notice_recipient": "kundkommunikation@example.net",
        "alert_label": {"incident_type": "privacy"},
    },
}
STOCKHOLM = ZoneInfo("Europe/Stockholm")
WAIT_MS = 15_000
SKEW = timedelta(minutes=25)


def spoken(at: datetime) -> str:
    """What the console says of an instant: "3 Dec 2026 12:00 CET (UTC+1)"."""
    local = at.astimezone(STOCKHOLM)
    hours = int((local.utcoffset() or timedelta()).total_seconds() // 3600)
    seconds = f":{local.second:02}" if local.second else ""
    return f"{local.day} {local:%b %Y %H:%M}{seconds} {local.tzname()} (UTC+{hours})"


def wall(at: datetime) -> str:
    """``at`` as the console zone's wall time, what a person types into the field."""
    return at.astimezone(STOCKHOLM).strftime("%Y-%m-%dT%H:%M")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def context(browser: Browser, bridge: Bridge, zone: str) -> BrowserContext:
    made = browser.new_context(
        base_url=bridge.url, viewport={"width": 1280, "height": 900}, timezone_id=zone
    )
    made.set_default_timeout(WAIT_MS)
    return made


@pytest.fixture(scope="module")
def ada(browser: Browser, bridge: Bridge) -> Iterator[Page]:
    """The approver, in a browser whose own zone is UTC."""
    made = context(browser, bridge, "UTC")
    page = made.new_page()
    sign_in(page, bridge, "ada")
    yield page
    made.close()


@pytest.fixture(scope="module")
def started() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def overdue(bridge: Bridge, started: datetime) -> str:
    """A hospital cell in Oslo down for two hours: Nkom's varsel is overdue."""
    body = webhook(
        alert("fp-t-ulle", started - timedelta(hours=2), element="no-cell-ullevaal", incident="u")
    )
    [incident] = bridge.deliver(body)
    return incident


@pytest.fixture(scope="module")
def fresh(bridge: Bridge, started: datetime) -> str:
    """An OLT in Oslo down for 45 minutes: Nkom's varsel is owed within the hour, not yet due."""
    body = webhook(
        alert("fp-t-olt", started - timedelta(minutes=45), element="no-olt-oslo-1", incident="o")
    )
    [incident] = bridge.deliver(body)
    return incident


def varsel_due(bridge: Bridge, incident: str) -> datetime:
    doc = bridge.api(f"/api/v1/incidents/{incident}")
    [due] = [o["due_at"] for o in doc["obligations"] if o["kind"] == "nkom_varsel"]
    return utc(due)


def seconds_shown(text: str) -> int:
    """ "in 0:34:12" → 2052; "overdue by 1:35:00" → -5700."""
    m = re.search(r"(in|overdue by) (\d+):(\d\d):(\d\d)", text)
    assert m, text
    s = int(m[2]) * 3600 + int(m[3]) * 60 + int(m[4])
    return s if m[1] == "in" else -s


def board_with_clock(browser: Browser, bridge: Bridge, shift: timedelta) -> Page:
    """vic's board in a browser whose clock is ``shift`` off the bridge's."""
    made = context(browser, bridge, "UTC")
    page = made.new_page()
    sign_in(page, bridge, "vic")
    page.clock.install(time=datetime.now(UTC) + shift)
    page.goto("/")
    page.wait_for_selector("#board[data-loaded]")
    return page


def countdown(page: Page, incident: str) -> str:
    row = page.locator(f'#queue-table tr[data-case="{incident}"][data-kind="nkom_varsel"]')
    return row.locator(".countdown").inner_text()


def assert_bridges_count(page: Page, bridge: Bridge, incident: str) -> None:
    """The row's countdown is what is left on the bridge's clock (within 3 s)."""
    due = varsel_due(bridge, incident)

    def agrees() -> bool:
        left = (due - datetime.now(UTC)).total_seconds()
        return abs(seconds_shown(countdown(page, incident)) - left) <= 3

    until_sync(agrees, f"the countdown of {incident} to follow the bridge's clock", 10)


def test_a_slow_pc_clock_shows_an_overdue_varsel_overdue(
    browser: Browser, bridge: Bridge, overdue: str, fresh: str
) -> None:
    page = board_with_clock(browser, bridge, -SKEW)
    row = page.locator(f'#queue-table tr[data-case="{overdue}"][data-kind="nkom_varsel"]')
    expect(row).to_have_class(re.compile(r"\boverdue\b"))
    expect(row.locator(".countdown")).to_contain_text("overdue by")
    assert_bridges_count(page, bridge, overdue)
    assert_bridges_count(page, bridge, fresh)
    banner = page.locator("#clock-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("This PC's clock is 25 min slow")
    shot(page, "board-slow-pc-clock")

    # the PC's clock is set (now 25 min fast): what is shown stays the bridge's, the warning
    # follows
    page.clock.set_system_time(datetime.now(UTC) + SKEW)
    expect(banner).to_contain_text("This PC's clock is 25 min fast")
    assert_bridges_count(page, bridge, fresh)
    assert_bridges_count(page, bridge, overdue)
    page.context.close()


def test_a_fast_pc_clock_counts_down_what_the_bridge_says_is_left(
    browser: Browser, bridge: Bridge, fresh: str
) -> None:
    assert (varsel_due(bridge, fresh) - datetime.now(UTC)) < SKEW  # a fast clock would say overdue
    page = board_with_clock(browser, bridge, SKEW)
    row = page.locator(f'#queue-table tr[data-case="{fresh}"][data-kind="nkom_varsel"]')
    expect(row.locator(".countdown")).to_contain_text("in ")
    assert_bridges_count(page, bridge, fresh)
    expect(row).not_to_have_class(re.compile(r"\boverdue\b"))
    expect(page.locator("#clock-banner")).to_contain_text("This PC's clock is 25 min fast")
    page.context.close()


def test_a_right_pc_clock_gets_no_warning(browser: Browser, bridge: Bridge, fresh: str) -> None:
    page = board_with_clock(browser, bridge, timedelta(seconds=0))
    assert_bridges_count(page, bridge, fresh)
    expect(page.locator("#clock-banner")).to_be_hidden()
    page.context.close()


def record_nkom_request(
    page: Page, bridge: Bridge, incident: str, when: datetime, name: str
) -> None:
    """Nkom's letter: the report by 12:00 two days from now (Norwegian time, as Stockholm's),
    received ``when``; typed as read, whatever the browser's own zone."""
    deadline = (datetime.now(STOCKHOLM) + timedelta(days=2)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    page.goto(f"/incidents/{incident}")
    page.wait_for_selector("#incident[data-loaded]")
    page.click("#record-nkom-request")
    dialog = page.locator("#request-dialog")
    expect(dialog).to_contain_text("Nkom's deadline (Europe/Stockholm)")
    page.fill("#request-deadline", wall(deadline))
    page.fill("#request-received", wall(when))
    page.fill("#request-reference", f"NKOM-{incident[-4:]}")
    # the dialog says which instants it records before anything is sent
    expect(page.locator("#request-deadline-echo")).to_have_text(f"Recorded as {spoken(deadline)}")
    expect(page.locator("#request-received-echo")).to_have_text(f"Recorded as {spoken(when)}")
    shot(page, name)
    page.click("#request-yes")
    item = page.locator('#report-requests li[data-kind="nkom_hendelsesrapport"]')
    local = deadline.astimezone(STOCKHOLM)
    expect(item).to_contain_text(f"due {local:%a} {local.day} {local:%b}, 12:00 {local.tzname()}")
    [request] = bridge.api(f"/api/v1/incidents/{incident}")["report_requests"]
    assert utc(request["deadline"]) == deadline.astimezone(UTC)
    assert utc(request["received_at"]) == when


def test_nkoms_deadline_is_read_in_the_consoles_zone_in_a_utc_browser(
    ada: Page, bridge: Bridge, overdue: str
) -> None:
    when = (datetime.now(UTC) - timedelta(minutes=10)).replace(second=0, microsecond=0)
    record_nkom_request(ada, bridge, overdue, when, "nkom-request-utc-browser")


def test_and_in_a_new_york_browser(browser: Browser, bridge: Bridge, fresh: str) -> None:
    made = context(browser, bridge, "America/New_York")
    page = made.new_page()
    sign_in(page, bridge, "ed")
    when = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    record_nkom_request(page, bridge, fresh, when, "nkom-request-new-york-browser")
    made.close()


@pytest.fixture(scope="module")
def swedish(bridge: Bridge, started: datetime) -> str:
    """A hospital's cell in Östersund down three minutes: potentially significant under the
    Swedish cybersecurity act."""
    body = webhook(
        alert("fp-t-sjukhus", started - timedelta(minutes=3), element="se-cell-ostersund-sjukhus")
    )
    [incident] = bridge.deliver(body)
    return incident


def test_aware_since_and_the_portal_submission_are_the_consoles_zone(
    ada: Page, bridge: Bridge, swedish: str, started: datetime
) -> None:
    page = ada
    aware = (started - timedelta(minutes=2)).replace(second=0)  # after the minute it began
    page.goto(f"/incidents/{swedish}")
    page.wait_for_selector("#incident[data-loaded]")
    page.click("#declare-significant")
    expect(page.locator("#declare-dialog")).to_contain_text("Aware since (Europe/Stockholm")
    expect(page.locator("#declare-aware-at-echo")).to_have_text("In Europe/Stockholm. Empty: now.")
    page.fill("#declare-aware-at", wall(aware))
    expect(page.locator("#declare-aware-at-echo")).to_have_text(f"Recorded as {spoken(aware)}")
    page.click("#declare-yes")
    expect(page.locator("#declaration")).to_contain_text("Declared significant by ada")
    doc = bridge.api(f"/api/v1/incidents/{swedish}")
    [declaration] = [c["declaration"] for c in doc["cyber"] if c["declaration"]]
    assert utc(declaration["aware_at"]) == aware

    draft_id = f"{swedish}.se_cyber_early_warning"
    until_sync(lambda: bridge.api(f"/api/v1/drafts/{draft_id}"), "the early warning draft", 15)
    page.goto(f"/drafts/{draft_id}")
    page.wait_for_selector("#draft[data-loaded]")
    page.fill("#field-suspected_malicious", "Nej, inget tyder på det.")
    page.fill("#field-cross_border", "Nej.")
    page.click("#save")
    page.wait_for_selector('#draft[data-version="2"]')
    page.click("#approve")
    page.click("#confirm-approve-yes")  # the sign-in's code is fresh (step_up_window)
    expect(page.locator("#draft-state")).to_have_text("approved")
    # this minute: not before the approval's minute, not in the future
    submitted = datetime.now(UTC).replace(second=0, microsecond=0)
    page.click("#record-submission")
    page.fill("#submission-reference", "CP-2026-0099")
    page.fill("#submission-at", wall(submitted))
    expect(page.locator("#submission-at-echo")).to_have_text(f"Recorded as {spoken(submitted)}")
    page.click("#submission-yes")
    expect(page.locator("#draft-state")).to_have_text("sent")
    assert utc(bridge.api(f"/api/v1/drafts/{draft_id}")["submission"]["at"]) == submitted


def test_the_impact_overrides_from_is_the_consoles_zone(
    ada: Page, bridge: Bridge, swedish: str, started: datetime
) -> None:
    page = ada
    since = (started - timedelta(minutes=1)).replace(second=0)
    page.goto(f"/incidents/{swedish}")
    page.wait_for_selector("#incident[data-loaded]")
    if not page.locator("#override-form[open]").count():
        page.locator("#override-form summary").click()
    expect(page.locator("#override-form")).to_contain_text("From (Europe/Stockholm")
    row = page.locator("#override-impacts tr.ov-row").first
    row.locator(".ov-service").select_option("mobile")
    row.locator(".ov-region").fill("SE-2380")
    row.locator(".ov-connections").fill("800")
    page.fill("#override-from", wall(since))
    expect(page.locator("#override-from-echo")).to_have_text(f"Recorded as {spoken(since)}")
    page.fill("#override-reason-input", "The hospital's switchboard counts 800 phones")
    page.click("#override-save")
    expect(page.locator("#override-standing")).to_contain_text("Impact overridden by ada")
    override = bridge.api(f"/api/v1/incidents/{swedish}")["impact_override"]
    assert utc(override["from"]) == since


def test_a_repeated_hour_is_chosen_never_guessed(ada: Page, bridge: Bridge) -> None:
    """The privacy form: the breach occurred at 02:30 the night of 25 October 2026, which
    Stockholm lives twice (CEST, then CET): both instants are offered, the report is refused at
    the field until one is chosen, and the one chosen is what the bridge keeps."""
    page = ada
    detected = (datetime.now(UTC) - timedelta(minutes=20)).replace(microsecond=0)
    page.goto("/privacy")
    page.wait_for_selector("#privacy[data-loaded]")
    page.fill("#new-detected_at", detected.astimezone(STOCKHOLM).strftime("%Y-%m-%dT%H:%M:%S"))
    expect(page.locator("#new-detected_at-echo")).to_have_text(f"Recorded as {spoken(detected)}")
    page.fill("#new-occurred_at", "2026-10-25T02:30:00")
    echo = page.locator("#new-occurred_at-echo")
    expect(echo).to_contain_text("2026-10-25 02:30 happens twice in Europe/Stockholm")
    expect(page.locator("label", has=page.locator("#new-occurred_at-first"))).to_have_text(
        " the first: 25 Oct 2026 02:30 CEST (UTC+2)"
    )
    expect(page.locator("label", has=page.locator("#new-occurred_at-second"))).to_have_text(
        " the second: 25 Oct 2026 02:30 CET (UTC+1)"
    )
    page.select_option("#new-nature", "breach")
    page.check("#new-jurisdictions-SE")
    page.check("#new-circumstances-theft")
    page.fill("#new-description", "Surfplatta med kunduppgifter borttappad")
    page.click("#report-submit")
    expect(page.locator("#new-occurred_at-problem")).to_contain_text("happens twice")
    expect(page.locator("#reported-case")).to_have_count(0)
    shot(page, "privacy-repeated-hour")
    page.check("#new-occurred_at-second")
    expect(echo).to_contain_text("Recorded as 25 Oct 2026 02:30 CET (UTC+1)")
    page.click("#report-submit")
    case_id = page.inner_text("#reported-case").strip()
    case = bridge.api(f"/api/v1/privacy/cases/{case_id}", PRIVACY_READER)["case"]
    assert utc(case["occurred_at"]) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert utc(case["detected_at"]) == detected

    # the case page shows it back as typed, the later one still chosen
    page.goto(f"/privacy/{case_id}")
    page.wait_for_selector("#case[data-loaded]")
    expect(page.locator("#fact-occurred_at")).to_have_value("2026-10-25T02:30")
    expect(page.locator("#fact-occurred_at-second")).to_be_checked()


# (zone, instant) → what the console says of it
SPOKEN = [
    ("Europe/Stockholm", "2026-12-03T11:00:00Z", "3 Dec 2026 12:00 CET (UTC+1)"),
    ("Europe/Stockholm", "2026-10-25T00:30:00Z", "25 Oct 2026 02:30 CEST (UTC+2)"),
    ("Europe/Stockholm", "2026-10-25T01:30:00Z", "25 Oct 2026 02:30 CET (UTC+1)"),
    ("Europe/Oslo", "2026-03-29T01:30:15Z", "29 Mar 2026 03:30:15 CEST (UTC+2)"),
    ("Europe/London", "2026-12-03T12:00:00Z", "3 Dec 2026 12:00 GMT (UTC+0)"),
    ("Asia/Kolkata", "2026-12-03T06:30:00Z", "3 Dec 2026 12:00 (UTC+5:30)"),  # "GMT+5:30" in en-GB
    ("America/Sao_Paulo", "2026-12-03T15:00:00Z", "3 Dec 2026 12:00 (UTC-3)"),
]


def test_what_the_console_says_of_an_instant(ada: Page) -> None:
    """zoned.js's spoken(): day, month, year, the wall time (seconds when not :00), the zone's
    name when it has one, its offset from UTC at that instant; and the instants a wall time
    stands for (twice, never, once)."""
    got = ada.evaluate(
        """async (cases) => {
          const z = await import("/static/zoned.js");
          return cases.map(([zone, iso]) => z.spoken(Date.parse(iso), zone));
        }""",
        [[zone, iso] for zone, iso, _ in SPOKEN],
    )
    assert got == [said for _, _, said in SPOKEN]
    walls = ada.evaluate(
        """async (walls) => {
          const z = await import("/static/zoned.js");
          const iso = (ms) => new Date(ms).toISOString();
          return walls.map((w) => {
            const r = z.instantsIn(w, "Europe/Stockholm");
            return r && [r.kind, r.all.map(iso)];
          });
        }""",
        [
            "2026-10-25T02:30",
            "2026-03-29T02:30",
            "2027-03-28T02:30",
            "2026-12-03T12:00",
            "2026-12-33T12:00",
        ],
    )
    assert walls == [
        ["twice", ["2026-10-25T00:30:00.000Z", "2026-10-25T01:30:00.000Z"]],
        # a wall time the clocks skip is read as the core reads it (calendar.local_instant):
        # its earlier reading, 01:30 CET, so a deadline counted from it never comes out later
        ["skipped", ["2026-03-29T00:30:00.000Z"]],
        ["skipped", ["2027-03-28T00:30:00.000Z"]],
        ["exact", ["2026-12-03T11:00:00.000Z"]],
        None,
    ]
    core = local_instant(date(2027, 3, 28), time(2, 30), ZoneInfo("Europe/Stockholm"))
    assert walls[2][1] == [core.isoformat().replace("+00:00", ".000Z")]


def test_the_bridges_clock_from_its_answers(ada: Page) -> None:
    """clock.js: each answer bounds the bridge's clock minus the PC's between its time minus the
    PC's clock after the answer and minus the one before the request; answers narrow it, one
    that does not meet it (a clock was set) starts again; the PC is said off only beyond a
    minute whatever the uncertainty; without X-Bridge-Time the Date header bounds it to the
    second."""
    got = ada.evaluate(
        """async () => {
          const c = await import("/static/clock.js?alone");
          const out = [c.offset(), c.skew()];
          const t = Date.parse("2026-12-01T04:00:00Z");
          c.heard("2026-12-01T04:25:00.000Z", t, t + 400);   // [1499600, 1500000]
          out.push(c.offset(), c.skew());
          c.heard("2026-12-01T04:25:10.000Z", t + 10100, t + 10300);  // [1499700, 1499900]
          out.push(c.offset());
          c.heard("2026-12-01T04:00:00.000Z", t, t + 200);   // the PC's clock was set right
          out.push(c.offset(), c.skew());
          c.heard("2026-12-01T04:01:30.000Z", t, t + 60000);  // 30 s to 90 s: not for sure
          out.push(c.skew());
          c.heard("garbage", t, t + 1);
          out.push(c.offset());
          // no X-Bridge-Time (a proxy dropped it): the Date header, a whole second
          c.heard(null, t, t + 100, "Tue, 01 Dec 2026 04:10:00 GMT");  // [599900, 600999]
          out.push(c.offset(), c.skew());
          out.push(c.amount(-25 * 60000), c.amount(3700000), c.amount(90000));
          return out;
        }"""
    )
    assert got[:9] == [0, 0, 1499800, 1499600, 1499800, -100, 0, 0, 60000]  # garbage ignored
    assert got[9:] == [600450, 599900, "25 min", "1 h 02 min", "2 min"]
    ada.reload()  # the page's own banner, which the module alone just wrote to
