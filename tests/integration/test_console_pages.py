"""Console page shells through the app factory: no session → login redirect, bundled assets
served from the package (no CDN), strict CSP, the unverified-rule-set banner and the CSRF meta
tag on a signed-in page."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp.test_utils import TestClient

from bridge.web.auth import Principal
from bridge.web.console import frame

PAGES = [
    "/",
    "/incidents/inc-1",
    "/drafts/inc-1.nkom_varsel",
    "/sent",
    "/audit",
    "/users",
    "/privacy",
    "/privacy/priv-20261123-0000abcd",
]


@pytest.mark.parametrize("path", PAGES)
async def test_page_without_session_redirects_to_login(
    client: TestClient[Any, Any], path: str
) -> None:
    """Every console page sends a visitor without a session to /login, coming back after."""
    r = await client.get(path, allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"].startswith("/login?next=")
    assert unquote(r.headers["Location"]) == f"/login?next={path}"


ASSETS = [
    "console.css",
    "console.js",
    "board.js",
    "draft.js",
    "audit.js",
    "zoned.js",
    "clock.js",
    "time_field.js",
]
PRIVACY_ASSETS = ["privacy.js", "privacy_case.js", "privacy_form.js"]


@pytest.mark.parametrize("name", [*ASSETS, *PRIVACY_ASSETS])
async def test_static_assets_are_bundled(client: TestClient[Any, Any], name: str) -> None:
    """CSS and JavaScript come from the package itself; no page refers to another host."""
    r = await client.get(f"/static/{name}")
    assert r.status == 200, name
    body = await r.text()
    assert "http://" not in body and "https://" not in body
    assert r.headers["Cache-Control"] == "no-cache"


async def test_rendered_page_has_csp_banner_and_csrf_meta(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signed-in page carries the CSRF meta tag, a strict CSP, the banner naming the shipped
    rule sets that are not verified and the one naming the rule set of a repealed regime."""
    from bridge.web import access
    from bridge.web.console import session_middleware

    async def signed_in(request: Any) -> Principal:
        return Principal("anna", ("approver",))

    # the real sign-in is covered by tests/browser; here only what the page makes of it
    monkeypatch.setattr(access, "require_page_user", signed_in)
    monkeypatch.setattr(session_middleware, "csrf_token", lambda request: "tok-123")
    r = await client.get("/")
    assert r.status == 200
    html = await r.text()
    assert '<meta name="csrf-token" content="tok-123">' in html
    assert "pts-outage" in html and "nkom-varsel" in html and "Unverified rule set" in html
    # the PTS outage rule set encodes the repealed LEK 8 kap.: every page says so
    assert 'id="repealed-banner"' in html and "repealed on 2026-01-15" in html
    assert r.headers["Content-Security-Policy"] == frame.CSP
    assert "script-src 'self';" in frame.CSP
    assert 'href="/audit"' not in html  # an approver is neither admin nor auditor
    assert 'href="/users"' not in html


async def test_incident_page_carries_the_alertmanager_url_for_silence_links(
    client_for: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With alertmanager.url set, the incident page's data carries it (its script links each
    alert to a new silence there); without it, the data says none."""
    import json
    import re

    from builders import write_config

    from bridge.web import access

    async def signed_in(request: Any) -> Principal:
        return Principal("anna", ("viewer",))

    monkeypatch.setattr(access, "require_page_user", signed_in)
    am = {"alertmanager": {"url": "https://alertmanager.example.net/"}}
    client = await client_for(write_config(tmp_path, extra=am))
    html = await (await client.get("/incidents/inc-1")).text()
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html)
    assert found
    data = json.loads(found.group(1))
    assert data["incident"] == "inc-1"
    assert data["alertmanager"] == "https://alertmanager.example.net"


@pytest.mark.parametrize(
    ("grants", "tracks", "privacy_prefix"),
    [
        (("auditor",), ["outage"], False),
        (("auditor:privacy",), ["privacy"], True),
        (("admin", "auditor:privacy"), ["outage", "privacy"], True),
    ],
)
async def test_audit_page_names_the_tracks_read_and_suggests_only_their_actions(
    client: TestClient[Any, Any],
    monkeypatch: pytest.MonkeyPatch,
    grants: tuple[str, ...],
    tracks: list[str],
    privacy_prefix: bool,
) -> None:
    """The audit page's data says whose entries the person reads (the API's track rule) and
    offers ``privacy.`` only to a privacy auditor; its script comes from this origin only."""
    import json
    import re

    from bridge.web import access

    async def signed_in(request: Any) -> Principal:
        return Principal("carl", grants)

    monkeypatch.setattr(access, "require_page_user", signed_in)
    r = await client.get("/audit")
    assert r.status == 200
    html = await r.text()
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html)
    assert found
    data = json.loads(found.group(1))
    assert data["tracks"] == tracks
    assert ("privacy." in data["actions"]) is privacy_prefix
    assert "draft." in data["actions"]
    assert re.search(r'<script type="module" src="/static/audit\.js\?v=[^"]+"></script>', html)
