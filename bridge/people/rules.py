"""The rules a person's or token's data must follow, and the secrets made for them.

Names are 1-64 of a-z, 0-9, ``.``, ``_``, ``@``, ``-``; roles follow the grant grammar of
:mod:`bridge.core.access`; passwords at least 12 characters. API tokens are ``ibt_`` + 43 random
URL-safe characters (256 bits), stored only as their SHA-256."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from bridge.core import access
from bridge.errors import BadInput

NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
TOKEN_PREFIX = "ibt_"


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


def add_person_hint(config_path: Path) -> str:
    """The command that adds the first person (shown while there is none: log and login page);
    the config path relative to the working directory when it lies below it."""
    shown = config_path.resolve()
    with contextlib.suppress(ValueError):
        shown = shown.relative_to(Path.cwd())
    return f".venv/bin/bridge users add NAME --role approver -c {shown}"
