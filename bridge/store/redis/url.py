"""The Redis store URL: ``redis[s]://[[USER]:PASSWORD@]HOST:PORT/DB[?PARAMS]``, parameters:

- ``prefix=TEXT`` — prefix of every key (default ``bridge:``); several bridges can share a
  database with different prefixes.
- ``wait_replicas=N`` and ``wait_timeout_ms=M`` (default 1000) — after every write, ``WAIT N
  M``; fewer than N acknowledgements raise StoreOutcomeUnknown: the write is on the primary
  but not known to be on a replica; the caller retries (ingest is idempotent; a retried draft
  write finds its own revision and raises Conflict, so re-read).
- ``check_interval_ms=N`` (default 5000) — how often the store reads the server's settings
  again while it runs (:mod:`.connection`); 0: before every write (tests).
- ``unsafe_ok=true`` — open despite unsafe settings (:mod:`.durability`), logging a WARNING
  naming each one.
- ``socket_timeout``, ``socket_connect_timeout`` (seconds, default 5 and 2),
  ``health_check_interval``, ``client_name``, ``max_connections`` (default 32),
  ``ssl_cert_reqs``, ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``,
  ``ssl_check_hostname`` — passed to redis-py. Any other parameter is a ConfigError.

The client never retries a command on its own (a script retried after a lost reply could apply
twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bridge.core.store_url import REDIS_DRIVER_PARAMETERS, REDIS_OWN_PARAMETERS, redact
from bridge.errors import ConfigError

# one list, also read when bridge.yaml is checked
_OWN_PARAMS = REDIS_OWN_PARAMETERS
_DRIVER_PARAMS = REDIS_DRIVER_PARAMETERS


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class RedisOptions:
    """The store URL, split into what this module uses and what redis-py gets."""

    driver_url: str
    prefix: str
    unsafe_ok: bool
    wait_replicas: int
    wait_timeout_ms: int
    max_connections: int
    check_interval_ms: int
    driver_kwargs: dict[str, Any]


def parse_url(url: str) -> RedisOptions:
    """Split and validate a store URL; every problem raises ConfigError naming the parameter."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"not a redis URL: {redact(url)!r}")
    where = f"store: {redact(url)}"
    problems: list[str] = []
    own: dict[str, str] = {}
    passed: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in _OWN_PARAMS:
            own[name] = value
        elif name in _DRIVER_PARAMS:
            passed.append((name, value))
        else:
            known = ", ".join(sorted(_OWN_PARAMS | _DRIVER_PARAMS))
            problems.append(f"{where}: unknown parameter {name!r} (known: {known})")

    def integer(name: str, default: int, minimum: int) -> int:
        text = own.get(name)
        if text is None:
            return default
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            problems.append(f"{where}: {name}: expected an integer >= {minimum}, got {text!r}")
            return default
        return value

    prefix = own.get("prefix", "bridge:")
    if not prefix:
        problems.append(f"{where}: prefix: expected a non-empty key prefix")
    wait_replicas = integer("wait_replicas", 0, 0)
    wait_timeout_ms = integer("wait_timeout_ms", 1000, 1)
    max_connections = integer("max_connections", 32, 1)
    check_interval_ms = integer("check_interval_ms", 5000, 0)
    if problems:
        raise ConfigError(problems)
    # a socket timeout shorter than WAIT would report a slow replica as a dead Redis
    patience = max(5.0, (wait_timeout_ms / 1000 if wait_replicas else 0.0) + 2.0)
    return RedisOptions(
        driver_url=urlunsplit(parts._replace(query=urlencode(passed))),
        prefix=prefix,
        unsafe_ok=_truthy(own.get("unsafe_ok", "false")),
        wait_replicas=wait_replicas,
        wait_timeout_ms=wait_timeout_ms,
        max_connections=max_connections,
        check_interval_ms=check_interval_ms,
        driver_kwargs={  # the URL's own socket_* parameters override these
            "socket_timeout": patience,
            "socket_connect_timeout": 2.0,
            "max_connections": max_connections,
            "timeout": patience,  # BlockingConnectionPool: wait this long for a free connection
            "retry": Retry(NoBackoff(), 0),  # a retried script could apply twice
            "decode_responses": True,
        },
    )
