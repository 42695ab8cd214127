"""Approving asks for an authenticator code, in a real browser (Debian's chromium through
Playwright) against a real ``bridge serve`` whose step-up window is 0s, so the code given at
sign-in never covers an approval: the approval without a code is refused with the reason on the
page and nothing is sent; with a fresh code typed into the approval dialog it is approved and the
e-mail reaches the SMTP server.
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

USERS = {"anna": ["approver"]}  # approves; TOTP
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
