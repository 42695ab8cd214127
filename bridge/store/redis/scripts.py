"""The Lua scripts, read from ``lua/`` beside this module and composed once.

A script is its own file after the shared fragments it uses (files named ``_*.lua``): the schema
guard that heads every write script, ``fenced`` (the fence check), ``append_audit``,
``raise_to`` (a counter raised to the caller's highest number seen, before an INCR) and
``keep_truncation`` (a group's truncation count, the later delivery winning). The
migration script is ``migrate.lua`` with each ``migration_N.lua`` as a function of it (after the
``append_audit`` fragment, whose reading of a target migration 11 shares): a whole one, applied
in one call, or a stepped one (:data:`STEPPED`), one bounded step a call (connection.py's
``_migrate`` calls it until it is done; how to write one: ``RedisConnection._migrate``).
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
    "raise_audit_seq": ("_guard",),
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


#: the migrations that walk a data set, done in bounded steps: ``migration_N.lua`` is the body
#: of a function called once a step (``progress``, ``prefix`` and ``budget`` in scope, see
#: ``migrate.lua``) that handles at most about ``budget`` items, keeps where it is in the hash
#: ``progress`` and returns a note while there is more; returning nothing, it is done (the
#: caller then deletes the progress and sets the version). Every later migration that reads
#: more than a handful of records belongs here.
STEPPED = frozenset({11, 12, 14})


def migration_script() -> str:
    """One script: read the version, refuse a newer one, apply the whole migrations due, or
    one step of a stepped one (``migrate.lua``)."""
    functions = "\n".join(
        f"{'stepped' if version in STEPPED else 'whole'}[{version}] = function()\n"
        f"{_read(f'migration_{version}')}end"
        for version in range(1, SCHEMA_VERSION + 1)
    )
    # the audit's fragment first: migration 11 indexes the stored entries as appends do
    return _read("_append_audit") + _read("migrate").replace("--@migrations\n", functions + "\n")


@cache
def bodies() -> dict[str, str]:
    """Every script's text by name (``migrate`` included), read once per process."""
    composed = {
        name: "".join(_read(part) for part in (*fragments, name))
        for name, fragments in SCRIPTS.items()
    }
    composed["migrate"] = migration_script()
    return composed
