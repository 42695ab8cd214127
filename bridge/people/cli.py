"""``bridge users …`` and ``bridge tokens …``: people and API tokens in the configured store.

Contract:
- ``users add NAME --role R [--role R …] [--display-name TEXT] [--password-file F]``,
  ``users passwd NAME [--password-file F]``, ``users list``, ``users disable NAME``,
  ``users enable NAME``, ``users reset-totp NAME``, ``users confirm-roles NAME`` (gives the
  roles an admin asked for through the API, waiting for a second admin; exit 1 when none
  waits); ``tokens add NAME --role R …``,
  ``tokens list``, ``tokens revoke ID``. Each takes ``-c CONFIG`` and writes to its store.
- A password comes from ``--password-file`` (``-`` reads standard input; the first line) or,
  on a terminal, from a prompt asked twice; at least 12 characters.
- ``tokens add`` prints the token's secret once on standard output (the store keeps only its
  hash); its name follows the user-name pattern and may be neither a configured API token's
  (``auth.api_tokens``, in any case) nor a live stored token's: the audit names a caller
  ``token:NAME`` (bridge/people/tokens.py). Every change is audited with the actor
  ``cli:<login name>``.
- These commands are the way in for whoever runs the server: they write to the store directly,
  need no sign-in or second factor and are bound by no admin's track (the API's rules for
  changing people and tokens: bridge/web/api/people.py). They make the first admin and repair
  what the API will not; ``users add`` gives approver and admin at once, and ``users
  confirm-roles`` confirms a grant waiting for a second admin, so an operator with a single
  admin still gives them (audited as ``cli:<login name>``, never as an admin).
- ``users list`` prints one line per user: name, roles, enabled or disabled, TOTP, name shown,
  and, while a grant waits, ``waiting: ROLES (asked by NAME)``, tab-separated; a character
  that is not printable (a name shown stored before it was checked) is printed escaped
  (``\\n``, ``\\x1b``, ``\\u202e``).
- ``users list`` and ``tokens list`` only read: they open the store without migrating it, and
  refuse a store at an older schema (``bridge serve`` upgrades it).
- Exit codes: 0 done, 1 refused (bad input, unknown name, name taken, store unavailable).

The commands' arguments are :mod:`.cli_args` (imported to build ``bridge``'s parser without
this module).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from bridge.config import load_config
from bridge.core.access import password_problem
from bridge.core.alerts import format_time
from bridge.errors import BadInput, ConfigError, Conflict, StoreEmpty, StoreUnavailable
from bridge.people.directory import Directory
from bridge.store import Store, make_store

T = TypeVar("T")


class Refused(Exception):
    """The command cannot be done; the message says why."""


def _printable(text: str) -> str:
    """``text`` with every character that is not printable (a line break, a tab, an escape, a
    bidirectional control…) written as its escape (``\\n``, ``\\x1b``, ``\\u202e``): a
    stored value printed on one line of an operator's terminal, as it is and nothing more."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _password(file: str | None) -> str:
    if file == "-":
        try:
            text = sys.stdin.readline().rstrip("\r\n")
            text.encode("utf-8")  # under the C locale, bytes not UTF-8 arrive as surrogates
        except UnicodeError:
            raise Refused("--password-file -: standard input is not UTF-8 text") from None
    elif file:
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise Refused(f"--password-file: cannot read {file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise Refused(f"--password-file: {file} is not UTF-8 text") from None
        text = lines[0] if lines else ""
    else:
        if not sys.stdin.isatty():
            raise Refused("no terminal to ask for the password: give --password-file (or -)")
        text = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != text:
            raise Refused("the two passwords differ")
    problem = password_problem(text)
    if problem:
        raise Refused(f"password: {problem}")
    return text


def _when(value: datetime | None) -> str:
    return format_time(value) or "-"


async def _run(args: argparse.Namespace, directory: Directory) -> None:
    actor = _actor()
    store = directory.store
    if args.command == "users":
        if args.action == "add":
            password = _password(args.password_file)
            if await store.get_user(args.name) is not None:
                raise Refused(f"user {args.name!r} exists already")
            user = await directory.accounts.add_user(
                args.name, args.role, password, actor, args.display_name
            )
            print(f"added {user.name} ({', '.join(user.grants)})")
        elif args.action == "passwd":
            password = _password(args.password_file)
            await directory.accounts.set_password(args.name, password, actor)
            print(f"password set for {args.name}; their sessions ended")
        elif args.action == "list":
            for u in await store.list_users():
                state = "disabled" if u.disabled else "enabled"
                totp = "totp" if u.totp_enrolled else "no-totp"
                shown = _printable(u.display_name)
                line = f"{u.name}\t{','.join(u.grants)}\t{state}\t{totp}\t{shown}"
                if u.pending_roles:
                    waiting = ", ".join(u.pending_roles)
                    line += f"\twaiting: {waiting} (asked by {_printable(u.pending_by)})"
                print(line)
        elif args.action == "confirm-roles":
            found = await store.get_user(args.name)
            if found is None:
                raise LookupError(args.name)
            if not found.pending_roles:
                raise Refused(f"nothing waits for confirmation for {args.name}")
            user = await directory.accounts.confirm_roles(
                args.name, actor, found.pending_roles, found.pending_by
            )
            print(f"confirmed for {user.name}: roles now {', '.join(user.grants)}")
        else:
            changes = {
                "disable": {"disabled": True},
                "enable": {"disabled": False},
                "reset-totp": {"reset_totp": True},
            }[args.action]
            await directory.accounts.update(args.name, actor, **changes)  # type: ignore[arg-type]
            print(f"{args.action}: {args.name}")
        return
    if args.action == "add":
        token, secret = await directory.tokens.add_token(args.name, args.role, actor)
        print(f"token {token.id} ({token.name}: {', '.join(token.grants)}); secret (shown once):")
        print(secret)
    elif args.action == "list":
        for t in await store.list_tokens():
            state = f"revoked {_when(t.revoked_at)}" if t.revoked_at else "live"
            used = _when(t.last_used_at)
            print(f"{t.id}\t{t.name}\t{','.join(t.grants)}\t{state}\tlast used {used}")
    else:
        try:
            await directory.tokens.revoke_token(args.id, actor)
        except LookupError:
            raise Refused(f"no token {args.id!r}") from None
        print(f"revoked {args.id}")


#: what only reads: it opens the store without migrating it (an older schema is refused)
_READ_ONLY = {("users", "list"), ("tokens", "list")}


async def _with_store(
    store: Store, work: Callable[[], Awaitable[T]], *, migrate: bool, create: bool
) -> T:
    await store.open(migrate=migrate, create=create)
    try:
        return await work()
    finally:
        await store.close()


def run(
    args: argparse.Namespace, lost: Callable[[Path], Callable[[str], str] | None] = lambda _: None
) -> int:
    """Run a ``users``/``tokens`` command; print problems to stderr; the exit code. ``lost``:
    given the archive folder, None when a new store may be created, else the refusal of an
    empty one by where it is (``bridge.notices.in_use.guard``, passed by ``bridge.cli``)."""
    refusal: Callable[[str], str] | None = None
    try:
        loaded = load_config(args.config)
        store = make_store(loaded.store_url())
        directory = Directory(store, lambda: datetime.now(UTC), configured=loaded.config.auth)
        migrate = (args.command, args.action) not in _READ_ONLY
        refusal = lost(loaded.config.notices.archive_dir)
        asyncio.run(
            _with_store(
                store, lambda: _run(args, directory), migrate=migrate, create=refusal is None
            )
        )
    except StoreEmpty as exc:
        print(f"refused: {refusal(exc.where) if refusal else exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except (Refused, BadInput, Conflict, StoreUnavailable) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except LookupError as exc:
        print(f"refused: no user {exc.args[0]!r}", file=sys.stderr)
        return 1
    return 0
