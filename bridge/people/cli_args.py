"""The arguments of ``bridge users …`` and ``bridge tokens …`` (what they do: :mod:`.cli`).

Kept apart from :mod:`.cli` so that :mod:`bridge.cli` builds its parser (and ``bridge --help``
answers) without importing the store, the password hashing and the rest a command needs."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    config_arg: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``users`` and ``tokens`` with their sub-commands."""
    users = sub.add_parser("users", help="people who sign in to the console")
    u = users.add_subparsers(dest="action", required=True)
    add = u.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, help="e.g. viewer, approver:outage")
    add.add_argument("--display-name", default="")
    add.add_argument("--password-file", help="file with the password ('-': standard input)")
    passwd = u.add_parser("passwd", help="set a user's password (ends their sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-file", help="file with the password ('-': standard input)")
    u.add_parser("list", help="list users")
    for action, text in (
        ("disable", "disable a user (ends their sessions)"),
        ("enable", "enable a user"),
        ("reset-totp", "make a user enrol TOTP again at next sign-in"),
        ("confirm-roles", "give the roles an admin asked for, waiting for a second admin"),
    ):
        u.add_parser(action, help=text).add_argument("name")
    tokens = sub.add_parser("tokens", help="API tokens for automation")
    t = tokens.add_subparsers(dest="action", required=True)
    tadd = t.add_parser("add", help="create a token; its secret is printed once")
    tadd.add_argument("name")
    tadd.add_argument("--role", action="append", required=True)
    t.add_parser("list", help="list tokens")
    t.add_parser("revoke", help="revoke a token").add_argument("id")
    for leaf in (*u.choices.values(), *t.choices.values()):
        config_arg(leaf)
