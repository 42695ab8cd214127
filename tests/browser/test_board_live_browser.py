"""The board on a live change, in a real browser (Debian's chromium, a real ``bridge serve``): a
webhook that changes one incident makes the open board read that incident's summary
(``GET /api/v1/incidents?ids=…``) and the queue, never the whole list again, and the row shows
the change; a new incident's row comes in and a closed one's leaves the same way, in the order a
whole read gives (docs/console.md "Live updates"). A change reads only the queue items of the
cases it names (``GET /api/v1/queue?cases=…``), never the whole queue: a newly owed item comes in
where a whole read puts it, an item's state and countdown follow its draft, and a sent one
leaves. The tests watch the page's own requests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, Page, Request, expect
from polling import until_sync
from test_console_browser import new_page, sign_in

USERS = {"vera": ["viewer"], "anna": ["approver"]}
WHOLE = "/api/v1/incidents?state=open&limit=1000"  # the board's read of every open incident
QUEUE = "/api/v1/queue"  # the board's read of the whole queue


class Board:
    """Vera's open, live board and the API requests it made since it last loaded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.asked: list[str] = []
        page.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        if "/api/v1/" in request.url:
            self.asked.append("/api/v1/" + request.url.split("/api/v1/", 1)[1])

    def load(self) -> None:
        """Load the board afresh and wait until it is live and both of its whole reads (the
        first draw's, the stream's on connect) are done: what it asks from then on is a
        change's."""
        self.page.reload()
        expect(self.page.locator("#live")).to_have_attribute("data-state", "live")
        for whole in (WHOLE, QUEUE):
            self.page.wait_for_function(
                "(whole) => performance.getEntriesByType('resource')"
                ".filter((e) => e.name.endsWith(whole)).length >= 2",
                arg=whole,
            )
        self.page.wait_for_selector("#board[data-loaded]")
        self.asked.clear()

    def incident_reads(self) -> list[str]:
        return [u for u in self.asked if u.startswith("/api/v1/incidents")]

    def queue_reads(self) -> list[str]:
        return [u for u in self.asked if u.startswith(QUEUE)]

    def queue_rows(self) -> list[tuple[str, str, str]]:
        """(case, regulator, kind) of each queue row, dated ones then those owed later."""
        rows = self.page.locator("#queue tr[data-kind]").evaluate_all(
            "rows => rows.map((r) => [r.dataset.case, r.dataset.regulator, r.dataset.kind])"
        )
        return [tuple(r) for r in rows]

    def rows(self) -> list[str]:
        return list(
            self.page.locator("#incidents tbody tr").evaluate_all(
                "rows => rows.map((r) => r.dataset.incident)"
            )
        )


ELEMENTS = {"ost": "se-olt-ostersund-1", "berg": "se-cell-berg-1", "oslo": "no-olt-oslo-1"}
AGO = {"ost": timedelta(minutes=5), "berg": timedelta(hours=2), "oslo": timedelta(minutes=20)}


@dataclass(frozen=True)
class Three:
    ids: dict[str, str]  # site → the incident's id
    started: dict[str, datetime]  # site → when its alert started


@pytest.fixture(scope="module")
def three(bridge: Bridge) -> Three:
    """Three open incidents, one per site, started a while before the tests run."""
    now = datetime.now(UTC).replace(microsecond=0)
    started = {site: now - ago for site, ago in AGO.items()}
    ids = {
        site: one(bridge, webhook(alert(f"fp-{site}", started[site], element=ELEMENTS[site])))
        for site in ELEMENTS
    }
    return Three(ids, started)


def names(url: str, incident: str) -> bool:
    """Whether a request to ``url`` reads the summary of ``incident`` by its id (among
    others: a change may name several)."""
    query = parse_qs(urlsplit(url).query)
    return incident in ",".join(query.get("ids", [])).split(",")


def one(bridge: Bridge, body: dict[str, object]) -> str:
    [incident] = bridge.deliver(body)
    return incident


@pytest.fixture(scope="module")
def board(browser: Browser, bridge: Bridge, three: Three) -> Iterator[Board]:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "vera")
    watched = Board(page)
    yield watched
    page.context.close()


def test_a_webhook_that_changes_one_incident_reads_only_its_summary(
    board: Board, bridge: Bridge, three: Three
) -> None:
    """A second OLT of the Östersund site goes down: the board reads that incident's summary
    by its id, and the queue, and draws its row with the new figure; it does not read the
    whole list again."""
    board.load()
    ost = three.ids["ost"]
    row = board.page.locator(f"#incident-{ost}")
    expect(row).to_contain_text("6,000")  # the OLT's internet subscribers
    with board.page.expect_request(lambda r: names(r.url, ost)):
        now = datetime.now(UTC)
        assert one(bridge, webhook(alert("fp-ost-2", now, element="se-olt-ostersund-2"))) == ost
    expect(row).to_contain_text("11,500")  # both OLTs' internet subscribers
    reads = board.incident_reads()
    assert reads and all("ids=" in u for u in reads), reads
    assert any(u.startswith("/api/v1/queue") for u in board.asked), board.asked


def test_a_new_incident_comes_in_and_a_closed_one_leaves_without_a_whole_read(
    board: Board, bridge: Bridge, three: Three
) -> None:
    """A new incident's row appears and the row of one whose alert resolved long enough ago
    (closed) leaves, each read by its id only; the rows stand in the order a reload draws."""
    board.load()
    now = datetime.now(UTC)
    body = webhook(alert("fp-new", now, element="se-cell-berg-1", incident="berg-power"))
    new = one(bridge, body)
    assert new not in three.ids.values()
    expect(board.page.locator(f"#incident-{new}")).to_be_visible()
    assert any(names(u, new) for u in board.incident_reads()), board.asked
    berg = three.ids["berg"]
    resolved = alert(
        "fp-berg",
        three.started["berg"],
        element=ELEMENTS["berg"],
        status="resolved",
        ends_at=three.started["berg"] + timedelta(hours=1),  # past the 30 min quiet period: closed
    )
    with board.page.expect_request(lambda r: names(r.url, berg)):
        assert one(bridge, webhook(resolved)) == berg
    expect(board.page.locator(f"#incident-{berg}")).to_have_count(0)
    reads = board.incident_reads()
    assert reads and all("ids=" in u for u in reads), reads
    patched = board.rows()
    assert new in patched and berg not in patched
    board.page.reload()
    board.page.wait_for_selector("#board[data-loaded]")
    assert board.rows() == patched


def whole_queue(bridge: Bridge) -> list[tuple[str, str, str]]:
    """(case, regulator, kind) of the whole queue's items, as a whole read orders them (the
    dated ones and drafts first, as the board draws them, then those owed later)."""
    items = bridge.api(QUEUE)["items"]
    dated = [i for i in items if i["due_at"] or i["draft"]]
    later = [i for i in items if not (i["due_at"] or i["draft"])]
    return [(i["case"], i["regulator"], i["kind"]) for i in dated + later]


def cased(url: str, case: str) -> bool:
    """Whether ``url`` reads the queue items of ``case`` (among others)."""
    query = parse_qs(urlsplit(url).query)
    return url.startswith(QUEUE) and case in ",".join(query.get("cases", [])).split(",")


def test_a_change_reads_only_its_cases_queue_items_and_patches_their_rows(
    board: Board, bridge: Bridge, browser: Browser
) -> None:
    """A new reportable Oslo incident: the board reads that case's queue items (?cases=), not
    the whole queue, and its varsel's row comes in where a whole read puts it; the draft edited
    (a draft's change) shows its new version; approved and sent, its row leaves. The rows
    stand in the whole read's order throughout."""
    board.load()
    page = board.page
    started = datetime.now(UTC) - timedelta(minutes=50)  # the varsel due in about 10 minutes
    body = webhook(alert("fp-ull", started, element="no-cell-ullevaal", severity="major"))
    with page.expect_request(lambda r: "cases=" in r.url):
        new = one(bridge, body)
    varsel = page.locator(f'#queue tr[data-case="{new}"][data-kind="nkom_varsel"]')
    expect(varsel).to_contain_text("in 0:")  # its countdown: due within the hour
    until_sync(lambda: board.queue_rows() == whole_queue(bridge), "the whole read's order", 10)
    assert any(cased(u, new) for u in board.queue_reads()), board.asked
    assert QUEUE not in board.asked, board.asked  # never the whole queue again

    approver = new_page(browser, bridge)
    sign_in(approver, bridge, "anna")
    found = until_sync(
        lambda: bridge.api(f"/api/v1/drafts?incident={new}&regulator=nkom")["drafts"], "draft", 15
    )[0]
    draft, version = found["id"], bridge.api(f"/api/v1/drafts/{found['id']}")["version"]
    csrf = "document.querySelector('meta[name=csrf-token]').content"
    status = approver.evaluate(
        f"""async ([id, version]) => (await fetch(`/api/v1/drafts/${{id}}`, {{
            method: 'PATCH', credentials: 'same-origin',
            headers: {{'Content-Type': 'application/json', 'X-CSRF-Token': {csrf}}},
            body: JSON.stringify({{version, fields: {{scope_life_health: 'Nei'}}}})}})).status""",
        [draft, version],
    )
    assert status == 200
    # the draft's change: its case's rows read again
    expect(varsel).to_contain_text(f"(v{version + 1})")
    assert QUEUE not in board.asked, board.asked

    to_complete = bridge.api(f"/api/v1/drafts/{draft}")["to_complete"]
    status = approver.evaluate(
        f"""async ([id, version, unknown]) => (await fetch(`/api/v1/drafts/${{id}}/approve`, {{
            method: 'POST', credentials: 'same-origin',
            headers: {{'Content-Type': 'application/json', 'X-CSRF-Token': {csrf}}},
            body: JSON.stringify({{version, send_unknown: unknown}})}})).status""",
        [draft, version + 1, to_complete],
    )
    assert status == 200
    approver.context.close()
    expect(varsel).to_have_count(0, timeout=20_000)  # sent: no longer owed
    until_sync(lambda: board.queue_rows() == whole_queue(bridge), "the whole read's order", 10)
    assert QUEUE not in board.asked, board.asked
    assert all("cases=" in u for u in board.queue_reads()), board.asked
