"""A bridge without a mail relay (no ``smtp`` section, as the shipped example config) never
sends an approved notice: every console page, the draft's own answer and the start's log say
so, instead of "approved, being sent" (a NOC engineer believed Nkom had the varsel)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from bridge.web.auth import Principal
from tests.builders import notice_sections, write_config


async def _page(client: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    from bridge.web import access

    async def signed_in(request: Any) -> Principal:
        return Principal("anna", ("approver",))

    # the real sign-in is covered by tests/browser; here only what the page makes of it
    monkeypatch.setattr(access, "require_page_user", signed_in)
    r = await client.get("/")
    assert r.status == 200
    return str(await r.text())


def _page_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


async def test_without_a_relay_every_page_says_approved_notices_are_not_sent(
    tmp_path: Path,
    client_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bridge")
    client = await client_for(write_config(tmp_path))
    html = await _page(client, monkeypatch)
    assert 'id="no-relay-banner"' in html
    assert "not sent" in html
    assert _page_data(html)["relay"] is False
    said = [r for r in caplog.records if "no mail relay" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING


async def test_with_a_relay_no_page_warns(
    tmp_path: Path,
    client_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bridge")
    smtp = {"host": "127.0.0.1", "port": 2525, "security": "none", "sender": "ib@example.net"}
    client = await client_for(write_config(tmp_path, extra=notice_sections(smtp, tmp_path)))
    html = await _page(client, monkeypatch)
    assert 'id="no-relay-banner"' not in html
    assert _page_data(html)["relay"] is True
    assert not [r for r in caplog.records if "no mail relay" in r.getMessage()]
