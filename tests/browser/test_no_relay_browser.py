"""A bridge without a mail relay (``smtp: null``, as the shipped example config leaves it), in
a real browser: the approver approves an Nkom varsel and every screen says it was NOT sent
(before, the board said "approved, being sent" and the draft page "the outbox sends it to
ekomvarsling@nkom.no" while nothing could leave)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, expect
from polling import until_sync
from smtp_server import SmtpServer
from test_console_browser import new_page, shot, sign_in

USERS = {"anna": ["approver"]}
BRIDGE_EXTRA = {"smtp": None}


def test_an_approved_notice_reads_not_sent_everywhere_without_a_relay(
    browser: Browser, bridge: Bridge, smtp: SmtpServer
) -> None:
    started = datetime.now(UTC) - timedelta(minutes=5)
    body = webhook(alert("fp-norelay", started, element="no-cell-ullevaal", severity="major"))
    [incident_id] = bridge.deliver(body)
    drafts = until_sync(
        lambda: bridge.api(f"/api/v1/drafts?incident={incident_id}")["drafts"], "the draft", 15
    )
    page = new_page(browser, bridge)
    sign_in(page, bridge, "anna")
    expect(page.locator("#no-relay-banner")).to_contain_text("not sent")
    page.goto(f"/drafts/{drafts[0]['id']}")
    page.wait_for_selector("#draft[data-loaded]")
    page.click("#approve")
    dialog = page.locator("#confirm-approve")
    expect(dialog).to_be_visible()
    for box in dialog.locator("#confirm-incomplete input[type=checkbox]").all():
        box.check()
    page.click("#confirm-approve-yes")
    expect(page.locator("#message")).to_contain_text("NOT sent")
    page.goto(f"/incidents/{incident_id}")
    expect(page.get_by_text("approved, NOT sent: no mail relay").first).to_be_visible()
    shot(page, "no-relay-incident")
    assert smtp.mailbox.received == []  # nothing could leave: no relay was configured
