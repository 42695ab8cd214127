"""Sign-in, sessions, CSRF, lockout, API tokens and the users API through the real app and a
real SQLite store, with an injected clock for everything that depends on time; TOTP codes are
computed with pyotp from the stored secret, as a person's authenticator app would."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import persons
import pyotp
import pytest
from aiohttp.test_utils import TestClient
from builders import (
    PASSWORD,
    TOTP_SECRET,
    WEBHOOK_TOKEN,
    add_user,
    alert,
    rfc3339,
    webhook,
    write_config,
)
from fakes import FakeClock
from redis_server import shared_server
from smtp_server import SmtpServer
from yarl import URL

from bridge.people.signin import FAILED
from bridge.web.keys import SERVICE
from bridge.web.sessions import COOKIE, _hash

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_ERROR = re.compile(r'<p class="error" role="alert" id="login-error">([^<]*)</p>')


def login_error(page: str) -> str:
    """The sign-in page's error message (HTML entities decoded)."""
    found = LOGIN_ERROR.search(page)
    assert found, "no error on the page"
    return html.unescape(found.group(1))


MIN = timedelta(minutes=1)


def config(
    tmp_path: Path, store: str | None = None, smtp: SmtpServer | None = None, **session: Any
) -> Path:
    extra: dict[str, Any] = {
        "auth": {
            "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
            "api_tokens": [{"name": "boot", "token": "config-admin-token", "roles": ["admin"]}],
            "session": {
                "cookie_secure": False,  # the test client speaks plain http
                "lockout": {"max_failures": 3, "lock_for": "15m"},
                **session,
            },
        },
        "notices": {"archive_dir": str(tmp_path / "sent"), "poll_interval": "1h"},
    }
    if smtp is not None:
        extra["smtp"] = smtp.smtp_config()
    return write_config(tmp_path, store=store, extra=extra)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return config(tmp_path)


@pytest.fixture
def people() -> list[tuple[str, list[str], bool]]:
    return [
        ("ada", ["admin"], True),
        ("vera", ["viewer"], False),
        ("arne", ["approver:outage", "viewer"], True),
        ("nina", ["approver:outage"], False),
        ("root", ["admin:all"], True),  # manages people beside another person's session
    ]


def store_of(client: TestClient[Any, Any]) -> Any:
    app = client.server.app
    assert app is not None
    return app[SERVICE].store


async def login_form(client: TestClient[Any, Any], path: str = "/login") -> str:
    r = await client.get(path)
    assert r.status == 200, await r.text()
    found = CSRF.search(await r.text())
    assert found, "no csrf_token in the form"
    return found.group(1)


async def password_step(
    client: TestClient[Any, Any], name: str, password: str = PASSWORD, next_: str = "/"
) -> Any:
    token = await login_form(client)
    return await client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": next_},
        allow_redirects=False,
    )


def code(clock: FakeClock, offset: int = 0, secret: str = TOTP_SECRET) -> str:
    return pyotp.TOTP(secret).at(int(clock.now().timestamp()), counter_offset=offset)


async def totp_step(client: TestClient[Any, Any], value: str, path: str = "/login/totp") -> Any:
    token = await login_form(client, path)
    return await client.post(
        path, data={"code": value, "csrf_token": token, "next": "/"}, allow_redirects=False
    )


async def sign_in(client: TestClient[Any, Any], clock: FakeClock, name: str) -> str:
    """Complete sign-in (with TOTP where owed); return the session's CSRF token."""
    r = await password_step(client, name)
    assert r.status == 303, await r.text()
    if r.headers["Location"].startswith("/login/totp"):
        r = await totp_step(client, code(clock))
        assert r.status == 303, await r.text()
    assert r.headers["Location"] == "/"
    page = await client.get("/")
    assert page.status == 200
    found = re.search(r'name="csrf-token" content="([^"]+)"', await page.text())
    assert found
    return found.group(1)


@pytest.fixture
async def root(
    client: TestClient[Any, Any], clock: FakeClock
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """root (admin:all) signed in with TOTP in a browser of their own (a cookie jar apart from
    the client's, whose person stays signed in): ``await root(method, path, json=…)`` calls
    the API with root's session and CSRF token. Changing people takes a person with a fresh
    second factor, never an API token."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    base = str(client.make_url("/")).rstrip("/")
    headers = await persons.sign_in(http, "root", clock.now(), base=base)

    async def call(method: str, path: str, **kwargs: Any) -> Any:
        r = await http.request(method, base + path, headers=headers, **kwargs)
        await r.read()
        return r

    yield call
    await http.close()


async def audit_actions(client: TestClient[Any, Any]) -> list[str]:
    entries = await store_of(client).audit_log(1000)
    # the start's record of its configuration (bridge/config/trace.py) is no request's doing
    return [e.action for e in reversed(entries) if e.action != "config.loaded"]


# ---- no session ---------------------------------------------------------------------------


async def test_no_session_goes_to_login_and_api_says_401(client):
    """A page without a session redirects to /login with the page as next; the API is 401."""
    r = await client.get("/drafts/x?y=1", allow_redirects=False)
    assert r.status == 303
    location = URL(r.headers["Location"])
    assert location.path == "/login" and location.query["next"] == "/drafts/x?y=1"
    assert (await client.get("/api/v1/incidents")).status == 401


async def test_session_cookie_attributes(client_for, tmp_path, clock):
    """The session cookie is Secure (by default), HttpOnly, SameSite=Strict, Path=/."""
    client = await client_for(config(tmp_path, cookie_secure=True))
    await add_user(store_of(client), "vera", ["viewer"], enrolled=False)
    token = await login_form(client)  # its Secure cookie is not sent back over http: by hand
    r = await client.post(
        "/login",
        data={"username": "vera", "password": PASSWORD, "csrf_token": token},
        headers={"Cookie": f"bridge_login_csrf={token}"},
        allow_redirects=False,
    )
    assert r.status == 303
    cookie = next(v for v in r.headers.getall("Set-Cookie") if v.startswith("bridge_session="))
    for attribute in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in cookie, cookie


# ---- password and TOTP ----------------------------------------------------------------------


async def test_login_with_password_and_totp(client, clock):
    """An approver's password alone does not sign in; the TOTP code does; the API then
    answers with the session cookie; the sign-in is audited without secrets."""
    r = await password_step(client, "arne", next_="/sent")
    location = URL(r.headers["Location"])
    assert r.status == 303 and location.path == "/login/totp" and location.query["next"] == "/sent"
    assert (await client.get("/api/v1/incidents")).status == 401
    assert (await client.get("/", allow_redirects=False)).status == 303
    token = await login_form(client, "/login/totp")
    r = await client.post(
        "/login/totp",
        data={"code": code(clock), "csrf_token": token, "next": "/sent"},
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == "/sent"
    assert (await client.get("/api/v1/incidents")).status == 200
    assert "login.success" in await audit_actions(client)
    entries = await store_of(client).audit_log(1000)
    text = repr([e.detail for e in entries])
    assert PASSWORD not in text and code(clock) not in text


async def test_wrong_and_reused_totp_codes_are_refused(client, clock):
    """A wrong code answers 401 and the session stays incomplete; a code already used once
    is refused the second time."""
    await password_step(client, "arne")
    wrong = "000000" if code(clock) != "000000" else "111111"
    r = await totp_step(client, wrong)
    assert r.status == 401
    assert "not right" in await r.text()
    assert (await client.get("/api/v1/incidents")).status == 401
    assert (await totp_step(client, code(clock))).status == 303
    client.session.cookie_jar.clear()
    await password_step(client, "arne")
    assert (await totp_step(client, code(clock))).status == 401  # replayed
    assert (await totp_step(client, code(clock, offset=1))).status == 303  # next step


async def test_viewer_without_totp_signs_in_with_password_only(client):
    """Viewer/editor roles do not need TOTP unless enrolled."""
    r = await password_step(client, "vera")
    assert r.status == 303 and r.headers["Location"] == "/"
    assert (await client.get("/api/v1/incidents")).status == 200


async def test_enrolment_shows_qr_and_completes_with_a_code(client, clock):
    """An approver without TOTP is sent to enrolment: an inline SVG QR code, the otpauth URI
    and the key; a code from that key completes both enrolment and the session."""
    r = await password_step(client, "nina")
    assert r.headers["Location"] == "/enrol/totp"
    page = await (await client.get("/enrol/totp")).text()
    assert "<svg" in page and "otpauth://totp/incident-bridge:nina?secret=" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert secret
    r = await totp_step(client, code(clock, secret=secret.group(1)), "/enrol/totp")
    assert r.status == 303
    user = await store_of(client).get_user("nina")
    assert user.totp_enrolled and user.totp_secret == secret.group(1)
    assert "user.totp_enrol" in await audit_actions(client)


async def test_login_form_needs_its_csrf_token(client):
    """A sign-in POST without the login form's token is 403, however right the password."""
    await login_form(client)
    r = await client.post(
        "/login", data={"username": "vera", "password": PASSWORD}, allow_redirects=False
    )
    assert r.status == 403
    assert "CSRF" in (await r.json())["detail"]


async def test_next_outside_the_site_is_ignored(client):
    """After sign-in, a next that leaves the site goes to / instead."""
    r = await password_step(client, "vera", next_="//evil.example/")
    assert r.headers["Location"] == "/"


# ---- lockout ---------------------------------------------------------------------------------


async def test_lockout_after_failures_and_unlock_after_the_period(client, clock):
    """The third wrong password locks the account: even the right one is refused; after the
    15 minutes the right password works again. Failures and the lock are audited."""
    for _ in range(3):
        r = await password_step(client, "vera", password="wrong password!!")
        assert r.status == 401
        assert login_error(await r.text()) == FAILED
    r = await password_step(client, "vera")
    assert r.status == 401
    assert login_error(await r.text()) == FAILED
    clock.advance(14 * MIN)
    assert (await password_step(client, "vera")).status == 401
    clock.advance(1 * MIN)
    assert (await password_step(client, "vera")).status == 303
    actions = await audit_actions(client)
    assert actions.count("login.lockout") == 1
    assert actions.count("login.failure") >= 4


async def test_unknown_user_fails_like_a_wrong_password(client):
    """An unknown name gets the same answer as a wrong password."""
    r = await password_step(client, "nobody")
    assert r.status == 401
    assert login_error(await r.text()) == FAILED


async def test_unknown_name_wrong_password_and_locked_account_answer_alike(client, clock):
    """An unknown name, a wrong password and a locked account (right or wrong password) get the
    same status and message; only the audit log says which it was; the lock still holds."""
    for _ in range(3):
        await password_step(client, "vera", password="wrong password!!")
    answers = [
        await password_step(client, "nobody"),
        await password_step(client, "nina", password="wrong password!!"),
        await password_step(client, "vera"),
        await password_step(client, "vera", password="wrong password!!"),
    ]
    seen = {(r.status, login_error(await r.text())) for r in answers}
    assert seen == {(401, FAILED)}
    entries = await store_of(client).audit_log(1000)
    reasons = [e.detail.get("reason") for e in entries if e.action == "login.failure"]
    assert {"unknown user", "wrong password", "locked"} <= set(reasons)
    clock.advance(15 * MIN)
    assert (await password_step(client, "vera")).status == 303


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b"garbage"),
        ("multipart/form-data", b"--x\r\n"),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nv',
        ),
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nContent-Disposition: form-data\r\n\r\nv\r\n--xyz--\r\n",
        ),
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nContent-Type: text/plain; charset=nope\r\n"
            b'Content-Disposition: form-data; name="a"\r\n\r\nv\r\n--xyz--\r\n',
        ),
    ],
)
async def test_a_broken_sign_in_form_is_400(client, content_type: str, body: bytes):
    """A sign-in form whose body cannot be read (broken multipart, unknown charset) is a 400
    naming the form, before and after the password step, and nothing is audited."""
    await login_form(client)  # the login CSRF cookie is set
    for path in ("/login", "/login/totp"):
        r = await client.post(
            path, data=body, headers={"Content-Type": content_type}, allow_redirects=False
        )
        if path == "/login":
            assert r.status == 400, await r.text()
            assert (await r.json())["detail"].startswith("(form):")
        else:
            assert r.status in (303, 400)  # without a password step: back to /login
    assert await audit_actions(client) == []


async def test_a_broken_form_with_a_session_cookie_is_400(client, clock):
    """With a session cookie the CSRF check reads the form first: a broken body is a 400 there
    too, and the session goes on."""
    await sign_in(client, clock, "vera")
    r = await client.post(
        "/logout",
        data=b"garbage",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
        allow_redirects=False,
    )
    assert r.status == 400, await r.text()
    assert (await client.get("/api/v1/incidents")).status == 200


async def test_address_throttle(client_for, tmp_path, clock):
    """Beyond the per-address limit, sign-in from that address waits (429) whatever the name."""
    cfg = config(tmp_path, lockout={"address_max_failures": 2, "max_failures": 100})
    client = await client_for(cfg)
    await add_user(store_of(client), "vera", ["viewer"], enrolled=False)
    for name in ("a1", "a2"):
        assert (await password_step(client, name)).status == 401
    assert (await password_step(client, "vera")).status == 429
    clock.advance(15 * MIN)
    assert (await password_step(client, "vera")).status == 303


# ---- session expiry ------------------------------------------------------------------------


async def test_idle_timeout(client, clock):
    """A session used within 30 minutes lives on; 30 minutes without a request end it."""
    await sign_in(client, clock, "vera")
    for _ in range(3):
        clock.advance(29 * MIN)
        assert (await client.get("/api/v1/incidents")).status == 200
    clock.advance(30 * MIN)
    assert (await client.get("/api/v1/incidents")).status == 401


async def test_absolute_timeout(client, clock):
    """However busy, a session ends 12 hours after sign-in."""
    await sign_in(client, clock, "vera")
    for _ in range(35):  # 11 h 40 min of activity every 20 minutes
        clock.advance(20 * MIN)
        assert (await client.get("/api/v1/incidents")).status == 200
    clock.advance(20 * MIN)
    assert (await client.get("/api/v1/incidents")).status == 401


async def test_logout_ends_the_session(client, clock):
    """Sign-out (with the CSRF token) deletes the session: the old cookie opens nothing."""
    csrf = await sign_in(client, clock, "vera")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))
    old = cookie["bridge_session"].value
    r = await client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/login"
    r = await client.get("/api/v1/incidents", cookies={"bridge_session": old})
    assert r.status == 401
    assert "logout" in await audit_actions(client)


# ---- CSRF and roles over the session ----------------------------------------------------------


async def test_csrf_missing_or_wrong_is_403_and_nothing_changes(client, clock):
    """A state-changing API call on the session without (or with a wrong) CSRF token is 403
    and changes nothing; with the header it is done."""
    csrf = await sign_in(client, clock, "ada")
    body = {"disabled": True}
    r = await client.patch("/api/v1/users/vera", json=body)
    assert r.status == 403 and "CSRF" in (await r.json())["detail"]
    r = await client.patch("/api/v1/users/vera", json=body, headers={"X-CSRF-Token": "x"})
    assert r.status == 403
    assert not (await store_of(client).get_user("vera")).disabled
    r = await client.patch("/api/v1/users/vera", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status == 200, await r.text()
    assert (await store_of(client).get_user("vera")).disabled


async def test_an_empty_authorization_header_does_not_skip_the_csrf_check(client, clock):
    """A session's cookie with an empty ``Authorization`` header and no CSRF token: a header
    that is present decides (docs/security.md), so the empty one is no credential (401) and
    the cookie is not used; nothing changes (it used to skip the CSRF check and use the
    cookie: the middleware asked whether the header was there, the caller's check whether it
    was non-empty)."""
    await sign_in(client, clock, "ada")
    r = await client.patch(
        "/api/v1/users/vera", json={"disabled": True}, headers={"Authorization": ""}
    )
    assert r.status == 401, await r.text()
    assert not (await store_of(client).get_user("vera")).disabled


async def test_viewer_cannot_approve_through_the_session(client, clock):
    """A viewer's session may read drafts but approving is 403 and the draft stays; an
    approver's session (after TOTP) approves."""
    hook = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    hospital = alert(
        "fp-ullevaal",
        clock.now() - 5 * MIN,
        element="no-cell-ullevaal",
        severity="major",
        annotations={"cause": "Fiberbrudd", "expected_resolution": "2 timer"},
    )
    r = await client.post("/api/v1/alertmanager", json=webhook(hospital), headers=hook)
    assert r.status == 200
    csrf = await sign_in(client, clock, "vera")
    drafts = (await (await client.get("/api/v1/drafts")).json())["drafts"]
    assert drafts, "the hospital outage opens a Nkom draft"
    draft = drafts[0]
    approve = f"/api/v1/drafts/{draft['id']}/approve"
    body = {"version": draft["version"], "send_unknown": draft["to_complete"]}
    r = await client.post(approve, json=body, headers={"X-CSRF-Token": csrf})
    assert r.status == 403
    after = await (await client.get(f"/api/v1/drafts/{draft['id']}")).json()
    assert after["state"] == draft["state"]
    client.session.cookie_jar.clear()
    csrf = await sign_in(client, clock, "arne")
    r = await client.post(approve, json=body, headers={"X-CSRF-Token": csrf})
    assert r.status == 200, await r.text()
    assert (await r.json())["state"] == "approved"


# ---- users and tokens -------------------------------------------------------------------------


async def test_disabled_user_cannot_sign_in_and_sessions_stop(client, clock, root):
    """Disabling a user ends their live session at once and refuses their next sign-in."""
    await sign_in(client, clock, "vera")
    r = await root("PATCH", "/api/v1/users/vera", json={"disabled": True})
    assert r.status == 200
    assert (await client.get("/api/v1/incidents")).status == 401
    assert (await password_step(client, "vera")).status == 401
    assert "user.disable" in await audit_actions(client)


async def test_users_api_creates_lists_and_resets(client, clock, root):
    """Admins create users (a one-time password when none is given), list them without any
    hash or secret (an API token may list them), and reset passwords; bad roles are 400 naming
    the field."""
    admin = {"Authorization": "Bearer config-admin-token"}
    r = await root("POST", "/api/v1/users", json={"name": "eve", "roles": ["editor:privacy"]})
    assert r.status == 201, await r.text()
    first = (await r.json())["password"]
    assert (await password_step(client, "eve", password=first)).status == 303
    r = await root("POST", "/api/v1/users", json={"name": "bad", "roles": ["boss"]})
    assert r.status == 400 and (await r.json())["detail"].startswith("roles[0]: unknown role")
    r = await root("POST", "/api/v1/users", json={"name": "eve", "roles": ["viewer"]})
    assert r.status == 409
    listed = await (await client.get("/api/v1/users", headers=admin)).json()
    assert {u["name"] for u in listed["users"]} >= {"ada", "eve", "vera"}
    assert "argon2" not in repr(listed) and TOTP_SECRET not in repr(listed)
    r = await root("PATCH", "/api/v1/users/eve", json={"reset_password": True})
    second = (await r.json())["password"]
    assert (await client.get("/api/v1/incidents")).status == 401  # eve's session ended
    assert (await password_step(client, "eve", password=first)).status == 401
    assert (await password_step(client, "eve", password=second)).status == 303


async def test_users_api_needs_an_unscoped_admin(client, clock):
    """A viewer (or no one) cannot list users; an approver session cannot either."""
    assert (await client.get("/api/v1/users")).status == 401
    await sign_in(client, clock, "vera")
    assert (await client.get("/api/v1/users")).status == 403


async def test_api_token_hashed_used_and_revoked(client, clock, tmp_path, root):
    """A stored token works as a bearer with its roles; its secret is nowhere in the database
    files; once revoked it is 401."""
    csrf = await sign_in(client, clock, "ada")
    r = await client.post(
        "/api/v1/tokens",
        json={"name": "grafana", "roles": ["viewer"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status == 201, await r.text()
    created = await r.json()
    secret, token_id = created["secret"], created["token"]["id"]
    client.session.cookie_jar.clear()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/incidents", headers=bearer)).status == 200
    assert (await client.get("/api/v1/users", headers=bearer)).status == 403
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("bridge.sqlite3*"))
    assert secret.encode() not in raw
    listed = await (
        await client.get("/api/v1/tokens", headers={"Authorization": "Bearer config-admin-token"})
    ).json()
    assert listed["tokens"][0]["last_used_at"] is not None
    r = await root("POST", f"/api/v1/tokens/{token_id}/revoke")
    assert r.status == 200 and (await r.json())["token"]["revoked_at"]
    assert (await client.get("/api/v1/incidents", headers=bearer)).status == 401
    assert "token.revoke" in await audit_actions(client)


async def test_bearer_requests_need_no_csrf(client):
    """API-token requests carry no cookie and need no CSRF token: a change a token may make
    reaches the handler (its body's problem, 400), not a CSRF refusal."""
    r = await client.post(
        "/api/v1/incidents", json={}, headers={"Authorization": "Bearer config-admin-token"}
    )
    assert r.status == 400, await r.text()


async def test_a_stored_token_may_not_take_a_configured_tokens_name(client, root):
    """POST /api/v1/tokens under the name of a configured API token (boot): 400 naming the
    field and the configured entry, nothing stored (the audit would name both token:boot)."""
    admin = {"Authorization": "Bearer config-admin-token"}
    r = await root("POST", "/api/v1/tokens", json={"name": "boot", "roles": ["viewer"]})
    assert r.status == 400
    assert (await r.json())["detail"].startswith(
        "name: 'boot' is the name of a configured token (auth.api_tokens.0.name)"
    )
    assert (await (await client.get("/api/v1/tokens", headers=admin)).json())["tokens"] == []


async def test_trusted_proxy_header(client_for, tmp_path):
    """With a trusted proxy configured, its header signs in an existing user (from the proxy's
    address only); the same header from elsewhere does nothing."""
    cfg = config(tmp_path, trusted_proxy_header="X-Remote-User", trusted_proxies=["127.0.0.1"])
    client = await client_for(cfg)
    await add_user(store_of(client), "arne", ["approver:outage"])
    r = await client.get("/api/v1/incidents", headers={"X-Remote-User": "arne"})
    assert r.status == 200
    r = await client.get("/api/v1/incidents")  # the session cookie it was given
    assert r.status == 200
    client.session.cookie_jar.clear()
    assert (
        await client.get("/api/v1/incidents", headers={"X-Remote-User": "nobody"})
    ).status == 401

    cfg2 = config(tmp_path, trusted_proxy_header="X-Remote-User", trusted_proxies=["10.0.0.0/8"])
    client2 = await client_for(cfg2)
    await add_user(store_of(client2), "arne2", ["viewer"])
    r = await client2.get("/api/v1/incidents", headers={"X-Remote-User": "arne2"})
    assert r.status == 401


async def test_a_webhook_delivery_through_the_trusted_proxy_signs_nobody_in(
    client_for, tmp_path, clock
):
    """Alertmanager's deliveries carry the webhook's own credentials: a trusted proxy's user
    header on one (a proxy that adds it to every request) starts no session, sets no cookie
    and audits no sign-in; the delivery is taken as any other."""
    cfg = config(tmp_path, trusted_proxy_header="X-Remote-User", trusted_proxies=["127.0.0.1"])
    client = await client_for(cfg)
    await add_user(store_of(client), "arne", ["approver:outage"])
    headers = {"Authorization": f"Bearer {WEBHOOK_TOKEN}", "X-Remote-User": "arne"}
    body = webhook(alert("fp-proxy", clock.now() - 5 * MIN, element="se-olt-ostersund-1"))
    r = await client.post("/api/v1/alertmanager", json=body, headers=headers)
    assert r.status == 200, await r.text()
    assert "Set-Cookie" not in r.headers
    assert not client.session.cookie_jar.filter_cookies(client.make_url("/"))
    assert "login.success" not in await audit_actions(client)
    # the same header on a console request still signs the person in
    assert (await client.get("/api/v1/incidents", headers={"X-Remote-User": "arne"})).status == 200
    assert "login.success" in await audit_actions(client)


async def proxy_session(client: TestClient[Any, Any], name: str) -> dict[str, str]:
    """Come through the trusted proxy as ``name`` without a cookie: a new session; the headers
    of its state-changing requests (the proxy's user header and the session's CSRF token)."""
    client.session.cookie_jar.clear()
    proxy = {"X-Remote-User": name}
    page = await client.get("/", headers=proxy)
    assert page.status == 200, await page.text()
    found = re.search(r'name="csrf-token" content="([^"]+)"', await page.text())
    assert found
    return {**proxy, "X-CSRF-Token": found.group(1)}


async def test_a_trusted_proxy_sign_in_is_no_step_up(client_for, tmp_path, clock, smtp):
    """The proxy's sign-in completes sign-in but gives no fresh second factor: a new proxy
    session's approval or declaration without a TOTP code is 403 and changes nothing (no
    approval, no mail, no audit entry), again after dropping the cookie and coming back through
    the proxy; with a code of the bridge's own enrolment it approves, audited as that code."""
    cfg = config(
        tmp_path,
        smtp=smtp,
        trusted_proxy_header="X-Remote-User",
        trusted_proxies=["127.0.0.1"],
        step_up_window="5m",
    )
    client = await client_for(cfg, manual_outbox=True)
    app = client.server.app
    assert app is not None
    service = app[SERVICE]
    await add_user(store_of(client), "arne", ["approver:all"])
    hospital = alert(
        "fp-ullevaal",
        clock.now() - 5 * MIN,
        element="no-cell-ullevaal",
        severity="major",
        annotations={"cause": "Fiberbrudd", "expected_resolution": "2 timer"},
    )
    hook = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    assert (await client.post("/api/v1/alertmanager", json=webhook(hospital), headers=hook)).ok

    async def refused_and_nothing_changed(headers: dict[str, str]) -> None:
        r = await client.get("/api/v1/drafts", headers=headers)
        assert r.status == 200, await r.text()
        [draft] = (await r.json())["drafts"]
        body = {"version": draft["version"], "send_unknown": draft["to_complete"]}
        url = f"/api/v1/drafts/{draft['id']}/approve"
        r = await client.post(url, json=body, headers=headers)
        assert r.status == 403, await r.text()
        assert "TOTP code" in (await r.json())["detail"]
        r = await client.post(
            f"/api/v1/incidents/{draft['incident']}/declaration",
            json={"significant": True},
            headers=headers,
        )
        assert r.status == 403, await r.text()
        assert "TOTP code" in (await r.json())["detail"]
        assert (await service.desk.get(draft["id"])).state == "draft"
        assert await service.outbox.deliver_due() == []
        assert smtp.mailbox.received == []
        actions = await audit_actions(client)
        assert "draft.approved" not in actions and "incident.declared" not in actions

    headers = await proxy_session(client, "arne")
    clock.advance(MIN)  # well within the step-up window of the session's start
    await refused_and_nothing_changed(headers)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE]
    record = await store_of(client).get_session(_hash(cookie.value))
    assert record.second_factor_done and record.second_factor_at is None

    # dropping the cookie and coming back through the proxy starts no fresh step-up either
    clock.advance(MIN)
    headers = await proxy_session(client, "arne")
    await refused_and_nothing_changed(headers)
    assert (await audit_actions(client)).count("login.success") == 2

    # with a code of the bridge's own enrolment it approves, audited as that code
    [draft] = (await (await client.get("/api/v1/drafts", headers=headers)).json())["drafts"]
    body = {"version": draft["version"], "send_unknown": draft["to_complete"], "totp": code(clock)}
    r = await client.post(f"/api/v1/drafts/{draft['id']}/approve", json=body, headers=headers)
    assert r.status == 200, await r.text()
    [approved] = [e for e in await store_of(client).audit_log(1000) if e.action == "draft.approved"]
    assert approved.actor == "arne"
    assert approved.detail["second_factor"] == "totp"
    assert approved.detail["second_factor_at"] == rfc3339(clock.now())
    [done] = await service.outbox.deliver_due()
    assert done.state == "sent" and len(smtp.mailbox.received) == 1

    # that code belonged to its session: a new proxy session owes one again
    clock.advance(MIN)
    headers = await proxy_session(client, "arne")
    r = await client.post(
        f"/api/v1/incidents/{draft['incident']}/declaration",
        json={"significant": True},
        headers=headers,
    )
    assert r.status == 403 and "TOTP code" in (await r.json())["detail"]
    assert "incident.declared" not in await audit_actions(client)


async def test_a_proxy_only_approver_enrols_totp_in_the_proxy_session(client_for, tmp_path, clock):
    """Someone who only ever signs in through the trusted proxy (no password route) and has no
    TOTP yet can enrol one in the proxy session: the board says so and links the page, the step-up
    refusal names it, the code completes enrolment (audited), counts as the session's fresh
    factor, and enrolment cannot be started again once done."""
    cfg = config(
        tmp_path,
        trusted_proxy_header="X-Remote-User",
        trusted_proxies=["127.0.0.1"],
        step_up_window="5m",
    )
    client = await client_for(cfg)
    await add_user(store_of(client), "olga", ["approver:all"], enrolled=False)
    headers = await proxy_session(client, "olga")
    board = await (await client.get("/", headers=headers)).text()
    assert 'id="enrol-banner"' in board and 'href="/enrol/totp' in board
    page = await client.get("/enrol/totp", headers=headers, allow_redirects=False)
    assert page.status == 200, page.headers.get("Location")
    text = await page.text()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', text)
    assert secret and "<svg" in text
    token = CSRF.search(text)
    assert token
    r = await client.post(
        "/enrol/totp",
        data={"code": code(clock, secret=secret.group(1)), "csrf_token": token.group(1)},
        headers=headers,
        allow_redirects=False,
    )
    assert r.status == 303, await r.text()
    user = await store_of(client).get_user("olga")
    assert user.totp_enrolled and user.totp_secret == secret.group(1)
    assert "user.totp_enrol" in await audit_actions(client)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE]
    record = await store_of(client).get_session(_hash(cookie.value))
    assert record.second_factor_at == clock.now()  # the code just checked is a fresh factor
    assert 'id="enrol-banner"' not in await (await client.get("/", headers=headers)).text()
    again = await client.get("/enrol/totp", headers=headers, allow_redirects=False)
    assert again.status == 303 and not again.headers["Location"].startswith("/enrol")


async def test_step_up_without_enrolment_names_the_enrolment_page(client_for, tmp_path, clock):
    """A step-up code from a person with no TOTP enrolled is refused naming where to enrol."""
    cfg = config(tmp_path, trusted_proxy_header="X-Remote-User", trusted_proxies=["127.0.0.1"])
    client = await client_for(cfg)
    await add_user(store_of(client), "olga", ["approver:all"], enrolled=False)
    headers = await proxy_session(client, "olga")
    hook = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    body = webhook(alert("fp-olga", clock.now() - 5 * MIN, element="se-olt-ostersund-1"))
    r = await client.post("/api/v1/alertmanager", json=body, headers=hook)
    [incident] = (await r.json())["incidents"]
    r = await client.post(
        f"/api/v1/incidents/{incident}/declaration",
        json={"significant": True, "totp": "123456"},
        headers=headers,
    )
    assert r.status == 403, await r.text()
    detail = (await r.json())["detail"]
    assert "no TOTP enrolled" in detail and "/enrol/totp" in detail


async def test_replicas_on_one_redis_share_sessions_and_lockout(client_for, tmp_path, clock):
    """Two bridges on one Redis store: a session started on one works on the other and a
    sign-out on either ends it; failures on both count toward one account lock."""
    url = shared_server().url(prefix=f"auth-{tmp_path.name}:")
    configs = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        configs.append(config(folder, store=url))
    one, two = [await client_for(path) for path in configs]
    await add_user(store_of(one), "arne", ["approver:outage"])
    csrf = await sign_in(one, clock, "arne")
    cookie = {
        "bridge_session": one.session.cookie_jar.filter_cookies(one.make_url("/"))[
            "bridge_session"
        ].value
    }
    assert (await two.get("/api/v1/incidents", cookies=cookie)).status == 200
    r = await two.post("/logout", data={"csrf_token": csrf}, cookies=cookie, allow_redirects=False)
    assert r.status == 303
    assert (await one.get("/api/v1/incidents")).status == 401

    for client in (one, two):
        assert (await password_step(client, "arne", password="not the password")).status == 401
    r = await password_step(one, "arne", password="still not it!")
    assert login_error(await r.text()) == FAILED
    assert (await password_step(two, "arne")).status == 401


async def test_admin_cannot_lock_themselves_out(client, clock):
    """An admin may not disable themselves or drop their own admin role (409); nothing
    changes."""
    csrf = await sign_in(client, clock, "ada")
    headers = {"X-CSRF-Token": csrf}
    for body in ({"disabled": True}, {"roles": ["viewer"]}):
        r = await client.patch("/api/v1/users/ada", json=body, headers=headers)
        assert r.status == 409, await r.text()
    user = await store_of(client).get_user("ada")
    assert not user.disabled and user.grants == ("admin",)


async def test_totp_reset_makes_the_user_enrol_again(client, clock, root):
    """After an admin resets TOTP, the user's session is gone and the next sign-in leads to
    enrolment with a new key; the reset is audited."""
    await sign_in(client, clock, "arne")
    r = await root("PATCH", "/api/v1/users/arne", json={"reset_totp": True})
    assert r.status == 200 and (await r.json())["user"]["totp_enrolled"] is False
    assert (await client.get("/api/v1/incidents")).status == 401
    r = await password_step(client, "arne")
    assert r.headers["Location"] == "/enrol/totp"
    page = await (await client.get("/enrol/totp")).text()
    assert TOTP_SECRET not in page
    assert "user.totp_reset" in await audit_actions(client)


async def test_unknown_patch_field_is_named(client, root):
    """A PATCH with a field the API does not know is 400 naming it."""
    r = await root("PATCH", "/api/v1/users/vera", json={"role": ["admin"]})
    assert r.status == 400 and (await r.json())["detail"].startswith("role: unknown field")
    r = await root("PATCH", "/api/v1/users/nobody", json={"disabled": True})
    assert r.status == 404


async def test_a_name_shown_is_one_line_of_person_text(client, root):
    """The name shown goes to ``bridge users list``'s tab-separated lines and to operators'
    terminals: a line break, tab, escape sequence or bidirectional control in it is 400
    naming ``display_name`` (it could forge a line: an admin of one track could make
    ``view\\nroot\\tadmin:all\\t…`` read as root), at creation and at a change; nothing
    changes. One line of ordinary text, letters of any script, is taken (stripped)."""
    before = (await store_of(client).get_user("vera")).display_name
    for bad in (
        "view\nroot\tadmin:all\tenabled\ttotp\troot",
        "Vera\x1b]0;pwned\x07",
        "Vera \u202eadmin",
        "x" * 101,
    ):
        r = await root("PATCH", "/api/v1/users/vera", json={"display_name": bad})
        assert r.status == 400, bad
        assert (await r.json())["detail"].startswith("display_name: "), bad
        body = {"name": "eve", "roles": ["viewer"], "display_name": bad}
        r = await root("POST", "/api/v1/users", json=body)
        assert r.status == 400 and (await r.json())["detail"].startswith("display_name: ")
    assert (await store_of(client).get_user("vera")).display_name == before
    assert await store_of(client).get_user("eve") is None
    r = await root("PATCH", "/api/v1/users/vera", json={"display_name": " Vera Ødegård "})
    assert r.status == 200, await r.text()
    assert (await store_of(client).get_user("vera")).display_name == "Vera Ødegård"
