"""A role that approves or administers, given through the API, waits for a second admin: the
CISO audit's lone-admin sock puppet (an outage admin with a fresh code makes a person with the
approver role, holds their password and TOTP enrolment, and approves a notice to the regulator
alone) no longer works. The grant is pending (shown in the list, audited) until a different
person holding admin on the same tracks confirms it with their own fresh second factor; nobody
confirms their own request nor a grant to themselves; either admin cancels it; taking roles
away stays immediate. Through the real app, store and sign-in pages, with an injected clock."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import PASSWORD, WEBHOOK_TOKEN, alert, token_config, webhook
from persons import FORM_CSRF, PAGE_CSRF, sign_in, totp

from bridge.web.keys import SERVICE

pytestmark = pytest.mark.manual_outbox

AUDITOR = {"Authorization": "Bearer test-token-for-auditor"}
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}
STEP = timedelta(seconds=31)  # a new TOTP time step: the same person's next code


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return token_config(
        tmp_path,
        {"auditor": ["auditor:all"], "viewer": ["viewer"]},
        session={"cookie_secure": False, "step_up_window": "5m"},
        privacy={"subscriber_notice_recipient": "kund@example.net"},
    )


@pytest.fixture
def people() -> list[tuple[str, list[str], bool]]:
    return [
        ("ops", ["admin"], True),  # an outage admin
        ("ada", ["admin"], True),  # a second outage admin
        ("root", ["admin:all"], True),  # admin on both tracks
        ("appr", ["viewer", "approver"], True),  # an outage approver
        ("vera", ["viewer"], False),  # an outage viewer
    ]


def store_of(client: TestClient[Any, Any]) -> Any:
    app = client.server.app
    assert app is not None
    return app[SERVICE].store


async def detail(r: Any) -> str:
    return str((await r.json())["detail"])


async def audit_of(client: TestClient[Any, Any], target: str) -> list[dict[str, Any]]:
    """The audit entries about ``target``, oldest first."""
    r = await client.get("/api/v1/audit", params={"target": target}, headers=AUDITOR)
    assert r.status == 200, await r.text()
    return list(reversed((await r.json())["entries"]))


async def listed(client: TestClient[Any, Any], name: str, headers: dict[str, str]) -> Any:
    r = await client.get("/api/v1/users", headers=headers)
    assert r.status == 200, await r.text()
    return next(u for u in (await r.json())["users"] if u["name"] == name)


def confirm(client: TestClient[Any, Any], name: str, body: dict[str, Any], headers: Any) -> Any:
    return client.post(f"/api/v1/users/{name}/pending-roles/confirm", json=body, headers=headers)


def cancel(client: TestClient[Any, Any], name: str, body: dict[str, Any], headers: Any) -> Any:
    return client.post(f"/api/v1/users/{name}/pending-roles/cancel", json=body, headers=headers)


async def enrol(client: TestClient[Any, Any], clock: Any) -> tuple[str, dict[str, str]]:
    """The signed-in person (no TOTP yet) enrols one through the real page: its secret, and
    the session's headers for API changes."""
    page = await client.get("/enrol/totp", allow_redirects=False)
    assert page.status == 200, page.headers.get("Location")
    text = await page.text()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', text)
    token = FORM_CSRF.search(text)
    assert secret and token
    r = await client.post(
        "/enrol/totp",
        data={"code": totp(clock.now(), secret=secret.group(1)), "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    assert r.status == 303, await r.text()
    board = PAGE_CSRF.search(await (await client.get("/")).text())
    assert board
    return secret.group(1), {"X-CSRF-Token": board.group(1)}


async def outage_draft(client: TestClient[Any, Any], clock: Any) -> dict[str, Any]:
    """A reportable outage posted to the webhook: its one draft (the Nkom varsel)."""
    start = clock.now() - timedelta(minutes=5)
    body = webhook(alert("fp-ullevaal", start, element="no-cell-ullevaal", severity="major"))
    hook = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    r = await client.post("/api/v1/alertmanager", json=body, headers=hook)
    assert r.status == 200, await r.text()
    [draft] = (await (await client.get("/api/v1/drafts", headers=VIEWER)).json())["drafts"]
    return dict(draft)


async def test_a_lone_admin_cannot_make_a_sock_puppet_approver(client, clock):
    """The audit's reproduction, end to end: ops (outage admin, fresh code) adds ``puppet``
    with the approver role and a password ops chose, signs in as puppet and enrols its TOTP;
    puppet's approval of a notice is 403 (the approver role waits for a second admin) and the
    draft stays unsent; ops cannot confirm their own request; once ada, another outage admin,
    confirms it with her own code, puppet approves. The list shows the pending grant, and the
    audit says who asked, who confirmed and when."""
    draft = await outage_draft(client, clock)
    ops = await sign_in(client, "ops", clock.now())
    body = {"name": "puppet", "roles": ["viewer", "approver"], "password": PASSWORD}
    r = await client.post("/api/v1/users", json=body, headers=ops)
    assert r.status == 201, await r.text()
    made = (await r.json())["user"]
    assert made["roles"] == ["viewer"]
    assert made["pending"]["roles"] == ["approver"] and made["pending"]["requested_by"] == "ops"
    shown = await listed(client, "puppet", ops)
    assert shown["roles"] == ["viewer"] and shown["pending"]["roles"] == ["approver"]

    await sign_in(client, "puppet", clock.now())  # password only: no role needs TOTP yet
    secret, puppet = await enrol(client, clock)
    clock.advance(STEP)
    approve = {"version": 1, "send_unknown": draft["to_complete"]}
    r = await client.post(
        f"/api/v1/drafts/{draft['id']}/approve",
        json={**approve, "totp": totp(clock.now(), secret=secret)},
        headers=puppet,
    )
    assert r.status == 403, await r.text()
    assert "lacks the approver role" in await detail(r)
    r = await client.get(f"/api/v1/drafts/{draft['id']}", headers=VIEWER)
    assert (await r.json())["state"] == draft["state"]  # not approved, nothing sent

    clock.advance(STEP)
    ops = await sign_in(client, "ops", clock.now())
    r = await confirm(client, "puppet", {"roles": ["approver"]}, ops)
    assert r.status == 403, await r.text()
    assert "ops asked for these roles" in await detail(r)
    assert (await store_of(client).get_user("puppet")).grants == ("viewer",)

    ada = await sign_in(client, "ada", clock.now())
    r = await confirm(client, "puppet", {"roles": ["approver"]}, ada)
    assert r.status == 200, await r.text()
    user = (await r.json())["user"]
    assert user["roles"] == ["viewer", "approver"] and user["pending"] is None

    clock.advance(STEP)
    await sign_in(client, "puppet", clock.now(), secret=secret)
    board = PAGE_CSRF.search(await (await client.get("/")).text())
    assert board
    r = await client.post(
        f"/api/v1/drafts/{draft['id']}/approve",
        json=approve,
        headers={"X-CSRF-Token": board.group(1)},
    )
    assert r.status == 200, await r.text()

    entries = [
        (e["action"], e["actor"], e["detail"].get("roles"))
        for e in await audit_of(client, "user:puppet")
        if e["action"].startswith("user.") and e["action"] != "user.totp_enrol"
    ]
    assert entries == [
        ("user.create", "ops", ["viewer"]),
        ("user.roles_requested", "ops", ["approver"]),
        ("user.roles_confirmed", "ada", ["approver"]),
    ]
    confirmed = next(
        e for e in await audit_of(client, "user:puppet") if e["action"] == "user.roles_confirmed"
    )
    assert confirmed["detail"]["requested_by"] == "ops"
    assert confirmed["detail"]["second_factor"] == "totp"


async def test_nobody_confirms_their_own_request_nor_a_grant_to_themselves(client, clock):
    """ops asks for approver for vera: ops's confirmation is 403; root asks for admin:all for
    ada: ada's own confirmation is 403 (a grant to herself), root's too (his request); nothing
    changes; a third admin's (root for ops's request) is done."""
    ops = await sign_in(client, "ops", clock.now())
    r = await client.patch("/api/v1/users/vera", json={"roles": ["approver"]}, headers=ops)
    assert r.status == 200, await r.text()
    answer = (await r.json())["user"]
    assert answer["roles"] == ["viewer"]  # kept until approver (which gives it) is confirmed
    assert answer["pending"]["roles"] == ["approver"]
    r = await confirm(client, "vera", {"roles": ["approver"], "totp": totp(clock.now())}, ops)
    assert r.status == 403 and "ops asked for these roles" in await detail(r)

    root = await sign_in(client, "root", clock.now())
    r = await client.patch("/api/v1/users/ada", json={"roles": ["admin:all"]}, headers=root)
    assert r.status == 200, await r.text()
    assert (await r.json())["user"]["roles"] == ["admin"]
    r = await confirm(client, "ada", {"roles": ["admin:all"]}, root)
    assert r.status == 403 and "root asked for these roles" in await detail(r)
    ada = await sign_in(client, "ada", clock.now())
    r = await confirm(client, "ada", {"roles": ["admin:all"]}, ada)
    assert r.status == 403 and "to themselves" in await detail(r), await r.text()
    store = store_of(client)
    assert (await store.get_user("ada")).grants == ("admin",)
    assert (await store.get_user("vera")).grants == ("viewer",)

    clock.advance(STEP)
    root = await sign_in(client, "root", clock.now())
    r = await confirm(client, "vera", {"roles": ["approver"]}, root)
    assert r.status == 200, await r.text()
    assert (await store.get_user("vera")).grants == ("approver",)
    actions = [e["action"] for e in await audit_of(client, "user:vera")]
    assert actions == ["user.roles_requested", "user.roles_confirmed"]


async def test_a_confirmation_takes_a_fresh_code_and_names_what_it_confirms(client, clock):
    """ada's confirmation with her step-up window run out and no code is 403 naming the TOTP
    code, the grant still pending; one naming other roles than those waiting is 409; with a
    fresh code it is done; then there is nothing to confirm (409)."""
    ops = await sign_in(client, "ops", clock.now())
    r = await client.patch("/api/v1/users/vera", json={"roles": ["admin"]}, headers=ops)
    assert r.status == 200, await r.text()
    ada = await sign_in(client, "ada", clock.now())
    clock.advance(timedelta(minutes=6))
    r = await confirm(client, "vera", {"roles": ["admin"]}, ada)
    assert r.status == 403 and "TOTP code" in await detail(r), await r.text()
    store = store_of(client)
    vera = await store.get_user("vera")
    assert vera.grants == ("viewer",) and vera.pending_roles == ("admin",)
    r = await confirm(client, "vera", {"roles": ["approver"], "totp": totp(clock.now())}, ada)
    assert r.status == 409 and "admin" in await detail(r), await r.text()
    r = await confirm(client, "vera", {"roles": ["admin"], "totp": totp(clock.now())}, ada)
    assert r.status == 200, await r.text()
    assert (await store.get_user("vera")).grants == ("admin",)
    r = await confirm(client, "vera", {"roles": ["admin"]}, ada)
    assert r.status == 409 and "nothing" in await detail(r), await r.text()


async def test_either_admin_cancels_and_taking_roles_away_is_immediate(client, clock):
    """The admin who asked cancels their request, and another admin cancels one too (audited,
    by whom); the person keeps the roles they held. Taking the approver role away is done at
    once, with nobody else, as is a change that raises nothing."""
    store = store_of(client)
    ops = await sign_in(client, "ops", clock.now())
    r = await client.patch("/api/v1/users/vera", json={"roles": ["approver"]}, headers=ops)
    assert r.status == 200, await r.text()
    r = await cancel(client, "vera", {}, ops)
    assert r.status == 200, await r.text()
    assert (await r.json())["user"]["pending"] is None
    vera = await store.get_user("vera")
    assert vera.grants == ("viewer",) and vera.pending_roles == ()
    r = await cancel(client, "vera", {}, ops)
    assert r.status == 409, await r.text()

    r = await client.patch("/api/v1/users/vera", json={"roles": ["viewer", "admin"]}, headers=ops)
    assert r.status == 200, await r.text()
    ada = await sign_in(client, "ada", clock.now())
    r = await cancel(client, "vera", {}, ada)
    assert r.status == 200, await r.text()
    assert (await store.get_user("vera")).pending_roles == ()
    cancelled = [
        (e["actor"], e["detail"]["roles"], e["detail"]["requested_by"])
        for e in await audit_of(client, "user:vera")
        if e["action"] == "user.roles_cancelled"
    ]
    assert cancelled == [("ops", ["approver"], "ops"), ("ada", ["admin"], "ops")]

    r = await client.patch("/api/v1/users/appr", json={"roles": ["viewer"]}, headers=ada)
    assert r.status == 200, await r.text()
    assert (await store.get_user("appr")).grants == ("viewer",)
    r = await client.patch("/api/v1/users/vera", json={"roles": ["editor"]}, headers=ada)
    assert r.status == 200, await r.text()
    vera = await store.get_user("vera")
    assert vera.grants == ("editor",) and vera.pending_roles == ()


async def test_a_new_request_replaces_a_pending_one_and_fewer_roles_drop_it(client, clock):
    """Asking for other roles while a grant waits replaces it (the earlier one audited as
    cancelled); a change to roles without the waiting ones drops it, so taking power away
    never leaves a grant behind to be confirmed later."""
    store = store_of(client)
    ops = await sign_in(client, "ops", clock.now())
    r = await client.patch("/api/v1/users/vera", json={"roles": ["approver"]}, headers=ops)
    assert r.status == 200, await r.text()
    r = await client.patch("/api/v1/users/vera", json={"roles": ["admin"]}, headers=ops)
    assert r.status == 200, await r.text()
    assert (await store.get_user("vera")).pending_roles == ("admin",)
    r = await client.patch("/api/v1/users/vera", json={"roles": ["editor"]}, headers=ops)
    assert r.status == 200, await r.text()
    vera = await store.get_user("vera")
    assert vera.grants == ("editor",) and vera.pending_roles == ()
    actions = [e["action"] for e in await audit_of(client, "user:vera")]
    assert actions == [
        "user.roles_requested",
        "user.roles_cancelled",
        "user.roles_requested",
        "user.roles",
        "user.roles_cancelled",
    ]


async def test_an_outage_admin_confirms_no_privacy_grant(client, clock):
    """A grant on the privacy track asked for by root waits for another admin of that track:
    ops and ada (outage admins) get 403 naming the privacy track, nothing changed."""
    root = await sign_in(client, "root", clock.now())
    r = await client.patch("/api/v1/users/vera", json={"roles": ["approver:all"]}, headers=root)
    assert r.status == 200, await r.text()
    ops = await sign_in(client, "ops", clock.now())
    r = await confirm(client, "vera", {"roles": ["approver:all"]}, ops)
    assert r.status == 403 and "lacks admin on the privacy track" in await detail(r)
    assert (await store_of(client).get_user("vera")).pending_roles == ("approver:all",)
