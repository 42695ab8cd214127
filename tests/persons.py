"""People signed in to the app through its real sign-in pages (password, then a TOTP code computed
with pyotp from the stored secret, as an authenticator app would), for tests that approve: only
a signed-in person with a fresh second factor sends a notice.

- ``await sign_in(client, name, now)``: sign ``name`` in; returns the headers of that session's
  state-changing requests (its CSRF token; the cookie stays in the client's jar). Against a
  real ``bridge serve``: ``await sign_in(session, name, base=bridge.url)`` with an
  ``aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))`` and the bridge's config
  saying ``auth.session.cookie_secure: false`` (plain http); the person seeded before it starts
  (``builders.seed_user``).
- ``Persons(client, clock.now)``: people of one test client, made on first use and signed in
  again once their last code is older than ``fresh`` (the step-up window's default is 5 min), so
  ``await persons.headers("olga", ["approver"])`` is always ready to approve. The client has one
  cookie jar: one person at a time.
- ``await person(client, clock.now, "olga", ["approver"])``: the same through one
  :class:`Persons` per client.
- ``await approve_outage_notice(client, clock.now)``: a reportable outage posted and its one
  draft approved by that person; the draft's id.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, PASSWORD, TOTP_SECRET, WEBHOOK_TOKEN, add_user, alert, webhook

from bridge.web.keys import SERVICE

FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def totp(now: datetime, offset: int = 0, secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app shows at ``now`` (``offset`` steps of 30 s away)."""
    return pyotp.TOTP(secret).at(int(now.timestamp()), counter_offset=offset)


async def _form_token(http: Any, url: str) -> str:
    r = await http.get(url)
    assert r.status == 200, await r.text()
    found = FORM_CSRF.search(await r.text())
    assert found, f"no csrf_token in {url}"
    return found.group(1)


async def sign_in(
    http: Any, name: str, now: datetime | None = None, base: str = "", secret: str = TOTP_SECRET
) -> dict[str, str]:
    """Sign ``name`` in (TOTP where owed, the code of ``now``, default the wall clock, from
    ``secret``) through ``http`` (an aiohttp test client, or a ClientSession with an unsafe
    cookie jar and ``base`` the bridge's URL); the headers for that session's API changes."""
    at = now or datetime.now(UTC)
    jar = http.session.cookie_jar if isinstance(http, TestClient) else http.cookie_jar
    jar.clear()
    token = await _form_token(http, base + "/login")
    r = await http.post(
        base + "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
        allow_redirects=False,
    )
    assert r.status == 303, await r.text()
    if r.headers["Location"].startswith("/login/totp"):
        token = await _form_token(http, base + "/login/totp")
        r = await http.post(
            base + "/login/totp",
            data={"code": totp(at, secret=secret), "csrf_token": token, "next": "/"},
            allow_redirects=False,
        )
        assert r.status == 303, await r.text()
    page = await http.get(base + "/")
    assert page.status == 200, await page.text()
    found = PAGE_CSRF.search(await page.text())
    assert found, "no csrf-token on the board"
    return {"X-CSRF-Token": found.group(1)}


class Persons:
    """See the module docstring."""

    def __init__(
        self,
        client: TestClient[Any, Any],
        now: Callable[[], datetime],
        fresh: timedelta = timedelta(minutes=4),
    ) -> None:
        self.client = client
        self.now = now
        self.fresh = fresh
        self._made: set[str] = set()
        self._current: tuple[str, datetime, dict[str, str]] | None = None

    async def headers(self, name: str, roles: list[str] | None = None) -> dict[str, str]:
        """Headers of ``name``'s session (made with ``roles``, default approver, on first
        use), signed in with a code given at most ``fresh`` ago."""
        if name not in self._made:
            app = self.client.server.app
            assert app is not None
            await add_user(app[SERVICE].store, name, roles or ["approver"], enrolled=True)
            self._made.add(name)
        now = self.now()
        if self._current is not None:
            who, at, headers = self._current
            if who == name and now - at < self.fresh:
                return headers
        headers = await sign_in(self.client, name, now)
        self._current = (name, now, headers)
        return headers


_PERSONS: weakref.WeakKeyDictionary[TestClient[Any, Any], Persons] = weakref.WeakKeyDictionary()


async def person(
    client: TestClient[Any, Any],
    now: Callable[[], datetime],
    name: str = "olga",
    roles: list[str] | None = None,
) -> dict[str, str]:
    """``Persons(client, now).headers(name, roles)``, one Persons per client."""
    persons = _PERSONS.get(client)
    if persons is None:
        persons = _PERSONS[client] = Persons(client, now)
    return await persons.headers(name, roles)


async def approve_outage_notice(client: TestClient[Any, Any], now: Callable[[], datetime]) -> str:
    """A reportable outage (a cell serving a hospital, begun 5 minutes before ``now()``) posted
    to the webhook, and its one draft (the Nkom varsel, version 1) approved by :func:`person`
    with every field still to complete sent as not yet known: the draft's id. Asserts that the
    bridge took both (200) and made exactly one draft."""
    start = now() - timedelta(minutes=5)
    body = webhook(alert("fp-ullevaal", start, element="no-cell-ullevaal", severity="major"))
    hook = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    r = await client.post("/api/v1/alertmanager", json=body, headers=hook)
    assert r.status == 200, await r.text()
    viewer = {"Authorization": f"Bearer {API_TOKEN}"}
    [draft] = (await (await client.get("/api/v1/drafts", headers=viewer)).json())["drafts"]
    r = await client.post(
        f"/api/v1/drafts/{draft['id']}/approve",
        json={"version": 1, "send_unknown": draft["to_complete"]},
        headers=await person(client, now),
    )
    assert r.status == 200, await r.text()
    return str(draft["id"])
