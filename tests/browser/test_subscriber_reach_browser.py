"""Recording how a subscriber notice reached the subscribers, on the case page in a real browser
against a real ``bridge serve`` (its outbox hands the notice to the SMTP server on loopback):
until recorded the case says where it was handed and that it is not yet recorded as reached;
the dialog records channels, time, counts and what was done, and the case shows it."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from bridge_process import Bridge
from builders import alert, webhook
from playwright.sync_api import Browser, expect
from polling import until_sync
from smtp_server import SmtpServer
from test_console_browser import new_page, shot, sign_in
from test_privacy_browser import BRIDGE_EXTRA, EDITOR_TOKEN, READER_TOKEN, USERS, local_input

__all__ = ["BRIDGE_EXTRA", "USERS"]  # the module's bridge (browser/conftest.py)
SUBSCRIBERS = "kundkommunikation@example.net"


def patch_draft(bridge: Bridge, draft: dict[str, Any], fields: dict[str, str]) -> Any:
    request = urllib.request.Request(
        f"{bridge.url}/api/v1/drafts/{draft['id']}",
        data=json.dumps({"version": draft["version"], "fields": fields}).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {EDITOR_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def test_a_privacy_approver_records_the_distribution_on_the_case_page(
    browser: Browser, bridge: Bridge, smtp: SmtpServer
) -> None:
    """pelle (approver:privacy) approves the notice; the outbox hands it to the operator's
    address; the case page says it is not yet recorded as reached; pelle records how it went
    out through the dialog and the case shows it."""
    started = datetime.now(UTC) - timedelta(minutes=2)
    bridge.deliver(
        webhook(alert("fp-browser-reach", started, incident_type="privacy", jurisdiction="SE"))
    )
    listed = bridge.api("/api/v1/privacy/cases?state=all", READER_TOKEN)["cases"]
    [case_id] = [c["id"] for c in listed]  # this module's bridge holds this case alone
    url = f"/api/v1/privacy/cases/{case_id}"
    notice = next(
        d for d in bridge.api(url, READER_TOKEN)["drafts"] if d["kind"] == "subscriber_notice"
    )
    patch_draft(
        bridge,
        notice,
        {
            "what_happened": "Någon har obehörigt hämtat kunduppgifter.",
            "what_it_means": "Någon kan försöka lura dig.",
            "what_we_do": "Vi har stängt exporten.",
            "what_you_can_do": "Var uppmärksam på samtal som ber om koder.",
        },
    )
    page = new_page(browser, bridge)
    sign_in(page, bridge, "pelle")
    page.goto(f"/drafts/{notice['id']}")
    page.wait_for_selector('#draft[data-version="2"]')
    page.click("#approve")
    page.check("#unknown-your_data")
    page.fill("#approve-totp", pyotp.TOTP(bridge.secrets["pelle"]).at(int(time.time()) + 30))
    page.click("#confirm-approve-yes")
    expect(page.locator("#message")).to_contain_text("Approved version 2")
    until_sync(
        lambda: [m for m in smtp.mailbox.received if SUBSCRIBERS in m.rcpt_tos],
        "the notice handed to the operator's address",
        15,
    )
    until_sync(
        lambda: bridge.api(url, READER_TOKEN)["distribution"],
        "the notice handed over",
        15,
    )

    page.goto(f"/privacy/{case_id}")
    page.wait_for_selector("#case[data-loaded]")
    pending = page.locator('#distribution .distribution[data-kind="subscriber_notice"]')
    expect(pending).to_contain_text(
        f"handed to {SUBSCRIBERS} for distribution, not yet recorded as reached"
    )
    page.click("#record-distribution-subscriber_notice")
    expect(page.locator("#distribution-dialog")).to_be_visible()
    page.check("#distribution-channel-sms")
    page.check("#distribution-channel-letter")
    page.fill("#distribution-at", local_input(page, datetime.now(UTC)))
    page.fill("#distribution-reached", "1180")
    page.fill("#distribution-unreached", "20")
    page.fill("#distribution-unreached-action", "Brev till folkbokföringsadressen")
    shot(page, "privacy-distribution-dialog")
    page.click("#distribution-yes")
    expect(page.locator("#case-message")).to_contain_text("Distribution recorded")
    expect(pending).to_contain_text("by SMS, letter: reached 1180, not reached 20")
    expect(pending).to_contain_text("recorded by pelle")
    [done] = bridge.api(url, READER_TOKEN)["distribution"]
    assert done["state"] == "recorded" and done["record"]["channels"] == ["sms", "letter"]
