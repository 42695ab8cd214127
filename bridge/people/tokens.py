"""API tokens for automation: created (the secret shown once), revoked, found by their secret.

Contract: only the SHA-256 of a secret is stored; :meth:`Tokens.token_for` finds a live (not
revoked) token by its secret and records its use (at most once a minute: last use is for
people to read, not an exact log). Every change carries its audit entry (``token.*``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from bridge.errors import BadInput, Conflict
from bridge.people.rules import TOKEN_PREFIX, check_grants, token_hash
from bridge.people.writes import UserWrites
from bridge.store.records import TokenRecord

_RETRIES = 5
_TOUCH_EVERY = timedelta(minutes=1)  # last use is for people to read, not an exact log


class Tokens:
    """See the module contract."""

    def __init__(self, writes: UserWrites) -> None:
        self.writes = writes

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
            created_at=self.writes.now(),
            created_by=actor,
        )
        audit = self.writes.audit(
            actor, "token.create", f"token:{token.id}", name=name, roles=list(roles)
        )
        await self.writes.store.put_token(token, None, [audit])
        return token, secret

    async def revoke_token(self, token_id: str, actor: str) -> TokenRecord:
        for _ in range(_RETRIES):
            token = await self.writes.store.get_token(token_id)
            if token is None:
                raise LookupError(token_id)
            if token.revoked_at is not None:
                return token
            revoked = replace(token, revoked_at=self.writes.now(), revision=token.revision + 1)
            audit = self.writes.audit(actor, "token.revoke", f"token:{token_id}", name=token.name)
            try:
                await self.writes.store.put_token(revoked, token.revision, [audit])
            except Conflict:
                continue
            return revoked
        raise Conflict(f"token {token_id}", "changed by others on every try; retry")

    async def token_for(self, secret: str) -> TokenRecord | None:
        """The live token whose secret this is (its use recorded), or None."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        token = await self.writes.store.find_token(token_hash(secret))
        if token is None or token.revoked_at is not None:
            return None
        now = self.writes.now()
        if token.last_used_at is None or now - token.last_used_at >= _TOUCH_EVERY:
            await self.writes.store.touch_token(token.id, now)
        return token
