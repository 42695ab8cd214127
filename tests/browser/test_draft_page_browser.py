"""Two people on one draft page in a real browser (Debian's chromium through Playwright, a real
``bridge serve``), as a NOC audit in a storm found it (docs/console.md "Editing a draft").

Kari (approver) and Ola (editor) each have their own browser context, as two people at two
workstations. A stale tab never overwrites a colleague's saved text nor withdraws their approval:
its save names the version and state it was editing, the API refuses it (409), and the page
shows what changed meanwhile, keeps the typed text and re-applies it on the new version. The
session ending never takes typed text away: the page stays, says so, and offers the text back
after signing in; a reload asks first. A success message goes once it is no longer true; the
page shows its obligation's due time (console.time_zone) and the incident's number; Enter in
the approval's code field approves; approving the overdue varsel asks why it is late.

One incident serves the module: a hospital cell in Oslo down for three hours (its Nkom varsel
overdue). The relay answers 451 (``tempfail``): an approved notice waits for a retry, still
approved, still editable, never sent. Screenshots go to tests/artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest
from bridge_process import Bridge
from builders import PASSWORD, alert, webhook
from playwright.sync_api import Browser, Page, Response, expect
from polling import until_sync
from smtp_server import SmtpServer
from test_console_browser import new_page, shot, sign_in

USERS = {
    "kari": ["approver"],  # edits and approves; TOTP
    "ola": ["editor"],  # edits; no second factor
}
BRIDGE_EXTRA = {"console": {"time_zone": "Europe/Oslo"}}


@dataclass(frozen=True)
class Storm:
    incident: str
    draft: str
    started: datetime


def ullevaal(started: datetime) -> dict[str, Any]:
    return alert(
        "fp-ulle",
        started,
        element="no-cell-ullevaal",
        severity="major",
        annotations={"cause": "Fiberbrudd ved Ullevål", "expected_resolution": "2 timer"},
    )


@pytest.fixture(scope="module")
def storm(bridge: Bridge, smtp: SmtpServer) -> Storm:
    smtp.mailbox.mode = "tempfail"  # approved notices wait for a retry: never sent here
    started = datetime.now(UTC) - timedelta(hours=3)
    [incident] = bridge.deliver(webhook(ullevaal(started)))
    [draft] = until_sync(
        lambda: bridge.api(f"/api/v1/drafts?incident={incident}")["drafts"], "the draft", 15
    )
    return Storm(incident, draft["id"], started)


@pytest.fixture(scope="module")
def kari(browser: Browser, bridge: Bridge, storm: Storm) -> Page:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "kari")
    return page


@pytest.fixture(scope="module")
def ola(browser: Browser, bridge: Bridge, storm: Storm) -> Page:
    page = new_page(browser, bridge)
    sign_in(page, bridge, "ola")
    return page


def open_draft(page: Page, storm: Storm) -> None:
    page.goto(f"/drafts/{storm.draft}")
    page.wait_for_selector("#draft[data-loaded]")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")


def now_of(bridge: Bridge, storm: Storm) -> dict[str, Any]:
    found: dict[str, Any] = bridge.api(f"/api/v1/drafts/{storm.draft}")
    return found


def fields_of(detail: dict[str, Any]) -> dict[str, str]:
    return {f["key"]: f["value"] for f in detail["latest"]["fields"]}


def is_patch(response: Response) -> bool:
    return response.request.method == "PATCH"


def waiting_for_a_retry(bridge: Bridge, storm: Storm) -> None:
    """The relay answered 451 to the approved notice: approved, its retry half a minute or more
    away (not being sent)."""

    def waiting() -> bool:
        now = now_of(bridge, storm)
        tried = now["delivery"]["attempts"]
        return (
            now["state"] == "approved" and bool(tried) and bool(now["delivery"]["next_attempt_at"])
        )

    until_sync(waiting, "the first delivery attempt", 15)


def approve(page: Page) -> None:
    """The approval dialog, each empty field ticked to be sent as not yet known, and the reason
    the overdue varsel is late given."""
    page.click("#approve")
    dialog = page.locator("#confirm-approve")
    expect(dialog).to_be_visible()
    for box in dialog.locator("#confirm-incomplete input[type=checkbox]").all():
        box.check()
    page.fill("#approve-late-reason", LATE)


#: why the module's varsel is late, as the approver gives it
LATE = "Ingen på vakt merket alarmen før kl. 12"


def test_approving_the_overdue_varsel_asks_why_it_is_late(
    kari: Page, bridge: Bridge, storm: Storm
) -> None:
    """Past its due time, the approval dialog shows the due time and asks for the reason for
    the delay; without one it approves nothing and says so (the API would refuse it: 400
    naming late_reason)."""
    open_draft(kari, storm)
    kari.click("#approve")
    dialog = kari.locator("#confirm-approve")
    expect(dialog).to_be_visible()
    for box in dialog.locator("#confirm-incomplete input[type=checkbox]").all():
        box.check()
    late = dialog.locator("#confirm-late")
    expect(late).to_be_visible()
    expect(late).to_contain_text("it is late")
    expect(late).to_contain_text("(Europe/Oslo)")
    kari.click("#confirm-approve-yes")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-approve-why")).to_contain_text("Say why the report is late")
    assert now_of(bridge, storm)["state"] == "draft"
    shot(kari, "draft-late-reason")
    kari.click("#confirm-approve-no")
    expect(dialog).to_be_hidden()


def test_the_draft_page_shows_the_deadline_and_the_incidents_number(
    kari: Page, bridge: Bridge, storm: Storm
) -> None:
    """The overdue varsel's page shows its due time in the console's zone, labelled, and that
    it is overdue, as the board does; the back link names the incident by its number."""
    open_draft(kari, storm)
    doc = bridge.api(f"/api/v1/incidents/{storm.incident}")
    [due] = [o["due_at"] for o in doc["obligations"] if o["kind"] == "nkom_varsel"]
    oslo = datetime.fromisoformat(due).astimezone(ZoneInfo("Europe/Oslo"))
    deadline = kari.locator("#deadline")
    expect(deadline).to_contain_text(f"due {oslo:%a} {oslo.day} {oslo:%b}, {oslo:%H:%M} CET")
    expect(deadline).to_contain_text("(Europe/Oslo)")
    expect(deadline.locator(".countdown")).to_contain_text("overdue by")
    expect(kari.locator("#back")).to_contain_text(f"Incident #{doc['number']}")
    expect(kari.locator("#case-link")).to_contain_text(f"#{doc['number']}")
    shot(kari, "draft-deadline")


def test_a_stale_tab_cannot_erase_a_colleagues_saved_text(
    kari: Page, ola: Page, bridge: Bridge, storm: Storm
) -> None:
    """Kari and Ola open the draft; Kari saves a field (version 2) while Ola types another. Ola's
    save is refused (409): version 2 is left as Kari saved it; Ola's page shows what Kari
    changed and keeps his text; re-applied on version 2 and saved, both texts are in
    version 3."""
    open_draft(kari, storm)
    open_draft(ola, storm)
    kari_text = "Ja: 112-dekning på Ullevål sykehus er rammet."
    ola_text = "Ca. 4 timer, strømbrudd i stormen, aggregat på vei."
    kari.fill("#field-scope_life_health", kari_text)
    ola.fill("#field-expected_duration", ola_text)
    kari.click("#save")
    kari.wait_for_selector('#draft[data-version="2"]')

    with ola.expect_response(is_patch) as answer:
        ola.click("#save")
    assert answer.value.status == 409
    after = now_of(bridge, storm)
    assert after["version"] == 2
    assert fields_of(after)["scope_life_health"] == kari_text
    conflict = ola.locator("#conflict")
    expect(conflict).to_contain_text("Version 2 was saved by kari")
    expect(conflict.locator('li[data-field="scope_life_health"]')).to_contain_text(kari_text)
    expect(ola.locator("#field-expected_duration")).to_have_value(ola_text)
    expect(ola.locator("#message")).to_contain_text("409")
    shot(ola, "draft-conflict")

    ola.click("#reapply")
    expect(conflict).to_have_count(0)
    expect(ola.locator("#field-scope_life_health")).to_have_value(kari_text)
    expect(ola.locator("#field-expected_duration")).to_have_value(ola_text)
    ola.click("#save")
    ola.wait_for_selector('#draft[data-version="3"]')
    saved = fields_of(now_of(bridge, storm))
    assert (saved["scope_life_health"], saved["expected_duration"]) == (kari_text, ola_text)


def test_a_stale_tab_cannot_withdraw_a_colleagues_approval(
    kari: Page, ola: Page, bridge: Bridge, storm: Storm
) -> None:
    """Kari approves while Ola has typed an edit: Ola's save is refused (409), the approval
    stands, and Ola's page says who approved and that saving would withdraw it, his text
    kept."""
    open_draft(kari, storm)
    open_draft(ola, storm)
    version = now_of(bridge, storm)["version"]
    typed = "Strømbrudd i stormen; fiberbrudd ved Ullevål."
    ola.fill("#field-cause", typed)
    approve(kari)
    kari.click("#confirm-approve-yes")
    expect(kari.locator("#message")).to_contain_text(f"Approved version {version}")
    waiting_for_a_retry(bridge, storm)

    with ola.expect_response(is_patch) as answer:
        ola.click("#save")
    assert answer.value.status == 409
    after = now_of(bridge, storm)
    assert after["state"] == "approved" and after["approved"]["version"] == version
    assert after["approved"]["late_reason"] == LATE
    assert after["version"] == version
    conflict = ola.locator("#conflict")
    expect(conflict).to_contain_text("It is now approved")
    expect(conflict).to_contain_text("by kari")
    expect(conflict).to_contain_text("withdraws that approval")
    expect(ola.locator("#field-cause")).to_have_value(typed)
    shot(ola, "draft-conflict-approved")
    ola.click("#discard-edits")
    expect(ola.locator("#field-cause")).not_to_have_value(typed)
    expect(ola.locator("#conflict")).to_have_count(0)


def test_a_success_message_goes_once_the_approval_is_withdrawn(
    kari: Page, ola: Page, bridge: Bridge, storm: Storm
) -> None:
    """Kari's "Approved version …" stays while her approval stands and goes once it no longer
    does: Ola, seeing the draft approved, edits it anyway, which withdraws the approval (as a
    new version on a held draft does)."""
    message = kari.locator("#message")
    expect(message).to_contain_text("Approved version")
    open_draft(ola, storm)
    version = now_of(bridge, storm)["version"]
    ola.fill("#field-cause", "Strømbrudd i stormen; aggregatet på Ullevål sviktet.")
    with ola.expect_response(is_patch) as answer:
        ola.click("#save")
    assert answer.value.status == 200
    after = now_of(bridge, storm)
    assert (after["state"], after["version"], after["approved"]) == ("draft", version + 1, None)
    expect(kari.locator("#draft-state")).to_have_text("draft")
    expect(message).not_to_contain_text("Approved version")
    shot(kari, "draft-approval-withdrawn")


def test_closing_with_unsaved_edits_asks_first(ola: Page, storm: Storm) -> None:
    """Leaving the page with unsaved edits asks first (beforeunload); staying keeps them."""
    page = ola.context.new_page()
    open_draft(page, storm)
    page.click("#field-cause")
    page.keyboard.press("Control+End")
    page.keyboard.type(" Oppdatert.")
    with page.expect_event("dialog") as prompt:
        page.close(run_before_unload=True)
    assert prompt.value.type == "beforeunload"
    prompt.value.dismiss()
    expect(page.locator("#field-cause")).to_have_value(re.compile(r"Oppdatert\.$"))
    page.close()


def test_the_session_ending_keeps_the_typed_text(ola: Page, bridge: Bridge, storm: Storm) -> None:
    """Ola types; his session ends in another tab. The page stays, says the session ended and
    keeps the text; signing in again in this tab brings the text back, and it is saved."""
    open_draft(ola, storm)
    typed = "Stormen: fiberbrudd mellom Ullevål og Majorstuen, reparatør på vei, ca. 08:00."
    ola.fill("#field-cause", typed)
    other = ola.context.new_page()
    other.goto("/")
    other.click("header.top form.logout button")
    other.wait_for_url("**/login")
    other.close()

    expect(ola.locator("#session-ended")).to_be_visible()
    assert ola.url.endswith(f"/drafts/{storm.draft}")
    expect(ola.locator("#field-cause")).to_have_value(typed)
    shot(ola, "draft-session-ended")

    ola.click("#sign-in-again")
    ola.wait_for_url("**/login?next=*")
    ola.fill("#username", "ola")
    ola.fill("#password", PASSWORD)
    ola.click("#login-form button[type=submit]")
    ola.wait_for_url(f"**/drafts/{storm.draft}")
    ola.wait_for_selector("#draft[data-loaded]")
    ola.click("#restore-edits")
    expect(ola.locator("#field-cause")).to_have_value(typed)
    version = now_of(bridge, storm)["version"]
    ola.click("#save")
    ola.wait_for_selector(f'#draft[data-version="{version + 1}"]')
    assert fields_of(now_of(bridge, storm))["cause"] == typed


def test_enter_in_the_code_field_approves(kari: Page, bridge: Bridge, storm: Storm) -> None:
    """In the approval dialog, Enter in the authenticator-code field approves, as the button
    does."""
    open_draft(kari, storm)
    version = now_of(bridge, storm)["version"]
    approve(kari)
    # the sign-in used this step's code, and a code is single use: the authenticator's next one
    kari.fill("#approve-totp", pyotp.TOTP(bridge.secrets["kari"]).at(int(time.time()) + 30))
    kari.press("#approve-totp", "Enter")
    expect(kari.locator("#message")).to_contain_text(f"Approved version {version}")
    approved = now_of(bridge, storm)["approved"]
    assert approved["by"] == "kari" and approved["version"] == version
