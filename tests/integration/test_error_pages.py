"""Error answers for people and for programs: a browser on a console route gets an HTML page with
a way back; API clients and probes keep the JSON body unchanged."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from builders import API_TOKEN

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_a_browser_gets_an_html_404_with_a_way_back(client: TestClient[Any, Any]) -> None:
    """An unknown console path asked for by a browser is an HTML 404 linking to the board."""
    r = await client.get("/no-such-page", headers=BROWSER)
    assert r.status == 404
    assert r.content_type == "text/html"
    page = await r.text()
    assert 'id="error-title">404 Not Found' in page
    assert 'href="/" id="error-back"' in page and 'href="/login"' in page
    assert "Content-Security-Policy" in r.headers


async def test_api_clients_keep_their_json_errors(client: TestClient[Any, Any]) -> None:
    """API paths answer JSON even to a browser's Accept; a program's 404 elsewhere is JSON too."""
    r = await client.get("/api/v1/no-such-thing", headers=BROWSER)
    assert r.status == 404 and r.content_type == "application/json"
    assert (await r.json())["error"] == "not found"
    r = await client.get("/no-such-page", headers={"Accept": "application/json"})
    assert r.status == 404 and r.content_type == "application/json"
    r = await client.get("/no-such-page")
    assert r.status == 404 and r.content_type == "application/json"
    auth = {"Authorization": f"Bearer {API_TOKEN}", **BROWSER}
    r = await client.get("/api/v1/incidents/inc-unknown", headers=auth)
    assert r.status == 404 and r.content_type == "application/json"
