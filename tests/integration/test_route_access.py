"""Who may call which route, checked against the app itself: the route table comes from the app
(``app.router``), each route's decision from bridge/web/decisions.py (the table the handlers read),
and every route is called by people and API tokens holding each of a set of role grants, on an
outage and a privacy target where the route names one. A route without a decision, a decision
without a route, or an answer that disagrees with the decision fails. Beside it: privacy reads and
refusals are audited, the audit log per track, live streams that end with their session, and the
attachment's file name per RFC 6266."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, webhook, write_config
from fakes import FakeClock
from persons import sign_in

from bridge.notices.attachments import content_disposition
from bridge.web import decisions
from bridge.web.keys import FEED, SERVICE, SESSIONS

#: grants → the name of a person and of a token holding them
GRANTS: dict[str, list[str]] = {
    "viewer": ["viewer"],
    "editor-outage": ["editor:outage"],
    "approver-outage": ["approver:outage"],
    "viewer-privacy": ["viewer:privacy"],
    "approver-privacy": ["approver:privacy"],
    "approver-all": ["approver:all"],
    "auditor": ["auditor"],
    "auditor-privacy": ["auditor:privacy"],
    "admin-outage": ["admin:outage"],
    "admin": ["admin"],
}
SEED = {"Authorization": "Bearer test-token-for-seed"}  # opens the privacy case, reads everything
AUDIT_ALL = {"Authorization": "Bearer test-token-for-audit-all"}
#: routes not called in the matrix: signing in and out would change the caller's own session
NOT_CALLED = {"GET /login", "POST /login", "GET /login/totp", "POST /login/totp"}
NOT_CALLED |= {"GET /enrol/totp", "POST /enrol/totp", "POST /logout"}


def config(tmp_path: Path) -> Path:
    tokens = [{"name": n, "token": f"test-token-for-{n}", "roles": g} for n, g in GRANTS.items()]
    tokens += [
        {"name": "seed", "token": "test-token-for-seed", "roles": ["editor:all"]},
        {"name": "audit-all", "token": "test-token-for-audit-all", "roles": ["auditor:all"]},
    ]
    return write_config(
        tmp_path,
        extra={
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": tokens,
                "session": {"cookie_secure": False},
            },
            "notices": {"archive_dir": str(tmp_path / "sent"), "poll_interval": "1h"},
            "privacy": {"subscriber_notice_recipient": "kund@example.net"},
        },
    )


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return config(tmp_path)


@pytest.fixture
def people() -> list[tuple[str, list[str], bool]]:
    return [(name, grants, True) for name, grants in GRANTS.items()]


async def targets(client: TestClient[Any, Any], clock: FakeClock) -> dict[str, dict[str, str]]:
    """An outage incident with its Nkom draft and a privacy case with a draft: {track: ids}."""
    hospital = alert(
        "fp-ullevaal",
        clock.now() - timedelta(minutes=5),
        element="no-cell-ullevaal",
        severity="major",
        annotations={"cause": "Fiberbrudd", "expected_resolution": "2 timer"},
    )
    hook = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    r = await client.post("/api/v1/alertmanager", json=webhook(hospital), headers=hook)
    [incident] = (await r.json())["incidents"]
    case = {
        "detected_at": rfc3339(clock.now() - timedelta(minutes=20)),
        "jurisdictions": ["SE"],
        "circumstances": ["theft"],
        "data_categories": ["traffic"],
        "affected": 1200,
        "description": "Laptop with call-detail records stolen",
    }
    r = await client.post("/api/v1/privacy/cases", json=case, headers=SEED)
    assert r.status == 201, await r.text()
    created = await r.json()
    drafts = (await (await client.get("/api/v1/drafts", headers=SEED)).json())["drafts"]
    outage_draft = next(d["id"] for d in drafts if d["track"] == "outage")
    privacy_draft = next(d["id"] for d in drafts if d["track"] == "privacy")
    return {
        "outage": {"id": incident, "draft": outage_draft},
        "privacy": {"id": created["id"], "draft": privacy_draft},
    }


def privacy_scoped(grants: list[str]) -> bool:
    """The one rule of tracks, stated apart from the code: only ``…:privacy`` or ``…:all``
    grants reach the privacy track (an unscoped grant covers the outage track only)."""
    return any(g.endswith((":privacy", ":all")) for g in grants)


def calls(method: str, path: str, ids: dict[str, dict[str, str]]) -> list[tuple[str, str | None]]:
    """(url, the track of the target it names, or None) to call for one route: the targets'
    tracks are facts of the samples, not read from the decisions."""
    if path == "/static":
        return [("/static/console.js", None)]
    fixed = {"{n}": "1", "{name}": "nobody-here", "{file}": "nothing.eml"}
    if path.startswith("/api/v1/tokens/"):
        fixed["{id}"] = "no-such-token"
    for key, value in fixed.items():
        path = path.replace(key, value)
    if "{id}" not in path:
        return [(path, None)]
    if path.startswith(("/api/v1/privacy/", "/privacy/")):  # the privacy track's cases
        return [(path.replace("{id}", ids["privacy"]["id"]), "privacy")]
    kind = "draft" if "drafts/" in path else "id"
    return [(path.replace("{id}", ids[t][kind]), t) for t in ("outage", "privacy")]


async def call(client: TestClient[Any, Any], method: str, url: str, headers: dict[str, str]) -> int:
    kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False}
    if method != "GET":
        kwargs["json"] = {}
    async with client.request(method, url, **kwargs) as r:
        return r.status  # a live stream is left at its first bytes


def routes_of(client: TestClient[Any, Any]) -> set[str]:
    app = client.server.app
    assert app is not None
    found = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        path = route.resource.canonical if route.resource is not None else ""
        found.add(decisions.route_key(route.method, path))
    return found


async def test_every_route_has_one_decision(client):
    """The app's route table (from app.router) and the decisions table name the same routes."""
    found = routes_of(client)
    assert found - set(decisions.NEEDS) == set(), "routes without a decision"
    assert set(decisions.NEEDS) - found == set(), "decisions without a route"
    for key, need in decisions.NEEDS.items():
        assert need.who in decisions.WHO, key
        assert need.track in ("outage", "privacy", "target", "own", "-", "roles"), key
        assert need.what, key


async def test_every_route_answers_every_role_as_its_decision_says(client, clock):
    """People (signed in with TOTP) and API tokens of each grant set call every route, on an
    outage and a privacy target where it names one: 403 exactly where the decision refuses (an
    API token also on the routes that send), never 401 for a signed-in person."""
    ids = await targets(client, clock)
    keys = sorted(routes_of(client) - NOT_CALLED)
    tokens = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())  # no person's cookie
    try:
        await each_role_on_each_route(client, tokens, clock, ids, keys)
    finally:
        await tokens.close()


async def each_role_on_each_route(
    client: TestClient[Any, Any],
    tokens: aiohttp.ClientSession,
    clock: FakeClock,
    ids: dict[str, dict[str, str]],
    keys: list[str],
) -> None:
    for name, grants in GRANTS.items():
        person = await sign_in(client, name, clock.now())
        token = {"Authorization": f"Bearer test-token-for-{name}"}
        for key in keys:
            method, path = key.split(" ", 1)
            need = decisions.NEEDS[key]
            for url, track in calls(method, path, ids):
                allowed = decisions.allowed(need, grants, track)
                status = await call(client, method, url, person)
                where = f"{name} {method} {url}: {status}"
                if "privacy" in (track, need.track) and not privacy_scoped(grants):
                    assert status == 403, f"the one rule of tracks: {where}"
                if need.who == "webhook":
                    assert status == 401, where
                elif need.who == "public" or allowed:
                    assert status not in (401, 403), where
                else:
                    assert status == 403, where
                if need.who in ("caller", "person+factor"):
                    status = await call(tokens, method, str(client.make_url(url)), token)
                    where = f"token {name} {method} {url}: {status}"
                    assert (status == 403) == (not allowed or need.who == "person+factor"), where
                elif need.who == "person":
                    status = await call(tokens, method, str(client.make_url(url)), token)
                    assert status == 303, f"token {name} {method} {url}: {status}"  # sign in
        clock.advance(timedelta(seconds=31))  # the next person's sign-in code: a new step


async def audited(client: TestClient[Any, Any], action: str, target: str) -> list[str]:
    r = await client.get("/api/v1/audit", params={"target": target}, headers=AUDIT_ALL)
    assert r.status == 200, await r.text()
    return [e["actor"] for e in (await r.json())["entries"] if e["action"] == action]


async def test_a_privacy_case_through_the_incident_route_needs_the_privacy_role(client, clock):
    """Outage roles (unscoped viewer, approver:outage) get 403 for a priv- id through
    /api/v1/incidents/{id}, each refusal audited; a privacy viewer reads it, the read audited."""
    ids = await targets(client, clock)
    case_id = ids["privacy"]["id"]
    for who in ("viewer", "approver-outage"):
        r = await client.get(
            f"/api/v1/incidents/{case_id}",
            headers={"Authorization": f"Bearer test-token-for-{who}"},
        )
        assert r.status == 403
    assert await audited(client, "privacy.refused", f"privacy:{case_id}") == [
        "token:approver-outage",
        "token:viewer",
    ]
    r = await client.get(
        f"/api/v1/incidents/{case_id}",
        headers={"Authorization": "Bearer test-token-for-viewer-privacy"},
    )
    assert r.status == 200 and (await r.json())["drafts"]
    # newest first: this read, then the seed's drafts list that showed the case's drafts
    assert await audited(client, "privacy.read", f"privacy:{case_id}") == [
        "token:viewer-privacy",
        "token:seed",
    ]


async def test_an_outage_persons_board_writes_no_privacy_entries(client, clock):
    """The board's reads (open incidents, drafts needing a person) by an unscoped viewer show no
    privacy draft and write no privacy.* audit entry, while privacy drafts exist."""
    await targets(client, clock)
    await sign_in(client, "viewer", clock.now())
    before = await client.get("/api/v1/audit", params={"limit": "1000"}, headers=AUDIT_ALL)
    count = len([e for e in (await before.json())["entries"] if e["action"].startswith("privacy.")])
    drafts = (await (await client.get("/api/v1/drafts?state=draft,held,failed,in_doubt")).json())[
        "drafts"
    ]
    assert drafts and all(d["track"] == "outage" for d in drafts)
    assert (await client.get("/api/v1/incidents?state=open")).status == 200
    after = await client.get("/api/v1/audit", params={"limit": "1000"}, headers=AUDIT_ALL)
    assert (
        len([e for e in (await after.json())["entries"] if e["action"].startswith("privacy.")])
        == count
    )


async def test_auditors_read_the_audit_log_of_their_tracks(client, clock):
    """A bare auditor reads the audit log (outage entries only), an auditor:privacy only the
    privacy track's, a track-scoped admin only its track's, auditor:all both; asking for a privacy
    case's entries without the privacy track is 403, audited."""
    ids = await targets(client, clock)

    async def tracks(who: str) -> set[str]:
        r = await client.get(
            "/api/v1/audit",
            params={"limit": "1000"},
            headers={"Authorization": f"Bearer test-token-for-{who}"},
        )
        assert r.status == 200, await r.text()
        return {
            (
                "privacy"
                if e["target"].startswith("privacy:") or "priv-" in e["target"]
                else "outage"
            )
            for e in (await r.json())["entries"]
        }

    assert ids and await tracks("auditor") == {"outage"}
    assert await tracks("auditor-privacy") == {"privacy"}
    assert await tracks("admin-outage") == {"outage"}
    assert await tracks("audit-all") == {"outage", "privacy"}
    r = await client.get("/api/v1/audit", headers={"Authorization": "Bearer test-token-for-viewer"})
    assert r.status == 403
    case = f"privacy:{ids['privacy']['id']}"
    r = await client.get(
        "/api/v1/audit",
        params={"target": case},
        headers={"Authorization": "Bearer test-token-for-auditor"},
    )
    assert r.status == 403
    assert await audited(client, "privacy.refused", case) == ["token:auditor"]


async def test_a_live_stream_ends_when_its_session_ends_or_roles_change(client, clock):
    """A person's live stream ends once they sign out, and once an admin (a person with a
    fresh code, in a browser of their own) changes their roles through the API; the feed
    counts both."""
    app = client.server.app
    assert app is not None
    feed = app[FEED]
    admin_browser = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    base = str(client.make_url("/")).rstrip("/")
    try:
        await stream_ends(client, clock, feed, admin_browser, base)
    finally:
        await admin_browser.close()


async def stream_ends(
    client: TestClient[Any, Any],
    clock: FakeClock,
    feed: Any,
    admin_browser: aiohttp.ClientSession,
    base: str,
) -> None:
    admin = await sign_in(admin_browser, "admin", clock.now(), base=base)
    for end in ("sign-out", "roles"):
        person = await sign_in(client, "viewer", clock.now())
        ended = feed.ended
        async with client.get("/api/v1/events") as stream:
            assert stream.status == 200
            await stream.content.readuntil(b"\n\n")  # the retry hint: subscribed
            if end == "sign-out":
                r = await client.post("/logout", headers=person, allow_redirects=False)
                assert r.status == 303
            else:
                body = {"roles": ["viewer", "editor:outage"]}
                url = base + "/api/v1/users/viewer"
                async with admin_browser.patch(url, json=body, headers=admin) as r:
                    assert r.status == 200, await r.text()
            rest = await asyncio.wait_for(stream.content.read(), 10)  # the stream's end
            assert b"event: changed" not in rest
        assert feed.ended == ended + 1
        clock.advance(timedelta(seconds=31))


async def test_a_storm_of_rechecks_costs_a_live_stream_one_session_lookup(client, clock):
    """Every state-changing request (each webhook of a storm) rechecks every stream; a stream
    looks its session up in the store once per wake, not once per request."""
    app = client.server.app
    assert app is not None
    feed, store = app[FEED], app[SESSIONS].store
    looked_up: list[str] = []
    get_session = store.get_session

    async def counted(id_hash: str) -> Any:  # the real store, its calls counted
        looked_up.append(id_hash)
        return await get_session(id_hash)

    await sign_in(client, "viewer", clock.now())
    async with client.get("/api/v1/events") as stream:
        assert stream.status == 200
        await stream.content.readuntil(b"\n\n")  # the retry hint: subscribed
        store.get_session = counted
        for _ in range(500):
            feed.recheck()
        assert await stream.content.readuntil(b"\n\n") == b": keep-alive\n\n"
        # a change after every recheck: once its event is written, they were all handled
        hospital = alert("fp-storm", clock.now(), element="no-cell-ullevaal", severity="major")
        await app[SERVICE].ingest(webhook(hospital))
        assert await feed.check() is not None
        rest = await asyncio.wait_for(stream.content.readuntil(b"event: changed\n"), 10)
    assert len(looked_up) == 2, len(looked_up)  # the rechecks' wake, the event's
    assert b"keep-alive" not in rest


def test_attachment_file_names_are_quoted_per_rfc_6266():
    """The file name loses quotes, backslashes and line breaks (each run a ``-``), is an ASCII
    quoted-string in filename (non-ASCII as ``_``) and UTF-8 percent-encoded in filename*."""
    header = content_disposition('PTS "rapport"\\\r\nÖstersund.docx')
    assert header == (
        'attachment; filename="PTS -rapport-_stersund.docx"'
        + "; filename*=UTF-8''PTS%20-rapport-%C3%96stersund.docx"
    )
