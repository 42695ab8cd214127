"""bridge/people/directory.py on a real SQLite store with an injected clock: the TOTP window
and replay rule, enrolment keys, token lookup, and the failure count's lock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from builders import PASSWORD, TOTP_SECRET, add_user
from fakes import FakeClock

from bridge.core.access import LockoutPolicy
from bridge.errors import BadInput, Conflict
from bridge.people.directory import Directory
from bridge.people.signin import FAILED
from bridge.store import SqliteStore


@pytest.fixture
async def directory(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Directory]:
    store = SqliteStore(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    await store.open()
    await add_user(store, "arne", ["approver"])
    yield Directory(store, clock.now, LockoutPolicy(max_failures=3))
    await store.close()


def code_at(clock: FakeClock, steps: int) -> str:
    return pyotp.TOTP(TOTP_SECRET).at(int(clock.now().timestamp()), counter_offset=steps)


async def test_totp_window_is_one_step_either_side(directory: Directory, clock: FakeClock):
    """Codes of the previous, current and next 30-second step pass; two steps away fail."""
    assert not (await directory.signin.check_totp("arne", code_at(clock, -2), "a")).ok
    assert not (await directory.signin.check_totp("arne", code_at(clock, 2), "a")).ok
    assert (await directory.signin.check_totp("arne", code_at(clock, -1), "a")).ok
    assert (await directory.signin.check_totp("arne", code_at(clock, 0), "a")).ok
    assert (await directory.signin.check_totp("arne", code_at(clock, 1), "a")).ok


async def test_a_code_is_accepted_once_and_never_an_older_one(
    directory: Directory, clock: FakeClock
):
    """After the current step's code was used, it and the previous step's are refused."""
    assert (await directory.signin.check_totp("arne", code_at(clock, 0), "a")).ok
    assert not (await directory.signin.check_totp("arne", code_at(clock, 0), "a")).ok
    assert not (await directory.signin.check_totp("arne", code_at(clock, -1), "a")).ok
    clock.advance(timedelta(seconds=30))
    assert (await directory.signin.check_totp("arne", code_at(clock, 0), "a")).ok


async def test_wrong_codes_lock_like_wrong_passwords(directory: Directory, clock: FakeClock):
    """Wrong codes count toward the account's lockout; then even the right password fails."""
    for _ in range(3):
        assert not (await directory.signin.check_totp("arne", "12345x", "a")).ok
    result = await directory.signin.check_password("arne", PASSWORD, "a")
    assert not result.ok and result.locked_until == clock.now() + timedelta(minutes=15)


@pytest.mark.parametrize("code", ["\u00b2" * 6, "\u0661" * 6])  # '²', Arabic-Indic 1
async def test_a_code_of_digits_not_in_ascii_is_wrong_not_an_error(directory: Directory, code: str):
    """Digits to ``isdigit`` outside ASCII are a wrong code (hmac.compare_digest raised
    TypeError on them: a 500 for the request that sent it)."""
    result = await directory.signin.check_totp("arne", code, "a")
    assert not result.ok and result.reason == "wrong or reused TOTP code"


async def test_enrolment_key_is_kept_until_done(directory: Directory):
    """Reloading the enrolment page shows the same key; an enrolled user gets none."""
    await directory.accounts.update("arne", "admin", reset_totp=True)
    first, uri = await directory.signin.enrolment("arne")
    again, _ = await directory.signin.enrolment("arne")
    assert first == again and f"secret={first}" in uri and "issuer=incident-bridge" in uri


async def test_tokens_by_secret(directory: Directory):
    """A token is found by its secret until revoked; other strings find nothing."""
    token, secret = await directory.tokens.add_token("ci", ["viewer"], "admin")
    found = await directory.tokens.token_for(secret)
    assert found is not None and found.id == token.id
    assert await directory.tokens.token_for(secret + "x") is None
    assert await directory.tokens.token_for("not-a-token") is None
    await directory.tokens.revoke_token(token.id, "admin")
    assert await directory.tokens.token_for(secret) is None


async def test_new_passwords_follow_the_policy(directory: Directory):
    """A short password is refused naming the field; the old one still works."""
    with pytest.raises(BadInput, match="password: must be at least 12"):
        await directory.accounts.set_password("arne", "short", "admin")
    assert (await directory.signin.check_password("arne", PASSWORD, "a")).ok


async def test_every_password_step_costs_one_argon2_verification(
    directory: Directory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    """Unknown name, wrong password, locked account (right or wrong password), disabled and
    right password each verify exactly one argon2 hash, so timing does not tell them apart; all
    failures carry the same message and the lock still holds."""
    writes = directory.signin.writes
    calls: list[str] = []
    real_verify = writes.verify

    async def counting(stored: str, password: str) -> bool:
        calls.append(stored)
        return await real_verify(stored, password)

    monkeypatch.setattr(writes, "verify", counting)

    async def verifications(name: str, password: str) -> tuple[int, bool, str]:
        calls.clear()
        result = await directory.signin.check_password(name, password, "a")
        return len(calls), result.ok, result.message

    failed = FAILED
    assert await verifications("nobody", PASSWORD) == (1, False, failed)
    assert await verifications("not a valid name!", PASSWORD) == (1, False, failed)
    assert await verifications("arne", "wrong password!!") == (1, False, failed)
    for _ in range(2):
        await directory.signin.check_password("arne", "wrong password!!", "a")
    assert await verifications("arne", PASSWORD) == (1, False, failed)  # locked
    assert await verifications("arne", "wrong password!!") == (1, False, failed)
    clock.advance(timedelta(minutes=15))
    assert await verifications("arne", PASSWORD) == (1, True, "")
    await directory.accounts.update("arne", "admin", disabled=True)
    assert await verifications("arne", PASSWORD) == (1, False, failed)


async def test_a_change_checked_against_roles_that_changed_meanwhile_is_a_conflict(
    directory: Directory,
):
    """An admin found allowed to change a person holding the roles they read (expect_grants)
    changes nothing once another admin changed those roles: Conflict, password and TOTP kept."""
    await directory.accounts.update("arne", "root", grants=["approver:privacy"])
    before = await directory.accounts.get("arne")
    with pytest.raises(Conflict, match="roles changed"):
        await directory.accounts.update("arne", "ops", reset_totp=True, expect_grants=("approver",))
    with pytest.raises(Conflict, match="roles changed"):
        await directory.accounts.set_password(
            "arne", "another long password", "ops", expect_grants=("approver",)
        )
    assert await directory.accounts.get("arne") == before
