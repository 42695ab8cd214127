"""The Lua scripts, read from ``lua/`` beside this module and composed once.

A script is its own file after the shared fragments it uses (files named ``_*.lua``): the schema
guard that heads every write script, ``fenced`` (the fence check), ``append_audit``,
``raise_to`` (a counter raised to the caller's highest number seen, before an INCR) and
``keep_truncation`` (a group's truncation count, the later delivery winning). The
migration script is ``migrate.lua`` with one ``if current < N`` step per ``migration_N.lua``
(after the ``append_audit`` fragment, whose reading of a target migration 11 shares).
Each file's head comment gives its KEYS and ARGV.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bridge.store.interfaces import SCHEMA_VERSION

LUA = Path(__file__).parent / "lua"

#: script → the fragments before its own text (every write script starts with the guard)
SCRIPTS: dict[str, tuple[str, ...]] = {
    "ingest": ("_guard", "_resent", "_floor", "_truncation"),
    "seen_again": ("_guard", "_floor", "_truncation"),
    "save_incidents": ("_guard", "_fenced"),
    "put_draft": ("_guard", "_append_audit", "_fenced"),
    "append_audit": ("_guard", "_append_audit"),
    "put_revised": ("_guard", "_append_audit"),
    "put_token": ("_guard", "_append_audit"),
    "open_casebook": ("_guard",),
    "put_casebook": ("_guard", "_append_audit"),
    "put_session": ("_guard",),
    "delete_sessions": ("_guard",),
    "touch_token": ("_guard",),
    "ping": ("_guard",),
    "count_handover": ("_guard",),
    "raise_handovers": ("_guard",),
    "acquire_lease": ("_guard", "_floor"),
    "release_lease": ("_guard",),
    "prune_episodes": ("_guard",),
    "prune_deliveries": ("_guard",),
    "prune_truncation": ("_guard",),
    "prune_drafts": ("_guard",),
    "prune_incidents": ("_guard",),
    "episodes_since": ("_resent",),  # a read: no guard
    "live_episodes": ("_resent",),  # a read: no guard
    "get_episodes": ("_resent",),  # a read: no guard
    "load_episodes": ("_resent",),  # a read: no guard
    "audit_search": ("_append_audit",),  # a read: no guard (the fragment reads targets)
}


def _read(name: str) -> str:
    return (LUA / f"{name}.lua").read_text(encoding="utf-8")


def migration_script() -> str:
    """One script: read the version, refuse a newer one, apply each missing step, set it."""
    steps = "\n".join(
        f"if current < {version} then\n{_read(f'migration_{version}')}end"
        for version in range(1, SCHEMA_VERSION + 1)
    )
    # the audit's fragment first: migration 11 indexes the stored entries as appends do
    return _read("_append_audit") + _read("migrate").replace("--@steps\n", steps + "\n")


@cache
def bodies() -> dict[str, str]:
    """Every script's text by name (``migrate`` included), read once per process."""
    composed = {
        name: "".join(_read(part) for part in (*fragments, name))
        for name, fragments in SCRIPTS.items()
    }
    composed["migrate"] = migration_script()
    return composed
