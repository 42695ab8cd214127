"""Who is calling: webhook credentials (bearer or basic) and configured API tokens with roles
(stored tokens and sessions per request: bridge/web/access.py; sessions:
bridge/web/sessions.py; the role check: bridge/core/access.py).

Every secret comparison is constant-time (``hmac.compare_digest`` over SHA-256 digests, so the
length of a configured secret does not leak either) and checks every configured credential, not
only until the first match.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from dataclasses import dataclass

from bridge.config import ApiToken, AuthConfig
from bridge.core.access import ROLE_RANK, grants_allow

__all__ = ["ROLE_RANK", "Principal", "api_principal", "webhook_allowed"]


#: where Alertmanager delivers; every delivery carries the webhook's own credentials
WEBHOOK_PATH = "/api/v1/alertmanager"
#: the probes (an orchestrator's, Prometheus'): no credential, no session, no console page
PROBES = ("/healthz", "/metrics", "/readyz")


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


#: a configured secret's digest, computed once (the configured secrets are few and fixed; what
#: callers send is never kept here)
_secret_digest = functools.lru_cache(maxsize=256)(_digest)


def _any_equal(candidate: str, secrets: list[str]) -> int | None:
    """Index of the secret equal to ``candidate`` (constant-time over all), or None."""
    probe = _digest(candidate)
    found: int | None = None
    for index, secret in enumerate(secrets):
        if hmac.compare_digest(probe, _secret_digest(secret)) and found is None:
            found = index
    return found


def _credentials(header: str | None) -> tuple[str, str] | None:
    """('bearer', token) or ('basic', 'user:password') from an Authorization header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and value.strip():
        return ("bearer", value.strip())
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return ("basic", decoded)
    return None


def webhook_allowed(auth: AuthConfig, header: str | None) -> str | None:
    """The name of the credential the request carries, or None (answer 401)."""
    creds = _credentials(header)
    if creds is None:
        return None
    scheme, value = creds
    if scheme == "bearer":
        tokens = auth.webhook.tokens
        hit = _any_equal(value, [t.token.get() for t in tokens])
        return tokens[hit].name if hit is not None else None
    basic = auth.webhook.basic
    hit = _any_equal(value, [f"{b.username}:{b.password.get()}" for b in basic])
    return basic[hit].username if hit is not None else None


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller and its role grants (``role`` or ``role:track``); ``person``
    for a signed-in person (a session), False for an API token."""

    name: str
    grants: tuple[str, ...]
    person: bool = False

    def can(self, role: str, track: str = "outage") -> bool:
        """True when some grant gives ``role`` (or a higher one) on ``track``."""
        return grants_allow(self.grants, role, track)


def api_principal(tokens: list[ApiToken], header: str | None) -> Principal | None:
    creds = _credentials(header)
    if creds is None or creds[0] != "bearer":
        return None
    hit = _any_equal(creds[1], [t.token.get() for t in tokens])
    if hit is None:
        return None
    token = tokens[hit]
    return Principal(f"token:{token.name}", tuple(token.roles))
