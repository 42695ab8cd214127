"""A store URL's password never shows (bridge/core/store_url.py): :func:`redact` for logs, errors
and /readyz, and the configuration's problems about a store URL, whatever the password holds
(an unencoded ``@``, ``?``, ``#``, ``/``, a space or a quote), and a userinfo without a colon
(``redis://PASSWORD@host``, a password written without its colon) is hidden too."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import write_config

from bridge.config import load_config
from bridge.core.store_url import redact, store_url_problems
from bridge.errors import ConfigError
from bridge.store.redis import redact as store_redact

TAIL = "Tail9xQ"  # the end of every password below: never shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "redis://:hunter2@redis.example:6380/2?prefix=nb:",
            "redis://:<secret>@redis.example:6380/2?prefix=nb:",
        ),
        ("redis://u:p@ss" + TAIL + "@h:6379/0", "redis://u:<secret>@h:6379/0"),
        ("redis://:pa/ss" + TAIL + "@h:6379/0", "redis://:<secret>@h:6379/0"),
        ("redis://:pa?ss" + TAIL + "@h:6379/0", "redis://:<secret>@h:6379/0"),
        ("redis://:pa#ss" + TAIL + "@h:6379/0", "redis://:<secret>@h:6379/0"),
        ("redis://:pa ss" + TAIL + "@h:6379/0", "redis://:<secret>@h:6379/0"),
        ("redis://:pw" + TAIL + "@[::1]:6379/0", "redis://:<secret>@[::1]:6379/0"),
        ("redis://pw" + TAIL + "@h:6379/0", "redis://<secret>@h:6379/0"),
        ("rediss://h:6379/0?prefix=x:", "rediss://h:6379/0?prefix=x:"),
        ("sqlite:///data/bridge.sqlite3", "sqlite:///data/bridge.sqlite3"),
    ],
)
def test_redact_hides_everything_before_the_last_at(url: str, shown: str) -> None:
    assert redact(url) == shown
    assert store_redact(url) == shown


@pytest.mark.parametrize("password", ["pa?ss", "pa#ss", "pa/ss", "p@ss", "pa ss", "pa'ss"])
@pytest.mark.parametrize("port", ["6379", "notaport"])
def test_a_store_url_problem_never_shows_any_of_the_password(
    tmp_path: Path, password: str, port: str
) -> None:
    url = f"redis://:{password}{TAIL}@h:{port}/0"
    assert not any(TAIL in p for p in store_url_problems(url))
    try:
        load_config(write_config(tmp_path, store=url), env={})
    except ConfigError as exc:
        assert not any(TAIL in p for p in exc.problems), exc.problems


def test_an_at_outside_the_user_part_is_refused_asking_for_percent_encoding() -> None:
    """``?``, ``#`` or ``/`` in a password split the URL before its ``@``: the problem says to
    percent-encode and names nothing after the ``://``."""
    (problem,) = store_url_problems("redis://:pa?ss" + TAIL + "@h:6379/0")
    assert "percent-encode" in problem and "%40" in problem
    (problem,) = store_url_problems("redis://h:6379/0?client_name=a@b")
    assert "percent-encode" in problem
    assert store_url_problems("redis://:p%40ss%3F@h:6379/0?client_name=a%40b") == []
