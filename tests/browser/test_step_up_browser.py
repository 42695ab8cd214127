"""Approving, and managing people, ask for an authenticator code, in a real browser (Debian's
chromium through Playwright) against a real ``bridge serve`` whose step-up window is 0s, so the
code given at sign-in never covers them: the approval without a code is refused with the reason
on the page and nothing is sent; with a fresh code typed into the approval dialog it is approved
and the e-mail reaches the SMTP server. An outage admin adds a person only with a fresh code in
the form, and finds a privacy approver's buttons disabled with the reason. The approver role an
admin gives waits on the people page for another admin, who confirms it with a code.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyotp
from bridge_process import Bridge
from builders import WEBHOOK_TOKEN, alert, webhook
from playwright.sync_api import Browser, expect
from polling import until_sync
from smtp_server import Received, SmtpServer
from test_console_browser import new_page, post_webhook, shot, sign_in

USERS = {
    "anna": ["approver"],  # approves; TOTP
    "ada": ["admin"],  # manages the outage track's people; TOTP
    "pia": ["approver:privacy"],  # a privacy approver: not ada's to change
    "ole": ["admin"],  # two more outage admins: one asks for a role, the other confirms it
    "ola": ["admin"],
}
BRIDGE_EXTRA = {
    "auth": {
        "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
        "session": {"cookie_secure": False, "step_up_window": "0s"},  # a code with every approval
    },
}  # config sections of the module's bridge (browser/conftest.py)


def test_approving_takes_a_fresh_code_in_the_dialog(
    browser: Browser, bridge: Bridge, smtp: SmtpServer
) -> None:
    """Without a code the approval is refused (403 naming the TOTP code) and the draft stays; with
    the authenticator's next code in the dialog it is approved by anna and sent."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "anna")
    body = webhook(
        alert(
            "fp-step-up",
            datetime.now(UTC) - timedelta(minutes=5),
            element="no-cell-ullevaal",
            severity="major",
            annotations={"cause": "Fiberbrudd", "expected_resolution": "2 timer"},
        )
    )
    [incident_id] = post_webhook(bridge, body)
    [draft] = until_sync(
        lambda: bridge.api(f"/api/v1/drafts?incident={incident_id}")["drafts"], "the draft", 15
    )
    page.goto(f"/drafts/{draft['id']}")
    page.wait_for_selector("#draft[data-loaded]")

    page.click("#approve")
    expect(page.locator("#confirm-approve #approve-totp")).to_be_visible()
    page.click("#confirm-approve-yes")  # no code: the one from sign-in is outside the window
    expect(page.locator("#message")).to_contain_text("TOTP code")
    expect(page.locator("#draft-state")).to_have_text("draft")

    page.click("#approve")
    # the sign-in used this step's code, and a code is single use: the authenticator's next one
    code = pyotp.TOTP(bridge.secrets["anna"]).at(int(time.time()) + 30)
    page.fill("#approve-totp", code)
    for box in page.locator("#confirm-incomplete input[type=checkbox]").all():
        box.check()  # each field still empty, sent as not yet known
    shot(page, "draft-approve-with-code")
    page.click("#confirm-approve-yes")
    expect(page.locator("#message")).to_contain_text("Approved version 1")
    mail: Received = until_sync(lambda: smtp.mailbox.received[:1], "the e-mail", 15)[0]
    assert mail.rcpt_tos == ["ekomvarsling@nkom.no"]

    approved = bridge.api(f"/api/v1/drafts/{draft['id']}")["approved"]
    assert approved["by"] == "anna" and approved["version"] == 1
    page.context.close()


def test_managing_people_takes_a_fresh_code_and_admin_on_the_track(
    browser: Browser, bridge: Bridge
) -> None:
    """Adding a person without a code is refused (403 naming the TOTP code) and adds nobody;
    with the authenticator's next code in the form the person is added. The privacy approver's
    buttons are disabled for this outage admin, the reason beside them."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "ada")
    page.goto("/users")
    page.wait_for_selector("#users[data-loaded]")
    pia = page.locator('tr[data-user="pia"]')
    for label in ("Disable", "Reset TOTP", "Reset password"):
        expect(pia.locator(f'button:text("{label}")')).to_be_disabled()
    expect(pia.locator(".why")).to_contain_text("privacy track")

    page.fill("#new-user-name", "otto")
    page.fill("#new-user-roles", "viewer")
    expect(page.locator("#add-user #new-user-totp")).to_be_visible()
    page.click("#add-user button[type=submit]")  # no code: the sign-in's is outside the window
    expect(page.locator("#users-message")).to_contain_text("TOTP code")
    expect(page.locator('tr[data-user="otto"]')).to_have_count(0)

    page.fill("#new-user-name", "otto")
    page.fill("#new-user-roles", "viewer")
    # the sign-in used this step's code, and a code is single use: the authenticator's next one
    page.fill("#new-user-totp", pyotp.TOTP(bridge.secrets["ada"]).at(int(time.time()) + 30))
    shot(page, "users-add-with-code")
    page.click("#add-user button[type=submit]")
    expect(page.locator("#one-time-password")).to_be_visible()
    expect(page.locator('tr[data-user="otto"]')).to_be_visible()
    page.context.close()


def test_an_approver_role_waits_on_the_people_page_for_a_second_admin(
    browser: Browser, bridge: Bridge
) -> None:
    """ole adds a person with viewer and approver: they get viewer, approver waits, shown with
    who asked; ole's Confirm is disabled with the reason. ola, another outage admin, confirms
    it with a code in the dialog: the row shows approver, nothing waits."""
    page = new_page(browser, bridge)
    sign_in(page, bridge, "ole")
    page.goto("/users")
    page.wait_for_selector("#users[data-loaded]")
    page.fill("#new-user-name", "puppet")
    page.fill("#new-user-roles", "viewer, approver")
    page.fill("#new-user-totp", pyotp.TOTP(bridge.secrets["ole"]).at(int(time.time()) + 30))
    page.click("#add-user button[type=submit]")
    expect(page.locator("#users-message")).to_contain_text("waits for a second admin")
    row = page.locator('tr[data-user="puppet"]')
    expect(row.locator(".pending")).to_contain_text("approver (asked by ole")
    expect(row.locator('.pending button:text("Confirm")')).to_be_disabled()
    expect(row.locator(".pending .why")).to_contain_text("you asked for it")
    shot(page, "users-pending-grant")
    page.context.close()

    page = new_page(browser, bridge)
    sign_in(page, bridge, "ola")
    page.goto("/users")
    page.wait_for_selector("#users[data-loaded]")
    row = page.locator('tr[data-user="puppet"]')
    row.locator('.pending button:text("Confirm")').click()
    page.fill("#confirm-totp", pyotp.TOTP(bridge.secrets["ola"]).at(int(time.time()) + 30))
    page.click("#confirm-yes")
    expect(page.locator("#users-message")).to_contain_text("puppet now holds approver")
    row = page.locator('tr[data-user="puppet"]')
    expect(row.locator(".pending")).to_have_count(0)
    expect(row.locator("td").nth(2)).to_have_text("viewer, approver")
    page.context.close()
