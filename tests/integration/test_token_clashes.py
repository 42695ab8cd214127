"""A stored API token (``bridge tokens add``) and a configured one (bridge.yaml) never stand for
one caller under two grants: the configured tokens are looked up first, so a stored token whose
secret a configured entry also holds authenticates with the configured entry's roles and name,
and revoking it does not stop the secret; one under a configured token's name is told apart
from it by nobody in the audit (``token:NAME``). ``tokens add`` refuses a configured name (its
secret is random, 256 bits: it cannot meet a configured one by chance, only by being copied
into bridge.yaml), and ``serve`` refuses to start beside such a pair, naming both."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import write_config
from fakes import FakeClock
from prometheus_client import CollectorRegistry
from test_cli import bridge

from bridge.config import load_config
from bridge.errors import ConfigError
from bridge.people.directory import Directory
from bridge.store import SqliteStore
from bridge.store.codec import ts
from bridge.store.record_codec import TOKEN_BESIDE, encode
from bridge.store.records import TokenRecord
from bridge.store.sqlite.migrations import MIGRATIONS, statements
from bridge.web.app import create_app
from bridge.web.keys import SERVICE


def stored_token(tmp_path: Path, name: str, roles: list[str]) -> tuple[str, str]:
    """Add a live token to the test's store as ``bridge tokens add`` does: (id, secret)."""

    async def run() -> tuple[str, str]:
        store = SqliteStore(f"sqlite:///{tmp_path / 'bridge.sqlite3'}")
        await store.open()
        try:
            directory = Directory(store, lambda: datetime.now(UTC))
            token, secret = await directory.tokens.add_token(name, roles, "cli:test")
            return token.id, secret
        finally:
            await store.close()

    return asyncio.run(run())


def stored_names(tmp_path: Path) -> list[str]:
    async def run() -> list[str]:
        store = SqliteStore(f"sqlite:///{tmp_path / 'bridge.sqlite3'}")
        await store.open()
        try:
            return [t.name for t in await store.list_tokens()]
        finally:
            await store.close()

    return asyncio.run(run())


async def start_refused(config: Path, clock: FakeClock) -> list[str]:
    """The service of that config refuses to start (ConfigError): its problems. The store is
    closed again."""
    app = create_app(load_config(config, env={}), clock=clock, registry=CollectorRegistry())
    service = app[SERVICE]
    with pytest.raises(ConfigError) as info:
        await service.start()
    assert service.store._writer is None  # type: ignore[attr-defined]  # closed
    return info.value.problems


def test_tokens_add_refuses_the_name_of_a_configured_api_token(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path))  # auth.api_tokens: viewer, privacy-only
    run = bridge("tokens", "add", "privacy-only", "--role", "approver", "-c", cfg)
    assert run.returncode == 1
    assert "'privacy-only'" in run.stderr and "auth.api_tokens.1.name" in run.stderr
    assert stored_names(tmp_path) == []
    assert bridge("tokens", "add", "grafana", "--role", "viewer", "-c", cfg).returncode == 0


async def test_serve_refuses_a_stored_token_under_a_configured_name(
    tmp_path: Path, clock: FakeClock
) -> None:
    config = write_config(tmp_path)
    token_id, _ = await asyncio.to_thread(stored_token, tmp_path, "viewer", ["approver"])
    (problem,) = await start_refused(config, clock)
    assert problem.startswith(f"{config}: auth.api_tokens.0.name: 'viewer'")
    assert f"stored token {token_id}" in problem


async def test_serve_refuses_a_stored_token_under_a_configured_name_in_another_case(
    tmp_path: Path, clock: FakeClock
) -> None:
    """``Viewer``, stored before names were checked, beside the configured ``viewer``: names
    compare in any case (as ``tokens add`` compares them), so it is refused as ``viewer`` is."""
    at = datetime(2026, 11, 1, tzinfo=UTC)
    schema_12_store(
        tmp_path / "bridge.sqlite3",
        [TokenRecord("aa01", "Viewer", "hash-aa01", ("approver",), at, "cli:old")],
    )
    (problem,) = await start_refused(write_config(tmp_path), clock)
    assert "auth.api_tokens.0.name: 'viewer' is also the name of the stored token aa01" in problem


@pytest.mark.parametrize("section", ["api_tokens", "webhook"])
async def test_serve_refuses_a_configured_token_holding_a_stored_tokens_secret(
    tmp_path: Path, clock: FakeClock, section: str
) -> None:
    """The secret ``tokens add`` printed, copied into bridge.yaml: the configured entry would
    act with its own roles (found first) and revoking the stored one would not stop it."""
    token_id, secret = await asyncio.to_thread(stored_token, tmp_path, "grafana", ["viewer"])
    auth: dict[str, Any] = (
        {"api_tokens": [{"name": "ops", "token": secret, "roles": ["approver"]}]}
        if section == "api_tokens"
        else {"webhook": {"tokens": [{"name": "am", "token": secret}]}}
    )
    config = write_config(tmp_path, extra={"auth": auth})
    (problem,) = await start_refused(config, clock)
    key = "auth.api_tokens.0.token" if section == "api_tokens" else "auth.webhook.tokens.0.token"
    assert problem.startswith(f"{config}: {key}: the secret of the stored token {token_id}")
    assert secret not in problem


async def test_a_revoked_stored_token_clashes_with_nothing(tmp_path: Path, client_for: Any) -> None:
    """Revoked, it no longer authenticates: its name may be configured (a token moved into
    bridge.yaml under the same name), and serve starts."""
    token_id, _ = await asyncio.to_thread(stored_token, tmp_path, "viewer", ["approver"])
    cfg = str(write_config(tmp_path))
    assert (
        await asyncio.to_thread(bridge, "tokens", "revoke", token_id, "-c", cfg)
    ).returncode == 0
    client = await client_for(Path(cfg))
    assert (await client.get("/readyz")).status == 200


def test_bridge_serve_exits_1_naming_both(tmp_path: Path) -> None:
    """Through the command: the problem printed as any configuration problem, no traceback."""
    token_id, _ = stored_token(tmp_path, "viewer", ["approver"])
    cfg = write_config(tmp_path, extra={"notices": {"archive_dir": str(tmp_path / "sent")}})
    run = bridge("serve", "-c", str(cfg))
    assert run.returncode == 1
    assert "configuration INVALID (1 problem(s))" in run.stderr
    assert f"auth.api_tokens.0.name: 'viewer' is also the name of the stored token {token_id}" in (
        run.stderr
    )
    assert "Traceback" not in run.stderr


def schema_12_store(path: Path, tokens: list[TokenRecord]) -> None:
    """A SQLite store as a bridge of schema 12 (which let live tokens share a name) left it,
    holding ``tokens``."""
    conn = sqlite3.connect(path)
    with conn:
        for step in range(1, 13):
            for statement in statements(MIGRATIONS[step]):
                conn.execute(statement)
        conn.execute("INSERT INTO meta VALUES('schema_version', '12')")
        for t in tokens:
            conn.execute(
                "INSERT INTO api_tokens(id, token_hash, created_at, revision, document) "
                "VALUES (?,?,?,?,?)",
                (t.id, t.token_hash, ts(t.created_at), t.revision, encode(t, omit=TOKEN_BESIDE)),
            )
    conn.close()


async def test_serve_starts_beside_live_tokens_sharing_a_name_and_warns_once(
    tmp_path: Path, client_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An upgraded store holding live tokens under one name (in any case; allowed before schema
    13) is served as it is: one WARNING per such name at the start, naming it and the tokens
    (revoking all but one is the operator's call: each may be in use), and a new token under
    the name is refused (``tokens add``: exit 1 naming ``name``)."""
    t0 = datetime(2026, 11, 1, tzinfo=UTC)

    def made(tid: str, name: str, minutes: int, revoked: bool = False) -> TokenRecord:
        at = t0 + timedelta(minutes=minutes)
        return TokenRecord(
            tid, name, f"hash-{tid}", ("viewer",), at, "cli:old", 1, at if revoked else None
        )

    schema_12_store(
        tmp_path / "bridge.sqlite3",
        [
            made("aa01", "grafana", 0),
            made("aa02", "Grafana", 1),
            made("aa03", "grafana", 2),
            made("aa04", "ci", 3),
            made("aa05", "ci", 4, revoked=True),
        ],
    )
    cfg = write_config(tmp_path)
    caplog.set_level(logging.WARNING, logger="bridge")
    client = await client_for(cfg)
    assert (await client.get("/readyz")).status == 200
    shared = [r.getMessage() for r in caplog.records if "live API tokens" in r.getMessage()]
    assert len(shared) == 1, shared
    assert all(f"aa0{i}" in shared[0] for i in (1, 2, 3)) and "'grafana'" in shared[0]
    run = await asyncio.to_thread(
        bridge, "tokens", "add", "grafana", "--role", "viewer", "-c", str(cfg)
    )
    assert run.returncode == 1, run.stderr
    assert "refused: name: 'grafana' is the name of the live token aa01" in run.stderr
    assert len(await asyncio.to_thread(stored_names, tmp_path)) == 5
