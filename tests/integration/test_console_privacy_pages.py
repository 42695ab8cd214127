"""The console's privacy pages through the app factory, real sign-in (password + TOTP) and a
real SQLite store: only people with viewer on the privacy track see the Privacy link and get
the pages; others get the 403 page, and each refusal is audited like the API's; with the track
off the pages are 404. (What the pages show and do: tests/browser/test_privacy_browser.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, write_config
from fakes import FakeClock
from test_auth import sign_in

PEOPLE = {
    "arne": ["approver:outage"],  # outage only: no privacy pages
    "vera": ["viewer:outage"],
    "pia": ["viewer:privacy"],
    "paul": ["approver:privacy", "viewer:outage"],
}
PRIVACY_PAGES = ["/privacy", "/privacy/priv-20261123-0000abcd"]


def config(tmp_path: Path, privacy: bool) -> Path:
    extra: dict[str, Any] = {
        "auth": {
            "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
            "api_tokens": [
                {
                    "name": "audit",
                    "token": "test-token-for-audit",
                    "roles": ["viewer", "auditor:all"],
                }
            ],
            "session": {"cookie_secure": False},  # the test client speaks plain http
        },
        "notices": {"archive_dir": str(tmp_path / "sent"), "poll_interval": "1h"},
    }
    if privacy:
        extra["privacy"] = {"subscriber_notice_recipient": "kund@example.net"}
    return write_config(tmp_path, extra=extra)


@pytest.fixture
def config_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The privacy track on, unless parametrised indirectly with ``False``."""
    return config(tmp_path, privacy=getattr(request, "param", True))


@pytest.fixture
def people() -> list[tuple[str, list[str], bool]]:
    return [(name, roles, name in ("arne", "paul")) for name, roles in PEOPLE.items()]


async def as_person(client: TestClient[Any, Any], clock: FakeClock, name: str) -> None:
    """Sign ``name`` in on this client (the previous person's session cookie dropped)."""
    client.session.cookie_jar.clear()
    await sign_in(client, clock, name)


async def refusals(client: TestClient[Any, Any]) -> list[tuple[str, str, str]]:
    r = await client.get(
        "/api/v1/audit",
        params={"limit": "1000"},
        headers={"Authorization": "Bearer test-token-for-audit"},
    )
    assert r.status == 200, await r.text()
    return [
        (e["actor"], e["target"], e["detail"]["path"])
        for e in reversed((await r.json())["entries"])
        if e["action"] == "privacy.refused"
    ]


@pytest.mark.parametrize("name", ["arne", "vera"])
async def test_people_without_the_privacy_role_get_403_pages_and_no_link(
    client: TestClient[Any, Any], clock: FakeClock, name: str
) -> None:
    """An outage approver and an outage viewer: no Privacy link on the board, the 403 page
    (naming the role) on both privacy pages, every refusal in the audit log."""
    await as_person(client, clock, name)
    board = await client.get("/")
    assert board.status == 200
    assert 'href="/privacy"' not in await board.text()
    for path in PRIVACY_PAGES:
        r = await client.get(path)
        assert r.status == 403, path
        html = await r.text()
        assert 'id="forbidden"' in html and "privacy viewer role" in html
        assert "privacy.js" not in html and "privacy_case.js" not in html
    assert await refusals(client) == [
        (name, "privacy:cases", "/privacy"),
        (name, "privacy:priv-20261123-0000abcd", "/privacy/priv-20261123-0000abcd"),
    ]


@pytest.mark.parametrize("name", ["pia", "paul"])
async def test_privacy_viewers_get_the_link_and_the_pages(
    client: TestClient[Any, Any], clock: FakeClock, name: str
) -> None:
    """A privacy viewer (no outage role) and a privacy approver: the Privacy link, and both
    page shells with their module and the form's enumerations from the core."""
    await as_person(client, clock, name)
    board = await client.get("/")
    assert 'href="/privacy"' in await board.text()
    r = await client.get("/privacy")
    assert r.status == 200
    html = await r.text()
    assert "/static/privacy.js" in html
    assert 'href="/privacy" aria-current="page"' in html
    assert '"unauthorised_disclosure"' in html and '"no_adverse_effect"' in html
    assert "/api/v1/privacy/register.csv" in html and "/api/v1/privacy/register.xlsx" in html
    r = await client.get("/privacy/priv-20261123-0000abcd")
    assert r.status == 200
    html = await r.text()
    assert "/static/privacy_case.js" in html and '"case":"priv-20261123-0000abcd"' in html
    assert await refusals(client) == []


@pytest.mark.parametrize("config_path", [False], indirect=True)
async def test_track_off_pages_are_404(client: TestClient[Any, Any], clock: FakeClock) -> None:
    """Without a privacy section the pages do not exist, and no one is offered the link."""
    await as_person(client, clock, "paul")
    board = await client.get("/")
    assert 'href="/privacy"' not in await board.text()
    for path in PRIVACY_PAGES:
        r = await client.get(path)
        assert r.status == 404, path
