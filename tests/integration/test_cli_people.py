"""`bridge users …` and `bridge tokens …` as an operator runs them: subprocesses against a
temporary SQLite store, checked through the store itself."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from builders import seed_user, user_record, write_config
from test_cli import bridge

from bridge.people.rules import token_hash
from bridge.store import SqliteStore


def read_store(tmp_path: Path, fn: Any) -> Any:
    async def run() -> Any:
        store = SqliteStore(f"sqlite:///{tmp_path / 'bridge.sqlite3'}")
        await store.open()
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(run())


@pytest.fixture
def cfg(tmp_path: Path) -> str:
    return str(write_config(tmp_path))


def test_users_add_list_passwd_disable_enable(tmp_path: Path, cfg: str) -> None:
    """A user added with a password file is stored with an argon2id hash and the roles given;
    list shows it; passwd from standard input changes the hash; disable/enable flip the flag;
    every change is audited with the cli actor."""
    pw = tmp_path / "pw"
    pw.write_text("a long enough password\n", encoding="utf-8")
    run = bridge(
        "users", "add", "alice", "--role", "approver:outage", "--role", "viewer",
        "--password-file", str(pw), "-c", cfg,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    user = read_store(tmp_path, lambda s: s.get_user("alice"))
    assert user.grants == ("approver:outage", "viewer")
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash
    listed = bridge("users", "list", "-c", cfg)
    assert listed.returncode == 0 and "alice\tapprover:outage,viewer\tenabled" in listed.stdout

    run = bridge(
        "users", "passwd", "alice", "--password-file", "-", "-c", cfg, stdin="another long one!\n"
    )
    assert run.returncode == 0, run.stderr
    assert read_store(tmp_path, lambda s: s.get_user("alice")).password_hash != user.password_hash

    assert bridge("users", "disable", "alice", "-c", cfg).returncode == 0
    assert read_store(tmp_path, lambda s: s.get_user("alice")).disabled
    assert bridge("users", "enable", "alice", "-c", cfg).returncode == 0
    assert not read_store(tmp_path, lambda s: s.get_user("alice")).disabled
    audit = read_store(tmp_path, lambda s: s.audit_log(100))
    actions = [e.action for e in reversed(audit)]
    assert actions == ["user.create", "user.password", "user.disable", "user.enable"]
    assert all(e.actor.startswith("cli") for e in audit)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "add", "bob", "--role", "viewer", "--password-file", "-"], "short\n",
         "at least 12 characters"),
        (["users", "add", "bob", "--role", "boss", "--password-file", "-"], "long enough pass\n",
         "roles[0]: unknown role 'boss'"),
        (["users", "add", "Bob!", "--role", "viewer", "--password-file", "-"], "long enough pass\n",
         "name: expected"),
        (["users", "disable", "nobody"], "", "no user 'nobody'"),
        (["users", "add", "bob", "--role", "viewer"], "", "give --password-file"),
        (["tokens", "revoke", "nope"], "", "no token 'nope'"),
    ],
)  # fmt: skip
def test_refusals_exit_1_and_say_why(cfg: str, args: list[str], stdin: str, message: str) -> None:
    """Bad input, unknown names and a missing password source exit 1 naming the problem."""
    run = bridge(*args, "-c", cfg, stdin=stdin)
    assert run.returncode == 1
    assert message in run.stderr


def test_users_add_gives_roles_at_once_and_confirm_roles_gives_those_waiting(
    tmp_path: Path, cfg: str
) -> None:
    """The CLI is the way for an operator with a single admin: ``users add`` gives approver at
    once (whoever runs it holds the server's keys), and ``users confirm-roles NAME`` gives the
    roles an admin asked for in the console, audited as the CLI with who asked; with nothing
    waiting it is refused (exit 1), and ``users list`` shows what waits."""
    run = bridge(
        "users", "add", "alice", "--role", "approver", "--password-file", "-", "-c", cfg,
        stdin="a long enough password\n",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert read_store(tmp_path, lambda s: s.get_user("alice")).grants == ("approver",)
    asked = replace(
        user_record("vera", ["viewer"]),
        pending_roles=("approver",),
        pending_kept=("viewer",),
        pending_by="ops",
        pending_at=datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
    )
    read_store(tmp_path, lambda s: s.put_user(asked, None, []))
    listed = bridge("users", "list", "-c", cfg)
    assert "vera\tviewer\tenabled" in listed.stdout and "waiting: approver (asked by ops)" in (
        listed.stdout
    )
    run = bridge("users", "confirm-roles", "vera", "-c", cfg)
    assert run.returncode == 0, run.stderr
    assert "approver" in run.stdout
    vera = read_store(tmp_path, lambda s: s.get_user("vera"))
    assert vera.grants == ("approver",) and vera.pending_roles == ()
    [entry] = [
        e for e in read_store(tmp_path, lambda s: s.audit_log(100)) if e.target == "user:vera"
    ]
    assert entry.action == "user.roles_confirmed" and entry.actor.startswith("cli")
    assert entry.detail["requested_by"] == "ops" and entry.detail["roles"] == ["approver"]
    again = bridge("users", "confirm-roles", "vera", "-c", cfg)
    assert again.returncode == 1 and "nothing waits" in again.stderr


def test_users_add_twice_is_refused(tmp_path: Path, cfg: str) -> None:
    """A taken name is refused."""
    seed_user(f"sqlite:///{tmp_path / 'bridge.sqlite3'}", "bob", ["viewer"])
    args = ("users", "add", "bob", "--role", "viewer", "--password-file", "-", "-c", cfg)
    again = bridge(*args, stdin="long enough pass\n")
    assert again.returncode == 1 and "exists already" in again.stderr


def test_tokens_add_list_revoke(tmp_path: Path, cfg: str) -> None:
    """tokens add prints the secret once and stores only its hash; list shows it live;
    revoke marks it revoked."""
    run = bridge("tokens", "add", "grafana", "--role", "viewer", "-c", cfg)
    assert run.returncode == 0, run.stderr
    secret = run.stdout.strip().splitlines()[-1]
    assert secret.startswith("ibt_")
    token = read_store(tmp_path, lambda s: s.find_token(token_hash(secret)))
    assert token is not None and token.grants == ("viewer",)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("bridge.sqlite3*"))
    assert secret.encode() not in raw
    listed = bridge("tokens", "list", "-c", cfg)
    assert f"{token.id}\tgrafana\tviewer\tlive" in listed.stdout
    assert bridge("tokens", "revoke", token.id, "-c", cfg).returncode == 0
    assert read_store(tmp_path, lambda s: s.get_token(token.id)).revoked_at is not None
    assert "\trevoked " in bridge("tokens", "list", "-c", cfg).stdout


def test_tokens_add_takes_a_plain_name_one_live_token_each(tmp_path: Path, cfg: str) -> None:
    """The CLI (the way in for whoever runs the server, bound by no admin's track) names tokens
    by the API's rule: the user-name pattern, and no second live token under one name (the
    audit's token:NAME names one caller); refused with exit 1 naming ``name``, nothing stored."""
    assert bridge("tokens", "add", "grafana", "--role", "viewer:all", "-c", cfg).returncode == 0
    for name in ("grafana", "Grafana", "graf\u202eana", "graf ana"):
        run = bridge("tokens", "add", name, "--role", "viewer", "-c", cfg)
        assert run.returncode == 1 and "name: " in run.stderr, (name, run.stderr)
    assert [t.name for t in read_store(tmp_path, lambda s: s.list_tokens())] == ["grafana"]


def test_users_list_escapes_what_a_stored_name_shown_should_not_hold(
    tmp_path: Path, cfg: str
) -> None:
    """A name shown stored before it was checked (a line break, tabs, an escape sequence, a
    bidirectional override) is printed escaped: one line per user, nothing reaches the
    operator's terminal as a control."""
    forged = "view\nroot\tadmin:all\tenabled\ttotp\troot \x1b]0;pwned\x07 \u202eadmin"

    async def seed(store: Any) -> None:
        user = replace(user_record("mallory", ["viewer"]), display_name=forged)
        await store.put_user(user, None, [])

    read_store(tmp_path, seed)
    listed = bridge("users", "list", "-c", cfg)
    assert listed.returncode == 0, listed.stderr
    [line] = listed.stdout.splitlines()
    assert line.split("\t")[:4] == ["mallory", "viewer", "enabled", "totp"]
    assert line.count("\t") == 4
    assert not any(c in listed.stdout for c in "\x1b\x07\u202e")
    assert "view\\nroot\\tadmin:all" in line and "\\x1b]0;pwned\\x07" in line
    assert "\\u202eadmin" in line
