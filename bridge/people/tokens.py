"""API tokens for automation: created (the secret shown once), revoked, found by their secret.

Contract: only the SHA-256 of a secret is stored; :meth:`Tokens.token_for` finds a live (not
revoked) token by its secret and records its use (at most once a minute: last use is for
people to read, not an exact log). Every change carries its audit entry (``token.*``).

Stored and configured tokens (``auth.api_tokens``, ``auth.webhook.tokens``) never stand for one
caller: a request's bearer token is looked up among the configured ones first, so a stored
token whose secret a configured entry holds too would act with that entry's roles and name (and
revoking it would not stop the secret), and a stored token under a configured API token's name
is told apart from it by nobody in the audit (both ``token:NAME``). A new token's secret is
random (256 bits): it cannot meet a configured one by chance, only by being copied into
bridge.yaml; so :meth:`Tokens.add_token` (``bridge tokens add``, ``POST /api/v1/tokens``)
refuses a configured API token's name in any case (BadInput naming ``name``), and ``bridge
serve`` refuses to start beside a live stored token that shares a configured token's secret or
API token's name (:func:`clashes`), naming both. A revoked token clashes with nothing: it
authenticates no one.

A stored token's name is the audit's actor (``token:NAME``), so it follows the user-name
pattern (:data:`bridge.people.rules.NAME`: lower-case letters, digits, ``.``, ``_``, ``@``,
``-``; no control, format or look-alike characters) and no two live stored tokens share one, in
any case (:func:`bridge.store.records.token_name_key`): at any moment one live token carries a
name, so an audit entry's actor and time name one token. Rotating a token means a new token
under a new name, then revoking the old one. :meth:`Tokens.check_new` reads the live names to
refuse early; the store refuses again in the write itself
(:meth:`bridge.store.interfaces.PeopleStore.put_token`), so two simultaneous ``add_token`` calls
under one new name (two requests, two replicas, ``bridge tokens add`` beside a running bridge)
store one token and the other gets the same BadInput. Live tokens sharing a name from before
that (schema 13) are kept; ``bridge serve`` logs a warning per such name (:func:`shared_names`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import timedelta

from bridge.config import AuthConfig
from bridge.errors import BadInput, Conflict, NameTaken
from bridge.people.rules import TOKEN_PREFIX, check_grants, check_name, token_hash
from bridge.people.writes import UserWrites
from bridge.store.records import TokenRecord, token_name_key

_RETRIES = 5
_TOUCH_EVERY = timedelta(minutes=1)  # last use is for people to read, not an exact log


class Tokens:
    """See the module contract."""

    def __init__(self, writes: UserWrites, configured: AuthConfig | None = None) -> None:
        self.writes = writes
        #: the configured credentials, whose API token names a new token may not take
        self.configured = configured if configured is not None else AuthConfig()

    async def check_new(self, name: str, grants: Sequence[str]) -> tuple[str, ...]:
        """The roles of a new token named ``name``, once the name may be taken (BadInput
        naming ``name``: a configured API token's name in any case, not the user-name pattern,
        a live stored token's name) and the roles are valid (naming ``roles[i]``)."""
        index = configured_name(self.configured, name)
        if index is not None:
            taken = self.configured.api_tokens[index].name
            case = "" if taken == name else f" in another case ({taken!r})"
            raise BadInput(
                "name",
                f"{name!r} is the name of a configured token{case} (auth.api_tokens.{index}.name):"
                f" the audit would name both token:{name}; choose another",
            )
        check_name(name)
        key = token_name_key(name)
        same = next((t for t in await self.writes.store.list_tokens() if t.live_name == key), None)
        if same is not None:
            raise _taken(name, same.id, same.name)
        return check_grants(grants)

    async def add_token(
        self, name: str, grants: Sequence[str], actor: str, **attest: str
    ) -> tuple[TokenRecord, str]:
        """A new token and its secret (shown once, never stored); ``attest``: more detail for
        its audit entry (the second factor of the person who made it)."""
        roles = await self.check_new(name, grants)
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
            actor, "token.create", f"token:{token.id}", name=name, roles=list(roles), **attest
        )
        try:
            await self.writes.store.put_token(token, None, [audit])
        except NameTaken as exc:  # made meanwhile under the name (the store's own check)
            raise _taken(name, exc.holder) from None
        return token, secret

    async def revoke_token(self, token_id: str, actor: str, **attest: str) -> TokenRecord:
        for _ in range(_RETRIES):
            token = await self.writes.store.get_token(token_id)
            if token is None:
                raise LookupError(token_id)
            if token.revoked_at is not None:
                return token
            revoked = replace(token, revoked_at=self.writes.now(), revision=token.revision + 1)
            audit = self.writes.audit(
                actor, "token.revoke", f"token:{token_id}", name=token.name, **attest
            )
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


def _taken(name: str, holder: str, held: str | None = None) -> BadInput:
    """The refusal of ``name``, held by the live token ``holder`` (as ``held``, when known)."""
    case = f" (as {held!r})" if held is not None and held != name else ""
    return BadInput(
        "name",
        f"{name!r} is the name of the live token {holder}{case}: the audit would name both "
        f"token:{name}; choose another (to rotate a token, make the new one under a new name, "
        "then revoke the old)",
    )


def shared_names(stored: Iterable[TokenRecord]) -> list[str]:
    """One line per name that live tokens share (stored before schema 13 refused it; see the
    module contract), naming it and the tokens, for ``bridge serve``'s log. Names are shown as
    :func:`repr` gives them (one stored before the name pattern may hold any character)."""
    holders: dict[str, list[TokenRecord]] = {}
    for token in stored:
        if token.live_name is not None:
            holders.setdefault(token.live_name, []).append(token)
    return [
        f"the live API tokens {', '.join(f'{t.id} ({t.name!r})' for t in same)} share the name "
        f"{same[0].name!r} in any case (made before one live token per name was enforced): the "
        "audit cannot tell them apart, and no new token may take the name while one of them "
        "lives; revoke all but one (`bridge tokens revoke ID`; a client on a revoked one gets "
        "401): docs/deployment.md, Upgrading"
        for same in holders.values()
        if len(same) > 1
    ]


def configured_name(auth: AuthConfig, name: str) -> int | None:
    """The index in ``auth.api_tokens`` of the configured token named ``name`` in any case
    (``NOC-READONLY`` for ``noc-readonly``), or None."""
    folded = name.casefold()
    return next((i for i, t in enumerate(auth.api_tokens) if t.name.casefold() == folded), None)


def clashes(
    auth: AuthConfig,
    stored: Iterable[TokenRecord],
    origin: Callable[[tuple[str, ...]], str],
) -> list[str]:
    """Each configured token sharing its secret, or API token its name (in any case, as
    :func:`configured_name` compares), with a live stored token (see the module contract), as
    ``ORIGIN: key.path: …`` naming the stored token's id (``origin`` names where a key path's
    value came from). Never a secret."""
    live = [t for t in stored if t.revoked_at is None]
    by_hash = {t.token_hash: t for t in live}
    webhook = "Alertmanager's credential would read the API as the stored token too"
    api = "configured tokens are looked up first: this entry's roles and name would act for it"
    configured = [
        (("auth", "webhook", "tokens", str(i), "token"), t.token.get(), webhook)
        for i, t in enumerate(auth.webhook.tokens)
    ] + [
        (("auth", "api_tokens", str(i), "token"), t.token.get(), api)
        for i, t in enumerate(auth.api_tokens)
    ]
    problems: list[str] = []
    for loc, secret, why in configured:
        hit = by_hash.get(token_hash(secret))
        if hit is not None:
            problems.append(
                f"{origin(loc)}: {'.'.join(loc)}: the secret of the stored token {hit.id} "
                f"({hit.name!r}, made by `bridge tokens add`): a token names one caller ({why}, "
                "and revoking the stored token would not stop this secret); revoke it "
                f"(`bridge tokens revoke {hit.id}`) and give this entry a secret of its own"
            )
    for i, token in enumerate(auth.api_tokens):
        folded = token.name.casefold()
        for same in (t for t in live if t.name.casefold() == folded):
            loc = ("auth", "api_tokens", str(i), "name")
            problems.append(
                f"{origin(loc)}: {'.'.join(loc)}: {token.name!r} is also the name of the stored "
                f"token {same.id} (made by `bridge tokens add`): the audit names both "
                f"token:{token.name}; revoke the stored one (`bridge tokens revoke {same.id}`) "
                "or rename this entry"
            )
    return problems
