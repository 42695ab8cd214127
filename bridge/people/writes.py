"""Shared by the people modules: the store they need, password hashing, and one retried
compare-and-set change of a user with its audit entries.

Contract: :meth:`UserWrites.change` reads the user, applies the change, and writes it with its
audit entries in one compare-and-set; a write that lost a race is re-read and re-applied (a few
times, then Conflict). Audit details never hold a password, a TOTP code or secret, a session id
or a token. Password hashing (argon2id, ~50 ms of CPU by design) runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bridge.errors import Conflict
from bridge.store.interfaces import AuditLog, PeopleStore
from bridge.store.records import AuditEntry, UserRecord

_RETRIES = 5
R = TypeVar("R")


class DirectoryStore(PeopleStore, AuditLog, Protocol):
    """What the people modules need of a store: people, and the audit log for what they append
    apart from a write."""


class UserWrites:
    """See the module contract; ``now`` is the clock (injected in tests)."""

    def __init__(
        self,
        store: DirectoryStore,
        now: Callable[[], datetime],
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.store = store
        self.now = now
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile

    def audit(self, actor: str, action: str, target: str, **detail: Any) -> AuditEntry:
        return AuditEntry(self.now(), actor, action, target, detail)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self.hasher.verify, stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def change(
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
