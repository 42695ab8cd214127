"""Managing people and API tokens, through the real app and store with an injected clock: it takes
a signed-in person with a fresh second factor (never an API token), and admin on every track the
change gives, takes or touches (an outage admin gives no privacy role, makes no privacy token and
cannot reset, disable or change a privacy approver); nobody raises their own roles; a stored
token's name follows the user-name pattern and names one live token (never a configured one's,
in any case), so ``token:NAME`` in the audit names one caller. The reproductions of the audit of
main, one by one."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import token_config
from persons import sign_in, totp

from bridge.web.keys import SERVICE

T_ADMIN = {"Authorization": "Bearer test-token-for-t-admin"}  # admin: the outage track only
T_ADMIN_ALL = {"Authorization": "Bearer test-token-for-t-admin-all"}  # admin:all
AUDITOR = {"Authorization": "Bearer test-token-for-auditor"}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return token_config(
        tmp_path,
        {
            "t-admin": ["admin"],
            "t-admin-all": ["admin:all"],
            "auditor": ["auditor:all"],
            "NOC-READONLY": ["viewer"],
        },
        session={"cookie_secure": False, "step_up_window": "5m"},
        privacy={"subscriber_notice_recipient": "kund@example.net"},
    )


@pytest.fixture
def people() -> list[tuple[str, list[str], bool]]:
    return [
        ("ops", ["admin"], True),  # an outage admin
        ("root", ["admin:all"], True),  # admin on both tracks
        ("privappr", ["approver:privacy"], True),  # a privacy approver
        ("vera", ["viewer"], False),  # an outage viewer
    ]


def store_of(client: TestClient[Any, Any]) -> Any:
    app = client.server.app
    assert app is not None
    return app[SERVICE].store


async def detail(r: Any) -> str:
    return str((await r.json())["detail"])


async def actions(client: TestClient[Any, Any]) -> list[str]:
    """The audit's entries about people and tokens (their actions)."""
    r = await client.get("/api/v1/audit", params={"limit": "1000"}, headers=AUDITOR)
    assert r.status == 200, await r.text()
    return [
        e["action"]
        for e in (await r.json())["entries"]
        if e["action"].startswith(("user.", "token."))
    ]


async def test_an_api_token_manages_no_person_and_no_token(client, clock):
    """The audit's reproduction: an API token with admin (and one with admin:all) gets 403
    naming why for making a token with a privacy role, adding a person, resetting a privacy
    approver and revoking a token; nothing is stored. Both may still read the lists."""
    root = await sign_in(client, "root", clock.now())
    r = await client.post("/api/v1/tokens", json={"name": "ci", "roles": ["viewer"]}, headers=root)
    assert r.status == 201, await r.text()
    token_id = (await r.json())["token"]["id"]
    client.session.cookie_jar.clear()
    before = await actions(client)
    for bearer in (T_ADMIN, T_ADMIN_ALL):
        r = await client.get("/api/v1/privacy/cases", headers=bearer)
        assert r.status == (403 if bearer is T_ADMIN else 200)
        calls = [
            ("POST", "/api/v1/tokens", {"name": "escal", "roles": ["viewer:privacy"]}),
            ("POST", "/api/v1/tokens", {"name": "escal", "roles": ["viewer"]}),
            ("POST", "/api/v1/users", {"name": "ghost", "roles": ["approver:all"],
                                       "password": "a long password 1"}),
            ("POST", "/api/v1/users", {"name": "ghost", "roles": ["viewer"]}),
            ("PATCH", "/api/v1/users/privappr", {"reset_password": True, "reset_totp": True}),
            ("PATCH", "/api/v1/users/vera", {"disabled": True}),
            ("POST", f"/api/v1/tokens/{token_id}/revoke", {}),
        ]  # fmt: skip
        for method, url, body in calls:
            r = await client.request(method, url, json=body, headers=bearer)
            assert r.status == 403, (method, url, r.status)
            assert "is an API token" in await detail(r) and "TOTP code" in await detail(r)
        assert (await client.get("/api/v1/users", headers=bearer)).status == 200
        assert (await client.get("/api/v1/tokens", headers=bearer)).status == 200
    store = store_of(client)
    assert await store.get_user("ghost") is None
    assert [t.name for t in await store.list_tokens()] == ["ci"]
    assert (await store.get_token(token_id)).revoked_at is None
    privappr = await store.get_user("privappr")
    assert privappr.totp_enrolled and not (await store.get_user("vera")).disabled
    assert await actions(client) == before  # nothing was done, so nothing audited


async def test_an_outage_admin_with_a_fresh_code_stays_on_the_outage_track(client, clock):
    """A person holding admin (the outage track), signed in with TOTP a moment ago: making a
    token with viewer:privacy, adding a person with approver:all, giving viewer:privacy,
    resetting, disabling or renaming the privacy approver and revoking a privacy token are 403
    naming the privacy track, nothing changed; the same on the outage track is done."""
    root = await sign_in(client, "root", clock.now())
    r = await client.post(
        "/api/v1/tokens", json={"name": "dpo-feed", "roles": ["viewer:privacy"]}, headers=root
    )
    assert r.status == 201, await r.text()
    privacy_token = (await r.json())["token"]["id"]
    clock.advance(timedelta(seconds=31))
    ops = await sign_in(client, "ops", clock.now())
    store = store_of(client)
    privappr = await store.get_user("privappr")
    refused = [
        ("POST", "/api/v1/tokens", {"name": "escal", "roles": ["viewer:privacy"]}),
        ("POST", "/api/v1/tokens", {"name": "escal", "roles": ["viewer", "auditor:all"]}),
        ("POST", "/api/v1/users", {"name": "ghost", "roles": ["approver:all"],
                                   "password": "a long password 1"}),
        ("PATCH", "/api/v1/users/vera", {"roles": ["viewer", "viewer:privacy"]}),
        ("PATCH", "/api/v1/users/privappr", {"reset_password": True, "reset_totp": True}),
        ("PATCH", "/api/v1/users/privappr", {"password": "another long password"}),
        ("PATCH", "/api/v1/users/privappr", {"disabled": True}),
        ("PATCH", "/api/v1/users/privappr", {"display_name": "Mallory"}),
        ("PATCH", "/api/v1/users/privappr", {"roles": ["viewer"]}),  # taking it away too
        ("POST", f"/api/v1/tokens/{privacy_token}/revoke", {}),
    ]  # fmt: skip
    for method, url, body in refused:
        r = await client.request(method, url, json=body, headers=ops)
        assert r.status == 403, (method, url, body, r.status, await r.text())
        assert "ops lacks admin on the privacy track" in await detail(r), await detail(r)
    r = await client.get("/api/v1/audit", params={"limit": "1000"}, headers=AUDITOR)
    tried = [
        e["target"]
        for e in (await r.json())["entries"]
        if e["action"] == "privacy.refused" and e["actor"] == "ops"
    ]
    assert len(tried) == len(refused) and "user:privappr" in tried  # each attempt is audited
    assert await store.get_user("ghost") is None
    assert await store.get_user("privappr") == privappr  # password, TOTP, roles, name as before
    assert (await store.get_user("vera")).grants == ("viewer",)
    assert {t.name for t in await store.list_tokens()} == {"dpo-feed"}
    assert (await store.get_token(privacy_token)).revoked_at is None

    r = await client.patch("/api/v1/users/vera", json={"roles": ["editor"]}, headers=ops)
    assert r.status == 200, await r.text()
    r = await client.post(
        "/api/v1/users", json={"name": "otto", "roles": ["approver:outage"]}, headers=ops
    )
    assert r.status == 201, await r.text()
    r = await client.post(
        "/api/v1/tokens", json={"name": "grafana", "roles": ["viewer"]}, headers=ops
    )
    assert r.status == 201, await r.text()


async def test_an_admin_of_both_tracks_manages_a_privacy_approver(client, clock):
    """admin:all with a fresh code resets the privacy approver (a one-time password, TOTP to
    enrol again) and makes a privacy token; the audit names the person and when the code was
    given."""
    signed_at = clock.now()
    root = await sign_in(client, "root", signed_at)
    body = {"reset_password": True, "reset_totp": True}
    r = await client.patch("/api/v1/users/privappr", json=body, headers=root)
    assert r.status == 200, await r.text()
    answer = await r.json()
    assert answer["password"] and answer["user"]["totp_enrolled"] is False
    r = await client.post(
        "/api/v1/tokens", json={"name": "dpo-feed", "roles": ["viewer:privacy"]}, headers=root
    )
    assert r.status == 201, await r.text()
    r = await client.get("/api/v1/audit", params={"target": "user:privappr"}, headers=AUDITOR)
    entries = {e["action"]: e for e in (await r.json())["entries"]}
    for action in ("user.totp_reset", "user.password"):
        assert entries[action]["actor"] == "root"
        assert entries[action]["detail"]["second_factor"] == "totp"
        assert entries[action]["detail"]["second_factor_at"] == signed_at.isoformat().replace(
            "+00:00", "Z"
        )


async def test_a_stale_step_up_is_refused_and_a_fresh_code_is_used_once(client, clock):
    """The audit's reproduction: an admin session whose step-up window has run out gets 403
    naming the TOTP code for a password and TOTP reset (no one-time password in the answer,
    nothing changed); with a fresh code it is done; the same code again is refused."""
    root = await sign_in(client, "root", clock.now())
    clock.advance(timedelta(minutes=6))
    store = store_of(client)
    privappr = await store.get_user("privappr")
    body = {"reset_password": True, "reset_totp": True}
    r = await client.patch("/api/v1/users/privappr", json=body, headers=root)
    assert r.status == 403 and "TOTP code" in await detail(r)
    assert "password" not in await r.json()
    for method, url, extra in (
        ("POST", "/api/v1/users", {"name": "ghost", "roles": ["viewer"]}),
        ("POST", "/api/v1/tokens", {"name": "ci", "roles": ["viewer"]}),
    ):
        r = await client.request(method, url, json=extra, headers=root)
        assert r.status == 403 and "TOTP code" in await detail(r), await r.text()
    assert await store.get_user("privappr") == privappr
    assert await store.get_user("ghost") is None and await store.list_tokens() == []
    code = totp(clock.now())
    r = await client.patch("/api/v1/users/privappr", json={**body, "totp": code}, headers=root)
    assert r.status == 200 and (await r.json())["password"], await r.text()
    r = await client.patch(
        "/api/v1/users/vera", json={"disabled": True, "totp": code}, headers=root
    )
    assert r.status == 403 and "wrong or used" in await detail(r)


async def test_nobody_raises_their_own_roles(client, clock):
    """An admin cannot add a role to themselves, even one on a track they hold admin on
    (another admin gives it); dropping one they hold is done."""
    root = await sign_in(client, "root", clock.now())
    for roles in (["admin:all", "auditor:all"], ["admin:all", "auditor"]):
        r = await client.patch("/api/v1/users/root", json={"roles": roles}, headers=root)
        assert r.status == 403, await r.text()
        assert "cannot raise their own roles" in await detail(r)
    assert (await store_of(client).get_user("root")).grants == ("admin:all",)
    clock.advance(timedelta(seconds=31))
    ops = await sign_in(client, "ops", clock.now())
    r = await client.patch("/api/v1/users/ops", json={"roles": ["admin", "auditor"]}, headers=ops)
    assert r.status == 403 and "cannot raise their own roles" in await detail(r)
    r = await client.patch("/api/v1/users/root", json={"roles": ["admin", "auditor"]}, headers=ops)
    assert r.status == 403  # root holds admin:all: the privacy track is touched
    r = await client.patch("/api/v1/users/ops", json={"roles": ["admin"]}, headers=ops)
    assert r.status == 200, await r.text()  # no change is no raise


@pytest.mark.parametrize(
    "name",
    [
        "a\u0000b",  # NUL
        "ok\u202e",  # right-to-left override
        "noc-readonly",  # a configured token's name in another case (NOC-READONLY)
        "NOC-READONLY",  # the configured name itself
        "Grafana",  # upper case
        "ci two",  # a space
        "",
        "x" * 65,
    ],
)
async def test_a_token_name_follows_the_user_name_pattern_and_names_one_caller(client, clock, name):
    """POST /api/v1/tokens with an odd name, or a configured token's name in any case, is 400
    naming ``name``; nothing is stored."""
    root = await sign_in(client, "root", clock.now())
    r = await client.post("/api/v1/tokens", json={"name": name, "roles": ["viewer"]}, headers=root)
    assert r.status == 400, await r.text()
    assert (await detail(r)).startswith("name: ")
    assert await store_of(client).list_tokens() == []


async def test_two_live_tokens_never_share_a_name(client, clock):
    """A second live token under a live token's name is 400 naming ``name`` (the audit's
    ``token:NAME`` would name both); once the first is revoked the name is free again (at any
    moment one live token carries it, so the audit's actor and time name one token)."""
    root = await sign_in(client, "root", clock.now())
    r = await client.post("/api/v1/tokens", json={"name": "ci", "roles": ["viewer"]}, headers=root)
    assert r.status == 201, await r.text()
    first = (await r.json())["token"]["id"]
    r = await client.post("/api/v1/tokens", json={"name": "ci", "roles": ["editor"]}, headers=root)
    assert r.status == 400 and (await detail(r)).startswith("name: "), await r.text()
    assert f"live token {first}" in await detail(r)
    assert len(await store_of(client).list_tokens()) == 1
    r = await client.post(f"/api/v1/tokens/{first}/revoke", json={}, headers=root)
    assert r.status == 200, await r.text()
    r = await client.post("/api/v1/tokens", json={"name": "ci", "roles": ["viewer"]}, headers=root)
    assert r.status == 201, await r.text()


async def test_tokens_asked_for_at_once_under_one_name_leave_one_live(client, clock):
    """Four POST /api/v1/tokens under one new name at the same instant (each reads the live
    names before any is stored): one is 201, the others 400 naming ``name`` and the live token,
    and one token is stored."""
    root = await sign_in(client, "root", clock.now())
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/tokens", json={"name": "ci", "roles": ["viewer"]}, headers=root)
            for _ in range(4)
        )
    )
    assert sorted(r.status for r in answers) == [201, 400, 400, 400], [
        await r.text() for r in answers
    ]
    (made,) = [(await r.json())["token"]["id"] for r in answers if r.status == 201]
    for r in answers:
        if r.status == 400:
            assert (await detail(r)).startswith("name: 'ci' is the name of the live token ")
            assert made in await detail(r)
    assert [t.id for t in await store_of(client).list_tokens()] == [made]


async def test_a_revoke_needs_no_body_within_the_window(client, clock):
    """Revoking within the step-up window takes no body (as before)."""
    root = await sign_in(client, "root", clock.now())
    r = await client.post("/api/v1/tokens", json={"name": "ci", "roles": ["viewer"]}, headers=root)
    token_id = (await r.json())["token"]["id"]
    r = await client.post(f"/api/v1/tokens/{token_id}/revoke", headers=root)
    assert r.status == 200 and (await r.json())["token"]["revoked_at"], await r.text()
