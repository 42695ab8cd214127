"""The sign-in steps: password, then a TOTP code; enrolment; the failure count and lockout.

Contract:
- :meth:`SignIn.check_password` and :meth:`SignIn.check_totp` decide a sign-in step with
  :mod:`bridge.core.access` at the clock's ``now``: a locked, disabled or unknown account fails
  like a wrong password, with the same :attr:`StepResult.message` (:data:`FAILED`), and every
  path of the password step costs exactly one argon2 verification (an unknown name against a
  dummy hash made with the same hasher, a locked account against its own hash, whose result
  is then ignored), so neither the answer nor its timing tells an unknown name, a wrong
  password and a locked account apart. Every failure counts toward the lockout of its step
  (``login.*`` audit entries, which do say why and which ``step``); ``locked_until`` is for
  the caller's logic, not for the person.
- The two steps count apart (:data:`PASSWORD`, :data:`TOTP`): wrong passwords, which anyone
  who knows a name can send from anywhere, lock only the password step
  (``failed_logins``/``locked_until``); wrong or reused codes, which only someone past the
  password (a session) can send, lock the code step (``totp_failures``/``totp_locked_until``)
  and, while that lasts, the password step too, as before. So a person's own live session
  steps up with a valid code while strangers have locked her password, and a session guessing
  codes is stopped as before. A completed sign-in clears both; a step-up's code clears the
  code step's only.
- A TOTP code is accepted within one 30-second step either side of ``now`` and only once: the
  step it matched is stored and codes of that step or earlier are refused afterwards.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

import pyotp

from bridge.core import access
from bridge.errors import Conflict
from bridge.people.rules import NAME
from bridge.people.writes import UserWrites
from bridge.store.records import AuditEntry, UserRecord

ISSUER = "incident-bridge"

#: The one message of every failed sign-in step: it never says whether the name exists or
#: whether the account is locked.
FAILED = (
    "Wrong user name or password, or too many failed sign-ins: the account is then locked "
    "for a while."
)


#: the sign-in steps, each with its own failure count and lock (see the module contract)
PASSWORD = "password"
TOTP = "totp"


def _state(user: UserRecord, step: str) -> access.FailureState:
    """The failure count and lock of ``user``'s ``step``."""
    if step == TOTP:
        return access.FailureState(user.totp_failures, user.totp_locked_until)
    return access.FailureState(user.failed_logins, user.locked_until)


def _with_state(user: UserRecord, step: str, state: access.FailureState) -> UserRecord:
    if step == TOTP:
        return replace(user, totp_failures=state.failed, totp_locked_until=state.locked_until)
    return replace(user, failed_logins=state.failed, locked_until=state.locked_until)


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
        return "" if self.ok else FAILED


class SignIn:
    """See the module contract."""

    def __init__(self, writes: UserWrites, policy: access.LockoutPolicy | None = None) -> None:
        self.writes = writes
        self.policy = policy or access.LockoutPolicy()
        self._dummy_hash: str | None = None

    async def _fail(self, user: UserRecord, reason: str, address: str, step: str) -> StepResult:
        """Count a failure toward ``step``'s lockout; audit it (and the lock it causes)."""

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], StepResult]:
            now = self.writes.now()
            state = access.after_failure(_state(u, step), self.policy, now)
            new = _with_state(u, step, state)
            target = f"user:{u.name}"
            audit = [
                self.writes.audit(
                    u.name, "login.failure", target, reason=reason, address=address, step=step
                )
            ]
            locked = access.locked_until(state, now)
            if locked is not None and locked != access.locked_until(_state(u, step), now):
                audit.append(
                    self.writes.audit(
                        u.name,
                        "login.lockout",
                        target,
                        until=locked.isoformat(),
                        address=address,
                        step=step,
                    )
                )
            return new, audit, StepResult(False, None, reason, locked)

        return await self.writes.change(user.name, change)

    async def _refused(self, name: str, reason: str, address: str, step: str) -> StepResult:
        await self.writes.store.append_audit(
            [
                self.writes.audit(
                    name, "login.failure", f"user:{name}", reason=reason, address=address, step=step
                )
            ]
        )
        return StepResult(False, None, reason)

    async def check_password(self, name: str, password: str, address: str) -> StepResult:
        """The first sign-in step (see the module contract)."""
        if self._dummy_hash is None:  # made on the first sign-in, whoever it is for
            self._dummy_hash = await self.writes.hash(secrets.token_hex(16))
        user = await self.writes.store.get_user(name) if NAME.match(name) else None
        # one verification on every path, before anything else is decided (see the contract)
        right = await self.writes.verify(
            self._dummy_hash if user is None else user.password_hash, password
        )
        if user is None:
            return await self._refused(name[:64], "unknown user", address, PASSWORD)
        now = self.writes.now()
        # a locked code step locks the account (as a lock did before the steps counted apart)
        locks = [access.locked_until(_state(user, step), now) for step in (PASSWORD, TOTP)]
        locked = max((t for t in locks if t is not None), default=None)
        if locked is not None:
            await self._refused(name, "locked", address, PASSWORD)
            return StepResult(False, None, "locked", locked)
        if not right:
            return await self._fail(user, "wrong password", address, PASSWORD)
        if user.disabled:
            return await self._refused(name, "disabled", address, PASSWORD)
        return StepResult(True, user)

    def _totp_step(self, secret: str, code: str) -> int | None:
        code = code.replace(" ", "")
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return None  # isdigit alone takes '²', which hmac.compare_digest raises on
        totp = pyotp.TOTP(secret)
        at = int(self.writes.now().timestamp())
        step = totp.timecode(at)
        for offset in (0, -1, 1):
            if hmac.compare_digest(totp.at(at, counter_offset=offset), code):
                return step + offset
        return None

    async def check_totp(self, name: str, code: str, address: str) -> StepResult:
        """The second step: a code from the user's TOTP secret (enrolled or being enrolled).
        On success the step is stored (no replay) and enrolment completes. Only the code
        step's own lock refuses it (see the module contract): wrong passwords sent by anyone
        never keep a session from stepping up."""
        user = await self.writes.store.get_user(name)
        if user is None or user.disabled or user.totp_secret is None:
            return await self._refused(name, "no second factor possible", address, TOTP)
        locked = access.locked_until(_state(user, TOTP), self.writes.now())
        if locked is not None:
            await self._refused(name, "locked", address, TOTP)
            return StepResult(False, None, "locked", locked)
        step = self._totp_step(user.totp_secret, code)
        if step is None or step <= user.totp_last_step:
            return await self._fail(user, "wrong or reused TOTP code", address, TOTP)
        secret = user.totp_secret

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], StepResult]:
            if u.totp_secret != secret or step <= u.totp_last_step:
                return u, [], StepResult(False, None, "wrong or reused TOTP code")
            new = replace(
                u, totp_enrolled=True, totp_last_step=step, totp_failures=0, totp_locked_until=None
            )
            audit = []
            if not u.totp_enrolled:
                audit.append(self.writes.audit(u.name, "user.totp_enrol", f"user:{u.name}"))
            return new, audit, StepResult(True, new)

        return await self.writes.change(name, change)

    async def signed_in(self, user: UserRecord, address: str, second_factor: bool) -> None:
        """Clear both steps' failure counts and audit a completed sign-in."""

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], None]:
            new = replace(
                u, failed_logins=0, locked_until=None, totp_failures=0, totp_locked_until=None
            )
            entry = self.writes.audit(
                u.name, "login.success", f"user:{u.name}", address=address, totp=second_factor
            )
            return new, [entry], None

        await self.writes.change(user.name, change)

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

        secret = await self.writes.change(name, change)
        uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)
        return secret, uri
