"""People and API tokens over a Store: passwords (argon2id), TOTP, lockout, tokens.

Contract:
- Every change of a user or token is one compare-and-set write carrying its audit entry
  (``user.*``, ``token.*``, ``login.*``); a write that lost a race is re-read and re-applied
  (a few times, then Conflict). Audit details never hold a password, a TOTP code or secret, a
  session id or a token.
- :meth:`Directory.check_password` and :meth:`Directory.check_totp` decide a sign-in step with
  :mod:`bridge.core.access` at the directory's ``now``: a locked, disabled or unknown account
  fails like a wrong password (an unknown name still costs one argon2 verification, so timing
  does not tell names apart), and every failure counts toward the account's lockout.
- A TOTP code is accepted within one 30-second step either side of ``now`` and only once: the
  step it matched is stored and codes of that step or earlier are refused afterwards.
- API tokens: ``ibt_`` + 43 random URL-safe characters (256 bits); only the SHA-256 is stored;
  :meth:`Directory.token_for` finds a live (not revoked) token by its secret and records its use.
- Password hashing runs in a worker thread (argon2id costs ~50 ms of CPU by design).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bridge.core import access
from bridge.errors import BadInput, Conflict
from bridge.store.interfaces import AuditLog, PeopleStore
from bridge.store.records import AuditEntry, TokenRecord, UserRecord

NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
TOKEN_PREFIX = "ibt_"
ISSUER = "incident-bridge"
_RETRIES = 5
R = TypeVar("R")


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise BadInput(
            "name", "expected 1-64 of a-z, 0-9, '.', '_', '@', '-' (lower case, first a-z/0-9)"
        )
    return name


def check_grants(grants: Sequence[str], field: str = "roles") -> tuple[str, ...]:
    if not grants:
        raise BadInput(field, "expected at least one role (viewer, approver:outage, …)")
    for i, grant in enumerate(grants):
        problem = access.grant_problem(grant) if isinstance(grant, str) else "expected a string"
        if problem:
            raise BadInput(f"{field}[{i}]", problem)
    return tuple(dict.fromkeys(grants))


def check_password(password: str, field: str = "password") -> str:
    problem = access.password_problem(password)
    if problem:
        raise BadInput(field, problem)
    return password


def new_password() -> str:
    """A one-time password for a reset: 20 URL-safe characters (120 bits)."""
    return secrets.token_urlsafe(15)


@dataclass(frozen=True, slots=True)
class StepResult:
    """A sign-in step's outcome: ``ok`` with the user, or why not (for the person: ``message``
    is safe to show; ``reason`` goes to the audit log)."""

    ok: bool
    user: UserRecord | None
    reason: str = ""
    locked_until: datetime | None = None

    @property
    def message(self) -> str:
        if self.locked_until is not None:
            return "Too many failed sign-ins: this account is locked for a while."
        return "Wrong user name or password." if self.reason else ""


class DirectoryStore(PeopleStore, AuditLog, Protocol):
    """What the directory needs of a store: people, and the audit log for what it appends
    apart from a write."""


class Directory:
    """Users and tokens in ``store``; ``now`` is the clock (injected in tests)."""

    def __init__(
        self,
        store: DirectoryStore,
        now: Callable[[], datetime],
        policy: access.LockoutPolicy | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.store = store
        self.now = now
        self.policy = policy or access.LockoutPolicy()
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy_hash: str | None = None

    # ---- plumbing ----------------------------------------------------------------------
    def _audit(self, actor: str, action: str, target: str, **detail: Any) -> AuditEntry:
        return AuditEntry(self.now(), actor, action, target, detail)

    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def _verify(self, stored: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self.hasher.verify, stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _change(
        self,
        name: str,
        change: Callable[[UserRecord], Awaitable[tuple[UserRecord, list[AuditEntry], R]]],
    ) -> R:
        """Read user ``name``, apply ``change``, write it with its audit; retry lost races."""
        for _ in range(_RETRIES):
            user = await self.store.get_user(name)
            if user is None:
                raise LookupError(name)
            changed, audit, result = await change(user)
            if changed == user and not audit:
                return result
            changed = replace(changed, revision=user.revision + 1, updated_at=self.now())
            try:
                await self.store.put_user(changed, user.revision, audit)
            except Conflict:
                continue
            return result
        raise Conflict(f"user {name}", "changed by others on every try; retry")

    # ---- users -------------------------------------------------------------------------
    async def get(self, name: str) -> UserRecord | None:
        return await self.store.get_user(name)

    async def add_user(
        self,
        name: str,
        grants: Sequence[str],
        password: str,
        actor: str,
        display_name: str = "",
    ) -> UserRecord:
        """A new user (Conflict when the name is taken)."""
        check_name(name)
        roles = check_grants(grants)
        check_password(password)
        now = self.now()
        user = UserRecord(
            name=name,
            display_name=display_name or name,
            password_hash=await self._hash(password),
            grants=roles,
            created_at=now,
            updated_at=now,
        )
        audit = self._audit(actor, "user.create", f"user:{name}", roles=list(roles))
        await self.store.put_user(user, None, [audit])
        return user

    async def set_password(self, name: str, password: str, actor: str) -> UserRecord:
        """New password; the user's sessions end and any lock is lifted."""
        check_password(password)
        hashed = await self._hash(password)

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], UserRecord]:
            new = replace(u, password_hash=hashed, failed_logins=0, locked_until=None)
            return new, [self._audit(actor, "user.password", f"user:{name}")], new

        user = await self._change(name, change)
        await self.store.delete_user_sessions(name)
        return user

    async def update(
        self,
        name: str,
        actor: str,
        *,
        grants: Sequence[str] | None = None,
        display_name: str | None = None,
        disabled: bool | None = None,
        reset_totp: bool = False,
        unlock: bool = False,
    ) -> UserRecord:
        """Change roles, name shown, disabled flag, TOTP enrolment or lock; audited.
        Disabling or resetting TOTP ends the user's sessions."""
        roles = check_grants(grants) if grants is not None else None

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], UserRecord]:
            new, audit, target = u, [], f"user:{name}"
            if roles is not None and roles != u.grants:
                new = replace(new, grants=roles)
                audit.append(
                    self._audit(actor, "user.roles", target, old=list(u.grants), new=list(roles))
                )
            if display_name is not None and display_name != u.display_name:
                new = replace(new, display_name=display_name)
                audit.append(self._audit(actor, "user.rename", target, display_name=display_name))
            if disabled is not None and disabled != u.disabled:
                new = replace(new, disabled=disabled)
                action = "user.disable" if disabled else "user.enable"
                audit.append(self._audit(actor, action, target))
            if reset_totp and (u.totp_secret or u.totp_enrolled):
                new = replace(new, totp_secret=None, totp_enrolled=False, totp_last_step=0)
                audit.append(self._audit(actor, "user.totp_reset", target))
            if unlock and (u.locked_until or u.failed_logins):
                new = replace(new, failed_logins=0, locked_until=None)
                audit.append(self._audit(actor, "user.unlock", target))
            return new, audit, new

        user = await self._change(name, change)
        if user.disabled or reset_totp:
            await self.store.delete_user_sessions(name)
        return user

    # ---- sign-in -----------------------------------------------------------------------
    async def _fail(self, user: UserRecord, reason: str, address: str) -> StepResult:
        """Count a failure toward the lockout; audit it (and the lock it causes)."""

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], StepResult]:
            now = self.now()
            state = access.after_failure(
                access.FailureState(u.failed_logins, u.locked_until), self.policy, now
            )
            new = replace(u, failed_logins=state.failed, locked_until=state.locked_until)
            target = f"user:{u.name}"
            audit = [self._audit(u.name, "login.failure", target, reason=reason, address=address)]
            locked = access.locked_until(state, now)
            if locked is not None and locked != access.locked_until(
                access.FailureState(u.failed_logins, u.locked_until), now
            ):
                audit.append(
                    self._audit(
                        u.name, "login.lockout", target, until=locked.isoformat(), address=address
                    )
                )
            return new, audit, StepResult(False, None, reason, locked)

        return await self._change(user.name, change)

    async def _refused(self, name: str, reason: str, address: str) -> StepResult:
        await self.store.append_audit(
            [self._audit(name, "login.failure", f"user:{name}", reason=reason, address=address)]
        )
        return StepResult(False, None, reason)

    async def check_password(self, name: str, password: str, address: str) -> StepResult:
        """The first sign-in step (see the module contract)."""
        user = await self.store.get_user(name) if NAME.match(name) else None
        if user is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self._hash(secrets.token_hex(16))
            await self._verify(self._dummy_hash, password)
            return await self._refused(name[:64], "unknown user", address)
        locked = access.locked_until(
            access.FailureState(user.failed_logins, user.locked_until), self.now()
        )
        if locked is not None:
            await self._refused(name, "locked", address)
            return StepResult(False, None, "locked", locked)
        if not await self._verify(user.password_hash, password):
            return await self._fail(user, "wrong password", address)
        if user.disabled:
            return await self._refused(name, "disabled", address)
        return StepResult(True, user)

    def _totp_step(self, secret: str, code: str) -> int | None:
        code = code.replace(" ", "")
        if not (len(code) == 6 and code.isdigit()):
            return None
        totp = pyotp.TOTP(secret)
        at = int(self.now().timestamp())
        step = totp.timecode(at)
        for offset in (0, -1, 1):
            if hmac.compare_digest(totp.at(at, counter_offset=offset), code):
                return step + offset
        return None

    async def check_totp(self, name: str, code: str, address: str) -> StepResult:
        """The second step: a code from the user's TOTP secret (enrolled or being enrolled).
        On success the step is stored (no replay) and enrolment completes."""
        user = await self.store.get_user(name)
        if user is None or user.disabled or user.totp_secret is None:
            return await self._refused(name, "no second factor possible", address)
        if access.locked_until(
            access.FailureState(user.failed_logins, user.locked_until), self.now()
        ):
            await self._refused(name, "locked", address)
            return StepResult(False, None, "locked", user.locked_until)
        step = self._totp_step(user.totp_secret, code)
        if step is None or step <= user.totp_last_step:
            return await self._fail(user, "wrong or reused TOTP code", address)
        secret = user.totp_secret

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], StepResult]:
            if u.totp_secret != secret or step <= u.totp_last_step:
                return u, [], StepResult(False, None, "wrong or reused TOTP code")
            new = replace(
                u, totp_enrolled=True, totp_last_step=step, failed_logins=0, locked_until=None
            )
            audit = []
            if not u.totp_enrolled:
                audit.append(self._audit(u.name, "user.totp_enrol", f"user:{u.name}"))
            return new, audit, StepResult(True, new)

        return await self._change(name, change)

    async def signed_in(self, user: UserRecord, address: str, second_factor: bool) -> None:
        """Clear the failure count and audit a completed sign-in."""

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], None]:
            new = replace(u, failed_logins=0, locked_until=None)
            entry = self._audit(
                u.name, "login.success", f"user:{u.name}", address=address, totp=second_factor
            )
            return new, [entry], None

        await self._change(user.name, change)

    async def enrolment(self, name: str) -> tuple[str, str]:
        """(secret, otpauth URI) for a user not yet enrolled; the secret is made once and
        kept until enrolment completes or an admin resets it."""

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], str]:
            if u.totp_enrolled:
                raise Conflict(f"user {name}", "TOTP is already enrolled")
            if u.totp_secret:
                return u, [], u.totp_secret
            secret = pyotp.random_base32()
            return replace(u, totp_secret=secret), [], secret

        secret = await self._change(name, change)
        uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)
        return secret, uri

    # ---- API tokens --------------------------------------------------------------------
    async def add_token(
        self, name: str, grants: Sequence[str], actor: str
    ) -> tuple[TokenRecord, str]:
        """A new token and its secret (shown once, never stored)."""
        if not name or len(name) > 64:
            raise BadInput("name", "expected 1-64 characters")
        roles = check_grants(grants)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = TokenRecord(
            id=secrets.token_hex(6),
            name=name,
            token_hash=token_hash(secret),
            grants=roles,
            created_at=self.now(),
            created_by=actor,
        )
        audit = self._audit(
            actor, "token.create", f"token:{token.id}", name=name, roles=list(roles)
        )
        await self.store.put_token(token, None, [audit])
        return token, secret

    async def revoke_token(self, token_id: str, actor: str) -> TokenRecord:
        for _ in range(_RETRIES):
            token = await self.store.get_token(token_id)
            if token is None:
                raise LookupError(token_id)
            if token.revoked_at is not None:
                return token
            revoked = replace(token, revoked_at=self.now(), revision=token.revision + 1)
            audit = self._audit(actor, "token.revoke", f"token:{token_id}", name=token.name)
            try:
                await self.store.put_token(revoked, token.revision, [audit])
            except Conflict:
                continue
            return revoked
        raise Conflict(f"token {token_id}", "changed by others on every try; retry")

    async def token_for(self, secret: str) -> TokenRecord | None:
        """The live token whose secret this is (its use recorded), or None."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        token = await self.store.find_token(token_hash(secret))
        if token is None or token.revoked_at is not None:
            return None
        now = self.now()
        if token.last_used_at is None or now - token.last_used_at >= _TOUCH_EVERY:
            await self.store.touch_token(token.id, now)
        return token


_TOUCH_EVERY = timedelta(minutes=1)  # last use is for people to read, not an exact log
