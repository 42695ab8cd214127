"""The store URL's shape, checked when bridge.yaml is read (before any store is opened):
``sqlite:///PATH[?busy_timeout_ms=N]`` (N from 0 to 5000) or ``redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB][?PARAMS]``.

One list of the parameters each store takes: :mod:`bridge.store.redis.url` reads the Redis ones
from here (it validates their values again when it opens the store).

A URL's password never shows: :func:`redact` (logs, errors, ``/readyz``) and
:func:`hide_userinfo` (configuration problems) take everything between ``://`` and the URL's
*last* ``@`` as its user part, so an unencoded ``@``, ``/``, ``?``, ``#``, a space or a quote in
the password cannot push any of it out of the part hidden; and a Redis URL with an ``@`` after
its host (an unencoded ``/``, ``?`` or ``#`` in the password moved it there) is refused without
naming anything after the ``://``."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

#: what ``sqlite:///PATH?…`` takes (bridge.store.sqlite.connection)
SQLITE_PARAMETERS = frozenset({"busy_timeout_ms"})
#: the longest ``busy_timeout_ms`` (the default): how long a write waits for a lock another
#: process holds. The stop's worst case, 5 s for requests in flight + 15 s + ``smtp.timeout``
#: (at most 60 s) + closing behind a write that waits this long, must end inside the deploy
#: files' 90 s; and a webhook queued behind a batch that waits can wait two of these before its
#: 503, which must fit Alertmanager's shortest notification budget (10 s). Why, in full:
#: docs/configuration.md (``store``).
SQLITE_MAX_BUSY_TIMEOUT_MS = 5000
#: what the bridge reads itself from a Redis URL (bridge.store.redis.url)
REDIS_OWN_PARAMETERS = frozenset(
    {
        "prefix",
        "unsafe_ok",
        "wait_replicas",
        "wait_timeout_ms",
        "max_connections",
        "check_interval_ms",
    }
)
#: what it passes on to redis-py
REDIS_DRIVER_PARAMETERS = frozenset(
    {
        "socket_timeout",
        "socket_connect_timeout",
        "health_check_interval",
        "client_name",
        "ssl_cert_reqs",
        "ssl_ca_certs",
        "ssl_certfile",
        "ssl_keyfile",
        "ssl_check_hostname",
    }
)
_FORMS = "expected sqlite:///PATH or redis://HOST:PORT/DB"


def _unknown(query: str, known: frozenset[str]) -> list[str]:
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    unknown = sorted({name for name in names if name not in known})
    if not unknown:
        return []
    return [
        f"unknown parameter(s) {', '.join(map(repr, unknown))} (known: {', '.join(sorted(known))})"
    ]


def _sqlite(url: str) -> list[str]:
    path, _, query = url[len("sqlite:///") :].partition("?")
    problems = [] if path.strip() else [f"{_FORMS}: no database file after sqlite:///"]
    problems += _unknown(query, SQLITE_PARAMETERS)
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "busy_timeout_ms" and not (
            value.isascii() and value.isdigit() and int(value) <= SQLITE_MAX_BUSY_TIMEOUT_MS
        ):
            problems.append(
                "busy_timeout_ms: expected a whole number of milliseconds from 0 to "
                f"{SQLITE_MAX_BUSY_TIMEOUT_MS}, not {value!r}"
            )
    return problems


def _split(url: str) -> tuple[str, str, str] | None:
    """``(SCHEME://, USERINFO, REST)`` split at the last ``@``; None without a user part (no
    ``@``, or an empty authority: ``sqlite:///path@x`` has none)."""
    head, sep, rest = url.partition("://")
    if not sep or rest.startswith("/") or "@" not in rest:
        return None
    userinfo, _, after = rest.rpartition("@")
    return f"{head}://", userinfo, after


def redact(url: str) -> str:
    """The URL with its password shown as ``<secret>`` (the user name kept:
    ``redis://USER:<secret>@HOST``); a user part without a colon is hidden whole
    (``redis://<secret>@HOST``): it may be a password written without its colon."""
    split = _split(url)
    if split is None:
        return url
    head, userinfo, after = split
    user, colon, _ = userinfo.partition(":")
    return f"{head}{user + ':' if colon else ''}<secret>@{after}"


def hide_userinfo(url: str) -> str:
    """The URL with its whole user part shown as ``<secret>`` (``redis://<secret>@HOST``)."""
    split = _split(url)
    return url if split is None else f"{split[0]}<secret>@{split[2]}"


def _redis(url: str) -> list[str]:
    parts = urlsplit(url)
    if "@" in parts.path + parts.query + parts.fragment:  # the split cannot be trusted
        return [
            f"{_FORMS}: an '@' after the host: percent-encode '@', '/', '?' and '#' in the "
            "user name, the password and the parameters (%40, %2F, %3F, %23)"
        ]
    problems = []
    if not parts.hostname:  # redis-py would connect to localhost:6379
        problems.append(f"{_FORMS}: no host after {parts.scheme}://")
    try:
        port = parts.port
    except ValueError:  # not a number, or beyond 65535
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        problems.append(f"{_FORMS}: the port must be a number from 1 to 65535")
    db = parts.path.removeprefix("/")
    if db and not (db.isascii() and db.isdigit()):
        problems.append(f"{_FORMS}: the database after the host must be a number, like /0")
    return problems + _unknown(parts.query, REDIS_OWN_PARAMETERS | REDIS_DRIVER_PARAMETERS)


def store_url_problems(url: str) -> list[str]:
    """What is wrong with a store URL (nothing: an empty list). The messages never repeat the
    URL, which may hold a password."""
    if url.startswith("sqlite:///"):
        return _sqlite(url)
    if url.startswith(("redis://", "rediss://")):
        return _redis(url)
    return [_FORMS]
