"""No notice leaves without a person's fresh second factor, through the real app and store with
an injected clock: approving, resending, marking sent and the privacy exemption take a signed-in
person whose TOTP code was given with the request or within ``auth.session.step_up_window`` before
it in the same session; API tokens are refused naming why; a code is single use; the audit entry
names the person and when the code was given; rejecting needs no new code."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from builders import PASSWORD, WEBHOOK_TOKEN, alert, rfc3339, token_config, webhook
from fakes import FakeClock
from persons import sign_in, totp

from bridge.web.keys import SERVICE, SESSIONS
from bridge.web.sessions import _hash

APPROVER_TOKEN = {"Authorization": "Bearer test-token-for-approver"}
AUDITOR = {"Authorization": "Bearer test-token-for-auditor"}
pytestmark = pytest.mark.manual_outbox


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return token_config(
        tmp_path,
        {"approver": ["approver:all"], "auditor": ["auditor:all"]},
        session={"cookie_secure": False, "step_up_window": "5m"},
        notices={"archive_dir": str(tmp_path / "sent"), "poll_interval": "1h"},
        privacy={"subscriber_notice_recipient": "kund@example.net"},
    )


@pytest.fixture
def people() -> list[tuple[str, list[str], bool]]:
    return [("olga", ["approver:all"], True)]


async def a_draft(client: TestClient[Any, Any], clock: FakeClock) -> dict[str, Any]:
    """A hospital cell down in Oslo: a Nkom varsel draft."""
    hospital = alert(
        "fp-ullevaal",
        clock.now() - timedelta(minutes=5),
        element="no-cell-ullevaal",
        severity="major",
        annotations={"cause": "Fiberbrudd", "expected_resolution": "2 timer"},
    )
    hook = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    assert (await client.post("/api/v1/alertmanager", json=webhook(hospital), headers=hook)).ok
    r = await client.get("/api/v1/drafts", headers=APPROVER_TOKEN)
    [draft] = (await r.json())["drafts"]
    return dict(draft)


async def approve(
    client: TestClient[Any, Any], draft: dict[str, Any], headers: dict[str, str], **extra: Any
) -> Any:
    body = {"version": draft["version"], "send_unknown": draft["to_complete"], **extra}
    return await client.post(f"/api/v1/drafts/{draft['id']}/approve", json=body, headers=headers)


async def entry(client: TestClient[Any, Any], action: str, target: str) -> dict[str, Any]:
    r = await client.get("/api/v1/audit", params={"target": target}, headers=AUDITOR)
    [found] = [e for e in (await r.json())["entries"] if e["action"] == action]
    return dict(found)


async def test_a_token_may_reject_but_never_approve_resend_or_exempt(client, clock):
    """An API token with approver:all gets 403 naming why for approve, resolve and the
    exemption, and nothing changes; it may still reject."""
    draft = await a_draft(client, clock)
    r = await approve(client, draft, APPROVER_TOKEN)
    assert r.status == 403 and "API token" in (await r.json())["detail"]
    url = f"/api/v1/drafts/{draft['id']}"
    r = await client.post(url + "/resolve", json={"action": "resend"}, headers=APPROVER_TOKEN)
    assert r.status == 403 and "API token" in (await r.json())["detail"]
    r = await client.post(
        "/api/v1/privacy/cases/priv-20261123-0000abcd/exemption",
        json={"revision": 1, "reason": "no_adverse_effect"},
        headers=APPROVER_TOKEN,
    )
    assert r.status == 403 and "API token" in (await r.json())["detail"]  # before any lookup
    assert (await (await client.get(url, headers=APPROVER_TOKEN)).json())["state"] == "draft"
    r = await client.post(url + "/reject", json={"reason": "duplicate"}, headers=APPROVER_TOKEN)
    assert r.status == 200 and (await r.json())["state"] == "rejected"


async def test_the_sign_in_code_covers_approvals_within_the_window(client, clock):
    """Right after signing in with a code the person approves without another; the audit entry
    names her and the time of that code."""
    draft = await a_draft(client, clock)
    signed_at = clock.now()
    person = await sign_in(client, "olga", signed_at)
    clock.advance(timedelta(minutes=4))
    r = await approve(client, draft, person)
    assert r.status == 200, await r.text()
    approved = await entry(client, "draft.approved", f"draft:{draft['id']}")
    assert approved["actor"] == "olga"
    assert approved["detail"]["second_factor"] == "totp"
    assert approved["detail"]["second_factor_at"] == rfc3339(signed_at)


async def test_after_the_window_a_code_is_asked_and_used_once(client, clock):
    """Past the window an approval without a code is 403 naming the code and nothing changes;
    a wrong or reused code is 403; the next fresh code approves and is recorded."""
    draft = await a_draft(client, clock)
    person = await sign_in(client, "olga", clock.now())
    used = totp(clock.now())
    clock.advance(timedelta(minutes=6))
    r = await approve(client, draft, person)
    assert r.status == 403 and "TOTP code" in (await r.json())["detail"]
    r = await approve(client, draft, person, totp="000000" if used != "000000" else "111111")
    assert r.status == 403 and "wrong or used" in (await r.json())["detail"]
    app = client.server.app
    assert app is not None
    assert (await app[SERVICE].desk.get(draft["id"])).state == "draft"
    code = totp(clock.now())
    r = await approve(client, draft, person, totp=code)
    assert r.status == 200, await r.text()
    approved = await entry(client, "draft.approved", f"draft:{draft['id']}")
    assert approved["detail"]["second_factor_at"] == rfc3339(clock.now())
    r = await approve(client, draft, person, totp=code)  # the same code again: refused
    assert r.status == 403


async def test_sessions_stored_without_the_factor_time_step_up_with_a_code(client, clock):
    """A session stored before the factor time was kept (second_factor_at None) approves only
    with a code."""
    draft = await a_draft(client, clock)
    person = await sign_in(client, "olga", clock.now())
    app = client.server.app
    assert app is not None
    store = app[SERVICE].store
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["bridge_session"]
    record = await store.get_session(_hash(cookie.value))
    await store.put_session(replace(record, second_factor_at=None))
    r = await approve(client, draft, person)
    assert r.status == 403
    clock.advance(timedelta(seconds=30))
    r = await approve(client, draft, person, totp=totp(clock.now()))
    assert r.status == 200, await r.text()


async def wrong_passwords(client: TestClient[Any, Any], name: str, times: int) -> list[int]:
    """Someone else, elsewhere (their own cookies), tries ``times`` wrong passwords for
    ``name`` at the sign-in page; the statuses."""
    base = str(client.make_url("/")).rstrip("/")
    statuses = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as attacker:
        for _ in range(times):
            page = await (await attacker.get(base + "/login")).text()
            found = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert found
            form = {"username": name, "password": "wrong password!!", "next": "/"}
            r = await attacker.post(
                base + "/login", data={**form, "csrf_token": found.group(1)}, allow_redirects=False
            )
            statuses.append(r.status)
    return statuses


async def test_wrong_passwords_from_elsewhere_never_refuse_a_live_session_s_code(client, clock):
    """Five wrong passwords for a person from anyone, anywhere, lock her password step (the
    right password is refused for the lock's time), but her own signed-in session's step-up
    with a valid fresh code still approves: no one can keep approvers from approving until a
    deadline passes without knowing more than a name. The lock is audited as the password
    step's."""
    draft = await a_draft(client, clock)
    person = await sign_in(client, "olga", clock.now())
    clock.advance(timedelta(minutes=6))  # past the window: the approval takes a code
    assert await wrong_passwords(client, "olga", 5) == [401] * 5
    app = client.server.app
    assert app is not None
    signin = app[SESSIONS].directory.signin
    assert not (await signin.check_password("olga", PASSWORD, "192.0.2.9")).ok  # locked
    r = await approve(client, draft, person, totp=totp(clock.now()))
    assert r.status == 200, await r.text()
    entries = await app[SERVICE].store.audit_log(1000)
    [lock] = [e for e in entries if e.action == "login.lockout"]
    assert lock.detail["step"] == "password"
    failures = [e.detail for e in entries if e.action == "login.failure"]
    assert {f.get("step") for f in failures if f["reason"] == "wrong password"} == {"password"}


async def test_wrong_codes_in_a_session_lock_its_code_step_not_its_password(client, clock):
    """Five wrong step-up codes in a session lock the person's TOTP step as before: the next
    valid code is refused as locked, and so is a new sign-in (its password step too), until
    the lock's time has passed."""
    draft = await a_draft(client, clock)
    person = await sign_in(client, "olga", clock.now())
    clock.advance(timedelta(minutes=6))
    wrong = "000000" if totp(clock.now()) != "000000" else "111111"
    for _ in range(5):
        r = await approve(client, draft, person, totp=wrong)
        assert r.status == 403
    r = await approve(client, draft, person, totp=totp(clock.now()))
    assert r.status == 403 and "locked" in (await r.json())["detail"]
    app = client.server.app
    assert app is not None
    signin = app[SESSIONS].directory.signin
    assert not (await signin.check_password("olga", PASSWORD, "192.0.2.9")).ok
    refused = await signin.check_totp("olga", totp(clock.now(), offset=1), "192.0.2.9")
    assert not refused.ok and refused.locked_until is not None
    entries = await app[SERVICE].store.audit_log(1000)
    [lock] = [e for e in entries if e.action == "login.lockout"]
    assert lock.detail["step"] == "totp"
    clock.advance(timedelta(minutes=15))
    r = await approve(client, draft, person, totp=totp(clock.now()))
    assert r.status == 200, await r.text()
